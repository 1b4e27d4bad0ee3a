"""The names a 受講申込書 gave, kept on its message so the search box finds the mail by them.

An operator looks a rejected mail up by the name the applicant wrote in kanji or kana, which
the subject (romaji) does not carry; the forms are read once, when the mail is judged.
"""

from __future__ import annotations

from collections.abc import Sequence

from intake.adapters.formreader import read_application_form
from intake.adapters.orm import Message
from intake.adapters.workbook import WorkbookError
from intake.domain.forms import ApplicationForm
from intake.domain.model import DocType
from intake.domain.text import storable_text

_NAME_LENGTH = 255  # messages.name_kanji / name_kana


def note_names(message: Message, form: ApplicationForm | None) -> None:
    """Keep the kanji and kana names the form gave on the message."""
    if form is None:
        return
    if form.name_kanji:
        message.name_kanji = storable_text(form.name_kanji, _NAME_LENGTH)
    if form.name_kana:
        message.name_kana = storable_text(form.name_kana, _NAME_LENGTH)


def note_names_from_forms(message: Message, payloads: Sequence[bytes]) -> None:
    """A mail judged on its envelope alone (no name in the subject) may still carry a
    readable 受講申込書: its names make the rejection findable by them."""
    for row, payload in zip(message.attachments, payloads, strict=False):
        filename = row.filename or ""
        if row.doc_type != DocType.APPLICATION_FORM or not filename.lower().endswith(".xlsx"):
            continue
        try:
            reading = read_application_form(payload, filename)
        except WorkbookError:
            continue
        note_names(message, reading.application)
        return
