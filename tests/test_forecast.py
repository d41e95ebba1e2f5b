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

import itertools
import math
import os
import random
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

import presales_analytics as pa
from presales_analytics.metrics import MetricContext
from presales_analytics.metrics import forecast_models as M
from presales_analytics.metrics.forecast import fit, forecast, training_rows

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


# ---------------------------------------------------------------------------------------------------------
# The models, the choice, the CLI: a generated history (seeded) of 420 projects, one created every 2 days
# from 2024-01-01; stage history 线索 -> 需求确认 -> 方案设计 -> 投标 -> 赢单/丢单 at 20-day steps; the
# chance of winning rises with the grade (公司级 0.7, 办事处重点 0.45, 渠道项目 0.2). Lost projects carry a
# lost reason, which is set at close only: a column that tells the outcome perfectly and must not enter.


WORK = ["线索", "需求确认", "方案设计", "投标"]
GRADES = {"公司级": 0.7, "办事处重点": 0.45, "渠道项目": 0.2}


def generated(n: int = 420, seed: int = 7):
    """``(projects, history)``: each project with its created date, grade, amount, whether it is won and
    the dates it entered each stage (the terminal one last)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        created = date(2024, 1, 1) + timedelta(days=2 * i)
        grade = rng.choice(list(GRADES))
        won = rng.random() < GRADES[grade]
        steps = rng.randint(2, 4)             # working stages reached before the close
        step = rng.randint(12, 30)
        entered = [(WORK[k], created + timedelta(days=k * step)) for k in range(steps)]
        closed = created + timedelta(days=steps * step)
        entered.append(("赢单" if won else "丢单", closed))
        out.append({"id": f"G{i:04d}", "created": created, "grade": grade, "won": won, "closed": closed,
                    "amount": 10_000 * rng.randint(5, 200), "director": rng.choice(["张伟", "李娜", "王芳"]),
                    "entered": entered})
    return out


def export(tmp_path, name: str, projects, on: date, *, lost_reason: bool = True):
    """The projects as exported on ``on``: created by then; closed ones closed by then, the rest open at
    their latest stage; stage history up to then. Returns the two files."""
    folder = tmp_path / name
    folder.mkdir()
    rows, history = [], [["项目编号", "阶段", "进入日期"]]
    for g in projects:
        if g["created"] > on:
            continue
        seen = [(st, d) for st, d in g["entered"] if d <= on]
        closed = g["closed"] <= on
        status = ("赢单" if g["won"] else "丢单") if closed else "进行中"
        reason = "价格" if closed and not g["won"] and lost_reason else ""
        rows.append([g["id"], f"项目{g['id']}", g["director"], "", g["grade"], str(g["amount"]), seen[-1][0], status,
                     g["created"].isoformat(), g["closed"].isoformat() if closed else "", "", reason])
        history += [[g["id"], st, d.isoformat()] for st, d in seen]
    return [write_csv(folder / "商机.csv", [HEADER, *rows]), write_csv(folder / "阶段历史.csv", history)]


def config_with(tmp_path, text: str):
    path = tmp_path / "presales.toml"
    path.write_text(text, encoding="utf-8")
    return pa.load_config(path)


SHORT = "[forecast]\nhorizon_days = 60\nmin_history = 50\nfold_days = 60\n"


@pytest.fixture(scope="module")
def history_db(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("forecast")
    con = pa.connect(tmp / "g.duckdb")
    pa.load(con, export(tmp, "g", generated(), date(2026, 6, 30)))
    con.close()
    return tmp / "g.duckdb", config_with(tmp, SHORT)


def test_backtest_scores_by_an_independent_route(history_db):
    """The backtest table's Brier, skill, log loss, AUC and calibration in the large, recomputed here from
    the per-prediction probabilities with plain formulas (sklearn's metrics as the independent route)."""
    from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

    path, config = history_db
    con = pa.connect(path, read_only=True)
    with MetricContext(con, config=config) as ctx:
        scores = forecast(ctx, level="backtest")
        f = fit(ctx, date.fromisoformat(scores.attrs["as_of"]), 60)
        scores = scores.set_index("model")
    con.close()
    bt = f.backtest
    assert len(bt) > 500 and bt["fold"].nunique() >= 5
    y = bt["won"].astype(int)
    for name in ("base_rate", "baseline", "naive_bayes", "logistic"):
        p = bt[f"p_{name}"].astype(float)
        assert scores.loc[name, "brier"] == pytest.approx(brier_score_loss(y, p), abs=1e-12)
        assert scores.loc[name, "log_loss"] == pytest.approx(log_loss(y, p.clip(1e-6, 1 - 1e-6), labels=[0, 1]), abs=1e-9)
        if name != "base_rate":
            assert scores.loc[name, "auc"] == pytest.approx(roc_auc_score(y, p), abs=1e-12)
        assert scores.loc[name, "mean_predicted"] == pytest.approx(p.mean())
        assert scores.loc[name, "skill_vs_base_rate"] == pytest.approx(
            1 - brier_score_loss(y, p) / brier_score_loss(y, bt["p_base_rate"]))
    # the chosen model is the one with the lowest Brier score, and it says so
    chosen = scores.index[scores["chosen"]].tolist()
    assert chosen == [scores.drop(index="base_rate")["brier"].idxmin()] == [f.model]
    assert f.reason.startswith(f"{f.model}: the best validation Brier score")
    # no fold learns from a label not known at its start: every training cutoff lies a horizon before it
    assert (pd.to_datetime(bt["cutoff"]) >= pd.to_datetime(bt["fold"])).all()


def test_a_column_set_at_close_changes_nothing(tmp_path):
    """Leakage: the lost reason is filled for every lost project and only for them (it would predict the
    outcome perfectly); with or without it, the backtest, the choice and every probability are identical."""
    projects = generated()
    result = {}
    for with_reason in (True, False):
        con = pa.connect(tmp_path / f"r{with_reason}.duckdb")
        files = export(tmp_path, f"r{with_reason}", projects, date(2026, 6, 30), lost_reason=with_reason)
        pa.load(con, files)
        if with_reason:                 # the column would tell: a reason exactly where lost
            assert con.execute("SELECT count(*) FILTER (lost_reason IS NOT NULL) = count(*) FILTER (status = 'lost') "
                               "AND count(*) FILTER (lost_reason IS NOT NULL AND status <> 'lost') = 0 "
                               "FROM projects").fetchone()[0]
        with MetricContext(con, config=config_with(tmp_path, SHORT)) as ctx:
            result[with_reason] = (forecast(ctx, level="backtest"), forecast(ctx))
        con.close()
    pd.testing.assert_frame_equal(result[True][0], result[False][0])
    pd.testing.assert_frame_equal(result[True][1], result[False][1])


def test_reproducible_as_of_a_past_date_after_newer_exports(tmp_path):
    """A forecast as of 2025-12-31 gives the same probabilities, factors and backtest after the export of
    2026-06-30 (new projects, closes, stage history) is loaded; the forecast of the later date differs."""
    projects = generated()
    con = pa.connect(tmp_path / "v.duckdb")
    pa.load(con, export(tmp_path, "v1", projects, date(2025, 12, 31)), as_of="2025-12-31")
    config = config_with(tmp_path, SHORT)

    def run(d):
        with MetricContext(con, as_of=d, config=config) as ctx:
            return forecast(ctx), forecast(ctx, level="backtest")
    before = run("2025-12-31")
    assert before[0]["model"].iloc[0] != "baseline" and len(before[0]) > 20
    pa.load(con, export(tmp_path, "v2", projects, date(2026, 6, 30)), as_of="2026-06-30")
    after = run("2025-12-31")
    pd.testing.assert_frame_equal(before[0], after[0])
    pd.testing.assert_frame_equal(before[1], after[1])
    later = run("2026-06-30")[0]
    assert set(later["project_id"]) != set(before[0]["project_id"])
    con.close()


def test_a_tiny_history_falls_back_to_the_baseline_and_says_so(tmp_path):
    """The five hand-typed projects: 4 decided (< 200). As of 2026-05-01 (the data date), horizon 180:
    one training cutoff, 2025-11-02, where only C (won 2026-01-10) is open; the baseline has no cell or
    stage of 5 rows, so D gets the overall rate, Laplace-smoothed: (1 + 1) / (1 + 2) = 2/3."""
    db = tmp_path / "t.duckdb"
    con = pa.connect(db)
    load(con, tmp_path)
    con.close()
    exe = str(Path(sys.executable).parent / "presales")
    r = subprocess.run([exe, "forecast", "--db", str(db), "--format", "csv"], capture_output=True, text=True,
                       cwd=tmp_path, timeout=120)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split(",")[:4] == ["project_id", "stage", "amount", "p_win"]
    assert len(lines) == 2 and lines[1].startswith("D,solution,40.0,0.666666")
    assert lines[1].endswith(",baseline")
    assert "fewer than 200 decided projects (4) known on 2026-05-01: the baseline" in " ".join(r.stderr.split())
    table = subprocess.run([exe, "forecast", "--db", str(db)], capture_output=True, text=True, cwd=tmp_path,
                           timeout=120, env={**os.environ, "COLUMNS": "200"})
    assert table.returncode == 0 and "fewer than 200 decided projects (4)" in " ".join(table.stdout.split())


def exact_quantiles(p, amount, levels=(0.1, 0.5, 0.9)):
    """The inverted-CDF quantiles of the number and amount won, by enumerating all 2^n outcomes."""
    dist_count, dist_amount = {}, {}
    for outcome in itertools.product([0, 1], repeat=len(p)):
        prob = math.prod(q if o else 1 - q for q, o in zip(p, outcome))
        c = sum(outcome)
        a = sum(x for x, o in zip(amount, outcome) if o)
        dist_count[c] = dist_count.get(c, 0) + prob
        dist_amount[a] = dist_amount.get(a, 0) + prob

    def q(dist):
        values, cum, out = sorted(dist), 0.0, []
        cdf = []
        for v in values:
            cum += dist[v]
            cdf.append((v, cum))
        for level in levels:
            out.append(next(v for v, c in cdf if c >= level))
            # far from a step: the simulation's quantile must land on the same value
            assert all(abs(c - level) > 0.02 for _, c in cdf), (level, cdf)
        return out
    return q(dist_count), q(dist_amount)


def test_simulated_range_equals_the_exact_distribution():
    """Five projects (万元 amounts 100, 80, 50, 30, 20; p 0.9, 0.8, 0.7, 0.4, 0.2): the P10/P50/P90 of
    10,000 seeded draws equal the quantiles of the exact distribution over the 32 outcomes (chosen so
    that no step of either distribution lies within 2 points of 10%, 50% or 90%: the simulation's
    error, about 0.5 point at 10,000 draws, cannot move a quantile)."""
    p = [0.9, 0.8, 0.7, 0.4, 0.2]
    amount = [1_000_000, 800_000, 500_000, 300_000, 200_000]
    counts, amounts = M.simulate(p, amount, n=10_000, seed=13)
    want_count, want_amount = exact_quantiles(p, amount)
    assert M.quantiles(counts) == want_count == [2, 3, 4]
    assert M.quantiles(amounts) == want_amount == [1_300_000, 2_300_000, 2_600_000]
    assert abs(amounts.mean() - sum(a * q for a, q in zip(amount, p))) < 0.01 * sum(amount)


def test_period_level_simulates_the_project_level(history_db):
    """The period row is the project rows summed and simulated: expected count and amount, and the
    quantiles of simulate() over the same probabilities."""
    path, config = history_db
    con = pa.connect(path, read_only=True)
    with MetricContext(con, config=config) as ctx:
        projects = forecast(ctx, "2026-Q2", as_of="2026-06-01")
        row = forecast(ctx, "2026-Q2", as_of="2026-06-01", level="period").iloc[0]
    con.close()
    assert projects.attrs["options"]["horizon_days"] == 29            # wins on 06-02 .. 06-30, the quarter's end
    assert row["open_projects"] == len(projects)
    assert row["expected_count"] == pytest.approx(projects["p_win"].sum())
    assert row["expected_amount"] == pytest.approx((projects["p_win"] * projects["amount"]).sum())
    counts, amounts = M.simulate(projects["p_win"], projects["amount"], n=10_000, seed=13)
    assert [row["count_p10"], row["count_p50"], row["count_p90"]] == M.quantiles(counts)
    assert [row["amount_p10"], row["amount_p50"], row["amount_p90"]] == M.quantiles(amounts)


def test_on_the_demo_the_chosen_model_is_no_worse_than_the_baseline_and_calibrated(tmp_path):
    """The demo (3,000 projects, exported 2026-11-27): the backtest's chosen model has a Brier score no
    worse than the baseline's, and its mean prediction is within 3 points of the observed rate."""
    from presales_analytics.demo import generate_demo

    files = generate_demo(tmp_path / "demo", export_date=date(2026, 11, 27))
    con = pa.connect(tmp_path / "demo.duckdb")
    pa.load(con, files.all())
    with MetricContext(con) as ctx:
        scores = forecast(ctx, level="backtest").set_index("model")
        projects = forecast(ctx)
    con.close()
    chosen = scores[scores["chosen"]].iloc[0]
    print("\n" + scores.round(4).to_string())
    assert chosen["brier"] <= scores.loc["baseline", "brier"]
    assert abs(chosen["mean_predicted"] - chosen["observed"]) < 0.03
    assert chosen["rows"] > 10_000 and projects["p_win"].between(0, 1).all() and len(projects) > 300


def test_sampling_keeps_whole_projects_chosen_by_md5(history_db, tmp_path):
    """Above [forecast] max_training_rows the training rows are those of one project in N: the projects
    whose md5 (its last 8 bytes, little-endian: DuckDB's md5_number_lower) is divisible by N, computed
    here with hashlib; their rows, win rates included, are exactly the unsampled ones."""
    import hashlib

    path, _ = history_db
    con = pa.connect(path, read_only=True)
    cutoffs = [date(2025, 3, 1) + timedelta(days=7 * k) for k in range(20)]
    full = training_rows(con, cutoffs, label_date=date(2026, 6, 30), horizon_days=60)
    third = training_rows(con, cutoffs, label_date=date(2026, 6, 30), horizon_days=60, every=3)
    from presales_analytics.metrics.forecast import sampling
    with MetricContext(con, config=config_with(tmp_path, "[forecast]\nmax_training_rows = 100\n")) as ctx:
        every = sampling(ctx, cutoffs, date(2026, 6, 30))
    con.close()
    keep = {p for p in full["project_id"] if int.from_bytes(hashlib.md5(p.encode()).digest()[8:], "little") % 3 == 0}
    assert 0 < len(keep) < full["project_id"].nunique()
    expected = full[full["project_id"].isin(keep)].reset_index(drop=True)
    pd.testing.assert_frame_equal(third, expected)
    assert every == math.ceil(len(full) / 100)          # every row here is open at its cutoff: the estimate is exact


def test_audit_report_forecast_section_shows_the_metric(history_db):
    """The audit of 2026-Q1 (complete) forecasts 2026-Q2 as of 2026-03-31; its 预测 section prints the
    period row, the chosen model and the reliability chart, with the same figures as the metric."""
    import html as h
    import re

    from presales_analytics.presentation.format import fmt_value

    path, config = history_db
    exe = str(Path(sys.executable).parent / "presales")
    r = subprocess.run([exe, "report", "audit", "--period", "2026-Q1", "--db", str(path), "--out", "out"],
                       capture_output=True, text=True, cwd=path.parent, timeout=300)
    assert r.returncode == 0, r.stderr
    page = (path.parent / "out" / "2026-Q1" / "audit.html").read_text(encoding="utf-8")
    page = page[page.index('id="sec-forecast"'):page.index('id="sec-compliance"')]   # the section's headings
    text = h.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.sub(r"<script.*?</script>", "", page, flags=re.S))))
    section = text
    con = pa.connect(path, read_only=True)
    with MetricContext(con, config=config) as ctx:
        row = forecast(ctx, "2026-Q2", as_of="2026-03-31", level="period").iloc[0]
        scores = forecast(ctx, "2026-Q2", as_of="2026-03-31", level="backtest")
    con.close()
    assert f"预测 2026年第2季度（按截至 2026-03-31 已知的情况）：在途 {row['open_projects']} 个项目" in section
    assert (f"预计赢单 {fmt_value(row['expected_count'], 'number')} 个（80% 区间 {fmt_value(row['count_p10'], 'count')}–"
            f"{fmt_value(row['count_p90'], 'count')} 个）") in section
    assert f"预计赢单金额 {fmt_value(row['expected_amount'], 'amount')}" in section
    chosen = scores[scores["chosen"]].iloc[0]
    assert f"回测中该模型平均预测 {fmt_value(chosen['mean_predicted'], 'rate')}" in section
    title = "预测可靠性（回测）"                 # the reliability chart's title, in the figure's JSON (maybe \u-escaped)
    assert title in page or __import__("json").dumps(title)[1:-1] in page


