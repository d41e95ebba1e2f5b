"""The win/loss figures where people look: the audit report's 赢丢单分析 section and the workbook's sheets,
on the hand-typed projects of test_metrics_winloss.py (expected values worked out there), and redaction."""

from __future__ import annotations

import html
import json
import re

import pandas as pd
import pytest

import presales_analytics as pa

from conftest import write_csv
from test_cli import presales
from test_metrics_winloss import CD, CQ, HZ, NB, NJ, PROJECTS, load

NAMES = [HZ, NB, CD, CQ, NJ] + [row[1] for row in PROJECTS]


def _presales(args, cwd):
    r = presales(*args, cwd=cwd)
    assert r.returncode == 0, r.stderr
    return r


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("winloss")
    con = pa.connect(root / "w.duckdb")
    load(con, root)
    con.close()
    # O2 has been in 方案设计 since 04-10: stalled by 06-15 under a 30-day limit, so its name is listed
    (root / "presales.toml").write_text("[stall_days]\nsolution = 30\n", encoding="utf-8")
    for extra in ([], ["--redact"]):
        _presales(["report", "audit", "--period", "2026-Q2", "--db", "w.duckdb", *extra], root)
        _presales(["export", "xlsx", "--period", "2026-Q2", "--db", "w.duckdb", *extra], root)
    q2 = root / "reports" / "2026-Q2"
    return {"audit": (q2 / "audit.html").read_text(encoding="utf-8"),
            "audit_redacted": (q2 / "audit-redacted.html").read_text(encoding="utf-8"),
            "book": pd.read_excel(q2 / "workbook.xlsx", sheet_name=None, engine="calamine"),
            "book_path": q2 / "workbook.xlsx",
            "book_redacted_path": q2 / "workbook-redacted.xlsx", "redacted_ipynb": q2 / "audit-redacted.ipynb"}


def _section(page: str) -> str:
    start = page.index('id="sec-win-loss"')
    return page[start:page.index('id="sec-forecast"', start)]


def test_the_audit_report_shows_bids_rivals_losses_customers_and_collection(outputs):
    part = _section(outputs["audit"])
    assert "本期进入投标 5 个，已决 4 个（赢单 3、丢单 1），中标率 75.0%；另有 1 个仍在进行、0 个放弃" in part
    text = re.sub(r"<[^>]+>", "|", part)
    for metric in ("bids", "competitors", "losses", "customers", "collection"):
        assert f'data-metric="{metric}"' in part, metric
    assert "|智泊科技|" in text and "|（未记录）|" in text and "33.3% 未记录竞争对手" in text     # 2 of 6
    assert "|价格|" in text and "|客户预算削减|" in text and "|谈判|" in text                    # reasons, stage lost at
    assert "|新客户|" in text and "|老客户|" in text and "|100.0%|" in text                      # repeat rate 1/1
    assert "|26.1%|" in text and "|3.50|" in text                                               # 60 ÷ 230; mean score


def test_the_workbook_has_a_sheet_per_metric_with_the_figures(outputs):
    book = outputs["book"]
    bids = book["投标"].iloc[0]
    assert (bids["层级"], bids["投标数"], bids["已决（分母）"], bids["中标率"]) == ("全公司", 5, 4, 0.75)
    rivals = book["竞争对手"].set_index("竞争对手")
    assert rivals.loc["智泊科技", "遇到（本期结束）"] == 3 and rivals.loc["（未记录）", "项目占比"] == pytest.approx(2 / 6)
    customers = book["新老客户"].set_index("客户类型")
    assert customers.loc["新客户", "赢单客户数"] == 1 and customers.loc["全部", "集中度 HHI"] == pytest.approx(28_900 / 52_900)
    money = book["回款与满意度"].iloc[0]
    assert money["回款率"] == pytest.approx(60 / 230) and money["赢单金额（万元）"] == pytest.approx(230 / 10_000)
    losses = book["丢单分析"]
    assert losses[losses["分组"] == "丢失阶段"]["原因或阶段"].tolist() == ["方案设计", "谈判", "投标"]


def _cells(path) -> str:
    import openpyxl

    wb = openpyxl.load_workbook(path)
    return "\n".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None)


