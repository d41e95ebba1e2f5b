"""One figure, one name, one format: wherever a report, the dashboard or the workbook shows a metric's
column, its label (and unit) and its number format are the ones the metric's spec gives.

- the audit report: every header marked ``data-metric`` / ``data-column`` reads the spec column's
  header, and every cell under it is printed as the column's kind prints; the summary table's rows
  are spec columns too;
- the workbook: every column of a metric's sheet is a column of that metric's spec (header and number
  format), apart from the few display columns listed here;
- the dashboard: the tiles' titles, the definitions and the leaderboard's and stalled list's headers.
"""

from __future__ import annotations

import html as h
import re

import openpyxl
import pytest

from presales_analytics.dashboard.page import SPEC_COLUMNS, TILES
from presales_analytics.exporting.workbook import FORMATS, PP_FORMATS, UNIT
from presales_analytics.metrics import SPECS
from presales_analytics.metrics import columns as C
from presales_analytics.presentation.labels import header
from presales_analytics.reports.audit import KPI_COLUMNS


#: what a cell of each kind looks like (zh); "—" is a missing value of any kind
#: how each kind prints in a table (amounts in 万元 by size: one decimal under 1,000万, none from there up)
SHAPES = {"count": r"-?[\d,]+", "amount": r"-?(\d{1,3}\.\d|1,000\.0|\d{1,3}(,\d{3})+)万元", "rate": r"-?[\d,]+\.\d%",
          "pp": r"[+-]?[\d,]+\.\d个百分点", "days": r"-?[\d,]+( 天)?", "score": r"-?\d+\.\d", "bool": r"是|否",
          "number": r"-?[\d,]+\.\d\d", "date": r"\d{4}年\d{1,2}月\d{1,2}日"}
#: workbook columns that are not a metric column: (sheet, header)
DISPLAY = {("赢单率", "层级"), ("赢单率", "名称"), ("目标达成", "层级"), ("目标达成", "名称"), ("趋势", "季度"),
           ("趋势", "季度名称")}
#: the sheet -> the metric it shows
SHEETS = {"关键指标": "headline", "赢单率": "win-rate", "阶段停留": "stage-durations", "漏斗": "funnel",
          "停滞项目": "stalled", "项目总监考核": "directors", "渠道贡献": "channels", "目标达成": "targets",
          "商机储备": "pipeline", "商机覆盖": "pipeline-summary", "制度执行": "compliance", "趋势": "win-rate"}


def test_every_metric_table_of_the_audit_report_uses_its_specs_labels_and_formats(outputs):
    html = outputs["audit"]["company"]
    tables = re.findall(r"<table class=[\"']presales[\"']>(.*?)</table>", html, re.S)
    checked = 0
    for table in tables:
        heads = re.findall(r"<th([^>]*)>([^<]*)</th>", table)
        marks = [dict(re.findall(r"""data-(metric|column)=["']([^"']+)["']""", attrs)) for attrs, _ in heads]
        if not any(marks):
            continue
        rows = [[h.unescape(c) for c in re.findall(r"<td[^>]*>([^<]*)</td>", r)]
                for r in re.findall(r"<tr[^>]*>(.*?)</tr>", table.split("</thead>")[1], re.S)]
        for i, (mark, (_, text)) in enumerate(zip(marks, heads)):
            if not mark:
                continue
            column = SPECS[mark["metric"]].column(mark["column"])
            assert h.unescape(text) == header(column, "zh"), (mark, text)
            if column.kind in SHAPES:
                bad = [r[i] for r in rows if not re.fullmatch(SHAPES[column.kind] + "|—", r[i])]
                assert bad == [], (mark, bad)
            checked += 1
    assert checked >= 30          # win rate, scorecard, stalled, targets, channels, compliance tables
    # the summary table: one row per headline figure, labelled as its spec column
    for field, column in KPI_COLUMNS.items():
        m = re.search(rf"""<tr data-column=["']{field}["']><td>([^<]*)</td>""", html)
        assert m and h.unescape(m.group(1)) == column.zh, field


def test_every_column_of_the_workbook_is_its_metrics_spec_column(outputs):
    wb: openpyxl.Workbook = outputs["xlsx"]["company"]
    seen = 0
    for sheet, metric in SHEETS.items():
        ws = wb[sheet]
        spec = SPECS[metric]
        by_header = {c.zh + (UNIT["zh"] if c.kind == "amount" else ""): c for c in spec.columns}
        rows = list(ws.iter_rows())
        for j, cell in enumerate(rows[0]):
            if cell.value is None or (sheet, cell.value) in DISPLAY:
                continue
            assert cell.value in by_header, (sheet, cell.value, sorted(by_header))
            column = by_header[cell.value]
            want = {"count": FORMATS["int"], "rate": FORMATS["pct"], "pp": PP_FORMATS["zh"]}.get(
                column.kind, FORMATS.get(column.kind))
            formats = {r[j].number_format for r in rows[1:] if isinstance(r[j].value, int | float)
                       and not isinstance(r[j].value, bool)}
            assert formats <= {want}, (sheet, cell.value, formats, want)
            seen += 1
    assert seen >= 80


