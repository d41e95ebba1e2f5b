"""Plotly output that works offline in rendered reports.

plotly's ``notebook`` renderer (plotly 7) writes a ``<script src="https://cdnjs…/mathjax…">`` beside
every figure (``include_mathjax="cdn"`` is hard-coded), which an intranet cannot load. The renderer
registered here, ``presales_offline``, inlines plotly.js once (the first figure of the kernel) and no
MathJax, as plain ``text/html`` that nbconvert keeps.

>>> import plotly.io as pio
>>> use_offline_renderer()
>>> pio.renderers.default
'presales_offline'
"""

from __future__ import annotations

from plotly.io._base_renderers import MimetypeRenderer

NAME = "presales_offline"
_state = {"plotlyjs_sent": False}   # per kernel: plotly copies renderer objects, so not on the instance


class OfflineRenderer(MimetypeRenderer):
    """``text/html`` with plotly.js inlined in the first figure only, and no MathJax."""

    def __init__(self, *, height: int = 450):
        self.height = height

    def to_mimebundle(self, fig_dict):
        from plotly.io import to_html

        html = to_html(fig_dict, full_html=False, include_plotlyjs=not _state["plotlyjs_sent"],
                       include_mathjax=False, default_width="100%", default_height=self.height, validate=False)
        _state["plotlyjs_sent"] = True
        return {"text/html": html}


def use_offline_renderer() -> None:
    """Make ``fig.show()`` (and a figure as a cell's last value) render offline; call once per kernel."""
    import plotly.io as pio

    if NAME not in pio.renderers:
        pio.renderers[NAME] = OfflineRenderer()
    pio.renderers.default = NAME
