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
won 150.0万元; 1 stalled project. The other manager 刘洋: M6 won, M7 lost -> 1/2 = 50%, below 陈静's: no
win-rate finding. Each project's 项目总监 is 张伟 or 李娜, so the director's and the manager's columns differ.
"""

from __future__ import annotations

import html as h
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

import presales_analytics as pa
from presales_analytics.errors import InputError, MissingColumnError

from conftest import write_csv
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
]
EVENTS = [["项目编号", "阶段", "进入日期"], ["M4", "线索", "2026-05-01"], ["M4", "方案设计", "2026-06-01"]]
CUSTOMERS = [r[2] for r in PROJECTS[1:5]]
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


@pytest.fixture(scope="module")
def rendered(made):
    """One rendering through ``presales report``: Chinese, redacted."""
    exe = shutil.which("presales", path=str(Path(sys.executable).parent))
    env = {k: v for k, v in os.environ.items() if k not in ("PRESALES_DB", "PRESALES_CONFIG")}
    r = subprocess.run([exe, "report", "member-review", "--scope", "manager:陈静", "--period", "2026-Q3", "--redact",
                        "--db", "m.duckdb"], cwd=made, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    path = Path(r.stdout.strip().splitlines()[-1])
    assert path == Path("reports/2026-Q3/member-review-manager-陈静-redacted.html")
    return (made / path).read_text(encoding="utf-8")


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
    order = [page.index(f'id="sec-{k}"') for k in ("findings", "outcomes", "stalled", "compliance", "projects",
                                                   "definitions", "provenance")]
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
    assert [t for t in CUSTOMERS + NAMES if t in rendered] == []
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
    with pytest.raises(InputError, match="no project has manager '赵六'; known: 刘洋, 陈静"):
        resolve_request("member-review", made / "m.duckdb", period="2026-Q3", scope="manager:赵六", lang="zh",
                        redact=False, as_of=None)
    with pytest.raises(MissingColumnError, match=r"--scope planner:<name> needs the column 'planner'.*'规划经理'"):
        resolve_request("member-review", made / "m.duckdb", period="2026-Q3", scope="规划经理:赵磊", lang="zh",
                        redact=False, as_of=None)                # no export here has a 规划经理 column
    with pytest.raises(InputError, match="kind one of region, department, director, manager, monitor, planner"):
        mr.member_of("经理人:陈静")
