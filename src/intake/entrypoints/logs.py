"""The log of every command and of the daemon: what intake does, never its libraries' chatter.

cron mails everything a command writes to stderr to the operators, so only intake's own lines
may reach it. Libraries write through logging too: alembic an INFO line for every schema check
and migration, mail-parser a warning for each part it does not handle (intake reads those parts
itself), and Python warnings (``py.warnings``, e.g. from openpyxl) once captured. Their records
are routed to the log at DEBUG, shown only when the log is at DEBUG; an ERROR of a library that
does not handle its own problems (the scheduler, the database driver) stays what it is.
"""

from __future__ import annotations

import logging

__all__ = ["LIBRARY_LOGGERS", "configure_logging"]

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Library loggers, and from which level their records keep their own level (None: never).
LIBRARY_LOGGERS: dict[str, int | None] = {
    "alembic": None,
    "mailparser": None,
    "py.warnings": None,
    "openpyxl": None,
    "imapclient": logging.ERROR,
    "apscheduler": logging.ERROR,
    "tenacity": logging.ERROR,
    "sqlalchemy": logging.ERROR,
    "aiosmtpd": logging.ERROR,
    "mail.log": logging.ERROR,  # aiosmtpd's, in the demo
}


class LibraryChatter(logging.Filter):
    """A handler filter: library records become DEBUG records, written only when the log is
    at DEBUG. (Handlers check levels before filters, so the filter decides.)"""

    def filter(self, record: logging.LogRecord) -> bool:
        keep_from = _library_threshold(record.name)
        if keep_from is False or (keep_from is not None and record.levelno >= keep_from):
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger().isEnabledFor(logging.DEBUG)


def _library_threshold(name: str) -> int | bool | None:
    """The library's threshold; False for a logger that is not a library's."""
    for library, keep_from in LIBRARY_LOGGERS.items():
        if name == library or name.startswith(library + "."):
            return keep_from
    return False


def configure_logging(level: int) -> None:
    """The process's log on stderr at ``level`` (WARNING for a command, INFO with ``-v``)."""
    logging.basicConfig(level=level, format=FORMAT)
    logging.captureWarnings(True)
    chatter = LibraryChatter()
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, LibraryChatter) for f in handler.filters):
            handler.addFilter(chatter)
    # mail-parser is silenced where it is imported; here it goes to the log like the others.
    logging.getLogger("mailparser").propagate = True
