"""Why we win and lose: bids, competitors, losses, customers, collection — on nine hand-typed projects.

Period 2026-Q2 (04-01 .. 06-30). The latest date in the data is 2026-06-15 (W3 won), so the state date
of Q2 is 06-15. Amounts in yuan as typed. Stage history (投标 = bidding):

W0 李娜 重庆市城投集团    won 2026-02-10 (Q1)  线索 2025-10-01, 投标 01-10, 赢单 02-10        rival 城泊网络
W1 张伟 杭州市城市管理局  won 04-10  100  线索 01-05, 投标 04-01, 赢单 04-10   rivals 智泊科技、安停智能  collected 60  score 5
W2 张伟 杭州市城市管理局  won 05-20   50  线索 02-01, 投标 04-15, 赢单 05-20   rival 智泊科技             collected 0   score 4
L1 张伟 宁波市交通运输局  lost 05-01  30  线索 01-10, 投标 04-05, 谈判 04-20, 丢单 05-01   智泊科技, 路通信息   reason 价格因素
L2 李娜 成都市公安局交通管理局 lost 06-01 40 线索 02-01, 方案设计 03-01, 丢单 06-01  no rival  reason 价格  score 2
A1 李娜 成都市公安局交通管理局 abandoned 04-20 20 线索 02-05, 投标 03-10 (Q1), 放弃 04-20  安停智能  reason 客户预算削减  score 200 (out of scale)
W3 李娜 重庆市城投集团    won 06-15   80  线索 03-01, 投标 05-01, 赢单 06-15   no rival   collected blank  score 3
O1 王芳 南京市城市管理局  open        70  线索 03-01, 投标 05-10             rival 路通信息
O2 王芳 南京市城市管理局  open        25  线索 04-01, 方案设计 04-10          no rival
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

import presales_analytics as pa
from presales_analytics.errors import InputError, MissingColumnError
from presales_analytics.metrics import MetricContext, compute
from presales_analytics.metrics.bids import bids
from presales_analytics.metrics.collection import collection
from presales_analytics.metrics.competitors import competitors
from presales_analytics.metrics.customers import customers
from presales_analytics.metrics.losses import losses

from conftest import write_csv

HZ, NB, CD, CQ, NJ = "杭州市城市管理局", "宁波市交通运输局", "成都市公安局交通管理局", "重庆市城投集团", "南京市城市管理局"

HEADER = ["项目编号", "项目名称", "项目总监", "区域", "客户名称", "项目等级", "金额", "项目阶段", "状态", "创建日期", "结束日期",
          "竞争对手", "丢单原因", "回款金额", "客户满意度"]
PROJECTS = [
    ["W0", "重庆停车资源普查", "李娜", "西南", CQ, "渠道项目", "10", "赢单", "赢单", "2025-10-01", "2026-02-10",
     "城泊网络", "", "10", ""],
    ["W1", "杭州智慧停车一期", "张伟", "华东", HZ, "公司级", "100", "赢单", "赢单", "2026-01-05", "2026-04-10",
     "智泊科技、安停智能", "", "60", "5"],
    ["W2", "杭州停车诱导二期", "张伟", "华东", HZ, "公司级", "50", "赢单", "赢单", "2026-02-01", "2026-05-20",
     "智泊科技", "", "0", "4"],
    ["L1", "宁波静态交通", "张伟", "华东", NB, "办事处重点", "30", "丢单", "丢单", "2026-01-10", "2026-05-01",
     "智泊科技, 路通信息", "价格因素", "", ""],
    ["L2", "成都路内停车", "李娜", "西南", CD, "办事处重点", "40", "丢单", "丢单", "2026-02-01", "2026-06-01",
     "", " 价格 ", "", "2"],
    ["A1", "成都停车诱导", "李娜", "西南", CD, "渠道项目", "20", "放弃", "放弃", "2026-02-05", "2026-04-20",
     "安停智能", "客户预算削减", "", "200"],
    ["W3", "重庆智慧停车", "李娜", "西南", CQ, "渠道项目", "80", "赢单", "赢单", "2026-03-01", "2026-06-15",
     "", "", "", "3"],
    ["O1", "南京新街口改造", "王芳", "华东", NJ, "系统部级", "70", "投标", "进行中", "2026-03-01", "", "路通信息", "", "", ""],
    ["O2", "南京停车平台", "王芳", "华东", NJ, "系统部级", "25", "方案设计", "进行中", "2026-04-01", "", "", "", "", ""],
]
HISTORY = {
    "W0": [("线索", "2025-10-01"), ("投标", "2026-01-10"), ("赢单", "2026-02-10")],
    "W1": [("线索", "2026-01-05"), ("投标", "2026-04-01"), ("赢单", "2026-04-10")],
    "W2": [("线索", "2026-02-01"), ("投标", "2026-04-15"), ("赢单", "2026-05-20")],
    "L1": [("线索", "2026-01-10"), ("投标", "2026-04-05"), ("谈判", "2026-04-20"), ("丢单", "2026-05-01")],
    "L2": [("线索", "2026-02-01"), ("方案设计", "2026-03-01"), ("丢单", "2026-06-01")],
    "A1": [("线索", "2026-02-05"), ("投标", "2026-03-10"), ("放弃", "2026-04-20")],
    "W3": [("线索", "2026-03-01"), ("投标", "2026-05-01"), ("赢单", "2026-06-15")],
    "O1": [("线索", "2026-03-01"), ("投标", "2026-05-10")],
    "O2": [("线索", "2026-04-01"), ("方案设计", "2026-04-10")],
}


def load(con, tmp_path, projects=PROJECTS, header=HEADER) -> None:
    events = [["项目编号", "阶段", "进入日期"]] + [[pid, st, d] for pid, rows in HISTORY.items() for st, d in rows]
    pa.load(con, [write_csv(tmp_path / "商机.csv", [header, *projects]),
                  write_csv(tmp_path / "阶段历史.csv", events)])


@pytest.fixture
def wl(con, tmp_path):
    load(con, tmp_path)
    return con


def one(df, **where) -> dict:
    mask = pd.Series(True, index=df.index)
    for column, value in where.items():
        mask &= df[column].isna() if value is None else df[column] == value
    assert mask.sum() == 1, (where, df)
    return df[mask].iloc[0].to_dict()


def wilson(k, n, z=1.959963984540054):
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


# -- bids ------------------------------------------------------------------------------------------

def test_bids_of_the_quarter(wl):
    r = bids(wl, "2026-Q2").to_dict("records")[0]
    # first 投标 in Q2: W1 04-01, L1 04-05, W2 04-15, W3 05-01, O1 05-10 (A1 and W0 bid in Q1)
    assert (r["bids"], r["won"], r["lost"], r["abandoned"], r["decided"], r["open"]) == (5, 3, 1, 0, 4, 1)
    assert r["bid_win_rate"] == 0.75
    assert (r["bid_win_rate_low"], r["bid_win_rate_high"]) == pytest.approx(wilson(3, 4))
    assert (r["bid_amount"], r["won_amount"], r["lost_amount"]) == (330.0, 230.0, 30.0)
    assert bool(r["small_sample"]) is True


def test_bids_by_director_and_by_competitor(wl):
    d = bids(wl, "2026-Q2", by="director")
    assert d["director"].tolist() == ["张伟", "李娜", "王芳"]
    assert one(d, director="张伟")["bid_win_rate"] == pytest.approx(2 / 3)
    assert one(d, director="李娜")["bid_win_rate"] == 1.0
    wang = one(d, director="王芳")
    assert (wang["bids"], wang["open"], wang["decided"]) == (1, 1, 0) and math.isnan(wang["bid_win_rate"])
    c = bids(wl, "2026-Q2", by="competitor")
    # W1 names two rivals and counts for both; L1 likewise; W3 names none (the empty row, last)
    assert c["competitor"].tolist()[:3] == ["安停智能", "智泊科技", "路通信息"] and pd.isna(c["competitor"].iloc[3])
    assert (one(c, competitor="智泊科技")["bids"], one(c, competitor="智泊科技")["won"]) == (3, 2)
    lt = one(c, competitor="路通信息")
    assert (lt["bids"], lt["lost"], lt["open"], lt["decided"], lt["bid_win_rate"]) == (2, 1, 1, 1, 0.0)
    assert one(c, competitor=None)["bids"] == 1


def test_bid_stage_must_be_a_working_stage(wl, tmp_path):
    cfg = tmp_path / "presales.toml"
    cfg.write_text('[metrics]\nbid_stage = "won"\n', encoding="utf-8")
    with pytest.raises(InputError, match="bid_stage"):
        bids(wl, "2026-Q2", config=pa.load_config(cfg))


# -- competitors -----------------------------------------------------------------------------------

def test_competitors_counts_each_rival_and_the_total_once(wl):
    df = competitors(wl, "2026-Q2")
    # closed in Q2: W1 W2 L1 L2 A1 W3 (6). 智泊科技 W1 W2 L1; 安停智能 W1 A1; 路通信息 L1 (+ O1 open); none L2 W3 (+ O2)
    assert df["competitor"].tolist()[:3] == ["智泊科技", "安停智能", "路通信息"] and pd.isna(df["competitor"].iloc[3])
    zb = one(df, competitor="智泊科技")
    assert (zb["met"], zb["won"], zb["lost"], zb["decided"], zb["open"]) == (3, 2, 1, 3, 0)
    assert zb["win_rate"] == pytest.approx(2 / 3) and (zb["won_amount"], zb["lost_amount"]) == (150.0, 30.0)
    at = one(df, competitor="安停智能")
    assert (at["met"], at["won"], at["abandoned"], at["decided"], at["win_rate"]) == (2, 1, 1, 1, 1.0)
    lt = one(df, competitor="路通信息")
    assert (lt["met"], lt["lost"], lt["win_rate"], lt["open"], lt["lost_amount"]) == (1, 1, 0.0, 1, 30.0)
    none = one(df, competitor=None)
    assert (none["met"], none["won"], none["decided"], none["open"], none["win_rate"]) == (2, 1, 2, 1, 0.5)
    assert set(df["projects_total"]) == {6}
    assert df["share_of_projects"].tolist() == pytest.approx([3 / 6, 2 / 6, 1 / 6, 2 / 6])
    assert df.attrs["without_competitor_share"] == pytest.approx(2 / 6)
    assert "城泊网络" not in set(df["competitor"].dropna())      # W0 closed in Q1


def test_competitors_csv_from_the_command_line(tmp_path):
    from test_cli import presales

    f = write_csv(tmp_path / "p.csv", [["项目编号", "状态", "创建日期", "结束日期", "竞争对手"],
                                       ["P1", "丢单", "2026-01-05", "2026-05-01", "甲科技、乙智能"],
                                       ["P2", "赢单", "2026-01-05", "2026-05-02", "甲科技"]])
    assert presales("load", str(f), "--db", "c.duckdb", cwd=tmp_path).returncode == 0
    r = presales("metrics", "competitors", "--period", "2026-Q2", "--format", "csv", "--db", "c.duckdb", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    rows = {line.split(",")[0]: line.split(",") for line in r.stdout.splitlines()[1:]}
    header = r.stdout.splitlines()[0].split(",")
    met, total = header.index("met"), header.index("projects_total")
    assert (rows["甲科技"][met], rows["乙智能"][met]) == ("2", "1")      # P1 once for each rival
    assert rows["甲科技"][total] == rows["乙智能"][total] == "2"          # and once in the total


# -- losses ----------------------------------------------------------------------------------------

def test_losses_by_reason_exact_text_then_mapped(wl, tmp_path):
    df = losses(wl, "2026-Q2")
    # L1 价格因素 30 (lost), L2 "价格" 40 (lost; trimmed), A1 客户预算削减 20 (abandoned); ranked by projects, amount
    assert df["reason"].tolist() == ["价格", "价格因素", "客户预算削减"]
    assert df["rank"].tolist() == [1, 2, 3] and df["share"].tolist() == pytest.approx([1 / 3] * 3)
    assert one(df, reason="客户预算削减")["abandoned"] == 1
    cfg = tmp_path / "presales.toml"
    cfg.write_text('[lost_reasons]\n"价格因素" = ["价格", "报价过高"]\n', encoding="utf-8")
    mapped = losses(wl, "2026-Q2", config=pa.load_config(cfg))
    assert mapped["reason"].tolist() == ["价格因素", "客户预算削减"]
    price = one(mapped, reason="价格因素")
    assert (price["projects"], price["lost"], price["amount_lost"], price["share"]) == (2, 2, 70.0, pytest.approx(2 / 3))


def test_losses_by_stage_lost_at_and_per_director(wl):
    df = losses(wl, "2026-Q2", group="stage")
    # the last working stage before the terminal one: L1 negotiation, L2 solution, A1 bidding
    assert df["stage"].tolist() == ["solution", "negotiation", "bidding"]          # by amount 40, 30, 20
    assert df["stage_zh"].tolist() == ["方案设计", "谈判", "投标"]
    d = losses(wl, "2026-Q2", by="director")
    assert d[["director", "reason", "rank"]].values.tolist() == [["张伟", "价格因素", 1], ["李娜", "价格", 1],
                                                                 ["李娜", "客户预算削减", 2]]
    assert one(d, director="张伟")["share"] == 1.0
    with pytest.raises(InputError, match="group"):
        losses(wl, "2026-Q2", group="reasons")


# -- customers -------------------------------------------------------------------------------------

def test_customers_new_and_returning(wl):
    df = customers(wl, "2026-Q2")
    assert df["segment"].tolist() == ["new", "returning", "all"]
    new, ret, every = (one(df, segment=s) for s in ("new", "returning", "all"))
    # returning: 重庆市城投集团 (won W0 in Q1). New: 杭州 (W1 W2: won twice, new once), 宁波 (L1), 成都 (L2 A1)
    assert (new["closed"], new["won"], new["won_amount"], new["customers"], new["customers_won"]) == (5, 2, 150.0, 3, 1)
    assert new["win_rate"] == 0.4 and pd.isna(new["prior_customers"]) and pd.isna(new["repeat_rate"])
    assert (ret["closed"], ret["won"], ret["won_amount"], ret["customers"], ret["customers_won"]) == (1, 1, 80.0, 1, 1)
    assert (ret["prior_customers"], ret["repeat_rate"]) == (1, 1.0)
    assert (every["closed"], every["won"], every["customers"], every["customers_won"]) == (6, 3, 4, 2)
    # won amount: 杭州 150, 重庆 80 -> top-10 share 1; HHI (150/230)² + (80/230)² = 28,900 / 52,900
    assert every["top10_share"] == 1.0 and every["hhi"] == pytest.approx(28_900 / 52_900)
    assert pd.isna(new["hhi"])


def test_customers_lookback_and_per_director(wl, tmp_path):
    cfg = tmp_path / "presales.toml"
    cfg.write_text("[metrics]\ncustomer_lookback_days = 30\n", encoding="utf-8")
    short = customers(wl, "2026-Q2", config=pa.load_config(cfg))
    # W0 was won 02-10, more than 30 days before 04-01: 重庆 is new again
    assert one(short, segment="new")["customers_won"] == 2 and one(short, segment="returning")["closed"] == 0
    assert one(short, segment="all")["prior_customers"] == 0 and pd.isna(one(short, segment="all")["repeat_rate"])
    d = customers(wl, "2026-Q2", by="director")
    zw = one(d, director="张伟", segment="new")
    assert (zw["closed"], zw["won"], zw["customers"], zw["customers_won"]) == (3, 2, 2, 1)      # 新客户拓展 1
    ln = one(d, director="李娜", segment="returning")
    assert (ln["customers_won"], ln["prior_customers"], ln["repeat_rate"]) == (1, 1, 1.0)      # 老客户维护
    assert one(d, director="李娜", segment="new")["won"] == 0


# -- collection and satisfaction -------------------------------------------------------------------

def test_collection_and_satisfaction(wl):
    r = collection(wl, "2026-Q2").to_dict("records")[0]
    # won in Q2: W1 100 (60 collected), W2 50 (0), W3 80 (blank)
    assert (r["won"], r["won_amount"], r["collected_amount"]) == (3, 230.0, 60.0)
    assert r["collection_rate"] == pytest.approx(60 / 230)
    assert (r["with_collection"], r["uncollected"], r["overdue"]) == (2, 2, 0)     # 90 days: none overdue yet
    # scores of projects closed in Q2: 5, 4, 2, 3 (A1's 200 is outside 0..5); sd = sqrt(5/3)
    assert (r["rated"], r["satisfaction_mean"]) == (4, 3.5)
    assert r["satisfaction_sd"] == pytest.approx(math.sqrt(5 / 3))
    short = collection(wl, "2026-Q2", overdue_days=20).to_dict("records")[0]
    # state date 06-15: W2 won 05-20 + 20 = 06-09 (overdue), W3 won 06-15 + 20 (not yet)
    assert (short["overdue"], short["overdue_amount"]) == (1, 50.0)
    d = collection(wl, "2026-Q2", by="director")
    zw, ln = one(d, director="张伟"), one(d, director="李娜")
    assert (zw["rated"], zw["satisfaction_mean"], ln["rated"], ln["satisfaction_mean"]) == (2, 4.5, 2, 2.5)
    assert zw["satisfaction_sd"] == pytest.approx(math.sqrt(0.5))


def test_collection_says_when_the_export_has_no_such_column(con, tmp_path):
    keep = [i for i, h in enumerate(HEADER) if h not in ("回款金额", "客户满意度")]
    load(con, tmp_path, [[row[i] for i in keep] for row in PROJECTS], [HEADER[i] for i in keep])
    df = collection(con, "2026-Q2")
    assert df.attrs["missing"] == ["collected_amount", "satisfaction"]
    r = df.to_dict("records")[0]
    assert r["won"] == 3 and math.isnan(r["collection_rate"]) and math.isnan(r["collected_amount"])
    assert r["rated"] == 0 and math.isnan(r["satisfaction_mean"])


# -- every scope in one pass -----------------------------------------------------------------------

@pytest.mark.parametrize("name,options", [("bids", {}), ("bids", {"by": "competitor"}), ("competitors", {}),
                                          ("losses", {}), ("losses", {"group": "stage"}), ("customers", {}),
                                          ("collection", {})])
def test_one_pass_equals_each_scope_alone(wl, name, options):
    every = compute(MetricContext(wl).across("company", "region", "director"), name, "2026-Q2", **options)
    for key, part in every.groupby("scope", sort=False):
        kind, _, value = key.partition(":")
        alone = compute(MetricContext(wl, scope=key if value else "company"), name, "2026-Q2", **options)
        pd.testing.assert_frame_equal(part.drop(columns="scope").reset_index(drop=True), alone, check_dtype=False)


def test_missing_columns_are_named(con, tmp_path):
    pa.load(con, [write_csv(tmp_path / "p.csv", [["项目编号", "状态", "创建日期", "结束日期"],
                                                  ["P1", "赢单", "2026-01-05", "2026-05-01"]])])
    with pytest.raises(MissingColumnError, match="竞争对手|Competitor|competitor"):
        competitors(con, "2026-Q2")
    with pytest.raises(MissingColumnError, match="lost_reason"):
        losses(con, "2026-Q2")
    with pytest.raises(MissingColumnError, match="customer"):
        customers(con, "2026-Q2")
    assert bids(con, "2026-Q2").to_dict("records")[0]["bids"] == 0     # no bidding in any history: no bids


def test_competitor_trend_quarter_by_quarter(tmp_path):
    """2026-Q2 with 2 quarters (Q1, Q2): 智泊科技 on W1 W2 (won) and L1 (lost) in Q2: met 3, 2/3; 安停智能 on W1
    (won) and A1 (abandoned: met, not decided) in Q2: met 2, 1/1; 城泊网络 on W0 (won 02-10) in Q1: 1/1; 路通信息
    on L1 (lost) in Q2: 0/1. Rivals by projects met over the span, then name; L2 and W3 name none: left out.
    8 quarters give the same rows (nothing closed before Q1); every scope in one pass equals each alone."""
    con = pa.connect(tmp_path / "w.duckdb")
    load(con, tmp_path)
    rows = compute(con, "competitor-trend", "2026-Q2", quarters=2)
    assert rows[["competitor", "quarter", "met", "won", "lost", "decided"]].values.tolist() == [
        ["智泊科技", "2026-Q2", 3, 2, 1, 3], ["安停智能", "2026-Q2", 2, 1, 0, 1],
        ["城泊网络", "2026-Q1", 1, 1, 0, 1], ["路通信息", "2026-Q2", 1, 0, 1, 1]]
    assert rows["win_rate"].tolist() == pytest.approx([2 / 3, 1.0, 1.0, 0.0])
    assert rows["small_sample"].all() and rows.attrs["options"]["first_quarter"] == "2026-Q1"
    eight = compute(con, "competitor-trend", "2026-Q2")
    assert eight.attrs["options"]["first_quarter"] == "2024-Q3" and eight.equals(   # Q2 back 7 quarters
        compute(con, "competitor-trend", "2026-Q2", quarters=8))
    pd.testing.assert_frame_equal(eight[["competitor", "quarter", "met"]], rows[["competitor", "quarter", "met"]])
    with MetricContext(con).across("company", "director") as ctx:
        every = compute(ctx, "competitor-trend", "2026-Q2")
    for key in ("company", "director:张伟", "director:李娜"):
        with MetricContext(con, scope=key) as alone:
            one = compute(alone, "competitor-trend", "2026-Q2")
        mine = every[every["scope"] == key].drop(columns="scope").reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, one, check_dtype=False)
    with pytest.raises(InputError, match="quarters"):
        compute(con, "competitor-trend", "2026-Q2", quarters=0)
