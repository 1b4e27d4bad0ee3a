"""Applicant-facing wording of the reasons, for the 不備のご連絡."""

from __future__ import annotations

import pytest

from intake.domain.model import ReasonCode
from intake.domain.notice_text import (
    APPLICANT_TEXT,
    INTERNAL_CODES,
    applicant_reasons,
    applicant_sentence,
)
from intake.domain.reasons import reason

# Details as the rules and the form reader give them, for every code.
SAMPLES: dict[ReasonCode, dict[str, object]] = {
    ReasonCode.SUBJECT_FORMAT: {"subject": "申込書送付の件"},
    ReasonCode.SUBJECT_NAME_NOT_ROMAJI: {"name": "加藤舞"},
    ReasonCode.OUTSIDE_PERIOD: {
        "received": "2025年7月1日 17:03",
        "periods": "第1期 2025年3月10日 10:00〜2025年5月7日 17:00",
    },
    ReasonCode.MISSING_APPLICATION_FORM: {"name": "SUZUKI Ichiro"},
    ReasonCode.MISSING_EXPERIENCE_SHEET: {"name": "SUZUKI Ichiro"},
    ReasonCode.MISSING_EMPLOYMENT_CERTIFICATE: {"name": "SUZUKI Ichiro"},
    ReasonCode.ATTACHMENT_NAME_FORMAT: {
        "filename": "scan0001.pdf",
        "documents": "受講申込書、実務経験申告書、在職証明書",
    },
    ReasonCode.ATTACHMENT_NAME_MISMATCH: {
        "filename": "実務経験申告書_ITO Yuki.xlsx",
        "name": "ITO Yuki",
        "subject_name": "ITO Yui",
    },
    ReasonCode.ATTACHMENT_FILE_TYPE: {
        "filename": "在職証明書_ITO Yui.heic",
        "document": "在職証明書",
        "extension": "heic",
        "allowed": "docx、jpeg、jpg、pdf、png、xlsx",
    },
    ReasonCode.FORM_NOT_XLSX: {"document": "受講申込書", "filename": "受講申込書_KATO Mai.xls"},
    ReasonCode.ATTACHMENT_TOO_LARGE: {
        "filename": "在職証明書_ITO Yui.pdf",
        "size": "25.3 MB",
        "limit": "20 MB",
    },
    ReasonCode.MESSAGE_TOO_LARGE: {"size": "120 MB", "limit": "100 MB"},
    ReasonCode.PROCESSING_ERROR: {"error": "KeyError"},
    ReasonCode.WORKBOOK_UNREADABLE: {
        "filename": "受講申込書_ITO Yui.xlsx",
        "cause": "パスワードで保護されています",
    },
    ReasonCode.FORM_NOT_OFFICIAL_TEMPLATE: {
        "filename": "受講申込書_ITO Yui.xlsx",
        "document": "受講申込書",
    },
    ReasonCode.FORM_INVALID: {"detail": "受講申込書 B9（メールアドレス）が空欄です。"},
    ReasonCode.FORM_NAME_MISMATCH: {
        "document": "受講申込書",
        "form_name": "ITO Yuki",
        "subject_name": "ITO Yui",
    },
    ReasonCode.TERM_MISMATCH: {
        "form_term": "第1期",
        "received": "2025年6月3日 15:20",
        "open_terms": "第2期",
    },
    ReasonCode.MISSING_QUALIFICATION_PROOF: {
        "qualifications": "社会福祉士",
        "name": "SATO Hanako",
    },
}

# What the applicant must not read: the desk's internals and the operators' instructions.
OPERATOR_WORDS = ("原本", "再処理", "保存済み", "記録番号", "KeyError", "パスワードで保護")


def operator_message(code: ReasonCode) -> str:
    return reason(code, **SAMPLES[code]).message


def test_every_reason_code_has_applicant_wording() -> None:
    assert set(APPLICANT_TEXT) == set(ReasonCode)
    assert set(SAMPLES) == set(ReasonCode)
    for code, text in APPLICANT_TEXT.items():
        assert text.endswith("。"), code
        assert text.strip() == text, code


@pytest.mark.parametrize("code", list(ReasonCode))
def test_sentence_is_polite_and_free_of_internals(code: ReasonCode) -> None:
    sentence = applicant_sentence(code, operator_message(code))
    assert sentence.endswith("。")
    assert any(ending in sentence for ending in ("ました", "でした", "ください", "ません")), (
        sentence
    )
    for word in OPERATOR_WORDS:
        assert word not in sentence, (code, sentence)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (ReasonCode.MISSING_EMPLOYMENT_CERTIFICATE, "在職証明書が添付されていませんでした。"),
        (
            ReasonCode.SUBJECT_FORMAT,
            "メールの件名が「受講申込_氏名（ローマ字）」の形式になっていませんでした。",
        ),
        (
            ReasonCode.FORM_INVALID,
            "受講申込書の記入内容に不備がありました（受講申込書 B9（メールアドレス）が空欄です）。",
        ),
        (
            ReasonCode.ATTACHMENT_NAME_MISMATCH,
            "添付ファイル「実務経験申告書_ITO Yuki.xlsx」の氏名「ITO Yuki」が、"
            "件名の氏名「ITO Yui」と一致していませんでした。",
        ),
        (
            ReasonCode.OUTSIDE_PERIOD,
            "お申し込みのメールを受信した日時（2025年7月1日 17:03）が、募集期間外でした。",
        ),
        (
            ReasonCode.FORM_NOT_XLSX,
            "受講申込書「受講申込書_KATO Mai.xls」が Excel 形式（.xlsx）ではありませんでした。"
            "所定の様式を Excel 形式（.xlsx）のままお送りください。",
        ),
    ],
)
def test_known_sentences(code: ReasonCode, expected: str) -> None:
    assert applicant_sentence(code, operator_message(code)) == expected


