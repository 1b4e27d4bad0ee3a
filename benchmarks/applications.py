"""Realistic application mails for the benchmarks, generated once and cached on disk.

Each mail is one applicant's complete application, the way the desk receives most of them:
the subject 受講申込_<romaji name>, the agency's two blank forms (受講申込書 and 実務経験申告書)
filled in with that applicant's own values, and a ~200 KB PDF (在職証明書), sent by one of
seven mail clients (Outlook ISO-2022-JP, Thunderbird RFC 2231, Apple Mail, raw CP932, Shift_JIS,
UTF-8 webmail, a scanner without Content-Disposition). Every mail arrives inside its term's
period, so intake accepts every one of them.

Mail ``index`` of ``seed`` is always the same bytes, so the cache is per mail: 400 mails are
the first 400 of 2,000, and a run with more mails only generates the missing ones.
"""

from __future__ import annotations

import os
import random
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from intake.devtools.formfactory import FilledForm
from intake.devtools.samplemail import SampleAttachment, Style, build_mail

# Bump when the mails change, so that old cached files are not used.
GENERATOR_VERSION = 1
DEFAULT_PDF_BYTES = 200_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STYLES: tuple[Style, ...] = (
    "outlook_jis",
    "thunderbird_rfc2231",
    "apple_inline",
    "raw_cp932",
    "sjis_body",
    "utf8",
    "no_disposition",
)
TOKYO = ZoneInfo("Asia/Tokyo")

# Syllables whose romaji spellings are prefix-free, so five of them spell a unique name key.
_SYLLABLES: tuple[tuple[str, str, str], ...] = (
    ("ka", "か", "加"),
    ("ki", "き", "木"),
    ("ku", "く", "久"),
    ("ke", "け", "景"),
    ("ko", "こ", "小"),
    ("sa", "さ", "佐"),
    ("shi", "し", "志"),
    ("su", "す", "須"),
    ("se", "せ", "瀬"),
    ("so", "そ", "曽"),
    ("ta", "た", "田"),
    ("chi", "ち", "千"),
    ("tsu", "つ", "津"),
    ("te", "て", "手"),
    ("to", "と", "戸"),
    ("na", "な", "奈"),
    ("ni", "に", "仁"),
    ("nu", "ぬ", "沼"),
    ("ne", "ね", "根"),
    ("no", "の", "野"),
)
_NAMES = len(_SYLLABLES) ** 5
_CITIES = ("みなと市", "ひばり野市", "あおば市", "にじの丘市", "さくら台市", "かえで町")
_PREFECTURES = ("神奈川県", "愛知県", "大阪府", "東京都", "福岡県", "宮城県", "広島県")
_ORG_KINDS = ("国際交流協会", "多文化共生センター", "市役所 市民協働課", "国際交流ラウンジ")
_DUTIES = (
    "窓口・電話での生活相談対応",
    "在留手続・就労・子育てに関する相談対応、関係機関への取次ぎ",
    "多言語による相談対応、相談記録の作成、通訳派遣の調整",
)
_LANGUAGES = (
    "英語",
    "ベトナム語",
    "中国語",
    "ポルトガル語",
    "スペイン語",
    "タガログ語",
    "ネパール語",
)


MAX_POSTS = 4
_ENTRY_COLUMNS = (
    "period_from",
    "period_to",
    "organisation",
    "window_name",
    "employment_type",
    "days_worked",
    "duties",
)


@dataclass(frozen=True)
class Term:
    id: int
    form_id: str
    opens: date
    closes: date  # the last day mails are dated in (the deadline itself is later that week)
    starts: date  # training start: experience counts within the 5 years before it


# The terms of the benchmark's intake config (see TERMS_TOML).
TERMS = (
    Term(1, "CSF-R7-FORM1-T1", date(2025, 3, 11), date(2025, 4, 30), date(2025, 6, 2)),
    Term(2, "CSF-R7-FORM1-T2", date(2025, 5, 8), date(2025, 6, 30), date(2025, 8, 1)),
)
TERMS_TOML = """\
[[terms]]
id = 1
name = "第1期"
opens_at = "2025-03-10T10:00:00+09:00"
closes_at = "2025-05-07T17:00:00+09:00"
training_starts_on = "2025-06-02"
[[terms]]
id = 2
name = "第2期"
opens_at = "2025-05-02T10:00:00+09:00"
closes_at = "2025-07-01T17:00:00+09:00"
training_starts_on = "2025-08-01"
"""


