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

import math
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from ..errors import InputError
from ..periods import Period
from .base import context, data_date, finish
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


def decided_projects(ctx: MetricContext, d: date) -> int:
    """Projects decided (won, lost or abandoned, with a closed date on or before ``d``) as known on ``d``:
    the history the minimum-history rule counts."""
    return int(ctx.execute(_DECIDED_SQL.format(source=_source(ctx)), {"d": d})[0][0])


_DECIDED_SQL = """
SELECT count(*) FROM (
    SELECT status, closed_at FROM {source} v
    QUALIFY row_number() OVER (PARTITION BY project_id ORDER BY (as_of <= $d) DESC,
                               CASE WHEN as_of <= $d THEN as_of END DESC, as_of ASC, load_id DESC) = 1)
WHERE status <> 'open' AND closed_at <= $d
"""


@dataclass
class Fit:
    """A forecast learned on one as-of date: the rows, the backtest, the model chosen and why."""

    as_of: date
    horizon_days: int
    rows: pd.DataFrame            # training rows (resolved cutoffs) and the open projects on as_of
    backtest: pd.DataFrame        # forward-chaining predictions (forecast_models.backtest)
    scores: pd.DataFrame          # one row per model: rows, brier, skill vs base rate
    model: str                    # the chosen model's name
    reason: str                   # why (printed)
    decided: int                  # decided projects known on as_of
    current: pd.DataFrame         # the open projects on as_of with p_win
    table: pd.DataFrame           # the baseline's conversion table on all training rows


def fit(ctx: MetricContext, as_of: date, horizon_days: int) -> Fit:
    """Learn the forecast on ``as_of`` (module docstring): rows at the weekly cutoffs, the backtest of
    both models, the choice (best validation Brier; the baseline below the minimum history) and the
    chosen model refitted on every resolved row, applied to the projects open on ``as_of``."""
    def compute():
        return _fit(ctx, as_of, horizon_days)
    return ctx.remember(("forecast", as_of, horizon_days, _data_key(ctx), id(ctx.config)), compute)


def _data_key(ctx: MetricContext) -> tuple:
    from .base import _data_version

    return _data_version(ctx)


def _fit(ctx: MetricContext, as_of: date, horizon: int) -> Fit:
    from . import forecast_models as M

    age_edges = [int(x) for x in setting(ctx, "age_buckets")]
    min_history = int(setting(ctx, "min_history"))
    cutoffs = weekly_cutoffs(ctx, as_of, horizon_days=horizon)
    rows = training_rows(ctx, cutoffs, label_date=as_of, horizon_days=horizon, include_label_date=True)
    current = rows[rows["cutoff"] == as_of].reset_index(drop=True)
    train = rows[(rows["cutoff"] != as_of) & rows["resolved"]].reset_index(drop=True)
    models = {"baseline": M.ConversionTable(age_edges, confidence=float(ctx.setting("metrics", "confidence", 0.95))),
              "naive_bayes": M.NaiveBayes(age_edges)}
    bt = M.backtest(train, list(models.values()), horizon)
    scores = []
    for name in ("base_rate", *models):
        p = bt[f"p_{name}"] if len(bt) else []
        scores.append({"model": name, "rows": int(len(bt)), "brier": M.brier(p, bt["won"] if len(bt) else [])})
    scores = pd.DataFrame(scores)
    ref = scores.set_index("model")["brier"]
    scores["skill_vs_base_rate"] = 1 - scores["brier"] / ref["base_rate"] if ref["base_rate"] else math.nan
    scores["skill_vs_baseline"] = 1 - scores["brier"] / ref["baseline"] if ref["baseline"] else math.nan
    decided = decided_projects(ctx, as_of)
    if decided < min_history:
        model, reason = "baseline", (f"fewer than {min_history} decided projects ({decided}) known on {as_of}: "
                                     f"the baseline (stage × age conversion) is used")
    elif not len(bt):
        model, reason = "baseline", "no cutoff has a horizon of history before it: the baseline is used"
    else:
        candidates = scores[scores["model"].isin(list(models))]
        best = candidates.sort_values(["brier", "model"], kind="stable").iloc[0]
        model = str(best["model"])
        other = ", ".join(f"{r.model} {r.brier:.4f}" for r in candidates.itertuples() if r.model != model)
        reason = f"{model}: best validation Brier score {best['brier']:.4f} (vs {other}; {len(bt)} rows)"
    chosen = models[model]
    table = pd.DataFrame()
    if len(train):
        chosen.fit(train)
        p = chosen.predict(current) if len(current) else []
        table = models["baseline"].fit(train).table if model != "baseline" else chosen.table
    else:
        p = [math.nan] * len(current)
        reason += "; no resolved history: no probability"
    current = current.assign(p_win=pd.Series(p, index=current.index, dtype="float64"), model=model)
    return Fit(as_of, horizon, rows, bt, scores, model, reason, decided, current, table)


def horizon_for(ctx: MetricContext, p: Period, as_of: date, horizon_days) -> int:
    """The horizon: given; else to the end of the period (a period given); else ``[forecast] horizon_days``."""
    if horizon_days not in (None, ""):
        return int(horizon_days)
    if p.grain != "all" and p.end is not None:
        days = (p.end - timedelta(days=1) - as_of).days
        if days < 1:
            raise InputError(f"period {p} ends on or before the as-of date {as_of}: nothing left to forecast "
                             f"(give a later period or an earlier --as-of)", value=str(p))
        return days
    return int(setting(ctx, "horizon_days"))


