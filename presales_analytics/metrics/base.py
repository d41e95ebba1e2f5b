"""What every metric shares: the data as known at an as-of date, in a scope; periods, dimensions, intervals.

Metrics are pure functions ``f(ctx, period, *, by=..., **options) -> DataFrame`` where ``ctx`` is a
:class:`~presales_analytics.metrics.context.MetricContext` (a plain connection is accepted too: it
gets a company context with the built-in configuration, for that call only). They read the store
through the CTEs built here, so that *as of D* and *in scope S* mean one thing everywhere:

- ``prj``: one row per project in scope (one per scope it belongs to, with ``ctx.across(...)``), the
  version known on D (the latest loaded version whose ``as_of`` <= D; a project first loaded later
  falls back to its earliest version), reduced to what was true on D: a project created after D does
  not exist; one closed after D (or closed with no date, in a version known only after D) is open,
  with no closed date. Without ``as_of``: the ``projects`` table. Its first column ``_scope`` names
  the scope (``company``, ``region:华东`` …); membership is decided by the project's latest loaded
  version. Metrics group by ``_scope``.
- ``evt``: the stage events entered on or before D, of every project (join with ``prj`` for the
  scope), from the best source each project has (history, then wide columns, then snapshots), plus
  the inferred ones; one row per (project, stage, date), with ``seq`` ordering a project's events (by
  date, then by the stage model's order).
- ``visits``: a project's successive visits to stages: ``stage``, ``entered_at``, ``left_at`` (the next
  event's date; NULL while the visit is open on D), ``seq``, ``backward`` (a move back from a later
  stage), ``again`` (the visit does not move forward in the stage model: a move back, a repeat of the
  stage before it, or a stage outside the model; a project none of whose visits is ``again`` visits each
  stage at most once). An event repeating the stage before it starts a new visit of the same stage; the stay (the sum
  of a project's visits to a stage) is the same either way.

All SQL binds its values; only configuration keys (stage names from the operator's own
configuration) and column names validated against the schema are written into SQL text.

``visits`` is computed once per context, as-of date and data version and kept in a TEMP table on
the context's private cursor (see :class:`Scope`): the metrics stay pure in what they return, and a
report that computes ten of them sorts the stage history once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from ..config import Config
from ..errors import InputError, MissingColumnError
from ..periods import Period
from ..sql import ident, sql_literal, used_params
from .context import MetricContext, as_date

#: Columns of ``projects`` a metric can be broken down by (``--by``).
DIMENSIONS = ["director", "region", "department", "channel", "grade", "manager", "monitor", "planner",
              "industry", "customer", "stage", "status"]

#: Where each column comes from, for messages that say how to provide a missing one.
HEADER_HINTS = {
    "director": "项目总监 / Opportunity Owner", "region": "区域 / Region", "department": "系统部 / Department",
    "channel": "渠道商 / Partner", "grade": "项目等级 / Grade", "manager": "项目经理", "monitor": "监控人",
    "planner": "规划经理", "industry": "行业 / Industry", "customer": "客户名称 / Account Name",
    "amount": "金额 / Amount",
    "created_at": "创建日期 / Created Date", "closed_at": "结束日期 / Closed Date",
    "initiated_at": "立项日期", "expected_close_at": "预计签约日期 / Expected Closing",
}


def period_of(period: Period | str | None) -> Period:
    return Period.parse(period if period is not None else "all")


def context(con_or_ctx, as_of=None, config: Config | None = None) -> MetricContext:
    """The context of a metric call (:meth:`MetricContext.of`)."""
    return MetricContext.of(con_or_ctx, as_of=as_of, config=config)


@dataclass(frozen=True)
class Scope:
    """The SQL prefix (``WITH prj AS …, evt AS …, visits AS …``) and its bound parameters, for one
    context. The visits are sorted once per context, as-of date and data version, into a TEMP table on
    the context's private cursor, the first time a query uses ``visits`` or ``evt``: the metrics of one
    report share one pass over millions of events."""

    ctx: MetricContext
    sql: str
    params: dict
    visits_table: str = ""
    visits_sql: str = ""

    def query(self, body: str, params: dict | None = None, *, large: bool = False) -> pd.DataFrame:
        """Run ``body`` (a SELECT that may use prj, evt and visits) and return a small DataFrame; with
        ``large`` (a list of one row per project) through :func:`~.frames.fetch_frame`, which brings
        repetitive text into pandas several times faster, the same DataFrame."""
        if self.visits_table and re.search(r"\b(visits|evt)\b", body):
            self.ensure_visits()
        sql = f"{self.sql}\n{body}"
        params = used_params(sql, {**self.params, **(params or {})})
        if large:
            from .frames import fetch_frame

            return fetch_frame(self.ctx.cursor, sql, params)
        return self.ctx.cursor.execute(sql, params).df()

    def ensure_visits(self) -> None:
        cur = self.ctx.cursor
        exists = cur.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = $n",
                             {"n": self.visits_table}).fetchall()[0][0]
        if not exists:
            statement = f"CREATE TEMP TABLE {self.visits_table} AS {self.visits_sql}"
            cur.execute(statement, used_params(statement, self.params))

    def table(self, name: str, body: str, params: dict, key: tuple) -> str:
        """The name of a TEMP table on the context's private cursor holding ``body``'s rows (a SELECT
        that may use prj, evt and visits), created the first time this ``name`` and ``key`` are asked
        for in this context and this data version: per-project work that several metrics, or several
        queries of one metric, share (the stays in each stage on a state date). ``key`` must name
        everything the rows depend on besides the visits (the table's name includes the visits')."""
        import hashlib

        digest = hashlib.sha256(repr((name, key, self.visits_table)).encode()).hexdigest()[:16]
        table = f"_presales_{name}_{digest}"

        def create():
            if self.visits_table and re.search(r"\b(visits|evt)\b", body):
                self.ensure_visits()
            statement = f"CREATE TEMP TABLE {table} AS {self.sql}\n{body}"
            self.ctx.cursor.execute(statement, used_params(statement, {**self.params, **params}))
            return table
        return self.ctx.remember(("table", table), create)

    @property
    def multi(self) -> bool:
        return self.ctx.multi

    def keys(self) -> list[str]:
        """The scopes this prefix computes, in order: ``company`` first, then each kind's values sorted."""
        return scope_keys(self.ctx)

    def finish_scopes(self, df: pd.DataFrame, fill: dict | None = None) -> pd.DataFrame:
        """``df`` with its ``_scope`` column as the leading ``scope`` column (with groupings) or dropped
        (one scope). With ``fill`` (a metric that has one row per scope): a scope without any row gets
        one of ``fill``'s values, so every scope has its row."""
        if fill is not None:
            have = set(df["_scope"]) if len(df) else set()
            missing = [k for k in self.keys() if k not in have]
            if missing:
                extra = pd.DataFrame([{"_scope": k, **fill} for k in missing])
                df = pd.concat([df, extra], ignore_index=True) if len(df) else extra
                for column, value in fill.items():
                    if isinstance(value, int) and not isinstance(value, bool):
                        df[column] = df[column].astype("int64")
        if self.multi or fill is not None:   # scopes in the order of keys(), rows within a scope kept
            order = {k: i for i, k in enumerate(self.keys())}
            df = df.assign(_o=df["_scope"].map(order)).sort_values("_o", kind="stable").drop(columns="_o")
            df = df.reset_index(drop=True)
        if self.multi:
            return df.rename(columns={"_scope": "scope"})
        return df.drop(columns=["_scope"]).reset_index(drop=True)


