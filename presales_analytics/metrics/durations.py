"""阶段停留时长 time in stage, and 成交周期 cycle time (created → closed), per stage / outcome.

Quantiles are DuckDB's ``quantile_cont`` (linear interpolation between the two nearest order
statistics, numpy's default "linear" method): the median of 10, 20, 40, 50 days is 30.0 days.
"""

from __future__ import annotations

import pandas as pd

from ..config import Config
from ..errors import InputError
from ..sql import ident
from ..periods import Period
from . import columns as C
from .base import check_dimension, context, option_flag, finish, period_filter, period_of, require_column, scope, state_date
from .context import MetricContext
from .spec import Column, MetricSpec, Option

STAGE_COLUMNS = ["stage", "stage_zh", "projects", "median_days", "p75_days", "p90_days", "mean_days",
                 "open_now", "regressions"]
CYCLE_COLUMNS = ["outcome", "projects", "median_days", "p75_days", "mean_days"]

#: SQL: project ``p`` of ``prj`` is open on the state date ``$sd`` (open now, or closed after it).
OPEN_ON_SD = "(p.status = 'open' OR coalesce(p.closed_at > $sd, false))"


def _all_entered_by(s, sd) -> bool:
    """Whether every visit was entered on or before ``sd`` (the usual case: ``sd`` is the as-of or the
    latest data date), remembered per context. (Without a visits table, whether every stage event was:
    the visits are some of them.)"""
    def compute() -> bool:
        if sd is None:
            return False
        if s.visits_table:
            s.ensure_visits()
        source = s.visits_table or "stage_events"
        return bool(s.ctx.execute(f"SELECT coalesce(max(entered_at) <= $sd, true) FROM {source}", {"sd": sd})[0][0])
    return s.ctx.remember(("all_entered_by", s.visits_table, sd), compute)


def _stays_select(every: bool, km: bool, *, split: bool = True) -> str:
    """The SELECT of :func:`stays_table` (over ``visits``; binds ``$sd`` and ``$working``).

    Most projects visit each stage once (none of their visits is ``again``): their stays are their
    visits, read row by row; only the projects with a move back or a repeated stage have their visits
    grouped by project and stage. Both branches give the same columns as grouping every visit would
    (tested at scale against the grouped form): grouping the millions of single visits was most of
    the table's cost. Without ``split`` (the visits computed inside the query, not read from a table)
    every visit is grouped: reading the visits three times could compute them three times."""
    by_sd, f_sd = ("", "") if every else ("v.entered_at <= $sd AND ", " FILTER (v.entered_at <= $sd)")
    still = "(v.left_at IS NULL OR v.left_at > $sd)"
    at_sd = (f",\n                   CAST(sum(least(coalesce(v.left_at, $sd), $sd) - v.entered_at){f_sd} AS BIGINT)"
             " AS days_at_sd" if km else "")
    by_sd_columns = "" if every else f"""
                   count(*){f_sd} AS visits_sd,
                   bool_or({still}){f_sd} AS still_in,
                   CAST(sum(v.left_at - v.entered_at){f_sd} AS BIGINT) AS days_sd,"""
    grouped = f"""
            SELECT v.project_id, v.stage,
                   count(*) FILTER (v.left_at IS NULL) AS open_visits,
                   max(v.left_at) AS last_left,
                   CAST(sum(v.left_at - v.entered_at) AS BIGINT) AS days,
                   bool_or({by_sd}{still}) AS in_stage,
                   count(*) FILTER (v.backward) AS backward_visits,{by_sd_columns}
                   CASE WHEN max(v.seq){f_sd} - min(v.seq){f_sd} + 1 = count(*){f_sd}
                        THEN min(v.entered_at){f_sd}
                        ELSE max(v.entered_at) FILTER ({by_sd}{still}) END AS current_entered{at_sd}
            FROM visits v {"SEMI JOIN _again a ON a.project_id = v.project_id" if split else ""}
            WHERE list_contains($working, v.stage)
            GROUP BY v.project_id, v.stage"""
    if not split:
        return grouped

    def by_sd_only(expression: str) -> str:     # an aggregate FILTER (entered by sd) over the one visit
        return expression if every else f"CASE WHEN v.entered_at <= $sd THEN {expression} END"
    single_sd = "" if every else f"""
                   CAST((v.entered_at <= $sd)::INT AS BIGINT) AS visits_sd,
                   {by_sd_only(still)} AS still_in,
                   {by_sd_only("CAST(v.left_at - v.entered_at AS BIGINT)")} AS days_sd,"""
    single_at_sd = (f""",
                   {by_sd_only("CAST(least(coalesce(v.left_at, $sd), $sd) - v.entered_at AS BIGINT)")} AS days_at_sd"""
                    if km else "")
    single = f"""
            SELECT v.project_id, v.stage,
                   CAST((v.left_at IS NULL)::INT AS BIGINT) AS open_visits,
                   v.left_at AS last_left,
                   CAST(v.left_at - v.entered_at AS BIGINT) AS days,
                   {by_sd}{still} AS in_stage,
                   CAST(0 AS BIGINT) AS backward_visits,{single_sd}
                   {by_sd_only("v.entered_at")} AS current_entered{single_at_sd}
            FROM visits v ANTI JOIN _again a ON a.project_id = v.project_id
            WHERE list_contains($working, v.stage)"""
    return f"""
            WITH _again AS (SELECT DISTINCT project_id FROM visits WHERE again)
            {single}
            UNION ALL{grouped}"""


