"""Issue 10, the smaller ingest items: messages escape terminal control sequences found in an export
(the value stays raw in rejects); an xlsx named .csv is told what it is; a 10 MB field gets our
message; advice names only options that exist."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from presales_analytics.cli import app
from presales_analytics.ingest import load as load_module, mapping, readers, values

from conftest import table_rows

ESC = "\x1b[2J\x1b[31mEVIL"


def run(*args: str, cwd: Path):
    return CliRunner().invoke(app, ["load", "--db", str(cwd / "t.duckdb"), *args], env={"COLUMNS": "200"})


def test_escape_sequences_in_a_rejected_value_are_escaped_on_the_terminal_and_kept_raw(tmp_path, con):
    f = tmp_path / "esc.csv"
    f.write_text(f"项目编号,阶段,金额\nP1,投标,{ESC}\nP2,投标,5\n", encoding="utf-8")
    r = run(str(f), cwd=tmp_path)
    assert r.exit_code == 1
    assert "\x1b" not in r.stdout and "\\x1b[2J\\x1b[31mEVIL" in r.stdout
    con.close()
    import presales_analytics as pa
    with pa.connect(tmp_path / "t.duckdb", read_only=True) as db:
        assert table_rows(db, "SELECT value FROM rejects") == [(ESC,)]


def test_escape_sequences_in_headers_are_escaped_in_the_error(tmp_path):
    f = tmp_path / "hdr.csv"
    f.write_text("编号\x1b[31mX,说明\u202e\nP1,a\n", encoding="utf-8")
    r = run(str(f), cwd=tmp_path)
    assert r.exit_code == 2
    assert "\x1b" not in r.stderr and "\u202e" not in r.stderr
    assert "编号\\x1b[31mX" in r.stderr and "说明\\u202e" in r.stderr


def test_an_xlsx_named_csv_is_told_it_is_an_xlsx(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["项目编号", "阶段"])
    wb.active.append(["P1", "投标"])
    wb.save(tmp_path / "商机.csv")
    r = run(str(tmp_path / "商机.csv"), cwd=tmp_path)
    assert r.exit_code == 2
    assert "商机.csv" in r.stderr and "is an Excel workbook (xlsx)" in r.stderr and "rename it to .xlsx" in r.stderr
    assert "--encoding" not in r.stderr


def test_a_10_mb_field_gets_our_message(tmp_path):
    f = tmp_path / "big.csv"
    f.write_text("项目编号,阶段,项目名称\nP1,投标," + "a" * (10 << 20) + "\nP2,投标,b\n", encoding="utf-8")
    r = run(str(f), cwd=tmp_path)
    assert r.exit_code == 2
    assert "Maximum line size" not in r.stderr
    assert "big.csv row 2: line 2 is 10.0 MB long" in " ".join(r.stderr.split())
    assert "a double quote that is not closed" in " ".join(r.stderr.split())


def test_error_advice_names_only_options_that_exist(tmp_path):
    """Every --option named in an ingest message is an option of `presales load`."""
    r = CliRunner().invoke(app, ["load", "--help"], env={"COLUMNS": "200"})
    known = set(re.findall(r"--[a-z][a-z-]+", r.stdout))
    named = set()
    for module in (load_module, mapping, readers, values):
        named |= set(re.findall(r"--[a-z][a-z-]+", Path(module.__file__).read_text(encoding="utf-8")))
    assert named and named <= known, named - known
    for module in (load_module, mapping, readers, values):
        assert "/ file_format" not in Path(module.__file__).read_text(encoding="utf-8")


def test_an_unknown_extension_says_what_to_do(tmp_path):
    f = tmp_path / "deals.xyz"
    f.write_text("项目编号,阶段\nP1,投标\n", encoding="utf-8")
    r = run(str(f), cwd=tmp_path)
    assert r.exit_code == 2
    assert "'.xyz'" in r.stderr and "rename the file" in r.stderr
    # it said "(or say the format with --format / file_format)": load has no --format, no mapping key file_format
    assert "--format" not in r.stderr and "file_format" not in r.stderr


@pytest.mark.parametrize("magic, what", [(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel workbook (.xls)"),
                                         (b"PAR1", "a Parquet file")])
def test_other_binary_files_named_csv(tmp_path, magic, what):
    f = tmp_path / "x.csv"
    f.write_bytes(magic + b"\x00" * 64)
    r = run(str(f), cwd=tmp_path)
    assert r.exit_code == 2 and what in r.stderr and "--encoding" not in r.stderr
