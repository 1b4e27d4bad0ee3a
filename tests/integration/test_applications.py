"""Application mails with real Excel forms, end to end through Dovecot and the database."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from intake.devtools.demo import FORMS_DIR, XLSX, demo_mails, jst, pdf, xlsx
from intake.devtools.formfactory import FilledForm
from intake.devtools.samplemail import SampleAttachment, build_mail

from support import Desk

pytestmark = pytest.mark.dovecot


def send(
    desk: Desk,
    name: str,
    attachments: list[SampleAttachment],
    received_at: datetime,
    *,
    n: str,
    sender: str | None = None,
) -> None:
    raw = build_mail(
        subject=f"受講申込_{name}",
        message_id=f"app-{n}@example.jp",
        date=received_at,
        from_addr=sender or f"{name.split()[0].lower()}@example.jp",
        attachments=attachments,
    )
    desk.append(raw, received_at)


def reasons(desk: Desk) -> list[list[str]]:
    return [[r["code"] for r in x["reasons"]] for x in desk.json("rejections", "list")]


@pytest.mark.postgres
def test_demo_applications_on_both_databases(
    make_desk: Callable[..., Desk], database_url: str
) -> None:
    desk = make_desk(database_url)
    for mail in demo_mails():
        desk.append(mail.raw, mail.received_at)
    desk.cli("poll", "--once")
    listed = desk.json("applications", "list")
    assert [(a["name_romaji"], a["term"], a["status"]) for a in listed] == [
        ("YAMADA Taro", 1, "accepted"),
        ("NGUYEN Thi Lan", 2, "accepted"),
        ("SATO Hanako", 1, "accepted"),
        ("MORI Ken", 2, "accepted"),
    ]
    yamada = desk.json("applications", "show", str(listed[0]["id"]))
    assert yamada["received_at"] == "2025-04-14T09:12:00+09:00"
    assert yamada["completed_at"] == yamada["received_at"]
    assert yamada["email"] == "yamada@example.jp"
    assert yamada["eligibility"] == "eligible"
    assert "671" in yamada["eligibility_explanation"]
    assert yamada["form"]["name_kanji"] == "山田 太郎"
    assert yamada["form"]["annual_consultations"] == 2350
    assert yamada["form"]["birth_date"] == "1985-07-12"
    assert [e["days_worked"] for e in yamada["experience"]] == [62, 188, 421]
    assert yamada["experience"][0]["period_from"] == "2020-10-01"
    assert {a["doc_type"] for a in yamada["attachments"]} == {
        "application_form",
        "experience_sheet",
        "employment_certificate",
    }
    # 受講申込書 e-mail differs from the sender: a warning, not a rejection.
    assert any("差出人" in w for w in yamada["warnings"])

    nguyen = desk.json("applications", "show", str(listed[1]["id"]))
    assert nguyen["form"]["annual_consultations"] == 1200
    assert nguyen["form"]["postal_code"] == "460-0012"
    assert nguyen["form"]["consent_privacy"] == "checked"
    sato = desk.json("applications", "show", str(listed[2]["id"]))
    assert sato["eligibility"] == "eligible"
    assert "社会福祉士" in sato["eligibility_explanation"]
    table = desk.cli("applications", "list").stdout
    assert "山田 太郎" in table and "資格あり" in table
    assert "受講資格" in desk.cli("applications", "show", str(listed[0]["id"])).stdout


def test_certificate_sent_in_a_second_mail_completes_the_application(desk: Desk) -> None:
    name = "YAMADA Taro"
    first_at, second_at = jst(2025, 4, 14, 9, 12), jst(2025, 4, 16, 15, 0)
    send(desk, name, [xlsx("受講申込書", name), xlsx("実務経験申告書", name)], first_at, n="1")
    desk.cli("poll", "--once")
    assert reasons(desk) == [["MISSING_EMPLOYMENT_CERTIFICATE"]]
    assert desk.json("applications", "list") == []

    send(desk, name, [pdf("在職証明書", name)], second_at, n="2")
    desk.cli("poll", "--once")
    assert [m["outcome"] for m in desk.json("messages", "list")] == ["rejected", "supplement"]
    assert desk.json("rejections", "list") == []
    (resolved,) = desk.json("rejections", "list", "--status", "resolved")
    assert resolved["resolution"] == "supplemented"
    history = desk.json("rejections", "show", str(resolved["id"]))["history"]
    assert [(h["action"], h["operator"]) for h in history] == [("rejection.supplemented", "intake")]
    (application,) = desk.json("applications", "list")
    assert application["received_at"] == first_at.isoformat()
    assert application["completed_at"] == second_at.isoformat()
    detail = desk.json("applications", "show", str(application["id"]))
    assert len(detail["attachments"]) == 3


def test_supplement_that_still_leaves_a_gap_keeps_the_rejection_open(desk: Desk) -> None:
    name = "YAMADA Taro"
    send(desk, name, [xlsx("受講申込書", name)], jst(2025, 4, 14), n="1")
    send(desk, name, [pdf("在職証明書", name)], jst(2025, 4, 15), n="2")
    desk.cli("poll", "--once")
    assert [m["outcome"] for m in desk.json("messages", "list")] == ["rejected", "supplement"]
    assert reasons(desk) == [["MISSING_EXPERIENCE_SHEET"]]


def test_resubmission_supersedes_the_earlier_application(desk: Desk) -> None:
    mail = demo_mails()[0]
    desk.append(mail.raw, mail.received_at)
    again = mail.raw.replace(b"demo-1@example.jp", b"demo-1-again@example.jp")
    desk.append(again, jst(2025, 4, 20))
    desk.cli("poll", "--once")
    first, second = desk.json("applications", "list")
    assert (first["status"], second["status"]) == ("superseded", "accepted")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("not_official", ["FORM_NOT_OFFICIAL_TEMPLATE"]),
        ("corrupt", ["WORKBOOK_UNREADABLE"]),
        ("name_mismatch", ["FORM_NAME_MISMATCH"]),
        ("term_mismatch", ["TERM_MISMATCH"]),
        ("qualification_without_proof", ["MISSING_QUALIFICATION_PROOF"]),
        ("proof_without_qualification", ["MISSING_EXPERIENCE_SHEET"]),
        ("consent_unchecked", ["FORM_INVALID"]),
    ],
)
def test_form_reason_codes(desk: Desk, change: str, expected: list[str]) -> None:
    name = "YAMADA Taro"
    received = jst(2025, 4, 14)
    form1 = xlsx("受講申込書", name)
    documents = [form1, xlsx("実務経験申告書", name), pdf("在職証明書", name)]
    if change == "not_official":
        book = Workbook()
        book.active["A1"] = "申込書（自作）"
        path = Path(desk.root) / "own.xlsx"
        book.save(path)
        documents[0] = SampleAttachment(form1.filename, path.read_bytes(), XLSX)
    elif change == "corrupt":
        documents[0] = SampleAttachment(form1.filename, form1.payload[:2000], XLSX)
    elif change == "name_mismatch":
        documents[0] = xlsx(
            "受講申込書", name, "受講申込書_YAMADA Taro.xlsx", form_name="YAMADA Jiro"
        )
    elif change == "term_mismatch":
        received = jst(2025, 5, 20)  # 第1期 form while only 第2期 is open
    elif change == "qualification_without_proof":
        filled = FilledForm.load(FORMS_DIR / "受講申込書_YAMADA Taro.xlsx", "CSF-R7-FORM1-T1")
        filled.set_qualification("社会福祉士", "■", "第12345号")
        documents = [
            SampleAttachment(form1.filename, filled.to_bytes(), XLSX),
            pdf("在職証明書", name),
        ]
    elif change == "proof_without_qualification":
        documents = [form1, pdf("在職証明書", name), pdf("登録証", name)]
    elif change == "consent_unchecked":
        filled = FilledForm.load(FORMS_DIR / "受講申込書_YAMADA Taro.xlsx", "CSF-R7-FORM1-T1")
        filled.set("consent_truthful", "□")
        documents[0] = SampleAttachment(form1.filename, filled.to_bytes(), XLSX)
    send(desk, name, documents, received, n=change)
    desk.cli("poll", "--once")
    assert reasons(desk) == [expected]
    assert desk.json("applications", "list") == []


def test_ingest_eml_files_without_a_mailbox(desk: Desk, tmp_path: Path) -> None:
    paths = []
    for n, mail in enumerate(demo_mails()[:4]):
        path = tmp_path / f"mail{n}.eml"
        path.write_bytes(mail.raw)
        paths.append(str(path))
    result = desk.cli("ingest", *paths)
    assert "mail0.eml: 受付" in result.stdout
    assert "MISSING_EMPLOYMENT_CERTIFICATE" in result.stdout
    assert len(desk.json("applications", "list")) == 3
    # The received time comes from the Date: header unless given.
    late = tmp_path / "late.eml"
    late.write_bytes(demo_mails()[0].raw.replace(b"demo-1@", b"demo-late@"))
    out = desk.cli("ingest", "--received-at", "2025-07-02T09:00:00+09:00", str(late)).stdout
    assert "OUTSIDE_PERIOD" in out


def test_late_certificate_does_not_revive_an_older_incomplete_submission(desk: Desk) -> None:
    name = "YAMADA Taro"
    send(
        desk,
        name,
        [xlsx("受講申込書", name), xlsx("実務経験申告書", name)],
        jst(2025, 4, 14),
        n="1",
    )
    complete = [xlsx("受講申込書", name), xlsx("実務経験申告書", name), pdf("在職証明書", name)]
    send(desk, name, complete, jst(2025, 4, 15), n="2")
    desk.cli("poll", "--once")
    # The complete application closed the earlier incomplete one.
    assert desk.json("rejections", "list") == []
    (closed,) = desk.json("rejections", "list", "--status", "resolved")
    assert closed["resolution"] == "resubmitted"
    send(desk, name, [pdf("在職証明書", name)], jst(2025, 4, 16), n="3")
    desk.cli("poll", "--once")
    (application,) = desk.json("applications", "list")
    assert application["received_at"] == jst(2025, 4, 15).isoformat()


def test_a_supplement_never_joins_mails_of_different_terms(desk: Desk) -> None:
    name = "YAMADA Taro"
    first = [xlsx("受講申込書", name), xlsx("実務経験申告書", name)]
    send(desk, name, first, jst(2025, 4, 14), n="1")  # 第1期 only
    send(desk, name, [pdf("在職証明書", name)], jst(2025, 6, 20), n="2")  # 第2期 only
    desk.cli("poll", "--once")
    assert desk.json("applications", "list") == []
    assert [m["outcome"] for m in desk.json("messages", "list")] == ["rejected", "rejected"]


def application_form(name: str, email: str) -> SampleAttachment:
    """The sample 受講申込書 of ``name`` with another e-mail address written in it."""
    filled = FilledForm.load(FORMS_DIR / f"受講申込書_{name}.xlsx", "CSF-R7-FORM1-T1")
    filled.set("email", email)
    return SampleAttachment(f"受講申込書_{name}.xlsx", filled.to_bytes(), XLSX)


def test_same_name_from_another_address_is_flagged(desk: Desk) -> None:
    # Neither the senders nor the forms' e-mail addresses agree: perhaps two people.
    name = "YAMADA Taro"
    rest = [xlsx("実務経験申告書", name), pdf("在職証明書", name)]
    first_form = application_form(name, "taro@example.jp")
    second_form = application_form(name, "taro.yamada@example.com")
    send(desk, name, [first_form, *rest], jst(2025, 4, 14), n="1", sender="taro@example.jp")
    send(
        desk,
        name,
        [second_form, *rest],
        jst(2025, 4, 15),
        n="2",
        sender="taro.yamada@example.com",
    )
    desk.cli("poll", "--once")
    first, second = desk.json("applications", "list")
    assert (first["status"], second["status"]) == ("accepted", "accepted")
    warnings = desk.json("applications", "show", str(second["id"]))["warnings"]
    assert any("別のアドレス（taro@example.jp）" in w for w in warnings)


def roster_ids(desk: Desk, term: int) -> list[str]:
    out = desk.root / f"roster-{term}.csv"
    desk.cli("export", "applications", "--term", str(term), "--out", str(out))
    with out.open(encoding="utf-8-sig", newline="") as handle:
        return [row["申込番号"] for row in csv.DictReader(handle)]


def test_one_person_writing_from_two_addresses_has_one_current_application(desk: Desk) -> None:
    # The same romaji name and the same 受講申込書 e-mail, sent from the office and from home.
    name = "YAMADA Taro"
    complete = [xlsx("受講申込書", name), xlsx("実務経験申告書", name), pdf("在職証明書", name)]
    send(desk, name, complete, jst(2025, 4, 14), n="1", sender="office@example.jp")
    desk.cli("poll", "--once")
    send(desk, name, complete, jst(2025, 4, 15), n="2", sender="Taro.Home@example.com")
    desk.cli("poll", "--once")
    first, second = desk.json("applications", "list")
    assert (first["status"], second["status"]) == ("superseded", "accepted")
    assert roster_ids(desk, 1) == [str(second["id"])]
    by_address = {a["to"]: a["status"] for a in desk.json("acks", "list")}
    assert by_address == {"office@example.jp": "cancelled", "Taro.Home@example.com": "pending"}
    # Not the warning for a possibly different person: this one is known to be the same.
    warnings = desk.json("applications", "show", str(second["id"]))["warnings"]
    assert not any("別のアドレス" in w for w in warnings)


def test_an_earlier_submission_from_another_address_never_replaces_a_newer_one(
    desk: Desk,
) -> None:
    # Begun on 04-14 from the office, completed on 04-16; a complete one came from home 04-15.
    name = "YAMADA Taro"
    forms = [xlsx("受講申込書", name), xlsx("実務経験申告書", name)]
    send(desk, name, forms, jst(2025, 4, 14), n="1", sender="office@example.jp")
    complete = [*forms, pdf("在職証明書", name)]
    send(desk, name, complete, jst(2025, 4, 15), n="2", sender="home@example.com")
    send(desk, name, [pdf("在職証明書", name)], jst(2025, 4, 16), n="3", sender="office@example.jp")
    desk.cli("poll", "--once")
    (current,) = [a for a in desk.json("applications", "list") if a["status"] == "accepted"]
    assert current["email"] == "home@example.com"
    assert roster_ids(desk, 1) == [str(current["id"])]


def test_a_complete_application_never_closes_a_newer_incomplete_submission(desk: Desk) -> None:
    # The mailbox order is not the order of receipt: the newer incomplete mail comes first.
    name = "YAMADA Taro"
    forms = [xlsx("受講申込書", name), xlsx("実務経験申告書", name)]
    send(desk, name, forms, jst(2025, 4, 16), n="newer-incomplete")
    send(desk, name, [*forms, pdf("在職証明書", name)], jst(2025, 4, 15), n="older-complete")
    desk.cli("poll", "--once")
    (still_open,) = desk.json("rejections", "list")
    assert still_open["received_at"] == jst(2025, 4, 16).isoformat()
    # Its certificate arrives: the newer submission becomes the current application.
    send(desk, name, [pdf("在職証明書", name)], jst(2025, 4, 17), n="certificate")
    desk.cli("poll", "--once")
    current = [a for a in desk.json("applications", "list") if a["status"] == "accepted"]
    assert [a["received_at"] for a in current] == [jst(2025, 4, 16).isoformat()]
