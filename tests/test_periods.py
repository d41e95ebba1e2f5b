"""Tests of presales_analytics.periods: spellings, round trips, neighbours, splits, labels.

Expected dates were worked out by hand from a calendar: 1 January 2026 is a Thursday, so ISO
2026-W01 starts on Monday 2025-12-29 and 2026 has 53 ISO weeks (as has 2020, a leap year that
starts on a Wednesday); 2021, 2025 and 2027 have 52.
"""

from __future__ import annotations

import doctest
from datetime import date, datetime

import duckdb
import pandas as pd
import pytest

from presales_analytics import periods
from presales_analytics.errors import InputError
from presales_analytics.periods import GRAINS, Period

D = date
FORMS = ["2026", "2026-H1", "2026-Q3", "2026-09", "2026-W37", "2026-07-01..2026-09-30", "all"]


def bounds(text) -> tuple[date | None, date | None, str]:
    p = Period.parse(text)
    return p.start, p.end, p.grain


# --------------------------------------------------------------------------- spellings
@pytest.mark.parametrize("text, start, end, grain, days", [
    ("2026", D(2026, 1, 1), D(2027, 1, 1), "year", 365),
    ("2024", D(2024, 1, 1), D(2025, 1, 1), "year", 366),
    ("2026-H1", D(2026, 1, 1), D(2026, 7, 1), "half", 181),
    ("2026-H2", D(2026, 7, 1), D(2027, 1, 1), "half", 184),
    ("2026-Q1", D(2026, 1, 1), D(2026, 4, 1), "quarter", 90),
    ("2026-Q3", D(2026, 7, 1), D(2026, 10, 1), "quarter", 92),
    ("2026-Q4", D(2026, 10, 1), D(2027, 1, 1), "quarter", 92),
    ("2026-09", D(2026, 9, 1), D(2026, 10, 1), "month", 30),
    ("2024-02", D(2024, 2, 1), D(2024, 3, 1), "month", 29),
    ("2026-12", D(2026, 12, 1), D(2027, 1, 1), "month", 31),
    ("2026-W37", D(2026, 9, 7), D(2026, 9, 14), "week", 7),
    ("2026-W01", D(2025, 12, 29), D(2026, 1, 5), "week", 7),
    ("2026-W53", D(2026, 12, 28), D(2027, 1, 4), "week", 7),
    ("2020-W53", D(2020, 12, 28), D(2021, 1, 4), "week", 7),
    ("2026-07-01..2026-09-30", D(2026, 7, 1), D(2026, 10, 1), "range", 92),
    ("2026-07-01..2026-07-01", D(2026, 7, 1), D(2026, 7, 2), "range", 1),
    ("2025-12-15..2026-01-14", D(2025, 12, 15), D(2026, 1, 15), "range", 31),
    ("all", None, None, "all", None),
])
def test_contract_spellings(text, start, end, grain, days):
    p = Period.parse(text)
    assert (p.start, p.end, p.grain, p.days) == (start, end, grain, days)
    assert str(p) == text


@pytest.mark.parametrize("text, canonical", [
    ("2026-q3", "2026-Q3"), ("2026Q3", "2026-Q3"), ("2026q3", "2026-Q3"),
    ("  2026-Q3\t\n", "2026-Q3"), ("２０２６－Ｑ３", "2026-Q3"), ("２０２６ｑ３", "2026-Q3"),
    ("2026\u2014Q3", "2026-Q3"), ("2026\u2013Q3", "2026-Q3"), ("2026\u2212Q3", "2026-Q3"),
    ("2026-h1", "2026-H1"), ("2026H2", "2026-H2"), ("2026w37", "2026-W37"),
    ("2026-w7", "2026-W07"), ("2026-9", "2026-09"), ("２０２６－０９", "2026-09"),
    ("\u30002026\u3000", "2026"), ("ALL", "all"), ("All", "all"),
    ("2026-7-1..2026-9-30", "2026-07-01..2026-09-30"),
    ("2026-07-01 .. 2026-09-30", "2026-07-01..2026-09-30"),
    ("２０２６－０７－０１．．２０２６－０９－３０", "2026-07-01..2026-09-30"),
    # the Chinese spellings the reports print
    ("2026年", "2026"), ("2026年上半年", "2026-H1"), ("2026年下半年", "2026-H2"),
    ("2026年第3季度", "2026-Q3"), ("2026年第三季度", "2026-Q3"), ("2026年3季度", "2026-Q3"),
    ("2026年9月", "2026-09"), ("2026年09月", "2026-09"), ("2026年9月份", "2026-09"),
    ("2026年第37周", "2026-W37"), ("２０２６年第３７周", "2026-W37"),
    ("2026 年 第 3 季度", "2026-Q3"),
    ("2026年7月1日至2026年9月30日", "2026-07-01..2026-09-30"), ("全部", "all"),
])
def test_lenient_spellings(text, canonical):
    assert str(Period.parse(text)) == canonical
    assert Period.parse(text) == Period.parse(canonical)


