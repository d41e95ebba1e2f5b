"""presales dashboard: one offline HTML file whose numbers are the library's, for the whole company and
for each filter, on a small hand-typed fixture; drawn and filtered in headless chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import presales_analytics as pa
from presales_analytics.presentation.order import pinyin_sorted
from presales_analytics.config import load_config
from presales_analytics.dashboard.data import build_data
from presales_analytics.dashboard.page import script_json
from presales_analytics.metrics import compute
from presales_analytics.periods import Period
from presales_analytics.reports.context import fmt_amount, fmt_pct
from presales_analytics.metrics import MetricContext
from presales_analytics.scoping import ReportScope

from conftest import write_csv

EVIL = "<img src=x onerror=alert(1)>"
WAN = 10_000
HEADER = ["项目编号", "项目名称", "客户名称", "项目总监", "区域", "系统部", "项目等级", "渠道商", "金额（万元）",
          "项目阶段", "状态", "创建日期", "结束日期"]
ROWS = [
    # closed in 2026-Q3 (cycle days created -> closed in the comment)
    ["P1", "杭州智慧停车", "杭州市城市管理局", "张伟", "华东", "政府系统部", "公司级", "", "100", "谈判", "赢单",
     "2026-01-10", "2026-07-15"],                                                            # 21+28+31+30+31+30+15 = 186
    ["P2", "宁波停车诱导", "宁波市交通局", "张伟", "华东", "政府系统部", "系统部级", "宁波渠道", "50", "投标", "赢单",
     "2026-03-01", "2026-08-20"],                                                            # 30+30+31+30+31+20 = 172
    ["P3", "温州静态交通", "温州市公安局", EVIL, "华东", "交通系统部", "系统部级", "", "30", "投标", "丢单",
     "2026-02-01", "2026-09-10"],                                                            # 27+31+30+31+30+31+31+10 = 221
    ["P4", "北京停车场", "北京市交通委", "李娜", "华北", "交通系统部", "系统部级", "", "40", "谈判", "赢单",
     "2026-04-01", "2026-09-20"],                                                            # 29+31+30+31+31+20 = 172
    ["P5", "天津停车", "天津市城管委", "李娜", "华北", "交通系统部", "渠道项目", "津渠道", "20", "投标", "放弃",
     "2026-05-01", "2026-08-01"],                                                            # 30+30+31+1 = 92
    # closed in 2026-Q2 (the previous period)
    ["P6", "石家庄停车", "石家庄市交通局", "李娜", "华北", "交通系统部", "系统部级", "", "60", "谈判", "赢单",
     "2026-01-05", "2026-06-10"],
    ["P7", "静安停车", "上海市静安区政府", "张伟", "华东", "政府系统部", "公司级", "", "80", "投标", "丢单",
     "2026-02-01", "2026-05-15"],
    # open
    ["P8", "嘉兴停车", "嘉兴市交通局", "张伟", "华东", "政府系统部", "系统部级", "", "20", "立项", "进行中", "2026-04-20", ""],
    ["P9", "保定停车", "保定市城管局", "李娜", "华北", "交通系统部", "渠道项目", "", "10", "方案设计", "进行中",
     "2026-06-01", ""],
    # open in 投标 since 01-01: 262 days on 09-20, over 华东's p75 of finished 投标 stays (103, 172, 221 -> 196.5)
    ["P10", "湖州停车", "湖州市交通局", "张伟", "华东", "政府系统部", "系统部级", "", "30", "投标", "进行中",
     "2026-01-01", ""],
]
TARGETS = [["目标范围", "期间", "目标金额（万元）"],
           ["公司", "2026-Q3", "400"], ["公司", "2026-Q2", "300"],
           ["区域:华东", "2026-Q3", "200"], ["区域:华北", "2026-Q3", "100"], ["总监:张伟", "2026-Q3", "150"]]
CUSTOMERS = [r[2] for r in ROWS]
NAMES = [r[1] for r in ROWS]


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    root = tmp_path_factory.mktemp("dashboard")
    con = pa.connect(root / "d.duckdb")
    pa.load(con, [write_csv(root / "商机.csv", [HEADER, *ROWS]), write_csv(root / "目标.csv", TARGETS)])
    con.close()
    return root / "d.duckdb"


def run_dashboard(db: Path, *args: str) -> subprocess.CompletedProcess:
    exe = shutil.which("presales", path=str(Path(sys.executable).parent))
    env = {k: v for k, v in os.environ.items() if k != "PRESALES_DB"}
    return subprocess.run([exe, "dashboard", "--db", str(db), *args], cwd=db.parent, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def pages(db):
    out = {}
    for key, args in {"zh": [], "en": ["--lang", "en"], "redacted": ["--redact"]}.items():
        r = run_dashboard(db, *args)
        assert r.returncode == 0, r.stderr
        out[key] = db.parent / r.stdout.strip().splitlines()[-1]
    return out


def sums(data, bucket, **where):
    """The cube's measures for a bucket, keeping the cells whose dimensions equal ``where`` (channel:
    from the period's channel rows, won amount only)."""
    dims = ["region", "department", "grade", "director"]
    keep = {dims.index(k): data["dims"][k].index(v) for k, v in where.items() if k != "channel"}
    cells = {i for i, c in enumerate(data["cells"]) if all(c[d] == v for d, v in keep.items())}
    if "channel" in where:
        ch = data["dims"]["channel"].index(where["channel"])
        return {"won_amount": sum(r[2] for r in data["channels"] if r[0] in cells and r[1] == ch)}
    b = data["buckets"].index(bucket)
    rows = [r for r in data["cube"] if r[1] == b and r[0] in cells]
    return {"won": sum(r[2] for r in rows), "closed": sum(r[3] for r in rows), "won_amount": sum(r[4] for r in rows)}


