"""read_raw: every format and encoding gives the same exact text table, with true row numbers."""

from __future__ import annotations

import codecs
import json
import tempfile
from datetime import date, datetime
from pathlib import Path

import duckdb
import openpyxl
import pytest

from presales_analytics.errors import InputError
from presales_analytics.ingest.readers import RawTable, read_raw

HEADER = ["项目编号", "项目名称", "金额"]
# The same three rows in every CSV variant: a quoted comma, spaces kept, an empty cell.
CSV_TEXT = ("项目编号,项目名称,金额\r\n"
            "P001,智慧停车一期,1200000\r\n"
            "P002,\"静态交通, 诱导\", 35.5 \r\n"
            "P003,路侧停车,\r\n")
EXPECTED = [
    ("P001", "智慧停车一期", "1200000", 2),
    ("P002", "静态交通, 诱导", " 35.5 ", 3),
    ("P003", "路侧停车", None, 4),
]


@pytest.fixture
def con():
    c = duckdb.connect()
    c.execute("SET TimeZone = 'Asia/Shanghai'")
    yield c
    c.close()


def rows_of(con, table: str) -> list[tuple]:
    return con.execute(f'SELECT * FROM "{table}" ORDER BY _row').fetchall()


def columns_of(con, table: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in con.execute(f'DESCRIBE "{table}"').fetchall()]


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


# ------------------------------------------------------------------ CSV encodings

@pytest.mark.parametrize("data, encoding", [
    (CSV_TEXT.encode("utf-8"), "utf-8"),
    (codecs.BOM_UTF8 + CSV_TEXT.encode("utf-8"), "utf-8-sig"),
    (CSV_TEXT.encode("gbk"), "gb18030"),
    (codecs.BOM_UTF16_LE + CSV_TEXT.encode("utf-16-le"), "utf-16"),
    (codecs.BOM_UTF16_BE + CSV_TEXT.encode("utf-16-be"), "utf-16"),
], ids=["utf8", "utf8-bom", "gbk", "utf16le-bom", "utf16be-bom"])
def test_csv_encodings_give_the_same_table(con, tmp_path, data, encoding):
    p = write(tmp_path, "商机.csv", data)
    raw = read_raw(con, p, table="raw_projects")
    assert raw == RawTable("raw_projects", HEADER, 3, "csv", encoding, None)
    assert rows_of(con, "raw_projects") == EXPECTED
    assert columns_of(con, "raw_projects") == [
        ("项目编号", "VARCHAR"), ("项目名称", "VARCHAR"), ("金额", "VARCHAR"), ("_row", "BIGINT")]


def test_gb18030_character_outside_gbk(con, tmp_path):
    text = CSV_TEXT.replace("路侧停车", "路侧停车𠮷")
    with pytest.raises(UnicodeEncodeError):
        text.encode("gbk")  # the point of this fixture: only GB18030 has 𠮷
    p = write(tmp_path, "商机.csv", text.encode("gb18030"))
    raw = read_raw(con, p, table="t")
    assert raw.encoding == "gb18030"
    assert rows_of(con, "t")[2] == ("P003", "路侧停车𠮷", None, 4)


def test_semicolon_delimited(con, tmp_path):
    p = write(tmp_path, "商机.csv", "项目编号;项目名称;金额\nP001;智慧停车一期;1,5\nP002;静态交通;\n".encode())
    raw = read_raw(con, p, table="t")
    assert raw.columns == HEADER
    assert rows_of(con, "t") == [("P001", "智慧停车一期", "1,5", 2), ("P002", "静态交通", None, 3)]


def test_tsv_and_format_override(con, tmp_path):
    tsv = write(tmp_path, "商机.tsv", "项目编号\t金额\nP001\t1,5\n".encode())
    assert read_raw(con, tsv, table="t").columns == ["项目编号", "金额"]
    assert rows_of(con, "t") == [("P001", "1,5", 2)]
    dat = write(tmp_path, "商机.dat", "项目编号,金额\nP001,7\n".encode())
    assert read_raw(con, dat, table="t", file_format="csv").file_format == "csv"
    assert rows_of(con, "t") == [("P001", "7", 2)]


