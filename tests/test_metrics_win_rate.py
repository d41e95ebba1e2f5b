"""win-rate on a hand-typed fixture, against an independent pandas route on the demo, and as-of."""

from __future__ import annotations

import io
import math
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

import presales_analytics as pa
from presales_analytics.errors import MissingColumnError
from presales_analytics.metrics import compute
from presales_analytics.metrics.win_rate import win_rate

from conftest import write_csv

HEADER = ["项目编号", "项目名称", "项目总监", "区域", "渠道商", "金额", "项目阶段", "状态", "创建日期", "结束日期"]
ROWS = [
    # 张伟: in 2026-Q3 won P1 (100), P2 (50); lost P3 (30); abandoned P4 (20); P5 won in Q2 (outside)
    ["P1", "杭州市智慧停车一期", "张伟", "华东", "华东智联", "100", "谈判", "赢单", "2026-01-10", "2026-07-15"],
    ["P2", "宁波停车诱导", "张伟", "华东", "", "50", "投标", "赢单", "2026-02-01", "2026-09-30"],
    ["P3", "温州静态交通", "张伟", "华东", "", "30", "投标", "丢单", "2026-03-01", "2026-08-01"],
    ["P4", "绍兴停车场", "张伟", "华东", "华东智联", "20", "立项", "放弃", "2026-03-05", "2026-07-01"],
    ["P5", "嘉兴智慧停车", "张伟", "华东", "", "70", "谈判", "赢单", "2026-01-05", "2026-06-30"],
    # 李娜: a director with 2 closed projects in Q3 (small sample): won P6 (40), lost P7 (60)
    ["P6", "成都天府停车", "李娜", "西南", "", "40", "谈判", "赢单", "2026-04-01", "2026-08-20"],
    ["P7", "重庆停车诱导", "李娜", "西南", "", "60", "投标", "丢单", "2026-04-02", "2026-09-01"],
    # 王芳: open P8, and P9 closed on 2026-10-01 (the next quarter: half-open period)
    ["P8", "南京新街口改造", "王芳", "华东", "", "80", "方案设计", "进行中", "2026-05-01", ""],
    ["P9", "苏州停车平台", "王芳", "华东", "", "10", "谈判", "赢单", "2026-05-02", "2026-10-01"],
]


@pytest.fixture
def fixture_con(con, tmp_path):
    pa.load(con, [write_csv(tmp_path / "商机.csv", [HEADER, *ROWS])])
    return con


def test_company_win_rate_by_hand(fixture_con):
    row = win_rate(fixture_con, "2026-Q3").to_dict("records")[0]
    # closed in [2026-07-01, 2026-10-01): P1 P2 P3 P4 P6 P7 -> won 3 (P1 P2 P6), lost 2, abandoned 1
    assert (row["won"], row["lost"], row["abandoned"], row["closed"]) == (3, 2, 1, 6)
    assert row["win_rate"] == 3 / 6
    assert row["won_amount"] == 190.0 and row["closed_amount"] == 300.0   # 100+50+40 ; +30+20+60
    assert row["value_win_rate"] == 190 / 300
    # Wilson 95%, k=3 n=6, z=1.959964: centre (0.5 + z²/12)/(1 + z²/6) = 0.5; half-width
    # z/(1+z²/6) * sqrt(0.25/6 + z²/144) = 1.959964/1.640243 * sqrt(0.0416667 + 0.0266768) = 0.312384
    assert math.isclose(row["win_rate_low"], 0.5 - 0.312384, abs_tol=1e-6)
    assert math.isclose(row["win_rate_high"], 0.5 + 0.312384, abs_tol=1e-6)
    assert bool(row["small_sample"]) is True                 # 6 closed < 10


def test_by_director_and_small_sample(fixture_con):
    df = win_rate(fixture_con, "2026-Q3", by="director")
    assert df["director"].tolist() == ["张伟", "李娜"]          # 王芳 closed nothing in Q3
    zhang, li = df.to_dict("records")
    assert (zhang["won"], zhang["lost"], zhang["abandoned"], zhang["closed"], zhang["win_rate"]) == (2, 1, 1, 4, 0.5)
    assert (li["won"], li["closed"], li["win_rate"], li["small_sample"]) == (1, 2, 0.5, True)
    assert df.attrs["denominator"].startswith("closed = won + lost + abandoned")


def test_exclude_abandoned_and_channel_with_direct(fixture_con):
    df = win_rate(fixture_con, "2026-Q3", by="channel", exclude_abandoned=True)
    # 华东智联: P1 won, P4 abandoned (left out) -> 1/1; direct: P2 P6 won, P3 P7 lost -> 2/4
    rows = {r["channel"] if isinstance(r["channel"], str) else None: r for r in df.to_dict("records")}
    assert (rows["华东智联"]["won"], rows["华东智联"]["closed"], rows["华东智联"]["abandoned"]) == (1, 1, 1)
    assert (rows[None]["won"], rows[None]["closed"], rows[None]["win_rate"]) == (2, 4, 0.5)


def test_cohort_basis_counts_open_projects_apart(fixture_con):
    row = win_rate(fixture_con, "2026-Q2", basis="cohort").to_dict("records")[0]
    # created in Q2: P6 won, P7 lost, P8 open, P9 won (closed later) -> closed 3, won 2, open 1
    assert (row["won"], row["lost"], row["closed"], row["open"]) == (2, 1, 3, 1)


def test_period_all_includes_everything_closed(fixture_con):
    row = win_rate(fixture_con).to_dict("records")[0]
    assert (row["won"], row["closed"]) == (5, 8)   # P1 P2 P5 P6 P9 won; + P3 P4 P7


