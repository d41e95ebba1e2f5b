"""The member review (项目成员评价报告), rendered once through the real command line (papermill, nbconvert),
Chinese and redacted; the unredacted project list is checked in-process.

The fixture (period 2026-Q3; ``presales.toml`` in the working directory sets ``small_sample = 2`` and a
90-day stall limit for every working stage). M8 is created on 2026-10-05, so the latest data date is after
the quarter and the state date is 2026-09-30.

项目经理 陈静 (reviewed):
- M1 杭州智慧停车 (杭州市城市管理局), won 2026-07-15, 100万
- M2 宁波停车诱导 (宁波市交通局), won 2026-08-20, 50万
- M3 温州静态交通 (温州市公安局), lost 2026-09-10, 30万
- M4 嘉兴停车诱导 (嘉兴市交通局), open in 方案设计 since 2026-06-01: 121 days at 09-30 > 90, stalled, 31 days
  over, no analysis meeting
- M5 湖州路内停车, won 2026-05-10: closed before Q3, not in the review
So in Q3: closed 3 (won 2, lost 1, abandoned 0), open 1; win rate 2/3 = 66.7%, Wilson 95% [20.8%, 93.9%];
won 150.0万元; 1 stalled project. Each project's 项目总监 is 张伟 or 李娜, so the director's and the manager's
columns differ.

The other managers (同事比较), no documents or activities on file, so each project passes the grade check
only, besides the summary and evaluation owed 30 days after a close on or before 08-31:
- 刘洋: M6 won 08-01 40万 (1/4 checks), M7 lost 09-01 (1/2; its close reports not due yet); M8 is created
  after the quarter -> 1/2 = 50%, 40万, compliance 2/6
- 王芳: M9 won 07-20 100万, M10 won 08-10 60万, M11 won 08-25 20万 (1/4 each), M12 lost 09-20 (1/2)
  -> 3/4 = 75%, 180万, compliance 4/14
- 赵磊: M13 open in 线索 since 08-01 (60 days: not stalled) -> nothing closed, 0万, compliance 1/2
- 孙丽: M14 lost 08-15 (1/4) -> 0/1 = 0%, a small sample (1 < 2), 0万, compliance 1/4
Their medians are worked out in the tests; 陈静's 66.7% is above the others' 50%: no win-rate finding.
"""

from __future__ import annotations

import html as h
import os
import re
import shutil
import statistics
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

import presales_analytics as pa
from presales_analytics.errors import InputError, MissingColumnError

from conftest import write_csv
from plotly_figures import figures
from test_report_director import CONFIG  # the same settings: small samples of 2, 90-day stall limits

PROJECTS = [
    ["项目编号", "项目名称", "客户名称", "项目总监", "项目经理", "监控人", "金额（万元）", "项目阶段", "状态",
     "创建日期", "结束日期"],
    ["M1", "杭州智慧停车", "杭州市城市管理局", "张伟", "陈静", "周强", "100", "谈判", "赢单", "2026-03-01", "2026-07-15"],
    ["M2", "宁波停车诱导", "宁波市交通局", "李娜", "陈静", "周强", "50", "谈判", "赢单", "2026-03-05", "2026-08-20"],
    ["M3", "温州静态交通", "温州市公安局", "张伟", "陈静", "吴敏", "30", "投标", "丢单", "2026-04-01", "2026-09-10"],
    ["M4", "嘉兴停车诱导", "嘉兴市交通局", "李娜", "陈静", "吴敏", "70", "方案设计", "进行中", "2026-05-01", ""],
    ["M5", "湖州路内停车", "湖州市城管局", "张伟", "陈静", "周强", "20", "谈判", "赢单", "2026-02-01", "2026-05-10"],
    ["M6", "成都路内停车", "成都市交通局", "李娜", "刘洋", "周强", "40", "谈判", "赢单", "2026-02-01", "2026-08-01"],
    ["M7", "重庆停车平台", "重庆市城管局", "张伟", "刘洋", "吴敏", "60", "投标", "丢单", "2026-03-01", "2026-09-01"],
    ["M8", "贵阳智慧停车", "贵阳市交通局", "李娜", "刘洋", "吴敏", "10", "线索", "进行中", "2026-10-05", ""],
    # 陈静's peers (同事比较): 王芳 3 won 1 lost, 赵磊 one open project, 孙丽 one loss
    ["M9", "衢州智慧停车", "衢州市交通局", "张伟", "王芳", "吴敏", "100", "谈判", "赢单", "2026-03-01", "2026-07-20"],
    ["M10", "金华停车诱导", "金华市城管局", "李娜", "王芳", "吴敏", "60", "谈判", "赢单", "2026-04-01", "2026-08-10"],
    ["M11", "绍兴路内停车", "绍兴市交通局", "张伟", "王芳", "吴敏", "20", "谈判", "赢单", "2026-04-15", "2026-08-25"],
    ["M12", "舟山停车平台", "舟山市城管局", "李娜", "王芳", "吴敏", "30", "投标", "丢单", "2026-05-01", "2026-09-20"],
    ["M13", "台州智慧停车", "台州市交通局", "张伟", "赵磊", "吴敏", "50", "线索", "进行中", "2026-08-01", ""],
    ["M14", "丽水停车诱导", "丽水市公安局", "李娜", "孙丽", "吴敏", "40", "投标", "丢单", "2026-05-10", "2026-08-15"],
]
EVENTS = [["项目编号", "阶段", "进入日期"], ["M4", "线索", "2026-05-01"], ["M4", "方案设计", "2026-06-01"]]
CUSTOMERS = [r[2] for r in PROJECTS[1:5]]         # 陈静's projects in Q3
NAMES = [r[1] for r in PROJECTS[1:5]]

