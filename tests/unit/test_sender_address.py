"""A malformed From is never trusted (issue 17, point 2): one valid mailbox, or no sender."""

from __future__ import annotations

import base64

import pytest

from intake.adapters.mailparse import parse_mail_bytes
from intake.domain.addresses import acknowledgement_address, sender_address_problem


def from_header(value: bytes) -> bytes:
    return b"From: " + value + b"\r\nSubject: x\r\nMessage-ID: <s@example.jp>\r\n\r\nbody\r\n"


HOSTILE = {
    # A folded From whose continuation smuggles a Bcc: parseaddr glues it into "...jpbcc".
    "folded From with Bcc": b"h3b@example.jp\r\n bcc: victim@example.com",
    "folded named From with Bcc": b'"Hanako" <h3b@example.jp>\r\n Bcc: victim@example.com',
    # An encoded-word where the address belongs: no mail client writes that.
    "encoded-word as address": b"=?utf-8?b?dGFybw==?=@example.jp",
    "encoded-word in angle brackets": b"Taro <=?utf-8?q?taro?=@example.jp>",
    # An unterminated quote: everything after it is one quoted string, not an address.
    "unterminated quote": b'"taro@example.jp',
    "unterminated quote before address": b'"Taro <taro@example.jp>',
    "two addresses": b"taro@example.jp, hanako@example.jp",
    "no domain dot": b"taro@localhost",
}


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_from_gives_no_sender_address(value: bytes) -> None:
    mail = parse_mail_bytes(from_header(value))
    assert mail.from_address is None
    # The row keeps what was there, with a Japanese note.
    assert mail.from_display
    assert any(d.startswith("差出人（From ヘッダー）") for d in mail.defects), mail.defects


GOOD = {
    "bare": (b"taro@example.jp", "taro@example.jp", "taro@example.jp"),
    "quoted name": (
        b'"YAMADA Taro" <Taro@Example.JP>',
        "Taro@example.jp",
        "YAMADA Taro <Taro@example.jp>",
    ),
    "comment": (b"taro@example.jp (Taro)", "taro@example.jp", "Taro <taro@example.jp>"),
    "raw utf-8 name, no space": (
        "山田太郎<taro@example.jp>".encode(),
        "taro@example.jp",
        "山田太郎 <taro@example.jp>",
    ),
    "encoded name, no space": (
        b"=?UTF-8?B?" + base64.b64encode("山田".encode()) + b"?=<taro@example.jp>",
        "taro@example.jp",
        "山田 <taro@example.jp>",
    ),
    # Old Japanese carrier addresses break RFC 5322's dot rules but are real and deliverable.
    "carrier dots": (
        b"taro..yamada.@docomo.ne.jp",
        "taro..yamada.@docomo.ne.jp",
        "taro..yamada.@docomo.ne.jp",
    ),
}


@pytest.mark.parametrize(("value", "address", "display"), GOOD.values(), ids=GOOD.keys())
def test_good_from_headers_are_kept(value: bytes, address: str, display: str) -> None:
    mail = parse_mail_bytes(from_header(value))
    assert (mail.from_address, mail.from_display) == (address, display)
    assert mail.defects == ()


@pytest.mark.parametrize(
    "address",
    [
        "h3b@example.jpbcc victim",
        "=?utf-8?b?dGFybw==?=@example.jp",
        "taro@localhost",
        "",
        "a b@c.jp",
    ],
)
def test_sender_address_problem_in_japanese(address: str) -> None:
    problem = sender_address_problem(address)
    assert problem is not None and "メールアドレス" in problem


def test_valid_addresses_have_no_problem() -> None:
    for address in ("taro@example.jp", "taro..yamada.@docomo.ne.jp", "Taro+x@Example.JP"):
        assert sender_address_problem(address) is None


def test_the_forms_address_is_used_only_when_the_sender_is_unusable_and_it_is_valid() -> None:
    assert acknowledgement_address("taro@example.jp", "form@example.jp").address == (
        "taro@example.jp"
    )
    fallback = acknowledgement_address(None, "form@example.jp")
    assert fallback.address == "form@example.jp"
    assert fallback.note is not None and "受講申込書" in fallback.note
    nowhere = acknowledgement_address(None, "not an address")
    assert nowhere.address is None
    assert nowhere.note is not None and "送れません" in nowhere.note
    assert acknowledgement_address(None, None).address is None
