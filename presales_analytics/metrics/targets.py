"""业绩目标达成 target attainment: targets broken down to months, won amount against them, run-rate projection.

How a target becomes a target of the asked period (业绩目标分解):

1. Per scope (``company``, ``region:<name>``, ``director:<name>``, ``department:<name>``), every
   stored target whose period is made of whole calendar months (a year, half, quarter, month, or a
   range from the 1st of a month to the last day of a month) is spread over its months.
2. Finer targets win: targets are taken from the fewest months to the most (ties: earlier start
   first). A target's months that a finer target already set keep that value; the rest of the target
   (its amount minus what its finer targets set, never below 0) is spread evenly over its remaining
   months. A target whose every month is already set changes nothing. Example: year 1200, Q3 360 and
   September 150 → September 150, July and August (360 − 150) ÷ 2 = 105 each, and the nine other
   months (1200 − 360) ÷ 9 ≈ 93.33 each.
3. The target of the asked period is the sum of its months' targets; a month the period covers only
   in part (a week, a date range) counts pro rata by days: month target × days covered ÷ days in
   the month. ``all`` sums every month.
4. A target stored for a week or a range that is not whole months is used only when exactly that
   period is asked; otherwise it is left out and listed in ``df.attrs["ignored_targets"]``.

Months without any target add nothing; ``target_covered`` says whether every month the period
touches had one.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from ..config import Config, load_config
from ..errors import InputError, MissingColumnError
from ..sql import ident
from ..periods import Period
from .base import as_date, check_dimension, finish, period_filter, period_of, require_column, scope, state_date

#: ``by`` values and the scope prefix of their targets.
KINDS = ("company", "region", "director", "department")

COLUMNS = ["scope", "target_amount", "won_amount", "attainment", "elapsed_days", "period_days",
           "projected_amount", "projected_attainment", "target_covered"]

Month = tuple[int, int]


def _months(start: date, end: date) -> list[Month]:
    """The calendar months touched by ``[start, end)``."""
    out, y, m = [], start.year, start.month
    while date(y, m, 1) < end:
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _month_aligned(p: Period) -> bool:
    return p.grain != "all" and p.start.day == 1 and p.end.day == 1


def breakdown(rows: list[tuple[str, float]]) -> tuple[dict[Month, float], dict[Period, float], list[str]]:
    """One scope's targets ``[(period text, amount yuan)]`` → ``(month -> target, exact week/range
    targets, texts of the periods that cannot be broken into months)``; see the module docstring.

    >>> month, exact, odd = breakdown([("2026", 1200), ("2026-Q3", 360), ("2026-09", 150)])
    >>> month[(2026, 7)], month[(2026, 9)], round(month[(2026, 1)], 2)
    (105.0, 150.0, 93.33)
    """
    aligned, exact, odd = [], {}, []
    for text, amount in rows:
        per = Period.parse(text)
        if _month_aligned(per):
            aligned.append((per, float(amount)))
        else:
            exact[per] = float(amount)
            odd.append(str(per))
    aligned.sort(key=lambda t: (len(_months(t[0].start, t[0].end)), t[0].start, t[0].end))
    month: dict[Month, float] = {}
    for per, amount in aligned:
        ms = _months(per.start, per.end)
        free = [m for m in ms if m not in month]
        if not free:
            continue
        rest = max(amount - sum(month[m] for m in ms if m in month), 0.0)
        for m in free:
            month[m] = rest / len(free)
    return month, exact, odd


def period_target(month: dict[Month, float], exact: dict[Period, float], p: Period) -> tuple[float, bool]:
    """``(target yuan, covered)`` of period ``p`` from a scope's breakdown; NaN when nothing applies."""
    if p in exact:
        return exact[p], True
    if p.grain == "all":
        return (float(sum(month.values())), True) if month else (np.nan, False)
    total, covered, any_target = 0.0, True, False
    for y, m in _months(p.start, p.end):
        first = date(y, m, 1)
        days = calendar.monthrange(y, m)[1]
        overlap = (min(p.end, date(y + (m == 12), m % 12 + 1, 1)) - max(p.start, first)).days
        if (y, m) in month:
            total += month[(y, m)] * overlap / days
            any_target = True
        else:
            covered = False
    return (total if any_target else np.nan), covered and any_target


def scope_targets(con: duckdb.DuckDBPyConnection, p: Period, kind: str) -> tuple[dict[str, tuple[float, bool]],
                                                                                  list[str]]:
    """Per scope of ``kind`` (company, region …): ``scope -> (target of p in yuan, covered)`` for the
    scopes with a target for ``p``; and the stored week/range targets that were left out.
    Raises :class:`MissingColumnError` when the targets table is empty."""
    rows = con.execute("SELECT scope, period, CAST(amount AS DOUBLE) FROM targets ORDER BY scope, period").fetchall()
    if not rows:
        raise MissingColumnError(
            "targets needs sales targets (业绩目标), and none are loaded: load a targets file, e.g. a CSV "
            "with the columns 目标范围, 期间, 目标金额（万元） (scope: 公司, 区域:华东, 总监:张伟 or "
            "系统部:政府系统部; period: 2026, 2026-Q3, 2026-09 …) with `presales load targets.csv`; "
            "see docs/data-format.md", column="targets")
    by_scope: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for s, per, amount in rows:
        if s == kind or s.startswith(kind + ":"):
            by_scope[s].append((per, amount))
    out, ignored = {}, []
    for s, items in by_scope.items():
        month, exact, odd = breakdown(items)
        target, covered = period_target(month, exact, p)
        ignored += [f"{s} {o}" for o in odd if Period.parse(o) != p]
        if not np.isnan(target):
            out[s] = (target, covered)
    return out, ignored


