"""Every figure the reports and the dashboard show, built in one place (``plot_*`` -> plotly Figure).

Figures take a metric's DataFrame (as returned by :mod:`presales_analytics.metrics`) and a language
(``"zh"`` default, ``"en"``). Labels are set as text, never as HTML: plotly escapes them, so a name
such as ``<script>`` from an export shows as text. Nothing here reads the database.
"""

from __future__ import annotations

import html

import math

import pandas as pd
import plotly.graph_objects as go

from .config import Config, load_config
from .presentation import palette

_LABELS = {
    "win_rate": ("赢单率", "Win rate"),
    "closed": ("已结束项目", "Closed projects"),
    "interval": ("95% 置信区间", "95% interval"),
    "median_days": ("中位停留天数", "Median days in stage"),
    "p75_days": ("75 分位天数", "75th percentile days"),
    "reached": ("到达项目数", "Projects reaching the stage"),
    "stage": ("阶段", "Stage"),
    "small": ("小样本", "small sample"),
}
FONT = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif"


def label(key: str, lang: str = "zh") -> str:
    zh, en = _LABELS[key]
    return zh if lang == "zh" else en


def _layout(fig: go.Figure, title: str) -> go.Figure:
    fig.update_layout(title=title, font={"family": FONT, "color": palette.INK}, template="plotly_white",
                      colorway=palette.COLORWAY,
                      margin={"l": 60, "r": 20, "t": 60, "b": 60}, height=420)
    return fig


def plot_win_rate(df: pd.DataFrame, by: str, *, lang: str = "zh", highlight: str | None = None) -> go.Figure:
    """Win rate per ``by`` value as bars with their Wilson interval as error bars; the hover text gives
    won ÷ closed (the denominator) and small samples are drawn pale and marked. ``highlight``: the ``by``
    value the page is about (a review's person among their peers), drawn in orange with its name in bold."""
    names = [str(v) if not (isinstance(v, float) and math.isnan(v)) and v is not None else
             ("直销" if by == "channel" and lang == "zh" else "direct" if by == "channel" else "—")
             for v in df[by]]
    small = df["small_sample"].astype(bool).tolist()
    fig = go.Figure(go.Bar(
        x=names, y=df["win_rate"],
        error_y={"type": "data", "symmetric": False, "array": df["win_rate_high"] - df["win_rate"],
                 "arrayminus": df["win_rate"] - df["win_rate_low"]},
        marker={"color": [palette.ORANGE if highlight is not None and n == highlight else
                          palette.PALE if s else palette.BLUE for n, s in zip(names, small)]},
        customdata=list(zip(df["won"], df["closed"], [label("small", lang) if s else "" for s in small])),
        hovertemplate="%{x}<br>" + label("win_rate", lang) + " %{y:.1%} (%{customdata[0]}/%{customdata[1]})"
                      "<br>%{customdata[2]}<extra></extra>"))
    fig.update_yaxes(tickformat=".0%", range=[0, 1], title=label("win_rate", lang))
    if highlight is not None and highlight in names:
        # plotly reads tick text as (a safe subset of) HTML: the names are escaped, the subject's in bold
        fig.update_xaxes(tickmode="array", tickvals=names,
                         ticktext=[f"<b>{html.escape(n)}</b>" if n == highlight else html.escape(n) for n in names])
    return _layout(fig, label("win_rate", lang))


def plot_stage_durations(df: pd.DataFrame, *, lang: str = "zh", config: Config | None = None) -> go.Figure:
    """Median and 75th-percentile days per stage (finished stays)."""
    config = config or load_config()
    names = [config.stage_label(s, lang) for s in df["stage"]]
    fig = go.Figure([go.Bar(name=label("median_days", lang), x=names, y=df["median_days"]),
                     go.Bar(name=label("p75_days", lang), x=names, y=df["p75_days"])])
    fig.update_layout(barmode="group")
    return _layout(fig, label("median_days", lang))


