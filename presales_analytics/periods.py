"""Reporting periods: a small frozen value, half-open ``[start, end)``.

The spellings are a contract (DESIGN.md): ``2026``, ``2026-H1``, ``2026-Q3``, ``2026-09``,
``2026-W37`` (ISO week, Monday start), ``2026-07-01..2026-09-30`` (the written end date is
inclusive) and ``all``. :meth:`Period.parse` also reads the Chinese spellings the reports print
(``2026年第3季度`` ...), and ``str(p)`` always gives the canonical contract spelling back.

Internally every dated period is ``start <= d < end`` with ``end`` exclusive, so that
``WHERE d >= $start AND d < $end`` is the whole filter, for dates and timestamps alike.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from presales_analytics.errors import InputError

__all__ = ["Period", "GRAINS"]

#: Every grain a :class:`Period` can have.
GRAINS = ("year", "half", "quarter", "month", "week", "range", "all")

# Grains made of whole calendar months, with their length in months.
_MONTHS_IN = {"month": 1, "quarter": 3, "half": 6, "year": 12}
# Sort order of grains, coarse to fine, used to break ties when ordering periods.
_GRAIN_ORDER = {g: i for i, g in enumerate(("all", "year", "half", "quarter", "month", "week", "range"))}

_FORMS = "2026, 2026-H1, 2026-Q3, 2026-09, 2026-W37, 2026-07-01..2026-09-30, all"
_FORMS_ZH = "2026年, 2026年上半年, 2026年第3季度, 2026年9月, 2026年第37周"

_MONTH_ABBR = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun",
               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ZH_DIGIT = {"一": 1, "二": 2, "三": 3, "四": 4}

# Dashes people type instead of "-" (NFKC already folds the full-width hyphen-minus).
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63"), "-")

_D = r"(\d{4})-(\d{1,2})-(\d{1,2})"
_ZH_D = r"(\d{4})年(\d{1,2})月(\d{1,2})日"
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("all", re.compile(r"ALL")),
    ("all_zh", re.compile(r"全部")),
    ("year", re.compile(r"(\d{4})")),
    ("year_zh", re.compile(r"(\d{4})年")),
    ("half", re.compile(r"(\d{4})-?H(\d+)")),
    ("half_zh", re.compile(r"(\d{4})年([上下])半年")),
    ("quarter", re.compile(r"(\d{4})-?Q(\d+)")),
    ("quarter_zh", re.compile(r"(\d{4})年第?(\d+|[一二三四])季度")),
    ("month", re.compile(r"(\d{4})-(\d{1,2})")),
    ("month_zh", re.compile(r"(\d{4})年(\d{1,2})月份?")),
    ("week", re.compile(r"(\d{4})-?W(\d+)")),
    ("week_zh", re.compile(r"(\d{4})年第(\d+)周")),
    ("range", re.compile(_D + r"\s*\.\.\s*" + _D)),
    ("range_zh", re.compile(_ZH_D + "至" + _ZH_D)),
]


class _Reject(Exception):
    """Internal: the text looked like a period but a value is impossible (the reason)."""


def _add_months(first_of_month: date, months: int) -> date:
    """The first day of the month ``months`` after the month of ``first_of_month``."""
    m = first_of_month.year * 12 + first_of_month.month - 1 + months
    return date(m // 12, m % 12 + 1, 1)


def _bounds(grain: str, d: date) -> tuple[date, date]:
    """``(start, end)`` of the calendar period of ``grain`` (month ... year, or week) holding d."""
    if grain == "week":
        start = d - timedelta(days=d.weekday())
        return start, start + timedelta(days=7)
    n = _MONTHS_IN[grain]
    start = date(d.year, (d.month - 1) // n * n + 1, 1)
    return start, _add_months(start, n)


def _iso_weeks(year: int) -> int:
    """Number of ISO weeks (52 or 53) in ISO year ``year``; 28 December is always in the last."""
    return date(year, 12, 28).isocalendar().week


def _shift_year(d: date, years: int) -> date:
    """``d`` moved by whole years; 29 February becomes 28 February in a common year."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


