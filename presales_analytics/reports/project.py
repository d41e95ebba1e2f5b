"""项目总结 one project's summary (``notebooks/project_summary.ipynb``): facts, stage timeline,
archive against what is due, meetings and weekly reports, amount and collection, and how it compares
with similar projects.

Everything is read as known at the report's as-of date (the metrics' ``prj`` / ``visits`` of
:func:`presales_analytics.metrics.base.scope`); the *state date* is the as-of date, else the latest
date in the data. With ``redact`` the project's name and customer are replaced by their pseudonyms
everywhere the report shows them, the chart's title included.

>>> project_of("project:P-0001")
'P-0001'
"""

from __future__ import annotations

import html
import json
import math
import re
from dataclasses import dataclass
from datetime import date

import pandas as pd

from ..errors import InputError
from ..metrics.base import data_date, scope as metric_scope, wilson
from ..metrics.compliance import compliance
from ..periods import Period
from ..presentation.format import fmt_amount, fmt_pct
from .context import ReportContext
from .director import key_label, provenance  # noqa: F401  (provenance: the same section in both reports)


@dataclass
class Summary:
    """What the project summary shows, computed once (see :func:`summary`)."""

    project_id: str
    facts: dict                  # the project's row of prj (as known at the as-of date)
    state_date: date | None
    visits: pd.DataFrame         # stage, entered_at, left_at, days, ongoing (working stages only)
    check: dict                  # its row of compliance(level="project", period "all")
    documents: pd.DataFrame      # doc_type, label, due_stage, on_file (date or NaT), present
    activities: pd.DataFrame     # kind, label, count, first, last
    collection_column: bool      # did any projects export provide 回款金额 (collected_amount)?
    similar: dict                # the comparison group's figures (see similar())


def project_of(scope: str) -> str:
    """The project id from a scope ``project:<id>`` (``项目:<id>`` too)."""
    m = re.match(r"^\s*(project|项目)\s*[:=：]\s*(.+?)\s*$", scope or "", flags=re.IGNORECASE)
    if not m:
        raise InputError(f"the project summary needs scope project:<project id> (e.g. --scope project:P-0001); "
                         f"got {scope!r}", value=scope)
    return m.group(2)


def name_of(ctx: ReportContext, s: Summary) -> str:
    """The project's name as the report shows it (its pseudonym when redacted)."""
    name = s.facts.get("name")
    if name is None or (isinstance(name, float) and math.isnan(name)):
        return s.project_id
    return ctx.pseudonym("project", name) if ctx.redact else str(name)


def customer_of(ctx: ReportContext, s: Summary) -> str:
    c = s.facts.get("customer")
    if c is None or (isinstance(c, float) and math.isnan(c)):
        return "—"
    return ctx.pseudonym("customer", c) if ctx.redact else str(c)


def _documents(ctx: ReportContext, facts: dict, visits: pd.DataFrame, on_file: pd.DataFrame) -> pd.DataFrame:
    """The documents due (compliance's rule: every ``[documents_due]`` document of every working stage
    up to the furthest reached — skipped ones included — plus those of the terminal stage it closed
    in), then the ones on file that are not due yet; ``on_file`` is the earliest date (NaT: undated)."""
    config = ctx.config
    working = config.working_stages
    due_table = config.raw.get("documents_due", {})
    reached = [working.index(x) for x in visits["stage"] if x in working] if len(visits) else []
    if not reached and facts.get("stage") in working:
        reached = [working.index(facts["stage"])]
    stages = working[:max(reached) + 1] if reached else []
    if facts.get("status") in config.terminal_stages:
        stages = stages + [facts["status"]]
    rows, seen = [], set()
    for stage in stages:
        for doc in due_table.get(stage, []):
            if doc not in seen:
                seen.add(doc)
                rows.append({"doc_type": doc, "due_stage": config.stage_label(stage, ctx.lang), "due": True})
    for doc in on_file["doc_type"]:
        if doc not in seen:
            seen.add(doc)
            rows.append({"doc_type": doc, "due_stage": ctx.t("未到期", "not due yet"), "due": False})
    df = pd.DataFrame(rows, columns=["doc_type", "due_stage", "due"])
    names = config.raw.get("documents", {})
    df["label"] = [names.get(d, {}).get(ctx.lang, d) for d in df["doc_type"]]
    have = dict(zip(on_file["doc_type"], on_file["first_date"]))
    df["present"] = [d in have for d in df["doc_type"]]
    df["on_file"] = [(str(have[d].date()) if pd.notna(have[d]) else ctx.t("已归档（无日期）", "on file (undated)"))
                     if d in have else ctx.t("缺失", "missing") for d in df["doc_type"]]
    return df


