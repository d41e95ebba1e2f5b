"""The director review notebook (项目总监评价报告), executed by papermill and rendered by nbconvert.

The fixture (period 2026-Q3; ``presales.toml`` in the working directory sets ``small_sample = 2`` and a
90-day stall limit for every working stage, so no verdict hangs on a percentile). P12 is created on
2026-10-05, so the latest data date is after the quarter and the state date is 2026-09-30.

张伟 (reviewed):
- P1 杭州智慧停车, won 2026-07-15 (created 03-01), 100万, office key; history 线索 03-01 → 立项 04-01 →
  谈判 06-01 → 赢单 07-15 (reached negotiation: 14 working documents + 4 of won = 18, all on file);
  weekly reports 07-01, 07-08, 07-15: in Q3 the weeks of 06-29, 07-06, 07-13 are due, 3/3; summary
  07-30 (on time); no evaluation. Checks: archive ✓ grade ✓ weekly ✓ summary ✓ evaluation ✗ = 4/5.
- P2 ``<script>alert(1)</script>``, lost 2026-08-20 (created 04-01), 300万; 线索 04-01 → 投标 06-15 →
  丢单 08-20: never initiated, so no weekly report is owed; 12 + 1 (项目总结) = 13 documents due, none on
  file; summary and evaluation due (08-20 + 30 = 09-19 ≤ 09-30), neither given. Checks 1/4 (grade).
- P3 嘉兴停车诱导, open in 方案设计 since 06-01: 121 days at 09-30 > 90, stalled since 08-30 with no
  analysis meeting (31 days over); 2500万 declared office key, the amount implies 系统部级 (mismatch);
  11 documents due, 1 on file (调研报告); initiated 05-15, weeks 06-29 … 09-28 = 14 due, none reported.
  Checks 0/4 (archive, grade, weekly, meeting).
- P4 湖州路内停车, won 2026-05-10: closed before Q3, not in the review.
So 张伟 in Q3: 3 projects; closed 2 (won 1, lost 1, abandoned 0), open 1; win rate 1/2 = 50.0%, Wilson 95%
[9.5%, 90.5%] → "9.5%–90.5%"; won 100.0万元; target 200万 → attainment 50.0%; compliance 5/13 = 38.5%;
archive incomplete 2 of 3 (13 + 10 = 23 documents missing); weekly short 1 (0/14 weeks); summary late
1 of 2; evaluation late 2 of 2; grade mismatch P3.

Peers (closed in Q3): 李娜 P5 won, P6 won, P7 lost → 2/3; ``<img src=x onerror=alert(1)>`` P8 won, P9 lost
→ 1/2; 王芳 P10 won, P11 won → 2/2. Median of the others' win rates: 67% (2/3) > 50%: a finding.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import presales_analytics as pa
from presales_analytics.reports.render import RenderError, render_notebook

from conftest import write_csv

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
EVIL_DIRECTOR = "<img src=x onerror=alert(1)>"
EVIL_PROJECT = "<script>alert(1)</script>"
CONFIG = """[metrics]
small_sample = 2