def test_redacted_outputs_hold_no_customer_or_project_name(outputs):
    # unredacted, the stalled project's name is there (so the search below can find what it looks for)
    assert "南京停车平台" in outputs["audit"] and "南京停车平台" in _cells(outputs["book_path"])
    book_text = _cells(outputs["book_redacted_path"])
    notebook = outputs["redacted_ipynb"].read_text(encoding="utf-8")
    for name in NAMES:
        for form in {name, html.escape(name), json.dumps(name)[1:-1], "".join(f"&#{ord(ch)};" for ch in name)}:
            assert form not in outputs["audit_redacted"], name
            assert form not in notebook, name
            assert form not in book_text, name
    assert "智泊科技" in outputs["audit_redacted"]          # rivals are not customers: they stay


def test_the_dashboard_panel_follows_the_filters(tmp_path, browser):
    from browser import open_offline

    con = pa.connect(tmp_path / "w.duckdb")
    load(con, tmp_path)
    con.close()
    _presales(["dashboard", "--period", "2026-Q2", "--db", "w.duckdb"], tmp_path)
    o = open_offline(browser, tmp_path / "reports" / "2026-Q2" / "dashboard.html", viewport=(1440, 1000))
    page = o.page
    page.wait_for_selector("body[data-ready='1']")

    def panel(table: str) -> dict:
        rows = page.eval_on_selector_all(f"#t-{table} tbody tr",
                                         "trs => trs.map(r => [...r.children].map(td => td.textContent))")
        return {r[0]: r[1:] for r in rows}

    heads = page.eval_on_selector_all("#t-rivals thead th", "ths => ths.map(t => t.textContent)")
    assert heads[:2] == ["竞争对手", "遇到（本期结束）"]
    figures = panel("winloss")
    # the company: 5 bids, 3 won of 4 decided (Wilson 30%-95%), 1 open; 回款 60 of 230 (yuan)
    assert figures["投标数"][0] == "5" and figures["中标率"][0] == "75.0% (30%–95%)"
    assert figures["中标率"][1] == "3 赢 / 4 已决；1 个在途"
    assert figures["回款率"][0] == "26.1%" and figures["老客户复购率"][0] == "100.0%"
    assert panel("rivals")["智泊科技"][:2] == ["3", "66.7% (2/3)"] and "（未记录）" in panel("rivals")
    # the rivals quarter by quarter (competitor-trend, hand-worked in test_metrics_winloss.py): 8 quarters
    # 2024-Q3 .. 2026-Q2, the rivals in order of projects met
    heads = page.eval_on_selector_all("#t-rival-trend thead th", "ths => ths.map(t => t.textContent)")
    assert heads[0] == "竞争对手" and heads[1:] == ["2024-Q3", "2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4",
                                                   "2026-Q1", "2026-Q2"]
    trend = panel("rival-trend")
    assert list(trend) == ["智泊科技", "安停智能", "城泊网络", "路通信息"]
    assert trend["智泊科技"][-1] == "66.7% (2/3)" and trend["智泊科技"][:-1] == ["—"] * 7
    assert trend["城泊网络"][-2:] == ["100.0% (1/1)", "—"] and trend["路通信息"][-1] == "0.0% (0/1)"
    page.select_option("#f-region", label="西南")
    page.wait_for_timeout(300)
    figures = panel("winloss")
    # 西南: one bid (W3, won); its rivals: A1 安停智能 (abandoned) and L2, W3 with none
    assert figures["投标数"][0] == "1" and figures["中标率"][0].startswith("100.0%")
    assert set(panel("rivals")) == {"安停智能", "（未记录）"}
    # 西南's rivals by quarter: 城泊网络 on W0 (won, 2026-Q1); 安停智能 on A1 (abandoned: met, nothing decided)
    trend = panel("rival-trend")
    assert trend["城泊网络"][-2] == "100.0% (1/1)" and trend["安停智能"][-1] == "—"
    # no export names a project manager, monitor or planner: the key members' table says so, empty
    assert page.inner_text("#n-members") == "导出数据无此列" and panel("members") == {}
    assert not o.problems, o.problems


