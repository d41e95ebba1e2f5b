"""渠道贡献 channel contribution: per channel partner and for direct (直销) sales."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from ..config import Config
from ..errors import InputError
from ..periods import Period
from . import columns as C
from .base import (context, option_flag, data_date, finish, period_filter, period_of, rate, require_column, scope, small_sample,
                   state_date, wilson)
from .spec import Column, MetricSpec, Option

#: What the ``channel`` column shows for projects with no channel partner (channel NULL).
DIRECT = "直销"

COLUMNS = ["channel", "direct", "projects", "won", "closed", "win_rate", "win_rate_low", "win_rate_high",
           "won_amount", "won_share", "open_pipeline_amount", "open_pipeline_share", "median_cycle_days",
           "vs_direct_same_grade", "vs_direct_low", "vs_direct_high", "vs_direct_projects", "vs_direct_comparable",
           "vs_direct_small", "small_sample"]


def state_scope_date(con, period: Period, as_of: date | None) -> tuple[date | None, date | None]:
    """``(state date, as-of date for scope())`` of a state metric: the state date of
    :func:`base.state_date`, and the date to build the scope at (None = the latest data, which is
    the same state as the latest data date and cheaper to read)."""
    s = state_date(con, period, as_of)
    if as_of is None and (s is None or s == data_date(con)):
        return s, None
    return s, s


def channels(con, period: Period | str | None = None, *, by: str | None = None,
             as_of: date | str | None = None, config: Config | None = None,
             exclude_abandoned: bool | str | None = None) -> pd.DataFrame:
    """Channel contribution (渠道贡献): one row per channel partner (渠道商) and one for direct sales
    (with a context's groupings: per scope, ``scope`` first, in one pass).

    Direct = projects with no channel partner (channel NULL), shown as ``直销`` in ``channel`` with
    ``direct`` = True. Rows: partners by name, then direct.

    Columns:

    - ``projects``: projects created in the period (all projects for ``all``), count;
    - ``won``, ``closed``: projects closed in the period (closed date in it), counts; closed = won +
      lost + abandoned (won + lost with ``exclude_abandoned``) — **the denominator** of ``win_rate``;
    - ``win_rate`` = won ÷ closed (NaN when closed = 0); ``win_rate_low`` / ``win_rate_high``: its
      Wilson interval (``[metrics] confidence``, 95%);
    - ``won_amount``: yuan, projects won in the period (no amount adds 0); ``won_share``: of all won
      amount in the period, partners + direct = 1 (NaN when nothing was won);
    - ``open_pipeline_amount``: yuan, projects open at the state date (the as-of date, else the
      period's last day capped at the latest data date); ``open_pipeline_share``: of all open amount;
    - ``median_cycle_days``: median days created → closed over the projects counted in ``closed``
      that have both dates (NaN when none);
    - ``vs_direct_same_grade``: the partner's win rate minus direct's, *stratified by grade* (项目等级;
      no grade counts as a grade of its own): the Mantel–Haenszel weighted difference over the grades
      where both the partner and direct closed projects in the period, weight n₁n₀/(n₁+n₀) per grade
      (n₁ the partner's closed, n₀ direct's), a difference of rates (shown in percentage points).
      ``vs_direct_low`` / ``vs_direct_high``: its interval (normal, at ``[metrics] confidence``, the
      variance from Agresti–Coull adjusted proportions: :func:`mantel_haenszel_difference`);
      ``vs_direct_projects``: the closed projects it rests on (both sides, shared grades);
      ``vs_direct_comparable``: False when no grade has projects on both sides ("not comparable": the
      figures are NaN), and for direct itself; ``vs_direct_small``: the partner has fewer closed
      projects in the shared grades than the small-sample threshold. A positive value: the partner
      wins more often than direct sales on projects of the same grade;
    - ``small_sample``: closed < ``[metrics] small_sample`` (10).

    ``by``: only ``None`` or ``"channel"`` (the rows already are the channels). Raises
    :class:`MissingColumnError` when no loaded export had a channel column.

    >>> import presales_analytics as pa
    >>> con = pa.connect(":memory:")
    >>> channels(con)
    Traceback (most recent call last):
    ...
    presales_analytics.errors.MissingColumnError: channels needs the column 'channel', ...
    """
    ctx = context(con, as_of, config)
    p = period_of(period)
    d = ctx.as_of
    if by is not None and by.strip().lower() != "channel":
        raise InputError(f"channels has one row per channel partner and one for direct; --by {by!r} is not "
                         "meaningful here: leave --by out (or use --by channel)")
    by = "channel" if by is not None else None
    require_column(ctx, "channel", "channels")
    if p.grain != "all":
        require_column(ctx, "closed_at", "channels", why=f"to place projects in period {p}")
    exclude = option_flag(exclude_abandoned, "exclude_abandoned")
    if exclude is None:
        exclude = bool(ctx.setting("metrics", "exclude_abandoned", False))
    small = small_sample(ctx)
    counted = "('won', 'lost')" if exclude else "('won', 'lost', 'abandoned')"

    created, params = period_filter("created_at", p)
    closed_in, _ = period_filter("closed_at", p)
    closed = f"status IN {counted} AND {closed_in}"
    won = f"status = 'won' AND {closed_in}"
    s_date, s_scope = state_scope_date(ctx, p, d)
    same = s_scope == d
    open_cols = ("CAST(coalesce(sum(amount) FILTER (status = 'open'), 0) AS DOUBLE) AS open_pipeline_amount"
                 if same else "0.0 AS open_pipeline_amount")
    s = scope(ctx)
    # one scan: per (scope, channel, grade) for the comparison with direct, per (scope, channel) for the median
    df = s.query(f"""
        SELECT _scope, channel, grade, CAST(grouping(grade) AS INTEGER) AS _total,
               CAST(count(*) FILTER ({created}) AS BIGINT) AS projects,
               CAST(count(*) FILTER ({won}) AS BIGINT) AS won,
               CAST(count(*) FILTER ({closed}) AS BIGINT) AS closed,
               CAST(coalesce(sum(amount) FILTER ({won}), 0) AS DOUBLE) AS won_amount,
               CAST(median(closed_at - created_at) FILTER ({closed} AND closed_at >= created_at) AS DOUBLE)
                   AS median_cycle_days,
               {open_cols}
        FROM prj GROUP BY GROUPING SETS ((_scope, channel), (_scope, channel, grade))""", params)
    opened = None
    if not same:
        opened = scope(ctx.replace(as_of=s_scope)).query("""
            SELECT _scope, channel, CAST(coalesce(sum(amount), 0) AS DOUBLE) AS open_pipeline_amount
            FROM prj WHERE status = 'open' GROUP BY _scope, channel""")
    confidence = float(ctx.setting("metrics", "confidence", 0.95))
    frames = []
    for key in s.keys():
        part = df[df["_scope"] == key].drop(columns="_scope")
        extra = None if opened is None else opened[opened["_scope"] == key].drop(columns="_scope")
        frames.append(_one_scope(part, extra, confidence, small).assign(_scope=key))
    out = s.finish_scopes(pd.concat(frames, ignore_index=True))
    out = out[(["scope"] if ctx.multi else []) + COLUMNS]
    denominator = (f"closed = won + lost{'' if exclude else ' + abandoned'}, projects closed in {p}; "
                   f"won_share: of all won amount in {p}; open pipeline at {s_date}; "
                   "vs_direct_same_grade: Mantel-Haenszel over the grades both closed projects in")
    return finish(out, metric="channels", period=p, as_of=d, by=by, denominator=denominator,
                  options={"exclude_abandoned": exclude, "small_sample": small,
                           "state_date": s_date.isoformat() if s_date else None})


def _one_scope(df: pd.DataFrame, opened: pd.DataFrame | None, confidence: float, small: int) -> pd.DataFrame:
    """One scope's channel rows from its grouped counts (``_total`` 1: per channel; 0: per grade)."""
    per_grade = df[df["_total"] == 0]
    out = df[df["_total"] == 1].drop(columns=["grade", "_total"]).set_index("channel", drop=False)
    if opened is not None:
        missing = opened[~opened["channel"].isin(out["channel"])]
        if len(missing):
            out = pd.concat([out, missing.assign(projects=0, won=0, closed=0, won_amount=0.0)
                             .set_index("channel", drop=False)])
        amounts = dict(zip(opened["channel"], opened["open_pipeline_amount"]))
        out["open_pipeline_amount"] = [float(amounts.get(c, 0.0)) for c in out["channel"]]
    if not out["channel"].isna().any():  # direct always has a row
        direct = pd.DataFrame([{"channel": None, "projects": 0, "won": 0, "closed": 0, "won_amount": 0.0,
                                "median_cycle_days": np.nan, "open_pipeline_amount": 0.0}])
        out = pd.concat([out, direct]) if len(out) else direct
    out = out.reset_index(drop=True)
    out["direct"] = out["channel"].isna()
    out = out.sort_values(["direct", "channel"], kind="stable").reset_index(drop=True)
    for column in ("projects", "won", "closed"):
        out[column] = out[column].astype("int64")
    for column in ("won_amount", "median_cycle_days", "open_pipeline_amount"):
        out[column] = out[column].astype("float64")
    out["win_rate"] = rate(out["won"], out["closed"])
    out["win_rate_low"], out["win_rate_high"] = wilson(out["won"], out["closed"], confidence)
    out["won_share"] = _share(out["won_amount"])
    out["open_pipeline_share"] = _share(out["open_pipeline_amount"])
    compared = _vs_direct(out["channel"], per_grade, confidence)
    for column in ("vs_direct_same_grade", "vs_direct_low", "vs_direct_high"):
        out[column] = [c[column] for c in compared]
    out["vs_direct_projects"] = pd.Series([c["projects"] for c in compared], dtype="int64").to_numpy()
    out["vs_direct_comparable"] = [c["comparable"] for c in compared]
    out["vs_direct_small"] = [c["comparable"] and c["partner_closed"] < small for c in compared]
    out["small_sample"] = out["closed"] < small
    out["channel"] = out["channel"].where(~out["direct"], DIRECT).astype("str")
    return out[COLUMNS]


def _share(amounts: pd.Series) -> pd.Series:
    total = float(amounts.sum())
    return amounts / total if total > 0 else pd.Series(np.nan, index=amounts.index)


def mantel_haenszel_difference(strata: list[tuple[int, int, int, int]], confidence: float = 0.95) -> dict:
    """The Mantel–Haenszel common difference of two proportions over ``strata`` of ``(a, n1, c, n0)``
    (group 1: a successes of n1; group 0: c of n0; strata where either n is 0 are skipped), weight
    n1·n0/(n1+n0) per stratum, with a normal interval whose variance, Σ w²·(p̃1q̃1/(n1+z²) +
    p̃0q̃0/(n0+z²)) / (Σ w)², uses Agresti–Coull adjusted proportions p̃ = (x + z²/2)/(n + z²): unlike
    the plain (or Sato) variance it does not collapse to nothing when a small group won all or none
    (0 of 2 is not a certain 0%). ``{"estimate", "low", "high", "strata"}``, NaN when no stratum is left.

    >>> r = mantel_haenszel_difference([(1, 2, 1, 3), (1, 1, 1, 1)])
    >>> round(r["estimate"], 6), round(r["low"], 4), round(r["high"], 4)
    (0.117647, -0.3104, 0.5457)
    """
    from .base import z_value

    used = [(a, n1, c, n0) for a, n1, c, n0 in strata if n1 > 0 and n0 > 0]
    if not used:
        return {"estimate": np.nan, "low": np.nan, "high": np.nan, "strata": 0}
    z = z_value(confidence)
    z2 = z * z

    def adjusted_variance(x: int, n: int) -> float:
        p = (x + z2 / 2) / (n + z2)
        return p * (1 - p) / (n + z2)

    weights = [n1 * n0 / (n1 + n0) for _, n1, _, n0 in used]
    total = sum(weights)
    estimate = sum(w * (a / n1 - c / n0) for w, (a, n1, c, n0) in zip(weights, used)) / total
    variance = sum(w * w * (adjusted_variance(a, n1) + adjusted_variance(c, n0))
                   for w, (a, n1, c, n0) in zip(weights, used)) / (total * total)
    half = z * variance ** 0.5
    return {"estimate": estimate, "low": max(estimate - half, -1.0), "high": min(estimate + half, 1.0),
            "strata": len(used)}


def _vs_direct(channel: pd.Series, per_grade: pd.DataFrame, confidence: float) -> list[dict]:
    """Per row of ``channel``: the grade-stratified comparison with direct (``channels``' docstring)."""
    key = per_grade["grade"].fillna("\x00")   # no grade: a grade of its own
    rows = per_grade.assign(_grade=key)
    direct = rows[rows["channel"].isna() & (rows["closed"] > 0)]
    direct_counts = {g: (int(w), int(n)) for g, w, n in zip(direct["_grade"], direct["won"], direct["closed"])}
    none = {"vs_direct_same_grade": np.nan, "vs_direct_low": np.nan, "vs_direct_high": np.nan, "projects": 0,
            "comparable": False, "partner_closed": 0}
    out = []
    for c in channel:
        if c is None or (isinstance(c, float) and np.isnan(c)):
            out.append(none)
            continue
        mine = rows[(rows["channel"] == c) & (rows["closed"] > 0) & rows["_grade"].isin(list(direct_counts))]
        strata = [(int(w), int(n), *direct_counts[g]) for g, w, n in zip(mine["_grade"], mine["won"], mine["closed"])]
        if not strata:
            out.append(none)
            continue
        r = mantel_haenszel_difference(strata, confidence)
        out.append({"vs_direct_same_grade": r["estimate"], "vs_direct_low": r["low"], "vs_direct_high": r["high"],
                    "projects": sum(n1 + n0 for _, n1, _, n0 in strata), "comparable": True,
                    "partner_closed": sum(n1 for _, n1, _, _ in strata)})
    return out


SPEC = MetricSpec(
    name="channels", function=channels, zh="渠道贡献", en="Channel contribution",
    definition_zh="每个渠道商及直销：本期创建项目、本期结束项目的赢单率（Wilson 区间）、赢单金额及占比、状态日在手商机金额及占比、"
                  "成交周期中位数，以及按项目等级分层的较直销赢单率之差（Mantel–Haenszel，个百分点，附区间与依据项目数；无共同等级为不可比）。",
    definition_en="per channel partner and direct sales: projects created in the period, win rate of the projects "
                  "closed in it (Wilson interval), won amount and share, open pipeline at the state date and share, "
                  "median cycle days, and the win-rate difference with direct sales stratified by grade "
                  "(Mantel-Haenszel, in percentage points, with its interval and the projects it rests on; not "
                  "comparable without a shared grade).",
    denominator_zh="赢单率：本期结束的项目；占比：全部渠道与直销之和", denominator_en=
    "win rate: projects closed in the period; shares: the total of partners and direct",
    columns=(C.CHANNEL, Column("direct", "bool", "直销", "Direct"), C.PROJECTS.renamed(zh="项目数（本期新建）",
             en="Projects created"), C.WON, C.CLOSED, C.WIN_RATE, C.WIN_RATE_LOW, C.WIN_RATE_HIGH, C.WON_AMOUNT,
             Column("won_share", "rate", "赢单金额占比", "Share of won amount"),
             Column("open_pipeline_amount", "amount", "在途金额", "Open pipeline"),
             Column("open_pipeline_share", "rate", "在途金额占比", "Share of open pipeline"),
             C.MEDIAN_CYCLE_DAYS,
             Column("vs_direct_same_grade", "pp", "较直销（同等级）", "vs direct (same grade)",
                    "与直销的赢单率之差，按项目等级分层（Mantel–Haenszel 加权，只用双方都有已结束项目的等级），单位：个百分点",
                    "win-rate difference with direct sales stratified by grade (Mantel–Haenszel weights, over the "
                    "grades where both closed projects), in percentage points"),
             Column("vs_direct_low", "pp", "差值区间下限", "Difference: interval low",
                    "较直销差值的 95% 区间下限（分层 Wald，Agresti–Coull 校正）", "lower bound of the difference's 95% interval (stratified Wald, Agresti–Coull adjusted)"),
             Column("vs_direct_high", "pp", "差值区间上限", "Difference: interval high",
                    "较直销差值的 95% 区间上限（分层 Wald，Agresti–Coull 校正）", "upper bound of the difference's 95% interval (stratified Wald, Agresti–Coull adjusted)"),
             Column("vs_direct_projects", "count", "比较依据项目数", "Projects compared",
                    "双方在共同等级中的已结束项目数", "closed projects of both sides in the shared grades"),
             Column("vs_direct_comparable", "bool", "可比", "Comparable",
                    "至少一个等级双方都有已结束项目；否则为“不可比”", "some grade has closed projects on both sides; "
                    "else \"not comparable\""),
             Column("vs_direct_small", "bool", "比较小样本", "Comparison: small sample",
                    "本渠道在共同等级中的已结束项目少于小样本阈值", "the partner's closed projects in the shared grades "
                    "are fewer than the small-sample threshold"),
             C.SMALL_SAMPLE),
    options=(Option("exclude_abandoned", None, "分母不含放弃（默认取配置）", "leave abandoned out of the denominator"),),
    by=False, headline=("won_share",))


__all__ = ["channels", "DIRECT", "COLUMNS"]