[stall_days]
lead = 90
qualified = 90
initiated = 90
solution = 90
bidding = 90
negotiation = 90
"""

PROJECTS = [
    ["项目编号", "项目名称", "客户名称", "项目总监", "区域", "项目等级", "金额", "回款金额", "项目阶段", "状态",
     "创建日期", "结束日期"],
    ["P1", "杭州智慧停车", "杭州市城市管理局", "张伟", "华东", "办事处重点", "1000000", "800000", "谈判", "赢单",
     "2026-03-01", "2026-07-15"],
    ["P2", EVIL_PROJECT, "宁波市交通局", "张伟", "华东", "办事处重点", "3000000", "", "投标", "丢单",
     "2026-04-01", "2026-08-20"],
    ["P3", "嘉兴停车诱导", "嘉兴市交通局", "张伟", "华东", "办事处重点", "25000000", "", "方案设计", "进行中",
     "2026-05-01", ""],
    ["P4", "湖州路内停车", "湖州市城管局", "张伟", "华东", "办事处重点", "2000000", "2000000", "谈判", "赢单",
     "2026-02-01", "2026-05-10"],
    ["P5", "温州静态交通", "温州市公安局", "李娜", "华东", "办事处重点", "500000", "", "谈判", "赢单",
     "2026-01-01", "2026-08-01"],
    ["P6", "金华智慧停车", "金华市交通局", "李娜", "华东", "渠道项目", "800000", "", "谈判", "赢单",
     "2026-02-01", "2026-09-01"],
    ["P7", "丽水停车场", "丽水市城管局", "李娜", "华东", "渠道项目", "600000", "", "投标", "丢单",
     "2026-03-01", "2026-09-15"],
    ["P8", "台州停车诱导", "台州市交通局", EVIL_DIRECTOR, "华北", "渠道项目", "700000", "", "谈判", "赢单",
     "2026-03-01", "2026-07-20"],
    ["P9", "舟山停车", "舟山市城管局", EVIL_DIRECTOR, "华北", "渠道项目", "900000", "", "投标", "丢单",
     "2026-04-01", "2026-08-10"],
    ["P10", "衢州停车", "衢州市交通局", "王芳", "华北", "渠道项目", "400000", "", "谈判", "赢单",
     "2026-02-01", "2026-07-10"],
    ["P11", "绍兴停车", "绍兴市城管局", "王芳", "华北", "渠道项目", "450000", "", "谈判", "赢单",
     "2026-02-15", "2026-08-25"],
    ["P12", "湖州停车二期", "湖州市交通局", "王芳", "华北", "渠道项目", "300000", "", "线索", "进行中",
     "2026-10-05", ""],
]
EVENTS = [["项目编号", "阶段", "进入日期"],
          ["P1", "线索", "2026-03-01"], ["P1", "立项", "2026-04-01"], ["P1", "谈判", "2026-06-01"],
          ["P1", "赢单", "2026-07-15"],
          ["P2", "线索", "2026-04-01"], ["P2", "投标", "2026-06-15"], ["P2", "丢单", "2026-08-20"],
          ["P3", "线索", "2026-05-01"], ["P3", "立项", "2026-05-15"], ["P3", "方案设计", "2026-06-01"]]
ACTIVITIES = [["项目编号", "活动类型", "日期"],
              ["P1", "项目周报", "2026-07-01"], ["P1", "项目周报", "2026-07-08"], ["P1", "项目周报", "2026-07-15"],
              ["P1", "总结报告", "2026-07-30"]]
ALL_DOCS = ["调研报告", "分析报告", "客户拜访纪要", "项目可行性分析", "立项报告", "项目策划", "项目计划",
            "解决方案", "建设方案", "风险控制", "相关信息", "投标书", "洽谈纪要", "来往邮件",
            "合同", "实施计划", "运营维护", "项目总结"]
DOCUMENTS = [["项目编号", "文档类型", "归档日期"], *[["P1", doc, "2026-07-20"] for doc in ALL_DOCS],
             ["P3", "调研报告", "2026-05-05"]]
TARGETS = [["目标范围", "期间", "目标金额（万元）"], ["总监:张伟", "2026-Q3", "200"]]


def make_db(root: Path) -> Path:
    """The fixture database and its presales.toml in ``root``."""
    (root / "presales.toml").write_text(CONFIG, encoding="utf-8")
    db = root / "f.duckdb"
    con = pa.connect(db)
    pa.load(con, [write_csv(root / "商机.csv", PROJECTS), write_csv(root / "阶段.csv", EVENTS),
                  write_csv(root / "活动.csv", ACTIVITIES), write_csv(root / "档案.csv", DOCUMENTS),
                  write_csv(root / "目标.csv", TARGETS)])
    con.close()
    return db


def render(root: Path, notebook: str, out: str, **parameters) -> str:
    params = {"database": str(root / "f.duckdb"), **parameters}
    r = render_notebook(NOTEBOOKS / notebook, root / out, parameters=params, cwd=root)
    return r.html.read_text(encoding="utf-8")


def assert_offline_and_codeless(html: str, charts: int) -> None:
    from plotly.offline import get_plotlyjs

    assert html.count('class="plotly-graph-div"') == charts
    assert html.count(get_plotlyjs()[-200:]) == 1
    assert not re.search(r"<script[^>]+src=[\"']?https?:", html)
    assert not re.search(r"<link[^>]+href=[\"']?https?:", html)
    assert "ctx = setup(" not in html and "display(" not in html          # no code cells


def names_absent(html: str, texts) -> list[str]:
    """The texts found in ``html``, as written or as plotly's JSON writes them (\\uXXXX escapes)."""
    found = []
    for t in texts:
        escaped = json.dumps(t)[1:-1].replace("<", "\\u003c").replace(">", "\\u003e").replace("/", "\\u002f")
        if t in html or json.dumps(t)[1:-1] in html or escaped in html:
            found.append(t)
    return found


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    root = tmp_path_factory.mktemp("director")
    make_db(root)
    common = {"scope": "director:张伟", "period": "2026-Q3"}
    return {"zh": render(root, "director_review.ipynb", "zh.html", **common),
            "en": render(root, "director_review.ipynb", "en.html", lang="en", **common),
            "redacted": render(root, "director_review.ipynb", "r.html", redact=True, **common),
            "root": root}


