"""compliance (制度执行) on a hand-typed fixture: every check worked out by hand, and the director roll-up.

The fixture, as of 2026-06-30 (a Tuesday, ISO week 27; the week's Monday is 2026-06-29). Stall limits
are fixed at 90 days for every working stage (so stalled.py's verdicts do not depend on percentiles).
Documents due per stage ([documents_due]): lead 1, qualified 2, initiated 4, solution 4, bidding 1,
negotiation 2 (cumulative 1, 3, 7, 11, 12, 14); won 4 more (18); lost / abandoned 1 more (项目总结).

- P1 张伟, won on 2026-05-01 (Fri, W18), every stage in order, initiated 2026-02-02 (Mon, W6): all 18
  documents; weekly reports in W6 (twice), W7 … W16 and W20 (after the close: not counted);
  总结报告 on 05-30 (day 29: on time), 评价报告 on 06-01 (day 31: late); 10M declared 办事处重点.
- P2 张伟, open in 投标: lead → qualified → initiated (2026-03-02, W10; no 立项日期) → bidding on 04-20,
  skipping solution (its 4 documents are still owed); 45M declared office (amount implies department).
- P3 李娜, open in 方案设计 since 03-01 (121 days > 90: stalled), no analysis meeting.
- P4 李娜, open in 方案设计 since 02-15 (135 days: stalled), skipped qualified, meeting on 06-10.
- P5 王芳, abandoned on 2026-04-01 after solution and a move back to initiated; no close reports.
- P6 王芳, lost on 2026-06-15 without ever being initiated; close reports not yet due (due 07-15).
- P7 张伟, open lead created 2026-06-01, no history (inferred), no amount, no grade.
- P8 李娜, created 2026-07-10: after the as-of date, so not there yet.
- P9 王芳, won on 2025-12-19 (Fri, W51), skipped bidding; 60M declared department (implies company).
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import pandas as pd
import pytest

import presales_analytics as pa
from presales_analytics.config import Config, load_config
from presales_analytics.errors import InputError
from presales_analytics.metrics import compute
from presales_analytics.metrics.compliance import PROJECT_COLUMNS, ROLLUP_COLUMNS, compliance

from conftest import write_csv

AS_OF = "2026-06-30"

PROJECTS = [
    ["项目编号", "项目名称", "项目总监", "区域", "项目等级", "金额", "项目阶段", "状态", "创建日期", "立项日期", "结束日期"],
    ["P1", "杭州市智慧停车一期", "张伟", "华东", "办事处重点", "10000000", "谈判", "赢单", "2026-01-05", "2026-02-02", "2026-05-01"],
    ["P2", "宁波市停车诱导系统", "张伟", "华东", "办事处重点", "45000000", "投标", "进行中", "2026-01-12", "", ""],
    ["P3", "温州市静态交通", "李娜", "华东", "渠道项目", "8000000", "方案设计", "进行中", "2026-01-10", "2026-02-01", ""],
    ["P4", "温州市停车场改造", "李娜", "华东", "系统部级", "30000000", "方案设计", "进行中", "2026-01-05", "2026-01-20", ""],
    ["P5", "绍兴市智慧停车", "王芳", "华北", "办事处重点", "5000000", "立项", "放弃", "2025-11-03", "", "2026-04-01"],
    ["P6", "嘉兴市停车诱导", "王芳", "华北", "公司级", "25000000", "需求确认", "丢单", "2026-03-02", "", "2026-06-15"],
    ["P7", "湖州市路内停车", "张伟", "华东", "", "", "线索", "进行中", "2026-06-01", "", ""],
    ["P8", "丽水市停车场", "李娜", "华东", "渠道项目", "3000000", "线索", "进行中", "2026-07-10", "", ""],
    ["P9", "金华市智慧停车", "王芳", "华北", "系统部级", "60000000", "谈判", "赢单", "2025-09-01", "2025-10-13", "2025-12-19"],
]

EVENTS = [["项目编号", "阶段", "进入日期"]] + [
    ["P1", s, d] for s, d in [("线索", "2026-01-05"), ("需求确认", "2026-01-19"), ("立项", "2026-02-02"),
                              ("方案设计", "2026-02-16"), ("投标", "2026-03-16"), ("谈判", "2026-04-06"),
                              ("赢单", "2026-05-01")]
] + [
    ["P2", s, d] for s, d in [("线索", "2026-01-12"), ("需求确认", "2026-02-02"), ("立项", "2026-03-02"),
                              ("投标", "2026-04-20")]
] + [
    ["P3", s, d] for s, d in [("线索", "2026-01-10"), ("需求确认", "2026-01-25"), ("立项", "2026-02-01"),
                              ("方案设计", "2026-03-01")]
] + [
    ["P4", s, d] for s, d in [("线索", "2026-01-05"), ("立项", "2026-01-20"), ("方案设计", "2026-02-15")]
] + [
    ["P5", s, d] for s, d in [("线索", "2025-11-03"), ("需求确认", "2025-12-01"), ("立项", "2026-01-05"),
                              ("方案设计", "2026-02-02"), ("立项", "2026-03-02"), ("放弃", "2026-04-01")]
] + [
    ["P6", s, d] for s, d in [("线索", "2026-03-02"), ("需求确认", "2026-04-01"), ("丢单", "2026-06-15")]
] + [
    ["P9", s, d] for s, d in [("线索", "2025-09-01"), ("需求确认", "2025-09-15"), ("立项", "2025-10-13"),
                              ("方案设计", "2025-11-03"), ("谈判", "2025-12-01"), ("赢单", "2025-12-19")]
]


def _weekly(pid: str, first: str, weeks: int) -> list[list[str]]:
    """``weeks`` weekly reports, one a week, from ``first`` (written out in the comments below)."""
    d = date.fromisoformat(first)
    return [[pid, "项目周报", str(d + timedelta(days=7 * i))] for i in range(weeks)]


ACTIVITIES = [["项目编号", "活动类型", "日期"]] + [
    # P1: W6 twice (02-04, 02-06), then Wednesdays 02-11 (W7) … 04-15 (W16): 11 weeks; 05-13 (W20) after the close
    ["P1", "项目周报", "2026-02-06"], *_weekly("P1", "2026-02-04", 11), ["P1", "项目周报", "2026-05-13"],
    ["P1", "总结报告", "2026-05-30"], ["P1", "评价报告", "2026-06-01"],
    # P2: Wednesdays 03-04 (W10) … 04-29 (W18): 9 weeks; 07-01 is after the as-of date
    *_weekly("P2", "2026-03-04", 9), ["P2", "项目周报", "2026-07-01"],
    # P3: Tuesdays 01-27 (W5) … 06-09 (W24): 20 weeks
    *_weekly("P3", "2026-01-27", 20),
    # P4: no weekly report; an analysis meeting on 06-10, after its stall
    ["P4", "项目分析会", "2026-06-10"],
    # P5: Wednesdays 01-07 (W2) … 03-11 (W11): 10 weeks
    *_weekly("P5", "2026-01-07", 10),
    # P6: a summary before it is due (counts for nothing either way)
    ["P6", "总结报告", "2026-06-20"],
    # P9: Wednesdays 10-15 (W42) … 12-03 (W49): 8 weeks; summary day 10, evaluation day 22
    *_weekly("P9", "2025-10-15", 8), ["P9", "总结报告", "2025-12-29"], ["P9", "评价报告", "2026-01-10"],
]

ALL_DOCS = ["调研报告", "分析报告", "客户拜访纪要", "项目可行性分析", "立项报告", "项目策划", "项目计划",
            "解决方案", "建设方案", "风险控制", "相关信息", "投标书", "洽谈纪要", "来往邮件",
            "合同", "实施计划", "运营维护", "项目总结"]

DOCUMENTS = [["项目编号", "文档类型", "归档日期"]] + [
    *[["P1", doc, "2026-05-10"] for doc in ALL_DOCS],
    # P2: the 7 documents of lead … initiated; 相关信息 undated (present); 投标书 dated after the as-of date
    *[["P2", doc, "2026-04-01"] for doc in ALL_DOCS[:7]], ["P2", "相关信息", ""], ["P2", "投标书", "2026-07-05"],
    # P3: the 11 due (lead … solution) and a 投标书 not due yet
    *[["P3", doc, "2026-03-10"] for doc in ALL_DOCS[:11]], ["P3", "投标书", "2026-03-10"],
    # P4: none
    # P5: the 11 of lead … solution and 项目总结
    *[["P5", doc, "2026-04-05"] for doc in ALL_DOCS[:11] + ["项目总结"]],
    # P6: 调研报告, 分析报告, 项目总结 (客户拜访纪要 missing)
    ["P6", "调研报告", "2026-03-05"], ["P6", "分析报告", "2026-04-05"], ["P6", "项目总结", "2026-06-20"],
    ["P7", "调研报告", "2026-06-05"],
    # P9: all but 投标书 (bidding was skipped, its document is still owed)
    *[["P9", doc, "2025-12-20"] for doc in ALL_DOCS if doc != "投标书"],
]


@pytest.fixture
def config() -> Config:
    raw = dict(load_config().raw)
    raw["stall_days"] = {s: 90 for s in ["lead", "qualified", "initiated", "solution", "bidding", "negotiation"]}
    return Config(raw, source="test: 90-day stall limits")


@pytest.fixture
def fixture_con(con, tmp_path):
    pa.load(con, [write_csv(tmp_path / "商机.csv", PROJECTS), write_csv(tmp_path / "阶段.csv", EVENTS),
                  write_csv(tmp_path / "活动.csv", ACTIVITIES), write_csv(tmp_path / "档案.csv", DOCUMENTS)])
    return con


@pytest.fixture
def rows(fixture_con, config) -> dict[str, dict]:
    df = compliance(fixture_con, as_of=AS_OF, config=config)
    assert list(df.columns) == PROJECT_COLUMNS
    return {r["project_id"]: r for r in df.to_dict("records")}


def test_projects_in_scope_and_order(fixture_con, config):
    df = compliance(fixture_con, as_of=AS_OF, config=config)
    # P8 was created after the as-of date
    assert df["project_id"].tolist() == ["P1", "P2", "P3", "P4", "P5", "P6", "P7", "P9"]
    assert df.attrs["state_date"] == AS_OF and df.attrs["metric"] == "compliance"
    assert df.attrs["options"]["weekly_threshold"] == 0.8 and df.attrs["options"]["close_report_days"] == 30


def test_won_project_summary_day_29_evaluation_day_31(rows):
    p1 = rows["P1"]
    assert (p1["status"], p1["stage_reached"]) == ("won", "won")
    # all 6 working stages (14) + won's 4 = 18, all present
    assert (p1["docs_due"], p1["docs_present"], p1["docs_missing"], p1["archive_ok"]) == (18, 18, "", True)
    # W6 (02-02) … W18 (week of the close 05-01) = 13 weeks; reported W6 … W16 = 11 (W6 twice counts once,
    # W20 is after the close): 11/13 = 0.846 >= 0.8
    assert (p1["weeks_due"], p1["weeks_reported"], p1["weekly_ok"]) == (13, 11, True)
    assert math.isclose(p1["weekly_coverage"], 11 / 13)
    # close 05-01 + 30 = 05-31 <= 06-30: due; summary 05-30 in [05-01, 05-31], evaluation 06-01 is not
    assert (p1["summary_due"], p1["summary_ok"], p1["evaluation_due"], p1["evaluation_ok"]) == (True, True, True, False)
    assert (p1["stalled"], p1["meeting_ok"]) == (False, True)
    # 10M implies no grade: declared office stands
    assert (p1["grade_declared"], p1["grade_ok"]) == ("office", True) and pd.isna(p1["grade_implied"])
    # archive 1 + weekly 1 + summary 1 + evaluation 0 + grade 1 = 4 of 5
    assert (p1["checks_due"], p1["checks_passed"], p1["compliance_rate"]) == (5, 4, 0.8)


def test_skipped_stage_still_owes_its_documents_and_grade_mismatch(rows):
    p2 = rows["P2"]
    assert (p2["status"], p2["stage_reached"]) == ("open", "bidding")
    # lead 1 + qualified 2 + initiated 4 + solution 4 (skipped, still owed) + bidding 1 = 12; present: the 7 of
    # lead … initiated and the undated 相关信息 = 8; 投标书 is dated 07-05, after the state date
    assert (p2["docs_due"], p2["docs_present"], p2["archive_ok"]) == (12, 8, False)
    assert p2["docs_missing"] == "解决方案, 建设方案, 风险控制, 投标书"
    # no 立项日期: weeks from entering initiated (03-02, W10) through the as-of week W27 = 18; reported
    # W10 … W18 = 9 (the 07-01 report is after the state date): 9/18 = 0.5
    assert (p2["weeks_due"], p2["weeks_reported"], p2["weekly_coverage"], p2["weekly_ok"]) == (18, 9, 0.5, False)
    # in bidding since 04-20: 71 days < 90, not stalled; open: close reports not due
    assert (p2["stalled"], p2["meeting_ok"], p2["summary_due"], p2["summary_ok"]) == (False, True, False, True)
    # 45M > 20M implies department, above the declared office
    assert (p2["grade_declared"], p2["grade_implied"], p2["grade_ok"]) == ("office", "department", False)
    # archive 0 + weekly 0 + grade 0 of 3
    assert (p2["checks_due"], p2["checks_passed"], p2["compliance_rate"]) == (3, 0, 0.0)


def test_stalled_projects_need_a_meeting(rows):
    p3, p4 = rows["P3"], rows["P4"]
    # P3: 11 due (lead … solution), all present; the 投标书 it also has is not due, so not counted
    assert (p3["stage_reached"], p3["docs_due"], p3["docs_present"], p3["archive_ok"]) == ("solution", 11, 11, True)
    # initiated 02-01 (a Sunday, W5) … W27 = 23 weeks; reported W5 … W24 = 20: 20/23 = 0.87
    assert (p3["weeks_due"], p3["weeks_reported"], p3["weekly_ok"]) == (23, 20, True)
    # in solution since 03-01: 121 days > 90, stalled, and no meeting
    assert (p3["stalled"], p3["meeting_ok"]) == (True, False)
    # 8M declared channel: nothing implied
    assert (p3["grade_ok"], p3["checks_due"], p3["checks_passed"], p3["compliance_rate"]) == (True, 4, 3, 0.75)
    # P4 skipped qualified: owes its 2 documents too; has none of the 11
    assert (p4["docs_due"], p4["docs_present"], p4["archive_ok"]) == (11, 0, False)
    assert p4["docs_missing"] == ", ".join(ALL_DOCS[:11])
    # initiated 01-20 (W4) … W27 = 24 weeks, none reported
    assert (p4["weeks_due"], p4["weeks_reported"], p4["weekly_coverage"], p4["weekly_ok"]) == (24, 0, 0.0, False)
    # stalled since the solution stay passed 90 days (02-15 + 90 = 05-16); meeting on 06-10
    assert (p4["stalled"], p4["meeting_ok"]) == (True, True)
    # 30M implies department = declared department
    assert (p4["grade_implied"], p4["grade_ok"]) == ("department", True)
    assert (p4["checks_due"], p4["checks_passed"], p4["compliance_rate"]) == (4, 2, 0.5)


def test_abandoned_after_moving_back_and_lost_before_initiation(rows):
    p5, p6 = rows["P5"], rows["P6"]
    # P5 went back from solution to initiated, then abandoned: reached solution, so 11 + 项目总结 = 12, all there
    assert (p5["status"], p5["stage_reached"], p5["docs_due"], p5["archive_ok"]) == ("abandoned", "abandoned", 12, True)
    # initiated (event) 01-05 (W2) … close 04-01 (W14) = 13 weeks; reported W2 … W11 = 10: 0.769 < 0.8
    assert (p5["weeks_due"], p5["weeks_reported"], p5["weekly_ok"]) == (13, 10, False)
    # close 04-01 + 30 = 05-01 <= 06-30: both reports due, neither written
    assert (p5["summary_due"], p5["summary_ok"], p5["evaluation_due"], p5["evaluation_ok"]) == (True, False, True, False)
    assert (p5["checks_due"], p5["checks_passed"], p5["compliance_rate"]) == (5, 2, 0.4)
    # P6: lead 1 + qualified 2 + lost's 项目总结 = 4; 客户拜访纪要 missing
    assert (p6["stage_reached"], p6["docs_due"], p6["docs_present"], p6["docs_missing"]) == ("lost", 4, 3, "客户拜访纪要")
    # never initiated: no weekly reports owed, coverage undefined, the weekly check does not apply
    assert (p6["weeks_due"], p6["weeks_reported"], p6["weekly_ok"]) == (0, 0, True)
    assert math.isnan(p6["weekly_coverage"])
    # closed 06-15: reports due 07-15, after the state date: not due, so not failed
    assert (p6["summary_due"], p6["summary_ok"], p6["evaluation_due"], p6["evaluation_ok"]) == (False, True, False, True)
    # 25M implies department, declared company is above it: fine. archive 0 + grade 1 of 2
    assert (p6["grade_implied"], p6["grade_ok"], p6["checks_due"], p6["checks_passed"]) == ("department", True, 2, 1)


def test_open_lead_without_history_and_won_skipping_bidding(rows):
    p7, p9 = rows["P7"], rows["P9"]
    # no history: the inferred lead event; 调研报告 present; no amount and no grade: the grade check passes
    assert (p7["status"], p7["stage_reached"], p7["docs_due"], p7["archive_ok"]) == ("open", "lead", 1, True)
    assert pd.isna(p7["grade_declared"]) and pd.isna(p7["grade_implied"]) and p7["grade_ok"]
    assert (p7["weeks_due"], p7["checks_due"], p7["checks_passed"], p7["compliance_rate"]) == (0, 2, 2, 1.0)
    # P9 skipped bidding: all 18 due, 投标书 missing
    assert (p9["docs_due"], p9["docs_present"], p9["docs_missing"]) == (18, 17, "投标书")
    # W42 (10-13) … W51 (close 12-19) = 10 weeks; reported W42 … W49 = 8: exactly 0.8 passes
    assert (p9["weeks_due"], p9["weeks_reported"], p9["weekly_coverage"], p9["weekly_ok"]) == (10, 8, 0.8, True)
    # summary on day 10, evaluation on day 22 of [12-19, 2026-01-18]
    assert (p9["summary_ok"], p9["evaluation_ok"]) == (True, True)
    # 60M implies company, above the declared department
    assert (p9["grade_declared"], p9["grade_implied"], p9["grade_ok"]) == ("department", "company", False)
    assert (p9["checks_due"], p9["checks_passed"], p9["compliance_rate"]) == (5, 3, 0.6)


def test_director_rollup(fixture_con, config):
    df = compliance(fixture_con, as_of=AS_OF, config=config, level="director")
    assert list(df.columns) == ["director"] + ROLLUP_COLUMNS
    assert df["director"].tolist() == ["张伟", "李娜", "王芳"]
    zhang, li, wang = df.to_dict("records")
    # 张伟: P1, P2, P7. archive P1 P7 ok; weeks (11 + 9 + 0) / (13 + 18 + 0); no stalled project;
    # summary P1 ok, evaluation P1 late; P2 grade mismatch; checks 5 + 3 + 2 = 10, passed 4 + 0 + 2 = 6
    assert (zhang["projects"], zhang["archive_rate"], zhang["weekly_coverage"]) == (3, 2 / 3, 20 / 31)
    assert math.isnan(zhang["meeting_rate"])
    assert (zhang["summary_rate"], zhang["evaluation_rate"], zhang["grade_mismatches"]) == (1.0, 0.0, 1)
    assert (zhang["checks_due"], zhang["checks_passed"], zhang["compliance_rate"]) == (10, 6, 0.6)
    # 李娜: P3, P4 (P8 not yet created). weeks (20 + 0) / (23 + 24); 1 of 2 stalled had a meeting;
    # no close report due; checks 4 + 4, passed 3 + 2
    assert (li["projects"], li["archive_rate"], li["weekly_coverage"], li["meeting_rate"]) == (2, 0.5, 20 / 47, 0.5)
    assert math.isnan(li["summary_rate"]) and math.isnan(li["evaluation_rate"])
    assert (li["grade_mismatches"], li["checks_due"], li["checks_passed"], li["compliance_rate"]) == (0, 8, 5, 0.625)
    # 王芳: P5, P6, P9. archive P5 only; weeks (10 + 0 + 8) / (13 + 0 + 10); summaries due P5 (no) P9 (yes);
    # P9 grade mismatch; checks 5 + 2 + 5 = 12, passed 2 + 1 + 3 = 6
    assert (wang["projects"], wang["archive_rate"], wang["weekly_coverage"]) == (3, 1 / 3, 18 / 23)
    assert (wang["summary_rate"], wang["evaluation_rate"], wang["grade_mismatches"]) == (0.5, 0.5, 1)
    assert (wang["checks_due"], wang["checks_passed"], wang["compliance_rate"]) == (12, 6, 0.5)
    # the directors scorecard's call
    assert compliance(fixture_con, as_of=AS_OF, config=config, level="director")["compliance_rate"].tolist() == \
        [0.6, 0.625, 0.5]


def test_rollup_by_region(fixture_con, config):
    df = compliance(fixture_con, as_of=AS_OF, config=config, by="region")
    # 华东: P1 P2 P3 P4 P7 -> passed 4+0+3+2+2 = 11 of 5+3+4+4+2 = 18; 华北: P5 P6 P9 -> 6 of 12
    assert df["region"].tolist() == ["华东", "华北"]          # by code point: 东 U+4E1C < 北 U+5317
    got = {r["region"]: (r["projects"], r["checks_due"], r["checks_passed"]) for r in df.to_dict("records")}
    assert got == {"华东": (5, 18, 11), "华北": (3, 12, 6)}


def test_dated_period_counts_only_its_weeks(fixture_con, config):
    df = compliance(fixture_con, "2026-Q2", as_of=AS_OF, config=config)
    rows = {r["project_id"]: r for r in df.to_dict("records")}
    # active in Q2 [04-01, 07-01): P9 closed 2025-12-19 before it starts
    assert sorted(rows) == ["P1", "P2", "P3", "P4", "P5", "P6", "P7"]
    # Q2's weeks: W14 (Monday 03-30, holds 04-01) … W27.
    # P1: W14 … W18 = 5, reported W14 W15 W16 = 3
    # P2: W14 … W27 = 14, reported 04-01 04-08 04-15 04-22 04-29 = 5
    # P3: 14, reported W14 (03-31) … W24 = 11;  P4: 14, 0;  P5: W14 only (closed 04-01), reported none
    weeks = {pid: (r["weeks_due"], r["weeks_reported"]) for pid, r in rows.items()}
    assert weeks == {"P1": (5, 3), "P2": (14, 5), "P3": (14, 11), "P4": (14, 0), "P5": (1, 0), "P6": (0, 0),
                     "P7": (0, 0)}


def test_past_period_without_as_of_looks_at_its_last_day(fixture_con, config):
    df = compliance(fixture_con, "2026-Q1", config=config)
    # state date 2026-03-31; created before 04-01 and not closed before 01-01: P1 … P6 (P9 closed in 2025)
    assert df.attrs["state_date"] == "2026-03-31"
    rows = {r["project_id"]: r for r in df.to_dict("records")}
    assert sorted(rows) == ["P1", "P2", "P3", "P4", "P5", "P6"]
    # P1 (won 05-01) and P5 (abandoned 04-01) were still open on 03-31; P5 had reached solution
    got = {pid: (r["status"], r["stage_reached"]) for pid, r in rows.items()}
    assert got == {"P1": ("open", "bidding"), "P2": ("open", "initiated"), "P3": ("open", "solution"),
                   "P4": ("open", "solution"), "P5": ("open", "solution"), "P6": ("open", "lead")}
    # P1's documents are dated 05-10: none present yet of the 12 due at bidding; no close report due
    assert (rows["P1"]["docs_due"], rows["P1"]["docs_present"], rows["P1"]["summary_due"]) == (12, 0, False)
    # nobody stalled yet (P4: 44 days in solution)
    assert not any(r["stalled"] for r in rows.values())


def test_weekly_threshold_option_accepts_strings(fixture_con, config):
    df = compliance(fixture_con, as_of=AS_OF, config=config, weekly_threshold="0.5")
    ok = dict(zip(df["project_id"], df["weekly_ok"]))
    # P2 0.5 now passes; P4 0.0 still fails; P5 0.769 passes
    assert (ok["P2"], ok["P4"], ok["P5"]) == (True, False, True)
    assert df.attrs["options"]["weekly_threshold"] == 0.5
    # through the registry, as the CLI calls it (strings for options)
    df = compute(fixture_con, "compliance", None, as_of=AS_OF, config=config, level="director")
    assert df["director"].tolist() == ["张伟", "李娜", "王芳"]


def test_bad_options_and_empty_database(con):
    with pytest.raises(InputError):
        compliance(con, level="team")
    with pytest.raises(InputError):
        compliance(con, weekly_threshold="eighty")
    with pytest.raises(InputError):
        compliance(con, weekly_threshold=80)
    df = compliance(con)
    assert len(df) == 0 and list(df.columns) == PROJECT_COLUMNS


def test_grade_needs_a_declared_grade_to_contradict(con, tmp_path):
    pa.load(con, [write_csv(tmp_path / "商机.csv", [
        ["项目编号", "项目名称", "项目总监", "项目等级", "金额", "项目阶段", "状态", "创建日期"],
        # 30M implies department; nothing declared, so nothing contradicted
        ["Q1", "台州市智慧停车", "赵磊", "", "30000000", "线索", "进行中", "2026-03-02"],
        # 20M exactly implies nothing (over 20M is department)
        ["Q2", "衢州市停车诱导", "赵磊", "渠道项目", "20000000", "线索", "进行中", "2026-03-02"],
        # 20,000,001 implies department, above the declared channel
        ["Q3", "舟山市静态交通", "赵磊", "渠道项目", "20000001", "线索", "进行中", "2026-03-02"],
    ])])
    df = compliance(con, as_of="2026-03-31")
    got = [(r["grade_implied"] if isinstance(r["grade_implied"], str) else None, r["grade_ok"])
           for r in df.to_dict("records")]
    assert got == [("department", True), (None, True), ("department", False)]


def test_precomputed_stalled_projects_give_the_same_result(fixture_con, config):
    from presales_analytics.metrics.stalled import stalled

    st = stalled(fixture_con, None, as_of=AS_OF, config=config)
    assert sorted(st["project_id"]) == ["P3", "P4"]
    direct = compliance(fixture_con, as_of=AS_OF, config=config, level="director")
    reused = compliance(fixture_con, as_of=AS_OF, config=config, level="director", stalled_projects=st)
    pd.testing.assert_frame_equal(direct, reused)


def test_weekly_threshold_comes_from_the_configuration(con, tmp_path):
    from presales_analytics.config import Config
    from conftest import write_csv as _write

    # initiated Monday 2026-01-05, open; state date 2026-03-15 (a Sunday): weeks W02..W11 = 10 weeks due;
    # weekly reports in 7 of them -> coverage 0.7
    pa.load(con, [_write(tmp_path / "p.csv", [["项目编号", "项目总监", "阶段", "状态", "创建日期", "立项日期"],
                                               ["W1", "张伟", "立项", "进行中", "2026-01-05", "2026-01-05"]]),
                  _write(tmp_path / "a.csv", [["项目编号", "活动类型", "日期"],
                                               *[["W1", "项目周报", f"2026-01-{d:02d}"] for d in (5, 12, 19, 26)],
                                               *[["W1", "项目周报", f"2026-02-{d:02d}"] for d in (2, 9, 16)]])])
    row = compliance(con, as_of="2026-03-15").set_index("project_id").loc["W1"]
    assert (row["weeks_due"], row["weeks_reported"], row["weekly_coverage"]) == (10, 7, 0.7)
    assert not row["weekly_ok"]                                          # 0.7 < 0.8 (default)
    base = pa.load_config()
    relaxed = Config({**base.raw, "metrics": {**base.raw["metrics"], "weekly_report_coverage": 0.6}})
    assert compliance(con, as_of="2026-03-15", config=relaxed).set_index("project_id").loc["W1"]["weekly_ok"]
