"""阶段停留时长 and 成交周期 on ten hand-typed projects whose numbers are worked out by hand below.

The fixture (``load_pipeline``) is shared with test_metrics_funnel.py and test_metrics_stalled.py.
Every date is in 2026. Stage events (进入日期) per project, then each visit's days:

P01 张伟  渠道 华东智联  won 06-10 (created 01-05) — solution re-entered after a move back
    lead 01-05  qualified 01-15  initiated 02-01  solution 02-10  bidding 03-01  solution 03-15 (back)
    bidding 04-30  negotiation 05-20  won 06-10
    lead 10, qualified 17, initiated 9, solution 02-10→03-01 19 + 03-15→04-30 46 = 65,
    bidding 03-01→03-15 14 + 04-30→05-20 20 = 34, negotiation 21
P02 张伟  direct  lost 04-15 (created 01-10) — skips initiated
    lead 01-10  qualified 01-20  solution 02-20  bidding 03-20  lost 04-15
    lead 10, qualified 31, solution 28, bidding 26
P03 李娜  direct  abandoned 03-21 (created 02-01)
    lead 02-01  qualified 02-11  initiated 03-01  abandoned 03-21
    lead 10, qualified 18, initiated 20
P04 李娜  渠道 四川蜀道  won 05-30 (created 02-05)      (李娜: only 2 closed projects, P03 and P04)
    lead 02-05  qualified 02-25  initiated 03-10  solution 03-20  bidding 04-20  bidding 05-01 (repeated)
    negotiation 05-10  won 05-30
    lead 20, qualified 13, initiated 10, solution 31, bidding 04-20→05-01 11 + 05-01→05-10 9 = 20, negotiation 20
P05 王芳  direct  open (created 03-01) — open stay in solution since 05-01
    lead 03-01  qualified 03-11  initiated 04-01  solution 05-01  solution 05-20 (repeated: still the same stay)
    lead 10, qualified 21, initiated 30, solution open (05-01→05-20 19 + 21 more by 06-10 = 40)
P06 王芳  渠道 华东智联  open (created 03-15) — starts later in the pipeline, at initiated
    initiated 03-15  solution 04-01  bidding 04-25
    initiated 17, solution 24, bidding open
P07 张伟  direct  open (created 01-02) — moved back to solution and still there
    lead 01-02  qualified 01-12  initiated 01-22  solution 02-01  bidding 03-01  solution 03-20 (back)
    lead 10, qualified 10, initiated 10, solution 28 + open since 03-20, bidding 19
P08 赵磊  direct  lost 05-25 (created 01-15)
    lead 01-15  qualified 02-01  initiated 02-15  solution 03-01  bidding 04-01  negotiation 04-20  lost 05-25
    lead 17, qualified 14, initiated 14, solution 31, bidding 19, negotiation 35
P09 赵磊  渠道 四川蜀道  won 05-01 (created 03-01) — skips initiated, solution and negotiation
    lead 03-01  qualified 03-15  bidding 04-01  won 05-01
    lead 14, qualified 17, bidding 30
P10 王芳  direct  open (created 04-01) — open stay in negotiation since 06-01
    lead 04-01  qualified 04-10  initiated 04-20  solution 05-01  bidding 05-15  negotiation 06-01
    lead 9, qualified 10, initiated 11, solution 14, bidding 17, negotiation open

The latest date in the data is 06-10, so the state date of period ``all`` is 2026-06-10.
Quantiles are quantile_cont: over sorted x0..x(n-1), position (n-1)·q, interpolated linearly.
"""

from __future__ import annotations


import pandas as pd
import pytest

import presales_analytics as pa
from presales_analytics.errors import InputError, MissingColumnError
from presales_analytics.metrics import compute
from presales_analytics.metrics.durations import cycle_time, stage_durations

from conftest import write_csv

HUADONG = "华东智联科技有限公司"
SHUDAO = "四川蜀道智慧交通有限公司"