@dataclass(frozen=True)
class Applicant:
    romaji: str  # FAMILY Given
    kanji: str
    kana: str
    email: str


def applicant(seed: int, index: int) -> Applicant:
    """A different applicant for every index (below 3.2 million) of one seed."""
    # 7919 is prime and so coprime with 20**5: a bijection of the index range.
    number = (index * 7919 + seed * 104_729) % _NAMES
    digits = []
    for _ in range(5):
        number, digit = divmod(number, len(_SYLLABLES))
        digits.append(_SYLLABLES[digit])
    family, given = digits[:3], digits[3:]
    family_romaji = "".join(s[0] for s in family).upper()
    given_romaji = "".join(s[0] for s in given).capitalize()
    return Applicant(
        romaji=f"{family_romaji} {given_romaji}",
        kanji="".join(s[2] for s in family) + " " + "".join(s[2] for s in given),
        kana="".join(s[1] for s in family) + " " + "".join(s[1] for s in given),
        email=f"{given_romaji.lower()}.{family_romaji.lower()}@example.jp",
    )


def received_at(seed: int, index: int) -> datetime:
    """The INTERNALDATE of mail ``index``: a weekday office hour inside its term."""
    rng = random.Random(f"received/{seed}/{index}")
    term = TERMS[index % len(TERMS)]
    day = term.opens + timedelta(days=rng.randrange((term.closes - term.opens).days + 1))
    hour, minute = rng.randrange(9, 18), rng.randrange(60)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TOKYO)


