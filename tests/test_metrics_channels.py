"""channels (渠道贡献) on a hand-typed fixture: 2 partners and direct, worked out by hand."""

from __future__ import annotations

import json
import math

import pytest

import presales_analytics as pa
from presales_analytics.errors import InputError, MissingColumnError
from presales_analytics.metrics import compute
from presales_analytics.metrics.channels import COLUMNS, channels

from conftest import write_csv

HEADER = ["项目编号", "项目名称", "项目总监", "渠道商", "项目等级", "金额", "项目阶段", "状态", "创建日期", "结束日期"]
A, B = "华东智联", "蜀道智慧"
ROWS = [
    # partner 华东智联 (A)
    ["P01", "杭州市智慧停车一期", "张伟", A, "办事处重点", "100", "谈判", "赢单", "2026-02-01", "2026-07-11"],  # 160 d
    ["P02", "宁波停车诱导", "张伟", A, "办事处重点", "50", "投标", "丢单", "2026-07-05", "2026-08-04"],       # 30 d
    ["P03", "温州静态交通", "李娜", A, "渠道项目", "200", "谈判", "赢单", "2026-03-01", "2026-09-28"],        # 211 d
    ["P04", "绍兴停车场", "李娜", A, "渠道项目", "300", "投标", "进行中", "2026-08-01", ""],
    ["P07", "嘉兴智慧停车", "王芳", A, "系统部级", "90", "谈判", "赢单", "2026-01-01", "2026-08-20"],        # 231 d
    # partner 蜀道智慧 (B)
    ["P05", "成都天府停车", "王芳", B, "办事处重点", "40", "立项", "放弃", "2026-04-01", "2026-07-21"],      # 111 d
    ["P06", "重庆停车诱导", "王芳", B, "渠道项目", "60", "谈判", "赢单", "2026-07-10", "2026-10-01"],        # next quarter
    # direct (no channel partner)
    ["P08", "南京新街口改造", "张伟", "", "办事处重点", "80", "谈判", "赢单", "2026-05-01", "2026-08-10"],   # 101 d
    ["P09", "苏州停车平台", "张伟", "", "办事处重点", "70", "投标", "丢单", "2026-06-01", "2026-09-01"],     # 92 d
    ["P10", "无锡停车诱导", "李娜", "", "办事处重点", "30", "投标", "丢单", "2026-07-01", "2026-09-15"],     # 76 d
    ["P11", "常州智慧停车", "李娜", "", "渠道项目", "20", "谈判", "赢单", "2026-01-10", "2026-07-01"],       # 172 d
    ["P12", "扬州停车场", "王芳", "", "渠道项目", "10", "投标", "丢单", "2026-02-01", "2026-06-30"],         # Q2
    ["P13", "合肥静态交通", "王芳", "", "", "500", "方案设计", "进行中", "2026-03-01", ""],
]


@pytest.fixture
def fixture_con(con, tmp_path):
    pa.load(con, [write_csv(tmp_path / "商机.csv", [HEADER, *ROWS])])
    return con


def rows_by_channel(df):
    return {r["channel"]: r for r in df.to_dict("records")}


