"""Japanese names of the statuses operators see, in one place for every table and export."""

from __future__ import annotations

ELIGIBILITY_LABELS = {"eligible": "資格あり", "ineligible": "資格なし", "needs_review": "要確認"}

APPLICATION_STATUS_LABELS = {"accepted": "受付", "superseded": "再提出により置換"}

ACK_LABELS = {
    "pending": "送信待ち",
    "claimed": "送信処理中",
    "sending": "送信中",
    "sent": "送信済み",
    "held": "保留",
    "failed": "送信失敗",
    "cancelled": "取消",
}

REJECTION_STATUS_LABELS = {"open": "未対応", "resolved": "対応済み"}

RESOLUTION_LABELS = {
    "operator": "担当者が対応",
    "accepted": "担当者の判断で受付",
    "reprocessed": "再処理で受付",
    "supplemented": "追加書類で完備",
    "resubmitted": "再提出された申込で受付",
}
