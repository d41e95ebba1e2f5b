"""The one colour palette of every output: report stylesheet, dashboard stylesheet, charts and the
workbook's header fill. The colours of data are Okabe & Ito's (2008) set, which readers with any of the
common colour-vision deficiencies tell apart; the rest are neutral greys. ``tests/test_palette.py`` fails
when a stylesheet, template or chart uses a colour that is not here.

Meanings, the same everywhere:

- :data:`BLUE` the figure itself (bars, lines, links, a tile's accent); :data:`PALE` the same figure
  resting on a small sample, or still in progress.
- :data:`ORANGE` a second series beside the first (a rate's dots on a score's bars, p75 beside the median);
  the person a review is about, among their peers (their bar, the edge of their row).
- :data:`GREEN` better than before; :data:`FAIL` (a darker vermillion, readable as text on white) worse
  than before, or a value failing a policy threshold, on :data:`FAIL_FILL`.
- :data:`GREY` reference lines (100% of target, the calibrated diagonal).
"""

from __future__ import annotations

BLUE = "#0072b2"
SKY = "#56b4e9"
PALE = "#a9cce3"
ORANGE = "#e69f00"
GREEN = "#009e73"
VERMILLION = "#d55e00"
PURPLE = "#cc79a7"
YELLOW = "#f0e442"
#: vermillion darkened to a 5.6:1 contrast on white, for text and borders
FAIL = "#b03a00"
FAIL_FILL = "#fff1e6"
GREY = "#888888"

INK = "#1f2933"
MUTED = "#52606d"
LINE = "#d9e2ec"
BORDER = "#cbd5e0"
HEADER_FILL = "#edf2f7"
BACKGROUND = "#f5f7fa"
WHITE = "#ffffff"

#: plotly's colour order for charts with several series
COLORWAY = [BLUE, ORANGE, SKY, GREEN, VERMILLION, PURPLE, YELLOW]

#: every colour an output may use
ALL = frozenset({BLUE, SKY, PALE, ORANGE, GREEN, VERMILLION, PURPLE, YELLOW, FAIL, FAIL_FILL, GREY,
                 INK, MUTED, LINE, BORDER, HEADER_FILL, BACKGROUND, WHITE})

__all__ = ["BLUE", "SKY", "PALE", "ORANGE", "GREEN", "VERMILLION", "PURPLE", "YELLOW", "FAIL", "FAIL_FILL",
           "GREY", "INK", "MUTED", "LINE", "BORDER", "HEADER_FILL", "BACKGROUND", "WHITE", "COLORWAY", "ALL"]