def scope_keys(ctx: MetricContext) -> list[str]:
    """The scopes ``ctx`` computes, in order: ``company`` first, then each kind's values sorted."""
    return ctx.remember(("scope_keys", ctx.groupings, str(ctx.scope), _data_version(ctx)), lambda: _scope_keys(ctx))


def _scope_keys(ctx: MetricContext) -> list[str]:
    if not ctx.multi:
        return [str(ctx.scope)]
    keys = ["company"] if "company" in ctx.groupings else []
    for kind in ctx.groupings:
        if kind == "company":
            continue
        column = ident(kind)           # one of the scope kinds: a column of projects
        keys += [f"{kind}:{v}" for (v,) in ctx.execute(
            f"SELECT DISTINCT {column} FROM projects WHERE {column} IS NOT NULL ORDER BY 1")]
    return keys


def _members(ctx: MetricContext, params: dict) -> tuple[str, str]:
    """``(CTE text, scope expression)``: which projects ``prj`` keeps, under which ``_scope``."""
    if ctx.multi:
        parts = []
        for kind in ctx.groupings:
            if kind == "company":
                parts.append("SELECT 'company' AS _scope, project_id FROM projects")
            else:
                column = ident(kind)
                parts.append(f"SELECT '{kind}:' || {column} AS _scope, project_id FROM projects "
                             f"WHERE {column} IS NOT NULL")
        return "_members AS (" + " UNION ALL ".join(parts) + ")", "m._scope"
    if ctx.scope.is_company:
        return "", "'company'"
    params["scope_key"] = str(ctx.scope)
    params["scope_value"] = ctx.scope.value
    column = ident(ctx.scope.kind)
    return (f"_members AS (SELECT $scope_key AS _scope, project_id FROM projects WHERE {column} = $scope_value)",
            "m._scope")