def stays_table(s, sd, working: list[str], *, km: bool = False) -> str:
    """The TEMP table of a project's stays in the working stages (one row per project and working stage
    it ever entered), computed once per context and state date ``sd``: time in stage, the stall limits
    and the stalled list read it (the latter through :func:`stays_by`), so a report groups the millions
    of visits by project and stage once, not once per metric. A stay is the sum of the project's visits
    to the stage.

    Columns: over every visit, ``open_visits`` (still open), ``last_left``, ``days`` (finished visits),
    ``in_stage`` (a visit entered by ``sd`` and not left by then), ``backward_visits`` (moves back into
    the stage), ``current_entered`` (the current visit on ``sd``: when the project's visits to the stage
    entered by ``sd`` are one unbroken run, an event repeating the stage starting a new visit, the run's
    first one); with ``km``, ``days_at_sd`` (days in the stage so far on ``sd``). When some visit was
    entered after ``sd``, also over the visits entered by ``sd`` only: ``visits_sd`` (how many; 0: the
    project had not entered the stage then), ``still_in`` and ``days_sd``; when none was, those are
    ``in_stage`` and ``days`` themselves and the table leaves them (and its filters) out."""
    every = _all_entered_by(s, sd)
    body = f"""
        , stays AS ({_stays_select(every, km)})
        SELECT * FROM stays"""
    return s.table("stays_km" if km else "stays", body, {"sd": sd, "working": working}, (sd, tuple(working), every))


def stays_by(s, sd, working: list[str]) -> str:
    """A subquery of :func:`stays_table`: a project's stay in each working stage it had entered by the
    state date ``sd`` (one row per project and stage: ``still_in`` it on ``sd``, its ``days`` then, the
    ``current_entered`` visit), what the stall check reads."""
    table = stays_table(s, sd, working)
    if _all_entered_by(s, sd):
        return f"(SELECT project_id, stage, in_stage AS still_in, days, current_entered FROM {table})"
    return f"(SELECT project_id, stage, still_in, days_sd AS days, current_entered FROM {table} WHERE visits_sd > 0)"


def per_dimension_stage(con, by: str | None, metric: str) -> str | None:
    """``--by`` for metrics whose rows are already one per stage: any dimension but ``stage``."""
    by = check_dimension(con, by, metric)
    if by == "stage":
        raise InputError(f"--by stage: {metric} already has one row per stage; "
                         "break it down by another dimension (director, region, channel …)")
    return by


