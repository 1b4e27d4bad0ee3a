"""Hostile or broken attachments: each gives a WorkbookError with a Japanese cause, fast."""

from __future__ import annotations

import io
import os
import time
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator

import openpyxl
import pytest

from intake.adapters.formreader import read_application_form, read_experience_sheet
from intake.adapters.workbook import OLE_SIGNATURE, WorkbookError, open_workbook
from intake.devtools.formfactory import FilledForm, sample
from intake.domain.model import ReasonCode

YAMADA = "受講申込書_YAMADA Taro.xlsx"
SHEET = "xl/worksheets/sheet1.xml"

Writer = Callable[[io.BufferedIOBase], None]


def rebuild(source: bytes, replace: dict[str, bytes | Writer]) -> bytes:
    """The xlsx with some entries replaced (by bytes, or streamed by a writer function)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(source)) as original,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as rebuilt,
    ):
        for info in original.infolist():
            content = replace.get(info.filename, original.read(info.filename))
            if callable(content):
                with rebuilt.open(info.filename, "w", force_zip64=True) as stream:
                    content(stream)  # type: ignore[arg-type]
            else:
                rebuilt.writestr(info.filename, content)
    return out.getvalue()


def expect_error(data: bytes, code: ReasonCode, *phrases: str, seconds: float = 5.0) -> str:
    started = time.monotonic()
    with pytest.raises(WorkbookError) as caught:
        open_workbook(data)
    elapsed = time.monotonic() - started
    assert caught.value.code is code
    assert caught.value.cause == str(caught.value)
    for phrase in phrases:
        assert phrase in caught.value.cause
    assert elapsed < seconds, f"took {elapsed:.1f}s"
    return caught.value.cause


def test_a_sample_opens() -> None:
    workbook = open_workbook(sample(YAMADA))
    assert workbook.worksheets[0]["B7"].value == "YAMADA Taro"


def test_openpyxl_uses_defusedxml() -> None:
    from openpyxl import DEFUSEDXML

    assert DEFUSEDXML, "pip install defusedxml: openpyxl then parses with it"


# ---------------------------------------------------------------------------------------------
# Not a ZIP at all
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b"", b"hello", os.urandom(4096), b"%PDF-1.7\n" + os.urandom(500), b"\x89PNG\r\n\x1a\n"],
)
def test_random_bytes(data: bytes) -> None:
    expect_error(data, ReasonCode.WORKBOOK_UNREADABLE, "壊れています", "ZIP 形式ではありません")


def test_truncated_zip() -> None:
    data = sample(YAMADA)
    expect_error(data[: len(data) // 2], ReasonCode.WORKBOOK_UNREADABLE, "壊れています")


def test_zip_with_garbage_in_an_entry() -> None:
    data = bytearray(sample(YAMADA))
    offset = data.index(b"xl/worksheets/sheet1.xml") + 200  # inside the compressed data
    data[offset : offset + 64] = os.urandom(64)
    expect_error(bytes(data), ReasonCode.WORKBOOK_UNREADABLE)


# ---------------------------------------------------------------------------------------------
# OLE compound files: encrypted .xlsx, renamed .xls
# ---------------------------------------------------------------------------------------------


def ole_file(*stream_names: str) -> bytes:
    """An OLE header and directory entries naming the streams (what the checks look at)."""
    header = OLE_SIGNATURE + bytes(504)
    entries = b"".join(name.encode("utf-16-le").ljust(128, b"\0") for name in stream_names)
    return header + entries + os.urandom(2048)


def test_password_protected_simulated() -> None:
    data = ole_file("Root Entry", "EncryptionInfo", "EncryptedPackage", "\x06DataSpaces")
    expect_error(data, ReasonCode.WORKBOOK_UNREADABLE, "パスワードで保護されています")


def test_password_protected_real() -> None:
    ooxml = pytest.importorskip("msoffcrypto.format.ooxml")
    encrypted = io.BytesIO()
    ooxml.OOXMLFile(io.BytesIO(sample(YAMADA))).encrypt("secret", encrypted)
    data = encrypted.getvalue()
    assert data.startswith(OLE_SIGNATURE)
    expect_error(data, ReasonCode.WORKBOOK_UNREADABLE, "パスワードで保護されています")


def test_old_xls_renamed() -> None:
    data = ole_file("Root Entry", "Workbook", "\x05SummaryInformation")
    expect_error(data, ReasonCode.WORKBOOK_UNREADABLE, "旧形式の Excel（.xls）")


def test_other_ole_file() -> None:
    expect_error(ole_file("Root Entry", "WordDocument"), ReasonCode.WORKBOOK_UNREADABLE, "Word")
    expect_error(ole_file("Root Entry"), ReasonCode.WORKBOOK_UNREADABLE, "OLE")


# ---------------------------------------------------------------------------------------------
# ZIPs that are not workbooks
# ---------------------------------------------------------------------------------------------


def zip_of(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return out.getvalue()


def test_plain_zip() -> None:
    data = zip_of({"readme.txt": b"hello"})
    expect_error(data, ReasonCode.WORKBOOK_UNREADABLE, "Excel ファイルではありません")


def test_docx_renamed() -> None:
    data = zip_of({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
    expect_error(data, ReasonCode.WORKBOOK_UNREADABLE, "Word 文書")


def test_too_many_entries() -> None:
    data = zip_of({f"xl/media/{i}.bin": b"" for i in range(1_500)})
    expect_error(data, ReasonCode.WORKBOOK_UNREADABLE, "要素数が多すぎます")


def test_openpyxl_failure_becomes_a_workbook_error() -> None:
    data = rebuild(sample(YAMADA), {"xl/workbook.xml": b"<workbook><sheets><sheet"})
    cause = expect_error(data, ReasonCode.WORKBOOK_UNREADABLE, "解析できません")
    assert "Error" in cause  # the exception class name, for whoever looks further


# ---------------------------------------------------------------------------------------------
# Bombs
# ---------------------------------------------------------------------------------------------


def zeros(total: int) -> Writer:
    def write(stream: io.BufferedIOBase) -> None:
        block = b"0" * (1 << 20)
        for _ in range(total >> 20):
            stream.write(block)

    return write


def test_zip_bomb_hundreds_of_megabytes() -> None:
    data = rebuild(sample(YAMADA), {SHEET: zeros(300 << 20)})
    assert len(data) < 2 << 20  # small on disk
    expect_error(data, ReasonCode.WORKBOOK_UNREADABLE, "展開後のサイズが大きすぎます")


def test_zip_bomb_under_the_total_but_abnormal_ratio() -> None:
    data = rebuild(sample(YAMADA), {SHEET: zeros(30 << 20)})
    expect_error(data, ReasonCode.WORKBOOK_UNREADABLE, "圧縮率が異常です")


def test_zip_entry_lying_about_its_size() -> None:
    data = bytearray(rebuild(sample(YAMADA), {SHEET: b"<worksheet>" + b" " * 5000}))
    # Make the central directory claim a tiny uncompressed size for the sheet.
    directory = data.index(b"PK\x01\x02")
    while True:
        name_length = int.from_bytes(data[directory + 28 : directory + 30], "little")
        name = bytes(data[directory + 46 : directory + 46 + name_length])
        if name == SHEET.encode():
            data[directory + 24 : directory + 28] = (10).to_bytes(4, "little")
            break
        extra = int.from_bytes(data[directory + 30 : directory + 32], "little")
        comment = int.from_bytes(data[directory + 32 : directory + 34], "little")
        directory += 46 + name_length + extra + comment
    expect_error(bytes(data), ReasonCode.WORKBOOK_UNREADABLE)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData>
</worksheet>"""


