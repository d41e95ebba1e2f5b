"""The demo generator: deterministic, realistic, and self-consistent exports.

One full-size world (3000 projects) is generated per module and read back with openpyxl/csv.
"""

from __future__ import annotations

import csv
import hashlib
import re
import time
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from presales_analytics.demo import (
    DEMO_BAD_ROWS, DOC_TYPES, PROJECT_HEADERS, DemoFiles, demo_summary, generate_demo,
    history_start, latest_complete_quarter,
)

EXPORT = date(2026, 11, 27)
N = 3000
TERMINAL = {"赢单": "赢单", "合同签订": "赢单", "丢单": "丢单", "放弃": "放弃"}
STAGES = ("线索", "需求确认", "立项", "方案设计", "投标", "谈判")
BAD_IDS = {b.project_id for b in DEMO_BAD_ROWS}
START = history_start(EXPORT)  # 2024-07-01
TARGET_YEARS = EXPORT.year - (START.year + (START.month != 1)) + 1  # 2025 and 2026


def _sha(files: DemoFiles) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files.all()}


def _csv(path: Path, encoding: str) -> list[list[str]]:
    with open(path, encoding=encoding, newline="") as f:
        return list(csv.reader(f))


def _parse_text_date(s: str) -> date:
    """The three text spellings the generator writes."""
    m = re.fullmatch(r"(\d{4})/(\d{1,2})/(\d{1,2})", s) or re.fullmatch(r"(\d{4})年(\d{1,2})月(\d{1,2})日", s) \
        or re.fullmatch(r"(\d{4})-(\d{2})-(\d{2}) \d{2}:\d{2}:\d{2}", s)
    assert m, f"unexpected date spelling {s!r}"
    return date(*map(int, m.groups()))


def _cell_date(v) -> date | None:
    if v is None:
        return None
    if isinstance(v, datetime):
        assert v.time() == datetime.min.time()
        return v.date()
    return _parse_text_date(v)


def _amount(v) -> float:
    return float(v.replace(",", "")) if isinstance(v, str) else float(v)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[DemoFiles, float]:
    t0 = time.perf_counter()
    files = generate_demo(tmp_path_factory.mktemp("demo_a"), export_date=EXPORT, n_projects=N)
    return files, time.perf_counter() - t0


@pytest.fixture(scope="module")
def files(demo) -> DemoFiles:
    return demo[0]


@pytest.fixture(scope="module")
def ledger(files) -> list[dict]:
    wb = load_workbook(files.projects, read_only=True)
    assert wb.sheetnames == ["商机"]
    rows = list(wb["商机"].iter_rows(values_only=True))
    wb.close()
    assert rows[0] == PROJECT_HEADERS
    return [dict(zip(PROJECT_HEADERS, tuple(r) + (None,) * (len(PROJECT_HEADERS) - len(r)))) for r in rows[1:]]


@pytest.fixture(scope="module")
def good(ledger) -> list[dict]:
    return [r for r in ledger if r["项目编号"].strip() not in BAD_IDS]


@pytest.fixture(scope="module")
def history(files) -> dict[str, list[tuple[str, date]]]:
    rows = _csv(files.stage_history, "gbk")
    assert rows[0] == ["项目编号", "阶段", "进入日期"]
    out: dict[str, list[tuple[str, date]]] = defaultdict(list)
    for pid, stage, d in rows[1:]:
        assert re.fullmatch(r"\d{4}/[1-9]\d?/[1-9]\d?", d), d  # no zero padding
        out[pid].append((stage, date(*map(int, d.split("/")))))
    return out


# --- determinism and speed -------------------------------------------------------------------

def test_same_arguments_give_identical_bytes_and_is_fast(demo, tmp_path):
    files, seconds = demo
    print(f"\ngenerate_demo({N} projects): {seconds:.2f} s")
    assert seconds < 10  # about 1.5 s on a laptop; generous for loaded CI machines
    again = generate_demo(tmp_path, export_date=EXPORT, n_projects=N)
    assert _sha(again) == _sha(files)
    assert [p.name for p in files.all()] == ["商机台账.xlsx", "阶段变更记录.csv", "项目活动.csv",
                                             "项目档案.csv", "业绩目标.csv"]
    assert not list(tmp_path.glob("*.tmp"))


def test_a_different_seed_gives_different_files(tmp_path):
    a = _sha(generate_demo(tmp_path / "a", seed=7, export_date=EXPORT, n_projects=300))
    b = _sha(generate_demo(tmp_path / "b", seed=8, export_date=EXPORT, n_projects=300))
    assert all(a[name] != b[name] for name in a)