def _as_date(d: date | datetime) -> date:
    return d.date() if isinstance(d, datetime) else d


def _require_date(d: object, where: str) -> None:
    if not isinstance(d, date):
        raise InputError(f"{d!r} is not a date; {where} takes a date or datetime", value=d)


def _check_grain(grain: object, allowed: tuple[str, ...], what: str) -> str:
    g = grain.strip().lower() if isinstance(grain, str) else grain
    if g not in allowed:
        raise InputError(f"{grain!r} is not a grain {what}; use one of: {', '.join(allowed)}",
                         value=grain)
    return g


@functools.total_ordering
@dataclass(frozen=True)
class Period:
    """A reporting period: days ``start <= d < end`` of one ``grain``.

    ``start`` and ``end`` are dates, ``end`` exclusive; both are None for ``all``.
    ``grain`` is one of :data:`GRAINS`. A ``range`` keeps its grain even when its bounds happen
    to equal a calendar period: ``2026-09-01..2026-09-30`` is a range, prints as one, and is
    not equal to ``2026-09`` (it covers the same days, so ``contains`` and ``sql_bounds`` agree).

    Periods are hashable and sort by ``(start, end)`` (``all`` first; same days: coarser
    grain first, range last).

    >>> p = Period.parse("2026-Q3")
    >>> p.start, p.end, p.days
    (datetime.date(2026, 7, 1), datetime.date(2026, 10, 1), 92)
    >>> str(p.previous()), p.label(), p.label("en")
    ('2026-Q2', '2026年第3季度', 'Q3 2026')
    """

    start: date | None
    end: date | None
    grain: str

    # ----------------------------------------------------------------- construction
    def __post_init__(self) -> None:
        g = self.grain
        if g not in GRAINS:
            raise InputError(f"{g!r} is not a period grain; use one of: {', '.join(GRAINS)}",
                             value=g)
        if g == "all":
            if self.start is not None or self.end is not None:
                raise InputError("an 'all' period has no start or end", value=(self.start, self.end))
            return
        for name, d in (("start", self.start), ("end", self.end)):
            if not isinstance(d, date) or isinstance(d, datetime):
                raise InputError(f"a period {name} must be a datetime.date, not {d!r}",
                                 value=d)
        if not self.start < self.end:
            raise InputError(f"a period must end after it starts: start {self.start}, "
                             f"end {self.end} (exclusive)", value=(self.start, self.end))
        if g != "range" and _bounds(g, self.start) != (self.start, self.end):
            raise InputError(f"{self.start}..{self.end} (end exclusive) is not one {g}; "
                             f"build periods with Period.parse or Period.containing",
                             value=(self.start, self.end))

    @classmethod
    def parse(cls, text: str | Period) -> Period:
        """Read a period from its contract spelling (or a Chinese one); a Period is returned as is.

        Case, surrounding whitespace, full-width digits and dashes do not matter: ``2026-q3``,
        ``2026Q3`` and ``２０２６－Ｑ３`` are all ``2026-Q3``. Chinese spellings: ``2026年``,
        ``2026年上半年`` / ``2026年下半年``, ``2026年第3季度``, ``2026年9月``, ``2026年第37周``,
        ``2026年7月1日至2026年9月30日``, ``全部``. A range's written end date is inclusive.
        An int is read as a year. Impossible values (``2026-Q5``, ``2026-13``, ``2025-W53``,
        ``2026-02-30``, a range ending before it starts) raise :class:`InputError`.

        >>> Period.parse("2026-Q3")
        Period(start=datetime.date(2026, 7, 1), end=datetime.date(2026, 10, 1), grain='quarter')
        >>> str(Period.parse(" 2026年第37周 ")), Period.parse("2026-W37").start
        ('2026-W37', datetime.date(2026, 9, 7))
        >>> Period.parse("2026-07-01..2026-09-30").end  # inclusive when written, exclusive inside
        datetime.date(2026, 10, 1)
        """
        if isinstance(text, Period):
            return text
        if isinstance(text, int) and not isinstance(text, bool):
            text_s = str(text)
        elif isinstance(text, str):
            text_s = text
        else:
            raise InputError(_parse_message(text, f"expected text, got {type(text).__name__}"),
                             value=text)
        norm = unicodedata.normalize("NFKC", text_s).translate(_DASHES).strip().upper()
        compact = re.sub(r"\s+", "", norm)
        try:
            for kind, pattern in _PATTERNS:
                # Chinese spellings ignore inner whitespace; contract ones only allow it by "..".
                m = pattern.fullmatch(compact if kind.endswith("_zh") else norm)
                if m is not None:
                    return _build(kind, m.groups())
        except _Reject as reject:
            raise InputError(_parse_message(text, str(reject)), value=text) from None
        raise InputError(_parse_message(text), value=text)

    @classmethod
    def containing(cls, grain: str, d: date | datetime) -> Period:
        """The period of ``grain`` (year, half, quarter, month or ISO week) that holds day ``d``.

        >>> str(Period.containing("week", date(2027, 1, 1)))
        '2026-W53'
        """
        g = _check_grain(grain, ("year", "half", "quarter", "month", "week"), "of a calendar period")
        _require_date(d, "Period.containing")
        start, end = _guarded(lambda: _bounds(g, _as_date(d)))
        return cls(start, end, g)

    @classmethod
    def latest_complete(cls, grain: str, d: date | datetime) -> Period:
        """The latest period of ``grain`` (month, quarter, half, year or week) whose last day is <= d.

        ``d`` is the last day with data (an as-of date), not "today".

        >>> str(Period.latest_complete("month", date(2026, 9, 30)))
        '2026-09'
        >>> str(Period.latest_complete("year", date(2026, 12, 30)))
        '2025'
        """
        g = _check_grain(grain, ("year", "half", "quarter", "month", "week"), "for latest_complete")
        _require_date(d, "Period.latest_complete")
        nxt = _guarded(lambda: _as_date(d) + timedelta(days=1))
        return cls.containing(g, nxt).previous()

    @classmethod
    def latest_complete_quarter(cls, d: date | datetime) -> Period:
        """The latest quarter whose last day is <= ``d``.

        >>> [str(Period.latest_complete_quarter(date(2026, 9, x))) for x in (29, 30)]
        ['2026-Q2', '2026-Q3']
        """
        return cls.latest_complete("quarter", d)

    # ----------------------------------------------------------------- spelling
    def __str__(self) -> str:
        """The canonical contract spelling; ``Period.parse(str(p)) == p``."""
        s, g = self.start, self.grain
        if g == "all":
            return "all"
        if g == "year":
            return f"{s.year:04d}"
        if g == "half":
            return f"{s.year:04d}-H{(s.month - 1) // 6 + 1}"
        if g == "quarter":
            return f"{s.year:04d}-Q{(s.month - 1) // 3 + 1}"
        if g == "month":
            return f"{s.year:04d}-{s.month:02d}"
        if g == "week":
            iso = s.isocalendar()
            return f"{iso.year:04d}-W{iso.week:02d}"
        return f"{s.isoformat()}..{self.last_day.isoformat()}"

    def label(self, lang: str = "zh") -> str:
        """The period as a reader sees it, in Chinese (``zh``, default) or English (``en``).

        >>> Period.parse("2026-09").label(), Period.parse("2026-09").label("en")
        ('2026年9月', 'Sep 2026')
        >>> Period.parse("2026-07-01..2026-09-30").label("en")
        '1 Jul 2026 – 30 Sep 2026'
        """
        lang_n = lang.strip().lower() if isinstance(lang, str) else lang
        if lang_n not in ("zh", "en"):
            raise InputError(f"{lang!r} is not a report language; use zh or en", value=lang)
        zh = lang_n == "zh"
        s, g = self.start, self.grain
        if g == "all":
            return "全部" if zh else "All time"
        if g == "year":
            return f"{s.year}年" if zh else f"{s.year}"
        if g == "half":
            h = (s.month - 1) // 6 + 1
            return f"{s.year}年{'上' if h == 1 else '下'}半年" if zh else f"H{h} {s.year}"
        if g == "quarter":
            q = (s.month - 1) // 3 + 1
            return f"{s.year}年第{q}季度" if zh else f"Q{q} {s.year}"
        if g == "month":
            return f"{s.year}年{s.month}月" if zh else f"{_MONTH_ABBR[s.month]} {s.year}"
        if g == "week":
            iso = s.isocalendar()
            return f"{iso.year}年第{iso.week}周" if zh else f"Week {iso.week} {iso.year}"
        last = self.last_day
        if zh:
            return f"{s.year}年{s.month}月{s.day}日至{last.year}年{last.month}月{last.day}日"
        return (f"{s.day} {_MONTH_ABBR[s.month]} {s.year} – "
                f"{last.day} {_MONTH_ABBR[last.month]} {last.year}")

    # ----------------------------------------------------------------- days
    @property
    def days(self) -> int | None:
        """Number of days in the period (None for ``all``)."""
        return None if self.grain == "all" else (self.end - self.start).days

    @property
    def last_day(self) -> date | None:
        """The last day in the period, ``end - 1 day`` (None for ``all``)."""
        return None if self.grain == "all" else self.end - timedelta(days=1)

    def contains(self, d: date | datetime | None) -> bool:
        """Whether day ``d`` (a date or datetime) falls in ``[start, end)``.

        A datetime counts by its calendar date as written (convert aware timestamps to the
        business time zone first). ``all`` contains every date; a missing date (None, NaT)
        is in no period, not even ``all``.

        >>> p = Period.parse("2026-Q3")
        >>> p.contains(date(2026, 9, 30)), p.contains(datetime(2026, 10, 1, 0, 0))
        (True, False)
        """
        if d is None:
            return False
        if isinstance(d, datetime):
            if d != d:  # pandas NaT
                return False
            d = d.date()
        elif not isinstance(d, date):
            raise InputError(f"{d!r} is not a date; Period.contains takes a date or datetime",
                             value=d)
        if self.grain == "all":
            return True
        return self.start <= d < self.end

    def sql_bounds(self) -> tuple[date | None, date | None]:
        """``(start, end)`` to bind into SQL, end exclusive; ``(None, None)`` for ``all``.

        Write the filter so that NULL bounds mean "no limit", e.g.
        ``($start IS NULL OR d >= $start) AND ($end IS NULL OR d < $end)``.

        >>> Period.parse("2026-09").sql_bounds()
        (datetime.date(2026, 9, 1), datetime.date(2026, 10, 1))
        """
        return self.start, self.end

    # ----------------------------------------------------------------- neighbours
    def previous(self) -> Period:
        """The period of the same grain just before this one.

        A range gives the range of equal length that ends where this one starts.

        >>> [str(Period.parse(x).previous()) for x in ("2026-Q1", "2026-W01", "2021-W01")]
        ['2025-Q4', '2025-W52', '2020-W53']
        """
        self._require_dated("previous period")
        if self.grain == "range":
            return _guarded(lambda: Period(self.start - timedelta(days=self.days), self.start,
                                           "range"))
        return _guarded(lambda: Period.containing(self.grain, self.start - timedelta(days=1)))

    def next(self) -> Period:
        """The period of the same grain just after this one (a range: equal length, from end).

        >>> str(Period.parse("2026-H2").next())
        '2027-H1'
        """
        self._require_dated("next period")
        if self.grain == "range":
            return _guarded(lambda: Period(self.end, self.end + timedelta(days=self.days),
                                           "range"))
        return _guarded(lambda: Period.containing(self.grain, self.end))

    def same_period_last_year(self) -> Period:
        """The same period one year earlier, for year-on-year comparison.

        Calendar grains keep their number (2026-Q3 -> 2025-Q3, 2026-09 -> 2025-09); a week keeps
        its ISO week number and raises InputError when the earlier ISO year has no week 53; a
        range moves both its first and last day back one year (29 February -> 28 February).

        >>> str(Period.parse("2024-02-01..2024-02-29").same_period_last_year())
        '2023-02-01..2023-02-28'
        """
        self._require_dated("same period last year")
        g = self.grain
        if g == "week":
            iso = self.start.isocalendar()
            if iso.week > _guarded(lambda: _iso_weeks(iso.year - 1)):
                raise InputError(
                    f"{self} has no same week last year: {iso.year - 1} has only 52 ISO weeks; "
                    f"compare with {iso.year - 1}-W52 or use a date range", value=str(self))
            start = _guarded(lambda: date.fromisocalendar(iso.year - 1, iso.week, 1))
            return Period(start, start + timedelta(days=7), "week")
        if g == "range":
            return _guarded(lambda: Period(_shift_year(self.start, -1),
                                           _shift_year(self.last_day, -1) + timedelta(days=1),
                                           "range"))
        return _guarded(lambda: Period.containing(g, _shift_year(self.start, -1)))

    def split(self, grain: str) -> list[Period]:
        """This period cut into consecutive periods of a finer ``grain``, in order.

        Calendar periods split along the calendar: a year into halves, quarters or months, a
        half into quarters or months, a quarter into months; splitting into its own grain gives
        ``[self]``. ``day`` gives one-day ranges (for daily targets). ISO weeks straddle months,
        quarters and years, so those never split into weeks, and a week splits only into days.
        A range splits into any grain whose periods tile it exactly (a range from a Monday to a
        Sunday into weeks; one from the 1st of a month to a month end into months).

        >>> [str(q) for q in Period.parse("2026").split("quarter")]
        ['2026-Q1', '2026-Q2', '2026-Q3', '2026-Q4']
        """
        g = _check_grain(grain, ("year", "half", "quarter", "month", "week", "day"),
                         "to split into")
        if self.grain == "all":
            raise InputError(f"'all' cannot be split into {g}s: it has no start or end; "
                             f"split a dated period such as 2026", value="all")
        if g == "day":
            return [Period(self.start + timedelta(days=i), self.start + timedelta(days=i + 1),
                           "range") for i in range(self.days)]
        if self.grain == "range":
            first, last = Period.containing(g, self.start), Period.containing(g, self.last_day)
            if first.start != self.start or last.end != self.end:
                raise InputError(
                    f"cannot split {self} into {g}s: it does not start on the first day of a "
                    f"{g} and end on the last day of one ({first}..{last}); "
                    f"split it into days instead", value=str(self))
        elif g == self.grain:
            return [self]
        elif g == "week" or self.grain == "week" or _MONTHS_IN[g] > _MONTHS_IN[self.grain]:
            why = ("ISO weeks straddle months, quarters and years"
                   if "week" in (g, self.grain) else f"a {g} is longer than a {self.grain}")
            raise InputError(f"cannot split {self} (a {self.grain}) into {g}s: {why}; "
                             f"split it into days instead", value=str(self))
        out = [Period.containing(g, self.start)]
        while out[-1].end < self.end:
            out.append(out[-1].next())
        return out

    # ----------------------------------------------------------------- ordering
    def _key(self) -> tuple[date, date, int]:
        return (self.start or date.min, self.end or date.max, _GRAIN_ORDER[self.grain])

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return self._key() < other._key()

    def _require_dated(self, what: str) -> None:
        if self.grain == "all":
            raise InputError(f"'all' has no {what}: it covers every date; "
                             f"pick a dated period such as 2026-Q3", value="all")


