"""Applicant-facing wording of each reason code, for the 不備のご連絡 (deficiency notice).

The rejection log keeps, per reason, a stable code and a sentence written for operators
(:mod:`intake.domain.reasons`). An applicant needs different wording: polite, without the
desk's internals (「原本は保存済み」「再処理」), and with the one detail that helps them fix it
(which file, which cell). Each code therefore has

* a short general sentence (:data:`APPLICANT_TEXT`), always usable; and, for most codes,
* a more specific sentence built from the values in the operator's message, which is parsed
  back with the operator template it was made from. When a message does not match (an older
  wording, a message edited by hand) the general sentence is used.

Reasons in :data:`INTERNAL_CODES` are problems of the desk, not of the application, and are
never told to the applicant.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from intake.domain.labels import DOC_LABELS
from intake.domain.model import ReasonCode

# The operator templates are the one source of the operator wording; reading them here keeps
# the parser in step when a template changes (intake.domain.reasons exposes no accessor).
from intake.domain.reasons import REASON_TEMPLATES

__all__ = [
    "APPLICANT_TEXT",
    "INTERNAL_CODES",
    "ApplicantReasons",
    "applicant_reasons",
    "applicant_sentence",
]

# Problems of the desk itself: never sent to an applicant.
INTERNAL_CODES: frozenset[ReasonCode] = frozenset({ReasonCode.PROCESSING_ERROR})

SUBJECT_FORMAT_TEXT = "受講申込_氏名（ローマ字）"
ATTACHMENT_FORMAT_TEXT = "資料名_氏名（ローマ字）"

# One short, polite sentence per code; usable without any detail.
APPLICANT_TEXT: dict[ReasonCode, str] = {
    ReasonCode.SUBJECT_FORMAT: (
        f"メールの件名が「{SUBJECT_FORMAT_TEXT}」の形式になっていませんでした。"
    ),
    ReasonCode.SUBJECT_NAME_NOT_ROMAJI: (
        "件名の氏名がローマ字で書かれていませんでした（例：受講申込_YAMADA Taro）。"
    ),
    ReasonCode.OUTSIDE_PERIOD: "お申し込みのメールを募集期間外に受信しました。",
    ReasonCode.MISSING_APPLICATION_FORM: "受講申込書が添付されていませんでした。",
    ReasonCode.MISSING_EXPERIENCE_SHEET: (
        "実務経験申告書が添付されていませんでした。国家資格により実務経験が免除される場合は、"
        "資格を証明する書類（登録証・合格証書の写し等）を添付してください。"
    ),
    ReasonCode.MISSING_EMPLOYMENT_CERTIFICATE: "在職証明書が添付されていませんでした。",
    ReasonCode.ATTACHMENT_NAME_FORMAT: (
        f"添付ファイルの名前が「{ATTACHMENT_FORMAT_TEXT}」の形式になっていませんでした。"
    ),
    ReasonCode.ATTACHMENT_NAME_MISMATCH: (
        "添付ファイルの名前の氏名が、件名の氏名と一致していませんでした。"
    ),
    ReasonCode.ATTACHMENT_FILE_TYPE: (
        "添付ファイルの形式が、受け付けている形式（PDF、JPEG、PNG、Excel（.xlsx）、"
        "Word（.docx））ではありませんでした。"
    ),
    ReasonCode.FORM_NOT_XLSX: (
        "受講申込書・実務経験申告書が Excel 形式（.xlsx）ではありませんでした。"
        "所定の様式を Excel 形式（.xlsx）のままお送りください。"
    ),
    ReasonCode.ATTACHMENT_TOO_LARGE: "添付ファイルのサイズが上限を超えていました。",
    ReasonCode.MESSAGE_TOO_LARGE: (
        "メール全体のサイズが上限を超えていたため、内容を確認できませんでした。"
    ),
    ReasonCode.PROCESSING_ERROR: "お申し込みのメールを処理できませんでした。",
    ReasonCode.WORKBOOK_UNREADABLE: (
        "添付の Excel ファイルを開くことができませんでした。ファイルが壊れていないか、"
        "パスワードが設定されていないかご確認ください。"
    ),
    ReasonCode.FORM_NOT_OFFICIAL_TEMPLATE: (
        "添付ファイルが所定の様式ではありませんでした。"
        "出入国在留管理庁のホームページからダウンロードした様式をお使いください。"
    ),
    ReasonCode.FORM_INVALID: "提出書類の記入内容に不備がありました。",
    ReasonCode.FORM_NAME_MISMATCH: (
        "提出書類に記入された氏名（ローマ字）が、件名の氏名と一致していませんでした。"
    ),
    ReasonCode.TERM_MISMATCH: (
        "お送りいただいた受講申込書の期が、受信時に募集中の期と異なっていました。"
        "募集中の期の受講申込書をお使いください。"
    ),
    ReasonCode.MISSING_QUALIFICATION_PROOF: (
        "受講申込書で国家資格を申告されていますが、資格を証明する書類"
        "（登録証・合格証書の写し等）が添付されていませんでした。"
    ),
}

# More specific sentences, filled with the values found in the operator's message (the field
# names are those of the operator template). FORM_INVALID is handled on its own below.
_DETAILED: dict[ReasonCode, str] = {
    ReasonCode.SUBJECT_NAME_NOT_ROMAJI: (
        "件名の氏名「{name}」がローマ字で書かれていませんでした（例：受講申込_YAMADA Taro）。"
    ),
    ReasonCode.OUTSIDE_PERIOD: (
        "お申し込みのメールを受信した日時（{received}）が、募集期間外でした。"
    ),
    ReasonCode.ATTACHMENT_NAME_FORMAT: (
        "添付ファイル「{filename}」の名前が「資料名_氏名（ローマ字）」の形式になっていません"
        "でした（資料名として使えるもの：{documents}）。"
    ),
    ReasonCode.ATTACHMENT_NAME_MISMATCH: (
        "添付ファイル「{filename}」の氏名「{name}」が、件名の氏名「{subject_name}」と"
        "一致していませんでした。"
    ),
    ReasonCode.ATTACHMENT_FILE_TYPE: (
        "添付ファイル「{filename}」（{document}）の形式は受け付けておりません"
        "（受け付けている形式：{allowed}）。"
    ),
    ReasonCode.FORM_NOT_XLSX: (
        "{document}「{filename}」が Excel 形式（.xlsx）ではありませんでした。"
        "所定の様式を Excel 形式（.xlsx）のままお送りください。"
    ),
    ReasonCode.ATTACHMENT_TOO_LARGE: (
        "添付ファイル「{filename}」のサイズ（{size}）が上限（{limit}）を超えていました。"
    ),
    ReasonCode.MESSAGE_TOO_LARGE: (
        "メール全体のサイズ（{size}）が上限（{limit}）を超えていたため、"
        "内容を確認できませんでした。"
    ),
    ReasonCode.WORKBOOK_UNREADABLE: (
        "添付ファイル「{filename}」を Excel ファイルとして開くことができませんでした。"
        "ファイルが壊れていないか、パスワードが設定されていないかご確認ください。"
    ),
    ReasonCode.FORM_NOT_OFFICIAL_TEMPLATE: (
        "添付ファイル「{filename}」が所定の様式（{document}）ではありませんでした。"
        "出入国在留管理庁のホームページからダウンロードした様式をお使いください。"
    ),
    ReasonCode.FORM_NAME_MISMATCH: (
        "{document}に記入された氏名（ローマ字）「{form_name}」が、件名の氏名"
        "「{subject_name}」と一致していませんでした。"
    ),
    ReasonCode.TERM_MISMATCH: (
        "{form_term}用の受講申込書をお送りいただきましたが、受信した時点で{form_term}は"
        "募集期間外でした（募集中の期：{open_terms}）。募集中の期の受講申込書をお使いください。"
    ),
    ReasonCode.MISSING_QUALIFICATION_PROOF: (
        "受講申込書で国家資格（{qualifications}）を申告されていますが、資格を証明する書類"
        "（登録証・合格証書の写し等）が添付されていませんでした。"
    ),
}

_FORM_INVALID_TEXT = "{document}の記入内容に不備がありました（{detail}）。"
_SENTENCE_END = "。．."


@cache
def _operator_pattern(code: ReasonCode) -> re.Pattern[str]:
    """A regular expression matching the operator messages made from ``code``'s template."""
    parts: list[str] = []
    seen: set[str] = set()
    for literal, name, _spec, _conversion in string.Formatter().parse(REASON_TEMPLATES[code]):
        parts.append(re.escape(literal))
        if name is None:
            continue
        if name in seen:
            parts.append(f"(?P={name})")
        else:
            seen.add(name)
            parts.append(f"(?P<{name}>.+?)")
    return re.compile("".join(parts), re.DOTALL)