PROJECTS = [
    ["项目编号", "项目名称", "项目总监", "渠道商", "项目等级", "项目阶段", "状态", "创建日期", "结束日期"],
    ["P01", "杭州市智慧停车一期", "张伟", HUADONG, "公司级", "谈判", "赢单", "2026-01-05", "2026-06-10"],
    ["P02", "南京新街口停车场改造", "张伟", "", "办事处重点", "投标", "丢单", "2026-01-10", "2026-04-15"],
    ["P03", "苏州市路内停车收费", "李娜", "", "办事处重点", "立项", "放弃", "2026-02-01", "2026-03-21"],
    ["P04", "成都天府机场停车诱导", "李娜", SHUDAO, "渠道项目", "谈判", "赢单", "2026-02-05", "2026-05-30"],
    ["P05", "武汉市静态交通平台", "王芳", "", "系统部级", "方案设计", "进行中", "2026-03-01", ""],
    ["P06", "合肥市停车诱导二期", "王芳", HUADONG, "渠道项目", "投标", "进行中", "2026-03-15", ""],
    ["P07", "西安市智慧停车平台", "张伟", "", "公司级", "方案设计", "进行中", "2026-01-02", ""],
    ["P08", "长沙市路内停车一期", "赵磊", "", "办事处重点", "谈判", "丢单", "2026-01-15", "2026-05-25"],
    ["P09", "重庆市停车资源普查", "赵磊", SHUDAO, "渠道项目", "投标", "赢单", "2026-03-01", "2026-05-01"],
    ["P10", "青岛市智慧停车运营", "王芳", "", "系统部级", "谈判", "进行中", "2026-04-01", ""],
]

HISTORY = {
    "P01": [("线索", "01-05"), ("需求确认", "01-15"), ("立项", "02-01"), ("方案设计", "02-10"), ("投标", "03-01"),
            ("方案设计", "03-15"), ("投标", "04-30"), ("谈判", "05-20"), ("赢单", "06-10")],
    "P02": [("线索", "01-10"), ("需求确认", "01-20"), ("方案设计", "02-20"), ("投标", "03-20"), ("丢单", "04-15")],
    "P03": [("线索", "02-01"), ("需求确认", "02-11"), ("立项", "03-01"), ("放弃", "03-21")],
    "P04": [("线索", "02-05"), ("需求确认", "02-25"), ("立项", "03-10"), ("方案设计", "03-20"), ("投标", "04-20"),
            ("投标", "05-01"), ("谈判", "05-10"), ("赢单", "05-30")],
    "P05": [("线索", "03-01"), ("需求确认", "03-11"), ("立项", "04-01"), ("方案设计", "05-01"), ("方案设计", "05-20")],
    "P06": [("立项", "03-15"), ("方案设计", "04-01"), ("投标", "04-25")],
    "P07": [("线索", "01-02"), ("需求确认", "01-12"), ("立项", "01-22"), ("方案设计", "02-01"), ("投标", "03-01"),
            ("方案设计", "03-20")],
    "P08": [("线索", "01-15"), ("需求确认", "02-01"), ("立项", "02-15"), ("方案设计", "03-01"), ("投标", "04-01"),
            ("谈判", "04-20"), ("丢单", "05-25")],
    "P09": [("线索", "03-01"), ("需求确认", "03-15"), ("投标", "04-01"), ("赢单", "05-01")],
    "P10": [("线索", "04-01"), ("需求确认", "04-10"), ("立项", "04-20"), ("方案设计", "05-01"), ("投标", "05-15"),
            ("谈判", "06-01")],
}

# analysis meetings and a weekly report (used by the stalled tests)
ACTIVITIES = [["项目编号", "活动类型", "日期"],
              ["P07", "项目分析会", "2026-05-05"], ["P06", "项目分析会", "2026-05-01"],
              ["P05", "项目周报", "2026-06-05"], ["P05", "项目分析会", "2026-04-02"],
              ["P08", "项目分析会", "2026-03-30"]]