def test_parse_returns_a_period_as_is_and_reads_an_int_as_a_year():
    p = Period.parse("2026-Q3")
    assert Period.parse(p) is p
    assert Period.parse(2026) == Period(D(2026, 1, 1), D(2027, 1, 1), "year")


def test_a_range_equal_to_a_month_stays_a_range():
    r = Period.parse("2026-09-01..2026-09-30")
    m = Period.parse("2026-09")
    assert (r.grain, str(r)) == ("range", "2026-09-01..2026-09-30")
    assert (r.start, r.end) == (m.start, m.end) and r.sql_bounds() == m.sql_bounds()
    assert r != m
    assert len({r, m}) == 2


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize("text, reason", [
    ("2026-Q5", "from 1 to 4, not 5"), ("2026-Q0", "from 1 to 4, not 0"),
    ("2026-H3", "from 1 to 2, not 3"), ("2026-13", "from 1 to 12, not 13"),
    ("2026-00", "from 1 to 12, not 0"), ("2026-W54", "not 54"), ("2026-W00", "not 0"),
    ("2025-W53", "2025 has only 52 ISO weeks"), ("2021-W53", "2021 has only 52 ISO weeks"),
    ("2027-W53", "2027 has only 52 ISO weeks"),
    ("2026-02-30..2026-03-31", "2026-02-30 is not a date"),
    ("2025-02-29..2025-03-31", "2025-02-29 is not a date"),
    ("2026-09-30..2026-07-01", "ends (2026-07-01) before it starts (2026-09-30)"),
    ("2026年第5季度", "not 5"), ("2026年13月", "not 13"), ("2025年第53周", "only 52 ISO weeks"),
    ("2026年2月30日至2026年3月1日", "2026-2-30 is not a date"),
    ("0000", "Years run from 0001 to 9998"),
    ("2026-02-30", None), ("", None), ("   ", None), ("Q3 2026", None), ("26-Q3", None),
    ("2026-Q3-01", None), ("20 26", None), ("a ll", None), ("2026-07-01..", None),
    ("上半年", None), ("二〇二六年", None),
])
def test_bad_spellings_quote_the_value_and_list_every_form(text, reason):
    with pytest.raises(InputError) as info:
        Period.parse(text)
    msg = str(info.value)
    assert msg.startswith(f"{text!r} is not a period; use one of: " + ", ".join(FORMS))
    for form in FORMS + ["2026年第3季度", "2026年第37周"]:
        assert form in msg
    if reason:
        assert reason in msg
    assert info.value.value == text


def test_error_message_example_from_the_contract():
    with pytest.raises(InputError, match=r"^'2026-Q5' is not a period; use one of: 2026, "
                       r"2026-H1, 2026-Q3, 2026-09, 2026-W37, 2026-07-01\.\.2026-09-30, all"):
        Period.parse("2026-Q5")


@pytest.mark.parametrize("value", [None, 3.5, date(2026, 1, 1), True])
def test_non_text_is_rejected(value):
    with pytest.raises(InputError, match="is not a period"):
        Period.parse(value)