def check_scope(ctx: MetricContext) -> None:
    """Raise :class:`InputError` naming known values when no project is in ``ctx``'s scope (a misspelt
    region or director would otherwise give a report of zeros)."""
    if ctx.scope.is_company:
        return
    column = ident(ctx.scope.kind)     # a scope kind: a column of projects, never text from the user
    if ctx.execute(f"SELECT count(*) FROM projects WHERE {column} = $v", {"v": ctx.scope.value})[0][0]:
        return
    known = [r[0] for r in ctx.execute(f"SELECT DISTINCT {column} FROM projects WHERE {column} IS NOT NULL "
                                       "ORDER BY 1 LIMIT 30")]
    if not known:       # no export names anyone in that column (a planner, often): say which header to add
        require_column(ctx, ctx.scope.kind, f"--scope {ctx.scope.kind}:<name>")
    raise InputError(f"no project has {ctx.scope.kind} {ctx.scope.value!r}; known: {', '.join(known) or 'none'}")


def membership(ctx: MetricContext, params: dict) -> tuple[str, str]:
    """``(CTE text, scope expression)`` for joining per-project results to the scopes of ``ctx``: the
    text defines ``_members (_scope, project_id)`` (empty for the whole company, where the expression
    is ``'company'``); join it as ``m``. Adds its parameters to ``params``."""
    members, expr = _members(ctx, params)
    return members or "_members AS (SELECT 'company' AS _scope, NULL AS project_id WHERE false)", expr


def scope_members(ctx: MetricContext, column: str) -> dict[str, set[str]]:
    """Per scope of ``ctx`` (:meth:`Scope.keys`), the values of ``column`` (director, department …)
    among its projects' latest loaded versions: who has projects in the scope."""
    def compute():
        params: dict = {}
        members, scope_expr = _members(ctx, params)
        col = ident(column)
        if not members:
            rows = ctx.execute(f"SELECT DISTINCT 'company', {col} FROM projects WHERE {col} IS NOT NULL")
        else:
            rows = ctx.execute(f"""WITH {members} SELECT DISTINCT {scope_expr}, p.{col} FROM projects p
                                   JOIN _members m ON m.project_id = p.project_id WHERE p.{col} IS NOT NULL""",
                               params)
        out: dict[str, set[str]] = {}
        for key, value in rows:
            out.setdefault(key, set()).add(value)
        return out
    return ctx.remember(("scope_members", column, ctx.groupings, str(ctx.scope), _data_version(ctx)), compute)


