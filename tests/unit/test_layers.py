"""Import contracts later work relies on: entrypoints (CLI, daemon, web console) reach
adapters only through intake.bootstrap and never touch SQLAlchemy; the read side is typed
against its ports alone; the domain imports nothing of intake outside the domain."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import intake

PACKAGE = Path(intake.__file__).parent


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """Every module a file imports, at any depth (lazy imports in functions too)."""
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            yield node.lineno, module
            for alias in node.names:  # `from intake import adapters` names a module too
                yield node.lineno, f"{module}.{alias.name}"


def offences(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in sorted((PACKAGE / folder).rglob("*.py")):
        for line, module in imports(path):
            if any(module == f or module.startswith(f"{f}.") for f in forbidden):
                found.append(f"{path.relative_to(PACKAGE)}:{line} imports {module}")
    return found


def test_entrypoints_use_no_sqlalchemy_and_reach_adapters_only_through_bootstrap() -> None:
    assert offences("entrypoints", ("sqlalchemy", "intake.adapters")) == []


def test_the_read_side_is_typed_against_its_ports() -> None:
    assert offences("services/views", ("sqlalchemy", "intake.adapters", "intake.bootstrap")) == []


def test_the_domain_imports_nothing_of_intake_outside_the_domain() -> None:
    outside = [
        f"intake.{p.name}"
        for p in PACKAGE.iterdir()
        if p.name not in ("domain", "__pycache__", "__init__.py", "py.typed")
    ]
    assert offences("domain", ("sqlalchemy", *(o.removesuffix(".py") for o in outside))) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import sqlalchemy.orm", "sqlalchemy.orm"),
        ("from sqlalchemy import select", "sqlalchemy"),
        ("from intake import adapters", "intake.adapters"),
        ("def f():\n    from ...adapters.orm import Message", "intake.adapters.orm"),
    ],
)
def test_the_contract_sees_every_form_of_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, expected: str
) -> None:
    fake = tmp_path / "intake"
    (fake / "entrypoints" / "cli").mkdir(parents=True)
    (fake / "entrypoints" / "cli" / "bad.py").write_text(source, encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake)
    assert any(
        expected in offence
        for offence in offences("entrypoints", ("sqlalchemy", "intake.adapters"))
    )