def _form_invalid(detail: str) -> str:
    detail = detail.strip().rstrip(_SENTENCE_END)
    if not detail:
        return APPLICANT_TEXT[ReasonCode.FORM_INVALID]
    # The form reader starts each sentence with the document (and maybe its sheet).
    document = next(
        (label for label in DOC_LABELS.values() if detail.startswith(label)), "提出書類"
    )
    return _FORM_INVALID_TEXT.format(document=document, detail=detail)


def applicant_sentence(code: ReasonCode, operator_message: str) -> str:
    """The sentence telling an applicant about one reason (internal codes included)."""
    if code is ReasonCode.FORM_INVALID:
        match = _operator_pattern(code).fullmatch(operator_message.strip())
        return _form_invalid(match.group("detail") if match else "")
    template = _DETAILED.get(code)
    if template is not None:
        match = _operator_pattern(code).fullmatch(operator_message.strip())
        if match is not None:
            try:
                return template.format(**match.groupdict())
            except (KeyError, IndexError):  # the operator template lost a field we use
                pass
    return APPLICANT_TEXT[code]


@dataclass(frozen=True)
class ApplicantReasons:
    """What a notice tells the applicant, and what it leaves out."""

    sentences: tuple[str, ...]  # in the rejection's order, without repeats
    codes: frozenset[ReasonCode]  # the codes told
    omitted: tuple[str, ...]  # codes not told: internal ones, and codes this version lacks


def applicant_reasons(reasons: Iterable[tuple[str, str]]) -> ApplicantReasons:
    """The applicant's sentences for ``(code, operator message)`` pairs from the log."""
    sentences: list[str] = []
    codes: set[ReasonCode] = set()
    omitted: list[str] = []
    for raw_code, message in reasons:
        try:
            code = ReasonCode(raw_code)
        except ValueError:
            omitted.append(raw_code)
            continue
        if code in INTERNAL_CODES:
            omitted.append(code.value)
            continue
        codes.add(code)
        sentence = applicant_sentence(code, message)
        if sentence not in sentences:
            sentences.append(sentence)
    return ApplicantReasons(tuple(sentences), frozenset(codes), tuple(omitted))
