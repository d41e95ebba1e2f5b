"""The output writers and the command line's failures (issue 10): long names, nothing half-written,
full disk and permission denied, every period, redaction of every output. Real subprocesses, real
DuckDB files, real notebooks."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import presales_analytics as pa
from presales_analytics.presentation.names import MAX_NAME_BYTES, output_name, shorten

from conftest import write_csv

PRESALES = shutil.which("presales", path=str(Path(sys.executable).parent)) or "presales"

LONG_DIRECTOR = "张" * 75                      # 75 characters, 225 bytes of UTF-8
LONG_ID = "P" * 300
HEADER = ["项目编号", "项目名称", "客户名称", "项目总监", "区域", "系统部", "金额（万元）", "项目阶段", "状态",
          "创建日期", "结束日期"]


def presales(*args: str, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PRESALES_DB"}
    env["COLUMNS"] = "200"
    return subprocess.run([PRESALES, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def make_db(root: Path, rows: list[list[str]], name: str = "商机.csv") -> Path:
    con = pa.connect(root / "t.duckdb")
    pa.load(con, [write_csv(root / name, [HEADER, *rows])])
    con.close()
    return root / "t.duckdb"


# --- 1. long names ---------------------------------------------------------------------------------

def test_shorten_counts_utf8_bytes_and_is_stable():
    short = "director-" + "张" * 30                  # 99 bytes: kept as it is
    assert shorten(short, 100) == short
    long = "director-" + "张" * 75                   # 234 bytes
    cut = shorten(long, 100)
    digest = hashlib.sha256(long.encode()).hexdigest()[:10]
    # 100 - 11 ("~" + 10 hex) = 89 bytes of room: "director-" (9) + 26 whole characters (78) = 87
    assert cut == "director-" + "张" * 26 + "~" + digest
    assert len(cut.encode()) == 98 and shorten(long, 100) == cut
    assert shorten("director-" + "张" * 74 + "李", 100) != cut      # another name, another hash
    name = output_name("director-review", scope=long, redact=True, lang="en")
    assert name.endswith(f"~{digest}-redacted-en.html") and len(name.encode()) <= MAX_NAME_BYTES


def test_long_director_name_and_project_id_do_not_crash_any_writer(tmp_path):
    make_db(tmp_path, [
        [LONG_ID, "杭州智慧停车", "杭州市城市管理局", LONG_DIRECTOR, "华东", "政府系统部", "100", "谈判", "赢单",
         "2026-01-10", "2026-07-15"],
        ["P2", "宁波停车诱导", "宁波市交通局", "李娜", "华东", "政府系统部", "50", "投标", "丢单", "2026-03-01", "2026-08-20"],
        ["P3", "嘉兴停车", "嘉兴市交通局", LONG_DIRECTOR, "华东", "政府系统部", "20", "立项", "进行中", "2026-04-20", ""],
        ["P4", "保定停车", "保定市城管局", "李娜", "华东", "政府系统部", "20", "立项", "进行中", "2026-10-20", ""]])
    scope = f"director:{LONG_DIRECTOR}"
    digest = hashlib.sha256(f"director-{LONG_DIRECTOR}".encode()).hexdigest()[:10]
    runs = {"director-review": ("report", "director-review", "--scope", scope, "--period", "2026-Q3"),
            "dashboard": ("dashboard", "--scope", scope, "--period", "2026-Q3"),
            "workbook": ("export", "xlsx", "--scope", scope, "--period", "2026-Q3"),
            "project-summary": ("report", "project-summary", "--scope", f"project:{LONG_ID}")}
    written = {}
    for what, args in runs.items():
        r = presales(*args, "--db", "t.duckdb", cwd=tmp_path)
        assert r.returncode == 0, (what, r.stderr[-2000:])
        written[what] = Path(tmp_path / "".join(r.stdout.split()))   # the printed path (rich may wrap it)
        assert written[what].is_file(), what
        assert len(written[what].name.encode()) <= MAX_NAME_BYTES, what
    assert written["director-review"].name == f"director-review-director-{'张' * 26}~{digest}.html"
    assert written["dashboard"].name == f"dashboard-director-{'张' * 28}~{digest}.html"
    assert written["workbook"].name == f"workbook-director-{'张' * 28}~{digest}.xlsx"
    id_digest = hashlib.sha256(f"project-{LONG_ID}".encode()).hexdigest()[:10]
    assert written["project-summary"].name == f"project-summary-project-{'P' * 80}~{id_digest}.html"
    assert written["project-summary"].with_suffix(".ipynb").is_file()
    # stable: a second rendering replaces the same file, it does not add one
    before = sorted(p.name for p in (tmp_path / "reports" / "2026-Q3").iterdir())
    r = presales(*runs["director-review"], "--db", "t.duckdb", cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert sorted(p.name for p in (tmp_path / "reports" / "2026-Q3").iterdir()) == before


# --- 2. nothing half-written -----------------------------------------------------------------------

DUE_ROWS = [["P1", "杭州智慧停车", "杭州市城市管理局", "张伟", "华东", "政府系统部", "100", "谈判", "赢单", "2026-01-10", "2026-02-15"],
            ["P2", "宁波停车诱导", "宁波市交通局", "李娜", "华东", "政府系统部", "50", "投标", "丢单", "2026-01-20", "2026-05-20"],
            ["P3", "嘉兴停车", "嘉兴市交通局", "张伟", "华东", "政府系统部", "20", "立项", "进行中", "2026-04-20", ""],
            ["P4", "保定停车", "保定市城管局", "李娜", "华东", "政府系统部", "20", "立项", "进行中", "2026-07-20", ""]]


def _complete(path: Path) -> bool:
    """An output as a finished render writes it: the whole HTML page; a notebook papermill finished."""
    import json

    if path.suffix == ".html":
        return path.read_text(encoding="utf-8").rstrip().endswith("</html>")
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text(encoding="utf-8"))
        return bool(nb["metadata"].get("papermill", {}).get("end_time"))
    return path.stat().st_size > 0


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_killed_report_due_leaves_the_previous_outputs_and_no_partial_or_temporary_file(tmp_path):
    import signal
    import time

    make_db(tmp_path, DUE_ROWS)
    (tmp_path / "presales.toml").write_text('[reports]\ndue = ["quarter"]\n', encoding="utf-8")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PRESALES_DB"} | {"TMPDIR": str(scratch)}
    start = time.monotonic()
    r = subprocess.run([PRESALES, "report", "--due", "--db", "t.duckdb"], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=300)
    took = time.monotonic() - start
    assert r.returncode == 0 and "2 rendered" in r.stdout, r.stderr[-2000:]
    reports = tmp_path / "reports"
    before = _snapshot(reports)
    assert {"2026-Q1/audit.html", "2026-Q1/audit.ipynb", "2026-Q2/audit.html", "2026-Q2/audit.ipynb"} <= set(before)
    # a late export changes the data: the next run renders both quarters again
    con = pa.connect(tmp_path / "t.duckdb")
    pa.load(con, [write_csv(tmp_path / "补充.csv", [HEADER, ["P5", "湖州停车", "湖州市交通局", "张伟", "华东", "政府系统部",
                                                         "30", "谈判", "赢单", "2026-02-01", "2026-03-10"]])])
    con.close()
    for moment in (0.3, 0.7):          # inside the first quarter's render, then inside the second's
        run = subprocess.Popen([PRESALES, "report", "--due", "--db", "t.duckdb"], cwd=tmp_path, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(took * moment)
        assert run.poll() is None, "the run ended before it could be killed"
        os.kill(run.pid, signal.SIGKILL)
        run.wait(timeout=30)
        after = _snapshot(reports)
        assert not [n for n in after if n.endswith(".tmp") or "/." in n and not n.endswith(".data")], after.keys()
        assert set(after) == set(before), moment
        for name, data in after.items():
            assert data == before[name] or _complete(reports / name), (moment, name)
            assert len(data) > 0 or name == ".presales-report.lock", name
        # at least the file being rendered when killed is still the old one
        assert after["2026-Q2/audit.html"] == before["2026-Q2/audit.html"]
        assert after["2026-Q2/audit.ipynb"] == before["2026-Q2/audit.ipynb"]
    # the next run finishes the work and removes the scratch folders the killed runs left
    r = subprocess.run([PRESALES, "report", "--due", "--db", "t.duckdb"], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert not list(scratch.glob("presales-render-*"))
    done = _snapshot(reports)
    assert all(_complete(reports / n) for n in done if n != ".presales-report.lock")
    assert done["2026-Q2/audit.html"] != before["2026-Q2/audit.html"]


def test_a_refused_report_leaves_nothing_behind(tmp_path):
    make_db(tmp_path, DUE_ROWS)
    r = presales("report", "director-review", "--scope", "director:赵六", "--period", "2026-Q2", "--db", "t.duckdb",
                 cwd=tmp_path)
    assert r.returncode == 2 and "赵六" in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not (tmp_path / "reports").exists()


def test_a_notebook_that_refuses_its_parameters_leaves_nothing_and_a_failing_one_keeps_the_old_outputs(tmp_path):
    import nbformat

    from presales_analytics.reports.render import RenderError, ReportRefused, render_notebook

    def notebook(path: Path, code: str) -> Path:
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(code)]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, path)
        return path

    refuse = notebook(tmp_path / "refuse.ipynb", "from presales_analytics.errors import InputError\n"
                                                 "raise InputError('period 2027-Q1 has not begun')")
    target = tmp_path / "reports" / "2027-Q1" / "audit.html"
    with pytest.raises(ReportRefused) as info:
        render_notebook(refuse, target)
    assert str(info.value) == "period 2027-Q1 has not begun"
    assert not (tmp_path / "reports").exists()
    # a good rendering, then a failing one: the good notebook and HTML stay, the failure is kept aside
    good = render_notebook(notebook(tmp_path / "good.ipynb", "print('好')"), target)
    kept = {p.name: p.read_bytes() for p in target.parent.iterdir()}
    assert sorted(kept) == ["audit.html", "audit.ipynb"]
    with pytest.raises(RenderError) as info:
        render_notebook(notebook(tmp_path / "bad.ipynb", "1/0"), target)
    assert info.value.notebook == target.with_suffix(".failed.ipynb") and info.value.notebook.is_file()
    assert {p.name: p.read_bytes() for p in target.parent.iterdir() if p.name != "audit.failed.ipynb"} == kept
    assert sorted(p.name for p in target.parent.iterdir()) == ["audit.failed.ipynb", "audit.html", "audit.ipynb"]
    render_notebook(notebook(tmp_path / "good.ipynb", "print('好')"), target)   # a later success clears it
    assert sorted(p.name for p in target.parent.iterdir()) == ["audit.html", "audit.ipynb"] and good.html.is_file()


def test_the_atomic_writer_fsyncs_the_file_and_its_folder_and_sweeps_what_killed_writers_left(tmp_path, monkeypatch):
    from presales_analytics import atomic

    synced = []
    real = os.fsync

    def spy(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        return real(fd)

    monkeypatch.setattr(os, "fsync", spy)
    target = tmp_path / "out" / "index.html"
    atomic.write_text_atomic(target, "<html>新</html>")
    assert target.read_text(encoding="utf-8") == "<html>新</html>"
    assert len(synced) == 2 and Path(synced[0]).parent == target.parent and synced[0].endswith(".tmp")
    assert synced[0].startswith(str(target.parent / f".index.html.{os.getpid()}."))
    assert synced[1] == str(target.parent)
    dead = target.parent / ".index.html.999999999.abcd1234.tmp"        # no such process
    mine = target.parent / f".index.html.{os.getpid()}.abcd1234.tmp"   # a writer still at work
    dead.write_text("half")
    mine.write_text("half")
    assert atomic.sweep_stale(target.parent) == [dead]
    assert not dead.exists() and mine.exists() and target.exists()


# --- 3. full disk, read-only disk -------------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path):
    """``mount(size)``: a tmpfs of ``size`` under tmp_path (unmounted afterwards)."""
    mounted = []

    def mount(size: str) -> Path:
        if os.geteuid() != 0:
            pytest.skip("a full disk is simulated with a tmpfs, which only root can mount")
        point = tmp_path / f"disk{len(mounted)}"
        point.mkdir()
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)],
                           capture_output=True, text=True)
        if r.returncode:
            pytest.skip(f"cannot mount a tmpfs here ({r.stderr.strip()})")
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", "-l", str(point)], check=False)


def _fill(disk: Path, leave: int) -> None:
    """Fill ``disk`` up to ``leave`` bytes free (0: until it is full)."""
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    try:
        with open(disk / "filler", "wb") as f:
            f.write(b"\0" * (max(free - leave, 0) if leave else free + 1024 * 1024))
    except OSError:
        pass


def _one_line_exit_2(r: subprocess.CompletedProcess, path: Path, what: str) -> None:
    assert r.returncode == 2, (r.returncode, r.stdout[-500:], r.stderr[-2000:])
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert str(path) in r.stderr and what in r.stderr and "--out" in r.stderr, r.stderr


def test_a_full_or_read_only_disk_is_one_line_exit_2_and_leaves_the_previous_outputs(tmp_path, small_disk):
    make_db(tmp_path, DUE_ROWS)
    disk = small_disk("24m")
    outputs = {"report": (["report", "audit", "--period", "2026-Q2", "--out", str(disk / "r")],
                          disk / "r" / "2026-Q2" / "audit.html"),
               "dashboard": (["dashboard", "--period", "2026-Q2", "--out", str(disk / "d.html")], disk / "d.html"),
               "workbook": (["export", "xlsx", "--period", "2026-Q2", "--out", str(disk / "w.xlsx")], disk / "w.xlsx")}
    for what, (args, path) in outputs.items():
        r = presales(*args, "--db", "t.duckdb", cwd=tmp_path)
        assert r.returncode == 0 and path.is_file(), (what, r.stderr[-2000:])
    before = _snapshot(disk)
    _fill(disk, 0)
    for what, (args, path) in outputs.items():
        r = presales(*args, "--db", "t.duckdb", cwd=tmp_path)
        # the report fails on the executed notebook (5 MB of plotly.js), the first file it writes
        failing = path.with_suffix(".ipynb") if what == "report" else path
        _one_line_exit_2(r, failing, "no space left on the device")
        assert {n: b for n, b in _snapshot(disk).items() if n != "filler"} == before, what
    (disk / "filler").unlink()
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    for what, (args, path) in outputs.items():
        r = presales(*args, "--db", "t.duckdb", cwd=tmp_path)
        failing = path.with_suffix(".ipynb") if what == "report" else path
        _one_line_exit_2(r, failing, "the file system is read-only")
        assert _snapshot(disk) == before, what


def test_a_load_on_a_full_disk_is_one_line_exit_2_and_the_database_keeps_its_rows(tmp_path, small_disk):
    import duckdb

    disk = small_disk("3m")
    db = disk / "t.duckdb"
    r = presales("load", str(write_csv(tmp_path / "小.csv", [HEADER, *DUE_ROWS])), "--db", str(db), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    big = [["项目编号", "项目名称", "客户名称", "项目阶段", "创建日期"]] + [
        [f"B{i}", "名称" * 20 + str(i), "客户" * 10 + str(i), "投标", "2026-01-01"] for i in range(60000)]
    _fill(disk, 200 * 1024)
    r = presales("load", str(write_csv(tmp_path / "大.csv", big)), "--db", str(db), cwd=tmp_path)
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "the database cannot be written: no space left on device" in r.stderr and "--db" in r.stderr
    (disk / "filler").unlink()
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM projects").fetchall() == [(4,)]
    assert con.execute("SELECT count(*) FROM load_log").fetchall() == [(1,)]
    con.close()


# --- 4. every period: all, in progress, not begun ---------------------------------------------------

def _text(page_html: str) -> str:
    """A page's visible words: tags dropped, entities decoded, blanks collapsed."""
    import html
    import re

    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page_html)).split())


