"""Lookup tables for columns whose values come from a closed list (stage, status, grade, activity
kind, document type, target scope, period) or are rewritten by a mapping file's ``[values.X]``.

Such columns have few distinct values even in a huge export, so each distinct value is resolved
once in Python and the result joined back in DuckDB as a small table ``(raw, key, reason)``.
"""

from __future__ import annotations

import re

from ..config import Config, value_key
from ..periods import Period
from ..errors import InputError
from .values import WHITESPACE

#: Channel cells that mean "no channel partner" (direct sales): stored as NULL.
DIRECT_SPELLINGS = {value_key(s) for s in
                    ["直销", "直签", "直接", "直营", "自营", "无", "无渠道", "direct", "none", "n/a", "na", "-", "—"]}

_SCOPE = re.compile(r"^\s*([^:：]+?)\s*[:：]\s*(.+?)\s*$")
_SCOPE_KINDS = {value_key(k): v for k, v in {
    "region": "region", "区域": "region", "办事处": "region", "营销中心": "region",
    "director": "director", "总监": "director", "项目总监": "director",
    "department": "department", "部门": "department", "系统部": "department", "产品部": "department",
}.items()}
_COMPANY = {value_key(s) for s in ["company", "公司", "全公司", "公司整体", "总部"]}

_KIND_NAMES = {"stage": "stage", "status": "status", "grade": "grade", "activity": "activity kind",
               "document": "document type"}


def _resolve_scope(text: str) -> tuple[str | None, str | None]:
    if value_key(text) in _COMPANY:
        return "company", None
    m = _SCOPE.match(text)
    if m and value_key(m.group(1)) in _SCOPE_KINDS:
        return f"{_SCOPE_KINDS[value_key(m.group(1))]}:{m.group(2)}", None
    return None, (f"'{text}' is not a target scope; use 公司 (company), 区域:<name> (region:<name>), "
                  "总监:<name> (director:<name>) or 系统部:<name> (department:<name>)")


def _resolve_period(text: str) -> tuple[str | None, str | None]:
    try:
        return str(Period.parse(text)), None
    except InputError as exc:
        return None, str(exc)


def resolve_values(kind: str, column: str, raw_values: list[str], config: Config,
                   user_values: dict[str, str]) -> list[tuple[str, str | None, str | None]]:
    """One ``(raw, key, reason)`` per distinct raw value: the canonical ``key`` (None if blank or
    refused) and the ``reason`` it was refused (None otherwise).

    ``user_values`` is the mapping file's ``[values.<column>]``: export spelling -> canonical value;
    it is tried before the built-in spellings.
    """
    user = {value_key(k): v for k, v in user_values.items()}
    rows = []
    for raw in raw_values:
        text = raw.strip(WHITESPACE)
        key = reason = None
        if not text:
            pass
        elif value_key(text) in user:
            key = user[value_key(text)] or None
            if kind in _KIND_NAMES and key is not None:
                key = config.aliases(kind).get(value_key(key), key)
                if key not in set(config.aliases(kind).values()):
                    raise InputError(f"[values.{column}] maps {text!r} to {user[value_key(text)]!r}, "
                                     f"which is not a known {_KIND_NAMES[kind]}; known: "
                                     f"{', '.join(config.spellings(kind))}")
        elif kind in _KIND_NAMES:
            key = config.aliases(kind).get(value_key(text))
            if key is None:
                reason = (f"'{text}' is not a known {_KIND_NAMES[kind]} (known: "
                          f"{', '.join(config.spellings(kind))}); add it under [values.{column}] "
                          "in a mapping file")
        elif kind == "scope":
            key, reason = _resolve_scope(text)
        elif kind == "period":
            key, reason = _resolve_period(text)
        elif column == "channel" and value_key(text) in DIRECT_SPELLINGS:
            key = None
        else:
            key = text
        rows.append((raw, key, reason))
    return rows


def needs_lookup(kind: str, column: str, user_values: dict[str, dict[str, str]]) -> bool:
    return kind in _KIND_NAMES or kind in ("scope", "period") or column == "channel" or column in user_values
