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

import numpy as np
import pandas as pd

from ..errors import InputError
from ..periods import Period
from .base import context, data_date, finish
from .context import MetricContext

#: defaults of the ``[forecast]`` configuration section (docs/forecast.md)
DEFAULTS = {"horizon_days": 180, "cutoff_days": 7, "min_history": 200, "age_buckets": [30, 90, 180, 365],
            "simulations": 10_000, "seed": 13, "fold_days": 91,
            "folds": 8, "max_training_rows": 200_000}

#: columns of :func:`training_rows`
ROW_COLUMNS = ["cutoff", "project_id", "stage", "days_in_stage", "age_days", "grade", "amount", "director",
               "director_win_rate", "director_closed", "channel", "channel_win_rate", "channel_closed",
               "competitor_present", "resolved", "won"]


def setting(ctx: MetricContext, key: str):
    """``[forecast] key`` of the configuration, or its default (:data:`DEFAULTS`)."""
    return ctx.setting("forecast", key, DEFAULTS[key])


def _source(ctx: MetricContext) -> str:
    """The versions a cutoff chooses among, as a subquery on the bound ``$label_date``: every loaded
    version when earlier ones were kept, less those of exports declared (``--as-of``) to be of a date
    after the label date: what was loaded later is not known on it, so a forecast as of a past date
    gives the same probabilities after newer exports are loaded. When that leaves nothing (every export
    is of a later date), all of them: the store's as-of rule (an export is the earliest knowledge)."""
    versioned = ctx.execute("SELECT count(*) FROM project_snapshots")[0][0] > 0
    table = "project_versions" if versioned else "projects"
    later = "(coalesce(as_of_declared, false) AND as_of > $label_date)"
    return (f"(SELECT * FROM {table} WHERE NOT {later} OR NOT EXISTS "
            f"(SELECT 1 FROM {table} WHERE NOT {later}))")


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
                                AND md5_number_lower(project_id) % $every = 0
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
                  include_label_date: bool = False, every: int = 1, config=None) -> pd.DataFrame:
    """One row per (cutoff, project open at the cutoff as known then), columns :data:`ROW_COLUMNS`
    (module docstring). ``label_date``: the date whose knowledge gives the labels (the forecast's as-of
    date); a row is ``resolved`` when ``cutoff + horizon <= label_date``. ``include_label_date``: also the
    rows of the projects open on ``label_date`` itself (the ones to forecast; those without a created
    date too). Training cutoffs need a created date (the age). ``every``: keep the training rows of one
    project in ``every`` only (those whose md5 of the id is divisible by it: the same projects on every
    run), all of its cutoffs; the director's and channel's win rates still count every project.

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
              "with_label_date": bool(include_label_date), "stage_order": ctx.config.stage_keys,
              "every": max(int(every), 1)}
    sql = _ROWS_SQL.format(source=_source(ctx))
    df = ctx.cursor.execute(sql, params).df()
    df["cutoff"] = pd.to_datetime(df["cutoff"]).dt.date
    for column in ("stage", "grade", "director", "channel"):
        df[column] = pd.Series(df[column], dtype="str")
    return df[ROW_COLUMNS].reset_index(drop=True)


_COUNT_SQL = """
WITH cut AS (SELECT DISTINCT unnest(CAST($cutoffs AS DATE[])) AS cutoff)
SELECT count(*) FROM cut c JOIN {source} v
  ON v.created_at <= c.cutoff AND (v.status = 'open' OR v.closed_at IS NULL OR v.closed_at > c.cutoff)
