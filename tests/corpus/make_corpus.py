"""The bad-input corpus (issue 10, Build item 7): exports a careful user meets, each with what
`presales load` must do with it.

Every case is generated here, nothing is a committed binary: CSV and JSON are typed below, XLSX
files are made with openpyxl when the corpus is written. Each case says its expected exit code
(0 loaded, 1 rows rejected, 2 unusable input), fragments its message must hold (the file, the row,
the column, the value, what to do), the rejects and data_quality rows it must leave, and the
counts of its load (read, loaded, flagged, rejected, collapsed). tests/test_corpus.py runs the
real CLI on each, against a copy of a database that already holds :data:`BASE` (so an unusable
input can be shown to leave every table unchanged).

    python tests/corpus/make_corpus.py OUT_DIR     # write every case's files under OUT_DIR/<case>/
"""

from __future__ import annotations

import csv
import io
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Union

ESC = "\x1b[2J\x1b[31mEVIL"

Content = Union[bytes, Callable[[Path], None]]


@dataclass(frozen=True)
class Case:
    name: str
    files: dict[str, Content]                 # file name -> bytes, or a writer of that path
    exit: int
    args: tuple[str, ...] = ()                # more CLI arguments; "{dir}" is the case's folder
    says: tuple[str, ...] = ()                # fragments of stderr (exit 2) or stdout (0, 1)
    rejects: tuple[tuple, ...] = ()           # every (row, column starts with, value, reason holds)
    flags: tuple[tuple, ...] = ()             # every (row, rule) in data_quality
    counts: tuple[int, int, int, int, int] | None = None   # the last logged file's counts
    stored: tuple[str, list] | None = None    # (SQL, its rows) after the load
    load: tuple[str, ...] | None = None       # files given, in order (default: every file but *.toml)
    kind: str = ""


def text_csv(rows: list[list[object]], *, encoding: str = "utf-8") -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue().encode(encoding)


#: What the database holds before every case: five projects and one activity.
BASE = {
    "base_projects.csv": text_csv([["项目编号", "项目名称", "阶段", "状态", "金额", "创建日期", "结束日期"],
                                   ["P1", "一期", "投标", "进行中", "1000", "2026-01-01", ""],
                                   ["P2", "二期", "谈判", "赢单", "2000", "2026-01-02", "2026-03-01"],
                                   ["P3", "三期", "立项", "丢单", "3000", "2026-01-03", "2026-03-02"],
                                   ["P4", "四期", "线索", "进行中", "4000", "2026-01-04", ""],
                                   ["P5", "五期", "方案设计", "进行中", "5000", "2026-01-05", ""]]),
    "base_activities.csv": text_csv([["项目编号", "活动类型", "日期"], ["P1", "项目周报", "2026-02-02"]]),
}

PROJECT_HEADER = ["项目编号", "阶段", "金额", "创建日期", "结束日期", "客户满意度"]


def projects(*bad: list[object], header: list[str] | None = None) -> bytes:
    """A projects export: one good row (P10, file row 2), then the given rows (file rows 3 ...)."""
    header = header or PROJECT_HEADER
    good = {"项目编号": "P10", "阶段": "投标", "金额": "100", "创建日期": "2026-01-01"}
    return text_csv([header, [good.get(h, "") for h in header], *bad])


def amount_row(value: str) -> list[str]:
    return ["P11", "投标", value, "2026-01-01", "", ""]


def xlsx(rows: list[list[object]], merge: str | None = None, sheet: str = "商机") -> Callable[[Path], None]:
    def write(path: Path) -> None:
        import openpyxl

        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = sheet
        for r in rows:
            ws.append(r)
        if merge:
            ws.merge_cells(merge)
        wb.save(path)
    return write


def not_a_workbook(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "not a workbook")


