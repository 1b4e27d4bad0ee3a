"""Jinja2 for the console: autoescaping everywhere, undefined names are errors, and the
filters that show times in Tokyo time (``jst``, ``jst_date``, ``age``: domain.timefmt)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import jinja2
import jinja2.runtime
import markupsafe
from starlette.templating import Jinja2Templates

from intake.domain.timefmt import screen_date, screen_jst, time_ago

WEB_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"


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
    env.filters["jst"] = screen_jst
    env.filters["jst_date"] = screen_date
    env.globals["age"] = time_ago
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
