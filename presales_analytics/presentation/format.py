"""Numbers and dates as every output prints them (reports, dashboard tiles and tables, workbook notes).

Ties round away from zero (四舍五入) on the float's exact value, as the dashboard's one JavaScript
helper (``PresalesStats.fixed`` in ``dashboard/assets/stats.js``, tested against this module in
chromium) rounds, so a figure reads the same in a report and on the dashboard (Python's own format
rounds ties to even: 31.25 -> 31.2).

>>> fmt_amount(12_345_678), fmt_amount(12_345_678, "en"), fmt_pct(0.3125, 1)
('1,235万元', '¥12,345,678', '31.3%')
>>> fmt_date("2026-09-30"), fmt_date("2026-09-30", "en"), fmt_month("2026-09-30"), fmt_month("2026-09-30", "en")
('2026年9月30日', '2026-09-30', '2026年9月', 'Sep 2026')
"""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

MISSING = "—"
#: a time as every output prints it (in the configured zone, to the second: no microseconds)
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_MONTH_ABBR = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def fixed(x: float, digits: int, *, grouping: bool = False) -> str:
    """``x`` with ``digits`` decimals, ties rounded away from zero on the float's exact value (see the
    module docstring).

    >>> fixed(31.25, 1), fixed(0.125, 2), fixed(1234567.5, 0, grouping=True)
    ('31.3', '0.13', '1,234,568')
    """
    q = Decimal(x).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return f"{q:,.{digits}f}" if grouping else f"{q:.{digits}f}"


def is_missing(value) -> bool:
    """None, NaN, NaT or pd.NA: a value every output shows as missing (an em dash, an empty cell)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return (isinstance(value, float) and math.isnan(value)) or bool(pd.isna(value))
    except (TypeError, ValueError):   # a list or array is not one missing value
        return False


def fmt_amount(yuan, lang: str = "zh", *, yi: bool = True) -> str:
    """Yuan as every output prints an amount, with the precision an amount of its size deserves (zh):
    亿元 with two decimals from 1亿 up (``yi=False`` keeps 万元, as table columns do so that a column reads
    in one unit); 万元 without decimals from 1,000万 up; 万元 with one decimal below. English: ¥ with
    thousands. Ties away from zero (:func:`fixed`); the dashboard's ``PresalesStats.amount`` is the same.

    >>> fmt_amount(2_728_398_000), fmt_amount(2_728_398_000, yi=False), fmt_amount(12_345_678)
    ('27.28亿元', '272,840万元', '1,235万元')
    >>> fmt_amount(1_000_000), fmt_amount(125_000), fmt_amount(12_345_678, "en")
    ('100.0万元', '12.5万元', '¥12,345,678')
    """
    if is_missing(yuan):
        return MISSING
    if lang == "zh":
        if yi and abs(yuan) >= 1e8:
            return f"{fixed(yuan / 1e8, 2, grouping=True)}亿元"
        return f"{fixed(yuan / 1e4, 0 if abs(yuan) >= 1e7 else 1, grouping=True)}万元"
    return f"¥{fixed(yuan, 0, grouping=True)}"


def fmt_pct(rate, digits: int = 1) -> str:
    """A fraction as a percentage, one decimal as every rate of a metric spec reads (``fmt_pct(0.3125)`` ->
    '31.3%', ties away from zero, see :func:`fixed`); ``digits=0`` for round policy thresholds (80%)."""
    if is_missing(rate):
        return MISSING
    return f"{fixed(rate * 100, digits)}%"


#: the kinds a metric spec's columns have (metrics/spec.py) and the older table kinds, as one set
_LEGACY = {"pct": "rate", "int": "count"}


def fmt_value(v, kind: str, lang: str = "zh", *, unit: bool = False) -> str:
    """A value of a metric column of ``kind`` (metrics/spec.py: count, amount, rate, pp, days, score,
    number, date, bool, text) as every output prints it; ``unit`` adds the unit where a table's header
    does not carry it (天, 分, 个百分点). Missing values show as an em dash.

    >>> fmt_value(0.3125, "rate"), fmt_value(12_345_678, "amount"), fmt_value(0.6479, "score")
    ('31.3%', '1,235万元', '64.8')
    >>> fmt_value(-0.35, "pp"), fmt_value(-0.35, "pp", "en"), fmt_value(142.5, "days", unit=True)
    ('-35.0个百分点', '-35.0 pp', '143 天')
    """
    kind = _LEGACY.get(kind, kind)
    if is_missing(v):
        return MISSING
    zh = lang == "zh"
    if kind == "rate":
        return fmt_pct(v, 1)
    if kind == "amount":
        return fmt_amount(v, lang, yi=False)
    if kind in ("count", "days"):
        text = fixed(float(v), 0, grouping=True)
        return f"{text} 天" if unit and kind == "days" and zh else f"{text} d" if unit and kind == "days" else text
    if kind == "pp":
        text = ("+" if v > 0 else "") + fixed(float(v) * 100, 1)
        return text + ("个百分点" if zh else " pp")
    if kind == "score":
        text = fixed(float(v) * 100, 1)
        return f"{text}分" if unit and zh else text
    if kind == "number":
        return fixed(float(v), 2, grouping=True)
    if kind == "date":
        return fmt_date(v, lang)
    if kind == "bool" or isinstance(v, bool):
        return ("是" if v else "否") if zh else ("yes" if v else "no")
    return str(v)


def fmt_cell(v, kind: str, lang: str = "zh") -> str:
    """A table cell's text (:func:`fmt_value` without units: the header carries them)."""
    return fmt_value(v, kind, lang)


def _as_date(value) -> date | None:
    if value is None or value == "" or is_missing(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def fmt_date(value, lang: str = "zh") -> str:
    """A day: 2026年9月30日 (zh) or 2026-09-30 (en); ``value`` a date, datetime or ISO text; missing: —."""
    d = _as_date(value)
    if d is None:
        return MISSING
    return f"{d.year}年{d.month}月{d.day}日" if lang == "zh" else d.isoformat()


def fmt_month(value, lang: str = "zh") -> str:
    """The month of a day: 2026年9月 (zh) or Sep 2026 (en), as a month period's label reads."""
    d = _as_date(value)
    if d is None:
        return MISSING
    return f"{d.year}年{d.month}月" if lang == "zh" else f"{_MONTH_ABBR[d.month]} {d.year}"


def agree(n: int, one: str, many: str) -> str:
    """English words after a count ``n``: ``one`` for exactly 1 ("project has"), else ``many``
    ("projects have"). Chinese needs none (个项目 whatever the count).

    >>> f"{1} {agree(1, 'project has', 'projects have')} gaps", f"{3} {agree(3, 'project has', 'projects have')} gaps"
    ('1 project has gaps', '3 projects have gaps')
    """
    return one if n == 1 else many


def css_string(text: str) -> str:
    r"""``text`` as a quoted CSS string that cannot end its ``<style>`` element: backslash, quotes, line
    breaks and ``<`` are CSS escapes (the print footers of the reports and the dashboard).

    >>> css_string('审计 "Q3" </style>')
    '"审计 \\22 Q3\\22  \\3c /style\\3e "'
    """
    out = []
    for ch in text:
        out.append(f"\\{ord(ch):x} " if ch in '\\"\'<>\n\r&' else ch)
    return '"' + "".join(out) + '"'


__all__ = ["agree", "fixed", "fmt_amount", "fmt_pct", "fmt_cell", "fmt_value", "fmt_date", "fmt_month", "is_missing", "MISSING",
           "TIME_FORMAT", "css_string"]