def test_explicit_encoding_overrides_detection(con, tmp_path):
    gbk = write(tmp_path, "gbk.csv", CSV_TEXT.encode("gbk"))
    for alias in ("gbk", "GB2312", "cp936", "gb18030"):
        assert read_raw(con, gbk, table="t", encoding=alias).encoding == "gb18030"
        assert rows_of(con, "t") == EXPECTED
    # UTF-16 without a BOM cannot be detected reliably: naming it works.
    le = write(tmp_path, "le.csv", CSV_TEXT.encode("utf-16-le"))
    assert read_raw(con, le, table="t", encoding="UTF-16LE").encoding == "utf-16-le"
    assert rows_of(con, "t") == EXPECTED


@pytest.mark.parametrize("data, given, words", [
    (CSV_TEXT.encode("utf-8"), "gbk", "reads as UTF-8"),
    (CSV_TEXT.encode("gbk"), "utf-8", "row 1: is not valid UTF-8"),
    (codecs.BOM_UTF16_LE + CSV_TEXT.encode("utf-16-le"), "gb18030", "utf-16 byte-order mark"),
    (CSV_TEXT.encode("utf-8"), "utf-16", "reads as UTF-8"),
    (CSV_TEXT.encode("utf-8"), "klingon", "unknown encoding 'klingon'"),
], ids=["utf8-as-gbk", "gbk-as-utf8", "utf16-as-gb", "utf8-as-utf16", "unknown"])
def test_wrong_explicit_encoding_is_a_clear_error(con, tmp_path, data, given, words):
    p = write(tmp_path, "商机.csv", data)
    with pytest.raises(InputError) as e:
        read_raw(con, p, table="t", encoding=given)
    assert words in str(e.value)
    assert str(p) in str(e.value) and "--encoding" in str(e.value) or given == "klingon"
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 't'").fetchall() == [(0,)]


def test_invalid_gbk_bytes_name_the_line(con, tmp_path):
    data = CSV_TEXT.encode("gbk") + b"P004,\xff\xff,1\r\n"
    p = write(tmp_path, "商机.csv", data)
    with pytest.raises(InputError) as e:
        read_raw(con, p, table="t", encoding="gbk")
    assert e.value.row == 5
    assert "not valid gb18030 at line 5" in str(e.value)


def test_utf8_sample_then_gbk_later_is_read_as_gb18030(con, tmp_path):
    # The first MiB is ASCII (valid UTF-8), the last line is GBK: DuckDB rejects it, we re-read.
    ascii_rows = "".join(f"P{i:06d},project,{i}\n" for i in range(70_000))  # about 1.3 MB
    data = b"project_id,name,amount\n" + ascii_rows.encode() + "P999999,智慧停车,1\n".encode("gbk")
    p = write(tmp_path, "商机.csv", data)
    raw = read_raw(con, p, table="t")
    assert (raw.encoding, raw.rows, raw.columns) == ("gb18030", 70_001, ["project_id", "name", "amount"])
    assert con.execute("SELECT * FROM t WHERE _row = 70002").fetchall() == [("P999999", "智慧停车", "1", 70002)]


def test_utf8_then_gbk_is_refused_not_garbled(con, tmp_path):
    utf8_rows = "".join(f"P{i:06d},智慧停车项目,{i}\n" for i in range(40_000))  # about 1.2 MB
    data = "项目编号,项目名称,金额\n".encode() + utf8_rows.encode() + "P999999,静态交通,1\n".encode("gbk")
    p = write(tmp_path, "商机.csv", data)
    with pytest.raises(InputError) as e:
        read_raw(con, p, table="t")
    assert "mixes encodings" in str(e.value) and e.value.row == 40_002