def scope(ctx: MetricContext, *, company: bool = False, inline_visits: bool = False) -> Scope:
    """The CTEs of the module docstring for ``ctx`` (its as-of date, scope and groupings; the whole
    company with ``company=True``: the norms every scope is held to). With ``inline_visits`` the visits
    are computed inside each query instead of read from the context's TEMP table (for a context that
    runs one query on them: writing the table first would cost more).

    Built for speed at millions of events: the stage history is sorted once per project (one window
    pass gives ``seq``, ``left_at`` and ``backward``); the per-project choice of source is skipped when
    the store holds one source only; versions are ranked only when earlier versions exist."""
    if company:
        ctx = ctx.company()
    config = ctx.config
    d = ctx.as_of
    stages = config.stage_keys
    order = "list_position($stage_order, stage)"
    params: dict = {"stage_order": stages}
    if d is None:
        prj_v = "prj_v AS (SELECT * FROM projects)"
        evt_filter, evt_join = "true", ""
    else:
        params["as_of"] = d
        versioned = ctx.execute("SELECT count(*) FROM project_snapshots")[0][0] > 0
        source = ("""(SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY project_id ORDER BY (as_of <= $as_of) DESC,
                         CASE WHEN as_of <= $as_of THEN as_of END DESC, as_of ASC, load_id DESC) AS _version
                      FROM project_versions) WHERE _version = 1)""" if versioned else "projects")
        prj_v = f"""prj_v AS (
            SELECT * EXCLUDE (_v_status, _v_closed),
                   CASE WHEN _v_status <> 'open' AND (_v_closed <= $as_of OR (_v_closed IS NULL AND as_of <= $as_of))
                        THEN _v_status ELSE 'open' END AS status,
                   CASE WHEN _v_closed <= $as_of THEN _v_closed END AS closed_at
            FROM (SELECT * RENAME (status AS _v_status, closed_at AS _v_closed) FROM {source})
            WHERE created_at IS NULL OR created_at <= $as_of)"""
        evt_filter, evt_join = "e.entered_at <= $as_of", "SEMI JOIN prj_v ON prj_v.project_id = e.project_id"
    members, scope_expr = _members(ctx, params)
    if members:
        prj = f"""{members},
        prj AS (SELECT {scope_expr} AS _scope, x.* FROM prj_v x JOIN _members m ON m.project_id = x.project_id)"""
    else:
        prj = "prj AS (SELECT 'company' AS _scope, * FROM prj_v)"
    rank = "CASE source WHEN 'history' THEN 1 WHEN 'columns' THEN 2 WHEN 'snapshot' THEN 3 ELSE 9 END"
    sources = ctx.execute("SELECT count(DISTINCT source) FROM stage_events WHERE source <> 'inferred'")[0][0]
    best = f"min({rank}) OVER (PARTITION BY e.project_id)" if sources > 1 else rank
    head = f"""WITH {prj_v},
        {prj},
        evt_ranked AS (
            SELECT e.project_id, e.stage, e.entered_at, {rank} AS _rank, {best} AS _best
            FROM stage_events e {evt_join}
            WHERE {evt_filter})"""
    # the stage's position is computed once per event (it orders same-day events and tells a move back)
    visits = f"""SELECT project_id, stage, entered_at,
                   lead(entered_at) OVER w AS left_at,
                   row_number() OVER w AS seq,
                   coalesce(lag(_pos) OVER w > _pos, false) AS backward,
                   CASE WHEN row_number() OVER w = 1 THEN false ELSE coalesce(lag(_pos) OVER w >= _pos, true) END
                       AS again
            FROM (SELECT *, {order} AS _pos FROM evt_ranked WHERE _rank = _best OR _rank = 9)
            WINDOW w AS (PARTITION BY project_id ORDER BY entered_at, _pos)"""
    if inline_visits:
        return Scope(ctx, f"""{head},
        visits AS ({visits}),
        evt AS (SELECT project_id, stage, entered_at, seq FROM visits)""", params)
    cached = _visits_table_name(ctx, key=(d, tuple(stages)))
    sql = f"""{head},
        visits AS (SELECT * FROM {cached}),
        evt AS (SELECT project_id, stage, entered_at, seq FROM visits)"""
    # the visits hold every project's history: they do not depend on the scope (nor on _members)
    visits_head = f"""WITH {prj_v},
        evt_ranked AS (
            SELECT e.project_id, e.stage, e.entered_at, {rank} AS _rank, {best} AS _best
            FROM stage_events e {evt_join}
            WHERE {evt_filter})"""
    return Scope(ctx, sql, params, visits_table=cached, visits_sql=f"{visits_head}\n{visits}")


def _data_version(ctx: MetricContext) -> tuple:
    """Changes whenever a load (or any change of the canonical tables' sizes) changes the data."""
    return tuple(ctx.execute("""SELECT (SELECT coalesce(max(load_id), 0) FROM load_log), (SELECT count(*) FROM load_log),
                                 (SELECT count(*) FROM projects), (SELECT count(*) FROM project_snapshots),
                                 (SELECT count(*) FROM stage_events)""")[0])


def _visits_table_name(ctx: MetricContext, *, key: tuple) -> str:
    """The name of the TEMP table that caches the visits for an as-of date, stage model and data
    version (a new load changes the version, and with it the table used)."""
    import hashlib

    digest = hashlib.sha256(repr((key, _data_version(ctx))).encode()).hexdigest()[:16]
    return f"_presales_visits_{digest}"