"""


def sampling(ctx: MetricContext, cutoffs: list[date], label_date: date) -> int:
    """``every`` for :func:`training_rows`: 1 while the training rows (estimated: projects created by a
    cutoff and not closed by it, over every cutoff) stay within ``[forecast] max_training_rows``; else
    the smallest whole number bringing them within it. Bounds the time and memory of the backtest at any
    size; the open projects to forecast are never sampled."""
    if not cutoffs:
        return 1
    n = ctx.execute(_COUNT_SQL.format(source=_source(ctx)), {"cutoffs": cutoffs, "label_date": label_date})[0][0]
    return max(1, math.ceil(int(n or 0) / int(setting(ctx, "max_training_rows"))))


def weekly_cutoffs(con, as_of: date, *, horizon_days: int | None = None, config=None) -> list[date]:
    """The training cutoffs for a forecast on ``as_of``: every ``[forecast] cutoff_days`` days back from
    ``as_of`` minus one horizon (so that every label is known on ``as_of``) to the first created date
    known then. Counting back from ``as_of`` makes them the same whenever the forecast runs."""
    ctx = context(con, None, config)
    horizon = int(horizon_days if horizon_days is not None else setting(ctx, "horizon_days"))
    step = int(setting(ctx, "cutoff_days"))
    if step < 1:
        raise InputError(f"[forecast] cutoff_days must be at least 1, not {step}", value=step)
    first = ctx.execute(f"SELECT min(created_at) FROM {_source(ctx)} v WHERE created_at <= $label_date",
                        {"label_date": as_of})[0][0]
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
    return int(ctx.execute(_DECIDED_SQL.format(source=_source(ctx)), {"label_date": d})[0][0])


_DECIDED_SQL = """
SELECT count(*) FROM (
    SELECT status, closed_at FROM {source} v
    QUALIFY row_number() OVER (PARTITION BY project_id ORDER BY (as_of <= $label_date) DESC,
                               CASE WHEN as_of <= $label_date THEN as_of END DESC, as_of ASC, load_id DESC) = 1)
