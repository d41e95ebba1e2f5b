"""A bounded, derandomized fuzz of CSV and JSON ingest (issue 10, Build item 8): exports built from
real headers and hostile cell text (separators, quotes, line breaks, control characters, numbers in
every spelling, full-width forms, huge and tiny exponents). Whatever the text, a load either is
refused as unusable input (an InputError, nothing written) or loads with
rows read = loaded + flagged + rejected + collapsed, every rejected row in ``rejects`` and every
stored row counted. Never another exception. About 30 s in all (80 derandomized examples each)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import presales_analytics as pa
from presales_analytics.ingest.load import load

HEADERS = {
    "projects": ["项目编号", "阶段", "状态", "金额", "金额（万元）", "回款金额", "创建日期", "结束日期", "立项日期",
                 "客户满意度", "项目名称", "渠道商", "项目等级", "Close Date"],
    "stage_events": ["项目编号", "阶段", "进入日期"],
    "activities": ["项目编号", "活动类型", "日期"],
}
REQUIRED = {"projects": ["项目编号", "阶段"], "stage_events": ["项目编号", "阶段", "进入日期"],
            "activities": ["项目编号", "活动类型"]}

PIECES = ["P1", "P2", "P3", "投标", "赢单", "丢单", "进行中", "暂停", "项目周报", "公司级", "直销", "2026-01-05",
          "2026/2/30", "05/09/2026", "0001-01-01", "9999-12-31", "46000", "1,234.56", "12,5", "1.234,56",
          "1e-400", "1e400", "-5", "¥1,2,3", "12.5万", "２０２６年３月１日", "200%", "NaN", "", " ", ",", ";", '"',
          "\n", "\r\n", "\x1b[31m", "\u202e", "\x00", "\t", "'); DROP TABLE projects; --", "<b>x</b>", "\ufeff"]

cell = st.one_of(st.sampled_from(PIECES),
                 st.lists(st.sampled_from(PIECES), min_size=1, max_size=3).map("".join),
                 st.text(max_size=12))


@st.composite
def export(draw):
    table = draw(st.sampled_from(sorted(HEADERS)))
    extra = draw(st.lists(st.sampled_from(HEADERS[table]), unique=True, max_size=4))
    header = list(dict.fromkeys(REQUIRED[table] + extra))
    rows = draw(st.lists(st.lists(cell, min_size=len(header), max_size=len(header)), max_size=6))
    return table, header, rows


def _check(con, report) -> None:
    for f in report.files:
        assert f.rows_read == f.rows_loaded + f.rows_flagged + f.rows_rejected + f.rows_collapsed, f
        logged = con.execute("SELECT rows_read, rows_loaded, rows_flagged, rows_rejected, rows_collapsed "
                             "FROM load_log WHERE load_id = $i", {"i": f.load_id}).fetchall()
        assert logged == [(f.rows_read, f.rows_loaded, f.rows_flagged, f.rows_rejected, f.rows_collapsed)]
        assert con.execute('SELECT count(DISTINCT "row") FROM rejects WHERE load_id = $i',
                           {"i": f.load_id}).fetchall()[0][0] == f.rows_rejected


def _load_checked(con, path: Path) -> None:
    before = con.execute("SELECT count(*) FROM load_log").fetchall()
    try:
        report = load(con, [path])
    except pa.InputError as e:  # unusable input: said so, with the file, nothing written
        assert str(path) in str(e) or "--" in str(e)
        assert "\x1b" not in str(e)
        assert con.execute("SELECT count(*) FROM load_log").fetchall() == before
        return
    _check(con, report)


FUZZ = settings(max_examples=80, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@FUZZ
@given(export(), st.sampled_from([",", ";", "\t"]))
def test_fuzzed_csv_loads_or_is_refused_and_the_counts_add_up(tmp_path_factory, case, delimiter):
    table, header, rows = case
    folder = tmp_path_factory.mktemp("fuzz_csv")
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\n").writerows([header, *rows])
    path = folder / f"{table}.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    con = pa.connect(":memory:")
    try:
        con.execute("INSERT INTO projects (project_id, status, as_of, as_of_declared, load_id) "
                    "VALUES ('P1', 'open', DATE '2026-01-01', false, 0)")
        _load_checked(con, path)
    finally:
        con.close()


@FUZZ
@given(export(), st.booleans(), st.integers(min_value=0, max_value=40))
def test_fuzzed_json_loads_or_is_refused_and_the_counts_add_up(tmp_path_factory, case, lines, cut):
    table, header, rows = case
    records = [dict(zip(header, r)) for r in rows] or [{h: "" for h in header}]
    text = ("\n".join(json.dumps(r, ensure_ascii=False) for r in records) if lines
            else json.dumps(records, ensure_ascii=False, indent=1))
    if cut:  # an export cut short somewhere near its end
        text = text[:max(1, len(text) - cut)]
    folder = tmp_path_factory.mktemp("fuzz_json")
    path = folder / (f"{table}.jsonl" if lines else f"{table}.json")
    path.write_text(text, encoding="utf-8")
    con = pa.connect(":memory:")
    try:
        _load_checked(con, path)
    finally:
        con.close()
