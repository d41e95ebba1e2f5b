"""The `presales` command as a user runs it: a real subprocess, real files, real exit codes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from presales_analytics.demo import DEMO_BAD_ROWS

from conftest import write_csv

PRESALES = shutil.which("presales", path=str(Path(sys.executable).parent)) or "presales"


def presales(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PRESALES_DB"}
    env["COLUMNS"] = "200"
    return subprocess.run([PRESALES, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_load_exit_codes_0_1_2(tmp_path):
    ok = write_csv(tmp_path / "ok.csv", [["项目编号", "阶段"], ["P1", "投标"]])
    some_bad = write_csv(tmp_path / "bad.csv", [["项目编号", "阶段"], ["P2", "投标"], ["P3", "暂停"]])
    unusable = write_csv(tmp_path / "x.csv", [["foo", "bar"], ["1", "2"]])
    r = presales("load", str(ok), "--db", "t.duckdb", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "ok.csv" in r.stdout and "projects" in r.stdout
    r = presales("load", str(some_bad), "--db", "t.duckdb", cwd=tmp_path)
    assert r.returncode == 1
    assert "'暂停' is not a known stage" in r.stdout and "3" in r.stdout
    r = presales("load", str(unusable), "--db", "t.duckdb", cwd=tmp_path)
    assert r.returncode == 2
    assert "x.csv" in r.stderr and "project_id" in r.stderr
    r = presales("load", str(tmp_path / "missing.csv"), "--db", "t.duckdb", cwd=tmp_path)
    assert r.returncode == 2 and "file not found" in r.stderr
    con = duckdb.connect(str(tmp_path / "t.duckdb"), read_only=True)
    assert con.execute("SELECT project_id FROM projects ORDER BY 1").fetchall() == [("P1",), ("P2",)]
    con.close()
    r = presales("load", str(ok), "--db", "t.duckdb", cwd=tmp_path)
    assert r.returncode == 0 and "skipped: already loaded" in r.stdout


def test_validate_writes_nothing(tmp_path):
    f = write_csv(tmp_path / "v.csv", [["项目编号", "阶段"], ["P2", "投标"], ["P3", "暂停"]])
    r = presales("validate", str(f), "--db", "v.duckdb", cwd=tmp_path)
    assert r.returncode == 1 and "nothing written" in r.stdout
    assert not (tmp_path / "v.duckdb").exists()            # not even an empty database


def test_every_command_has_help_with_an_example(tmp_path):
    for command in ("load", "validate", "demo", "metrics", "report", "dashboard", "export xlsx"):
        r = presales(*command.split(), "--help", cwd=tmp_path)
        assert r.returncode == 0 and "Example" in r.stdout and f"presales {command}" in r.stdout, command


def test_demo_writes_the_exports_and_loads_them_with_the_three_bad_rows_rejected(tmp_path):
    r = presales("demo", "--export-date", "2026-11-27", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    names = sorted(p.name for p in (tmp_path / "data" / "demo").iterdir())
    assert names == sorted(["商机台账.xlsx", "阶段变更记录.csv", "项目活动.csv", "项目档案.csv", "业绩目标.csv"])
    con = duckdb.connect(str(tmp_path / "data" / "presales.duckdb"), read_only=True)
    rejected = con.execute('SELECT file, "column", value FROM rejects ORDER BY "row"').fetchall()
    assert [(Path(f).name, c.split(" [")[0], v) for f, c, v in rejected] == [
        (b.file, b.column, b.value) for b in DEMO_BAD_ROWS]
    assert con.execute("SELECT count(*) FROM projects").fetchone() == (3000,)
    assert con.execute("SELECT count(DISTINCT director), count(DISTINCT region), count(DISTINCT channel) "
                       "FROM projects").fetchone() == (15, 6, 8)
    assert con.execute("SELECT DISTINCT source FROM stage_events").fetchall() == [("history",)]
    assert con.execute("SELECT count(*) FROM load_log").fetchone() == (5,)
    con.close()
    assert "database summary" in r.stdout
    # then one of every output for the latest complete quarter, paths printed
    rendered = ["reports/2026-Q3/audit.html", "reports/2026-Q3/director-review-director-张伟.html",
                "reports/2026-Q3/member-review-manager-周晓东.html",
                "reports/2026-Q3/project-summary-project-SQ-2025-0899.html", "reports/2026-Q3/dashboard.html",
                "reports/2026-Q3/workbook.xlsx", "reports/index.html"]
    for path in rendered:
        assert f"  {path}" in r.stdout and (tmp_path / path).stat().st_size > 0, path
    # a second demo changes nothing
    again = presales("demo", "--export-date", "2026-11-27", "--no-render", cwd=tmp_path)
    assert again.returncode == 0 and again.stdout.count("skipped: already loaded") == 5


def test_demo_refuses_a_database_holding_other_loads(tmp_path):
    f = write_csv(tmp_path / "mine.csv", [["项目编号", "阶段"], ["P1", "投标"]])
    assert presales("load", str(f), cwd=tmp_path).returncode == 0
    r = presales("demo", "--export-date", "2026-11-27", cwd=tmp_path)
    assert r.returncode == 2 and "--db" in r.stderr


def test_metrics_command_formats_and_errors(tmp_path):
    f = write_csv(tmp_path / "p.csv", [["项目编号", "项目总监", "阶段", "状态", "创建日期", "结束日期"],
                                       ["P1", "张伟", "谈判", "赢单", "2026-01-05", "2026-08-01"],
                                       ["P2", "张伟", "投标", "丢单", "2026-02-05", "2026-09-01"],
                                       ["P3", "李娜", "投标", "进行中", "2026-03-05", ""]])
    assert presales("load", str(f), "--db", "m.duckdb", cwd=tmp_path).returncode == 0
    r = presales("metrics", "win-rate", "--period", "2026-Q3", "--by", "director", "--format", "csv",
                 "--db", "m.duckdb", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0].startswith("director,won,lost,abandoned,closed,win_rate,win_rate_low")
    assert r.stdout.splitlines()[1].startswith("张伟,1,1,0,2,0.5,")
    r = presales("metrics", "win-rate", "-p", "2026-Q3", "--db", "m.duckdb", cwd=tmp_path)
    assert r.returncode == 0 and "denominator: closed = won + lost + abandoned" in r.stdout
    r = presales("metrics", "stalled", "--format", "json", "--as-of", "2026-09-30", "--db", "m.duckdb", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.strip().startswith("[")
    r = presales("metrics", "channels", "--db", "m.duckdb", cwd=tmp_path)
    assert r.returncode == 2 and "'channel'" in r.stderr and "mapping file" in r.stderr
    r = presales("metrics", "nonsense", "--db", "m.duckdb", cwd=tmp_path)
    assert r.returncode == 2 and "unknown metric" in r.stderr
    r = presales("metrics", "win-rate", "--period", "2026-Q5", "--db", "m.duckdb", cwd=tmp_path)
    assert r.returncode == 2 and "2026-Q5" in r.stderr


def test_db_works_before_and_after_the_subcommand_with_the_same_precedence_over_presales_db(tmp_path):
    """`presales --db X load F` was refused ("No such option: --db"); now it is the same as `presales load F
    --db X`, for every command that takes --db; typed anywhere it beats $PRESALES_DB; typed twice with two
    different files it is exit 2 (neither is guessed)."""
    f = write_csv(tmp_path / "p.csv", [["项目编号", "项目总监", "阶段", "状态", "创建日期", "结束日期"],
                                       ["P1", "张伟", "谈判", "赢单", "2026-01-05", "2026-08-01"],
                                       ["P2", "张伟", "投标", "丢单", "2026-02-05", "2026-09-01"],
                                       ["P3", "李娜", "投标", "赢单", "2026-03-05", "2026-09-02"]])
    assert presales("--db", "before.duckdb", "load", str(f), cwd=tmp_path).returncode == 0
    assert presales("load", str(f), "--db", "after.duckdb", cwd=tmp_path).returncode == 0
    assert (tmp_path / "before.duckdb").exists() and not (tmp_path / "data").exists()
    win_rate = ("metrics", "win-rate", "--by", "director", "--format", "csv")
    before = presales("--db", "before.duckdb", *win_rate, cwd=tmp_path)
    after = presales(*win_rate, "--db", "after.duckdb", cwd=tmp_path)
    assert before.returncode == after.returncode == 0, before.stderr + after.stderr
    assert before.stdout == after.stdout and before.stdout.splitlines()[1].startswith("张伟,1,1,0,2,0.5,")
    # a nested command (export xlsx) and the same file named twice (another spelling) are fine
    r = presales("--db", "before.duckdb", "export", "xlsx", "--db", "./before.duckdb", "-p", "2026-Q3",
                 "--out", "w.xlsx", cwd=tmp_path)
    assert r.returncode == 0 and (tmp_path / "w.xlsx").exists(), r.stderr
    # two different files: one line, exit 2, nothing read or written
    r = presales("--db", "before.duckdb", "load", str(f), "--db", "other.duckdb", cwd=tmp_path)
    assert r.returncode == 2 and "--db is given twice" in r.stderr and "give it once" in r.stderr
    assert not (tmp_path / "other.duckdb").exists()
    # $PRESALES_DB is the fallback wherever --db would go, and a typed --db (before or after) beats it
    env = {**os.environ, "PRESALES_DB": "missing.duckdb", "COLUMNS": "200"}
    for args in (("--db", "before.duckdb", *win_rate), (*win_rate, "--db", "before.duckdb")):
        r = subprocess.run([PRESALES, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0 and r.stdout == before.stdout, (args, r.stderr)
    env["PRESALES_DB"] = "after.duckdb"
    r = subprocess.run([PRESALES, *win_rate], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout == before.stdout, r.stderr


def test_config_show_prints_the_effective_configuration(tmp_path):
    (tmp_path / "presales.toml").write_text('time_zone = "UTC"\n[metrics]\nsmall_sample = 5\n', encoding="utf-8")
    r = presales("config", "show", cwd=tmp_path)
    assert r.returncode == 0
    import tomllib
    cfg = tomllib.loads(r.stdout.split("\n", 1)[1])
    assert cfg["time_zone"] == "UTC" and cfg["metrics"]["small_sample"] == 5
    assert cfg["metrics"]["confidence"] == 0.95 and len(cfg["stages"]) == 9


def test_out_naming_a_folder_writes_the_default_file_name_inside_it(tmp_path):
    """`presales dashboard --out DIR/` wrote a file named DIR; an --out that is an existing folder, or ends in /,
    now gets the default file name inside it (the folder made if need be), for the dashboard and the workbook;
    --out FILE still writes FILE (tested in test_dashboard and test_export_xlsx)."""
    f = write_csv(tmp_path / "p.csv", [["项目编号", "项目总监", "阶段", "状态", "创建日期", "结束日期"],
                                       ["P1", "张伟", "谈判", "赢单", "2026-01-05", "2026-08-01"],
                                       ["P2", "李娜", "投标", "丢单", "2026-02-05", "2026-09-01"]])
    assert presales("load", str(f), "--db", "o.duckdb", cwd=tmp_path).returncode == 0
    (tmp_path / "existing").mkdir()
    cases = [(("dashboard",), "new/", "new/dashboard.html"),
             (("dashboard", "--lang", "en", "--redact"), "existing", "existing/dashboard-redacted-en.html"),
             (("export", "xlsx"), "books/", "books/workbook.xlsx"),
             (("export", "xlsx", "--scope", "director:张伟"), str(tmp_path / "existing"),
              "existing/workbook-director-张伟.xlsx")]
    for command, out, expected in cases:
        r = presales(*command, "-p", "2026-Q3", "--out", out, "--db", "o.duckdb", cwd=tmp_path)
        assert r.returncode == 0, (command, r.stderr)
        written = tmp_path / expected
        assert written.is_file() and r.stdout.strip().endswith(str(Path(expected).name)), (command, r.stdout)
    assert (tmp_path / "new").is_dir() and (tmp_path / "books").is_dir()
    assert sorted(p.name for p in (tmp_path / "existing").iterdir()) == [
        "dashboard-redacted-en.html", "workbook-director-张伟.xlsx"]
    assert not (tmp_path / "reports" / "2026-Q3").exists()       # nothing went to the default place