def plot_funnel(df: pd.DataFrame, *, lang: str = "zh", config: Config | None = None) -> go.Figure:
    """Projects reaching each stage, with conversion from the first stage."""
    config = config or load_config()
    names = [config.stage_label(s, lang) for s in df["stage"]]
    fig = go.Figure(go.Funnel(y=names, x=df["reached"], textinfo="value+percent initial"))
    # the title says which population it counts: the spec's label (projects created in the period)
    from .metrics import SPECS

    return _layout(fig, SPECS["funnel"].column("reached").label(lang))


def plot_stage_timeline(visits: pd.DataFrame, *, lang: str = "zh", config: Config | None = None,
                        title: str | None = None) -> go.Figure:
    """A project's stage history as a Gantt chart: one horizontal bar per stage visit from
    ``entered_at`` to ``left_at`` (dates), one row per stage in model order (a stage visited twice has
    two bars on its row); the bar's text and hover give the days (``days``: left − entered); visits
    with ``ongoing`` True (still open at the state date, which ``left_at`` then holds) are drawn pale
    and marked. ``title`` is shown as text (the caller pseudonymises a redacted project's name)."""
    config = config or load_config()
    zh = lang == "zh"
    start = pd.to_datetime(visits["entered_at"])
    end = pd.to_datetime(visits["left_at"])
    names = [config.stage_label(s, lang) for s in visits["stage"]]
    ongoing = visits["ongoing"].astype(bool).tolist() if "ongoing" in visits else [False] * len(visits)
    days = [int(d) for d in visits["days"]]
    unit = "天" if zh else "days"
    fig = go.Figure(go.Bar(
        y=names, base=[d.strftime("%Y-%m-%d") for d in start],
        x=[(e - s).total_seconds() * 1000 for s, e in zip(start, end)], orientation="h",
        text=[f"{d} {unit}" for d in days], textposition="auto",
        marker={"color": [palette.PALE if o else palette.BLUE for o in ongoing]},
        customdata=list(zip([d.strftime("%Y-%m-%d") for d in start], [d.strftime("%Y-%m-%d") for d in end], days,
                            [("进行中" if zh else "ongoing") if o else "" for o in ongoing])),
        hovertemplate="%{y}<br>" + ("进入" if zh else "entered") + " %{customdata[0]}<br>"
                      + ("离开" if zh else "left") + " %{customdata[1]} %{customdata[3]}<br>%{customdata[2]} "
                      + unit + "<extra></extra>"))
    order = [config.stage_label(s, lang) for s in config.stage_keys if s in set(visits["stage"])]
    fig.update_yaxes(categoryorder="array", categoryarray=order, autorange="reversed", title=label("stage", lang))
    fig.update_xaxes(type="date")
    return _layout(fig, title or ("阶段时间线" if zh else "Stage timeline"))


def _text(zh: str, en: str, lang: str) -> str:
    return zh if lang == "zh" else en


def plot_win_rate_trend(df: pd.DataFrame, *, lang: str = "zh") -> go.Figure:
    """Win rate per quarter as a line with its Wilson interval as error bars. ``df``: ``quarter`` (label),
    ``won``, ``closed`` (the denominator), ``win_rate``, ``win_rate_low``, ``win_rate_high``."""
    fig = go.Figure(go.Scatter(
        x=list(df["quarter"]), y=df["win_rate"], mode="lines+markers", connectgaps=False,
        error_y={"type": "data", "symmetric": False, "array": df["win_rate_high"] - df["win_rate"],
                 "arrayminus": df["win_rate"] - df["win_rate_low"]},
        customdata=list(zip(df["won"], df["closed"])),
        hovertemplate="%{x}<br>" + label("win_rate", lang) + " %{y:.1%} (%{customdata[0]}/%{customdata[1]})"
                      "<extra></extra>"))
    fig.update_yaxes(tickformat=".0%", range=[0, 1], title=label("win_rate", lang))
    return _layout(fig, _text("赢单率季度趋势", "Win rate by quarter", lang))