PROJECT_COLUMNS = ["project_id", "stage", "amount", "p_win", "expected_amount", "model"]
PERIOD_COLUMNS = ["open_projects", "expected_count", "count_p10", "count_p50", "count_p90", "expected_amount",
                  "amount_p10", "amount_p50", "amount_p90", "no_amount", "weighted_amount", "target_amount",
                  "won_amount", "model"]
BACKTEST_COLUMNS = ["model", "rows", "brier", "skill_vs_base_rate", "skill_vs_baseline", "chosen"]
CALIBRATION_COLUMNS = ["model", "range", "rows", "mean_predicted", "observed"]
TABLE_COLUMNS = ["stage", "age", "rows", "won", "rate", "rate_low", "rate_high"]
LEVELS = ("project", "period", "backtest", "calibration", "table")


def forecast(con, period: Period | str | None = None, *, as_of=None, config=None, horizon_days=None,
             level: str = "project") -> pd.DataFrame:
    """The win forecast on the as-of date (the context's, else the latest date in the data).

    ``level``: ``project`` (one row per project open on the as-of date, in the scope: ``project_id``,
    ``stage`` (NULL: unknown), ``amount``, ``p_win`` (the chance of winning within the horizon),
    ``expected_amount`` = p_win × amount, ``model``); ``period`` (one row: the open projects, the expected
    number and amount won with the P10/P50/P90 of the simulation, the projects without amount, the
    weighted pipeline, target and won amount of pipeline-summary); ``backtest`` (per model: rows, Brier
    score, skill against the base rate and the baseline, the chosen one); ``calibration`` (per model,
    the reliability deciles); ``table`` (the baseline's conversion table). The horizon: ``horizon_days``,
    else to the end of ``period``, else ``[forecast] horizon_days`` (180). ``attrs["options"]`` names the
    model and why it was chosen.

    >>> import presales_analytics as pa
    >>> forecast(pa.connect(":memory:"), as_of="2026-06-30").columns.tolist()
    ['project_id', 'stage', 'amount', 'p_win', 'expected_amount', 'model']
    """
    from . import forecast_models as M
    from .base import period_of, scope

    ctx = context(con, as_of, config)
    p = period_of(period)
    if level not in LEVELS:
        raise InputError(f"forecast level {level!r} is not one of {', '.join(LEVELS)}", value=level)
    d = forecast_date(ctx)
    horizon = horizon_for(ctx, p, d, horizon_days)
    f = fit(ctx.company(), d, horizon)
    current = f.current
    if not ctx.scope.is_company:
        ids = set(scope(ctx.replace(as_of=d)).query("SELECT project_id FROM prj")["project_id"])
        current = current[current["project_id"].isin(ids)].reset_index(drop=True)
    current = current.assign(expected_amount=current["p_win"] * current["amount"])
    options = {"model": f.model, "why": f.reason, "horizon_days": horizon, "as_of": d.isoformat(),
               "decided_projects": f.decided}
    if level == "project":
        df = current[PROJECT_COLUMNS].reset_index(drop=True)
    elif level == "period":
        seed, n = int(setting(ctx, "seed")), int(setting(ctx, "simulations"))
        counts, amounts = M.simulate(current["p_win"].fillna(0.0), current["amount"], n=n, seed=seed)
        summary = _pipeline_summary(ctx, p, d)
        df = pd.DataFrame([{
            "open_projects": int(len(current)), "expected_count": float(current["p_win"].sum()),
            **dict(zip(("count_p10", "count_p50", "count_p90"), M.quantiles(counts))),
            "expected_amount": float(current["expected_amount"].sum()),
            **dict(zip(("amount_p10", "amount_p50", "amount_p90"), M.quantiles(amounts))),
            "no_amount": int(current["amount"].isna().sum()), **summary, "model": f.model}])
        options.update({"simulations": n, "seed": seed})
    elif level == "backtest":
        df = f.scores.assign(chosen=f.scores["model"] == f.model)[BACKTEST_COLUMNS]
    elif level == "calibration":
        parts = [M.calibration(f.backtest[f"p_{m}"], f.backtest["won"]).assign(model=m)
                 for m in ("baseline", "naive_bayes") if len(f.backtest)]
        df = (pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=CALIBRATION_COLUMNS))
        df = df[CALIBRATION_COLUMNS]
    else:
        df = f.table[TABLE_COLUMNS] if len(f.table) else pd.DataFrame(columns=TABLE_COLUMNS)
    return finish(df.reset_index(drop=True), metric="forecast", period=p, as_of=d, by=None,
                  denominator=f"p_win = calibrated chance of winning within {horizon} days of {d}, learned from "
                              f"the projects open at weekly cutoffs before it", options=options)


def _pipeline_summary(ctx: MetricContext, p: Period, d: date) -> dict:
    """Weighted pipeline, target and won amount of the period (pipeline-summary), for comparison."""
    from .pipeline import pipeline_summary

    if p.grain == "all":
        return {"weighted_amount": math.nan, "target_amount": math.nan, "won_amount": math.nan}
    row = pipeline_summary(ctx.replace(as_of=d), p).iloc[0]
    return {k: float(row[k]) if pd.notna(row[k]) else math.nan
            for k in ("weighted_amount", "target_amount", "won_amount")}


__all__ = ["training_rows", "weekly_cutoffs", "forecast_date", "forecast", "fit", "Fit", "DEFAULTS",
           "ROW_COLUMNS"]