def load_pipeline(con, tmp_path) -> None:
    """Load the ten projects, their stage history and the activities above."""
    events = [["项目编号", "阶段", "进入日期"]]
    events += [[pid, stage, f"2026-{day}"] for pid, rows in HISTORY.items() for stage, day in rows]
    pa.load(con, [write_csv(tmp_path / "商机.csv", PROJECTS), write_csv(tmp_path / "阶段历史.csv", events),
                  write_csv(tmp_path / "活动.csv", ACTIVITIES)])


@pytest.fixture
def pipeline(con, tmp_path):
    load_pipeline(con, tmp_path)
    return con


def row(df, **where) -> dict:
    """The one row of ``df`` matching ``where`` (None matches a missing value)."""
    mask = True
    for column, value in where.items():
        mask = mask & (df[column].isna() if value is None else df[column] == value)
    found = df[mask]
    assert len(found) == 1, (where, found)
    return found.iloc[0].to_dict()


# ------------------------------------------------------------------------------------ stage_durations

def test_stage_durations_all(pipeline):
    df = stage_durations(pipeline)
    assert df.columns.tolist() == ["stage", "stage_zh", "projects", "median_days", "p75_days", "p90_days",
                                   "mean_days", "open_now", "regressions"]
    assert df["stage"].tolist() == ["lead", "qualified", "initiated", "solution", "bidding", "negotiation"]
    assert df["stage_zh"].tolist() == ["线索", "需求确认", "立项", "方案设计", "投标", "谈判"]
    # lead: 9 stays (P06 never had one) 9,10,10,10,10,10,14,17,20: median x4 = 10, p75 x6 = 14,
    # p90 x7.2 = 17 + 0.2·3 = 17.6, mean 110/9
    lead = row(df, stage="lead")
    assert (lead["projects"], lead["median_days"], lead["p75_days"], lead["open_now"], lead["regressions"]) == \
        (9, 10.0, 14.0, 0, 0)
    assert lead["p90_days"] == pytest.approx(17.6)
    assert lead["mean_days"] == pytest.approx(110 / 9)
    # initiated (P02, P09 skipped it): 9,10,10,11,14,17,20,30: median x3.5 = 12.5, p75 x5.25 = 17.75,
    # p90 x6.3 = 20 + 0.3·10 = 23, mean 121/8
    initiated = row(df, stage="initiated")
    assert initiated["projects"] == 8
    assert (initiated["median_days"], initiated["p75_days"]) == (12.5, 17.75)
    assert initiated["p90_days"] == pytest.approx(23.0)
    assert initiated["mean_days"] == 121 / 8
    # solution: finished P01 65 (two visits summed), P02 28, P04 31, P06 24, P08 31, P10 14 -> 14,24,28,31,31,65:
    # median x2.5 = 29.5, p75 x3.75 = 31, p90 x4.5 = 31 + 0.5·34 = 48, mean 193/6;
    # open: P05 and P07 (whose first visit, 28 days, is not a finished stay); regressions: P01 03-15, P07 03-20
    solution = row(df, stage="solution")
    assert (solution["projects"], solution["median_days"], solution["p75_days"], solution["p90_days"]) == \
        (6, 29.5, 31.0, 48.0)
    assert solution["mean_days"] == pytest.approx(193 / 6)
    assert (solution["open_now"], solution["regressions"]) == (2, 2)
    # bidding: P01 34 (14 + 20, re-entered going forward: not a regression), P02 26, P04 20, P07 19, P08 19,
    # P09 30, P10 17 -> 17,19,19,20,26,30,34: median 20, p75 x4.5 = 28, p90 x5.4 = 31.6; open: P06
    bidding = row(df, stage="bidding")
    assert (bidding["projects"], bidding["median_days"], bidding["p75_days"], bidding["open_now"],
            bidding["regressions"]) == (7, 20.0, 28.0, 1, 0)
    assert bidding["p90_days"] == pytest.approx(31.6)
    # negotiation: P01 21, P04 20, P08 35 -> median 21, p75 x1.5 = 28, p90 x1.8 = 32.2, mean 76/3; open: P10
    negotiation = row(df, stage="negotiation")
    assert (negotiation["projects"], negotiation["median_days"], negotiation["p75_days"],
            negotiation["open_now"]) == (3, 21.0, 28.0, 1)
    assert negotiation["p90_days"] == pytest.approx(32.2)
    assert df["projects"].dtype == "int64" and df["open_now"].dtype == "int64"
    assert df.attrs["denominator"].startswith("projects = finished stays")
    assert df.attrs["options"]["state_date"] == "2026-06-10"
    assert df.attrs["unknown_end"] == 0