def _execute(con_or_ctx, sql: str, params: dict | None = None) -> list[tuple]:
    """Every row of ``sql`` on a context's private cursor, or on a plain connection."""
    if isinstance(con_or_ctx, MetricContext):
        return con_or_ctx.execute(sql, params)
    return con_or_ctx.execute(sql, params or {}).fetchall()


def option_flag(value: bool | str | int | None, name: str) -> bool | None:
    """An on/off option as given in Python or as command-line text (``-o exclude_abandoned=false``:
    the text "false" is not true); None stays None (the configured default)."""
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on", "y", "是"):
        return True
    if text in ("0", "false", "no", "off", "n", "否", ""):
        return False
    raise InputError(f"option {name}={value!r} must be true or false")


def check_dimension(con, by: str | None, metric: str) -> str | None:
    """Validate ``--by``: a dimension column of projects that some loaded export provided."""
    if by is None:
        return None
    by = by.strip().lower()
    if by not in DIMENSIONS:
        raise InputError(f"--by {by!r} is not a dimension; use one of: {', '.join(DIMENSIONS)}")
    require_column(con, by, metric)
    return by


def require_column(con, column: str, metric: str, *, why: str = "") -> None:
    """Raise :class:`MissingColumnError` when no loaded project has a value in ``column``
    (channel is exempt from emptiness: NULL there means direct, so it needs only a loaded column).
    Asked of the whole store, never of a scope's rows: a director with only open projects has no
    closed date, and that is a figure of zero there, not a missing column."""
    if column == "channel":
        has = _execute(con, "SELECT count(*) FROM load_log WHERE table_name = 'projects' "
                            "AND json_extract_string(options, '$.columns') LIKE '%\"channel\"%'")[0][0]
        has = has or _execute(con, "SELECT count(channel) FROM projects")[0][0]
    else:
        has = _execute(con, f"SELECT count({ident(column)}) FROM projects")[0][0]
    if not has:
        hint = HEADER_HINTS.get(column, column)
        raise MissingColumnError(
            f"{metric} needs the column '{column}'{' ' + why if why else ''}, and no loaded export has it: "
            f"load a projects export with a '{hint}' column, or name the export's column in a mapping file "
            f"([columns] {column} = \"<header>\"); see docs/data-format.md", column=column)


def z_value(confidence: float) -> float:
    """The two-sided normal quantile of ``confidence`` (1.96 for 0.95)."""
    from statistics import NormalDist

    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson(successes, trials, confidence: float = 0.95) -> tuple[pd.Series, pd.Series]:
    """Wilson score interval for a binomial proportion, elementwise; NaN where trials == 0.
    The one place of this arithmetic in Python (the dashboard's JavaScript helper is tested against it).

    >>> low, high = wilson(pd.Series([7]), pd.Series([10]))
    >>> round(float(low[0]), 4), round(float(high[0]), 4)
    (0.3968, 0.8922)
    """
    z = z_value(confidence)
    k = pd.Series(successes, dtype="float64")
    n = pd.Series(trials, dtype="float64")
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5)
    low = (centre - half).where(n > 0)
    high = (centre + half).where(n > 0)
    return low.clip(lower=0.0), high.clip(upper=1.0)


def rate(numerator, denominator) -> pd.Series:
    """``numerator ÷ denominator`` elementwise, NaN where the denominator is 0 (or missing)."""
    num = pd.Series(numerator, dtype="float64")
    den = pd.Series(denominator, dtype="float64")
    return (num / den).where(den > 0)


def with_win_rate(df: pd.DataFrame, ctx: MetricContext, *, won: str = "won", closed: str = "closed",
                  prefix: str = "win_rate") -> pd.DataFrame:
    """Add ``win_rate`` = won ÷ closed and its Wilson interval (``_low``, ``_high``, at ``[metrics]
    confidence``): the one definition every metric with a win rate uses."""
    df[prefix] = rate(df[won].to_numpy(), df[closed].to_numpy()).to_numpy()
    low, high = wilson(df[won].to_numpy(), df[closed].to_numpy(), float(ctx.setting("metrics", "confidence", 0.95)))
    df[f"{prefix}_low"], df[f"{prefix}_high"] = low.to_numpy(), high.to_numpy()
    return df


def small_sample(ctx: MetricContext) -> int:
    """The configured small-sample threshold (``[metrics] small_sample``, 10 closed projects)."""
    return int(ctx.setting("metrics", "small_sample", 10))