def test_transcoding_reports_progress_and_deletes_its_temp_file(con, tmp_path, monkeypatch):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    p = write(tmp_path, "商机.csv", CSV_TEXT.encode("gbk"))
    calls: list[tuple[int, int]] = []
    read_raw(con, p, table="t", progress=lambda done, total: calls.append((done, total)))
    size = p.stat().st_size
    assert calls[0] == (0, size) and calls[-1] == (size, size)
    assert all(a[0] <= b[0] for a, b in zip(calls, calls[1:]))
    assert list(scratch.iterdir()) == []


# ------------------------------------------------------------------ CSV structure

def test_headers_are_trimmed_and_empty_ones_named(con, tmp_path):
    p = write(tmp_path, "商机.csv", " 项目编号\u3000,\ufeff金额, ,备注\nP001,1,x, y \n".encode())
    raw = read_raw(con, p, table="t")
    assert raw.columns == ["项目编号", "金额", "column_3", "备注"]
    assert rows_of(con, "t") == [("P001", "1", "x", " y ", 2)]


@pytest.mark.parametrize("header, words", [
    ("项目编号,金额,项目编号", "header '项目编号' appears twice: column 1 and column 3"),
    ("Amount,项目编号,amount", "column 1 ('Amount'; DuckDB column names ignore case) and column 3"),
    ("项目编号,_row", "column 2 is named '_row'"),
])
def test_duplicate_headers_are_refused(con, tmp_path, header, words):
    p = write(tmp_path, "商机.csv", (header + "\nP001,1,2\n").encode())
    with pytest.raises(InputError) as e:
        read_raw(con, p, table="t")
    assert words in str(e.value)


def test_header_only_file_gives_no_rows(con, tmp_path):
    p = write(tmp_path, "商机.csv", "项目编号,金额".encode())
    raw = read_raw(con, p, table="t")
    assert (raw.rows, raw.columns) == (0, ["项目编号", "金额"])
    assert columns_of(con, "t") == [("项目编号", "VARCHAR"), ("金额", "VARCHAR"), ("_row", "BIGINT")]


def test_empty_file_is_refused(con, tmp_path):
    with pytest.raises(InputError, match="empty"):
        read_raw(con, write(tmp_path, "商机.csv", b""), table="t")


@pytest.mark.parametrize("text, line, found", [
    ("项目编号,金额\nP001,1\nP002,2,多余\nP003,3\n", 3, 3),
    ("项目编号,金额\nP001,1\n\nP002,2,多余\n", 4, 3),
    ("项目编号,金额,备注\nP001,1,x\nP002,2\n", 3, 2),
], ids=["more-fields", "after-blank-line", "fewer-fields"])
def test_ragged_row_is_an_error_with_its_line(con, tmp_path, text, line, found):
    p = write(tmp_path, "商机.csv", text.encode())
    with pytest.raises(InputError) as e:
        read_raw(con, p, table="t")
    assert e.value.row == line
    assert f"line {line} has {found} fields but the header has" in str(e.value)


def test_ragged_row_deep_in_a_large_file(con, tmp_path):
    rows = [f"P{i:06d},{i}\n" for i in range(100_000)]
    rows[80_000] = "P080000,80000,多余\n"
    p = write(tmp_path, "商机.csv", ("项目编号,序号\n" + "".join(rows)).encode())
    with pytest.raises(InputError) as e:
        read_raw(con, p, table="t")
    assert e.value.row == 80_002


def test_unclosed_quote_names_the_line(con, tmp_path):
    p = write(tmp_path, "商机.csv", '项目编号,金额\nP001,1\nP002,"2\n'.encode())
    with pytest.raises(InputError, match="double quote that is not closed") as e:
        read_raw(con, p, table="t")
    assert e.value.row == 3


