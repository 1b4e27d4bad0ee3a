"""The published rules, on plain values."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from intake.domain.model import (
    TOKYO,
    DocType,
    DocumentNames,
    Outcome,
    ReasonCode,
    Term,
    odd_deadline,
)
from intake.domain.rules import (
    AttachmentFacts,
    Limits,
    MessageFacts,
    auto_reply_signal,
    check_subject,
    decide,
    parse_attachment_name,
)
from intake.domain.text import name_key, normalize

TERMS = [
    Term(
        id=1,
        name="第1期",
        opens_at=datetime(2025, 3, 10, 10, 0, tzinfo=TOKYO),
        closes_at=datetime(2025, 5, 7, 17, 0, tzinfo=TOKYO),
        training_starts_on=date(2025, 6, 2),
    ),
    Term(
        id=2,
        name="第2期",
        opens_at=datetime(2025, 5, 2, 10, 0, tzinfo=TOKYO),
        closes_at=datetime(2025, 7, 1, 17, 0, tzinfo=TOKYO),
        training_starts_on=date(2025, 8, 1),
    ),
]
IN_TERM_1 = datetime(2025, 4, 1, 9, 30, tzinfo=TOKYO)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def full_set(name: str = "YAMADA Taro") -> list[AttachmentFacts]:
    return [
        AttachmentFacts(f"受講申込書_{name}.xlsx", 10_000, XLSX, "attachment"),
        AttachmentFacts(f"実務経験申告書_{name}.xlsx", 9_000, XLSX, "attachment"),
        AttachmentFacts(f"在職証明書_{name}.pdf", 50_000, "application/pdf", "attachment"),
    ]


def run(
    subject: str = "受講申込_YAMADA Taro",
    attachments: list[AttachmentFacts] | None = None,
    received_at: datetime = IN_TERM_1,
    headers: dict[str, str] | None = None,
    content_type: str = "multipart/mixed",
    from_address: str = "taro@example.jp",
    size: int = 100_000,
    limits: Limits | None = None,
) -> tuple[Outcome, list[ReasonCode]]:
    decision = decide(
        MessageFacts(
            subject=subject,
            from_address=from_address,
            received_at=received_at,
            headers=headers or {},
            content_type=content_type,
            attachments=full_set() if attachments is None else attachments,
            size=size,
        ),
        terms=TERMS,
        documents=DocumentNames(),
        limits=limits or Limits(),
    )
    return decision.outcome, [r.code for r in decision.reasons]


def test_clean_application_is_accepted() -> None:
    assert run() == (Outcome.ACCEPTED, [])


@pytest.mark.parametrize(
    "subject",
    [
        "受講申込_YAMADA Taro",
        "受講申込＿ＹＡＭＡＤＡ　Ｔａｒｏ",  # full width, as typed with the IME on
        "Re: 受講申込_YAMADA Taro",
        "RE: FW: 受講申込_YAMADA Taro",
        "転送: 受講申込_YAMADA Taro",
        "【再送】受講申込_YAMADA Taro",
        "[再送] 受講申込_YAMADA Taro",
        "受講申込_ yamada taro ",
    ],
)
def test_subject_variants_accepted(subject: str) -> None:
    check = check_subject(subject)
    assert check.name is not None
    assert name_key(check.name) == "yamadataro"


def test_prefixes_are_noted() -> None:
    assert check_subject("Re: 【再送】受講申込_YAMADA Taro").prefixes == ("Re:", "【再送】")


@pytest.mark.parametrize("name", ["SATŌ Hanako", "O'NEIL Mary", "NGUYEN Thi-Lan", "DR. JONES"])
def test_romaji_variants(name: str) -> None:
    assert check_subject(f"受講申込_{name}").name == normalize(name)


@pytest.mark.parametrize(
    ("subject", "code"),
    [
        ("受講申込 YAMADA Taro", ReasonCode.SUBJECT_FORMAT),
        ("申込_YAMADA Taro", ReasonCode.SUBJECT_FORMAT),
        ("受講申込_", ReasonCode.SUBJECT_FORMAT),
        ("受講申込_山田太郎", ReasonCode.SUBJECT_NAME_NOT_ROMAJI),
        ("受講申込_やまだ たろう", ReasonCode.SUBJECT_NAME_NOT_ROMAJI),
        ("受講申込_YAMADA 太郎", ReasonCode.SUBJECT_NAME_NOT_ROMAJI),
    ],
)
def test_bad_subjects(subject: str, code: ReasonCode) -> None:
    outcome, codes = run(subject=subject)
    assert outcome is Outcome.REJECTED
    assert code in codes


def test_subject_reason_quotes_original_text() -> None:
    check = check_subject("受講申込 山田")
    assert "受講申込 山田" in check.reasons[0].message


def test_inquiry_without_attachments_is_other() -> None:
    assert run(subject="受講資格について質問です", attachments=[]) == (Outcome.OTHER, [])


def test_application_subject_without_attachments_is_rejected() -> None:
    outcome, codes = run(attachments=[])
    assert outcome is Outcome.REJECTED
    assert codes == [
        ReasonCode.MISSING_APPLICATION_FORM,
        ReasonCode.MISSING_EXPERIENCE_SHEET,
        ReasonCode.MISSING_EMPLOYMENT_CERTIFICATE,
    ]


def test_attachments_with_wrong_subject_are_rejected_not_other() -> None:
    outcome, codes = run(subject="申込書を送ります")
    assert outcome is Outcome.REJECTED
    assert codes == [ReasonCode.SUBJECT_FORMAT]


@pytest.mark.parametrize(
    ("instant", "inside"),
    [
        (datetime(2025, 3, 10, 10, 0, tzinfo=TOKYO), True),  # opening minute counts
        (datetime(2025, 3, 10, 9, 59, 59, tzinfo=TOKYO), False),
        (datetime(2025, 7, 1, 17, 0, tzinfo=TOKYO), True),  # closing instant counts
        (datetime(2025, 7, 1, 17, 0, 1, tzinfo=TOKYO), False),
        (datetime(2025, 7, 1, 8, 0, 1, tzinfo=TOKYO).astimezone(TOKYO), True),
    ],
)
def test_period_bounds(instant: datetime, inside: bool) -> None:
    outcome, codes = run(received_at=instant)
    assert (ReasonCode.OUTSIDE_PERIOD not in codes) is inside
    assert (outcome is Outcome.ACCEPTED) is inside


def test_overlapping_terms_are_both_candidates() -> None:
    decision = decide(
        MessageFacts(
            subject="受講申込_YAMADA Taro",
            from_address="t@example.jp",
            received_at=datetime(2025, 5, 5, 12, 0, tzinfo=TOKYO),
            attachments=full_set(),
        ),
        terms=TERMS,
        documents=DocumentNames(),
        limits=Limits(),
    )
    assert decision.term_ids == (1, 2)


def test_outside_period_message_names_the_periods() -> None:
    decision = decide(
        MessageFacts(
            subject="受講申込_YAMADA Taro",
            from_address="t@example.jp",
            received_at=datetime(2025, 7, 2, 9, 0, tzinfo=TOKYO),
            attachments=full_set(),
        ),
        terms=TERMS,
        documents=DocumentNames(),
        limits=Limits(),
    )
    (only,) = decision.reasons
    assert only.code is ReasonCode.OUTSIDE_PERIOD
    assert "2025年7月2日 09:00" in only.message
    assert "第2期 2025年5月2日 10:00〜2025年7月1日 17:00" in only.message


def test_qualification_proof_replaces_experience_sheet() -> None:
    attachments = [
        AttachmentFacts("受講申込書_SATO Hanako.xlsx", 10, XLSX),
        AttachmentFacts("在職証明書_SATO Hanako.pdf", 10, "application/pdf"),
        AttachmentFacts("登録証_SATO Hanako.pdf", 10, "application/pdf"),
    ]
    assert run(subject="受講申込_SATO Hanako", attachments=attachments) == (Outcome.ACCEPTED, [])


def test_experience_proof_does_not_replace_experience_sheet() -> None:
    attachments = [
        AttachmentFacts("受講申込書_YAMADA Taro.xlsx", 10, XLSX),
        AttachmentFacts("在職証明書_YAMADA Taro.pdf", 10, "application/pdf"),
        AttachmentFacts("疎明資料_YAMADA Taro.pdf", 10, "application/pdf"),
    ]
    assert run(attachments=attachments)[1] == [ReasonCode.MISSING_EXPERIENCE_SHEET]


@pytest.mark.parametrize("ext", ["xls", "xlsm", "pdf", "csv", ""])
def test_forms_must_be_xlsx(ext: str) -> None:
    attachments = full_set()
    name = "受講申込書_YAMADA Taro" + (f".{ext}" if ext else "")
    attachments[0] = AttachmentFacts(name, 10, "application/octet-stream")
    outcome, codes = run(attachments=attachments)
    assert (outcome, codes) == (Outcome.REJECTED, [ReasonCode.FORM_NOT_XLSX])


def test_certificate_in_unusual_format() -> None:
    attachments = full_set()
    attachments[2] = AttachmentFacts("在職証明書_YAMADA Taro.heic", 10, "image/heic")
    assert run(attachments=attachments)[1] == [ReasonCode.ATTACHMENT_FILE_TYPE]


@pytest.mark.parametrize(
    "filename",
    ["申込書.xlsx", "受講申込書.xlsx", "YAMADA Taro_受講申込書.xlsx", "写真_YAMADA Taro.jpg"],
)
def test_attachment_name_format(filename: str) -> None:
    attachments = [*full_set(), AttachmentFacts(filename, 10, "application/octet-stream")]
    assert run(attachments=attachments)[1] == [ReasonCode.ATTACHMENT_NAME_FORMAT]


def test_nameless_attachment_is_named_in_the_reason() -> None:
    decision = decide(
        MessageFacts(
            subject="受講申込_YAMADA Taro",
            from_address="t@example.jp",
            received_at=IN_TERM_1,
            attachments=[*full_set(), AttachmentFacts(None, 10, "application/pdf")],
        ),
        terms=TERMS,
        documents=DocumentNames(),
        limits=Limits(),
    )
    assert [r.code for r in decision.reasons] == [ReasonCode.ATTACHMENT_NAME_FORMAT]
    assert "（名前なし）" in decision.reasons[0].message


def test_name_mismatch_reports_both_names() -> None:
    attachments = full_set()
    attachments[2] = AttachmentFacts("在職証明書_SUZUKI Ichiro.pdf", 10, "application/pdf")
    decision = decide(
        MessageFacts(
            subject="受講申込_YAMADA Taro",
            from_address="t@example.jp",
            received_at=IN_TERM_1,
            attachments=attachments,
        ),
        terms=TERMS,
        documents=DocumentNames(),
        limits=Limits(),
    )
    (only,) = decision.reasons
    assert only.code is ReasonCode.ATTACHMENT_NAME_MISMATCH
    assert "SUZUKI Ichiro" in only.message and "YAMADA Taro" in only.message


@pytest.mark.parametrize(
    "filename",
    [
        "受講申込書_yamada taro.xlsx",
        "受講申込書_YAMADATaro.xlsx",
        "受講申込書_YAMADA_Taro.xlsx",
        "受講申込書＿ＹＡＭＡＤＡ　Ｔａｒｏ.xlsx",
        "受講申込書（第1期研修用）_YAMADA Taro.xlsx",
        "C:\\Users\\taro\\Desktop\\受講申込書_YAMADA Taro.xlsx",
        "../../受講申込書_YAMADA Taro.XLSX",
    ],
)
def test_attachment_name_leniency(filename: str) -> None:
    attachments = full_set()
    attachments[0] = AttachmentFacts(filename, 10, XLSX)
    assert run(attachments=attachments) == (Outcome.ACCEPTED, [])


def test_parse_attachment_name_never_keeps_a_path() -> None:
    parsed = parse_attachment_name("../../etc/passwd", DocumentNames())
    assert parsed.doc_type is None
    assert parsed.name is None


def test_configured_alias() -> None:
    documents = DocumentNames(qualification_proof=["社会福祉士登録証"])
    parsed = parse_attachment_name("社会福祉士登録証_SATO Hanako.pdf", documents)
    assert parsed.doc_type is DocType.QUALIFICATION_PROOF


def test_attachment_too_large() -> None:
    attachments = full_set()
    attachments[2] = AttachmentFacts(
        "在職証明書_YAMADA Taro.pdf", 21 * 1024 * 1024, "application/pdf"
    )
    assert run(attachments=attachments)[1] == [ReasonCode.ATTACHMENT_TOO_LARGE]


def test_message_too_large_is_rejected_without_looking_inside() -> None:
    outcome, codes = run(attachments=[], size=200, limits=Limits(message_max_bytes=100))
    assert (outcome, codes) == (Outcome.REJECTED, [ReasonCode.MESSAGE_TOO_LARGE])


def test_signature_images_are_not_documents() -> None:
    attachments = [*full_set(), AttachmentFacts("image001.png", 3_000, "image/png", "inline")]
    assert run(attachments=attachments) == (Outcome.ACCEPTED, [])


def test_inline_document_counts() -> None:
    attachments = full_set()
    attachments[2] = AttachmentFacts("在職証明書_YAMADA Taro.jpg", 10, "image/jpeg", "inline")
    assert run(attachments=attachments) == (Outcome.ACCEPTED, [])


def test_every_reason_at_once_is_listed() -> None:
    attachments = [
        AttachmentFacts("受講申込書_SUZUKI Ichiro.xls", 10, "application/vnd.ms-excel"),
        AttachmentFacts("資料.pdf", 30 * 1024 * 1024, "application/pdf"),
    ]
    outcome, codes = run(attachments=attachments, received_at=datetime(2026, 1, 1, tzinfo=TOKYO))
    assert outcome is Outcome.REJECTED
    assert codes == [
        ReasonCode.OUTSIDE_PERIOD,
        ReasonCode.ATTACHMENT_NAME_MISMATCH,
        ReasonCode.FORM_NOT_XLSX,
        ReasonCode.ATTACHMENT_TOO_LARGE,
        ReasonCode.ATTACHMENT_NAME_FORMAT,
        ReasonCode.MISSING_EXPERIENCE_SHEET,
        ReasonCode.MISSING_EMPLOYMENT_CERTIFICATE,
    ]


@pytest.mark.parametrize(
    ("headers", "content_type", "sender"),
    [
        ({"auto-submitted": "auto-replied"}, "text/plain", "a@example.jp"),
        ({"Auto-Submitted": "auto-generated"}, "text/plain", "a@example.jp"),
        ({}, "multipart/report", "a@example.jp"),
        ({"x-autoreply": "yes"}, "text/plain", "a@example.jp"),
        ({"precedence": "bulk"}, "text/plain", "a@example.jp"),
        ({"precedence": "junk"}, "text/plain", "a@example.jp"),
        ({"precedence": "list"}, "text/plain", "a@example.jp"),
        ({"list-unsubscribe": "<mailto:u@example.jp>"}, "text/plain", "a@example.jp"),
        ({"return-path": "<>"}, "text/plain", "a@example.jp"),
        ({}, "text/plain", "MAILER-DAEMON@example.jp"),
        ({}, "text/plain", "postmaster@example.jp"),
    ],
)
def test_machine_mail_is_ignored(headers: dict[str, str], content_type: str, sender: str) -> None:
    assert auto_reply_signal(headers, content_type, sender) is not None
    outcome, codes = run(headers=headers, content_type=content_type, from_address=sender)
    assert (outcome, codes) == (Outcome.IGNORED, [])


@pytest.mark.parametrize(
    "headers",
    [{"auto-submitted": "no"}, {"precedence": "normal"}, {"return-path": "<taro@example.jp>"}],
)
def test_human_mail_is_not_ignored(headers: dict[str, str]) -> None:
    assert auto_reply_signal(headers, "multipart/mixed", "taro@example.jp") is None


def test_normalize_unifies_wave_dash_and_spaces() -> None:
    assert normalize("第1期\u301c第2期") == normalize("第1期\uff5e第2期")
    assert normalize("ＹＡＭＡＤＡ\u3000Ｔａｒｏ") == "YAMADA Taro"


def test_name_key_ignores_macrons_case_and_spacing() -> None:
    assert name_key("SATŌ Hanako") == name_key("sato  hanako") == name_key("Sato-Hanako")


def test_document_name_with_nested_parentheses_after_nfkc() -> None:
    parsed = parse_attachment_name("在職証明書（㈱みなと①）_TAKAHASHI Ken.pdf", DocumentNames())
    assert parsed.doc_type is DocType.EMPLOYMENT_CERTIFICATE
    assert parsed.name == "TAKAHASHI Ken"


def test_inquiry_with_a_signature_logo_is_other() -> None:
    logo = AttachmentFacts("image001.png", 4_000, "image/png", "inline")
    assert run(subject="研修日程の質問", attachments=[logo]) == (Outcome.OTHER, [])


def test_smime_signature_is_not_a_document() -> None:
    signature = AttachmentFacts("smime.p7s", 4_000, "application/pkcs7-signature", "attachment")
    assert run(attachments=[*full_set(), signature]) == (Outcome.ACCEPTED, [])


def test_image_without_disposition_not_named_as_document_is_decoration() -> None:
    embedded = AttachmentFacts("image002.jpg", 4_000, "image/jpeg", None)
    assert run(attachments=[*full_set(), embedded]) == (Outcome.ACCEPTED, [])


def test_attached_photo_with_a_wrong_name_is_still_flagged() -> None:
    photo = AttachmentFacts("IMG_1234.jpg", 4_000, "image/jpeg", "attachment")
    assert run(attachments=[*full_set(), photo])[1] == [ReasonCode.ATTACHMENT_NAME_FORMAT]


@pytest.mark.parametrize(
    "subject",
    [
        "受講申込_YAMADA_Taro",
        "受講申込_YAMADA・Taro",
        "受講申込_YAMADA Taro 様",
        "受講申込_YAMADA Taro（再送）",
        "Re[2]: 受講申込_YAMADA Taro",
        "受講申込_Taro YAMADA",  # given name first: the same person
    ],
)
def test_more_subject_leniency(subject: str) -> None:
    assert run(subject=subject) == (Outcome.ACCEPTED, [])


def test_seconds_are_shown_past_the_deadline_minute() -> None:
    decision = decide(
        MessageFacts(
            subject="受講申込_YAMADA Taro",
            from_address="t@example.jp",
            received_at=datetime(2025, 7, 1, 17, 0, 30, tzinfo=TOKYO),
            attachments=full_set(),
        ),
        terms=TERMS,
        documents=DocumentNames(),
        limits=Limits(),
    )
    assert "2025年7月1日 17:00:30" in decision.reasons[0].message


def test_every_reason_code_has_a_message_and_a_label() -> None:
    from intake.domain.labels import REASON_LABELS
    from intake.domain.reasons import REASON_TEMPLATES

    assert set(REASON_TEMPLATES) == set(ReasonCode)
    assert set(REASON_LABELS) == set(ReasonCode)


@pytest.mark.parametrize(
    ("closes_at", "odd"),
    [
        ("2025-07-01T17:00:00+09:00", False),
        ("2025-07-01T09:00:00+09:00", False),
        ("2025-07-01T18:00:00+09:00", False),
        ("2025-07-01T08:00:00Z", False),  # 17:00 in Tokyo
        ("2025-07-01T00:00:00+09:00", True),
        ("2025-07-01T17:30:00+09:00", True),
        ("2025-07-01T23:59:59+09:00", True),
        ("2025-07-01T17:00:00Z", True),  # 02:00 in Tokyo
    ],
)
def test_odd_deadline_flags_times_off_the_office_hour(closes_at: str, odd: bool) -> None:
    term = Term(
        id=2,
        name="第2期",
        opens_at=datetime.fromisoformat("2025-05-02T10:00:00+09:00"),
        closes_at=datetime.fromisoformat(closes_at),
        training_starts_on=date(2025, 8, 1),
    )
    warning = odd_deadline(term)
    assert (warning is not None) is odd
    if warning:
        assert warning.startswith("第2期の締切（closes_at）が ")
