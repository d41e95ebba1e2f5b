"""项目总监考核 the director scorecard: outcomes, targets, speed, stalls, compliance and the audit score."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import Config
from ..errors import MissingColumnError
from . import columns as C
from .base import active_filter, company_norm, context, finish, period_filter, period_of, require_column, scope, small_sample, \
    state_date
from .spec import MetricSpec
from .win_rate import win_rate

COLUMNS = ["director", "projects", "open", "won", "lost", "abandoned", "closed", "win_rate", "win_rate_low",
           "win_rate_high", "won_amount", "target_amount", "attainment", "median_cycle_days", "stalled",
           "compliance_rate", "score", "score_low", "rank", "small_sample"]


def score_weights(config: Config) -> dict[str, float]:
    """The configured [score_weights], normalised to sum to 1."""
    raw = {k: float(v) for k, v in config.raw.get("score_weights", {}).items()}
    total = sum(raw.values()) or 1.0
    return {k: v / total for k, v in raw.items()}


def directors(con, period=None, *, by: str | None = None, as_of=None,
              config: Config | None = None) -> pd.DataFrame:
    """The director scorecard (项目总监考核), one row per director, ranked.

    Columns: ``director``; ``projects`` (led and active in the period: created on or before its end and
    not closed before its start); ``open`` (open at the state date); ``won``, ``lost``, ``abandoned``,
    ``closed`` and ``win_rate`` with ``win_rate_low``/``win_rate_high`` exactly as
    :func:`~presales_analytics.metrics.win_rate.win_rate` (closed in the period); ``won_amount`` (yuan);
    ``target_amount`` and ``attainment`` from :func:`~presales_analytics.metrics.targets.targets` (NaN when the
    director has no target); ``median_cycle_days`` (created to closed, projects closed in the period, all
    outcomes); ``stalled`` (stalled projects at the state date); ``compliance_rate`` (checks passed ÷ checks
    due, :func:`~presales_analytics.metrics.compliance.compliance`).

    ``score`` (审计考核得分, 0–1) = the weighted mean of the components that apply, weights from
    ``[score_weights]`` normalised to sum 1 and renormalised over the components a director has:
    win rate; attainment capped at ``[score] attainment_cap`` (1.2) ÷ the cap; compliance rate; speed =
    company median cycle days (every project, whatever scope the connection is narrowed to) ÷ the
    director's, capped at 1. ``score_low`` is the same with the win rate's
    Wilson lower bound: directors are ranked (``rank`` 1 = best) by ``score_low``, then ``score``, so a
    small sample (``small_sample``: fewer closed projects than the threshold) cannot top the table by luck.
    The weights are in ``df.attrs["options"]["weights"]``.
    """
    ctx = context(con, as_of, config)
    config, d = ctx.config, ctx.as_of
    p = period_of(period)
    require_column(ctx, "director", "directors")
    when = state_date(ctx, p, d)
    s = scope(ctx)
    weights = score_weights(config)
    cap = float(config.raw.get("score", {}).get("attainment_cap", 1.2))

    active, active_params = active_filter(p)
    active_params["when"] = when
    closed_filter, closed_params = period_filter("closed_at", p)
    base = s.query(f"""
        SELECT _scope, director,
               CAST(count(*) FILTER ({active}) AS BIGINT) AS projects,
               CAST(count(*) FILTER (status = 'open' AND (created_at IS NULL OR created_at <= $when)) AS BIGINT) AS open,
               median(date_diff('day', created_at, closed_at)) FILTER (status <> 'open' AND {closed_filter}
                                                                       AND closed_at >= created_at)
                   AS median_cycle_days
        FROM prj WHERE director IS NOT NULL GROUP BY _scope, director""", {**active_params, **closed_params})
    base = s.finish_scopes(base)
    keys = (["scope"] if ctx.multi else []) + ["director"]
    # the company's median, in every scope (the norm a director is held to)
    company_cycle = company_norm(ctx, "median_cycle", (str(p), d), lambda company: scope(company).query(
        f"""SELECT median(date_diff('day', created_at, closed_at)) AS m FROM prj
            WHERE status <> 'open' AND {closed_filter} AND closed_at >= created_at""", closed_params)["m"].iloc[0])

    rates = win_rate(ctx, p, by="director")
    df = base.merge(rates.drop(columns=["open"]), on=keys, how="outer")
    df = df[df["director"].notna()]

    df["target_amount"] = np.nan
    df["attainment"] = np.nan
    try:
        from .targets import targets as targets_metric

        t = targets_metric(ctx, p, by="director")
        t = t.rename(columns={"name" if ctx.multi else "scope": "director"})[keys + ["target_amount"]]
        df = df.drop(columns=["target_amount"]).merge(t, on=keys, how="left")
        df["attainment"] = (df["won_amount"] / df["target_amount"]).where(df["target_amount"] > 0)
    except MissingColumnError:  # no targets loaded: attainment stays unknown, and is left out of the score
        pass

    from .stalled import stalled as stalled_metric
    st = stalled_metric(ctx, p)
    counts = (st.groupby(keys).size().rename("stalled").reset_index() if len(st)
              else pd.DataFrame({**{k: pd.Series(dtype="str") for k in keys}, "stalled": pd.Series(dtype="int64")}))
    df = df.merge(counts, on=keys, how="left")
    df["stalled"] = df["stalled"].fillna(0).astype("int64")

    from .compliance import compliance as compliance_metric
    comp = compliance_metric(ctx, p, level="director", stalled_projects=st)
    df = df.merge(comp[keys + ["compliance_rate"]], on=keys, how="left")

    for column in ["projects", "open", "won", "lost", "abandoned", "closed"]:
        df[column] = df[column].fillna(0).astype("int64")
    df["won_amount"] = df["won_amount"].fillna(0.0)
    small = small_sample(ctx)
    df["small_sample"] = df["closed"] < small

    speed = (company_cycle / df["median_cycle_days"]).clip(upper=1.0) if company_cycle and company_cycle > 0 \
        else pd.Series(np.nan, index=df.index)
    speed = speed.where(df["median_cycle_days"] > 0, 1.0 if company_cycle else np.nan)
    attainment = (df["attainment"].clip(upper=cap) / cap)
    parts = {"attainment": attainment, "compliance": df["compliance_rate"], "speed": speed}

    def weighted(win_component: pd.Series) -> pd.Series:
        comps = {"win_rate": win_component, **parts}
        total = pd.Series(0.0, index=df.index)
        used = pd.Series(0.0, index=df.index)
        for name, series in comps.items():
            w = weights.get(name, 0.0)
            ok = series.notna()
            total = total + (series.fillna(0.0) * w).where(ok, 0.0)
            used = used + pd.Series(np.where(ok, w, 0.0), index=df.index)
        return (total / used).where(used > 0)

    df["score"] = weighted(df["win_rate"])
    df["score_low"] = weighted(df["win_rate_low"])
    if ctx.multi:
        order = {k: i for i, k in enumerate(s.keys())}
        df = df.assign(_o=df["scope"].map(order))
        df = df.sort_values(["_o", "score_low", "score", "director"], ascending=[True, False, False, True],
                            na_position="last", kind="stable").drop(columns="_o").reset_index(drop=True)
        df["rank"] = df.groupby("scope", sort=False).cumcount() + 1
    else:
        df = df.sort_values(["score_low", "score", "director"], ascending=[False, False, True],
                            na_position="last", kind="stable").reset_index(drop=True)
        df["rank"] = range(1, len(df) + 1)
    df = df[(["scope"] if ctx.multi else []) + COLUMNS]
    return finish(df, metric="directors", period=p, as_of=d, by="director",
                  denominator="win rate: closed in the period (won + lost + abandoned); compliance: checks due; "
                              "rank by score_low (score with the win rate's Wilson lower bound)",
                  options={"weights": weights, "attainment_cap": cap, "small_sample": small,
                           "company_median_cycle_days": None if company_cycle is None or pd.isna(company_cycle)
                           else float(company_cycle)})


SPEC = MetricSpec(
    name="directors", function=directors, zh="项目总监考核", en="Director scorecard",
    definition_zh="每位项目总监：本期活跃项目、结果与赢单率（Wilson 区间）、赢单金额、目标达成、成交周期中位数、停滞项目、"
                  "制度执行率与审计考核得分（赢单率、达成率（封顶 1.2 后 ÷ 1.2）、制度执行率、速度（全公司成交周期中位数 ÷ "
                  "本人的，封顶 1）的加权平均，权重可配置）；按保守得分（赢单率取区间下限）排名。",
    definition_en="per project director: projects active in the period, outcomes and win rate (Wilson interval), won "
                  "amount, attainment, median cycle days, stalled projects, compliance and the audit score (weighted "
                  "mean of win rate, attainment capped at 1.2 ÷ 1.2, compliance and speed = the company's median "
                  "cycle ÷ the director's, capped at 1; weights configurable); ranked on the conservative score "
                  "(win rate at its interval's lower bound).",
    denominator_zh="赢单率：本期结束的项目；制度执行率：应做的检查；排名：保守得分",
    denominator_en="win rate: projects closed in the period; compliance: checks due; rank: the conservative score",
    columns=(C.DIRECTOR, C.PROJECTS.renamed(zh="项目数（本期活跃）", en="Projects active"), C.OPEN, C.WON, C.LOST,
             C.ABANDONED, C.CLOSED, C.WIN_RATE, C.WIN_RATE_LOW, C.WIN_RATE_HIGH, C.WON_AMOUNT, C.TARGET_AMOUNT,
             C.ATTAINMENT, C.MEDIAN_CYCLE_DAYS, C.STALLED, C.COMPLIANCE_RATE, C.SCORE, C.SCORE_LOW, C.RANK,
             C.SMALL_SAMPLE),
    by=False, headline=("score",))