def test_blank_lines_are_skipped_but_rows_keep_their_line_number(con, tmp_path):
    text = '项目编号,备注\nP001,1\n\nP002,"第一行\n\n第三行"\n\r\n\nP003,\n,\n\n\n'
    p = write(tmp_path, "商机.csv", text.encode())
    raw = read_raw(con, p, table="t")
    assert raw.rows == 4
    assert rows_of(con, "t") == [
        ("P001", "1", 2), ("P002", "第一行\n\n第三行", 4), ("P003", None, 7), (None, None, 8)]


def test_blank_lines_before_the_header(con, tmp_path):
    p = write(tmp_path, "商机.csv", "\r\n\r\n项目编号,金额\r\nP001,1\r\n\r\nP002,2\r\n".encode("gbk"))
    raw = read_raw(con, p, table="t")
    assert (raw.columns, raw.encoding) == (["项目编号", "金额"], "gb18030")
    assert rows_of(con, "t") == [("P001", "1", 4), ("P002", "2", 6)]


def test_long_value_and_blank_line(con, tmp_path):
    long = "停" * 200_000  # longer than Python csv's default field limit (128 KiB)
    p = write(tmp_path, "商机.csv", f"项目编号,备注\nP001,{long}\n\nP002,短\n".encode())
    read_raw(con, p, table="t")
    assert con.execute("SELECT 项目编号, length(备注), _row FROM t ORDER BY _row").fetchall() == [
        ("P001", 200_000, 2), ("P002", 1, 4)]


def test_mixed_line_endings_are_read(con, tmp_path):
    p = write(tmp_path, "商机.csv", "项目编号,金额\nP001,1\r\nP002,2\n".encode())
    raw = read_raw(con, p, table="t")
    assert (raw.rows, raw.encoding) == (2, "utf-8")
    assert rows_of(con, "t") == [("P001", "1", 2), ("P002", "2", 3)]
    gbk = write(tmp_path, "gbk.csv", "项目编号,金额\r\nP001,智慧\nP002,停车\r\n".encode("gbk"))
    raw = read_raw(con, gbk, table="t")
    assert (raw.rows, raw.encoding) == (2, "gb18030")
    assert rows_of(con, "t") == [("P001", "智慧", 2), ("P002", "停车", 3)]


def test_row_numbers_follow_file_order_with_the_parallel_reader(con, tmp_path):
    # About 16 MB: DuckDB splits it between threads; without preserved insertion order
    # the rowids of this file come back scrambled. read_raw turns the setting on while it
    # reads, and puts the caller's value back.
    con.execute("SET preserve_insertion_order = false")
    pad = "x" * 60
    body = "".join(f"P{i:06d},{i},智慧停车{pad}\n" for i in range(200_000))
    p = write(tmp_path, "商机.csv", ("项目编号,序号,备注\n" + body).encode())
    raw = read_raw(con, p, table="t")
    assert raw.rows == 200_000
    assert con.execute("SELECT count(*), min(_row), max(_row) FROM t WHERE CAST(序号 AS BIGINT) + 2 = _row"
                       ).fetchall() == [(200_000, 2, 200_001)]
    assert con.execute("SELECT current_setting('preserve_insertion_order')").fetchall() == [(False,)]


def in_transaction(con) -> bool:
    return len({con.execute("SELECT txid_current()").fetchall()[0][0] for _ in range(2)}) == 1


def test_inside_the_callers_transaction(con, tmp_path):
    # The loader stages files inside its transaction: rows must still be numbered from the
    # file (rowids of uncommitted tables start at a large offset), a GBK tail must still be
    # re-read, and a bad file must raise InputError while leaving the transaction usable.
    good = write(tmp_path, "商机.csv", CSV_TEXT.encode())
    ascii_rows = "".join(f"P{i:06d},project,{i}\n" for i in range(70_000))
    tail = write(tmp_path, "尾.csv", b"project_id,name,amount\n" + ascii_rows.encode()
                 + "P999999,智慧停车,1\n".encode("gbk"))
    ragged = write(tmp_path, "坏.csv", "项目编号,金额\nP001,1,2\n".encode())
    mixed = write(tmp_path, "混.csv", "项目编号,金额\nP001,1\r\nP002,2\n".encode())
    con.execute("BEGIN TRANSACTION")
    read_raw(con, good, table="a")
    assert rows_of(con, "a") == EXPECTED
    assert read_raw(con, tail, table="b").encoding == "gb18030"
    assert con.execute("SELECT min(_row), max(_row) FROM b").fetchall() == [(2, 70_002)]
    with pytest.raises(InputError, match="line 2 has 3 fields"):
        read_raw(con, ragged, table="c")
    assert in_transaction(con)
    assert con.execute("SELECT count(*) FROM a").fetchall() == [(3,)]
    with pytest.raises(InputError, match="mixes line endings"):
        read_raw(con, mixed, table="d")
    con.execute("ROLLBACK")


