"""`presales report --due --dry-run`: the plan of a real run, printed, with nothing written; then the real
run renders exactly that plan. A real DuckDB from a hand-typed export; a one-cell audit notebook
($PRESALES_NOTEBOOKS) keeps the four renders quick: what is tested here is the scheduling, not the report."""

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

PRESALES = shutil.which("presales", path=str(Path(sys.executable).parent)) or "presales"
HEADER = ["项目编号", "项目名称", "项目总监", "金额", "项目阶段", "状态", "创建日期", "结束日期"]
# first created 2026-05-10, latest date 2026-08-20: May, June, Q2 and July have ended in the data
ROWS = [["P1", "杭州智慧停车", "张伟", "100", "谈判", "赢单", "2026-05-10", "2026-07-15"],
        ["P2", "宁波停车诱导", "张伟", "50", "投标", "丢单", "2026-06-01", "2026-08-20"],
        ["P3", "温州静态交通", "李娜", "30", "立项", "进行中", "2026-06-15", ""]]
DUE = ["2026-05", "2026-Q2", "2026-06", "2026-07"]          # by end, then the longer first


def run(*args: str, cwd: Path, **extra_env: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PRESALES_DB", "PRESALES_CONFIG")}
    env |= {"COLUMNS": "200", "PRESALES_NOTEBOOKS": str(cwd / "notebooks")} | extra_env
    return subprocess.run([PRESALES, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def listing(root: Path) -> list[tuple[str, int, int]]:
    """Every file and folder under ``root`` with its size and modification time."""
    return sorted((p.relative_to(root).as_posix(), p.stat().st_size, p.stat().st_mtime_ns)
                  for p in [root, *root.rglob("*")])


def targets(stdout: str, verb: str) -> list[str]:
    return re.findall(rf"^{verb} reports/(\S+)/audit\.html", stdout, flags=re.M)


@pytest.fixture
def project(tmp_path):
    import nbformat

    con = pa.connect(tmp_path / "d.duckdb")
    pa.load(con, [write_csv(tmp_path / "p.csv", [HEADER, *ROWS])])
    con.close()
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "language": "python",
                                                           "display_name": "Python 3"}})
    params = nbformat.v4.new_code_cell('period = ""\ndatabase = ""\nscope = "company"\nlang = "zh"\n'
                                       'redact = False\nas_of = ""')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("print('audit', period)")]
    (tmp_path / "notebooks").mkdir()
    nbformat.write(nb, tmp_path / "notebooks" / "audit_report.ipynb")
    return tmp_path


def test_dry_run_lists_the_plan_writes_nothing_and_the_real_run_follows_it(project, tmp_path_factory):
    never = tmp_path_factory.mktemp("config") / "presales.toml"
    never.write_text('[reports]\nrefresh = "never"\n', encoding="utf-8")
    before = listing(project)
    dry = run("report", "--due", "--dry-run", "--db", "d.duckdb", cwd=project)
    assert dry.returncode == 0, dry.stderr
    assert listing(project) == before                  # no report, index, lock file or folder
    assert not (project / "reports").exists()
    assert targets(dry.stdout, "would render") == DUE
    assert "would render reports/2026-05/audit.html: no report yet" in dry.stdout
    assert "dry run: 4 would be rendered, 0 skipped; nothing written" in dry.stdout

    real = run("report", "--due", "--db", "d.duckdb", cwd=project)
    assert real.returncode == 0, real.stderr
    assert targets(real.stdout, "rendering") == DUE
    assert sorted(p.parent.name for p in (project / "reports").glob("*/audit.html")) == sorted(DUE)
    assert "4 rendered, 0 already there" in real.stdout

    again = run("report", "--due", "--dry-run", "--db", "d.duckdb", cwd=project)
    assert again.returncode == 0, again.stderr
    assert targets(again.stdout, "would render") == []
    assert targets(again.stdout, "skip") == DUE
    assert "skip reports/2026-Q2/audit.html: already there, rendered from the same data" in again.stdout
    assert "dry run: 0 would be rendered, 4 skipped; nothing written" in again.stdout

    # a late export: every report was made from older loads; refresh = "never" keeps them all
    con = pa.connect(project / "d.duckdb")
    pa.load(con, [write_csv(project / "late.csv", [HEADER, ["P4", "湖州停车", "张伟", "5", "谈判", "赢单",
                                                             "2026-06-03", "2026-07-20"]])])
    con.close()
    before = listing(project)
    stale = run("report", "--due", "--dry-run", "--db", "d.duckdb", cwd=project)
    assert stale.returncode == 0, stale.stderr
    assert targets(stale.stdout, "would render") == DUE
    assert ("would render reports/2026-07/audit.html again: the data loaded changed since it was rendered"
            in stale.stdout)
    kept = run("report", "--due", "--dry-run", "--db", "d.duckdb", cwd=project, PRESALES_CONFIG=str(never))
    assert kept.returncode == 0, kept.stderr
    assert targets(kept.stdout, "skip") == DUE and 'refresh = "never" keeps it' in kept.stdout
    assert listing(project) == before


def test_dry_run_without_due_is_an_error(project):
    r = run("report", "audit", "--dry-run", "--db", "d.duckdb", cwd=project)
    assert r.returncode == 2 and "--dry-run goes with --due" in r.stderr
    assert not (project / "reports").exists()


def test_a_report_not_made_by_due_is_rendered_again(tmp_path):
    from presales_analytics.periods import Period
    from presales_analytics.reports.schedule import decide_due, stamp_path

    q = Period.parse("2026-Q2")
    target = tmp_path / "2026-Q2" / "audit.html"
    assert [(d.render, d.why) for d in decide_due([q], "abc", tmp_path)] == [(True, "no report yet")]
    target.parent.mkdir()
    target.write_text("<html>", encoding="utf-8")
    (plan,) = decide_due([q], "abc", tmp_path)
    assert plan.render and plan.again and "not rendered by --due" in plan.why
    stamp_path(target).write_text("abc\n", encoding="utf-8")
    (plan,) = decide_due([q], "abc", tmp_path)
    assert not plan.render and str(plan) == f"{target}: already there, rendered from the same data"