def _delta(page, tile: str) -> str:
    return page.evaluate(f"() => document.querySelector('#kpi-{tile} .delta').textContent")


def test_period_all_renders_everywhere_without_comparison(tmp_path, browser):
    import openpyxl

    from browser import open_offline

    make_db(tmp_path, DUE_ROWS)                     # data date 2026-07-20
    r = presales("report", "audit", "--period", "all", "--redact", "--db", "t.duckdb", cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    audit = _text((tmp_path / "reports" / "all" / "audit-redacted.html").read_text(encoding="utf-8"))
    assert "全部数据（截至 2026年7月20日），不与其他期间对比" in audit
    # 4 projects, 2 closed (1 won, 1 lost): 1/2 = 50%; won 100 万元; no "较上…" comparison anywhere
    assert "本期为全部数据，不与其他期间对比。 赢单率 50.0%（1/2）。 赢单金额 100.0万元。" in audit
    assert "较上" not in audit and "去年同期" not in audit
    r = presales("dashboard", "--period", "all", "--db", "t.duckdb", cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    page = open_offline(browser, tmp_path / "reports" / "all" / "dashboard.html")
    page.page.wait_for_selector("body[data-ready='1']")
    assert not page.problems, page.problems
    assert page.page.evaluate("() => document.getElementById('period').textContent") == \
        "全部 · 全公司 · 全部数据（截至 2026年7月20日），不与其他期间对比"
    assert [_delta(page.page, t) for t in ("won_amount", "win_rate", "stalled")] == ["不与其他期间对比"] * 3
    r = presales("export", "xlsx", "--period", "all", "--db", "t.duckdb", cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    about = {row[0]: row[1] for row in openpyxl.load_workbook(tmp_path / "reports" / "all" / "workbook.xlsx")["说明"]
             .iter_rows(values_only=True) if row and row[0]}
    assert about["期间状态"] == "全部数据（截至 2026年7月20日），不与其他期间对比"


def test_a_period_in_progress_has_a_banner_and_partial_comparisons(tmp_path, browser):
    import openpyxl

    from browser import open_offline

    make_db(tmp_path, DUE_ROWS)                     # data date 2026-07-20, inside 2026-Q3
    r = presales("report", "audit", "--period", "2026-Q3", "--db", "t.duckdb", cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    audit = _text((tmp_path / "reports" / "2026-Q3" / "audit.html").read_text(encoding="utf-8"))
    assert "截至 2026年7月20日，期间未结束" in audit
    assert "截至 2026年7月20日，本期未结束：与上期、去年同期的对比只是部分期间的对比。" in audit
    # nothing closed in Q3 yet; Q2 closed P2 (lost): 0 / 1 = 0%, so the rate has no comparable figure
    assert "赢单金额 0.0万元，上季度（部分期间）无可比数据，去年同期（部分期间）无可比数据。" in audit
    assert "指标 2026年第3季度（截至 2026年7月20日，期间未结束） 2026年第2季度 2025年第3季度" in audit
    r = presales("dashboard", "--period", "2026-Q3", "--lang", "en", "--db", "t.duckdb", cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    page = open_offline(browser, tmp_path / "reports" / "2026-Q3" / "dashboard-en.html")
    page.page.wait_for_selector("body[data-ready='1']")
    assert page.page.evaluate("() => document.getElementById('period').textContent") == \
        "Q3 2026 · Company · as of 2026-07-20, period not finished"
    assert _delta(page.page, "open_amount").startswith("vs previous (partial) ")
    r = presales("export", "xlsx", "--period", "2026-Q3", "--db", "t.duckdb", cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    about = {row[0]: row[1] for row in openpyxl.load_workbook(tmp_path / "reports" / "2026-Q3" / "workbook.xlsx")["说明"]
             .iter_rows(values_only=True) if row and row[0]}
    assert about["期间状态"] == "截至 2026年7月20日，期间未结束"
    r = presales("export", "xlsx", "--period", "2026-Q2", "--out", "q2.xlsx", "--db", "t.duckdb", cwd=tmp_path)
    about = {row[0]: row[1] for row in openpyxl.load_workbook(tmp_path / "q2.xlsx")["说明"]
             .iter_rows(values_only=True) if row and row[0]}
    assert about["期间状态"] == "已结束"


def test_a_period_that_has_not_begun_is_refused_by_every_command(tmp_path):
    make_db(tmp_path, DUE_ROWS)                     # data date 2026-07-20
    for args in (("report", "audit", "--period", "2026-Q4"), ("report", "director-review", "--scope", "director:张伟", "--period", "2026-08"),
                 ("dashboard", "--period", "2026-Q4"), ("export", "xlsx", "--period", "2027-Q1"),
                 ("metrics", "win-rate", "--period", "2026-W31")):
        r = presales(*args, "--db", "t.duckdb", cwd=tmp_path)
        assert r.returncode == 2, (args, r.stderr[-1000:])
        assert len(r.stderr.strip().splitlines()) == 1 and "has not begun: the data ends on 2026-07-20" in r.stderr, r.stderr
        assert "--period, e.g. 2026-Q3 (in progress) or 2026-Q2" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.duckdb", "商机.csv"]


# --- 5. redaction: every output, every form of every name -----------------------------------------

LOAD_FILE = "天津市公安局交通管理局-商机导出.csv"


def _forms(name: str) -> set[str]:
    """``name`` as it could sit in an output: raw, HTML-escaped, JSON-escaped (\\uXXXX, either case),
    HTML entities (&#NNNN; and &#xHHHH;)."""
    import html
    import json

    escaped = json.dumps(name, ensure_ascii=True)[1:-1]
    return {name, html.escape(name), escaped, escaped.replace("\\u", "\\U"),
            "".join(f"&#{ord(c)};" for c in name), "".join(f"&#x{ord(c):x};" for c in name),
            "".join(f"&#x{ord(c):X};" for c in name)}


def _texts(path: Path) -> dict[str, str]:
    """An output's text: the file, or for a workbook every part of its zip."""
    import zipfile

    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as z:
            return {f"{path.name}:{n}": z.read(n).decode("utf-8", errors="replace") for n in z.namelist()}
    return {path.name: path.read_text(encoding="utf-8")}


def test_redact_leaves_no_customer_project_or_load_file_name_in_any_output(tmp_path):
    rows = [*DUE_ROWS, ["P9", "秘密项目", "秘密客户", "张伟", "华东", "政府系统部", "10", "暂停", "进行中", "2026-01-05", ""]]
    make_db(tmp_path, rows, name=LOAD_FILE)            # P9 is rejected (unknown stage 暂停)
    secrets = [r[1] for r in rows] + [r[2] for r in rows] + [LOAD_FILE, Path(LOAD_FILE).stem, "天津市公安局交通管理局"]
    runs = [("report", "audit", "--period", "2026-Q1"),
            ("report", "director-review", "--scope", "director:张伟", "--period", "2026-Q1"),
            ("report", "project-summary", "--scope", "project:P1"),
            ("dashboard", "--period", "2026-Q1"), ("export", "xlsx", "--period", "2026-Q1")]
    plain = presales(*runs[0], "--db", "t.duckdb", "--out", "plain", cwd=tmp_path)
    assert plain.returncode == 0, plain.stderr[-2000:]
    shown = (tmp_path / "plain" / "2026-Q1" / "audit.html").read_text(encoding="utf-8")
    assert LOAD_FILE in shown                             # the plain report names the file
    for args in runs:
        r = presales(*args, "--redact", "--db", "t.duckdb", cwd=tmp_path)
        assert r.returncode == 0, (args, r.stderr[-2000:])
    outputs = sorted(p for p in (tmp_path / "reports").rglob("*") if p.is_file() and not p.name.startswith("."))
    assert [p.relative_to(tmp_path / "reports").as_posix() for p in outputs] == [
        "2026-Q1/audit-redacted.html", "2026-Q1/audit-redacted.ipynb", "2026-Q1/dashboard-redacted.html",
        "2026-Q1/director-review-director-张伟-redacted.html", "2026-Q1/director-review-director-张伟-redacted.ipynb",
        "2026-Q1/project-summary-project-P1-redacted.html", "2026-Q1/project-summary-project-P1-redacted.ipynb",
        "2026-Q1/workbook-redacted.xlsx", "index.html"]
    found = []
    for path in outputs:
        for part, text in _texts(path).items():
            for secret in secrets:
                found += [(part, secret, form) for form in _forms(secret) if form in text]
    assert found == []
    audit = (tmp_path / "reports" / "2026-Q1" / "audit-redacted.html").read_text(encoding="utf-8")
    assert "文件-001" in audit and "项目-001" in (tmp_path / "reports" / "2026-Q1" / "project-summary-project-P1-redacted.html").read_text(encoding="utf-8")


# --- 6. validate writes nothing; the terminal sees no control character ----------------------------

def test_validate_writes_nothing_reads_beside_a_reader_and_escapes_control_characters(tmp_path):
    import duckdb

    bad = tmp_path / "esc.csv"
    bad.write_text("项目编号,阶段\nP1,投标\nP2,\x1b[31m暂停\n", encoding="utf-8")
    before = sorted(p.name for p in tmp_path.iterdir())
    r = presales("validate", str(bad), "--db", "sub/v.duckdb", cwd=tmp_path)
    assert r.returncode == 1, r.stderr[-2000:]
    assert sorted(p.name for p in tmp_path.iterdir()) == before          # no folder, no database
    assert "\x1b" not in r.stdout + r.stderr
    assert "'\\x1b[31m暂停' is not a known stage" in r.stdout
    # against a database a report is reading (a read-only connection held open): no exit 3, file unchanged
    db = make_db(tmp_path, DUE_ROWS)
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    reader = duckdb.connect(str(db), read_only=True)
    try:
        r = presales("validate", str(tmp_path / "商机.csv"), str(bad), "--db", "t.duckdb", cwd=tmp_path, timeout=60)
    finally:
        reader.close()
    assert r.returncode == 1, (r.returncode, r.stderr[-2000:])
    assert "already loaded with the same options" in r.stdout                 # it sees what the database holds
    assert hashlib.sha256(db.read_bytes()).hexdigest() == digest
    assert not (tmp_path / "t.duckdb.wal").exists()


def test_an_error_message_is_one_line_with_its_control_characters_escaped(tmp_path):
    make_db(tmp_path, DUE_ROWS)
    r = presales("report", "audit", "--scope", "director:\x1b[31m赵六\n", "--db", "t.duckdb", cwd=tmp_path)
    assert r.returncode == 2 and "\x1b" not in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "\\x1b[31m赵六" in r.stderr, r.stderr