def test_outside_a_transaction_the_table_is_committed(con, tmp_path):
    read_raw(con, write(tmp_path, "商机.csv", CSV_TEXT.encode()), table="t")
    assert not in_transaction(con)
    assert rows_of(con, "t") == EXPECTED
    with pytest.raises(InputError):
        read_raw(con, write(tmp_path, "坏.csv", "项目编号,金额\nP001,1,2\n".encode()), table="bad")
    assert not in_transaction(con)
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'bad' "
                       "OR starts_with(table_name, '_presales')").fetchall() == [(0,)]


def test_same_table_name_is_replaced(con, tmp_path):
    p = write(tmp_path, "商机.csv", CSV_TEXT.encode())
    read_raw(con, p, table="t")
    q = write(tmp_path, "二.csv", "项目编号\nP009\n".encode())
    assert read_raw(con, q, table="t").rows == 1
    assert rows_of(con, "t") == [("P009", 2)]


def test_unknown_extension_and_missing_file(con, tmp_path):
    p = write(tmp_path, "商机.doc", b"x")
    with pytest.raises(InputError) as e:
        read_raw(con, p, table="t")
    assert str(p) in str(e.value) and ".csv" in str(e.value) and ".xlsx" in str(e.value)
    with pytest.raises(InputError, match="not found"):
        read_raw(con, tmp_path / "没有.csv", table="t")


# ------------------------------------------------------------------ XLSX