def test_n_projects_out_of_range_is_refused(tmp_path):
    with pytest.raises(ValueError, match="n_projects"):
        generate_demo(tmp_path, export_date=EXPORT, n_projects=10)


# --- the calendar ----------------------------------------------------------------------------

def test_history_window():
    assert latest_complete_quarter(date(2026, 11, 27)) == (date(2026, 7, 1), date(2026, 9, 30))
    assert latest_complete_quarter(date(2026, 9, 30)) == (date(2026, 7, 1), date(2026, 9, 30))
    assert latest_complete_quarter(date(2026, 1, 5)) == (date(2025, 10, 1), date(2025, 12, 31))
    assert history_start(date(2026, 11, 27)) == date(2024, 7, 1)
    assert history_start(date(2026, 1, 5)) == date(2023, 10, 1)


def test_history_spans_two_full_years_to_the_latest_complete_quarter(history):
    dates = [d for events in history.values() for _, d in events]
    q_start, q_end = latest_complete_quarter(EXPORT)
    assert min(dates) >= START and max(dates) <= EXPORT
    assert min(dates) <= START + timedelta(days=9)
    assert q_end - min(dates) >= timedelta(days=2 * 365)
    assert sum(q_start <= d <= q_end for d in dates) > 1000  # the latest complete quarter is busy
    assert any(d > q_end for d in dates) == (EXPORT > q_end)  # the current quarter is partial


# --- sizes and the cast ----------------------------------------------------------------------

def test_sizes_and_cast(ledger, good):
    assert len(ledger) == N + 3
    assert abs(len(good) - N) <= 0.05 * N
    strip = lambda col: {str(r[col]).strip() for r in good if r[col] is not None}  # noqa: E731
    assert len(strip("项目总监")) >= 15
    assert len(strip("渠道商")) >= 8
    assert strip("区域") == {"华东", "华南", "华北", "西南", "华中", "西北"}
    assert strip("系统部") == {"政府系统部", "企业系统部"}
    assert 25 <= len(strip("项目经理")) and len(strip("监控人")) == 8
    assert 350 <= len(strip("客户名称")) <= 450
    assert all(2 <= len(n) <= 3 for n in strip("项目总监"))
    direct = sum(r["渠道商"] is None for r in good) / len(good)
    assert 0.35 <= direct <= 0.45
    assert len({r["项目编号"].strip() for r in ledger}) == len(ledger)
    assert all(re.fullmatch(r"SQ-20\d\d-\d{4}", r["项目编号"].strip()) for r in ledger)