def quantile_part(lists: list, i: int) -> list[float | None]:
    """Element ``i`` of each ``quantile_cont(x, [..])`` result (a list, or NULL over no rows)."""
    return [None if x is None or not hasattr(x, "__len__") else x[i] for x in lists]


def order_rows(df: pd.DataFrame, by: str | None, key: str, order: list[str], scopes: list[str] | None = None
               ) -> pd.DataFrame:
    """Rows in ``order`` of ``key`` (the stage model, the outcomes), within each ``by`` value
    (sorted, missing last); a ``by`` value present in the data gets every ``key`` value. With
    ``scopes`` (the ``_scope`` column), the same within each scope, scopes in the given order; every
    scope gets its rows."""
    if scopes is not None:
        parts = []
        for k in scopes:
            part = order_rows(df[df["_scope"] == k].drop(columns=["_scope"]), by, key, order)
            part.insert(0, "_scope", k)
            parts.append(part)
        return pd.concat(parts, ignore_index=True) if parts else df.iloc[0:0]
    if by:
        values = sorted(df[by].dropna().unique().tolist())
        if df[by].isna().any():
            values.append(None)
        full = pd.DataFrame([(v, k) for v in values for k in order], columns=[by, key])
        df = full.merge(df, on=[by, key], how="left", sort=False)
    else:
        df = pd.DataFrame({key: order}).merge(df, on=key, how="left", sort=False)
    return df.reset_index(drop=True)