def _trend_span(df: pd.DataFrame) -> list[str]:
    """The quarters a ``competitor-trend`` frame covers, oldest first: every quarter of its span
    (``attrs["options"]``: ``first_quarter`` .. ``last_quarter``, as the dashboard's table heads them),
    else the quarters in its rows, in time order ("2026-Q1" labels sort as text)."""
    from .periods import Period

    options = df.attrs.get("options") or {}
    first, last = options.get("first_quarter"), options.get("last_quarter")
    if not (first and last):
        return sorted(set(df["quarter"]))
    return [str(q) for q in Period.parse(f"{Period.parse(first).start}..{Period.parse(last).last_day}").split("quarter")]


def plot_competitor_trend(df: pd.DataFrame, *, lang: str = "zh", top: int = 5) -> go.Figure:
    """Our win rate against each of the ``top`` rivals met most (``competitor-trend``'s order), quarter by
    quarter over the metric's span, oldest first (:func:`_trend_span`): one line a rival (the palette's
    colour order), gaps where a quarter decided nothing against it; small samples drawn as hollow
    markers; the hover gives won ÷ decided (the denominator)."""
    quarters = _trend_span(df)
    fig = go.Figure()
    for rival in list(dict.fromkeys(df["competitor"]))[:top]:
        mine = df[df["competitor"] == rival].set_index("quarter").reindex(quarters)
        small = mine["small_sample"].fillna(True).astype(bool).tolist()
        fig.add_trace(go.Scatter(
            x=quarters, y=mine["win_rate"], name=str(rival), mode="lines+markers", connectgaps=False,
            marker={"symbol": ["circle-open" if s else "circle" for s in small], "size": 8},
            customdata=list(zip(mine["won"].fillna(0).astype(int), mine["decided"].fillna(0).astype(int))),
            hovertemplate="%{fullData.name} %{x}<br>" + label("win_rate", lang)
                          + " %{y:.1%} (%{customdata[0]}/%{customdata[1]})<extra></extra>"))
    fig.update_yaxes(tickformat=".0%", range=[0, 1], title=_text("对其赢单率", "Win rate against", lang))
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=quarters)
    return _layout(fig, _text(f"对主要竞争对手的赢单率（前 {top} 名，按季度）", f"Win rate against the top {top} rivals, by quarter",
                              lang))


def plot_reliability(df: pd.DataFrame, *, lang: str = "zh") -> go.Figure:
    """The reliability chart of a forecast's backtest: per 10-point range of the predicted probability
    (``range``, ``rows``, ``mean_predicted``, ``observed``), the observed rate against the mean predicted,
    marker size by the rows behind it, and the diagonal a calibrated forecast lies on."""
    rows = df["rows"].astype(float)
    size = 8 + 22 * (rows / rows.max()) ** 0.5 if len(rows) else rows
    fig = go.Figure([
        go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line={"color": palette.GREY, "dash": "dash"},
                   name=_text("完全校准", "perfectly calibrated", lang), hoverinfo="skip"),
        go.Scatter(x=df["mean_predicted"], y=df["observed"], mode="markers+lines", name=_text("回测", "backtest", lang),
                   marker={"size": list(size), "color": palette.BLUE}, line={"color": palette.BLUE},
                   customdata=list(zip(df["range"], df["rows"])),
                   hovertemplate="%{customdata[0]}<br>" + _text("平均预测", "mean predicted", lang) + " %{x:.1%}<br>"
                                 + _text("实际赢单", "observed", lang) + " %{y:.1%}<br>n = %{customdata[1]}<extra></extra>")])
    fig.update_xaxes(tickformat=".0%", range=[0, 1], title=_text("预测赢单概率", "predicted win probability", lang))
    fig.update_yaxes(tickformat=".0%", range=[0, 1], title=_text("实际赢单比例", "observed share won", lang))
    fig.update_layout(legend={"orientation": "h", "y": -0.2})
    return _layout(fig, _text("预测可靠性（回测）", "Forecast reliability (backtest)", lang))


