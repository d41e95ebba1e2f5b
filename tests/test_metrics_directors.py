"""The director scorecard on a hand-typed fixture: counts, targets, speed, score and ranking."""

from __future__ import annotations

import math

import pytest

import presales_analytics as pa
from presales_analytics.config import Config
from presales_analytics.metrics.compliance import compliance
from presales_analytics.metrics.directors import directors, score_weights

from conftest import write_csv

HEADER = ["项目编号", "项目名称", "项目总监", "金额", "项目阶段", "状态", "创建日期", "结束日期"]
ROWS = [
    ["P1", "杭州智慧停车", "张伟", "100", "谈判", "赢单", "2026-01-10", "2026-07-15"],   # cycle 186 d
    ["P2", "宁波停车诱导", "张伟", "50", "投标", "赢单", "2026-03-01", "2026-08-20"],     # 172 d
    ["P3", "温州静态交通", "张伟", "30", "投标", "丢单", "2026-02-01", "2026-09-10"],     # 221 d
    ["P4", "绍兴停车场", "张伟", "20", "立项", "进行中", "2026-05-01", ""],
    ["P5", "成都天府停车", "李娜", "40", "谈判", "赢单", "2026-06-01", "2026-08-01"],     # 61 d
    ["P6", "重庆停车诱导", "李娜", "60", "投标", "丢单", "2026-04-15", "2026-08-15"],     # 122 d
    ["P7", "南京新街口", "王芳", "10", "线索", "放弃", "2026-01-20", "2026-07-20"],       # 181 d
    ["P8", "苏州停车平台", "王芳", "80", "谈判", "赢单", "2026-02-15", "2026-09-01"],     # 198 d
    ["P9", "无锡停车", "王芳", "20", "投标", "丢单", "2026-05-25", "2026-09-25"],         # 123 d
    ["P10", "常州停车", "王芳", "5", "线索", "进行中", "2026-10-05", ""],                # after the quarter
]
TARGETS = [["目标范围", "期间", "目标金额"], ["总监:张伟", "2026-Q3", "200"], ["总监:王芳", "2026-Q3", "50"]]


@pytest.fixture
def fixture(con, tmp_path):
    pa.load(con, [write_csv(tmp_path / "p.csv", [HEADER, *ROWS]), write_csv(tmp_path / "t.csv", TARGETS)])
    base = pa.load_config()
    # no stalls: every limit far away, so the stalled count is 0 and the meeting check never applies
    config = Config({**base.raw, "stall_days": {s: 10_000 for s in base.working_stages}})
    return con, config


def test_counts_targets_and_speed_by_hand(fixture):
    con, config = fixture
    df = directors(con, "2026-Q3", config=config).set_index("director")
    assert sorted(df.index) == ["张伟", "李娜", "王芳"]
    z = df.loc["张伟"]
    # 张伟: P1..P4 active in Q3; P4 open on 09-30; won P1 P2, lost P3 -> 2/3
    assert (z.projects, z.open, z.won, z.lost, z.abandoned, z.closed) == (4, 1, 2, 1, 0, 3)
    assert z.win_rate == 2 / 3 and z.won_amount == 150.0
    assert z.target_amount == 200.0 and z.attainment == 0.75            # 150 / 200
    assert z.median_cycle_days == 186.0                                # median(186, 172, 221)
    assert z.stalled == 0
    li = df.loc["李娜"]
    assert (li.closed, li.won, li.small_sample) == (2, 1, True)
    assert math.isnan(li.target_amount) and math.isnan(li.attainment)  # no target: attainment unknown
    assert li.median_cycle_days == 91.5                                # median(61, 122)
    w = df.loc["王芳"]
    assert (w.projects, w.open, w.won, w.lost, w.abandoned, w.closed) == (3, 0, 1, 1, 1, 3)  # P10 not yet
    assert w.attainment == 80 / 50
    assert w.median_cycle_days == 181.0                                # median(181, 198, 123)


def test_score_is_the_printed_weighted_mean_and_ranks_by_the_lower_bound(fixture):
    con, config = fixture
    df = directors(con, "2026-Q3", config=config)
    weights = score_weights(config)
    assert df.attrs["options"]["weights"] == weights
    assert math.isclose(sum(weights.values()), 1.0)
    comp = compliance(con, "2026-Q3", config=config, level="director").set_index("director")["compliance_rate"]
    # the 8 projects closed in Q3: cycles 61 122 123 172 181 186 198 221 -> median (172 + 181) / 2
    company_cycle = (172 + 181) / 2
    assert df.attrs["options"]["company_median_cycle_days"] == company_cycle
    for r in df.to_dict("records"):
        assert r["compliance_rate"] == comp[r["director"]]
        parts = {"compliance": r["compliance_rate"], "speed": min(1.0, company_cycle / r["median_cycle_days"])}
        if not math.isnan(r["attainment"]):
            parts["attainment"] = min(r["attainment"], 1.2) / 1.2
        for key, rate in (("score", r["win_rate"]), ("score_low", r["win_rate_low"])):
            comps = {"win_rate": rate, **parts}
            expected = sum(weights[k] * v for k, v in comps.items()) / sum(weights[k] for k in comps)
            assert math.isclose(r[key], expected, rel_tol=1e-12), (r["director"], key)
    assert df["rank"].tolist() == [1, 2, 3]
    assert df["score_low"].is_monotonic_decreasing
    # 李娜 won 1 of 2: a 50% win rate, but with 2 closed its Wilson lower bound is only 0.0945
    li = df[df["director"] == "李娜"].iloc[0]
    assert round(li["win_rate_low"], 4) == 0.0945


def test_no_targets_loaded_leaves_attainment_out_of_every_score(con, tmp_path):
    pa.load(con, [write_csv(tmp_path / "p.csv", [HEADER, *ROWS])])
    df = directors(con, "2026-Q3")
    assert df["attainment"].isna().all() and df["score"].notna().all()
