"""The audit report's (审计考核报告) key figures and its executive summary in words.

``kpis(con, period)`` gathers the headline figures of one period from the metrics (so they agree with
``presales metrics`` to the digit); ``executive_summary(ctx)`` compares them with the previous period
and the same period last year, in sentences ("赢单率 30.8%（12/39），较上季度下降 4.2 个百分点") and a table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from ..errors import InputError, MissingColumnError
from ..metrics import compute
from ..metrics.base import small_sample
from ..metrics import columns as C
from ..presentation.labels import header, table_columns
from ..periods import Period
from ..presentation.format import agree, fixed, fmt_amount, fmt_date, fmt_pct, fmt_value
from .context import ReportContext


#: the report's sections in the order the notebook shows them: key -> (zh, en) heading. The table of
#: contents lists them; each section function prints its own heading (an anchor ``sec-<key>``).
SECTIONS = {
    "summary": ("关键指标", "Key figures"),
    "targets": ("目标达成", "Target attainment"),
    "win-rates": ("赢单率", "Win rates"),
    "stages": ("阶段停留与漏斗", "Stage durations and funnel"),
    "stalled": ("停滞项目与分析会", "Stalled projects and analysis meetings"),
    "scorecard": ("项目总监考核", "Director scorecards"),
    "members": ("关键成员考核", "Key members"),
    "channels": ("渠道贡献", "Channel contribution"),
    "win-loss": ("赢丢单分析", "Why we win and lose"),
    "forecast": ("预测", "Forecast"),
    "compliance": ("制度执行", "Policy compliance"),
    "data-quality": ("数据质量", "Data quality"),
    "definitions": ("指标定义", "Definitions in force"),
    "provenance": ("数据来源", "Provenance"),
}

#: what a section says under its heading, where it needs saying (zh, en)
INTROS = {
    "members": ("项目经理、项目监控人与规划经理（导出数据列出该角色时）各自负责项目的结果与制度执行；成员不排名，按姓名排列，"
                "本期结束项目少于小样本阈值的赢单率仅供参考。",
                "The results and policy compliance of the projects naming each project manager, project monitor and "
                "planning manager (where the exports name that role); members are not ranked but listed by name, "
                "and a win rate on fewer closed projects than the small-sample threshold says little."),
    "win-loss": ("投标与中标率、竞争对手、丢单原因与阶段、新老客户、回款与满意度。",
                 "Bids and the bid win rate, competitors, loss reasons and stages, new and returning customers, "
                 "collection and satisfaction."),
    "forecast": ("在途项目的校准赢单概率、下一期（或本期余下时间）的预计赢单数与金额及其区间、回测质量与以往预测的准确度。",
                 "Calibrated win probabilities of open projects, the expected wins and amount of the next period "
                 "(or the rest of this one) with their range, the backtest and how past forecasts did."),
    "compliance": ("按项目总监汇总的制度检查：项目档案、周报、停滞后的项目分析会、级别申报、总结报告与评价报告。",
                   "The policy's checks by director: archive, weekly reports, the analysis meeting after a stall, "
                   "the declared grade, the summary and the evaluation reports."),
}


def section(key: str):
    """Decorate a section function: it prints its heading (``<h2 id='sec-key'>``, in the report's language)
    and its introduction first."""
    import functools

    def wrap(fn):
        @functools.wraps(fn)
        def shown(ctx: ReportContext, *args, **kwargs):
            from .context import section_heading

            _show(section_heading(ctx, key, SECTIONS[key], INTROS.get(key)))
            return fn(ctx, *args, **kwargs)
        return shown
    return wrap


@dataclass(frozen=True)
class Kpis:
    """Headline figures of one period. Rates are fractions with their denominator beside them;
    amounts in yuan; NaN where a figure cannot be had (no target loaded, nothing closed)."""

    won: int                 # projects won, closed in the period
    closed: int              # denominator of win_rate: won + lost + abandoned, closed in the period
    win_rate: float
    won_amount: float        # yuan
    target_amount: float     # yuan, the company (or scope) target of the period; NaN without one
    attainment: float        # won_amount ÷ target_amount
    open_projects: int       # open at the period's state date
    open_amount: float       # yuan
    weighted_amount: float   # yuan, amount × stage probability
    stalled: int             # open projects over their stage's limit at the state date
    checks_due: int          # denominator of compliance_rate (policy checks due, projects active in the period)
    checks_passed: int
    compliance_rate: float
    median_days_to_win: float  # median days created -> won, projects won in the period
    median_cycle_days: float   # median days created -> closed, every project closed in the period (any outcome)


def kpis(con, period: Period, *, as_of=None) -> Kpis:
    """The headline figures of ``period`` (see :class:`Kpis`), from the ``headline`` metric."""
    row = compute(con, "headline", period, as_of=as_of).to_dict("records")[0]
    return Kpis(**{f.name: row[f.name] for f in fields(Kpis)})


_PREVIOUS = {"month": ("上月", "the previous month"), "quarter": ("上季度", "the previous quarter"),
             "half": ("上半年度", "the previous half"), "year": ("上年", "the previous year"),
             "week": ("上周", "the previous week")}


def _nan(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _points(now: float, before: float, lang: str, against: str) -> str:
    """'较上季度下降 4.2 个百分点' / 'down 4.2 points on the previous quarter' (rates; one decimal, as the
    spec's percentage points and the dashboard's tiles read)."""
    if _nan(now) or _nan(before):
        return f"{against}无可比数据" if lang == "zh" else f"no comparable figure for {against}"
    delta = (now - before) * 100
    if fixed(abs(delta), 1) == "0.0":
        return f"与{against}持平" if lang == "zh" else f"level with {against}"
    if lang == "zh":
        return f"较{against}{'上升' if delta > 0 else '下降'} {fixed(abs(delta), 1)} 个百分点"
    return f"{'up' if delta > 0 else 'down'} {fixed(abs(delta), 1)} points on {against}"


def _change(now: float, before: float, lang: str, against: str) -> str:
    """'较上季度增长 12.3%' / 'up 12.3% on the previous quarter' (amounts and counts; one decimal, as the
    dashboard's tiles read)."""
    if _nan(now) or _nan(before) or before == 0:
        return f"{against}无可比数据" if lang == "zh" else f"no comparable figure for {against}"
    ratio = now / before - 1
    if fixed(abs(ratio) * 100, 1) == "0.0":
        return f"与{against}持平" if lang == "zh" else f"level with {against}"
    if lang == "zh":
        return f"较{against}{'增长' if ratio > 0 else '下降'} {fixed(abs(ratio) * 100, 1)}%"
    return f"{'up' if ratio > 0 else 'down'} {fixed(abs(ratio) * 100, 1)}% on {against}"


def summary_sentences(now: Kpis, before: Kpis | None, last_year: Kpis | None, period: Period, lang: str = "zh",
                      *, data_day=None) -> list[str]:
    """The executive summary in words: each headline figure, against the previous period and the same
    period last year. ``all`` (``before`` and ``last_year`` None) is compared with nothing, and says so;
    a period in progress on ``data_day`` labels its comparisons as partial."""
    from ..periods import IN_PROGRESS, period_state
    from ..presentation.status import partial

    zh = lang == "zh"
    prev = partial(period, data_day, _PREVIOUS.get(period.grain, ("上期", "the previous period"))[0 if zh else 1], lang)
    ly = partial(period, data_day, "去年同期" if zh else "the same period last year", lang)
    sep = "，" if zh else ", "
    end = "。" if zh else "."

    def vs(how, field: str, *, year: bool = True) -> str:
        """The comparisons of ``field`` (``how``: _points or _change), each after a separator."""
        parts = [] if before is None else [how(getattr(now, field), getattr(before, field), lang, prev)]
        if year and last_year is not None:
            parts.append(how(getattr(now, field), getattr(last_year, field), lang, ly))
        return "".join(sep + x for x in parts)

    out = []
    if before is not None and period_state(period, data_day) == IN_PROGRESS:
        out.append(f"截至 {fmt_date(data_day, 'zh')}，本期未结束：与上期、去年同期的对比只是部分期间的对比。" if zh else
                   f"As of {fmt_date(data_day, 'en')} the period is not finished: its comparisons with the previous "
                   "period and the same period last year are partial.")
    if before is None:
        out.append("本期为全部数据，不与其他期间对比。" if zh else
                   "The period is all the data: it is not compared with another period.")
    rate = (f"赢单率 {fmt_pct(now.win_rate)}（{now.won}/{now.closed}）" if zh
            else f"Win rate {fmt_pct(now.win_rate)} ({now.won}/{now.closed})")
    out.append(rate + vs(_points, "win_rate") + end)
    amount = (f"赢单金额 {fmt_amount(now.won_amount)}" if zh else f"Won amount {fmt_amount(now.won_amount, 'en')}")
    out.append(amount + vs(_change, "won_amount") + end)
    if not _nan(now.attainment):
        out.append((f"目标达成率 {fmt_pct(now.attainment)}（目标 {fmt_amount(now.target_amount)}）" if zh
                    else f"Target attainment {fmt_pct(now.attainment)} (target {fmt_amount(now.target_amount, 'en')})")
                   + vs(_points, "attainment", year=False) + end)
    else:
        out.append("未载入本期业绩目标，无法计算目标达成率。" if zh else
                   "No target is loaded for the period: attainment cannot be computed.")
    out.append((f"期末在手商机 {now.open_projects} 个，金额 {fmt_amount(now.open_amount)}，"
                f"加权 {fmt_amount(now.weighted_amount)}" if zh else
                f"{now.open_projects} open projects at the period's end, {fmt_amount(now.open_amount, 'en')}, "
                f"weighted {fmt_amount(now.weighted_amount, 'en')}")
               + vs(_change, "open_amount", year=False) + end)
    out.append((f"停滞项目 {now.stalled} 个" if zh else f"{now.stalled} stalled projects")
               + ("" if before is None else
                  sep + (f"{prev} {before.stalled} 个" if zh else f"{before.stalled} at the end of {prev}")) + end)
    if now.checks_due:
        out.append((f"制度执行率 {fmt_pct(now.compliance_rate)}（{now.checks_passed}/{now.checks_due} 项检查通过）"
                    if zh else f"Policy compliance {fmt_pct(now.compliance_rate)} "
                    f"({now.checks_passed}/{now.checks_due} checks passed)")
                   + vs(_points, "compliance_rate", year=False) + end)
    return out


#: the headline table's rows: a Kpis field -> the spec column it shows (label, unit and format from it)
KPI_COLUMNS = {"win_rate": C.WIN_RATE, "closed": C.CLOSED, "won_amount": C.WON_AMOUNT, "attainment": C.ATTAINMENT,
               "open_amount": C.OPEN_AMOUNT, "weighted_amount": C.WEIGHTED_AMOUNT, "stalled": C.STALLED,
               "compliance_rate": C.COMPLIANCE_RATE, "median_days_to_win": C.MEDIAN_DAYS_TO_WIN,
               "median_cycle_days": C.MEDIAN_CYCLE_DAYS}


@section('summary')
def executive_summary(ctx: ReportContext):
    """The summary paragraph and a table of the headline figures: this period, the previous one and
    the same period last year (``all``: this period only; in progress: its column says so)."""
    import pandas as pd
    from IPython.display import HTML

    from ..periods import compared_with

    p = ctx.period
    before, last_year = compared_with(p)
    periods = {"now": p, **({"before": before, "last_year": last_year} if before is not None else {})}
    figures = {k: kpis(ctx.metrics, q, as_of=ctx.as_of) for k, q in periods.items()}
    sentences = summary_sentences(figures["now"], figures.get("before"), figures.get("last_year"), p, ctx.lang,
                                  data_day=ctx.data_day)
    rows = []
    for field, column in KPI_COLUMNS.items():
        rows.append({"field": field, "kpi": column.label(ctx.lang), "kind": column.kind,
                     **{k: getattr(f, field) for k, f in figures.items()}})
    table = pd.DataFrame(rows)
    html = "".join(str(ctx.text(s, s).data) for s in sentences)
    html += _kpi_table(ctx, table, periods)
    return HTML(html)


def _headline_text(value, kind: str, lang: str) -> str:
    """A headline figure as the dashboard's tile prints it: amounts in 万元, or 亿元 from 1亿 up; days with
    their unit; the rest as its kind prints (presentation.format.fmt_value)."""
    return fmt_amount(value, lang) if kind == "amount" else fmt_value(value, kind, lang, unit=True)


def _kpi_table(ctx: ReportContext, table, periods: dict[str, Period]) -> str:
    import html as h

    from ..presentation.format import fmt_cell

    from ..presentation.status import period_banner

    banner = period_banner(periods["now"], ctx.data_day, ctx.lang) if periods["now"].grain != "all" else None
    now = periods["now"].label(ctx.lang) + (ctx.t(f"（{banner}）", f" ({banner})") if banner else "")
    head = "".join(f"<th>{h.escape(x)}</th>" for x in (
        ctx.t("指标", "Figure"), now, *(periods[k].label(ctx.lang) for k in periods if k != "now")))
    body = "".join(f"<tr data-column='{h.escape(r['field'])}'><td>" + h.escape(r["kpi"]) + "</td>"
                   + "".join(f"<td class='num'>{h.escape(_headline_text(r[k], r['kind'], ctx.lang))}</td>"
                             for k in periods) + "</tr>"
                   for r in table.to_dict("records"))
    return f"<table class='presales'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"




# --- the report's sections, each displayed where the notebook calls it -----------------------------

def _show(*items) -> None:
    from IPython.display import display

    for item in items:
        if item is not None:
            display(item)


def subtitle(ctx: ReportContext) -> str:
    """The period and scope in words: "2026年7月1日至2026年9月30日 · 全公司 · 数据截至 2026年9月30日"."""
    from ..presentation.format import fmt_date

    p = ctx.period
    if p.grain == "all":
        span = ctx.t("全部数据", "All the data")
    else:
        span = ctx.t(f"{fmt_date(p.start, 'zh')}至{fmt_date(p.last_day, 'zh')}",
                     f"{fmt_date(p.start, 'en')} to {fmt_date(p.last_day, 'en')}")
    day = fmt_date(ctx.data_day, ctx.lang) if ctx.data_day else "—"
    return " · ".join([span, ctx.scope.label(ctx.lang), ctx.t(f"数据截至 {day}", f"data to {day}")])


def heading(ctx: ReportContext) -> None:
    """Links (index, the period's dashboard and workbook), the title (report, period, scope: also the page's
    ``<title>``), the period and scope in words, and the period's state when it is not simply complete.
    The parameters to render it again are in the provenance section."""
    from IPython.display import HTML
    import html as h

    from .context import links

    title = f"{ctx.t('审计考核报告', 'Audit report')} · {ctx.period.label(ctx.lang)} · {ctx.scope.label(ctx.lang)}"
    _show(HTML(links(ctx) + f"<h1>{h.escape(title)}</h1><p class='subtitle'>{h.escape(subtitle(ctx))}</p>"),
          ctx.banner())


#: the executive page's tiles: a Kpis field and how it compares (rate points, relative change, counts)
TILES = (("win_rate", "points"), ("won_amount", "change"), ("attainment", "points"),
         ("weighted_amount", "change"), ("stalled", "count"), ("compliance_rate", "points"))


def _tile_base(ctx: ReportContext, field: str, k: Kpis) -> str:
    """What a tile's figure is read against: its denominator, target or population."""
    if field == "win_rate":
        return ctx.t(f"{k.won}/{k.closed} 个已结束项目", f"{k.won} of {k.closed} closed")
    if field == "won_amount":
        return ctx.t(f"赢单 {k.won} 个，按结束日期计入本期", f"{k.won} won, by close date")
    if field == "attainment":
        return ctx.t(f"目标 {fmt_amount(k.target_amount)}", f"target {fmt_amount(k.target_amount, 'en')}") \
            if not _nan(k.target_amount) else ctx.t("未载入目标", "no target loaded")
    if field == "weighted_amount":
        return ctx.t(f"在手 {k.open_projects} 个，金额 {fmt_amount(k.open_amount)}",
                     f"{k.open_projects} open, {fmt_amount(k.open_amount, 'en')}")
    if field == "stalled":
        return ctx.t(f"期末在手 {k.open_projects} 个中", f"of {k.open_projects} open at the period's end")
    return ctx.t(f"{k.checks_passed}/{k.checks_due} 项检查通过", f"{k.checks_passed} of {k.checks_due} checks passed")


def kpi_tiles(ctx: ReportContext) -> str:
    """Six headline tiles (label, figure, base, change on the previous period and the same period last
    year), figures from the ``headline`` metric; a figure below its policy threshold is marked ``fails``."""
    import html as h

    from ..periods import compared_with
    from ..presentation.status import partial
    from .policy import fails as below_floor

    before_p, ly_p = compared_with(ctx.period)
    now = kpis(ctx.metrics, ctx.period, as_of=ctx.as_of)
    before = kpis(ctx.metrics, before_p, as_of=ctx.as_of) if before_p else None
    last_year = kpis(ctx.metrics, ly_p, as_of=ctx.as_of) if ly_p else None
    zh = ctx.lang == "zh"
    prev = partial(ctx.period, ctx.data_day,
                   _PREVIOUS.get(ctx.period.grain, ("上期", "the previous period"))[0 if zh else 1], ctx.lang)
    ly = partial(ctx.period, ctx.data_day, "去年同期" if zh else "the same period last year", ctx.lang)
    tiles = []
    for field, how in TILES:
        column = KPI_COLUMNS[field]
        value = getattr(now, field)
        changes = []
        for other, against in ((before, prev), (last_year, ly)):
            if other is None:
                continue
            if how == "points":
                changes.append(_points(value, getattr(other, field), ctx.lang, against))
            elif how == "change":
                changes.append(_change(value, getattr(other, field), ctx.lang, against))
            else:
                changes.append(ctx.t(f"{against} {getattr(other, field)} 个", f"{getattr(other, field)} at {against}"))
        fails = below_floor(field, value)
        tiles.append(f"<div class='kpi{' fails' if fails else ''}' data-column='{h.escape(field)}'>"
                     f"<div class='kpi-label'>{h.escape(column.label(ctx.lang))}</div>"
                     f"<div class='kpi-value'>{h.escape(_headline_text(value, column.kind, ctx.lang))}</div>"
                     f"<div class='kpi-base'>{h.escape(_tile_base(ctx, field, now))}</div>"
                     + "".join(f"<div class='kpi-change'>{h.escape(c)}</div>" for c in changes) + "</div>")
    return "<div class='kpis'>" + "".join(tiles) + "</div>"


def findings_list(ctx: ReportContext) -> str:
    """主要问题: the rule-based findings (reports/findings.py), largest first, each with who owns it."""
    import html as h

    from .findings import findings

    found = findings(ctx)
    head = f"<h2 id='sec-findings'>{h.escape(ctx.t('主要问题', 'Main findings'))}</h2>"
    if not found:
        return head + f"<p>{h.escape(ctx.t('本期未发现超出制度阈值的问题。', 'Nothing in the period fails a policy threshold.'))}</p>"
    owner = ctx.t("负责：", "Owner: ")
    items = "".join(f"<li data-rule='{h.escape(f.rule)}'>{h.escape(f.text(ctx.lang))}"
                    f"<span class='owner'>{h.escape(owner + f.owner(ctx.lang))}</span></li>" for f in found)
    return head + f"<ol class='findings'>{items}</ol>"


def executive_page(ctx: ReportContext) -> None:
    """The first screen: KPI tiles with their changes, the main findings, then the table of contents."""
    from IPython.display import HTML

    from .context import contents

    _show(HTML(kpi_tiles(ctx) + findings_list(ctx)
               + contents(ctx, {"findings": (ctx.t("主要问题", "Main findings"),) * 2, **SECTIONS})))


@section('win-rates')
def win_rates(ctx: ReportContext) -> None:
    """Win rate by director: chart with Wilson intervals, and the table with the denominator."""
    from .. import charts

    from ..presentation.order import order_rows

    # drawn and listed by the rate the bars show, ties by pinyin
    wr = order_rows(compute(ctx.metrics, "win-rate", ctx.period, by="director", as_of=ctx.as_of), "director", "win_rate")
    small = small_sample(ctx.metrics)
    _show(ctx.text(f"赢单率 = 赢单 ÷ 已结束（赢单 + 丢单 + 放弃），按结束日期计入本期；区间为 95% Wilson 区间；"
                   f"已结束少于 {small} 个的为小样本，浅色显示，不宜据此排名。",
                   f"Win rate = won ÷ closed (won + lost + abandoned), by close date in the period; intervals are "
                   f"95% Wilson intervals; fewer than {small} closed is a small sample, drawn pale, not to rank on."),
          charts.plot_win_rate(wr, "director", lang=ctx.lang),
          ctx.table(wr, {"director": ("项目总监", "Director", "text"),
                         **table_columns("win-rate", "won", "closed", "win_rate", "win_rate_low", "win_rate_high",
                                         "small_sample")}, metric="win-rate", order_by="win_rate"))


@section('stages')
def stages(ctx: ReportContext) -> None:
    """Stage durations (median and p75 of finished stays) and the funnel."""
    from .. import charts

    durations = compute(ctx.metrics, "stage-durations", ctx.period, as_of=ctx.as_of)
    _show(charts.plot_stage_durations(durations, lang=ctx.lang),
          charts.plot_funnel(compute(ctx.metrics, "funnel", ctx.period, as_of=ctx.as_of), lang=ctx.lang))


@section('scorecard')
def scorecard(ctx: ReportContext) -> None:
    """Director scorecards, ranked by the conservative score (lower bound)."""
    board = compute(ctx.metrics, "directors", ctx.period, as_of=ctx.as_of)
    _show(ctx.text("排名依据保守得分（以赢单率区间下限计），小样本不据此排名。",
                   "Ranked on the conservative score (win rate at its interval's lower bound); small samples "
                   "are not ranked on it."),
          ctx.metric_table(board, "directors", "rank", "director", "closed", "win_rate", "won_amount", "attainment",
                           "compliance_rate", "score", "score_low", "small_sample"))


@section('members')
def members(ctx: ReportContext) -> None:
    """关键成员考核: per role the exports name (项目经理, 项目监控人, 规划经理), the ``members`` scorecard of
    everyone in it, by name in pinyin order, small samples flagged, compliance below its floor marked; a
    note when no export names any of the roles."""
    from ..metrics.members import ROLE_LABELS, members_by_role

    boards = members_by_role(ctx.metrics, ctx.period, as_of=ctx.as_of)
    for role, board in boards.items():
        zh, en = ROLE_LABELS[role]
        small = int(board["small_sample"].sum()) if len(board) else 0
        _show(ctx.text(f"{zh}：{len(board)} 名" + (f"，其中 {small} 名本期结束项目少于小样本阈值。" if small else "。"),
                       f"{en}s: {len(board)}" + (f", {small} of them with fewer closed projects than the "
                                                  "small-sample threshold." if small else ".")),
              ctx.metric_table(board, "members", "member", "projects", "closed", "won", "win_rate", "win_rate_low",
                               "win_rate_high", "won_amount", "stalled", "compliance_rate", "small_sample",
                               order_by="name") if len(board) else None)
    if not boards:
        _show(ctx.text("导出数据未列出项目经理、项目监控人或规划经理（列：项目经理、监控人、规划经理），无法考核关键成员。",
                       "The exports name no project manager, project monitor or planning manager (columns 项目经理, "
                       "监控人, 规划经理): key members cannot be assessed."))


@section('stalled')
def stalled(ctx: ReportContext, limit: int = 30) -> None:
    """Stalled projects, and the analysis meetings (项目分析会) they need."""
    st = compute(ctx.metrics, "stalled", ctx.period, as_of=ctx.as_of)
    missing = int((~st["meeting_since_stall"].astype(bool)).sum()) if len(st) else 0
    _show(ctx.text(f"期末停滞项目 {len(st)} 个，其中 {missing} 个停滞后尚未召开项目分析会（制度要求召开）。"
                   + (f"下表列出超期最长的 {limit} 个。" if len(st) > limit else ""),
                   f"{len(st)} {agree(len(st), 'project', 'projects')} stalled at the period's end; {missing} "
                   f"{agree(missing, 'has', 'have')} had no analysis meeting since "
                   f"(the policy requires one)." + (f" The {limit} longest overdue are listed." if len(st) > limit else "")),
          ctx.metric_table(st, "stalled", "project_id", "name", "director", "days_over", "meeting_since_stall",
                           limit=limit))


@section('targets')
def target_attainment(ctx: ReportContext) -> None:
    """Attainment by region and by director (a note when no targets are loaded)."""
    from .context import metric_or_note

    for level, zh, en in (("region", "区域", "Region"), ("director", "项目总监", "Director")):
        t = metric_or_note(ctx, "targets", ctx.period, by=level, as_of=ctx.as_of)
        if t is None:
            return
        t = t.rename(columns={"scope": level})        # the holder, labelled as the breakdown it is
        _show(ctx.table(t, {level: (zh, en, "text"),
                            **table_columns("targets", "target_amount", "won_amount", "attainment",
                                            "projected_attainment")}, metric="targets", order_by="attainment"))


@section('channels')
def channel_contribution(ctx: ReportContext) -> None:
    from .context import metric_or_note

    ch = metric_or_note(ctx, "channels", ctx.period, as_of=ctx.as_of)
    if ch is not None:
        _show(ctx.metric_table(ch, "channels", "channel", "won", "closed", "win_rate", "won_share",
                               "vs_direct_same_grade", "vs_direct_projects", "vs_direct_comparable", "small_sample",
                               order_by="won_share"))


@section('win-loss')
def win_loss(ctx: ReportContext, top: int = 10) -> None:
    """赢丢单分析: bids and 中标率, competitors, loss reasons and stages, new and returning customers,
    collection and satisfaction (each from its metric; a column no export had is said so)."""
    from .context import metric_or_note

    p, d = ctx.period, ctx.as_of
    b = compute(ctx.metrics, "bids", p, as_of=d)
    r = b.iloc[0]
    rate = fmt_value(r["bid_win_rate"], "rate", ctx.lang)
    _show(ctx.text(f"本期进入投标 {r['bids']} 个，已决 {r['decided']} 个（赢单 {r['won']}、丢单 {r['lost']}），"
                   f"中标率 {rate}；另有 {r['open']} 个仍在进行、{r['abandoned']} 个放弃，不计入分母。",
                   f"{r['bids']} bids entered in the period, {r['decided']} decided ({r['won']} won, {r['lost']} "
                   f"lost): bid win rate {rate}; {r['open']} still open and {r['abandoned']} abandoned are not in "
                   "the denominator."))
    by_director = compute(ctx.metrics, "bids", p, as_of=d, by="director")
    _show(ctx.metric_table(by_director, "bids", "director", "bids", "won", "lost", "decided", "open",
                           "bid_win_rate", "bid_win_rate_low", "bid_win_rate_high", "small_sample",
                           order_by="bid_win_rate"))
    rivals = metric_or_note(ctx, "competitors", p, as_of=d)
    if rivals is not None:
        share = fmt_value(rivals.attrs.get("without_competitor_share"), "rate", ctx.lang)
        _show(ctx.text(f"本期结束的项目中 {share} 未记录竞争对手（数据质量）；一个项目列有多个对手时分别计入。",
                       f"{share} of the projects closed in the period record no competitor (data quality); a "
                       "project naming several counts for each."))
        rivals = rivals.assign(competitor=rivals["competitor"].fillna(ctx.t("（未记录）", "(none recorded)")))
        _show(ctx.metric_table(rivals, "competitors", "competitor", "met", "won", "lost", "decided", "win_rate",
                               "win_rate_low", "win_rate_high", "won_amount", "lost_amount", "share_of_projects",
                               "small_sample", limit=top + 1))
        trend = compute(ctx.metrics, "competitor-trend", p, as_of=d)
        if len(trend):
            from .. import charts

            span = trend.attrs["options"]
            _show(ctx.text(f"{span['first_quarter']} 至 {span['last_quarter']} 各季度对主要竞争对手的赢单率（空心点为小样本：该季度"
                           f"已决少于 {small_sample(ctx.metrics)} 个）：",
                           f"Win rate against the main rivals, quarter by quarter from {span['first_quarter']} to "
                           f"{span['last_quarter']} (hollow markers: small samples):"),
                  charts.plot_competitor_trend(ctx.redacted(trend), lang=ctx.lang))
    reasons = metric_or_note(ctx, "losses", p, as_of=d)
    if reasons is not None:
        reasons = reasons.assign(reason=reasons["reason"].fillna(ctx.t("（未填写）", "(none given)")))
        _show(ctx.metric_table(reasons, "losses", "reason", "projects", "lost", "abandoned", "amount_lost", "share",
                               limit=top))
    stages = compute(ctx.metrics, "losses", p, as_of=d, group="stage")
    stages = stages.assign(stage_label=[ctx.config.stage_label(k, ctx.lang) if isinstance(k, str)
                                        else ctx.t("（无阶段记录）", "(no stage recorded)") for k in stages["stage"]])
    _show(ctx.metric_table(stages, "losses", "stage", "projects", "lost", "abandoned", "amount_lost", "share",
                           shown={"stage": "stage_label"}))
    segments = metric_or_note(ctx, "customers", p, as_of=d)
    if segments is not None:
        names = {"new": ("新客户", "New"), "returning": ("老客户", "Returning"), "all": ("全部", "All")}
        segments = segments.assign(segment_label=[ctx.t(*names[k]) for k in segments["segment"]])
        _show(ctx.metric_table(segments, "customers", "segment", "closed", "won", "win_rate", "won_amount",
                               "customers", "customers_won", "prior_customers", "repeat_rate", "top10_share", "hhi",
                               shown={"segment": "segment_label"}))
    money = compute(ctx.metrics, "collection", p, as_of=d)
    missing = money.attrs.get("missing", [])
    if missing:
        zh = {"collected_amount": "回款金额", "satisfaction": "客户满意度"}
        _show(ctx.text("导出数据没有以下列，相应指标为空：" + "、".join(zh[m] for m in missing) + "。",
                       "The exports have no column for: " + ", ".join(missing) + "; those figures are empty."))
    _show(ctx.metric_table(money, "collection", "won", "won_amount", "collected_amount", "collection_rate",
                           "uncollected", "overdue", "overdue_amount", "rated", "satisfaction_mean",
                           "satisfaction_sd"))


@section('forecast')
def forecast(ctx: ReportContext) -> None:
    """预测: expected bookings with their range, the backtest's quality, past forecasts (reports/forecasting.py)."""
    from .forecasting import section

    section(ctx)


@section('compliance')
def compliance(ctx: ReportContext) -> None:
    comp = compute(ctx.metrics, "compliance", ctx.period, as_of=ctx.as_of, level="director")
    _show(ctx.metric_table(comp, "compliance", "director", "projects", "archive_rate", "weekly_coverage",
                           "meeting_rate", "summary_rate", "evaluation_rate", "grade_mismatches", "checks_due",
                           "compliance_rate", order_by="compliance_rate", ascending=True))


@section('data-quality')
def data_quality(ctx: ReportContext) -> None:
    """What the loads read, rejected and warned about, and the findings by rule."""
    loads = ctx.con.execute("""SELECT file_name, rows_read, rows_loaded, rows_flagged, rows_collapsed, rows_rejected,
                                      warnings FROM load_log ORDER BY load_id""").df()
    # a redacted report shows no cell values from the exports here: a quoted value in a message is
    # replaced by '…' (the value quoted could be a name)
    quoted = "regexp_replace({}, $quote_re, $quote_by, 'g')" if ctx.redact else "{}"
    params = {"quote_re": "'[^']*'", "quote_by": "'…'"} if ctx.redact else {}
    rules = ctx.con.execute(f"""SELECT rule, count(*) AS rows, {quoted.format('any_value(message)')} AS example
                                FROM data_quality GROUP BY rule ORDER BY rows DESC""", params).df()
    rejects = ctx.con.execute(f"""SELECT regexp_replace(file, '^.*/', '') AS file, "row", "column",
                                         {quoted.format('reason')} AS reason
                                  FROM rejects ORDER BY load_id, "row" LIMIT 50""", params).df()
    _show(ctx.table(loads, {"file_name": ("文件", "File", "text"), "rows_read": ("读取行数", "Rows read", "int"),
                            "rows_loaded": ("载入行数", "Loaded", "int"),
                            "rows_flagged": ("载入并标记", "Loaded, flagged", "int"),
                            "rows_collapsed": ("重复合并", "Identical, collapsed", "int"),
                            "rows_rejected": ("拒绝行数", "Rejected", "int"),
                            "warnings": ("数据质量提示", "Warnings", "int")}))
    from ..presentation.reasons import reason_text, rule_text

    rules = rules.assign(rule=[rule_text(r, ctx.lang) for r in rules["rule"]],
                         example=[reason_text(m, ctx.lang) for m in rules["example"]])
    rejects = rejects.assign(reason=[reason_text(m, ctx.lang) for m in rejects["reason"]])
    if len(rules):
        _show(ctx.table(rules, {"rule": ("规则", "Rule", "text"), "rows": ("行数", "Rows", "int"),
                                "example": ("示例", "Example", "text")}))
    if len(rejects):
        _show(ctx.text("被拒绝的行（未载入）：", "Rejected rows (not loaded):"),
              ctx.table(rejects, {"file": ("文件", "File", "text"), "row": ("行", "Row", "text"),
                                  "column": ("列", "Column", "text"), "reason": ("原因", "Reason", "text")}))


DEFINED = ("win-rate", "stage-durations", "cycle-time", "funnel", "stalled", "directors", "channels", "targets",
           "pipeline", "compliance")


@section('definitions')
def definitions(ctx: ReportContext) -> None:
    """Every metric's definition, denominator and the options in force this period (a table in the report's
    language, from the metric specs and the metrics' results)."""
    from .context import definitions_table

    _show(ctx.text("完整定义见 docs/metrics.md。", "Full definitions: docs/metrics.md."),
          definitions_table(ctx, DEFINED))


@section('provenance')
def provenance(ctx: ReportContext) -> None:
    """The loads behind the numbers (file, sha256), the latest data date, the toolkit version, render time."""
    _show(ctx.provenance_section())


__all__ = ["Kpis", "kpis", "summary_sentences", "executive_summary", "heading", "win_rates", "stages", "scorecard",
           "stalled", "target_attainment", "channel_contribution", "compliance", "data_quality", "definitions",
           "provenance"]