# --------------------------------------------------------------------- parsing helpers
def _parse_message(text: object, reason: str | None = None) -> str:
    msg = f"{text!r} is not a period; use one of: {_FORMS} (or in Chinese: {_FORMS_ZH})"
    return msg + (f". {reason[0].upper()}{reason[1:]}." if reason else "")


def _guarded(make):
    """Run ``make()``; dates outside years 1..9999 become an InputError."""
    try:
        return make()
    except (OverflowError, ValueError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"the period falls outside the supported calendar (years 1 to 9999): "
                         f"{exc}") from None


def _year(text: str) -> int:
    y = int(text)
    if not 1 <= y <= 9998:
        raise _Reject("years run from 0001 to 9998")
    return y


def _number(text: str, low: int, high: int, what: str) -> int:
    n = _ZH_DIGIT[text] if text in _ZH_DIGIT else int(text)
    if not low <= n <= high:
        raise _Reject(f"{what} runs from {low} to {high}, not {n}")
    return n


def _day(y: str, m: str, d: str) -> date:
    try:
        return date(_year(y), int(m), int(d))
    except ValueError:
        raise _Reject(f"{y}-{m}-{d} is not a date") from None


def _build(kind: str, groups: tuple[str, ...]) -> Period:
    base = kind.removesuffix("_zh")
    if base == "all":
        return Period(None, None, "all")
    if base == "range":
        first, last = _day(*groups[:3]), _day(*groups[3:])
        if last < first:
            raise _Reject(f"the range ends ({last}) before it starts ({first})")
        return _guarded(lambda: Period(first, last + timedelta(days=1), "range"))
    y = _year(groups[0])
    if base == "year":
        month = 1
    elif base == "half":
        h = {"上": 1, "下": 2}.get(groups[1]) or _number(groups[1], 1, 2, "a half (H)")
        month = 6 * (h - 1) + 1
    elif base == "quarter":
        month = 3 * (_number(groups[1], 1, 4, "a quarter (Q)") - 1) + 1
    elif base == "month":
        month = _number(groups[1], 1, 12, "a month")
    else:  # week
        weeks = _iso_weeks(y)
        w = _number(groups[1], 1, 53, "an ISO week (W)")
        if w > weeks:
            raise _Reject(f"{y} has only {weeks} ISO weeks")
        return Period.containing("week", date.fromisocalendar(y, w, 1))
    return Period.containing(base, date(y, month, 1))


