"""members (项目成员考核): the manager's and the monitor's scorecards, on six hand-typed projects.

Period 2026-Q2; the latest date in the data is 2026-06-30 (P5 closed), the state date. [stall_days]
solution = 30 makes the stall deterministic: P6 has been in 方案设计 since 2026-04-01 (90 days).

P1 经理 陈静 监控 周强  won 04-10  100     P4 经理 刘洋 监控 周强  won 05-01 (Q2)  40
P2 经理 陈静 监控 周强  lost 05-20  50     P5 经理 刘洋 监控 吴敏  abandoned 06-30  20
P3 经理 陈静 监控 吴敏  won 2026-03-01 (Q1, active in Q2: no)      P6 经理 刘洋 监控 吴敏  open, stalled  70
"""

from __future__ import annotations

import pandas as pd
import pytest

import presales_analytics as pa
from presales_analytics.errors import InputError, MissingColumnError
from presales_analytics.metrics import MetricContext, compute
from presales_analytics.metrics.members import members

from conftest import write_csv

HEADER = ["项目编号", "项目名称", "项目总监", "项目经理", "监控人", "区域", "金额", "项目阶段", "状态", "创建日期", "结束日期"]
ROWS = [
    ["P1", "杭州智慧停车", "张伟", "陈静", "周强", "华东", "100", "赢单", "赢单", "2026-01-05", "2026-04-10"],
    ["P2", "宁波停车诱导", "张伟", "陈静", "周强", "华东", "50", "丢单", "丢单", "2026-02-01", "2026-05-20"],
    ["P3", "温州静态交通", "张伟", "陈静", "吴敏", "华东", "30", "赢单", "赢单", "2026-01-10", "2026-03-01"],
    ["P4", "成都路内停车", "李娜", "刘洋", "周强", "西南", "40", "赢单", "赢单", "2026-02-01", "2026-05-01"],
    ["P5", "重庆停车平台", "李娜", "刘洋", "吴敏", "西南", "20", "放弃", "放弃", "2026-02-05", "2026-06-30"],
    ["P6", "贵阳智慧停车", "李娜", "刘洋", "吴敏", "西南", "70", "方案设计", "进行中", "2026-03-01", ""],
]
EVENTS = [["项目编号", "阶段", "进入日期"], ["P6", "线索", "2026-03-01"], ["P6", "方案设计", "2026-04-01"]]


def loaded(con, tmp_path, header, rows):
    """``rows`` under ``header`` and the stage history loaded; a 30-day stall limit in 方案设计."""
    pa.load(con, [write_csv(tmp_path / "商机.csv", [header, *rows]), write_csv(tmp_path / "阶段.csv", EVENTS)])
    cfg = tmp_path / "presales.toml"
    cfg.write_text("[stall_days]\nsolution = 30\n", encoding="utf-8")
    return con, pa.load_config(cfg)


@pytest.fixture
def team(con, tmp_path):
    return loaded(con, tmp_path, HEADER, ROWS)


def test_manager_scorecard_by_hand(team):
    con, cfg = team
    df = members(con, "2026-Q2", config=cfg)
    assert df["member"].tolist() == ["刘洋", "陈静"] and set(df["role"]) == {"manager"}    # by name (code point)
    chen, liu = (df[df["member"] == m].iloc[0] for m in ("陈静", "刘洋"))
    # 陈静: active in Q2 P1 P2 (P3 closed before 04-01); closed in Q2 P1 won, P2 lost -> 1/2, 100 won
    assert (chen["projects"], chen["open"], chen["won"], chen["lost"], chen["closed"]) == (2, 0, 1, 1, 2)
    assert chen["win_rate"] == 0.5 and chen["won_amount"] == 100.0 and chen["stalled"] == 0
    # 刘洋: P4 won, P5 abandoned, P6 open and stalled (90 days in 方案设计 > 30)
    assert (liu["projects"], liu["open"], liu["won"], liu["abandoned"], liu["closed"]) == (3, 1, 1, 1, 2)
    assert liu["stalled"] == 1 and bool(liu["small_sample"]) is True
    comp = compute(con, "compliance", "2026-Q2", by="manager", config=cfg).set_index("manager")["compliance_rate"]
    assert (chen["compliance_rate"], liu["compliance_rate"]) == (comp["陈静"], comp["刘洋"])


