"""--scope: a metric context narrowed to one region, department or director computes every metric for it,
and a context grouping by scope kinds computes every scope in one pass, with the same numbers."""

from __future__ import annotations

import pandas as pd
import pytest

import presales_analytics as pa
from presales_analytics.errors import InputError
from presales_analytics.metrics import SPECS, MetricContext, compute
from presales_analytics.metrics.base import check_scope, scope
from presales_analytics.scoping import ReportScope

from test_metrics_targets import HEADER, ROWS, TARGETS, WAN
from conftest import write_csv


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "s.duckdb"
    con = pa.connect(path)
    pa.load(con, [write_csv(tmp_path / "商机.csv", [HEADER, *ROWS]), write_csv(tmp_path / "目标.csv", TARGETS)])
    con.close()
    return path


@pytest.mark.parametrize("text, kind, value, slug", [
    ("company", "company", None, "company"), ("", "company", None, "company"), ("全公司", "company", None, "company"),
    ("region:华东", "region", "华东", "region-华东"), ("区域：华东", "region", "华东", "region-华东"),
    ("总监=张伟", "director", "张伟", "director-张伟"), ("系统部:政府/系统部", "department", "政府/系统部", "department-政府_系统部"),
    ("manager:陈静", "manager", "陈静", "manager-陈静"), ("监控人：周强", "monitor", "周强", "monitor-周强"),
    ("规划经理:赵磊", "planner", "赵磊", "planner-赵磊"),
])
def test_parse(text, kind, value, slug):
    s = ReportScope.parse(text)
    assert (s.kind, s.value, s.slug) == (kind, value, slug)


def test_parse_rejects_unknown_kind():
    with pytest.raises(InputError, match="region, department, director, manager, monitor, planner"):
        ReportScope.parse("city:杭州")


def test_region_scope_equals_the_by_region_row_and_its_target_is_the_company_target(db):
    con = pa.connect(db, read_only=True)
    east = compute(con, "win-rate", "2026-Q3", by="region").set_index("region").loc["华东"]
    ctx = MetricContext(con, scope="region:华东")
    scoped = compute(ctx, "win-rate", "2026-Q3").iloc[0]
    # 华东 closed in Q3: P1 P2 won, P7 lost -> 2/3
    assert (scoped["won"], scoped["closed"]) == (east["won"], east["closed"]) == (2, 3)
    t = compute(ctx, "targets", "2026-Q3").iloc[0]
    assert (t["target_amount"], t["won_amount"]) == (240 * WAN, 150 * WAN)    # the region's target, not 公司's
    # directors in scope keep their own targets: 张伟 H2 360 -> Q3 180
    d = compute(ctx, "targets", "2026-Q3", by="director").set_index("scope")
    assert d.loc["张伟", "target_amount"] == 180 * WAN
    assert scope(ctx).query("SELECT count(*) AS n FROM prj")["n"].iloc[0] == 6     # P1 P2 P5 P6 P7 P9
    # the caller's connection is untouched: no TEMP view, every project, nothing written
    assert con.execute("SELECT count(*) FROM projects").fetchone()[0] == 9
    assert con.execute("SELECT count(*) FROM duckdb_views() WHERE temporary AND NOT internal").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchone()[0] == 0
    ctx.close()
    con.close()


def test_director_scope_and_stage_history_follow_the_projects(db):
    con = pa.connect(db, read_only=True)
    ctx = MetricContext(con, scope="director:李娜")
    seen = scope(ctx).query("SELECT DISTINCT project_id FROM evt SEMI JOIN prj USING (project_id) ORDER BY 1")
    assert seen["project_id"].tolist() == ["P3", "P7"]
    wr = compute(ctx, "win-rate", "2026-Q3").iloc[0]
    assert (wr["won"], wr["closed"]) == (1, 2)
    con.close()


def test_unknown_value_names_the_known_ones(db):
    con = pa.connect(db, read_only=True)
    with pytest.raises(InputError, match="known: 华东, 华南, 西南"):
        check_scope(MetricContext(con, scope="region:华北"))
    con.close()


def test_narrowing_one_connection_twice_never_reuses_the_other_scopes_cached_results(tmp_path):
    # two directors with as many projects and stage events as each other: the caches a context shares
    # with the contexts derived from it (the sorted stage history) must still tell the two scopes apart
    header = ["项目编号", "项目总监", "项目阶段", "状态", "创建日期", "结束日期"]
    rows = [["A1", "甲", "投标", "赢单", "2026-07-01", "2026-07-20"],
            ["B1", "乙", "投标", "丢单", "2026-07-02", "2026-08-30"]]
    con = pa.connect(tmp_path / "t.duckdb")
    pa.load(con, [write_csv(tmp_path / "p.csv", [header, *rows])])
    con.close()
    con = pa.connect(tmp_path / "t.duckdb", read_only=True)
    first = MetricContext(con, scope="director:甲")
    a = compute(first, "win-rate", "2026-Q3").iloc[0]
    a_bidding = compute(first, "stage-durations", "2026-Q3").set_index("stage").loc["bidding", "median_days"]
    second = first.replace(scope="director:乙")
    b = compute(second, "win-rate", "2026-Q3").iloc[0]
    b_bidding = compute(second, "stage-durations", "2026-Q3").set_index("stage").loc["bidding", "median_days"]
    assert (a["won"], a["closed"], b["won"], b["closed"]) == (1, 1, 0, 1)
    # 甲: in bidding 07-01 -> won 07-20 = 19 days; 乙: 07-02 -> lost 08-30 = 59 days
    assert (a_bidding, b_bidding) == (19, 59)
    con.close()