@pytest.mark.parametrize("start, end, grain", [
    (D(2026, 7, 2), D(2026, 10, 1), "quarter"),     # not a quarter's first day
    (D(2026, 7, 1), D(2026, 9, 1), "quarter"),      # two months
    (D(2026, 9, 8), D(2026, 9, 15), "week"),        # a Tuesday
    (D(2026, 7, 1), D(2026, 7, 1), "range"),        # empty
    (D(2026, 7, 1), None, "range"),
    (datetime(2026, 7, 1), D(2026, 8, 1), "range"),
    (D(2026, 1, 1), D(2027, 1, 1), "fiscal"),
    (D(2026, 1, 1), D(2027, 1, 1), "all"),
])
def test_constructor_rejects_inconsistent_values(start, end, grain):
    with pytest.raises(InputError):
        Period(start, end, grain)


# --------------------------------------------------------------------------- round trips
def generated_periods() -> list[Period]:
    out = [Period.parse("all")]
    for y in range(2020, 2031):
        out.append(Period.parse(f"{y}"))
        out += [Period.parse(f"{y}-H{h}") for h in (1, 2)]
        out += [Period.parse(f"{y}-Q{q}") for q in (1, 2, 3, 4)]
        out += [Period.parse(f"{y}-{m:02d}") for m in range(1, 13)]
        weeks = 53 if y in (2020, 2026) else 52
        out += [Period.parse(f"{y}-W{w:02d}") for w in range(1, weeks + 1)]
        out += [Period.parse(f"{y}-{m:02d}-{d:02d}..{y}-{m:02d}-{d + 9:02d}")
                for m in range(1, 13) for d in (1, 19)]
        out.append(Period.parse(f"{y}-12-20..{y + 1}-01-10"))
        out.append(Period.parse(f"{y}-02-01..{y}-02-{29 if y % 4 == 0 else 28}"))
    return out


def test_round_trip_of_every_grain():
    ps = generated_periods()
    assert len(ps) == 1 + 11 * (1 + 2 + 4 + 12 + 24 + 2) + 11 * 52 + 2  # 1090
    assert {p.grain for p in ps} == set(GRAINS)
    for p in ps:
        assert Period.parse(str(p)) == p, str(p)
        assert Period.parse(p.label("zh")) == p, p.label("zh")
        assert hash(Period.parse(str(p))) == hash(p)
    assert len(set(ps)) == len(ps)


def test_generated_weeks_and_months_tile_each_year():
    for y in range(2020, 2031):
        year = Period.parse(str(y))
        months = year.split("month")
        assert sum(m.days for m in months) == year.days
        assert all(a.end == b.start for a, b in zip(months, months[1:]))
        first, last = Period.parse(f"{y}-W01"), Period.containing("week", D(y, 12, 28))
        weeks = [first]
        while weeks[-1] != last:
            weeks.append(weeks[-1].next())
        assert len(weeks) == (53 if y in (2020, 2026) else 52)
        assert all(w.start.weekday() == 0 and w.days == 7 for w in weeks)
        assert weeks[0].next().previous() == weeks[0]


# --------------------------------------------------------------------------- neighbours
@pytest.mark.parametrize("text, previous", [
    ("2026", "2025"), ("2026-H1", "2025-H2"), ("2026-H2", "2026-H1"),
    ("2026-Q1", "2025-Q4"), ("2026-Q3", "2026-Q2"), ("2026-01", "2025-12"), ("2024-03", "2024-02"),
    ("2026-W37", "2026-W36"), ("2026-W01", "2025-W52"), ("2021-W01", "2020-W53"),
    ("2027-W01", "2026-W53"), ("2020-W01", "2019-W52"),
    ("2026-07-01..2026-09-30", "2026-03-31..2026-06-30"),
    ("2026-01-01..2026-01-01", "2025-12-31..2025-12-31"),
    ("2024-03-01..2024-03-10", "2024-02-20..2024-02-29"),
])
def test_previous(text, previous):
    p = Period.parse(text)
    assert str(p.previous()) == previous
    assert p.previous().grain == p.grain
    assert p.previous().end == p.start
    assert p.previous().next() == p


