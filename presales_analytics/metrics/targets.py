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

import numpy as np
import pandas as pd

from ..config import Config
from ..errors import InputError, MissingColumnError
from ..periods import Period
from ..sql import ident
from . import columns as C
from .base import (check_dimension, context, finish, period_filter, period_of, require_column, scope, scope_members,
                   state_date)
from .context import MetricContext
from .spec import MetricSpec, Option

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


def _stored_targets(ctx: MetricContext) -> list[tuple[str, str, float]]:
    """Every stored target ``(scope, period, amount yuan)``; :class:`MissingColumnError` when none."""
    rows = ctx.execute("SELECT scope, period, CAST(amount AS DOUBLE) FROM targets ORDER BY scope, period")
    if not rows:
        raise MissingColumnError(
            "targets needs sales targets (业绩目标), and none are loaded: load a targets file, e.g. a CSV "
            "with the columns 目标范围, 期间, 目标金额（万元） (scope: 公司, 区域:华东, 总监:张伟 or "
            "系统部:政府系统部; period: 2026, 2026-Q3, 2026-09 …) with `presales load targets.csv`; "
            "see docs/data-format.md", column="targets")
    return rows


def scope_targets(con_or_ctx, p: Period, kind: str) -> tuple[dict[str, tuple[float, bool]], list[str]]:
    """Per stored target scope of ``kind`` (company, region …): ``scope -> (target of p in yuan,
    covered)`` for the scopes with a target for ``p`` (keys as stored: ``company``, ``region:华东``); and
    the stored week/range targets that were left out. Raises :class:`MissingColumnError` when the
    targets table is empty."""
    ctx = context(con_or_ctx)
    rows = _stored_targets(ctx)
    return ctx.remember(("scope_targets", str(p), kind, tuple(rows)), lambda: _breakdown_all(rows, p, kind))


def _breakdown_all(rows, p: Period, kind: str) -> tuple[dict[str, tuple[float, bool]], list[str]]:
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


def own_target(ctx: MetricContext, scope_key: str, p: Period) -> tuple[float, bool] | None:
    """The target of ``p`` a scope is held to as a whole (``company``: the company's; ``region:华东``:
    the region's own), or None without one."""
    kind = scope_key.split(":", 1)[0]
    found, _ = scope_targets(ctx, p, kind)
    return found.get(scope_key)


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


