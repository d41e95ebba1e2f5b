"""targets (业绩目标达成) on hand-typed targets and projects: breakdown, attainment, run-rate projection."""

from __future__ import annotations

import math
from datetime import date

import pytest

import presales_analytics as pa
from presales_analytics.errors import InputError, MissingColumnError
from presales_analytics.metrics import compute
from presales_analytics.metrics.targets import breakdown, period_target, targets
from presales_analytics.periods import Period

from conftest import write_csv

WAN = 10_000   # yuan per 万元

TARGETS = [
    ["目标范围", "期间", "目标金额（万元）"],
    ["公司", "2026", "1200"],                 # year only: 100 a month
    ["区域:华东", "2026", "600"],             # year, a quarter and a month (finer ones win)
    ["区域:华东", "2026-Q3", "240"],
    ["区域:华东", "2026-09", "120"],
    ["区域:西南", "2026-Q3", "90"],           # a quarter for one region, nothing else
    ["总监:张伟", "2026-H2", "360"],           # a half: 60 a month
    ["系统部:政府系统部", "2026", "240"],
]

HEADER = ["项目编号", "项目名称", "项目总监", "区域", "系统部", "金额（万元）", "项目阶段", "状态", "创建日期", "结束日期"]
ROWS = [
    ["P1", "杭州市智慧停车一期", "张伟", "华东", "政府系统部", "100", "谈判", "赢单", "2026-01-10", "2026-07-15"],
    ["P2", "宁波停车诱导", "张伟", "华东", "政府系统部", "50", "投标", "赢单", "2026-02-01", "2026-08-20"],
    ["P3", "成都天府停车", "李娜", "西南", "交通系统部", "40", "谈判", "赢单", "2026-03-01", "2026-09-10"],
    ["P4", "广州停车诱导", "王芳", "华南", "交通系统部", "30", "谈判", "赢单", "2026-03-05", "2026-08-01"],
    ["P5", "嘉兴智慧停车", "张伟", "华东", "政府系统部", "70", "谈判", "赢单", "2026-01-05", "2026-06-30"],  # Q2
    ["P6", "南京新街口改造", "王芳", "华东", "", "80", "方案设计", "进行中", "2026-05-01", ""],
    ["P7", "温州静态交通", "李娜", "华东", "政府系统部", "60", "投标", "丢单", "2026-04-02", "2026-09-01"],   # lost
    ["P8", "绍兴停车场", "", "", "", "20", "谈判", "赢单", "2026-04-01", "2026-09-20"],  # no region, no director
    ["P9", "苏州停车平台", "王芳", "华东", "", "10", "线索", "进行中", "2026-11-05", ""],  # data run to 11-05
]


@pytest.fixture
def fixture_con(con, tmp_path):
    pa.load(con, [write_csv(tmp_path / "商机.csv", [HEADER, *ROWS]), write_csv(tmp_path / "目标.csv", TARGETS)])
    return con


def records(df):
    return {r["scope"] if isinstance(r["scope"], str) else None: r for r in df.to_dict("records")}


def test_company_year_only_with_run_rate_projection(fixture_con):
    row = targets(fixture_con, "2026-Q3", as_of="2026-08-31").to_dict("records")[0]
    # 1200 a year -> 100 a month -> Q3 300 (万元)
    assert row["scope"] == "company" and row["target_amount"] == 300 * WAN
    # won and closed by 08-31 in Q3: P1 100, P2 50, P4 30 (P3 09-10 and P8 09-20 not yet) = 180
    assert row["won_amount"] == 180 * WAN
    assert row["attainment"] == 0.6
    # elapsed 07-01..08-31 = 31 + 31 = 62 days of 92; 180 / 62 * 92 = 267.0968 -> / 300 = 0.890323
    assert (row["elapsed_days"], row["period_days"]) == (62, 92)
    assert math.isclose(row["projected_amount"], 180 * WAN / 62 * 92)
    assert math.isclose(row["projected_attainment"], 0.8903225806, rel_tol=1e-9)
    assert row["target_covered"]


def test_the_whole_quarter_after_it_ended(fixture_con):
    row = targets(fixture_con, "2026-Q3").to_dict("records")[0]
    # state date 09-30 (data runs to 11-05): the whole quarter elapsed, projection = won
    # won in Q3: P1 100 + P2 50 + P3 40 + P4 30 + P8 20 = 240 of 300
    assert (row["won_amount"], row["attainment"], row["elapsed_days"]) == (240 * WAN, 0.8, 92)
    assert row["projected_amount"] == 240 * WAN and row["projected_attainment"] == 0.8


def test_by_region_quarter_for_one_region_and_a_month_override(fixture_con):
    df = targets(fixture_con, "2026-Q3", by="region")
    assert df["scope"].tolist()[:3] == ["华东", "华南", "西南"]
    assert df["scope"].isna().tolist() == [False, False, False, True]    # no region: last
    rows = records(df)
    # 华东: Sep 120 (month), Jul = Aug = (240 - 120) / 2 = 60 -> Q3 240; won P1 100 + P2 50 = 150
    east = rows["华东"]
    assert (east["target_amount"], east["won_amount"]) == (240 * WAN, 150 * WAN)
    assert east["attainment"] == 150 / 240
    # 西南: only a Q3 target of 90; won P3 40
    assert (rows["西南"]["target_amount"], rows["西南"]["won_amount"]) == (90 * WAN, 40 * WAN)
    # 华南 has no target, won P4 30; the project without a region (P8 20) is a row of its own
    assert math.isnan(rows["华南"]["target_amount"]) and math.isnan(rows["华南"]["attainment"])
    assert rows["华南"]["won_amount"] == 30 * WAN and not rows["华南"]["target_covered"]
    assert rows[None]["won_amount"] == 20 * WAN


