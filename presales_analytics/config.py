"""Effective configuration: the built-in ``defaults.toml`` overlaid by an optional ``presales.toml``.

The file is looked up as ``$PRESALES_CONFIG`` or ``./presales.toml``. A key set there replaces
the built-in one whole (a user's ``[[stages]]`` list replaces the stage model; a user's
``[documents]`` table replaces the document kinds), except that tables are merged key by key.
"""

from __future__ import annotations

import os
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from .errors import InputError

_DEFAULTS = Path(__file__).with_name("defaults.toml")
_SEPARATORS = re.compile(r"[\s_\-/.·:：()（）\"'“”]+")


def value_key(text: str) -> str:
    """How values and headers are compared: NFKC (full-width to half-width), no separators,
    case-folded. ``value_key(" Closed-Won ")`` and ``value_key("closedwon")`` are equal.

    >>> value_key(" Proposal/Price Quote ")
    'proposalpricequote'
    """
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).casefold()


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


@dataclass(frozen=True)
class Config:
    """The effective configuration, as plain data (``raw``) with helpers for the stage model."""

    raw: dict[str, Any] = field(repr=False)
    source: str = "built-in defaults"

    @property
    def time_zone(self) -> str:
        return self.raw["time_zone"]

    @cached_property
    def stages(self) -> list[dict]:
        """The stage model in order, terminal stages last."""
        return list(self.raw["stages"])

    @cached_property
    def stage_keys(self) -> list[str]:
        return [s["key"] for s in self.stages]

    @cached_property
    def working_stages(self) -> list[str]:
        return [s["key"] for s in self.stages if not s.get("terminal")]

    @cached_property
    def terminal_stages(self) -> list[str]:
        return [s["key"] for s in self.stages if s.get("terminal")]

    def stage_label(self, key: str, lang: str = "zh") -> str:
        for s in self.stages:
            if s["key"] == key:
                return s.get(lang, key)
        return key

    def aliases(self, kind: str) -> dict[str, str]:
        """``value_key(spelling) -> key`` for ``kind`` in stage, status, grade, activity, document.

        Every key, every label (zh, en) and every alias counts as a spelling.
        """
        return self._alias_tables[kind]

    def spellings(self, kind: str) -> list[str]:
        """The canonical keys and Chinese names of ``kind``, for error messages."""
        return self._spellings[kind]

    @cached_property
    def _entries(self) -> dict[str, list[dict]]:
        def from_table(table: dict) -> list[dict]:
            return [{"key": k, **v} for k, v in table.items()]

        stages = self.stages
        status = [{"key": "open", "zh": "进行中", "en": "Open",
                   "aliases": self.raw.get("status", {}).get("open", [])}]
        status += [s for s in stages if s.get("terminal")]
        return {"stage": stages, "status": status, "grade": list(self.raw["grades"]),
                "activity": from_table(self.raw["activities"]),
                "document": from_table(self.raw["documents"])}

    @cached_property
    def _alias_tables(self) -> dict[str, dict[str, str]]:
        tables: dict[str, dict[str, str]] = {}
        for kind, entries in self._entries.items():
            table: dict[str, str] = {}
            for e in entries:
                for spelling in [e["key"], e.get("zh", ""), e.get("en", ""), *e.get("aliases", [])]:
                    if spelling:
                        k = value_key(spelling)
                        if table.get(k, e["key"]) != e["key"]:
                            raise InputError(f"configuration ({self.source}): {kind} spelling "
                                             f"{spelling!r} is given for both {table[k]!r} and {e['key']!r}")
                        table[k] = e["key"]
            tables[kind] = table
        return tables

    @cached_property
    def _spellings(self) -> dict[str, list[str]]:
        return {kind: [f"{e['key']} ({e['zh']})" if e.get("zh") else e["key"] for e in entries]
                for kind, entries in self._entries.items()}

    def grade_for_amount(self, amount_yuan: float | None) -> str | None:
        """The grade an amount implies on its own (the highest threshold it exceeds), or None."""
        if amount_yuan is None:
            return None
        for g in sorted((g for g in self.raw["grades"] if "min_amount" in g),
                        key=lambda g: -g["min_amount"]):
            if amount_yuan > g["min_amount"]:
                return g["key"]
        return None


def load_config(path: str | os.PathLike | None = None) -> Config:
    """The effective configuration: defaults, overlaid by ``path``, ``$PRESALES_CONFIG`` or
    ``./presales.toml`` (the first that is given or exists)."""
    with open(_DEFAULTS, "rb") as f:
        raw = tomllib.load(f)
    candidate = path or os.environ.get("PRESALES_CONFIG")
    explicit = candidate is not None
    candidate = Path(candidate) if candidate else Path("presales.toml")
    if not candidate.exists():
        if explicit:
            raise InputError("configuration file not found", file=str(candidate))
        return Config(raw)
    try:
        with open(candidate, "rb") as f:
            user = tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", file=str(candidate)) from exc
    return Config(_merge(raw, user), source=str(candidate))


def dump_toml(data: dict, _prefix: str = "") -> str:
    """TOML text of a configuration dict (scalars, lists, tables, arrays of tables): enough for
    ``presales config show``; round-trips through ``tomllib``."""
    import json

    def value(v) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return repr(v)
        if isinstance(v, str):
            return json.dumps(v, ensure_ascii=False)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{_key(k)} = {value(x)}" for k, x in v.items()) + " }"
        raise TypeError(type(v))

    lines: list[str] = []
    tables = []
    for k, v in data.items():
        if isinstance(v, dict) and not all(isinstance(x, dict) for x in v.values()) or (isinstance(v, dict) and not v):
            tables.append((k, v))
        elif isinstance(v, dict):
            tables.append((k, v))
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            tables.append((k, v))
        else:
            lines.append(f"{_key(k)} = {value(v)}")
    for k, v in tables:
        name = f"{_prefix}{_key(k)}"
        if isinstance(v, list):
            for item in v:
                lines.append(f"\n[[{name}]]")
                lines.extend(f"{_key(a)} = {value(b)}" for a, b in item.items())
        else:
            lines.append(f"\n[{name}]")
            lines.extend(f"{_key(a)} = {value(b)}" for a, b in v.items())
    return "\n".join(lines).strip() + "\n"


def _key(k: str) -> str:
    import re as _re

    return k if _re.fullmatch(r"[A-Za-z0-9_-]+", k) else '"' + k.replace('"', '\\"') + '"'