def days_elapsed(p: Period, s_date: date | None) -> tuple[float, float]:
    """``(elapsed_days, period_days)``: days of ``p`` up to and including the state date when it falls
    inside ``p``; the whole period when the state date is after it; 0 when before it. NaN for ``all``."""
    if p.grain == "all":
        return np.nan, np.nan
    if s_date is None or s_date >= p.end:
        return float(p.days), float(p.days)
    if s_date < p.start:
        return 0.0, float(p.days)
    return float((s_date - p.start).days + 1), float(p.days)


def targets(con: duckdb.DuckDBPyConnection, period: Period | str | None = None, *, by: str | None = "company",
            as_of: date | str | None = None, config: Config | None = None) -> pd.DataFrame:
    """Target attainment (业绩目标达成率) per scope: the company, or each region, director or department.

    ``by``: ``company`` (default; also None), ``region``, ``director`` or ``department``. One row per
    scope that has a target for the period or won amount in it; rows sorted by scope, a row for won
    projects with no value in the ``by`` column (scope NULL) last.

    Columns: ``scope``: ``company``, or the region, director or department name (``华东``, ``张伟``: the
    ``targets`` table's scope without its ``region:`` … prefix; NULL for won projects without one);
    ``target_amount`` (yuan, the target of the period, broken
    down as the module docstring says; NaN without one); ``won_amount`` (yuan, projects won and closed
    in the period); ``attainment`` = won_amount ÷ target_amount (**denominator: the target**, NaN
    without one); ``elapsed_days`` (days of the period up to and including the state date — the as-of
    date, else the period's last day capped at the latest data date — when it falls inside the period;
    the whole period when after it; 0 before it); ``period_days``; ``projected_amount`` (yuan, run rate:
    won_amount ÷ elapsed_days × period_days; NaN when 0 days have elapsed); ``projected_attainment`` =
    projected_amount ÷ target_amount; ``target_covered`` (every month the period touches had a target).
    Days are whole numbers; for ``all`` the days and the projection are NaN.

    Raises :class:`MissingColumnError` (column ``targets``) when no targets are loaded.
    """
    config = config or load_config()
    p = period_of(period)
    d = as_date(as_of)
    kind = (by or "company").strip().lower()
    if kind not in KINDS:
        raise InputError(f"targets --by {by!r}: targets are set per {', '.join(KINDS)}; use one of those")
    dim = None if kind == "company" else check_dimension(con, kind, "targets")
    found, ignored = scope_targets(con, p, kind)
    if p.grain != "all":
        require_column(con, "closed_at", "targets", why=f"to place won projects in period {p}")
    where, params = period_filter("closed_at", p)
    name = f"{ident(dim)}" if dim else "'company'"
    won = scope(con, d, config).query(con, f"""
        SELECT {name} AS name, CAST(coalesce(sum(amount), 0) AS DOUBLE) AS won_amount
        FROM prj WHERE status = 'won' AND {where} GROUP BY ALL""", params)
    prefix = "" if kind == "company" else kind + ":"
    won_by = {(None if pd.isna(n) else prefix + n if prefix else "company"): float(a)
              for n, a in zip(won["name"], won["won_amount"])}
    scopes = sorted(set(found) | {s for s in won_by if s is not None})
    if None in won_by:
        scopes.append(None)
    s_date = state_date(con, p, d)
    elapsed, total = days_elapsed(p, s_date)
    df = pd.DataFrame({
        "scope": pd.Series(scopes, dtype="str"),
        "target_amount": [found.get(s, (np.nan, False))[0] if s else np.nan for s in scopes],
        "won_amount": [won_by.get(s, 0.0) for s in scopes],
        "target_covered": [bool(found.get(s, (np.nan, False))[1]) if s else False for s in scopes],
    })
    if prefix:
        df["scope"] = df["scope"].str.slice(len(prefix))
    df["attainment"] = df["won_amount"] / df["target_amount"]
    df["elapsed_days"] = elapsed
    df["period_days"] = total
    df["projected_amount"] = (df["won_amount"] / elapsed * total) if elapsed else np.nan
    df["projected_attainment"] = df["projected_amount"] / df["target_amount"]
    if p.grain != "all":   # whole days; NaN (float) only for all
        df = df.astype({"elapsed_days": "int64", "period_days": "int64"})
    df = df[COLUMNS]
    out = finish(df, metric="targets", period=p, as_of=d, by=kind,
                 denominator=f"attainment = won amount (closed in {p}) ÷ target of {p} (months pro rata); "
                             f"projection: run rate to {s_date}",
                 options={"state_date": s_date.isoformat() if s_date else None})
    out.attrs["ignored_targets"] = ignored
    return out


__all__ = ["targets", "breakdown", "period_target", "scope_targets", "days_elapsed", "KINDS", "COLUMNS"]
