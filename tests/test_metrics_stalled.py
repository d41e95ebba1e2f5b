"""停滞项目 stalled on the ten hand-typed projects of test_metrics_durations.py (see its docstring).

Analysis meetings (项目分析会): P07 05-05, P06 05-01, P05 04-02, P08 03-30; P05 also a weekly report 06-05.

State date 06-10 (the latest date in the data). Open projects and their CURRENT visit:
P05 solution since 05-01 (40 d), P06 bidding since 04-25 (46 d), P07 solution since 03-20 (82 d: only
the current visit, not its earlier 28 days), P10 negotiation since 06-01 (9 d).
p75 of the finished stays known on 06-10 (as in test_stage_durations_all): solution 31, bidding 28,
negotiation 28.
"""

from __future__ import annotations

from datetime import date

import pytest

from presales_analytics.config import Config, load_config
from presales_analytics.errors import InputError
from presales_analytics.metrics import compute
from presales_analytics.metrics.stalled import stalled

from test_metrics_durations import HUADONG, load_pipeline

COLUMNS = ["project_id", "name", "director", "grade", "stage", "entered_at", "days_in_stage", "limit_days",
           "limit_source", "days_over", "stalled_since", "meeting_since_stall", "region", "department"]


@pytest.fixture
def pipeline(con, tmp_path):
    load_pipeline(con, tmp_path)
    return con


def with_stall_days(**days) -> Config:
    config = load_config()
    return Config({**config.raw, "stall_days": days}, source="test")


def records(df) -> list[tuple]:
    return [(r["project_id"], r["stage"], r["entered_at"].date(), r["days_in_stage"], r["limit_days"],
             r["limit_source"], r["days_over"], r["stalled_since"].date(), r["meeting_since_stall"])
            for r in df.to_dict("records")]


def test_stalled_on_the_latest_date(pipeline):
    df = stalled(pipeline)
    assert df.columns.tolist() == COLUMNS
    # P07 82 > 31: over 51, since 03-20 + 31 = 04-20, meeting 05-05 after it: yes
    # P06 46 > 28: over 18, since 04-25 + 28 = 05-23, its meeting (05-01) came before: no
    # P05 40 > 31: over 9, since 05-01 + 31 = 06-01, meeting 04-02 is before; a weekly report is no meeting;
    #     its repeated solution event of 05-20 does not restart the clock
    # P10 9 <= 28: not stalled
    assert records(df) == [
        ("P07", "solution", date(2026, 3, 20), 82, 31.0, "p75", 51.0, date(2026, 4, 20), True),
        ("P06", "bidding", date(2026, 4, 25), 46, 28.0, "p75", 18.0, date(2026, 5, 23), False),
        ("P05", "solution", date(2026, 5, 1), 40, 31.0, "p75", 9.0, date(2026, 6, 1), False)]
    assert df[["name", "director", "grade"]].values.tolist() == [
        ["西安市智慧停车平台", "张伟", "company"], ["合肥市停车诱导二期", "王芳", "channel"],
        ["武汉市静态交通平台", "王芳", "department"]]
    assert df["days_in_stage"].dtype == "int64" and df["meeting_since_stall"].dtype == bool
    assert df.attrs["open_projects"] == 4
    assert df.attrs["options"]["state_date"] == "2026-06-10"


def test_a_configured_limit_replaces_the_p75(pipeline):
    df = stalled(pipeline, config=with_stall_days(solution=60))
    # P07 82 > 60: over 22, since 03-20 + 60 = 05-19: the 05-05 meeting no longer counts; P05 40 <= 60
    assert records(df) == [
        ("P07", "solution", date(2026, 3, 20), 82, 60.0, "config", 22.0, date(2026, 5, 19), False),
        ("P06", "bidding", date(2026, 4, 25), 46, 28.0, "p75", 18.0, date(2026, 5, 23), False)]
    with pytest.raises(InputError, match="stall_days"):
        stalled(pipeline, config=with_stall_days(solution="sixty"))
    with pytest.raises(InputError, match="not a working stage"):
        stalled(pipeline, config=with_stall_days(won=10))


def test_stalled_as_of_ignores_later_events_and_closes(pipeline):
    # On 03-31 (later events unknown; P03 abandoned 03-21; P10 not created), open and in their stage:
    # P01 solution 16 d, P02 bidding 11, P04 solution 11, P05 qualified 20, P06 initiated 16, P07 solution 11,
    # P08 solution 30, P09 qualified 16. p75 of the stays finished by then:
    #   qualified 10,13,14,17,18,31 -> x3.75 = 17.75; initiated 9,10,10,14,20 -> x3 = 14;
    #   solution 28 (P02 only) -> 28; bidding 14 (P01), 19 (P07) -> 17.75
    # stalled: P05 20 > 17.75 (over 2.25, since 03-11 + ceil(17.75) = 03-29; its meeting is 04-02: later),
    #          P06 16 > 14 (over 2, since 03-29), P08 30 > 28 (over 2, since 03-29, meeting 03-30)
    df = stalled(pipeline, as_of="2026-03-31")
    assert records(df) == [
        ("P05", "qualified", date(2026, 3, 11), 20, 17.75, "p75", 2.25, date(2026, 3, 29), False),
        ("P06", "initiated", date(2026, 3, 15), 16, 14.0, "p75", 2.0, date(2026, 3, 29), False),
        ("P08", "solution", date(2026, 3, 1), 30, 28.0, "p75", 2.0, date(2026, 3, 29), True)]
    assert df.attrs["open_projects"] == 8
    # the last day of 2026-Q1 as state date, with everything loaded, gives the same list
    assert stalled(pipeline, "2026-Q1").equals(df)
    assert compute(pipeline, "stalled", None, as_of="2026-03-31").equals(df)


def test_stalled_by_channel_keeps_director_and_direct_projects(pipeline):
    df = stalled(pipeline, by="channel")
    assert df.columns.tolist() == ["channel"] + COLUMNS
    assert df["project_id"].tolist() == ["P07", "P06", "P05"]
    assert df["channel"].isna().tolist() == [True, False, True]        # P07 and P05 are direct
    assert df["channel"].iloc[1] == HUADONG
    by_director = stalled(pipeline, by="director")
    assert by_director.columns.tolist() == COLUMNS                     # director is there already
    assert by_director.groupby("director").size().to_dict() == {"张伟": 1, "王芳": 2}


def test_nothing_stalled_without_finished_stays(con):
    df = stalled(con)
    assert df.columns.tolist() == COLUMNS and len(df) == 0
    assert df.attrs["open_projects"] == 0
