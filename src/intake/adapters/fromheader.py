"""The sender of a mail: one valid mailbox in the From header, or none.

``email.utils.parseaddr`` makes an address out of anything: a folded From whose next line says
``bcc: victim@…`` becomes ``h3b@example.jpbcc``, the address inside an unterminated quote is
used, an encoded-word stands where the address belongs. Acknowledgements and notices go to the
sender, so the header must be exactly one mailbox and the address a valid one
(:func:`intake.domain.addresses.sender_address_problem`); otherwise there is no sender address,
and the record keeps what the header said, with a Japanese note.
"""

from __future__ import annotations

from email.utils import getaddresses, parseaddr

from intake.adapters.mimedefects import guessed_charset, header_label, shown, undecodable
from intake.adapters.rfc2047 import decode_header_text
from intake.domain.addresses import sender_address_problem

__all__ = ["parse_from"]

# A From header longer than this is no real sender (and costs the address parser time).
_MAX_FROM = 2_000


def parse_from(raw: str | None, hint: str | None, defects: list[str]) -> tuple[str | None, str]:
    """``(address, display)``: the sender's address (None when there is no valid one), and how
    the sender is shown: 「表示名 <address>」, or what the header said."""
    if raw is None:
        return None, ""
    label = header_label("from")
    # Decode raw 8-bit first: a CP932 0x5C inside a quoted display name is no escape.
    decoded = decode_header_text(raw, hint, encoded_words=False)
    if decoded.had_errors:
        defects.append(undecodable(label))
    defects.extend(guessed_charset(label, guess) for guess in decoded.guesses)
    text = decoded.text.strip()
    problem = _shape_problem(text)
    name, addr = parseaddr(text) if problem is None else ("", "")
    addr = addr.strip()
    if problem is None:
        problem = _address_problem(text, addr)
    as_written = _decoded(raw, hint).strip()
    if problem is not None:
        defects.append(
            f"{label}「{shown(as_written, 200)}」は{problem}。差出人のアドレスとしては使いません"
        )
        return None, as_written
    local, _, domain = addr.rpartition("@")
    address = f"{local}@{domain.lower()}"
    display_name = _display_name(name, defects)
    return address, f"{display_name} <{address}>" if display_name else address


def _shape_problem(text: str) -> str | None:
    """What keeps ``text`` from being one mailbox, before any address is taken out of it."""
    if len(text) > _MAX_FROM:
        return "長すぎるため、メールアドレスとして読み取れません"
    quotes = angle = 0
    escaped = in_quotes = False
    for ch in text:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            in_quotes = not in_quotes
            quotes += 1
        elif not in_quotes and ch in "<>":
            angle += 1 if ch == "<" else -1
            if angle not in (0, 1):
                return "山括弧（< >）の対応が正しくないため、メールアドレスとして読み取れません"
    if in_quotes:
        return '引用符（"）が閉じていないため、メールアドレスとして読み取れません'
    if angle:
        return "山括弧（< >）の対応が正しくないため、メールアドレスとして読み取れません"
    if len([a for _, a in getaddresses([text]) if a.strip()]) > 1:
        return "複数のアドレスを含んでいるため、どれが差出人か分かりません"
    return None


def _address_problem(text: str, addr: str) -> str | None:
    if "@" not in addr:
        return "メールアドレスを含んでいません"
    if addr not in text:
        # parseaddr glued words together (「h3b@example.jp bcc:」 -> 「h3b@example.jpbcc」).
        return "メールアドレスの後に余計な文字が続いているため、メールアドレスとして読み取れません"
    problem = sender_address_problem(addr)
    return None if problem is None else f"正しいメールアドレスではありません（{problem}）"


def _decoded(raw: str, hint: str | None) -> str:
    return decode_header_text(raw, hint).text


def _display_name(name: str, defects: list[str]) -> str:
    if not name:
        return ""
    found = decode_header_text(name)
    if found.had_errors:
        defects.append(undecodable("差出人の表示名"))
    return found.text.strip()
