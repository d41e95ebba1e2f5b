"""Metric specs: the one place a metric is defined (name, function, columns, denominator, options).

A :class:`MetricSpec` says everything a reader or an output needs about a metric: its command-line
name, the function computing it, its title, definition and denominator in Chinese and English, the
options it takes (with defaults) and, for every output column, a :class:`Column` (kind, unit, zh/en
label, number format). The registry (:mod:`presales_analytics.metrics.registry`) holds one spec per
metric; the command line, the reports, the workbook, the dashboard and ``docs/metrics.md`` read it, so
a figure has one name and one format everywhere.

Column kinds and how they print (:mod:`presales_analytics.presentation` does the printing):

========  =============================================  ===================  ==================
kind      value                                          zh                   en
========  =============================================  ===================  ==================
count     an integer count                               1,234                1,234
amount    yuan                                           1,235万元 (by size)   ¥12,345,678
rate      a fraction (0.3125)                            31.3%                31.3%
pp        a difference of two rates, in points (0.05)    +5.0个百分点          +5.0 pp
days      days (may be fractional)                       172 天                172 d
score     the 0–1 audit score                            65.6 分               65.6
number    a plain number                                 1.23                 1.23
date      a date                                         2026年9月30日          2026-09-30
bool      yes / no                                       是 / 否               yes / no
text      text (escaped wherever it is shown)            as is                as is
========  =============================================  ===================  ==================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

KINDS = ("count", "amount", "rate", "pp", "days", "score", "number", "date", "bool", "text")

#: the unit a kind's values are printed in, (zh, en); "" for none
UNITS = {"count": ("", ""), "amount": ("万元", "¥"), "rate": ("%", "%"), "pp": ("个百分点", "pp"),
         "days": ("天", "d"), "score": ("分", ""), "number": ("", ""), "date": ("", ""), "bool": ("", ""),
         "text": ("", "")}

#: decimals a kind prints with (amount: of 万元 in zh; of yuan in en: 0)
DIGITS = {"count": 0, "amount": 2, "rate": 1, "pp": 1, "days": 0, "score": 1, "number": 2}


@dataclass(frozen=True)
class Column:
    """One output column: ``key`` (the DataFrame column), ``kind`` (see the module docstring), labels."""

    key: str
    kind: str
    zh: str
    en: str
    definition_zh: str = ""
    definition_en: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column {self.key}: kind {self.kind!r} is not one of {KINDS}")

    def label(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en

    def unit(self, lang: str = "zh") -> str:
        return UNITS[self.kind][0 if lang == "zh" else 1]

    @property
    def digits(self) -> int | None:
        return DIGITS.get(self.kind)

    @property
    def numeric(self) -> bool:
        return self.kind in DIGITS

    def renamed(self, key: str | None = None, *, zh: str | None = None, en: str | None = None) -> "Column":
        """The same figure under another key or label (e.g. a denominator marked as such)."""
        return Column(key or self.key, self.kind, zh or self.zh, en or self.en, self.definition_zh,
                      self.definition_en)


@dataclass(frozen=True)
class Option:
    """An option of a metric: its name, default, what it does; ``choices`` for an enumerated one."""

    name: str
    default: Any
    zh: str
    en: str
    choices: tuple = ()


@dataclass(frozen=True)
class MetricSpec:
    """Everything about one metric (module docstring)."""

    name: str                          # command-line name: win-rate, stage-durations …
    function: Callable
    zh: str                            # title
    en: str
    definition_zh: str
    definition_en: str
    denominator_zh: str
    denominator_en: str
    columns: tuple[Column, ...]
    options: tuple[Option, ...] = ()
    by: bool = True                    # takes --by
    by_values: tuple[str, ...] = ()    # when set, --by takes only these (members: the role, as -o role=)
    scoped: bool = True                # computes for ctx.across(...) groupings in one pass
    headline: tuple[str, ...] = field(default=())   # the columns that are headline figures

    def column(self, key: str) -> Column:
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(f"metric {self.name} has no column {key!r}; columns: "
                       + ", ".join(c.key for c in self.columns))

    def has(self, key: str) -> bool:
        return any(c.key == key for c in self.columns)

    def title(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en

    def definition(self, lang: str = "zh") -> str:
        return self.definition_zh if lang == "zh" else self.definition_en

    def denominator(self, lang: str = "zh") -> str:
        return self.denominator_zh if lang == "zh" else self.denominator_en

    @property
    def option_names(self) -> list[str]:
        return [o.name for o in self.options]


__all__ = ["Column", "Option", "MetricSpec", "KINDS", "UNITS", "DIGITS"]
