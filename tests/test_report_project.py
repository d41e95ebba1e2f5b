"""The project summary notebook (项目总结), on the director review's fixture (tests/test_report_director.py).

P1 杭州智慧停车 (张伟, 办事处重点, 100万, 回款 80万): created 2026-03-01, won 2026-07-15 → cycle
30 + 30 + 31 + 30 + 15 = 136 days. History 线索 03-01 → 立项 04-01 (no 立项日期 column: the initiation date
shown) → 谈判 06-01 → 赢单 07-15: visits
线索 31 days, 立项 61 days, 谈判 44 days (three bars). Reached 谈判 and won: 14 + 4 = 18 documents due,
all 18 on file. The state date is the latest data date, 2026-10-05 (P12 created): weekly reports are
owed from the week of initiation (Mon 03-30) to the week of the close (Mon 07-13) = 105 / 7 + 1 = 16
weeks, 3 reported → 18.8%（3/16: 18.75, ties away from zero）; summary 07-30 on time; evaluation due 08-14, none → not on time.
Collected 80万 ÷ 100万 = 80%.

Similar projects: the *other* 办事处重点 projects closed in 2026 — P2 (lost, 141 days, 300万), P4 (won,
98 days, 200万), P5 (won, 212 days, 50万): win rate 2/3 = 66.7%, Wilson [20.8%, 93.9%]; median
cycle 141 days, median amount 200万; P1's 136 days: 2 longer (141, 212), 1 shorter (98); its 100万:
2 larger, 1 smaller.
"""

from __future__ import annotations

import json

import pytest

import presales_analytics as pa
from presales_analytics.reports.render import RenderError

from conftest import write_csv
from test_report_director import EVIL_PROJECT, PROJECTS, assert_offline_and_codeless, make_db, names_absent, render


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    root = tmp_path_factory.mktemp("project")
    make_db(root)
    return {"zh": render(root, "project_summary.ipynb", "zh.html", scope="project:P1"),
            "en": render(root, "project_summary.ipynb", "en.html", scope="project:P1", lang="en"),
            "redacted": render(root, "project_summary.ipynb", "r.html", scope="project:P1", redact=True),
            "evil": render(root, "project_summary.ipynb", "evil.html", scope="project:P2"),
            "root": root}


def test_header_facts_and_cycle_days(rendered):
    html = rendered["zh"]
    assert "项目总结 · P1 杭州智慧停车" in html
    for item, value in (("客户", "杭州市城市管理局"), ("项目总监", "张伟"), ("区域", "华东"), ("项目等级", "办事处重点"),
                        ("金额", "100.0万元"), ("状态", "赢单"), ("创建日期", "2026-03-01"), ("立项日期", "2026-04-01"),
                        ("结束日期", "2026-07-15"), ("周期（天）", "136")):
        assert f"<td>{item}</td><td>{value}</td>" in html, item
    assert "<td>Cycle (days)</td><td>136</td>" in rendered["en"]


def test_stage_timeline_chart(rendered):
    html = rendered["zh"]
    assert_offline_and_codeless(html, charts=1)
    for text in ("阶段时间线 · 杭州智慧停车", "31 天", "61 天", "44 天"):
        assert json.dumps(text)[1:-1] in html, text
    assert '"base":["2026-03-01","2026-04-01","2026-06-01"]' in html
    assert json.dumps("44 days")[1:-1] in rendered["en"]


def test_documents_meetings_collection_and_similar(rendered):
    html = rendered["zh"]
    assert "应归档 18 份，已归档 18 份。" in html
    assert "<td>合同</td><td>赢单</td><td>2026-07-20</td>" in html
    assert "周报覆盖 18.8%（3/16 周）；总结报告按时提交；评价报告未按时提交。" in html
    assert "<td>项目周报</td><td class=\"num\">3</td><td>2026-07-01</td><td>2026-07-15</td>" in html
    assert "金额 100.0万元，已回款 80.0万元，回款率 80.0%（已回款 ÷ 金额）。" in html
    assert ("同类项目：2026年结束的其他办事处重点项目 3 个。赢单率 66.7%（2/3），95% 置信区间 20.8%–93.9%；中位周期 141 天，"
            "中位金额 200.0万元。本项目周期 136 天：2 个同类项目更长，1 个更短。金额 100.0万元：2 个更大，1 个更小。") in html
    en = rendered["en"]
    assert "Win rate 66.7% (2/3), 95% interval 20.8%–93.9%; median cycle 141 days" in en
    assert "This project took 136 days: 2 took longer, 1 shorter." in en


def test_open_and_lost_projects_say_what_they_cannot_show(rendered):
    html = rendered["evil"]                               # P2: lost, 13 documents due, none on file
    assert "应归档 13 份，已归档 0 份；缺：" in html
    assert "该项目没有回款金额记录。" in html
    assert "未立项，不需周报" in html


def test_text_from_exports_is_escaped_everywhere(rendered):
    html = rendered["evil"]
    assert EVIL_PROJECT not in html
    assert "项目总结 · P2 &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "\\u003cscript\\u003ealert(1)\\u003c\\u002fscript\\u003e" in html      # the chart title, as JSON
    assert_offline_and_codeless(html, charts=1)


def test_redact_leaves_no_customer_or_project_name(rendered):
    html = rendered["redacted"]
    assert names_absent(html, [r[1] for r in PROJECTS[1:]] + [r[2] for r in PROJECTS[1:]]) == []
    assert "<td>项目名称</td><td>项目-001</td>" in html and "<td>客户</td><td>客户-001</td>" in html
    assert json.dumps("阶段时间线 · 项目-001")[1:-1] in html
    assert_offline_and_codeless(html, charts=1)


def test_scope_must_name_a_known_project(rendered):
    root = rendered["root"]
    with pytest.raises(RenderError, match="project:<project id>"):
        render(root, "project_summary.ipynb", "bad.html", scope="director:张伟")
    with pytest.raises(RenderError, match="no project 'P99'"):
        render(root, "project_summary.ipynb", "bad.html", scope="project:P99")


def test_no_collection_column_is_said_plainly(tmp_path, monkeypatch):
    from presales_analytics.reports import project as pj
    from presales_analytics.reports.context import setup

    monkeypatch.chdir(tmp_path)
    con = pa.connect(tmp_path / "n.duckdb")
    pa.load(con, [write_csv(tmp_path / "p.csv", [["项目编号", "项目名称", "金额", "状态", "创建日期", "结束日期"],
                                                 ["Q1", "衢州停车", "1000000", "赢单", "2026-01-05", "2026-03-05"]])])
    con.close()
    ctx = setup(str(tmp_path / "n.duckdb"), "2026-Q1", "zh", "company", False, "")
    s = pj.summary(ctx, "project:Q1")
    assert "载入的项目导出中没有回款金额列，本报告无法说明回款情况。" in pj.collection_section(ctx, s).data
    assert pj.cycle_days(s) == 59                         # 2026-01-05 → 03-05: 26 + 28 + 5
    ctx.con.close()


def test_gantt_draws_in_headless_chromium_offline(rendered, browser):
    from browser import open_offline

    root = rendered["root"]
    o = open_offline(browser, root / "zh.html")
    o.page.wait_for_function("document.querySelectorAll('.plotly-graph-div .main-svg').length > 0")
    drawn = o.page.evaluate("""() => [...document.querySelectorAll('.plotly-graph-div')].map(
        d => d.querySelectorAll('svg.main-svg .bars .point path').length)""")
    assert drawn == [3]
    assert o.problems == []
    o.page.context.close()
