"""项目总监考核 the director scorecard: outcomes, targets, speed, stalls, compliance and the audit score."""

from __future__ import annotations

from datetime import date

import duckdb
import numpy as np
import pandas as pd

from ..config import Config, load_config
from ..errors import MissingColumnError
from .base import as_date, company_norm, finish, period_filter, period_of, require_column, scope, state_date
from .win_rate import win_rate

COLUMNS = ["director", "projects", "open", "won", "lost", "abandoned", "closed", "win_rate", "win_rate_low",
           "win_rate_high", "won_amount", "target_amount", "attainment", "median_cycle_days", "stalled",
           "compliance_rate", "score", "score_low", "rank", "small_sample"]


def score_weights(config: Config) -> dict[str, float]:
    """The configured [score_weights], normalised to sum to 1."""
    raw = {k: float(v) for k, v in config.raw.get("score_weights", {}).items()}
    total = sum(raw.values()) or 1.0
    return {k: v / total for k, v in raw.items()}


def directors(con: duckdb.DuckDBPyConnection, period=None, *, by: str | None = None, as_of: date | str | None = None,
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
    config = config or load_config()
    p = period_of(period)
    d = as_date(as_of)
    require_column(con, "director", "directors")
    when = state_date(con, p, d)
    s = scope(con, d, config)
    weights = score_weights(config)
    cap = float(config.raw.get("score", {}).get("attainment_cap", 1.2))

    active_params: dict = {"when": when}
    if p.grain == "all":
        active = "true"
    else:
        active = "(created_at IS NULL OR created_at < $p_end) AND (closed_at IS NULL OR closed_at >= $p_start)"
        active_params.update({"p_start": p.start, "p_end": p.end})
    closed_filter, closed_params = period_filter("closed_at", p)
    base = s.query(con, f"""
        SELECT director,
               CAST(count(*) FILTER ({active}) AS BIGINT) AS projects,
               CAST(count(*) FILTER (status = 'open' AND (created_at IS NULL OR created_at <= $when)) AS BIGINT) AS open,
               median(date_diff('day', created_at, closed_at)) FILTER (status <> 'open' AND {closed_filter})
                   AS median_cycle_days
        FROM prj WHERE director IS NOT NULL GROUP BY director""", {**active_params, **closed_params})
    # the company's median, even on a connection narrowed to a scope (the norm a director is held to)
    company_cycle = company_norm(con, "median_cycle", (str(p), d), config, lambda ref: scope(ref, d, config).query(
        ref, f"""SELECT median(date_diff('day', created_at, closed_at)) AS m FROM prj
                 WHERE status <> 'open' AND {closed_filter}""", closed_params)["m"].iloc[0])

    rates = win_rate(con, p, by="director", as_of=d, config=config)
    df = base.merge(rates.drop(columns=["open"]), on="director", how="outer")
    df = df[df["director"].notna()]

    df["target_amount"] = np.nan
    df["attainment"] = np.nan
    try:
        from .targets import targets as targets_metric

        t = targets_metric(con, p, by="director", as_of=d, config=config)
        t = t.rename(columns={"scope": "director"})[["director", "target_amount"]]
        df = df.drop(columns=["target_amount"]).merge(t, on="director", how="left")
        df["attainment"] = (df["won_amount"] / df["target_amount"]).where(df["target_amount"] > 0)
    except MissingColumnError:  # no targets loaded: attainment stays unknown, and is left out of the score
        pass

    from .stalled import stalled as stalled_metric
    st = stalled_metric(con, p, as_of=d, config=config)
    counts = st.groupby("director").size().rename("stalled") if len(st) else pd.Series(dtype="int64", name="stalled")
    df = df.merge(counts, left_on="director", right_index=True, how="left")
    df["stalled"] = df["stalled"].fillna(0).astype("int64")

    from .compliance import compliance as compliance_metric
    comp = compliance_metric(con, p, as_of=d, config=config, level="director", stalled_projects=st)
    df = df.merge(comp[["director", "compliance_rate"]], on="director", how="left")

    for column in ["projects", "open", "won", "lost", "abandoned", "closed"]:
        df[column] = df[column].fillna(0).astype("int64")
    df["won_amount"] = df["won_amount"].fillna(0.0)
    small = int(config.raw.get("metrics", {}).get("small_sample", 10))
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
    df = df.sort_values(["score_low", "score", "director"], ascending=[False, False, True],
                        na_position="last", kind="stable").reset_index(drop=True)
    df["rank"] = range(1, len(df) + 1)
    df = df[COLUMNS]
    return finish(df, metric="directors", period=p, as_of=d, by="director",
                  denominator="win rate: closed in the period (won + lost + abandoned); compliance: checks due; "
                              "rank by score_low (score with the win rate's Wilson lower bound)",
                  options={"weights": weights, "attainment_cap": cap, "small_sample": small,
                           "company_median_cycle_days": None if company_cycle is None or pd.isna(company_cycle)
                           else float(company_cycle)})