def stage_durations(con, period: Period | str | None = None, *, by: str | None = None,
                    as_of=None, config: Config | None = None,
                    kaplan_meier: bool | str = False) -> pd.DataFrame:
    """Time in stage (阶段停留时长) per working stage, in the stage model's order; with ``by``, per
    (``by`` value, stage).

    A project's *stay* in a stage is the SUM of its visits to it (a visit ends when the next stage is
    entered), so a stage re-entered after a move back counts once, with all its days.

    Columns: ``stage`` (key), ``stage_zh`` (label); ``projects`` — the denominator: finished stays,
    i.e. projects with no visit to the stage still open whose last visit ended in the period;
    ``median_days``, ``p75_days``, ``p90_days``, ``mean_days`` — over those finished stays, in days
    (``quantile_cont``: linear interpolation); ``open_now`` — projects in the stage on the state date
    (as-of, else the period's last day capped at the latest data date), open projects only: censored
    stays, never counted as finished and never dropped; ``regressions`` — entries into the stage, in
    the period, that were moves back from a later stage (counts).
    With ``kaplan_meier=True``: ``km_median_days``, the Kaplan-Meier (product-limit) median of the
    stays, finished ones as events and the open ones as censored at their days so far on the state date
    (first duration at which the survival estimate falls to 0.5 or below; NaN if it never does).

    A stay still open whose project is closed without a closing event (unknown end) is neither
    finished nor open; ``df.attrs["unknown_end"]`` counts them.

    >>> import presales_analytics as pa
    >>> con = pa.connect(":memory:")
    >>> stage_durations(con)[["stage", "projects"]].head(2).to_dict("records")
    [{'stage': 'lead', 'projects': 0}, {'stage': 'qualified', 'projects': 0}]
    """
    ctx = context(con, as_of, config)
    config, d = ctx.config, ctx.as_of
    p = period_of(period)
    km = bool(option_flag(kaplan_meier, "kaplan_meier"))
    by = per_dimension_stage(ctx, by, "stage-durations")
    sd = state_date(ctx, p, d)
    # called on a plain connection, the context lives for this call only: nothing can reuse the visits
    # or the stays, so they are computed inside the one query instead of written to TEMP tables first
    one_call = not isinstance(con, MetricContext)
    s = scope(ctx, inline_visits=one_call)
    working = config.working_stages
    _, params = period_filter("v.entered_at", p)
    ended_in, _ = period_filter("s.last_left", p)
    params.update({"sd": sd, "working": working})
    group = f"_scope, {ident(by)}, " if by else "_scope, "
    if by or ctx.narrowed:   # a breakdown or a scope needs the join; without them a semi-join is cheaper
        dim_col = f", {ident(by)}" if by else ""
        join = f"JOIN (SELECT _scope, project_id{dim_col}, {OPEN_ON_SD} AS _open FROM prj p) p USING (project_id)"
        open_p = "p._open"
        carried = f"p._scope, {f'p.{ident(by)}, ' if by else ''}"
    else:
        join, open_p = "", f"s.project_id IN (SELECT project_id FROM prj p WHERE {OPEN_ON_SD})"
        carried = "'company' AS _scope, "
    # days in the stage so far on the state date: only the Kaplan-Meier estimate needs them
    at_sd = "x.days_at_sd" if km else "NULL"
    if one_call:
        stays, stays_cte = "_stays", f"\n        _stays AS ({_stays_select(_all_entered_by(s, sd), km, split=False)}),"
    else:
        stays, stays_cte = stays_table(s, sd, working, km=km), ""
    if p.grain == "all":    # entries into the stage that were moves back: the stays count them
        regressions, back_cte, back = "x.backward_visits", "", ""
    else:                   # those in the period: counted from the (few) backward visits
        entered_in, _ = period_filter("v.entered_at", p)
        regressions = "coalesce(b.n, 0)"
        back = "LEFT JOIN back b ON b.project_id = x.project_id AND b.stage = x.stage"
        back_cte = f"""
        back AS (
            SELECT v.project_id, v.stage, count(*) AS n FROM visits v
            WHERE v.backward AND list_contains($working, v.stage) AND {entered_in}
            GROUP BY v.project_id, v.stage),"""
    body = f"""
        ,{stays_cte}{back_cte}
        per_ps AS (
            SELECT x.project_id, x.stage, x.open_visits, x.last_left, x.days, x.in_stage,
                   {at_sd} AS days_at_sd, {regressions} AS regressions
            FROM {stays} x {back}),
        stays_open AS (
            SELECT s.*, {carried}{open_p} AS open_p
            FROM per_ps s {join}),
        stays AS {"MATERIALIZED" if km else ""} (
            SELECT {group} stage, days, days_at_sd, regressions,
                   open_visits = 0 AND {ended_in} AS finished,
                   coalesce(in_stage, false) AND open_p AS censored,
                   coalesce(in_stage, false) AND NOT open_p AND open_visits > 0 AS unknown_end
            FROM stays_open s),
        summary AS (
            SELECT {group} stage,
                   CAST(count(*) FILTER (finished) AS BIGINT) AS projects,
                   quantile_cont(days, [0.5, 0.75, 0.9]) FILTER (finished) AS q,
                   CAST(avg(days) FILTER (finished) AS DOUBLE) AS mean_days,
                   CAST(count(*) FILTER (censored) AS BIGINT) AS open_now,
                   CAST(sum(regressions) AS BIGINT) AS regressions,
                   CAST(count(*) FILTER (unknown_end) AS BIGINT) AS unknown_end
            FROM stays GROUP BY ALL)"""
    if km:
        part = f"PARTITION BY {group} stage"
        body += f""",
        km_counts AS (
            SELECT {group} stage, CASE WHEN finished THEN days ELSE days_at_sd END AS t,
                   count(*) FILTER (finished) AS d, count(*) AS n
            FROM stays WHERE finished OR censored GROUP BY ALL),
        km_risk AS (
            SELECT *, sum(n) OVER ({part} ORDER BY t DESC) AS at_risk FROM km_counts),
        km_surv AS (
            SELECT *, product(1 - d / at_risk) OVER ({part} ORDER BY t) AS surv FROM km_risk),
        km_median AS (
            SELECT {group} stage, CAST(min(t) FILTER (surv <= 0.5 + 1e-9) AS DOUBLE) AS km_median_days
            FROM km_surv GROUP BY ALL)
        SELECT m.*, k.km_median_days FROM summary m LEFT JOIN km_median k
            ON k.stage = m.stage AND k._scope = m._scope
               {f"AND k.{ident(by)} IS NOT DISTINCT FROM m.{ident(by)}" if by else ""}"""
    else:
        body += "\n        SELECT * FROM summary"
    # the scope's CTE list ends with visits; the body continues it
    df = s.query(body, params)
    unknown = int(df["unknown_end"].sum()) if len(df) else 0
    q = df["q"].tolist()
    df = df.drop(columns=["q", "unknown_end"]).assign(
        median_days=quantile_part(q, 0), p75_days=quantile_part(q, 1), p90_days=quantile_part(q, 2))
    df = order_rows(df, by, "stage", working, s.keys())
    for col in ("projects", "open_now", "regressions"):
        df[col] = df[col].fillna(0).astype("int64")
    for col in ("median_days", "p75_days", "p90_days", "mean_days") + (("km_median_days",) if km else ()):
        df[col] = df[col].astype("float64")
    df["stage_zh"] = [config.stage_label(k, "zh") for k in df["stage"]]
    df = s.finish_scopes(df)
    df = df[(["scope"] if ctx.multi else []) + ([by] if by else []) + STAGE_COLUMNS + (["km_median_days"] if km else [])]
    df = finish(df, metric="stage-durations", period=p, as_of=d, by=by,
                denominator=f"projects = finished stays (no visit open) whose last visit ended in {p}; "
                            f"open_now = open projects in the stage on {sd} (censored, not in the statistics)",
                options={"kaplan_meier": km, "state_date": sd.isoformat() if sd else None,
                         "quantile": "quantile_cont (linear interpolation)"})
    df.attrs["unknown_end"] = unknown
    return df


