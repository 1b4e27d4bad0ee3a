"""Reading the agency's two Excel forms into :mod:`intake.domain.forms` models.

The layout comes from :mod:`intake.adapters.formspecs`. The form is identified first
(:mod:`~intake.adapters.formidentify`), its fields are read next to their labels
(:mod:`~intake.adapters.formfields`) and, on the experience sheet, the experience table
(:mod:`~intake.adapters.formtable`). Only a bounded window of each sheet is ever read
(:mod:`~intake.adapters.formgrid`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from intake.adapters.formfields import FieldReader
from intake.adapters.formidentify import identify_form
from intake.adapters.formspecs import FORM_SPECS, FormSpec
from intake.adapters.formtable import ExperienceSheetReader
from intake.adapters.workbook import open_workbook
from intake.domain.forms import (
    ApplicationForm,
    ExperienceDeclaration,
    ExperienceEntry,
    FormReading,
)
from intake.domain.model import DocType


def read_application_form(
    data: bytes, filename: str, specs: Sequence[FormSpec] = FORM_SPECS
) -> FormReading:
    """様式1 受講申込書. Raises WorkbookError when unreadable or not the agency's form."""
    del filename  # the caller names the file in its own messages
    workbook = open_workbook(data)
    found = identify_form(workbook, DocType.APPLICATION_FORM, specs)
    reader = FieldReader(found.spec, found.grid)
    for warning in found.warnings:
        reader.add(f"{reader.prefix}：{warning}", severity="warning")
    values = reader.read_fields()
    application = ApplicationForm.model_validate(
        {
            "form_id": found.spec.form_id,
            "term": found.spec.term if found.term_known else None,
            "qualifications": reader.read_qualifications(),
            **values,
        }
    )
    return FormReading(application=application, issues=tuple(reader.issues))


def read_experience_sheet(
    data: bytes, filename: str, specs: Sequence[FormSpec] = FORM_SPECS
) -> FormReading:
    """様式2 実務経験申告書. Raises WorkbookError when unreadable or not the agency's form."""
    del filename
    workbook = open_workbook(data)
    found = identify_form(workbook, DocType.EXPERIENCE_SHEET, specs)
    reader = ExperienceSheetReader(found.spec, found.grid)
    for warning in found.warnings:
        reader.add(f"{reader.prefix}：{warning}", severity="warning")
    values = reader.read_fields()
    entries: list[ExperienceEntry] = []
    notes: list[str] = []
    declared_total = None
    if found.spec.table is not None:
        declared_on = values.get("declaration_date")
        entries, notes, declared_total = reader.read_table(
            found.spec.table, declared_on if isinstance(declared_on, date) else None
        )
    experience = ExperienceDeclaration.model_validate(
        {
            "form_id": found.spec.form_id,
            "entries": tuple(entries),
            "table_notes": tuple(notes),
            "declared_total": declared_total,
            **values,
        }
    )
    return FormReading(experience=experience, issues=tuple(reader.issues))
