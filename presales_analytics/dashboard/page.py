"""The dashboard page: the template in ``assets/`` filled with plotly.js (inlined once), the data as
JSON and the figures' initial versions (built by :mod:`presales_analytics.charts`), into one HTML file.

The data goes in a ``<script type="application/json">`` block with every ``<`` written ``\\u003c``
(still the same JSON, and no ``</script>`` or ``<!--`` can end or confuse the block); the page sets
every text from it with ``textContent``. ``assets/stats.js`` (the one place the page computes or prints a
number) is inlined before ``assets/dashboard.js``. Nothing in the file asks for anything over the network (the
page's Content-Security-Policy forbids it too).
"""

from __future__ import annotations

import html
import json
from importlib import resources
from statistics import NormalDist

import pandas as pd

from .. import charts
from ..config import Config
from ..metrics import columns as C
from ..metrics.members import ROLE_LABELS
from ..presentation.labels import metric_column

#: rows a table shows at most (the note under it gives the full count)
TABLE_LIMIT = 300

#: the tiles: the spec column each shows (label and format from it; tests/test_labels.py checks the page)
TILES = {"won_amount": C.WON_AMOUNT, "attainment": C.ATTAINMENT, "win_rate": C.WIN_RATE, "open_amount": C.OPEN_AMOUNT,
         "weighted_amount": C.WEIGHTED_AMOUNT, "cycle": C.MEDIAN_CYCLE_DAYS, "stalled": C.STALLED,
         "compliance": C.COMPLIANCE_RATE}
#: the tables' columns that are metric columns: page key -> spec column
SPEC_COLUMNS = {
    "rank": metric_column("directors", "rank"), "director": C.DIRECTOR, "score": C.SCORE, "score_low": C.SCORE_LOW,
    "win_rate": C.WIN_RATE, "won_amount": C.WON_AMOUNT, "attainment": C.ATTAINMENT, "compliance": C.COMPLIANCE_RATE,
    "stalled": C.STALLED, "project_id": C.PROJECT_ID, "name": C.NAME, "region": C.REGION, "grade": C.GRADE,
    "stage": metric_column("stalled", "stage"), "entered_at": metric_column("stalled", "entered_at"),
    "days_in_stage": metric_column("stalled", "days_in_stage"), "limit_days": metric_column("stalled", "limit_days"),
    "days_over": metric_column("stalled", "days_over"), "meeting": metric_column("stalled", "meeting_since_stall"),
    # the win/loss panel (赢丢单): its figures and the rivals' and reasons' tables
    "bids": metric_column("bids", "bids"), "bid_win_rate": metric_column("bids", "bid_win_rate"),
    "bids_open": metric_column("bids", "open"), "customers_won": metric_column("customers", "customers_won"),
    "repeat_rate": metric_column("customers", "repeat_rate"), "top10_share": metric_column("customers", "top10_share"),
    "collection_rate": metric_column("collection", "collection_rate"),
    "overdue": metric_column("collection", "overdue"), "satisfaction_mean": metric_column("collection", "satisfaction_mean"),
    "competitor": metric_column("competitors", "competitor"), "met": metric_column("competitors", "met"),
    "rival_win_rate": metric_column("competitors", "win_rate"),
    "share_of_projects": metric_column("competitors", "share_of_projects"),
    # the key members' table (关键成员): the members scorecard
    "role": metric_column("members", "role"), "member": metric_column("members", "member"),
    "member_projects": metric_column("members", "projects"), "small_sample": metric_column("members", "small_sample"),
    "reason": metric_column("losses", "reason"), "lost_projects": metric_column("losses", "projects"),
    "amount_lost": metric_column("losses", "amount_lost"), "loss_share": metric_column("losses", "share"),
}