def summary(ctx: ReportContext, scope: str) -> Summary:
    """Everything the summary shows for the project of ``scope``, as known at ``ctx.as_of``."""
    pid = project_of(scope)
    con, config, d = ctx.con, ctx.config, ctx.as_of
    s = metric_scope(ctx.metrics)
    prj = s.query("SELECT * EXCLUDE (load_id) FROM prj WHERE project_id = $pid", {"pid": pid})
    if not len(prj):
        raise InputError(f"no project {pid!r} in the database" + (f" as of {d}" if d else ""), value=pid)
    facts = prj.iloc[0].to_dict()
    sd = date.fromisoformat(str(d)) if d else data_date(con)
    visits = s.query("""SELECT stage, entered_at, left_at FROM visits WHERE project_id = $pid
                             AND list_contains($working, stage) ORDER BY seq""",
                     {"pid": pid, "working": config.working_stages})
    closed = pd.Timestamp(facts["closed_at"]) if pd.notna(facts.get("closed_at")) else None
    ongoing = visits["left_at"].isna() & (facts["status"] == "open")
    end = visits["left_at"].fillna(closed if closed is not None else pd.Timestamp(sd))
    visits = visits.assign(left_at=end, ongoing=ongoing.astype(bool),
                           days=(pd.to_datetime(end) - pd.to_datetime(visits["entered_at"])).dt.days)
    rows = compliance(ctx.metrics, "all", level="project")
    check = rows[rows["project_id"] == pid]
    check = check.iloc[0].to_dict() if len(check) else {}
    on_file = con.execute("""SELECT doc_type, min(date) AS first_date FROM documents
                             WHERE project_id = $pid AND (date IS NULL OR date <= $sd)
                             GROUP BY doc_type ORDER BY doc_type""", {"pid": pid, "sd": sd}).df()
    acts = con.execute("""SELECT kind, CAST(count(*) AS BIGINT) AS count, min(date) AS first, max(date) AS last
                          FROM activities WHERE project_id = $pid AND (date IS NULL OR date <= $sd)
                          GROUP BY kind""", {"pid": pid, "sd": sd}).df()
    kinds = list(config.raw.get("activities", {}))
    acts["order"] = [kinds.index(k) if k in kinds else len(kinds) for k in acts["kind"]]
    acts = acts.sort_values(["order", "kind"]).drop(columns="order").reset_index(drop=True)
    acts["label"] = [config.raw.get("activities", {}).get(k, {}).get(ctx.lang, k) for k in acts["kind"]]
    for col in ("first", "last"):
        acts[col] = [str(v.date()) if pd.notna(v) else "—" for v in pd.to_datetime(acts[col])]
    provided = False
    for (options,) in con.execute("SELECT options FROM load_log WHERE table_name = 'projects'").fetchall():
        try:
            provided = provided or "collected_amount" in (json.loads(options or "{}").get("columns") or [])
        except ValueError:
            pass
    out = Summary(pid, facts, sd, visits, check, _documents(ctx, facts, visits, on_file), acts, provided, {})
    out.similar = similar(ctx, out)
    return out


def cycle_days(s: Summary) -> int | None:
    """Created to closed, in days (None while open or undated)."""
    f = s.facts
    if f["status"] == "open" or pd.isna(f.get("created_at")) or pd.isna(f.get("closed_at")):
        return None
    return int((pd.Timestamp(f["closed_at"]) - pd.Timestamp(f["created_at"])).days)