def test_year_breakdown_other_months_share_the_rest(fixture_con):
    q1 = records(targets(fixture_con, "2026-Q1", by="region"))
    # 华东 2026: 600 - Q3 240 = 360 over the nine other months = 40 each -> Q1 120
    assert q1["华东"]["target_amount"] == 120 * WAN
    assert "西南" not in q1                      # no target in Q1, nothing won there
    year = records(targets(fixture_con, "2026", by="region"))
    assert math.isclose(year["华东"]["target_amount"], 600 * WAN)   # 9 * 40 + 60 + 60 + 120
    assert year["西南"]["target_amount"] == 90 * WAN
    assert not year["西南"]["target_covered"]                  # only Q3 of 2026 has a target
    assert records(targets(fixture_con, "2026-08", by="region"))["华东"]["target_amount"] == 60 * WAN


def test_week_and_date_range_pro_rata_by_days(fixture_con):
    # 2026-W27 = Mon 06-29 .. Sun 07-05: company 2/30 of June's 100 + 5/31 of July's 100 = 22.7957
    row = targets(fixture_con, "2026-W27").to_dict("records")[0]
    assert math.isclose(row["target_amount"], (2 * 100 / 30 + 5 * 100 / 31) * WAN)
    # 华东: June 40 and July 60 -> 2/30 * 40 + 5/31 * 60 = 12.3441
    east = records(targets(fixture_con, "2026-W27", by="region"))["华东"]
    assert math.isclose(east["target_amount"], (2 * 40 / 30 + 5 * 60 / 31) * WAN)
    # 07-16..08-15: 16 days of July + 15 of August, both 31-day months of 100 -> 100
    rng = targets(fixture_con, "2026-07-16..2026-08-15").to_dict("records")[0]
    assert math.isclose(rng["target_amount"], 100 * WAN)


def test_by_director_and_department(fixture_con):
    df = targets(fixture_con, "2026-Q3", by="director")
    assert df["scope"].tolist()[:3] == ["张伟", "李娜", "王芳"]
    rows = records(df)
    # 张伟 H2 360 -> 60 a month -> Q3 180; won P1 + P2 = 150
    assert (rows["张伟"]["target_amount"], rows["张伟"]["won_amount"]) == (180 * WAN, 150 * WAN)
    assert math.isclose(rows["张伟"]["attainment"], 150 / 180)
    assert math.isnan(rows["李娜"]["target_amount"]) and rows["李娜"]["won_amount"] == 40 * WAN
    dept = records(compute(fixture_con, "targets", "2026-Q3", by="department"))
    # 政府系统部 2026 240 -> 20 a month -> 60; won P1 + P2 = 150 (P7 lost)
    assert (dept["政府系统部"]["target_amount"], dept["政府系统部"]["won_amount"]) == \
        (60 * WAN, 150 * WAN)
    assert dept["政府系统部"]["attainment"] == 2.5


def test_a_period_not_yet_begun_projects_nothing(fixture_con):
    row = targets(fixture_con, "2026-Q4", as_of="2026-09-30").to_dict("records")[0]
    assert (row["target_amount"], row["won_amount"], row["elapsed_days"], row["period_days"]) == \
        (300 * WAN, 0.0, 0, 92)
    assert math.isnan(row["projected_amount"])


def test_breakdown_finer_targets_win_and_the_rest_is_spread():
    # the module's example: year 1200, Q3 360, September 150
    month, exact, odd = breakdown([("2026", 1200), ("2026-Q3", 360), ("2026-09", 150)])
    assert month[(2026, 9)] == 150 and month[(2026, 7)] == month[(2026, 8)] == 105
    assert all(math.isclose(month[(2026, m)], 840 / 9) for m in (1, 2, 3, 4, 5, 6, 10, 11, 12))
    # finer targets adding up to more than the coarser one: the other months get 0, never negative
    month, _, _ = breakdown([("2026-Q3", 30), ("2026-07", 50)])
    assert (month[(2026, 7)], month[(2026, 8)], month[(2026, 9)]) == (50, 0, 0)
    # a week target is used only for exactly that week
    month, exact, odd = breakdown([("2026-W27", 7), ("2026-07", 31)])
    assert odd == ["2026-W27"]
    assert period_target(month, exact, Period.parse("2026-W27")) == (7.0, True)
    assert period_target(month, exact, Period.parse("2026-07-01..2026-07-10")) == (10.0, True)
    assert period_target(month, exact, Period.parse("2026-Q3")) == (31.0, False)   # Aug, Sep: no target


def test_no_targets_loaded_says_how_to_load_them(con, tmp_path):
    pa.load(con, [write_csv(tmp_path / "商机.csv", [HEADER, *ROWS])])
    with pytest.raises(MissingColumnError) as info:
        targets(con, "2026-Q3")
    assert info.value.column == "targets"
    assert "目标范围" in str(info.value) and "目标金额（万元）" in str(info.value)
    assert "docs/data-format.md" in str(info.value)


def test_by_must_be_a_target_scope(fixture_con):
    with pytest.raises(InputError, match="company, region, director, department"):
        targets(fixture_con, "2026-Q3", by="channel")
    assert targets(fixture_con, "2026-Q3", by=None)["scope"].tolist() == ["company"]
    assert date.fromisoformat(targets(fixture_con, "2026-Q3").attrs["options"]["state_date"]) == date(2026, 9, 30)