def test_amounts_and_grades(good):
    amounts = [_amount(r["预计金额（万元）"]) for r in good]
    amounts.sort()
    assert 200 <= amounts[len(amounts) // 2] <= 400  # median about 300万
    assert sum(a > 5000 for a in amounts) >= 5
    assert sum(a > 2000 for a in amounts) >= 30
    assert all(a == round(a, 2) and a > 0 for a in amounts)
    rank = {"公司级": 0, "系统部级": 1, "办事处重点": 2, "渠道项目": 3}
    assert {r["项目等级"] for r in good} == set(rank)
    inconsistent = 0
    for r in good:
        a = _amount(r["预计金额（万元）"])
        implied = 0 if a > 5000 else 1 if a > 2000 else None
        if implied is not None and rank[r["项目等级"]] > implied:
            inconsistent += 1
    big = sum(a > 2000 for a in amounts)
    assert 5 <= inconsistent <= 0.4 * big  # audit findings exist, most big deals are graded right
    channel = [r["项目等级"] for r in good if r["渠道商"] is not None and _amount(r["预计金额（万元）"]) <= 2000]
    assert all(g in ("渠道项目", "办事处重点") for g in channel)


def test_status_mix(good):
    status = Counter(r["状态"] for r in good)
    assert set(status) == {"进行中", "赢单", "丢单", "放弃"}
    assert 0.15 <= status["进行中"] / len(good) <= 0.25
    for r in good:
        if r["状态"] == "丢单":
            continue
        assert r["丢单原因"] is None
        if r["状态"] != "赢单":
            assert r["回款金额（万元）"] is None
    won = [r for r in good if r["状态"] == "赢单"]
    assert all(0 <= r["回款金额（万元）"] <= _amount(r["预计金额（万元）"]) + 1e-9 for r in won)
    assert 0.75 <= sum(r["客户满意度"] is not None for r in won) / len(won) < 1
    assert {r["客户满意度"] for r in good} <= {None, 1, 2, 3, 4, 5}


# --- encodings -------------------------------------------------------------------------------

def test_encodings(files):
    raw = files.stage_history.read_bytes()
    assert raw.decode("gbk").startswith("项目编号,阶段,进入日期\r\n")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert files.activities.read_bytes().startswith(b"\xef\xbb\xbf" + "项目编号".encode())
    assert files.documents.read_bytes().startswith("项目编号".encode())
    assert files.targets.read_bytes().startswith("目标范围".encode())


# --- the stage history agrees with the ledger ------------------------------------------------

def test_history_agrees_with_ledger(good, history):
    assert set(history) == {r["项目编号"].strip() for r in good}
    date_cells = 0
    for r in good:
        events = history[r["项目编号"].strip()]
        assert all(a[1] < b[1] for a, b in zip(events, events[1:])), events  # strictly chronological
        nonterminal = [e for e in events if e[0] in STAGES]
        terminal = [e for e in events if e[0] in TERMINAL]
        assert len(nonterminal) + len(terminal) == len(events)
        assert r["项目阶段"] == nonterminal[-1][0]
        if isinstance(r["创建日期"], datetime):
            date_cells += 1
            assert r["创建日期"].date() == events[0][1]
        assert _cell_date(r["创建日期"]) == events[0][1]  # the text spellings mean the same day
        initiated = next((d for s, d in events if s == "立项"), None)
        assert _cell_date(r["立项日期"]) == initiated
        if r["状态"] == "进行中":
            assert not terminal and r["结束日期"] is None
        else:
            assert len(terminal) == 1 and events[-1] is terminal[0]
            assert TERMINAL[terminal[0][0]] == r["状态"]
            assert _cell_date(r["结束日期"]) == terminal[0][1]
    assert date_cells > 0.8 * len(good)


def test_history_rows_are_interleaved_by_date(files):
    rows = _csv(files.stage_history, "gbk")[1:]
    dates = [date(*map(int, d.split("/"))) for _, _, d in rows]
    assert dates == sorted(dates)
    assert sum(a[0] != b[0] for a, b in zip(rows, rows[1:])) > 0.5 * len(rows)


def test_paths_skip_move_back_and_stall(history):
    skip = back = stall = 0
    for events in history.values():
        idx = [STAGES.index(s) for s, _ in events if s in STAGES]
        skip += idx[0] > 0 or any(b - a > 1 for a, b in zip(idx, idx[1:]))
        back += any(b < a for a, b in zip(idx, idx[1:]))
        stall += any((b[1] - a[1]).days > 120 for a, b in zip(events, events[1:]))
    n = len(history)
    assert 0.10 <= skip / n <= 0.20
    assert 0.06 <= back / n <= 0.14
    assert stall / n >= 0.05
    exits = Counter()
    for events in history.values():
        if events[-1][0] in TERMINAL:
            exits[(TERMINAL[events[-1][0]], events[-2][0])] += 1
    lost = sum(v for (s, _), v in exits.items() if s == "丢单")
    assert (exits[("丢单", "投标")] + exits[("丢单", "谈判")]) / lost > 0.7  # losses mostly after 投标
    abandoned = sum(v for (s, _), v in exits.items() if s == "放弃")
    early = sum(exits[("放弃", s)] for s in ("线索", "需求确认", "立项"))
    assert early / abandoned > 0.6  # abandonment mostly early


# --- people really differ --------------------------------------------------------------------

def test_director_skill_differs(good):
    by = defaultdict(Counter)
    for r in good:
        if r["状态"] != "进行中":
            by[r["项目总监"].strip()][r["状态"]] += 1
    rates = {d: c["赢单"] / sum(c.values()) for d, c in by.items()}
    assert all(sum(c.values()) >= 40 for c in by.values())
    assert max(rates.values()) >= 2 * min(rates.values())


def test_partner_win_rates_differ(good):
    by = defaultdict(Counter)
    for r in good:
        if r["状态"] != "进行中":
            by[r["渠道商"] or ""][r["状态"]] += 1
    rates = {p: c["赢单"] / sum(c.values()) for p, c in by.items() if sum(c.values()) >= 40}
    assert len(rates) >= 8
    assert max(rates.values()) >= 1.8 * min(rates.values())


def test_weekly_report_coverage_differs_by_director(files, good, history):
    weekly = Counter(pid for pid, kind, _ in _csv(files.activities, "utf-8-sig")[1:] if kind == "项目周报")
    due, done = Counter(), Counter()
    for r in good:
        pid = r["项目编号"].strip()
        init = next((d for s, d in history[pid] if s == "立项"), None)
        if init is None:
            continue
        end = history[pid][-1][1] if r["状态"] != "进行中" else EXPORT
        director = r["项目总监"].strip()
        due[director] += (end - init).days // 7
        done[director] += weekly[pid]
    coverage = {d: done[d] / due[d] for d in due}
    assert max(coverage.values()) > 0.9 and min(coverage.values()) < 0.6


# --- activities, documents, targets ----------------------------------------------------------

def test_activities_and_documents(files, good):
    created = {r["项目编号"].strip(): _cell_date(r["创建日期"]) for r in good}
    acts = _csv(files.activities, "utf-8-sig")
    assert acts[0] == ["项目编号", "活动类型", "日期"]
    kinds = Counter(k for _, k, _ in acts[1:])
    assert set(kinds) == {"项目周报", "项目分析会", "客户拜访", "方案评审", "总结报告", "评价报告"}
    docs = _csv(files.documents, "utf-8")
    assert docs[0] == ["项目编号", "文档类型", "归档日期"]
    assert {k for _, k, _ in docs[1:]} == set(DOC_TYPES) and len(DOC_TYPES) == 18
    for pid, _, d in acts[1:] + docs[1:]:
        assert created[pid] <= date.fromisoformat(d) <= EXPORT
    contracts = {pid for pid, k, _ in docs[1:] if k == "合同"}
    won = {r["项目编号"].strip() for r in good if r["状态"] == "赢单"}
    assert contracts <= won and len(contracts) > 0.6 * len(won)


def test_targets(files):
    rows = _csv(files.targets, "utf-8")
    assert rows[0] == ["目标范围", "期间", "目标金额（万元）"]
    scopes = Counter()
    for scope, period, amount in rows[1:]:
        assert re.fullmatch(r"公司|区域[:：](华东|华南|华北|西南|华中|西北)|总监[:：]\S{2,3}", scope), scope
        assert re.fullmatch(r"20\d\d(-Q[1-4])?", period), period
        assert (scope == "公司") == ("-" not in period)
        assert float(amount) > 0
        scopes[re.split("[:：]", scope)[0]] += 1
    # every quarter and year of 2025 and 2026 (the first full year of history to the export's year)
    assert scopes == {"公司": TARGET_YEARS, "区域": 6 * 4 * TARGET_YEARS, "总监": 15 * 4 * TARGET_YEARS}
    assert any("：" in s for s, _, _ in rows[1:]) and any(":" in s for s, _, _ in rows[1:])


# --- the mess and the bad rows ---------------------------------------------------------------

def test_messy_cells(ledger, good):
    text_dates = [r[c] for r in good for c in ("创建日期", "立项日期", "预计签约日期", "结束日期")
                  if isinstance(r[c], str)]
    all_dates = [r[c] for r in good for c in ("创建日期", "立项日期", "预计签约日期", "结束日期")
                 if r[c] is not None]
    assert 0.05 <= len(text_dates) / len(all_dates) <= 0.15
    assert any("/" in s for s in text_dates) and any("年" in s for s in text_dates)
    assert any(":" in s for s in text_dates)
    text_amounts = [r["预计金额（万元）"] for r in good if isinstance(r["预计金额（万元）"], str)]
    assert any("," in s for s in text_amounts) and len(text_amounts) < 0.1 * len(good)
    padded = [v for r in ledger for v in r.values() if isinstance(v, str) and v != v.strip()]
    assert 5 <= len(padded) <= 40 and any("\u3000" in v for v in padded)
    names = [r["项目名称"] for r in good]
    assert any("&" in n for n in names) and any("<一期>" in n for n in names)


def test_bad_rows_as_documented(files, ledger):
    assert len(DEMO_BAD_ROWS) == 3
    by_id = {r["项目编号"]: r for r in ledger}
    for bad in DEMO_BAD_ROWS:
        assert bad.file == files.projects.name
        assert by_id[bad.project_id][bad.column] == bad.value
    assert [b.value for b in DEMO_BAD_ROWS] == ["待定", "2025-13-45", "暂停"]
    # the bad projects have no rows elsewhere, so rejecting them orphans nothing
    for path, enc in ((files.stage_history, "gbk"), (files.activities, "utf-8-sig"),
                      (files.documents, "utf-8")):
        assert not BAD_IDS & {row[0] for row in _csv(path, enc)[1:]}


def test_summary_counts_rows(files, ledger):
    s = demo_summary(files)
    assert s["projects"] == len(ledger) == N + 3
    assert s["stage_history"] == len(_csv(files.stage_history, "gbk")) - 1
    assert s["activities"] == len(_csv(files.activities, "utf-8-sig")) - 1
    assert s["documents"] == len(_csv(files.documents, "utf-8")) - 1
    assert s["targets"] == TARGET_YEARS * (1 + 6 * 4 + 15 * 4)
    assert s["bad_rows"] == 3 and s["status"]["暂停"] == 1
    assert sum(s["status"].values()) == N + 3
    assert s["directors"] == 15 and s["channels"] == 8
    assert s["first_created"] >= START.isoformat() and s["last_event"] <= EXPORT.isoformat()
