"""One number, one home: every headline figure (won amount, win rate, target attainment, stalled count,
compliance rate, median cycle days, a director's audit score) is the same number, printed the same way,
in the audit report, on the dashboard (read from the page in chromium after choosing the filter) and in
the workbook, for the company, a region and a director.

The fixture is tests/test_dashboard.py's hand-typed one (period 2026-Q3); the figures below were worked
out by hand from its rows and are asserted too, so the three outputs cannot agree on a wrong number.
"""

from __future__ import annotations

import html as h
import re

import pytest

from presales_analytics.exporting.workbook import FORMATS, UNIT, WAN
from presales_analytics.metrics import SPECS
from presales_analytics.presentation.format import fmt_amount, fmt_value


PERIOD = "2026-Q3"
SCOPES = ["company", "region:华东", "director:张伟"]
#: the headline figures compared, by their spec column key (metric ``headline``), and the dashboard tile
TILES = {"won_amount": "won_amount", "win_rate": "win_rate", "attainment": "attainment", "stalled": "stalled",
         "compliance_rate": "compliance", "median_cycle_days": "cycle"}

#: worked by hand from tests/test_dashboard.py's rows (closed in Q3: P1 won 100 186 d, P2 won 50 172 d,
#: P3 lost 221 d [华东], P4 won 40 172 d, P5 abandoned 92 d [华北]; targets Q3: company 400, 华东 200, 张伟 150)
HAND = {
    "company": {"won_amount": 190 * WAN, "win_rate": 3 / 5, "attainment": 190 / 400,
                "median_cycle_days": 172.0},                         # 92 172 172 186 221
    "region:华东": {"won_amount": 150 * WAN, "win_rate": 2 / 3, "attainment": 150 / 200,
                   "median_cycle_days": 186.0},                      # 172 186 221
    "director:张伟": {"won_amount": 150 * WAN, "win_rate": 2 / 2, "attainment": 150 / 150,
                    "median_cycle_days": 179.0},                     # (172 + 186) / 2
}


def audit_kpi(html: str, field: str) -> str:
    """The current period's cell of the audit summary table's row for ``field``."""
    m = re.search(rf"""<tr data-column=["']{field}["']><td>[^<]*</td><td class=["']num["']>([^<]*)</td>""", html)
    assert m, field
    return h.unescape(m.group(1))


def audit_score(html: str, director: str) -> str:
    """张伟's 审计考核得分 in the audit report's scorecard table."""
    start = re.search(r"""<th[^>]*data-metric=["']directors["']""", html).start()
    table = html[start:html.index("</table>", start)]
    heads = [re.search(r"""data-column=["']([a-z_]+)["']""", th).group(1)
             for th in re.findall(r"<th[^>]*>", table.split("</thead>")[0])]
    row = next(r for r in re.findall(r"<tr[^>]*>(.*?)</tr>", table) if f"<td>{director}</td>" in r)
    cells = [h.unescape(c) for c in re.findall(r"<td[^>]*>([^<]*)</td>", row)]
    return cells[heads.index("score")]


def sheet_row(wb, sheet: str, match: dict | None = None) -> dict:
    """``{header: cell}`` of the first row of ``sheet`` (or the first whose headers hold ``match``'s values)."""
    ws = wb[sheet]
    rows = list(ws.iter_rows())
    heads = [c.value for c in rows[0]]
    for r in rows[1:]:
        cells = dict(zip(heads, r))
        if not match or all(cells[k].value == v for k, v in match.items()):
            return cells
    raise AssertionError(f"no row {match} on {sheet}")


def xlsx_text(cell, kind: str) -> str:
    """What the cell shows, through the same formatter (the cell holds 万元 for amounts, points for the
    score), after checking the cell's number format is the kind's."""
    if kind == "amount":
        assert cell.number_format == FORMATS["amount"]
        return fmt_amount(cell.value * WAN)
    want = {"rate": FORMATS["pct"], "count": FORMATS["int"], "days": FORMATS["days"], "score": FORMATS["score"]}[kind]
    assert cell.number_format == want, (cell.coordinate, cell.number_format, kind)
    return fmt_value(cell.value / 100 if kind == "score" else cell.value, kind)


def test_the_hand_worked_figures_are_the_librarys(outputs):
    lib = outputs["library"]
    for s, figures in HAND.items():
        for key, value in figures.items():
            assert lib.loc[s, key] == pytest.approx(value), (s, key)
    assert (lib.loc["company", "won"], lib.loc["company", "closed"]) == (3, 5)


@pytest.mark.parametrize("scope", SCOPES)
def test_the_audit_report_and_the_workbook_print_the_librarys_headline_figures(outputs, scope):
    lib, html, wb = outputs["library"].loc[scope], outputs["audit"][scope], outputs["xlsx"][scope]
    row = sheet_row(wb, "关键指标")
    spec = SPECS["headline"]
    for key in TILES:
        column = spec.column(key)
        label = column.zh + (UNIT["zh"] if column.kind == "amount" else "")
        want = fmt_amount(lib[key]) if column.kind == "amount" else fmt_value(lib[key], column.kind)
        shown = fmt_amount(lib[key]) if column.kind == "amount" else fmt_value(lib[key], column.kind, unit=True)
        assert audit_kpi(html, key) == shown, (scope, key)              # as the dashboard's tile: with its unit
        assert xlsx_text(row[label], column.kind) == want, (scope, key)  # the unit is in the header there
    # the director's audit score: the report's scorecard and the workbook's, on its 0-100 scale
    want = fmt_value(outputs["score"][scope], "score")
    assert audit_score(html, "张伟") == want
    score = sheet_row(wb, "项目总监考核", {"项目总监": "张伟"})["审计考核得分"]
    assert xlsx_text(score, "score") == want


def test_the_dashboard_shows_the_same_figures_after_choosing_each_filter(outputs, browser):
    from browser import open_offline

    o = open_offline(browser, outputs["dashboard"])
    page = o.page
    page.wait_for_selector("body[data-ready='1']")
    lib = outputs["library"]
    seen = {}
    for s in SCOPES:
        page.select_option("#f-region", value="-1")
        page.select_option("#f-director", value="-1")
        if s != "company":
            kind, value = s.split(":")
            page.select_option(f"#f-{kind}", label=value)
        for key, tile in TILES.items():
            text = page.inner_text(f"#kpi-{tile} .value")
            column = SPECS["headline"].column(key)
            want = (fmt_amount(lib.loc[s, key]) if column.kind == "amount"
                    else fmt_value(lib.loc[s, key], column.kind, unit=True))
            assert text == want, (s, key, text, want)
            seen[(s, key)] = text
        # the leaderboard's score column for 张伟
        heads = page.eval_on_selector_all("#t-leaderboard thead th", "ths => ths.map(t => t.textContent)")
        col = next(i for i, t in enumerate(heads) if t.startswith(SPECS["directors"].column("score").zh))
        rows = page.eval_on_selector_all("#t-leaderboard tbody tr",
                                         "trs => trs.map(r => [...r.children].map(td => td.textContent))")
        mine = next(r for r in rows if "张伟" in r)
        assert mine[col] == fmt_value(outputs["score"][s], "score"), s
    assert o.problems == []
    # the three scopes differ (the filter was applied)
    assert len({seen[(s, "won_amount")] for s in SCOPES}) == 2 and seen[("company", "won_amount")] == "190.0万元"
