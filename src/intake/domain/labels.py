"""The Japanese names operators read for every state, outcome, resolution, document and reason:
one home, keyed by the enums, for every table, export, message and mail."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, TypeVar

from intake.domain.eligibility import EligibilityStatus
from intake.domain.lifecycle import (
    ApplicationStatus,
    Decision,
    NoticeState,
    RejectionStatus,
    Resolution,
    SendStatus,
    ServerState,
    TermState,
)
from intake.domain.model import DocType, Outcome, ReasonCode

ELIGIBILITY_LABELS: dict[EligibilityStatus, str] = {
    EligibilityStatus.ELIGIBLE: "資格あり",
    EligibilityStatus.INELIGIBLE: "資格なし",
    EligibilityStatus.NEEDS_REVIEW: "要確認",
}

APPLICATION_STATUS_LABELS: dict[ApplicationStatus, str] = {
    ApplicationStatus.ACCEPTED: "受付",
    ApplicationStatus.SUPERSEDED: "再提出により置換",
}

# The acknowledgements' outbox, as the queue shows it.
ACK_LABELS: dict[SendStatus, str] = {
    SendStatus.PENDING: "送信待ち",
    SendStatus.CLAIMED: "送信処理中",
    SendStatus.SENDING: "送信中",
    SendStatus.SENT: "送信済み",
    SendStatus.HELD: "保留",
    SendStatus.FAILED: "送信失敗",
    SendStatus.CANCELLED: "取消",
}

# The 不備のご連絡: a held one is one whose fate is unknown (never held on purpose), so say so.
DEFICIENCY_NOTICE_LABELS: dict[SendStatus, str] = {
    **ACK_LABELS,
    SendStatus.HELD: "送信結果不明で保留",
}

# The agency's decision, as written in the selection workbook's 決定 column (and read back).
DECISION_LABELS: dict[Decision, str] = {
    Decision.SELECTED: "決定",
    Decision.WAITLISTED: "補欠",
    Decision.NOT_SELECTED: "見送り",
}

# The notice each decision is told by (a 補欠 is told nothing).
DECISION_NOTICE_NAMES: dict[Decision, str] = {
    Decision.SELECTED: "受講決定のお知らせ",
    Decision.NOT_SELECTED: "選考結果のお知らせ",
}

# A decision notice's outbox state; a held one needs a person (unknown fate, or no usable
# address in the 受講申込書).
DECISION_NOTICE_LABELS: dict[SendStatus, str] = {
    **ACK_LABELS,
    SendStatus.HELD: "保留（要確認）",
}

# Whether a rejection's applicant was told (all its 不備のご連絡 together), as one word for lists.
NOTICE_STATE_LABELS: dict[NoticeState, str] = {
    NoticeState.NONE: "未送信",
    NoticeState.SENT: "送信済み",
    NoticeState.UNKNOWN: "送信結果不明",
    NoticeState.FAILED: "送信失敗",
}

REJECTION_STATUS_LABELS: dict[RejectionStatus, str] = {
    RejectionStatus.OPEN: "未対応",
    RejectionStatus.RESOLVED: "対応済み",
}

RESOLUTION_LABELS: dict[Resolution, str] = {
    Resolution.OPERATOR: "担当者が対応",
    Resolution.ACCEPTED: "担当者の判断で受付",
    Resolution.REPROCESSED: "再処理で受付",
    Resolution.SUPPLEMENTED: "追加書類で完備",
    Resolution.RESUBMITTED: "再提出された申込で受付",
}

SERVER_STATE_LABELS: dict[ServerState, str] = {
    ServerState.PENDING: "印付け待ち",
    ServerState.DONE: "処理済みの印あり",
    ServerState.NONE: "メールボックス外",
}

TERM_STATE_LABELS: dict[TermState, str] = {
    TermState.NOT_OPEN: "受付開始前",
    TermState.OPEN: "受付中",
    TermState.CUTOFF_PENDING: "締切処理待ち",
    TermState.CUTOFF_DONE: "締切処理済み",
}

OUTCOME_LABELS: dict[Outcome, str] = {
    Outcome.ACCEPTED: "受付",
    Outcome.REJECTED: "不備",
    Outcome.OTHER: "その他（問い合わせ等）",
    Outcome.IGNORED: "自動応答・エラー通知",
    Outcome.DUPLICATE: "重複",
    Outcome.SUPPLEMENT: "追加書類",
}

DOC_LABELS: dict[DocType, str] = {
    DocType.APPLICATION_FORM: "受講申込書",
    DocType.EXPERIENCE_SHEET: "実務経験申告書",
    DocType.EMPLOYMENT_CERTIFICATE: "在職証明書",
    DocType.EXPERIENCE_PROOF: "実務経験の疎明資料",
    DocType.QUALIFICATION_PROOF: "国家資格の疎明資料",
}

# A short name for each code, for counts and summaries (the full sentence names one applicant).
REASON_LABELS: dict[ReasonCode, str] = {
    ReasonCode.SUBJECT_FORMAT: "件名の形式が違う",
    ReasonCode.SUBJECT_NAME_NOT_ROMAJI: "件名の氏名がローマ字でない",
    ReasonCode.OUTSIDE_PERIOD: "募集期間外の受信",
    ReasonCode.MISSING_APPLICATION_FORM: "受講申込書がない",
    ReasonCode.MISSING_EXPERIENCE_SHEET: "実務経験申告書がない",
    ReasonCode.MISSING_EMPLOYMENT_CERTIFICATE: "在職証明書がない",
    ReasonCode.ATTACHMENT_NAME_FORMAT: "添付ファイル名の形式が違う",
    ReasonCode.ATTACHMENT_NAME_MISMATCH: "添付ファイル名の氏名が件名と違う",
    ReasonCode.ATTACHMENT_FILE_TYPE: "添付ファイルの形式が使えない",
    ReasonCode.FORM_NOT_XLSX: "様式が Excel（.xlsx）でない",
    ReasonCode.ATTACHMENT_TOO_LARGE: "添付ファイルが大きすぎる",
    ReasonCode.MESSAGE_TOO_LARGE: "メールが大きすぎる",
    ReasonCode.PROCESSING_ERROR: "処理中のエラー",
    ReasonCode.WORKBOOK_UNREADABLE: "Excel ファイルを読み取れない",
    ReasonCode.FORM_NOT_OFFICIAL_TEMPLATE: "所定の様式でない",
    ReasonCode.FORM_INVALID: "様式の記入に不備",
    ReasonCode.FORM_NAME_MISMATCH: "様式の氏名が件名と違う",
    ReasonCode.TERM_MISMATCH: "様式の期と受信日時が合わない",
    ReasonCode.MISSING_QUALIFICATION_PROOF: "国家資格の証明書類がない",
}

# Every state's label, whichever lifecycle it belongs to (for refusals and histories).
_STATE_LABELS: dict[type[StrEnum], Mapping[Any, str]] = {
    ApplicationStatus: APPLICATION_STATUS_LABELS,
    Decision: DECISION_LABELS,
    NoticeState: NOTICE_STATE_LABELS,
    SendStatus: ACK_LABELS,
    RejectionStatus: REJECTION_STATUS_LABELS,
    Resolution: RESOLUTION_LABELS,
    ServerState: SERVER_STATE_LABELS,
    TermState: TERM_STATE_LABELS,
}


K = TypeVar("K", bound=StrEnum)


def label(labels: Mapping[K, str], value: K | None) -> str:
    """The label of a value; None (no such state yet) is shown as empty."""
    if value is None:
        return ""
    return labels.get(value, value)


def state_label(state: StrEnum) -> str:
    """The label of a state of any lifecycle in :mod:`intake.domain.lifecycle`."""
    labels = _STATE_LABELS.get(type(state), {})
    return labels.get(state, state.value)


# What each operator or system action in the audit trail did, as the history shows it.
AUDIT_ACTION_LABELS: dict[str, str] = {
    "rejection.reprocess": "再処理",
    "rejection.accept": "担当者の判断で受付",
    "rejection.resolve": "対応済みにした",
    "rejection.reopen": "未対応に戻した",
    "rejection.notify": "不備のご連絡",
    "rejection.supplemented": "追加書類で書類がそろった",
    "rejection.partly_supplemented": "追加書類を受信（まだ不備あり）",
    "rejection.resubmitted": "再提出された申込で解決",
    "ack.hold": "受付完了メールを保留",
    "ack.release": "受付完了メールを送信待ちに戻した",
    "ack.confirm": "受付完了メールの到着を確認",
    "export.applications": "申込者一覧を書き出し",
    "export.rejections": "不備ログを書き出し",
    "attachments.get": "添付書類を書き出し",
    "selection.prepare": "選考表を作成",
    "selection.import": "選考表を取り込み",
    "selection.decide": "決定を記録",
    "selection.notify": "決定のお知らせを送信",
    "selection.hold": "決定のお知らせを保留",
    "selection.release": "決定のお知らせを送信待ちに戻した",
    "selection.confirm": "決定のお知らせの到着を確認",
    "selection.deadline_alert": "通知期日の警告メール",
}