def test_quarter_by_hand(fixture_con):
    df = channels(fixture_con, "2026-Q3")
    assert list(df.columns) == COLUMNS
    assert df["channel"].tolist() == [A, B, "直销"]               # partners by name, direct last
    assert df["direct"].tolist() == [False, False, True]
    a, b, direct = (r for r in df.to_dict("records"))
    # created in Q3: A P02 P04; B P06; direct P10 (07-01)
    assert (a["projects"], b["projects"], direct["projects"]) == (2, 1, 1)
    # closed in Q3 [07-01, 10-01): A P01 won, P02 lost, P03 won, P07 won -> 3 / 4
    # B: P05 abandoned (P06 closes 10-01: next quarter) -> 0 / 1; direct P08 won, P09 P10 lost, P11 won -> 2 / 4
    assert (a["won"], a["closed"], a["win_rate"]) == (3, 4, 0.75)
    assert (b["won"], b["closed"], b["win_rate"]) == (0, 1, 0.0)
    assert (direct["won"], direct["closed"], direct["win_rate"]) == (2, 4, 0.5)
    # Wilson 95%, k=3 n=4: centre (0.75 + z²/8)/(1 + z²/4) = 1.230182/1.960365 = 0.627527, half-width
    # z/(1+z²/4) * sqrt(0.1875/4 + z²/64) = 0.999795 * 0.326953 = 0.326886 -> 0.300642 .. 0.954413
    assert math.isclose(a["win_rate_low"], 0.300642, abs_tol=1e-6)
    assert math.isclose(a["win_rate_high"], 0.954413, abs_tol=1e-6)
    # won amount: A 100 + 200 + 90 = 390; B 0; direct 80 + 20 = 100; all 490
    assert (a["won_amount"], b["won_amount"], direct["won_amount"]) == (390.0, 0.0, 100.0)
    assert (a["won_share"], b["won_share"], direct["won_share"]) == (390 / 490, 0.0, 100 / 490)
    # open on the state date 2026-09-30 (the quarter's last day; data runs to 10-01):
    # A P04 300; B P06 60 (closed only on 10-01); direct P13 500 -> 860
    assert (a["open_pipeline_amount"], b["open_pipeline_amount"], direct["open_pipeline_amount"]) == (300, 60, 500)
    assert (a["open_pipeline_share"], b["open_pipeline_share"]) == (300 / 860, 60 / 860)
    # cycle days of the closed: A 30 160 211 231 -> (160 + 211)/2; B 111; direct 76 92 101 172 -> (92 + 101)/2
    assert (a["median_cycle_days"], b["median_cycle_days"], direct["median_cycle_days"]) == (185.5, 111.0, 96.5)
    # vs direct, stratified by grade (Mantel-Haenszel). Direct: office 1/3 (P08 won; P09 P10 lost),
    # channel 1/1 (P11); no department-grade project closed. A: office 1/2, channel 1/1, department (P07)
    # left out. Weights n1·n0/(n1+n0): office 2·3/5 = 1.2, channel 1·1/2 = 0.5 ->
    # (1.2 · (1/2 − 1/3) + 0.5 · 0) / 1.7 = 0.2 / 1.7 = 2/17. B: office 0/1 -> 0 − 1/3.
    assert math.isclose(a["vs_direct_same_grade"], 2 / 17)
    assert math.isclose(b["vs_direct_same_grade"], -1 / 3)
    assert math.isnan(direct["vs_direct_same_grade"]) and not direct["vs_direct_comparable"]
    # interval: Agresti-Coull adjusted p~ = (x + z²/2)/(n + z²), z² = 3.841459. Office: p~ 2.920729/5.841459 = 0.5
    # (var 0.25/5.841459 = 0.042798) and 2.920729/6.841459 = 0.426913 (var 0.035761); channel: 1 of 1 on both
    # sides, p~ 0.603273, var 0.049434 each. Σ w²·var = 1.44 · 0.078559 + 0.25 · 0.098869 = 0.137842;
    # / 1.7² = 0.047696 -> SE 0.218394, half-width 1.959964 · 0.218394 = 0.428044
    assert math.isclose(a["vs_direct_low"], 2 / 17 - 0.428044, abs_tol=1e-5)
    assert math.isclose(a["vs_direct_high"], 2 / 17 + 0.428044, abs_tol=1e-5)
    assert (a["vs_direct_projects"], b["vs_direct_projects"]) == (3 + 4, 1 + 3)
    assert a["vs_direct_small"] and b["vs_direct_small"]
    assert df["small_sample"].tolist() == [True, True, True]      # closed < 10 everywhere
    assert df.attrs["options"]["state_date"] == "2026-09-30"
    assert "closed = won + lost + abandoned" in df.attrs["denominator"]


