"""The audit report notebook, executed by papermill and rendered by nbconvert, on a small fixture."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import presales_analytics as pa

from conftest import write_csv

EVIL = "<img src=x onerror=alert(1)>"
XSS = "<script>alert(1)</script>"
HEADER = ["项目编号", "项目名称", "客户名称", "项目总监", "金额", "项目阶段", "状态", "创建日期", "结束日期"]
ROWS = [
    ["P1", "杭州智慧停车", "杭州市城市管理局", "张伟", "100", "谈判", "赢单", "2026-01-10", "2026-07-15"],
    ["P2", "宁波停车诱导", "宁波市交通局", "张伟", "50", "投标", "赢单", "2026-03-01", "2026-08-20"],
    ["P3", "温州静态交通", "温州市公安局", EVIL, "30", "投标", "丢单", "2026-02-01", "2026-09-10"],
    ["P4", "绍兴停车场", "绍兴市城管局", EVIL, "20", "立项", "丢单", "2026-05-01", "2026-09-20"],
    ["P5", "嘉兴停车", "嘉兴市交通局", "张伟", "20", "立项", "进行中", "2026-04-20", ""],   # stalled: 153 d > p75 142 d
    ["P6", XSS, "湖州市交通局", "张伟", "10", "立项", "进行中", "2025-01-05", ""],   # stalled since 2025
]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    con = pa.connect(root / "r.duckdb")
    pa.load(con, [write_csv(root / "p.csv", [HEADER, *ROWS])])
    con.close()
    exe = shutil.which("presales", path=str(Path(sys.executable).parent))
    env = {k: v for k, v in os.environ.items() if k != "PRESALES_DB"}
    out = {}
    for lang in ("zh", "en"):
        r = subprocess.run([exe, "report", "audit", "--period", "2026-Q3", "--lang", lang, "--db", "r.duckdb",
                            "--out", f"out-{lang}"], cwd=root, env=env, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        name = "audit.html" if lang == "zh" else "audit-en.html"
        out[lang] = (root / f"out-{lang}" / "2026-Q3" / name).read_text(encoding="utf-8")
        out[f"{lang}_path"] = root / f"out-{lang}" / "2026-Q3" / name
    return out


def test_figures_charts_and_offline(rendered):
    html = rendered["zh"]
    # Q3: won P1 P2, lost P3 P4 -> 2/4 = 50%; Q2 closed nothing
    assert "赢单率 50.0%（2/4）" in html
    assert html.count('class="plotly-graph-div"') == 4      # win rate, durations, funnel; the forecast's reliability
    from plotly.offline import get_plotlyjs
    assert html.count(get_plotlyjs()[-200:]) == 1
    assert not re.search(r"<script[^>]+src=[\"']?https?:", html)
    assert not re.search(r"<link[^>]+href=[\"']?https?:", html)
    assert "compute(ctx.con" not in html                   # no code cells
    assert "Win rate 50.0% (2/4)" in rendered["en"]
    # no export names a project manager, monitor or planner: the 关键成员考核 section says so, in both languages
    assert "导出数据未列出项目经理、项目监控人或规划经理（列：项目经理、监控人、规划经理），无法考核关键成员。" in html
    assert "key members cannot be assessed" in rendered["en"]


def test_every_chart_draws_in_headless_chromium_offline(rendered, browser):
    from browser import open_offline

    for lang in ("zh", "en"):
        o = open_offline(browser, rendered[f"{lang}_path"])
        o.page.wait_for_function("document.querySelectorAll('.plotly-graph-div .main-svg').length > 0")
        drawn = o.page.evaluate("""() => [...document.querySelectorAll('.plotly-graph-div')].map(
            d => d.querySelectorAll('svg.main-svg .trace, svg.main-svg .bars path, svg.main-svg .point').length)""")
        assert len(drawn) == 4 and all(n > 0 for n in drawn), drawn     # the 4th: the forecast's reliability chart
        assert o.problems == []
        o.page.context.close()


def test_text_from_exports_is_escaped(rendered):
    for html in (rendered["zh"], rendered["en"]):
        assert EVIL not in html and XSS not in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html      # the stalled project's name, as text


def test_a_failing_report_exits_non_zero_and_publishes_nothing(tmp_path):
    exe = shutil.which("presales", path=str(Path(sys.executable).parent))
    env = {k: v for k, v in os.environ.items() if k != "PRESALES_DB"}
    pa.connect(tmp_path / "empty.duckdb").close()
    r = subprocess.run([exe, "report", "audit", "--db", "empty.duckdb"], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "period" in r.stderr
    assert not list(tmp_path.glob("reports/**/*.html"))


def test_due_renders_each_ended_period_once_and_lists_them(tmp_path):
    con = pa.connect(tmp_path / "d.duckdb")
    rows = [r[:] for r in ROWS if r[0] in ("P1", "P2")]
    rows[0][7], rows[1][7] = "2026-07-01", "2026-07-02"          # created in July; latest date 2026-08-20
    pa.load(con, [write_csv(tmp_path / "p.csv", [HEADER, *rows])])
    con.close()
    exe = shutil.which("presales", path=str(Path(sys.executable).parent))
    env = {k: v for k, v in os.environ.items() if k != "PRESALES_DB"}
    first = subprocess.run([exe, "report", "--due", "--db", "d.duckdb"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    # data runs 2026-07-01 .. 2026-08-20: only July has ended in the data
    assert sorted(p.relative_to(tmp_path / "reports").as_posix()
                  for p in (tmp_path / "reports").glob("*/*.html")) == ["2026-07/audit.html"]
    assert "1 rendered, 0 already there" in first.stdout
    second = subprocess.run([exe, "report", "--due", "--db", "d.duckdb"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert second.returncode == 0 and "0 rendered, 1 already there" in second.stdout
    index = (tmp_path / "reports" / "index.html").read_text(encoding="utf-8")
    assert 'href="2026-07/audit.html"' in index and "2026年7月" in index
    assert "赢单率 100.0%（1/1）" in (tmp_path / "reports" / "2026-07" / "audit.html").read_text(encoding="utf-8")
    # a late export changes July's data: the next run renders July again, once
    con = pa.connect(tmp_path / "d.duckdb")
    pa.load(con, [write_csv(tmp_path / "late.csv", [HEADER, ["P7", "湖州停车", "湖州市交通局", "张伟", "5", "谈判",
                                                             "赢单", "2026-07-03", "2026-07-20"]])])
    con.close()
    third = subprocess.run([exe, "report", "--due", "--db", "d.duckdb"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=300)
    assert third.returncode == 0 and "again: the data loaded changed" in third.stdout
    assert "1 rendered, 0 already there" in third.stdout
    assert "赢单率 100.0%（2/2）" in (tmp_path / "reports" / "2026-07" / "audit.html").read_text(encoding="utf-8")
    fourth = subprocess.run([exe, "report", "--due", "--db", "d.duckdb"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert "0 rendered, 1 already there" in fourth.stdout


def test_one_due_run_at_a_time(tmp_path):
    from presales_analytics.reports.schedule import ReportsBusyError, render_due, reports_lock

    with reports_lock(tmp_path / "reports"):
        with pytest.raises(ReportsBusyError, match="another report run"):
            render_due(tmp_path / "x.duckdb", tmp_path / "reports", config=pa.load_config(),
                       render=lambda p, t: None, log=lambda line: None)


def test_redact_leaves_no_customer_or_project_name(tmp_path):
    con = pa.connect(tmp_path / "r.duckdb")
    pa.load(con, [write_csv(tmp_path / "p.csv", [HEADER, *ROWS])])
    con.close()
    exe = shutil.which("presales", path=str(Path(sys.executable).parent))
    env = {k: v for k, v in os.environ.items() if k != "PRESALES_DB"}
    plain = subprocess.run([exe, "report", "audit", "--period", "2026-Q3", "--db", "r.duckdb"], cwd=tmp_path,
                           env=env, capture_output=True, text=True, timeout=300)
    assert plain.returncode == 0, plain.stderr
    assert "嘉兴停车" in (tmp_path / "reports" / "2026-Q3" / "audit.html").read_text(encoding="utf-8")  # stalled
    r = subprocess.run([exe, "report", "audit", "--period", "2026-Q3", "--redact", "--db", "r.duckdb"], cwd=tmp_path,
                       env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    html = (tmp_path / "reports" / "2026-Q3" / "audit-redacted.html").read_text(encoding="utf-8")
    for row in ROWS:
        assert row[1] not in html and row[2] not in html, row[:3]
    assert "项目-001" in html


def _presales(args, cwd, **env_extra):
    exe = shutil.which("presales", path=str(Path(sys.executable).parent))
    env = {k: v for k, v in os.environ.items() if k != "PRESALES_DB"} | env_extra
    return subprocess.run([exe, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_scope_report_for_one_director_with_a_hostile_name(tmp_path):
    con = pa.connect(tmp_path / "r.duckdb")
    pa.load(con, [write_csv(tmp_path / "p.csv", [HEADER, *ROWS])])
    con.close()
    r = _presales(["report", "audit", "--period", "2026-Q3", "--scope", f"director:{EVIL}", "--db", "r.duckdb"],
                  tmp_path)
    assert r.returncode == 0, r.stderr
    page = tmp_path / "reports" / "2026-Q3" / "audit-director-_img_src=x_onerror=alert(1)_.html"
    html = page.read_text(encoding="utf-8")
    assert "赢单率 0.0%（0/2）" in html                # P3 and P4, both lost in Q3
    assert "杭州智慧停车" not in html                  # 张伟's projects are out of scope
    assert EVIL not in html and "项目总监：&lt;img src=x onerror=alert(1)&gt;" in html
    # this fixture's export has no region column at all: the error names the column to add (not "known: none")
    unknown = _presales(["report", "audit", "--scope", "region:华北", "--db", "r.duckdb"], tmp_path)
    assert unknown.returncode == 2 and "--scope region:<name> needs the column 'region'" in unknown.stderr
    assert "[columns] region" in unknown.stderr and not list((tmp_path / "reports").rglob("*region*"))
    unknown = _presales(["report", "audit", "--scope", "director:无此人", "--db", "r.duckdb"], tmp_path)
    assert unknown.returncode == 2 and "no project has director '无此人'" in unknown.stderr


def test_a_failing_notebook_exits_non_zero_names_the_cell_and_publishes_nothing(tmp_path):
    import nbformat

    con = pa.connect(tmp_path / "r.duckdb")
    pa.load(con, [write_csv(tmp_path / "p.csv", [HEADER, *ROWS])])
    con.close()
    from presales_analytics.reports.kinds import notebook_path

    nb = nbformat.read(notebook_path("audit"), as_version=4)
    nb.cells.insert(4, nbformat.v4.new_code_cell("raise RuntimeError('deliberate failure')"))
    (tmp_path / "mine").mkdir()
    nbformat.write(nb, tmp_path / "mine" / "audit_report.ipynb")
    r = _presales(["report", "audit", "--period", "2026-Q3", "--db", "r.duckdb"], tmp_path,
                  PRESALES_NOTEBOOKS=str(tmp_path / "mine"))
    assert r.returncode == 2
    assert "cell 5 (raise RuntimeError('deliberate failure')) failed: RuntimeError: deliberate failure" in r.stderr
    assert not list((tmp_path / "reports").glob("**/*.html"))
    assert (tmp_path / "reports" / "2026-Q3" / "audit.failed.ipynb").exists()  # kept for diagnosis, beside the old
