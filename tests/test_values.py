"""Every date and amount spelling the ingest accepts, with the exact value it becomes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import duckdb
import pytest

from presales_analytics.ingest.values import amount_parser, date_parser, number_parser


@pytest.fixture(scope="module")
def mem():
    con = duckdb.connect()
    con.execute("SET TimeZone = 'Asia/Shanghai'")
    yield con
    con.close()


def one(con, parser, text):
    """(value, reason) of one raw text through ``parser``, as the ingest reads it."""
    return con.execute(f"SELECT v, {parser.reason('t', 'v')} FROM (SELECT t, {parser.value('t')} AS v FROM "
                       f"(SELECT CAST($t AS VARCHAR) AS t))", {"t": text}).fetchone()


@pytest.mark.parametrize("text, expected", [
    ("2026-09-05", date(2026, 9, 5)),
    ("2026-9-5", date(2026, 9, 5)),
    ("2026/9/5", date(2026, 9, 5)),
    ("2026/09/05", date(2026, 9, 5)),
    ("2026.9.5", date(2026, 9, 5)),
    ("20260905", date(2026, 9, 5)),
    ("2026年9月5日", date(2026, 9, 5)),
    ("2026年09月05日", date(2026, 9, 5)),
    ("2026-09-05 14:30:00", date(2026, 9, 5)),
    ("2026-09-05 14:30", date(2026, 9, 5)),
    ("2026-09-05T14:30:00", date(2026, 9, 5)),
    ("2026-09-05T14:30:00.123", date(2026, 9, 5)),
    ("2026/9/5 8:01:02", date(2026, 9, 5)),
    ("2026年9月5日 14:30", date(2026, 9, 5)),
    ("46000", date(2025, 12, 9)),          # Excel serial day number: 1899-12-30 + 46000 days
    ("45905.75", date(2025, 9, 5)),       # an Excel date-time serial: the day part
    ("２０２６－０９－０５", date(2026, 9, 5)),  # full-width digits and hyphens
    ("\u3000 2026-09-05 \u3000", date(2026, 9, 5)),  # full-width and ASCII spaces around
    ("2026-09-30T20:00:00Z", date(2026, 10, 1)),     # UTC 20:00 is 04:00 next day in Shanghai
    ("2026-09-30T23:30:00+08:00", date(2026, 9, 30)),
    ("2026-09-30 20:00:00-04:00", date(2026, 10, 1)),  # New York evening = Shanghai next morning
])
def test_date_spellings(mem, text, expected):
    assert one(mem, date_parser(), text) == (expected, None)


def test_excel_serial_by_independent_route(mem):
    # Excel's day 1 is 1900-01-01 and it counts the fictitious 1900-02-29, hence 1899-12-30.
    from datetime import timedelta
    assert one(mem, date_parser(), "45658")[0] == date(1899, 12, 30) + timedelta(days=45658) == date(2025, 1, 1)


@pytest.mark.parametrize("text, order, expected", [
    ("05/09/2026", "dmy", date(2026, 9, 5)),
    ("05/09/2026", "mdy", date(2026, 5, 9)),
    ("5.9.2026", "dmy", date(2026, 9, 5)),
    ("09/25/2026 3:04 PM", "mdy", date(2026, 9, 25)),
    ("25/09/2026 10:00", "dmy", date(2026, 9, 25)),
])
def test_year_last_dates_with_declared_order(mem, text, order, expected):
    assert one(mem, date_parser(order=order), text) == (expected, None)


def test_declared_strftime_pattern_is_tried_first(mem):
    assert one(mem, date_parser(date_format="%d-%b-%Y"), "05-Sep-2026") == (date(2026, 9, 5), None)


def test_year_last_date_without_order_is_refused_with_the_fix(mem):
    value, reason = one(mem, date_parser(), "05/09/2026")
    assert value is None
    assert "'05/09/2026'" in reason and "--date-order dmy|mdy" in reason


@pytest.mark.parametrize("text", ["2025-13-45", "2026-02-30", "明天", "2026", "9/5", "2026-09-05 junk"])
def test_unreadable_dates_are_refused_not_nulled(mem, text):
    value, reason = one(mem, date_parser(), text)
    assert value is None
    assert reason.startswith(f"'{text.strip()}' is not a date")


@pytest.mark.parametrize("text", [None, "", "   ", "\u3000"])
def test_blank_dates_are_null_without_reason(mem, text):
    assert one(mem, date_parser(), text) == (None, None)


@pytest.mark.parametrize("text, unit, expected", [
    ("1234.56", "yuan", Decimal("1234.56")),
    ("1,234.56", "yuan", Decimal("1234.56")),
    ("1，234.56", "yuan", Decimal("1234.56")),   # full-width comma
    ("¥1,234", "yuan", Decimal("1234.00")),
    ("￥1,234", "yuan", Decimal("1234.00")),     # full-width yen sign
    ("RMB 1234", "yuan", Decimal("1234.00")),
    ("CNY1234.5", "yuan", Decimal("1234.50")),
    ("12.5万", "yuan", Decimal("125000.00")),
    ("12.5万元", "yuan", Decimal("125000.00")),
    ("1.2亿", "yuan", Decimal("120000000.00")),
    ("300元", "yuan", Decimal("300.00")),
    ("1e3", "yuan", Decimal("1000.00")),
    ("１２３４", "yuan", Decimal("1234.00")),     # full-width digits
    ("  88  ", "yuan", Decimal("88.00")),
    ("12.5", "wan", Decimal("125000.00")),      # a 万元 column
    ("1,234.5678", "wan", Decimal("12345678.00")),
    ("300元", "wan", Decimal("300.00")),         # a unit in the value wins over the column's
    ("0.01", "yuan", Decimal("0.01")),
    ("-5", "yuan", Decimal("-5.00")),           # parsed; the negative-amount rule rejects it later
])
def test_amount_spellings(mem, text, unit, expected):
    assert one(mem, amount_parser(unit=unit), text) == (expected, None)


@pytest.mark.parametrize("text", [None, "", "  "])
def test_blank_amount_is_null_not_zero(mem, text):
    assert one(mem, amount_parser(), text) == (None, None)


@pytest.mark.parametrize("text, why", [
    ("待定", "is not an amount"), ("12,3O0", "is not an amount"), ("NaN", "is not an amount"),
    ("inf", "is not an amount"), ("1.2.3", "is not an amount"), ("1e20", "too large"),
    ("12万5", "is not an amount"),
])
def test_unreadable_amounts_are_refused(mem, text, why):
    value, reason = one(mem, amount_parser(), text)
    assert value is None and why in reason and text in reason


@pytest.mark.parametrize("text, expected", [("4", 4.0), ("4.5", 4.5), ("85%", 85.0), ("", None)])
def test_numbers(mem, text, expected):
    assert one(mem, number_parser(), text) == (expected, None)


def test_number_refused(mem):
    assert one(mem, number_parser(), "很满意") == (None, "'很满意' is not a number")