def test_the_director_review_shows_the_directors_own_win_loss_figures(outputs, tmp_path):
    """张伟 in 2026-Q2 (the projects of test_metrics_winloss.py): bids W1 (投标 04-01), L1 (04-05), W2 (04-15),
    all decided: won W1 W2, lost L1 -> 中标率 2/3 = 66.7%; rivals of his closed projects: 智泊科技 on W1 W2 L1
    (met 3, won 2, lost 1), 安停智能 on W1 (won), 路通信息 on L1 (lost); loss reason 价格因素 (L1); new
    customer won: 杭州市城市管理局 (no win before Q2); collected 60 of 150 -> 40.0%; satisfaction (5 + 4) / 2.
    The same figures as his row of the metrics the audit's section shows."""
    from presales_analytics.metrics import MetricContext, compute

    root = outputs["book_path"].parents[2]
    _presales(["report", "director-review", "--scope", "director:张伟", "--period", "2026-Q2", "--db", "w.duckdb"], root)
    page = (root / "reports" / "2026-Q2" / "director-review-director-张伟.html").read_text(encoding="utf-8")
    start = page.index('id="sec-win-loss"')
    part = page[start:page.index('id="sec-compliance"', start)]
    text = re.sub(r"<[^>]+>", "|", part)
    assert "投标：本期进入投标 3 个，已决 3 个（赢单 2、丢单 1），中标率 66.7%（分母：已决 = 赢单 + 丢单）；另有 0 个仍在进行、0 个放弃。" in part
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", part.split("</thead>")[1].split("</table>")[0], re.S)
    rivals = [[html.unescape(c) for c in re.findall(r"<td[^>]*>([^<]*)</td>", r)][:6] for r in rows]
    assert rivals == [["智泊科技", "3", "2", "1", "3", "66.7%"], ["安停智能", "1", "1", "0", "1", "100.0%"],
                      ["路通信息", "1", "0", "1", "1", "0.0%"]]
    assert "|价格因素|" in text
    assert "新客户拓展：本期赢单的新客户 1 个" in part
    assert "回款率 40.0%（已回款 ÷ 赢单金额）；客户满意度均值 4.50（2 个评分）" in part
    con = pa.connect(root / "w.duckdb", read_only=True)
    with MetricContext(con) as ctx:
        b = compute(ctx, "bids", "2026-Q2", by="director").set_index("director").loc["张伟"]
        money = compute(ctx, "collection", "2026-Q2", by="director").set_index("director").loc["张伟"]
    con.close()
    assert (b["bids"], b["decided"], b["bid_win_rate"]) == (3, 3, pytest.approx(2 / 3))
    assert money["collection_rate"] == pytest.approx(60 / 150) and money["satisfaction_mean"] == pytest.approx(4.5)


def test_the_competitor_trend_in_the_audit_and_the_workbook(outputs):
    """The rivals quarter by quarter (hand-worked in test_metrics_winloss.py): the audit draws one line a rival
    in the order of projects met (智泊科技 3, 安停智能 2, 城泊网络 1, 路通信息 1) and the workbook's sheet holds
    the rows with the spec's labels."""
    part = _section(outputs["audit"])
    assert "2024-Q3 至 2026-Q2 各季度对主要竞争对手的赢单率" in part
    names = [html.unescape(json.loads('"' + n + '"')) for n in re.findall(r'"name":"([^"]*)"', part)]
    assert names[:4] == ["智泊科技", "安停智能", "城泊网络", "路通信息"]
    trend = outputs["book"]["竞争对手趋势"]
    assert trend[["竞争对手", "季度", "遇到（季度内结束）", "赢单", "丢单", "已决（分母）"]].values.tolist() == [
        ["智泊科技", "2026-Q2", 3, 2, 1, 3], ["安停智能", "2026-Q2", 2, 1, 0, 1],
        ["城泊网络", "2026-Q1", 1, 1, 0, 1], ["路通信息", "2026-Q2", 1, 0, 1, 1]]
    assert trend["对其赢单率"].tolist() == pytest.approx([2 / 3, 1.0, 1.0, 0.0])


# ---------------------------------------------------------------------------------------------------
# competitor-trend, one figure in three outputs: its own fixture, with a rate that is a rounding tie.
# Period 2026-Q2, so the span is the 8 quarters 2024-Q3 .. 2026-Q2 (the latest date in the data, T8's
# close, is 2026-06-20). Small samples: fewer than 10 decided (the built-in threshold).
#   智泊科技  2025-Q3  T1 won, T2 lost                          met 2,  1/2
#             2026-Q1  Z01 won, Z02 .. Z16 lost                met 16, 1/16 = 6.25%: a tie at one decimal, which
#                                                              every output must print as 6.3% (Python's own
#                                                              format rounds it to even: 6.2%); 16 >= 10, the
#                                                              one quarter that is not a small sample
#             2026-Q2  T3 T4 won, T5 lost, T6 abandoned        met 4,  2/3
#   安停智能  2025-Q4  T7 lost                                 met 1,  0/1
#             2026-Q2  T6 abandoned (names both rivals)        met 1,  nothing decided: no rate
#   城泊网络  2026-Q2  T8 won                                  met 1,  1/1
# Rivals in order of projects met over the span: 智泊科技 22, 安停智能 2, 城泊网络 1.