@pytest.mark.parametrize("text, last_year", [
    ("2026", "2025"), ("2026-H2", "2025-H2"), ("2026-Q3", "2025-Q3"), ("2026-Q1", "2025-Q1"),
    ("2026-09", "2025-09"), ("2024-02", "2023-02"), ("2026-W37", "2025-W37"),
    ("2026-W01", "2025-W01"), ("2021-W52", "2020-W52"), ("2027-W01", "2026-W01"),
    ("2027-W52", "2026-W52"),
    ("2026-07-01..2026-09-30", "2025-07-01..2025-09-30"),
    ("2024-02-29..2024-02-29", "2023-02-28..2023-02-28"),
    ("2024-02-01..2024-02-29", "2023-02-01..2023-02-28"),
    ("2024-02-28..2024-02-28", "2023-02-28..2023-02-28"),
    ("2024-02-29..2024-03-01", "2023-02-28..2023-03-01"),
    ("2025-02-28..2025-03-01", "2024-02-28..2024-03-01"),
    ("2026-01-01..2026-01-31", "2025-01-01..2025-01-31"),
])
def test_same_period_last_year(text, last_year):
    p = Period.parse(text)
    assert str(p.same_period_last_year()) == last_year
    assert p.same_period_last_year().grain == p.grain


def test_week_53_has_no_same_week_last_year():
    with pytest.raises(InputError, match=r"2026-W53 has no same week last year: 2025 has only 52"):
        Period.parse("2026-W53").same_period_last_year()
    with pytest.raises(InputError, match="2019 has only 52"):
        Period.parse("2020-W53").same_period_last_year()


@pytest.mark.parametrize("method", ["previous", "next", "same_period_last_year"])
def test_all_has_no_neighbours(method):
    with pytest.raises(InputError, match="'all' has no"):
        getattr(Period.parse("all"), method)()


def test_edges_of_the_calendar_are_errors_not_crashes():
    with pytest.raises(InputError, match="outside the supported calendar"):
        Period.parse("0001").previous()
    with pytest.raises(InputError, match="outside the supported calendar"):
        Period.latest_complete("month", date.max)


# --------------------------------------------------------------------------- latest complete
@pytest.mark.parametrize("grain, d, expected", [
    ("quarter", D(2026, 9, 30), "2026-Q3"), ("quarter", D(2026, 9, 29), "2026-Q2"),
    ("quarter", D(2026, 11, 27), "2026-Q3"), ("quarter", D(2026, 1, 1), "2025-Q4"),
    ("quarter", D(2026, 12, 31), "2026-Q4"),
    ("month", D(2026, 9, 30), "2026-09"), ("month", D(2026, 9, 29), "2026-08"),
    ("month", D(2024, 2, 29), "2024-02"), ("month", D(2026, 1, 15), "2025-12"),
    ("half", D(2026, 6, 30), "2026-H1"), ("half", D(2026, 6, 29), "2025-H2"),
    ("half", D(2026, 12, 31), "2026-H2"),
    ("year", D(2026, 12, 31), "2026"), ("year", D(2026, 12, 30), "2025"),
    ("week", D(2026, 9, 13), "2026-W37"), ("week", D(2026, 9, 12), "2026-W36"),
    ("week", D(2027, 1, 3), "2026-W53"),
])
def test_latest_complete(grain, d, expected):
    assert str(Period.latest_complete(grain, d)) == expected
    assert str(Period.latest_complete(grain, datetime.combine(d, datetime.min.time()))) == expected


@pytest.mark.parametrize("d, expected", [
    (D(2026, 9, 30), "2026-Q3"), (D(2026, 9, 29), "2026-Q2"), (D(2026, 11, 27), "2026-Q3"),
])
def test_latest_complete_quarter(d, expected):
    assert Period.latest_complete_quarter(d) == Period.parse(expected)


def test_latest_complete_rejects_other_grains_and_non_dates():
    with pytest.raises(InputError, match="'range' is not a grain"):
        Period.latest_complete("range", D(2026, 9, 30))
    with pytest.raises(InputError, match="'2026-09-30' is not a date"):
        Period.latest_complete("month", "2026-09-30")