def test_billion_laughs_in_a_sheet() -> None:
    data = rebuild(sample(YAMADA), {SHEET: BILLION_LAUGHS})
    expect_error(data, ReasonCode.WORKBOOK_UNREADABLE, "DTD")


def test_billion_laughs_in_the_core_properties() -> None:
    bomb = BILLION_LAUGHS.replace(b"<worksheet", b"<cp:coreProperties").replace(
        b"</worksheet>", b"</cp:coreProperties>"
    )
    data = rebuild(sample(YAMADA), {"docProps/core.xml": bomb})
    expect_error(data, ReasonCode.WORKBOOK_UNREADABLE, "DTD")


def test_defusedxml_refuses_the_bomb_even_without_the_precheck() -> None:
    from openpyxl.xml.functions import fromstring

    with pytest.raises(Exception) as caught:
        fromstring(BILLION_LAUGHS)
    assert "Entit" in type(caught.value).__name__ or "DTD" in type(caught.value).__name__


# ---------------------------------------------------------------------------------------------
# A million rows
# ---------------------------------------------------------------------------------------------


def sheet_xml(rows: Iterator[bytes], dimension: str = "A1:H1000000") -> Writer:
    def write(stream: io.BufferedIOBase) -> None:
        stream.write(
            b'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns='
            b'"http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            + f'<dimension ref="{dimension}"/><sheetData>'.encode()
        )
        for row in rows:
            stream.write(row)
        stream.write(b"</sheetData></worksheet>")

    return write


