"""Where the shipped templates/ and migrations/ folders are.

The repository keeps them at its top level; the build packs them into the package as
``intake/templates`` and ``intake/migrations`` (pyproject's force-include), where
:mod:`importlib.resources` finds them. An editable install (``pip install -e .``) runs the package
from ``src/``, which does not hold them: for it the installer's own record of the checkout it
points at (PEP 610's ``direct_url.json``, ``dir_info.editable``) says where they are. Which of the
two applies is read from the installation, never guessed from what exists on disk.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import metadata, resources
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

DISTRIBUTION = "intake"


def _editable_checkout() -> Path | None:
    """The checkout an editable install of intake points at; None for any other install."""
    try:
        record = metadata.distribution(DISTRIBUTION).read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return None
    if not record:
        return None
    direct_url = json.loads(record)
    if not direct_url.get("dir_info", {}).get("editable"):
        return None
    url = urlparse(direct_url["url"])
    return Path(url2pathname(url.path)) if url.scheme == "file" else None


@cache
def _resource_root() -> Path:
    checkout = _editable_checkout()
    if checkout is not None:
        return checkout
    package = resources.files("intake")
    if not isinstance(package, Path):  # e.g. imported from a zip: Jinja and Alembic need files
        raise FileNotFoundError(f"intake is not installed as files ({package})")
    return package


def resource_dir(name: str) -> Path:
    folder = _resource_root() / name
    if not folder.is_dir():
        raise FileNotFoundError(f"{name}/ is missing from the installation ({folder})")
    return folder


def migrations_dir() -> Path:
    return resource_dir("migrations")


def templates_dir() -> Path:
    return resource_dir("templates")
