"""Is a new message one already recorded? (:mod:`intake.domain.duplicates` says what that means.)

The database finds earlier records with the same Message-ID and body; their identifying headers
are read back from the stored raw bytes and compared with the new message's.
"""

from __future__ import annotations

from dataclasses import dataclass

from intake.adapters.filestore import FileStore
from intake.adapters.headerblock import header_values, header_values_of_file
from intake.adapters.orm import Message
from intake.domain.duplicates import (
    IDENTIFYING_HEADERS,
    duplicate_note,
    reused_message_id_note,
    same_message,
)
from intake.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Sameness:
    original: Message | None  # the record this message duplicates, if any
    notes: tuple[str, ...] = ()  # what the new record should say


def find_original(
    uow: UnitOfWork, store: FileStore, raw: bytes, message_id: str | None, content_sha256: str
) -> Sameness:
    """The earlier record of the same message, or None with a warning when only its
    Message-ID was seen before (with other content)."""
    identity = header_values(raw, IDENTIFYING_HEADERS)
    for candidate in uow.repo.recorded_with_body(message_id, content_sha256):
        if same_message(identity, _identity_of(store, candidate)):
            return Sameness(candidate, (duplicate_note(candidate.id),))
    if message_id is not None:
        reused = uow.repo.first_with_message_id(message_id)
        if reused is not None:
            return Sameness(None, (reused_message_id_note(reused.id),))
    return Sameness(None)


def _identity_of(store: FileStore, record: Message) -> tuple[str, ...]:
    try:
        return header_values_of_file(store.path(record.raw_path), IDENTIFYING_HEADERS)
    except OSError:  # the stored bytes are gone: nothing proves it is the same message
        return ()
