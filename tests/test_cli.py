"""The `presales` command as a user runs it: a real subprocess, real files, real exit codes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
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
    # issue 11: the demo's audit printed to PDF (A4, Chinese text in it), and no output of the demo (HTML,
    # executed notebooks, PDF text, the workbook's XML, the index) names a path of this machine
    pdf = presales("report", "audit", "--period", "2026-Q3", "--pdf", cwd=tmp_path)
    assert pdf.returncode == 0, pdf.stderr
    printed = tmp_path / "reports" / "2026-Q3" / "audit.pdf"
    assert "A4" in subprocess.run(["pdfinfo", str(printed)], capture_output=True, text=True, check=True).stdout
    texts = {p: p.read_text(encoding="utf-8") for p in (tmp_path / "reports").rglob("*") if p.suffix in (".html", ".ipynb")}
    texts[printed] = subprocess.run(["pdftotext", str(printed), "-"], capture_output=True, text=True, check=True).stdout
    assert "审计考核报告" in texts[printed] and "赢单率" in texts[printed]
    with zipfile.ZipFile(tmp_path / "reports" / "2026-Q3" / "workbook.xlsx") as z:
        texts[Path("workbook.xlsx")] = "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    assert len(texts) >= 9                       # 4 pages, 3 notebooks, the index, the PDF, the workbook
    local = {str(tmp_path), str(tmp_path.resolve()), str(Path.home()) + "/", str(Path(__file__).resolve().parents[1]),
             str(Path(sys.executable).parent)}
    for path, text in texts.items():
        assert not [x for x in local if x in text] and "/tmp/" not in text, f"{path.name} names a local path"
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


def test_an_option_a_metric_does_not_take_is_one_line_exit_2_naming_what_it_takes(tmp_path):
    """`presales metrics stalled -o limit=1` printed "got an unexpected keyword argument" (issue 10); the
    keys the command line sets itself (-o as_of=…, -o scope=…, -o config=…) still ended in a traceback, exit
    1; and `-o exclude_abandoned=false` was the text "false", which is true, so abandoned projects left
    the denominator. Now -o takes only the metric's own options, each said by its real name."""
    f = write_csv(tmp_path / "商机.csv", [["项目编号", "项目总监", "阶段", "状态", "创建日期", "结束日期"],
                                        ["P1", "张伟", "谈判", "赢单", "2026-07-05", "2026-08-01"],
                                        ["P2", "张伟", "投标", "放弃", "2026-07-06", "2026-08-02"],
                                        ["P3", "李娜", "投标", "丢单", "2026-07-07", "2026-09-01"],
                                        ["P4", "李娜", "立项", "进行中", "2026-07-08", ""]])
    assert presales("load", str(f), "--db", "o.duckdb", cwd=tmp_path).returncode == 0
    refused = {("stalled", "limit=1"): "metric stalled has no option 'limit'; it takes no -o option "
                                       "(its settings: --period, --scope, --as-of, --by)",
               ("win-rate", "exclude_abandon=1"): "metric win-rate has no option 'exclude_abandon'; "
                                                  "its -o options are: basis, exclude_abandoned",
               ("stalled", "as_of=2026-08-01"): "-o as_of: use --as-of",
               ("win-rate", "scope=director:张伟"): "-o scope: use --scope",
               ("win-rate", "config=x.toml"): "-o config: use PRESALES_CONFIG",
               ("compliance", "stalled_projects=x"): "metric compliance has no option 'stalled_projects'",
               ("win-rate", "exclude_abandoned=maybe"): "option exclude_abandoned='maybe' must be true or false"}
    refused[("stalled", "--exclude-abandoned")] = ("metric stalled has no option 'exclude_abandoned' "
                                                   "(--exclude-abandoned); it takes no -o option")
    refused[("stalled", "--basis=cohort")] = "metric stalled has no option 'basis' (--basis); it takes no -o option"
    for (metric, option), says in refused.items():
        given = [option] if option.startswith("--") else ["-o", option]
        r = presales("metrics", metric, *given, "-p", "2026-Q3", "--db", "o.duckdb", cwd=tmp_path)
        assert r.returncode == 2, (metric, option, r.stderr[-1500:])
        assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr[-1500:]
        assert says in r.stderr, (says, r.stderr)
    # 3 closed in Q3: won 1, abandoned 1, lost 1; with abandoned left out 1 / 2
    rates = {}
    for option in ("exclude_abandoned=false", "exclude_abandoned=true", "exclude-abandoned=是"):
        r = presales("metrics", "win-rate", "-o", option, "-p", "2026-Q3", "-f", "csv", "--db", "o.duckdb", cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        rates[option] = r.stdout.splitlines()[1].split(",")[:5]
    assert rates == {"exclude_abandoned=false": ["1", "1", "1", "3", "0.3333333333333333"],
                     "exclude_abandoned=true": ["1", "1", "1", "2", "0.5"],
                     "exclude-abandoned=是": ["1", "1", "1", "2", "0.5"]}


def test_metrics_members_by_manager_monitor_or_planner_selects_the_role(tmp_path):
    """`presales metrics members --by planner` is the 规划经理 scorecard, the same as `-o role=planner` (it was
    refused: members took the role only as -o role=). By hand, 2026-Q3 (all four projects active in it):

    P1 张伟 经理 陈静 监控 周强 规划 赵磊  won 08-01 100万    P3 李娜 经理 刘洋 监控 周强 规划 孙悦  won 09-10 40万
    P2 张伟 经理 陈静 监控 吴敏 规划 赵磊  lost 09-01 50万    P4 李娜 经理 刘洋 监控 吴敏 (no planner) open
    planner: 孙悦 1 project, won 1 of 1, 40万; 赵磊 2, won 1 lost 1 = 0.5, 100万
    manager: 刘洋 2 projects (1 open), won 1 of 1; 陈静 2, won 1 of 2
    monitor: 吴敏 2 (1 open), lost 1 of 1 = 0.0; 周强 2, won 2 of 2, 140万"""
    import csv
    import io

    f = write_csv(tmp_path / "商机.csv", [
        ["项目编号", "项目名称", "项目总监", "项目经理", "监控人", "规划经理", "金额（万元）", "状态", "创建日期", "结束日期"],
        ["P1", "杭州智慧停车", "张伟", "陈静", "周强", "赵磊", "100", "赢单", "2026-07-01", "2026-08-01"],
        ["P2", "宁波停车诱导", "张伟", "陈静", "吴敏", "赵磊", "50", "丢单", "2026-07-05", "2026-09-01"],
        ["P3", "成都路内停车", "李娜", "刘洋", "周强", "孙悦", "40", "赢单", "2026-07-10", "2026-09-10"],
        ["P4", "重庆停车平台", "李娜", "刘洋", "吴敏", "", "70", "进行中", "2026-08-01", ""]])
    assert presales("load", str(f), "--db", "r.duckdb", cwd=tmp_path).returncode == 0

    def rows(*args: str) -> list[dict]:
        r = presales("metrics", "members", "-p", "2026-Q3", "-f", "csv", *args, "--db", "r.duckdb", cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        return list(csv.DictReader(io.StringIO(r.stdout)))

    def figures(table: list[dict]) -> list[tuple]:
        return [(x["role"], x["member"], x["projects"], x["open"], x["won"], x["lost"], x["closed"], x["win_rate"],
                 x["won_amount"]) for x in table]

    planners = rows("--by", "planner")
    assert figures(planners) == [("planner", "孙悦", "1", "0", "1", "0", "1", "1.0", "400000.0"),
                                 ("planner", "赵磊", "2", "0", "1", "1", "2", "0.5", "1000000.0")]
    assert planners == rows("-o", "role=planner") == rows("--by", "planner", "-o", "role=planner")
    managers = rows("--by", "manager")
    assert figures(managers) == [("manager", "刘洋", "2", "1", "1", "0", "1", "1.0", "400000.0"),
                                 ("manager", "陈静", "2", "0", "1", "1", "2", "0.5", "1000000.0")]
    assert managers == rows("-o", "role=manager") == rows()               # manager is the default
    monitors = rows("--by", "monitor")
    assert figures(monitors) == [("monitor", "吴敏", "2", "1", "0", "1", "1", "0.0", "0.0"),
                                 ("monitor", "周强", "2", "0", "2", "0", "2", "1.0", "1400000.0")]
    assert monitors == rows("-o", "role=monitor")
    # a conflict names both; any other --by lists the roles; one line each, exit 2
    for args, says in ((["--by", "planner", "-o", "role=manager"],
                        "by='planner' (--by) and role='manager' (-o role=) name different roles"),
                       (["--by", "director"], "by='director' (--by) is not a role; the roles are: manager, monitor, planner")):
        r = presales("metrics", "members", "-p", "2026-Q3", *args, "--db", "r.duckdb", cwd=tmp_path)
        assert r.returncode == 2 and says in r.stderr, r.stderr
        assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    # the help says so
    r = presales("metrics", "--help", cwd=tmp_path)
    assert "members takes only --by manager|monitor|planner" in " ".join(r.stdout.split())
