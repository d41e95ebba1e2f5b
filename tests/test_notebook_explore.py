"""The exploration notebook runs through papermill with database and period only, on the director
review's fixture (tests/test_report_director.py; its presales.toml: small_sample 2, 90-day stall limits).

Closed in 2026-Q3: won P1 P5 P6 P8 P10 P11, lost P2 P7 P9 → 6/9 = 0.666667. Statuses: won 7 (with P4,
closed in May), lost 3, open 2 (P3, P12). The region with most projects is 华东 (P1–P7, 7 of 12); in
it: 张伟 1/2, 李娜 2/3. At 2026-09-30 P3 has been in 方案设计 since 06-01: 121 days, 31 over the 90.
The SQL cell, Q3 closes per director, won DESC then director: 李娜 2/3 (50 + 80 = 130万), 王芳 2/2
(40 + 45 = 85万), <img …> 1/2 (70万), 张伟 1/2 (100万).
The last test checks that ``papermill --help-notebook`` documents the six parameters of every notebook.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from test_report_director import EVIL_DIRECTOR, NOTEBOOKS, assert_offline_and_codeless, make_db, render


@pytest.fixture(scope="module")
def html(tmp_path_factory):
    root = tmp_path_factory.mktemp("explore")
    make_db(root)
    return re.sub(r">\s+<", "><", render(root, "explore.ipynb", "explore.html", period="2026-Q3"))


def test_metrics_scope_and_sql_figures(html):
    assert "2026-Q3 2026年第3季度 2026-07-01 2026-10-01" in html
    assert "<td>won</td><td>7</td></tr><tr><th>1</th><td>lost</td><td>3</td></tr><tr><th>2</th><td>open</td><td>2</td>" in html
    assert "closed = won + lost + abandoned, projects closed in 2026-Q3" in html
    assert "<td>6</td><td>3</td><td>0</td><td>9</td><td>0.666667</td>" in html
    assert "区域：华东" in html
    assert "<td>张伟</td><td>1</td><td>1</td><td>0</td><td>2</td><td>0.500000</td>" in html
    assert "<td>李娜</td><td>2</td><td>1</td><td>0</td><td>3</td><td>0.666667</td>" in html
    assert "<td>P3</td><td>张伟</td><td>solution</td><td>121</td><td>31.0</td>" in html
    assert ("<td>李娜</td><td>2</td><td>3</td><td>130.0</td></tr><tr><th>1</th><td>王芳</td><td>2</td><td>2</td>"
            "<td>85.0</td></tr><tr><th>2</th><td>&lt;img src=x onerror=alert(1)&gt;</td><td>1</td><td>2</td>"
            "<td>70.0</td></tr><tr><th>3</th><td>张伟</td><td>1</td><td>2</td><td>100.0</td>") in html


def test_chart_offline_and_text_escaped(html):
    assert_offline_and_codeless(html, charts=1)
    assert EVIL_DIRECTOR not in html


@pytest.mark.parametrize("notebook", ["director_review", "project_summary", "explore"])
def test_help_notebook_documents_the_parameters(notebook):
    exe = Path(sys.executable).parent / "papermill"
    r = subprocess.run([str(exe), "--help-notebook", str(NOTEBOOKS / f"{notebook}.ipynb")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    for line in ('period: str (default "")', 'database: str (default "")', 'lang: str (default "zh")',
                 "redact: bool (default False)", 'as_of: str (default "")', "scope: str (default",
                 "DuckDB file; empty: $PRESALES_DB or data/presales.duckdb", "zh or en",
                 "YYYY-MM-DD: use only what was known then"):
        assert line in out, (notebook, line)
    scope_help = {"director_review": "required: director:<name>", "project_summary": "required: project:<project id>",
                  "explore": "company, region:<name>, department:<name> or director:<name>"}[notebook]
    assert scope_help in out
