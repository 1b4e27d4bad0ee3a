"""Stored documents read again for a person (the read side's
:class:`~intake.services.views.ports.DocumentReader`): what an attached form said, and a
stored mail's header fields and text body. Bad content never raises here: it becomes a
Japanese note, since a detail page must open whatever an applicant sent."""

from __future__ import annotations

import logging
from pathlib import Path

from intake.adapters.formreader import read_application_form, read_experience_sheet
from intake.adapters.formspecs import FORM_SPECS
from intake.adapters.mailparse import parse_mail_file, parse_mail_file_headers
from intake.adapters.workbook import WorkbookError
from intake.domain.model import DocType
from intake.domain.readmodel import FormSummary, MailContent

log = logging.getLogger(__name__)

# Header names as mail clients write them (the parser keeps them lower-case).
_HEADER_SPELLINGS = {"message-id": "Message-ID", "mime-version": "MIME-Version"}


def header_name(name: str) -> str:
    return _HEADER_SPELLINGS.get(name, "-".join(p.capitalize() for p in name.split("-")))


class StoredDocuments:
    def form_summary(self, doc_type: str, filename: str, data: bytes) -> FormSummary:
        try:
            if doc_type == DocType.APPLICATION_FORM.value:
                form = read_application_form(data, filename).application
                if form is None:
                    return FormSummary(filename, doc_type, problem="様式の内容がありません")
                return FormSummary(
                    filename,
                    doc_type,
                    term=form.term,
                    name_kanji=form.name_kanji,
                    name_kana=form.name_kana,
                    name_romaji=form.name_romaji,
                    email=form.email,
                    org_name=form.org_name,
                    window_name=form.window_name,
                )
            sheet = read_experience_sheet(data, filename).experience
            if sheet is None:
                return FormSummary(filename, doc_type, problem="様式の内容がありません")
            return FormSummary(
                filename,
                doc_type,
                name_kanji=sheet.name_kanji,
                name_romaji=sheet.name_romaji,
                experience_rows=len(sheet.entries),
                experience_days=sheet.computed_total,
            )
        except WorkbookError as exc:
            return FormSummary(filename, doc_type, problem=exc.cause)
        except Exception as exc:  # a reader bug must not keep a detail page from opening
            log.exception("form summary of %s failed", doc_type)
            return FormSummary(filename, doc_type, problem=f"内部エラー: {type(exc).__name__}")

    def mail_content(self, path: Path, *, headers_only: bool) -> MailContent:
        parsed = parse_mail_file_headers(path) if headers_only else parse_mail_file(path)
        return MailContent(
            headers=tuple((header_name(k), v) for k, v in parsed.headers.items()),
            body=parsed.body_text,
            defects=parsed.defects,
            complete=not headers_only,
        )

    def form_terms(self) -> frozenset[int]:
        return frozenset(spec.term for spec in FORM_SPECS if spec.term is not None)