def _cases() -> list[Case]:
    cases: list[Case] = []
    add = cases.append

    # ------------------------------------------------------------ amounts that are no number (exit 1)
    ambiguous = ["12,5", "1,2,3", "1,2345", "1.234,56", "1 234", ",123", "12,34.5", "1,23,456", "1,234,56"]
    for i, v in enumerate(ambiguous):
        add(Case(f"amount_ambiguous_{i}", {"p.csv": projects(amount_row(v))}, 1, kind="amount",
                 rejects=((3, "金额 [amount]", v, f"'{v}' is not an amount"),),
                 says=("p.csv",), counts=(2, 1, 0, 1, 0)))
        add(Case(f"amount_ambiguous_{i}_advice", {"p.csv": projects(amount_row(v))}, 1, kind="amount",
                 rejects=((3, "金额 [amount]", v, 'set decimal = "," under [source]'),)))
    for i, v in enumerate(["待定", "12万5", "NaN", "inf", "1.2.3", "--5", "5-", "12,3O0", "壹万", "0x10"]):
        add(Case(f"amount_not_a_number_{i}", {"p.csv": projects(amount_row(v))}, 1, kind="amount",
                 rejects=((3, "金额 [amount]", v, f"'{v}' is not an amount (expected e.g."),),
                 counts=(2, 1, 0, 1, 0)))
    add(Case("amount_wan_yen_groups", {"p.csv": text_csv([["项目编号", "阶段", "金额（万元）"], ["P10", "投标", "12.5"],
                                                          ["P11", "投标", "¥1,2,3"]])}, 1, kind="amount",
             rejects=((3, "金额（万元） [amount]", "¥1,2,3", "'¥1,2,3' is not an amount"),),
             stored=("SELECT project_id, amount FROM projects WHERE project_id LIKE 'P1_'", [("P10", 125000)])))
    for i, v in enumerate(["1e-400", "-1e-400", "0.5e-330"]):
        add(Case(f"amount_underflow_{i}", {"p.csv": projects(amount_row(v))}, 1, kind="amount",
                 rejects=((3, "金额 [amount]", v, "is too small to be read as a number (it would become 0)"),)))
    for i, v in enumerate(["1e400", "1e20", "9999999999999999"]):
        add(Case(f"amount_overflow_{i}", {"p.csv": projects(amount_row(v))}, 1, kind="amount",
                 rejects=((3, "金额 [amount]", v, "is too large to be an amount in yuan"),)))
    for i, v in enumerate(["1e-400", "1e400", "很满意"]):
        row = ["P11", "投标", "5", "2026-01-01", "", v]
        why = {0: "is too small", 1: "is too large to be a number", 2: "is not a number"}[i]
        add(Case(f"satisfaction_unreadable_{i}", {"p.csv": projects(row)}, 1, kind="number",
                 rejects=((3, "客户满意度 [satisfaction]", v, why),)))

    # the same amounts, exact when unambiguous (exit 0)
    exact = [("1,234.56", 1234.56), ("1,234", 1234), ("12.5", 12.5), ("1,234,567.5", 1234567.5),
             ("¥ 1,234", 1234), ("12.5 万元", 125000), ("1e3", 1000), ("0e5", 0), ("１２３４", 1234)]
    for i, (v, want) in enumerate(exact):
        add(Case(f"amount_exact_{i}", {"p.csv": projects(amount_row(v))}, 0, kind="amount",
                 stored=("SELECT CAST(amount AS DOUBLE) FROM projects WHERE project_id = 'P11'", [(float(want),)]),
                 counts=(2, 2, 0, 0, 0)))
    decimal_comma = [("1.234,56", 1234.56), ("12,5", 12.5), ("¥1.234.567,8", 1234567.8), ("-3,25", -3.25)]
    for i, (v, want) in enumerate(decimal_comma):
        add(Case(f"amount_decimal_comma_{i}", {"p.csv": projects(amount_row(v)), "m.toml": b'[source]\ndecimal = ","\n'},
                 0, args=("--mapping", "{dir}/m.toml"), kind="amount",
                 stored=("SELECT CAST(amount AS DOUBLE) FROM projects WHERE project_id = 'P11'", [(want,)]),
                 flags=((3, "negative_amount"),) if want < 0 else ()))
    add(Case("amount_decimal_comma_refuses_point", {"p.csv": projects(amount_row("1,234.56")),
                                                     "m.toml": b'[source]\ndecimal = ","\n'}, 1,
             args=("--mapping", "{dir}/m.toml"), kind="amount",
             rejects=((3, "金额 [amount]", "1,234.56", 'decimal = "," is set for this file'),)))

    # ------------------------------------------------------------ dates (exit 1)
    for i, v in enumerate(["2026-02-30", "2026-13-01", "yesterday", "2026/9/31", "0000-00-00", "2026-9", "下周一"]):
        add(Case(f"date_unreadable_{i}", {"p.csv": projects(["P11", "投标", "5", v, "", ""])}, 1, kind="date",
                 rejects=((3, "创建日期 [created_at]", v, f"'{v}' is not a date"),), counts=(2, 1, 0, 1, 0)))
    add(Case("date_year_last", {"p.csv": projects(["P11", "投标", "5", "05/09/2026", "", ""])}, 1, kind="date",
             rejects=((3, "创建日期 [created_at]", "05/09/2026", "--date-order dmy|mdy"),)))

    # ------------------------------------------------------------ closed lists (exit 1)
    closed = [("阶段", "暂停", "is not a known stage"), ("状态", "paused", "is not a known status"),
              ("项目等级", "超级", "is not a known grade")]
    for i, (h, v, why) in enumerate(closed):
        f = text_csv([["项目编号", "阶段", h] if h != "阶段" else ["项目编号", "阶段"],
                      ["P10", "投标", *([""] if h != "阶段" else [])],
                      ["P11", *(["投标", v] if h != "阶段" else [v])]])
        add(Case(f"closed_list_{i}", {"p.csv": f}, 1, kind="value",
                 rejects=((3, h, v, why),), says=("p.csv",)))
    add(Case("activity_kind_unknown", {"a.csv": text_csv([["项目编号", "活动类型", "日期"], ["P1", "喝茶", "2026-03-01"]])},
             1, kind="value", rejects=((2, "活动类型 [kind]", "喝茶", "is not a known activity"),)))
    add(Case("document_type_unknown", {"d.csv": text_csv([["项目编号", "文档类型", "归档日期"], ["P1", "传真", "2026-03-01"]])},
             1, kind="value", rejects=((2, "文档类型 [doc_type]", "传真", "is not a known document"),)))

    # ------------------------------------------------------------ rows no metric can use (exit 1)
    add(Case("blank_project_id", {"p.csv": projects(["", "投标", "5", "2026-01-01", "", ""])}, 1, kind="rule",
             rejects=((3, "项目编号 [project_id]", None, "blank project id"),)))
    add(Case("no_stage_no_status", {"p.csv": text_csv([["项目编号", "阶段", "状态"], ["P10", "投标", ""], ["P11", "", ""]])},
             1, kind="rule", rejects=((3, "阶段 [stage]", None, "no stage and no status"),)))
    add(Case("status_contradicts_stage", {"p.csv": text_csv([["项目编号", "阶段", "状态"], ["P10", "投标", ""],
                                                            ["P11", "赢单", "丢单"]])}, 1, kind="rule",
             rejects=((3, "状态 [status]", "丢单", "contradicts stage"),)))
    add(Case("duplicate_project_id", {"p.csv": text_csv([["项目编号", "阶段"], ["P10", "投标"], ["P10", "谈判"]])}, 1,
             kind="rule", rejects=((2, "项目编号 [project_id]", "P10", "row 3 later in this file is loaded instead"),),
             stored=("SELECT stage FROM projects WHERE project_id = 'P10'", [("negotiation",)])))
    for name, header, row in [("events", ["项目编号", "阶段", "进入日期"], ["P99", "投标", "2026-03-01"]),
                              ("activities", ["项目编号", "活动类型", "日期"], ["P99", "项目周报", "2026-03-01"]),
                              ("documents", ["项目编号", "文档类型", "归档日期"], ["P99", "合同", "2026-03-01"])]:
        add(Case(f"unknown_project_{name}", {f"{name}.csv": text_csv([header, ["P1", *row[1:]], row])}, 1, kind="rule",
                 rejects=((3, "项目编号 [project_id]", "P99", "load the projects export first"),),
                 counts=(2, 1, 0, 1, 0)))
    add(Case("blank_activity_kind", {"a.csv": text_csv([["项目编号", "活动类型", "日期"], ["P1", "", "2026-03-01"]])}, 1,
             kind="rule", rejects=((2, "活动类型 [kind]", None, "blank activity kind"),)))
    add(Case("blank_event_date", {"e.csv": text_csv([["项目编号", "阶段", "进入日期"], ["P1", "投标", ""]])}, 1,
             kind="rule", rejects=((2, "进入日期 [entered_at]", None, "blank date"),)))
    add(Case("negative_target", {"t.csv": text_csv([["目标范围", "期间", "目标金额"], ["公司", "2026", "-5"]])}, 1,
             kind="rule", rejects=((2, "目标金额 [amount]", "-5", "negative target"),)))
    add(Case("blank_target_scope", {"t.csv": text_csv([["目标范围", "期间", "目标金额"], ["", "2026", "5"]])}, 1,
             kind="rule", rejects=((2, "目标范围 [scope]", None, "blank scope"),)))
    add(Case("bad_target_period", {"t.csv": text_csv([["目标范围", "期间", "目标金额"], ["公司", "明年", "5"]])}, 1,
             kind="value", rejects=((2, "期间 [period]", "明年", "明年"),)))

    # ------------------------------------------------------------ kept and flagged (exit 0)
    flagged = [
        ("closed_before_created", ["P11", "赢单", "5", "2026-03-01", "2026-02-01", ""], "closed_before_created"),
        ("created_year_1", ["P11", "投标", "5", "0001-01-01", "", ""], "date_out_of_range"),
        ("closed_9999", ["P11", "赢单", "5", "2026-01-01", "9999-12-31", ""], "date_out_of_range"),
        ("satisfaction_200_pct", ["P11", "赢单", "5", "2026-01-01", "2026-02-01", "200%"], "satisfaction_out_of_scale"),
        ("satisfaction_negative", ["P11", "赢单", "5", "2026-01-01", "2026-02-01", "-1"], "satisfaction_out_of_scale"),
        ("negative_amount", ["P11", "投标", "-5", "2026-01-01", "", ""], "negative_amount"),
        ("won_without_closed_date", ["P11", "赢单", "5", "2026-01-01", "", ""], "closed_without_date"),
        ("open_with_closed_date", ["P11", "投标", "5", "2026-01-01", "2026-02-01", ""], "open_with_close_date"),
    ]
    for name, row, rule in flagged:
        add(Case(f"flag_{name}", {"p.csv": projects(row)}, 0, kind="flag", flags=((3, rule),),
                 counts=(2, 1, 1, 0, 0), says=("2 read: 1 loaded, 1 flagged",)))
    add(Case("flag_negative_collected", {"p.csv": text_csv([["项目编号", "阶段", "金额", "回款金额"], ["P10", "投标", "5", ""],
                                                           ["P11", "投标", "5", "-1"]])}, 0, kind="flag",
             flags=((3, "negative_collected"),), counts=(2, 1, 1, 0, 0)))
    add(Case("flag_collected_exceeds", {"p.csv": text_csv([["项目编号", "阶段", "金额", "回款金额"], ["P10", "投标", "5", ""],
                                                          ["P11", "投标", "5", "9"]])}, 0, kind="flag",
             flags=((3, "collected_exceeds_amount"),)))
    add(Case("flag_initiated_before_created", {"p.csv": text_csv([["项目编号", "阶段", "创建日期", "立项日期"],
                                                                 ["P10", "投标", "2026-01-01", ""],
                                                                 ["P11", "投标", "2026-02-01", "2026-01-01"]])}, 0,
             kind="flag", flags=((3, "initiated_before_created"),)))
    for name, header, row in [("events", ["项目编号", "阶段", "进入日期"], ["P1", "投标", "2150-01-01"]),
                              ("activities", ["项目编号", "活动类型", "日期"], ["P1", "项目周报", "1900-01-01"]),
                              ("documents", ["项目编号", "文档类型", "归档日期"], ["P1", "合同", "1989-12-31"])]:
        add(Case(f"flag_date_out_of_range_{name}", {f"{name}.csv": text_csv([header, row])}, 0, kind="flag",
                 flags=((2, "date_out_of_range"),), counts=(1, 0, 1, 0, 0)))
    add(Case("flag_event_before_created", {"e.csv": text_csv([["项目编号", "阶段", "进入日期"], ["P1", "线索", "2025-12-01"]])},
             0, kind="flag", flags=((2, "event_before_created"),)))
    add(Case("flag_xlsx_merged", {"m.xlsx": xlsx([["项目编号", "阶段", "项目名称"], ["P10", "投标", "合并"],
                                                  ["P11", "投标", None]], merge="C2:C3")}, 0, kind="xlsx",
             flags=((3, "merged_cell"),), counts=(2, 1, 1, 0, 0),
             stored=("SELECT name FROM projects WHERE project_id = 'P11'", [("合并",)])))
    hubspot = [["Record ID", "Deal Name", "Deal owner", "Deal Stage", "Amount", "Create Date", "Close Date"],
               ["9001", "A", "Ann", "Closed Won", "12000", "2024-01-10", "2024-03-01"],
               ["9002", "B", "Bo", "Closed Won", "30000", "2024-06-20", "2024-05-31"],
               ["9003", "C", "Cy", "Appointment Scheduled", "1000", "2024-05-05", "2024-11-30"],
               ["9004", "D", "Di", "Qualified To Buy", "2000", "2024-07-01", "2025-01-31"]]
    add(Case("flag_hubspot_closed_before_created", {"hubspot.csv": text_csv(hubspot)}, 0, kind="flag",
             flags=((3, "closed_before_created"),), counts=(4, 3, 1, 0, 0),
             stored=("SELECT count(*) FROM projects WHERE status = 'won' AND project_id LIKE '900_'", [(2,)])))

    # ------------------------------------------------------------ identical rows collapsed (exit 0)
    add(Case("collapse_identical_events", {"e.csv": text_csv([["项目编号", "阶段", "进入日期"]] + [["P1", "投标", "2026-02-01"]] * 3)},
             0, kind="collapse", counts=(3, 1, 0, 0, 2), says=("3 read: 1 loaded, 2 identical collapsed",)))
    add(Case("collapse_identical_activities", {"a.csv": text_csv([["项目编号", "活动类型", "日期"]] + [["P2", "客户拜访", "2026-02-01"]] * 4)},
             0, kind="collapse", counts=(4, 1, 0, 0, 3)))
    add(Case("collapse_identical_documents", {"d.csv": text_csv([["项目编号", "文档类型", "归档日期"]] + [["P2", "合同", "2026-02-01"]] * 2)},
             0, kind="collapse", counts=(2, 1, 0, 0, 1)))
    add(Case("collapse_already_stored", {"a.csv": text_csv([["项目编号", "活动类型", "日期"], ["P1", "项目周报", "2026-02-02"],
                                                           ["P2", "项目周报", "2026-02-02"]])},
             0, kind="collapse", counts=(2, 1, 0, 0, 1)))
    add(Case("collapse_mixed", {"a.csv": text_csv([["项目编号", "活动类型", "日期"], ["P3", "项目周报", "2026-02-02"],
                                                  ["P3", "项目周报", "2026-02-02"], ["P9", "项目周报", "2026-02-02"]])},
             1, kind="collapse", counts=(3, 1, 0, 1, 1),
             rejects=((4, "项目编号 [project_id]", "P9", "load the projects export first"),)))

    # ------------------------------------------------------------ XLSX cells that cannot be read (exit 1)
    for i, err in enumerate(["#DIV/0!", "#N/A", "#REF!", "#VALUE!", "#NAME?", "#NUM!", "#NULL!"]):
        add(Case(f"xlsx_error_{i}", {"e.xlsx": xlsx([["项目编号", "阶段", "金额"], ["P10", "投标", 5], ["P11", "投标", err]])},
                 1, kind="xlsx", rejects=((3, "金额 [amount]", err, f"商机!C3 holds the error {err}"),),
                 counts=(2, 1, 0, 1, 0)))
    add(Case("xlsx_error_in_text", {"e.xlsx": xlsx([["项目编号", "阶段", "项目名称"], ["P10", "投标", "甲"],
                                                    ["P11", "投标", "#REF!"]])}, 1, kind="xlsx",
             rejects=((3, "项目名称 [name]", "#REF!", "商机!C3 holds the error #REF!"),)))
    add(Case("xlsx_formula_no_value", {"f.xlsx": xlsx([["项目编号", "阶段", "金额"], ["P10", "投标", 5],
                                                       ["P11", "投标", "=SUM(1,2)"]])}, 1, kind="xlsx",
             rejects=((3, "金额 [amount]", "=SUM(1,2)", "商机!C3 holds a formula with no saved value"),)))
    add(Case("xlsx_formula_in_text", {"f.xlsx": xlsx([["项目编号", "阶段", "项目名称"], ["P10", "投标", "甲"],
                                                      ["P11", "投标", '=A3&"期"']])}, 1, kind="xlsx",
             rejects=((3, "项目名称 [name]", '=A3&"期"', "save it again"),)))
    add(Case("xlsx_error_other_sheet", {"s.xlsx": xlsx([["项目编号", "阶段", "金额"], ["P10", "投标", "#N/A"]], sheet="Deals")},
             1, kind="xlsx", rejects=((2, "金额 [amount]", "#N/A", "Deals!C2 holds the error #N/A"),)))

    # ------------------------------------------------------------ hostile text (exit 1 / 2)
    add(Case("escape_in_rejected_value", {"p.csv": projects(amount_row(ESC))}, 1, kind="hostile",
             rejects=((3, "金额 [amount]", ESC, "is not an amount"),), says=("\\x1b[2J\\x1b[31mEVIL",)))
    add(Case("escape_in_header", {"p.csv": text_csv([["编号\x1b[31mX", "说明"], ["P1", "a"]])}, 2, kind="hostile",
             says=("p.csv", "no column for project_id", "编号\\x1b[31mX")))
    add(Case("bidi_override_in_header", {"p.csv": text_csv([["编号\u202eX", "说明"], ["P1", "a"]])}, 2, kind="hostile",
             says=("编号\\u202eX",)))
    add(Case("escape_in_unknown_stage", {"p.csv": text_csv([["项目编号", "阶段"], ["P10", "投标"], ["P11", "\x1b]0;pwned\x07x"]])},
             1, kind="hostile", rejects=((3, "阶段 [stage]", "\x1b]0;pwned\x07x", "is not a known stage"),)))
    add(Case("sql_like_value", {"p.csv": text_csv([["项目编号", "阶段", "项目名称"], ["P10", "投标", "'); DROP TABLE projects; --"]])},
             0, kind="hostile", stored=("SELECT name FROM projects WHERE project_id = 'P10'", [("'); DROP TABLE projects; --",)])))
    add(Case("html_in_name", {"p.csv": text_csv([["项目编号", "阶段", "项目名称"], ["P10", "投标", "<script>alert(1)</script>"]])},
             0, kind="hostile", stored=("SELECT name FROM projects WHERE project_id = 'P10'", [("<script>alert(1)</script>",)])))

    # ------------------------------------------------------------ unusable input (exit 2, nothing written)
    def unusable(name: str, files: dict[str, Content], *says: str, args: tuple[str, ...] = (),
                 load: tuple[str, ...] | None = None) -> None:
        add(Case(f"unusable_{name}", files, 2, args=args, says=says, load=load, kind="unusable"))

    unusable("empty_file", {"p.csv": b""}, "p.csv", "the file is empty")
    unusable("no_project_id", {"p.csv": text_csv([["编号X", "说明"], ["Q2", "?"]])}, "p.csv", "no column for project_id",
             "mapping file [columns]")
    unusable("no_stage", {"p.csv": text_csv([["项目编号", "金额"], ["P1", "5"]])}, "p.csv", "stage or status")
    unusable("unknown_extension", {"p.xyz": b"a,b\n1,2\n"}, "p.xyz", "'.xyz'", "rename the file")
    unusable("xlsx_named_csv", {"p.csv": xlsx([["项目编号", "阶段"], ["P1", "投标"]])}, "p.csv",
             "is an Excel workbook (xlsx)", "rename it to .xlsx")
    unusable("xls_named_csv", {"p.csv": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504}, "p.csv",
             "an old Excel workbook (.xls)", "save it as .xlsx")
    unusable("parquet_named_csv", {"p.csv": b"PAR1" + b"\x00" * 60}, "p.csv", "a Parquet file", "rename it to .parquet")
    unusable("json_cut_after_comma", {"p.json": '[{"项目编号": "P1", "阶段": "投标"},\n{"项目编号": "P2", "阶段": "投标"},\n'.encode()},
             "p.json", "no closing ]", "line 2, byte", "after a comma", "export it again")
    unusable("json_cut_in_record", {"p.json": '[{"项目编号": "P1", "阶段": "投标"},\n{"项目编号": "P2", "阶'.encode()},
             "p.json", "no closing ]", "inside a record")
    unusable("json_cut_after_record", {"p.json": '[{"项目编号": "P1", "阶段": "投标"}\n'.encode()},
             "p.json", "no closing ]", "after a record")
    unusable("jsonl_cut", {"p.jsonl": '{"项目编号": "P1", "阶段": "投标"}\n{"项目编号": "P2", "阶'.encode()},
             "p.jsonl", "cannot be read as JSON")
    unusable("json_not_records", {"p.json": b"[1, 2, 3]"}, "p.json", "cannot be read as JSON")
    unusable("json_garbage", {"p.json": b"{not json"}, "p.json", "cannot be read as JSON")
    unusable("line_10mb", {"p.csv": ("项目编号,阶段,项目名称\nP1,投标," + "a" * (10 << 20) + "\n").encode()},
             "p.csv row 2", "10.0 MB long", "double quote that is not closed")
    unusable("ragged_line", {"p.csv": "项目编号,阶段\nP1,投标\nP2,投标,多余\n".encode()}, "p.csv", "line 3 has 3 fields",
             "put values that contain the delimiter in double quotes")
    unusable("unclosed_quote", {"p.csv": '项目编号,阶段\nP1,"投标\nP2,投标\n'.encode()}, "p.csv", "quote")
    unusable("duplicate_header", {"p.csv": "项目编号,阶段,阶段\nP1,投标,投标\n".encode()}, "p.csv", "appears twice",
             "rename one of them")
    unusable("header_named_row", {"p.csv": "项目编号,阶段,_row\nP1,投标,1\n".encode()}, "p.csv", "_row", "rename that column")
    unusable("mixed_encodings", {"p.csv": ("项目编号,阶段,项目名称\n" + "P1,投标,智慧停车一期\n" * 5).encode()
                                 + "P2,投标,智慧停车二期\n".encode("gb18030")}, "p.csv", "mixes encodings",
             "re-save the whole file in one encoding")
    unusable("explicit_utf8_on_gbk", {"p.csv": "项目编号,阶段\nP1,投标\n".encode("gb18030")}, "p.csv", "utf-8",
             args=("--encoding", "utf-8"))
    unusable("unknown_encoding", {"p.csv": text_csv([["项目编号", "阶段"], ["P1", "投标"]])}, "unknown encoding 'klingon'",
             args=("--encoding", "klingon"))
    unusable("bad_toml", {"p.csv": text_csv([["项目编号", "阶段"], ["P1", "投标"]]), "m.toml": b"table = \n"},
             "m.toml", "not valid TOML", args=("--mapping", "{dir}/m.toml"))
    unusable("mapping_unknown_source_key", {"p.csv": text_csv([["项目编号", "阶段"], ["P1", "投标"]]),
                                            "m.toml": b"[source]\nseparator = ';'\n"}, "m.toml", "unknown [source] key",
             args=("--mapping", "{dir}/m.toml"))
    unusable("mapping_bad_decimal", {"p.csv": text_csv([["项目编号", "阶段"], ["P1", "投标"]]),
                                     "m.toml": b"[source]\ndecimal = ';'\n"}, "m.toml", "decimal ';' must be",
             args=("--mapping", "{dir}/m.toml"))
    unusable("mapping_missing_header", {"p.csv": text_csv([["项目编号", "阶段"], ["P1", "投标"]]),
                                        "m.toml": "[columns]\namount = \"合同额\"\n".encode()},
             "p.csv", "'合同额', which this file does not have", args=("--mapping", "{dir}/m.toml"))
    unusable("mapping_unknown_column", {"p.csv": text_csv([["项目编号", "阶段"], ["P1", "投标"]]),
                                        "m.toml": b"[columns]\nrevenue = \"x\"\n"}, "m.toml", "not canonical columns",
             args=("--mapping", "{dir}/m.toml"))
    unusable("bad_table_option", {"p.csv": text_csv([["项目编号", "阶段"], ["P1", "投标"]])}, "--table 'deals'",
             args=("--table", "deals"))
    unusable("bad_as_of", {"p.csv": text_csv([["项目编号", "阶段"], ["P1", "投标"]])}, "--as-of", "YYYY-MM-DD",
             args=("--as-of", "tomorrow"))
    unusable("bad_amount_unit", {"p.csv": text_csv([["项目编号", "阶段"], ["P1", "投标"]])}, "yuan or wan",
             args=("--amount-unit", "usd"))
    unusable("unknown_sheet", {"p.xlsx": xlsx([["项目编号", "阶段"], ["P1", "投标"]])}, "p.xlsx", "has no sheet 'Deals'",
             "'商机'", args=("--sheet", "Deals"))
    unusable("empty_sheet", {"p.xlsx": xlsx([])}, "p.xlsx", "is empty")
    unusable("not_a_workbook", {"p.xlsx": not_a_workbook}, "p.xlsx", "cannot be opened as an Excel workbook")
    unusable("text_named_xlsx", {"p.xlsx": b"project_id,stage\nP1,bid\n"}, "p.xlsx", "cannot be opened as an Excel workbook")
    unusable("missing_file", {}, "nope.csv", "file not found", load=("nope.csv",))
    unusable("directory", {"sub/x.csv": b"a\n"}, "sub", "not a file", load=("sub",))
    unusable("good_file_with_bad_file", {"a_good.csv": text_csv([["项目编号", "阶段"], ["Q1", "投标"]]),
                                         "b_bad.csv": text_csv([["编号X", "说明"], ["Q2", "?"]])},
             "b_bad.csv", "project_id")
    unusable("events_without_date_column", {"e.csv": text_csv([["项目编号", "阶段", "进入日期X"], ["P1", "投标", "2026-01-01"]])},
             "e.csv", "no column for entered_at", args=("--table", "stage_events"))
    unusable("parquet_garbage", {"p.parquet": b"PAR1 this is not parquet PAR1"}, "p.parquet", "cannot be read as Parquet")
    return cases


CASES: list[Case] = _cases()


def write_case(case: Case, folder: Path) -> Path:
    """Write the files of ``case`` into ``folder`` (created); return it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in case.files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if callable(content):
            content(path)
        else:
            path.write_bytes(content)
    return folder


def write_base(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in BASE.items():
        (folder / name).write_bytes(data)
        paths.append(folder / name)
    return paths


def main(out: str) -> None:
    root = Path(out)
    write_base(root / "_base")
    for case in CASES:
        write_case(case, root / case.name)
    print(f"{len(CASES)} cases written under {root}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "corpus-out")
