"""ImapMailbox against the real private Dovecot started by the test suite."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from intake.adapters.imap import (
    FetchedMessage,
    ImapError,
    ImapLoginError,
    ImapMailbox,
    MessageMeta,
    uid_set,
)
from intake.config import ImapConfig
from intake.devtools.dovecot import DovecotInstance
from intake.devtools.loopback import free_port

pytestmark = pytest.mark.dovecot

User = tuple[str, str]
TOKYO = ZoneInfo("Asia/Tokyo")


def make_message(n: int, *, padding: int = 0) -> bytes:
    """A small 8-bit UTF-8 application mail; ``padding`` adds roughly that many body bytes."""
    lines = [
        f"From: applicant{n}@example.jp",
        "To: desk@example.jp",
        f"Subject: =?UTF-8?B?5Y+X6Kyb55Sz6L6844G/?= {n}",
        f"Message-ID: <{n}.{secrets.token_hex(6)}@example.jp>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
        "",
        f"受講申込書を送付します。（{n}）",
    ]
    lines += ["x" * 78] * (padding // 80)
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


@pytest.fixture
def mailbox(imap_config: ImapConfig, imap_user: User) -> Iterator[ImapMailbox]:
    with ImapMailbox(imap_config, imap_user[1]) as box:
        yield box


@pytest.fixture
def fetch_calls(monkeypatch: pytest.MonkeyPatch) -> Callable[[ImapMailbox], list[list[str]]]:
    """Spy on the client's fetch: returns the list of data items of every FETCH round trip."""

    def install(box: ImapMailbox) -> list[list[str]]:
        calls: list[list[str]] = []
        real = box.client.fetch

        def spy(messages: Any, data: Any, modifiers: Any = None) -> Any:
            calls.append([str(item) for item in data])
            return real(messages, data, modifiers)

        monkeypatch.setattr(box.client, "fetch", spy)
        return calls

    return install


def flags_of(dovecot: DovecotInstance, user: User, folder: str = "INBOX") -> dict[int, set[bytes]]:
    client = dovecot.client(*user)
    try:
        client.select_folder(folder, readonly=True)
        return {uid: set(flags) for uid, flags in client.get_flags(client.search("ALL")).items()}
    finally:
        client.logout()


# -- connecting ---------------------------------------------------------------------------------


def test_connect_login_and_select(mailbox: ImapMailbox) -> None:
    assert mailbox.select() > 0
    assert mailbox.search_unprocessed() == []
    mailbox.close()
    mailbox.close()  # idempotent


def test_wrong_password_is_a_login_error_without_retries(imap_config: ImapConfig) -> None:
    started = time.monotonic()
    with pytest.raises(ImapLoginError) as caught:
        ImapMailbox(imap_config, "wrong-password").connect()
    assert time.monotonic() - started < 2.0
    assert str(caught.value) == f"IMAP ログインに失敗しました（ユーザー {imap_config.username}）"


