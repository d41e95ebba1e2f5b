"""Loading UTF-8 CSV read in place (no staging table): row numbers of rejects and warnings, the
assumptions the check makes and drops (spellings, day/month order, unique ids), repeated events,
inferred events when a history export covers only some projects, and CSV faults."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

import presales_analytics as pa
from presales_analytics.ingest.load import load, validate

from conftest import table_rows, write_csv


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def rejects(con) -> list[tuple]:
    return table_rows(con, 'SELECT "row", "column", value FROM rejects ORDER BY "row", "column"')


# ---------------------------------------------------------------- row numbers without a staging table

def test_bad_lines_after_blank_lines_keep_their_file_row(con, tmp_path):
    f = write_text(tmp_path / "商机.csv",
                   "项目编号,阶段,金额\n"      # row 1
                   "P1,投标,100\n"            # 2
                   "P2,暂停,5\n"              # 3 bad stage
                   "\n"                       # 4 blank line
                   "P3,投标,7\n"              # 5
                   "P4,立项,十二万\n"         # 6 bad amount
                   "\n\n"                     # 7, 8
                   "P5,赢单,X3\n")            # 9 bad amount
    report = load(con, [f])
    assert (report.files[0].rows_read, report.rows_loaded, report.rows_rejected) == (5, 2, 3)
    assert rejects(con) == [(3, "阶段 [stage]", "暂停"), (6, "金额 [amount]", "十二万"), (9, "金额 [amount]", "X3")]
    assert [r.row for r in report.files[0].first_rejects] == [3, 6, 9]
    assert table_rows(con, "SELECT project_id, amount FROM projects ORDER BY 1") == [("P1", 100), ("P3", 7)]


def test_identical_bad_lines_each_keep_their_file_row(con, tmp_path):
    load(con, [write_csv(tmp_path / "p.csv", [["项目编号", "阶段"], ["P1", "投标"]])])
    f = write_text(tmp_path / "e.csv",
                   "项目编号,阶段,进入日期\n"
                   "P9,线索,2026-01-05\n"     # 2 unknown project
                   "P1,线索,2026-01-05\n"     # 3
                   "\n"                        # 4
                   "P9,线索,2026-01-05\n"     # 5 the same line again
                   "P1,投标,2026-13-01\n"     # 6 not a date
                   "P9,线索,2026-01-05\n")    # 7 and again
    report = load(con, [f])
    assert (report.files[0].rows_read, report.rows_loaded, report.rows_rejected) == (5, 1, 4)
    assert rejects(con) == [(2, "项目编号 [project_id]", "P9"), (5, "项目编号 [project_id]", "P9"),
                            (6, "进入日期 [entered_at]", "2026-13-01"), (7, "项目编号 [project_id]", "P9")]


def test_warnings_get_their_row_and_validate_writes_nothing(con, tmp_path):
    f = write_csv(tmp_path / "p.csv", [
        ["项目编号", "阶段", "状态", "创建日期", "结束日期"],
        ["A", "谈判", "赢单", "2026-01-01", ""],            # 2: won without a closed date
        ["B", "投标", "进行中", "2026-01-01", ""],          # 3
        ["C", "投标", "进行中", "2026-01-01", "2026-02-01"],  # 4: open with a closed date
    ])
    report = validate(con, [f])
    assert (report.rows_loaded, report.rows_flagged, report.rows_rejected, report.files[0].warnings) == (1, 2, 0, 2)
    assert table_rows(con, "SELECT count(*) FROM data_quality") == [(0,)]
    load(con, [f])
    assert table_rows(con, 'SELECT "row", project_id, rule FROM data_quality ORDER BY "row"') == [
        (2, "A", "closed_without_date"), (4, "C", "open_with_close_date")]


def test_duplicate_ids_with_a_blank_line_name_the_later_row(con, tmp_path):
    f = write_text(tmp_path / "d.csv", "项目编号,阶段\nP1,投标\n\nP2,立项\nP1,谈判\n")
    report = load(con, [f])
    assert (report.rows_loaded, report.rows_rejected) == (2, 1)
    assert table_rows(con, 'SELECT "row", reason FROM rejects') == [
        (2, "duplicate project id: row 5 later in this file is loaded instead")]
    assert table_rows(con, "SELECT project_id, stage FROM projects ORDER BY 1") == [
        ("P1", "negotiation"), ("P2", "initiated")]


# ---------------------------------------------------------------- assumptions dropped when wrong

def test_spellings_outside_the_known_list_are_resolved_exactly(con, tmp_path):
    f = write_csv(tmp_path / "crm.csv", [
        ["Opportunity ID", "Stage", "Partner"],
        ["X1", "CLOSED  won", "n / a"],           # not a spelling as written; "n / a" means direct
        ["X2", "Proposal/Price Quote", "直销"],
        ["X3", "bidding", "Direct Sales Ltd"],
        ["X4", " 投标 ", "  杭州智联  "],
    ])
    report = load(con, [f])
    assert report.rows_rejected == 0
    assert table_rows(con, "SELECT project_id, stage, status, channel FROM projects ORDER BY 1") == [
        ("X1", None, "won", None), ("X2", "bidding", "open", None), ("X3", "bidding", "open", "Direct Sales Ltd"),
        ("X4", "bidding", "open", "杭州智联")]


def test_day_first_dates_are_told_by_the_values(con, tmp_path):
    f = write_csv(tmp_path / "p.csv", [["项目编号", "阶段", "创建日期"], ["P1", "投标", "25/09/2026"],
                                       ["P2", "投标", "05/10/2026"]])
    report = load(con, [f])
    assert report.rows_rejected == 0
    assert any("day/month/year" in n for n in report.files[0].notes)
    assert table_rows(con, "SELECT project_id, created_at FROM projects ORDER BY 1") == [
        ("P1", date(2026, 9, 25)), ("P2", date(2026, 10, 5))]


def test_ambiguous_year_last_dates_are_rejected(con, tmp_path):
    f = write_csv(tmp_path / "p.csv", [["项目编号", "阶段", "创建日期"], ["P1", "投标", "05/09/2026"],
                                       ["P2", "投标", "2026-09-05"]])
    report = load(con, [f])
    assert (report.rows_loaded, report.rows_rejected) == (1, 1)
    assert table_rows(con, 'SELECT "row", reason FROM rejects')[0][0] == 2
    assert "year last" in table_rows(con, "SELECT reason FROM rejects")[0][0]


# ---------------------------------------------------------------- stage history

PROJECTS = [["项目编号", "阶段", "状态", "创建日期", "结束日期"],
            ["P1", "投标", "赢单", "2026-01-05", "2026-04-30"],
            ["P2", "需求确认", "进行中", "2026-02-01", ""],
            ["P3", "立项", "丢单", "2026-03-01", "2026-05-01"]]


def test_repeated_events_in_one_file_are_stored_once(con, tmp_path):
    events = write_csv(tmp_path / "e.csv", [["项目编号", "阶段", "进入日期"], ["P1", "线索", "2026-01-05"],
                                            ["P1", "投标", "2026-03-01"], ["P1", "线索", "2026-01-05"],
                                            ["P1", "赢单", "2026-04-30"], ["P2", "线索", "2026-02-01"],
                                            ["P3", "线索", "2026-03-01"], ["P3", "丢单", "2026-05-01"]])
    report = load(con, [write_csv(tmp_path / "p.csv", PROJECTS), events])
    assert [(f.rows_loaded, f.rows_collapsed) for f in report.files] == [(3, 0), (6, 1)]  # one repeat kept once
    assert table_rows(con, "SELECT project_id, stage, entered_at, source FROM stage_events "
                           "ORDER BY project_id, entered_at, stage") == [
        ("P1", "lead", date(2026, 1, 5), "history"), ("P1", "bidding", date(2026, 3, 1), "history"),
        ("P1", "won", date(2026, 4, 30), "history"), ("P2", "lead", date(2026, 2, 1), "history"),
        ("P3", "lead", date(2026, 3, 1), "history"), ("P3", "lost", date(2026, 5, 1), "history")]


def test_a_history_covering_some_projects_leaves_the_others_inferred(con, tmp_path):
    # P1 has its whole history; P2 has none (inferred entry); P3 lacks its closing (inferred lost)
    events = write_csv(tmp_path / "e.csv", [["项目编号", "阶段", "进入日期"], ["P1", "线索", "2026-01-05"],
                                            ["P1", "赢单", "2026-04-30"], ["P3", "线索", "2026-03-01"]])
    load(con, [write_csv(tmp_path / "p.csv", PROJECTS), events])
    assert table_rows(con, "SELECT project_id, stage, entered_at, source FROM stage_events "
                           "ORDER BY project_id, entered_at") == [
        ("P1", "lead", date(2026, 1, 5), "history"), ("P1", "won", date(2026, 4, 30), "history"),
        ("P2", "qualified", date(2026, 2, 1), "inferred"),
        ("P3", "lead", date(2026, 3, 1), "history"), ("P3", "lost", date(2026, 5, 1), "inferred")]
    # the missing pieces arrive later: the inferred events give way
    more = write_csv(tmp_path / "e2.csv", [["项目编号", "阶段", "进入日期"], ["P2", "线索", "2026-02-01"],
                                           ["P3", "丢单", "2026-05-02"]])
    load(con, [more])
    assert table_rows(con, "SELECT project_id, stage, entered_at, source FROM stage_events "
                           "WHERE project_id <> 'P1' ORDER BY project_id, entered_at") == [
        ("P2", "lead", date(2026, 2, 1), "history"),
        ("P3", "lead", date(2026, 3, 1), "history"), ("P3", "lost", date(2026, 5, 2), "history")]


def test_a_full_history_leaves_nothing_inferred(con, tmp_path):
    events = write_csv(tmp_path / "e.csv", [["项目编号", "阶段", "进入日期"], ["P1", "线索", "2026-01-05"],
                                            ["P1", "赢单", "2026-04-30"], ["P2", "线索", "2026-02-01"],
                                            ["P3", "丢单", "2026-05-01"]])
    load(con, [write_csv(tmp_path / "p.csv", PROJECTS), events])
    assert table_rows(con, "SELECT DISTINCT source FROM stage_events") == [("history",)]
    assert table_rows(con, "SELECT count(*) FROM stage_events") == [(4,)]


# ---------------------------------------------------------------- faulty files

def test_a_ragged_line_stops_the_load_with_its_line(con, tmp_path):
    good = write_csv(tmp_path / "ok.csv", [["项目编号", "阶段"], ["P1", "投标"]])
    bad = write_text(tmp_path / "坏.csv", "项目编号,阶段\nP2,投标\nP3,投标,多余\n")
    with pytest.raises(pa.InputError) as e:
        load(con, [good, bad])
    assert e.value.row == 3 and "line 3 has 3 fields" in str(e.value)
    assert table_rows(con, "SELECT count(*) FROM projects") == [(0,)]


def test_mixed_line_endings_stop_the_load(con, tmp_path):
    f = write_text(tmp_path / "混.csv", "项目编号,阶段\nP1,投标\r\nP2,投标\n")
    with pytest.raises(pa.InputError, match="mixes line endings"):
        load(con, [f])


def test_gbk_after_an_ascii_first_mib_is_read_as_gb18030(con, tmp_path):
    ascii_rows = "".join(f"P{i:06d},bidding,{i}\n" for i in range(70_000))  # about 1.4 MB
    f = tmp_path / "p.csv"
    f.write_bytes(b"project_id,stage,amount\n" + ascii_rows.encode() + "P999999,投标,1\n".encode("gbk"))
    report = load(con, [f])
    assert (report.files[0].encoding, report.files[0].rows_read, report.rows_rejected) == ("gb18030", 70_001, 0)
    assert table_rows(con, "SELECT stage FROM projects WHERE project_id = 'P999999'") == [("bidding",)]


def test_gbk_bytes_in_an_ignored_column_are_still_found(con, tmp_path):
    ascii_rows = "".join(f"P{i:06d},bidding,x\n" for i in range(70_000))
    f = tmp_path / "p.csv"
    f.write_bytes(b"project_id,stage,remark\n" + ascii_rows.encode() + "P999999,bidding,备注\n".encode("gbk"))
    report = load(con, [f])
    assert report.files[0].encoding == "gb18030"
    assert "remark" in report.files[0].ignored
    assert report.rows_loaded == 70_001


def test_the_same_file_twice_in_one_call_is_loaded_once(con, tmp_path):
    f = write_csv(tmp_path / "p.csv", PROJECTS)
    copy = write_csv(tmp_path / "copy.csv", PROJECTS)
    report = load(con, [f, copy])
    assert [x.skipped for x in report.files] == [False, True]
    assert report.files[1].rows_read == 3
    assert table_rows(con, "SELECT count(*) FROM projects") == [(3,)]


def test_events_for_projects_of_two_loads(con, tmp_path):
    # P1, P2 are committed by a first load; P3 arrives with the events in a second one
    load(con, [write_csv(tmp_path / "p1.csv", [["项目编号", "阶段", "状态", "创建日期", "结束日期"],
                                               ["P1", "投标", "赢单", "2026-01-05", "2026-04-30"],
                                               ["P2", "需求确认", "进行中", "2026-02-01", ""]])])
    p3 = write_csv(tmp_path / "p3.csv", [["项目编号", "阶段", "状态", "创建日期"], ["P3", "立项", "进行中", "2026-03-01"]])
    events = write_csv(tmp_path / "e.csv", [["项目编号", "阶段", "进入日期"], ["P3", "线索", "2026-03-01"],
                                            ["P1", "线索", "2026-01-05"], ["P1", "赢单", "2026-04-30"],
                                            ["P2", "线索", "2026-02-01"], ["P3", "线索", "2026-03-01"]])
    report = load(con, [events, p3])
    assert [(f.table, f.rows_loaded, f.rows_rejected, f.rows_collapsed) for f in report.files] == [
        ("projects", 1, 0, 0), ("stage_events", 4, 0, 1)]      # P3's lead twice: kept once
    assert table_rows(con, "SELECT project_id, stage, entered_at, source FROM stage_events "
                           "ORDER BY project_id, entered_at") == [
        ("P1", "lead", date(2026, 1, 5), "history"), ("P1", "won", date(2026, 4, 30), "history"),
        ("P2", "lead", date(2026, 2, 1), "history"), ("P3", "lead", date(2026, 3, 1), "history")]


# ---------------------------------------------------------------- reading in place, directly

def test_open_raw_numbers_rows_only_when_asked(tmp_path):
    import duckdb

    from presales_analytics.ingest.readers import open_raw

    con = duckdb.connect()
    p = write_text(tmp_path / "商机.csv", '项目编号,备注\nP001,1\n\nP002,"第一行\n\n第三行"\n\n\nP003,\n,\n')
    src = open_raw(con, p, table="t")
    assert (src.table, src.columns, src.encoding) == (None, ["项目编号", "备注"], "utf-8")
    sql, params = src.relation()
    assert con.execute(f"SELECT * FROM {sql} ORDER BY _row", params).fetchall() == [
        ("P001", "1", 2), ("P002", "第一行\n\n第三行", 4), ("P003", None, 7), (None, None, 8)]
    src.scan.check(con)
    sql, params = src.relation(numbered=False)
    assert con.execute(f"SELECT count(*), count(_row) FROM {sql}", params).fetchall() == [(4, 0)]
    src.scan.check(con)
    ragged = open_raw(con, write_text(tmp_path / "坏.csv", "项目编号,金额\nP001,1\nP002,2,3\n"), table="t")
    sql, params = ragged.relation(numbered=False)
    con.execute(f"SELECT count(*) FROM {sql}", params).fetchall()
    with pytest.raises(pa.InputError, match="line 3 has 3 fields"):
        ragged.scan.check(con)
