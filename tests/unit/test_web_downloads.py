"""Downloads never render in the browser, and hostile file names arrive as harmless names."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from intake.entrypoints.web.downloads import (
    ascii_file_name,
    content_disposition,
    download_response,
    safe_file_name,
)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("受講申込書_YAMADA Taro.xlsx", "受講申込書_YAMADA Taro.xlsx"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\申込書.xlsx", "申込書.xlsx"),
        ("申込書\u202excod.exe", "申込書xcod.exe"),  # the right-to-left override is dropped
        ('a"b\r\nX-Evil: 1.pdf', "a_bX-Evil_ 1.pdf"),
        ("CON.txt", "download.txt"),
        ("...", "download"),
        ("", "download"),
        (None, "download"),
    ],
)
def test_safe_file_name(given: str | None, expected: str) -> None:
    assert safe_file_name(given) == expected


def test_long_names_keep_their_extension() -> None:
    name = safe_file_name("あ" * 400 + ".xlsx")
    assert len(name) == 150 and name.endswith(".xlsx")


def test_ascii_fallback() -> None:
    assert ascii_file_name("受講申込書_YAMADA Taro.xlsx") == "YAMADA_Taro.xlsx"
    assert ascii_file_name("申込書.xlsx") == "download.xlsx"
    assert ascii_file_name("café.pdf") == "cafe.pdf"


def test_content_disposition_is_an_attachment_in_rfc_6266_form() -> None:
    header = content_disposition("受講申込書_YAMADA Taro.xlsx")
    assert header.startswith("attachment; ")
    assert 'filename="YAMADA_Taro.xlsx"' in header
    encoded = header.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded) == "受講申込書_YAMADA Taro.xlsx"
    assert header.isascii() and "\r" not in header and "\n" not in header
    assert "inline" not in header


@pytest.mark.parametrize(
    ("declared", "sent"),
    [
        ("application/pdf", "application/pdf"),
        ("text/html; charset=utf-8", "application/octet-stream"),
        ("image/svg+xml", "application/octet-stream"),
        ("text/plain\r\nSet-Cookie: x=1", "application/octet-stream"),
        (None, "application/octet-stream"),
    ],
)
def test_download_response_never_sends_a_renderable_type(declared: str | None, sent: str) -> None:
    response = download_response(b"<script>alert(1)</script>", "x.html", declared)
    assert response.headers["content-type"] == sent
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.body == b"<script>alert(1)</script>"
