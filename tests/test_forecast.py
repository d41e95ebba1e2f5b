"""The forecast (issue 13): training rows as of cutoffs, the models, validation, the metric and the CLI.

Hand-typed projects (yuan; 张伟 and 李娜 direct, 王芳 through 城泊网络):

C  张伟 won  2026-01-10  created 2025-11-01  线索 11-01, 赢单 01-10            amount 50
B  张伟 lost 2026-01-20  created 2025-12-01  线索 12-01, 丢单 01-20            amount 30
A  张伟 won  2026-03-15  created 2026-01-01  线索 01-01, 投标 02-01, 赢单 03-15 amount 100, 公司级
D  李娜 open             created 2026-01-15  线索 01-15, 方案设计 02-10        amount 40, rival 智泊科技
E  王芳 lost 2026-05-01  created 2026-02-01  线索 02-01, 丢单 05-01            amount 20, channel 城泊网络

Cutoff 2026-02-15, horizon 60 days (to 04-16), labels as known on 2026-06-30:
  open then: A (投标 since 02-01: 14 days; age 45; won 03-15 within the horizon), D (方案设计 since 02-10:
  5 days; age 31; not won), E (线索 since 02-01: 14 days; age 14; lost). Closed before the cutoff: C won,
  B lost, both 张伟's and direct: 张伟's win rate 1/2 on 2, direct's 1/2 on 2; 李娜 has none, 城泊网络 none.
Cutoff 2026-01-15: open A (线索, 14 days, age 14, won 03-15 within (01-15, 03-16]), B (线索 45 days, age
  45, lost), D (线索 0 days, age 0); C closed 01-10 before it: 张伟 1/1.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

import presales_analytics as pa
from presales_analytics.metrics import MetricContext
from presales_analytics.metrics.forecast import training_rows

from conftest import write_csv

HEADER = ["项目编号", "项目名称", "项目总监", "渠道商", "项目等级", "金额", "项目阶段", "状态", "创建日期", "结束日期",
          "竞争对手", "丢单原因"]
PROJECTS = [
    ["C", "项目C", "张伟", "", "办事处重点", "50", "赢单", "赢单", "2025-11-01", "2026-01-10", "", ""],
    ["B", "项目B", "张伟", "", "办事处重点", "30", "丢单", "丢单", "2025-12-01", "2026-01-20", "", "价格"],
    ["A", "项目A", "张伟", "", "公司级", "100", "赢单", "赢单", "2026-01-01", "2026-03-15", "", ""],
    ["D", "项目D", "李娜", "", "办事处重点", "40", "方案设计", "进行中", "2026-01-15", "", "智泊科技", ""],
    ["E", "项目E", "王芳", "城泊网络", "渠道项目", "20", "丢单", "丢单", "2026-02-01", "2026-05-01", "", "预算"],
]
HISTORY = {
    "C": [("线索", "2025-11-01"), ("赢单", "2026-01-10")],
    "B": [("线索", "2025-12-01"), ("丢单", "2026-01-20")],
    "A": [("线索", "2026-01-01"), ("投标", "2026-02-01"), ("赢单", "2026-03-15")],
    "D": [("线索", "2026-01-15"), ("方案设计", "2026-02-10")],
    "E": [("线索", "2026-02-01"), ("丢单", "2026-05-01")],
}
LABEL = date(2026, 6, 30)


def load(con, tmp_path, projects=PROJECTS, history=HISTORY, **options):
    files = [write_csv(tmp_path / "商机.csv", [HEADER, *projects])]
    if history:
        files.append(write_csv(tmp_path / "阶段历史.csv", [["项目编号", "阶段", "进入日期"]]
                               + [[pid, st, d] for pid, rows in history.items() for st, d in rows]))
    return pa.load(con, files, **options)


@pytest.fixture
def fc(con, tmp_path):
    load(con, tmp_path)
    return con


def records(df, columns):
    return [tuple(None if pd.isna(v) else v for v in row) for row in df[columns].itertuples(index=False)]


def test_training_rows_as_known_at_each_cutoff(fc):
    rows = training_rows(fc, [date(2026, 1, 15), date(2026, 2, 15)], label_date=LABEL, horizon_days=60)
    cols = ["cutoff", "project_id", "stage", "days_in_stage", "age_days", "director_win_rate", "director_closed",
            "channel_win_rate", "channel_closed", "competitor_present", "resolved", "won"]
    jan, feb = date(2026, 1, 15), date(2026, 2, 15)
    assert records(rows, cols) == [
        (jan, "A", "lead", 14, 14, 1.0, 1, 1.0, 1, False, True, True),
        (jan, "B", "lead", 45, 45, 1.0, 1, 1.0, 1, False, True, False),
        (jan, "D", "lead", 0, 0, None, 0, 1.0, 1, True, True, False),
        (feb, "A", "bidding", 14, 45, 0.5, 2, 0.5, 2, False, True, True),
        (feb, "D", "solution", 5, 31, None, 0, 0.5, 2, True, True, False),
        (feb, "E", "lead", 14, 14, None, 0, None, 0, False, True, False),
    ]
    assert list(rows.loc[rows.cutoff == feb, "amount"]) == [100.0, 40.0, 20.0]
    # a horizon reaching past the label date is not resolved (its label is not known yet)
    late = training_rows(fc, [date(2026, 4, 30)], label_date=LABEL, horizon_days=90)
    assert records(late, ["project_id", "resolved"]) == [("D", False), ("E", False)]


FEATURES = ["cutoff", "project_id", "stage", "days_in_stage", "age_days", "grade", "amount", "director",
            "director_win_rate", "director_closed", "channel", "channel_win_rate", "channel_closed",
            "competitor_present"]


def snapshot(con, tmp_path, name, as_of, changes):
    """The hand-typed projects as an export taken on ``as_of``, with ``changes`` {id: {column: value}}."""
    at = {h: i for i, h in enumerate(HEADER)}
    rows = []
    for row in PROJECTS:
        row = list(row)
        for column, value in changes.get(row[0], {}).items():
            row[at[column]] = value
        rows.append(row)
    folder = tmp_path / name
    folder.mkdir()
    pa.load(con, [write_csv(folder / "商机.csv", [HEADER, *rows])], as_of=as_of)


OPEN_FEB = {"A": {"项目阶段": "投标", "状态": "进行中", "结束日期": ""},
            "E": {"项目阶段": "线索", "状态": "进行中", "结束日期": ""}}


def test_no_feature_is_set_at_or_after_close(db_path, tmp_path):
    """Leakage: the features of cutoff 2026-02-15 do not change when a later export is loaded (A won
    with a new amount, a rival and its close; D lost with a reason and its final stage 谈判), nor when
    A's close is moved (to 02-20, just after the cutoff, or to 05-10)."""
    cut = [date(2026, 2, 15)]

    def features(later: dict | None, name: str):
        con = pa.connect(tmp_path / f"{name}.duckdb")
        snapshot(con, tmp_path, f"{name}-v1", "2026-02-15", OPEN_FEB)
        if later is not None:
            snapshot(con, tmp_path, f"{name}-v2", "2026-06-30", later)
        rows = training_rows(con, cut, label_date=LABEL, horizon_days=60)
        con.close()
        return rows

    before = features(None, "before")
    assert records(before, ["project_id", "stage", "amount", "competitor_present"]) == [
        ("A", "bidding", 100.0, False), ("D", "solution", 40.0, True), ("E", "lead", 20.0, False)]
    won_later = {"A": {"金额": "150", "竞争对手": "安停智能", "结束日期": "2026-03-15"},
                 "D": {"项目阶段": "谈判", "状态": "丢单", "结束日期": "2026-05-10", "丢单原因": "价格", "金额": "45"}}
    for name, later in [("later", won_later),
                        ("moved", {**won_later, "A": {**won_later["A"], "结束日期": "2026-02-20"}}),
                        ("moved2", {**won_later, "A": {**won_later["A"], "结束日期": "2026-05-10"}})]:
        after = features(later, name)
        pd.testing.assert_frame_equal(after[FEATURES], before[FEATURES])
        # the labels do see the close: A won within (02-15, 04-16] unless its close moved to 05-10
        assert list(after["won"]) == [name != "moved2", False, False]
    # in one export without snapshots, moving A's close (after the cutoff) changes no feature either
    rows = {}
    for close in ("2026-03-15", "2026-05-10"):
        con = pa.connect(tmp_path / f"one-{close}.duckdb")
        moved = [r if r[0] != "A" else [*r[:9], close, *r[10:]] for r in PROJECTS]
        folder = tmp_path / f"one-{close}"
        folder.mkdir()
        load(con, folder, projects=moved)
        rows[close] = training_rows(con, cut, label_date=LABEL, horizon_days=60)
        con.close()
    pd.testing.assert_frame_equal(rows["2026-03-15"][FEATURES], rows["2026-05-10"][FEATURES])
    assert list(rows["2026-03-15"]["won"]) == [True, False, False]       # 03-15 is within 60 days
    assert list(rows["2026-05-10"]["won"]) == [False, False, False]      # 05-10 is not (04-16 is the end)


