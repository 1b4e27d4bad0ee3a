"""Compose the mails intake sends: templates rendered with Jinja2, MIME built with ``email``.

Header safety: every header value is checked or cleaned before it reaches the message, so
applicant data (a name in a configured subject, the Message-ID of the application mail) can
never start a header of its own:

* free text (subject, sender name): line breaks and other control characters become a space;
* addresses and our own Message-ID: anything but one plain ASCII ``local@domain`` raises
  ``ValueError``;
* In-Reply-To / References (taken from the applicant's mail): only well-formed ``<id>`` tokens
  are kept; when none is left the header is omitted (threading is a nicety, the
  acknowledgement still goes out).

Charsets: ``"utf-8"`` bodies are base64; headers are RFC 2047 UTF-8 encoded-words.
``"iso-2022-jp"`` bodies are 7bit ISO-2022-JP written the Windows way (CP50221, through
:mod:`intake.adapters.iso2022jp_ms`, so ① and 髙 survive) and the subject and
sender name are ``=?ISO-2022-JP?B?…?=`` words. Text that even CP932 cannot write (emoji, some
rare kanji) cannot be sent as ISO-2022-JP at all: then the whole message is sent as UTF-8
rather than with the characters garbled.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email import policy as email_policy
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.policy import Policy
from email.utils import format_datetime, make_msgid
from functools import lru_cache
from pathlib import Path
from typing import Literal

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from intake.adapters.iso2022jp_ms import ISO_2022_JP_MS
from intake.domain.model import TOKYO
from intake.domain.timefmt import format_jst_letter, format_seireki, format_wareki
from intake.resources import templates_dir

__all__ = [
    "AckContext",
    "build_message",
    "message_bytes",
    "new_message_id",
    "render",
    "render_string",
]

Charset = Literal["utf-8", "iso-2022-jp"]

_POLICY = email_policy.SMTP  # CRLF line ends, 78-column folding, no raw 8-bit


# ---------------------------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AckContext:
    """What the acknowledgement templates may use (besides the filters)."""

    applicant_name: str  # as the applicant wrote it: kanji if the form had it, else romaji
    name_romaji: str
    term_name: str  # "第1期"
    received_at: datetime  # aware
    reference: str  # e.g. "R7-1-0042"
    application_id: int
    # Where applicants write to (the Reply-To, else the From address); None: not shown.
    contact_address: str | None = None

    def __post_init__(self) -> None:
        if self.received_at.tzinfo is None or self.received_at.utcoffset() is None:
            raise ValueError("AckContext.received_at must be timezone-aware")

    def as_template_context(self) -> dict[str, object]:
        return {
            "applicant_name": self.applicant_name,
            "name_romaji": self.name_romaji,
            "term_name": self.term_name,
            "received_at": self.received_at,
            "reference": self.reference,
            "application_id": self.application_id,
            "contact_address": self.contact_address,
        }


def _environment_for(loader: FileSystemLoader | None) -> Environment:
    env = Environment(
        loader=loader,
        undefined=StrictUndefined,
        # Only HTML is escaped; text mails and subjects are written as they are.
        autoescape=select_autoescape(
            enabled_extensions=("html", "htm", "html.j2", "htm.j2"),
            disabled_extensions=(),
            default_for_string=False,
            default=False,
        ),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["wareki"] = format_wareki
    env.filters["seireki"] = format_seireki
    env.filters["jst"] = format_jst_letter
    return env


@lru_cache(maxsize=8)
def _environment(custom_dir: Path | None) -> Environment:
    # Custom templates first (same file names override); the loader notices edited files.
    searchpath = [templates_dir()] if custom_dir is None else [custom_dir, templates_dir()]
    return _environment_for(FileSystemLoader(searchpath, encoding="utf-8"))


def render(template_name: str, context: Mapping[str, object], *, custom_dir: Path | None) -> str:
    """Render a template from ``custom_dir`` (when given) or the shipped ``templates/``.

    Undefined names raise (``jinja2.UndefinedError``); ``.html`` templates are autoescaped.
    Filters: ``wareki`` (令和7年4月14日), ``seireki`` (2025年4月14日), ``jst``
    (2025年4月14日 9時05分); aware datetimes are taken on the Tokyo clock.
    """
    return _environment(custom_dir).get_template(template_name).render(dict(context))


@lru_cache(maxsize=1)
def _string_environment() -> Environment:
    return _environment_for(None)


def render_string(source: str, context: Mapping[str, object]) -> str:
    """Render a one-off template such as a configured subject (no escaping, strict)."""
    return _string_environment().from_string(source).render(dict(context))


# ---------------------------------------------------------------------------------------------
# Header values
# ---------------------------------------------------------------------------------------------

# Everything str.splitlines() breaks on, and the other control characters.
_CONTROLS = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029]+")
_ADDR_SPEC = re.compile(r"^[!-~]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")
_MSG_ID = re.compile(r"<[!-;=?-~]{1,250}>")
_PRINTABLE = re.compile(r"[ -~]+")
_BARE_MSG_ID = re.compile(r"^[!-;=?-~]{1,250}@[!-;=?-~]{1,250}$")


def _one_line(value: str) -> str:
    """Free header text on one line: line breaks and control characters become a space."""
    return re.sub(r" {2,}", " ", _CONTROLS.sub(" ", value)).strip()


def _address(value: str, what: str) -> str:
    """One plain ASCII mailbox, or ValueError (no display names, lists or line breaks)."""
    candidate = value.strip()
    if not _ADDR_SPEC.match(candidate):
        raise ValueError(f"{what}: not a single plain e-mail address: {value!r}")
    try:
        parsed = Address(addr_spec=candidate)
    except (ValueError, IndexError) as exc:  # IndexError: the stdlib parser on odd input
        raise ValueError(f"{what}: not a single plain e-mail address: {value!r}") from exc
    if parsed.addr_spec != candidate or not parsed.username or not parsed.domain:
        raise ValueError(f"{what}: not a single plain e-mail address: {value!r}")
    return candidate


def _message_ids(value: str | None) -> list[str]:
    """The well-formed ``<id>`` tokens of a header value (a bare ``id@host`` is bracketed)."""
    if value is None:
        return []
    text = value.strip()
    if _BARE_MSG_ID.match(text):
        return [f"<{text}>"]
    return _MSG_ID.findall(text)


class _PreparedHeader(str):
    """A header value emitted exactly as given (already encoded and folded, pure ASCII).

    The ``email`` policy keeps objects with a ``name`` and calls their ``fold``; we use that to
    keep its folding away from ISO-2022-JP encoded-words and long Message-IDs (which it would
    re-encode as UTF-8 encoded-words).
    """

    name: str

    def __new__(cls, name: str, lines: list[str]) -> _PreparedHeader:
        if not lines or not all(_PRINTABLE.fullmatch(line) for line in lines):
            raise ValueError(f"{name}: prepared header lines must be printable ASCII")
        obj = super().__new__(cls, "\n ".join(lines))
        obj.name = name
        return obj

    def fold(self, *, policy: Policy) -> str:
        linesep = policy.linesep
        return f"{self.name}: {self.replace(chr(10) + ' ', linesep + ' ')}{linesep}"


def _iso2022jp_words(text: str, *, first_room: int) -> list[str]:
    """``text`` as ``=?ISO-2022-JP?B?…?=`` words, each decodable on its own.

    Each word's bytes start in and return to ASCII mode (so no shift state crosses a word)
    and its line fits 78 columns: the first line has ``first_room`` columns left.
    """
    prefix, suffix = "=?ISO-2022-JP?B?", "?="
    words: list[str] = []
    chunk = ""
    room = first_room
    for ch in text:
        trial = chunk + ch
        encoded = base64.b64encode(trial.encode(ISO_2022_JP_MS)).decode("ascii")
        if chunk and len(prefix) + len(encoded) + len(suffix) > room:
            words.append(_encoded_word(chunk))
            chunk, room = ch, 77  # continuation lines start with one space
        else:
            chunk = trial
    if chunk:
        words.append(_encoded_word(chunk))
    return words


def _encoded_word(text: str) -> str:
    payload = base64.b64encode(text.encode(ISO_2022_JP_MS)).decode("ascii")
    return f"=?ISO-2022-JP?B?{payload}?="


def _fits_iso2022jp(*texts: str | None) -> bool:
    try:
        for text in texts:
            if text is not None:
                text.encode(ISO_2022_JP_MS)
    except UnicodeEncodeError:
        return False
    return True


# ---------------------------------------------------------------------------------------------
# Bodies
# ---------------------------------------------------------------------------------------------


def _normal_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _fill_text(part: MIMEPart, text: str, subtype: str, charset: Charset) -> None:
    text = _normal_newlines(text)
    if charset == "utf-8":
        part.set_content(text, subtype=subtype, charset="utf-8", cte="base64")
        return
    lines = [line.encode(ISO_2022_JP_MS) for line in text.split("\n")]
    part["Content-Type"] = f"text/{subtype}"
    part.set_param("charset", "iso-2022-jp")
    if max(len(line) for line in lines) <= 998:
        part["Content-Transfer-Encoding"] = "7bit"
        part.set_payload(b"\n".join(lines).decode("ascii"))
    else:  # a line too long for 7bit: the same bytes, base64 (CRLF line ends inside)
        part["Content-Transfer-Encoding"] = "base64"
        body = base64.encodebytes(b"\r\n".join(lines)).decode("ascii")
        part.set_payload(body)


# ---------------------------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------------------------


def new_message_id(from_address: str) -> str:
    """A fresh ``<…@domain>`` Message-ID in the sender's domain."""
    address = _address(from_address, "from_address")
    return make_msgid(domain=address.rpartition("@")[2].lower())


