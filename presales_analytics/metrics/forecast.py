"""预测 forecast: a win probability for every open project, learned from what was known at past cutoffs.

Issue 13, first slice (docs/forecast.md):

1. **Training rows** (:func:`training_rows`): for every cutoff date (weekly by default, ``[forecast]
   cutoff_days``), every project open at the cutoff *as it was known then*, with its features as of
   then and its label, in ONE DuckDB query over all cutoffs. "As known then" is the store's as-of rule
   (:func:`~presales_analytics.metrics.base.scope`, here applied to many dates at once): per project the
   latest version loaded with ``as_of <= cutoff`` (a project first loaded later: its earliest version),
   created on or before the cutoff, and open unless closed on or before it. Features: ``stage`` and
   ``days_in_stage`` from the stage history entered on or before the cutoff (events the store *inferred*
   from the created date are left out: they carry the project's latest stage back to its creation, so
   an export without stage history has stage ``NULL`` = unknown), ``age_days``, ``grade``, ``amount``,
   the director's and the channel's win rate over projects closed *before* the cutoff (won ÷ won + lost
   + abandoned, with the count it rests on), ``competitor_present``. Nothing set at or after a close
   enters a feature: status, closed date, lost reason and the final stage are never read, and the label
   is read only from the version known on the label date.
2. **Label**: ``won`` = the project is won, as known on the label date (the forecast's as-of date),
   with a closed date in ``(cutoff, cutoff + horizon]``; ``resolved`` = ``cutoff + horizon <= label
   date`` (only resolved rows are learned from or scored).
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from ..errors import InputError
from .base import context, data_date
from .context import MetricContext

#: defaults of the ``[forecast]`` configuration section (docs/forecast.md)
DEFAULTS = {"horizon_days": 180, "cutoff_days": 7, "min_history": 200, "age_buckets": [30, 90, 180, 365],
            "simulations": 10_000, "seed": 13}

#: columns of :func:`training_rows`
ROW_COLUMNS = ["cutoff", "project_id", "stage", "days_in_stage", "age_days", "grade", "amount", "director",
               "director_win_rate", "director_closed", "channel", "channel_win_rate", "channel_closed",
               "competitor_present", "resolved", "won"]


def setting(ctx: MetricContext, key: str):
    """``[forecast] key`` of the configuration, or its default (:data:`DEFAULTS`)."""
    return ctx.setting("forecast", key, DEFAULTS[key])


def _source(ctx: MetricContext) -> str:
    """The versions a cutoff chooses among: every loaded version when earlier ones were kept."""
    versioned = ctx.execute("SELECT count(*) FROM project_snapshots")[0][0] > 0
    return "project_versions" if versioned else "projects"


_ROWS_SQL = """
WITH cut AS (SELECT DISTINCT unnest(CAST($cutoffs AS DATE[])) AS cutoff),
-- per cutoff and project, the version known then (the as-of rule of metrics/base.py, for many dates)
pv AS (
    SELECT c.cutoff, v.project_id, v.director, v.channel, v.grade, CAST(v.amount AS DOUBLE) AS amount,
           v.competitor, v.created_at, v.status AS v_status, v.closed_at AS v_closed, v.as_of
    FROM cut c CROSS JOIN {source} v
    WHERE v.created_at IS NULL OR v.created_at <= c.cutoff
    QUALIFY row_number() OVER (PARTITION BY c.cutoff, v.project_id
                               ORDER BY (v.as_of <= c.cutoff) DESC, CASE WHEN v.as_of <= c.cutoff THEN v.as_of END DESC,
                                        v.as_of ASC, v.load_id DESC) = 1),
known AS (
    SELECT * EXCLUDE (v_status, v_closed),
           CASE WHEN v_status <> 'open' AND (v_closed <= cutoff OR (v_closed IS NULL AND as_of <= cutoff))
                THEN v_status ELSE 'open' END AS status,
           CASE WHEN v_closed <= cutoff THEN v_closed END AS closed_at
    FROM pv),
rows AS (SELECT * FROM known WHERE status = 'open' AND cutoff <> $label_date AND created_at IS NOT NULL
         UNION ALL
         SELECT * FROM known WHERE status = 'open' AND cutoff = $label_date AND $with_label_date),
-- stage history entered on or before the cutoff, best recorded source; inferred events left out
ev AS (SELECT project_id, stage, entered_at, list_position($stage_order, stage) AS _pos,
              CASE source WHEN 'history' THEN 1 WHEN 'columns' THEN 2 ELSE 3 END AS _rank
       FROM stage_events WHERE source <> 'inferred'),
ev_at AS (SELECT r.cutoff, r.project_id, ev.stage, ev.entered_at, ev._pos, ev._rank,
                 min(ev._rank) OVER (PARTITION BY r.cutoff, r.project_id) AS _best
          FROM rows r JOIN ev ON ev.project_id = r.project_id AND ev.entered_at <= r.cutoff),
cur AS (SELECT cutoff, project_id, list(stage ORDER BY entered_at DESC, _pos DESC)[1] AS stage,
               max(entered_at) AS stage_entered_at
        FROM ev_at WHERE _rank = _best GROUP BY ALL),