def heading(ctx: ReportContext, s: Summary):
    from IPython.display import HTML

    title = ctx.t(f"项目总结 · {s.project_id} {name_of(ctx, s)}", f"Project summary · {s.project_id} {name_of(ctx, s)}")
    return HTML(f"<h1>{html.escape(title)}</h1>")


def facts_table(ctx: ReportContext, s: Summary):
    """The header facts as a two-column table (escaped; name and customer pseudonymised if redacted); the
    initiation date is the export's 立项日期, else the day the project entered the initiated stage."""
    f = s.facts

    def day(v):
        return str(pd.Timestamp(v).date()) if pd.notna(v) else "—"

    cd = cycle_days(s)
    rows = [(ctx.t("项目编号", "Project"), s.project_id), (ctx.t("项目名称", "Name"), name_of(ctx, s)),
            (ctx.t("客户", "Customer"), customer_of(ctx, s)),
            (ctx.t("项目总监", "Director"), f.get("director") if pd.notna(f.get("director")) else "—"),
            (ctx.t("区域", "Region"), f.get("region") if pd.notna(f.get("region")) else "—"),
            (ctx.t("项目等级", "Grade"), key_label(ctx, "grade", f.get("grade"))),
            (ctx.t("金额", "Amount"), fmt_amount(float(f["amount"]) if pd.notna(f.get("amount")) else None, ctx.lang)),
            (ctx.t("状态", "Status"), key_label(ctx, "status", f.get("status"))),
            (ctx.t("创建日期", "Created"), day(f.get("created_at"))),
            (ctx.t("立项日期", "Initiated"), day(f.get("initiated_at")) if pd.notna(f.get("initiated_at")) else
             day(s.visits.loc[s.visits["stage"] == "initiated", "entered_at"].min())),
            (ctx.t("结束日期", "Closed"), day(f.get("closed_at"))),
            (ctx.t("周期（天）", "Cycle (days)"), str(cd) if cd is not None else ctx.t("未结束", "still open"))]
    df = pd.DataFrame(rows, columns=["item", "value"])
    return ctx.table(df, {"item": ("项目", "Item", "text"), "value": ("内容", "Value", "text")})


def timeline_figure(ctx: ReportContext, s: Summary):
    """The stage timeline (:func:`presales_analytics.charts.plot_stage_timeline`), titled with the
    project's (possibly pseudonymised) name."""
    from .. import charts

    title = ctx.t(f"阶段时间线 · {name_of(ctx, s)}", f"Stage timeline · {name_of(ctx, s)}")
    return charts.plot_stage_timeline(s.visits, lang=ctx.lang, config=ctx.config, title=title)


def documents_section(ctx: ReportContext, s: Summary):
    """Documents due for the stage reached against those on file, with the count."""
    due = s.documents[s.documents["due"]]
    present = int(due["present"].sum())
    missing = [str(x) for x in due.loc[~due["present"], "label"]]
    head = ctx.text(f"应归档 {len(due)} 份，已归档 {present} 份" + (f"；缺：{'、'.join(missing)}。" if missing else "。"),
                    f"{len(due)} document{'s' if len(due) != 1 else ''} due, {present} on file" + (f"; missing: {', '.join(missing)}." if missing
                                                                          else "."))
    return [head, ctx.table(s.documents, {"label": ("文档", "Document", "text"),
                                          "due_stage": ("应归档阶段", "Due at stage", "text"),
                                          "on_file": ("归档日期", "On file", "text")})]


