"""Issue 10: the counts a load reports are what it stored. Identical rows that are kept once are
reported as collapsed, and rows read = loaded + flagged + rejected + collapsed holds for every file,
in the LoadReport and in load_log."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from presales_analytics.ingest.load import load

from conftest import table_rows, write_csv

COUNTS = "SELECT rows_read, rows_loaded, rows_flagged, rows_rejected, rows_collapsed FROM load_log"


def counts(f) -> tuple[int, int, int, int, int]:
    return (f.rows_read, f.rows_loaded, f.rows_flagged, f.rows_rejected, f.rows_collapsed)


def projects(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "p.csv", [["项目编号", "阶段", "创建日期"], ["P1", "投标", "2026-01-01"],
                                          ["P2", "投标", "2026-01-01"]])


def test_three_identical_events_are_one_event_and_say_so(con, tmp_path):
    events = write_csv(tmp_path / "e.csv", [["项目编号", "阶段", "进入日期"]] + [["P1", "投标", "2026-02-01"]] * 3)
    report = load(con, [projects(tmp_path), events])
    f = report.files[1]
    assert f.table == "stage_events"
    assert counts(f) == (3, 1, 0, 0, 2)
    assert table_rows(con, "SELECT count(*) FROM stage_events WHERE source = 'history'") == [(1,)]
    assert "3 read: 1 loaded, 2 identical collapsed (kept once)" in f.notes
    assert table_rows(con, COUNTS + " WHERE table_name = 'stage_events'") == [(3, 1, 0, 0, 2)]


def test_rows_already_stored_by_an_earlier_load_are_collapsed(con, tmp_path):
    load(con, [projects(tmp_path)])
    first = write_csv(tmp_path / "a1.csv", [["项目编号", "活动类型", "日期"], ["P1", "项目周报", "2026-02-02"]])
    load(con, [first])
    again = write_csv(tmp_path / "a2.csv", [["项目编号", "活动类型", "日期"], ["P1", "项目周报", "2026-02-02"],
                                            ["P2", "项目周报", "2026-02-02"], ["P2", "项目周报", "2026-02-02"],
                                            ["P3", "项目周报", "2026-02-02"]])
    f = load(con, [again]).files[0]
    assert counts(f) == (4, 1, 0, 1, 2)    # P1's row is stored already, P2's twice, P3 is unknown
    assert table_rows(con, "SELECT count(*) FROM activities") == [(2,)]
    assert "4 read: 1 loaded, 1 rejected, 2 identical collapsed (kept once)" in f.notes


def test_flagged_rows_are_counted_apart_and_the_invariant_holds(con, tmp_path):
    f = write_csv(tmp_path / "p.csv", [
        ["项目编号", "阶段", "状态", "创建日期", "结束日期"],
        ["A", "谈判", "赢单", "2026-01-01", ""],            # won without a closed date: flagged
        ["B", "投标", "进行中", "2026-01-01", ""],
        ["C", "投标", "进行中", "2026-01-01", "2026-02-01"],  # open with a closed date: flagged
        ["D", "投标", "暂停", "2026-01-01", ""],            # not a status: rejected
    ])
    report = load(con, [f])
    assert counts(report.files[0]) == (4, 1, 2, 1, 0)
    assert (report.rows_loaded, report.rows_flagged, report.rows_rejected, report.rows_collapsed) == (1, 2, 1, 0)
    assert table_rows(con, COUNTS) == [(4, 1, 2, 1, 0)]
    assert table_rows(con, "SELECT count(*) FROM projects") == [(3,)]   # loaded + flagged are stored


def test_the_demo_activities_report_what_they_store(con, tmp_path):
    from presales_analytics.demo import generate_demo

    files = generate_demo(tmp_path / "demo", export_date=date(2026, 11, 27), n_projects=300)
    report = load(con, [files.projects, files.activities])
    f = next(f for f in report.files if f.table == "activities")
    stored = table_rows(con, "SELECT count(*) FROM activities")[0][0]
    assert f.rows_loaded + f.rows_flagged == stored
    assert f.rows_read == f.rows_loaded + f.rows_flagged + f.rows_rejected + f.rows_collapsed
    # the demo repeats some activities, as real weekly-report exports do: they are said to be collapsed
    distinct = table_rows(con, "SELECT count(*) FROM (SELECT DISTINCT * EXCLUDE (load_id) FROM activities)")[0][0]
    assert stored == distinct and f.rows_collapsed > 0


def test_a_skipped_file_counts_as_collapsed(con, tmp_path):
    p = projects(tmp_path)
    load(con, [p])
    f = load(con, [p]).files[0]
    assert f.skipped and counts(f) == (2, 0, 0, 0, 2)
