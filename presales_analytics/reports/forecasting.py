"""The 预测 (forecast) section of the audit report: expected bookings with their range against the target,
how good the probabilities were on the backtest (with the reliability chart), past quarters' forecasts
against what was booked, and the open projects that carry the most expected amount.

Which period: an audited period still in progress is forecast to its end, as of the data date; a
complete one, the next period of the same grain, as of its last day (what management would have been
told at the audit meeting). Every figure comes from the ``forecast`` metric (docs/forecast.md).
"""

from __future__ import annotations

from datetime import date

from ..metrics import compute
from ..metrics.forecast import MEANING_ZH, MEANING_EN, MODEL_ZH
from ..periods import Period
from ..presentation.format import fmt_value
from .context import ReportContext


def forecast_target(p: Period, data_day: date | None) -> tuple[Period, date] | None:
    """``(period forecast, as-of date)`` for an audit of ``p`` (module docstring); None for ``all`` and
    date ranges, or without dated data.

    >>> forecast_target(Period.parse("2026-Q3"), date(2026, 12, 3))
    (Period(start=datetime.date(2026, 10, 1), end=datetime.date(2027, 1, 1), grain='quarter'), datetime.date(2026, 9, 30))
    >>> forecast_target(Period.parse("2026-Q4"), date(2026, 12, 3))[1]
    datetime.date(2026, 12, 3)
    """
    if p.grain in ("all", "range") or data_day is None:
        return None
    if data_day < p.last_day:
        return p, data_day
    return p.next(), p.last_day


def section(ctx: ReportContext, top: int = 10) -> None:
    """The 预测 section (module docstring)."""
    from .. import charts
    from .audit import _show

    target = forecast_target(ctx.period, ctx.data_day)
    if target is None:
        _show(ctx.text("“全部数据”或自定义区间的报告不做预测：请按月、季度或年生成报告。",
                       "No forecast for 'all' or a date range: render the report for a month, quarter or year."))
        return
    p, d = target
    row_df = compute(ctx.metrics, "forecast", p, as_of=d, level="period")
    options = row_df.attrs["options"]
    r = row_df.iloc[0]
    v = lambda x, kind: fmt_value(x, kind, ctx.lang)  # noqa: E731
    _show(ctx.text(
        f"预测 {p.label('zh')}（按截至 {d} 已知的情况）：在途 {r['open_projects']} 个项目，预计赢单 "
        f"{fmt_value(r['expected_count'], 'number', 'zh')} 个（80% 区间 {v(r['count_p10'], 'count')}–"
        f"{v(r['count_p90'], 'count')} 个），预计赢单金额 {v(r['expected_amount'], 'amount')}（80% 区间 "
        f"{v(r['amount_p10'], 'amount')}–{v(r['amount_p90'], 'amount')}）；本期已赢单 {v(r['won_amount'], 'amount')}，"
        f"合计预计 {v(r['expected_total'], 'amount')}，目标 {v(r['target_amount'], 'amount')}。"
        f"按阶段固定概率的加权管道为 {v(r['weighted_amount'], 'amount')}（不限赢单时间，通常高于预测）。"
        f"尚未创建的项目不在预测内。",
        f"Forecast for {p.label('en')} (as known on {d}): {r['open_projects']} open projects, expected wins "
        f"{fmt_value(r['expected_count'], 'number', 'en')} (80% range {v(r['count_p10'], 'count')}–"
        f"{v(r['count_p90'], 'count')}), expected won amount {v(r['expected_amount'], 'amount')} (80% range "
        f"{v(r['amount_p10'], 'amount')}–{v(r['amount_p90'], 'amount')}); won so far {v(r['won_amount'], 'amount')}, "
        f"expected total {v(r['expected_total'], 'amount')} against a target of {v(r['target_amount'], 'amount')}. "
        f"The weighted pipeline of the fixed stage probabilities is {v(r['weighted_amount'], 'amount')} (with no "
        f"time limit; usually above the forecast). Projects not yet created are in no forecast."))
    _show(ctx.metric_table(row_df, "forecast", "open_projects", "expected_count", "count_p10", "count_p50",
                           "count_p90", "expected_amount", "amount_p10", "amount_p50", "amount_p90", "won_amount",
                           "expected_total", "target_amount", "weighted_amount"))
    meaning = ctx.t(MEANING_ZH, MEANING_EN).format(horizon=options["horizon_days"], as_of=d)
    scores = compute(ctx.metrics, "forecast", p, as_of=d, level="backtest")
    chosen = scores[scores["chosen"]].iloc[0]
    base = scores.set_index("model")
    _show(ctx.text(
        f"{meaning}。模型：{options['why_zh']}。回测中该模型平均预测 {v(chosen['mean_predicted'], 'rate')}，实际赢单比例 "
        f"{v(chosen['observed'], 'rate')}；Brier 分数 {fmt_value(chosen['brier'], 'number', 'zh')}（基础比率 "
        f"{fmt_value(base.loc['base_rate', 'brier'], 'number', 'zh')}，越小越好）。",
        f"{meaning}. Model: {options['why']}. On the backtest its mean prediction was "
        f"{v(chosen['mean_predicted'], 'rate')} against {v(chosen['observed'], 'rate')} observed; Brier score "
        f"{fmt_value(chosen['brier'], 'number', 'en')} (base rate {fmt_value(base.loc['base_rate', 'brier'], 'number', 'en')}; "
        f"lower is better)."))
    names = {m: ctx.t(MODEL_ZH[m], m) for m in scores["model"]}
    _show(ctx.metric_table(scores.assign(model_label=scores["model"].map(names)), "forecast", "model", "rows",
                           "brier", "skill_vs_base_rate", "skill_vs_baseline", "log_loss", "auc", "mean_predicted",
                           "observed", "chosen", shown={"model": "model_label"}))
    reliability = compute(ctx.metrics, "forecast", p, as_of=d, level="calibration")
    if len(reliability):
        _show(charts.plot_reliability(reliability, lang=ctx.lang))
    past = compute(ctx.metrics, "forecast", p, as_of=d, level="accuracy", quarters=4)
    if len(past):
        _show(ctx.text("以往季度：每季度第一天对当时在途项目的预测，与这些项目在该季度的实际赢单对比（全公司）；"
                       "“季度内全部赢单”还含季度内新建的项目。",
                       "Past quarters: the forecast made on each quarter's first day for the projects open then, "
                       "against what those projects booked in the quarter (whole company); 'all won in quarter' "
                       "includes projects created during it."),
              ctx.metric_table(past, "forecast", "quarter", "open_projects", "expected_count", "booked_count",
                               "count_error", "expected_amount", "booked_amount", "amount_error", "won_in_quarter"))
    projects = compute(ctx.metrics, "forecast", p, as_of=d)
    projects = projects.sort_values(["expected_amount", "project_id"], ascending=[False, True], na_position="last")
    projects = projects.assign(stage_label=[ctx.config.stage_label(s, ctx.lang) if isinstance(s, str)
                                            else ctx.t("（未知）", "(unknown)") for s in projects["stage"]])
    _show(ctx.text(f"预计赢单金额最大的 {top} 个在途项目：", f"The {top} open projects with the largest expected won amount:"),
          ctx.metric_table(projects, "forecast", "project_id", "stage", "amount", "p_win", "expected_amount",
                           "factors", shown={"stage": "stage_label"}, limit=top))


__all__ = ["section", "forecast_target"]
