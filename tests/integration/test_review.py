"""The operators' review: filters, details, reprocess, accept, resolve — each in the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from intake.adapters.orm import AuditEvent, make_engine
from intake.devtools.demo import demo_mails, jst, pdf, xlsx
from intake.devtools.samplemail import build_mail
from intake.services.unit_of_work import UnitOfWork

from support import Desk

pytestmark = pytest.mark.dovecot


def audit(desk: Desk) -> list[tuple[str, str, str | None]]:
    engine = make_engine(desk.settings.database_url)
    with UnitOfWork(engine) as uow:
        events = uow.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        result = [(e.action, e.operator, e.note) for e in events]
    engine.dispose()
    return result


def late_application(desk: Desk, name: str, n: int) -> None:
    raw = build_mail(
        subject=f"受講申込_{name}",
        message_id=f"late-{n}@example.jp",
        date=jst(2025, 7, 3, 10),
        from_addr=f"late{n}@example.jp",
        attachments=[
            xlsx("受講申込書", name, "受講申込書_NGUYEN Thi Lan.xlsx"),
            xlsx("実務経験申告書", name, "実務経験申告書_NGUYEN Thi Lan.xlsx"),
            pdf("在職証明書", name),
        ],
    )
    desk.append(raw, jst(2025, 7, 3, 10))


def test_deadline_extension_then_reprocess_outside_period(
    make_desk: Callable[..., Desk], smtp_server: Any
) -> None:
    desk = make_desk(smtp_port=smtp_server.port)
    late_application(desk, "TANAKA Ken", 1)
    late_application(desk, "KIMURA Yu", 2)
    desk.cli("poll", "--once")
    assert len(desk.json("rejections", "list", "--reason", "OUTSIDE_PERIOD")) == 2
    assert desk.json("applications", "list") == []

    # 第2期 is extended to 7/8 17:00 in the config; the two late mails are now in time.
    text = desk.config_path.read_text(encoding="utf-8")
    desk.config_path.write_text(
        text.replace("2025-07-01T17:00:00+09:00", "2025-07-08T17:00:00+09:00"), "utf-8"
    )
    out = desk.cli(
        "rejections",
        "reprocess",
        "--reason",
        "OUTSIDE_PERIOD",
        "--note",
        "締切延長",
        "--operator",
        "原",
    ).stdout
    assert "再処理: 2 件" in out
    assert desk.json("rejections", "list") == []
    resolved = desk.json("rejections", "list", "--status", "resolved")
    assert {r["resolution"] for r in resolved} == {"reprocessed"}
    assert [m["outcome"] for m in desk.json("messages", "list")] == ["accepted", "accepted"]
    applications = desk.json("applications", "list")
    assert sorted(a["name_romaji"] for a in applications) == ["KIMURA Yu", "TANAKA Ken"]
    assert all(a["term"] == 2 for a in applications)
    acks = desk.json("acks", "list")
    assert len(acks) == 2 and all(a["status"] == "pending" for a in acks)
    desk.cli("acks", "send-due", "--now", "2025-07-20T10:00:00+09:00")
    assert len(smtp_server.received) == 2
    events = audit(desk)
    assert [e[0] for e in events] == ["rejection.reprocess", "rejection.reprocess"]
    assert all(e[1] == "原" and e[2] == "締切延長" for e in events)
    shown = desk.cli("rejections", "show", str(resolved[0]["id"])).stdout
    assert "再処理で受付" in shown and "rejection.reprocess" in shown


def test_reprocess_that_still_fails_keeps_it_open_with_new_reasons(desk: Desk) -> None:
    late_application(desk, "TANAKA Ken", 1)
    desk.cli("poll", "--once")
    (rejection,) = desk.json("rejections", "list")
    out = desk.cli("rejections", "reprocess", str(rejection["id"])).stdout
    assert "まだ不備があります" in out
    (still,) = desk.json("rejections", "list")
    assert [r["code"] for r in still["reasons"]] == ["OUTSIDE_PERIOD"]
    assert audit(desk)[0][0] == "rejection.reprocess"


def test_operator_accepts_a_rejected_mail(make_desk: Callable[..., Desk], smtp_server: Any) -> None:
    desk = make_desk(smtp_port=smtp_server.port)
    suzuki = demo_mails()[3]  # no certificate, no experience sheet, faulty form
    desk.append(suzuki.raw, suzuki.received_at)
    desk.cli("poll", "--once")
    (rejection,) = desk.json("rejections", "list")
    out = desk.cli(
        "rejections",
        "accept",
        str(rejection["id"]),
        "--note",
        "事務局長の判断",
        "--operator",
        "高木",
    ).stdout
    assert "受け付けました" in out
    (application,) = desk.json("applications", "list")
    assert application["name_romaji"] == "SUZUKI Ichiro"
    detail = desk.json("applications", "show", str(application["id"]))
    assert any("担当者の判断で受付" in w for w in detail["warnings"])
    assert len(desk.json("acks", "list")) == 1
    (resolved,) = desk.json("rejections", "list", "--status", "resolved")
    assert resolved["resolution"] == "accepted"
    again = desk.cli("rejections", "accept", str(rejection["id"]), "--note", "x", expect=1)
    assert "すでに対応済み" in again.stderr
    assert audit(desk) == [("rejection.accept", "高木", "事務局長の判断")]


def test_filters_and_details(desk: Desk) -> None:
    for mail in demo_mails():
        desk.append(mail.raw, mail.received_at)
    desk.cli("poll", "--once")
    assert len(desk.json("rejections", "list")) == 4
    assert len(desk.json("rejections", "list", "--term", "1")) == 1  # SUZUKI (4/20)
    assert len(desk.json("rejections", "list", "--reason", "FORM_NOT_XLSX")) == 1
    assert len(desk.json("rejections", "list", "--since", "2025-06-01")) == 2
    suzuki = desk.json("rejections", "list", "--term", "1")[0]
    detail = desk.json("rejections", "show", str(suzuki["id"]))
    assert detail["attachments"][0]["filename"] == "受講申込書_SUZUKI Ichiro.xlsx"
    assert detail["attachments"][0]["size"] > 0
    assert detail["attachments"][0]["stored_path"].startswith(str(desk.settings.storage_dir))
    assert any("SUZUKI Ichiro" in line for line in detail["forms"])
    text = desk.cli("rejections", "show", str(suzuki["id"])).stdout
    assert "様式の内容" in text and "保存先" in text


def test_resolve_is_audited(desk: Desk) -> None:
    mail = demo_mails()[3]
    desk.append(mail.raw, mail.received_at)
    desk.cli("poll", "--once")
    (rejection,) = desk.json("rejections", "list")
    desk.cli(
        "rejections", "resolve", str(rejection["id"]), "--note", "辞退の連絡", "--operator", "原"
    )
    assert audit(desk) == [("rejection.resolve", "原", "辞退の連絡")]


def test_reprocessing_a_processing_error_row_makes_a_full_application(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    from intake.services import poll as poll_service

    mail = demo_mails()[0]
    desk.append(mail.raw, mail.received_at)
    real = poll_service.record_message

    def broken(*args: object, **kwargs: object) -> object:
        raise ValueError("a bug met this message")

    monkeypatch.setattr(poll_service, "record_message", broken)
    desk.cli("poll", "--once")
    monkeypatch.setattr(poll_service, "record_message", real)
    (rejection,) = desk.json("rejections", "list")
    assert [r["code"] for r in rejection["reasons"]] == ["PROCESSING_ERROR"]

    desk.cli("rejections", "reprocess", str(rejection["id"]))
    (message,) = desk.json("messages", "list")
    assert message["outcome"] == "accepted"
    assert message["subject"] == "受講申込_YAMADA Taro"
    assert len(message["attachments"]) == 3
    (application,) = desk.json("applications", "list")
    assert application["name_romaji"] == "YAMADA Taro"
    assert len(desk.json("acks", "list")) == 1


def test_accepting_an_older_mail_never_displaces_a_newer_application(desk: Desk) -> None:
    name = "YAMADA Taro"
    old = build_mail(
        subject=f"受講申込_{name}",
        message_id="old@example.jp",
        date=jst(2025, 4, 10),
        from_addr="taro@example.jp",
        attachments=[xlsx("受講申込書", name)],
    )
    desk.append(old, jst(2025, 4, 10))
    new = build_mail(
        subject=f"受講申込_{name}",
        message_id="new@example.jp",
        date=jst(2025, 4, 12),
        from_addr="taro@example.jp",
        attachments=[
            xlsx("受講申込書", name),
            xlsx("実務経験申告書", name),
            pdf("在職証明書", name),
        ],
    )
    desk.append(new, jst(2025, 4, 12))
    desk.cli("poll", "--once")
    (current,) = desk.json("applications", "list")
    closed = desk.json("rejections", "list", "--status", "all")
    result = desk.cli("rejections", "accept", str(closed[0]["id"]), "--note", "x", expect=1)
    assert "対応済み" in result.stderr or "より新しい申込" in result.stderr
    assert desk.json("applications", "list") == [current]
