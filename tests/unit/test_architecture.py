"""Checks that keep the design so.

- Lifecycle states are written and compared only through :mod:`intake.domain.lifecycle`: no
  code of the package compares or assigns a ``status``, ``state``, ``server_state`` or
  ``resolution`` attribute with a string literal (the enums' members are used instead).
- The import-linter contract "the domain imports nothing of intake outside the domain" names
  every other top-level module of the package, so a new module cannot slip past it.
"""

from __future__ import annotations

import ast
import pkgutil
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

import intake

PACKAGE = Path(intake.__file__).parent
LIFECYCLE = PACKAGE / "domain" / "lifecycle.py"
PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
STATE_NAMES = frozenset({"status", "state", "server_state", "resolution"})
# Keywords of column and field declarations that give a default value.
DEFAULT_KEYWORDS = frozenset({"default", "server_default", "insert_default"})


def _literals(node: ast.AST | None) -> list[ast.Constant]:
    """The string literals an expression is made of: a literal, a choice between literals
    (``"a" if x else "b"``, ``x or "a"``), or a collection of them (``in ("a", "b")``)."""
    if node is None:
        return []
    if isinstance(node, ast.Constant):
        return [node] if isinstance(node.value, str) else []
    if isinstance(node, ast.IfExp):
        return _literals(node.body) + _literals(node.orelse)
    if isinstance(node, ast.BoolOp):
        return [c for value in node.values for c in _literals(value)]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [c for element in node.elts for c in _literals(element)]
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in {"frozenset", "set", "tuple", "list"}
    ):
        return [c for arg in node.args for c in _literals(arg)]
    return []


def _is_state(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr in STATE_NAMES


class _Finder(ast.NodeVisitor):
    def __init__(self) -> None:
        self.found: list[tuple[int, str]] = []

    def _flag(self, node: ast.AST, what: str) -> None:
        self.found.append((getattr(node, "lineno", 0), what))

    # x.status == "sent", x.status in ("a", "b"), "sent" != x.state
    def visit_Compare(self, node: ast.Compare) -> None:
        operands = [node.left, *node.comparators]
        if any(_is_state(o) for o in operands) and any(
            _literals(o) for o in operands if not _is_state(o)
        ):
            self._flag(node, "comparison with a string literal")
        self.generic_visit(node)

    # x.status = "sent"; x.status, x.note = "sent", None; x.state: str = "open"
    def _check_assignment(self, node: ast.AST, target: ast.AST, value: ast.AST | None) -> None:
        if isinstance(target, ast.Tuple | ast.List):
            pairs = (
                zip(target.elts, value.elts, strict=False)
                if isinstance(value, ast.Tuple | ast.List) and len(value.elts) == len(target.elts)
                else ((t, value) for t in target.elts)
            )
            for element, part in pairs:
                self._check_assignment(node, element, part)
        elif _is_state(target) and _literals(value):
            self._flag(node, "assignment of a string literal")

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._check_assignment(node, target, node.value)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._check_assignment(node, node.target, node.value)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._check_assignment(node, node.target, node.value)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        # Row(status="open"), select(status="open"), x.status.in_(("a", "b"))
        for keyword in node.keywords:
            if keyword.arg in STATE_NAMES and _literals(keyword.value):
                self._flag(node, f"keyword {keyword.arg}= with a string literal")
        method = node.func
        if (
            isinstance(method, ast.Attribute)
            and _is_state(method.value)
            and any(_literals(arg) for arg in node.args)
        ):
            self._flag(node, f".{method.attr}() of a state with a string literal")
        self.generic_visit(node)

    # class Row: status: Mapped[str] = mapped_column(default="open"); status: str = "open"
    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for statement in node.body:
            if isinstance(statement, ast.AnnAssign):
                targets, value = [statement.target], statement.value
            elif isinstance(statement, ast.Assign):
                targets, value = statement.targets, statement.value
            else:
                continue
            named = any(isinstance(t, ast.Name) and t.id in STATE_NAMES for t in targets)
            if not named or value is None:
                continue
            defaults = (
                [k.value for k in value.keywords if k.arg in DEFAULT_KEYWORDS]
                if isinstance(value, ast.Call)
                else [value]
            )
            if any(_literals(d) for d in defaults):
                self._flag(statement, "field default of a string literal")
        self.generic_visit(node)

    # def rejections(self, status="open")
    def _check_defaults(self, args: ast.arguments) -> None:
        positional = [*args.posonlyargs, *args.args]
        pairs = list(
            zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True)
        )
        pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d]
        for arg, default in pairs:
            if arg.arg in STATE_NAMES and _literals(default):
                self._flag(default, f"parameter {arg.arg} defaulting to a string literal")

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._check_defaults(node.args)
        self.generic_visit(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._check_defaults(node.args)
        self.generic_visit(node)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._check_defaults(node.args)
        self.generic_visit(node)

    # match row.status: case "sent": ...
    def visit_Match(self, node: ast.Match) -> None:
        if _is_state(node.subject):
            for case in node.cases:
                for pattern in ast.walk(case.pattern):
                    if isinstance(pattern, ast.MatchValue) and _literals(pattern.value):
                        self._flag(pattern, "match case of a string literal")
        self.generic_visit(node)


def literal_states(source: str) -> list[tuple[int, str]]:
    finder = _Finder()
    finder.visit(ast.parse(source))
    return sorted(finder.found)


def _package_sources() -> Iterator[Path]:
    for path in sorted(PACKAGE.rglob("*.py")):
        if path != LIFECYCLE:
            yield path


def test_no_state_is_a_string_literal_outside_the_lifecycle_module() -> None:
    checked = list(_package_sources())
    assert len(checked) > 50  # the walk really covers the package
    problems = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {what}"
        for path in checked
        for line, what in literal_states(path.read_text(encoding="utf-8"))
    ]
    assert problems == []


