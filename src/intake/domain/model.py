"""The vocabulary of the desk: outcomes, document types, reasons, terms."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

TOKYO = ZoneInfo("Asia/Tokyo")


class Outcome(StrEnum):
    """What became of one received message; exactly one per message."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    OTHER = "other"  # an inquiry for a human: no application subject, no attachment
    IGNORED = "ignored"  # auto-replies and bounces; never acknowledged
    DUPLICATE = "duplicate"  # the same message already recorded
    SUPPLEMENT = "supplement"  # documents completing an earlier submission of the same applicant


class DocType(StrEnum):
    APPLICATION_FORM = "application_form"
    EXPERIENCE_SHEET = "experience_sheet"
    EMPLOYMENT_CERTIFICATE = "employment_certificate"
    EXPERIENCE_PROOF = "experience_proof"
    QUALIFICATION_PROOF = "qualification_proof"


# The two agency forms must be Excel; the supporting documents may be scans or documents.
FORM_EXTENSIONS = frozenset({"xlsx"})
SUPPORTING_EXTENSIONS = frozenset({"pdf", "jpg", "jpeg", "png", "xlsx", "docx"})
ALLOWED_EXTENSIONS: dict[DocType, frozenset[str]] = {
    DocType.APPLICATION_FORM: FORM_EXTENSIONS,
    DocType.EXPERIENCE_SHEET: FORM_EXTENSIONS,
    DocType.EMPLOYMENT_CERTIFICATE: SUPPORTING_EXTENSIONS,
    DocType.EXPERIENCE_PROOF: SUPPORTING_EXTENSIONS,
    DocType.QUALIFICATION_PROOF: SUPPORTING_EXTENSIONS,
}


class ReasonCode(StrEnum):
    SUBJECT_FORMAT = "SUBJECT_FORMAT"
    SUBJECT_NAME_NOT_ROMAJI = "SUBJECT_NAME_NOT_ROMAJI"
    OUTSIDE_PERIOD = "OUTSIDE_PERIOD"
    MISSING_APPLICATION_FORM = "MISSING_APPLICATION_FORM"
    MISSING_EXPERIENCE_SHEET = "MISSING_EXPERIENCE_SHEET"
    MISSING_EMPLOYMENT_CERTIFICATE = "MISSING_EMPLOYMENT_CERTIFICATE"
    ATTACHMENT_NAME_FORMAT = "ATTACHMENT_NAME_FORMAT"
    ATTACHMENT_NAME_MISMATCH = "ATTACHMENT_NAME_MISMATCH"
    ATTACHMENT_FILE_TYPE = "ATTACHMENT_FILE_TYPE"
    FORM_NOT_XLSX = "FORM_NOT_XLSX"
    ATTACHMENT_TOO_LARGE = "ATTACHMENT_TOO_LARGE"
    MESSAGE_TOO_LARGE = "MESSAGE_TOO_LARGE"
    PROCESSING_ERROR = "PROCESSING_ERROR"
    # The contents of the Excel forms.
    WORKBOOK_UNREADABLE = "WORKBOOK_UNREADABLE"
    FORM_NOT_OFFICIAL_TEMPLATE = "FORM_NOT_OFFICIAL_TEMPLATE"
    FORM_INVALID = "FORM_INVALID"
    FORM_NAME_MISMATCH = "FORM_NAME_MISMATCH"
    TERM_MISMATCH = "TERM_MISMATCH"
    MISSING_QUALIFICATION_PROOF = "MISSING_QUALIFICATION_PROOF"


class Reason(BaseModel):
    """One problem with a message: a stable code and a Japanese sentence for operators."""

    model_config = ConfigDict(frozen=True)

    code: ReasonCode
    message: str


DocumentNameList = Annotated[list[str], Field(min_length=1)]


