"""Issue 10, Build item 2 (ingest side): a row with a suspicious but usable value is loaded and
listed in data_quality with its rule and reason; only rows no metric can use are rejected."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from presales_analytics.ingest.load import load

from conftest import table_rows, write_csv


def test_suspicious_project_values_are_loaded_and_flagged(con, tmp_path):
    f = write_csv(tmp_path / "p.csv", [
        ["项目编号", "阶段", "状态", "金额", "回款金额", "创建日期", "结束日期", "客户满意度"],
        ["A", "谈判", "赢单", "10", "", "2026-03-01", "2026-02-01", "4"],      # 2 closed before created
        ["B", "投标", "进行中", "10", "", "0001-01-01", "", "4"],              # 3 created in year 1
        ["C", "谈判", "赢单", "10", "", "2026-01-01", "9999-12-31", "4"],      # 4 closed in 9999
        ["D", "谈判", "赢单", "10", "", "2026-01-01", "2026-02-01", "200%"],   # 5 satisfaction 200
        ["E", "投标", "进行中", "-5", "-10", "2026-01-01", "", "4"],             # 6 negative amounts
        ["F", "投标", "进行中", "10", "", "1990-01-01", "", "-3"],             # 7 negative satisfaction
        ["G", "谈判", "赢单", "10", "", "2100-12-31", "2100-12-31", "5"],      # 8 fine: the range's edges
    ])
    report = load(con, [f])
    assert (report.rows_read, report.rows_loaded, report.rows_flagged, report.rows_rejected) == (7, 1, 6, 0)
    assert report.exit_code == 0
    assert table_rows(con, "SELECT count(*) FROM projects") == [(7,)]
    assert table_rows(con, 'SELECT "row", project_id, "column", value, rule, message FROM data_quality '
                           'ORDER BY "row", rule') == [
        (2, "A", "结束日期 [closed_at]", "2026-02-01", "closed_before_created",
         "closed 2026-02-01 before it was created 2026-03-01: one of the dates is wrong; kept"),
        (3, "B", "创建日期 [created_at]", "0001-01-01", "date_out_of_range",
         "created_at 0001-01-01 is outside 1990-2100: is it a placeholder? kept"),
        (4, "C", "结束日期 [closed_at]", "9999-12-31", "date_out_of_range",
         "closed_at 9999-12-31 is outside 1990-2100: is it a placeholder? kept"),
        (5, "D", "客户满意度 [satisfaction]", "200.0", "satisfaction_out_of_scale",
         "satisfaction 200.0 is outside its scale (0-100, or 1-5 for a score); kept"),
        (6, "E", "金额 [amount]", "-5.00", "negative_amount", "negative amount: -5.00 yuan; kept"),
        (6, "E", "回款金额 [collected_amount]", "-10.00", "negative_collected",
         "negative collected amount: -10.00 yuan; kept"),
        (7, "F", "客户满意度 [satisfaction]", "-3.0", "satisfaction_out_of_scale",
         "satisfaction -3.0 is outside its scale (0-100, or 1-5 for a score); kept"),
    ]
    assert table_rows(con, "SELECT amount, closed_at FROM projects WHERE project_id IN ('A', 'E') ORDER BY 1") == [
        (Decimal("-5.00"), None), (Decimal("10.00"), date(2026, 2, 1))]


def test_event_activity_and_document_dates_outside_the_range_are_flagged(con, tmp_path):
    load(con, [write_csv(tmp_path / "p.csv", [["项目编号", "阶段", "创建日期"], ["P1", "投标", "2026-01-01"]])])
    events = write_csv(tmp_path / "e.csv", [["项目编号", "阶段", "进入日期"], ["P1", "投标", "2150-01-01"]])
    acts = write_csv(tmp_path / "a.csv", [["项目编号", "活动类型", "日期"], ["P1", "项目周报", "1900-01-01"]])
    docs = write_csv(tmp_path / "d.csv", [["项目编号", "文档类型", "归档日期"], ["P1", "合同", "1989-12-31"]])
    report = load(con, [events, acts, docs])
    assert [(f.table, f.rows_loaded, f.rows_flagged, f.rows_rejected) for f in report.files] == [
        ("stage_events", 0, 1, 0), ("activities", 0, 1, 0), ("documents", 0, 1, 0)]
    assert table_rows(con, 'SELECT project_id, "column", rule FROM data_quality ORDER BY file') == [
        ("P1", "日期 [date]", "date_out_of_range"), ("P1", "归档日期 [date]", "date_out_of_range"),
        ("P1", "进入日期 [entered_at]", "date_out_of_range")]


HUBSPOT = [
    ["Record ID", "Deal Name", "Deal owner", "Deal Stage", "Amount", "Create Date", "Close Date", "Deal source"],
    ["9001", "Parking A", "Ann Lee", "Closed Won", "12000", "2024-01-10 09:30", "2024-03-01 10:00", "Partner"],
    ["9002", "Parking B", "Ann Lee", "Closed Lost", "8000", "2024-02-01 11:00", "2024-04-15 12:00", ""],
    # entered after the fact: closed before it was created (a CRM routinely has such deals)
    ["9003", "Parking C", "Bo Chen", "Closed Won", "30000", "2024-06-20 08:00", "2024-05-31 17:00", "Referral"],
    ["9004", "Parking D", "Bo Chen", "Contract Sent", "5000", "2024-03-03 10:00", "2024-12-31 00:00", ""],
    ["9005", "Parking E", "Bo Chen", "Closed Won", "7000", "2024-04-01 10:00", "2024-08-01 10:00", "Partner"],
    # two owners with only open deals
    ["9006", "Parking F", "Cy Wu", "Appointment Scheduled", "1000", "2024-05-05 10:00", "2024-11-30 00:00", ""],
    ["9007", "Parking G", "Cy Wu", "Qualified To Buy", "2000", "2024-05-06 10:00", "2024-12-15 00:00", ""],
    ["9008", "Parking H", "Di Ma", "Presentation Scheduled", "3000", "2024-07-01 10:00", "2025-01-31 00:00", ""],
    ["9009", "Parking I", "Di Ma", "Decision Maker Bought-In", "4000", "2024-07-02 10:00", "2025-02-28 00:00", ""],
    ["9010", "Parking J", "Ann Lee", "Closed Lost", "6000", "2024-08-08 10:00", "2024-10-10 10:00", "Partner"],
]


def test_a_hubspot_export_loads_every_deal_and_flags_the_one_closed_before_created(con, tmp_path):
    report = load(con, [write_csv(tmp_path / "hubspot-deals.csv", HUBSPOT)])
    f = report.files[0]
    assert (f.rows_read, f.rows_loaded, f.rows_flagged, f.rows_rejected, f.rows_collapsed) == (10, 9, 1, 0, 0)
    assert report.exit_code == 0
    assert table_rows(con, "SELECT count(*), count(*) FILTER (WHERE status = 'won'), sum(amount) "
                           "FILTER (WHERE status = 'won') FROM projects") == [(10, 3, Decimal("49000.00"))]
    assert table_rows(con, 'SELECT "row", project_id, rule FROM data_quality') == [
        (4, "9003", "closed_before_created")]
    # the two owners with only open deals are there, without closed dates
    assert table_rows(con, "SELECT director, count(*), count(closed_at) FROM projects "
                           "WHERE director IN ('Cy Wu', 'Di Ma') GROUP BY 1 ORDER BY 1") == [
        ("Cy Wu", 2, 0), ("Di Ma", 2, 0)]
    assert table_rows(con, "SELECT count(*) FROM rejects") == [(0,)]


def test_the_flagged_deal_counts_as_a_win_but_has_no_cycle_and_the_dashboard_renders(con, db_path, tmp_path):
    """Issue 10's HubSpot case, after the load: 9003 (closed 05-31, created 06-20) is a win of 2024, but
    a negative cycle is no cycle: cycle-time leaves it out and says so; the year's dashboard renders
    although two owners have only open deals."""
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    from presales_analytics.metrics import compute

    load(con, [write_csv(tmp_path / "hubspot-deals.csv", HUBSPOT)])
    wr = compute(con, "win-rate", "2024").iloc[0]
    assert (wr["won"], wr["closed"]) == (3, 5)                     # 9001 9003 9005 won; 9002 9010 lost
    ct = compute(con, "cycle-time", "2024").set_index("outcome")
    # won cycles: 9001 01-10 -> 03-01 51 days, 9005 04-01 -> 08-01 122 days; 9003 left out
    assert ct.loc["won", "projects"] == 2 and ct.loc["won", "median_days"] == (51 + 122) / 2
    assert ct.attrs["closed_before_created"] == 1
    con.close()
    exe = shutil.which("presales", path=str(Path(sys.executable).parent))
    env = {k: v for k, v in os.environ.items() if k != "PRESALES_DB"}
    r = subprocess.run([exe, "dashboard", "--period", "2024", "--db", str(db_path)], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    page = next((tmp_path / "reports").rglob("dashboard*.html")).read_text(encoding="utf-8")
    assert "Cy Wu" in page and "Di Ma" in page


def test_the_hubspot_win_rate_by_channel_equals_an_independent_count_of_the_export(con, tmp_path):
    """Issue 10: with the deal closed before it was created rejected, the win rate by channel differed
    from a count of the export itself (its Referral channel vanished). Counted here straight from the
    rows: closed = Closed Won + Closed Lost with a 2024 close date, a blank Deal source is direct."""
    from presales_analytics.metrics import compute

    load(con, [write_csv(tmp_path / "hubspot-deals.csv", HUBSPOT)])
    header, rows = HUBSPOT[0], [dict(zip(HUBSPOT[0], r)) for r in HUBSPOT[1:]]
    assert "Deal source" in header
    expected: dict[str, list[int]] = {}
    for r in rows:
        if r["Deal Stage"] in ("Closed Won", "Closed Lost") and r["Close Date"].startswith("2024"):
            won_closed = expected.setdefault(r["Deal source"] or "直销", [0, 0])
            won_closed[0] += r["Deal Stage"] == "Closed Won"
            won_closed[1] += 1
    assert expected == {"Partner": [2, 3], "Referral": [1, 1], "直销": [0, 1]}   # the count, read by hand too
    got = compute(con, "channels", "2024")
    assert {r.channel: [r.won, r.closed] for r in got.itertuples() if r.closed} == expected
