"""Read an export file into a DuckDB staging table of raw text (the first step of ingest).

(:func:`open_raw` is the loader's entry: it stages like :func:`read_raw`, except that a UTF-8 CSV
is not staged at all but read in place by the statement that checks it, see :class:`CsvScan`.)

:func:`read_raw` turns a CSV, XLSX, Parquet or JSON file into a TEMP table with one
``VARCHAR`` column per file column, named exactly as the (whitespace-trimmed) header, plus
``_row BIGINT``: the row as a person sees it in the file (CSV/XLSX: the header is row 1, so
the first data row is 2; JSON/Parquet: the first record is 1). Nothing is parsed here:
mapping, value normalisation and validation come after, in SQL.

Conventions shared by every format:

- an empty cell (CSV ``,,`` or ``""``, an empty spreadsheet cell, JSON ``""`` or ``null``,
  Parquet NULL or ``''``) is SQL ``NULL``; other text is kept as written, spaces included;
- a line/row with no cells at all (a blank CSV line, an empty spreadsheet row) is not a
  record, but the rows after it keep their true number;
- header names are trimmed of whitespace (also U+3000 and a BOM); an empty header becomes
  ``column_<n>`` (1-based position); two headers equal ignoring case (DuckDB column names
  ignore case), or a header named ``_row``, are an :class:`InputError`.

CSV in UTF-8 is read directly by DuckDB's parallel ``read_csv`` with the dialect given
explicitly (DuckDB's sniffer is not used: on a ragged file it silently picks a wrong
delimiter or a wrong header line). Other encodings are transcoded to a temporary UTF-8
file in streaming chunks first. DuckDB's ``ignore_errors`` and ``latin-1`` are never used
(they lose rows or garble Chinese without a word); ``store_rejects`` is, so that a bad line
or bad bytes become an :class:`InputError` (or a re-read as GB18030) without a DuckDB error,
which would abort the caller's transaction.

Transactions: when the caller has no transaction open, :func:`read_raw` runs its statements
in one of its own (committing a big staging table in pieces is several times slower) and
rolls it back on error. Inside the caller's transaction it adds none; the one case it then
cannot recover from is a CSV whose line endings DuckDB refuses (``\\r\\n`` mixed with
``\\n``): outside a transaction that file is re-read with its line endings made uniform,
inside one it is an :class:`InputError`.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import mmap
import os
import re
import tempfile
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import duckdb

from presales_analytics.errors import InputError

__all__ = ["RawTable", "read_raw", "RawSource", "CsvScan", "NeedsStaging", "open_raw",
           "insertion_order_preserved", "FORMATS_BY_SUFFIX", "ENCODING_ALIASES"]

#: File name suffix (lower case) -> format read.
FORMATS_BY_SUFFIX: dict[str, str] = {
    ".csv": "csv", ".txt": "csv", ".tsv": "csv",
    ".xlsx": "xlsx", ".xlsm": "xlsx",
    ".parquet": "parquet",
    ".json": "json", ".jsonl": "json", ".ndjson": "json",
}

#: Encoding names users write -> the codec used. GBK and GB2312 are subsets of GB18030,
#: so every GBK file decodes the same with gb18030 (which also has the rare characters).
ENCODING_ALIASES: dict[str, str] = {
    "gbk": "gb18030", "gb2312": "gb18030", "gb-2312": "gb18030", "cp936": "gb18030",
    "ms936": "gb18030", "936": "gb18030", "gb18030": "gb18030", "gb-18030": "gb18030",
    "utf8": "utf-8", "utf-8": "utf-8", "utf8-sig": "utf-8-sig", "utf-8-sig": "utf-8-sig",
    "utf16": "utf-16", "utf-16": "utf-16",
}

#: Bytes looked at to detect the encoding and the delimiter (1 MiB).
SAMPLE_BYTES = 1 << 20
#: Bytes decoded per step when transcoding; ``progress`` is called after each (4 MiB).
CHUNK_BYTES = 4 << 20

_CSV_DELIMITERS = (",", ";", "\t", "|")
_HEADER_STRIP = " \t\r\n\v\f\u3000\ufeff\u00a0\u200b"
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
_UTF8 = ("utf-8", "utf-8-sig")
_MIXED_NEWLINES = ("mixes line endings (\\r\\n and \\n), which DuckDB cannot read; re-save it with one "
                   "kind of line ending (e.g. open and save it again in Excel or a text editor)")
_HOW_TO_SET_ENCODING = ("say which encoding it uses with --encoding (or `encoding = \"...\"` "
                        "under [source] in the mapping file), e.g. gb18030, utf-8, utf-16")

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RawTable:
    """What :func:`read_raw` staged.

    ``table``: the DuckDB TEMP table created. ``columns``: the file's headers in file order,
    trimmed, which are also the table's text columns (``_row`` comes last and is not listed).
    ``rows``: data rows read. ``file_format``: ``"csv"``, ``"xlsx"``, ``"parquet"`` or
    ``"json"``. ``encoding``: for CSV the encoding the file was decoded with (``"utf-8"``,
    ``"utf-8-sig"`` (UTF-8 with BOM), ``"gb18030"``, ``"utf-16"``, or another Python codec
    name), else ``None``. ``sheet``: for XLSX the sheet read, else ``None``.
    ``cell_errors`` / ``cell_notes`` (XLSX only): header -> the staging column (not listed in
    ``columns``) holding, per row, why that cell cannot be read (an error value, a formula with no
    saved value; the cell's text is then the error or the formula) / a warning about it (a merged
    cell filled from its range's first cell), NULL elsewhere.
    """

    table: str
    columns: list[str]
    rows: int
    file_format: str
    encoding: str | None
    sheet: str | None
    cell_errors: dict[str, str] = field(default_factory=dict)
    cell_notes: dict[str, str] = field(default_factory=dict)


def read_raw(con: duckdb.DuckDBPyConnection, path: str | os.PathLike[str], *, table: str,
             encoding: str = "auto", sheet: str | None = None, file_format: str = "auto",
             progress: Progress | None = None) -> RawTable:
    """Stage the file at ``path`` as TEMP table ``table`` (replaced if it exists) on ``con``.

    ``encoding`` (CSV only): ``"auto"`` detects (BOM; else UTF-8 if the first MiB decodes;
    else GB18030 if it decodes strictly; else charset-normalizer's guess), or a name such as
    ``"gbk"`` (read as gb18030), ``"utf-8"``, ``"utf-16"``. ``sheet`` (XLSX only): the sheet
    name, default the first sheet. ``file_format``: ``"auto"`` (by extension), ``"csv"``,
    ``"xlsx"``, ``"parquet"`` or ``"json"``. ``progress(done_bytes, total_bytes)`` is called
    while a CSV is transcoded (every 4 MiB) and once at the start and end of a CSV read.

    Raises :class:`InputError` naming the file (and row, when there is one) for anything
    wrong with the input; the table is then not left behind. Best called outside an open
    transaction (see the module docstring).

    >>> import duckdb, pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "商机.csv"
    >>> _ = p.write_text("项目编号,金额\\nP1, 12.5\\n", encoding="utf-8")
    >>> con = duckdb.connect()
    >>> raw = read_raw(con, p, table="raw_projects")
    >>> raw.columns, raw.rows, raw.encoding, con.sql("FROM raw_projects").fetchall()
    (['项目编号', '金额'], 1, 'utf-8', [('P1', ' 12.5', 2)])
    """
    p = Path(path)
    name = str(path)
    if not p.exists():
        raise InputError("file not found; check the path", file=name)
    if not p.is_file():
        raise InputError("is not a file; give the path of an export file", file=name)
    fmt = _format_of(p, file_format)
    if fmt == "csv":
        _refuse_binary(p, name)
    with _insertion_order_preserved(con):
        if fmt == "csv":
            return _read_csv(con, p, name, table, encoding, progress)
        with _Transaction(con):
            if fmt == "xlsx":
                return _read_xlsx(con, p, name, table, sheet)
            return _read_typed(con, p, name, table, fmt)


# --------------------------------------------------------------------------- reading in place

@dataclass
class RawSource:
    """An export ready to be read by one SQL statement (what :func:`open_raw` returns).

    ``table``: the TEMP table it was staged in (text columns and ``_row``, as :func:`read_raw`
    makes), or None when ``scan`` reads a UTF-8 CSV file straight into the caller's statement
    (no staging table at all). :meth:`relation` gives the SQL to read it from either way.
    ``columns``, ``file_format``, ``encoding``, ``sheet``: as :class:`RawTable`. ``rows``: data
    rows, known once the file has been read in full (at once for a staged file).
    """

    columns: list[str]
    file_format: str
    encoding: str | None
    sheet: str | None
    table: str | None = None
    rows: int | None = None
    scan: CsvScan | None = None
    path: str = ""
    options: dict = field(default_factory=dict)   # read_raw's options for this file
    cell_errors: dict[str, str] = field(default_factory=dict)   # as RawTable's (XLSX)
    cell_notes: dict[str, str] = field(default_factory=dict)

    def relation(self, numbered: bool = True) -> tuple[str, dict]:
        """SQL of a from-item with one text column per header and ``_row``, and its named
        parameters. For a direct CSV read, each call reads the file again and must be followed
        by :meth:`CsvScan.check`; ``numbered=False`` leaves ``_row`` NULL there (see
        :class:`CsvScan`: numbering rows makes DuckDB read the file with one thread)."""
        if self.scan is None:
            return _temp(self.table), {}
        return self.scan.relation(numbered)

    def staged(self, con: duckdb.DuckDBPyConnection, table: str) -> RawSource:
        """This export staged in TEMP table ``table`` by :func:`read_raw` (a direct CSV read that
        needs a re-read as GB18030 comes here; ``read_raw`` makes every decision again)."""
        raw = read_raw(con, self.path, table=table, **self.options)
        return RawSource(raw.columns, raw.file_format, raw.encoding, raw.sheet, raw.table, raw.rows,
                         None, self.path, self.options, raw.cell_errors, raw.cell_notes)

    def count_rows(self, con: duckdb.DuckDBPyConnection, table: str) -> RawSource:
        """Read the file in full to count its rows (every column is read, so a bad line or bad
        bytes anywhere are found as a staged read would find them); the source, with ``rows``."""
        if self.rows is not None:
            return self
        sql, params = self.relation(numbered=False)
        counts = ", ".join(f"count({_ident(c)})" for c in self.columns)
        try:
            with insertion_order_preserved(con):
                try:
                    rows = con.execute(f"SELECT count(*), {counts} FROM {sql}", params).fetchall()[0][0]
                except duckdb.Error as e:
                    raise self.scan.error(e) from None
                self.scan.check(con)
        except NeedsStaging:
            return self.staged(con, table)
        self.rows = int(rows)
        return self


class NeedsStaging(Exception):
    """A direct CSV read found bytes that are not UTF-8 after a plain-ASCII first MiB: the file
    must be read again through :func:`read_raw` (as GB18030), i.e. :meth:`RawSource.staged`."""


class CsvScan:
    """A UTF-8 CSV file read by DuckDB's parallel ``read_csv`` inside the caller's statement.

    Staging a large export as a text table and then reading that table costs about as much as
    parsing the file, so a UTF-8 CSV is not staged: :meth:`relation` gives a ``read_csv``
    from-item (the dialect :func:`read_raw` would use, every value ``VARCHAR``, named parameters)
    with ``_row``, the row number as :func:`read_raw` gives it (blank lines counted). Numbered
    rows come from ``row_number() OVER ()`` right above the reader, which makes DuckDB run that
    whole pipeline on one thread (and needs insertion order preserved:
    :func:`insertion_order_preserved`); an unnumbered read (``_row`` NULL) runs on every thread.
    After the statement the caller calls :meth:`check`, which raises :class:`InputError` for a
    faulty line (or :class:`NeedsStaging`); an error DuckDB raises during the statement goes
    through :meth:`error`. Faulty lines are found only in the columns a statement reads: read
    them all.

    Meant for a caller inside its own transaction (as the loader is): a read DuckDB aborts is
    then an :class:`InputError`, exactly as :func:`read_raw` reports it there.
    """

    def __init__(self, p: Path, name: str, dialect: _Dialect, encoding: str, given: str,
                 explicit: bool, head_ascii: bool):
        self.path, self.name, self.dialect, self.encoding = p, name, dialect, encoding
        self.given, self.explicit, self.head_ascii = given, explicit, head_ascii
        self.first = dialect.skip + 2  # the header is line skip + 1
        self._pending: list[tuple[str, str]] = []
        self._blanks: list[int] | None = None

    def blank_records(self) -> list[int]:
        """0-based indexes, among the lines after the header, of the blank lines DuckDB skips
        (looked for only when rows are numbered: unnumbered reads need none)."""
        if self._blanks is None:
            self._blanks = _blank_records(self.path, self.dialect.delim) if _has_blank_line(self.path) else []
        return self._blanks

    def relation(self, numbered: bool = True) -> tuple[str, dict]:
        tag = uuid.uuid4().hex[:16]
        rejects, scans = f"_presales_rejects_{tag}", f"_presales_scans_{tag}"
        self._pending.append((rejects, scans))
        k = f"csv_{tag}_"
        params: dict = {k + "path": str(self.path), k + "skip": self.dialect.skip, k + "delim": self.dialect.delim,
                        k + "columns": {c: "VARCHAR" for c in self.dialect.columns}, k + "rejects": rejects,
                        k + "scans": scans, k + "first": self.first}
        read = (f"read_csv(${k}path, auto_detect = false, header = true, skip = ${k}skip, delim = ${k}delim, "
                f"quote = '\"', escape = '\"', columns = ${k}columns, strict_mode = true, null_padding = false, "
                f"store_rejects = true, rejects_table = ${k}rejects, rejects_scan = ${k}scans, rejects_limit = 1000)")
        if not numbered:
            del params[k + "first"]
            return f"(SELECT *, CAST(NULL AS BIGINT) AS _row FROM {read})", params
        n = f"_n_{tag}"  # the record's index in the file (0-based), a name no header has
        ordered = f"(SELECT *, row_number() OVER () - 1 AS {n} FROM {read})"
        blanks = self.blank_records()
        if not blanks:
            return f"(SELECT * EXCLUDE ({n}), {n} + ${k}first AS _row FROM {ordered})", params
        # The k-th blank line (0-based) comes before every record whose index >= blanks[k] - k.
        th_shift: dict[int, int] = {}
        for i, b in enumerate(blanks):
            th_shift[b - i] = i + 1
        params[k + "th"], params[k + "shift"] = list(th_shift), list(th_shift.values())
        shifts = f"(SELECT unnest(CAST(${k}th AS BIGINT[])) AS th, unnest(CAST(${k}shift AS BIGINT[])) AS shift)"
        return (f"(SELECT c.* EXCLUDE ({n}), c.{n} + ${k}first + coalesce(s.shift, 0) AS _row "
                f"FROM {ordered} c ASOF LEFT JOIN {shifts} s ON c.{n} >= s.th)", params)

    def check(self, con: duckdb.DuckDBPyConnection) -> None:
        """Raise for the first faulty line the statements since the last check found."""
        pending, self._pending = self._pending, []
        problem = None
        for rejects, scans in pending:
            try:
                if problem is None:
                    found = con.execute(
                        f"SELECT line, error_type, error_message, csv_line FROM {_temp(rejects)} "
                        "ORDER BY error_type = 'INVALID ENCODING' DESC, line LIMIT 1").fetchall()
                    problem = found[0] if found else None
            finally:
                for t in (rejects, scans):
                    con.execute(f"DROP TABLE IF EXISTS {_temp(t)}")
        if problem is not None:
            try:
                _raise_rejected(*problem, name=self.name, delim=self.dialect.delim)
            except _NotUtf8 as e:
                raise self._not_utf8(e) from None

    def error(self, exc: duckdb.Error) -> Exception:
        """The exception to raise for an error DuckDB raised while a statement read this file:
        an :class:`InputError` for a CSV problem (as :func:`read_raw` words it inside a
        transaction), else ``exc`` itself."""
        msg = str(exc)
        if not ("CSV Error" in msg or "Invalid unicode" in msg or "state machine" in msg):
            return exc
        try:
            _raise_csv_error(msg, self.name, self.dialect.delim)
        except _NotUtf8 as e:
            return self._not_utf8(e)
        except _MixedNewlines:
            return InputError(_MIXED_NEWLINES, file=self.name)
        except InputError as e:
            return e
        return exc

    def _not_utf8(self, e: _NotUtf8) -> Exception:
        if self.explicit:
            return InputError(f"is not valid UTF-8 although encoding {self.given!r} was given; "
                              f"{_HOW_TO_SET_ENCODING}, or use 'auto'", file=self.name, row=e.line)
        if not self.head_ascii:
            return InputError(f"mixes encodings: it is UTF-8 in its first MiB but line {e.line} "
                              "is not; re-save the whole file in one encoding", file=self.name, row=e.line)
        if e.raised_by_duckdb:  # the transaction is aborted: no re-read
            return InputError(f"is not UTF-8 (line {e.line}); {_HOW_TO_SET_ENCODING}", file=self.name, row=e.line)
        return NeedsStaging()


def open_raw(con: duckdb.DuckDBPyConnection, path: str | os.PathLike[str], *, table: str,
             encoding: str = "auto", sheet: str | None = None, file_format: str = "auto",
             progress: Progress | None = None) -> RawSource:
    """Get the file at ``path`` ready for reading: a UTF-8 CSV is read in place later (its
    header and dialect are read now, see :class:`CsvScan`); anything else is staged now by
    :func:`read_raw` as TEMP table ``table``. Same options, checks and errors as
    :func:`read_raw`, which this is the lazy twin of (for a caller inside its transaction).

    >>> import duckdb, pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "商机.csv"
    >>> _ = p.write_text("项目编号,金额\\nP1, 12.5\\n\\nP2,\\n", encoding="utf-8")
    >>> con = duckdb.connect()
    >>> src = open_raw(con, p, table="raw_projects")
    >>> src.columns, src.table, src.encoding
    (['项目编号', '金额'], None, 'utf-8')
    >>> sql, params = src.relation()
    >>> con.execute(f"SELECT * FROM {sql} ORDER BY _row", params).fetchall()
    [('P1', ' 12.5', 2), ('P2', None, 4)]
    >>> src.scan.check(con)
    """
    p = Path(path)
    name = str(path)
    options = {"encoding": encoding, "sheet": sheet, "file_format": file_format}
    scan = None
    if p.is_file() and _format_of(p, file_format) == "csv" and p.stat().st_size > 0:
        _refuse_binary(p, name)
        scan = _open_csv(p, name, encoding)
    if scan is None:
        raw = read_raw(con, path, table=table, progress=progress, **options)
        return RawSource(raw.columns, raw.file_format, raw.encoding, raw.sheet, raw.table, raw.rows, None, name,
                         options, raw.cell_errors, raw.cell_notes)
    if progress:
        progress(0, p.stat().st_size)
    return RawSource(scan.dialect.columns, "csv", scan.encoding, None, None, None, scan, name, options)


def _open_csv(p: Path, name: str, encoding: str) -> CsvScan | None:
    """A :class:`CsvScan` for a UTF-8 CSV file whose header reads cleanly; None (stage it with
    :func:`read_raw`, which says what is wrong, or transcodes) otherwise."""
    total = p.stat().st_size
    with open(p, "rb") as f:
        head = f.read(SAMPLE_BYTES)
    whole = len(head) == total
    if encoding.strip().lower() == "auto":
        enc, explicit = _detect_encoding(head, whole, name), False
    else:
        enc, explicit = _explicit_encoding(encoding, head, whole, name), True
    if enc not in _UTF8:
        return None
    try:
        dialect = _csv_header(p, name, p.suffix.lower() == ".tsv")
    except _NotUtf8:
        return None
    return CsvScan(p, name, dialect, enc, encoding, explicit, head.isascii())


class insertion_order_preserved:
    """Context manager: ``preserve_insertion_order`` on for the statements inside (a direct CSV
    read numbers its rows in file order only then), the caller's value put back after."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self._inner = _insertion_order_preserved(con)

    def __enter__(self) -> None:
        self._inner.__enter__()

    def __exit__(self, *exc: object) -> None:
        self._inner.__exit__(*exc)


# --------------------------------------------------------------------------- common helpers

def _ident(name: str) -> str:
    """``name`` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _temp(table: str) -> str:
    """The fully qualified name of TEMP table ``table``."""
    return "temp.main." + _ident(table)


def _format_of(p: Path, file_format: str) -> str:
    formats = sorted(set(FORMATS_BY_SUFFIX.values()))
    if file_format != "auto":
        fmt = file_format.lower().lstrip(".")
        fmt = {"xlsm": "xlsx", "jsonl": "json", "ndjson": "json", "tsv": "csv", "txt": "csv"}.get(fmt, fmt)
        if fmt not in formats:
            raise InputError(f"unknown file format {file_format!r}; use one of: auto, "
                             + ", ".join(formats), file=str(p))
        return fmt
    fmt = FORMATS_BY_SUFFIX.get(p.suffix.lower())
    if fmt is None:
        raise InputError(
            f"cannot tell the format from the extension {p.suffix or '(none)'!r}; accepted: "
            + " ".join(FORMATS_BY_SUFFIX) + "; rename the file with the extension of its format",
            file=str(p))
    return fmt


#: The first bytes of files that are not text, and what they are: such a file named .csv is told so
#: (not to set an encoding).
_MAGIC = ((b"PK\x03\x04", "an Excel workbook (xlsx) (or another zip archive)", "rename it to .xlsx"),
          (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel workbook (.xls)",
           "open it in Excel and save it as .xlsx (or as CSV UTF-8)"),
          (b"PAR1", "a Parquet file", "rename it to .parquet"))


def _refuse_binary(p: Path, name: str) -> None:
    with open(p, "rb") as f:
        head = f.read(8)
    for magic, what, fix in _MAGIC:
        if head.startswith(magic):
            raise InputError(f"is {what}, not a CSV text file, although its name ends in {p.suffix}: {fix}",
                             file=name)


class _insertion_order_preserved:
    """Context manager: ``preserve_insertion_order`` on while we read (rowid = file order)."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self.before: bool | None = None

    def __enter__(self) -> None:
        value = self.con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()[0][0]
        self.before = bool(value)
        if not self.before:
            self.con.execute("SET preserve_insertion_order = true")

    def __exit__(self, *exc: object) -> None:
        if self.before is False:
            try:
                self.con.execute("SET preserve_insertion_order = false")
            except duckdb.Error:  # the caller's transaction is aborted: its error matters more
                pass


class _Transaction:
    """Context manager: our own transaction when the caller has none, else the caller's.

    ``owned`` says which. Two ``txid_current()`` calls return the same id only inside an
    open transaction (without one, each statement is a transaction of its own).
    """

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self.owned = False

    def __enter__(self) -> _Transaction:
        first = self.con.execute("SELECT txid_current()").fetchall()[0][0]
        second = self.con.execute("SELECT txid_current()").fetchall()[0][0]
        self.owned = first != second
        if self.owned:
            self.con.execute("BEGIN TRANSACTION")
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if self.owned:
            self.con.execute("COMMIT" if exc_type is None else "ROLLBACK")


def _clean_headers(raw: list[object], file: str) -> list[str]:
    """Trim headers, name empty ones ``column_<n>``, refuse duplicates and ``_row``."""
    names = []
    for i, h in enumerate(raw, start=1):
        text = "" if h is None else str(h)
        text = text.strip(_HEADER_STRIP)
        names.append(text or f"column_{i}")
    seen: dict[str, int] = {}
    for i, n in enumerate(names, start=1):
        key = n.casefold()
        if key == "_row":
            raise InputError(f"column {i} is named {n!r}, a name the loader reserves for row "
                             "numbers; rename that column in the file", file=file, column=n)
        if key in seen:
            j = seen[key]
            same = "" if names[j - 1] == n else f" ({names[j - 1]!r}; DuckDB column names ignore case)"
            raise InputError(f"header {n!r} appears twice: column {j}{same} and column {i}; "
                             "rename one of them in the file", file=file, column=n)
        seen[key] = i
    return names


def _add_row_numbers(con: duckdb.DuckDBPyConnection, table: str, first: int) -> int:
    """Add ``_row``: ``first`` for the first row stored, then +1 per row; return the rows.

    The table was just filled by one ``CREATE TABLE AS`` with insertion order preserved, so
    rowid order is file order. Rowids of a table not yet committed start at a large offset
    (DuckDB's transaction-local storage), hence ``rowid - min(rowid)``.
    """
    t = _temp(table)
    con.execute(f"ALTER TABLE {t} ADD COLUMN _row BIGINT")
    rows, base = con.execute(f"SELECT count(*), min(rowid) FROM {t}").fetchall()[0]
    if rows:
        con.execute(f"UPDATE {t} SET _row = rowid - $base + $first", {"base": base, "first": first})
    return int(rows)


def _drop(con: duckdb.DuckDBPyConnection, table: str) -> None:
    try:
        con.execute(f"DROP TABLE IF EXISTS {_temp(table)}")
    except duckdb.Error:  # e.g. an aborted transaction: nothing more we can do here
        pass


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else message


# --------------------------------------------------------------------------- CSV

def _read_csv(con: duckdb.DuckDBPyConnection, p: Path, name: str, table: str,
              encoding: str, progress: Progress | None) -> RawTable:
    """Detect or check the encoding, then read; re-read as GB18030 or with uniform line
    endings when the first attempt shows that is needed."""
    total = p.stat().st_size
    if total == 0:
        raise InputError("the file is empty (not even a header line)", file=name)
    with open(p, "rb") as f:
        head = f.read(SAMPLE_BYTES)
    whole = len(head) == total
    forced_tab = p.suffix.lower() == ".tsv"
    if encoding.strip().lower() == "auto":
        enc, explicit = _detect_encoding(head, whole, name), False
    else:
        enc, explicit = _explicit_encoding(encoding, head, whole, name), True

    normalise = False
    while True:
        txn = _Transaction(con)
        try:
            with txn:
                return _read_csv_as(con, p, name, table, enc, forced_tab, normalise, progress, total)
        except _NotUtf8 as e:
            if enc not in _UTF8:  # we wrote that UTF-8 ourselves
                raise InputError(f"internal error: transcoded text invalid at line {e.line}",
                                 file=name) from None
            if explicit:
                raise InputError(f"is not valid UTF-8 although encoding {encoding!r} was given; "
                                 f"{_HOW_TO_SET_ENCODING}, or use 'auto'",
                                 file=name, row=e.line) from None
            if not head.isascii():  # UTF-8 text first, then something else
                raise InputError(f"mixes encodings: it is UTF-8 in its first MiB but line {e.line} "
                                 "is not; re-save the whole file in one encoding",
                                 file=name, row=e.line) from None
            if e.raised_by_duckdb and not txn.owned:  # cannot re-read in an aborted transaction
                raise InputError(f"is not UTF-8 (line {e.line}); {_HOW_TO_SET_ENCODING}",
                                 file=name, row=e.line) from None
            enc = "gb18030"  # the first MiB was plain ASCII: GBK is the likely rest
        except _MixedNewlines:
            if normalise:
                raise InputError("cannot be parsed as CSV: a carriage return stands alone or a "
                                 "quote is misplaced; re-save it as CSV", file=name) from None
            if not txn.owned:
                raise InputError(_MIXED_NEWLINES, file=name) from None
            normalise = True
        except _BadBytes as g:
            how = f"encoding {encoding!r} was given" if explicit else (
                "it is not UTF-8 either" if enc == "gb18030" else f"it looked like {enc}")
            raise InputError(f"is not valid {enc} at line {g.line} (byte {g.offset}) but {how}; "
                             f"{_HOW_TO_SET_ENCODING}", file=name, row=g.line) from None


def _read_csv_as(con: duckdb.DuckDBPyConnection, p: Path, name: str, table: str, enc: str,
                 forced_tab: bool, normalise: bool, progress: Progress | None,
                 total: int) -> RawTable:
    """One attempt: UTF-8 straight into DuckDB, or transcoded to a temporary UTF-8 file
    (deleted after), with every line ending made ``\\n`` when ``normalise``."""
    if enc in _UTF8 and not normalise:
        if progress:
            progress(0, total)
        dialect = _csv_header(p, name, forced_tab)
        rows = _csv_into_table(con, p, name, table, dialect)
        if progress:
            progress(total, total)
        return RawTable(table, dialect.columns, rows, "csv", enc, None)
    fd, tmp_name = tempfile.mkstemp(prefix="presales-", suffix=".csv")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        _transcode(p, tmp, enc, progress, total, normalise)
        dialect = _csv_header(tmp, name, forced_tab)
        rows = _csv_into_table(con, tmp, name, table, dialect)
    finally:
        tmp.unlink(missing_ok=True)
    return RawTable(table, dialect.columns, rows, "csv", enc, None)


class _NotUtf8(Exception):
    """Bytes that are not UTF-8 at ``line``; ``raised_by_duckdb`` if DuckDB raised (so the
    caller's transaction, if any, is aborted) rather than recorded them as rejects."""

    def __init__(self, line: int | None, raised_by_duckdb: bool = False):
        self.line, self.raised_by_duckdb = line, raised_by_duckdb


class _MixedNewlines(Exception):
    pass


class _BadBytes(Exception):
    def __init__(self, line: int, offset: int):
        self.line, self.offset = line, offset


def _has_bom(head: bytes) -> str | None:
    for bom, enc in _BOMS:
        if head.startswith(bom):
            return enc
    return None


def _decodes(head: bytes, enc: str, whole: bool) -> bool:
    """Whether ``head`` decodes strictly (a character cut at the sample's end is fine)."""
    try:
        codecs.getincrementaldecoder(enc)(errors="strict").decode(head, final=whole)
        return True
    except UnicodeDecodeError:
        return False


def _detect_encoding(head: bytes, whole: bool, name: str) -> str:
    bom = _has_bom(head)
    if bom:
        return bom
    try:
        codecs.getincrementaldecoder("utf-8")(errors="strict").decode(head, final=whole)
        return "utf-8"
    except UnicodeDecodeError as e:
        _refuse_mixed(head, e.start, name)
    if _decodes(head, "gb18030", whole):
        return "gb18030"
    from charset_normalizer import from_bytes
    best = from_bytes(head).best()
    if best is None or best.encoding is None:
        raise InputError(f"cannot tell the text encoding; {_HOW_TO_SET_ENCODING}", file=name)
    return codecs.lookup(best.encoding).name


def _refuse_mixed(head: bytes, bad: int, name: str) -> None:
    """Refuse a file whose text is UTF-8 (several non-ASCII characters) up to byte ``bad``.

    Such a file mixes encodings (e.g. GBK lines appended to a UTF-8 export): decoding all of
    it as GB18030 would garble the UTF-8 part without any error.
    """
    prefix = head[:bad].decode("utf-8", errors="ignore")
    if sum(not ch.isascii() for ch in prefix) >= 8:
        line = head[:bad].count(b"\n") + 1
        raise InputError(f"mixes encodings: it is UTF-8 up to line {line}, which is not; re-save "
                         "the whole file in one encoding", file=name, row=line)


def _explicit_encoding(given: str, head: bytes, whole: bool, name: str) -> str:
    """The codec for an encoding the user named; refuse one the file plainly contradicts."""
    key = given.strip().lower().replace("_", "-")
    enc = ENCODING_ALIASES.get(key)
    if enc is None:
        try:
            enc = codecs.lookup(key).name
        except LookupError:
            raise InputError(f"unknown encoding {given!r}; use auto, utf-8, gb18030 (also for gbk), "
                             "utf-16 or another Python codec name", file=name) from None
        enc = ENCODING_ALIASES.get(enc, enc)
    bom = _has_bom(head)
    utf16ish = enc.startswith(("utf-16", "utf-32"))
    wrong = None
    if enc in _UTF8:
        if bom == "utf-8-sig":
            return "utf-8-sig"
        if bom:
            wrong = f"it starts with a {bom} byte-order mark"
    elif bom and not (utf16ish and bom.split("-")[1] == enc.split("-")[1]):
        wrong = f"it starts with a {bom} byte-order mark"
    elif _decodes(head, "utf-8", whole) and (
            not head.isascii() if not utf16ish else b"\x00" not in head):
        wrong = "it reads as UTF-8 (decoding it as the given encoding would garble the text)"
    if wrong:
        raise InputError(f"encoding {given!r} was given but {wrong}; use --encoding auto or the "
                         "right encoding (mapping file: `encoding =` under [source])", file=name)
    return enc


def _transcode(src: Path, dst: Path, enc: str, progress: Progress | None, total: int,
               normalise_newlines: bool) -> None:
    """Decode ``src`` strictly from ``enc`` and write UTF-8 to ``dst``, chunk by chunk."""
    dec = codecs.getincrementaldecoder(enc)(errors="strict")
    done, lines, pending_cr = 0, 1, ""
    if progress:
        progress(0, total)
    with open(src, "rb") as fi, open(dst, "w", encoding="utf-8", newline="") as fo:
        while True:
            chunk = fi.read(CHUNK_BYTES)
            final = not chunk
            state = dec.getstate()
            try:
                text = dec.decode(chunk, final=final)
            except UnicodeDecodeError as e:
                good = codecs.getincrementaldecoder(enc)(errors="replace")
                good.setstate((b"", state[1]))
                before = good.decode((state[0] + chunk)[:e.start], final=False)
                raise _BadBytes(lines + before.count("\n"), done - len(state[0]) + e.start) from None
            if normalise_newlines:
                text = pending_cr + text
                pending_cr = ""
                if text.endswith("\r") and not final:
                    text, pending_cr = text[:-1], "\r"
                text = text.replace("\r\n", "\n").replace("\r", "\n")
            lines += text.count("\n")
            fo.write(text)
            done += len(chunk)
            if final:
                break
            if progress:
                progress(done, total)
    if progress:
        progress(total, total)


@dataclass(frozen=True)
class _Dialect:
    """How to read a UTF-8 CSV file: header names, delimiter, blank lines before the header."""

    columns: list[str]
    delim: str
    skip: int


class _big_csv_fields:
    """Context manager: let Python's csv module read fields up to 2 GiB (default 128 KiB)."""

    def __enter__(self) -> None:
        self.before = csv.field_size_limit(2**31 - 1)

    def __exit__(self, *exc: object) -> None:
        csv.field_size_limit(self.before)


def _csv_header(p: Path, name: str, forced_tab: bool) -> _Dialect:
    """The header names, delimiter and leading blank lines of the UTF-8 CSV file ``p``.

    The delimiter is the candidate (, ; tab |) that splits the header into more than one
    field and splits the most sample lines into as many fields as the header.
    """
    size = p.stat().st_size
    with open(p, "rb") as f:
        head = f.read(SAMPLE_BYTES)
    whole = len(head) == size
    try:
        text = codecs.getincrementaldecoder("utf-8-sig")(errors="strict").decode(head, final=whole)
    except UnicodeDecodeError as e:
        raise _NotUtf8(head[:e.start].count(b"\n") + 1) from None
    if not whole:  # drop the line cut by the sample's end
        cut = max(text.rfind("\n"), 0)
        text = text[:cut + 1] if cut else text
    body = text.lstrip("\r\n")
    skip = text[:len(text) - len(body)].count("\n")
    best: tuple[tuple[bool, float, int], str, list[str]] | None = None
    for d in ("\t",) if forced_tab else _CSV_DELIMITERS:
        records = []
        reader = csv.reader(io.StringIO(body, newline=""), delimiter=d, quotechar='"', doublequote=True)
        try:
            with _big_csv_fields():
                for rec in reader:
                    if rec:
                        records.append(rec)
                    if len(records) >= 200:
                        break
        except csv.Error:
            continue
        if not records:
            continue
        header, data = records[0], records[1:]
        fit = sum(len(r) == len(header) for r in data) / len(data) if data else 1.0
        score = (len(header) > 1, fit, len(header))
        if best is None or score > best[0]:
            best = (score, d, header)
    if best is None:
        raise InputError("has no header line; the first line of a CSV must name the columns", file=name)
    return _Dialect(_clean_headers(best[2], name), best[1], skip)


_LINE_RE = re.compile(r"CSV Error on Line: (\d+)")
_FIELDS_RE = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")


def _csv_into_table(con: duckdb.DuckDBPyConnection, p: Path, name: str, table: str,
                    dialect: _Dialect) -> int:
    """Run DuckDB's parallel ``read_csv`` on the UTF-8 file ``p`` into TEMP ``table``.

    Faulty lines go to a rejects table instead of raising (``store_rejects``); any at all
    and the staged table is dropped and the first problem raised.
    """
    tag = uuid.uuid4().hex
    rejects, scans = f"_presales_rejects_{tag}", f"_presales_scans_{tag}"
    sql = (f"CREATE OR REPLACE TEMP TABLE {_ident(table)} AS SELECT * FROM read_csv(?, "
           "auto_detect = false, header = true, skip = ?, delim = ?, quote = '\"', escape = '\"', "
           "columns = ?, strict_mode = true, null_padding = false, store_rejects = true, "
           "rejects_table = ?, rejects_scan = ?, rejects_limit = 1000)")
    # The scan for blank lines (numpy, no GIL) runs beside DuckDB's read (no GIL either).
    with ThreadPoolExecutor(max_workers=1) as pool:
        blank_scan = pool.submit(_has_blank_line, p)
        try:
            con.execute(sql, [str(p), dialect.skip, dialect.delim,
                              {c: "VARCHAR" for c in dialect.columns}, rejects, scans])
        except duckdb.Error as e:
            _drop(con, table)
            _raise_csv_error(str(e), name, dialect.delim)
        has_blank = blank_scan.result()
    try:
        problems = con.execute(
            f"SELECT line, error_type, error_message, csv_line FROM {_temp(rejects)} "
            "ORDER BY error_type = 'INVALID ENCODING' DESC, line LIMIT 1").fetchall()
    finally:
        for t in (rejects, scans):
            con.execute(f"DROP TABLE IF EXISTS {_temp(t)}")
    if problems:
        _drop(con, table)
        _raise_rejected(*problems[0], name=name, delim=dialect.delim)
    first = dialect.skip + 2  # the header is line skip + 1
    rows = _add_row_numbers(con, table, first)
    blanks = _blank_records(p, dialect.delim) if has_blank else []
    if blanks:
        _shift_after_blank_lines(con, table, blanks, first)
    return rows


_DELIMITER_NAMES = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}


def _raise_rejected(line: int, kind: str, message: str, text: str | None, *, name: str,
                    delim: str) -> None:
    """Turn the first row of DuckDB's rejects table into an :class:`InputError` (or a retry)."""
    line = int(line)
    text = (text or "").strip()[:200] or None
    if kind == "INVALID ENCODING" or "unicode" in (message or "").lower():
        raise _NotUtf8(line)
    too_long = _too_long(line, message, name, text)
    if too_long:
        raise too_long
    f = _FIELDS_RE.search(message or "")
    if kind in ("TOO MANY COLUMNS", "MISSING COLUMNS") and f:
        raise InputError(
            f"line {line} has {f.group(2)} fields but the header has {f.group(1)} "
            f"(delimiter: {_DELIMITER_NAMES[delim]}); fix that line, or put values that contain "
            "the delimiter in double quotes", file=name, row=line, value=text)
    if kind == "UNQUOTED VALUE":
        raise InputError(f"line {line} has a double quote that is not closed, or a value after "
                         "a closing quote; fix the quotes on that line", file=name, row=line, value=text)
    raise InputError(f"line {line} cannot be read as CSV ({kind.lower()}): {message}",
                     file=name, row=line, value=text)


_LINE_SIZE_RE = re.compile(r"Maximum line size of (\d+) bytes exceeded\. Actual Size:\s*(\d+)")


def _too_long(line: int | None, message: str | None, name: str, text: str | None) -> InputError | None:
    """Our message for a line longer than DuckDB reads (2 MB), or None if ``message`` is another."""
    m = _LINE_SIZE_RE.search(message or "")
    if not m:
        return None
    limit, size = (int(g) for g in m.groups())
    where = f"line {line}" if line is not None else "a line"
    return InputError(f"{where} is {size / (1 << 20):.1f} MB long, more than the {limit / 1e6:.0f} MB a line may "
                      "have: no export value is that long. Look for a double quote that is not closed (which "
                      "makes the rest of the file one value), or a file that is not an export; fix that line",
                      file=name, row=line, value=(text or "")[:200] or None)


def _raise_csv_error(msg: str, name: str, delim: str) -> None:
    """Turn an error DuckDB raised while reading a CSV into an :class:`InputError` (or a retry)."""
    m = _LINE_RE.search(msg)
    line = int(m.group(1)) if m else None
    if "Invalid unicode" in msg and line is not None:
        raise _NotUtf8(line, raised_by_duckdb=True)
    if "state machine reached an invalid state" in msg:
        raise _MixedNewlines()
    too_long = _too_long(line, msg, name, None)
    if too_long:
        raise too_long
    raise InputError(f"cannot be read as CSV: {_first_line(msg)}", file=name, row=line)


def _has_blank_line(p: Path, step: int = 16 << 20) -> bool:
    """Whether the file has an empty line between its first and last text (about 0.04 s per
    100 MB, vectorised). Such a line may be a blank line, which DuckDB skips, or sit inside
    a quoted value; :func:`_blank_records` tells which."""
    import numpy as np

    size = p.stat().st_size
    if size == 0:
        return False
    with open(p, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        start, end = 0, size
        while start < end and mm[start] in (0x0A, 0x0D):
            start += 1
        while end > start and mm[end - 1] in (0x0A, 0x0D):
            end -= 1
        data = np.frombuffer(mm, dtype=np.uint8)
        found, chunk, lf, gaps = False, None, None, None
        for s in range(start, end, step):
            chunk = data[s:min(end, s + step + 2)]  # 2 bytes of overlap: "\n\r\n" spans 3
            lf = np.flatnonzero(chunk == 0x0A)
            gaps = np.diff(lf)
            if (gaps == 1).any() or (chunk[lf[:-1][gaps == 2] + 1] == 0x0D).any():
                found = True
                break
        del data, chunk, lf, gaps  # release the buffer before the mmap closes
    return found


def _blank_records(p: Path, delim: str) -> list[int]:
    """0-based indexes (among the lines after the header) of blank lines, which DuckDB skips.

    Parses the file with Python's csv module (slow: run only when :func:`_has_blank_line`).
    """
    blanks = []
    with open(p, encoding="utf-8-sig", newline="") as f, _big_csv_fields():
        reader = csv.reader(f, delimiter=delim, quotechar='"', doublequote=True)
        for rec in reader:  # leading blank lines, then the header
            if rec:
                break
        for i, rec in enumerate(reader):
            if not rec:
                blanks.append(i)
    return blanks


def _shift_after_blank_lines(con: duckdb.DuckDBPyConnection, table: str, blanks: list[int],
                             first: int) -> None:
    """Add to ``_row`` the number of blank lines before each record (DuckDB skips them)."""
    t = _temp(table)
    shifts = "_presales_shifts_" + uuid.uuid4().hex
    # The k-th blank line (0-based) comes before every record whose rowid >= blanks[k] - k.
    th_shift: dict[int, int] = {}
    for k, b in enumerate(blanks):
        th_shift[b - k] = k + 1
    con.execute(f"CREATE TEMP TABLE {_ident(shifts)} AS SELECT unnest(?::BIGINT[]) AS th, "
                "unnest(?::BIGINT[]) AS shift", [list(th_shift), list(th_shift.values())])
    try:
        con.execute(f"UPDATE {t} SET _row = {t}._row + s.shift FROM (SELECT r._row AS r, x.shift "
                    f"FROM {t} r ASOF JOIN {_temp(shifts)} x ON r._row - {int(first)} >= x.th) s "
                    f"WHERE {t}._row = s.r")
    finally:
        con.execute(f"DROP TABLE IF EXISTS {_temp(shifts)}")


# --------------------------------------------------------------------------- XLSX

def _cell_text(v: object) -> str | None:
    """A spreadsheet cell as text: see :func:`read_raw` (integral floats without ``.0``)."""
    if v is None or v == "":
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isfinite(v) and v.is_integer():
            return str(int(v))
        return repr(v)
    if isinstance(v, datetime):
        v = v.replace(tzinfo=None)
        if v.microsecond >= 500_000:
            v = v + timedelta(microseconds=1_000_000 - v.microsecond)
        return (f"{v.year:04d}-{v.month:02d}-{v.day:02d} "
                f"{v.hour:02d}:{v.minute:02d}:{v.second:02d}")
    if isinstance(v, date):
        return f"{v.year:04d}-{v.month:02d}-{v.day:02d}"
    if isinstance(v, time):
        return f"{v.hour:02d}:{v.minute:02d}:{v.second:02d}"
    if isinstance(v, timedelta):
        return str(v)
    return str(v)


def _read_xlsx(con: duckdb.DuckDBPyConnection, p: Path, name: str, table: str,
               sheet: str | None) -> RawTable:
    import pandas as pd
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(p))
    except Exception as e:  # calamine raises its own error types for a broken file
        raise InputError(f"cannot be opened as an Excel workbook ({e}); is it really .xlsx?",
                         file=name) from None
    try:
        names = list(wb.sheet_names)
        if not names:
            raise InputError("the workbook has no sheets", file=name)
        chosen = names[0] if sheet is None else sheet
        if chosen not in names:
            raise InputError(f"has no sheet {sheet!r}; its sheets are: "
                             + ", ".join(repr(n) for n in names), file=name)
        ws = wb.get_sheet_by_name(chosen)
        cells = ws.to_python(skip_empty_area=False)
        merged = list(ws.merged_cell_ranges or [])
    finally:
        wb.close()

    rows = [[_cell_text(v) for v in r] for r in cells]
    nonempty = [i for i, r in enumerate(rows) if any(c is not None for c in r)]
    if not nonempty:
        raise InputError(f"sheet {chosen!r} is empty (no header row)", file=name)
    header_i = nonempty[0]
    # cells calamine reads as empty although they are not: errors, formulas without a saved value
    unreadable = {(i, j): what for (i, j), what in _unreadable_cells(p, chosen).items() if i > header_i}
    for (i, j), (text, _) in unreadable.items():
        while len(rows) <= i:
            rows.append([])
        rows[i] += [None] * (j + 1 - len(rows[i]))
        rows[i][j] = text
    notes = _fill_merged(rows, merged, header_i, chosen)
    nonempty = [i for i, r in enumerate(rows) if any(c is not None for c in r)]
    width = max(len(r) for r in rows)
    used = [j for j in range(width) if any(j < len(r) and r[j] is not None for r in rows[nonempty[0]:])]
    first_col, last_col = used[0], used[-1]

    def cut(r: list[str | None]) -> list[str | None]:
        r = r[first_col:last_col + 1]
        return r + [None] * (last_col + 1 - first_col - len(r))

    cols = _clean_headers(cut(rows[header_i]), name)
    data = [(i + 1, cut(rows[i])) for i in nonempty[1:]]  # Excel row number = index + 1
    frame = pd.DataFrame({f"c{j}": pd.array([r[j] for _, r in data], dtype="str")
                          for j in range(len(cols))})
    frame["_row"] = pd.array([n for n, _ in data], dtype="int64")
    extra, cell_errors, cell_notes = [], {}, {}
    taken = {c.casefold() for c in cols}
    for kind, found, target in (("error", {k: v[1] for k, v in unreadable.items()}, cell_errors),
                                ("note", notes, cell_notes)):
        for j in sorted({j - first_col for _, j in found if first_col <= j <= last_col}):
            by_row = {i + 1: m for (i, jj), m in found.items() if jj - first_col == j}
            column = f"_cell_{kind}_{j}"
            while column.casefold() in taken:
                column = "_" + column
            taken.add(column.casefold())
            frame[column] = pd.array([by_row.get(n) for n, _ in data], dtype="str")
            extra.append(f"CAST({_ident(column)} AS VARCHAR) AS {_ident(column)}")
            target[cols[j]] = column
    view = "_presales_xlsx_" + uuid.uuid4().hex
    con.register(view, frame)
    try:
        select = ", ".join([f"CAST(c{j} AS VARCHAR) AS {_ident(c)}" for j, c in enumerate(cols)] + extra)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_ident(table)} AS SELECT {select}, "
                    f"CAST(_row AS BIGINT) AS _row FROM {_ident(view)} ORDER BY _row")
    finally:
        con.unregister(view)
    n = int(con.execute(f"SELECT count(*) FROM {_temp(table)}").fetchall()[0][0])
    return RawTable(table, cols, n, "xlsx", None, chosen, cell_errors, cell_notes)


