"""停滞项目 stalled projects: open projects whose current stay in a stage has gone on too long."""

from __future__ import annotations

import math
from datetime import date

import duckdb
import pandas as pd

from ..config import Config, load_config
from ..errors import InputError
from ..sql import ident
from ..periods import Period
from .base import as_date, check_dimension, company_norm, finish, memoized, period_of, scope, state_date
from .durations import OPEN_ON_SD

COLUMNS = ["project_id", "name", "director", "grade", "stage", "entered_at", "days_in_stage", "limit_days",
           "limit_source", "days_over", "stalled_since", "meeting_since_stall"]


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


def stalled(con: duckdb.DuckDBPyConnection, period: Period | str | None = None, *, by: str | None = None,
            as_of: date | str | None = None, config: Config | None = None) -> pd.DataFrame:
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
    config = config or load_config()
    p = period_of(period)
    d = as_date(as_of)
    return memoized(con, "stalled", (str(p), d, by), config, lambda: _stalled(con, p, by, d, config))


#: a project's stay in each working stage on the state date: still in it, its days, the current visit
_PER_PS = """
        per_ps AS (
            SELECT v.project_id, v.stage,
                   bool_or(v.left_at IS NULL OR v.left_at > $sd) AS still_in,
                   CAST(sum(v.left_at - v.entered_at) AS BIGINT) AS days,
                   -- the current visit; when the project's visits to the stage are one unbroken run (an
                   -- event repeating the stage starts a new visit), the run's first one
                   CASE WHEN max(v.seq) - min(v.seq) + 1 = count(*) THEN min(v.entered_at)
                        ELSE max(v.entered_at) FILTER (v.left_at IS NULL OR v.left_at > $sd) END AS current_entered
            FROM visits v
            WHERE v.entered_at <= $sd AND list_contains($working, v.stage)
            GROUP BY v.project_id, v.stage)"""


def stage_limits(con: duckdb.DuckDBPyConnection, sd: date, d: date | None, config: Config) -> dict[str, tuple]:
    """``stage -> (limit_days, source)`` for the working stages that have a limit on the state date
    ``sd``: ``[stall_days]`` ("config"), else the p75 of the finished stays of every project ("p75"),
    computed on the company-wide connection even when ``con`` is narrowed to a scope
    (:func:`presales_analytics.scoping.reference`): the norm is the company's."""
    configured = stall_limits(config)
    working = config.working_stages

    def p75(ref):
        df = scope(ref, d, config).query(ref, f""", {_PER_PS}
            SELECT stage, quantile_cont(days, 0.75) AS p75_days FROM per_ps WHERE NOT still_in GROUP BY stage""",
                                         {"sd": sd, "working": working})
        return dict(zip(df["stage"], df["p75_days"]))

    measured = company_norm(con, "stall_p75", (sd, d, tuple(working)), config, p75)
    limits = {}
    for stage in working:
        if stage in configured:
            limits[stage] = (configured[stage], "config")
        elif stage in measured and not pd.isna(measured[stage]):
            limits[stage] = (float(measured[stage]), "p75")
    return limits


def _stalled(con, p, by, d, config) -> pd.DataFrame:
    by = check_dimension(con, by, "stalled")
    sd = state_date(con, p, d)
    configured = stall_limits(config)
    limits = stage_limits(con, sd, d, config) if sd else {}
    working = config.working_stages
    s = scope(con, d, config)
    extra = f"p.{ident(by)} AS {ident(by)}, " if by and by not in COLUMNS else ""
    df = s.query(con, f"""
        , open_prj AS (
            SELECT project_id, name, director, grade{", " + ident(by) if extra else ""}
            FROM prj p WHERE {OPEN_ON_SD}),
        {_PER_PS},
        limits AS (
            SELECT unnest($limit_stages) AS stage, unnest($limit_days) AS limit_days,
                   unnest($limit_sources) AS limit_source),
        current AS (
            SELECT {extra} x.project_id, p.name, p.director, p.grade, x.stage, x.current_entered AS entered_at,
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
               (SELECT count(*) FROM open_prj) AS open_projects
        FROM flagged f
        ORDER BY days_over DESC, project_id""",
                 {"sd": sd, "working": working, "limit_stages": list(limits),
                  "limit_days": [v[0] for v in limits.values()], "limit_sources": [v[1] for v in limits.values()]})
    open_projects = int(df["open_projects"].iloc[0]) if len(df) else None
    df = df.drop(columns=["open_projects"])
    df["days_in_stage"] = df["days_in_stage"].astype("int64")
    df["limit_days"] = df["limit_days"].astype("float64")
    df["days_over"] = df["days_over"].astype("float64")
    df["meeting_since_stall"] = df["meeting_since_stall"].astype("bool")
    df = df[([by] if extra else []) + COLUMNS].reset_index(drop=True)
    df = finish(df, metric="stalled", period=p, as_of=d, by=by,
                denominator=f"open projects on {sd}; limit = [stall_days] of the stage, else the p75 of "
                            f"the finished stays in the stage known on {sd}",
                options={"state_date": sd.isoformat() if sd else None, "stall_days": configured,
                         "limits": {k: round(v[0], 2) for k, v in limits.items()}})
    if open_projects is None:
        open_projects = int(s.query(con, f"SELECT count(*) AS n FROM prj p WHERE {OPEN_ON_SD}",
                                    {"sd": sd})["n"].iloc[0]) if sd else 0
    df.attrs["open_projects"] = open_projects
    return df