def plot_target_attainment(df: pd.DataFrame, by: str, *, lang: str = "zh") -> go.Figure:
    """Target attainment (won ÷ target) per ``by`` value (``df[by]``, ``attainment``, ``won_amount``,
    ``target_amount`` in yuan) as bars, with a line at 100%."""
    names = [str(v) for v in df[by]]
    unit = 1e4 if lang == "zh" else 1.0      # hover in 万元 (zh) or yuan (en)
    fig = go.Figure(go.Bar(
        x=names, y=df["attainment"], marker={"color": palette.BLUE},
        customdata=list(zip(df["won_amount"] / unit, df["target_amount"] / unit)),
        hovertemplate="%{x}<br>" + _text("达成率", "Attainment", lang) + " %{y:.1%}<br>"
                      + _text("赢单 %{customdata[0]:,.2f} 万元 / 目标 %{customdata[1]:,.2f} 万元",
                              "won ¥%{customdata[0]:,.0f} / target ¥%{customdata[1]:,.0f}", lang)
                      + "<extra></extra>"))
    fig.add_hline(y=1.0, line={"dash": "dot", "color": palette.GREY})
    fig.update_yaxes(tickformat=".0%", rangemode="tozero", title=_text("目标达成率", "Target attainment", lang))
    title = {"region": ("各区域目标达成率", "Target attainment by region"),
             "director": ("各总监目标达成率", "Target attainment by director")}.get(by, ("目标达成率", "Target attainment"))
    return _layout(fig, _text(*title, lang))


def plot_channel_share(df: pd.DataFrame, *, lang: str = "zh") -> go.Figure:
    """Share of the won amount per channel partner and direct (``channel``: None = direct, ``won_share``
    0–1, ``won_amount`` yuan), as horizontal bars, largest first."""
    names = [str(v) if isinstance(v, str) else _text("直销", "direct", lang) for v in df["channel"]]
    fig = go.Figure(go.Bar(
        y=names, x=df["won_share"], orientation="h", marker={"color": palette.BLUE},
        customdata=list(df["won_amount"] / (1e4 if lang == "zh" else 1.0)),
        hovertemplate="%{y}<br>%{x:.1%}<br>" + _text("%{customdata:,.1f} 万元", "¥%{customdata:,.0f}", lang)
                      + "<extra></extra>"))
    fig.update_xaxes(tickformat=".0%", rangemode="tozero", title=_text("赢单金额占比", "Share of won amount", lang))
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, _text("渠道贡献（赢单金额占比）", "Channel contribution (share of won amount)", lang))


def plot_leaderboard(df: pd.DataFrame, *, lang: str = "zh") -> go.Figure:
    """Directors in rank order: the conservative score they are ranked by (bars, so the bars fall from
    left to right) and win rate with its Wilson interval (points with error bars), both 0–1. ``df``:
    ``director``, ``score_low`` (else ``score``), ``win_rate``, ``win_rate_low``, ``win_rate_high``,
    ``won``, ``closed``, in rank order."""
    names = [str(v) for v in df["director"]]
    bars = df["score_low"] if "score_low" in df else df["score"]
    fig = go.Figure([
        go.Bar(name=_text("保守得分（排名依据）", "Conservative score (ranked by)", lang), x=names, y=bars,
               marker={"color": palette.PALE},
               hovertemplate="%{x}<br>" + _text("保守得分", "Conservative score", lang) + " %{y:.2f}<extra></extra>"),
        go.Scatter(name=label("win_rate", lang) + " (" + label("interval", lang) + ")", x=names, y=df["win_rate"],
                   mode="markers", marker={"color": palette.ORANGE, "size": 9},
                   error_y={"type": "data", "symmetric": False, "array": df["win_rate_high"] - df["win_rate"],
                            "arrayminus": df["win_rate"] - df["win_rate_low"]},
                   customdata=list(zip(df["won"], df["closed"])),
                   hovertemplate="%{x}<br>" + label("win_rate", lang)
                                 + " %{y:.1%} (%{customdata[0]}/%{customdata[1]})<extra></extra>")])
    fig.update_yaxes(range=[0, 1], tickformat=".0%")
    fig.update_layout(legend={"orientation": "h", "y": -0.25})
    return _layout(fig, _text("项目总监排行（保守得分与赢单率）", "Director leaderboard (conservative score and win rate)",
                              lang))