def test_default_file_and_period(pages, db):
    # the latest date in the data is 2026-09-20, before Q3 ends: the latest complete quarter is 2026-Q2
    assert pages["zh"] == db.parent / "reports" / "2026-Q2" / "dashboard.html"
    assert pages["en"].name == "dashboard-en.html" and pages["redacted"].name == "dashboard-redacted.html"


def test_hand_worked_figures_equal_the_library(db):
    data = build_data(db, Period.parse("2026-Q3"), config=load_config(), scope=ReportScope("company"))
    con = pa.connect(db, read_only=True)
    # Q3 closed: P1..P5; won P1 P2 P4 = 100 + 50 + 40 = 190 万元; win rate 3/5
    cur = sums(data, "cur")
    assert cur == {"won": 3, "closed": 5, "won_amount": 190 * WAN}
    wr = compute(con, "win-rate", "2026-Q3").iloc[0]
    assert (wr["won"], wr["closed"], wr["won_amount"]) == (3, 5, 190 * WAN)
    # Q2: P6 won (60), P7 lost: 1/2
    assert sums(data, "prev") == {"won": 1, "closed": 2, "won_amount": 60 * WAN}
    # 华东 Q3: P1 P2 won of P1 P2 P3 = 2/3, 150 万元; 华北: P4 of P4 P5 = 1/2, 40 万元
    assert sums(data, "cur", region="华东") == {"won": 2, "closed": 3, "won_amount": 150 * WAN}
    assert sums(data, "cur", region="华北") == {"won": 1, "closed": 2, "won_amount": 40 * WAN}
    # trend: the 8 quarters ending 2026-Q3; 2026-Q2 holds P6 P7
    assert data["buckets"][2:] == ["2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]
    assert sums(data, "2026-Q2") == sums(data, "prev")
    # cycle days of Q3 closes: 92, 172, 172, 186, 221 -> median 172 (as the scorecard's company median)
    assert sorted(r[1] for r in data["cycle"]["cur"]) == [92, 172, 172, 186, 221]
    assert compute(con, "directors", "2026-Q3").attrs["options"]["company_median_cycle_days"] == 172
    # targets: company 400 (Q3) and 300 (Q2); 华东 200, 华北 100; 张伟 150
    assert (data["scopes"]["company"]["target_cur"], data["scopes"]["company"]["target_prev"]) == (400 * WAN, 300 * WAN)
    assert data["scopes"]["region:华东"]["target_cur"] == 200 * WAN
    assert data["targets"]["region"] == {"华东": [200 * WAN, None], "华北": [100 * WAN, None]}
    assert data["targets"]["director"]["张伟"] == [150 * WAN, None]
    # channels, Q3 won amount: direct P1 100 + P4 40 = 140, 宁波渠道 P2 50 -> 140/190 and 50/190
    ch = compute(con, "channels", "2026-Q3")
    shares = {None if d else c: s for c, d, s in zip(ch["channel"], ch["direct"], ch["won_share"])}
    assert shares[None] == pytest.approx(140 / 190) and shares["宁波渠道"] == pytest.approx(50 / 190)
    assert sums(data, "cur", channel="宁波渠道")["won_amount"] == 50 * WAN
    # the region scope's stalled projects and compliance are the library's for that scope
    east_ctx = MetricContext(con, scope="region:华东")
    st = compute(east_ctx, "stalled", "2026-Q3")
    part = data["scopes"]["region:华东"]
    assert [data["projects"][r[0]][0] for r in part["stalled_rows"]] == st["project_id"].tolist() == ["P10"]
    assert sum(n for _, n in part["stalled_cur"]) == 1
    comp = compute(east_ctx, "compliance", "2026-Q3")
    east = {i for i, c in enumerate(data["cells"]) if c[0] == data["dims"]["region"].index("华东")}
    rows = [r for r in data["compliance"]["cur"] if r[0] in east]
    assert (sum(r[1] for r in rows), sum(r[2] for r in rows)) == (comp["checks_due"].sum(), comp["checks_passed"].sum())
    assert sum(r[3] for r in rows) == len(comp)
    con.close()


def test_data_block_cannot_end_the_script(tmp_path):
    text = script_json({"name": EVIL + "</script><!--"})
    assert "<" not in text and json.loads(text) == {"name": EVIL + "</script><!--"}


def test_file_is_offline_and_escaped(pages):
    html = pages["zh"].read_text(encoding="utf-8")
    assert EVIL not in html and "</script><img" not in html
    assert not re.search(r"""<(script|link|img|iframe)[^>]+(src|href)=["']?(https?:)?//""", html)
    from plotly.offline import get_plotlyjs
    assert html.count(get_plotlyjs()[-200:]) == 1
    assert html.count('type="application/json"') == 1


def test_redact_leaves_no_customer_or_project_name(pages):
    plain = pages["zh"].read_text(encoding="utf-8")
    assert any(c in plain for c in CUSTOMERS)           # the plain file does carry names
    html = pages["redacted"].read_text(encoding="utf-8")
    for name in CUSTOMERS + NAMES:
        assert name not in html, name
    assert "项目-001" in html


def test_english(pages):
    html = pages["en"].read_text(encoding="utf-8")
    assert '<html lang="en">' in html and "Win rate" in html and "Target attainment" in html


def tile(page, key: str) -> tuple[str, str]:
    return page.inner_text(f"#kpi-{key} .value"), page.inner_text(f"#kpi-{key} .sub")


def test_browser_draws_filters_and_escapes(db, browser, tmp_path):
    from browser import open_offline

    r = run_dashboard(db, "--period", "2026-Q3", "--out", str(tmp_path / "q3.html"))
    assert r.returncode == 0, r.stderr
    o = open_offline(browser, tmp_path / "q3.html")
    page = o.page
    page.wait_for_selector("body[data-ready='1']")
    drawn = page.evaluate("""() => [...document.querySelectorAll('.chart')].map(
        d => d.querySelectorAll('svg.main-svg').length)""")
    assert len(drawn) == 7 and all(n > 0 for n in drawn), drawn
    # the whole company: 3/5 = 60.0%, 190 万元, attainment 190/400 = 47.5%, median cycle 172 days
    assert tile(page, "win_rate")[0] == "60.0%" and "3/5" in tile(page, "win_rate")[1]
    assert tile(page, "won_amount")[0] == "190.0万元"
    assert tile(page, "attainment")[0] == "47.5%"
    assert tile(page, "cycle")[0] == "172 天"
    con = pa.connect(db, read_only=True)
    company = compute(con, "win-rate", "2026-Q3").iloc[0]
    assert tile(page, "win_rate")[0] == fmt_pct(company["win_rate"], 1)
    # filter 华东: the tile and tables change to what the library computes for the region
    east_ctx = MetricContext(con, scope="region:华东")
    wr = compute(east_ctx, "win-rate", "2026-Q3").iloc[0]                 # 2/3
    stalled = compute(east_ctx, "stalled", "2026-Q3")["project_id"].tolist()
    comp = compute(east_ctx, "compliance", "2026-Q3")
    con.close()
    page.select_option("#f-region", label="华东")
    assert tile(page, "win_rate")[0] == fmt_pct(wr["win_rate"], 1) == "66.7%"
    assert tile(page, "won_amount")[0] == fmt_amount(wr["won_amount"]) == "150.0万元"
    assert tile(page, "attainment")[0] == "75.0%"                   # 150 / 200
    ids = page.eval_on_selector_all("#t-stalled tbody tr td:first-child", "tds => tds.map(t => t.textContent)")
    assert "P10" in stalled and sorted(ids) == sorted(stalled)
    assert tile(page, "stalled")[0] == str(len(stalled))
    assert tile(page, "compliance")[0] == fmt_pct(comp["checks_passed"].sum() / comp["checks_due"].sum(), 1)
    board = page.eval_on_selector_all("#t-leaderboard tbody tr td:nth-child(2)", "tds => tds.map(t => t.textContent)")
    assert set(board) == {"张伟", EVIL}
    # the director named like an HTML tag shows as text, and no such element exists
    assert page.get_by_text(EVIL, exact=True).count() >= 1
    assert page.locator("img").count() == 0
    ranks = lambda: page.eval_on_selector_all("#t-leaderboard tbody tr td:first-child", "tds => tds.map(t => t.textContent)")
    page.click("#t-leaderboard th:first-child")                    # sort by rank, then reversed
    first = ranks()
    page.click("#t-leaderboard th:first-child")
    assert ranks() == first[::-1] and first == sorted(first, key=int)
    page.select_option("#f-region", label="全部")
    assert tile(page, "win_rate")[0] == "60.0%"
    # the attainment charts sorted by what they draw (largest first); the filter lists in pinyin order
    for kind, bars in (("region", 2), ("director", 1)):             # targets: 2 regions, 1 director
        drawn = page.evaluate(f"() => document.getElementById('chart-attainment_{kind}').data[0].y")
        assert len(drawn) == bars and drawn == sorted(drawn, reverse=True), (kind, drawn)
    assert page.evaluate("() => document.getElementById('chart-attainment_region').data[0].x") == ["华东", "华北"]  # 75%, 40%
    listed = page.eval_on_selector_all("#f-director option", "os => os.slice(1).map(o => o.textContent)")
    assert listed == [EVIL, "李娜", "张伟"] == pinyin_sorted(listed)  # "<" first, then lǐ, zhāng (code points: <, 张 U+5F20, 李 U+674E)
    assert o.problems == []
    page.context.close()


def test_choosing_a_region_names_it_narrows_the_directors_and_equals_its_audit(tmp_path, browser):
    """With 华南 chosen (this fixture's 华北 renamed), the header names it, the director list holds only
    华南's directors, and the tiles show what `presales report audit --scope region:华南` shows."""
    from browser import open_offline

    south = [[("华南" if c == "华北" else c) for c in r] for r in ROWS]
    targets = [[c.replace("华北", "华南") for c in r] for r in TARGETS]
    con = pa.connect(tmp_path / "s.duckdb")
    pa.load(con, [write_csv(tmp_path / "商机.csv", [HEADER, *south]), write_csv(tmp_path / "目标.csv", targets)])
    con.close()
    assert run_dashboard(tmp_path / "s.duckdb", "--period", "2026-Q3", "--out", "s.html").returncode == 0
    exe = shutil.which("presales", path=str(Path(sys.executable).parent))
    r = subprocess.run([exe, "report", "audit", "--period", "2026-Q3", "--scope", "region:华南", "--db", "s.duckdb",
                        "--out", "out"], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                       env={k: v for k, v in os.environ.items() if k != "PRESALES_DB"})
    assert r.returncode == 0, r.stderr
    audit = next((tmp_path / "out" / "2026-Q3").glob("audit*.html")).read_text(encoding="utf-8")
    shown = dict(re.findall(r'<div class="kpi[^"]*" data-column="(\w+)"><div class="kpi-label">[^<]*</div>'
                            r'<div class="kpi-value">([^<]*)</div>', audit))
    assert set(shown) == {"win_rate", "won_amount", "attainment", "weighted_amount", "stalled", "compliance_rate"}
    o = open_offline(browser, tmp_path / "s.html")
    page = o.page
    page.wait_for_selector("body[data-ready='1']")
    banner = " · 截至 2026年9月20日，期间未结束"                  # the data run to 09-20
    assert page.inner_text("#period") == "2026年第3季度 · 全公司" + banner
    page.select_option("#f-region", label="华南")
    assert page.inner_text("#period") == "2026年第3季度 · 华南" + banner and page.title().endswith("华南" + banner)
    directors = page.eval_on_selector_all("#f-director option", "os => os.filter(o => !o.hidden).map(o => o.textContent)")
    assert directors == ["全部", "李娜"]                        # 张伟 and the other work only in 华东
    # P4 won 40, P5 abandoned: 1/2 = 50.0%; 40 of the 100 target = 40.0%
    assert tile(page, "win_rate")[0] == shown["win_rate"] == "50.0%"
    assert tile(page, "won_amount")[0] == shown["won_amount"] == "40.0万元"
    assert tile(page, "attainment")[0] == shown["attainment"] == "40.0%"
    assert tile(page, "weighted_amount")[0] == shown["weighted_amount"]
    assert tile(page, "stalled")[0] == shown["stalled"]
    assert tile(page, "compliance")[0] == shown["compliance_rate"]
    assert page.locator("#kpi-attainment .scope-note").is_hidden()
    # a director too: the header names both; the target is now the director's, and the tile says so
    page.select_option("#f-director", label="李娜")
    assert page.inner_text("#period") == "2026年第3季度 · 华南 · 李娜" + banner
    assert page.inner_text("#kpi-attainment .scope-note") == "目标按“李娜”计，未按 华南 拆分"
    assert o.problems == []
    page.context.close()
