"""Metric tables in the terminal: a table wider than the terminal is folded (columns that fit, the rest
named; or one record per block), never broken into columns a letter wide, and one line says how to get
everything (--format csv)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
from rich.cells import cell_len
from rich.console import Console

from conftest import write_csv

PRESALES = shutil.which("presales", path=str(Path(sys.executable).parent)) or "presales"
HINT = "everything, one row a line: --format csv (or --format json)"


def presales(*args: str, cwd: Path, columns: int) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PRESALES_DB", "PRESALES_CONFIG")}
    env["COLUMNS"] = str(columns)
    return subprocess.run([PRESALES, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_channels_at_80_columns_fit_and_say_how_to_get_everything(tmp_path):
    f = write_csv(tmp_path / "p.csv", [
        ["项目编号", "项目总监", "渠道商", "金额", "阶段", "状态", "项目等级", "创建日期", "结束日期"],
        ["P1", "张伟", "深圳市前海停车科技有限公司", "100", "谈判", "赢单", "公司级", "2026-01-05", "2026-08-01"],
        ["P2", "张伟", "深圳市前海停车科技有限公司", "50", "投标", "丢单", "公司级", "2026-02-05", "2026-09-01"],
        ["P3", "李娜", "", "80", "谈判", "赢单", "公司级", "2026-03-05", "2026-07-10"],
        ["P4", "李娜", "", "30", "投标", "进行中", "系统部级", "2026-03-05", ""],
        *[[f"Q{i}", "王强", f"渠道{i}", "20", "谈判", "赢单" if i % 2 else "丢单", "公司级", "2026-04-01", "2026-08-15"]
          for i in range(1, 7)]])                      # 8 rows: more than a record per block would show
    assert presales("load", str(f), "--db", "c.duckdb", cwd=tmp_path, columns=200).returncode == 0
    csv = presales("metrics", "channels", "--format", "csv", "--db", "c.duckdb", cwd=tmp_path, columns=80)
    columns = csv.stdout.splitlines()[0].split(",")
    assert len(columns) > 10 and columns[0] == "channel"

    narrow = presales("metrics", "channels", "--db", "c.duckdb", cwd=tmp_path, columns=80)
    assert narrow.returncode == 0, narrow.stderr
    too_wide = [line for line in narrow.stdout.splitlines() if cell_len(line) > 80]
    assert not too_wide, too_wide
    assert HINT in narrow.stdout
    assert "深圳市前海停车科技有限公司" in narrow.stdout            # a name whole, not folded a letter a line
    shown = narrow.stdout.split("┡")[0]
    hidden = narrow.stdout.split("columns hidden to fit 80 columns:")[1].split("everything")[0]
    for column in columns:                             # each column either shown or named as hidden
        assert (column in shown) != (column in " ".join(hidden.split()).split(", ")), column

    wide = presales("metrics", "channels", "--db", "c.duckdb", cwd=tmp_path, columns=400)
    assert wide.returncode == 0, wide.stderr
    header = wide.stdout.split("┡")[0]
    assert all(f" {column} " in header for column in columns)
    assert HINT not in wide.stdout and "hidden" not in wide.stdout


def test_a_wide_table_of_a_few_rows_is_shown_a_record_per_block():
    from presales_analytics.cli import print_frame

    df = pd.DataFrame([{f"figure_number_{i}": 1234567.5 * i for i in range(12)}])
    df.attrs |= {"metric": "headline", "period": "2026-Q3", "denominator": "projects closed in the period"}
    buf = io.StringIO()
    print_frame(df, console=Console(file=buf, width=80))
    text = buf.getvalue()
    assert all(cell_len(line) <= 80 for line in text.splitlines())
    assert "│ figure_number_11 │ 13,580,242.50 │" in text and HINT in text
    buf = io.StringIO()
    print_frame(df, console=Console(file=buf, width=400))
    wide = buf.getvalue()
    assert "┃ figure_number_0 ┃" in wide and "figure_number_11" in wide and HINT not in wide