def test_the_dashboard_shows_the_specs_labels(outputs, browser):
    from browser import open_offline

    o = open_offline(browser, outputs["dashboard"])
    page = o.page
    page.wait_for_selector("body[data-ready='1']")
    for tile, column in TILES.items():
        assert page.inner_text(f"#kpi-{tile} h2") == column.zh, tile
    heads = page.eval_on_selector_all("#t-leaderboard thead th", "ths => ths.map(t => t.textContent)")
    for key in ("rank", "director", "score", "score_low", "win_rate", "won_amount", "attainment", "compliance",
                "stalled"):
        label = SPEC_COLUMNS[key].zh
        assert any(t == label or t.startswith(label + " ") for t in heads), (key, label, heads)
    heads = page.eval_on_selector_all("#t-stalled thead th", "ths => ths.map(t => t.textContent)")
    for key in ("project_id", "name", "stage", "days_in_stage", "limit_days", "days_over", "meeting"):
        label = SPEC_COLUMNS[key].zh
        assert any(t == label or t.startswith(label + " ") for t in heads), (key, label, heads)
    # the leaderboard's scores print as the spec's score kind: 0-100, one decimal
    rows = page.eval_on_selector_all("#t-leaderboard tbody tr",
                                     "trs => trs.map(r => [...r.children].map(td => td.textContent))")
    col = next(i for i, t in enumerate(page.eval_on_selector_all(
        "#t-leaderboard thead th", "ths => ths.map(t => t.textContent)")) if t.startswith(C.SCORE.zh))
    assert rows and all(re.fullmatch(SHAPES["score"] + "|—", r[col]) for r in rows)
    assert o.problems == []


@pytest.mark.parametrize("name", list(SPECS))
def test_every_spec_is_complete(name):
    spec = SPECS[name]
    assert spec.zh and spec.en and spec.definition_zh and spec.definition_en and spec.denominator_zh
    keys = [c.key for c in spec.columns]
    assert len(keys) == len(set(keys)), name
    for c in spec.columns:
        assert c.zh and c.en, (name, c.key)
        shared = C.SHARED.get(c.key)
        # a key shared with another metric means the same figure: same kind (labels may say more)
        # (compliance's per-project "stalled" is a yes/no of one project: its output contract predates the specs)
        if shared is not None and c.key not in ("projects", "stage", "name", "scope") and \
                (name, c.key) != ("compliance", "stalled"):
            assert c.kind == shared.kind, (name, c.key)


def _tables_by_column(html_text: str) -> dict[str, tuple[list[str], list[list[tuple[str, str]]]]]:
    """metric column -> (the headers' columns, rows of (class, text) cells), for every marked table."""
    found = {}
    for table in re.findall(r"<table class=[\"']presales[\"']>(.*?)</table>", html_text, re.S):
        heads = re.findall(r"<th([^>]*)>[^<]*</th>", table)
        cols = [dict(re.findall(r"""data-(metric|column)=["']([^"']+)["']""", a)).get("column", "") for a in heads]
        rows = [[(cls, h.unescape(text)) for cls, text in re.findall(r"<td(?: class=['\"]([^'\"]*)['\"])?>([^<]*)</td>", r)]
                for r in re.findall(r"<tr[^>]*>(.*?)</tr>", table.split("</thead>")[1], re.S)]
        for c in cols:
            found.setdefault(c, (cols, rows))
    return found


def _pct(text: str) -> float:
    return float(text.rstrip("%")) if text != "—" else float("-inf")


def test_tables_are_ordered_by_their_figure_and_mark_what_fails_the_policy(outputs):
    """Issue 11 (one look): the targets and win-rate tables list the largest figure first, the compliance
    table the lowest first (the gaps); a cell below its policy floor (attainment < 100%, a compliance rate
    < 80%) carries class ``fails`` and no other does (ties in pinyin order: tests/test_presentation.py)."""
    tables = _tables_by_column(outputs["audit"]["company"])
    for column, descending in (("attainment", True), ("win_rate", True), ("compliance_rate", False)):
        cols, rows = tables[column]
        values = [_pct(r[cols.index(column)][1]) for r in rows]
        assert values == sorted(values, reverse=descending), (column, values)
    marked = 0
    for column, floor in (("attainment", 100.0), ("compliance_rate", 80.0), ("archive_rate", 80.0),
                          ("weekly_coverage", 80.0)):
        cols, rows = tables[column]
        for r in rows:
            cls, text = r[cols.index(column)]
            assert ("fails" in cls.split()) == (text != "—" and _pct(text) < floor), (column, text, cls)
            marked += "fails" in cls.split()
    assert marked >= 2                    # the fixture has figures on both sides of the floors
    cols, rows = tables["won"]            # a column never judged: no cell marked
    assert not any("fails" in cls for r in rows for cls, _ in r if cls)
