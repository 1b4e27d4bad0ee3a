"""Pages announced in the navigation but not built yet: they say so, honestly, and name the
commands that do the same work today."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from intake.entrypoints.web.context import render
from intake.entrypoints.web.navigation import NAVIGATION, Page


def _placeholder(page: Page) -> Route:
    def show(request: Request) -> Response:
        return render(request, "placeholder.html", {"page": page}, active=page.key)

    return Route(page.path, show, methods=["GET"], name=page.key)


def routes() -> list[BaseRoute]:
    return [_placeholder(page) for page in NAVIGATION if not page.ready]