def test_a_million_real_rows_is_refused_quickly() -> None:
    batches = (
        "".join(f'<row r="{n}"><c r="A{n}"><v>1</v></c></row>' for n in range(k, k + 10_000))
        for k in range(1, 10**6, 10_000)
    )
    data = rebuild(sample(YAMADA), {SHEET: sheet_xml(b.encode() for b in batches)})
    tracemalloc.start()
    try:
        # Refused for its size or its rows, whichever check sees it first.
        cause = expect_error(data, ReasonCode.WORKBOOK_UNREADABLE, "すぎます", seconds=5)
        assert cause in ("展開後のサイズが大きすぎます", "行数が多すぎます")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 << 20


def test_a_million_empty_rows_is_refused() -> None:
    batches = (
        "".join(f'<row r="{n}"/>' for n in range(k, k + 10_000)).encode()
        for k in range(1, 10**6, 10_000)
    )
    data = rebuild(sample(YAMADA), {SHEET: sheet_xml(batches)})
    expect_error(data, ReasonCode.WORKBOOK_UNREADABLE, "行数が多すぎます")


def sparse_form(extra_rows: int) -> bytes:
    """The YAMADA form claiming a million rows, with a few cells far down."""
    source = sample(YAMADA)
    with zipfile.ZipFile(io.BytesIO(source)) as archive:
        xml = archive.read(SHEET)
    xml = xml.replace(b'<dimension ref="A1:H36"/>', b'<dimension ref="A1:H1000000"/>')
    far = b"".join(
        f'<row r="{1000000 - n}"><c r="H{1000000 - n}"><v>1</v></c></row>'.encode()
        for n in reversed(range(extra_rows))
    )
    assert b"</sheetData>" in xml
    return rebuild(source, {SHEET: xml.replace(b"</sheetData>", far + b"</sheetData>")})


def test_a_million_row_dimension_with_sparse_rows_reads_bounded() -> None:
    data = sparse_form(50)
    started = time.monotonic()
    reading = read_application_form(data, YAMADA)
    assert time.monotonic() - started < 2
    assert reading.application is not None
    assert reading.application.name_romaji == "YAMADA Taro"
    assert not [i for i in reading.issues if i.severity == "error"]


def test_a_million_row_dimension_on_another_workbook_is_not_the_form() -> None:
    book = openpyxl.Workbook()
    book.active["A1"] = "hello"
    plain = io.BytesIO()
    book.save(plain)
    rows = iter([b'<row r="1"><c r="A1" t="inlineStr"><is><t>hello</t></is></c></row>',
                 b'<row r="1000000"><c r="A1000000"><v>1</v></c></row>'])  # fmt: skip
    data = rebuild(plain.getvalue(), {SHEET: sheet_xml(rows)})
    started = time.monotonic()
    with pytest.raises(WorkbookError) as caught:
        read_application_form(data, "x.xlsx")
    assert time.monotonic() - started < 2
    assert caught.value.code is ReasonCode.FORM_NOT_OFFICIAL_TEMPLATE


# ---------------------------------------------------------------------------------------------
# Not the agency's form
# ---------------------------------------------------------------------------------------------


def test_another_workbook_is_not_the_official_template() -> None:
    form = FilledForm.blank()
    form.copy_to_new_workbook()
    form.sheet.delete_rows(1, 3)  # no form number, no title
    with pytest.raises(WorkbookError) as caught:
        read_application_form(form.to_bytes(), "受講申込書_X.xlsx")
    assert caught.value.code is ReasonCode.FORM_NOT_OFFICIAL_TEMPLATE


def test_the_other_form_is_not_the_official_template() -> None:
    with pytest.raises(WorkbookError) as caught:
        read_experience_sheet(sample(YAMADA), YAMADA)
    assert caught.value.code is ReasonCode.FORM_NOT_OFFICIAL_TEMPLATE
    assert "別の様式" in caught.value.cause