#: three or more English words in a row: a sentence (tests/test_print.py's check, on the page's text)
ENGLISH_RUN = re.compile(r"(?<![\w./-])[A-Za-z][A-Za-z'’-]+(?:[ ,;:()]+[A-Za-z][A-Za-z'’-]+){2,}")


class _Text(HTMLParser):
    """The text a reader sees: everything outside <script>, <style> and <head>."""

    def __init__(self):
        super().__init__()
        self.skip, self.parts = 0, []

    def handle_starttag(self, tag, attrs):
        self.skip += tag in ("script", "style", "head")

    def handle_endtag(self, tag):
        self.skip -= tag in ("script", "style", "head")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def visible_text(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return "\n".join(p.strip() for p in parser.parts if p.strip())


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    root = tmp_path_factory.mktemp("member")
    (root / "presales.toml").write_text(CONFIG, encoding="utf-8")
    con = pa.connect(root / "m.duckdb")
    pa.load(con, [write_csv(root / "商机.csv", PROJECTS), write_csv(root / "阶段.csv", EVENTS)])
    con.close()
    return root


def render(root: Path, *flags: str) -> tuple[Path, str]:
    """陈静's review for 2026-Q3 through ``presales report`` with ``flags``: the path it prints, the page."""
    exe = shutil.which("presales", path=str(Path(sys.executable).parent))
    env = {k: v for k, v in os.environ.items() if k not in ("PRESALES_DB", "PRESALES_CONFIG")}
    r = subprocess.run([exe, "report", "member-review", "--scope", "manager:陈静", "--period", "2026-Q3", *flags,
                        "--db", "m.duckdb"], cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    path = Path(r.stdout.strip().splitlines()[-1])
    return path, (root / path).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def rendered(made):
    """One rendering through ``presales report``: Chinese, redacted."""
    path, page = render(made, "--redact")
    assert path == Path("reports/2026-Q3/member-review-manager-陈静-redacted.html")
    return page


@pytest.fixture(scope="module")
def rendered_en(made):
    """The same review in English (not redacted)."""
    path, page = render(made, "--lang", "en")
    assert path == Path("reports/2026-Q3/member-review-manager-陈静-en.html")
    return page


def part(page: str, key: str, following: str) -> str:
    """The page from section ``key``'s heading to the next section's."""
    return page.split(f'id="sec-{key}"')[1].split(f'id="sec-{following}"')[0]


def table_rows(html_part: str) -> list[list[str]]:
    """The cells' text of the first table's body rows in ``html_part``."""
    body = html_part.split("<tbody>")[1].split("</tbody>")[0]
    return [[h.unescape(c) for c in re.findall(r"<td[^>]*>([^<]*)</td>", row)] for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body)]


def wilson(won: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """The Wilson 95% interval, written out here (not the library's)."""
    p, q = won / n, z * z / n
    centre, half = (p + q / 2) / (1 + q), z * ((p * (1 - p) + q / 4) / n) ** 0.5 / (1 + q)
    return centre - half, centre + half


def test_outcomes_interval_won_amount_and_stalled_by_hand(rendered, made):
    page = rendered
    assert "<h1>项目成员评价报告 · 项目经理 陈静 · 2026年第3季度</h1>" in page
    assert "2026年7月1日至2026年9月30日 · 项目经理 陈静 · 数据截至" in page
    assert ("本期结束 3 个项目：赢单 2、丢单 1、放弃 0；期末进行中 1 个。赢单率 66.7%（2/3），95% 置信区间 "
            "20.8%–93.9%（分母：本期结束的项目，赢单 + 丢单 + 放弃）；赢单金额 150.0万元。") in page
    # stalled: M4, 121 days in 方案设计, limit 90, 31 over, no meeting -- in the table and in the findings
    assert ("<td>M4</td><td>项目-001</td><td>方案设计</td><td class=\"num\">121</td><td class=\"num\">90</td>"
            "<td class=\"num\">31</td><td>否</td>") in page
    findings = page.split('id="sec-findings"')[1].split('id="sec-outcomes"')[0]
    assert "1 个停滞项目停滞后未召开项目分析会：M4 项目-001（超期 31 天）。" in findings
    assert "低于其他项目经理中位数" not in findings                      # 66.7% against 刘洋's 50%
    # the sections in order: the conclusion first, the project list last (before definitions, provenance)
    order = [page.index(f'id="sec-{k}"') for k in ("findings", "outcomes", "peers", "win-loss", "stalled",
                                                   "compliance", "projects", "definitions", "provenance")]
    assert order == sorted(order)
    # the compliance figures are the members scorecard's (one home), over M1-M4
    from presales_analytics.metrics import compute
    con = pa.connect(made / "m.duckdb", read_only=True)
    config = pa.load_config(made / "presales.toml")
    row = compute(con, "members", "2026-Q3", role="manager", config=config).set_index("member").loc["陈静"]
    con.close()
    assert (row["won"], row["closed"], row["stalled"]) == (2, 3, 1)
    from presales_analytics.presentation.format import fmt_pct
    # by hand: M1, M2 won (never initiated: no weekly reports owed): archive ✗ grade ✓ summary ✗ evaluation ✗
    # = 1/4 each; M3 lost 09-10, its close reports not yet due (30 days): archive ✗ grade ✓ = 1/2; M4 open
    # and stalled: archive ✗ grade ✓ meeting ✗ = 1/3. Together 4/13 = 30.8%.
    assert fmt_pct(row["compliance_rate"]) == "30.8%"
    assert "制度执行率 30.8%（通过 4/13 项检查，4 个项目）；4 个项目有缺项。" in page


def test_redacted_chinese_report_has_no_customer_name_and_no_english_sentence(rendered):
    assert [t for row in PROJECTS[1:] for t in row[1:3] if t in rendered] == []       # every project and customer
    assert "客户-001" in rendered and "项目-001" in rendered
    text = visible_text(rendered)
    assert "问题与建议" in text and "参与的项目" in text and "指标定义" in text
    runs = [m.group(0) for m in ENGLISH_RUN.finditer(text)]
    assert runs == [], runs


def test_unredacted_project_list_names_customers_and_the_scope_must_be_a_member(made, monkeypatch):
    from presales_analytics.reports import member as mr
    from presales_analytics.reports.context import setup
    from presales_analytics.reports.kinds import resolve_request

    monkeypatch.chdir(made)
    ctx = setup(str(made / "m.duckdb"), "2026-Q3", "zh", "company", False, "")
    r = mr.review(ctx, "项目经理:陈静")
    listed = mr.projects_table(ctx, r).data
    assert all(c in h.unescape(listed) for c in CUSTOMERS) and "湖州路内停车" not in listed   # M5 closed in Q2
    assert r.projects["project_id"].tolist() == ["M1", "M2", "M3", "M4"]
    # the monitor's review over the same rows: 周强 M1 M2 won (M5 Q2, M6 won) -> 3/3
    monitor = mr.review(ctx, "monitor:周强")
    assert (monitor.row["won"], monitor.row["closed"]) == (3, 3)
    ctx.con.close()
    with pytest.raises(InputError, match="manager:<name>, monitor:<name> or planner:<name>"):
        resolve_request("member-review", made / "m.duckdb", period="2026-Q3", scope="director:张伟", lang="zh",
                        redact=False, as_of=None)
    with pytest.raises(InputError, match="no project has manager '赵六'; known: 刘洋, 孙丽, 王芳, 赵磊, 陈静"):
        resolve_request("member-review", made / "m.duckdb", period="2026-Q3", scope="manager:赵六", lang="zh",
                        redact=False, as_of=None)
    with pytest.raises(MissingColumnError, match=r"--scope planner:<name> needs the column 'planner'.*'规划经理'"):
        resolve_request("member-review", made / "m.duckdb", period="2026-Q3", scope="规划经理:赵磊", lang="zh",
                        redact=False, as_of=None)                # no export here has a 规划经理 column
    with pytest.raises(InputError, match="kind one of region, department, director, manager, monitor, planner"):
        mr.member_of("经理人:陈静")


def test_peers_section_medians_chart_and_table_by_hand(rendered, rendered_en):
    """同事比较, shaped like the director review's: 陈静 against the medians of the other four managers (the
    win rate's over the three who closed a project), the chart of everyone's win rate, the scorecard rows,
    small samples flagged and nobody ranked."""
    from presales_analytics.presentation import palette
    from presales_analytics.presentation.format import fmt_amount, fmt_pct

    # the others' figures from the docstring's rows; 赵磊 closed nothing, so he has no win rate to take
    win_rates = {"刘洋": 1 / 2, "王芳": 3 / 4, "孙丽": 0 / 1}
    won_wan = {"刘洋": 40, "王芳": 100 + 60 + 20, "赵磊": 0, "孙丽": 0}
    compliance = {"刘洋": 2 / 6, "王芳": 4 / 14, "赵磊": 1 / 2, "孙丽": 1 / 4}
    assert statistics.median(win_rates.values()) == 1 / 2                        # 0, 1/2, 3/4
    assert statistics.median(won_wan.values()) == 20                             # (0 + 40) / 2
    assert statistics.median(compliance.values()) == pytest.approx((4 / 14 + 2 / 6) / 2)   # 1/4 4/14 | 2/6 1/2
    assert (fmt_pct(1 / 2), fmt_amount(20 * 10_000), fmt_pct((4 / 14 + 2 / 6) / 2)) == ("50.0%", "20.0万元", "31.0%")

    peers = part(rendered, "peers", "win-loss")
    assert '<a href="#sec-peers">同事比较</a>' in rendered and "同事比较</h2>" in peers
    assert "成员不排名（审计得分与目标只属于项目总监）" in peers
    assert ("本人：赢单率 66.7%（2/3），赢单金额 150.0万元，制度执行率 30.8%；其他 4 名项目经理的中位数：赢单率 50.0%"
            "（仅计有已结束项目的 3 名），赢单金额 20.0万元，制度执行率 31.0%。") in peers
    assert "small-sample" not in peers                          # 陈静 closed 3, the threshold is 2
    # the table: everyone by name in pinyin order (chen, liu, sun, wang, zhao), nobody ranked; the two with
    # fewer than 2 closed projects flagged
    low, high = wilson(3, 4)
    assert (fmt_pct(low), fmt_pct(high)) == ("30.1%", "95.4%")
    assert fmt_pct(wilson(0, 1)[1]) == "79.3%" and fmt_pct(wilson(1, 2)[0]) == "9.5%"
    assert table_rows(peers) == [
        ["陈静", "4", "3", "2", "66.7%", "20.8%", "93.9%", "150.0万元", "1", "30.8%", "否"],
        ["刘洋", "2", "2", "1", "50.0%", "9.5%", "90.5%", "40.0万元", "0", "33.3%", "否"],
        ["孙丽", "1", "1", "0", "0.0%", "0.0%", "79.3%", "0.0万元", "0", "25.0%", "是"],
        ["王芳", "4", "4", "3", "75.0%", "30.1%", "95.4%", "180.0万元", "0", "28.6%", "否"],
        ["赵磊", "1", "0", "0", "—", "—", "—", "0.0万元", "0", "50.0%", "是"]]
    assert re.search(r'<th[^>]*data-column="small_sample"[^>]*>小样本</th>', peers)
    # the chart, in the section: the win rate per manager with won/closed, small samples pale and marked
    assert peers.count('class="plotly-graph-div"') == 1 and rendered.count('class="plotly-graph-div"') == 1
    (chart,) = figures(rendered)
    (bars,) = chart["data"]
    assert bars["x"] == ["陈静", "刘洋", "孙丽", "王芳", "赵磊"]                      # the table's order
    assert bars["y"] == [pytest.approx(2 / 3), pytest.approx(1 / 2), 0.0, pytest.approx(3 / 4), None]
    assert bars["customdata"] == [[2, 3, ""], [1, 2, ""], [0, 1, "小样本"], [3, 4, ""], [0, 0, "小样本"]]
    pale = [c == bars["marker"]["color"][2] for c in bars["marker"]["color"]]
    assert pale == [False, False, True, False, True]
    # 陈静, under review, is the orange bar and the bold name; the others blue (or pale: small samples)
    assert bars["marker"]["color"] == [palette.ORANGE, palette.BLUE, palette.PALE, palette.BLUE, palette.PALE]
    assert chart["layout"]["xaxis"]["ticktext"] == ["<b>陈静</b>", "刘洋", "孙丽", "王芳", "赵磊"]
    # and hers is the one marked row of the table
    assert len(re.findall(r"<tr class=.subject.>", peers)) == 1 and re.search(r"<tr class=.subject.><td>陈静</td>", peers)
    assert "图表中本人以橙色标出，表格中本人一行加粗。" in peers
    assert chart["layout"]["title"]["text"] == "赢单率"
    # English
    en = part(rendered_en, "peers", "win-loss")
    assert "Against peers</h2>" in en and "Members are not ranked" in en
    assert ("Their figures: win rate 66.7% (2/3), won amount ¥1,500,000, policy compliance 30.8%; median of the other 4 "
            "project managers: win rate 50.0% (only the 3 with closed projects), won amount ¥200,000, policy "
            "compliance 31.0%.") in en
    assert re.search(r'<th[^>]*data-column="member"[^>]*>Member</th>', en) and "<td>yes</td>" in en
    (chart,) = figures(rendered_en)
    assert chart["data"][0]["customdata"][2] == [0, 1, "small sample"] and chart["layout"]["title"]["text"] == "Win rate"


def test_a_small_sample_member_is_flagged_and_not_compared(made, monkeypatch):
    """孙丽 closed one project (fewer than 2): her 0.0% is flagged, not set against the others' median
    (陈静 2/3, 刘洋 1/2, 王芳 3/4: 66.7%) in the findings."""
    from presales_analytics.reports import member as mr
    from presales_analytics.reports.context import setup

    monkeypatch.chdir(made)
    ctx = setup(str(made / "m.duckdb"), "2026-Q3", "zh", "company", False, "")
    r = mr.review(ctx, "manager:孙丽")
    assert statistics.median([2 / 3, 1 / 2, 3 / 4]) == 2 / 3
    assert statistics.median([150, 40, 180, 0]) == 95                                   # 万元: (40 + 150) / 2
    assert statistics.median([4 / 13, 2 / 6, 4 / 14, 1 / 2]) == pytest.approx((4 / 13 + 2 / 6) / 2)  # 32.1%
    standing = mr.standing(ctx, r).data
    assert ("本人：赢单率 0.0%（0/1），赢单金额 0.0万元，制度执行率 25.0%；其他 4 名项目经理的中位数：赢单率 66.7%"
            "（仅计有已结束项目的 3 名），赢单金额 95.0万元，制度执行率 32.1%。") in standing
    assert "小样本：本期结束 1 个项目，少于 2 个，赢单率的不确定性大，不宜与同事比较。" in standing
    found = mr.findings(ctx, r)
    zh = [z for z, _ in found]
    assert zh[0] == "本期仅结束 1 个项目（少于 2 个）：赢单率 0.0%（0/1） 不宜与同事比较，宜结合下一期复核。"
    assert found[0][1] == ("Only 1 project closed in the period (fewer than 2): the win rate 0.0% (0/1) is not "
                           "compared with peers; review it again next period.")
    assert not any("低于其他项目经理中位数" in z for z in zh)
    ctx.con.close()


def test_the_audit_assesses_every_key_member_as_the_review_does(made, rendered):
    """关键成员考核 in the audit report (issue 12: every new figure in the audit): the managers' table is the
    member review's 同事比较 table, row for row and cell for cell (worked out by hand in the peers test);
    the monitors' rows by hand: 周强 has M1, M2, M6 in Q3 (M5 closed in May), all won: 3/3, 190万元, each
    owing archive, grade, summary and evaluation of which only the grade passes: 3/12; 吴敏 has M3, M4, M7,
    M9–M14 but M8 (created in October): 9 projects, 7 closed, 3 won (M9–M11: 180万元), M4 stalled, checks
    1/2 (M3, M7, M12: reports not yet due; M13 open) ×4, 1/3 (M4: archive, grade, meeting), 1/4 (M9–M11,
    M14) ×4: 9/27."""
    from presales_analytics.presentation.format import fmt_pct

    exe = shutil.which("presales", path=str(Path(sys.executable).parent))
    env = {k: v for k, v in os.environ.items() if k not in ("PRESALES_DB", "PRESALES_CONFIG")}
    r = subprocess.run([exe, "report", "audit", "--period", "2026-Q3", "--db", "m.duckdb", "--out", "audit-members/"],
                       cwd=made, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    page = (made / r.stdout.strip().splitlines()[-1]).read_text(encoding="utf-8")
    assert '<a href="#sec-members">关键成员考核</a>' in page
    members = page.split('id="sec-members"')[1].split('id="sec-')[0]
    managers, monitors = members.split("<table")[1:3]
    assert "项目经理：5 名，其中 2 名本期结束项目少于小样本阈值。" in members and "项目监控人：2 名。" in members
    assert table_rows("<table" + managers) == table_rows(part(rendered, "peers", "win-loss"))
    (lo_w, hi_w), (lo_z, hi_z) = wilson(3, 7), wilson(3, 3)
    assert table_rows("<table" + monitors) == [
        ["吴敏", "9", "7", "3", fmt_pct(3 / 7), fmt_pct(lo_w), fmt_pct(hi_w), "180.0万元", "1", fmt_pct(9 / 27), "否"],
        ["周强", "3", "3", "3", "100.0%", fmt_pct(lo_z), "100.0%", "190.0万元", "0", "25.0%", "否"]]
    assert (fmt_pct(3 / 7), fmt_pct(9 / 27)) == ("42.9%", "33.3%")
    assert '<th data-column="compliance_rate" data-metric="members">制度执行率</th>' in members
    # the workbook's 项目成员考核 sheet holds the same figures (amounts in 万元, rates as fractions)
    r = subprocess.run([exe, "export", "xlsx", "--period", "2026-Q3", "--db", "m.duckdb", "--out", "book-members/"],
                       cwd=made, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    import pandas as pd

    sheet = pd.read_excel(made / "book-members" / "workbook.xlsx", sheet_name="项目成员考核", engine="calamine")
    book = {(row["角色"], row["成员"]): row for row in sheet.to_dict("records")}
    assert set(book) == {("项目经理", n) for n in ("陈静", "刘洋", "孙丽", "王芳", "赵磊")} | \
        {("项目监控人", "吴敏"), ("项目监控人", "周强")}
    chen, wu = book[("项目经理", "陈静")], book[("项目监控人", "吴敏")]
    assert (chen["项目数（本期活跃）"], chen["已结束（分母）"], chen["赢单"]) == (4, 3, 2)
    assert chen["赢单率"] == pytest.approx(2 / 3) and chen["赢单金额（万元）"] == pytest.approx(150)
    assert chen["制度执行率"] == pytest.approx(4 / 13) and chen["停滞项目"] == 1
    assert (wu["项目数（本期活跃）"], wu["已结束（分母）"], wu["赢单"], wu["停滞项目"]) == (9, 7, 3, 1)
    assert wu["赢单率"] == pytest.approx(3 / 7) and wu["制度执行率"] == pytest.approx(9 / 27)
    from statistics import NormalDist

    exact = wilson(3, 7, z=NormalDist().inv_cdf(0.975))          # the helper's z is rounded to 6 decimals
    assert wu["赢单金额（万元）"] == pytest.approx(180) and wu["区间下限"] == pytest.approx(exact[0], abs=1e-12)


def test_the_dashboard_lists_the_key_members_of_the_scope_chosen(made, browser):
    """关键成员考核 on the dashboard, read from the page in chromium: for the company, the same rows as the
    audit's (the managers' cells of the peers test); after choosing 项目总监 张伟, each member's scorecard
    over 张伟's Q3 projects only (M1, M3, M7, M9, M11, M13; M5 closed in May), by hand:
    陈静 M1 won 100万 + M3 lost: 1/2, checks 1/4 + 1/2 = 2/6; 刘洋 M7 lost: 0/1 (small), 1/2; 王芳 M9, M11
    won 100 + 20万: 2/2, 1/4 + 1/4 = 2/8; 赵磊 M13 open: nothing closed (small), 1/2; monitors: 周强 M1:
    1/1 (small), 100万, 1/4; 吴敏 M3, M7, M9, M11, M13: 2/4, 120万, 1/2 + 1/2 + 1/4 + 1/4 + 1/2 = 5/14."""
    from browser import open_offline

    exe = shutil.which("presales", path=str(Path(sys.executable).parent))
    env = {k: v for k, v in os.environ.items() if k not in ("PRESALES_DB", "PRESALES_CONFIG")}
    r = subprocess.run([exe, "dashboard", "--period", "2026-Q3", "--db", "m.duckdb", "--out", "dash-members/"],
                       cwd=made, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    o = open_offline(browser, made / "dash-members" / "dashboard.html", viewport=(1440, 1000))
    page = o.page
    page.wait_for_selector("body[data-ready='1']")

    def rows() -> list[list[str]]:
        return page.eval_on_selector_all("#t-members tbody tr",
                                         "trs => trs.map(r => [...r.children].map(td => td.textContent))")
    heads = page.eval_on_selector_all("#t-members thead th", "ths => ths.map(t => t.textContent)")
    assert heads == ["角色", "成员", "项目数（本期活跃）", "赢单率", "赢单金额", "停滞项目", "制度执行率", "小样本"]
    # by role, then most projects in the scope first, ties by name in pinyin (chen, liu, sun, wang, zhao)
    company = rows()
    assert [r[:3] for r in company] == [["项目经理", "陈静", "4"], ["项目经理", "王芳", "4"], ["项目经理", "刘洋", "2"],
                                        ["项目经理", "孙丽", "1"], ["项目经理", "赵磊", "1"],
                                        ["项目监控人", "吴敏", "9"], ["项目监控人", "周强", "3"]]
    assert company[0] == ["项目经理", "陈静", "4", "66.7% (2/3)", "150.0万元", "1", "30.8%", "否"]
    assert company[6] == ["项目监控人", "周强", "3", "100.0% (3/3)", "190.0万元", "0", "25.0%", "否"]
    assert page.inner_text("#n-members") == "共 7 条（点击表头排序）"
    page.select_option("#f-director", label="张伟")
    page.wait_for_timeout(300)
    assert rows() == [
        ["项目经理", "陈静", "2", "50.0% (1/2)", "100.0万元", "0", "33.3%", "否"],
        ["项目经理", "王芳", "2", "100.0% (2/2)", "120.0万元", "0", "25.0%", "否"],
        ["项目经理", "刘洋", "1", "0.0% (0/1)", "0.0万元", "0", "50.0%", "是"],
        ["项目经理", "赵磊", "1", "—", "0.0万元", "0", "50.0%", "是"],
        ["项目监控人", "吴敏", "5", "50.0% (2/4)", "120.0万元", "0", "35.7%", "否"],
        ["项目监控人", "周强", "1", "100.0% (1/1)", "100.0万元", "0", "25.0%", "是"]]
    assert not o.problems, o.problems
