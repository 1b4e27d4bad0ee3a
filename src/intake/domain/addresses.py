"""Mail addresses intake writes to or judges: which are usable, which belong to the mail system."""

from __future__ import annotations

# The mail system's own mailboxes (RFC 5321 4.5.1, RFC 3834): mail from them is an automatic
# notice, never an application, and intake never writes to them.
MAIL_SYSTEM_LOCAL_PARTS = frozenset({"postmaster", "mailer-daemon"})


def local_part(address: str) -> str:
    """The part before the last "@", without quotes, lower-cased: how addresses are compared."""
    return address.rpartition("@")[0].strip('"').lower()


def is_mail_system_address(address: str | None) -> bool:
    """Whether ``address`` is postmaster@… or mailer-daemon@… (any case)."""
    return bool(address) and local_part(address or "") in MAIL_SYSTEM_LOCAL_PARTS


def address_problem(address: str, *, role: str) -> str | None:
    """Why ``address`` must not be used as an envelope address (Japanese), or None."""
    if not address or not address.strip():
        return f"{role}のメールアドレスが空です"
    if any(ch in address for ch in "\r\n\0"):
        return (
            f"{role}のメールアドレス {address!r} に改行などの制御文字が含まれています"
            "（ヘッダー・インジェクションの疑い）"
        )
    if any(ch.isspace() or ch in "<>" or ord(ch) < 32 or ord(ch) == 127 for ch in address):
        return f"{role}のメールアドレス {address!r} に使えない文字（空白や < >）が含まれています"
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        return f"{role}のアドレス {address} はメールアドレスの形ではありません"
    return None