_TEXT = {
    "title": ("售前项目管理看板", "Presales management dashboard"),
    "region": ("区域", "Region"), "department": ("系统部", "Department"), "grade": ("项目等级", "Grade"),
    "director": ("项目总监", "Director"), "reset": ("清除筛选", "Clear filters"),
    **{f"k_{tile}": (column.zh, column.en) for tile, column in TILES.items()},
    "t_leaderboard": ("项目总监排行", "Director leaderboard"), "t_stalled": ("停滞项目清单", "Stalled projects"),
    "t_compliance": ("制度执行缺项（按项目总监）", "Compliance gaps by director"), "definitions": ("口径与分母", "Definitions and denominators"),
    "t_winloss": ("赢丢单分析（本期）", "Why we win and lose (this period)"), "t_rivals": ("竞争对手", "Competitors"),
    "t_reasons": ("丢单原因", "Loss reasons"),
    "t_members": ("关键成员考核（本期）", "Key members (this period)"),
    "n_members": ("项目经理、项目监控人与规划经理（导出数据列出该角色时）；成员不排名，按角色、本范围内项目数（多者在前）与姓名排列。",
                  "Project managers, monitors and planning managers (where the exports name the role); members are "
                  "not ranked but listed by role, then by their projects in the scope (most first), then by name."),
    "t_rival_trend": ("对主要竞争对手的赢单率（按季度）", "Win rate against the main rivals, by quarter"),
    "n_rival_trend": ("最近 8 个季度遇到最多的 5 个对手；每格：对其赢单率（赢单/已决），已决少于小样本阈值（默认 10 个）时仅供参考。",
                      "The 5 rivals met most over the last 8 quarters; each cell: win rate against (won/decided); "
                      "fewer decided than the small-sample threshold (10 by default) says little."),
}
_WORDS = {
    "all": ("全部", "All"), "vs_prev": ("较上期", "vs previous"), "pp": ("个百分点", "pp"),
    "no_compare": ("不与其他期间对比", "no comparison"),
    "won_projects": ("赢单 {n} 个项目", "{n} projects won"), "target": ("目标", "target"),
    "grade_note": ("目标不分等级", "targets have no grade"), "interval": ("95% 区间", "95% interval"),
    "closed_projects": ("已结束", "closed"), "open_projects": ("{n} 个在手项目", "{n} open projects"),
    "weighted_sub": ("金额 × 阶段赢率", "amount × stage probability"),
    "cycle_sub": ("{n} 个本期结束项目（创建→结束）", "{n} projects closed in the period (created → closed)"),
    "days_unit": (" 天", " d"), "stalled_sub": ("在手项目 {n} 个", "of {n} open projects"),
    "checks": ("项检查通过", "checks passed"), "direct": ("直销", "direct"), "yes": ("是", "yes"), "no": ("否", "no"),
    "rows": ("共 {n} 条（点击表头排序）", "{n} rows (click a header to sort)"),
    "first_rows": ("显示最靠前的 {k} 条，共 {n} 条（点击表头排序）", "the first {k} of {n} rows (click a header to sort)"),
    "basis": ("停滞、制度执行、得分、阶段、漏斗与管道按范围“{s}”计算（与该范围的报告一致）。",
              "Stalls, compliance, scores, stages, funnel and pipeline are computed for the scope “{s}” "
              "(as its scoped report computes them)."),
    "tile_scope": ("目标按“{s}”计，未按 {f} 拆分", "target of “{s}”, not split by {f}"),
    "several": ("同时选择多个维度时，按最具体的一个计算，清单再按其余条件筛选。",
                "With several filters, the most specific one sets the scope; lists are then narrowed by the others."),
    "company": ("全公司", "company"),
    "none_recorded": ("（未记录）", "(none recorded)"), "not_available": ("导出数据无此列", "not in the exports"),
    "figure": ("指标", "Figure"), "value": ("数值", "Value"), "basis_col": ("依据", "Basis"),
    "wl_bids": ("{won} 赢 / {decided} 已决；{open} 个在途", "{won} won of {decided} decided; {open} open"),
    "wl_repeat": ("{prior} 个期前赢单客户", "of {prior} customers won before"),
    "wl_collection": ("{collected} / {won}", "{collected} of {won}"),
    "wl_rated": ("{n} 个评分", "{n} scores"),
    "wl_new": ("新客户（本期前未赢过单）：新客户拓展", "new customers (no win before the period)"),
}
_COLUMNS = {
    # the page's own composite columns (several figures in one cell), not a metric column
    "closed": ("赢单/已结束", "Won/closed"), "customer": ("客户", "Customer"), "status": ("状态", "Status"),
    "checks": ("通过/应查（执行率）", "Passed/due (rate)"), "projects_checked": ("检查项目数", "Projects checked"),
    "projects_with_gaps": ("有缺项的项目", "Projects with a gap"),
    # a metric's column: its spec's label
    **{key: (column.zh, column.en) for key, column in SPEC_COLUMNS.items()},
}
_CHECKS = {"archive_ok": ("档案不全", "Archive incomplete"), "weekly_ok": ("周报不足", "Weekly reports short"),
           "meeting_ok": ("停滞未开分析会", "No meeting after stall"),
           "summary_ok": ("总结报告逾期", "Summary late"), "evaluation_ok": ("评价报告逾期", "Evaluation late"),
           "grade_ok": ("等级偏低", "Grade too low")}
_STATUS = {"open": ("进行中", "open"), "won": ("赢单", "won"), "lost": ("丢单", "lost"), "abandoned": ("放弃", "abandoned")}
#: the definitions under the page: each tile's figure and the score, from their specs, then how the page compares
_VS_PREVIOUS = (("较上期", "vs previous"), ("与上一个同长度期间比较；比率之差以百分点表示。",
                                          "Compared with the previous period of the same length; rates differ in "
                                          "percentage points."))


def _definitions() -> list:
    shown = [*TILES.values(), C.SCORE]
    return [((c.zh, c.en), (c.definition_zh, c.definition_en)) for c in shown] + [_VS_PREVIOUS]


