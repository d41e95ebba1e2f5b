"""presales export xlsx: the workbook behind the dashboard, run through the real CLI on a hand-typed fixture,
read back with pandas (calamine) and openpyxl, and compared with the library and with numbers worked by hand."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import presales_analytics as pa
from presales_analytics.metrics import compute
from presales_analytics.metrics.pipeline import pipeline_summary

from conftest import write_csv

WAN = 10_000
FORMULA = '=HYPERLINK("http://x")'
HEADER = ["项目编号", "项目名称", "客户名称", "项目总监", "区域", "渠道商", "金额（万元）", "项目阶段", "状态", "创建日期",
          "结束日期"]
ROWS = [
    ["P1", "杭州智慧停车", "杭州市城市管理局", "张伟", "华东", "华东智联", "100", "谈判", "赢单", "2026-01-10", "2026-07-15"],
    ["P2", "宁波停车诱导", "宁波市交通局", "张伟", "华东", "", "50", "投标", "赢单", "2026-03-01", "2026-08-20"],
    ["P3", "温州静态交通", "温州市公安局", "李娜", "华东", "", "30", "投标", "丢单", "2026-02-01", "2026-09-10"],
    ["P4", "绍兴停车场", "绍兴市城管局", "李娜", "华东", "华东智联", "20", "立项", "放弃", "2026-05-01", "2026-09-20"],
    ["P5", "广州停车诱导", "广州市交通运输局", "王芳", "华南", "", "40", "谈判", "赢单", "2026-03-05", "2026-08-01"],
    ["P6", "深圳前海停车", "深圳市前海管理局", "王芳", "华南", "", "60", "投标", "丢单", "2026-04-01", "2026-09-30"],
    ["P7", "嘉兴停车", "嘉兴市交通局", "张伟", "华东", "", "20", "立项", "进行中", "2026-04-20", ""],   # stalled
    ["P8", "佛山停车", "佛山市城管局", "王芳", "华南", "", "80", "方案设计", "进行中", "2026-06-01", ""],
    ["P9", "湖州停车", "湖州市交通局", "李娜", "华东", "", "70", "谈判", "赢单", "2026-01-05", "2026-06-30"],  # Q2
    ["P10", "台州停车", "台州市交通局", "张伟", "华东", "", "10", "线索", "进行中", "2026-07-10", ""],
]
TARGETS = [["目标范围", "期间", "目标金额（万元）"], ["公司", "2026-Q3", "400"], ["区域:华东", "2026-Q3", "300"],
           ["区域:华南", "2026", "400"], ["总监:张伟", "2026-Q3", "200"], ["总监:王芳", "2026-Q3", "50"]]

SHEETS = ["说明", "关键指标", "赢单率", "阶段停留", "漏斗", "停滞项目", "项目总监考核", "渠道贡献", "目标达成", "商机储备", "商机覆盖",
          "制度执行", "趋势", "投标", "竞争对手", "竞争对手趋势", "丢单分析", "新老客户", "回款与满意度", "项目成员考核"]
RATE = ["赢单", "丢单", "放弃", "已结束（分母）", "赢单率", "区间下限", "区间上限", "赢单金额（万元）", "已结束金额（万元）",
        "金额赢单率", "小样本"]
RATE_KEYS = ["won", "lost", "abandoned", "closed", "win_rate", "win_rate_low", "win_rate_high", "won_amount",
             "closed_amount", "value_win_rate", "small_sample"]
#: sheet -> its columns in order, each with the library column it shows (None: a label the sheet adds)
COLUMNS = {
    "赢单率": list(zip(["层级", "名称", *RATE], [None, None, *RATE_KEYS])),
    "阶段停留": list(zip(["阶段", "已完成停留（分母）", "中位天数", "P75 天数", "P90 天数", "平均天数", "当前在此阶段", "回退次数"],
                     ["stage_zh", "projects", "median_days", "p75_days", "p90_days", "mean_days", "open_now",
                      "regressions"])),
    "漏斗": list(zip(["阶段", "到达项目数（本期新建）", "直接进入", "下一阶段转化率", "累计转化率"],
                   ["stage_zh", "reached", "entered_directly", "next_conversion", "cumulative_conversion"])),
    "停滞项目": list(zip(["项目编号", "项目名称", "项目总监", "项目等级", "当前阶段", "进入日期", "停留天数", "上限天数", "上限来源",
                      "超期天数", "停滞起始日", "已开分析会"],
                     ["project_id", "name", "director", None, None, "entered_at", "days_in_stage", "limit_days", None,
                      "days_over", "stalled_since", "meeting_since_stall"])),
    "项目总监考核": list(zip(["排名", "项目总监", "项目数（本期活跃）", "在途", *RATE[:7], "赢单金额（万元）", "目标金额（万元）",
                        "目标达成率", "结束周期中位天数", "停滞项目", "制度执行率", "审计考核得分", "保守得分", "小样本"],
                       ["rank", "director", "projects", "open", *RATE_KEYS[:7], "won_amount", "target_amount",
                        "attainment", "median_cycle_days", "stalled", "compliance_rate", "score", "score_low",
                        "small_sample"])),
    "渠道贡献": list(zip(["渠道商", "项目数（本期新建）", "赢单", "已结束（分母）", "赢单率", "区间下限", "区间上限", "赢单金额（万元）",
                      "赢单金额占比", "在途金额（万元）", "在途金额占比", "结束周期中位天数", "较直销（同等级）", "差值区间下限",
                      "差值区间上限", "比较依据项目数", "可比", "小样本"],
                     ["channel", "projects", "won", "closed", "win_rate", "win_rate_low", "win_rate_high", "won_amount",
                      "won_share", "open_pipeline_amount", "open_pipeline_share", "median_cycle_days",
                      "vs_direct_same_grade", "vs_direct_low", "vs_direct_high", "vs_direct_projects",
                      "vs_direct_comparable", "small_sample"])),
    "目标达成": list(zip(["层级", "名称", "目标金额（万元）", "赢单金额（万元）", "目标达成率", "已过天数", "期间天数", "预计金额（万元）",
                      "预计达成率", "目标覆盖全期"],
                     [None, None, "target_amount", "won_amount", "attainment", "elapsed_days", "period_days",
                      "projected_amount", "projected_attainment", "target_covered"])),
    "商机储备": list(zip(["阶段", "项目等级", "项目数", "金额（万元）", "赢单概率", "加权金额（万元）"],
                     ["stage_zh", "grade_zh", "projects", "amount", "probability", "weighted_amount"])),
    "商机覆盖": list(zip(["在途项目数", "在途金额（万元）", "加权金额（万元）", "目标金额（万元）", "赢单金额（万元）", "剩余目标（万元）",
                      "覆盖率", "推迟项目数"],
                     ["open_projects", "open_amount", "weighted_amount", "target_amount", "won_amount",
                      "remaining_target", "coverage", "slipped_projects"])),
    "制度执行": list(zip(["项目总监", "项目数", "档案齐全率", "周报覆盖率", "停滞后分析会", "总结报告及时率", "评价报告及时率", "等级不符",
                      "应查项（分母）", "通过项", "制度执行率"],
                     ["director", "projects", "archive_rate", "weekly_coverage", "meeting_rate", "summary_rate",
                      "evaluation_rate", "grade_mismatches", "checks_due", "checks_passed", "compliance_rate"])),
    "趋势": list(zip(["季度", "季度名称", *RATE], [None, None, *RATE_KEYS])),
}


def run(root: Path, *args: str) -> subprocess.CompletedProcess:
    exe = shutil.which("presales", path=str(Path(sys.executable).parent))
    env = {k: v for k, v in os.environ.items() if k != "PRESALES_DB"}
    r = subprocess.run([exe, "export", "xlsx", *args], cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return r


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    con = pa.connect(root / "f.duckdb")
    pa.load(con, [write_csv(root / "商机.csv", [HEADER, *ROWS]), write_csv(root / "目标.csv", TARGETS)])
    con.close()
    # a second database: no channel column, no targets, and a project whose name looks like a formula
    plain = [[*r[:5], *r[6:]] for r in ROWS]
    plain[6][1] = FORMULA                                                     # P7, the stalled project
    con = pa.connect(root / "g.duckdb")
    pa.load(con, [write_csv(root / "plain.csv", [[*HEADER[:5], *HEADER[6:]], *plain])])
    con.close()
    first = run(root, "--db", "f.duckdb")                                     # default period
    run(root, "--db", "f.duckdb", "--period", "2026-Q3", "--redact")
    run(root, "--db", "f.duckdb", "--period", "2026-Q3", "--lang", "en", "--out", "en.xlsx")
    run(root, "--db", "f.duckdb", "--period", "2026-Q3", "--scope", "region:华南")
    run(root, "--db", "g.duckdb", "--period", "2026-Q3", "--out", "plain.xlsx")
    q3 = root / "reports" / "2026-Q3"
    return {"root": root, "stderr": first.stderr, "stdout": first.stdout, "zh": q3 / "workbook.xlsx",
            "redacted": q3 / "workbook-redacted.xlsx", "en": root / "en.xlsx",
            "south": q3 / "workbook-region-华南.xlsx", "plain": root / "plain.xlsx"}


@pytest.fixture(scope="module")
def zh(books):
    return pd.read_excel(books["zh"], sheet_name=None, engine="calamine")


@pytest.fixture(scope="module")
def lib(books):
    con = pa.connect(books["root"] / "f.duckdb", read_only=True)
    yield con
    con.close()


#: headers whose cells hold points: the 0-100 score, a rate difference in percentage points (library value × 100)
POINTS = {"审计考核得分", "保守得分", "较直销（同等级）", "差值区间下限", "差值区间上限"}


def same(got, want, kind: str = "") -> bool:
    """A cell read back against the library's value: amounts ÷ 10,000; NaN as an empty cell; booleans
    as 是/否; numbers to 15 significant digits (what a spreadsheet stores)."""
    if want is None or (not isinstance(want, str) and pd.isna(want)):
        return pd.isna(got)
    if isinstance(want, bool) or type(want).__name__ == "bool_":
        return got == ("是" if want else "否")
    if isinstance(want, pd.Timestamp):
        return pd.Timestamp(got) == want
    if isinstance(want, str):
        return got == want
    want = float(want) / WAN if "万元" in kind else float(want) * 100 if kind in POINTS else float(want)
    return math.isclose(float(got), want, rel_tol=1e-13, abs_tol=1e-15)


def assert_sheet(sheet: pd.DataFrame, expected: pd.DataFrame, name: str) -> None:
    assert len(sheet) == len(expected), name
    for header, key in COLUMNS[name]:
        if key is None:
            continue
        for i, (got, want) in enumerate(zip(sheet[header], expected[key])):
            assert same(got, want, header), (name, header, i, got, want)


def test_the_command_picks_the_latest_complete_quarter_and_names_the_file(books):
    # the latest date in the data is 2026-09-30 (P6 closed): the latest complete quarter is 2026-Q3
    assert "period: 2026-Q3" in books["stderr"]
    assert books["stdout"].strip().endswith("reports/2026-Q3/workbook.xlsx")
    for key in ("zh", "redacted", "south"):
        assert books[key].is_file(), key
    assert not list(books["zh"].parent.glob("*.tmp"))                         # written atomically, no leftovers


def test_sheet_and_column_names(zh):
    assert list(zh) == SHEETS
    for name, columns in COLUMNS.items():
        assert zh[name].columns.tolist() == [h for h, _ in columns], name


def test_win_rate_by_hand_and_as_the_library(zh, lib):
    wr = zh["赢单率"]
    rows = {(r["层级"], r["名称"]): r for r in wr.to_dict("records")}
    assert list(rows) == [("全公司", "全公司"), ("区域", "华东"), ("区域", "华南"),
                          ("项目总监", "张伟"), ("项目总监", "李娜"), ("项目总监", "王芳")]
    # closed in Q3: won P1 P2 P5, lost P3 P6, abandoned P4 -> 3 / 6 = 50%;
    # won 100 + 50 + 40 = 190 万元 of closed 100 + 50 + 30 + 20 + 40 + 60 = 300 万元 (P9 closed 06-30: Q2)
    company = rows[("全公司", "全公司")]
    assert (company["赢单"], company["丢单"], company["放弃"], company["已结束（分母）"]) == (3, 2, 1, 6)
    assert company["赢单率"] == 0.5 and company["赢单金额（万元）"] == 190 and company["已结束金额（万元）"] == 300
    assert math.isclose(company["金额赢单率"], 190 / 300) and company["小样本"] == "是"
    # 华东: P1 P2 won, P3 lost, P4 abandoned -> 2/4, 150 of 200 万元; 华南: P5 won, P6 lost -> 1/2, 40 of 100
    assert (rows[("区域", "华东")]["赢单率"], rows[("区域", "华东")]["金额赢单率"]) == (0.5, 0.75)
    assert (rows[("区域", "华南")]["赢单率"], rows[("区域", "华南")]["金额赢单率"]) == (0.5, 0.4)
    # 张伟 2/2 (P1 P2), 李娜 0/2 (P3 lost, P4 abandoned), 王芳 1/2 (P5 won, P6 lost)
    assert [rows[("项目总监", d)]["赢单率"] for d in ("张伟", "李娜", "王芳")] == [1.0, 0.0, 0.5]
    parts = [compute(lib, "win-rate", "2026-Q3"), compute(lib, "win-rate", "2026-Q3", by="region"),
             compute(lib, "win-rate", "2026-Q3", by="director")]
    assert_sheet(wr, pd.concat(parts, ignore_index=True), "赢单率")


def test_targets_by_hand_and_as_the_library(zh, lib):
    t = zh["目标达成"]
    rows = {(r["层级"], r["名称"]): r for r in t.to_dict("records")}
    # company 400 万元 -> 190 / 400 = 47.5%; 华东 300 -> 150 / 300 = 50%; 华南 has 400 for the year:
    # 100 a quarter -> 40 / 100 = 40%; 张伟 200 -> 150 / 200 = 75%; 王芳 50 -> 40 / 50 = 80%;
    # 李娜 has no target and won nothing in Q3: no row
    assert {k: (r["目标金额（万元）"], r["赢单金额（万元）"], r["目标达成率"]) for k, r in rows.items()} == {
        ("全公司", "全公司"): (400, 190, 0.475), ("区域", "华东"): (300, 150, 0.5), ("区域", "华南"): (100, 40, 0.4),
        ("项目总监", "张伟"): (200, 150, 0.75), ("项目总监", "王芳"): (50, 40, 0.8)}
    # the data runs to 2026-09-30: the whole quarter (92 days) has elapsed, projection = won
    assert set(t["已过天数"]) == {92} and set(t["期间天数"]) == {92}
    parts = [compute(lib, "targets", "2026-Q3", by=b) for b in ("company", "region", "director")]
    assert_sheet(t, pd.concat(parts, ignore_index=True), "目标达成")


def test_every_other_sheet_equals_the_library(zh, lib):
    def q3(name, **options):
        return compute(lib, name, "2026-Q3", **options)

    assert_sheet(zh["阶段停留"], q3("stage-durations"), "阶段停留")
    assert_sheet(zh["漏斗"], q3("funnel"), "漏斗")
    assert_sheet(zh["停滞项目"], q3("stalled"), "停滞项目")
    assert_sheet(zh["项目总监考核"], q3("directors"), "项目总监考核")
    assert_sheet(zh["渠道贡献"], q3("channels"), "渠道贡献")
    assert_sheet(zh["商机储备"], q3("pipeline"), "商机储备")
    assert_sheet(zh["商机覆盖"], pipeline_summary(lib, "2026-Q3"), "商机覆盖")
    assert_sheet(zh["制度执行"], q3("compliance", level="director"), "制度执行")
    trend = pd.concat([compute(lib, "win-rate", q) for q in
                       ("2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3")],
                      ignore_index=True)
    assert_sheet(zh["趋势"], trend, "趋势")


def test_hand_worked_stages_stalls_pipeline_and_trend(zh):
    st = zh["阶段停留"].set_index("阶段")
    # bidding stays, entered on creation, left on closing: P2 03-01..08-20 172 d, P3 02-01..09-10 221 d,
    # P6 04-01..09-30 182 d -> median 182, mean 575 / 3
    assert st.loc["投标", "已完成停留（分母）"] == 3 and st.loc["投标", "中位天数"] == 182
    assert math.isclose(st.loc["投标", "平均天数"], 575 / 3)
    # initiated: P4 05-01..09-20 = 142 d finished; P7 still there (open_now 1)
    assert (st.loc["立项", "中位天数"], st.loc["立项", "当前在此阶段"]) == (142, 1)
    stalled = zh["停滞项目"]
    # P7 in 立项 since 04-20: 163 d on 09-30 > the stage's p75 of finished stays (P4's 142 d): 21 d over
    assert stalled[["项目编号", "项目名称", "停留天数", "上限天数", "超期天数", "上限来源", "已开分析会"]].values.tolist() == [
        ["P7", "嘉兴停车", 163, 142, 21, "P75", "否"]]
    assert stalled["停滞起始日"].tolist() == [pd.Timestamp("2026-09-09")]      # 04-20 + 142 d
    cover = zh["商机覆盖"].iloc[0]
    # open on 09-30: P7 20 万元 in 立项 × 0.20, P8 80 in 方案设计 × 0.35, P10 10 in 线索 × 0.05 = 4 + 28 + 0.5
    assert (cover["在途项目数"], cover["在途金额（万元）"]) == (3, 110)
    assert math.isclose(cover["加权金额（万元）"], 32.5)
    # remaining target 400 - 190 = 210 万元; coverage 32.5 / 210
    assert cover["剩余目标（万元）"] == 210 and math.isclose(cover["覆盖率"], 32.5 / 210)
    trend = zh["趋势"].set_index("季度")
    assert trend.index.tolist()[0] == "2024-Q4" and trend.loc["2026-Q3", "季度名称"] == "2026年第3季度"
    # Q2: P9 won 1/1; Q1 closed nothing: an empty rate, not 0
    assert (trend.loc["2026-Q2", "赢单率"], trend.loc["2026-Q2", "已结束（分母）"]) == (1.0, 1)
    assert pd.isna(trend.loc["2026-Q1", "赢单率"]) and trend.loc["2026-Q1", "已结束（分母）"] == 0


def test_cells_are_typed_numbers_dates_and_empty_cells(books):
    wb = openpyxl.load_workbook(books["zh"])
    ws = wb["赢单率"]
    head = [c.value for c in ws[1]]
    company = {h: c for h, c in zip(head, ws[2])}
    assert company["赢单"].data_type == "n" and company["赢单"].number_format == "#,##0"
    assert company["赢单率"].value == 0.5 and company["赢单率"].number_format == "0.0%"
    assert company["赢单金额（万元）"].value == 190 and company["赢单金额（万元）"].number_format == "#,##0.00"
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == f"A1:M{ws.max_row}"
    assert all(ws.column_dimensions[letter].width >= 8 for letter in "ABCDEFGHIJKLM")
    board = wb["项目总监考核"]
    head = [c.value for c in board[1]]
    li = next(r for r in board.iter_rows(min_row=2) if r[1].value == "李娜")
    assert li[head.index("目标金额（万元）")].value is None                 # no target: an empty cell, not 0 or "nan"
    assert li[head.index("目标达成率")].value is None
    stalled = wb["停滞项目"]
    entered = stalled.cell(row=2, column=6)
    assert entered.is_date and entered.value.date().isoformat() == "2026-04-20"
    assert entered.number_format == "yyyy-mm-dd"


def test_no_number_is_stored_as_text(zh):
    text = {"层级", "名称", "项目编号", "项目名称", "项目总监", "项目等级", "当前阶段", "上限来源", "已开分析会", "小样本", "渠道商",
            "阶段", "季度", "季度名称", "目标覆盖全期", "可比"}
    for name in COLUMNS:
        for header in zh[name].columns:
            kind = zh[name][header].dtype.kind
            if zh[name][header].isna().all():                               # e.g. no grade in the fixture
                continue
            if header in text:
                assert kind in "OT" or str(zh[name][header].dtype) == "str", (name, header)
            elif header in ("进入日期", "停滞起始日"):
                assert kind == "M", (name, header)
            else:
                assert kind in "iuf", (name, header, zh[name][header].dtype)


def test_about_sheet_states_parameters_and_every_denominator(books, lib):
    ws = openpyxl.load_workbook(books["zh"])["说明"]
    cells = {r[0]: r[1] for r in ws.iter_rows(values_only=True) if r[0]}
    assert cells["期间"] == "2026-Q3" and cells["期间名称"] == "2026年第3季度" and cells["范围"] == "全公司"
    assert cells["开始日期"].date().isoformat() == "2026-07-01" and cells["结束日期（含）"].date().isoformat() == "2026-09-30"
    assert cells["数据日期"].date().isoformat() == "2026-09-30" and cells["数据库"].endswith("f.duckdb")
    assert cells["工具版本"] == pa.__version__ and cells["脱敏"] == "否" and cells["生成时间"]
    rows = {r[0]: r for r in ws.iter_rows(values_only=True) if r[0] in SHEETS}
    assert list(rows) == SHEETS[1:]
    expected = {"赢单率": compute(lib, "win-rate", "2026-Q3"), "阶段停留": compute(lib, "stage-durations", "2026-Q3"),
                "漏斗": compute(lib, "funnel", "2026-Q3"), "停滞项目": compute(lib, "stalled", "2026-Q3"),
                "项目总监考核": compute(lib, "directors", "2026-Q3"), "渠道贡献": compute(lib, "channels", "2026-Q3"),
                "目标达成": compute(lib, "targets", "2026-Q3"), "商机储备": compute(lib, "pipeline", "2026-Q3"),
                "商机覆盖": pipeline_summary(lib, "2026-Q3"),
                "制度执行": compute(lib, "compliance", "2026-Q3", level="director")}
    for name, df in expected.items():
        assert rows[name][3] == df.attrs["denominator"], name
        if name not in ("赢单率", "目标达成"):                                   # company, regions, directors
            assert rows[name][4] == len(df), name                            # 行数
        assert rows[name][2], name                                           # a definition
    assert (rows["赢单率"][4], rows["目标达成"][4], rows["趋势"][4]) == (6, 5, 8)
    assert rows["趋势"][3] == "closed = won + lost + abandoned, projects closed in each quarter"
    assert "在途项目 3 个" in rows["停滞项目"][5]                              # P7, P8, P10 open on 09-30


def test_redact_leaves_no_project_or_customer_name_in_any_cell(books):
    wb = openpyxl.load_workbook(books["redacted"])
    text = [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    for row in ROWS:
        for name in (row[1], row[2]):
            assert not any(name in t for t in text), name
    stalled = pd.read_excel(books["redacted"], sheet_name="停滞项目", engine="calamine")
    assert stalled["项目名称"].tolist() == ["项目-001"]
    assert stalled["项目编号"].tolist() == ["P7"]                               # ids and numbers unchanged
    assert {r[0]: r[1] for r in wb["说明"].iter_rows(values_only=True) if r[0]}["脱敏"] == "是"


def test_a_formula_looking_name_is_stored_as_text_and_missing_inputs_are_stated(books):
    path = books["plain"]
    wb = openpyxl.load_workbook(path)
    cell = wb["停滞项目"]["B2"]
    assert cell.value == FORMULA and cell.data_type == "s" and cell.quotePrefix
    with zipfile.ZipFile(path) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
        assert not any("<f>" in z.read(n).decode() or "<f " in z.read(n).decode() for n in sheets)
    assert pd.read_excel(path, sheet_name="停滞项目", engine="calamine")["项目名称"].tolist() == [FORMULA]
    # no channel column loaded: the sheet says so; no targets loaded: no sheet, and a note on 说明
    assert wb["渠道贡献"]["A1"].value.startswith("未载入渠道列") and "channel" in wb["渠道贡献"]["A1"].value
    assert "目标达成" not in wb.sheetnames
    note = next(r for r in wb["说明"].iter_rows(values_only=True) if r[0] == "目标达成")
    assert note[4] is None and note[5].startswith("未载入业绩目标")
    # the scorecard still computes, without targets (empty cells)
    board = pd.read_excel(path, sheet_name="项目总监考核", engine="calamine")
    assert len(board) == 3 and board["目标金额（万元）"].isna().all() and board["目标达成率"].isna().all()


def test_english_sheet_and_column_names_same_numbers(books, zh):
    en = pd.read_excel(books["en"], sheet_name=None, engine="calamine")
    assert list(en) == ["About", "Headline", "Win rate", "Stage durations", "Funnel", "Stalled projects", "Director scorecard",
                        "Channels", "Targets", "Pipeline", "Pipeline coverage", "Compliance", "Trend", "Bids", "Competitors", "Competitor trend",
                        "Losses", "Customers", "Collection", "Members"]
    wr = en["Win rate"]
    assert wr.columns.tolist()[:4] == ["Level", "Name", "Won", "Lost"] and "Won amount (RMB 10k)" in wr.columns
    assert wr.iloc[0]["Level"] == "Company" and wr.iloc[0]["Win rate"] == 0.5
    assert wr["Won amount (RMB 10k)"].tolist() == zh["赢单率"]["赢单金额（万元）"].tolist()
    assert en["Stage durations"]["Stage"].tolist()[:2] == ["Lead", "Qualified"]


def test_scope_narrows_every_sheet(books, lib):
    south = pd.read_excel(books["south"], sheet_name=None, engine="calamine")
    wr = south["赢单率"]
    # 华南 only: P5 won, P6 lost -> 1/2; its directors: 王芳
    assert wr.iloc[0][["名称", "赢单", "已结束（分母）", "赢单率"]].tolist() == ["全公司", 1, 2, 0.5]
    assert wr["名称"].tolist() == ["全公司", "华南", "王芳"]
    # the region's own target (400 a year, 100 this quarter) is the scope's company target: 40 / 100
    assert south["目标达成"].iloc[0][["目标金额（万元）", "目标达成率"]].tolist() == [100, 0.4]
    about = {r[0]: r[1] for r in openpyxl.load_workbook(books["south"])["说明"].iter_rows(values_only=True) if r[0]}
    assert about["范围"] == "区域：华南"


def test_write_workbook_on_an_open_connection_leaves_it_whole(books, tmp_path):
    from presales_analytics.exporting import write_workbook

    con = pa.connect(books["root"] / "f.duckdb", read_only=True)
    try:
        out = write_workbook(con, "2026-Q3", tmp_path / "x" / "w.xlsx", scope="region:华南", redact=True)
        assert out == tmp_path / "x" / "w.xlsx" and out.is_file()
        # the scope was applied on a cursor: the caller's connection still sees all 10 projects
        assert con.execute("SELECT count(*) FROM projects").fetchone()[0] == 10
    finally:
        con.close()
    assert list((tmp_path / "x").iterdir()) == [out]
    assert pd.read_excel(out, sheet_name="赢单率", engine="calamine")["名称"].tolist() == ["全公司", "华南", "王芳"]


def test_a_metric_the_data_cannot_support_says_why_on_its_sheet(tmp_path):
    from presales_analytics.exporting import write_workbook

    con = pa.connect(tmp_path / "n.duckdb")        # no director column: the scorecard and compliance cannot run
    pa.load(con, [write_csv(tmp_path / "p.csv", [[h for h in HEADER if h != "项目总监"],
                                                  *[[v for h, v in zip(HEADER, r) if h != "项目总监"] for r in ROWS]])])
    out = write_workbook(con, "2026-Q3", tmp_path / "n.xlsx")
    con.close()
    wb = openpyxl.load_workbook(out)
    assert wb["项目总监考核"]["A1"].value.startswith("无法计算：directors needs the column 'director'")
    assert wb["赢单率"]["A1"].value == "层级" and wb["赢单率"].max_row == 1 + 1 + 2   # company, 2 regions, no directors
    note = next(r for r in wb["说明"].iter_rows(values_only=True) if r[0] == "项目总监考核")
    assert note[4] is None and note[5].startswith("无法计算")