TREND_HEADER = ["项目编号", "项目名称", "项目总监", "区域", "金额", "项目阶段", "状态", "创建日期", "结束日期", "竞争对手"]
TREND_ROWS = [
    ["T1", "衢州停车普查", "张伟", "华东", "10", "赢单", "赢单", "2025-05-01", "2025-08-10", "智泊科技"],
    ["T2", "台州停车诱导", "张伟", "华东", "20", "丢单", "丢单", "2025-05-01", "2025-09-05", "智泊科技"],
    ["T7", "丽水智慧停车", "李娜", "华东", "30", "丢单", "丢单", "2025-08-01", "2025-11-20", "安停智能"],
    *[[f"Z{i:02d}", f"温州泊位普查{i}号", "张伟" if i % 2 else "李娜", "华东", "10", "赢单" if i == 1 else "丢单",
       "赢单" if i == 1 else "丢单", "2025-10-01", f"2026-02-{i:02d}", "智泊科技"] for i in range(1, 17)],
    ["T3", "杭州智慧停车", "张伟", "华东", "100", "赢单", "赢单", "2026-01-05", "2026-04-10", "智泊科技"],
    ["T4", "杭州停车诱导", "张伟", "华东", "50", "赢单", "赢单", "2026-02-01", "2026-05-20", "智泊科技"],
    ["T5", "宁波静态交通", "李娜", "华东", "30", "丢单", "丢单", "2026-01-10", "2026-05-01", "智泊科技"],
    ["T6", "宁波路内停车", "李娜", "华东", "20", "放弃", "放弃", "2026-02-05", "2026-04-20", "智泊科技、安停智能"],
    ["T8", "南京停车平台", "王芳", "华东", "40", "赢单", "赢单", "2026-03-01", "2026-06-20", "城泊网络"],
]
QUARTERS = ["2024-Q3", "2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]
#: (rival, quarter) -> (won, decided, the rate as every output prints it), worked out above; 安停智能's
#: 2026-Q2 (met, nothing decided) has no rate and shows as "—" or a gap
TREND_HAND = {("智泊科技", "2025-Q3"): (1, 2, "50.0%"), ("智泊科技", "2026-Q1"): (1, 16, "6.3%"),
              ("智泊科技", "2026-Q2"): (2, 3, "66.7%"), ("安停智能", "2025-Q4"): (0, 1, "0.0%"),
              ("城泊网络", "2026-Q2"): (1, 1, "100.0%")}


@pytest.fixture(scope="module")
def trend_outputs(tmp_path_factory):
    """The audit report, the workbook and the dashboard of 2026-Q2, each rendered by the command line."""
    root = tmp_path_factory.mktemp("trend")
    con = pa.connect(root / "t.duckdb")
    pa.load(con, [write_csv(root / "商机.csv", [TREND_HEADER, *TREND_ROWS])])
    con.close()
    for command in (["report", "audit"], ["export", "xlsx"], ["dashboard"]):
        _presales([*command, "--period", "2026-Q2", "--db", "t.duckdb"], root)
    return root / "reports" / "2026-Q2"


def test_the_competitor_trend_is_one_figure_in_the_audit_chart_the_workbook_and_the_dashboard(trend_outputs, browser):
    """The same (rival, quarter) cells with the same won, decided and rate in the audit report's chart (its
    data and the hover text plotly shows), the workbook's 竞争对手趋势 sheet (cell values and number format)
    and the dashboard's table (its text in chromium after load), printed alike: 6.3% (1/16) everywhere."""
    import openpyxl

    from browser import open_offline
    from plotly_figures import figures
    from presales_analytics.exporting.workbook import FORMATS
    from presales_analytics.presentation.format import fmt_value
    from presales_analytics.presentation.labels import header, metric_column

    assert f"{1 / 16:.1%}" == "6.2%"               # the tie: a formatter of its own would print another figure
    shown = {k: f"{rate} ({won}/{decided})" for k, (won, decided, rate) in TREND_HAND.items()}
    rivals = ["智泊科技", "安停智能", "城泊网络"]

    # the workbook: a row per rival and quarter met, the rate a number shown with one decimal
    ws = openpyxl.load_workbook(trend_outputs / "workbook.xlsx")["竞争对手趋势"]
    rows = list(ws.iter_rows())
    col = {c.value: i for i, c in enumerate(rows[0])}
    label = {k: col[header(metric_column("competitor-trend", k))] for k in
             ("competitor", "quarter", "met", "won", "decided", "win_rate", "small_sample")}
    book = [{k: r[i] for k, i in label.items()} for r in rows[1:] if r[0].value is not None]
    assert [(r["competitor"].value, r["quarter"].value, r["met"].value) for r in book] == [
        ("智泊科技", "2025-Q3", 2), ("智泊科技", "2026-Q1", 16), ("智泊科技", "2026-Q2", 4), ("安停智能", "2025-Q4", 1),
        ("安停智能", "2026-Q2", 1), ("城泊网络", "2026-Q2", 1)]
    book_rate, book_text, book_small = {}, {}, {}
    for r in book:
        key, won, decided = (r["competitor"].value, r["quarter"].value), r["won"].value, r["decided"].value
        book_small[key] = r["small_sample"].value
        if not decided:
            assert r["win_rate"].value is None and key == ("安停智能", "2026-Q2")
            continue
        assert r["win_rate"].number_format == FORMATS["pct"] == "0.0%"
        book_rate[key] = r["win_rate"].value
        book_text[key] = f"{fmt_value(r['win_rate'].value, 'rate')} ({won}/{decided})"
    assert book_text == shown
    assert book_small == {k: "否" if k == ("智泊科技", "2026-Q1") else "是" for k in book_small}

    # the audit report's chart: the rivals in that order, the 8 quarters oldest first, the same points
    page = (trend_outputs / "audit.html").read_text(encoding="utf-8")
    (chart,) = [f for f in figures(page) if "竞争对手" in f["layout"]["title"]["text"]]
    assert [t["name"] for t in chart["data"]] == rivals
    assert all(t["x"] == QUARTERS for t in chart["data"]) and chart["layout"]["xaxis"]["categoryarray"] == QUARTERS
    points = {(t["name"], q): (won, decided, y) for t in chart["data"]
              for q, y, (won, decided) in zip(t["x"], t["y"], t["customdata"]) if y is not None}
    assert points == {k: (TREND_HAND[k][0], TREND_HAND[k][1], book_rate[k]) for k in TREND_HAND}
    hollow = {(t["name"], q): s == "circle-open" for t in chart["data"] for q, s in zip(t["x"], t["marker"]["symbol"])}
    assert {k: hollow[k] for k in book_small} == {k: v == "是" for k, v in book_small.items()}

    # what the chart shows as text: plotly's hover label of each point, in chromium
    o = open_offline(browser, trend_outputs / "audit.html")
    index = o.page.evaluate("""() => [...document.querySelectorAll('.plotly-graph-div')]
                                 .findIndex(gd => (gd.layout.title.text || '').includes('竞争对手'))""")
    hover = {}
    for i, t in enumerate(chart["data"]):
        for j, (q, y) in enumerate(zip(t["x"], t["y"])):
            if y is None:
                continue
            o.page.wait_for_timeout(120)                     # plotly lets one hover through per 50 ms
            lines = o.page.evaluate("""([k, i, j]) => {
                const gd = document.querySelectorAll('.plotly-graph-div')[k];
                Plotly.Fx.hover(gd, [{curveNumber: i, pointNumber: j}]);
                return [...gd.querySelectorAll('.hoverlayer .hovertext tspan.line')].map(n => n.textContent);
            }""", [index, i, j])
            assert lines[0] == f"{t['name']} {q}", lines
            hover[(t["name"], q)] = lines[1].removeprefix("赢单率 ")
    assert hover == shown
    assert not o.problems, o.problems

    # the dashboard's table, read after load
    o = open_offline(browser, trend_outputs / "dashboard.html", viewport=(1440, 1000))
    o.page.wait_for_selector("body[data-ready='1']")
    heads = o.page.eval_on_selector_all("#t-rival-trend thead th", "ths => ths.map(t => t.textContent)")
    assert heads == [header(metric_column("competitor-trend", "competitor"))] + QUARTERS
    cells = o.page.eval_on_selector_all("#t-rival-trend tbody tr",
                                        "trs => trs.map(r => [...r.children].map(td => td.textContent))")
    assert [r[0] for r in cells] == rivals
    board = {(r[0], q): text for r in cells for q, text in zip(QUARTERS, r[1:]) if text != "—"}
    assert board == shown == book_text == hover
    assert not o.problems, o.problems
