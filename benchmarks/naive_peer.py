#!/usr/bin/env python3
"""The naive peer: the intake loop a developer writes first, with the usual libraries.

imap_tools fetches one message per command, mail-parser parses it, openpyxl in its default mode
loads both forms and reads every cell, and each message is committed to a small SQLite table on
its own (one transaction per message).

    BENCH_IMAP_PASSWORD=... python benchmarks/naive_peer.py --port 1143 --user bench2 \
        --database /tmp/naive.db

Prints one JSON line like the floor: messages seen and ``complete`` ones.
"""

from __future__ import annotations

import base64
import io
import json
import os
import sqlite3
from typing import Any, cast

import mailparser
import openpyxl
from contender_args import mailbox_parser
from imap_tools import MailBoxUnencrypted, MailMessage


class RawMailMessage(MailMessage):
    """imap_tools' message, keeping the fetched bytes for mail-parser."""

    def __init__(self, fetch_data: list[Any]) -> None:
        self.raw: bytes = self._get_message_data_parts(fetch_data)[0]
        super().__init__(fetch_data)


def form_cells(data: bytes) -> list[object]:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    return [cell.value for row in sheet.iter_rows() for cell in row if cell.value]


def main() -> None:
    parser = mailbox_parser(__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    args = parser.parse_args()

    db = sqlite3.connect(args.database)
    db.execute(
        "CREATE TABLE IF NOT EXISTS received (uid INTEGER PRIMARY KEY, subject TEXT,"
        " sender TEXT, applicant TEXT, attachments INTEGER, complete INTEGER)"
    )
    db.commit()
    seen = complete = 0
    mailbox = MailBoxUnencrypted(args.host, args.port)
    mailbox.email_message_class = RawMailMessage
    with mailbox.login(args.user, os.environ[args.password_env], "INBOX"):
        for fetched in mailbox.fetch(mark_seen=False):  # bulk=False: one FETCH per message
            message = cast(RawMailMessage, fetched)
            seen += 1
            mail = mailparser.parse_from_bytes(message.raw)
            name = mail.subject.partition("_")[2].strip()
            forms, others = [], 0
            for attachment in mail.attachments:
                payload = attachment["payload"]
                data = base64.b64decode(payload) if attachment["binary"] else payload.encode()
                if attachment["filename"].lower().endswith(".xlsx"):
                    forms.append(form_cells(data))
                else:
                    others += 1
            ok = len(forms) == 2 and others >= 1 and all(name in cells for cells in forms)
            complete += ok
            db.execute(
                "INSERT INTO received VALUES (?, ?, ?, ?, ?, ?)",
                (message.uid, mail.subject, str(mail.from_), name, len(forms) + others, ok),
            )
            db.commit()
    db.close()
    print(json.dumps({"messages": seen, "complete": complete}))


if __name__ == "__main__":
    main()
