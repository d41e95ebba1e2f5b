"""Charts: built from metric frames, labelled in Chinese or English, export text kept as text."""

from __future__ import annotations

import pandas as pd

from presales_analytics.charts import plot_funnel, plot_stage_durations, plot_win_rate

WIN = pd.DataFrame({"director": ["张伟", "<script>alert(1)</script>"], "won": [6, 1], "closed": [10, 2],
                    "win_rate": [0.6, 0.5], "win_rate_low": [0.3127, 0.0945], "win_rate_high": [0.8318, 0.9055],
                    "small_sample": [False, True]})


def test_win_rate_bars_carry_interval_denominator_and_small_sample():
    fig = plot_win_rate(WIN, "director")
    bar = fig.data[0]
    assert list(bar.x) == ["张伟", "<script>alert(1)</script>"] and list(bar.y) == [0.6, 0.5]
    assert [round(v, 4) for v in bar.error_y.array] == [0.2318, 0.4055]
    assert [round(v, 4) for v in bar.error_y.arrayminus] == [0.2873, 0.4055]
    assert [tuple(c) for c in bar.customdata] == [(6, 10, ""), (1, 2, "小样本")]
    assert fig.layout.title.text == "赢单率"
    assert plot_win_rate(WIN, "director", lang="en").layout.title.text == "Win rate"
    # plotly escapes text when it draws; the figure's JSON holds the name as data, not markup
    html = fig.to_html(full_html=False, include_plotlyjs=False)
    assert "<script>alert(1)</script>" not in html


def test_stage_durations_and_funnel_use_the_stage_names():
    durations = pd.DataFrame({"stage": ["lead", "bidding"], "median_days": [10.0, 30.0], "p75_days": [20.0, 45.0]})
    fig = plot_stage_durations(durations)
    assert list(fig.data[0].x) == ["线索", "投标"] and list(fig.data[1].y) == [20.0, 45.0]
    funnel = pd.DataFrame({"stage": ["lead", "qualified", "won"], "reached": [100, 60, 20]})
    f = plot_funnel(funnel, lang="en")
    assert list(f.data[0].y) == ["Lead", "Qualified", "Won"] and list(f.data[0].x) == [100, 60, 20]
