"""The console's routes, page by page; ``all_routes`` puts them together for the app."""

from __future__ import annotations

from starlette.routing import BaseRoute

from intake.entrypoints.web.routes import auth, dashboard, placeholders


def all_routes() -> list[BaseRoute]:
    return [*auth.routes, *dashboard.routes, *placeholders.routes()]