def period_filter(column: str, period: Period) -> tuple[str, dict]:
    """SQL (and params) for ``column`` within ``period`` (half-open); ``all`` keeps everything."""
    if period.grain == "all":
        return "true", {}
    return f"({column} >= $p_start AND {column} < $p_end)", {"p_start": period.start, "p_end": period.end}


def active_filter(period: Period) -> tuple[str, dict]:
    """SQL (and params) for a project *active* in ``period``: created by its end (or no created date)
    and not closed before its start (open, or no closed date); every project for ``all``."""
    if period.grain == "all":
        return "true", {}
    return ("(created_at IS NULL OR created_at < $p_end) AND (closed_at IS NULL OR closed_at >= $p_start)",
            {"p_start": period.start, "p_end": period.end})


def finish(df: pd.DataFrame, *, metric: str, period: Period, as_of: date | None, by: str | None,
           denominator: str, options: dict | None = None) -> pd.DataFrame:
    """Attach what a reader needs to trust the numbers: ``df.attrs`` holds the metric, period,
    as-of date, breakdown, the denominator in words and the options in force."""
    df.attrs.update({"metric": metric, "period": str(period), "as_of": as_of.isoformat() if as_of else None,
                     "by": by, "denominator": denominator, "options": options or {}})
    return df


def data_date(con) -> date | None:
    """The latest date anywhere in the data (created, closed, stage entered, activity, document, or the
    date of a snapshot export loaded with ``--as-of``): the company's, whatever the scope (a quiet
    region's data is not older than the export it came in)."""
    def compute():
        return _execute(con, """SELECT greatest((SELECT max(greatest(created_at, closed_at, initiated_at)) FROM projects),
                                          (SELECT max(entered_at) FROM stage_events),
                                          (SELECT max(as_of) FROM project_versions WHERE as_of_declared),
                                          (SELECT max(date) FROM activities),
                                          (SELECT max(date) FROM documents))""")[0][0]
    if isinstance(con, MetricContext):
        return con.remember(("data_date", _data_version(con)), compute)
    return compute()


def report_period(con, period: Period | str | None) -> Period:
    """``period`` parsed, or when it is empty the latest complete quarter *in the data* (not of the
    calendar): what reports, the dashboard and the workbook cover by default (DESIGN.md)."""
    if period:
        return period if isinstance(period, Period) else Period.parse(period)
    latest = data_date(con)
    if latest is None:
        raise InputError("the database holds no dated data: give a period (e.g. --period 2026-Q3)")
    return Period.latest_complete_quarter(latest)


def state_date(con, period: Period, as_of: date | None) -> date | None:
    """The day on which a *state* metric (stalled, pipeline, open compliance) looks at the data:
    ``as_of`` if given; else the period's last day, or the latest data date if that is earlier or
    the period is ``all``. Never "today": a report of a past period is the same whenever it runs."""
    if as_of is not None:
        return as_of
    latest = data_date(con)
    if p_last := (period.end and period.last_day):
        return min(p_last, latest) if latest else p_last
    return latest


def memoized(ctx: MetricContext, name: str, key: tuple, compute) -> pd.DataFrame:
    """``compute()``'s DataFrame, remembered in the context for this data version and configuration, so
    that a metric other metrics build on (stalled projects: the scorecard and compliance use them) is
    computed once per report. The memory goes with the context; a new load changes the version."""
    full = (name, key, str(ctx.scope), ctx.groupings, _data_version(ctx), id(ctx.config))
    return ctx.remember(full, compute).copy()


def company_norm(ctx: MetricContext, name: str, key: tuple, compute):
    """``compute(company_ctx)``, the norm every scope is held to (the stall limits, the company median
    cycle), computed on the company-wide context and remembered in the context: computed once per
    report or dashboard, whatever scopes it covers."""
    company = ctx.company()
    full = ("norm", name, key, _data_version(ctx), id(ctx.config))
    return ctx.remember(full, lambda: compute(company))


__all__ = ["Scope", "scope", "context", "option_flag", "check_dimension", "require_column", "wilson", "rate", "with_win_rate",
           "small_sample", "z_value", "scope_members", "membership", "check_scope", "scope_keys", "period_filter", "active_filter", "finish", "company_norm", "memoized", "as_date", "period_of",
           "DIMENSIONS", "sql_literal", "data_date", "report_period", "state_date", "MetricContext"]