def activities_section(ctx: ReportContext, s: Summary):
    """Activities per kind, then weekly-report coverage, the meeting after a stall and the close reports
    (the project's compliance checks, state date as above)."""
    c = s.check
    parts = []
    if c:
        if c["weeks_due"]:
            parts.append(ctx.t(f"周报覆盖 {fmt_pct(c['weekly_coverage'])}（{int(c['weeks_reported'])}/{int(c['weeks_due'])} 周）",
                               f"weekly reports {fmt_pct(c['weekly_coverage'])} ({int(c['weeks_reported'])}/"
                               f"{int(c['weeks_due'])} weeks)"))
        else:
            parts.append(ctx.t("未立项，不需周报", "never initiated: no weekly report due"))
        if c["stalled"]:
            parts.append(ctx.t("停滞后" + ("已" if c["meeting_ok"] else "未") + "召开项目分析会",
                               "analysis meeting since the stall: " + ("yes" if c["meeting_ok"] else "no")))
        for due, ok, zh, en in (("summary_due", "summary_ok", "总结报告", "summary report"),
                                ("evaluation_due", "evaluation_ok", "评价报告", "evaluation report")):
            if c[due]:
                parts.append(ctx.t(f"{zh}{'按时提交' if c[ok] else '未按时提交'}",
                                   f"{en} {'on time' if c[ok] else 'missing or late'}"))
    head = ctx.text("；".join(parts) + "。" if parts else "", "; ".join(parts) + "." if parts else "")
    if not len(s.activities):
        return [head, ctx.text("没有活动记录。", "No activity recorded.")]
    return [head, ctx.table(s.activities, {"label": ("活动", "Activity", "text"), "count": ("次数", "Count", "int"),
                                           "first": ("首次", "First", "text"), "last": ("最近", "Last", "text")})]


def collection_section(ctx: ReportContext, s: Summary):
    """Contract amount and collection (回款): collected ÷ amount when both are known; otherwise says
    plainly what is missing (no column in the exports, or nothing recorded for this project)."""
    f = s.facts
    amount = float(f["amount"]) if pd.notna(f.get("amount")) else None
    collected = float(f["collected_amount"]) if pd.notna(f.get("collected_amount")) else None
    if collected is not None:
        rate = collected / amount if amount else math.nan
        return ctx.text(f"金额 {fmt_amount(amount, 'zh')}，已回款 {fmt_amount(collected, 'zh')}，回款率 {fmt_pct(rate)}"
                        f"（已回款 ÷ 金额）。",
                        f"Amount {fmt_amount(amount, 'en')}, collected {fmt_amount(collected, 'en')}: "
                        f"{fmt_pct(rate)} collected (collected ÷ amount).")
    if not s.collection_column:
        return ctx.text(f"金额 {fmt_amount(amount, 'zh')}。载入的项目导出中没有回款金额列，本报告无法说明回款情况。",
                        f"Amount {fmt_amount(amount, 'en')}. The project exports loaded have no collection "
                        f"(回款金额) column, so this report cannot say what was collected.")
    return ctx.text(f"金额 {fmt_amount(amount, 'zh')}。该项目没有回款金额记录。",
                    f"Amount {fmt_amount(amount, 'en')}. No collection is recorded for this project.")


