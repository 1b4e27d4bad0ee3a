"""Mail addresses intake writes to or judges: which are usable, which belong to the mail system."""

from __future__ import annotations

import re
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

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


# Old Japanese carrier addresses (taro..yamada.@docomo.ne.jp) break RFC 5322's dot rules but
# are real mailboxes; as quoted local parts they are valid, and carriers accept them.
_DOTTED_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+")


def sender_address_problem(address: str) -> str | None:
    """Why ``address`` is no mailbox intake may write to (Japanese), or None when it is one.

    Checked with email-validator (syntax only, no DNS); an encoded-word (``=?…?=``) is text
    for display, never an address, though its characters are allowed in one.
    """
    if not address or not address.strip():
        return "メールアドレスがありません"
    if "=?" in address:
        return "メールアドレスの位置に、表示名に使う符号化された文字列（=?…?=）があります"
    if any(ch.isspace() for ch in address):
        return "メールアドレスに空白が含まれています"
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        if _carrier_dots(address):
            return None
        return "メールアドレスの形式になっていません"
    return None


def _carrier_dots(address: str) -> bool:
    local, _, domain = address.rpartition("@")
    if not _DOTTED_LOCAL.fullmatch(local):
        return False
    if ".." not in local and not local.startswith(".") and not local.endswith("."):
        return False
    try:
        validate_email(f'"{local}"@{domain}', check_deliverability=False, allow_quoted_local=True)
    except EmailNotValidError:
        return False
    return True


@dataclass(frozen=True)
class AckAddress:
    """Where the acknowledgement goes, and what the application's record should say about it."""

    address: str | None
    note: str | None = None


def acknowledgement_address(sender: str | None, form_email: str | None) -> AckAddress:
    """The sender's address; the 受講申込書's only when the sender's is unusable and the form's
    is valid; else none (the acknowledgement is then refused, never sent anywhere else)."""
    if sender and sender_address_problem(sender) is None:
        return AckAddress(sender)
    if form_email and sender_address_problem(form_email) is None:
        return AckAddress(
            form_email,
            "差出人のメールアドレスが使えないため、受付完了メールは受講申込書のメールアドレス"
            f"（{form_email}）に送ります。",
        )
    return AckAddress(
        None,
        "差出人のメールアドレスが使えず、受講申込書にも有効なメールアドレスがないため、"
        "受付完了メールは送れません。申込者には別の方法で連絡してください。",
    )


def recipient_refusal(address: str) -> str | None:
    """Why intake must not send an applicant mail to ``address`` (a note for the outbox row)."""
    if not address.strip():
        return (
            "送り先のメールアドレスがありません（差出人のメールアドレスが正しくなく、"
            "受講申込書にも有効なメールアドレスがありません）。申込者には別の方法で連絡してください。"
        )
    problem = sender_address_problem(address)
    if problem is not None:
        return f"宛先「{address}」には送りません: {problem}。"
    return None