def _pdf(rng: random.Random, size: int) -> bytes:
    """A one-page PDF holding a scanned image: incompressible bytes, like a real scan."""
    head = (
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
        b"1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]"
        b"/Resources<</XObject<</Im0 4 0 R>>>>/Contents 5 0 R>>endobj\n"
    )
    tail = (
        b"\nendstream endobj\n"
        b"5 0 obj<</Length 32>>stream\nq 595 0 0 842 0 0 cm /Im0 Do Q\nendstream endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )
    image_size = max(size - len(head) - len(tail) - 120, 0)
    image_head = (
        f"4 0 obj<</Type/XObject/Subtype/Image/Width 1240/Height 1754/ColorSpace/DeviceGray"
        f"/BitsPerComponent 8/Filter/DCTDecode/Length {image_size}>>stream\n"
    ).encode("ascii")
    return head + image_head + rng.randbytes(image_size) + tail


@cache
def _blank(form_id: str) -> FilledForm:
    # Loading a blank form costs several times more than filling and saving it; every field
    # and table row is written for each applicant, so one loaded copy serves them all.
    return FilledForm.blank(form_id)


def application_mail(seed: int, index: int, pdf_bytes: int = DEFAULT_PDF_BYTES) -> bytes:
    """Mail ``index``: one applicant's two filled forms and employment certificate."""
    rng = random.Random(f"mail/{seed}/{index}")
    person = applicant(seed, index)
    term = TERMS[index % len(TERMS)]
    arrived = received_at(seed, index)
    city = rng.choice(_CITIES)
    org = f"公益財団法人 {city}{rng.choice(_ORG_KINDS)}"
    window = f"{city}外国人総合相談センター"
    language = rng.choice(_LANGUAGES)

    form1 = _blank(term.form_id).fill(
        application_date=arrived.date(),
        name_kanji=person.kanji,
        name_kana=person.kana,
        name_romaji=person.romaji,
        birth_date=date(rng.randrange(1960, 2000), rng.randrange(1, 13), rng.randrange(1, 29)),
        nationality=rng.choice(("日本", "ベトナム", "ブラジル", "フィリピン", "中国")),
        email=person.email,
        phone=f"0{rng.randrange(10, 99)}-{rng.randrange(100, 999)}-{rng.randrange(1000, 9999)}",
        org_name=org,
        postal_code=f"{rng.randrange(100, 999)}-{rng.randrange(1000, 9999)}",
        prefecture=rng.choice(_PREFECTURES),
        address=f"{city}中央{rng.randrange(1, 9)}-{rng.randrange(1, 30)}-{rng.randrange(1, 20)}",
        window_name=window,
        operator_type=rng.choice(("地方公共団体", "地方公共団体の委託等を受けた機関")),
        is_one_stop_center=rng.choice(("はい", "いいえ")),
        annual_consultations=rng.randrange(300, 5000),
        annual_open_days=rng.randrange(200, 300),
        role=rng.choice(("相談対応者", "相談対応者に対して助言・指導する立場")),
        job_title=f"多言語相談員（{language}）",
        consent_privacy="■",
        consent_truthful="■",
    )

    # Two to four posts, back to back, ending before the term's training starts: always more
    # than a year of tenure and 180 days worked within the 5 years before it.
    form2 = _blank("CSF-R7-FORM2").fill(
        name_kanji=person.kanji,
        name_romaji=person.romaji,
        declaration_date=arrived.date(),
        signer_name=person.kanji,
    )
    end = date(arrived.year, arrived.month, 1) - timedelta(days=1)
    periods = []
    for _ in range(rng.randrange(2, MAX_POSTS + 1)):
        start = date(end.year - 1, end.month, 1) + timedelta(days=rng.randrange(0, 60))
        periods.append((start, end))
        end = start - timedelta(days=1)
    for row in range(len(periods) + 1, MAX_POSTS + 1):  # left over from the previous applicant
        form2.set_entry(row, **{column: None for column in _ENTRY_COLUMNS})
    for row, (start, finish) in enumerate(reversed(periods), start=1):
        form2.set_entry(
            row,
            period_from=start,
            period_to=finish,
            organisation=org if row == len(periods) else f"{rng.choice(_CITIES)}役所 国際課",
            window_name=window,
            employment_type=rng.choice(("常勤", "非常勤")),
            days_worked=rng.randrange(120, 240),
            duties=f"{rng.choice(_DUTIES)}（{language}）",
        )

    name = person.romaji
    return build_mail(
        subject=f"受講申込_{name}",
        message_id=f"bench-{seed}-{index}@example.jp",
        date=arrived,
        from_addr=person.email,
        from_name=person.kanji,
        attachments=[
            SampleAttachment(f"受講申込書_{name}.xlsx", form1.to_bytes(), XLSX),
            SampleAttachment(f"実務経験申告書_{name}.xlsx", form2.to_bytes(), XLSX),
            SampleAttachment(f"在職証明書_{name}.pdf", _pdf(rng, pdf_bytes), "application/pdf"),
        ],
        style=STYLES[index % len(STYLES)],
    )


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "intake-bench"


def _write_one(job: tuple[Path, int, int, int]) -> None:
    path, seed, index, pdf_bytes = job
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(application_mail(seed, index, pdf_bytes))
    tmp.replace(path)  # a run stopped half-way never leaves a truncated mail behind


def cached_mails(
    count: int,
    *,
    seed: int = 1,
    pdf_bytes: int = DEFAULT_PDF_BYTES,
    cache_dir: Path | None = None,
    first: int = 0,
    jobs: int | None = None,
) -> list[Path]:
    """The files of mails ``first`` .. ``first + count - 1``, generating the missing ones."""
    folder = (cache_dir or default_cache_dir()) / f"v{GENERATOR_VERSION}-seed{seed}-pdf{pdf_bytes}"
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{index:06d}.eml" for index in range(first, first + count)]
    missing = [
        (path, seed, first + n, pdf_bytes) for n, path in enumerate(paths) if not path.exists()
    ]
    if len(missing) > 4 and (jobs or os.cpu_count() or 1) > 1:
        print(f"generating {len(missing)} mails into {folder} (cached for later runs)", flush=True)
        with ProcessPoolExecutor(jobs) as pool:
            list(pool.map(_write_one, missing, chunksize=8))
    else:
        for job in missing:
            _write_one(job)
    return paths


def mail_index(path: Path) -> int:
    return int(path.stem)


def applicant_names(seed: int, indexes: Sequence[int]) -> list[str]:
    return [applicant(seed, i).romaji for i in indexes]