def test_open_rows_are_the_as_of_machinerys(db_path, tmp_path):
    """One query over many cutoffs gives, at each, the open projects and versions scope(ctx) gives."""
    con = pa.connect(db_path)
    snapshot(con, tmp_path, "v1", "2026-02-15", OPEN_FEB)
    snapshot(con, tmp_path, "v2", "2026-06-30", {"A": {"金额": "150"}})
    cutoffs = [date(2026, 1, 1), date(2026, 1, 15), date(2026, 2, 15), date(2026, 3, 1), date(2026, 6, 30)]
    rows = training_rows(con, cutoffs, label_date=date(2026, 12, 31), horizon_days=60)
    from presales_analytics.metrics.base import scope
    for c in cutoffs:
        with MetricContext(con, as_of=c) as ctx:
            expected = scope(ctx).query("SELECT project_id, CAST(amount AS DOUBLE) AS amount, director FROM prj "
                                        "WHERE status = 'open' AND created_at IS NOT NULL ORDER BY project_id")
        got = rows.loc[rows.cutoff == c, ["project_id", "amount", "director"]].reset_index(drop=True)
        assert records(got, list(got.columns)) == records(expected, list(expected.columns)), c
    # hand-checked: on 03-01 A is open at 100 (the 02-15 version), E open; D open
    assert records(rows.loc[rows.cutoff == date(2026, 3, 1)], ["project_id", "amount"]) == [
        ("A", 100.0), ("D", 40.0), ("E", 20.0)]
    con.close()


def test_without_stage_history_the_stage_is_unknown(con, tmp_path):
    """An export with created and closed dates only: the store infers D's entry into its latest stage
    (方案设计) on its created date; that is the latest stage carried back, so the stage is unknown."""
    load(con, tmp_path, history=None)
    assert con.execute("SELECT stage, entered_at FROM stage_events WHERE project_id = 'D'").fetchall() == [
        ("solution", date(2026, 1, 15))]
    rows = training_rows(con, [date(2026, 1, 20), date(2026, 2, 15)], label_date=LABEL, horizon_days=60)
    assert records(rows, ["cutoff", "project_id", "stage", "days_in_stage", "age_days", "won"]) == [
        (date(2026, 1, 20), "A", None, None, 19, True), (date(2026, 1, 20), "D", None, None, 5, False),
        (date(2026, 2, 15), "A", None, None, 45, True), (date(2026, 2, 15), "D", None, None, 31, False),
        (date(2026, 2, 15), "E", None, None, 14, False)]
