"""A demonstration mailbox: application mails as real applicants send them.

Used by `intake demo` (a newcomer sees the real pipeline work without a mailbox of their own)
and by the end-to-end tests, which assert each mail's expected outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from intake.devtools.formfactory import FilledForm
from intake.devtools.samplemail import (
    SampleAttachment,
    Style,
    build_auto_reply,
    build_bounce,
    build_forward,
    build_mail,
)
from intake.domain.model import TOKYO

FORMS_DIR = Path(__file__).resolve().parent / "forms"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
# A minimal one-page PDF: the content of a certificate does not matter to the rules.
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@dataclass(frozen=True)
class DemoMail:
    label: str  # what the mail shows, in Japanese, for the demo's output
    raw: bytes
    received_at: datetime  # the INTERNALDATE it is appended with
    outcome: str
    reasons: tuple[str, ...] = ()


def jst(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TOKYO)


def form(filename: str) -> bytes:
    return (FORMS_DIR / filename).read_bytes()


# Kanji names of the demo applicants whose forms are made from another sample.
KANJI = {
    "TANAKA Ken": "田中 健",
    "KATO Mai": "加藤 舞",
    "ITO Yui": "伊藤 結衣",
    "MORI Ken": "森 健",
}


def xlsx(
    document: str, name: str, source: str | None = None, *, form_name: str | None = None
) -> SampleAttachment:
    """A filled form named for ``name``. Without ``source``, the sample of that name; with it,
    that sample with the romaji name changed to ``name`` (a different applicant)."""
    if source is None:
        return SampleAttachment(f"{document}_{name}.xlsx", form(f"{document}_{name}.xlsx"), XLSX)
    form_id = "CSF-R7-FORM2" if document == "実務経験申告書" else _form1_id(source)
    romaji = form_name or name
    filled = FilledForm.load(FORMS_DIR / source, form_id).set("name_romaji", romaji)
    if romaji in KANJI:
        filled.set("name_kanji", KANJI[romaji])
    return SampleAttachment(f"{document}_{name}.xlsx", filled.to_bytes(), XLSX)


def _form1_id(source: str) -> str:
    term = 2 if "NGUYEN" in source or "第2期" in source else 1
    return f"CSF-R7-FORM1-T{term}"


def pdf(document: str, name: str) -> SampleAttachment:
    return SampleAttachment(f"{document}_{name}.pdf", PDF_BYTES, PDF)


def application(
    name: str,
    *,
    n: int,
    received_at: datetime,
    style: Style = "utf8",
    subject: str | None = None,
    attachments: list[SampleAttachment] | None = None,
    from_addr: str | None = None,
) -> bytes:
    return build_mail(
        subject=subject or f"受講申込_{name}",
        message_id=f"demo-{n}@example.jp",
        date=received_at,
        from_addr=from_addr or f"{name.split()[0].lower()}@example.jp",
        from_name=name,
        attachments=attachments
        if attachments is not None
        else [
            xlsx("受講申込書", name),
            xlsx("実務経験申告書", name),
            pdf("在職証明書", name),
        ],
        style=style,
    )


def demo_mails() -> list[DemoMail]:
    yamada_at = jst(2025, 4, 14, 9, 12)
    yamada = application("YAMADA Taro", n=1, received_at=yamada_at, style="outlook_jis")
    nguyen_at = jst(2025, 5, 20, 13, 45)
    mails = [
        DemoMail("Outlook（ISO-2022-JP）からの正しい申込", yamada, yamada_at, "accepted"),
        DemoMail(
            "Thunderbird（RFC 2231 のファイル名）、全角の件名",
            application(
                "NGUYEN Thi Lan",
                n=2,
                received_at=nguyen_at,
                style="thunderbird_rfc2231",
                subject="受講申込＿ＮＧＵＹＥＮ　Ｔｈｉ　Ｌａｎ",
            ),
            nguyen_at,
            "accepted",
        ),
        DemoMail(
            "Apple Mail（inline 添付）、国家資格の登録証で実務経験申告書を省略",
            application(
                "SATO Hanako",
                n=3,
                received_at=jst(2025, 4, 2, 11, 5),
                style="apple_inline",
                attachments=[
                    xlsx("受講申込書", "SATO Hanako"),
                    pdf("在職証明書", "SATO Hanako"),
                    pdf("登録証", "SATO Hanako"),
                ],
            ),
            jst(2025, 4, 2, 11, 5),
            "accepted",
        ),
        DemoMail(
            "Shift_JIS のメール、在職証明書と実務経験申告書がなく、申込書にも不備",
            application(
                "SUZUKI Ichiro",
                n=4,
                received_at=jst(2025, 4, 20, 16, 30),
                style="raw_cp932",
                attachments=[xlsx("受講申込書", "SUZUKI Ichiro")],
            ),
            jst(2025, 4, 20, 16, 30),
            "rejected",
            (
                "MISSING_EXPERIENCE_SHEET",
                "MISSING_EMPLOYMENT_CERTIFICATE",
                # The SUZUKI sample itself: unreadable birth date, no e-mail, consents unchecked.
                "FORM_INVALID",
                "FORM_INVALID",
                "FORM_INVALID",
                "FORM_INVALID",
            ),
        ),
        DemoMail(
            "第2期の締切（7月1日 17:00）後に届いた申込",
            application(
                "TANAKA Ken",
                n=5,
                received_at=jst(2025, 7, 1, 17, 3),
                style="utf8",
                attachments=[
                    xlsx("受講申込書", "TANAKA Ken", "受講申込書_YAMADA Taro.xlsx"),
                    xlsx("実務経験申告書", "TANAKA Ken", "実務経験申告書_YAMADA Taro.xlsx"),
                    pdf("在職証明書", "TANAKA Ken"),
                ],
            ),
            jst(2025, 7, 1, 17, 3),
            "rejected",
            ("OUTSIDE_PERIOD",),
        ),
        DemoMail(
            "件名の氏名が漢字、申込書が .xls",
            application(
                "KATO Mai",
                n=6,
                received_at=jst(2025, 5, 12, 10, 0),
                subject="受講申込_加藤舞",
                attachments=[
                    SampleAttachment(
                        "受講申込書_KATO Mai.xls", b"\xd0\xcf\x11\xe0", "application/vnd.ms-excel"
                    ),
                    xlsx("実務経験申告書", "KATO Mai", "実務経験申告書_NGUYEN Thi Lan.xlsx"),
                    pdf("在職証明書", "KATO Mai"),
                ],
            ),
            jst(2025, 5, 12, 10, 0),
            "rejected",
            ("SUBJECT_NAME_NOT_ROMAJI", "FORM_NOT_XLSX"),
        ),
        DemoMail(
            "添付ファイルの氏名が件名と違う",
            application(
                "ITO Yui",
                n=7,
                received_at=jst(2025, 6, 3, 15, 20),
                style="no_disposition",
                attachments=[
                    xlsx("受講申込書", "ITO Yui", "受講申込書_NGUYEN Thi Lan.xlsx"),
                    xlsx(
                        "実務経験申告書",
                        "ITO Yuki",  # a slip in the file name only
                        "実務経験申告書_NGUYEN Thi Lan.xlsx",
                        form_name="ITO Yui",
                    ),
                    pdf("在職証明書", "ITO Yui"),
                ],
            ),
            jst(2025, 6, 3, 15, 20),
            "rejected",
            ("ATTACHMENT_NAME_MISMATCH",),
        ),
        DemoMail(
            "申込メールの転送（添付は転送元のメールの中）",
            build_forward(
                application(
                    "MORI Ken",
                    n=8,
                    received_at=jst(2025, 6, 9, 9, 0),
                    attachments=[
                        xlsx("受講申込書", "MORI Ken", "受講申込書_NGUYEN Thi Lan.xlsx"),
                        xlsx("実務経験申告書", "MORI Ken", "実務経験申告書_NGUYEN Thi Lan.xlsx"),
                        pdf("在職証明書", "MORI Ken"),
                    ],
                ),
                subject="Fwd: 受講申込_MORI Ken",
                message_id="demo-9@example.jp",
                date=jst(2025, 6, 9, 9, 10),
                from_addr="mori@example.jp",
            ),
            jst(2025, 6, 9, 9, 10),
            "accepted",
        ),
        DemoMail(
            "問い合わせ（添付なし）",
            build_mail(
                subject="研修日程についての質問",
                message_id="demo-10@example.jp",
                date=jst(2025, 4, 3, 14, 0),
                from_addr="question@example.jp",
                body="集合研修の日程を教えてください。\n",
            ),
            jst(2025, 4, 3, 14, 0),
            "other",
        ),
        DemoMail(
            "不在通知の自動返信",
            build_auto_reply(
                subject="自動応答: 受講申込_YAMADA Taro",
                message_id="demo-11@example.jp",
                date=jst(2025, 4, 14, 9, 13),
                from_addr="yamada@example.jp",
            ),
            jst(2025, 4, 14, 9, 13),
            "ignored",
        ),
        DemoMail(
            "配信エラー通知（申込の控えを含む）",
            build_bounce(
                yamada,
                message_id="demo-12@example.jp",
                date=jst(2025, 4, 14, 9, 14),
            ),
            jst(2025, 4, 14, 9, 14),
            "ignored",
        ),
        DemoMail("同じメールがもう一度届いた", yamada, yamada_at, "duplicate"),
    ]
    return mails
