"""制度执行 policy compliance: archive, weekly reports, analysis meetings, close reports and grade, per project.

The checks of the 售前项目管理制度 (DOMAIN.md) that data can decide, evaluated at the *state date*
(``base.state_date``: the as-of date, else the period's last day capped at the latest data date):

- **archive** (项目档案): every document ``[documents_due]`` lists for every working stage up to the
  furthest one the project reached, *skipped stages included* (the archive is cumulative: a project
  that went from initiated straight to bidding still owes the solution documents), plus those of the
  terminal stage it closed in; present = a ``documents`` row dated on or before the state date, or undated.
- **weekly** (项目周报): one weekly report per ISO week (Monday start) from the week the project was
  initiated (``initiated_at``, else the day it entered ``initiated``) through the week of its close or
  the state date, whichever is earlier; a dated period counts only the weeks with a day in it.
  Projects never initiated owe none.
- **meeting** (项目分析会): a stalled project (``stalled.stalled``) must have had a meeting since the stall.
- **summary / evaluation** (总结报告 / 评价报告): due once ``close + [metrics] close_report_days`` is on or
  before the state date; the activity must be dated within ``[close, close + days]``.
- **grade** (项目等级): the grade the amount implies (``config.grade_for_amount``) must not be above the
  declared one (grade order as configured: company > department > office > channel).

All of it is computed in one DuckDB statement; only the result goes to pandas.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import pandas as pd

from ..config import Config
from ..errors import InputError
from ..periods import Period
from ..sql import ident
from . import columns as C
from .base import check_dimension, context, finish, membership, period_of, scope, scope_keys, state_date
from .context import MetricContext
from .spec import Column, MetricSpec, Option

#: Columns of the per-project result (``level="project"``).
PROJECT_COLUMNS = ["project_id", "name", "director", "region", "status", "stage_reached",
                   "docs_due", "docs_present", "docs_missing", "archive_ok",
                   "weeks_due", "weeks_reported", "weekly_coverage", "weekly_ok",
                   "stalled", "meeting_ok", "summary_due", "summary_ok", "evaluation_due", "evaluation_ok",
                   "grade_declared", "grade_implied", "grade_ok", "checks_due", "checks_passed", "compliance_rate"]

#: Columns of the roll-up (after the dimension column).
ROLLUP_COLUMNS = ["projects", "archive_rate", "weekly_coverage", "meeting_rate", "summary_rate",
                  "evaluation_rate", "grade_mismatches", "checks_due", "checks_passed", "compliance_rate"]

LEVELS = ("project", "director")

#: the breakdowns (``--by``) whose value is an output column of the per-project checks
_DIM_OF = {"status": "status", "director": "director", "region": "region", "grade": "grade_declared"}
#: the other breakdowns, carried along as ``_d_<name>``
_CARRIED = ["department", "channel", "manager", "monitor", "planner", "industry", "customer", "stage"]


def _threshold(value: object) -> float:
    try:
        t = float(value)
    except (TypeError, ValueError):
        raise InputError(f"option weekly_threshold={value!r} is not a number; give a share such as 0.8",
                         value=value) from None
    if not 0.0 <= t <= 1.0:
        raise InputError(f"option weekly_threshold={value!r} must be a share between 0 and 1 (0.8 = 80%)",
                         value=value)
    return t


def _documents_due(config: Config) -> dict:
    """The ``[documents_due]`` table as parallel lists for ``unnest``: one row per (stage, document).

    ``dd_wpos`` is the stage's position among the working stages (NULL for a terminal stage),
    ``dd_ord`` orders the documents (stage model order, then as listed), ``dd_name`` the Chinese name."""
    due = config.raw.get("documents_due", {})
    names = config.raw.get("documents", {})
    working = config.working_stages
    rows = []
    for stage in config.stage_keys:
        for doc in due.get(stage, []):
            rows.append((stage, working.index(stage) + 1 if stage in working else None, doc,
                         len(rows) + 1, names.get(doc, {}).get("zh", doc)))
    return {"dd_stage": [r[0] for r in rows], "dd_wpos": [r[1] for r in rows], "dd_doc": [r[2] for r in rows],
            "dd_ord": [r[3] for r in rows], "dd_name": [r[4] for r in rows]}


def _grade_case(config: Config, params: dict) -> str:
    """SQL for the grade ``amount`` implies: the highest ``min_amount`` it exceeds (values bound)."""
    graded = sorted((g for g in config.raw.get("grades", []) if "min_amount" in g), key=lambda g: -g["min_amount"])
    if not graded:
        return "CAST(NULL AS VARCHAR)"
    whens = []
    for i, g in enumerate(graded):
        params[f"g_min{i}"] = float(g["min_amount"])
        params[f"g_key{i}"] = g["key"]
        whens.append(f"WHEN amount > $g_min{i} THEN $g_key{i}")
    return f"CASE {' '.join(whens)} END"


def _stalled(ctx: MetricContext, period: Period, st: pd.DataFrame | None = None) -> dict:
    """The stalled projects (``stalled.stalled`` of the company: a project's stall does not depend on
    the scope; or ``st`` when the caller has it) as bound lists: ids and whether a meeting followed
    the stall (once per project, whatever scopes ``st`` lists it in)."""
    if st is None:
        from .stalled import stalled as stalled_metric

        st = stalled_metric(ctx.company(), period)
    if not len(st):
        return {"st_ids": [], "st_met": []}
    st = st.drop_duplicates("project_id")
    met = st["meeting_since_stall"].fillna(False).astype(bool)
    return {"st_ids": st["project_id"].astype(str).tolist(), "st_met": met.tolist()}


def compliance(con, period: Period | str | None = None, *, by: str | None = None,
               as_of: date | str | None = None, config: Config | None = None, level: str = "project",
               weekly_threshold: float | str | None = None, stalled_projects: pd.DataFrame | None = None) -> pd.DataFrame:
    """制度执行 policy compliance per project (``level="project"``) or rolled up per ``by`` / director.

    Projects: those active in the period — created on or before its last day (or with no created date)
    and not closed before its first day (every project for ``all``), as known at ``as_of``. The checks
    look at the state date (``df.attrs["state_date"]``).

    Per-project columns: ``project_id``, ``name``, ``director``, ``region``; ``status`` (at the state
    date); ``stage_reached`` (the furthest stage in model order entered by the state date, the terminal
    status included); ``docs_due`` (count: the ``[documents_due]`` documents of every working stage up to
    the furthest reached, skipped ones included, plus those of the terminal stage closed in);
    ``docs_present`` (of those, how many are in ``documents`` dated on or before the state date, or
    undated); ``docs_missing`` (the missing ones' Chinese names, ``", "``-separated, in stage order;
    "" when none); ``archive_ok`` (none missing); ``weeks_due`` (ISO weeks from the week of initiation
    through the week of min(close, state date), only weeks with a day in a dated period; 0 if never
    initiated); ``weeks_reported`` (of those, weeks with ≥ 1 ``weekly_report``); ``weekly_coverage`` =
    weeks_reported ÷ weeks_due (NaN if none due); ``weekly_ok`` (coverage ≥ ``weekly_threshold``, 0.8;
    True when none due); ``stalled`` (stalled at the state date); ``meeting_ok`` (not stalled, or an
    ``analysis_meeting`` since the stall); ``summary_due`` / ``evaluation_due`` (closed and close +
    ``[metrics] close_report_days`` (30) ≤ state date; a closed project with no known close date is
    due, and any report counts); ``summary_ok`` / ``evaluation_ok`` (a ``summary`` / ``evaluation``
    activity dated within [close, close + days]; True when not due); ``grade_declared``,
    ``grade_implied`` (over 50M yuan company, over 20M department, else empty); ``grade_ok`` (False only
    when the implied grade is above the declared one; no amount, no implied or no declared grade: True);
    ``checks_due`` (count of the checks that apply: archive and grade always, weekly if weeks are due,
    meeting if stalled, summary and evaluation if due); ``checks_passed``; ``compliance_rate`` = passed ÷
    due. Sorted by project_id.

    Roll-up (``by`` given, or ``level="director"`` which rolls up by director): the dimension, then
    ``projects`` (count); ``archive_rate`` (share of projects with a complete archive); ``weekly_coverage``
    (total weeks reported ÷ total weeks due); ``meeting_rate`` (of stalled projects, the share with a
    meeting); ``summary_rate`` / ``evaluation_rate`` (of projects with the report due, the share on time);
    ``grade_mismatches`` (count); ``checks_due``, ``checks_passed`` (totals) and ``compliance_rate`` =
    checks passed ÷ checks due. Rates are NaN when their denominator is 0. Sorted by the dimension.

    Options: ``level`` ("project" or "director"); ``weekly_threshold`` (share of weeks reported for the
    weekly check; default ``[metrics] weekly_report_coverage``, 0.8; a string from the command line is
    read as a number);
    ``stalled_projects``: the result of ``stalled(con, period, as_of=as_of, config=config)`` when the
    caller already has it (the directors scorecard), so it is not computed twice.

    With a context's groupings every scope is computed in one pass (``scope`` first): a project's checks
    do not depend on the scope (stalls are judged by the company's limits), so they are evaluated once
    per project and the roll-up groups them by every scope the project belongs to.

    >>> import presales_analytics as pa
    >>> compliance(pa.connect(":memory:")).shape[0]
    0
    """
    ctx = context(con, as_of, config)
    config, d = ctx.config, ctx.as_of
    p = period_of(period)
    if str(level).strip().lower() not in LEVELS:
        raise InputError(f"level {level!r} must be one of: {', '.join(LEVELS)}", value=level)
    level = str(level).strip().lower()
    if weekly_threshold is None:
        weekly_threshold = ctx.setting("metrics", "weekly_report_coverage", 0.8)
    threshold = _threshold(weekly_threshold)
    if by is None and level == "director":
        by = "director"
    by = check_dimension(ctx, by, "compliance")
    sd = state_date(ctx, p, d)
    days = int(ctx.setting("metrics", "close_report_days", 30))

    s = scope(ctx, company=True)      # every project once; scopes are joined at the end
    params: dict = {
        "sd": sd or date(9999, 12, 31), "days": days, "threshold": threshold,
        "working": config.working_stages, "terminal": config.terminal_stages, "initiated": "initiated",
        "grade_order": [g["key"] for g in config.raw.get("grades", [])],
        "p_start": p.start, "p_end": p.end,
        "p_week0": p.start - timedelta(days=p.start.weekday()) if p.start else None,
        "p_week1": p.last_day - timedelta(days=p.last_day.weekday()) if p.end else None,
        **_documents_due(config), **_stalled(ctx, p, stalled_projects),
    }
    implied = _grade_case(config, params)
    members_cte, scope_expr = membership(ctx, params)
    body = f"""
    , ev AS (
        -- the rows of evt (best source per project, plus inferred) without its DISTINCT and row_number:
        -- max / min / arg_max need neither, and skipping them halves the cost at a million projects
        SELECT project_id,
               max(list_position($working, stage)) FILTER (entered_at <= $sd) AS wpos,
               arg_max(stage, [epoch(entered_at)::BIGINT, list_position($stage_order, stage)])
                   FILTER (entered_at <= $sd AND list_contains($terminal, stage)) AS term_evt,
               max(entered_at) FILTER (list_contains($terminal, stage)) AS term_at,
               min(entered_at) FILTER (entered_at <= $sd AND stage = $initiated) AS initiated_evt
        FROM evt_ranked WHERE _rank = _best OR _rank = 9 GROUP BY project_id),
    known AS (
        -- projects active in the period: created by its end, not closed before its start
        SELECT p.*, coalesce(p.closed_at, e.term_at) AS close_any,
               coalesce(e.wpos, CASE WHEN e.project_id IS NULL THEN list_position($working, p.stage) END) AS wpos,
               e.term_evt, coalesce(p.initiated_at, e.initiated_evt) AS init_on
        FROM prj p LEFT JOIN ev e ON e.project_id = p.project_id
        WHERE ($p_end IS NULL OR p.created_at IS NULL OR p.created_at < $p_end)
          AND ($p_start IS NULL OR p.status = 'open' OR coalesce(p.closed_at, e.term_at) IS NULL
               OR coalesce(p.closed_at, e.term_at) >= $p_start)),
    at_sd AS (
        -- the status on the state date: closed later (by date or by event) means still open then
        SELECT project_id, name, director, region, department, channel, grade, manager, monitor, planner, industry,
               customer, stage, amount, status, close_any, wpos, term_evt, init_on,
               CASE WHEN status <> 'open' AND (close_any IS NULL OR close_any <= $sd) THEN status ELSE 'open' END AS st
        FROM known),
    pp AS (
        SELECT *,
               CASE WHEN st <> 'open' THEN st ELSE term_evt END AS term,
               CASE WHEN st <> 'open' THEN close_any END AS close_on,
               -- weekly reports are owed from the week of initiation to the week of close / state date
               CASE WHEN init_on <= $sd THEN greatest(CAST(date_trunc('week', init_on) AS DATE), $p_week0) END AS w0,
               least(CAST(date_trunc('week', CASE WHEN st <> 'open' AND close_any < $sd THEN close_any ELSE $sd END)
                          AS DATE), $p_week1) AS w1
        FROM at_sd),
    dd AS (
        SELECT unnest(CAST($dd_stage AS VARCHAR[])) AS stage, unnest(CAST($dd_wpos AS INTEGER[])) AS wpos,
               unnest(CAST($dd_doc AS VARCHAR[])) AS doc, unnest(CAST($dd_ord AS INTEGER[])) AS ord,
               unnest(CAST($dd_name AS VARCHAR[])) AS name),
    prof AS (
        -- every (furthest working stage, terminal stage) a project can have, from the configuration
        SELECT w.wpos, t.term
        FROM (SELECT unnest(range(0, len($working) + 1)) AS wpos UNION ALL SELECT NULL) w
        CROSS JOIN (SELECT unnest(CAST($terminal AS VARCHAR[])) AS term UNION ALL SELECT NULL) t),
    prof_docs AS (
        SELECT f.wpos, f.term, d.doc, min(d.ord) AS ord, min(d.name) AS name
        FROM prof f JOIN dd d ON d.wpos <= f.wpos OR d.stage = f.term
        GROUP BY f.wpos, f.term, d.doc),
    prof_list AS (
        SELECT wpos, term, list(doc ORDER BY ord) AS keys, list(name ORDER BY ord) AS names,
               string_agg(name, ', ' ORDER BY ord) AS all_names
        FROM prof_docs GROUP BY wpos, term),
    have AS (
        SELECT project_id, list(DISTINCT doc_type) AS have
        FROM documents WHERE date IS NULL OR date <= $sd GROUP BY project_id),
    acts AS (
        SELECT project_id,
               list(DISTINCT CAST(date_trunc('week', date) AS DATE)) FILTER (kind = 'weekly_report' AND date <= $sd)
                   AS weeks,
               list(date) FILTER (kind = 'summary' AND date IS NOT NULL) AS summary_dates,
               list(date) FILTER (kind = 'evaluation' AND date IS NOT NULL) AS evaluation_dates,
               bool_or(kind = 'summary' AND (date IS NULL OR date <= $sd)) AS summary_any,
               bool_or(kind = 'evaluation' AND (date IS NULL OR date <= $sd)) AS evaluation_any
        FROM activities WHERE kind IN ('weekly_report', 'summary', 'evaluation') GROUP BY project_id),
    stl AS (
        SELECT unnest(CAST($st_ids AS VARCHAR[])) AS project_id, unnest(CAST($st_met AS BOOLEAN[])) AS met),
    r1 AS (
        SELECT pp.project_id, pp.name, pp.director, pp.region, pp.st AS status,
               -- the other breakdowns (--by), as known at the state date
               {", ".join(f"CAST(pp.{ident(c)} AS VARCHAR) AS _d_{c}" for c in _CARRIED)},
               coalesce(pp.term, $working[pp.wpos]) AS stage_reached,
               CAST(coalesce(len(pl.keys), 0) AS BIGINT) AS docs_due,
               CAST(CASE WHEN h.have IS NULL OR pl.keys IS NULL THEN 0
                         ELSE len(list_filter(pl.keys, lambda k: list_contains(h.have, k))) END AS BIGINT)
                   AS docs_present,
               CASE WHEN pl.keys IS NULL THEN ''
                    WHEN h.have IS NULL THEN pl.all_names
                    ELSE array_to_string(list_transform(
                             list_filter(range(1, len(pl.keys) + 1), lambda i: NOT list_contains(h.have, pl.keys[i])),
                             lambda i: pl.names[i]), ', ') END AS docs_missing,
               CAST(CASE WHEN pp.w1 >= pp.w0 THEN (pp.w1 - pp.w0) // 7 + 1 ELSE 0 END AS BIGINT) AS weeks_due,
               CAST(CASE WHEN pp.w1 >= pp.w0 AND a.weeks IS NOT NULL
                         THEN len(list_filter(a.weeks, lambda w: w >= pp.w0 AND w <= pp.w1)) ELSE 0 END AS BIGINT)
                   AS weeks_reported,
               stl.project_id IS NOT NULL AS stalled,
               stl.project_id IS NULL OR coalesce(stl.met, false) AS meeting_ok,
               pp.st <> 'open' AND (pp.close_on IS NULL OR pp.close_on + $days <= $sd) AS close_due,
               -- a close report counts when dated within [close, close + days]; with no close date, any
               CASE WHEN pp.close_on IS NULL THEN coalesce(a.summary_any, false)
                    ELSE coalesce(len(list_filter(a.summary_dates,
                                  lambda x: x >= pp.close_on AND x <= pp.close_on + $days)) > 0, false) END
                   AS summary_done,
               CASE WHEN pp.close_on IS NULL THEN coalesce(a.evaluation_any, false)
                    ELSE coalesce(len(list_filter(a.evaluation_dates,
                                  lambda x: x >= pp.close_on AND x <= pp.close_on + $days)) > 0, false) END
                   AS evaluation_done,
               pp.grade AS grade_declared, {implied} AS grade_implied
        FROM pp
        LEFT JOIN prof_list pl ON pl.wpos IS NOT DISTINCT FROM pp.wpos AND pl.term IS NOT DISTINCT FROM pp.term
        LEFT JOIN have h ON h.project_id = pp.project_id
        LEFT JOIN acts a ON a.project_id = pp.project_id
        LEFT JOIN stl ON stl.project_id = pp.project_id),
    r2 AS (
        SELECT * EXCLUDE (close_due, summary_done, evaluation_done),
               docs_present = docs_due AS archive_ok,
               CAST(weeks_reported AS DOUBLE) / nullif(weeks_due, 0) AS weekly_coverage,
               weeks_due = 0 OR CAST(weeks_reported AS DOUBLE) / weeks_due >= $threshold AS weekly_ok,
               close_due AS summary_due, NOT close_due OR summary_done AS summary_ok,
               close_due AS evaluation_due, NOT close_due OR evaluation_done AS evaluation_ok,
               coalesce(list_position($grade_order, grade_implied) >= list_position($grade_order, grade_declared),
                        true) AS grade_ok
        FROM r1),
    res AS (
        SELECT *,
               CAST(2 + (weeks_due > 0)::INT + stalled::INT + 2 * summary_due::INT AS BIGINT) AS checks_due,
               CAST(archive_ok::INT + grade_ok::INT + (weeks_due > 0 AND weekly_ok)::INT + (stalled AND meeting_ok)::INT
                    + (summary_due AND summary_ok)::INT + (evaluation_due AND evaluation_ok)::INT AS BIGINT)
                   AS checks_passed
        FROM r2)
    SELECT * FROM res"""
    # every project's checks once per context and state date, in a TEMP table: the roll-ups (the
    # scorecard's by director, the audit's) and the per-project list read it, whatever the scope
    table = s.table("compliance", body, params, (hashlib.sha256(repr(sorted(params.items())).encode()).hexdigest(),))
    joined = f"{table} res JOIN _members m ON m.project_id = res.project_id" if scope_expr != "'company'" \
        else f"{table} res"
    # the breakdown (for status: the status at the state date, like the checks)
    dim = "CAST(NULL AS VARCHAR)" if not by else _DIM_OF.get(by, f"_d_{by}")
    body = f", {members_cte}"
    if by:
        col = ident(by)
        sql = body + f"""
        SELECT {scope_expr} AS _scope, {dim} AS {col},
               CAST(count(*) AS BIGINT) AS projects,
               avg(archive_ok::INT) AS archive_rate,
               CAST(sum(weeks_reported) AS DOUBLE) / nullif(sum(weeks_due), 0) AS weekly_coverage,
               avg(meeting_ok::INT) FILTER (stalled) AS meeting_rate,
               avg(summary_ok::INT) FILTER (summary_due) AS summary_rate,
               avg(evaluation_ok::INT) FILTER (evaluation_due) AS evaluation_rate,
               CAST(count(*) FILTER (NOT grade_ok) AS BIGINT) AS grade_mismatches,
               CAST(sum(checks_due) AS BIGINT) AS checks_due,
               CAST(sum(checks_passed) AS BIGINT) AS checks_passed,
               CAST(sum(checks_passed) AS DOUBLE) / nullif(sum(checks_due), 0) AS compliance_rate
        FROM {joined} GROUP BY ALL ORDER BY _scope, {col} NULLS LAST"""
        columns = [by] + ROLLUP_COLUMNS
    else:
        sql = body + f"""
        SELECT {scope_expr} AS _scope, {", ".join("res." + c for c in PROJECT_COLUMNS[:-1])},
               CAST(res.checks_passed AS DOUBLE) / res.checks_due AS compliance_rate
        FROM {joined} ORDER BY _scope, res.project_id"""
        columns = PROJECT_COLUMNS
    if not by and scope_expr == "'company'":
        # the whole company's list is the table's rows in project order: read them straight from it
        # (a copy of a million wide rows, written first, cost more than the query)
        from .frames import fetch_table_frame

        df = fetch_table_frame(ctx.cursor, table, PROJECT_COLUMNS[:-1], order_by="project_id",
                               computed={"compliance_rate": "CAST(checks_passed AS DOUBLE) / checks_due"})
        df.insert(0, "_scope", pd.Series("company", index=df.index, dtype="str"))
    else:
        df = s.query(sql, params, large=not by)
    assert list(df.columns) == ["_scope"] + columns
    if ctx.multi:
        order = {k: i for i, k in enumerate(scope_keys(ctx))}
        df = df.assign(_o=df["_scope"].map(order)).sort_values("_o", kind="stable").drop(columns="_o")
        df = df.reset_index(drop=True).rename(columns={"_scope": "scope"})
    else:
        df = df.drop(columns="_scope")
    for column in df.columns[df.dtypes == object]:   # an all-NULL text column comes back as object
        df[column] = df[column].astype("str")
    denominator = ("checks due per project: archive and grade always, weekly reports when weeks are due, "
                   f"meeting when stalled, summary and evaluation {days} days after the close; projects active "
                   f"in {p}, checked on {sd}")
    df = finish(df, metric="compliance", period=p, as_of=d, by=by, denominator=denominator,
                options={"level": f"rollup by {by}" if by else level, "weekly_threshold": threshold,
                         "close_report_days": days})
    df.attrs["state_date"] = sd.isoformat() if sd else None
    return df


SPEC = MetricSpec(
    name="compliance", function=compliance, zh="制度执行", en="Policy compliance",
    definition_zh="本期活跃项目在状态日应做的制度检查（项目档案、项目周报、停滞后分析会、总结与评价报告、项目等级）中通过的比例。",
    definition_en="of the policy checks due on the state date for the projects active in the period (archive, weekly "
                  "reports, analysis meeting after a stall, close reports, grade), the share passed.",
    denominator_zh="应做的检查：档案与等级必查，有应交周报时查周报，停滞时查分析会，结束满期限后查总结与评价",
    denominator_en="checks due: archive and grade always, weekly reports when weeks are due, a meeting when "
                   "stalled, summary and evaluation once due after the close",
    columns=(C.PROJECT_ID, C.NAME, C.DIRECTOR, C.REGION, Column("status", "text", "状态", "Status"),
             Column("stage_reached", "text", "已达阶段", "Stage reached"),
             Column("docs_due", "count", "应有档案", "Documents due"),
             Column("docs_present", "count", "已有档案", "Documents present"),
             Column("docs_missing", "text", "缺少档案", "Documents missing"),
             Column("archive_ok", "bool", "档案齐全", "Archive complete"),
             Column("weeks_due", "count", "应交周报（周）", "Weeks due"),
             Column("weeks_reported", "count", "已交周报（周）", "Weeks reported"),
             Column("weekly_coverage", "rate", "周报覆盖率", "Weekly report coverage",
                    "已交周报的周数 ÷ 应交的周数", "weeks reported ÷ weeks due"),
             Column("weekly_ok", "bool", "周报合规", "Weekly reports OK"),
             Column("stalled", "bool", "停滞", "Stalled"),
             Column("meeting_ok", "bool", "分析会合规", "Meeting OK"),
             Column("summary_due", "bool", "应交总结报告", "Summary due"),
             Column("summary_ok", "bool", "总结报告合规", "Summary OK"),
             Column("evaluation_due", "bool", "应交评价报告", "Evaluation due"),
             Column("evaluation_ok", "bool", "评价报告合规", "Evaluation OK"),
             Column("grade_declared", "text", "申报等级", "Declared grade"),
             Column("grade_implied", "text", "金额对应等级", "Grade implied by amount"),
             Column("grade_ok", "bool", "等级合规", "Grade OK"),
             C.CHECKS_DUE, C.CHECKS_PASSED, C.COMPLIANCE_RATE,
             C.PROJECTS, Column("archive_rate", "rate", "档案齐全率", "Archive complete",
                                "档案齐全的项目 ÷ 项目", "projects with a complete archive ÷ projects"),
             Column("meeting_rate", "rate", "停滞后分析会", "Meeting after stall",
                    "开过分析会的停滞项目 ÷ 停滞项目", "stalled projects with a meeting ÷ stalled projects"),
             Column("summary_rate", "rate", "总结报告及时率", "Summary on time",
                    "按时交总结报告的项目 ÷ 应交的项目", "projects with the summary on time ÷ projects with it due"),
             Column("evaluation_rate", "rate", "评价报告及时率", "Evaluation on time",
                    "按时交评价报告的项目 ÷ 应交的项目", "projects with the evaluation on time ÷ projects with it due"),
             Column("grade_mismatches", "count", "等级不符", "Grade mismatches")),
    options=(Option("level", "project", "project：每个项目一行；director：按项目总监汇总",
                    "project: one row per project; director: rolled up per director", LEVELS),
             Option("weekly_threshold", None, "周报合规的覆盖率门槛（默认 [metrics] weekly_report_coverage，0.8）",
                    "weekly-report coverage the weekly check needs (default [metrics] weekly_report_coverage, 0.8)"),
             Option("stalled_projects", None, "已算好的停滞项目（内部复用）", "stalled projects already computed (reuse)")),
    headline=("compliance_rate",))


__all__ = ["compliance", "PROJECT_COLUMNS", "ROLLUP_COLUMNS"]