def test_monitor_scorecard_and_one_pass(team):
    con, cfg = team
    df = members(con, "2026-Q2", config=cfg, role="monitor")
    assert df["member"].tolist() == ["吴敏", "周强"]
    wu, zhou = (df[df["member"] == m].iloc[0] for m in ("吴敏", "周强"))
    # 周强: P1 won, P2 lost, P4 won -> 2/3; 吴敏: P5 abandoned (P3 Q1), P6 stalled -> 0/1
    assert (zhou["won"], zhou["closed"], zhou["won_amount"]) == (2, 3, 140.0)
    assert (wu["won"], wu["closed"], wu["stalled"], wu["open"]) == (0, 1, 1, 1)
    every = compute(MetricContext(con, config=cfg).across("company", "region"), "members", "2026-Q2", role="monitor")
    for key, part in every.groupby("scope", sort=False):
        alone = compute(MetricContext(con, scope=key, config=cfg), "members", "2026-Q2", role="monitor")
        pd.testing.assert_frame_equal(part.drop(columns="scope").reset_index(drop=True), alone, check_dtype=False)
    with pytest.raises(InputError, match="role"):
        compute(con, "members", "2026-Q2", role="总监")
    # no export here names a 规划经理: said plainly, with the header to add
    with pytest.raises(MissingColumnError, match="'planner'.*规划经理"):
        compute(con, "members", "2026-Q2", role="planner")


# 规划经理 (planner): its own export, Chinese header. Same period and stall rule as above.
# P1 赵磊 won 04-10 100 · P2 赵磊 lost 05-20 50 · P4 赵磊 won 05-01 40 · P5 孙悦 abandoned 06-30 20 ·
# P6 孙悦 open, stalled 70 · P3 no planner (blank), won in Q1.
PLANNER_HEADER = ["项目编号", "项目名称", "项目总监", "规划经理", "金额", "项目阶段", "状态", "创建日期", "结束日期"]
PLANNERS = {"P1": "赵磊", "P2": "赵磊", "P3": "", "P4": "赵磊", "P5": "孙悦", "P6": "孙悦"}


@pytest.fixture
def planned(con, tmp_path):
    return loaded(con, tmp_path, PLANNER_HEADER, [[r[0], r[1], r[2], PLANNERS[r[0]], *r[6:]] for r in ROWS])


def test_planner_loads_from_its_chinese_header_and_has_a_scorecard(planned):
    con, cfg = planned
    assert con.execute("SELECT project_id, planner FROM projects ORDER BY project_id").fetchall() == [
        ("P1", "赵磊"), ("P2", "赵磊"), ("P3", None), ("P4", "赵磊"), ("P5", "孙悦"), ("P6", "孙悦")]
    df = members(con, "2026-Q2", config=cfg, role="planner")
    assert df["member"].tolist() == ["孙悦", "赵磊"] and set(df["role"]) == {"planner"}
    sun, zhao = (df[df["member"] == m].iloc[0] for m in ("孙悦", "赵磊"))
    # 赵磊: P1 won 100, P2 lost, P4 won 40 -> 2/3 = 66.7%, Wilson 95% [20.8%, 93.9%]; none open or stalled
    assert (zhao["projects"], zhao["open"], zhao["won"], zhao["lost"], zhao["closed"]) == (3, 0, 2, 1, 3)
    assert zhao["won_amount"] == 140.0 and zhao["stalled"] == 0
    assert (round(zhao["win_rate_low"], 3), round(zhao["win_rate_high"], 3)) == (0.208, 0.939)
    # 孙悦: P5 abandoned -> 0/1; P6 open and stalled
    assert (sun["projects"], sun["open"], sun["won"], sun["abandoned"], sun["closed"], sun["stalled"]) == (2, 1, 0, 1, 1, 1)
    # --by planner wherever --by manager works: the win rate and compliance agree with the scorecard
    wr = compute(con, "win-rate", "2026-Q2", by="planner", config=cfg).set_index("planner")
    assert (wr.loc["赵磊", "won"], wr.loc["赵磊", "closed"]) == (2, 3)
    comp = compute(con, "compliance", "2026-Q2", by="planner", config=cfg).set_index("planner")["compliance_rate"]
    assert (sun["compliance_rate"], zhao["compliance_rate"]) == (comp["孙悦"], comp["赵磊"])


def test_presales_metrics_members_for_the_planner(planned, db_path):
    import json
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    con, _ = planned
    con.close()
    exe = shutil.which("presales", path=str(Path(sys.executable).parent))
    r = subprocess.run([exe, "metrics", "members", "-p", "2026-Q2", "-o", "role=planner", "--format", "json",
                        "--db", str(db_path)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    rows = {x["member"]: x for x in json.loads(r.stdout)}
    assert (rows["赵磊"]["won"], rows["赵磊"]["closed"], rows["孙悦"]["abandoned"]) == (2, 3, 1)
    r = subprocess.run([exe, "metrics", "win-rate", "-p", "2026-Q2", "--by", "planner", "--format", "csv",
                        "--db", str(db_path)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0].startswith("planner,") and "赵磊" in r.stdout
