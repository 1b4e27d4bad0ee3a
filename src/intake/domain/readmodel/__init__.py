"""What the read side returns: plain, frozen records of what intake holds.

The command line and the web console show the same things, so they read the same records:
built by the query adapter from the database (no database object ever leaves it), completed
by :mod:`intake.services.views` (forms, mail bodies, term states), and labelled here in
Japanese from :mod:`intake.domain.labels`, so every screen says the same word.

Everything an applicant wrote (subjects, names, file names, bodies) is kept as written:
hostile input, for the showing side to escape.

One module per concept: :mod:`.paging` (pages, sorts, filters), :mod:`.mail`,
:mod:`.rejections`, :mod:`.applications`, :mod:`.desk`, :mod:`.selection`; every record is
importable from here.
"""

from __future__ import annotations

from intake.domain.readmodel.applications import (
    AckView,
    ApplicationDetail,
    ApplicationView,
    ExperienceView,
)
from intake.domain.readmodel.desk import (
    AckCounts,
    CutoffView,
    DeskStatus,
    MailboxView,
    TermCounts,
    TermOverview,
)
from intake.domain.readmodel.mail import (
    AttachmentView,
    MailContent,
    MessageDetail,
    MessageView,
)
from intake.domain.readmodel.paging import (
    ALL,
    AckFilter,
    ApplicationFilter,
    MessageFilter,
    Page,
    Paged,
    RejectionFilter,
    RejectionSort,
)
from intake.domain.readmodel.rejections import (
    AuditEntry,
    FormSummary,
    NoticeView,
    ReasonView,
    RejectionDetail,
    RejectionView,
)
from intake.domain.readmodel.selection import (
    DecisionNoticeView,
    SelectionDetail,
    SelectionRow,
)

__all__ = [
    "ALL",
    "AckCounts",
    "AckFilter",
    "AckView",
    "ApplicationDetail",
    "ApplicationFilter",
    "ApplicationView",
    "AttachmentView",
    "AuditEntry",
    "CutoffView",
    "DecisionNoticeView",
    "DeskStatus",
    "ExperienceView",
    "FormSummary",
    "MailContent",
    "MailboxView",
    "MessageDetail",
    "MessageFilter",
    "MessageView",
    "NoticeView",
    "Page",
    "Paged",
    "ReasonView",
    "RejectionDetail",
    "RejectionFilter",
    "RejectionSort",
    "RejectionView",
    "SelectionDetail",
    "SelectionRow",
    "TermCounts",
    "TermOverview",
]