def similar(ctx: ReportContext, s: Summary) -> dict:
    """The comparison group: the *other* projects of the same grade (no grade: those without one)
    closed in the calendar year this project closed in, as known at the as-of date.

    Keys: ``year``; ``projects`` (closed, all outcomes); ``won``; ``closed`` — the win rate's
    denominator, won + lost + abandoned (won + lost with ``exclude_abandoned``); ``win_rate`` and
    its Wilson ``win_rate_low`` / ``win_rate_high``; ``median_cycle_days`` (created to closed);
    ``median_amount`` (yuan); ``longer`` / ``shorter`` (projects with more / fewer cycle days than
    this one); ``larger`` / ``smaller`` (amount). Empty while the project is open or undated."""
    f = s.facts
    if f["status"] == "open" or pd.isna(f.get("closed_at")):
        return {}
    year = pd.Timestamp(f["closed_at"]).year
    p = Period.parse(str(year))
    excl = bool(ctx.config.raw.get("metrics", {}).get("exclude_abandoned", False))
    counted = ["won", "lost"] if excl else ["won", "lost", "abandoned"]
    sc = metric_scope(ctx.metrics)
    cd = cycle_days(s)
    amount = float(f["amount"]) if pd.notna(f.get("amount")) else None
    row = sc.query("""
        SELECT CAST(count(*) AS BIGINT) AS projects,
               CAST(count(*) FILTER (status = 'won') AS BIGINT) AS won,
               CAST(count(*) FILTER (list_contains($counted, status)) AS BIGINT) AS closed,
               median(date_diff('day', created_at, closed_at)) AS median_cycle_days,
               median(CAST(amount AS DOUBLE)) AS median_amount,
               CAST(count(*) FILTER (date_diff('day', created_at, closed_at) > $cycle) AS BIGINT) AS longer,
               CAST(count(*) FILTER (date_diff('day', created_at, closed_at) < $cycle) AS BIGINT) AS shorter,
               CAST(count(*) FILTER (amount > $amount) AS BIGINT) AS larger,
               CAST(count(*) FILTER (amount < $amount) AS BIGINT) AS smaller
        FROM prj
        WHERE status <> 'open' AND closed_at >= $p_start AND closed_at < $p_end AND project_id <> $pid
          AND grade IS NOT DISTINCT FROM $grade""",
                   {"counted": counted, "cycle": cd, "amount": amount, "p_start": p.start, "p_end": p.end,
                    "pid": s.project_id, "grade": f.get("grade") if pd.notna(f.get("grade")) else None}
                   ).iloc[0].to_dict()
    low, high = wilson([row["won"]], [row["closed"]])
    row.update(year=year, win_rate=row["won"] / row["closed"] if row["closed"] else math.nan,
               win_rate_low=float(low[0]), win_rate_high=float(high[0]))
    return row


def similar_section(ctx: ReportContext, s: Summary):
    """Where the project sits among :func:`similar` projects, in words with the figures."""
    g = s.similar
    if not g:
        return ctx.text("项目尚未结束，暂不与同类项目比较。", "The project is still open: no comparison yet.")
    grade = key_label(ctx, "grade", s.facts.get("grade"))
    if not g["projects"]:
        return ctx.text(f"{g['year']}年没有其他已结束的{grade}项目可比较。",
                        f"No other {grade} project closed in {g['year']} to compare with.")
    cd = cycle_days(s)
    amount = float(s.facts["amount"]) if pd.notna(s.facts.get("amount")) else None
    n, won, closed = int(g["projects"]), int(g["won"]), int(g["closed"])
    med_cd = "—" if pd.isna(g["median_cycle_days"]) else f"{g['median_cycle_days']:.0f}"
    zh = (f"同类项目：{g['year']}年结束的其他{grade}项目 {n} 个。赢单率 {fmt_pct(g['win_rate'])}（{won}/{closed}），"
          f"95% 置信区间 {fmt_pct(g['win_rate_low'])}–{fmt_pct(g['win_rate_high'])}；中位周期 {med_cd} 天，"
          f"中位金额 {fmt_amount(g['median_amount'], 'zh')}。")
    en = (f"Similar projects: the {n} other {grade} projects closed in {g['year']}. Win rate "
          f"{fmt_pct(g['win_rate'])} ({won}/{closed}), 95% interval {fmt_pct(g['win_rate_low'])}–"
          f"{fmt_pct(g['win_rate_high'])}; median cycle {med_cd} days, median amount "
          f"{fmt_amount(g['median_amount'], 'en')}.")
    if cd is not None:
        zh += f"本项目周期 {cd} 天：{int(g['longer'])} 个同类项目更长，{int(g['shorter'])} 个更短。"
        en += f" This project took {cd} days: {int(g['longer'])} took longer, {int(g['shorter'])} shorter."
    if amount is not None:
        zh += f"金额 {fmt_amount(amount, 'zh')}：{int(g['larger'])} 个更大，{int(g['smaller'])} 个更小。"
        en += f" Amount {fmt_amount(amount, 'en')}: {int(g['larger'])} larger, {int(g['smaller'])} smaller."
    return ctx.text(zh, en)


__all__ = ["Summary", "project_of", "summary", "heading", "facts_table", "timeline_figure", "documents_section",
           "activities_section", "collection_section", "similar", "similar_section", "cycle_days", "name_of",
           "customer_of", "provenance"]
