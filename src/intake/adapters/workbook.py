"""Opening an untrusted .xlsx attachment safely.

Everything is checked on the raw bytes before openpyxl sees them: OLE containers (a
password-protected .xlsx is an encrypted OLE file; so is an old .xls renamed), ZIP sanity,
the declared uncompressed sizes and compression ratios (zip bombs), DTDs in any XML part
(entity-expansion bombs; defusedxml, which openpyxl uses when installed, would refuse them
too), and the number of rows and cells in each sheet (so openpyxl never builds a million
cells). Whatever openpyxl still raises becomes a :class:`WorkbookError`.
"""

from __future__ import annotations

import io
import re
import threading
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import cast

import openpyxl
from openpyxl import Workbook
from openpyxl.worksheet.merge import MergedCellRange

from intake.domain.model import ReasonCode

OLE_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")


@dataclass(frozen=True)
class Limits:
    max_entries: int = 1_000
    max_total_uncompressed: int = 50 * 1024 * 1024
    max_part_uncompressed: int = 20 * 1024 * 1024  # any one XML part
    max_ratio: int = 100  # uncompressed / compressed, for entries over ratio_floor
    ratio_floor: int = 1024 * 1024
    max_rows_per_sheet: int = 10_000  # <row> elements actually present
    max_cells: int = 50_000  # <c> elements in all sheets


DEFAULT_LIMITS = Limits()


class WorkbookError(Exception):
    """The attachment cannot be read as the agency's workbook.

    ``code`` is WORKBOOK_UNREADABLE or FORM_NOT_OFFICIAL_TEMPLATE; ``cause`` a short Japanese
    phrase for the operator message (「パスワードで保護されています」).
    """

    def __init__(self, code: ReasonCode, cause: str) -> None:
        super().__init__(cause)
        self.code = code
        self.cause = cause


def _unreadable(cause: str) -> WorkbookError:
    return WorkbookError(ReasonCode.WORKBOOK_UNREADABLE, cause)


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


def _ole_cause(data: bytes) -> str:
    # The directory entries of a compound file hold stream names in UTF-16LE.
    if _utf16("EncryptedPackage") in data or _utf16("EncryptionInfo") in data:
        return "パスワードで保護されています"
    if _utf16("Workbook") in data or _utf16("Book") in data:
        return "旧形式の Excel（.xls）の中身です"
    if _utf16("WordDocument") in data:
        return "Word 文書（.doc）の中身です"
    return "旧形式の Office ファイル（OLE 形式）で、.xlsx ではありません"


_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_ROW = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")
_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s>/]")
_CHUNK = 1024 * 1024


@dataclass
class _PartScan:
    rows: int = 0
    cells: int = 0


def _scan_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo, count: bool) -> _PartScan:
    """Stream one XML part: refuse DTDs, count rows and cells.

    Each chunk is scanned up to its last ``<`` so that no tag is split between two scans.
    """
    scan = _PartScan()
    carry = b""
    with archive.open(info) as stream:
        while True:
            chunk = stream.read(_CHUNK)
            buffer = carry + chunk
            if not chunk:
                head, carry = buffer, b""
            else:
                cut = buffer.rfind(b"<")
                head, carry = (buffer, b"") if cut < 0 else (buffer[:cut], buffer[cut:])
            if _DTD.search(head):
                raise _unreadable("XML に DTD（エンティティ定義）が含まれています")
            if count:
                scan.rows += len(_ROW.findall(head))
                scan.cells += len(_CELL.findall(head))
            if not chunk:
                return scan


def check_archive(data: bytes, limits: Limits = DEFAULT_LIMITS) -> None:
    """Everything that can be refused before openpyxl parses a byte."""
    if data.startswith(OLE_SIGNATURE):
        raise _unreadable(_ole_cause(data))
    if not data.startswith(b"PK"):
        raise _unreadable("ファイルが壊れています（ZIP 形式ではありません）")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise _unreadable("ファイルが壊れています（ZIP 形式として読めません）") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.max_entries:
            raise _unreadable("ファイル内の要素数が多すぎます")
        total = 0
        for info in infos:
            if info.flag_bits & 0x1:
                raise _unreadable("パスワードで保護されています")
            total += info.file_size
            if total > limits.max_total_uncompressed:
                raise _unreadable("展開後のサイズが大きすぎます")
            if info.file_size > limits.ratio_floor and (
                info.file_size > limits.max_ratio * max(info.compress_size, 1)
            ):
                raise _unreadable("展開後のサイズが大きすぎます（圧縮率が異常です）")
        names = {info.filename for info in infos}
        if "[Content_Types].xml" not in names:
            raise _unreadable("Excel ファイルではありません（[Content_Types].xml がありません）")
        if "word/document.xml" in names:
            raise _unreadable("Word 文書（.docx）の中身です")
        if not any(n.startswith("xl/") and n.endswith("workbook.xml") for n in names):
            raise _unreadable("Excel ブックではありません（xl/workbook.xml がありません）")
        cells = 0
        try:
            for info in infos:
                name = info.filename.lower()
                if not (name.endswith(".xml") or name.endswith(".rels") or name.endswith(".vml")):
                    continue
                if info.file_size > limits.max_part_uncompressed:
                    raise _unreadable("展開後のサイズが大きすぎます")
                is_sheet = name.startswith("xl/worksheets/")
                scan = _scan_part(archive, info, count=is_sheet)
                if scan.rows > limits.max_rows_per_sheet:
                    raise _unreadable("行数が多すぎます")
                cells += scan.cells
                if cells > limits.max_cells:
                    raise _unreadable("セルの数が多すぎます")
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError):
            raise _unreadable("ファイルが壊れています（ZIP の中身を展開できません）") from None


_MERGE_STYLING = threading.Lock()


@contextmanager
def _merged_cells_unstyled() -> Iterator[None]:
    """Skip copying borders onto merged cells while loading: values are all we read, and the
    copying was two fifths of the time it took to take in an application (measured)."""
    with _MERGE_STYLING:
        original = MergedCellRange.format
        MergedCellRange.format = lambda self: None
        try:
            yield
        finally:
            MergedCellRange.format = original


def open_workbook(data: bytes, limits: Limits = DEFAULT_LIMITS) -> Workbook:
    """The workbook with cached formula values (``data_only``), or a WorkbookError."""
    check_archive(data, limits)
    try:
        with warnings.catch_warnings(), _merged_cells_unstyled():
            # Unsupported extensions, data validation oddities …: not the operator's business.
            warnings.simplefilter("ignore")
            return cast(Workbook, openpyxl.load_workbook(io.BytesIO(data), data_only=True))
    except WorkbookError:
        raise
    except MemoryError:
        raise _unreadable("ファイルが大きすぎて読み込めません") from None
    except Exception as exc:  # openpyxl raises anything from KeyError to defusedxml errors
        name = type(exc).__name__
        if "Entit" in name or "DTD" in name:
            raise _unreadable("XML に DTD（エンティティ定義）が含まれています") from None
        raise _unreadable(f"ファイルを解析できません（{name}）") from None