WHERE status <> 'open' AND closed_at <= $label_date
"""


@dataclass
class Fit:
    """A forecast learned on one as-of date: the backtest, the model chosen and why, the open projects."""

    as_of: date
    horizon_days: int
    backtest: pd.DataFrame        # forward-chaining predictions (forecast_models.backtest), empty if not run
    scores: pd.DataFrame          # one row per model: BACKTEST_COLUMNS
    model: str                    # the chosen model's name
    reason: str                   # why (printed)
    reason_zh: str                # the same in Chinese (the reports)
    decided: int                  # decided projects known on as_of
    current: pd.DataFrame         # the projects open on as_of, with p_win and factors
    table: pd.DataFrame           # the baseline's conversion table on every resolved training row


def fit(ctx: MetricContext, as_of: date, horizon_days: int, *, model: str | None = None) -> Fit:
    """Learn the forecast on ``as_of``, remembered in the context (module docstring). ``model`` given:
    that model, without the backtest (the past-quarter accuracy uses today's choice)."""
    from .base import _data_version

    key = ("forecast", as_of, int(horizon_days), model, _data_version(ctx), id(ctx.config))
    return ctx.remember(key, lambda: _fit_one_thread(ctx, as_of, int(horizon_days), model))


def _fit_one_thread(ctx: MetricContext, as_of: date, horizon: int, forced: str | None) -> Fit:
    """:func:`_fit` with the BLAS library on one thread: the models' matrices are small (tens of thousands
    of rows, a few dozen columns), and OpenBLAS's threads cost more than they bring (on this project's
    2-core machine the demo's forecast section took 5.0 s with them, 2.8 s without; the same numbers)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return _fit(ctx, as_of, horizon, forced)


def _fit(ctx: MetricContext, as_of: date, horizon: int, forced: str | None) -> Fit:
    from . import forecast_models as M

    age_edges = [int(x) for x in setting(ctx, "age_buckets")]
    min_history = int(setting(ctx, "min_history"))
    models = {m.name: m for m in M.candidates(age_edges, confidence=float(ctx.setting("metrics", "confidence", 0.95)),
                                              seed=int(setting(ctx, "seed")))}
    cutoffs = weekly_cutoffs(ctx, as_of, horizon_days=horizon)
    every = sampling(ctx, cutoffs, as_of)
    rows = training_rows(ctx, cutoffs, label_date=as_of, horizon_days=horizon, include_label_date=True, every=every)
    current = rows[rows["cutoff"] == as_of].reset_index(drop=True)
    train = rows[(rows["cutoff"] != as_of) & rows["resolved"]].reset_index(drop=True)
    decided = decided_projects(ctx, as_of)
    bt = pd.DataFrame(columns=["won"])
    if forced is None:
        bt = M.backtest(train, list(models.values()), horizon, fold_days=int(setting(ctx, "fold_days")),
                        folds=int(setting(ctx, "folds")))
    scores = _scores(bt, list(models))
    if forced is not None:
        model, reason = forced, f"{forced}: given (the past-quarter accuracy uses the latest choice)"
        reason_zh = f"{MODEL_ZH[forced]}：沿用最近一次回测选定的模型"
    elif decided < min_history:
        model, reason = "baseline", (f"fewer than {min_history} decided projects ({decided}) known on {as_of}: "
                                     f"the baseline (stage × age conversion) is used")
        reason_zh = f"截至 {as_of} 已结束项目 {decided} 个，少于 {min_history} 个：使用基线（阶段×年龄转化表）"
    elif not len(bt):
        model, reason = "baseline", (f"no training cutoff lies a horizon ({horizon} days) before another: "
                                     f"nothing to validate on, the baseline is used")
        reason_zh = f"历史不足一个预测期（{horizon} 天），无法回测：使用基线（阶段×年龄转化表）"
    else:
        ranked = scores[scores["model"].isin(list(models))].sort_values(["brier", "model"], kind="stable")
        model = str(ranked.iloc[0]["model"])
        others = ", ".join(f"{r.model} {r.brier:.4f}" for r in ranked.itertuples() if r.model != model)
        sampled = f"; training rows of 1 project in {every}" if every > 1 else ""
        reason = (f"{model}: the best validation Brier score, {ranked.iloc[0]['brier']:.4f} "
                  f"(against {others}; {len(bt)} predictions in {bt['fold'].nunique()} forward-chaining folds{sampled})")
        others_zh = "、".join(f"{MODEL_ZH[r.model]} {r.brier:.4f}" for r in ranked.itertuples() if r.model != model)
        reason_zh = (f"{MODEL_ZH[model]}：回测 Brier 分数最低，{ranked.iloc[0]['brier']:.4f}（{others_zh}；"
                     f"{bt['fold'].nunique()} 个前推验证段共 {len(bt)} 次预测"
                     + (f"；训练行按项目抽样，每 {every} 个取 1 个" if every > 1 else "") + "）")
    scores["chosen"] = scores["model"] == model
    table = pd.DataFrame(columns=TABLE_COLUMNS)
    p = np.full(len(current), np.nan)
    factors = [""] * len(current)
    if len(train) and (train["won"].nunique() == 2 or model == "baseline"):
        baseline = models["baseline"].fit(train)
        table = baseline.table[TABLE_COLUMNS]
        chosen = baseline if model == "baseline" else models[model].fit(train)
        if len(current):
            p = chosen.predict(current)
            factors = [_factor_text(ctx, f) for f in chosen.factors(current)]
    else:
        reason += "; the resolved history holds one outcome only: no probability"
        reason_zh += "；已知结果只有一种：不给出概率"
    current = current.assign(p_win=pd.Series(p, index=current.index, dtype="float64"), factors=factors, model=model)
    return Fit(as_of, horizon, bt, scores, model, reason, reason_zh, decided, current, table)


def _scores(bt: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Per model (and the base rate): predictions, Brier, skill against the base rate and the baseline,
    log loss, AUC, mean predicted and observed (calibration in the large)."""
    from . import forecast_models as M

    y = bt["won"].astype("float64") if len(bt) else pd.Series(dtype="float64")
    out = []
    for name in ("base_rate", *names):
        p = bt[f"p_{name}"].astype("float64") if len(bt) else pd.Series(dtype="float64")
        out.append({"model": name, "rows": int(len(p)), "brier": M.brier(p, y), "log_loss": M.log_loss(p, y),
                    "auc": M.auc(p, y), "mean_predicted": float(p.mean()) if len(p) else math.nan,
                    "observed": float(y.mean()) if len(y) else math.nan})
    df = pd.DataFrame(out)
    ref = df.set_index("model")["brier"]
    df["skill_vs_base_rate"] = 1 - df["brier"] / ref["base_rate"]
    df["skill_vs_baseline"] = 1 - df["brier"] / ref["baseline"]
    df["chosen"] = False
    return df[BACKTEST_COLUMNS]


#: the models' names in Chinese
MODEL_ZH = {"base_rate": "基础比率", "baseline": "基线（阶段×年龄转化表）", "naive_bayes": "朴素贝叶斯",
            "logistic": "校准的逻辑回归"}

#: how a field and its value read in a factor (the value codes are the features' buckets)
FIELD_ZH = {"stage": "阶段", "age": "项目年龄(天)", "days_in_stage": "本阶段天数", "grade": "等级", "amount": "金额(元)",
            "director_rate": "总监历史赢单率", "channel_rate": "渠道历史赢单率", "competitor": "有竞争对手"}


def _factor_text(ctx: MetricContext, factors: list[tuple[str, str, float]]) -> str:
    """``阶段=投标(+0.62)；本阶段天数=>=120(-0.41)``: each field, its value, and the log-odds it adds
    against the average training row (the baseline: its cell, no weight)."""
    parts = []
    for field, value, weight in factors:
        if field == "stage" and value != "unknown":
            value = ctx.config.stage_label(value, "zh")
        parts.append(f"{FIELD_ZH.get(field, field)}={value}" + ("" if math.isnan(weight) else f"({weight:+.2f})"))
    return "；".join(parts)


def horizon_for(ctx: MetricContext, p: Period, as_of: date, horizon_days) -> int:
    """The horizon in days: given; else to the last day of the period (a period given; the as-of date
    must lie in it, or be the day before it begins); else ``[forecast] horizon_days``."""
    if horizon_days not in (None, ""):
        h = int(horizon_days)
        if h < 1:
            raise InputError(f"the forecast horizon must be at least 1 day, not {h}", value=h)
        return h
    if p.grain != "all":
        last = p.end - timedelta(days=1)
        if last <= as_of:
            raise InputError(f"period {p} ends on or before the as-of date {as_of}: nothing left to forecast "
                             f"(give a later period or an earlier --as-of)", value=str(p))
        if p.start > as_of + timedelta(days=1):
            raise InputError(f"period {p} begins after the as-of date {as_of}: the forecast counts wins from the "
                             f"as-of date to the period's end; give --as-of inside the period or no --period",
                             value=str(p))
        return (last - as_of).days
    return int(setting(ctx, "horizon_days"))


PROJECT_COLUMNS = ["project_id", "stage", "amount", "p_win", "expected_amount", "factors", "model"]
PERIOD_COLUMNS = ["open_projects", "expected_count", "count_p10", "count_p50", "count_p90", "expected_amount",
                  "amount_p10", "amount_p50", "amount_p90", "no_amount", "won_amount", "expected_total",
                  "weighted_amount", "target_amount", "model"]
BACKTEST_COLUMNS = ["model", "rows", "brier", "skill_vs_base_rate", "skill_vs_baseline", "log_loss", "auc",
                    "mean_predicted", "observed", "chosen"]
CALIBRATION_COLUMNS = ["model", "range", "rows", "mean_predicted", "observed"]
TABLE_COLUMNS = ["stage", "age", "rows", "won", "rate", "rate_low", "rate_high"]
ACCURACY_COLUMNS = ["quarter", "as_of", "open_projects", "expected_count", "booked_count", "count_error",
                    "expected_amount", "booked_amount", "amount_error", "won_in_quarter", "model"]
LEVELS = ("project", "period", "backtest", "calibration", "table", "accuracy")


def forecast(con, period: Period | str | None = None, *, as_of=None, config=None, horizon_days=None,
             level: str = "project", quarters=8) -> pd.DataFrame:
    """The win forecast on the as-of date (the context's, else the latest date in the data); docs/forecast.md.

    ``level``: ``project`` (one row per project open on the as-of date, in the scope: ``project_id``,
    ``stage`` (NULL: unknown), ``amount``, ``p_win`` (the calibrated chance of being won within the
    horizon), ``expected_amount`` = p_win × amount, ``factors`` (what moves p_win most), ``model``);
    ``period`` (one row: the open projects; the expected number and amount won with the P10/P50/P90 of
    ``[forecast] simulations`` draws; the projects without amount; the amount already won in the period,
    ``expected_total`` = that + the expected amount; the weighted pipeline and the target of
    pipeline-summary); ``backtest`` (per model and the base rate: predictions, Brier score, skill
    against the base rate and the baseline, log loss, AUC, mean predicted and observed, the chosen one);
    ``calibration`` (the chosen model's reliability deciles); ``table`` (the baseline's conversion table);
    ``accuracy`` (per past quarter, up to ``quarters``: the forecast made on its first day for its open
    projects against what they booked in it, as known on the as-of date). The horizon: ``horizon_days``,
    else to the end of ``period``, else ``[forecast] horizon_days`` (180). ``attrs["options"]`` names
    the model and why it was chosen.

    >>> import presales_analytics as pa
    >>> forecast(pa.connect(":memory:"), as_of="2026-06-30").columns.tolist()
    ['project_id', 'stage', 'amount', 'p_win', 'expected_amount', 'factors', 'model']
    """
    from . import forecast_models as M
    from .base import period_of

    ctx = context(con, as_of, config)
    p = period_of(period)
    if level not in LEVELS:
        raise InputError(f"forecast level {level!r} is not one of {', '.join(LEVELS)}", value=level)
    d = forecast_date(ctx)
    horizon = horizon_for(ctx, p, d, horizon_days)
    f = fit(ctx.company(), d, horizon)
    current = _in_scope(ctx, d, f.current)
    options = {"model": f.model, "why": f.reason, "why_zh": f.reason_zh, "horizon_days": horizon, "as_of": d.isoformat(),
               "decided_projects": f.decided, "meaning": MEANING_EN.format(horizon=horizon, as_of=d)}
    if level == "project":
        df = current[PROJECT_COLUMNS]
    elif level == "period":
        seed, n = int(setting(ctx, "seed")), int(setting(ctx, "simulations"))
        df = pd.DataFrame([period_row(ctx, p, d, current, n=n, seed=seed)])[PERIOD_COLUMNS]
        options.update({"simulations": n, "seed": seed})
    elif level == "backtest":
        df = f.scores
    elif level == "calibration":
        df = (M.calibration(f.backtest[f"p_{f.model}"], f.backtest["won"]).assign(model=f.model)[CALIBRATION_COLUMNS]
              if len(f.backtest) else pd.DataFrame(columns=CALIBRATION_COLUMNS))
    elif level == "table":
        df = f.table
    else:
        df = past_accuracy(ctx, d, f.model, quarters=int(quarters))
    return finish(df.reset_index(drop=True), metric="forecast", period=p, as_of=d, by=None,
                  denominator=MEANING_EN.format(horizon=horizon, as_of=d), options=options)


MEANING_EN = ("p_win = the calibrated chance that the project is won within {horizon} days of {as_of}, "
              "learned from the projects open at weekly cutoffs before it")
MEANING_ZH = "赢单概率：项目在 {as_of} 之后 {horizon} 天内赢单的校准概率，由此前每周截点在途项目的实际结果学得"


def _in_scope(ctx: MetricContext, d: date, current: pd.DataFrame) -> pd.DataFrame:
    """The open projects of the company forecast that are in the context's scope, with expected amounts."""
    from .base import scope

    if not ctx.scope.is_company:
        ids = set(scope(ctx.replace(as_of=d)).query("SELECT project_id FROM prj")["project_id"])
        current = current[current["project_id"].isin(ids)]
    current = current.reset_index(drop=True)
    return current.assign(expected_amount=current["p_win"] * current["amount"])


def period_row(ctx: MetricContext, p: Period, d: date, current: pd.DataFrame, *, n: int, seed: int) -> dict:
    """The period level's one row (see :func:`forecast`)."""
    from . import forecast_models as M

    counts, amounts = M.simulate(current["p_win"].fillna(0.0), current["amount"], n=n, seed=seed)
    summary = _pipeline_summary(ctx, p, d)
    expected = float(current["expected_amount"].sum())
    return {"open_projects": int(len(current)), "expected_count": float(current["p_win"].sum()),
            **dict(zip(("count_p10", "count_p50", "count_p90"), M.quantiles(counts))),
            "expected_amount": expected,
            **dict(zip(("amount_p10", "amount_p50", "amount_p90"), M.quantiles(amounts))),
            "no_amount": int(current["amount"].isna().sum()), "won_amount": summary["won_amount"],
            "expected_total": summary["won_amount"] + expected, "weighted_amount": summary["weighted_amount"],
            "target_amount": summary["target_amount"], "model": str(current["model"].iloc[0]) if len(current) else ""}


def _pipeline_summary(ctx: MetricContext, p: Period, d: date) -> dict:
    """Weighted pipeline, target and won amount of the period (pipeline-summary), for comparison."""
    from .pipeline import pipeline_summary

    if p.grain == "all":
        return {"weighted_amount": math.nan, "target_amount": math.nan, "won_amount": math.nan}
    row = pipeline_summary(ctx.replace(as_of=d), p).iloc[0]
    return {k: float(row[k]) if pd.notna(row[k]) else math.nan
            for k in ("weighted_amount", "target_amount", "won_amount")}


_BOOKED_SQL = """
SELECT project_id, CAST(amount AS DOUBLE) AS amount FROM prj
WHERE status = 'won' AND closed_at >= $start AND closed_at < $end
"""


def past_accuracy(ctx: MetricContext, d: date, model: str, *, quarters: int = 8) -> pd.DataFrame:
    """Per past quarter that ended on or before ``d`` (the latest ``quarters``): the forecast made on its
    first day (as of then, horizon to its last day, with ``model``, or the baseline where the history known
    then was below ``[forecast] min_history``, as the forecast would have done) for the projects open then, against
    what those projects booked in the quarter as known on ``d``; ``won_in_quarter`` counts every
    project won in it (those created during it too, which no forecast on its first day could see)."""
    from .base import scope

    rows = []
    q = Period.containing("quarter", d)
    now = scope(ctx.company().replace(as_of=d))
    first = ctx.execute(f"SELECT min(created_at) FROM {_source(ctx)} v", {"label_date": d})[0][0] or d
    for _ in range(quarters):
        q = q.previous()
        start, last = q.start, q.end - timedelta(days=1)
        if start < first:
            break
        short = decided_projects(ctx, start) < int(setting(ctx, "min_history"))
        f = fit(ctx.company(), start, (last - start).days, model="baseline" if short else model)
        booked = now.query(_BOOKED_SQL, {"start": start, "end": q.end})
        mine = booked[booked["project_id"].isin(set(f.current["project_id"]))]
        expected_amount = float((f.current["p_win"] * f.current["amount"].fillna(0)).sum())
        rows.append({"quarter": str(q), "as_of": start, "open_projects": int(len(f.current)),
                     "expected_count": float(f.current["p_win"].sum()), "booked_count": int(len(mine)),
                     "count_error": float(f.current["p_win"].sum()) - len(mine),
                     "expected_amount": expected_amount, "booked_amount": float(mine["amount"].fillna(0).sum()),
                     "amount_error": expected_amount - float(mine["amount"].fillna(0).sum()),
                     "won_in_quarter": int(len(booked)), "model": f.model})
    return pd.DataFrame(rows[::-1], columns=ACCURACY_COLUMNS)


__all__ = ["training_rows", "weekly_cutoffs", "forecast_date", "forecast", "fit", "Fit", "DEFAULTS",
           "ROW_COLUMNS", "past_accuracy", "MEANING_ZH", "MEANING_EN"]


def _spec():
    from . import columns as C
    from .spec import Column, MetricSpec, Option

    rate = lambda key, zh, en, dzh="", den="": Column(key, "rate", zh, en, dzh, den)      # noqa: E731
    number = lambda key, zh, en, dzh="", den="": Column(key, "number", zh, en, dzh, den)  # noqa: E731
    amount = lambda key, zh, en, dzh="", den="": Column(key, "amount", zh, en, dzh, den)  # noqa: E731
    count = lambda key, zh, en, dzh="", den="": Column(key, "count", zh, en, dzh, den)    # noqa: E731
    return MetricSpec(
        name="forecast", function=forecast, zh="赢单预测", en="Win forecast",
        definition_zh="状态日在途的每个项目在预测期内赢单的校准概率（赢单概率），由此前每周截点（[forecast] cutoff_days）"
                      "在途项目当时已知的情况（阶段、本阶段天数、项目年龄、等级、金额、总监与渠道此前的赢单率、有无竞争对手）"
                      "及其在预测期内是否赢单学得；结束时才填写的字段（状态、结束日期、丢单原因、最终阶段）不进入特征。"
                      "三个模型（阶段×年龄转化表基线、朴素贝叶斯、校准的逻辑回归）按时间前推回测（间隔一个预测期），"
                      "取 Brier 分数最低者；已结束项目少于 [forecast] min_history 时用基线。期间预计赢单数与金额的 "
                      "P10/P50/P90 由各项目独立抽样模拟得到。",
        definition_en="the calibrated chance that each project open on the state date is won within the horizon, learned "
                      "from the projects open at weekly cutoffs before it as they were known then (stage, days in stage, "
                      "age, grade, amount, the director's and the channel's earlier win rates, competitor present) and "
                      "whether they were won within the horizon; nothing set at close (status, closed date, lost reason, "
                      "final stage) is a feature. Three models (a stage × age conversion baseline, naive Bayes, a "
                      "calibrated logistic regression) are backtested forward in time with a gap of one horizon and the "
                      "lowest Brier score is chosen; below [forecast] min_history decided projects, the baseline. The "
                      "period's P10/P50/P90 of the number and amount won come from simulating each project independently.",
        denominator_zh="赢单概率的分母：此前截点在途、预测期已过的项目（回测行）",
        denominator_en="p_win rests on the projects open at earlier cutoffs whose horizon has passed (the training rows)",
        columns=(C.PROJECT_ID, C.STAGE, Column("amount", "amount", "金额", "Amount"),
                 rate("p_win", "赢单概率", "Win probability", "预测期内赢单的校准概率", "calibrated chance of winning within the horizon"),
                 amount("expected_amount", "预计赢单金额", "Expected won amount", "赢单概率 × 金额（期间：各项目之和）",
                        "p_win × amount (period: the sum over the open projects)"),
                 Column("factors", "text", "主要因素", "Main factors", "对该项目概率影响最大的特征及其对数几率贡献",
                        "the features moving the probability most, with their log-odds"),
                 Column("model", "text", "模型", "Model"),
                 count("open_projects", "在途项目数", "Open projects"),
                 number("expected_count", "预计赢单数", "Expected wins", "赢单概率之和", "sum of p_win"),
                 count("count_p10", "赢单数 P10", "Wins P10"), count("count_p50", "赢单数 P50", "Wins P50"),
                 count("count_p90", "赢单数 P90", "Wins P90"),
                 amount("amount_p10", "赢单金额 P10", "Won amount P10"), amount("amount_p50", "赢单金额 P50", "Won amount P50"),
                 amount("amount_p90", "赢单金额 P90", "Won amount P90"),
                 count("no_amount", "无金额项目", "Projects without amount"),
                 C.WON_AMOUNT.renamed(zh="本期已赢单金额", en="Won so far"),
                 amount("expected_total", "预计本期赢单总额", "Expected period total", "本期已赢单金额 + 预计赢单金额",
                        "won so far + expected won amount"),
                 C.WEIGHTED_AMOUNT, C.TARGET_AMOUNT,
                 count("rows", "行数", "Rows"),
                 number("brier", "Brier 分数", "Brier score", "(概率 − 结果)² 的平均，越小越好", "mean (p − outcome)², lower is better"),
                 rate("skill_vs_base_rate", "相对基础比率的技能", "Skill vs base rate", "1 − Brier ÷ 基础比率的 Brier",
                      "1 − Brier ÷ the base rate's Brier"),
                 rate("skill_vs_baseline", "相对基线的技能", "Skill vs baseline", "1 − Brier ÷ 基线的 Brier",
                      "1 − Brier ÷ the baseline's Brier"),
                 number("log_loss", "对数损失", "Log loss"), number("auc", "AUC", "AUC", "赢单行概率高于未赢单行的比例",
                                                                 "chance a won row ranks above a not-won one"),
                 rate("mean_predicted", "平均预测", "Mean predicted"), rate("observed", "实际赢单比例", "Observed"),
                 Column("chosen", "bool", "选用", "Chosen"), Column("range", "text", "概率区间", "Range"),
                 Column("age", "text", "项目年龄(天)", "Age (days)"), C.WON.renamed(zh="预测期内赢单", en="Won within horizon"),
                 rate("rate", "转化率", "Conversion"), rate("rate_low", "区间下限", "Interval low"),
                 rate("rate_high", "区间上限", "Interval high"),
                 Column("quarter", "text", "季度", "Quarter"), Column("as_of", "date", "预测日", "Forecast date"),
                 count("booked_count", "实际赢单数", "Booked"), number("count_error", "数量误差", "Count error",
                                                                 "预计 − 实际", "expected − booked"),
                 amount("booked_amount", "实际赢单金额", "Booked amount"),
                 amount("amount_error", "金额误差", "Amount error", "预计 − 实际", "expected − booked"),
                 count("won_in_quarter", "季度内全部赢单", "All won in quarter", "含季度内新建的项目",
                       "including projects created during it")),
        options=(Option("level", "project", "project：每个在途项目；period：期间汇总与区间；backtest：回测质量；"
                        "calibration：可靠性分组；table：基线转化表；accuracy：以往季度预测准确度",
                        "project: per open project; period: the period's total with its range; backtest: quality; "
                        "calibration: reliability deciles; table: the baseline's conversion table; accuracy: past "
                        "quarters' forecasts against what was booked", LEVELS),
                 Option("horizon_days", None, "预测期天数（默认：到 --period 期末，否则 180）",
                        "horizon in days (default: to the end of --period, else 180)"),
                 Option("quarters", 8, "accuracy：回看的季度数", "accuracy: how many past quarters")),
        by=False, scoped=False, headline=())


SPEC = _spec()