def test_norms_stay_the_companys_in_a_scope(tmp_path):
    """The stall limit (p75 of every project's finished stays) and the median cycle the director score
    compares with are the company's in a scope too, so a scoped report agrees with the company one."""
    header = ["项目编号", "项目总监", "项目阶段", "状态", "创建日期", "结束日期"]
    rows = [[f"J{i}", "甲", "投标", "赢单", "2026-07-01", "2026-07-11"] for i in range(3)]     # 10 days each
    rows += [[f"Y{i}", "乙", "投标", "丢单", "2026-06-20", "2026-09-28"] for i in range(3)]    # 100 days each
    rows += [["J9", "甲", "投标", "进行中", "2026-09-08", ""]]                                   # 20 days on 09-28
    con = pa.connect(tmp_path / "n.duckdb")
    pa.load(con, [write_csv(tmp_path / "p.csv", [header, *rows])])
    con.close()
    # company: bidding stays 10 10 10 100 100 100 -> p75 (quantile_cont at 3.75) = 100: J9 (20 d) is not
    # stalled; median cycle of the 6 closed = (10 + 100) / 2 = 55 days
    con = pa.connect(tmp_path / "n.duckdb", read_only=True)
    company = compute(con, "stalled", "2026-Q3")
    board = compute(con, "directors", "2026-Q3").set_index("director")
    assert len(company) == 0 and company.attrs["options"]["limits"] == {"bidding": 100.0}
    assert board.attrs["options"]["company_median_cycle_days"] == 55
    con.close()
    # 甲's own stays alone would give a limit of 10 days and call J9 stalled: the norm stays the company's
    con = pa.connect(tmp_path / "n.duckdb", read_only=True)
    scoped = compute(MetricContext(con, scope="director:甲"), "stalled", "2026-Q3")
    assert len(scoped) == 0 and scoped.attrs["options"]["limits"] == {"bidding": 100.0}
    con.close()
    # 乙 (median 100 days) alone would be its own norm (speed 1.0); against the company's 55: 0.55
    con = pa.connect(tmp_path / "n.duckdb", read_only=True)
    mine = compute(MetricContext(con, scope="director:乙"), "directors", "2026-Q3").set_index("director")
    assert mine.attrs["options"]["company_median_cycle_days"] == 55
    assert mine.loc["乙", "score"] == board.loc["乙", "score"]
    con.close()


#: every metric of the registry with the options it is computed with in the one-pass comparison
#: (channels needs a channel column, which this fixture has not: tests/test_dashboard.py covers it)
#: (competitors, competitor-trend, losses, customers and members need columns it has not either: their own tests,
#: test_metrics_winloss.py and test_metrics_members.py, make the same comparison)
ONE_PASS = [(name, {}) for name in SPECS if name not in ("compliance", "directors", "channels", "competitors", "losses", "forecast",
                                                         "customers", "members", "competitor-trend")] + [
    ("compliance", {}), ("compliance", {"level": "director"}), ("directors", {}), ("win-rate", {"by": "director"}),
    ("stage-durations", {"by": "director"}), ("funnel", {"by": "region"}), ("targets", {"by": "director"}),
    ("pipeline", {"by": "director"})]


@pytest.mark.parametrize("name, options", ONE_PASS, ids=[f"{n}{'-' + '-'.join(map(str, o.values())) if o else ''}"
                                                         for n, o in ONE_PASS])
@pytest.mark.parametrize("period", ["2026-Q3", "all"])
def test_one_pass_over_every_scope_equals_each_scope_computed_alone(db, name, options, period):
    """ctx.across(company, region, department, director): each scope's rows are exactly what the metric
    gives for that scope alone (non-additive figures included: medians, quantiles, stall lists, scores)."""
    con = pa.connect(db, read_only=True)
    with MetricContext(con) as ctx:
        every = ctx.across("company", "region", "department", "director")
        together = compute(every, name, period, **options)
        keys = scope(every).keys()
        assert keys[0] == "company" and "region:华东" in keys and "director:张伟" in keys
        assert together["scope"].drop_duplicates().tolist() == [k for k in keys if k in set(together["scope"])]
        for key in keys:
            alone = compute(ctx.replace(scope=key), name, period, **options)
            mine = together[together["scope"] == key].drop(columns="scope").reset_index(drop=True)
            if name == "targets":       # with groupings the target holder is in "name" ("scope" is taken)
                mine = mine.rename(columns={"name": "scope"})
            pd.testing.assert_frame_equal(mine, alone.reset_index(drop=True), check_dtype=False,
                                          obj=f"{name} {key}")
    con.close()
