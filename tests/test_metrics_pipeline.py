"""pipeline (商机管道), pipeline_summary and slippage on hand-typed projects, histories and snapshots."""

from __future__ import annotations

import math
from datetime import date

import pytest

import presales_analytics as pa
from presales_analytics.errors import InputError
from presales_analytics.metrics import compute
from presales_analytics.metrics.pipeline import (COLUMNS, SLIPPAGE_COLUMNS, SUMMARY_COLUMNS, pipeline,
                                                 pipeline_summary, slippage)

from conftest import write_csv

WAN = 10_000

HEADER = ["项目编号", "项目名称", "项目总监", "区域", "项目等级", "金额（万元）", "项目阶段", "状态", "创建日期", "结束日期"]
ROWS = [
    ["A1", "杭州市智慧停车一期", "张伟", "华东", "公司级", "600", "谈判", "进行中", "2026-01-05", ""],
    ["A2", "宁波停车诱导", "张伟", "华东", "办事处重点", "100", "方案设计", "进行中", "2026-02-01", ""],
    ["A3", "温州静态交通", "李娜", "华东", "", "80", "立项", "进行中", "2026-03-01", ""],
    ["A4", "绍兴停车场", "李娜", "西南", "办事处重点", "50", "投标", "放弃", "2026-01-10", "2026-07-15"],
    ["A5", "成都天府停车", "王芳", "西南", "公司级", "200", "谈判", "赢单", "2026-01-01", "2026-05-20"],
    ["A6", "重庆停车诱导", "王芳", "西南", "系统部级", "300", "需求确认", "进行中", "2026-04-01", ""],  # no history
    ["A7", "南京新街口改造", "王芳", "华东", "办事处重点", "", "线索", "进行中", "2026-07-10", ""],    # no amount
]
EVENTS = [
    ["项目编号", "阶段", "进入日期"],
    # A1 goes forward: bidding on 06-01, negotiation on 08-01
    ["A1", "线索", "2026-01-05"], ["A1", "需求确认", "2026-02-01"], ["A1", "立项", "2026-03-01"],
    ["A1", "方案设计", "2026-04-01"], ["A1", "投标", "2026-06-01"], ["A1", "谈判", "2026-08-01"],
    # A2 skips qualified and initiated, and moves back from bidding to solution (re-entered)
    ["A2", "线索", "2026-02-01"], ["A2", "方案设计", "2026-03-01"], ["A2", "投标", "2026-05-01"],
    ["A2", "方案设计", "2026-06-15"],
    ["A3", "线索", "2026-03-01"], ["A3", "立项", "2026-04-10"],
    # A4 bidding, abandoned on 07-15; A5 won on 05-20
    ["A4", "线索", "2026-01-10"], ["A4", "投标", "2026-03-01"], ["A4", "放弃", "2026-07-15"],
    ["A5", "线索", "2026-01-01"], ["A5", "谈判", "2026-04-01"], ["A5", "赢单", "2026-05-20"],
    ["A7", "线索", "2026-07-10"],
]
TARGETS = [["目标范围", "期间", "目标金额（万元）"], ["公司", "2026-Q2", "1000"]]


@pytest.fixture
def fixture_con(con, tmp_path):
    pa.load(con, [write_csv(tmp_path / "商机.csv", [HEADER, *ROWS]), write_csv(tmp_path / "阶段.csv", EVENTS),
                  write_csv(tmp_path / "目标.csv", TARGETS)])
    return con


def table(df, *columns):
    return [tuple(r) for r in df[list(columns)].itertuples(index=False)]


def test_open_at_the_end_of_q2_by_stage_and_grade(fixture_con):
    df = pipeline(fixture_con, "2026-Q2")            # state date 06-30 (data run to 08-01)
    assert list(df.columns) == COLUMNS
    # open on 06-30: A1 bidding (negotiation only on 08-01), A2 solution (back from bidding on 06-15),
    # A3 initiated, A4 bidding (abandoned 07-15), A6 qualified (its row, no history); A5 won 05-20, A7 later
    assert table(df, "stage", "stage_zh", "grade", "grade_zh", "projects", "amount") == [
        ("qualified", "需求确认", "department", "系统部级", 1, 300 * WAN),
        ("initiated", "立项", "未定级", "未定级", 1, 80 * WAN),
        ("solution", "方案设计", "office", "办事处重点", 1, 100 * WAN),
        ("bidding", "投标", "company", "公司级", 1, 600 * WAN),
        ("bidding", "投标", "office", "办事处重点", 1, 50 * WAN),
    ]
    # probabilities 0.10 0.20 0.35 0.50 0.50: weighted 300k 160k 350k 3,000k 250k
    assert df["probability"].tolist() == [0.10, 0.20, 0.35, 0.50, 0.50]
    assert df["weighted_amount"].tolist() == [300_000.0, 160_000.0, 350_000.0, 3_000_000.0, 250_000.0]
    assert df.attrs["options"]["state_date"] == "2026-06-30"
    # the same numbers with an explicit as-of date
    assert table(pipeline(fixture_con, as_of="2026-06-30"), "stage", "grade", "projects", "amount") == \
        table(df, "stage", "grade", "projects", "amount")


def test_latest_state(fixture_con):
    df = pipeline(fixture_con)                       # all: the latest data date, 08-01
    # A1 negotiation now; A4 abandoned; A7 lead, without an amount (adds 0)
    assert table(df, "stage", "grade", "projects", "amount", "weighted_amount") == [
        ("lead", "office", 1, 0.0, 0.0),
        ("qualified", "department", 1, 300 * WAN, 300_000.0),
        ("initiated", "未定级", 1, 80 * WAN, 160_000.0),
        ("solution", "office", 1, 100 * WAN, 350_000.0),
        ("negotiation", "company", 1, 600 * WAN, 4_500_000.0),   # 0.75
    ]