def test_connection_refused_after_retries(
    imap_config: ImapConfig, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()  # nothing listens there
    config = imap_config.model_copy(update={"port": port, "connect_attempts": 2})
    box = ImapMailbox(config, "irrelevant")
    box.retry_wait_base = 0.05
    started = time.monotonic()
    with (
        caplog.at_level(logging.WARNING, logger="intake.adapters.imap"),
        pytest.raises(ImapError) as caught,
    ):
        box.connect()
    assert time.monotonic() - started < 2.0
    assert not isinstance(caught.value, ImapLoginError)
    assert (
        str(caught.value)
        == f"IMAP サーバー 127.0.0.1:{port} に接続できません（Connection refused）"
    )
    retries = [r for r in caplog.records if "connection attempt" in r.getMessage()]
    assert len(retries) == 1  # two attempts, one pause between them


def test_imaps_with_ca_file(
    dovecot: DovecotInstance, imap_config: ImapConfig, imap_user: User
) -> None:
    config = imap_config.model_copy(
        update={"security": "ssl", "port": dovecot.ssl_port, "ca_file": dovecot.ca_file}
    )
    with ImapMailbox(config, imap_user[1]) as box:
        assert box.select() > 0


def test_imaps_without_ca_file_fails_verification_without_retrying(
    dovecot: DovecotInstance, imap_config: ImapConfig, imap_user: User
) -> None:
    config = imap_config.model_copy(update={"security": "ssl", "port": dovecot.ssl_port})
    started = time.monotonic()
    with pytest.raises(ImapError) as caught:
        ImapMailbox(config, imap_user[1]).connect()
    assert time.monotonic() - started < 2.0  # a bad certificate is not retried
    assert "certificate verify failed" in str(caught.value)
    assert f"127.0.0.1:{dovecot.ssl_port}" in str(caught.value)


def test_imaps_without_verification_when_disabled(
    dovecot: DovecotInstance, imap_config: ImapConfig, imap_user: User
) -> None:
    config = imap_config.model_copy(
        update={"security": "ssl", "port": dovecot.ssl_port, "verify_certificate": False}
    )
    with ImapMailbox(config, imap_user[1]) as box:
        assert box.select() > 0


def test_starttls_with_ca_file(
    dovecot: DovecotInstance, imap_config: ImapConfig, imap_user: User
) -> None:
    config = imap_config.model_copy(update={"security": "starttls", "ca_file": dovecot.ca_file})
    with ImapMailbox(config, imap_user[1]) as box:
        assert box.select() > 0


def test_commands_need_a_selected_folder(mailbox: ImapMailbox) -> None:
    with pytest.raises(ImapError, match="select"):
        mailbox.search_unprocessed()


def test_selecting_a_missing_folder_is_an_imap_error(mailbox: ImapMailbox) -> None:
    with pytest.raises(ImapError, match="SELECT"):
        mailbox.select("NoSuchFolder")


# -- reading ------------------------------------------------------------------------------------


def test_fetch_meta_keeps_the_exact_internaldate(
    dovecot: DovecotInstance, imap_user: User, mailbox: ImapMailbox
) -> None:
    when = datetime(2025, 4, 1, 9, 30, 15, tzinfo=TOKYO)
    raw = make_message(1)
    uid = dovecot.append(*imap_user, raw, internaldate=when)
    mailbox.select()
    [meta] = mailbox.fetch_meta([uid])
    assert meta == MessageMeta(uid=uid, size=len(raw), internaldate=when)
    assert meta.internaldate.tzinfo is not None
    # Maildir keeps the instant (file mtime), not the offset: Dovecot answers in its own zone.
    assert meta.internaldate.astimezone(TOKYO).replace(tzinfo=None) == datetime(
        2025, 4, 1, 9, 30, 15
    )


def test_fetch_meta_skips_unknown_uids(
    dovecot: DovecotInstance, imap_user: User, mailbox: ImapMailbox
) -> None:
    uid = dovecot.append(*imap_user, make_message(1))
    mailbox.select()
    assert [m.uid for m in mailbox.fetch_meta([uid + 100, uid])] == [uid]
    assert mailbox.fetch_meta([]) == []


def test_fetch_meta_skips_a_message_with_unusable_metadata(
    dovecot: DovecotInstance,
    imap_user: User,
    mailbox: ImapMailbox,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    uids = [dovecot.append(*imap_user, make_message(n)) for n in range(4)]
    mailbox.select()
    real = mailbox.client.fetch

    def damaged(messages: Any, data: Any, modifiers: Any = None) -> Any:
        response = real(messages, data, modifiers)
        response[uids[0]][b"INTERNALDATE"] = None  # what imapclient gives for an unparseable one
        del response[uids[1]][b"RFC822.SIZE"]
        response[uids[2]][b"RFC822.SIZE"] = b"huge"
        return response

    monkeypatch.setattr(mailbox.client, "fetch", damaged)
    with caplog.at_level(logging.WARNING, logger="intake.adapters.imap"):
        metas = mailbox.fetch_meta(uids)
    assert [m.uid for m in metas] == [uids[3]]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 3
    assert f"UID {uids[0]} " in warnings[0] and "INTERNALDATE=None" in warnings[0]
    assert f"UID {uids[1]} " in warnings[1] and "RFC822.SIZE=None" in warnings[1]
    assert f"UID {uids[2]} " in warnings[2] and "RFC822.SIZE=b'huge'" in warnings[2]
    # Nothing was marked: the skipped messages are tried again at the next poll.
    assert mailbox.search_unprocessed() == uids


def test_fetch_messages_exact_bytes_in_batches_without_seen(
    dovecot: DovecotInstance,
    imap_user: User,
    imap_config: ImapConfig,
    fetch_calls: Callable[[ImapMailbox], list[list[str]]],
) -> None:
    sent = {dovecot.append(*imap_user, raw): raw for raw in map(make_message, range(45))}
    config = imap_config.model_copy(update={"fetch_batch_size": 20})
    with ImapMailbox(config, imap_user[1]) as box:
        box.select()
        uids = box.search_unprocessed()
        assert uids == sorted(sent)
        metas = box.fetch_meta(uids)
        calls = fetch_calls(box)
        fetched = list(box.fetch_messages(metas))
    body_fetches = [c for c in calls if "BODY.PEEK[]" in c]
    assert len(body_fetches) == 3 == len(calls)
    assert [m.uid for m in fetched] == uids
    assert {m.uid: m.raw for m in fetched} == sent
    assert all(m.size == len(m.raw) for m in fetched)
    assert all(b"\\Seen" not in flags for flags in flags_of(dovecot, imap_user).values())


def test_fetch_messages_bounded_by_bytes(
    dovecot: DovecotInstance,
    imap_user: User,
    imap_config: ImapConfig,
    fetch_calls: Callable[[ImapMailbox], list[list[str]]],
) -> None:
    kib = 1024
    sizes = [400 * kib, 400 * kib, 400 * kib, 1536 * kib, 10 * kib]
    sent = {
        dovecot.append(*imap_user, raw): raw
        for raw in (make_message(n, padding=s) for n, s in enumerate(sizes))
    }
    config = imap_config.model_copy(update={"fetch_batch_bytes": 1024 * kib})
    with ImapMailbox(config, imap_user[1]) as box:
        box.select()
        metas = box.fetch_meta(box.search_unprocessed())
        calls = fetch_calls(box)
        fetched = list(box.fetch_messages(metas))
    # [400K, 400K] | [400K] | [1.5M alone: larger than the limit] | [10K]
    assert len(calls) == 4
    assert {m.uid: m.raw for m in fetched} == sent


def test_fetch_messages_skips_a_uid_that_vanished(
    dovecot: DovecotInstance,
    imap_user: User,
    mailbox: ImapMailbox,
    caplog: pytest.LogCaptureFixture,
) -> None:
    uids = [dovecot.append(*imap_user, make_message(n)) for n in range(3)]
    mailbox.select()
    metas = mailbox.fetch_meta(uids)
    other = dovecot.client(*imap_user)  # another session (staff) deletes one meanwhile
    try:
        other.select_folder("INBOX")
        other.delete_messages([uids[1]])
        other.expunge()
    finally:
        other.logout()
    with caplog.at_level(logging.WARNING, logger="intake.adapters.imap"):
        fetched: list[FetchedMessage] = list(mailbox.fetch_messages(metas))
    assert [m.uid for m in fetched] == [uids[0], uids[2]]
    assert any(f"UID {uids[1]} vanished" in r.getMessage() for r in caplog.records)
    assert mailbox.existing(uids) == {uids[0], uids[2]}


# -- marking and moving -------------------------------------------------------------------------


def test_mark_processed_hides_from_search_and_keeps_unread(
    dovecot: DovecotInstance, imap_user: User, mailbox: ImapMailbox
) -> None:
    uids = [dovecot.append(*imap_user, make_message(n)) for n in range(4)]
    mailbox.select()
    assert mailbox.search_unprocessed() == uids
    mailbox.mark_processed(uids[:3])
    assert mailbox.search_unprocessed() == [uids[3]]
    flags = flags_of(dovecot, imap_user)
    keyword = mailbox.config.processed_keyword.encode()
    assert all(flags[uid] == {keyword} for uid in uids[:3])
    assert flags[uids[3]] == set()


def test_move_creates_the_folder_and_moves(
    dovecot: DovecotInstance, imap_user: User, mailbox: ImapMailbox
) -> None:
    raws = [make_message(n) for n in range(3)]
    uids = [dovecot.append(*imap_user, raw) for raw in raws]
    mailbox.select()
    mailbox.mark_processed(uids[:2])
    mailbox.move(uids[:2], "Intake/Accepted")
    assert mailbox.existing(uids) == {uids[2]}
    # The config's "/" became Dovecot's Maildir++ separator ".".
    assert mailbox.server_folder("Intake/Accepted") == "Intake.Accepted"
    moved = flags_of(dovecot, imap_user, "Intake.Accepted")
    assert len(moved) == 2
    assert all(b"\\Seen" not in f and b"\\Deleted" not in f for f in moved.values())
    mailbox.move([uids[2]], "Intake/Accepted")  # folder exists now
    assert mailbox.existing(uids) == set()
    assert len(flags_of(dovecot, imap_user, "Intake.Accepted")) == 3


def test_move_without_move_capability_copies_and_marks(
    dovecot: DovecotInstance, imap_user: User, mailbox: ImapMailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    uids = [dovecot.append(*imap_user, make_message(n)) for n in range(2)]
    mailbox.select()
    monkeypatch.setattr(mailbox.client, "has_capability", lambda name: name.upper() != "MOVE")
    mailbox.move([uids[0]], "Intake/Other")
    assert mailbox.existing(uids) == set(uids)  # nothing deleted or expunged
    assert mailbox.search_unprocessed() == [uids[1]]
    assert len(flags_of(dovecot, imap_user, "Intake.Other")) == 1


def test_keyword_supported(mailbox: ImapMailbox, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ImapError, match="select"):
        mailbox.keyword_supported()
    mailbox.select()
    assert mailbox.keyword_supported()  # Dovecot: PERMANENTFLAGS (... \\*)

    real = mailbox.client.select_folder
    permanent: tuple[bytes, ...] = ()

    def answer(folder: str, readonly: bool = False) -> dict[bytes, Any]:
        response = dict(real(folder, readonly))
        response[b"PERMANENTFLAGS"] = permanent
        return response

    monkeypatch.setattr(mailbox.client, "select_folder", answer)
    permanent = (b"\\Seen", b"\\Flagged")
    mailbox.select()
    assert not mailbox.keyword_supported()
    permanent = (b"\\Seen", mailbox.config.processed_keyword.lower().encode())
    mailbox.select()
    assert mailbox.keyword_supported()


def test_ensure_folder_creates_once(
    dovecot: DovecotInstance,
    imap_user: User,
    mailbox: ImapMailbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    uid = dovecot.append(*imap_user, make_message(1))
    mailbox.select()
    creates: list[str] = []
    real = mailbox.client.create_folder

    def spy(folder: str) -> Any:
        creates.append(folder)
        return real(folder)

    monkeypatch.setattr(mailbox.client, "create_folder", spy)
    mailbox.ensure_folder("Intake/Review")
    mailbox.ensure_folder("Intake/Review")
    mailbox.ensure_folder("INBOX")  # exists
    assert creates == ["Intake.Review"]
    other = dovecot.client(*imap_user)
    try:
        other.create_folder("Intake.Made*Elsewhere")  # LIST wildcards must not confuse it
        assert other.folder_exists("Intake.Review")
    finally:
        other.logout()
    mailbox.ensure_folder("Intake/Made*Elsewhere")
    mailbox.ensure_folder("Intake/Made")  # "Made*Elsewhere" matches the pattern, is not it
    assert creates == ["Intake.Review", "Intake.Made"]
    mailbox.move([uid], "Intake/Review")  # no second CREATE
    assert creates == ["Intake.Review", "Intake.Made"]
    assert len(flags_of(dovecot, imap_user, "Intake.Review")) == 1


def test_refused_store_is_an_imap_error(
    dovecot: DovecotInstance, imap_user: User, imap_config: ImapConfig
) -> None:
    uid = dovecot.append(*imap_user, make_message(1))
    too_long = "$" + "k" * 300
    for keyword, answer in [
        (too_long, "NO [CANNOT] Keyword length too long"),
        ("\\Bogus", "BAD Error in IMAP command UID STORE: Invalid system flag \\BOGUS"),
    ]:
        config = imap_config.model_copy(update={"processed_keyword": keyword})
        with ImapMailbox(config, imap_user[1]) as box:
            box.select()
            with pytest.raises(ImapError) as caught:
                box.mark_processed([uid])
        assert str(caught.value) == (
            f"IMAP STORE（処理済みキーワード {keyword} の付与、UID {uid}）に失敗しました"
            f"（127.0.0.1:{dovecot.port} の応答: {answer}）"
        )
    assert flags_of(dovecot, imap_user)[uid] == set()


def test_refused_move_is_an_imap_error(
    dovecot: DovecotInstance, imap_user: User, mailbox: ImapMailbox
) -> None:
    uids = [dovecot.append(*imap_user, make_message(n)) for n in range(2)]
    mailbox.select()
    with pytest.raises(ImapError) as caught:
        mailbox.move(uids, "Intake//Broken")
    assert str(caught.value) == (
        "IMAP CREATE（フォルダー Intake..Broken の作成）に失敗しました"
        f"（127.0.0.1:{dovecot.port} の応答: "
        "NO [CANNOT] Invalid mailbox name: Has adjacent hierarchy separators）"
    )
    # The target folder disappears (staff deleted it) after it was checked: MOVE is refused,
    # and the next call creates it again.
    mailbox.ensure_folder("Intake/Gone")
    other = dovecot.client(*imap_user)
    try:
        other.delete_folder("Intake.Gone")
    finally:
        other.logout()
    with pytest.raises(ImapError) as caught:
        mailbox.move([uids[0]], "Intake/Gone")
    assert str(caught.value).startswith(
        f"IMAP MOVE（フォルダー Intake.Gone への移動、UID {uids[0]}）"
    )
    assert "の応答: NO [TRYCREATE]" in str(caught.value)
    mailbox.move(uids, "Intake/Gone")
    assert mailbox.existing(uids) == set()
    assert len(flags_of(dovecot, imap_user, "Intake.Gone")) == 2


# -- UIDVALIDITY --------------------------------------------------------------------------------


def test_reset_uidvalidity_keeps_messages(
    dovecot: DovecotInstance, imap_user: User, imap_config: ImapConfig
) -> None:
    for n in range(3):
        dovecot.append(*imap_user, make_message(n))
    with ImapMailbox(imap_config, imap_user[1]) as box:
        before = box.select()
        old = {m.raw for m in box.fetch_messages(box.fetch_meta(box.search_unprocessed()))}
    dovecot.reset_uidvalidity(imap_user[0])
    with ImapMailbox(imap_config, imap_user[1]) as box:
        after = box.select()
        metas = box.fetch_meta(box.search_unprocessed())
        new = {m.raw for m in box.fetch_messages(metas)}
    assert after != before
    assert len(metas) == 3
    assert new == old


def test_uid_set_is_compact() -> None:
    assert uid_set([7, 1, 2, 3, 9, 10]) == "1:3,7,9:10"
    assert uid_set([5]) == "5"