# --------------------------------------------------------------------- a period against the data
#: what a period is, seen from the latest date in the data (the "data date")
COMPLETE, IN_PROGRESS, NOT_BEGUN = "complete", "in progress", "not begun"


def period_state(period: Period, data_day: date | datetime | None) -> str:
    """:data:`COMPLETE` (its last day is on or before the data date, or it is ``all``),
    :data:`IN_PROGRESS` (the data date falls before its last day) or :data:`NOT_BEGUN` (it starts after
    the data date). Without a data date (an empty database) every period counts as complete.

    >>> d = date(2026, 12, 3)
    >>> [period_state(Period.parse(x), d) for x in ("2026-Q3", "2026-Q4", "2027-Q1", "all", "2026-12-03..2026-12-03")]
    ['complete', 'in progress', 'not begun', 'complete', 'complete']
    """
    if period.grain == "all" or data_day is None:
        return COMPLETE
    d = _as_date(data_day)
    if period.start > d:
        return NOT_BEGUN
    return IN_PROGRESS if d < period.last_day else COMPLETE


def require_begun(period: Period, data_day: date | datetime | None) -> str:
    """``period``'s state (:func:`period_state`); an :class:`InputError` when it has not begun, since a
    report of it would be all zeros ("won amount down 100% on the previous quarter").

    >>> require_begun(Period.parse("2027-Q1"), date(2026, 12, 3))
    Traceback (most recent call last):
    ...
    presales_analytics.errors.InputError: period 2027-Q1 (2027年第1季度) has not begun: the data ends on 2026-12-03 (the latest date in the loaded exports); give a period that starts on or before that day with --period, e.g. 2026-Q4 (in progress) or 2026-Q3
    """
    state = period_state(period, data_day)
    if state == NOT_BEGUN:
        d = _as_date(data_day)
        raise InputError(f"period {period} ({period.label('zh')}) has not begun: the data ends on {d} (the latest "
                         f"date in the loaded exports); give a period that starts on or before that day with "
                         f"--period, e.g. {Period.containing('quarter', d)} (in progress) or "
                         f"{Period.latest_complete_quarter(d)}", value=str(period))
    return state


def compared_with(period: Period) -> tuple[Period | None, Period | None]:
    """What ``period`` is compared with: (the previous period, the same period last year); (None, None)
    for ``all``, which has neither.

    >>> [tuple(map(str, compared_with(Period.parse("2026-Q3")))), compared_with(Period.parse("all"))]
    [('2026-Q2', '2025-Q3'), (None, None)]
    """
    if period.grain == "all":
        return None, None
    return period.previous(), period.same_period_last_year()


__all__ += ["period_state", "require_begun", "compared_with", "COMPLETE", "IN_PROGRESS", "NOT_BEGUN"]
