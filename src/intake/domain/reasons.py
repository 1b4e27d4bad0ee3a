"""Japanese operator messages for each reason code, in one place."""

from __future__ import annotations

from intake.domain.model import Reason, ReasonCode

REASON_TEMPLATES: dict[ReasonCode, str] = {
    ReasonCode.SUBJECT_FORMAT: (
        "件名「{subject}」が所定の形式「受講申込_氏名（ローマ字）」になっていません。"
    ),
    ReasonCode.SUBJECT_NAME_NOT_ROMAJI: (
        "件名の氏名「{name}」がローマ字表記ではありません（例：受講申込_YAMADA Taro）。"
    ),
    ReasonCode.OUTSIDE_PERIOD: (
        "受信日時 {received} はいずれの期の募集期間にも含まれません（{periods}）。"
    ),
    ReasonCode.MISSING_APPLICATION_FORM: (
        "受講申込書（ファイル名「受講申込書_{name}.xlsx」）が添付されていません。"
    ),
    ReasonCode.MISSING_EXPERIENCE_SHEET: (
        "実務経験申告書（ファイル名「実務経験申告書_{name}.xlsx」）が添付されていません。"
        "国家資格により実務経験が免除される場合は、資格を証明する書類の添付が必要です。"
    ),
    ReasonCode.MISSING_EMPLOYMENT_CERTIFICATE: (
        "在職証明書（ファイル名「在職証明書_{name}.pdf」など）が添付されていません。"
    ),
    ReasonCode.ATTACHMENT_NAME_FORMAT: (
        "添付ファイル「{filename}」の名前が所定の形式「資料名_氏名（ローマ字）」になっていません"
        "（資料名として使えるもの：{documents}）。"
    ),
    ReasonCode.ATTACHMENT_NAME_MISMATCH: (
        "添付ファイル「{filename}」の氏名「{name}」が件名の氏名「{subject_name}」と一致しません。"
    ),
    ReasonCode.ATTACHMENT_FILE_TYPE: (
        "添付ファイル「{filename}」（{document}）の形式 .{extension} は受け付けていません"
        "（使える形式：{allowed}）。"
    ),
    ReasonCode.FORM_NOT_XLSX: (
        "{document}「{filename}」が Excel 形式（.xlsx）ではありません。"
        "所定の様式を Excel 形式のまま提出する必要があります。"
    ),
    ReasonCode.ATTACHMENT_TOO_LARGE: (
        "添付ファイル「{filename}」のサイズ {size} が上限 {limit} を超えています。"
    ),
    ReasonCode.MESSAGE_TOO_LARGE: (
        "メール全体のサイズ {size} が上限 {limit} を超えているため、内容を確認できません。"
        "原本は保存済みです。"
    ),
    ReasonCode.PROCESSING_ERROR: (
        "メールの処理中に予期しないエラーが発生しました（{error}）。原本は保存済みです。"
        "内容を確認し、必要であれば再処理してください。"
    ),
    ReasonCode.WORKBOOK_UNREADABLE: (
        "添付ファイル「{filename}」を Excel ファイルとして読み取れません（{cause}）。"
    ),
    ReasonCode.FORM_NOT_OFFICIAL_TEMPLATE: (
        "添付ファイル「{filename}」は所定の様式（{document}）ではありません。"
        "出入国在留管理庁のホームページからダウンロードした様式で提出する必要があります。"
    ),
    # The form reader writes the whole sentence (sheet, cell, field and problem).
    ReasonCode.FORM_INVALID: "{detail}",
    ReasonCode.FORM_NAME_MISMATCH: (
        "{document}の氏名（ローマ字）「{form_name}」が件名の氏名「{subject_name}」と一致しません。"
    ),
    ReasonCode.TERM_MISMATCH: (
        "{form_term}用の受講申込書ですが、受信日時 {received} は{form_term}の募集期間外です"
        "（受付中: {open_terms}）。"
    ),
    ReasonCode.MISSING_QUALIFICATION_PROOF: (
        "受講申込書で国家資格（{qualifications}）を申告していますが、資格を証明する書類"
        "（登録証・合格証書の写し等、ファイル名「登録証_{name}.pdf」など）が添付されていません。"
    ),
}


# What the applicant wrote is quoted at most this long (a 1 MB subject would otherwise be copied
# into every reason); the full value is kept once, in the message's record.
QUOTE_MAX = 200
# Details intake composes itself (term periods, document names, sizes): never cut.
_OWN_DETAILS = frozenset(
    {"received", "periods", "documents", "document", "allowed", "size", "limit", "error"}
    | {"form_term", "open_terms", "qualifications"}
)
# The form reader's whole sentence, which quotes a cell: cut only when absurdly long.
_SENTENCE_MAX = 3 * QUOTE_MAX


def reason(code: ReasonCode, **details: object) -> Reason:
    quoted = {key: _capped(key, value) for key, value in details.items()}
    return Reason(code=code, message=REASON_TEMPLATES[code].format(**quoted))


def quoted(text: str, limit: int = QUOTE_MAX) -> str:
    """User text as a message quotes it: at most ``limit`` characters, then 「…」."""
    return text if len(text) <= limit else text[:limit] + "…"


def _capped(key: str, value: object) -> object:
    if not isinstance(value, str) or key in _OWN_DETAILS:
        return value
    return quoted(value, _SENTENCE_MAX if key == "detail" else QUOTE_MAX)


def human_size(size: int) -> str:
    """Byte counts as operators read them: 20 MB, 512 KB, 800 バイト."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} バイト"