VIOLATIONS = """
class Row:
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)  # 3
    state: str = "pending"  # 4
    resolution = None
    server_state: Mapped[str] = mapped_column(String(20), comment="x")

def rows(self, status: str = "open", *, state="x"):  # 8
    if row.status == "sent":  # 9
        row.status = "held"  # 10
    if "sent" != row.server_state or row.state in ("a", "b"):  # 11
        pass
    row.status, row.note = "held", None  # 13
    row.resolution = "operator" if manual else "accepted"  # 14
    add(Rejection(status="open"))  # 15
    query.where(Ack.status.in_(("pending", "held")))  # 16
    row.server_state = x.server_state or "none"  # 17
    match row.status:
        case "sent":  # 19
            pass
    if row.status not in {"open"}:  # 21
        pass
"""

ALLOWED = """
class Row:
    status: Mapped[Status] = mapped_column(EnumString(Status), default=Status.OPEN)
    state: Status = Status.PENDING

def rows(self, status: Status | None = Status.OPEN, label: str = "open"):
    if row.status is Status.SENT or row.status in (Status.CLAIMED, Status.SENDING):
        row.status = lifecycle.hold(row.status)
    row.status, row.note = step.status, "note"
    sheet.sheet_state == "visible"
    choice == "all"
    print(f"{row.status}", status.value == "open", row.note == "x")
    json = {"status": row.status}
"""


def test_the_check_finds_every_form_of_literal_state() -> None:
    lines = [line for line, _ in literal_states(VIOLATIONS)]
    assert lines == [3, 4, 8, 8, 9, 10, 11, 11, 13, 14, 15, 16, 17, 19, 21]
    assert literal_states(ALLOWED) == []


def test_the_domain_contract_names_every_other_module_of_the_package() -> None:
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]
    assert config["root_package"] == "intake"
    (contract,) = [c for c in config["contracts"] if c["id"] == "domain-is-pure"]
    assert contract["source_modules"] == ["intake.domain"]
    others = {f"intake.{m.name}" for m in pkgutil.iter_modules(intake.__path__)} - {"intake.domain"}
    assert set(contract["forbidden_modules"]) == others


@pytest.mark.parametrize("name", sorted(STATE_NAMES))
def test_each_state_name_is_checked(name: str) -> None:
    assert literal_states(f'row.{name} = "x"\nif row.{name} == "y": pass\n') == [
        (1, "assignment of a string literal"),
        (2, "comparison with a string literal"),
    ]