def build_message(
    *,
    from_address: str,
    from_name: str,
    to: str,
    subject: str,
    text_body: str,
    html_body: str | None,
    charset: Charset,
    in_reply_to: str | None,
    references: str | None,
    reply_to: str | None,
    message_id: str | None = None,
    date: datetime | None = None,
    auto_submitted: bool = True,
) -> EmailMessage:
    """An automatic reply ready for :func:`message_bytes`.

    ``text/plain``, or ``multipart/alternative`` (text then HTML) with ``html_body``.
    Raises ``ValueError`` for an address or Message-ID that is not one plain ASCII value and
    for a naive ``date``. ``message_id`` defaults to a new one in the sender's domain,
    ``date`` to now (written in JST).
    """
    sender = _address(from_address, "from_address")
    recipient = _address(to, "to")
    answer_to = _address(reply_to, "reply_to") if reply_to is not None else None
    if message_id is None:
        message_id = new_message_id(sender)
    own_id = _MSG_ID.fullmatch(message_id.strip())
    if own_id is None:
        raise ValueError(f"message_id: not a <id@domain> Message-ID: {message_id!r}")
    if date is None:
        date = datetime.now(TOKYO)
    elif date.tzinfo is None or date.utcoffset() is None:
        raise ValueError("date must be timezone-aware")
    subject_line = _one_line(subject)
    display_name = _one_line(from_name)
    if charset == "iso-2022-jp" and not _fits_iso2022jp(
        subject_line, display_name, text_body, html_body
    ):
        charset = "utf-8"

    msg = EmailMessage(policy=_POLICY)
    if charset == "iso-2022-jp" and not display_name.isascii():
        words = _iso2022jp_words(display_name, first_room=78 - len("From: "))
        msg["From"] = _PreparedHeader("From", [*words, f"<{sender}>"])
    else:
        msg["From"] = Address(display_name=display_name, addr_spec=sender)
    msg["To"] = recipient
    if charset == "iso-2022-jp" and not subject_line.isascii():
        words = _iso2022jp_words(subject_line, first_room=78 - len("Subject: "))
        msg["Subject"] = _PreparedHeader("Subject", words)
    else:
        msg["Subject"] = subject_line
    msg["Date"] = format_datetime(date.astimezone(TOKYO))
    msg["Message-ID"] = _PreparedHeader("Message-ID", [own_id.group(0)])
    parent_ids = _message_ids(in_reply_to)
    if parent_ids:
        msg["In-Reply-To"] = _PreparedHeader("In-Reply-To", parent_ids[:1])
    thread_ids = _message_ids(references) or parent_ids
    if thread_ids:
        msg["References"] = _PreparedHeader("References", thread_ids)
    if answer_to is not None:
        msg["Reply-To"] = answer_to
    if auto_submitted:
        # RFC 3834: an automatic answer; auto-responders (and Exchange) must not answer it.
        msg["Auto-Submitted"] = "auto-replied"
        msg["X-Auto-Response-Suppress"] = "All"
    msg["MIME-Version"] = "1.0"

    _fill_text(msg, text_body, "plain", charset)
    if html_body is not None:
        msg.make_alternative()
        html_part = EmailMessage(policy=_POLICY)
        _fill_text(html_part, html_body, "html", charset)
        del html_part["MIME-Version"]  # set_content adds it; it belongs at the top only
        msg.attach(html_part)
    return msg


def message_bytes(message: EmailMessage) -> bytes:
    """The wire form: CRLF line ends throughout (SMTP servers reject bare LF), ASCII only."""
    return message.as_bytes(policy=_POLICY)
