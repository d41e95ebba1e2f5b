"""One look (issue 11): every colour a stylesheet, template, chart or the workbook uses comes from the
one palette (presentation/palette.py, Okabe–Ito for data), and plotly's default colours never show."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from presales_analytics import charts
from presales_analytics.presentation import palette

PACKAGE = Path(charts.__file__).resolve().parent
#: the files that carry colours
STYLED = ["charts.py", "dashboard/assets/dashboard.css", "dashboard/assets/dashboard.js",
          "dashboard/assets/dashboard.html", "dashboard/page.py", "reports/templates/offline/index.html.j2",
          "presentation/index.py", "exporting/workbook.py"]
HEX = re.compile(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b")
#: plotly's default qualitative colours (plotly.colors.qualitative.Plotly)
PLOTLY_DEFAULT = {"#636efa", "#ef553b", "#00cc96", "#ab63fa", "#ffa15a", "#19d3f3", "#ff6692", "#b6e880"}


def test_the_palette_is_okabe_ito_for_data():
    assert [palette.BLUE, palette.ORANGE, palette.SKY, palette.GREEN, palette.VERMILLION, palette.PURPLE,
            palette.YELLOW] == ["#0072b2", "#e69f00", "#56b4e9", "#009e73", "#d55e00", "#cc79a7", "#f0e442"]
    assert set(palette.COLORWAY) <= palette.ALL


def test_every_colour_in_the_styled_files_is_the_palettes():
    found = {}
    for name in STYLED:
        for colour in HEX.findall((PACKAGE / name).read_text(encoding="utf-8")):
            found.setdefault(colour.lower(), []).append(name)
    assert found, "no colour found: the file list is stale"
    stray = {c: files for c, files in found.items() if c not in palette.ALL}
    assert stray == {}


def test_the_workbook_header_fill_is_the_palettes():
    from presales_analytics.exporting.workbook import HEADER_FILL

    assert "#" + HEADER_FILL.fgColor.rgb[-6:].lower() == palette.HEADER_FILL


def test_charts_draw_in_palette_colours_only():
    """Every colour of every trace of a multi-series chart (the stage durations: median and p75) and the
    layout's colour order are the palette's; plotly's default #636efa / #EF553B never appear."""
    stages = pd.DataFrame({"stage": ["线索", "投标"], "stage_zh": ["线索", "投标"], "projects": [3, 2],
                           "median_days": [10.0, 20.0], "p75_days": [15.0, 30.0], "p90_days": [20.0, 40.0],
                           "mean_days": [12.0, 25.0]})
    for fig in (charts.plot_stage_durations(stages), charts.plot_win_rate(pd.DataFrame(
            {"director": ["张伟", "李娜"], "win_rate": [0.5, 0.25], "win_rate_low": [0.2, 0.05],
             "win_rate_high": [0.8, 0.6], "won": [2, 1], "closed": [4, 4], "small_sample": [False, True]}), "director")):
        # the layout's colour order overrides plotly_white's (which carries plotly's defaults); what the
        # figure itself sets, template aside, is the palette's only
        assert list(fig.layout.colorway) == palette.COLORWAY
        own = fig.to_plotly_json()
        own["layout"].pop("template", None)
        text = str(own).lower()
        assert not any(c in text for c in PLOTLY_DEFAULT)
        assert {c.lower() for c in HEX.findall(text)} <= palette.ALL