def test_stage_durations_kaplan_meier_uses_the_open_stays(pipeline):
    df = stage_durations(pipeline, kaplan_meier="true")       # as the command line passes it
    km = dict(zip(df["stage"], df["km_median_days"]))
    # solution: events 14,24,28,31,31,65; censored P05 40 (05-01→06-10), P07 28 + 82 = 110.
    # S(14) = 7/8, S(24) = 7/8·6/7 = .75, S(28) = .75·5/6 = .625, S(31) = .625·3/5 = .375 <= .5 -> 31
    assert km["solution"] == 31.0
    # bidding: events 17,19,19,20,26,30,34; censored P06 46. S(17) = 7/8, S(19) = 7/8·5/7 = .625,
    # S(20) = .625·4/5 = .5 exactly -> 20 (the first duration where S <= 0.5)
    assert km["bidding"] == 20.0
    # negotiation: censored P10 at 9 (no drop), then 20: 2/3, 21: 1/3 -> 21
    assert km["negotiation"] == 21.0
    assert km["lead"] == 10.0      # no open stay: 9: 8/9, 10 (five): 3/9 -> 10
    with pytest.raises(InputError, match="kaplan_meier"):
        stage_durations(pipeline, kaplan_meier="perhaps")


def test_stage_durations_in_a_period(pipeline):
    # 2026-Q1: a finished stay counts when its last visit ended in Q1; open_now on 03-31
    df = stage_durations(pipeline, "2026-Q1")
    # solution: only P02 (02-20→03-20 = 28) ended in Q1 (P01's last visit ended 04-30, P08's 04-01);
    # in solution on 03-31: P01 (since 03-15), P04 (03-20), P07 (03-20), P08 (03-01); moves back in Q1: P01, P07
    solution = row(df, stage="solution")
    assert (solution["projects"], solution["median_days"], solution["open_now"], solution["regressions"]) == \
        (1, 28.0, 4, 2)
    # bidding: P07 03-01→03-20 = 19 (P01 came back to bidding later: its stay ends 05-20); open: P02
    bidding = row(df, stage="bidding")
    assert (bidding["projects"], bidding["median_days"], bidding["open_now"]) == (1, 19.0, 1)
    assert row(df, stage="negotiation")["projects"] == 0
    assert pd_isna(row(df, stage="negotiation")["median_days"])
    assert df.attrs["options"]["state_date"] == "2026-03-31"


def test_stage_durations_as_of_ignores_later_events_and_closes(pipeline):
    # on 03-31 nothing after it is known: P01's solution stay is open (its 04-30 exit unknown), P10 does not exist
    df = stage_durations(pipeline, as_of="2026-03-31")
    solution = row(df, stage="solution")
    assert (solution["projects"], solution["median_days"], solution["open_now"]) == (1, 28.0, 4)
    # bidding: P01 03-01→03-15 = 14 and P07 03-01→03-20 = 19 finished; P02 open since 03-20
    bidding = row(df, stage="bidding")
    assert (bidding["projects"], bidding["median_days"], bidding["open_now"]) == (2, 16.5, 1)
    # lead: P01 10, P02 10, P03 10, P04 20, P05 10, P07 10, P08 17, P09 14 (P10 not yet created)
    assert row(df, stage="lead")["projects"] == 8
    assert row(df, stage="negotiation")["projects"] == 0
    assert df.attrs["as_of"] == "2026-03-31"