def test_outcomes_with_the_denominator_and_interval(rendered):
    html = rendered["zh"]
    assert "项目总监评价报告 · 张伟 · 2026年第三季度" in html or "项目总监评价报告 · 张伟 · 2026年第3季度" in html
    assert ("本期结束 2 个项目：赢单 1、丢单 1、放弃 0；期末进行中 1 个。赢单率 50.0%（1/2），95% 置信区间 9.5%–90.5%"
            in html)
    assert "赢单金额 100.0万元" in html
    assert "业绩目标 200.0万元，赢单 100.0万元，目标达成 50.0%（赢单金额 ÷ 目标）" in html
    en = rendered["en"]
    assert "Closed in the period: 2 (won 1, lost 1, abandoned 0); open at the period" in en
    assert "Win rate 50.0% (1/2), 95% interval 9.5%–90.5%" in en and "won amount ¥1,000,000" in en


def test_projects_in_the_period_only(rendered):
    html = rendered["zh"]
    # P1-P3 are active in Q3; P4 closed in May
    for name in ("杭州智慧停车", "嘉兴停车诱导", "宁波市交通局"):
        assert name in html
    assert "湖州路内停车" not in html
    # P3's row: grade, stage, status, amount
    assert "<td>P3</td><td>嘉兴停车诱导</td><td>嘉兴市交通局</td><td>办事处重点</td><td>方案设计</td><td>进行中</td>" \
           "<td class=\"num\">2,500万元</td>" in html


def test_standing_against_peers(rendered):
    html = rendered["zh"]
    # the other directors' win rates 2/3, 1/2, 2/2: median 2/3
    assert "其他 3 名总监的中位数" in html and "赢单率 66.7%。" in html
    # scores on their 0-100 scale, one decimal, as the spec's "score" kind prints (no percent sign)
    assert re.search(r"排名 [1-4]/4（按保守得分排序）；本人：审计考核得分 \d+\.\d，保守得分 \d+\.\d，赢单率 50.0%（1/2）；"
                     r"其他 3 名总监的中位数：审计考核得分 \d+\.\d，保守得分 \d+\.\d，赢单率 66.7%。", html)
    assert "小样本" not in html.split("同事比较")[1].split("制度执行缺项")[0]   # 2 closed, threshold 2
    # 张伟, under review, is the orange bar with his name in bold, and the one marked row of the table
    from presales_analytics.presentation import palette
    from plotly_figures import figures

    (chart,) = figures(html)
    (bars,) = chart["data"]
    colours = dict(zip(bars["x"], bars["marker"]["color"]))
    assert colours.pop("张伟") == palette.ORANGE and set(colours.values()) == {palette.BLUE}
    ticks = dict(zip(bars["x"], chart["layout"]["xaxis"]["ticktext"]))
    assert ticks["张伟"] == "<b>张伟</b>" and ticks[EVIL_DIRECTOR] == "&lt;img src=x onerror=alert(1)&gt;"
    peers = html.split('id="sec-peers"')[1].split('id="sec-')[0]
    assert len(re.findall(r"<tr class=.subject.>", peers)) == 1
    assert re.search(r"<tr class=.subject.><td class=.num.>[1-4]</td><td>张伟</td>", peers)
    # small samples flagged in the table as in the chart (every director here closed 2 or more: none)
    assert re.search(r'<th[^>]*data-column="small_sample"[^>]*>小样本</th>', peers)
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", peers.split("<tbody>")[1].split("</tbody>")[0], re.S)
    assert len(rows) == 4 and all(row.endswith("<td>否</td>") for row in rows)


