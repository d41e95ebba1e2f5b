"""Loading exports end to end into a real DuckDB file: rejects, transactions, idempotency,
equivalent exports, the three shapes of stage history, mapping files."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

import presales_analytics as pa
from presales_analytics.ingest.load import load, validate

from conftest import table_rows, write_csv

PROJECT_COLUMNS = ("project_id, name, customer, region, department, director, manager, monitor, channel, "
                   "grade, industry, amount, stage, status, created_at, initiated_at, expected_close_at, "
                   "closed_at, lost_reason, competitor, collected_amount, satisfaction")


def snapshot(con) -> dict[str, list[tuple]]:
    """Everything a load can change, sorted, for before/after comparisons."""
    tables = ["projects", "project_snapshots", "stage_events", "activities", "documents", "targets",
              "load_log", "rejects", "data_quality"]
    return {t: sorted(map(repr, con.execute(f"SELECT * FROM {t}").fetchall())) for t in tables}


# ---------------------------------------------------------------- rejects: 3 bad rows among 100

def hundred_rows(tmp_path: Path) -> Path:
    rows = [["项目编号", "项目名称", "项目总监", "金额", "阶段", "创建日期"]]
    for i in range(1, 101):
        rows.append([f"P{i:03d}", f"智慧停车{i}期", "张伟", f"{i * 1000}", "投标", f"2026-01-{(i % 28) + 1:02d}"])
    rows[18][3] = "十二万"        # data row 18 = file row 19
    rows[50][5] = "2026-02-30"   # file row 51
    rows[77][4] = "暂停"          # file row 78: not a stage
    return write_csv(tmp_path / "商机.csv", rows)


def test_three_bad_rows_among_100_load_97_and_list_the_3(con, tmp_path):
    report = load(con, [hundred_rows(tmp_path)])
    assert (report.rows_loaded, report.rows_rejected, report.exit_code) == (97, 3, 1)
    assert table_rows(con, "SELECT count(*) FROM projects") == [(97,)]
    rejects = table_rows(con, 'SELECT "row", "column", value, reason FROM rejects ORDER BY "row"')
    assert [(r[0], r[1], r[2]) for r in rejects] == [
        (19, "金额 [amount]", "十二万"),
        (51, "创建日期 [created_at]", "2026-02-30"),
        (78, "阶段 [stage]", "暂停"),
    ]
    assert rejects[0][3].startswith("'十二万' is not an amount")
    assert rejects[1][3].startswith("'2026-02-30' is not a date")
    assert rejects[2][3].startswith("'暂停' is not a known stage") and "[values.stage]" in rejects[2][3]
    assert table_rows(con, "SELECT rows_read, rows_loaded, rows_rejected FROM load_log") == [(100, 97, 3)]
    # the good rows are exact
    assert table_rows(con, "SELECT amount, stage, status, created_at FROM projects WHERE project_id = 'P020'") == [
        (Decimal("20000.00"), "bidding", "open", date(2026, 1, 21))]


# ---------------------------------------------------------------- transactions

def test_an_unusable_file_leaves_the_database_as_it_was(con, tmp_path):
    load(con, [hundred_rows(tmp_path)])
    before = snapshot(con)
    good = write_csv(tmp_path / "new.csv", [["项目编号", "阶段"], ["Q1", "立项"]])
    unusable = write_csv(tmp_path / "bad.csv", [["编号X", "说明"], ["Q2", "?"]])
    with pytest.raises(pa.InputError) as info:
        load(con, [good, unusable])
    assert "bad.csv" in str(info.value) and "project_id" in str(info.value)
    assert snapshot(con) == before


def test_an_interrupted_load_leaves_the_database_as_it_was(con, tmp_path):
    load(con, [hundred_rows(tmp_path)])
    before = snapshot(con)
    events = write_csv(tmp_path / "events.csv", [["项目编号", "阶段", "进入日期"], ["P001", "立项", "2026-02-01"]])
    newer = write_csv(tmp_path / "newer.csv", [["项目编号", "阶段"], ["P001", "赢单"]])

    def interrupt(file, step, done, total):
        if step == "writing" and file.endswith("events.csv"):   # after newer.csv was written
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        load(con, [newer, events], progress=interrupt)
    assert snapshot(con) == before


# ---------------------------------------------------------------- idempotency and updates

def test_loading_the_same_export_twice_changes_nothing(con, tmp_path):
    f = hundred_rows(tmp_path)
    load(con, [f])
    before = snapshot(con)
    again = load(con, [f])
    assert [x.skipped for x in again.files] == [True]
    assert "already loaded" in again.files[0].notes[0]
    assert snapshot(con) == before


def test_a_newer_export_updates_the_projects_and_keeps_the_old_state(con, tmp_path):
    old = write_csv(tmp_path / "old.csv", [["项目编号", "阶段", "状态", "金额", "创建日期", "结束日期"],
                                          ["P1", "投标", "进行中", "100", "2026-01-05", ""]])
    new = write_csv(tmp_path / "new.csv", [["项目编号", "阶段", "状态", "金额", "创建日期", "结束日期"],
                                          ["P1", "谈判", "赢单", "120", "2026-01-05", "2026-06-30"]])
    load(con, [old], as_of="2026-03-31")
    load(con, [new], as_of="2026-06-30")
    assert table_rows(con, "SELECT stage, status, amount, closed_at, as_of FROM projects") == [
        ("negotiation", "won", Decimal("120.00"), date(2026, 6, 30), date(2026, 6, 30))]
    # the superseded state is kept; project_versions holds every version
    assert table_rows(con, "SELECT as_of, status, amount FROM project_snapshots ORDER BY as_of") == [
        (date(2026, 3, 31), "open", Decimal("100.00"))]
    assert table_rows(con, "SELECT as_of, status, amount FROM project_versions ORDER BY as_of") == [
        (date(2026, 3, 31), "open", Decimal("100.00")), (date(2026, 6, 30), "won", Decimal("120.00"))]
    # an older snapshot loaded afterwards does not overwrite the newer state
    older = write_csv(tmp_path / "older.csv", [["项目编号", "阶段", "状态", "金额"], ["P1", "立项", "进行中", "90"]])
    load(con, [older], as_of="2026-02-28")
    assert table_rows(con, "SELECT stage, status, amount FROM projects") == [("negotiation", "won", Decimal("120.00"))]
    assert table_rows(con, "SELECT as_of, stage, amount FROM project_versions ORDER BY as_of") == [
        (date(2026, 2, 28), "initiated", Decimal("90.00")), (date(2026, 3, 31), "bidding", Decimal("100.00")),
        (date(2026, 6, 30), "negotiation", Decimal("120.00"))]


def test_a_column_missing_from_a_newer_export_keeps_its_stored_value(con, tmp_path):
    load(con, [write_csv(tmp_path / "a.csv", [["项目编号", "阶段", "渠道商"], ["P1", "投标", "华东智联"]])])
    load(con, [write_csv(tmp_path / "b.csv", [["项目编号", "阶段"], ["P1", "谈判"]])])
    assert table_rows(con, "SELECT stage, channel FROM projects") == [("negotiation", "华东智联")]


def test_duplicate_ids_last_row_wins_and_earlier_rows_are_rejected(con, tmp_path):
    f = write_csv(tmp_path / "d.csv", [["项目编号", "阶段", "金额"], ["P1", "投标", "1"], ["P2", "立项", "2"],
                                      ["P1", "谈判", "3"]])
    report = load(con, [f])
    assert report.rows_loaded == 2
    assert table_rows(con, "SELECT project_id, stage, amount FROM projects ORDER BY 1") == [
        ("P1", "negotiation", Decimal("3.00")), ("P2", "initiated", Decimal("2.00"))]
    assert table_rows(con, 'SELECT "row", reason FROM rejects') == [
        (2, "duplicate project id: row 4 later in this file is loaded instead")]


# ---------------------------------------------------------------- row rules and warnings

def test_row_rules_reject_and_warn(con, tmp_path):
    f = write_csv(tmp_path / "r.csv", [
        ["项目编号", "阶段", "状态", "金额", "回款金额", "创建日期", "结束日期"],
        ["A", "投标", "进行中", "-5", "", "2026-01-01", ""],            # 2 negative amount: warn (kept)
        ["B", "赢单", "丢单", "10", "", "2026-01-01", "2026-02-01"],    # 3 contradiction: reject
        ["C", "谈判", "赢单", "10", "", "2026-03-01", "2026-02-01"],    # 4 closed before created: warn (kept)
        ["", "投标", "", "10", "", "", ""],                            # 5 blank id: reject
        ["E", "", "", "10", "", "", ""],                               # 6 no stage, no status: reject
        ["F", "谈判", "赢单", "10", "", "2026-01-01", ""],              # 7 won without closed date: warn
        ["G", "投标", "进行中", "10", "", "2026-01-01", "2026-02-01"],  # 8 open with closed date: warn
        ["H", "谈判", "赢单", "10", "12", "2026-01-01", "2026-02-01"],  # 9 collected > amount: warn
        ["I", "丢单", "", "10", "", "2026-01-01", "2026-02-01"],        # 10 fine: stage gives status
    ])
    report = load(con, [f])
    assert (report.rows_loaded, report.rows_flagged, report.rows_rejected) == (1, 5, 3)
    assert table_rows(con, 'SELECT "row", "column", reason FROM rejects ORDER BY "row"') == [
        (3, "状态 [status]", "status '丢单' contradicts stage '赢单'"),
        (5, "项目编号 [project_id]", "blank project id: every row needs one"),
        (6, "阶段 [stage]", "no stage and no status: give one of them"),
    ]
    assert table_rows(con, 'SELECT "row", project_id, rule FROM data_quality ORDER BY "row"') == [
        (2, "A", "negative_amount"), (4, "C", "closed_before_created"), (7, "F", "closed_without_date"),
        (8, "G", "open_with_close_date"), (9, "H", "collected_exceeds_amount")]
    assert table_rows(con, "SELECT project_id, stage, status FROM projects WHERE project_id = 'I'") == [
        ("I", None, "lost")]


def test_an_export_without_dates_still_loads(con, tmp_path):
    f = write_csv(tmp_path / "nodates.csv", [["Opportunity ID", "Stage", "Amount"], ["X1", "Closed Won", "5"],
                                             ["X2", "Prospecting", "7"]])
    report = load(con, [f])
    assert (report.rows_loaded, report.rows_rejected, report.files[0].warnings) == (2, 0, 0)
    assert table_rows(con, "SELECT project_id, stage, status, created_at FROM projects ORDER BY 1") == [
        ("X1", None, "won", None), ("X2", "lead", "open", None)]
    assert table_rows(con, "SELECT count(*) FROM stage_events") == [(0,)]


def test_events_for_unknown_projects_are_rejected_and_early_events_warned(con, tmp_path):
    p = write_csv(tmp_path / "p.csv", [["项目编号", "阶段", "创建日期"], ["P1", "投标", "2026-02-01"]])
    e = write_csv(tmp_path / "e.csv", [["项目编号", "阶段", "进入日期"], ["P1", "线索", "2026-01-20"],
                                       ["P1", "投标", "2026-03-01"], ["P9", "线索", "2026-01-01"]])
    report = load(con, [e, p])          # order of files does not matter: projects load first
    assert [f.table for f in report.files] == ["projects", "stage_events"]
    assert table_rows(con, 'SELECT "row", value, reason FROM rejects') == [
        (4, "P9", "project 'P9' is not in projects: load the projects export first (or in the same command)")]
    assert table_rows(con, "SELECT project_id, rule, message FROM data_quality") == [
        ("P1", "event_before_created", "entered lead on 2026-01-20, before the project was created 2026-02-01")]


# ---------------------------------------------------------------- the same projects, two exports

GBK_ROWS = [
    ["项目编号", "项目名称", "客户名称", "区域", "系统部", "项目总监", "渠道商", "项目等级", "预计金额（万元）",
     "项目阶段", "状态", "创建日期", "立项日期", "预计签约日期", "结束日期", "回款金额（万元）", "客户满意度"],
    ["SQ-001", "杭州市智慧停车一期", "杭州市城市管理局", "华东", "政府系统部", "张伟", "", "公司级", "5,200.5",
     "谈判", "赢单", "2025/3/7", "2025年4月1日", "", "2025-09-30", "2600.25", "5"],
    ["SQ-002", "成都天府机场停车诱导", "成都市交通运输局", "西南", "政府系统部", "李娜", "华东智联科技有限公司",
     "渠道项目", "12.5", "投标", "进行中", "2026/1/5", "", "2026年12月31日", "", "", ""],
    ["SQ-003", "南京新街口停车场改造", "南京市公安局交通管理局", "华东", "企业系统部", "王芳", "", "办事处重点",
     "300", "立项", "放弃", "2025-06-01", "2025-07-01", "", "2025-11-15", "", ""],
]

XLSX_ROWS = [
    ["Opportunity ID", "Opportunity Name", "Account Name", "Region", "Department", "Opportunity Owner",
     "Partner", "Grade", "Amount", "Stage", "Status", "Created Date", "Initiated Date", "Expected Closing",
     "Closed Date", "Collected Amount", "Satisfaction"],
    ["SQ-001", "杭州市智慧停车一期", "杭州市城市管理局", "华东", "政府系统部", "张伟", None, "company", 52005000,
     "Negotiation", "Won", date(2025, 3, 7), date(2025, 4, 1), None, date(2025, 9, 30), 26002500, 5],
    ["SQ-002", "成都天府机场停车诱导", "成都市交通运输局", "西南", "政府系统部", "李娜", "华东智联科技有限公司",
     "channel", 125000, "Bidding", "Open", date(2026, 1, 5), None, date(2026, 12, 31), None, None, None],
    ["SQ-003", "南京新街口停车场改造", "南京市公安局交通管理局", "华东", "企业系统部", "王芳", None, "office",
     3000000, "Initiated", "Abandoned", date(2025, 6, 1), date(2025, 7, 1), None, date(2025, 11, 15), None, None],
]


def test_gbk_wan_chinese_and_xlsx_yuan_english_give_identical_projects(tmp_path):
    gbk = write_csv(tmp_path / "商机台账.csv", GBK_ROWS, encoding="gbk")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Opportunities"
    for row in XLSX_ROWS:
        ws.append(row)
    xlsx = tmp_path / "opportunities.xlsx"
    wb.save(xlsx)
    results = []
    for name, f in [("a", gbk), ("b", xlsx)]:
        con = pa.connect(tmp_path / f"{name}.duckdb")
        report = load(con, [f])
        assert report.rows_rejected == 0, report.files[0].first_rejects
        results.append(table_rows(con, f"SELECT {PROJECT_COLUMNS} FROM projects ORDER BY project_id"))
        con.close()
    assert results[0] == results[1]
    assert results[0][0][:14] == ("SQ-001", "杭州市智慧停车一期", "杭州市城市管理局", "华东", "政府系统部", "张伟",
                                  None, None, None, "company", None, Decimal("52005000.00"), "negotiation", "won")
    assert results[0][1][8] == "华东智联科技有限公司" and results[0][1][11] == Decimal("125000.00")


# ---------------------------------------------------------------- stage history: three shapes

# The underlying history: P1 lead 01-05 -> qualified 01-20 -> solution 02-10 (skips initiated)
# -> bidding 03-01 -> solution 03-15 (moves back) -> won 04-30; P2 lead 02-01 -> qualified 02-15 (open).
HISTORY = [("P1", "线索", "2026-01-05"), ("P1", "需求确认", "2026-01-20"), ("P1", "方案设计", "2026-02-10"),
           ("P1", "投标", "2026-03-01"), ("P1", "方案设计", "2026-03-15"), ("P1", "赢单", "2026-04-30"),
           ("P2", "线索", "2026-02-01"), ("P2", "需求确认", "2026-02-15")]
EXPECTED_EVENTS = [("P1", "lead", date(2026, 1, 5)), ("P1", "qualified", date(2026, 1, 20)),
                   ("P1", "solution", date(2026, 2, 10)), ("P1", "bidding", date(2026, 3, 1)),
                   ("P1", "solution", date(2026, 3, 15)), ("P1", "won", date(2026, 4, 30)),
                   ("P2", "lead", date(2026, 2, 1)), ("P2", "qualified", date(2026, 2, 15))]
FINAL = [["项目编号", "项目阶段", "状态", "创建日期", "结束日期"],
         ["P1", "方案设计", "赢单", "2026-01-05", "2026-04-30"], ["P2", "需求确认", "进行中", "2026-02-01", ""]]


def events(con):
    return table_rows(con, "SELECT project_id, stage, entered_at FROM stage_events ORDER BY project_id, entered_at")


def test_event_rows_shape(con, tmp_path):
    load(con, [write_csv(tmp_path / "p.csv", FINAL),
               write_csv(tmp_path / "h.csv", [["项目编号", "阶段", "进入日期"], *map(list, HISTORY)], encoding="gbk")])
    assert events(con) == EXPECTED_EVENTS
    assert table_rows(con, "SELECT DISTINCT source FROM stage_events") == [("history",)]


def test_wide_entered_columns_shape(con, tmp_path):
    # HubSpot keeps only the latest entry per stage, so a re-entered stage shows its last date;
    # the first visit to 方案设计 is written in the events-table file as a second wide column set.
    wide = [["项目编号", "项目阶段", "状态", "创建日期", "结束日期", "Date entered \"线索\"", "进入需求确认日期",
             "entered_solution", "进入投标日期", "Date entered \"Closed Won (Sales Pipeline)\""],
            ["P1", "方案设计", "赢单", "2026-01-05", "2026-04-30", "2026-01-05", "2026-01-20", "2026-03-15",
             "2026-03-01", "2026-04-30"],
            ["P2", "需求确认", "进行中", "2026-02-01", "", "2026-02-01", "2026-02-15", "", "", ""]]
    load(con, [write_csv(tmp_path / "wide.csv", wide)])
    # one wide export cannot carry two visits; the earlier one arrives as event rows
    load(con, [write_csv(tmp_path / "first.csv", [["项目编号", "阶段", "进入日期"], ["P1", "方案设计", "2026-02-10"]])])
    assert events(con) == EXPECTED_EVENTS
    assert table_rows(con, "SELECT DISTINCT source FROM stage_events ORDER BY 1") == [("columns",), ("history",)]


def test_successive_snapshots_shape(con, tmp_path):
    days = sorted({d for _, _, d in HISTORY})
    for i, day in enumerate(days):
        rows = [["项目编号", "项目阶段", "状态", "创建日期", "结束日期"]]
        for pid in ("P1", "P2"):
            past = [(s, d) for p, s, d in HISTORY if p == pid and d <= day]
            if not past:
                continue
            stage = past[-1][0]
            status = "赢单" if stage == "赢单" else "进行中"
            working = [s for s, _ in past if s != "赢单"][-1]
            rows.append([pid, working, status, past[0][1], day if status != "进行中" else ""])
        load(con, [write_csv(tmp_path / f"snap{i}.csv", rows)], as_of=day)
    assert events(con) == EXPECTED_EVENTS
    assert table_rows(con, "SELECT DISTINCT source FROM stage_events") == [("snapshot",)]


def test_projects_without_history_get_inferred_events(con, tmp_path):
    load(con, [write_csv(tmp_path / "p.csv", FINAL)])
    assert table_rows(con, "SELECT project_id, stage, entered_at, source FROM stage_events ORDER BY 1, 3") == [
        ("P1", "solution", date(2026, 1, 5), "inferred"), ("P1", "won", date(2026, 4, 30), "inferred"),
        ("P2", "qualified", date(2026, 2, 1), "inferred")]
    # real history replaces the inferred events
    load(con, [write_csv(tmp_path / "h.csv", [["项目编号", "阶段", "进入日期"], *map(list, HISTORY)])])
    assert events(con) == EXPECTED_EVENTS


# ---------------------------------------------------------------- mapping file and headers

MAPPING = """
table = "projects"
[source]
amount_unit = "yuan"
date_format = "%d/%m/%Y"
[columns]
project_id = "opportunity_id"
director = "sales_agent"
stage = "deal_stage"
created_at = "engage_date"
closed_at = "close_date"
amount = "close_value"
[values.stage]
"Engaging" = "negotiation"
"Won" = "won"
"Lost" = "lost"
[values.channel]
"Self" = ""
"""


def test_mapping_file_for_unknown_headers_and_values(con, tmp_path):
    mapping = tmp_path / "crm.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    f = write_csv(tmp_path / "pipeline.csv", [
        ["opportunity_id", "sales_agent", "deal_stage", "engage_date", "close_date", "close_value", "Partner",
         "product"],
        ["1C1I7A6R", "Moses Frase", "Won", "20/10/2016", "01/03/2017", "1054", "Self", "GTX Plus Basic"],
        ["Z063OYW0", "Darcel Schlecht", "Engaging", "25/10/2016", "", "", "Acme", "GTXPro"],
    ])
    report = load(con, [f], mapping=mapping)
    assert report.rows_rejected == 0
    assert report.files[0].ignored == {
        "product": "unknown header for table projects; map it in a mapping file [columns] if it is needed"}
    assert table_rows(con, "SELECT project_id, director, stage, status, channel, created_at, closed_at, amount "
                           "FROM projects ORDER BY 1") == [
        ("1C1I7A6R", "Moses Frase", None, "won", None, date(2016, 10, 20), date(2017, 3, 1), Decimal("1054.00")),
        ("Z063OYW0", "Darcel Schlecht", "negotiation", "open", "Acme", date(2016, 10, 25), None, None)]


def test_mapping_file_errors_name_the_file_and_the_fix(tmp_path, con):
    bad = tmp_path / "bad.toml"
    bad.write_text('[columns]\nproject_idd = "x"\n', encoding="utf-8")
    f = write_csv(tmp_path / "x.csv", [["x", "Stage"], ["1", "Won"]])
    with pytest.raises(pa.InputError) as info:
        load(con, [f], mapping=bad)
    assert "bad.toml" in str(info.value) and "project_idd" in str(info.value) and "canonical" in str(info.value)
    missing = tmp_path / "missing.toml"
    missing.write_text('[columns]\nproject_id = "opp"\n', encoding="utf-8")
    with pytest.raises(pa.InputError) as info:
        load(con, [f], mapping=missing)
    assert "'opp'" in str(info.value) and "x, Stage" in str(info.value)


def test_two_headers_for_one_column_are_reported_not_guessed(con, tmp_path):
    f = write_csv(tmp_path / "two.csv", [["项目编号", "阶段", "金额", "合同金额"], ["P1", "投标", "1", "2"]])
    report = load(con, [f])
    assert report.files[0].ignored == {"合同金额": "amount is already read from '金额'; choose one in a mapping "
                                                 "file [columns]"}


def test_validate_writes_nothing(con, tmp_path):
    before = snapshot(con)
    report = validate(con, [hundred_rows(tmp_path)])
    assert (report.rows_loaded, report.rows_rejected, report.written) == (97, 3, False)
    assert snapshot(con) == before


# ---------------------------------------------------------------- other tables

def test_activities_documents_targets(con, tmp_path):
    load(con, [write_csv(tmp_path / "p.csv", [["项目编号", "阶段"], ["P1", "投标"]])])
    acts = write_csv(tmp_path / "act.csv", [["项目编号", "活动类型", "日期"], ["P1", "项目周报", "2026-01-05"],
                                            ["P1", "分析会", "2026-01-09"], ["P1", "开会", "2026-01-10"]],
                     encoding="utf-8-sig")
    docs = write_csv(tmp_path / "doc.csv", [["项目编号", "文档类型", "归档日期"], ["P1", "立项报告", "2026-01-05"],
                                            ["P1", "标书", "2026-02-01"]])
    targets = write_csv(tmp_path / "t.csv", [["目标范围", "期间", "目标金额（万元）"], ["公司", "2026", "10000"],
                                             ["区域：华东", "2026-Q3", "1,500"], ["总监:张伟", "2026年第3季度", "300"],
                                             ["客户:某某", "2026", "1"], ["公司", "2026-Q5", "1"]])
    report = load(con, [targets, docs, acts])
    assert [(f.table, f.rows_loaded, f.rows_rejected) for f in report.files] == [
        ("activities", 2, 1), ("documents", 2, 0), ("targets", 3, 2)]
    assert table_rows(con, "SELECT kind, date FROM activities ORDER BY date") == [
        ("weekly_report", date(2026, 1, 5)), ("analysis_meeting", date(2026, 1, 9))]
    assert table_rows(con, "SELECT doc_type FROM documents ORDER BY date") == [("initiation_report",), ("bid",)]
    assert table_rows(con, "SELECT scope, period, amount FROM targets ORDER BY amount") == [
        ("director:张伟", "2026-Q3", Decimal("3000000.00")), ("region:华东", "2026-Q3", Decimal("15000000.00")),
        ("company", "2026", Decimal("100000000.00"))]
    reasons = [r for (r,) in table_rows(con, 'SELECT reason FROM rejects ORDER BY "row", load_id')]
    assert reasons[0].startswith("'开会' is not a known activity kind")
    assert reasons[1].startswith("'客户:某某' is not a target scope")
    assert reasons[2].startswith("'2026-Q5' is not a period")


def test_parquet_and_json_load_like_csv(con, tmp_path):
    src = pa.connect(":memory:")
    src.execute("CREATE TABLE t AS SELECT * FROM (VALUES ('P1', '投标', DATE '2026-01-05', 12.5::DOUBLE), "
                "('P2', '赢单', DATE '2026-02-01', 300.0::DOUBLE)) v(\"项目编号\", \"阶段\", \"创建日期\", \"金额（万元）\")")
    src.execute("COPY t TO $p (FORMAT parquet)", {"p": str(tmp_path / "p.parquet")})
    src.execute("COPY t TO $p (FORMAT json, ARRAY true)", {"p": str(tmp_path / "p.json")})
    expected = [("P1", "bidding", "open", date(2026, 1, 5), Decimal("125000.00")),
                ("P2", None, "won", date(2026, 2, 1), Decimal("3000000.00"))]
    for f in ("p.parquet", "p.json"):
        c = pa.connect(tmp_path / f"{f}.duckdb")
        assert load(c, [tmp_path / f]).rows_rejected == 0
        assert table_rows(c, "SELECT project_id, stage, status, created_at, amount FROM projects ORDER BY 1") == expected
        c.close()
