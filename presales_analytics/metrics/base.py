"""What every metric shares: the data as known at an as-of date, periods, dimensions, intervals.

Metrics are pure functions ``f(con, period, *, by=..., as_of=..., config=..., **options) ->
DataFrame``. They read the store through the CTEs built here, so that *as of D* means one thing
everywhere:

- ``prj``: one row per project, the version known on D (the latest loaded version whose ``as_of``
  <= D; a project first loaded later falls back to its earliest version), reduced to what was true
  on D: a project created after D does not exist; one closed after D (or closed with no date, in a
  version known only after D) is open, with no closed date. Without ``as_of``: the ``projects`` table.
- ``evt``: the stage events entered on or before D, from the best source each project has
  (history, then wide columns, then snapshots), plus the inferred ones; one row per (project, stage,
  date) (ingest stores no duplicates), with ``seq`` ordering a project's events (by date, then by the
  stage model's order).
- ``visits``: a project's successive visits to stages: ``stage``, ``entered_at``, ``left_at`` (the next
  event's date; NULL while the visit is open on D), ``seq``, ``backward`` (a move back from a later
  stage). An event repeating the stage before it starts a new visit of the same stage; the stay (the sum
  of a project's visits to a stage) is the same either way.

All SQL binds its values; only configuration keys (stage names from the operator's own
configuration) and column names validated against the schema are written into SQL text.

``visits`` is computed once per connection, as-of date and data version and kept in a TEMP table
(see :class:`Scope`): the metrics stay pure in what they return, and a report that computes ten of
them sorts the stage history once.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import pandas as pd

from ..config import Config
from ..errors import InputError, MissingColumnError
from ..periods import Period
from ..sql import ident, sql_literal, used_params

#: Columns of ``projects`` a metric can be broken down by (``--by``).
DIMENSIONS = ["director", "region", "department", "channel", "grade", "manager", "monitor", "industry",
              "customer", "stage", "status"]

#: Where each column comes from, for messages that say how to provide a missing one.
HEADER_HINTS = {
    "director": "项目总监 / Opportunity Owner", "region": "区域 / Region", "department": "系统部 / Department",
    "channel": "渠道商 / Partner", "grade": "项目等级 / Grade", "manager": "项目经理", "monitor": "监控人",
    "industry": "行业 / Industry", "customer": "客户名称 / Account Name", "amount": "金额 / Amount",
    "created_at": "创建日期 / Created Date", "closed_at": "结束日期 / Closed Date",
    "initiated_at": "立项日期", "expected_close_at": "预计签约日期 / Expected Closing",
}


def as_date(value: date | str | None) -> date | None:
    """``as_of`` as a date (a string in ISO form, a date or datetime, or None)."""
    if value is None or isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, datetime):
        return value.date()
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InputError(f"as-of {value!r} is not a date; write it as YYYY-MM-DD") from None


def period_of(period: Period | str | None) -> Period:
    return Period.parse(period if period is not None else "all")


@dataclass(frozen=True)
class Scope:
    """The SQL prefix (``WITH prj AS …, evt AS …, visits AS …``) and its bound parameters.

    The visits are sorted once per connection, as-of date and data version, into a TEMP table
    (allowed on read-only connections too), the first time a query uses ``visits`` or ``evt``: the
    metrics of one report share one pass over millions of events."""

    sql: str
    params: dict
    visits_table: str = ""
    visits_sql: str = ""

    def query(self, con: duckdb.DuckDBPyConnection, body: str, params: dict | None = None) -> pd.DataFrame:
        """Run ``body`` (a SELECT that may use prj, evt and visits) and return a small DataFrame."""
        if self.visits_table and re.search(r"\b(visits|evt)\b", body):
            self.ensure_visits(con)
        sql = f"{self.sql}\n{body}"
        return con.execute(sql, used_params(sql, {**self.params, **(params or {})})).df()

    def ensure_visits(self, con: duckdb.DuckDBPyConnection) -> None:
        exists = con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = $n",
                             {"n": self.visits_table}).fetchall()[0][0]
        if not exists:
            statement = f"CREATE TEMP TABLE {self.visits_table} AS {self.visits_sql}"
            con.execute(statement, used_params(statement, self.params))


def scope(con: duckdb.DuckDBPyConnection, as_of: date | str | None, config: Config) -> Scope:
    """The CTEs of the module docstring, for the data as known at ``as_of`` (None: all data).

    Built for speed at millions of events: the stage history is sorted once per project (one window
    pass gives ``seq``, ``left_at`` and ``backward``); the per-project choice of source is skipped when
    the store holds one source only; versions are ranked only when earlier versions exist."""
    d = as_date(as_of)
    stages = config.stage_keys
    order = "list_position($stage_order, stage)"
    params: dict = {"stage_order": stages}
    if d is None:
        prj = "prj AS (SELECT * FROM projects)"
        evt_filter, evt_join = "true", ""
    else:
        params["as_of"] = d
        versioned = con.execute("SELECT count(*) FROM project_snapshots").fetchall()[0][0] > 0
        source = ("""(SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY project_id ORDER BY (as_of <= $as_of) DESC,
                         CASE WHEN as_of <= $as_of THEN as_of END DESC, as_of ASC, load_id DESC) AS _version
                      FROM project_versions) WHERE _version = 1)""" if versioned else "projects")
        prj = f"""prj AS (
            SELECT * EXCLUDE (_v_status, _v_closed),
                   CASE WHEN _v_status <> 'open' AND (_v_closed <= $as_of OR (_v_closed IS NULL AND as_of <= $as_of))
                        THEN _v_status ELSE 'open' END AS status,
                   CASE WHEN _v_closed <= $as_of THEN _v_closed END AS closed_at
            FROM (SELECT * RENAME (status AS _v_status, closed_at AS _v_closed) FROM {source})
            WHERE created_at IS NULL OR created_at <= $as_of)"""
        evt_filter, evt_join = "e.entered_at <= $as_of", "SEMI JOIN prj ON prj.project_id = e.project_id"
    rank = "CASE source WHEN 'history' THEN 1 WHEN 'columns' THEN 2 WHEN 'snapshot' THEN 3 ELSE 9 END"
    sources = con.execute("SELECT count(DISTINCT source) FROM stage_events WHERE source <> 'inferred'").fetchall()[0][0]
    best = f"min({rank}) OVER (PARTITION BY e.project_id)" if sources > 1 else rank
    head = f"""WITH {prj},
        evt_ranked AS (
            SELECT e.project_id, e.stage, e.entered_at, {rank} AS _rank, {best} AS _best
            FROM stage_events e {evt_join}
            WHERE {evt_filter})"""
    visits = f"""SELECT project_id, stage, entered_at,
                   lead(entered_at) OVER w AS left_at,
                   row_number() OVER w AS seq,
                   coalesce(list_position($stage_order, lag(stage) OVER w) > {order}, false) AS backward
            FROM evt_ranked WHERE _rank = _best OR _rank = 9
            WINDOW w AS (PARTITION BY project_id ORDER BY entered_at, {order})"""
    cached = _visits_table_name(con, key=(d, tuple(stages)))
    sql = f"""{head},
        visits AS (SELECT * FROM {cached}),
        evt AS (SELECT project_id, stage, entered_at, seq FROM visits)"""
    return Scope(sql, params, visits_table=cached, visits_sql=f"{head}\n{visits}")


def _data_version(con: duckdb.DuckDBPyConnection) -> tuple:
    """Changes whenever a load (or any change of the canonical tables' sizes) changes the data, and
    with the scope the connection is narrowed to (:mod:`presales_analytics.scoping`)."""
    from ..scoping import scope_of

    return (scope_of(con),) + con.execute("""SELECT (SELECT coalesce(max(load_id), 0) FROM load_log), (SELECT count(*) FROM load_log),
                                 (SELECT count(*) FROM projects), (SELECT count(*) FROM project_snapshots),
                                 (SELECT count(*) FROM stage_events)""").fetchall()[0]


def _visits_table_name(con: duckdb.DuckDBPyConnection, *, key: tuple) -> str:
    """The name of the TEMP table that caches the visits for an as-of date, stage model and data
    version (a new load changes the version, and with it the table used)."""
    import hashlib

    digest = hashlib.sha256(repr((key, _data_version(con))).encode()).hexdigest()[:16]
    return f"_presales_visits_{digest}"


def check_dimension(con: duckdb.DuckDBPyConnection, by: str | None, metric: str) -> str | None:
    """Validate ``--by``: a dimension column of projects that some loaded export provided."""
    if by is None:
        return None
    by = by.strip().lower()
    if by not in DIMENSIONS:
        raise InputError(f"--by {by!r} is not a dimension; use one of: {', '.join(DIMENSIONS)}")
    require_column(con, by, metric)
    return by


def require_column(con: duckdb.DuckDBPyConnection, column: str, metric: str, *, why: str = "") -> None:
    """Raise :class:`MissingColumnError` when no loaded project has a value in ``column``
    (channel is exempt from emptiness: NULL there means direct, so it needs only a loaded column)."""
    if column == "channel":
        has = con.execute("SELECT count(*) FROM load_log WHERE table_name = 'projects' "
                          "AND json_extract_string(options, '$.columns') LIKE '%\"channel\"%'").fetchall()[0][0]
        has = has or con.execute("SELECT count(channel) FROM projects").fetchall()[0][0]
    else:
        has = con.execute(f"SELECT count({ident(column)}) FROM projects").fetchall()[0][0]
    if not has:
        hint = HEADER_HINTS.get(column, column)
        raise MissingColumnError(
            f"{metric} needs the column '{column}'{' ' + why if why else ''}, and no loaded export has it: "
            f"load a projects export with a '{hint}' column, or name the export's column in a mapping file "
            f"([columns] {column} = \"<header>\"); see docs/data-format.md", column=column)


def wilson(successes, trials, confidence: float = 0.95) -> tuple[pd.Series, pd.Series]:
    """Wilson score interval for a binomial proportion, elementwise; NaN where trials == 0.

    >>> low, high = wilson(pd.Series([7]), pd.Series([10]))
    >>> round(float(low[0]), 4), round(float(high[0]), 4)
    (0.3968, 0.8922)
    """
    from statistics import NormalDist

    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    k = pd.Series(successes, dtype="float64")
    n = pd.Series(trials, dtype="float64")
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5)
    low = (centre - half).where(n > 0)
    high = (centre + half).where(n > 0)
    return low.clip(lower=0.0), high.clip(upper=1.0)


def period_filter(column: str, period: Period) -> tuple[str, dict]:
    """SQL (and params) for ``column`` within ``period`` (half-open); ``all`` keeps everything."""
    if period.grain == "all":
        return "true", {}
    return f"({column} >= $p_start AND {column} < $p_end)", {"p_start": period.start, "p_end": period.end}


def finish(df: pd.DataFrame, *, metric: str, period: Period, as_of: date | None, by: str | None,
           denominator: str, options: dict | None = None) -> pd.DataFrame:
    """Attach what a reader needs to trust the numbers: ``df.attrs`` holds the metric, period,
    as-of date, breakdown, the denominator in words and the options in force."""
    df.attrs.update({"metric": metric, "period": str(period), "as_of": as_of.isoformat() if as_of else None,
                     "by": by, "denominator": denominator, "options": options or {}})
    return df


__all__ = ["Scope", "scope", "check_dimension", "require_column", "wilson", "period_filter", "finish", "company_norm",
           "as_date", "period_of", "DIMENSIONS", "sql_literal", "data_date", "report_period", "state_date"]


def data_date(con: duckdb.DuckDBPyConnection) -> date | None:
    """The latest date anywhere in the data (created, closed, stage entered, activity, document, or the
    date of a snapshot export loaded with ``--as-of``): the company's, also on a connection narrowed to
    a scope (a quiet region's data is not older than the export it came in)."""
    from ..scoping import reference

    return reference(con).execute("""SELECT greatest((SELECT max(greatest(created_at, closed_at, initiated_at)) FROM projects),
                                          (SELECT max(entered_at) FROM stage_events),
                                          (SELECT max(as_of) FROM project_versions WHERE as_of_declared),
                                          (SELECT max(date) FROM activities),
                                          (SELECT max(date) FROM documents))""").fetchall()[0][0]


def report_period(con: duckdb.DuckDBPyConnection, period: Period | str | None) -> Period:
    """``period`` parsed, or when it is empty the latest complete quarter *in the data* (not of the
    calendar): what reports, the dashboard and the workbook cover by default (DESIGN.md)."""
    if period:
        return period if isinstance(period, Period) else Period.parse(period)
    latest = data_date(con)
    if latest is None:
        raise InputError("the database holds no dated data: give a period (e.g. --period 2026-Q3)")
    return Period.latest_complete_quarter(latest)


def state_date(con: duckdb.DuckDBPyConnection, period: Period, as_of: date | None) -> date | None:
    """The day on which a *state* metric (stalled, pipeline, open compliance) looks at the data:
    ``as_of`` if given; else the period's last day, or the latest data date if that is earlier or
    the period is ``all``. Never "today": a report of a past period is the same whenever it runs."""
    if as_of is not None:
        return as_of
    latest = data_date(con)
    if p_last := (period.end and period.last_day):
        return min(p_last, latest) if latest else p_last
    return latest


#: per connection (gone with it): remembered metric results, see :func:`memoized`
_MEMO: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def memoized(con: duckdb.DuckDBPyConnection, name: str, key: tuple, config: Config, compute) -> pd.DataFrame:
    """``compute()``'s DataFrame, remembered for this connection, data version and configuration, so
    that a metric other metrics build on (stalled projects: the scorecard and compliance use them) is
    computed once per report. The memory goes with the connection; a new load changes the version."""
    import json

    cache = _MEMO.setdefault(con, {})
    full = (name, key, _data_version(con), json.dumps(config.raw, sort_keys=True, default=str))
    if full not in cache:
        cache[full] = compute()
    return cache[full].copy()



#: company-wide norms, per database file (process-wide, the newest 64): see :func:`company_norm`
_NORMS: dict = {}


def company_norm(con: duckdb.DuckDBPyConnection, name: str, key: tuple, config: Config, compute):
    """``compute(ref)`` on the company-wide connection ``ref`` (:func:`presales_analytics.scoping.reference`),
    remembered per database file, data version and configuration: the norms every scope is held to (the
    stall limits, the company median cycle) are computed once, not once per scoped connection (the
    dashboard narrows hundreds). An in-memory database is remembered per connection only."""
    import json

    from ..scoping import reference

    ref = reference(con)
    path = ref.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()
    where = path[0][0] if path and path[0][0] else ("memory", id(ref))
    full = (where, name, key, _data_version(ref), json.dumps(config.raw, sort_keys=True, default=str))
    if full not in _NORMS:
        if len(_NORMS) >= 64:
            _NORMS.pop(next(iter(_NORMS)))
        _NORMS[full] = compute(ref)
    return _NORMS[full]
