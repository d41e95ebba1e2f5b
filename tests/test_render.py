"""Rendering core of the reports: a real notebook through papermill and nbconvert, offline HTML."""

from __future__ import annotations

import re

import nbformat
import pytest

from presales_analytics.reports.render import RenderError, render_notebook


def notebook(path, cells: list[str]) -> str:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('title: str = "赢单率"  # report title\nrate: float = 0.31  # a rate')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params] + [nbformat.v4.new_code_cell(c) for c in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return str(path)


CHART = """import plotly.graph_objects as go
from IPython.display import HTML, display
from presales_analytics.reports.offline import use_offline_renderer
use_offline_renderer()
display(HTML(f"<h1>{title}：{rate:.0%}</h1>"))
go.Figure(go.Bar(x=["张伟", "李娜"], y=[0.5, 0.25])).show()
go.Figure(go.Scatter(x=[1, 2], y=[3, 4])).show()"""


def test_offline_html_with_one_inline_plotly_and_no_code(tmp_path):
    src = notebook(tmp_path / "r.ipynb", [CHART])
    out = render_notebook(src, tmp_path / "out" / "r.html", parameters={"rate": 0.42})
    html = out.html.read_text(encoding="utf-8")
    assert "赢单率：42%" in html                                   # the injected parameter, in Chinese
    assert html.count('class="plotly-graph-div"') == 2
    from plotly.offline import get_plotlyjs
    bundle = get_plotlyjs()
    assert html.count(bundle[1000:1200]) == 1 and html.count(bundle[-200:]) == 1   # plotly.js inlined exactly once
    assert not re.search(r"<script[^>]+src=[\"']?https?:", html)
    assert not re.search(r"<link[^>]+href=[\"']?https?:", html)
    assert "go.Figure" not in html and "use_offline_renderer" not in html  # no code
    assert "tex-svg.min.js" not in html                            # no MathJax from a CDN (plotly's notebook renderer adds it)
    assert "jp-InputPrompt" not in html or "In&nbsp;[" not in html
    assert '<meta charset="utf-8"' in html
    assert out.notebook.exists()


def test_a_failing_cell_names_the_cell_and_leaves_no_html(tmp_path):
    src = notebook(tmp_path / "bad.ipynb", ["x = 1", "raise ValueError('数据不足')"])
    target = tmp_path / "out" / "bad.html"
    with pytest.raises(RenderError) as info:
        render_notebook(src, target)
    assert "ValueError" in str(info.value) and "数据不足" in str(info.value) and "cell" in str(info.value)
    assert not target.exists() and info.value.notebook.exists()
    assert not list(target.parent.glob("*.html*"))


def test_nbformat_imports_without_the_rfc3987_grammar():
    """Every report imports nbformat twice (the CLI's papermill, the kernel's plotly renderer); with
    rfc3987-syntax installed, jsonschema compiles its lark grammar on each import (~2 s). The lock
    leaves it out (README, Development): a re-lock that brings it back fails here."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", "import sys, nbformat, plotly.io as pio; pio.renderers; "
                          "print(sorted(m for m in ('rfc3987_syntax', 'lark') if m in sys.modules))"],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_executed_notebook_is_written_at_the_end_not_after_every_cell(tmp_path):
    """papermill saves the executed notebook after every cell unless told not to; with plotly.js in
    the notebook that is ~3 s a report. A cell after the chart looks for the executed notebook on
    disk: it is not there yet (saved per cell, it would hold the chart's output by then)."""
    executed = tmp_path / "out" / "late.ipynb"
    src = notebook(tmp_path / "late.ipynb", [CHART, f"import os\nassert not os.path.exists({str(executed)!r})"])
    out = render_notebook(src, tmp_path / "out" / "late.html")
    assert out.notebook == executed and executed.stat().st_size > 1_000_000     # plotly.js inside