def targets(con, period: Period | str | None = None, *, by: str | None = "company",
            as_of: date | str | None = None, config: Config | None = None) -> pd.DataFrame:
    """Target attainment (业绩目标达成率) per target holder: the company, or each region, director or
    department (with a context's groupings, per scope as well: one pass for every scope).

    ``by``: ``company`` (default; also None), ``region``, ``director`` or ``department``. One row per
    holder that has a target for the period or won amount in it; rows sorted by holder, a row for won
    projects with no value in the ``by`` column (holder NULL) last.

    In a scope (``region:华东`` …) the ``company`` row is the scope as a whole, held to the scope's own
    target (the region's, department's or director's); by director or department, the holders are the
    directors (departments) with projects in the scope, each with its whole target and the won amount
    of its projects in the scope; region targets apply only to the company-wide figures.

    Columns: ``scope``: ``company``, or the region, director or department name (``华东``, ``张伟``: the
    ``targets`` table's scope without its ``region:`` … prefix; NULL for won projects without one) —
    with groupings the leading ``scope`` column is the scope computed (``region:华东``) and the holder
    is in ``name``; ``target_amount`` (yuan, the target of the period, broken
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
    ctx = context(con, as_of, config)
    p = period_of(period)
    d = ctx.as_of
    kind = (by or "company").strip().lower()
    if kind not in KINDS:
        raise InputError(f"targets --by {by!r}: targets are set per {', '.join(KINDS)}; use one of those")
    dim = None if kind == "company" else check_dimension(ctx, kind, "targets")
    found, ignored = scope_targets(ctx, p, kind)
    if p.grain != "all":
        require_column(ctx, "closed_at", "targets", why=f"to place won projects in period {p}")
    where, params = period_filter("closed_at", p)
    s = scope(ctx)
    name = f"{ident(dim)}" if dim else "'company'"
    won = s.query(f"""
        SELECT _scope, {name} AS name, CAST(coalesce(sum(amount), 0) AS DOUBLE) AS won_amount
        FROM prj WHERE status = 'won' AND {where} GROUP BY ALL""", params)
    members = scope_members(ctx, dim) if dim in ("director", "department") and ctx.narrowed else {}
    s_date = state_date(ctx, p, d)
    elapsed, total = days_elapsed(p, s_date)
    prefix = "" if kind == "company" else kind + ":"
    frames = []
    for key in s.keys():
        rows = won[won["_scope"] == key]
        won_by = {(None if pd.isna(n) else n): float(a) for n, a in zip(rows["name"], rows["won_amount"])}
        if kind == "company":
            own = own_target(ctx, key, p)
            held = {"company": own} if own else {}
        elif key == "company":
            held = {t[len(prefix):]: v for t, v in found.items()}
        elif kind == "region":
            held = {}
        else:
            held = {t[len(prefix):]: v for t, v in found.items() if t[len(prefix):] in members.get(key, ())}
        names = sorted(set(held) | {n for n in won_by if n is not None})
        if None in won_by:
            names.append(None)
        frames.append(pd.DataFrame({
            "_scope": key,
            "scope": pd.Series(names, dtype="str"),
            "target_amount": pd.Series([held[n][0] if n in held else np.nan for n in names], dtype="float64"),
            "won_amount": pd.Series([won_by.get(n, 0.0) for n in names], dtype="float64"),
            "target_covered": pd.Series([bool(held[n][1]) if n in held else False for n in names], dtype="bool"),
        }))
    df = pd.concat(frames, ignore_index=True)
    df["attainment"] = df["won_amount"] / df["target_amount"]
    df["elapsed_days"] = elapsed
    df["period_days"] = total
    df["projected_amount"] = (df["won_amount"] / elapsed * total) if elapsed else np.nan
    df["projected_attainment"] = df["projected_amount"] / df["target_amount"]
    if p.grain != "all":   # whole days; NaN (float) only for all
        df = df.astype({"elapsed_days": "int64", "period_days": "int64"})
    if ctx.multi:
        df = df.rename(columns={"scope": "name"})
        df = s.finish_scopes(df)[["scope", "name"] + COLUMNS[1:]]
    else:
        df = s.finish_scopes(df)[COLUMNS]
    out = finish(df, metric="targets", period=p, as_of=d, by=kind,
                 denominator=f"attainment = won amount (closed in {p}) ÷ target of {p} (months pro rata); "
                             f"projection: run rate to {s_date}",
                 options={"state_date": s_date.isoformat() if s_date else None})
    out.attrs["ignored_targets"] = ignored
    return out


SPEC = MetricSpec(
    name="targets", function=targets, zh="业绩目标达成", en="Target attainment",
    definition_zh="赢单金额（本期赢单并结束的项目）÷ 本期目标；目标按月分解（细的目标优先，余额均摊），不足一月按天折算；"
                  "预计 = 赢单金额 ÷ 已过天数 × 期间天数。",
    definition_en="won amount (projects won and closed in the period) ÷ the period's target; targets are broken "
                  "down to months (finer targets first, the rest spread evenly), part months pro rata by days; "
                  "projection = won amount ÷ days elapsed × days in the period.",
    denominator_zh="本期目标", denominator_en="the period's target",
    columns=(C.TARGET_HOLDER, C.TARGET_AMOUNT, C.WON_AMOUNT, C.ATTAINMENT, C.ELAPSED_DAYS, C.PERIOD_DAYS,
             C.PROJECTED_AMOUNT, C.PROJECTED_ATTAINMENT, C.TARGET_COVERED),
    options=(Option("by", "company", "目标持有者：company、region、director 或 department",
                    "target holder: company, region, director or department", KINDS),),
    by=False, headline=("attainment",))


__all__ = ["targets", "own_target", "breakdown", "period_target", "scope_targets", "days_elapsed", "KINDS", "COLUMNS"]
