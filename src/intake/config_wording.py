"""How a problem in the config file is told: one Japanese line per pydantic error, naming the
key as an operator finds it in the file (terms by their id and name, not by index)."""

from __future__ import annotations

from typing import Any

from pydantic_core import ErrorDetails

# Japanese wording of pydantic's error types (its own messages are English).
_PROBLEMS: dict[str, str] = {
    "int_parsing": "整数で書いてください",
    "int_type": "整数で書いてください",
    "int_from_float": "整数で書いてください",
    "float_parsing": "数値で書いてください",
    "float_type": "数値で書いてください",
    "bool_parsing": "true か false で書いてください",
    "bool_type": "true か false で書いてください",
    "string_type": '文字列（"…" で囲む）で書いてください',
    "datetime_parsing": '日時は "2025-07-01T17:00:00+09:00" の形で書いてください',
    "datetime_type": '日時は "2025-07-01T17:00:00+09:00" の形で書いてください',
    "datetime_from_date_parsing": '日時は "2025-07-01T17:00:00+09:00" の形で書いてください',
    "date_parsing": '日付は "2025-08-01" の形で書いてください',
    "date_type": '日付は "2025-08-01" の形で書いてください',
    "date_from_datetime_parsing": '日付は "2025-08-01" の形で書いてください',
    "date_from_datetime_inexact": '日付は時刻を付けずに "2025-08-01" の形で書いてください',
    "list_type": "配列（[ … ]）で書いてください",
    "dict_type": "表（[…] または { … }）で書いてください",
    "model_type": "表（[…] または { … }）で書いてください",
    "model_attributes_type": "表（[…] または { … }）で書いてください",
}


def _where(loc: tuple[int | str, ...], raw: dict[str, Any]) -> str:
    """Name a config key as an operator finds it: terms by their id and label, not by index."""
    if len(loc) >= 2 and loc[0] == "terms" and isinstance(loc[1], int):
        terms = raw.get("terms")
        entry = terms[loc[1]] if isinstance(terms, list) and loc[1] < len(terms) else None
        if isinstance(entry, dict):
            label = str(entry.get("name") or f"{loc[1] + 1} 番目の期")
            term = f"[[terms]] {label}（id = {entry.get('id', '?')}）"
        else:
            term = f"[[terms]] {loc[1] + 1} 番目"
        rest = ".".join(str(p) for p in loc[2:])
        return f"{term}の {rest}" if rest else term
    return ".".join(str(p) for p in loc) or "(ルート)"


def _problem(error: ErrorDetails) -> str:
    kind = error["type"]
    context = error.get("ctx") or {}
    if kind in _PROBLEMS:
        return _PROBLEMS[kind]
    if kind == "value_error":
        return str(context.get("error", error["msg"]))
    if kind in ("literal_error", "enum"):
        return f"使える値は {context.get('expected', '')} のどれかです"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bound = next(iter(context.values()), "")
        wording = {
            "greater_than_equal": "以上",
            "greater_than": "より大きい値",
            "less_than_equal": "以下",
            "less_than": "未満",
        }[kind]
        return f"{bound} {wording}にしてください"
    if kind == "too_short":
        return f"少なくとも {context.get('min_length', 1)} つ必要です"
    return f"値が不正です（{kind}）"


def describe_error(error: ErrorDetails, raw: dict[str, Any]) -> str:
    """One validation error of the config as one Japanese line naming the key."""
    where = _where(error["loc"], raw)
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"設定ファイル: 未知のキー {where} があります"
    if kind in ("missing", "too_short") and error["loc"] == ("terms",):
        return (
            "設定ファイル: [[terms]] がありません。募集期（id、name、opens_at、closes_at、"
            "training_starts_on）を 1 つ以上書いてください"
            "（ないとすべてのメールが募集期間外になります）"
        )
    if kind == "missing":
        return f"設定ファイル: 必須のキー {where} がありません"
    value = error.get("input")
    shown = (
        f"（値: {value!r}）"
        if isinstance(value, str | int | float) and kind != "value_error"
        else ""
    )
    return f"設定ファイル: {where} の値が不正です: {_problem(error)}{shown}"
