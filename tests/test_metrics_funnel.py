"""漏斗 funnel on the ten hand-typed projects of test_metrics_durations.py (see its docstring).

First entries per project (stage events in order):
P01 lead qualified initiated solution bidding (solution bidding again) negotiation won
P02 lead qualified solution bidding lost                 — skips initiated
P03 lead qualified initiated abandoned
P04 lead qualified initiated solution bidding negotiation won
P05 lead qualified initiated solution                    — open
P06 initiated solution bidding                           — starts later in the pipeline, at initiated
P07 lead qualified initiated solution bidding (solution) — open
P08 lead qualified initiated solution bidding negotiation lost
P09 lead qualified bidding won                           — skips initiated, solution and negotiation
P10 lead qualified initiated solution bidding negotiation — open, created 04-01
"""

from __future__ import annotations

import pytest

import presales_analytics as pa
from presales_analytics.errors import InputError, MissingColumnError
from presales_analytics.metrics import compute
from presales_analytics.metrics.funnel import funnel

from conftest import write_csv
from test_metrics_durations import HUADONG, SHUDAO, load_pipeline, pd_isna

STAGES = ["lead", "qualified", "initiated", "solution", "bidding", "negotiation", "won"]


@pytest.fixture
def pipeline(con, tmp_path):
    load_pipeline(con, tmp_path)
    return con


def test_funnel_all(pipeline):
    df = funnel(pipeline)
    assert df.columns.tolist() == ["stage", "stage_zh", "reached", "entered_directly", "next_conversion",
                                   "cumulative_conversion"]
    assert df["stage"].tolist() == STAGES
    assert df["stage_zh"].tolist()[-1] == "赢单"
    # reached: lead 9 (not P06), qualified 9, initiated 8 (not P02, P09), solution 8 (not P03, P09),
    # bidding 8 (not P03, P05), negotiation 4 (P01 P04 P08 P10), won 3 (P01 P04 P09)
    assert df["reached"].tolist() == [9, 9, 8, 8, 8, 4, 3]
    # directly: every lead entry; initiated without qualified before: P06; solution without initiated: P02;
    # bidding without solution: P09; won without negotiation: P09
    assert df["entered_directly"].tolist() == [9, 0, 1, 1, 1, 0, 1]
    # next: 9/9, 8/9, 8/8, 8/8, 4/8, won 3 ÷ negotiation 4, none after won
    assert df["next_conversion"].tolist()[:6] == pytest.approx([1.0, 8 / 9, 1.0, 1.0, 0.5, 0.75])
    assert pd_isna(df["next_conversion"].iloc[6])
    assert df["cumulative_conversion"].tolist() == pytest.approx([1.0, 1.0, 8 / 9, 8 / 9, 8 / 9, 4 / 9, 3 / 9])
    assert "reached this stage" in df.attrs["denominator"]
    assert df["reached"].dtype == "int64"


def test_funnel_cohort_of_a_period(pipeline):
    # created in 2026-Q2: only P10 (04-01), which got as far as negotiation
    df = funnel(pipeline, "2026-Q2")
    assert df["reached"].tolist() == [1, 1, 1, 1, 1, 1, 0]
    assert df["next_conversion"].tolist()[:6] == [1.0, 1.0, 1.0, 1.0, 1.0, 0.0]
    assert "created in 2026-Q2" in df.attrs["denominator"]


def test_funnel_by_channel_with_direct_projects(pipeline):
    df = funnel(pipeline, by="channel")
    channels = df["channel"].drop_duplicates()
    assert channels.tolist()[:2] == [HUADONG, SHUDAO] and channels.isna().tolist() == [False, False, True]
    assert len(df) == 3 * 7
    # 华东智联: P01 (all the way to won) and P06 (initiated, solution, bidding); cumulative vs lead = 1
    huadong = df[df["channel"] == HUADONG]
    assert huadong["reached"].tolist() == [1, 1, 2, 2, 2, 1, 1]
    assert huadong["entered_directly"].tolist() == [1, 0, 1, 0, 0, 0, 0]
    assert huadong["cumulative_conversion"].tolist() == [1.0, 1.0, 2.0, 2.0, 2.0, 1.0, 1.0]
    # direct (no channel): P02 P03 P05 P07 P08 P10
    direct = df[df["channel"].isna()]
    assert direct["reached"].tolist() == [6, 6, 5, 5, 4, 2, 0]
    assert direct["next_conversion"].tolist()[4:6] == [0.5, 0.0]      # negotiation 2/bidding 4, won 0/2
    with pytest.raises(InputError):
        funnel(pipeline, by="stage")


def test_funnel_as_of_ignores_later_events_and_projects(pipeline):
    # on 03-31: P10 not created yet; nobody had negotiated or won; P03 had been abandoned
    df = funnel(pipeline, as_of="2026-03-31")
    # lead: 8 (all but P06, P10); initiated: P01 P03 P04 P06 P07 P08; solution: P01 P02 P04 P07 P08;
    # bidding: P01 P02 P07
    assert df["reached"].tolist() == [8, 8, 6, 5, 3, 0, 0]
    assert pd_isna(df["next_conversion"].iloc[5])                      # 0 ÷ 0
    assert compute(pipeline, "funnel", None, as_of="2026-03-31").equals(df)


def test_funnel_of_a_period_needs_created_dates(con, tmp_path):
    pa.load(con, [write_csv(tmp_path / "p.csv", [["项目编号", "项目阶段"], ["P1", "投标"]])])
    assert funnel(con)["reached"].sum() == 0           # no dates, no events: nothing reached
    with pytest.raises(MissingColumnError, match="created_at"):
        funnel(con, "2026")
