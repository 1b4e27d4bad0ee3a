"""HTML mail parts and stored forms read again for a person (no servers)."""

from __future__ import annotations

from intake.adapters.documents import StoredDocuments, header_name
from intake.adapters.htmltext import html_to_text
from intake.devtools.demo import form


def test_html_becomes_text_without_any_markup_or_script() -> None:
    markup = (
        "<html><head><title>t</title><style>p { color: red }</style></head><body>"
        "<p>お世話になっております。<br/>山田&amp;太郎です</p>"
        '<div><a href="javascript:alert(1)" title="x>y">資料</a></div>'
        "<script>document.write('<b>x</b>')</script><!-- <p>hidden</p> -->"
        "<p>&lt;script&gt;alert(2)&lt;/script&gt;</p><table><tr><td>氏名</td><td>山田</td></tr>"
        "</table></body></html>"
    )
    text = html_to_text(markup)
    assert text.splitlines()[:2] == ["お世話になっております。", "山田&太郎です"]
    assert "資料" in text and "氏名\t山田" in text
    for gone in ("color", "document.write", "hidden", "javascript", "<p>", "<b>", "title"):
        assert gone not in text
    # An escaped tag is text the applicant wrote: kept, to be escaped by whoever shows it.
    assert "<script>alert(2)</script>" in text


def test_broken_html_still_gives_its_text() -> None:
    assert html_to_text("<p>未完<b>の<i>タグ") == "未完のタグ"
    assert html_to_text("") == ""
    assert html_to_text("<pre>a\n  b</pre>") == "a\n  b"


def test_form_summaries_say_what_the_form_said_or_why_not() -> None:
    documents = StoredDocuments()
    data = form("受講申込書_SUZUKI Ichiro.xlsx")
    summary = documents.form_summary("application_form", "受講申込書_SUZUKI Ichiro.xlsx", data)
    assert (summary.name_kanji, summary.name_kana) == ("鈴木 一郎", "すずき いちろう")
    assert summary.text.startswith("受講申込書（第1期用）: 鈴木 一郎（SUZUKI Ichiro）")
    sheet = documents.form_summary(
        "experience_sheet", "x.xlsx", form("実務経験申告書_YAMADA Taro.xlsx")
    )
    assert sheet.problem is None and sheet.experience_rows and "行" in sheet.text
    broken = documents.form_summary("application_form", "x.xlsx", b"PK\x03\x04 not a zip")
    assert broken.problem and broken.text.startswith("x.xlsx: 読み取れません（")
    assert 1 in documents.form_terms()


def test_header_names_as_mail_clients_write_them() -> None:
    assert [header_name(n) for n in ("message-id", "content-type", "from", "x-mailer")] == [
        "Message-ID",
        "Content-Type",
        "From",
        "X-Mailer",
    ]