@pytest.mark.parametrize("code", list(ReasonCode))
def test_details_from_the_operator_message_reach_the_applicant(code: ReasonCode) -> None:
    """File names, cells and names are kept where they help; nothing is left as a field."""
    sentence = applicant_sentence(code, operator_message(code))
    assert "{" not in sentence and "}" not in sentence
    shown = {
        ReasonCode.SUBJECT_NAME_NOT_ROMAJI: ["加藤舞"],
        ReasonCode.ATTACHMENT_NAME_FORMAT: ["scan0001.pdf", "在職証明書"],
        ReasonCode.ATTACHMENT_FILE_TYPE: ["在職証明書_ITO Yui.heic", "pdf"],
        ReasonCode.ATTACHMENT_TOO_LARGE: ["在職証明書_ITO Yui.pdf", "20 MB"],
        ReasonCode.MESSAGE_TOO_LARGE: ["100 MB"],
        ReasonCode.WORKBOOK_UNREADABLE: ["受講申込書_ITO Yui.xlsx"],
        ReasonCode.FORM_NOT_OFFICIAL_TEMPLATE: ["受講申込書_ITO Yui.xlsx"],
        ReasonCode.FORM_NAME_MISMATCH: ["ITO Yuki", "ITO Yui"],
        ReasonCode.TERM_MISMATCH: ["第1期", "第2期"],
        ReasonCode.MISSING_QUALIFICATION_PROOF: ["社会福祉士"],
    }.get(code, [])
    for value in shown:
        assert value in sentence, (code, sentence)


def test_form_invalid_names_the_document_and_cell() -> None:
    detail = (
        "実務経験申告書（シート「Sheet1」） C12（従事日数）が数値として読めません（「約半年」）。"
    )
    sentence = applicant_sentence(ReasonCode.FORM_INVALID, detail)
    assert sentence == f"実務経験申告書の記入内容に不備がありました（{detail[:-1]}）。"
    odd = applicant_sentence(ReasonCode.FORM_INVALID, "B9 が空欄です。")
    assert odd == "提出書類の記入内容に不備がありました（B9 が空欄です）。"
    assert (
        applicant_sentence(ReasonCode.FORM_INVALID, "") == APPLICANT_TEXT[ReasonCode.FORM_INVALID]
    )


def test_unmatched_operator_message_falls_back_to_the_general_sentence() -> None:
    edited = "担当者が書き換えた説明"
    for code in ReasonCode:
        if code is ReasonCode.FORM_INVALID:
            continue
        assert applicant_sentence(code, edited) == APPLICANT_TEXT[code]


def test_internal_reasons_are_left_out() -> None:
    assert ReasonCode.PROCESSING_ERROR in INTERNAL_CODES
    told = applicant_reasons(
        [
            ("PROCESSING_ERROR", operator_message(ReasonCode.PROCESSING_ERROR)),
            ("SOMETHING_NEW", "未知の理由"),
        ]
    )
    assert told.sentences == ()
    assert told.omitted == ("PROCESSING_ERROR", "SOMETHING_NEW")


def test_reasons_in_order_without_repeats() -> None:
    suzuki = [
        (
            ReasonCode.MISSING_EXPERIENCE_SHEET.value,
            operator_message(ReasonCode.MISSING_EXPERIENCE_SHEET),
        ),
        (
            ReasonCode.MISSING_EMPLOYMENT_CERTIFICATE.value,
            operator_message(ReasonCode.MISSING_EMPLOYMENT_CERTIFICATE),
        ),
        ("FORM_INVALID", "受講申込書 B9（メールアドレス）が空欄です。"),
        ("ATTACHMENT_NAME_FORMAT", "手で書き換えた説明 1"),
        ("ATTACHMENT_NAME_FORMAT", "手で書き換えた説明 2"),
        ("PROCESSING_ERROR", operator_message(ReasonCode.PROCESSING_ERROR)),
    ]
    told = applicant_reasons(suzuki)
    assert told.sentences == (
        APPLICANT_TEXT[ReasonCode.MISSING_EXPERIENCE_SHEET],
        "在職証明書が添付されていませんでした。",
        "受講申込書の記入内容に不備がありました（受講申込書 B9（メールアドレス）が空欄です）。",
        APPLICANT_TEXT[ReasonCode.ATTACHMENT_NAME_FORMAT],
    )
    assert told.codes == {
        ReasonCode.MISSING_EXPERIENCE_SHEET,
        ReasonCode.MISSING_EMPLOYMENT_CERTIFICATE,
        ReasonCode.FORM_INVALID,
        ReasonCode.ATTACHMENT_NAME_FORMAT,
    }
    assert told.omitted == ("PROCESSING_ERROR",)
