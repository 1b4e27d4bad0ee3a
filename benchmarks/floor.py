#!/usr/bin/env python3
"""The floor: one process doing only the work every intake must do, and nothing else.

imapclient fetches the INBOX in batches (BODY.PEEK[], imaplib's debug formatting off), the
standard library's email parser extracts the attachments, openpyxl in read-only mode reads every
cell of both forms. No database, no file store, no fsync, no rules, no marks on the server.

    BENCH_IMAP_PASSWORD=... python benchmarks/floor.py --port 1143 --user bench1 \
        --expect-name "SONIKI Teka" ...

Prints one JSON line: messages seen, and how many had two readable forms naming their
applicant plus one other attachment (``complete``), so the work is checked, not just timed.
"""

from __future__ import annotations

import email
import io
import json
import logging
import os
from email.header import decode_header, make_header
from email.message import Message

import openpyxl
from contender_args import mailbox_parser
from imapclient import IMAPClient

FETCH_BATCH = 20  # messages per FETCH, intake's default fetch_batch_size


def decoded(value: object) -> str:
    try:
        return str(make_header(decode_header(value)))  # type: ignore[arg-type]
    except (UnicodeError, LookupError, ValueError, TypeError):
        return str(value)  # raw 8-bit text stays as the parser left it


def attachments(message: Message) -> list[tuple[str, bytes]]:
    found = []
    for part in message.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        if filename is None:
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            found.append((decoded(filename), payload))
    return found


def form_cells(data: bytes) -> list[object]:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]  # the form; the hidden リスト sheet comes after it
        return [value for row in sheet.iter_rows(values_only=True) for value in row if value]
    finally:
        book.close()


def main() -> None:
    parser = mailbox_parser(__doc__.splitlines()[0])
    parser.add_argument("--folder", default="INBOX")
    args = parser.parse_args()

    logging.getLogger("imapclient").setLevel(logging.WARNING)
    client = IMAPClient(args.host, port=args.port, ssl=False, timeout=120)
    client._imap.debug = 0  # imapclient sets 5: imaplib would format every body for the log
    client.login(args.user, os.environ[args.password_env])
    client.select_folder(args.folder, readonly=True)
    uids = client.search("ALL")
    seen = complete = 0
    for start in range(0, len(uids), FETCH_BATCH):
        fetched = client.fetch(uids[start : start + FETCH_BATCH], ["BODY.PEEK[]"])
        for data in fetched.values():
            seen += 1
            message = email.message_from_bytes(data[b"BODY[]"])
            subject = decoded(message.get("Subject", ""))
            name = subject.partition("_")[2].strip()
            found = attachments(message)
            forms = [form_cells(payload) for _, payload in found if payload[:2] == b"PK"]
            others = len(found) - len(forms)
            if len(forms) == 2 and others >= 1 and all(name in cells for cells in forms):
                complete += 1
    client.logout()
    print(json.dumps({"messages": seen, "complete": complete}))


if __name__ == "__main__":
    main()