def cycle_time(con, period: Period | str | None = None, *, by: str | None = None,
               as_of=None, config: Config | None = None) -> pd.DataFrame:
    """Cycle time (成交周期): days from created to closed, for the projects closed in the period,
    per outcome (won, lost, abandoned, in the stage model's order) and for all of them (``all``, last:
    the figure shown as 结束周期中位天数; ``won`` is the 赢单周期中位天数); with ``by``, per (``by`` value,
    outcome).

    Columns: ``outcome``; ``projects`` — the denominator: projects closed in the period with that
    outcome and a created date; ``median_days``, ``p75_days``, ``mean_days`` over them, in days
    (``quantile_cont``: linear interpolation). Closed projects without a created date are left out and
    counted in ``df.attrs["without_created"]``; those closed before they were created (a deal entered
    after the fact: loaded and flagged in ``data_quality``) have no cycle, are left out and counted in
    ``df.attrs["closed_before_created"]``.

    Needs the columns ``created_at`` and ``closed_at``.
    """
    ctx = context(con, as_of, config)
    config, d = ctx.config, ctx.as_of
    p = period_of(period)
    by = check_dimension(ctx, by, "cycle-time")
    require_column(ctx, "created_at", "cycle-time", why="to start the cycle")
    require_column(ctx, "closed_at", "cycle-time", why="to end the cycle")
    s = scope(ctx)
    where, params = period_filter("closed_at", p)
    dim = f"{ident(by)} AS {ident(by)}, " if by else ""
    keys = "_scope" + (f", {ident(by)}" if by else "")
    df = s.query(f"""
        SELECT _scope, {dim} CASE WHEN grouping(status) = 1 THEN 'all' ELSE status END AS outcome,
               CAST(count(*) FILTER (closed_at >= created_at) AS BIGINT) AS projects,
               quantile_cont(closed_at - created_at, [0.5, 0.75]) FILTER (closed_at >= created_at) AS q,
               CAST(avg(closed_at - created_at) FILTER (closed_at >= created_at) AS DOUBLE) AS mean_days,
               CAST(count(*) - count(created_at) AS BIGINT) AS without_created,
               CAST(count(*) FILTER (closed_at < created_at) AS BIGINT) AS closed_before_created
        FROM prj WHERE status <> 'open' AND closed_at IS NOT NULL AND {where}
        GROUP BY GROUPING SETS (({keys}, status), ({keys}))""", params)
    without = int(df.loc[df["outcome"] == "all", "without_created"].sum()) if len(df) else 0
    backwards = int(df.loc[df["outcome"] == "all", "closed_before_created"].sum()) if len(df) else 0
    q = df["q"].tolist()
    df = df.drop(columns=["q", "without_created", "closed_before_created"]).assign(
        median_days=quantile_part(q, 0), p75_days=quantile_part(q, 1))
    df = order_rows(df, by, "outcome", [*config.terminal_stages, "all"], s.keys())
    df["projects"] = df["projects"].fillna(0).astype("int64")
    for col in ("median_days", "p75_days", "mean_days"):
        df[col] = df[col].astype("float64")
    df = s.finish_scopes(df)
    df = df[(["scope"] if ctx.multi else []) + ([by] if by else []) + CYCLE_COLUMNS]
    df = finish(df, metric="cycle-time", period=p, as_of=d, by=by,
                denominator=f"projects closed in {p} with that outcome and a created date on or before the close",
                options={"quantile": "quantile_cont (linear interpolation)"})
    df.attrs["without_created"] = without
    df.attrs["closed_before_created"] = backwards
    return df


