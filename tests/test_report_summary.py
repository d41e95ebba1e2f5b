"""The audit's executive summary: headline figures against the previous period and the same period
last year, in words, on the hand-typed targets fixture (see test_metrics_targets.py for the rows)."""

from __future__ import annotations

import math

import pytest

import presales_analytics as pa
from presales_analytics.periods import Period
from presales_analytics.reports.audit import kpis, summary_sentences

from conftest import write_csv
from test_metrics_targets import HEADER, ROWS, TARGETS, WAN


@pytest.fixture
def con(tmp_path):
    c = pa.connect(tmp_path / "s.duckdb")
    pa.load(c, [write_csv(tmp_path / "商机.csv", [HEADER, *ROWS]), write_csv(tmp_path / "目标.csv", TARGETS)])
    yield c
    c.close()


def test_kpis_of_a_quarter(con):
    k = kpis(con, Period.parse("2026-Q3"))
    # closed in Q3: P1 P2 P3 P4 P8 won, P7 lost -> 5/6; won 100 + 50 + 40 + 30 + 20 = 240 万
    assert (k.won, k.closed, k.won_amount) == (5, 6, 240 * WAN)
    # company target: 2026 of 1200 -> 100 a month -> Q3 300 万; 240 / 300
    assert (k.target_amount, k.attainment) == (300 * WAN, 0.8)
    # open on 09-30: P6 (80 万); P9 created in November does not exist yet
    assert (k.open_projects, k.open_amount) == (1, 80 * WAN)


def test_summary_in_words_against_previous_quarter_and_last_year(con):
    p = Period.parse("2026-Q3")
    now, before, last_year = (kpis(con, q) for q in (p, p.previous(), p.same_period_last_year()))
    # Q2: only P5 closed (won, 70 万) -> 100%, attainment 70 / 300; 2025-Q3: nothing at all
    assert (before.won, before.closed, before.won_amount) == (1, 1, 70 * WAN)
    assert last_year.closed == 0 and math.isnan(last_year.win_rate)
    zh = summary_sentences(now, before, last_year, p, "zh")
    # 83.3% - 100% = -16.7 points; 240 / 70 - 1 = +242.9%; attainment 80% - 23.3% = +56.7 points
    assert zh[0] == "赢单率 83.3%（5/6），较上季度下降 16.7 个百分点，去年同期无可比数据。"
    assert zh[1] == "赢单金额 240.0万元，较上季度增长 242.9%，去年同期无可比数据。"
    assert zh[2] == "目标达成率 80.0%（目标 300.0万元），较上季度上升 56.7 个百分点。"
    en = summary_sentences(now, before, last_year, p, "en")
    assert en[0] == ("Win rate 83.3% (5/6), down 16.7 points on the previous quarter, "
                     "no comparable figure for the same period last year.")


def test_scope_narrows_the_summary(con, tmp_path):
    from presales_analytics.metrics import MetricContext

    k = kpis(MetricContext(con, scope="region:西南"), Period.parse("2026-Q3"))
    # 西南: P3 won 40 万 in Q3; its own target Q3 90 万
    assert (k.won, k.closed, k.won_amount, k.target_amount) == (1, 1, 40 * WAN, 90 * WAN)