def test_encoder_makes_scikit_learns_matrix():
    """The logistic model's Encoder against the scikit-learn ColumnTransformer it replaced (one-hot with
    unknown values ignored, standard scaling), on 2,000 random rows: a value unseen in fitting, a
    constant numeric column and a missing-as-"unknown" level included. Equal to 1e-12."""
    import numpy as np
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    rng = np.random.default_rng(7)

    def frame(n: int, levels: list[str]) -> pd.DataFrame:
        return pd.DataFrame({"stage": rng.choice(levels, n), "grade": rng.choice(["公司级", "部门级", "unknown"], n),
                             "x": rng.normal(3, 2, n), "y": np.full(n, 5.0), "z": rng.exponential(1, n)})

    train, test = frame(2000, ["线索", "投标", "方案设计"]), frame(500, ["线索", "投标", "赢单"])   # 赢单: unseen
    categorical, numeric = ["stage", "grade"], ["x", "y", "z"]
    ours = M.Encoder(categorical, numeric).fit(train)
    theirs = ColumnTransformer([("c", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical),
                                ("n", StandardScaler(), numeric)]).fit(train)
    assert ours.categories_ == [list(c) for c in theirs.named_transformers_["c"].categories_]
    for rows in (train, test):
        assert np.abs(ours.transform(rows) - theirs.transform(rows)).max() < 1e-12
    assert (ours.transform(test)[test["stage"].to_numpy() == "赢单", :3] == 0).all()