# --------------------------------------------------------------------------- split
@pytest.mark.parametrize("text, grain, expected", [
    ("2026", "half", ["2026-H1", "2026-H2"]),
    ("2026", "quarter", ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]),
    ("2026", "month", [f"2026-{m:02d}" for m in range(1, 13)]),
    ("2026", "year", ["2026"]),
    ("2026-H2", "quarter", ["2026-Q3", "2026-Q4"]),
    ("2026-H2", "month", ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12"]),
    ("2026-Q3", "month", ["2026-07", "2026-08", "2026-09"]),
    ("2026-Q3", "Month", ["2026-07", "2026-08", "2026-09"]),
    ("2026-W37", "week", ["2026-W37"]),
    ("2026-W37", "day", [f"2026-09-{d:02d}..2026-09-{d:02d}" for d in range(7, 14)]),
    ("2026-07-01..2026-09-30", "month", ["2026-07", "2026-08", "2026-09"]),
    ("2026-07-01..2026-09-30", "quarter", ["2026-Q3"]),
    ("2026-09-07..2026-09-20", "week", ["2026-W37", "2026-W38"]),
    ("2026-12-28..2027-01-10", "week", ["2026-W53", "2027-W01"]),
    ("2026-12-30..2027-01-01", "day", ["2026-12-30..2026-12-30", "2026-12-31..2026-12-31",
                                       "2027-01-01..2027-01-01"]),
])
def test_split(text, grain, expected):
    assert [str(p) for p in Period.parse(text).split(grain)] == expected


def test_split_year_into_days_for_daily_targets():
    days = Period.parse("2024").split("day")
    assert len(days) == 366
    assert days[59] == Period.parse("2024-02-29..2024-02-29")
    assert {d.days for d in days} == {1}


@pytest.mark.parametrize("text, grain, match", [
    ("2026-W37", "month", "cannot split 2026-W37 \\(a week\\) into months: ISO weeks straddle"),
    ("2026", "week", "cannot split 2026 \\(a year\\) into weeks: ISO weeks straddle"),
    ("2026-09", "week", "into weeks"),
    ("2026-Q3", "year", "a year is longer than a quarter"),
    ("2026-09", "quarter", "a quarter is longer than a month"),
    ("2026-07-02..2026-09-30", "month", "does not start on the first day of a month"),
    ("2026-07-01..2026-09-29", "month", "end on the last day of one"),
    ("2026-09-08..2026-09-20", "week", "into weeks"),
    ("all", "month", "'all' cannot be split"),
    ("2026", "range", "'range' is not a grain to split into"),
    ("2026", "fortnight", "'fortnight' is not a grain to split into"),
])
def test_split_errors(text, grain, match):
    with pytest.raises(InputError, match=match):
        Period.parse(text).split(grain)


# --------------------------------------------------------------------------- contains, SQL
def test_contains_is_half_open_for_dates_and_datetimes():
    q3 = Period.parse("2026-Q3")
    assert not q3.contains(D(2026, 6, 30))
    assert q3.contains(D(2026, 7, 1))
    assert q3.contains(D(2026, 9, 30))
    assert q3.contains(datetime(2026, 9, 30, 23, 59, 59, 999999))
    assert not q3.contains(D(2026, 10, 1))
    assert not q3.contains(datetime(2026, 10, 1))
    assert q3.contains(pd.Timestamp("2026-08-15 12:00"))
    assert not q3.contains(None) and not q3.contains(pd.NaT)
    every = Period.parse("all")
    assert every.contains(D(1900, 1, 1)) and every.contains(datetime(2999, 12, 31, 23, 59))
    assert not every.contains(None) and not every.contains(pd.NaT)
    with pytest.raises(InputError, match="is not a date"):
        q3.contains("2026-08-15")