def test_all_time_and_the_latest_state(fixture_con):
    rows = rows_by_channel(channels(fixture_con))
    # all projects: A 5, B 2, direct 6; closed ever: A 3/4, B P05 abandoned + P06 won -> 1/2, direct 2/5
    assert [(rows[c]["projects"], rows[c]["won"], rows[c]["closed"]) for c in (A, B, "直销")] == \
        [(5, 3, 4), (2, 1, 2), (6, 2, 5)]
    # open at the latest data date (10-01): A P04 300, direct P13 500; B nothing
    assert [rows[c]["open_pipeline_amount"] for c in (A, B, "直销")] == [300.0, 0.0, 500.0]
    assert rows[B]["open_pipeline_share"] == 0.0


def test_as_of_sees_what_was_known_then(fixture_con):
    rows = rows_by_channel(channels(fixture_con, "2026-Q3", as_of="2026-08-31"))
    # by 08-31: A closed P01 (won) P02 (lost) P07 (won); P03 (closes 09-28) is still open
    assert (rows[A]["won"], rows[A]["closed"], rows[A]["open_pipeline_amount"]) == (2, 3, 500.0)  # P03 200 + P04 300
    # direct: P08, P11 won; P09 (09-01) and P10 (09-15) still open: 70 + 30 + P13 500
    assert (rows["直销"]["won"], rows["直销"]["closed"], rows["直销"]["open_pipeline_amount"]) == (2, 2, 600.0)
    # direct office 1/1 (P08) now; A office 1/2 -> 1/2 - 1 = -1/2 (weight 2), no channel-grade close
    # (P03 open), department left out -> -1/2
    assert math.isclose(rows[A]["vs_direct_same_grade"], -0.5)


def test_exclude_abandoned_from_the_command_line(fixture_con):
    rows = rows_by_channel(compute(fixture_con, "channels", "2026-Q3", exclude_abandoned="true"))
    assert (rows[B]["closed"], rows[B]["won"]) == (0, 0)           # P05 abandoned left out
    assert math.isnan(rows[B]["win_rate"]) and math.isnan(rows[B]["vs_direct_same_grade"])
    assert rows[A]["closed"] == 4


def test_by_is_only_channel(fixture_con):
    assert channels(fixture_con, "2026-Q3", by="channel")["channel"].tolist() == [A, B, "直销"]
    with pytest.raises(InputError, match="director"):
        channels(fixture_con, "2026-Q3", by="director")


def test_no_channel_column_is_named_with_the_fix(con, tmp_path):
    header = [h for h in HEADER if h != "渠道商"]
    rows = [[v for h, v in zip(HEADER, r) if h != "渠道商"] for r in ROWS]
    pa.load(con, [write_csv(tmp_path / "no_channel.csv", [header, *rows])])
    with pytest.raises(MissingColumnError) as info:
        channels(con, "2026-Q3")
    assert info.value.column == "channel"
    assert "渠道商" in str(info.value) and "mapping file" in str(info.value)


def test_a_channel_column_of_blanks_is_all_direct(con, tmp_path):
    rows = [r[:3] + [""] + r[4:] for r in ROWS]
    pa.load(con, [write_csv(tmp_path / "all_direct.csv", [HEADER, *rows])])
    options = json.loads(con.execute("SELECT options FROM load_log").fetchone()[0])
    assert "channel" in options["columns"]      # the load log records the column, blank as it is
    df = channels(con, "2026-Q3")
    assert df["channel"].tolist() == ["直销"]
    # everything closed in Q3: P01 P02 P03 P05 P07 P08 P09 P10 P11 -> won P01 P03 P07 P08 P11: 5 of 9
    assert (df["won"][0], df["closed"][0], df["won_share"][0]) == (5, 9, 1.0)