def labels(lang: str) -> dict:
    """Every label the page shows, in ``lang``."""
    i = 0 if lang == "zh" else 1
    return {"text": {k: v[i] for k, v in _TEXT.items()}, **{k: v[i] for k, v in _WORDS.items()},
            "col": {k: v[i] for k, v in _COLUMNS.items()}, "check": {k: v[i] for k, v in _CHECKS.items()},
            "status": {k: v[i] for k, v in _STATUS.items()}, "roles": {k: v[i] for k, v in ROLE_LABELS.items()}}


def definitions(lang: str) -> list[list[str]]:
    i = 0 if lang == "zh" else 1
    return [[term[i], text[i]] for term, text in _definitions()]


def figures(data: dict, lang: str, config: Config) -> dict:
    """Each chart's initial figure (plotly JSON) from the chart builders; the page replaces the traces'
    data arrays when a filter changes and keeps the layout."""
    empty_rate = pd.DataFrame({"quarter": [q["label"] for q in data["quarters"]], "won": 0, "closed": 0,
                               "win_rate": float("nan"), "win_rate_low": float("nan"), "win_rate_high": float("nan")})
    stages = pd.DataFrame({"stage": config.working_stages, "median_days": float("nan"), "p75_days": float("nan"),
                           "reached": 0})
    att = {by: pd.DataFrame({by: pd.Series([], dtype="str"), "attainment": pd.Series([], dtype="float64"),
                             "won_amount": pd.Series([], dtype="float64"),
                             "target_amount": pd.Series([], dtype="float64")}) for by in ("region", "director")}
    board = pd.DataFrame({"director": pd.Series([], dtype="str"), "score": pd.Series([], dtype="float64"),
                          "win_rate": pd.Series([], dtype="float64"), "win_rate_low": pd.Series([], dtype="float64"),
                          "win_rate_high": pd.Series([], dtype="float64"), "won": pd.Series([], dtype="int64"),
                          "closed": pd.Series([], dtype="int64")})
    share = pd.DataFrame({"channel": pd.Series([], dtype="str"), "won_share": pd.Series([], dtype="float64"),
                          "won_amount": pd.Series([], dtype="float64")})
    figs = {
        "attainment_region": charts.plot_target_attainment(att["region"], "region", lang=lang),
        "attainment_director": charts.plot_target_attainment(att["director"], "director", lang=lang),
        "trend": charts.plot_win_rate_trend(empty_rate, lang=lang),
        "funnel": charts.plot_funnel(stages, lang=lang, config=config),
        "durations": charts.plot_stage_durations(stages, lang=lang, config=config),
        "channels": charts.plot_channel_share(share, lang=lang),
        "leaderboard": charts.plot_leaderboard(board, lang=lang),
    }
    out = {}
    for key, fig in figs.items():
        fig.update_layout(autosize=True, height=None, margin={"l": 60, "r": 20, "t": 50, "b": 60})
        out[key] = json.loads(fig.to_json())
    return out


def script_json(value) -> str:
    """JSON for a ``<script type="application/json">`` block: ``<`` as ``\\u003c`` (same JSON value)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).replace("<", "\\u003c")


def _asset(name: str) -> str:
    return resources.files("presales_analytics.dashboard").joinpath("assets", name).read_text(encoding="utf-8")


def _print_footer(title: str) -> str:
    """The printed page's footer: the dashboard's title left, "page / pages" right (dashboard.css's @page)."""
    from ..presentation.format import css_string

    return ("\n@page { @bottom-left { content: " + css_string(title) + "; font-size: 8pt; color: #52606d; }\n"
            "        @bottom-right { content: counter(page) \" / \" counter(pages); font-size: 8pt; color: #52606d; } }\n")


def render_page(data: dict, *, lang: str, title: str) -> str:
    """The whole HTML file as text."""
    from plotly.offline import get_plotlyjs

    template = _asset("dashboard.html")
    parts = {"@@LANG@@": "zh-CN" if lang == "zh" else "en", "@@TITLE@@": html.escape(title),
             "@@CSS@@": _asset("dashboard.css") + _print_footer(title), "@@DATA@@": script_json(data), "@@PLOTLY@@": get_plotlyjs(),
             "@@JS@@": _asset("stats.js") + "\n" + _asset("dashboard.js")}
    # one pass over the template: text put in is never searched for placeholders again
    out, rest = [], template
    while True:
        positions = [(rest.find(k), k) for k in parts if rest.find(k) >= 0]
        if not positions:
            out.append(rest)
            break
        pos, key = min(positions)
        out.append(rest[:pos])
        out.append(parts[key])
        rest = rest[pos + len(key):]
    return "".join(out)


def z_value(confidence: float) -> float:
    return NormalDist().inv_cdf(0.5 + confidence / 2)


__all__ = ["render_page", "figures", "labels", "definitions", "script_json", "z_value", "TABLE_LIMIT"]
