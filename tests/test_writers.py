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