STAGE_SPEC = MetricSpec(
    name="stage-durations", function=stage_durations, zh="阶段停留时长", en="Time in stage",
    definition_zh="项目在某阶段的停留 = 各次进入该阶段的天数之和（回退后再进入也计入同一停留）；统计本期结束的停留的"
                  "中位数、P75、P90 与平均值（quantile_cont 线性插值）；状态日仍在该阶段的项目另列（删失），不计入也不丢弃。",
    definition_en="a project's stay in a stage = the sum of its visits to it (re-entries after a move back "
                  "included); median, P75, P90 and mean of the stays that finished in the period (quantile_cont, "
                  "linear interpolation); projects still in the stage on the state date are counted apart "
                  "(censored), never counted as finished nor dropped.",
    denominator_zh="本期结束的停留（该阶段没有未结束的访问，且最后一次离开在本期）",
    denominator_en="finished stays: no visit to the stage still open, the last one ended in the period",
    columns=(C.STAGE, C.STAGE_ZH,
             Column("projects", "count", "已完成停留（分母）", "Finished stays (denominator)"),
             C.MEDIAN_DAYS, C.P75_DAYS, C.P90_DAYS, C.MEAN_DAYS,
             Column("open_now", "count", "当前在此阶段", "In the stage now", "状态日仍在该阶段的在手项目（删失）",
                    "open projects in the stage on the state date (censored)"),
             Column("regressions", "count", "回退次数", "Moves back", "本期内从后续阶段回退进入该阶段的次数",
                    "entries into the stage in the period that were moves back from a later stage"),
             Column("km_median_days", "days", "KM 中位天数", "Kaplan-Meier median days",
                    "Kaplan-Meier（乘积极限）中位数，未结束的停留按删失处理（kaplan_meier=true 时）",
                    "Kaplan-Meier (product-limit) median, open stays censored (with kaplan_meier=true)")),
    options=(Option("kaplan_meier", False, "加算 Kaplan-Meier 中位数", "add the Kaplan-Meier median"),))

CYCLE_SPEC = MetricSpec(
    name="cycle-time", function=cycle_time, zh="成交周期", en="Cycle time",
    definition_zh="本期结束的项目从创建到结束的天数，按结果（赢单、丢单、放弃）分列；无创建日期的不计入并另计。",
    definition_en="days from created to closed of the projects closed in the period, per outcome (won, lost, "
                  "abandoned); closed projects without a created date are left out and counted apart.",
    denominator_zh="本期结束、该结果且有创建日期的项目", denominator_en="projects closed in the period with that "
                   "outcome and a created date",
    columns=(Column("outcome", "text", "结果", "Outcome", "赢单、丢单、放弃，及全部（all）",
                    "won, lost, abandoned, and all of them (all)"), C.PROJECTS, C.MEDIAN_DAYS, C.P75_DAYS, C.MEAN_DAYS))