@pytest.fixture
def workbook(tmp_path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "商机"
    ws.append(["项目编号", "项目名称", "金额", "创建日期", "更新时间", "备注", "已立项"])
    ws.append([10001, "智慧停车一期", 12.5, date(2025, 3, 1), datetime(2025, 3, 1, 8, 30, 5), None, True])
    ws.append(["P002", " 静态交通 ", 1200000.0, "2025/3/2", None, "", False])
    ws.append([None] * 7)
    ws.append(["P003", None, 0.1, None, None, "备注", None])
    hist = wb.create_sheet("阶段历史")  # header on Excel row 3, in column B
    hist["B3"], hist["C3"] = "项目编号", "阶段"
    hist["B4"], hist["C4"] = "P001", "投标"
    hist["B5"], hist["C5"] = "P001", "赢单"
    hist["B8"] = None
    p = tmp_path / "商机.xlsx"
    wb.save(p)
    return p


def test_xlsx_first_sheet_typed_cells_become_text(con, workbook):
    raw = read_raw(con, workbook, table="t")
    assert raw == RawTable("t", ["项目编号", "项目名称", "金额", "创建日期", "更新时间", "备注", "已立项"],
                           3, "xlsx", None, "商机")
    assert rows_of(con, "t") == [
        ("10001", "智慧停车一期", "12.5", "2025-03-01", "2025-03-01 08:30:05", None, "true", 2),
        ("P002", " 静态交通 ", "1200000", "2025/3/2", None, None, "false", 3),
        ("P003", None, "0.1", None, None, "备注", None, 5),
    ]
    assert columns_of(con, "t")[-1] == ("_row", "BIGINT")


def test_xlsx_second_sheet_by_name_keeps_excel_row_numbers(con, workbook):
    raw = read_raw(con, workbook, table="t", sheet="阶段历史")
    assert (raw.sheet, raw.columns, raw.rows) == ("阶段历史", ["项目编号", "阶段"], 2)
    assert rows_of(con, "t") == [("P001", "投标", 4), ("P001", "赢单", 5)]


def test_xlsx_unknown_sheet_lists_the_sheets(con, workbook):
    with pytest.raises(InputError) as e:
        read_raw(con, workbook, table="t", sheet="Sheet1")
    assert "has no sheet 'Sheet1'; its sheets are: '商机', '阶段历史'" in str(e.value)


# ------------------------------------------------------------------ Parquet and JSON

def test_parquet_typed_columns_become_text(con, tmp_path):
    p = tmp_path / "商机.parquet"
    con.execute(f"""COPY (SELECT * FROM (VALUES
        ('P001', DATE '2025-03-01', TIMESTAMP '2025-03-01 08:30:00', TIMESTAMPTZ '2025-03-31 16:30:00+00',
         12.5::DOUBLE, 10001::INTEGER, 12.50::DECIMAL(10, 2), true, {{'区域': '华东'}}),
        ('P002', NULL, TIMESTAMP '2025-03-02 09:00:00.25', NULL, NULL, NULL, NULL, NULL, NULL),
        ('', DATE '2025-12-31', NULL, TIMESTAMPTZ '2025-06-30 15:59:59+00', 1e20, -7, 0, false, NULL))
        v(项目编号, 创建日期, 更新时间, 签约时间, 金额, 数量, 价格, 已立项, 扩展)) TO '{p}' (FORMAT parquet)""")
    raw = read_raw(con, p, table="t")
    assert raw == RawTable("t", ["项目编号", "创建日期", "更新时间", "签约时间", "金额", "数量", "价格",
                                 "已立项", "扩展"], 3, "parquet", None, None)
    assert rows_of(con, "t") == [
        ("P001", "2025-03-01", "2025-03-01 08:30:00", "2025-04-01 00:30:00", "12.5", "10001", "12.50",
         "true", '{"区域":"华东"}', 1),
        ("P002", None, "2025-03-02 09:00:00.25", None, None, None, None, None, None, 2),
        (None, "2025-12-31", None, "2025-06-30 23:59:59", "1e+20", "-7", "0.00", "false", None, 3),
    ]


JSON_RECORDS = [
    {"项目编号": "P001", "项目名称": "智慧停车一期", "金额": 1200000, "扩展": {"区域": "华东", "标签": [1, 2]}},
    {"项目编号": "P002", "项目名称": " 静态交通 ", "金额": 35.5, "扩展": None},
    {"项目编号": "P003", "项目名称": "", "金额": None, "已立项": True},
]
JSON_EXPECTED = [
    ("P001", "智慧停车一期", "1200000", '{"区域":"华东","标签":[1,2]}', None, 1),
    ("P002", " 静态交通 ", "35.5", None, None, 2),
    ("P003", None, None, None, "true", 3),
]


def test_json_array(con, tmp_path):
    p = write(tmp_path, "商机.json", json.dumps(JSON_RECORDS, ensure_ascii=False, indent=2).encode())
    raw = read_raw(con, p, table="t")
    assert raw == RawTable("t", ["项目编号", "项目名称", "金额", "扩展", "已立项"], 3, "json", None, None)
    assert rows_of(con, "t") == JSON_EXPECTED


def test_json_lines(con, tmp_path):
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in JSON_RECORDS)
    p = write(tmp_path, "商机.jsonl", text.encode())
    raw = read_raw(con, p, table="t")
    assert (raw.file_format, raw.columns) == ("json", ["项目编号", "项目名称", "金额", "扩展", "已立项"])
    assert rows_of(con, "t") == JSON_EXPECTED


def test_json_without_records_is_refused(con, tmp_path):
    p = write(tmp_path, "商机.json", b"[1, 2, 3]")
    with pytest.raises(InputError, match="no records"):
        read_raw(con, p, table="t")
