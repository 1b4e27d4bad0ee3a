"""The two agency forms as data: 様式1 受講申込書 and 様式2 実務経験申告書.

Field names follow FORMS.md. Every value is optional here because applicants leave cells
blank or type the unreadable; what is required is decided by validation, which reports each
problem as a FormIssue naming the sheet, the cell and the field.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

# The five national qualifications that waive the experience requirement, in form order.
EXEMPTING_QUALIFICATIONS: tuple[str, ...] = (
    "社会福祉士",
    "キャリアコンサルタント",
    "キャリアコンサルティング技能士（1級・2級）",
    "公認心理師",
    "精神保健福祉士",
)

# Who runs the applicant's current window (受講申込書 B15).
OPERATOR_TYPES: tuple[str, ...] = (
    "地方公共団体",
    "地方公共団体の委託等を受けた機関",
    "国",
    "国の委託等を受けた機関",
    "民間団体",
)
ELIGIBLE_OPERATOR_TYPES = frozenset({"地方公共団体", "地方公共団体の委託等を受けた機関"})

ROLES: tuple[str, ...] = ("相談対応者", "相談対応者に対して助言・指導する立場")

PREFECTURES: tuple[str, ...] = (
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県",
    "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県",
    "山梨県", "長野県", "岐阜県", "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府",
    "兵庫県", "奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県",
    "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県",
    "鹿児島県", "沖縄県",
)  # fmt: skip


class Mark(StrEnum):
    """A checkbox cell as the applicant filled it."""

    CHECKED = "checked"
    UNCHECKED = "unchecked"
    UNKNOWN = "unknown"  # a mark we do not recognise: needs a person to look


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Qualification(_Model):
    name: str  # one of EXEMPTING_QUALIFICATIONS
    mark: Mark = Mark.UNCHECKED
    registration_no: str | None = None


class ApplicationForm(_Model):
    """様式1 受講申込書."""

    form_id: str  # the spec that read it, e.g. "CSF-R7-FORM1-T1"
    term: int | None  # 1 for a 第1期 form, 2 for 第2期; None when the form no longer says
    application_date: date | None = None
    name_kanji: str | None = None
    name_kana: str | None = None
    name_romaji: str | None = None
    birth_date: date | None = None
    nationality: str | None = None
    email: str | None = None
    phone: str | None = None
    org_name: str | None = None
    postal_code: str | None = None
    prefecture: str | None = None
    address: str | None = None
    window_name: str | None = None
    operator_type: str | None = None
    is_one_stop_center: bool | None = None
    annual_consultations: int | None = None
    annual_open_days: int | None = None
    role: str | None = None
    job_title: str | None = None
    qualifications: tuple[Qualification, ...] = ()
    consent_privacy: Mark = Mark.UNCHECKED
    consent_truthful: Mark = Mark.UNCHECKED
    remarks: str | None = None

    @property
    def declared_qualifications(self) -> tuple[str, ...]:
        return tuple(q.name for q in self.qualifications if q.mark is Mark.CHECKED)


class ExperienceEntry(_Model):
    """One row of the 実務経験申告書 table."""

    row: int  # the sheet row it was read from (for messages)
    no: int | None = None
    period_from: date | None = None
    period_to: date | None = None
    ongoing: bool = False  # 現在 / 継続中 typed as the end: still working there
    organisation: str | None = None
    window_name: str | None = None
    employment_type: str | None = None  # 常勤 / 非常勤
    days_worked: int | None = Field(default=None, ge=0)
    duties: str | None = None


class ExperienceDeclaration(_Model):
    """様式2 実務経験申告書."""

    form_id: str  # e.g. "CSF-R7-FORM2"
    name_kanji: str | None = None
    name_romaji: str | None = None
    entries: tuple[ExperienceEntry, ...] = ()
    # Text typed into the table instead of data, e.g. 「（社会福祉士の資格を有するため省略）」.
    table_notes: tuple[str, ...] = ()
    declared_total: int | None = None  # the 合計 cell as saved: never trusted, kept for review
    declaration_date: date | None = None
    signer_name: str | None = None

    @property
    def computed_total(self) -> int:
        return sum(e.days_worked or 0 for e in self.entries)


class FormIssue(_Model):
    """One problem in a form: where it is and what is wrong, in Japanese.

    ``severity`` "error" rejects the application (reason FORM_INVALID); "warning" is listed
    with the application for a person to check.
    """

    sheet: str
    cell: str | None  # e.g. "B9"; None when the problem is not one cell (a missing sheet)
    field: str | None  # FORMS.md field name, e.g. "email"
    label: str | None  # the form's own label, e.g. "メールアドレス"
    message: str  # a full sentence, e.g. 「受講申込書 B9（メールアドレス）が空欄です。」
    severity: str = "error"


class FormReading(_Model):
    """What reading one workbook produced."""

    application: ApplicationForm | None = None
    experience: ExperienceDeclaration | None = None
    issues: tuple[FormIssue, ...] = ()
