"""项目总监评价报告 one director's review for a period (``notebooks/director_review.ipynb``), and the machinery
the member review shares (项目成员评价报告, :mod:`.member`): a :class:`Review` is for one person in one
accountable *role* (:data:`ROLES`: director, manager, monitor, planner), whose projects are those naming
them in the role's column; only the scorecard differs (``directors``, or ``members`` for the role), and
what only a director has (rank, score, target) is shown for directors alone.

The report context is opened for the whole company (``setup(..., "company", ...)``) so the director
can be set against their peers; the director's own figures are *their rows* of the company-wide
metrics — the ``directors`` scorecard, ``compliance`` per project, ``stalled`` — so they are, by
construction, the numbers the audit report shows for them (a project counts for the director its
version at the as-of date names).

:func:`review` computes everything once; the other public functions turn a :class:`Review` into
escaped HTML (``ctx.table`` / ``ctx.text``) or a figure. Nothing here formats a value into SQL.

>>> director_of("director:张伟")
'张伟'
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

import pandas as pd

from ..errors import InputError
from ..metrics import compute
from ..presentation.labels import metric_column, table_columns
from ..presentation.order import order_rows
from ..metrics.base import scope as metric_scope
from ..metrics.members import ROLE_LABELS
from ..scoping import ReportScope
from ..sql import ident
from ..presentation.format import agree, fmt_amount, fmt_pct, fmt_value
from .context import ReportContext
from .policy import COMPLIANCE_FLOOR


@dataclass
class Review:
    """What the director review shows, computed once (see :func:`review`)."""

    name: str
    row: dict                    # their row of the scorecard (``directors``, or ``members`` for the role)
    board: pd.DataFrame          # the whole scorecard (peers: the others in the same role)
    projects: pd.DataFrame       # their projects active in the period
    compliance: pd.DataFrame     # their rows of compliance(level="project")
    stalled: pd.DataFrame        # their rows of stalled
    small_sample: int            # [metrics] small_sample
    exclude_abandoned: bool = False
    peers: dict = field(default_factory=dict)   # medians over the others in the role (PEER_FIGURES)
    role: str = "director"       # a key of ROLES


#: role -> (its scorecard metric, the scorecard's name column, (zh, en) title, (zh, en) short name in running
#: text, (zh, en) plural): the director's, and the members' of :mod:`..metrics.members`
ROLES: dict[str, tuple] = {
    "director": ("directors", "director", ("项目总监", "Director"), ("总监", "director"), ("总监", "directors")),
    "manager": ("members", "member", ROLE_LABELS["manager"], ("项目经理", "project manager"),
                ("项目经理", "project managers")),
    "monitor": ("members", "member", ROLE_LABELS["monitor"], ("项目监控人", "project monitor"),
                ("项目监控人", "project monitors")),
    "planner": ("members", "member", ROLE_LABELS["planner"], ("规划经理", "planning manager"),
                ("规划经理", "planning managers")),
}
MEMBER_ROLES = ("manager", "monitor", "planner")
#: the scorecard columns 同事比较 sets against the median of the others in the role, per scorecard metric:
#: a director's score (what they are ranked by) and win rate; a member, who is not ranked, by win rate,
#: won amount and compliance. Labels and formats are the spec's.
PEER_FIGURES = {"directors": ("score", "score_low", "win_rate"), "members": ("win_rate", "won_amount", "compliance_rate")}


def reviewed(scope: str, roles=tuple(ROLES), report: str = "review") -> ReportScope:
    """The scope ``<role>:<name>`` of a review, its kind one of ``roles``; any other scope is an
    :class:`InputError` saying what to write (the ``report``'s name in it)."""
    parsed = ReportScope.parse(scope) if (scope or "").strip() else None
    if parsed is None or parsed.kind not in roles:
        kinds = ", ".join(f"{k}:<name>" for k in roles)
        example = {"director": "director:张伟"}.get(roles[0], f"{roles[0]}:陈静")
        raise InputError(f"the {report} needs scope {kinds} (e.g. --scope {example}); got {scope!r}", value=scope)
    return parsed


def director_of(scope: str) -> str:
    """The director's name from a scope ``director:<name>`` (``总监:张伟`` too); any other scope is an
    :class:`InputError` saying what to write."""
    return reviewed(scope, ("director",), "director review").value


def key_label(ctx: ReportContext, table: str, key) -> str:
    """The zh/en label of a grade key (``[[grades]]``) or a status (open, or a terminal stage)."""
    if key is None or (isinstance(key, float) and math.isnan(key)):
        return "—"
    if table == "grade":
        for g in ctx.config.raw.get("grades", []):
            if g["key"] == key:
                return g.get(ctx.lang, key)
        return str(key)
    if table == "status" and key == "open":
        return ctx.t("进行中", "Open")
    return ctx.config.stage_label(str(key), ctx.lang)


def project_label(ctx: ReportContext, name) -> str:
    """A project's name for running text: its pseudonym when the report is redacted."""
    if name is None or (isinstance(name, float) and math.isnan(name)):
        return "—"
    return ctx.pseudonym("project", name) if ctx.redact else str(name)


def _median(values: pd.Series) -> float:
    values = pd.to_numeric(values, errors="coerce").dropna()
    return float(values.median()) if len(values) else math.nan


def review(ctx: ReportContext, scope: str) -> Review:
    """Everything the review shows for the person of ``scope`` (``director:<name>``, ``manager:<name>``,
    ``monitor:<name>`` or ``planner:<name>``) in ``ctx.period`` at ``ctx.as_of``.

    ``projects``: their projects (naming them in the role's column) active in the period (created on or before its last day, or
    undated, and not closed before its first day — the scorecard's ``projects``), as known at the
    as-of date: ``project_id``, ``name``, ``customer``, ``grade``, ``stage``, ``status`` (labels in the
    report's language), ``amount`` (yuan), ``created_at``, ``closed_at``; sorted by project_id.
    ``board``: the scorecard, a director's in rank order, members' by name (pinyin: they are not ranked).
    ``peers``: medians over the *others in the role* on the scorecard — ``win_rate`` (those with at
    least one closed project: ``with_closed`` of them), ``score``, ``score_low`` (directors only, else NaN),
    ``won_amount``, ``compliance_rate`` — and ``n`` (how many others). ``compliance`` and ``stalled``: the
    company-wide rows of the projects naming them."""
    parsed = reviewed(scope)
    role, name = parsed.kind, parsed.value
    metric, key = ROLES[role][:2]
    p, d, config = ctx.period, ctx.as_of, ctx.config
    board = compute(ctx.metrics, metric, p, as_of=d, config=config, **({} if role == "director" else {"role": role}))
    if name not in set(board[key]):
        known = ", ".join(sorted(board[key].astype(str))[:30]) or "none"
        raise InputError(f"no project has {role} {name!r}; known: {known}", value=name)
    row = board[board[key] == name].iloc[0].to_dict()
    if role != "director":             # members are not ranked: by name, as a Chinese reader looks one up
        board = order_rows(board, key).reset_index(drop=True)
    st = compute(ctx.metrics, "stalled", p, as_of=d, config=config)
    comp = compute(ctx.metrics, "compliance", p, as_of=d, config=config, level="project", stalled_projects=st)

    s = metric_scope(ctx.metrics)
    column = ident(role)                 # a key of ROLES: a column of projects, never text from the user
    theirs = set(s.query(f"SELECT project_id FROM prj WHERE {column} = $name", {"name": name})["project_id"])
    projects = s.query(f"""
        SELECT project_id, name, customer, grade, stage, status, CAST(amount AS DOUBLE) AS amount,
               created_at, closed_at
        FROM prj
        WHERE {column} = $name
          AND ($p_end IS NULL OR created_at IS NULL OR created_at < $p_end)
          AND ($p_start IS NULL OR closed_at IS NULL OR closed_at >= $p_start)
        ORDER BY project_id""", {"name": name, "p_start": p.start, "p_end": p.end})
    projects["grade"] = [key_label(ctx, "grade", g) for g in projects["grade"]]
    projects["stage"] = [ctx.config.stage_label(x, ctx.lang) if isinstance(x, str) else "—" for x in projects["stage"]]
    projects["status"] = [key_label(ctx, "status", x) for x in projects["status"]]

    others = board[board[key] != name]
    metrics_cfg = config.raw.get("metrics", {})
    r = Review(name=name, row=row, board=board, projects=projects,
               compliance=comp[comp["project_id"].isin(theirs)].reset_index(drop=True),
               stalled=st[st["project_id"].isin(theirs)].reset_index(drop=True),
               small_sample=int(metrics_cfg.get("small_sample", 10)),
               exclude_abandoned=bool(metrics_cfg.get("exclude_abandoned", False)), role=role)
    nan = pd.Series(dtype=float)
    closed = others[others["closed"] > 0]
    r.peers = {"n": len(others), "with_closed": len(closed), "win_rate": _median(closed["win_rate"]),
               **{k: _median(others.get(k, nan)) for k in ("score", "score_low", "won_amount", "compliance_rate")}}
    return r


#: the review's sections in the order the notebook shows them (conclusion first, the project list last):
#: key -> (zh, en) heading; :func:`section` prints one, :func:`heading` lists them
SECTIONS = {
    "findings": ("问题与建议", "Findings a reviewer should raise"),
    "outcomes": ("结果", "Outcomes"),
    "peers": ("同事比较", "Against peers"),
    "win-loss": ("赢丢单", "Wins and losses"),
    "compliance": ("制度执行缺项", "Compliance gaps"),
    "stalled": ("停滞项目", "Stalled projects"),
    "projects": ("负责的项目", "Projects in the period"),
    "definitions": ("指标定义", "Definitions in force"),
    "provenance": ("数据来源", "Provenance"),
}
INTROS = {"peers": ("排名按保守得分（赢单率取 Wilson 区间下限）。图表中本人以橙色标出，表格中本人一行加粗。",
                    "Ranked by the conservative score (win rate at its Wilson lower bound). The director under "
                    "review is the orange bar and the bold row.")}


def section(ctx: ReportContext, key: str):
    """A section's heading (anchor ``sec-<key>``) in the report's language, with its introduction."""
    from .context import section_heading

    return section_heading(ctx, key, SECTIONS[key], INTROS.get(key))


def heading(ctx: ReportContext, r: Review, sections: dict[str, tuple[str, str]] | None = None):
    """Links back (index, the period's dashboard), the title (the person's name, escaped, and the period:
    also the page's ``<title>``; a member's names the role), the period in words, its state when not
    complete, and the contents of ``sections`` (default: the director review's :data:`SECTIONS`)."""
    from IPython.display import HTML

    from ..presentation.names import OUTPUT_TITLES
    from .audit import subtitle
    from .context import contents, links

    (role_zh, role_en), role_word = ROLES[r.role][2], ROLES[r.role][3][1]
    if r.role == "director":           # the title names the role already
        (title_zh, title_en), who_zh, who_en = OUTPUT_TITLES["director-review"], r.name, r.name
    else:
        (title_zh, title_en), who_zh, who_en = OUTPUT_TITLES["member-review"], f"{role_zh} {r.name}", f"{role_en} {r.name}"
    title = ctx.t(f"{title_zh} · {who_zh} · {ctx.period.label('zh')}",
                  f"{title_en} · {who_en} · {ctx.period.label('en')}")
    banner = ctx.banner()
    words = subtitle(ctx).replace(ctx.scope.label(ctx.lang), ctx.t(f"{role_zh} {r.name}", f"{role_word} {r.name}"), 1)
    return HTML(links(ctx) + f"<h1>{html.escape(title)}</h1><p class='subtitle'>{html.escape(words)}</p>"
                + (banner.data if banner is not None else "") + contents(ctx, sections or SECTIONS))


def projects_table(ctx: ReportContext, r: Review):
    """Their projects in the period (names and customers pseudonymised when redacted)."""
    if not len(r.projects):
        zh, en = ROLES[r.role][3]
        return ctx.text(f"本期没有该{zh}负责的项目。", f"No project of this {en} is active in the period.")
    return ctx.table(r.projects, {"project_id": ("项目编号", "Project", "text"), "name": ("项目名称", "Name", "text"),
                                  "customer": ("客户", "Customer", "text"), "grade": ("项目等级", "Grade", "text"),
                                  "stage": ("阶段", "Stage", "text"), "status": ("状态", "Status", "text"),
                                  "amount": ("金额", "Amount", "amount")})


def _rate(rate, won, closed, lang: str = "zh") -> str:
    """``50%（1/2）`` (en: ``50% (1/2)``): a rate with its numerator and denominator."""
    text = f"{fmt_pct(rate) if closed else '—'}（{int(won)}/{int(closed)}）"
    return text if lang == "zh" else text.replace("（", " (").replace("）", ")")


def outcomes(ctx: ReportContext, r: Review):
    """Won / lost / abandoned / open counts, the win rate with its Wilson interval and denominator,
    and the won amount (yuan, shown in 万元)."""
    x = r.row
    won, closed = int(x["won"]), int(x["closed"])
    zh_rate, en_rate = _rate(x["win_rate"], won, closed), _rate(x["win_rate"], won, closed, "en")
    interval_zh = f"，95% 置信区间 {fmt_pct(x['win_rate_low'])}–{fmt_pct(x['win_rate_high'])}" if closed else ""
    interval_en = f", 95% interval {fmt_pct(x['win_rate_low'])}–{fmt_pct(x['win_rate_high'])}" if closed else ""
    denominator = ctx.t("赢单 + 丢单" + ("" if r.exclude_abandoned else " + 放弃"),
                        "won + lost" + ("" if r.exclude_abandoned else " + abandoned"))
    return ctx.text(
        f"本期结束 {closed} 个项目：赢单 {won}、丢单 {int(x['lost'])}、放弃 {int(x['abandoned'])}；"
        f"期末进行中 {int(x['open'])} 个。赢单率 {zh_rate}{interval_zh}（分母：本期结束的项目，{denominator}）；"
        f"赢单金额 {fmt_amount(x['won_amount'], 'zh')}。",
        f"Closed in the period: {closed} (won {won}, lost {int(x['lost'])}, abandoned {int(x['abandoned'])}); "
        f"open at the period's end: {int(x['open'])}. Win rate {en_rate}{interval_en} (denominator: projects "
        f"closed in the period, {denominator}); won amount {fmt_amount(x['won_amount'], 'en')}.")


def attainment(ctx: ReportContext, r: Review, targets: pd.DataFrame | None):
    """Target attainment from ``targets`` (``metric_or_note_quiet(ctx, "targets", by="director")``; None when
    no targets are loaded, which this says): won amount ÷ the director's target."""
    if targets is None:
        return ctx.text("未载入业绩目标，无法计算目标达成率。", "No targets are loaded: attainment cannot be computed.")
    mine = targets[targets["scope"] == r.name]
    if not len(mine) or pd.isna(mine.iloc[0]["target_amount"]):
        return ctx.text("该总监本期没有业绩目标。", "This director has no target for the period.")
    t = mine.iloc[0]
    return ctx.text(f"业绩目标 {fmt_amount(t['target_amount'], 'zh')}，赢单 {fmt_amount(t['won_amount'], 'zh')}，"
                    f"目标达成 {fmt_pct(t['attainment'])}（赢单金额 ÷ 目标）。",
                    f"Target {fmt_amount(t['target_amount'], 'en')}, won {fmt_amount(t['won_amount'], 'en')}: "
                    f"attainment {fmt_pct(t['attainment'])} (won amount ÷ target).")


def _figures(ctx: ReportContext, r: Review, values: dict, *, own: bool) -> str:
    """"赢单率 50.0%, 赢单金额 150.0万元 …": the role's :data:`PEER_FIGURES` with the spec's labels and
    formats; ``own``: the person's win rate with won/closed, else the peers' with how many it rests on when
    some others closed nothing."""
    metric = ROLES[r.role][0]
    parts = []
    for key in PEER_FIGURES[metric]:
        column = metric_column(metric, key)
        label = column.label(ctx.lang)
        label = label if ctx.lang == "zh" else label[0].lower() + label[1:]
        value = fmt_value(values[key], column.kind, ctx.lang)
        if key == "win_rate" and own:
            value = _rate(values[key], values["won"], values["closed"], ctx.lang)
        elif key == "win_rate" and values["with_closed"] < values["n"]:
            value += ctx.t(f"（仅计有已结束项目的 {values['with_closed']} 名）",
                           f" (only the {values['with_closed']} with closed projects)")
        parts.append(f"{label} {value}")
    return ctx.t("，", ", ").join(parts)


def standing(ctx: ReportContext, r: Review):
    """同事比较: the person's :data:`PEER_FIGURES` against the median of the others in the role (a
    director's rank first; members are not ranked), and the small-sample flag (closed projects below
    ``[metrics] small_sample``: the win rate is uncertain, and not compared with peers)."""
    from IPython.display import HTML

    x, peers = r.row, r.peers
    others_zh, others_en = ROLES[r.role][4]
    small = int(x["closed"]) < r.small_sample
    text = ctx.t(f"本人：{_figures(ctx, r, x, own=True)}；", f"their figures: {_figures(ctx, r, x, own=True)}; ")
    if r.role == "director":
        text = ctx.t(f"排名 {int(x['rank'])}/{len(r.board)}（按保守得分排序）；",
                     f"Rank {int(x['rank'])} of {len(r.board)} (by the conservative score); ") + text
    if peers["n"]:
        text += ctx.t(f"其他 {peers['n']} 名{others_zh}的中位数：{_figures(ctx, r, peers, own=False)}。",
                      f"median of the other {peers['n']} {others_en}: {_figures(ctx, r, peers, own=False)}.")
    else:
        text += ctx.t(f"没有其他{others_zh}可比较。", f"there are no other {others_en} to compare with.")
    out = f"<p>{html.escape(text[0].upper() + text[1:])}</p>"
    if small:
        closed = int(x["closed"])
        flag = (ctx.t(f"小样本：本期结束 {closed} 个项目，少于 {r.small_sample} 个，赢单率和得分的不确定性大。",
                      f"Small sample: {closed} closed project{'' if closed == 1 else 's'}, fewer than {r.small_sample}; the win rate "
                      f"and the score are uncertain.") if r.role == "director" else
                ctx.t(f"小样本：本期结束 {closed} 个项目，少于 {r.small_sample} 个，赢单率的不确定性大，不宜与同事比较。",
                      f"Small sample: {closed} closed project{'' if closed == 1 else 's'}, fewer than {r.small_sample}; the win rate is "
                      f"uncertain and is not compared with peers."))
        out += f"<p class='small-sample'><strong>{html.escape(flag)}</strong></p>"
    return HTML(out)


def peer_chart(ctx: ReportContext, r: Review):
    """Everyone in the role by win rate with its interval, small samples pale, the reviewed person in
    orange (:func:`~presales_analytics.charts.plot_win_rate`), in :func:`peer_table`'s order."""
    from .. import charts

    key = ROLES[r.role][1]
    return charts.plot_win_rate(r.board, key, lang=ctx.lang, highlight=str(r.row[key]))


def peer_table(ctx: ReportContext, r: Review):
    """The scorecard rows of everyone in the role (the reviewed one among them), for the comparison: the
    directors in rank order, the members by name (pinyin); small samples flagged; the reviewed person's
    row marked (``subject``)."""
    if r.role == "director":
        return ctx.metric_table(r.board, "directors", "rank", "director", "closed", "win_rate", "attainment",
                                "compliance_rate", "score", "score_low", "small_sample",
                                highlight=("director", r.row["director"]))
    return ctx.metric_table(r.board, "members", "member", "projects", "closed", "won", "win_rate", "win_rate_low",
                            "win_rate_high", "won_amount", "stalled", "compliance_rate", "small_sample",
                            highlight=("member", r.row["member"]))


def _gaps(ctx: ReportContext, c: dict) -> list[str]:
    """What a compliance row fails, in words with the figures."""
    out = []
    if not c["archive_ok"]:
        out.append(ctx.t(f"档案缺 {int(c['docs_due'] - c['docs_present'])}/{int(c['docs_due'])} 份：{c['docs_missing']}",
                         f"archive missing {int(c['docs_due'] - c['docs_present'])} of {int(c['docs_due'])}: "
                         f"{c['docs_missing']}"))
    if not c["weekly_ok"]:
        out.append(ctx.t(f"周报 {int(c['weeks_reported'])}/{int(c['weeks_due'])} 周",
                         f"weekly reports in {int(c['weeks_reported'])} of {int(c['weeks_due'])} weeks"))
    if not c["meeting_ok"]:
        out.append(ctx.t("停滞后未开项目分析会", "no analysis meeting since the stall"))
    if not c["grade_ok"]:
        out.append(ctx.t(f"等级不符：申报 {key_label(ctx, 'grade', c['grade_declared'])}，金额对应 "
                         f"{key_label(ctx, 'grade', c['grade_implied'])}",
                         f"grade mismatch: declared {key_label(ctx, 'grade', c['grade_declared'])}, the amount implies "
                         f"{key_label(ctx, 'grade', c['grade_implied'])}"))
    if not c["summary_ok"]:
        out.append(ctx.t("未按时提交总结报告", "no summary report on time"))
    if not c["evaluation_ok"]:
        out.append(ctx.t("未按时提交评价报告", "no evaluation report on time"))
    return out


def compliance_gaps(ctx: ReportContext, r: Review):
    """Their projects that fail at least one policy check, with what they fail."""
    rows = [{"project_id": c["project_id"], "name": c["name"], "compliance_rate": c["compliance_rate"],
             "gaps": "；".join(_gaps(ctx, c)) if ctx.lang == "zh" else "; ".join(_gaps(ctx, c))}
            for c in r.compliance.to_dict("records") if c["checks_passed"] < c["checks_due"]]
    passed, due = int(r.compliance["checks_passed"].sum()), int(r.compliance["checks_due"].sum())
    rate = passed / due if due else math.nan
    head = ctx.text(f"制度执行率 {fmt_pct(rate)}（通过 {passed}/{due} 项检查，{len(r.compliance)} 个项目）；"
                    f"{len(rows)} 个项目有缺项。",
                    f"Compliance {fmt_pct(rate)} ({passed} of {due} checks passed over {len(r.compliance)} "
                    f"{agree(len(r.compliance), 'project', 'projects')}); {len(rows)} "
                    f"{agree(len(rows), 'project has', 'projects have')} gaps.")
    if not rows:
        return [head]
    return [head, ctx.table(pd.DataFrame(rows), {**table_columns("compliance", "project_id", "name", "compliance_rate"),
                                                 "gaps": ("缺项", "Gaps", "text")})]


def stalled_table(ctx: ReportContext, r: Review):
    """Their stalled projects at the state date: stage, days in it, the limit and whether a meeting followed."""
    if not len(r.stalled):
        return ctx.text("没有停滞项目。", "No stalled project.")
    df = r.stalled.copy()
    df["stage"] = [ctx.config.stage_label(s, ctx.lang) for s in df["stage"]]
    df["meeting_since_stall"] = df["meeting_since_stall"].fillna(False).astype(bool)
    return ctx.metric_table(df, "stalled", "project_id", "name", "stage", "days_in_stage", "limit_days", "days_over",
                            "meeting_since_stall")


def findings(ctx: ReportContext, r: Review, targets: pd.DataFrame | None = None) -> list[tuple[str, str]]:
    """问题与建议: the findings a reviewer should raise, as (zh, en) sentences stating the figures.

    Rules, in this order: fewer closed projects than ``small_sample`` (the win rate is then not
    judged); win rate below the median of the others in the role (enough sample only); conservative
    score below their median (directors, enough sample only); target attainment below 100% (directors:
    ``targets``); stalled projects with no
    analysis meeting since the stall; compliance rate below :data:`COMPLIANCE_FLOOR`; incomplete
    archives; weekly-report coverage below the threshold; summary / evaluation reports missing after
    the close; grade mismatches."""
    x, peers, out = r.row, r.peers, []
    others_zh, others_en = ROLES[r.role][4]
    won, closed = int(x["won"]), int(x["closed"])
    small = closed < r.small_sample
    if small:
        out.append((f"本期仅结束 {closed} 个项目（少于 {r.small_sample} 个）：赢单率 {_rate(x['win_rate'], won, closed)} "
                    f"不宜与同事比较，宜结合下一期复核。",
                    f"Only {closed} project{'' if closed == 1 else 's'} closed in the period (fewer than {r.small_sample}): the win rate "
                    f"{fmt_pct(x['win_rate'])} ({won}/{closed}) is not compared with peers; review it again next period."))
    elif not math.isnan(peers["win_rate"]) and x["win_rate"] < peers["win_rate"]:
        out.append((f"赢单率 {_rate(x['win_rate'], won, closed)} 低于其他{others_zh}中位数 {fmt_pct(peers['win_rate'])}："
                    f"请说明丢单原因。",
                    f"Win rate {fmt_pct(x['win_rate'])} ({won}/{closed}) is below the other {others_en}' median "
                    f"{fmt_pct(peers['win_rate'])}: ask for the reasons of the losses."))
    if not small and "score_low" in x and not math.isnan(peers["score_low"]) and x["score_low"] < peers["score_low"]:
        out.append((f"保守得分 {fmt_value(x['score_low'], 'score', ctx.lang)} 低于其他总监中位数 {fmt_value(peers['score_low'], 'score', ctx.lang)}，排名 "
                    f"{int(x['rank'])}/{len(r.board)}。",
                    f"Conservative score {fmt_value(x['score_low'], 'score', ctx.lang)} is below the other directors' median "
                    f"{fmt_value(peers['score_low'], 'score', ctx.lang)}; rank {int(x['rank'])} of {len(r.board)}."))
    if targets is not None:
        mine = targets[targets["scope"] == r.name]
        if len(mine) and pd.notna(mine.iloc[0]["attainment"]) and mine.iloc[0]["attainment"] < 1:
            t = mine.iloc[0]
            out.append((f"目标达成 {fmt_pct(t['attainment'])}（赢单 {fmt_amount(t['won_amount'], 'zh')} ÷ 目标 "
                        f"{fmt_amount(t['target_amount'], 'zh')}），未完成目标。",
                        f"Target attainment {fmt_pct(t['attainment'])} (won {fmt_amount(t['won_amount'], 'en')} ÷ "
                        f"target {fmt_amount(t['target_amount'], 'en')}): the target is not met."))
    no_meeting = r.stalled[~r.stalled["meeting_since_stall"].fillna(False).astype(bool)]
    if len(no_meeting):
        names = [f"{pid} {project_label(ctx, n)}（超期 {d:.0f} 天）" for pid, n, d in
                 zip(no_meeting["project_id"], no_meeting["name"], no_meeting["days_over"])]
        names_en = [f"{pid} {project_label(ctx, n)} ({d:.0f} days over)" for pid, n, d in
                    zip(no_meeting["project_id"], no_meeting["name"], no_meeting["days_over"])]
        out.append((f"{len(no_meeting)} 个停滞项目停滞后未召开项目分析会：{'、'.join(names)}。",
                    f"{len(no_meeting)} stalled projects had no analysis meeting since the stall: {'; '.join(names_en)}."))
    c = r.compliance
    passed, due = int(c["checks_passed"].sum()), int(c["checks_due"].sum())
    if due and passed / due < COMPLIANCE_FLOOR:
        out.append((f"制度执行率 {fmt_pct(passed / due)}（{passed}/{due} 项检查通过），低于 {fmt_pct(COMPLIANCE_FLOOR, 0)}。",
                    f"Compliance {fmt_pct(passed / due)} ({passed} of {due} checks passed), below "
                    f"{fmt_pct(COMPLIANCE_FLOOR, 0)}."))
    archive = c[~c["archive_ok"]]
    if len(archive):
        missing = int((archive["docs_due"] - archive["docs_present"]).sum())
        out.append((f"{len(archive)}/{len(c)} 个项目档案不全，共缺 {missing} 份文档。",
                    f"{len(archive)} of {len(c)} {agree(len(c), 'project', 'projects')} "
                    f"{agree(len(archive), 'has', 'have')} an incomplete archive, {missing} {agree(missing, 'document', 'documents')} missing."))
    weekly = c[(c["weeks_due"] > 0) & ~c["weekly_ok"]]
    if len(weekly):
        out.append((f"{len(weekly)} 个项目周报覆盖不足（共 {int(weekly['weeks_reported'].sum())}/"
                    f"{int(weekly['weeks_due'].sum())} 周有周报）。",
                    f"{len(weekly)} {agree(len(weekly), 'project lacks', 'projects lack')} weekly reports "
                    f"({int(weekly['weeks_reported'].sum())} of "
                    f"{int(weekly['weeks_due'].sum())} weeks reported)."))
    for col, ok, zh, en in (("summary_due", "summary_ok", "总结报告", "summary report"),
                            ("evaluation_due", "evaluation_ok", "评价报告", "evaluation report")):
        late = c[c[col] & ~c[ok]]
        if len(late):
            out.append((f"{len(late)}/{int(c[col].sum())} 个已结束项目未按时提交{zh}。",
                        f"{len(late)} of {int(c[col].sum())} closed {agree(int(c[col].sum()), 'project', 'projects')} "
                        f"{agree(len(late), 'has', 'have')} no {en} on time."))
    grade = c[~c["grade_ok"]]
    if len(grade):
        out.append((f"{len(grade)} 个项目申报等级低于金额对应的等级：{'、'.join(grade['project_id'].astype(str))}。",
                    f"{len(grade)} {agree(len(grade), 'project is', 'projects are')} declared below the grade their "
                    f"amount implies: "
                    f"{', '.join(grade['project_id'].astype(str))}."))
    return out


def findings_list(ctx: ReportContext, r: Review, targets: pd.DataFrame | None = None):
    """:func:`findings` as an escaped HTML list (or a sentence saying there is none)."""
    from IPython.display import HTML

    items = findings(ctx, r, targets)
    if not items:
        return ctx.text("未发现需要提出的问题。", "No finding to raise.")
    lis = "".join(f"<li>{html.escape(ctx.t(zh, en))}</li>" for zh, en in items)
    return HTML(f"<ol class='findings'>{lis}</ol>")


def _row_of(df: pd.DataFrame | None, column: str, name: str) -> dict | None:
    """The row of ``df`` whose ``column`` is ``name`` (the first), or None."""
    if df is None or column not in df.columns:
        return None
    rows = df[df[column] == name]
    return rows.iloc[0].to_dict() if len(rows) else None


def win_loss(ctx: ReportContext, r: Review, top: int = 5) -> list:
    """赢丢单 of the person's projects, each figure their row of the same metric the audit report's 赢丢单分析
    shows per role (``by=<role>`` on the company: the customers' "new" is new to the company): bids and
    中标率 (won ÷ decided), the rivals met (their projects closed in the period; up to ``top``), the loss reasons, new customers won
    (新客户拓展) and the repeat rate (老客户维护), collection (回款率) and satisfaction. A column no export
    had is said so, not shown as zero."""
    from ..errors import MissingColumnError
    from ..metrics import MetricContext

    role, name, p, d = r.role, r.name, ctx.period, ctx.as_of
    v = lambda x, kind: fmt_value(x, kind, ctx.lang)  # noqa: E731
    out = []

    def noted(metrics, metric: str, **options):
        """The metric, or None after a note saying which column no export had."""
        try:
            return compute(metrics, metric, p, as_of=d, **options)
        except MissingColumnError as exc:
            from .context import missing_text

            out.append(ctx.text(missing_text(exc, "zh"), f"Not available: {exc}"))
            return None

    def by_role(metric: str):
        return noted(ctx.metrics, metric, by=role)

    b = _row_of(by_role("bids"), role, name)
    if b is not None:
        out.append(ctx.text(
            f"投标：本期进入投标 {b['bids']} 个，已决 {b['decided']} 个（赢单 {b['won']}、丢单 {b['lost']}），中标率 "
            f"{v(b['bid_win_rate'], 'rate')}（分母：已决 = 赢单 + 丢单）；另有 {b['open']} 个仍在进行、{b['abandoned']} 个放弃。",
            f"Bids: {b['bids']} entered in the period, {b['decided']} decided ({b['won']} won, {b['lost']} lost): bid "
            f"win rate {v(b['bid_win_rate'], 'rate')} (denominator: decided = won + lost); {b['open']} still open, "
            f"{b['abandoned']} abandoned."))
    with MetricContext(ctx.con, scope=ReportScope(role, name), config=ctx.config, as_of=d) as theirs:
        rivals = noted(theirs, "competitors")
    rivals = rivals[rivals["met"] > 0] if rivals is not None else None     # rivals of open projects only: not met yet
    if rivals is not None and len(rivals):
        rivals = rivals.assign(competitor=rivals["competitor"].fillna(ctx.t("（未记录）", "(none recorded)")))
        out.append(ctx.metric_table(rivals, "competitors", "competitor", "met", "won", "lost", "decided", "win_rate",
                                    "small_sample", limit=top + 1))
    reasons = by_role("losses")
    if reasons is not None:
        mine = reasons[reasons[role] == name]
        if len(mine):
            mine = mine.assign(reason=mine["reason"].fillna(ctx.t("（未填写）", "(none given)")))
            out.append(ctx.metric_table(mine, "losses", "reason", "projects", "lost", "abandoned", "amount_lost",
                                        "share", limit=top))
    segments = by_role("customers")
    if segments is not None:
        mine = segments[segments[role] == name].set_index("segment")
        if len(mine):
            new = mine.loc["new"] if "new" in mine.index else None
            back = mine.loc["returning"] if "returning" in mine.index else None
            won_new = int(new["customers_won"]) if new is not None else 0
            repeat = back["repeat_rate"] if back is not None else None
            out.append(ctx.text(
                f"新客户拓展：本期赢单的新客户 {won_new} 个；老客户维护：复购率 {v(repeat, 'rate')}。",
                f"New customers won in the period: {won_new}; returning customers' repeat rate {v(repeat, 'rate')}."))
    money = _row_of(by_role("collection"), role, name)
    if money is not None:
        out.append(ctx.text(
            f"回款：本期赢单 {v(money['won_amount'], 'amount')}，已回款 {v(money['collected_amount'], 'amount')}，回款率 "
            f"{v(money['collection_rate'], 'rate')}（已回款 ÷ 赢单金额）；客户满意度均值 {v(money['satisfaction_mean'], 'number')}"
            f"（{int(money['rated'])} 个评分）。",
            f"Collection: won {v(money['won_amount'], 'amount')}, collected {v(money['collected_amount'], 'amount')}, "
            f"{v(money['collection_rate'], 'rate')} (collected ÷ won amount); satisfaction mean "
            f"{v(money['satisfaction_mean'], 'number')} ({int(money['rated'])} ratings)."))
    return out


def definitions(ctx: ReportContext, r: Review):
    """The definitions in force: the scorecard's (``directors`` or ``members``), compliance's and stalled's
    definitions, denominators and options (a table in the report's language), and how this review judges."""
    from IPython.display import HTML

    from .context import definitions_table

    others_zh, others_en = ROLES[r.role][4]
    rules = ctx.t(f"制度执行率低于 {fmt_pct(COMPLIANCE_FLOOR, 0)} 列为问题；同事中位数：除本人以外的{others_zh}"
                  "（赢单率只计有已结束项目者）；区间为 Wilson 95% 区间。",
                  f"A compliance rate below {fmt_pct(COMPLIANCE_FLOOR, 0)} is a finding; peer median: the other "
                  f"{others_en} (win rate: those with a closed project); intervals are Wilson 95%.")
    metric = ROLES[r.role][0]
    table = definitions_table(ctx, (metric, "compliance", "stalled"),
                              frames={metric: r.board, "compliance": r.compliance, "stalled": r.stalled})
    return HTML(table.data + f"<p>{html.escape(rules)}</p>")


def provenance(ctx: ReportContext, parameters: dict | None = None):
    """Data provenance (load log with sha256), toolkit version, render time and the parameters as resolved;
    ``parameters`` (what the notebook was given) supplies the report's own scope (the context is the whole
    company's), nothing else of it is printed (it may hold local paths)."""
    return ctx.provenance_section(scope=(parameters or {}).get("scope"))


__all__ = ["Review", "ROLES", "MEMBER_ROLES", "PEER_FIGURES", "reviewed", "director_of", "review", "heading", "projects_table", "outcomes", "attainment", "standing", "win_loss",
           "peer_table", "peer_chart", "compliance_gaps", "stalled_table", "findings", "findings_list", "definitions", "section",
           "SECTIONS",
           "provenance", "project_label", "key_label", "COMPLIANCE_FLOOR"]