def cell_ref(i: int, j: int) -> str:
    """The A1-style reference of the cell at 0-based row ``i`` and column ``j``."""
    letters = ""
    j += 1
    while j:
        j, rest = divmod(j - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{i + 1}"


_REF_RE = re.compile(r"^([A-Z]+)(\d+)$")


def _ref_cell(ref: str) -> tuple[int, int]:
    """0-based (row, column) of an A1-style reference."""
    letters, digits = _REF_RE.match(ref).groups()
    j = 0
    for ch in letters:
        j = j * 26 + ord(ch) - 64
    return int(digits) - 1, j - 1


def _fill_merged(rows: list[list[str | None]], merged, header_i: int, sheet: str) -> dict[tuple[int, int], str]:
    """Give every cell of a merged range below the header its first (top-left) cell's value, as a
    person reading the sheet sees it; the warning of each cell filled, by (row, column)."""
    notes = {}
    for (r0, c0), (r1, c1) in merged:
        if r0 <= header_i or r0 >= len(rows) or c0 >= len(rows[r0]) or rows[r0][c0] is None:
            continue
        anchor = rows[r0][c0]
        span = f"{cell_ref(r0, c0)}:{cell_ref(r1, c1)}"
        for i in range(r0, r1 + 1):
            while len(rows) <= i:
                rows.append([])
            for j in range(c0, c1 + 1):
                if (i, j) == (r0, c0):
                    continue
                rows[i] += [None] * (j + 1 - len(rows[i]))
                rows[i][j] = anchor
                notes[(i, j)] = (f"{sheet}!{cell_ref(i, j)} is part of the merged range {span}: "
                                 "read as its first cell's value")
    return notes


_FORMULA_OR_ERROR = re.compile(rb'<(?:\w+:)?f[ >/]|\st="e"')


def _unreadable_cells(p: Path, sheet: str) -> dict[tuple[int, int], tuple[str, str]]:
    """Cells of ``sheet`` holding an error value (``#DIV/0!``) or a formula with no saved value,
    which calamine reads as empty: (row, column) -> (the text to show, why it cannot be read).
    The sheet's XML is scanned for formulas and errors first, and parsed only when it has some."""
    import zipfile
    from xml.etree import ElementTree as ET

    try:
        with zipfile.ZipFile(p) as z:
            member = _sheet_member(z, sheet)
            if member is None:
                return {}
            with z.open(member) as f:
                tail, hit = b"", False
                while block := f.read(1 << 20):
                    if _FORMULA_OR_ERROR.search(tail + block):
                        hit = True
                        break
                    tail = block[-16:]
            if not hit:
                return {}
            found = {}
            with z.open(member) as f:
                for _, el in ET.iterparse(f):
                    if not el.tag.endswith("}c") and el.tag != "c":
                        continue
                    ref, kind = el.get("r"), el.get("t")
                    formula = value = None
                    for child in el:
                        tag = child.tag.rsplit("}", 1)[-1]
                        if tag == "f":
                            formula = child.text or ""
                        elif tag == "v":
                            value = child.text
                    el.clear()
                    if ref is None:
                        continue
                    if kind == "e":
                        text = value or "#ERROR"
                        found[_ref_cell(ref)] = (text, f"{sheet}!{ref} holds the error {text}: the value "
                                                       "is unknown; fix it in the workbook and export again")
                    elif formula is not None and value is None and kind != "str":
                        found[_ref_cell(ref)] = (f"={formula}", f"{sheet}!{ref} holds a formula with no saved "
                                                 "value (the file was written by a program that does not "
                                                 "calculate); open it in Excel or LibreOffice and save it again")
            return found
    except (zipfile.BadZipFile, ET.ParseError, KeyError, OSError):
        return {}


def _sheet_member(z, sheet: str) -> str | None:
    """The zip member holding the XML of the sheet named ``sheet``."""
    from xml.etree import ElementTree as ET

    rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    book = ET.fromstring(z.read("xl/workbook.xml"))
    rid = next((el.get(rel) for el in book.iter() if el.tag.endswith("}sheet") and el.get("name") == sheet), None)
    rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    target = next((el.get("Target") for el in rels.iter() if el.get("Id") == rid), None)
    if target is None:
        return None
    return target.lstrip("/") if target.startswith("/") else "xl/" + target


# --------------------------------------------------------------------------- Parquet / JSON

_NESTED_RE = re.compile(r"^(STRUCT|MAP|UNION)\(|\]$")


def _as_text(col: str, typ: str) -> str:
    """SQL turning typed column ``col`` into text (see module docstring)."""
    c = _ident(col)
    t = typ.upper()
    if t in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"):
        expr = f"CAST(CAST({c} AS TIMESTAMP) AS VARCHAR)"  # to the session TimeZone (icu)
    elif t == "JSON":
        expr = (f"CASE json_type({c}) WHEN 'NULL' THEN NULL WHEN 'VARCHAR' THEN {c} ->> '$' "
                f"ELSE CAST({c} AS VARCHAR) END")
    elif _NESTED_RE.search(t):
        expr = f"CAST(to_json({c}) AS VARCHAR)"
    else:
        expr = f"CAST({c} AS VARCHAR)"
    return f"NULLIF({expr}, '')"


def _refuse_cut_array(p: Path, name: str) -> None:
    """Refuse a JSON array without its closing ``]`` (DuckDB reads the complete records of an array
    cut after a comma as if they were the whole file): the export was cut short."""
    size = p.stat().st_size
    with open(p, "rb") as f:
        head = f.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
        if not head.startswith(b"["):
            return
        f.seek(max(0, size - 4096))
        tail = f.read()
    end = tail.rstrip(b" \t\r\n")
    if end.endswith(b"]"):
        return
    last = size - (len(tail) - len(end))       # bytes up to and with the last non-blank one
    line, left = 1, last
    with open(p, "rb") as f:
        while left > 0:
            block = f.read(min(left, 1 << 20))
            line, left = line + block.count(b"\n"), left - len(block)
    after = {b",": "after a comma", b"}": "after a record"}.get(end[-1:], "inside a record") if end else "empty"
    raise InputError(f"is cut short: the JSON array has no closing ] (the file ends at line {line}, byte {last}, "
                     f"{after}); the export is incomplete: export it again", file=name)


def _read_typed(con: duckdb.DuckDBPyConnection, p: Path, name: str, table: str, fmt: str) -> RawTable:
    """Parquet, or JSON (an array of records, or JSON Lines), every column cast to text."""
    if fmt == "parquet":
        source, params = "read_parquet(?)", [str(p)]
    else:
        source, params = "read_json(?, format = 'auto', records = true, sample_size = -1)", [str(p)]
    what = "Parquet" if fmt == "parquet" else "JSON (an array of objects, or one object per line)"
    if fmt == "json":
        _refuse_cut_array(p, name)
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {source}", params).fetchall()
    except duckdb.Error as e:
        msg = _first_line(str(e))
        if fmt == "json" and "non-record" in msg:
            msg = "it holds no records (objects)"
        raise InputError(f"cannot be read as {what}: {msg}", file=name) from None
    originals = [d[0] for d in described]
    types = [d[1] for d in described]
    cols = _clean_headers(originals, name)
    if fmt == "json":  # re-read every field as JSON so values keep their written form
        source = ("read_json(?, format = 'auto', records = true, columns = ?)")
        params = [str(p), {o: "JSON" for o in originals}]
        types = ["JSON"] * len(originals)
    select = ", ".join(f"{_as_text(o, t)} AS {_ident(c)}" for o, t, c in zip(originals, types, cols))
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_ident(table)} AS SELECT {select} FROM {source}", params)
    except duckdb.Error as e:
        _drop(con, table)
        raise InputError(f"cannot be read as {what}: {_first_line(str(e))}", file=name) from None
    rows = _add_row_numbers(con, table, 1)
    return RawTable(table, cols, rows, fmt, None, None)