def test_as_of_a_past_date_gives_the_same_numbers_after_newer_exports(con, tmp_path):
    pa.load(con, [write_csv(tmp_path / "june.csv", [HEADER, *[r for r in ROWS if r[0] in ("P5", "P6", "P7", "P8")]])],
            as_of="2026-06-30")
    # in June's export, P6 and P7 are still open; P5 won on 06-30
    june = [r[:] for r in ROWS if r[0] in ("P5", "P6", "P7", "P8")]
    for r in june:
        if r[0] in ("P6", "P7"):
            r[7], r[9] = "进行中", ""
    con.execute("DELETE FROM projects")
    con.execute("DELETE FROM project_snapshots")
    con.execute("DELETE FROM load_log")
    pa.load(con, [write_csv(tmp_path / "june2.csv", [HEADER, *june])], as_of="2026-06-30")
    before = win_rate(con, "2026", as_of="2026-06-30", by="director")
    pa.load(con, [write_csv(tmp_path / "now.csv", [HEADER, *ROWS])], as_of="2026-10-15")
    after = win_rate(con, "2026", as_of="2026-06-30", by="director")
    pd.testing.assert_frame_equal(before, after)
    assert before[["director", "won", "closed"]].values.tolist() == [["张伟", 1, 1]]
    now = win_rate(con, "2026", by="director")
    assert now[["director", "won", "closed"]].values.tolist() == [["张伟", 3, 5], ["李娜", 1, 2], ["王芳", 1, 1]]


def test_a_column_the_data_lacks_is_named_with_the_fix(con, tmp_path):
    pa.load(con, [write_csv(tmp_path / "p.csv", [["项目编号", "阶段", "状态"], ["P1", "谈判", "赢单"]])])
    with pytest.raises(MissingColumnError) as info:
        win_rate(con, "2026-Q3", by="director")
    assert "'director'" in str(info.value) and "项目总监" in str(info.value) and "mapping file" in str(info.value)
    with pytest.raises(MissingColumnError) as info:
        win_rate(con, "2026-Q3")
    assert "'closed_at'" in str(info.value)
    assert win_rate(con, "all").to_dict("records")[0]["won"] == 1      # period all needs no dates


def test_registry_and_unknown_names(fixture_con):
    assert compute(fixture_con, "win-rate", "2026-Q3").loc[0, "won"] == 3
    with pytest.raises(pa.InputError, match="unknown metric"):
        compute(fixture_con, "winrate")
    with pytest.raises(pa.InputError, match="dimension"):
        win_rate(fixture_con, by="colour")


# ------------------------------------------------- the demo, by an independent pandas route

def independent_win_rate(projects: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    """Straightforward pandas: closed in [start, end), per director, Wilson by its textbook formula."""
    closed = projects[projects["status"].isin(["won", "lost", "abandoned"])
                      & (projects["closed_at"] >= pd.Timestamp(start)) & (projects["closed_at"] < pd.Timestamp(end))]
    rows = []
    z = 1.959963984540054
    for director, g in sorted(closed.groupby("director"), key=lambda kv: kv[0]):
        n = len(g)
        k = int((g["status"] == "won").sum())
        p = k / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
        amounts = g["amount"].astype(float).fillna(0.0)
        won_amount = float(amounts[g["status"] == "won"].sum())
        rows.append({"director": director, "won": k, "lost": int((g["status"] == "lost").sum()),
                     "abandoned": int((g["status"] == "abandoned").sum()), "closed": n, "win_rate": k / n,
                     "win_rate_low": max(0.0, centre - half), "win_rate_high": min(1.0, centre + half),
                     "won_amount": won_amount, "closed_amount": float(amounts.sum()),
                     "value_win_rate": won_amount / float(amounts.sum())})
    return pd.DataFrame(rows)


def test_cli_csv_on_the_demo_matches_an_independent_pandas_computation(tmp_path):
    exe = shutil.which("presales", path=str(Path(sys.executable).parent))
    env = {k: v for k, v in os.environ.items() if k != "PRESALES_DB"}
    subprocess.run([exe, "demo", "--export-date", "2026-11-27", "--no-render"], cwd=tmp_path, env=env, check=True,
                   capture_output=True)
    out = subprocess.run([exe, "metrics", "win-rate", "--period", "2026-Q3", "--by", "director", "--format", "csv"],
                         cwd=tmp_path, env=env, check=True, capture_output=True, text=True).stdout
    got = pd.read_csv(io.StringIO(out))
    assert list(got.columns[:11]) == ["director", "won", "lost", "abandoned", "closed", "win_rate", "win_rate_low",
                                      "win_rate_high", "won_amount", "closed_amount", "value_win_rate"]
    con = pa.connect(tmp_path / "data" / "presales.duckdb", read_only=True)
    projects = con.execute("SELECT director, status, CAST(closed_at AS TIMESTAMP) AS closed_at, amount "
                           "FROM projects").df()
    con.close()
    want = independent_win_rate(projects, date(2026, 7, 1), date(2026, 10, 1))
    assert len(want) == 15 and want["closed"].sum() > 250
    assert got["director"].tolist() == want["director"].tolist()
    for column in ["won", "lost", "abandoned", "closed"]:
        assert got[column].tolist() == want[column].tolist(), column
    for column in ["win_rate", "win_rate_low", "win_rate_high", "won_amount", "closed_amount", "value_win_rate"]:
        for a, b in zip(got[column], want[column]):
            assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12), (column, a, b)
