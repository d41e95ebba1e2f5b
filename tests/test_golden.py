"""The golden file: every cell of the demo's workbook export, for 3 periods x 4 scopes, is what it was
before the metric-layer refactor (issue 9, item 7; recorded by tests/golden/make_golden.py).

Cells are matched by what they mean, not only by where they are: on a table sheet by (row number,
column header), on 说明 by (the label in column A of the row, column letter). So a column moved or a
sheet reordered is no difference, while a header relabelled is one, unless RENAMES states it.

Numbers: equal within 1e-9 relative, beyond the golden's rounding to 9 significant digits (half a unit
of the 9th digit); a golden 0 allows 1e-12. Strings and dates: equal.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from golden.make_golden import DIGITS, GOLDEN, record_demo

ABOUT = "说明"       # the workbook's first sheet: a list of labelled rows, not a table with a header row

#: Deliberate label changes, the one place a refactor states them (how and why: tests/golden/RENAMES.md).
#: key: a golden label, "<sheet>" (a sheet) or "<sheet>/<label>" (a column header on that sheet; on
#: 说明 the label in column A of a row); value: (new label, reason), or for a split ([new label that
#: holds the golden numbers, further new labels …], reason). Sheet names in keys are the golden's.
_ONE_NAME = "one figure, one name: the metric spec's label, the same in the workbook, the reports and the dashboard (issue 9, item 1)"
_CYCLE = ("two cycle times are wanted and now named apart (issue 9, item 1): this one is every closed project "
          "(won, lost, abandoned), the audit's 赢单周期中位天数 is won projects only")
_SCORE = "the audit score is shown on a 0-100 scale everywhere (it read 65.6% in one output and 0.66 in another)"
RENAMES: dict[str, tuple[str | list[str], str]] = {
    "漏斗/到达项目数": ("到达项目数（本期新建）", "the funnel counts the period's created cohort, and now says so"),
    "项目总监考核/项目数": ("项目数（本期活跃）", "says which projects: active in the period (created by its end, "
                                                 "not closed before its start)"),
    "项目总监考核/成交周期中位天数": ("结束周期中位天数", _CYCLE),
    "渠道贡献/成交周期中位天数": ("结束周期中位天数", _CYCLE),
    "项目总监考核/得分": ("审计考核得分", _SCORE),
    "项目总监考核/得分（保守）": ("保守得分", _SCORE),
    "目标达成/达成率": ("目标达成率", _ONE_NAME),
    "商机覆盖/已赢单金额（万元）": ("赢单金额（万元）", _ONE_NAME),
    "制度执行/执行率": ("制度执行率", _ONE_NAME),
    "渠道贡献/较直销（同等级）": (["较直销（同等级）", "差值区间下限", "差值区间上限", "比较依据项目数", "可比"],
                              "the comparison with direct sales now comes with its interval, the projects it rests "
                              "on and whether any grade is shared (issue 12, item 7)"),
}

#: Sheets added on purpose: name -> reason (not compared; their row on 说明 neither). Their numbers are
#: checked against the other sheets' in tests/test_headline.py.
ADDED: dict[str, str] = {"关键指标": "the headline figures, from the one headline metric the audit report and the "
                                    "dashboard read too (issue 9: one number, one home)",
                         **{name: "why we win and lose: a new metric's sheet (issue 12); its numbers are checked "
                                  "against the metric in tests/test_export_xlsx.py"
                            for name in ("投标", "竞争对手", "竞争对手趋势", "丢单分析", "新老客户", "回款与满意度", "项目成员考核")},
                         "期间状态": "a row on 说明, not a sheet: whether the period has ended or is still in progress "
                                 "on the data date (issue 10, every period accepted)"}

#: Deliberate changes of *scale* (sheet, today's header) -> factor: today's number = factor × golden.
SCALED: dict[tuple[str, str], float] = {("项目总监考核", "审计考核得分"): 100.0, ("项目总监考核", "保守得分"): 100.0,
                                        ("渠道贡献", "较直销（同等级）"): 100.0}

#: Deliberate changes of *numbers*: (scope of the workbook, sheet, column header) -> reason. Each entry
#: must match at least one difference (a fix that changes nothing is not a fix), and the test below it
#: shows the new numbers are the right ones.
_OWN_TARGET = ("fix: in a director's own scope the director's target used to be taken for the scope's "
               "'company' target and vanish from the director's row, so the director scored differently "
               "in their own workbook than in the company's; the metric context keeps it (issue 9)")
_MH = ("fix: 较直销（同等级） weighted each grade by the partner's projects alone, so a partner with 2 office-grade "
       "projects and 12 channel-grade ones (a grade direct never closed) printed its 2 projects against direct's "
       "28/80 as if certain (-35.0 for four partners); it is now the Mantel-Haenszel difference over the grades "
       "both sides closed projects in, with interval and basis (issue 12, item 7; tests/test_metrics_channels.py "
       "checks it against an independent computation); the denominator text on 说明 names the method")
FIXES: dict[tuple[str, str, str], str] = {
    ("director:张伟", "项目总监考核", header): _OWN_TARGET
    for header in ("审计考核得分", "保守得分", "目标金额（万元）", "目标达成率")} | {
    ("director:张伟", "目标达成", header): _OWN_TARGET
    for header in ("目标覆盖全期", "目标金额（万元）", "目标达成率", "预计达成率")} | {
    (scope, sheet, header): _MH
    for scope in ("company", "region:华东", "department:政府系统部", "director:张伟")
    for sheet, header in (("渠道贡献", "较直销（同等级）"), ("说明", "渠道贡献 / D"))}

SHOWN = 40          # differences printed on failure


@dataclass(frozen=True)
class Difference:
    workbook: str
    sheet: str
    cell: str       # the golden's reference, or today's for a cell the golden does not have
    header: str     # the column's header (on 说明: the row's label and the column letter)
    golden: object
    now: object

    def __str__(self) -> str:
        show = lambda v: "(empty)" if v is None else json.dumps(v, ensure_ascii=False)  # noqa: E731
        return (f"{self.workbook} · {self.sheet} · {self.cell} [{self.header}]: "
                f"golden {show(self.golden)}, now {show(self.now)}")


def _split_ref(ref: str) -> tuple[str, int]:
    m = re.fullmatch(r"([A-Z]+)(\d+)", ref)
    return m.group(1), int(m.group(2))


def _keyed(sheet: str, cells: dict[str, object]) -> dict[tuple, tuple[str, object]]:
    """(row key, column key) -> (cell reference, value) for one sheet (see the module docstring)."""
    out = {}
    if sheet == ABOUT:
        labels = {row: v for ref, v in cells.items() for col, row in [_split_ref(ref)] if col == "A"}
        for ref, v in cells.items():
            col, row = _split_ref(ref)
            out[(labels.get(row, f"row {row}"), col)] = (ref, v)
        return out
    headers = {col: v for ref, v in cells.items() for col, row in [_split_ref(ref)] if row == 1}
    for ref, v in cells.items():
        col, row = _split_ref(ref)
        out[(row, headers.get(col, col))] = (ref, v)
    return out


def _same(g, n) -> bool:
    number = lambda v: isinstance(v, int | float) and not isinstance(v, bool)  # noqa: E731
    if number(g) and number(n):
        if g == 0:
            return abs(n) <= 1e-12
        rounding = 0.5 * 10 ** (math.floor(math.log10(abs(g))) - (DIGITS - 1))
        return abs(g - n) <= 1e-9 * abs(g) + rounding
    return type(g) is type(n) and g == n


def _check(renamed: dict, golden: dict) -> None:
    """Every entry has a reason and names a sheet or label the golden holds."""
    sheets = {s for book in golden.values() for s in book}
    for old, entry in renamed.items():
        if not (isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[1], str) and entry[1].strip()):
            raise ValueError(f"RENAMES[{old!r}] must be (new label, reason) with a reason, got {entry!r}")
        sheet, _, label = old.partition("/")
        if sheet not in sheets:
            raise ValueError(f"RENAMES[{old!r}]: the golden file has no sheet {sheet!r}")
        if label and not any((label, "A") in _keyed(sheet, book[sheet]) if sheet == ABOUT
                             else any(k[0] == 1 and k[1] == label for k in _keyed(sheet, book[sheet]))
                             for book in golden.values() if sheet in book):
            raise ValueError(f"RENAMES[{old!r}]: no sheet {sheet!r} of the golden file has the label {label!r}")


def compare(golden: dict, now: dict, renamed: dict[str, tuple[str | list[str], str]] | None = None,
            scaled: dict[tuple[str, str], float] | None = None, added: dict[str, str] | None = None) -> list[Difference]:
    """Every difference between two recordings (workbook -> sheet -> cell reference -> value).

    ``renamed``: deliberate label changes (the form of :data:`RENAMES`). A renamed sheet is compared
    with the sheet of its new name (and its row on 说明 goes by the new name); a renamed column with the
    column of the new header; a split's golden numbers with its first new column, while its further new
    columns are new and not compared. A cell either side has and the other has not is a difference.
    """
    renamed, scaled, added = renamed or {}, scaled or {}, added or {}
    _check(renamed, golden)
    sheet_to = {old: new for old, (new, _) in renamed.items() if "/" not in old}
    label_to, extra = {}, set()
    for old, (new, _) in renamed.items():
        if "/" in old:
            sheet, label = old.split("/", 1)
            first, *more = [new] if isinstance(new, str) else new
            label_to[(sheet_to.get(sheet, sheet), label)] = first
            extra.update((sheet_to.get(sheet, sheet), m) for m in more)

    def relabel(sheet: str, label):
        """A golden label as it is today: a column header, or on 说明 a row's label (or a sheet's name)."""
        if not isinstance(label, str):
            return label
        return label_to.get((sheet, label), sheet_to.get(label, label) if sheet == ABOUT else label)

    diffs: list[Difference] = []
    for book in list(golden) + [k for k in now if k not in golden]:
        g_book, n_book = golden.get(book), now.get(book)
        if g_book is None or n_book is None:
            diffs.append(Difference(book, "*", "*", "the workbook", "present" if g_book else None,
                                    "present" if n_book else None))
            continue
        g_sheets = {sheet_to.get(s, s): cells for s, cells in g_book.items()}
        for sheet in list(g_sheets) + [s for s in n_book if s not in g_sheets and s not in added]:
            if sheet not in g_sheets or sheet not in n_book:
                diffs.append(Difference(book, sheet, "*", "the sheet", "present" if sheet in g_sheets else None,
                                        "present" if sheet in n_book else None))
                continue
            g = {}
            for (row, col), (ref, v) in _keyed(sheet, g_sheets[sheet]).items():
                label_cell = col == "A" if sheet == ABOUT else row == 1
                g[(relabel(sheet, row), col if sheet == ABOUT else relabel(sheet, col))] = (
                    ref, relabel(sheet, v) if label_cell else v)
            n = _keyed(sheet, n_book[sheet])
            for key in list(g) + [k for k in n if k not in g and not (sheet == ABOUT and k[0] in added)]:
                (g_ref, g_v), (n_ref, n_v) = g.get(key, (None, None)), n.get(key, (None, None))
                if key not in g and (sheet, key[1]) in extra:
                    continue                                    # a split's new column
                factor = scaled.get((sheet, key[1]))
                if factor is not None and isinstance(g_v, int | float) and not isinstance(g_v, bool) and key[0] != 1:
                    g_v = g_v * factor
                if key in g and key in n and _same(g_v, n_v):
                    continue
                head = f"{key[0]} / {key[1]}" if sheet == ABOUT else str(key[1])
                diffs.append(Difference(book, sheet, g_ref or n_ref, head, g_v, n_v))
    return diffs


def report(diffs: list[Difference], shown: int = SHOWN) -> str:
    lines = [f"{len(diffs)} cell(s) differ from tests/golden/workbook.json"
             + (f"; the first {shown}:" if len(diffs) > shown else ":")]
    lines += [f"  {d}" for d in diffs[:shown]]
    lines.append("A deliberate label change goes in RENAMES (tests/golden/RENAMES.md); a number must not change.")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# The golden file against today's code

@pytest.fixture(scope="module")
def golden() -> dict:
    return json.loads(Path(GOLDEN).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def now(tmp_path_factory) -> tuple[dict, dict]:
    """The demo database, built once, and its 12 workbooks recorded as the golden file was (numbers
    not rounded: the comparison allows for the golden's rounding)."""
    return record_demo(tmp_path_factory.mktemp("golden"), digits=None)


def test_the_scopes_chosen_from_the_data_are_still_the_recorded_ones(golden, now):
    assert now[0] == golden["header"]["scopes"] == {
        "company": "company", "region": "region:华东", "department": "department:政府系统部",
        "director": "director:张伟"}
    assert list(now[1]) == list(golden["workbooks"])


def test_every_recorded_cell_of_the_twelve_workbooks_is_unchanged(golden, now):
    assert sum(len(c) for book in golden["workbooks"].values() for c in book.values()) == 23145
    diffs = compare(golden["workbooks"], now[1], renamed=RENAMES, scaled=SCALED, added=ADDED)
    fixed = [d for d in diffs if (d.workbook.split(" ", 1)[1], d.sheet, d.header) in FIXES]
    assert {(d.workbook.split(" ", 1)[1], d.sheet, d.header) for d in fixed} == set(FIXES)
    diffs = [d for d in diffs if d not in fixed]
    assert not diffs, report(diffs)


def test_the_fixed_director_rows_now_equal_the_company_workbooks(now):
    """The FIXES: 张伟's scorecard row in his own workbook is his row in the company's, cell for cell."""
    def row_of(book: dict, sheet: str, name: str) -> dict:
        cells = book[sheet]
        rows = {}
        for ref, v in cells.items():
            col, r = _split_ref(ref)
            rows.setdefault(r, {})[col] = v
        row = next(r for r, values in rows.items() if r > 1 and name in values.values())
        return {rows[1][col]: v for col, v in rows[row].items()}

    for period in ("2026-Q3", "2026-Q2", "2025"):
        mine = row_of(now[1][f"{period} director:张伟"], "项目总监考核", "张伟")
        company = row_of(now[1][f"{period} company"], "项目总监考核", "张伟")
        for header in ("目标金额（万元）", "目标达成率", "审计考核得分", "保守得分", "赢单", "已结束（分母）", "赢单率"):
            assert mine[header] == company[header], (period, header)


# ---------------------------------------------------------------------------------------------
# compare() itself, on hand-typed recordings

TINY = {"2026-Q3 company": {
    ABOUT: {"A1": "标题", "A3": "期间", "B3": "2026-Q3", "A5": "工作表", "B5": "指标",
            "A6": "赢单率", "B6": "win-rate", "A7": "趋势", "B7": "win-rate"},
    "赢单率": {"A1": "名称", "B1": "赢单率", "C1": "周期（天）", "A2": "全公司", "B2": 0.401337793, "C2": 35,
               "A3": "华东", "B3": 0.5, "D3": {"date": "2026-07-01"}},
    "趋势": {"A1": "季度", "A2": "2026-Q3"}}}


def tiny(**changes) -> dict:
    out = json.loads(json.dumps(TINY))
    book = out["2026-Q3 company"]
    for path, value in changes.items():
        sheet, ref = path.split("__")
        if value is None:
            del book[sheet][ref]
        else:
            book[sheet][ref] = value
    return out


def test_compare_equal_within_rounding_and_1e9_but_not_beyond():
    assert compare(TINY, tiny(赢单率__B2=0.4013377934)) == []          # the golden holds 9 digits
    assert compare(TINY, tiny(赢单率__C2=35.0 + 35e-10)) == []
    assert compare(TINY, tiny(赢单率__B2=0.40133780)) == [
        Difference("2026-Q3 company", "赢单率", "B2", "赢单率", 0.401337793, 0.4013378)]
    assert compare(TINY, tiny(赢单率__C2=35.0000001)) != []


def test_compare_reports_cells_gone_added_and_retyped():
    diffs = compare(TINY, tiny(赢单率__D3=None, 赢单率__C3=7, 趋势__A2="2026-07-01"))
    assert [(d.cell, d.header, d.golden, d.now) for d in diffs] == [
        ("D3", "D", {"date": "2026-07-01"}, None),     # no header in row 1: the column letter
        ("C3", "周期（天）", None, 7),
        ("A2", "季度", "2026-Q3", "2026-07-01")]
    assert [str(d) for d in compare(TINY, tiny(说明__B3="2026-Q2"))] == [
        '2026-Q3 company · 说明 · B3 [期间 / B]: golden "2026-Q3", now "2026-Q2"']


def test_compare_matches_columns_by_header_so_a_moved_column_is_no_difference():
    moved = tiny(赢单率__B1="周期（天）", 赢单率__C1="赢单率", 赢单率__B2=35, 赢单率__C2=0.401337793,
                 赢单率__B3=None, 赢单率__C3=0.5)
    assert compare(TINY, moved) == []


def test_a_relabelled_header_or_sheet_differs_unless_renamed_with_a_reason():
    relabelled = tiny(赢单率__B1="赢单率（按数量）")
    assert [(d.cell, d.header) for d in compare(TINY, relabelled)] == [
        ("B1", "赢单率"), ("B2", "赢单率"), ("B3", "赢单率"),
        ("B1", "赢单率（按数量）"), ("B2", "赢单率（按数量）"), ("B3", "赢单率（按数量）")]
    assert compare(TINY, relabelled, renamed={"赢单率/赢单率": ("赢单率（按数量）", "spec label")}) == []
    book = json.loads(json.dumps(TINY))["2026-Q3 company"]
    book["胜率"] = book.pop("赢单率")
    book[ABOUT]["A6"] = "胜率"
    sheet_renamed = {"2026-Q3 company": book}
    assert {(d.sheet, d.cell) for d in compare(TINY, sheet_renamed)} == {
        ("赢单率", "*"), ("胜率", "*"), (ABOUT, "A6"), (ABOUT, "B6")}
    assert compare(TINY, sheet_renamed, renamed={"赢单率": ("胜率", "the spec's name")}) == []
    with pytest.raises(ValueError, match="reason"):
        compare(TINY, relabelled, renamed={"赢单率/赢单率": ("赢单率（按数量）", " ")})
    with pytest.raises(ValueError, match="no sheet"):
        compare(TINY, relabelled, renamed={"赢率": ("x", "typo")})
    with pytest.raises(ValueError, match="label"):
        compare(TINY, relabelled, renamed={"赢单率/赢率": ("x", "typo")})


def test_a_split_keeps_the_golden_numbers_in_its_first_column_and_allows_the_others():
    split = tiny(赢单率__C1="赢单周期（天）", 赢单率__E1="结束周期（天）", 赢单率__E2=41)
    rename = {"赢单率/周期（天）": (["赢单周期（天）", "结束周期（天）"], "two definitions, two columns")}
    assert compare(TINY, split, renamed=rename) == []
    assert [d.now for d in compare(TINY, tiny(赢单率__C1="赢单周期（天）", 赢单率__C2=41), renamed=rename)] == [41]


def test_the_failure_message_lists_the_first_forty():
    many = tiny(**{f"趋势__A{r}": f"x{r}" for r in range(3, 53)})
    text = report(compare(TINY, many))
    assert text.splitlines()[0] == "50 cell(s) differ from tests/golden/workbook.json; the first 40:"
    assert len(text.splitlines()) == 42 and "A42" in text and "A43" not in text