def test_stage_durations_by_channel_keeps_direct_projects(pipeline):
    df = stage_durations(pipeline, by="channel")
    assert df["channel"].drop_duplicates().tolist()[:2] == [HUADONG, SHUDAO]
    assert df["channel"].isna().sum() == 6                     # direct: one row per stage, last
    # direct solution: P02 28, P08 31, P10 14 -> median 28, p75 x1.5 = 29.5, p90 x1.8 = 30.4; open P05, P07
    direct = row(df, channel=None, stage="solution")
    assert (direct["projects"], direct["median_days"], direct["p75_days"], direct["open_now"],
            direct["regressions"]) == (3, 28.0, 29.5, 2, 1)
    assert direct["p90_days"] == pytest.approx(30.4)
    # 华东智联 solution: P01 65, P06 24 -> median 44.5, p75 x0.75 = 24 + .75·41 = 54.75
    huadong = row(df, channel=HUADONG, stage="solution")
    assert (huadong["projects"], huadong["median_days"], huadong["p75_days"], huadong["regressions"]) == \
        (2, 44.5, 54.75, 1)
    # 四川蜀道 never had anyone in negotiation open; P04 20
    assert row(df, channel=SHUDAO, stage="negotiation")["projects"] == 1
    with pytest.raises(InputError, match="one row per stage"):
        stage_durations(pipeline, by="stage")


def test_a_stay_whose_end_is_unknown_is_counted_apart(con, tmp_path):
    # P1 is lost but has no closing date, so no closing event: its qualified stay never ends
    pa.load(con, [write_csv(tmp_path / "p.csv", [["项目编号", "项目阶段", "状态", "创建日期"],
                                                 ["P1", "需求确认", "丢单", "2026-01-01"],
                                                 ["P2", "需求确认", "进行中", "2026-01-01"]]),
                  write_csv(tmp_path / "e.csv", [["项目编号", "阶段", "进入日期"],
                                                 ["P1", "线索", "2026-01-01"], ["P1", "需求确认", "2026-01-11"],
                                                 ["P2", "线索", "2026-01-01"], ["P2", "需求确认", "2026-01-21"]])])
    df = stage_durations(con)
    assert row(df, stage="lead")["projects"] == 2             # 10 and 20 days
    assert row(df, stage="lead")["median_days"] == 15.0
    qualified = row(df, stage="qualified")
    assert (qualified["projects"], qualified["open_now"]) == (0, 1)   # P2 open; P1 neither
    assert df.attrs["unknown_end"] == 1


# ------------------------------------------------------------------------------------ cycle_time

def test_cycle_time_all(pipeline):
    df = cycle_time(pipeline)
    assert df.columns.tolist() == ["outcome", "projects", "median_days", "p75_days", "mean_days"]
    assert df["outcome"].tolist() == ["won", "lost", "abandoned", "all"]
    # won: P09 03-01→05-01 = 61, P04 02-05→05-30 = 114, P01 01-05→06-10 = 156: median 114, p75 x1.5 = 135
    # lost: P02 01-10→04-15 = 95, P08 01-15→05-25 = 130: median 112.5, p75 x0.75 = 121.25
    # abandoned: P03 02-01→03-21 = 48
    assert df.to_dict("records") == [
        {"outcome": "won", "projects": 3, "median_days": 114.0, "p75_days": 135.0, "mean_days": 331 / 3},
        {"outcome": "lost", "projects": 2, "median_days": 112.5, "p75_days": 121.25, "mean_days": 112.5},
        {"outcome": "abandoned", "projects": 1, "median_days": 48.0, "p75_days": 48.0, "mean_days": 48.0},
        # all six: 48 61 95 114 130 156 -> median (95 + 114) / 2, p75 at 3.75: 114 + 0.75 x 16 = 126
        {"outcome": "all", "projects": 6, "median_days": 104.5, "p75_days": 126.0, "mean_days": 604 / 6}]
    assert "closed in all" in df.attrs["denominator"]