class DocumentNames(BaseModel):
    """Document names accepted before ``_<name>`` in attachment names (aliases included)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    application_form: DocumentNameList = Field(default_factory=lambda: ["受講申込書"])
    experience_sheet: DocumentNameList = Field(default_factory=lambda: ["実務経験申告書"])
    employment_certificate: DocumentNameList = Field(default_factory=lambda: ["在職証明書"])
    experience_proof: DocumentNameList = Field(
        default_factory=lambda: ["疎明資料", "実務経験疎明資料", "実務経験証明書", "在籍証明書"]
    )
    qualification_proof: DocumentNameList = Field(
        default_factory=lambda: ["資格証明書", "登録証", "登録証明書", "合格証書", "資格証"]
    )

    def by_type(self) -> dict[DocType, list[str]]:
        return {doc: list(getattr(self, doc.value)) for doc in DocType}


def _aware(value: datetime) -> datetime:
    # A deadline written without an offset is a deadline in Tokyo, as the page states them.
    return value.replace(tzinfo=TOKYO) if value.tzinfo is None else value


_DATE_ONLY = re.compile(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*")


def _with_time_of_day(value: object) -> object:
    """Refuse a date without a time: "2025-07-01" would silently mean 00:00, 17 hours before
    a 17:00 deadline. Say which time to write instead of guessing."""
    day: date | None = None
    if isinstance(value, date) and not isinstance(value, datetime):
        day = value
    elif isinstance(value, str) and (found := _DATE_ONLY.fullmatch(value)):
        try:
            day = date(*(int(part) for part in found.groups()))
        except ValueError:
            return value  # not a date at all: the datetime parser says so
    if day is not None:
        raise ValueError(
            f"日付だけ（{day}）では時刻が分かりません。"
            f'"{day}T17:00:00+09:00" のように時刻まで書いてください'
        )
    return value


AwareDatetime = Annotated[datetime, BeforeValidator(_with_time_of_day), AfterValidator(_aware)]


# Decision notices are due by this time (Tokyo) on the term's decision_notice_by.
DECISION_NOTICE_TIME = time(17, 0)


class Term(BaseModel):
    """One application term (期): its period and capacity, and what the selection needs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: int = Field(ge=1)
    name: str
    opens_at: AwareDatetime
    closes_at: AwareDatetime
    capacity: int = Field(default=60, ge=1)
    training_starts_on: date
    # 受講生の決定: selected applicants are told by 17:00 Tokyo time on this date; no notice
    # by then means not selected (the recruitment page).
    decision_notice_by: date | None = None
    # Also tell 見送り (選考結果のお知らせ); by default only the selected are written to.
    notify_not_selected: bool = False
    # Quoted by the notice as written (free text).
    venue: str | None = None
    training_dates: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Term:
        if self.closes_at <= self.opens_at:
            raise ValueError(f"{self.name}: closes_at が opens_at 以前です")
        closing_day = self.closes_at.astimezone(TOKYO).date()
        if self.decision_notice_by is not None and self.decision_notice_by < closing_day:
            raise ValueError(
                f"{self.name}: decision_notice_by（{self.decision_notice_by}）が締切日"
                f"（{closing_day}）より前です"
            )
        return self

    @property
    def decision_deadline(self) -> datetime | None:
        """When decision notices are due: 17:00 Tokyo time on ``decision_notice_by``."""
        if self.decision_notice_by is None:
            return None
        return datetime.combine(self.decision_notice_by, DECISION_NOTICE_TIME, tzinfo=TOKYO)

    def contains(self, instant: datetime) -> bool:
        return self.opens_at <= instant <= self.closes_at


# Deadlines are published at office hours on the hour ("17:00"); anything else is likelier a
# typing slip (a date-only value read as 00:00, 71:00 meant as 17:00) than a real deadline.
BUSINESS_HOURS = range(9, 19)


def odd_deadline(term: Term) -> str | None:
    """A warning when the term's deadline is not on the hour within office hours."""
    local = term.closes_at.astimezone(TOKYO)
    if local.minute == 0 and local.second == 0 and local.hour in BUSINESS_HOURS:
        return None
    return (
        f"{term.name}の締切（closes_at）が {local:%Y-%m-%d %H:%M:%S} になっています。"
        "業務時間内のちょうどの時刻（例: 17:00）でなければ、書き誤りでないか確認してください。"
    )


def open_terms(terms: list[Term], received_at: datetime) -> list[Term]:
    """Terms whose application period contains the received time (bounds included).

    Periods may overlap (第1期 closes after 第2期 opens): then the form decides the term.
    """
    return sorted((t for t in terms if t.contains(received_at)), key=lambda t: t.opens_at)
