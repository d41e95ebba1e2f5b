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

#: rows a table shows at most (the note under it gives the full count)
TABLE_LIMIT = 300

_TEXT = {
    "title": ("售前项目管理看板", "Presales management dashboard"),
    "region": ("区域", "Region"), "department": ("系统部", "Department"), "grade": ("项目等级", "Grade"),
    "director": ("项目总监", "Director"), "reset": ("清除筛选", "Clear filters"),
    "k_won_amount": ("赢单金额", "Won amount"), "k_attainment": ("目标达成率", "Target attainment"),
    "k_win_rate": ("赢单率", "Win rate"), "k_open_amount": ("在手商机金额", "Open pipeline"),
    "k_weighted_amount": ("加权商机金额", "Weighted pipeline"), "k_cycle": ("成交周期中位数", "Median cycle"),
    "k_stalled": ("停滞项目", "Stalled projects"), "k_compliance": ("制度执行率", "Compliance rate"),
    "t_leaderboard": ("项目总监排行", "Director leaderboard"), "t_stalled": ("停滞项目清单", "Stalled projects"),
    "t_compliance": ("制度执行缺项（按项目总监）", "Compliance gaps by director"), "definitions": ("口径与分母", "Definitions and denominators"),
}
_WORDS = {
    "all": ("全部", "All"), "vs_prev": ("较上期", "vs previous"), "pp": ("个百分点", "pp"),
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
    "several": ("同时选择多个维度时，按最具体的一个计算，清单再按其余条件筛选。",
                "With several filters, the most specific one sets the scope; lists are then narrowed by the others."),
    "company": ("全公司", "company"),
}
_COLUMNS = {
    "rank": ("排名", "Rank"), "director": ("项目总监", "Director"), "score": ("审计考核得分", "Audit score"),
    "score_low": ("保守得分（排名依据）", "Conservative score (ranks)"),
    "win_rate": ("赢单率（95% 区间）", "Win rate (95% interval)"), "closed": ("赢单/已结束", "Won/closed"),
    "won_amount": ("赢单金额", "Won amount"), "attainment": ("目标达成率", "Attainment"),
    "compliance": ("制度执行率", "Compliance"), "stalled": ("停滞项目", "Stalled"),
    "project_id": ("项目编号", "Project"), "name": ("项目名称", "Name"), "customer": ("客户", "Customer"),
    "region": ("区域", "Region"), "grade": ("等级", "Grade"), "stage": ("阶段", "Stage"),
    "entered_at": ("进入日期", "Entered"), "days_in_stage": ("停留天数", "Days in stage"),
    "limit_days": ("限值天数", "Limit (days)"), "days_over": ("超出天数", "Days over"),
    "meeting": ("已开分析会", "Analysis meeting held"), "status": ("状态", "Status"),
    "checks": ("通过/应查（执行率）", "Passed/due (rate)"), "projects_checked": ("检查项目数", "Projects checked"),
    "projects_with_gaps": ("有缺项的项目", "Projects with a gap"),
}
_CHECKS = {"archive_ok": ("档案不全", "Archive incomplete"), "weekly_ok": ("周报不足", "Weekly reports short"),
           "meeting_ok": ("停滞未开分析会", "No meeting after stall"),
           "summary_ok": ("总结报告逾期", "Summary late"), "evaluation_ok": ("评价报告逾期", "Evaluation late"),
           "grade_ok": ("等级偏低", "Grade too low")}
_STATUS = {"open": ("进行中", "open"), "won": ("赢单", "won"), "lost": ("丢单", "lost"), "abandoned": ("放弃", "abandoned")}
_DEFINITIONS = [
    (("赢单金额", "Won amount"), ("本期结束且赢单的项目金额之和（元，显示为万元/亿元）。",
                                 "Sum of the amounts of projects won and closed in the period (yuan).")),
    (("目标达成率", "Target attainment"), ("赢单金额 ÷ 目标（分母：本期目标；年目标按月平均分摊）。筛选区域/系统部/总监时用其目标。",
                                          "Won amount ÷ target (denominator: the period's target, yearly targets "
                                          "spread evenly over months); a region, department or director filter uses its target.")),
    (("赢单率", "Win rate"), ("赢单 ÷ 本期结束项目（赢单 + 丢单 + 放弃）；Wilson 95% 区间。",
                              "Won ÷ projects closed in the period (won + lost + abandoned); Wilson 95% interval.")),
    (("在手 / 加权商机", "Open / weighted pipeline"), ("期末在手项目金额；加权 = 金额 × 阶段赢率（配置 [stage_probability]）。",
                                                      "Amount of projects open at the period's last day; weighted = amount × "
                                                      "stage probability ([stage_probability]).")),
    (("成交周期中位数", "Median cycle"), ("本期结束项目从创建到结束的天数中位数（分母：有创建日期的本期结束项目）。",
                                         "Median days from created to closed (denominator: projects closed in the period "
                                         "with a created date).")),
    (("停滞项目", "Stalled projects"), ("期末在手项目中，当前阶段停留超过该阶段已完成停留的 75 分位（或配置上限）者；分母：期末在手项目。",
                                       "Open projects at the period's end whose current stay exceeds the stage's p75 of "
                                       "finished stays (or the configured limit); denominator: open projects.")),
    (("制度执行率", "Compliance rate"), ("通过的制度检查 ÷ 应查检查（档案、周报、停滞后分析会、总结与评价报告、项目等级）。",
                                        "Policy checks passed ÷ checks due (archive, weekly reports, analysis meeting after a "
                                        "stall, summary and evaluation reports, grade).")),
    (("审计考核得分", "Audit score"), ("赢单率、目标达成、制度执行、速度的加权平均（权重见 [score_weights]）；按下限排名。",
                                      "Weighted mean of win rate, attainment, compliance and speed ([score_weights]); "
                                      "ranked by the score with the win rate's lower bound.")),
    (("较上期", "vs previous"), ("与上一个同长度期间比较；比率之差以百分点表示。",
                                "Compared with the previous period of the same length; rates differ in percentage points.")),
]


def labels(lang: str) -> dict:
    """Every label the page shows, in ``lang``."""
    i = 0 if lang == "zh" else 1
    return {"text": {k: v[i] for k, v in _TEXT.items()}, **{k: v[i] for k, v in _WORDS.items()},
            "col": {k: v[i] for k, v in _COLUMNS.items()}, "check": {k: v[i] for k, v in _CHECKS.items()},
            "status": {k: v[i] for k, v in _STATUS.items()}}


def definitions(lang: str) -> list[list[str]]:
    i = 0 if lang == "zh" else 1
    return [[term[i], text[i]] for term, text in _DEFINITIONS]


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


def render_page(data: dict, *, lang: str, title: str) -> str:
    """The whole HTML file as text."""
    from plotly.offline import get_plotlyjs

    template = _asset("dashboard.html")
    parts = {"@@LANG@@": "zh-CN" if lang == "zh" else "en", "@@TITLE@@": html.escape(title),
             "@@CSS@@": _asset("dashboard.css"), "@@DATA@@": script_json(data), "@@PLOTLY@@": get_plotlyjs(),
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
