"""Issue 10, Build item 1: a value is never silently turned into NULL or into another number.

XLSX error cells and formulas without a saved value are rejected with their cell reference; merged
ranges are filled from their anchor cell with a data_quality warning; amounts parse only in
unambiguous forms; underflow and overflow are refused; a truncated JSON array is unusable input."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

import presales_analytics as pa
from presales_analytics.ingest.load import load
from presales_analytics.ingest.values import amount_parser, number_parser

from conftest import table_rows, write_csv
from test_values import mem, one  # noqa: F401  (the fixture and helper that read one text)




# ---------------------------------------------------------------- amounts: only unambiguous forms

@pytest.mark.parametrize("text, unit", [
    ("1.234,56", "yuan"),      # a decimal comma, without decimal = "," declared
    ("12,5", "yuan"),          # was 125.00
    ("1,2,3", "yuan"),         # was 123.00
    ("1,2345", "yuan"),        # was 12,345.00
    ("¥1,2,3", "wan"),         # was 1,230,000
    ("12,34.5", "yuan"),
    ("1 234", "yuan"),         # a space is no thousands separator
    (",123", "yuan"),
])
def test_ambiguous_separators_are_refused_showing_the_value(mem, text, unit):
    value, reason = one(mem, amount_parser(unit=unit), text)
    assert value is None
    assert reason.startswith(f"'{text}' is not an amount")
    assert 'decimal = ","' in reason      # what to do for a decimal-comma export


@pytest.mark.parametrize("text, expected", [
    ("1.234,56", Decimal("1234.56")), ("12,5", Decimal("12.50")), ("1.234", Decimal("1234.00")),
    ("¥1.234.567,8", Decimal("1234567.80")), ("1234", Decimal("1234.00")), ("-3,25", Decimal("-3.25")),
    ("12,5万", Decimal("125000.00")),
])
def test_a_declared_decimal_comma_reads_the_european_forms(mem, text, expected):
    assert one(mem, amount_parser(decimal=","), text) == (expected, None)


@pytest.mark.parametrize("text", ["1,234.56", "12.5", "1,2,3"])
def test_a_declared_decimal_comma_refuses_the_other_forms(mem, text):
    value, reason = one(mem, amount_parser(decimal=","), text)
    assert value is None and reason.startswith(f"'{text}' is not an amount")


@pytest.mark.parametrize("text, expected", [
    ("1,234.56", Decimal("1234.56")), ("1,234", Decimal("1234.00")), ("12.5", Decimal("12.50")),
    ("1,234,567.5", Decimal("1234567.50")), ("¥ 1,234", Decimal("1234.00")), ("12.5 万元", Decimal("125000.00")),
])
def test_the_unambiguous_forms_still_read(mem, text, expected):
    assert one(mem, amount_parser(), text) == (expected, None)


@pytest.mark.parametrize("parser", [amount_parser(), number_parser()], ids=["amount", "number"])
@pytest.mark.parametrize("text", ["1e-400", "-1e-400", "0.5e-330"])
def test_underflow_is_refused_not_read_as_zero(mem, parser, text):
    value, reason = one(mem, parser, text)
    assert value is None and reason.startswith(f"'{text}'") and "too small" in reason


@pytest.mark.parametrize("parser", [amount_parser(), number_parser()], ids=["amount", "number"])
def test_overflow_is_refused(mem, parser):
    value, reason = one(mem, parser, "1e400")
    assert value is None and reason.startswith("'1e400'") and "too large" in reason


def test_zero_written_with_an_exponent_is_zero(mem):
    assert one(mem, amount_parser(), "0e5") == (Decimal("0.00"), None)


def test_mapping_decimal_comma_end_to_end(con, tmp_path):
    f = write_csv(tmp_path / "eu.csv", [["项目编号", "阶段", "金额"], ["P1", "投标", "1.234,56"],
                                         ["P2", "投标", "1,234.56"]])
    m = tmp_path / "eu.toml"
    m.write_text('[source]\ndecimal = ","\n', encoding="utf-8")
    report = load(con, [f], mapping=m)
    assert (report.rows_loaded, report.rows_rejected) == (1, 1)
    assert table_rows(con, "SELECT project_id, amount FROM projects") == [("P1", Decimal("1234.56"))]
    assert table_rows(con, 'SELECT "row", value FROM rejects') == [(3, "1,234.56")]


def test_mapping_decimal_must_be_a_point_or_a_comma(con, tmp_path):
    m = tmp_path / "bad.toml"
    m.write_text('[source]\ndecimal = ";"\n', encoding="utf-8")
    f = write_csv(tmp_path / "a.csv", [["项目编号", "阶段"], ["P1", "投标"]])
    with pytest.raises(pa.InputError, match=r"decimal ';' must be"):
        load(con, [f], mapping=m)


# ---------------------------------------------------------------- XLSX: errors, formulas, merged cells

def workbook(tmp_path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "商机"
    ws.append(["项目编号", "阶段", "金额", "项目名称"])
    ws.append(["P1", "投标", "#DIV/0!", "甲"])        # row 2: an error in an amount
    ws.append(["P2", "投标", 5, "#N/A"])               # row 3: an error in a text column
    ws.append(["P3", "投标", "=1+2", "丙"])            # row 4: a formula openpyxl saves without a value
    ws.append(["P4", "投标", 7, "#REF!"])              # row 5
    ws.append(["P5", "投标", 8, "合并"])               # row 6: D6:D7 merged
    ws.append(["P6", "投标", 9, None])                 # row 7
    ws.append(["P7", "投标", 10, "庚"])                # row 8: fine
    ws.merge_cells("D6:D7")
    path = tmp_path / "商机.xlsx"
    wb.save(path)
    return path


def test_xlsx_error_cells_and_unsaved_formulas_are_rejected_with_the_cell(con, tmp_path):
    report = load(con, [workbook(tmp_path)])
    assert (report.files[0].rows_read, report.rows_loaded, report.rows_flagged, report.rows_rejected) == (7, 2, 1, 4)
    rejects = table_rows(con, 'SELECT "row", "column", value, reason FROM rejects ORDER BY "row"')
    assert [r[:3] for r in rejects] == [(2, "金额 [amount]", "#DIV/0!"), (3, "项目名称 [name]", "#N/A"),
                                        (4, "金额 [amount]", "=1+2"), (5, "项目名称 [name]", "#REF!")]
    assert rejects[0][3].startswith("商机!C2 holds the error #DIV/0!")
    assert rejects[1][3].startswith("商机!D3 holds the error #N/A")
    assert rejects[2][3].startswith("商机!C4 holds a formula with no saved value")
    assert "save" in rejects[2][3]
    assert table_rows(con, "SELECT project_id, amount, name FROM projects ORDER BY 1") == [
        ("P5", Decimal("8.00"), "合并"), ("P6", Decimal("9.00"), "合并"), ("P7", Decimal("10.00"), "庚")]


def test_merged_cells_take_their_anchor_value_with_a_warning(con, tmp_path):
    load(con, [workbook(tmp_path)])
    assert table_rows(con, 'SELECT "row", project_id, "column", value, rule, message FROM data_quality') == [
        (7, "P6", "项目名称 [name]", "合并", "merged_cell",
         "商机!D7 is part of the merged range D6:D7: read as its first cell's value")]
    assert table_rows(con, "SELECT warnings FROM load_log") == [(1,)]


def test_a_formula_with_its_saved_value_loads(con, tmp_path):
    path = tmp_path / "ok.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["项目编号", "阶段", "金额"])
    wb.active.append(["P1", "投标", 3])
    wb.save(path)
    # give C2 a formula beside its saved value (as Excel writes it)
    import zipfile
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = parts[sheet].replace(b'<c r="C2" t="n"><v>3</v></c>', b'<c r="C2"><f>1+2</f><v>3</v></c>')
    assert b"<f>1+2</f>" in parts[sheet]
    with zipfile.ZipFile(path, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    report = load(con, [path])
    assert (report.rows_loaded, report.rows_rejected) == (1, 0)
    assert table_rows(con, "SELECT amount FROM projects") == [(Decimal("3.00"),)]


# ---------------------------------------------------------------- truncated JSON

def test_a_json_array_cut_after_a_comma_is_unusable(con, tmp_path):
    f = tmp_path / "deals.json"
    f.write_text('[{"项目编号": "P1", "阶段": "投标"},\n{"项目编号": "P2", "阶段": "投标"},\n', encoding="utf-8")
    with pytest.raises(pa.InputError) as info:
        load(con, [f])
    message = str(info.value)
    assert message.startswith(str(f))
    assert "line 2, byte 88, after a comma" in message and "no closing ]" in message and "export it again" in message
    assert table_rows(con, "SELECT count(*) FROM projects") == [(0,)]
    assert table_rows(con, "SELECT count(*) FROM load_log") == [(0,)]


def test_a_complete_json_array_loads(con, tmp_path):
    f = tmp_path / "deals.json"
    f.write_text('[{"项目编号": "P1", "阶段": "投标"},\n{"项目编号": "P2", "阶段": "投标"}]\n  ', encoding="utf-8")
    assert load(con, [f]).rows_loaded == 2
