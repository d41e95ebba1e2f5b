"""停滞项目 stalled projects: open projects whose current stay in a stage has gone on too long."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd

from ..config import Config
from ..errors import InputError
from ..sql import ident
from ..periods import Period
from . import columns as C
from .base import check_dimension, company_norm, context, finish, memoized, period_of, scope, state_date
from .context import MetricContext
from .durations import OPEN_ON_SD, stays_by
from .spec import Column, MetricSpec

COLUMNS = ["project_id", "name", "director", "grade", "stage", "entered_at", "days_in_stage", "limit_days",
           "limit_source", "days_over", "stalled_since", "meeting_since_stall"]
#: the project's region and department come along (not in COLUMNS: the list's contract), for a
#: caller that narrows the company's list to a scope's projects
PLACE = ["region", "department"]


def stall_limits(config: Config) -> dict[str, float]:
    """The configured ``[stall_days]`` per working stage (days > 0); stages not listed use the p75."""
    table = config.raw.get("stall_days", {}) or {}
    limits: dict[str, float] = {}
    for stage, value in table.items():
        if stage not in config.working_stages:
            raise InputError(f"configuration ({config.source}) [stall_days]: {stage!r} is not a working stage; "
                             f"use one of: {', '.join(config.working_stages)}")
        try:
            days = float(value)
        except (TypeError, ValueError):
            days = math.nan
        if not days > 0 or math.isinf(days):
            raise InputError(f"configuration ({config.source}) [stall_days] {stage} = {value!r}: "
                             "write a number of days greater than 0")
        limits[stage] = days
    return limits


def stalled(con, period: Period | str | None = None, *, by: str | None = None,
            as_of=None, config: Config | None = None) -> pd.DataFrame:
    """Stalled projects (停滞项目): the projects open on the state date (as-of, else the period's last
    day capped at the latest data date) whose *current* visit to their working stage has lasted longer
    than the stage's limit. One row per stalled project, sorted by ``days_over`` (descending), then
    ``project_id``.

    The limit of a stage is its ``[stall_days]`` in the configuration when set (``limit_source`` =
    "config"), else the 75th percentile (``quantile_cont``) of the finished stays in that stage, over
    ALL projects and all finished stays known on the state date, whatever the period ("p75") — and
    whatever scope the connection is narrowed to (:func:`stage_limits`); a stay
    is the sum of a project's visits to the stage, finished when none of them is open on the state
    date. A stage with no finished stay and no configured limit has no limit: nothing is stalled there.

    Columns: ``project_id``, ``name``, ``director``, ``grade``, ``stage`` (key); ``entered_at`` (date of
    the current visit; an event that merely repeats the stage, e.g. a CRM history row written for an
    amount change, does not restart it); ``days_in_stage`` = state date − entered_at (days; earlier
    visits to the stage, before a move on and back, do not count);
    ``limit_days`` (days); ``limit_source``; ``days_over`` = days_in_stage − limit_days (> 0);
    ``stalled_since`` = entered_at + limit_days (rounded up to a whole day); ``meeting_since_stall``:
    an ``analysis_meeting`` activity dated from stalled_since to the state date (the policy wants one).
    With ``by``, the ``by`` column (a projects column) comes first unless it is one of these.
    The denominator, for rates built on this list, is the open projects on the state date
    (``df.attrs["open_projects"]``).

    >>> import presales_analytics as pa
    >>> con = pa.connect(":memory:")
    >>> len(stalled(con))
    0
    """
    ctx = context(con, as_of, config)
    p = period_of(period)
    return memoized(ctx, "stalled", (str(p), ctx.as_of, by), lambda: _stalled(ctx, p, by))


def stage_limits(ctx: MetricContext, sd: date) -> dict[str, tuple]:
    """``stage -> (limit_days, source)`` for the working stages that have a limit on the state date
    ``sd``: ``[stall_days]`` ("config"), else the p75 of the finished stays of every project ("p75"),
    computed on the company-wide connection even when ``con`` is narrowed to a scope
    (:meth:`MetricContext.company`): the norm is the company's."""
    config = ctx.config
    configured = stall_limits(config)
    working = config.working_stages

    def p75(company: MetricContext):
        s = scope(company)
        df = s.query(f"""SELECT stage, quantile_cont(days, 0.75) AS p75_days FROM {stays_by(s, sd, working)}
                         WHERE NOT still_in GROUP BY stage""")
        return dict(zip(df["stage"], df["p75_days"]))

    measured = company_norm(ctx, "stall_p75", (sd, ctx.as_of, tuple(working)), p75)
    limits = {}
    for stage in working:
        if stage in configured:
            limits[stage] = (configured[stage], "config")
        elif stage in measured and not pd.isna(measured[stage]):
            limits[stage] = (float(measured[stage]), "p75")
    return limits


