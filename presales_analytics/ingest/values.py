"""SQL expressions that turn an export's text into typed values, and say why when they cannot.

Each builder takes the SQL of a raw text column and returns a :class:`Parsed`: the typed value,
and the reason (a SQL string expression) that is NULL when the text was read or blank. A value
that cannot be read is never turned into NULL or zero: its reason sends the row to ``rejects``.
All work happens inside DuckDB, so a million-row export is normalised at DuckDB speed.

Literals placed in SQL here are this module's own constants (formats, character tables), never
text from an export; export values only ever arrive as column references.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..sql import ident, sql_literal  # noqa: F401  (moved to presales_analytics.sql; old imports keep working)

#: Whitespace trimmed from every value: ASCII, no-break space, ideographic (full-width) space, BOM.
WHITESPACE = " \t\r\n\u00a0\u3000\ufeff"
_FULL = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "\u3000"
_HALF = "".join(chr(c) for c in range(0x21, 0x7F)) + " "

YMD_FORMATS = [
    "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d", "%Y年%m月%d日", "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y.%m.%d", "%Y%m%d",
    "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%dT%H:%M", "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d号", "%Y/%m/%d %H:%M:%S.%f",
]
DMY_FORMATS = ["%d/%m/%Y", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d.%m.%Y", "%d-%m-%Y",
               "%d.%m.%Y %H:%M", "%d-%m-%Y %H:%M:%S"]
MDY_FORMATS = ["%m/%d/%Y", "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %I:%M %p",
               "%m/%d/%Y %I:%M:%S %p", "%m-%d-%Y", "%m.%d.%Y"]
#: A date written with the year last (05/09/2026): day or month first cannot be told apart.
YEAR_LAST = r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})\b.*$"

DATE_EXAMPLES = "2026-09-05, 2026/9/5, 2026年9月5日, 05/09/2026 with a declared order, an Excel date"
AMOUNT_EXAMPLES = "1234.56, 1,234.56, ¥1,234, 12.5万"
#: Amounts at or above this (yuan) are refused rather than overflowing DECIMAL(18,2).
AMOUNT_LIMIT = 1e15


def clean_text(col: str, *, fold_width: bool = False) -> str:
    """Trimmed text, NULL when blank; ``fold_width`` also turns full-width ASCII (０-９, Ａ-Ｚ, ／,
    －, ：...) into half-width, for ids, dates and numbers (never for names, where （） are normal).

    Plain values skip the costly steps: only text that starts or ends with a character trimming
    could remove is trimmed (trimming anything else changes nothing), and only text that is not
    pure ASCII is folded. The test is a few byte comparisons, far cheaper than a regular
    expression: the first character is below ``!`` (ASCII controls and the space) or starts one of
    the non-ASCII spaces of :data:`WHITESPACE` (a string range: ``>= ' '`` and below the next
    character), and the last character is one of :data:`WHITESPACE`."""
    ws = sql_literal(WHITESPACE)
    first = [f"{col} < '!'"] + [f"({col} >= {sql_literal(ch)} AND {col} < {sql_literal(chr(ord(ch) + 1))})"
                                for ch in WHITESPACE if ch > "~"]
    edge = f"({' OR '.join(first)} OR contains({ws}, {col}[-1]))"
    expr = f"CASE WHEN {edge} THEN trim({col}, {ws}) ELSE {col} END"
    if fold_width:
        folded = f"translate({col}, {sql_literal(_FULL)}, {sql_literal(_HALF)})"
        # pure ASCII: only ASCII whitespace can be at an edge
        expr = (f"CASE WHEN strlen({col}) = length({col}) THEN "
                f"(CASE WHEN {col} < '!' OR {col}[-1] < '!' THEN trim({col}, {ws}) ELSE {col} END) "
                f"ELSE trim({folded}, {ws}) END")
    return f"NULLIF({expr}, '')"


@dataclass(frozen=True)
class Parser:
    """How one kind of value is read from a raw text column ``r`` (SQL), in two steps so that
    nothing is computed twice: ``value(r)`` is the typed value; ``reason(r, v)`` is why the text was
    refused (NULL when it was read or is blank), given ``r`` and the value column ``v``. Cleaning
    (trimming, full-width folding) is done only where a fast path does not already read the text."""

    value: Callable[[str], str]
    reason: Callable[[str, str], str]


def _quoted(cleaned: str) -> str:
    """SQL of the cleaned text in single quotes, for messages."""
    return "'''' || " + cleaned + " || ''''"


def _refused(r: str, v: str, message: Callable[[str], str]) -> str:
    """Reason SQL: evaluated (cleaning included) only on rows whose value is NULL."""
    c = clean_text(r, fold_width=True)
    return f"CASE WHEN {v} IS NULL AND {r} IS NOT NULL AND {c} IS NOT NULL THEN {message(c)} END"


def text_parser() -> Parser:
    return Parser(lambda r: clean_text(r), lambda r, v: "NULL")


def id_parser() -> Parser:
    return Parser(lambda r: clean_text(r, fold_width=True), lambda r, v: "NULL")


def date_parser(*, date_format: str | None = None, order: str | None = None) -> Parser:
    """Dates to DATE in the session time zone.

    Accepted: ISO dates and date-times, ``2026/9/5``, ``2026.9.5``, ``20260905``, ``2026年9月5日``,
    date-times with an offset or ``Z`` (converted to the session time zone before the date is
    taken), Excel serial day numbers (5 digits, 1927–2173), and year-last dates (``05/09/2026``)
    only when ``order`` is ``"dmy"`` or ``"mdy"`` (or ``date_format`` declares it). Time of day is
    dropped. ``date_format`` (a strftime pattern) is tried first. A plain ``YYYY-MM-DD`` takes a
    fast path that needs no cleaning.
    """
    formats = ([date_format] if date_format else []) + YMD_FORMATS
    if order == "dmy":
        formats += DMY_FORMATS
    elif order == "mdy":
        formats += MDY_FORMATS
    fmt_list = "[" + ", ".join(sql_literal(f) for f in formats) + "]"

    def slow(c: str) -> str:
        return f"""CASE
            WHEN {c} IS NULL THEN NULL
            WHEN regexp_full_match({c}, '\\d{{5}}(\\.\\d+)?') THEN
                CAST(DATE '1899-12-30' + CAST(floor(CAST({c} AS DOUBLE)) AS INTEGER) AS DATE)
            WHEN regexp_matches({c}, '^\\d{{4}}-\\d{{1,2}}-\\d{{1,2}}[T ][0-9:.]+(Z|[+-]\\d{{2}}(:?\\d{{2}})?)$') THEN
                CAST(TRY_CAST({c} AS TIMESTAMPTZ) AS DATE)
            ELSE CAST(try_strptime({c}, {fmt_list}) AS DATE)
        END"""

    def value(r: str) -> str:
        c = clean_text(r, fold_width=True)
        if date_format:
            return slow(c)
        # coalesce evaluates its second argument only where the first is NULL
        return (f"coalesce(CASE WHEN strlen({r}) = 10 THEN TRY_CAST({r} AS DATE) END, "
                f"CASE WHEN {r} IS NOT NULL THEN {slow(c)} END)")

    def message(c: str) -> str:
        not_a_date = f"{_quoted(c)} || ' is not a date (expected e.g. {DATE_EXAMPLES})'"
        if order is None and not date_format:
            return (f"CASE WHEN regexp_full_match({c}, {sql_literal(YEAR_LAST)}) THEN {_quoted(c)} || "
                    "' is a date with the year last: is it day/month or month/day? Declare it with "
                    f"--date-order dmy|mdy or date_format in a mapping file' ELSE {not_a_date} END")
        return not_a_date

    return Parser(value, lambda r, v: _refused(r, v, message))


#: How a number may be written, by decimal mark: digits with an optional decimal part (an exponent
#: only without thousands separators), or thousands separators in groups of three. Anything else
#: ("12,5" with a decimal point, "1,2,3", "1,2345") is ambiguous and refused.
_NUMBER_FORMS = {
    ".": r"^[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|\d{1,3}(?:,\d{3})+(?:\.\d*)?)$",
    ",": r"^[+-]?(?:\d+(?:,\d*)?|\d{1,3}(?:\.\d{3})+(?:,\d*)?)$",
}
_UNITS = "万元|万|亿元|亿|元|%"
_DECIMAL_HINT = {
    ".": ("; a comma separates thousands in groups of three (1,234.56); for a decimal comma (1.234,56) "
          "set decimal = \",\" under [source] in a mapping file"),
    ",": ("; decimal = \",\" is set for this file: a point separates thousands in groups of three "
          "(1.234,56)"),
}


def _number_parts(c: str, decimal: str = ".") -> str:
    """SQL of a struct: ``num``, the number as DuckDB reads it ('' when the text is no unambiguous
    number), and ``unit``, a unit written after it ('' for none)."""
    stripped = f"trim(regexp_replace({c}, '[¥￥]|RMB|CNY|人民币', '', 'gi'))"
    parts = f"regexp_extract({stripped}, '^([+-]?[0-9.,]+(?:[eE][+-]?\\d+)?)\\s*({_UNITS})?$', ['num', 'unit'])"
    form = sql_literal(_NUMBER_FORMS[decimal])
    digits = (f"replace(x.num, ',', '')" if decimal == "." else
              "replace(replace(x.num, '.', ''), ',', '.')")
    return _let(parts, lambda x: f"{{'num': CASE WHEN regexp_full_match({x}.num, {form}) "
                                 f"THEN {digits.replace('x.num', x + '.num')} ELSE '' END, 'unit': {x}.unit}}")


def _underflow(num: str, value: str) -> str:
    """SQL: the text ``num`` has a non-zero digit before any exponent, but reads as zero."""
    return f"({value} = 0 AND regexp_matches(regexp_replace({num}, '[eE].*$', ''), '[1-9]'))"


def _no_underflow(num: str, value: str) -> str:
    """SQL: NOT :func:`_underflow`, written so that DuckDB looks at the text only for zeros (an OR
    stops at its first true operand; an AND did not, which cost 2x on a million plain amounts)."""
    return f"({value} <> 0 OR NOT regexp_matches(regexp_replace({num}, '[eE].*$', ''), '[1-9]'))"


def _let(value: str, body: Callable[[str], str]) -> str:
    """SQL of ``body(x)`` with ``x`` bound to ``value`` once (a one-element list_transform: DuckDB
    would otherwise compute ``value`` once per mention, and plan it as many times)."""
    return f"list_transform([{value}], lambda x: {body('x')})[1]"


_UNIT_FACTORS = "WHEN '万元' THEN 10000 WHEN '万' THEN 10000 WHEN '亿元' THEN 100000000 WHEN '亿' THEN 100000000 WHEN '元' THEN 1"


def _slow_number(r: str, decimal: str, factor: Callable[[str], str]) -> str:
    """SQL DOUBLE of the text ``r`` read through :func:`_number_parts`: the number times
    ``factor(unit)``; NULL when it is no number."""
    parts = _number_parts(clean_text(r, fold_width=True), decimal)

    def times_unit(p: str) -> str:
        return f"TRY_CAST(NULLIF({p}.num, '') AS DOUBLE) * {factor(p + '.unit')}"

    return _let(parts, times_unit)


def _number_sql(r: str, decimal: str, fast: tuple[str, str], factor: Callable[[str], str]) -> str:
    """SQL DOUBLE of the text ``r``: plain digits (``fast[0]``) take the fast path (times ``fast[1]``)."""
    return (f"CASE WHEN regexp_full_match({r}, {fast[0]}) THEN CAST({r} AS DOUBLE) * {fast[1]} "
            f"ELSE {_slow_number(r, decimal, factor)} END")


def _number_reader(decimal: str, fast: tuple[str, str], factor: Callable[[str], str], ok: Callable[[str], str],
                   typed: Callable[[str], str], refused: Callable[[str, str], str]) -> Parser:
    """A parser of numbers. ``ok(n)`` says a read DOUBLE ``n`` is in range, ``typed(n)`` is its stored
    value; ``refused(c, n)`` the message SQL for the cleaned text ``c`` whose number (or NULL) is ``n``.
    A number too small to be told from 0 (``1e-400``) is never read as 0."""

    def checked(r: str, v: str) -> str:
        return f"CASE WHEN {ok(v)} AND {_no_underflow(r, v)} THEN {typed(v)} END"

    def value(r: str) -> str:
        # the fast path (most values) without binding: a list per row costs more than a cast twice
        return (f"CASE WHEN regexp_full_match({r}, {fast[0]}) THEN {checked(r, f'(CAST({r} AS DOUBLE) * {fast[1]})')} "
                f"ELSE {_let(_slow_number(r, decimal, factor), lambda v: checked(r, v))} END")

    def reason(r: str, v: str) -> str:
        n = _number_sql(r, decimal, fast, factor)
        return _refused(r, v, lambda c: _let(n, lambda x: (
            f"CASE WHEN {_underflow(r, x)} THEN {_quoted(c)} || ' is too small to be read as a number "
            f"(it would become 0); write it as 0 or fix the export' ELSE {refused(c, x)} END")))

    return Parser(value, reason)


def amount_parser(*, unit: str = "yuan", decimal: str = ".") -> Parser:
    """Amounts to DECIMAL(18,2) yuan.

    ``1,234.56``, ``¥1,234`` (full-width too), ``RMB 1234``, ``12.5万``, ``1.2亿``, ``300元``; a bare
    number is in the column's ``unit`` (``"wan"`` multiplies by 10,000). A unit written in the value
    wins over the column's. Thousands separators must group three digits; with ``decimal=","``
    the comma is the decimal mark and the point separates thousands (``1.234,56``). Blank is NULL
    (unknown), never 0; a number too small for a DOUBLE (``1e-400``) or too large is refused, never
    read as 0 or infinity. A plain number takes a fast path.
    """
    col_mult = "10000" if unit == "wan" else "1"
    plain = "'[+-]?\\d+(\\.\\d+)?'" if decimal == "." else "'[+-]?\\d+'"
    return _number_reader(
        decimal, (plain, col_mult), lambda u: f"CASE {u} {_UNIT_FACTORS} WHEN '' THEN {col_mult} END",
        lambda n: f"abs({n}) < {AMOUNT_LIMIT}", lambda n: f"CAST(round({n}, 2) AS DECIMAL(18,2))",
        lambda c, n: (f"CASE WHEN {n} IS NOT NULL THEN {_quoted(c)} || ' is too large to be an amount in yuan' "
                      f"ELSE {_quoted(c)} || ' is not an amount (expected e.g. {AMOUNT_EXAMPLES})"
                      f"{_DECIMAL_HINT[decimal]}' END"))


def number_parser(*, decimal: str = ".") -> Parser:
    """Plain numbers (satisfaction scores): ``4``, ``4.5``, ``85%`` (read as 85); forms, underflow
    and overflow as :func:`amount_parser`."""
    plain = "'[+-]?\\d+(\\.\\d+)?'" if decimal == "." else "'[+-]?\\d+'"
    return _number_reader(
        decimal, (plain, "1"), lambda u: f"CASE WHEN {u} IN ('', '%') THEN 1 END",
        lambda n: f"isfinite({n})", lambda n: n,
        lambda c, n: (f"CASE WHEN {n} IS NOT NULL THEN {_quoted(c)} || ' is too large to be a number' "
                      f"ELSE {_quoted(c)} || ' is not a number' END"))


def lookup_parser(map_table: str) -> Parser:
    """A value read through a lookup table ``map_table(raw, key, reason)`` built from the column's
    distinct values (stage, status, grade, activity kind, document type, scope, period, and any
    column with a ``[values.X]`` table in the mapping file); the caller joins it on the raw text."""
    return Parser(lambda r: f"{map_table}.key", lambda r, v: f"{map_table}.reason")