# --- the stratified comparison against an independent computation: three shared grades ---------------

GRADED = [["项目编号", "渠道商", "项目等级", "状态", "创建日期", "结束日期"]]
_GRADED = {  # (channel, grade): outcomes of projects closed in 2026-Q3
    ("", "公司级"): "WL", ("", "系统部级"): "WWL", ("", "办事处重点"): "LWLL",
    ("X", "公司级"): "W", ("X", "系统部级"): "WL", ("X", "办事处重点"): "WWL",
    ("Y", "渠道项目"): "WL",                       # a channel-grade-only partner: direct never closed one
    ("Z", "办事处重点"): "L", ("Z", "渠道项目"): "W",  # one project in a shared grade
}
for (partner, grade), outcomes in _GRADED.items():
    for i, o in enumerate(outcomes):
        GRADED.append([f"{partner or 'D'}-{grade}-{i}", partner, grade, "赢单" if o == "W" else "丢单",
                       "2026-05-01", "2026-08-01"])


def independent_mh(partner: str, z: float = 1.959963984540054) -> tuple[float, float, float]:
    """Mantel-Haenszel difference and its adjusted-Wald interval, written out from the rows above."""
    strata = []
    for grade in {g for (c, g) in _GRADED if c == partner}:
        mine, direct = _GRADED.get((partner, grade), ""), _GRADED.get(("", grade), "")
        if mine and direct:
            strata.append((mine.count("W"), len(mine), direct.count("W"), len(direct)))
    w = [n1 * n0 / (n1 + n0) for _, n1, _, n0 in strata]
    rd = sum(wk * (a / n1 - c / n0) for wk, (a, n1, c, n0) in zip(w, strata)) / sum(w)
    var = 0.0
    for wk, (a, n1, c, n0) in zip(w, strata):
        p1, p0 = (a + z * z / 2) / (n1 + z * z), (c + z * z / 2) / (n0 + z * z)
        var += wk ** 2 * (p1 * (1 - p1) / (n1 + z * z) + p0 * (1 - p0) / (n0 + z * z))
    se = math.sqrt(var) / sum(w)
    return rd, max(rd - z * se, -1), min(rd + z * se, 1)


def test_stratified_comparison_equals_an_independent_computation(con, tmp_path):
    pa.load(con, [write_csv(tmp_path / "graded.csv", GRADED)])
    rows = rows_by_channel(channels(con, "2026-Q3"))
    x, y, zz = rows["X"], rows["Y"], rows["Z"]
    # by hand for X: weights 2/3, 6/5, 12/7 (Σ 376/105); differences 1/2, −1/6, 5/12 -> 89/105 ÷ 376/105
    assert math.isclose(x["vs_direct_same_grade"], 89 / 376)
    rd, low, high = independent_mh("X")
    assert (x["vs_direct_same_grade"], x["vs_direct_low"], x["vs_direct_high"]) == pytest.approx((rd, low, high))
    assert x["vs_direct_projects"] == 6 + 9 and x["vs_direct_comparable"]
    # the crude difference (4/6 − 4/9 = 0.222) is not what is reported: the grades are weighted
    assert not math.isclose(x["vs_direct_same_grade"], 4 / 6 - 4 / 9)
    # Y closed only channel-grade projects, a grade direct never closed: not comparable
    assert not y["vs_direct_comparable"] and math.isnan(y["vs_direct_same_grade"]) and y["vs_direct_projects"] == 0
    # Z rests on one project of its own (office): comparable, flagged, and its interval is wide (0 of 1 is
    # not a certain 0%): more than 60 points across
    assert zz["vs_direct_comparable"] and zz["vs_direct_small"] and zz["vs_direct_projects"] == 1 + 4
    assert math.isclose(zz["vs_direct_same_grade"], 0 - 1 / 4)
    assert zz["vs_direct_high"] - zz["vs_direct_low"] > 0.6