def test_by_director(fixture_con):
    df = compute(fixture_con, "pipeline", "2026-Q2", by="director")
    assert list(df.columns) == ["director", *COLUMNS]
    assert table(df, "director", "stage", "grade", "projects") == [
        ("张伟", "solution", "office", 1), ("张伟", "bidding", "company", 1),
        ("李娜", "initiated", "未定级", 1), ("李娜", "bidding", "office", 1),
        ("王芳", "qualified", "department", 1),
    ]
    with pytest.raises(InputError, match="already broken down"):
        pipeline(fixture_con, by="stage")


def test_summary_coverage_of_the_remaining_target(fixture_con):
    row = pipeline_summary(fixture_con, "2026-Q2").to_dict("records")[0]
    assert list(row) == SUMMARY_COLUMNS
    # open 5: 600 + 100 + 80 + 50 + 300 = 1130; weighted 4,060,000 (see the first test)
    assert (row["open_projects"], row["open_amount"], row["weighted_amount"]) == (5, 1130 * WAN, 4_060_000.0)
    # target Q2 1000; won in Q2: A5 200 -> remaining 800; coverage 406 / 800 = 0.5075
    assert (row["target_amount"], row["won_amount"], row["remaining_target"]) == (1000 * WAN, 200 * WAN, 800 * WAN)
    assert math.isclose(row["coverage"], 0.5075)
    assert row["slipped_projects"] == 0
    # Q3 has no company target: NaN target, remaining and coverage
    q3 = pipeline_summary(fixture_con, "2026-Q3").to_dict("records")[0]
    assert math.isnan(q3["target_amount"]) and math.isnan(q3["coverage"]) and q3["won_amount"] == 0.0


# --- slippage through successive snapshots -------------------------------------------------------

SNAP_HEADER = ["项目编号", "项目名称", "项目总监", "金额（万元）", "项目阶段", "状态", "创建日期", "预计签约日期"]
NAMES = {"S1": ("杭州市智慧停车", "张伟"), "S2": ("宁波停车诱导", "张伟"), "S3": ("温州静态交通", "李娜"),
         "S4": ("绍兴停车场", "李娜"), "S5": ("成都天府停车", "王芳"), "S6": ("重庆停车诱导", "王芳")}
EXPECTED = {   # expected close date in the snapshots of 03-31, 04-30 and 06-30
    "S1": ("2026-03-15", "2026-05-20", "2026-05-20"),   # Q1 -> Q2 (and March -> May) on 04-30
    "S2": ("2026-04-10", "2026-04-25", "2026-04-25"),   # within April: no slip
    "S3": ("2026-05-10", "2026-06-20", "2026-06-20"),   # May -> June on 04-30: a month slip, same quarter
    "S4": ("2026-06-30", "2026-05-31", "2026-05-31"),   # earlier: no slip
    "S5": ("", "2026-07-01", "2026-07-01"),             # from no date: no slip
    "S6": ("2026-06-15", "2026-06-15", "2026-08-15"),   # June -> August (Q2 -> Q3, H1 -> H2) on 06-30
}


@pytest.fixture
def snapshots_con(con, tmp_path):
    for i, as_of in enumerate(("2026-03-31", "2026-04-30", "2026-06-30")):
        rows = [[pid, *NAMES[pid][:1], NAMES[pid][1], "100", "谈判" if pid == "S2" and i else "投标", "进行中",
                 "2026-01-05", dates[i]] for pid, dates in EXPECTED.items()]
        pa.load(con, [write_csv(tmp_path / f"snapshot_{i}.csv", [SNAP_HEADER, *rows])], as_of=as_of)
    return con


def test_slips_at_month_grain_for_all(snapshots_con):
    df = slippage(snapshots_con)
    assert list(df.columns) == SLIPPAGE_COLUMNS
    assert df.values.tolist() == [
        ["S1", "杭州市智慧停车", "张伟", date(2026, 3, 15), date(2026, 5, 20), date(2026, 3, 31), date(2026, 4, 30)],
        ["S3", "温州静态交通", "李娜", date(2026, 5, 10), date(2026, 6, 20), date(2026, 3, 31), date(2026, 4, 30)],
        ["S6", "重庆停车诱导", "王芳", date(2026, 6, 15), date(2026, 8, 15), date(2026, 4, 30), date(2026, 6, 30)],
    ]
    assert df.attrs["options"]["grain"] == "month"


def test_slips_at_the_grain_of_the_period(snapshots_con):
    # a quarter: S1 (Q1 -> Q2) and S6 (Q2 -> Q3), both seen in Q2; S3 stays in Q2
    assert slippage(snapshots_con, "2026-Q2")["project_id"].tolist() == ["S1", "S6"]
    # a month: seen in April, March -> May (S1) and May -> June (S3)
    assert slippage(snapshots_con, "2026-04")["project_id"].tolist() == ["S1", "S3"]
    # a half: only S6 leaves H1; a year: nobody leaves 2026
    assert slippage(snapshots_con, "2026-H1")["project_id"].tolist() == ["S6"]
    assert slippage(snapshots_con, "2026").empty


def test_slips_known_by_the_as_of_date_only(snapshots_con):
    # on 05-31 the 06-30 snapshot was not known: S6 has not slipped yet
    assert slippage(snapshots_con, "2026-Q2", as_of="2026-05-31")["project_id"].tolist() == ["S1"]
    assert pipeline_summary(snapshots_con, "2026-Q2")["slipped_projects"].tolist() == [2]
    assert pipeline_summary(snapshots_con, "2026-Q2", as_of="2026-05-31")["slipped_projects"].tolist() == [1]
