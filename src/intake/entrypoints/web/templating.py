"""Jinja2 for the console: autoescaping everywhere, undefined names are errors, and the
filters that show times in Tokyo time the way the secretariat writes them."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import jinja2
import jinja2.runtime
import markupsafe
from starlette.templating import Jinja2Templates

from intake.domain.model import TOKYO

WEB_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"
WEEKDAYS = "月火水木金土日"


def jst(instant: datetime | None) -> str:
    """2025/04/14（月）10:05"""
    if instant is None:
        return ""
    local = instant.astimezone(TOKYO)
    return f"{local:%Y/%m/%d}（{WEEKDAYS[local.weekday()]}）{local:%H:%M}"


def jst_date(instant: datetime | None) -> str:
    if instant is None:
        return ""
    local = instant.astimezone(TOKYO)
    return f"{local:%Y/%m/%d}（{WEEKDAYS[local.weekday()]}）"


def age(instant: datetime | None, now: datetime) -> str:
    """How long ago, as a person says it: たった今 / 5 分前 / 3 時間前 / 2 日前."""
    if instant is None:
        return ""
    seconds = int((now - instant).total_seconds())
    if seconds < 0:
        return "これから"
    if seconds < 60:
        return "たった今"
    if seconds < 3600:
        return f"{seconds // 60} 分前"
    if seconds < 86400:
        return f"{seconds // 3600} 時間前"
    return f"{seconds // 86400} 日前"


@jinja2.pass_context
def csrf_input(context: jinja2.runtime.Context) -> markupsafe.Markup:
    """The hidden field every POST form carries: ``{{ csrf_input() }}``."""
    return markupsafe.Markup('<input type="hidden" name="{}" value="{}">').format(
        context["csrf_field"], context["csrf_token"]
    )


def build_templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["jst"] = jst
    env.filters["jst_date"] = jst_date
    env.globals["age"] = age
    env.globals["csrf_input"] = csrf_input
    return Jinja2Templates(env=env)


def static_version() -> str:
    """A short digest of the static files, appended to their URLs so that a browser fetches
    them again after an upgrade."""
    digest = hashlib.sha256()
    for path in sorted(STATIC_DIR.rglob("*")):
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]