def test_compliance_gaps_stalled_and_findings(rendered):
    html = rendered["zh"]
    assert "制度执行率 38.5%（通过 5/13 项检查，3 个项目）；3 个项目有缺项。" in html
    assert "档案缺 10/11 份" in html and "周报 0/14 周" in html and "停滞后未开项目分析会" in html
    assert "等级不符：申报 办事处重点，金额对应 系统部级" in html
    # stalled: P3, 121 days in stage, limit 90, 31 over, no meeting
    assert ("<td>P3</td><td>嘉兴停车诱导</td><td>方案设计</td><td class=\"num\">121</td><td class=\"num\">90</td>"
            "<td class=\"num\">31</td><td>否</td>") in html
    # the findings come first now (after the contents): from their heading to the next section's
    findings = html.split('id="sec-findings"')[1].split('id="sec-outcomes"')[0]
    for sentence in ("赢单率 50.0%（1/2） 低于其他总监中位数 66.7%",
                     "目标达成 50.0%（赢单 100.0万元 ÷ 目标 200.0万元），未完成目标。",
                     "1 个停滞项目停滞后未召开项目分析会：P3 嘉兴停车诱导（超期 31 天）。",
                     "制度执行率 38.5%（5/13 项检查通过），低于 80%。",
                     "2/3 个项目档案不全，共缺 23 份文档。",
                     "1 个项目周报覆盖不足（共 0/14 周有周报）。",
                     "1/2 个已结束项目未按时提交总结报告。", "2/2 个已结束项目未按时提交评价报告。",
                     "1 个项目申报等级低于金额对应的等级：P3。"):
        assert sentence in findings, sentence
    en = rendered["en"].split('id="sec-findings"')[1].split('id="sec-outcomes"')[0]
    assert "Win rate 50.0% (1/2) is below the other directors" in en and "median 66.7%: ask" in en
    assert "Compliance 38.5% (5 of 13 checks passed), below 80%." in en
    # English counts agree: one project, several projects
    for sentence in ("2 of 3 projects have an incomplete archive, 23 documents missing.",
                     "1 project lacks weekly reports (0 of 14 weeks reported).",
                     "1 of 2 closed projects has no summary report on time.",
                     "2 of 2 closed projects have no evaluation report on time.",
                     "1 project is declared below the grade their amount implies: P3."):
        assert sentence in en, sentence


def test_chart_offline_no_code_and_escaped(rendered):
    for lang in ("zh", "en", "redacted"):
        html = rendered[lang]
        assert_offline_and_codeless(html, charts=1)
        assert EVIL_DIRECTOR not in html and EVIL_PROJECT not in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html                   # the peer table
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered["zh"]           # P2 in the projects table
    # the parameters as resolved, in the provenance (the database by its file name, no local path)
    assert "Provenance" in rendered["en"] and "商机.csv" in rendered["en"] and "scope = director:张伟" in rendered["en"]


def test_redact_leaves_no_customer_or_project_name(rendered):
    html = rendered["redacted"]
    assert names_absent(html, [r[1] for r in PROJECTS[1:]] + [r[2] for r in PROJECTS[1:]]) == []
    assert "项目-001" in html and "客户-001" in html
    # pseudonyms number in order of first appearance: P3 is the first project the findings (now first) name
    assert "P3 项目-001（超期 31 天）" in html


def test_scope_must_name_a_director(rendered):
    root = rendered["root"]
    with pytest.raises(RenderError, match="director:<name>"):
        render(root, "director_review.ipynb", "bad.html", scope="region:华东", period="2026-Q3")
    with pytest.raises(RenderError, match="no project has director '赵六'"):
        render(root, "director_review.ipynb", "bad.html", scope="director:赵六", period="2026-Q3")


def test_small_sample_flag_and_escaped_heading(tmp_path, monkeypatch):
    """With the built-in small_sample (10), 张伟's 2 closed projects are flagged and his win rate is not
    set against the peers' median; a director named like an HTML tag is shown as text."""
    from presales_analytics.reports import director as dr
    from presales_analytics.reports.context import setup

    make_db(tmp_path)
    (tmp_path / "presales.toml").unlink()                 # the built-in configuration
    monkeypatch.chdir(tmp_path)
    ctx = setup(str(tmp_path / "f.duckdb"), "2026-Q3", "zh", "company", False, "")
    r = dr.review(ctx, "director:张伟")
    assert "小样本：本期结束 2 个项目，少于 10 个，赢单率和得分的不确定性大。" in dr.standing(ctx, r).data
    zh = [z for z, _ in dr.findings(ctx, r)]
    assert zh[0] == "本期仅结束 2 个项目（少于 10 个）：赢单率 50.0%（1/2） 不宜与同事比较，宜结合下一期复核。"
    assert not any("低于其他总监中位数" in z for z in zh)
    evil = dr.review(ctx, f"director:{EVIL_DIRECTOR}")
    assert ("<h1>项目总监评价报告 · &lt;img src=x onerror=alert(1)&gt; · "
            f"{ctx.period.label('zh')}</h1>") in dr.heading(ctx, evil).data
    assert EVIL_DIRECTOR not in dr.heading(ctx, evil).data
    assert evil.row["won"] == 1 and evil.row["closed"] == 2
    ctx.con.close()