-- win rates over the projects closed BEFORE the cutoff, as known at the cutoff
closed_before AS (SELECT cutoff, director, coalesce(channel, '') AS channel, status FROM known
                  WHERE status <> 'open' AND closed_at < cutoff),
dir_rate AS (SELECT cutoff, director, count(*) FILTER (status = 'won') AS won, count(*) AS closed
             FROM closed_before WHERE director IS NOT NULL GROUP BY ALL),
ch_rate AS (SELECT cutoff, channel, count(*) FILTER (status = 'won') AS won, count(*) AS closed
            FROM closed_before GROUP BY ALL),
lab AS (SELECT project_id, status, closed_at FROM known WHERE cutoff = $label_date)
SELECT r.cutoff, r.project_id, c.stage,
       CAST(date_diff('day', c.stage_entered_at, r.cutoff) AS BIGINT) AS days_in_stage,
       CAST(date_diff('day', r.created_at, r.cutoff) AS BIGINT) AS age_days,
       r.grade, r.amount, r.director,
       CAST(d.won AS DOUBLE) / d.closed AS director_win_rate, CAST(coalesce(d.closed, 0) AS BIGINT) AS director_closed,
       coalesce(r.channel, '') AS channel,
       CAST(h.won AS DOUBLE) / h.closed AS channel_win_rate, CAST(coalesce(h.closed, 0) AS BIGINT) AS channel_closed,
       coalesce(trim(r.competitor), '') <> '' AS competitor_present,
       r.cutoff + CAST($horizon AS INTEGER) <= $label_date
         AND NOT (l.status <> 'open' AND l.closed_at IS NULL) AS resolved,
       coalesce(l.status = 'won' AND l.closed_at > r.cutoff
                AND l.closed_at <= r.cutoff + CAST($horizon AS INTEGER), false) AS won
FROM rows r
LEFT JOIN cur c ON c.cutoff = r.cutoff AND c.project_id = r.project_id
LEFT JOIN dir_rate d ON d.cutoff = r.cutoff AND d.director = r.director
LEFT JOIN ch_rate h ON h.cutoff = r.cutoff AND h.channel = coalesce(r.channel, '')
LEFT JOIN lab l ON l.project_id = r.project_id
ORDER BY r.cutoff, r.project_id
"""


def training_rows(con, cutoffs: list[date], *, label_date: date, horizon_days: int | None = None,
                  include_label_date: bool = False, config=None) -> pd.DataFrame:
    """One row per (cutoff, project open at the cutoff as known then), columns :data:`ROW_COLUMNS`
    (module docstring). ``label_date``: the date whose knowledge gives the labels (the forecast's as-of
    date); a row is ``resolved`` when ``cutoff + horizon <= label_date``. ``include_label_date``: also the
    rows of the projects open on ``label_date`` itself (the ones to forecast; those without a created
    date too). Training cutoffs need a created date (the age).

    >>> import presales_analytics as pa
    >>> len(training_rows(pa.connect(":memory:"), [date(2026, 1, 1)], label_date=date(2026, 7, 1)))
    0
    """
    ctx = context(con, None, config)
    horizon = int(horizon_days if horizon_days is not None else setting(ctx, "horizon_days"))
    if horizon < 1:
        raise InputError(f"the forecast horizon must be at least 1 day, not {horizon}", value=horizon)
    dates = sorted({*cutoffs, label_date})
    params = {"cutoffs": dates, "label_date": label_date, "horizon": horizon,
              "with_label_date": bool(include_label_date), "stage_order": ctx.config.stage_keys}
    sql = _ROWS_SQL.format(source=_source(ctx))
    df = ctx.cursor.execute(sql, params).df()
    df["cutoff"] = pd.to_datetime(df["cutoff"]).dt.date
    for column in ("stage", "grade", "director", "channel"):
        df[column] = pd.Series(df[column], dtype="str")
    return df[ROW_COLUMNS].reset_index(drop=True)


def weekly_cutoffs(con, as_of: date, *, horizon_days: int | None = None, config=None) -> list[date]:
    """The training cutoffs for a forecast on ``as_of``: every ``[forecast] cutoff_days`` days back from
    ``as_of`` minus one horizon (so that every label is known on ``as_of``) to the first created date
    known then. Counting back from ``as_of`` makes them the same whenever the forecast runs."""
    ctx = context(con, None, config)
    horizon = int(horizon_days if horizon_days is not None else setting(ctx, "horizon_days"))
    step = int(setting(ctx, "cutoff_days"))
    if step < 1:
        raise InputError(f"[forecast] cutoff_days must be at least 1, not {step}", value=step)
    first = ctx.execute(f"SELECT min(created_at) FROM {_source(ctx)} WHERE created_at <= $d", {"d": as_of})[0][0]
    out: list[date] = []
    if first is None:
        return out
    c = as_of - timedelta(days=horizon)
    while c > first:
        out.append(c)
        c -= timedelta(days=step)
    return sorted(out)


def forecast_date(ctx: MetricContext) -> date:
    """The forecast's as-of date: the context's, else the latest date in the data."""
    d = ctx.as_of or data_date(ctx)
    if d is None:
        raise InputError("the database holds no dated data: load an export with created dates, or give --as-of")
    return d


__all__ = ["training_rows", "weekly_cutoffs", "forecast_date", "DEFAULTS", "ROW_COLUMNS"]