def test_sql_bounds_bind_into_duckdb():
    con = duckdb.connect()
    con.execute("CREATE TABLE 商机 (项目 VARCHAR, d DATE, ts TIMESTAMP)")
    con.executemany("INSERT INTO 商机 VALUES (?, ?, ?)", [
        ["华东智慧园区", D(2026, 6, 30), datetime(2026, 6, 30, 23, 59, 59)],
        ["西南政务云", D(2026, 7, 1), datetime(2026, 7, 1, 0, 0)],
        ["华北数据中心", D(2026, 9, 30), datetime(2026, 9, 30, 23, 59, 59)],
        ["华南轨交", D(2026, 10, 1), datetime(2026, 10, 1, 0, 0)],
    ])
    sql = ("SELECT count(*) FILTER (WHERE ($start IS NULL OR d >= $start) AND ($end IS NULL OR d < $end)),"
           " count(*) FILTER (WHERE ($start IS NULL OR ts >= $start) AND ($end IS NULL OR ts < $end))"
           " FROM 商机")
    for text, expected in [("2026-Q3", (2, 2)), ("all", (4, 4)), ("2026-06-30..2026-06-30", (1, 1)),
                           ("2026-W40", (2, 2)), ("2026-W27", (2, 2)), ("2026-W26", (0, 0))]:
        start, end = Period.parse(text).sql_bounds()
        assert con.execute(sql, {"start": start, "end": end}).fetchall() == [expected], text
    con.close()


# --------------------------------------------------------------------------- labels
@pytest.mark.parametrize("text, zh, en", [
    ("2026", "2026年", "2026"),
    ("2026-H1", "2026年上半年", "H1 2026"),
    ("2026-H2", "2026年下半年", "H2 2026"),
    ("2026-Q3", "2026年第3季度", "Q3 2026"),
    ("2026-09", "2026年9月", "Sep 2026"),
    ("2026-01", "2026年1月", "Jan 2026"),
    ("2026-W37", "2026年第37周", "Week 37 2026"),
    ("2026-W01", "2026年第1周", "Week 1 2026"),
    ("2026-07-01..2026-09-30", "2026年7月1日至2026年9月30日", "1 Jul 2026 – 30 Sep 2026"),
    ("2025-12-15..2026-01-14", "2025年12月15日至2026年1月14日", "15 Dec 2025 – 14 Jan 2026"),
    ("all", "全部", "All time"),
])
def test_labels(text, zh, en):
    p = Period.parse(text)
    assert p.label() == zh
    assert p.label("zh") == zh
    assert p.label("en") == en
    assert p.label(" EN ") == en


@pytest.mark.parametrize("lang", ["fr", "zh-CN", "", None])
def test_label_rejects_other_languages(lang):
    with pytest.raises(InputError, match="is not a report language; use zh or en"):
        Period.parse("2026-Q3").label(lang)


# --------------------------------------------------------------------------- value behaviour
def test_frozen_hashable_and_ordered():
    q3 = Period.parse("2026-Q3")
    with pytest.raises(AttributeError):
        q3.start = D(2026, 1, 1)  # type: ignore[misc]
    assert {q3: "第三季度"}[Period.parse("2026年第3季度")] == "第三季度"
    mixed = [Period.parse(t) for t in
             ["2026-Q3", "2026-09-01..2026-09-30", "all", "2026-09", "2026", "2025-W52", "2026-H2"]]
    assert [str(p) for p in sorted(mixed)] == [
        "all", "2025-W52", "2026", "2026-Q3", "2026-H2", "2026-09", "2026-09-01..2026-09-30"]
    assert Period.parse("2026-Q2") < Period.parse("2026-Q3") <= Period.parse("2026-Q3")
    assert Period.parse("2026-Q3").__lt__("2026-Q4") is NotImplemented


def test_containing():
    assert str(Period.containing("week", D(2027, 1, 1))) == "2026-W53"
    assert str(Period.containing("half", datetime(2026, 7, 1, 8, 30))) == "2026-H2"
    assert str(Period.containing("quarter", D(2026, 11, 27))) == "2026-Q4"
    with pytest.raises(InputError, match="'day' is not a grain"):
        Period.containing("day", D(2026, 1, 1))


def test_docstring_examples():
    result = doctest.testmod(periods, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted >= 15
