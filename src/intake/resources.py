"""Where the shipped templates/ and migrations/ folders are.

In a wheel they sit inside the package (pyproject's force-include); in a source checkout or an
editable install they are at the repository root.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_REPO_ROOT = _PACKAGE.parent.parent


def resource_dir(name: str) -> Path:
    for candidate in (_PACKAGE / name, _REPO_ROOT / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"{name}/ is missing from the installation")


def migrations_dir() -> Path:
    return resource_dir("migrations")


def templates_dir() -> Path:
    return resource_dir("templates")