def test_cycle_time_by_director_and_period(pipeline):
    df = cycle_time(pipeline, by="director")
    # 李娜 has only 2 closed projects: P04 won (114 days) and P03 abandoned (48); 王芳 closed none (no rows)
    li = df[df["director"] == "李娜"]
    assert li["outcome"].tolist() == ["won", "lost", "abandoned", "all"]
    assert li["projects"].tolist() == [1, 0, 1, 2]
    assert li["median_days"].tolist()[3] == (114 + 48) / 2
    assert li["median_days"].tolist()[0] == 114.0 and pd_isna(li["median_days"].tolist()[1])
    assert li["median_days"].tolist()[2] == 48.0
    assert sorted(df["director"].unique().tolist()) == sorted(["张伟", "李娜", "赵磊"])
    assert row(df, director="张伟", outcome="won")["median_days"] == 156.0
    # 2026-Q2 closes: P02 04-15, P09 05-01, P08 05-25, P04 05-30, P01 06-10 (P03 closed in Q1)
    q2 = cycle_time(pipeline, "2026-Q2")
    assert q2["projects"].tolist() == [3, 2, 0, 5]
    assert pd_isna(q2["median_days"].iloc[2])


def test_cycle_time_as_of_ignores_later_closes(pipeline):
    # on 03-31 only P03 had closed (abandoned, 48 days); P01, P02, P04, P08, P09 were still open
    df = cycle_time(pipeline, as_of="2026-03-31")
    assert df["projects"].tolist() == [0, 0, 1, 1]
    assert df["median_days"].iloc[2] == 48.0
    assert compute(pipeline, "cycle-time", None, as_of="2026-03-31").equals(df)


def test_cycle_time_needs_dates(con, tmp_path):
    pa.load(con, [write_csv(tmp_path / "p.csv", [["项目编号", "项目阶段", "状态"], ["P1", "投标", "赢单"]])])
    with pytest.raises(MissingColumnError, match="created_at"):
        cycle_time(con)


def pd_isna(value) -> bool:
    return value is None or value != value


@pytest.mark.parametrize("sd", ["2026-06-10", "2026-04-10"])
def test_the_stays_read_single_visits_row_by_row_exactly_as_grouping_every_visit(pipeline, sd):
    """The stays table reads the visits of projects that visit each stage once row by row and groups
    only the others (P01 and P07 move back, P04 and P05 repeat a stage); it must equal grouping every
    visit, column for column, on the state date of ``all`` (06-10: every visit entered by then) and on
    a state date before some visits (04-10, a period's end: the by-state-date columns), Kaplan-Meier's
    days so far included."""
    from datetime import date

    from presales_analytics.metrics.base import scope
    from presales_analytics.metrics.context import MetricContext
    from presales_analytics.metrics.durations import _all_entered_by, _stays_select

    with MetricContext(pipeline) as ctx:
        s = scope(ctx)
        s.ensure_visits()
        sd = date.fromisoformat(sd)
        every = _all_entered_by(s, sd)
        assert every is (sd == date(2026, 6, 10))
        again = {r[0] for r in ctx.execute(f"SELECT DISTINCT project_id FROM {s.visits_table} WHERE again")}
        assert again == {"P01", "P04", "P05", "P07"}
        params = {"sd": sd, "working": ctx.config.working_stages}
        tables = {}
        for split in (True, False):
            sql = f"{s.sql}\nSELECT * FROM ({_stays_select(every, True, split=split)}) ORDER BY project_id, stage"
            tables[split] = ctx.cursor.execute(sql, params).df()
        assert len(tables[True]) == len(tables[False]) > 40
        pd.testing.assert_frame_equal(tables[True], tables[False])