def _stalled(ctx: MetricContext, p: Period, by: str | None) -> pd.DataFrame:
    config, d = ctx.config, ctx.as_of
    by = check_dimension(ctx, by, "stalled")
    sd = state_date(ctx, p, d)
    configured = stall_limits(config)
    limits = stage_limits(ctx, sd) if sd else {}
    working = config.working_stages
    s = scope(ctx)
    extra = f"p.{ident(by)} AS {ident(by)}, " if by and by not in COLUMNS + PLACE else ""
    df = s.query(f"""
        , open_prj AS (
            SELECT _scope, project_id, name, director, grade, region, department{", " + ident(by) if extra else ""}
            FROM prj p WHERE {OPEN_ON_SD}),
        per_ps AS (SELECT * FROM {stays_by(s, sd, working)}),
        limits AS (
            SELECT unnest($limit_stages) AS stage, unnest($limit_days) AS limit_days,
                   unnest($limit_sources) AS limit_source),
        current AS (
            SELECT p._scope, {extra} x.project_id, p.name, p.director, p.grade, p.region, p.department,
                   x.stage, x.current_entered AS entered_at,
                   CAST($sd - x.current_entered AS BIGINT) AS days_in_stage,
                   l.limit_days, l.limit_source
            FROM per_ps x JOIN open_prj p ON p.project_id = x.project_id JOIN limits l ON l.stage = x.stage
            WHERE x.still_in AND $sd - x.current_entered > l.limit_days),
        flagged AS (
            SELECT *, days_in_stage - limit_days AS days_over,
                   CAST(entered_at + CAST(ceil(limit_days) AS INTEGER) AS DATE) AS stalled_since
            FROM current)
        SELECT f.*, EXISTS (SELECT 1 FROM activities a
                            WHERE a.project_id = f.project_id AND a.kind = 'analysis_meeting'
                              AND a.date >= f.stalled_since AND a.date <= $sd) AS meeting_since_stall,
               (SELECT count(*) FROM open_prj o WHERE o._scope = f._scope) AS open_projects
        FROM flagged f
        ORDER BY _scope, days_over DESC, project_id""",
                 {"sd": sd, "working": working, "limit_stages": list(limits),
                  "limit_days": [v[0] for v in limits.values()], "limit_sources": [v[1] for v in limits.values()]},
                 large=True)
    open_projects = int(df["open_projects"].iloc[0]) if len(df) and not ctx.multi else None
    df = df.drop(columns=["open_projects"])
    df["days_in_stage"] = df["days_in_stage"].astype("int64")
    df["limit_days"] = df["limit_days"].astype("float64")
    df["days_over"] = df["days_over"].astype("float64")
    df["meeting_since_stall"] = df["meeting_since_stall"].astype("bool")
    if ctx.multi:   # scopes in the order of s.keys(), each most overdue first
        order = {k: i for i, k in enumerate(s.keys())}
        df = df.assign(_o=df["_scope"].map(order)).sort_values(["_o", "days_over", "project_id"],
                                                               ascending=[True, False, True], kind="stable")
    df = s.finish_scopes(df.drop(columns=["_o"], errors="ignore"))
    df = df[(["scope"] if ctx.multi else []) + ([by] if extra else []) + COLUMNS + PLACE].reset_index(drop=True)
    df = finish(df, metric="stalled", period=p, as_of=d, by=by,
                denominator=f"open projects on {sd}; limit = [stall_days] of the stage, else the p75 of "
                            f"the finished stays in the stage known on {sd}",
                options={"state_date": sd.isoformat() if sd else None, "stall_days": configured,
                         "limits": {k: round(v[0], 2) for k, v in limits.items()}})
    if open_projects is None and not ctx.multi:
        open_projects = int(s.query(f"SELECT count(*) AS n FROM prj p WHERE {OPEN_ON_SD}",
                                    {"sd": sd})["n"].iloc[0]) if sd else 0
    df.attrs["open_projects"] = open_projects
    return df


SPEC = MetricSpec(
    name="stalled", function=stalled, zh="停滞项目", en="Stalled projects",
    definition_zh="状态日（as-of，否则期末，不晚于最新数据日期）在手、且当前在某工作阶段的停留超过该阶段限值的项目；"
                  "限值为配置 [stall_days]，否则为全公司该阶段已完成停留的 P75（各范围都用全公司的限值）；制度要求停滞后召开项目分析会。",
    definition_en="projects open on the state date (as-of, else the period's last day, capped at the latest data "
                  "date) whose current stay in a working stage exceeds the stage's limit: [stall_days], else the "
                  "P75 of the company's finished stays in the stage (every scope uses the company's limit); the "
                  "policy wants an analysis meeting after a stall.",
    denominator_zh="状态日在手的项目", denominator_en="projects open on the state date",
    columns=(C.PROJECT_ID, C.NAME, C.DIRECTOR, C.GRADE, C.STAGE.renamed(zh="当前阶段", en="Stage"),
             Column("entered_at", "date", "进入日期", "Entered"),
             Column("days_in_stage", "days", "停留天数", "Days in stage"),
             Column("limit_days", "days", "上限天数", "Limit (days)"),
             Column("limit_source", "text", "上限来源", "Limit from"),
             Column("days_over", "days", "超期天数", "Days over"),
             Column("stalled_since", "date", "停滞起始日", "Stalled since"),
             Column("meeting_since_stall", "bool", "已开分析会", "Meeting held",
                    "停滞起始至状态日之间召开过项目分析会", "an analysis meeting between the stall and the state date"),
             C.REGION, Column("department", "text", "系统部", "Department")),
    headline=("stalled",))
