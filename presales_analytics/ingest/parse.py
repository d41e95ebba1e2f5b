"""Turn an export (a raw text source) into one *checked* table, in a single DuckDB statement.

The checked table has, per row: ``_row`` (the row as seen in the file; present when some row needs
it, see below); every canonical column of the table the export has, typed (the others are NULL:
``Checked.absent``); the derived columns of the table's rules; ``_bad`` (the row is rejected); and
``_issues``, NULL on most rows, else JSON text with ``problems`` (rejected rows: a list of
``{column, value, reason}``, the export's header, the text as written, why) and ``warnings`` (rows
with data-quality findings: a list of ``{rule, column, value, message}``), read with
:data:`PROBLEMS` and :data:`WARNINGS`. Event rows also have :data:`EVENT_COLUMNS`.

The statement is a chain of projections that DuckDB runs as one pipeline, so a large export is
read once and stored once, with its reasons kept only where there are some. A UTF-8 CSV is read
straight from the file by that statement (see :class:`~.readers.CsvScan`); other formats come
from their staging table. Headers (export text) reach the statement as bound parameters, never
as SQL text.

What would need a look at the whole file before the statement is *assumed*, then checked on the
result, and the statement run once more with the facts only when an assumption was wrong:

- closed-list values (stage, status, grade, activity kind, document type) and channel partners
  are resolved through a table of the spellings the configuration knows; a value it lacks marks
  its row ``_miss``, and then every distinct value is resolved (:mod:`.lookups`) instead;
- year-last dates (05/09/2026) are assumed absent; such a date cannot be read without a day/month
  order, so it rejects its row, and only when rows were rejected are the values looked at for the
  order they show (``25/09/2026`` tells day first);
- project ids are assumed unique in the file; the window that rejects all but the last row of a
  repeated id is added only when they are not;
- a CSV read in place is read without row numbers (numbering makes DuckDB read with one thread).
  Only rejected rows and rows with warnings need theirs: such rows keep a key of their text, and
  one more, numbered read of the file finds the rows with those keys (two rows with the same
  text get the same verdict, so which of them gets which number changes nothing).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import duckdb

from ..config import Config
from ..errors import InputError
from .columns import TABLES
from .lookups import DIRECT_SPELLINGS, needs_lookup, resolve_values
from .mapping import HeaderPlan, Mapping
from .readers import NeedsStaging, RawSource, insertion_order_preserved
from .rules import CHILD_TABLES, DEDUP_KEYS, derived_columns, rules, sql_type
from ..sql import ident, sql_literal
from .values import (Parser, YEAR_LAST, amount_parser, clean_text, date_parser, id_parser, lookup_parser,
                     number_parser, text_parser)

#: Columns of checked event rows that identify an event by integers: the row id of its project in
#: ``projects``, the code of its stage in its lookup table (see _lookup_table), and its date;
#: whether it is the closing event of a closed project with a closed date. See write.write_history
#: and write.EventCoverage.
EVENT_COLUMNS = ("_covers", "_stage_code", "_closes")

#: SQL over a checked table: the problems of a rejected row (a list of {column, value, reason}),
#: the warnings of a row (a list of {rule, column, value, message}), whether it has warnings.
PROBLEMS = ("""from_json(_issues -> '$.problems', """
            """'[{"column": "VARCHAR", "value": "VARCHAR", "reason": "VARCHAR"}]')""")
WARNINGS = ("""from_json(_issues -> '$.warnings', """
            """'[{"rule": "VARCHAR", "column": "VARCHAR", "value": "VARCHAR", "message": "VARCHAR"}]')""")
HAS_WARNINGS = "_issues ->> '$.warnings'"

#: Kinds whose values come from the configuration's closed lists.
_CLOSED_KINDS = ("stage", "status", "grade", "activity", "document")


@dataclass
class Checked:
    """The checked table ``name`` and what it holds."""

    name: str
    present: list[str]                                     # canonical columns the export has
    entered: list[tuple[str, str, str]] = field(default_factory=list)  # (column, header, stage key)
    notes: list[str] = field(default_factory=list)
    rows: int = 0                                          # data rows read from the export
    encoding: str | None = None                            # as it was finally read (CSV)
    keyed_events: bool = False                             # has EVENT_COLUMNS
    unnumbered: bool = False                               # read without row numbers (see module doc)
    bad: int = 0                                           # rows rejected
    absent: dict[str, str] = field(default_factory=dict)   # canonical columns not stored -> SQL type
    warned: int = 0                                        # rows with data-quality warnings


@dataclass
class _Facts:
    """What one run of the statement takes as given: the day/month order of year-last dates, the
    lookup tables that are exact (every distinct value resolved), and whether ids repeat."""

    order: str | None = None
    order_known: bool = False
    notes: list[str] = field(default_factory=list)
    exact: dict[str, str] = field(default_factory=dict)    # header -> exact lookup table
    dedup: bool | None = None                              # None: not known yet


def build_checked(con: duckdb.DuckDBPyConnection, source: RawSource, plan: HeaderPlan, mapping: Mapping,
                  config: Config, *, name: str) -> Checked:
    """Create temp table ``name`` from the export ``source`` as the module docstring describes.

    A CSV that turns out not to be UTF-8 past its first MiB is staged (re-read as GB18030) and
    checked from there; ``Checked.encoding`` says how it was read in the end.
    """
    with insertion_order_preserved(con), _build_side_as_written(con):
        while True:
            try:
                return _build(con, source, plan, mapping, config, name)
            except NeedsStaging:
                _drop_tables(con, name)
                source = source.staged(con, f"{name}_raw")


def _build(con, source: RawSource, plan: HeaderPlan, mapping: Mapping, config: Config, name: str) -> Checked:
    kinds = TABLES[plan.table]
    facts = _Facts()
    evidence = [h for c, h in plan.columns.items() if kinds[c] in ("date", "close_date")] + list(plan.entered)
    if mapping.date_order or mapping.date_format or not evidence:
        facts.order, facts.notes = _declared_order(mapping)
        facts.order_known = True
    elif any(c in mapping.values for c, h in plan.columns.items() if h in evidence):
        # a date column read through a [values.X] table: its year-last dates reject nothing
        facts.order, facts.notes = _date_order(con, source, evidence)
        facts.order_known = True
    lookups = {h: (c, kinds[c]) for c, h in plan.columns.items() if needs_lookup(kinds[c], c, mapping.values)}
    guessable = {h for h, (c, kind) in lookups.items() if _vocabulary_for(kind, c, mapping) and source.scan}
    _exact_lookups(con, source, name, [h for h in lookups if h not in guessable], lookups, mapping, config, facts)
    vocab = {h: _vocabulary_table(con, f"{name}_vocab{i}", *lookups[h], mapping, config)
             for i, h in enumerate(sorted(guessable))}
    key = DEDUP_KEYS.get(plan.table)
    if key and plan.table == "projects":
        facts.dedup = None if "project_id" in plan.columns else False
    else:
        facts.dedup = bool(key)

    result = _run(con, source, plan, mapping, config, name, facts, vocab)
    bad, missed, repeats, unplaced, result.warned = _verdict(con, name, plan, facts, vocab, result)
    again = False
    if missed:
        _exact_lookups(con, source, name, sorted(vocab), lookups, mapping, config, facts)
        vocab, again = {}, True
    if bad and not facts.order_known:
        facts.order, facts.notes = _date_order(con, source, evidence)
        facts.order_known = True
        again = again or facts.order is not None
    if facts.dedup is None:
        facts.dedup = bool(repeats)
        again = again or facts.dedup
    if again:
        con.execute(f"DROP TABLE {name}")
        result = _run(con, source, plan, mapping, config, name, facts, vocab)
        bad, _, _, unplaced, result.warned = _verdict(con, name, plan, facts, vocab, result)
    if unplaced and not _place_rows(con, source, name):
        con.execute(f"DROP TABLE {name}")
        result = _run(con, source, plan, mapping, config, name, facts, vocab, numbered=True)
        bad, _, _, _, result.warned = _verdict(con, name, plan, facts, vocab, result)
    result.bad = bad
    return result


def _verdict(con, name: str, plan: HeaderPlan, facts: _Facts, vocab: dict[str, str],
             result: Checked) -> tuple[int, int, int, int, int]:
    """(rejected rows, rows with a value the spelling tables lack, repeated project ids, rows
    still without their row number, rows with warnings)."""
    missed = "count(*) FILTER (WHERE (_issues ->> '$.miss') = 'true')" if vocab else "0"
    repeats = "count(project_id) - count(DISTINCT project_id)" if facts.dedup is None else "0"
    unplaced = "count(_issues ->> '$.k')" if result.unnumbered else "0"
    return con.execute(f"SELECT count(*) FILTER (WHERE _bad), {missed}, {repeats}, {unplaced}, "
                       f"count({HAS_WARNINGS}) FROM {name}").fetchall()[0]


def _place_rows(con, source: RawSource, name: str) -> bool:
    """Number the rows of checked table ``name`` that need a row number (rejected rows, rows with
    warnings: their ``_issues`` has the keys of their text) from one numbered read of the file.
    False when the keys do not pair up one to one (the caller then checks the file again with
    numbered rows)."""
    cols = ", ".join(ident(c) for c in source.columns)
    relation, params = source.relation(numbered=True)
    positions, keyed = f"{name}_positions", f"{name}_keyed"
    con.execute(f"""CREATE TEMP TABLE {keyed} AS
        SELECT rowid AS rid, CAST(_issues ->> '$.k' AS UBIGINT) AS k, CAST(_issues ->> '$.k2' AS UHUGEINT) AS k2
        FROM {name} WHERE _issues ->> '$.k' IS NOT NULL""")
    try:
        con.execute(f"""CREATE TEMP TABLE {positions} AS
            SELECT _row, hash({cols}) AS k, md5_number(to_json([{cols}])) AS k2 FROM {relation}
            WHERE hash({cols}) IN (SELECT k FROM {keyed})""", params)
    except duckdb.Error as e:
        raise source.scan.error(e) from None
    source.scan.check(con)
    # the same text as many times in the file as among the rows to number, key by key
    mismatched = con.execute(f"""
        SELECT count(*) FROM (SELECT k, k2, count(*) AS n FROM {keyed} GROUP BY ALL) c
        LEFT JOIN (SELECT k, k2, count(*) AS n FROM {positions} GROUP BY ALL) p ON p.k = c.k AND p.k2 = c.k2
        WHERE p.n IS DISTINCT FROM c.n""").fetchall()[0][0]
    if not mismatched:
        con.execute(f"ALTER TABLE {name} ADD COLUMN _row BIGINT")
        con.execute(f"""UPDATE {name} SET _row = m.file_row FROM (
            SELECT c.rid, p._row AS file_row
            FROM (SELECT rid, k, k2, row_number() OVER (PARTITION BY k, k2 ORDER BY rid) AS i FROM {keyed}) c
            JOIN (SELECT _row, k, k2, row_number() OVER (PARTITION BY k, k2 ORDER BY _row) AS i
                  FROM {positions}) p ON p.k = c.k AND p.k2 = c.k2 AND p.i = c.i) m
            WHERE {name}.rowid = m.rid""")
    con.execute(f"DROP TABLE {positions}")
    con.execute(f"DROP TABLE {keyed}")
    return not mismatched


def _drop_tables(con, name: str) -> None:
    """The checked table and the lookup tables of one attempt."""
    for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary AND "
                            "(table_name = $n OR starts_with(table_name, $p))",
                            {"n": name, "p": name + "_"}).fetchall():
        con.execute(f"DROP TABLE IF EXISTS temp.main.{ident(t)}")


class _build_side_as_written:
    """Context manager: joins build their hash table on the side the SQL puts on the right.

    DuckDB estimates a ``read_csv`` without sniffing at a few dozen rows, and would otherwise
    build the hash table of the projects join on the export (millions of rows) instead of on
    ``projects``. The caller's ``disabled_optimizers`` is put back after.
    """

    def __init__(self, con):
        self.con = con
        self.before: str | None = None

    def __enter__(self) -> None:
        self.before = str(self.con.execute("SELECT current_setting('disabled_optimizers')").fetchall()[0][0] or "")
        names = [n for n in self.before.split(",") if n.strip()]
        if "build_side_probe_side" not in [n.strip() for n in names]:
            self.con.execute("SET disabled_optimizers = $v",
                             {"v": ",".join(names + ["build_side_probe_side"])})

    def __exit__(self, *exc: object) -> None:
        try:
            self.con.execute("SET disabled_optimizers = $v", {"v": self.before or ""})
        except duckdb.Error:  # an aborted transaction: its error matters more
            pass


# --------------------------------------------------------------------------- facts about the file

def _declared_order(mapping: Mapping) -> tuple[str | None, list[str]]:
    fmt = mapping.date_format or ""
    return mapping.date_order or ("dmy" if fmt.startswith("%d") else "mdy" if fmt.startswith("%m") else None), []


def _read(con, source: RawSource, select: str, params: dict) -> list[tuple]:
    """``SELECT select FROM`` the source (one aggregate row); raise what a faulty file calls for."""
    relation, rel_params = source.relation(numbered=False)
    try:
        rows = con.execute(f"SELECT {select} FROM {relation}", {**params, **rel_params}).fetchall()
    except duckdb.Error as e:
        raise (source.scan.error(e) if source.scan else e) from None
    if source.scan:
        source.scan.check(con)
    return rows


def _date_order(con, source: RawSource, headers: list[str]) -> tuple[str | None, list[str]]:
    """The day/month order for year-last dates, told by values such as 25/09/2026."""
    checks = []
    for h in headers:
        # cheap prefilter: a year-last date has its first separator at the 2nd or 3rd character
        where = (f"substr({ident(h)}, 2, 1) IN ('/', '.', '-') OR substr({ident(h)}, 3, 1) IN ('/', '.', '-')")
        for group in (1, 2):
            checks.append(f"max(TRY_CAST(regexp_extract({ident(h)}, $pattern, {group}) AS INTEGER)) "
                          f"FILTER (WHERE {where})")
    values = _read(con, source, ", ".join(checks), {"pattern": YEAR_LAST})[0]
    first = max((v for v in values[0::2] if v is not None), default=0)
    second = max((v for v in values[1::2] if v is not None), default=0)
    if first > 12 and second <= 12:
        return "dmy", ["dates written with the year last read as day/month/year (values such as "
                       f"{first}/…/… show it); declare --date-order to override"]
    if second > 12 and first <= 12:
        return "mdy", ["dates written with the year last read as month/day/year (values such as "
                       f"…/{second}/… show it); declare --date-order to override"]
    return None, []


def _exact_lookups(con, source: RawSource, name: str, headers: list[str], lookups: dict[str, tuple[str, str]],
                   mapping: Mapping, config: Config, facts: _Facts) -> None:
    """Resolve every distinct value of the ``headers`` columns (one read of the source) into
    lookup tables ``(raw, key, reason)``; record them in ``facts.exact``."""
    if not headers:
        return
    lists = ", ".join(f"list(DISTINCT {ident(h)}) FILTER (WHERE {ident(h)} IS NOT NULL)" for h in headers)
    values = _read(con, source, lists, {})[0]
    for h, distinct in zip(headers, values):
        canonical, kind = lookups[h]
        table = f"{name}_map{len(facts.exact)}"
        rows = resolve_values(kind, canonical, list(distinct or []), config, mapping.values.get(canonical, {}))
        _lookup_table(con, table, rows)
        facts.exact[h] = table


def _lookup_table(con, table: str, rows: list[tuple[str, str | None, str | None]]) -> None:
    """Temp table ``(raw, key, reason, code)``; ``code`` numbers the distinct keys (0, 1, ...)."""
    raw_values, keys, reasons = (list(x) for x in zip(*rows)) if rows else ([], [], [])
    numbers = {k: i for i, k in enumerate(sorted({k for k in keys if k is not None}))}
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT unnest(CAST($raw AS VARCHAR[])) AS raw, "
                "unnest(CAST($key AS VARCHAR[])) AS key, unnest(CAST($reason AS VARCHAR[])) AS reason, "
                "unnest(CAST($code AS INTEGER[])) AS code",
                {"raw": raw_values, "key": keys, "reason": reasons, "code": [numbers.get(k) for k in keys]})


# --------------------------------------------------------------------------- spelling tables

def _vocabulary_for(kind: str, canonical: str, mapping: Mapping) -> bool:
    """Whether the column's values can be resolved through known spellings (else: every distinct
    value is resolved before the statement runs)."""
    return kind in _CLOSED_KINDS or (canonical == "channel" and canonical not in mapping.values)


def _spellings(kind: str, canonical: str, config: Config, user: dict[str, str]) -> list[str]:
    """Texts an export is likely to write for a closed-list value: every spelling the configuration
    knows (as written, in lower, upper and title case, and as compared), and the mapping file's."""
    # Only a fast path: a value missing here is resolved exactly all the same (see _build).
    if kind == "text":  # channel: usual spellings of "no channel partner" (lookups.DIRECT_SPELLINGS)
        written = ["直销", "直签", "直接", "直营", "自营", "无", "无渠道", "direct", "none", "n/a", "na",
                   "-", "—"]
    else:
        written = list(config.aliases(kind)) + list(config.aliases(kind).values())
        # the spellings as the configuration writes them (Config keeps them in _entries)
        entries = getattr(config, "_entries", {}).get(kind, [])
        for e in entries:
            written += [e.get("key", ""), e.get("zh", ""), e.get("en", ""), *e.get("aliases", [])]
    out: dict[str, None] = {}
    for w in written:
        for v in (w, w.lower(), w.upper(), w.title(), w.capitalize()):
            if v:
                out[v] = None
    for k in user:
        out[k] = None
    return list(out)


def _vocabulary_table(con, table: str, canonical: str, kind: str, mapping: Mapping, config: Config) -> str:
    """A lookup table ``(raw, key, reason)`` of known spellings, each resolved exactly as
    :func:`~.lookups.resolve_values` resolves it when it is a value of the export."""
    user = mapping.values.get(canonical, {})
    rows = []
    for text in _spellings(kind, canonical, config, user):
        try:
            rows += resolve_values(kind, canonical, [text], config, user)
        except InputError:  # a mapping-file entry that is wrong: raised if the export has it
            continue
    _lookup_table(con, table, rows)
    return table


@functools.lru_cache(maxsize=1)
def _not_direct_class() -> str:
    """An RE2 character class: a text with one of these characters is no spelling of "direct
    sales" (DIRECT_SPELLINGS) whatever its spacing, width or case. Digits, the ASCII letters and
    the CJK ideographs those spellings do not use: ``value_key`` keeps such a character (NFKC and
    case folding leave it, or turn it into another character those spellings lack)."""
    used = {ch for s in DIRECT_SPELLINGS for ch in s}
    letters = "".join(c + c.upper() for c in "abcdefghijklmnopqrstuvwxyz" if c not in used and c.upper() not in used)
    ranges, start = [], None
    for cp in range(0x4E00, 0xA000 + 1):
        inside = cp < 0xA000 and chr(cp) not in used
        if inside and start is None:
            start = cp
        elif not inside and start is not None:
            ranges.append(f"\\x{{{start:x}}}-\\x{{{cp - 1:x}}}")
            start = None
    return "[0-9" + letters + "".join(ranges) + "]"


def _channel_pre(raw: str) -> tuple[str, str]:
    """SQL computed once per row before the lookup (see :func:`_channel_parser`): the trimmed
    text, and whether it has a character that no spelling of "direct sales" has."""
    return clean_text(raw), f"regexp_matches({raw}, {sql_literal(_not_direct_class())})"


def _channel_parser(vocab: str, cleaned: str, not_direct: str) -> Parser:
    """Channel through the spelling table of "direct sales"; any other text is its own (trimmed)
    value, unless it could be such a spelling written otherwise: then the row is ``_miss``
    (:func:`_channel_miss`). ``cleaned`` and ``not_direct``: columns of :func:`_channel_pre`."""
    def value(r: str) -> str:
        return (f"CASE WHEN {vocab}.raw IS NOT NULL THEN {vocab}.key WHEN {cleaned} IS NULL THEN NULL "
                f"WHEN NOT {not_direct} THEN NULL ELSE {cleaned} END")
    return Parser(value, lambda r, v: f"{vocab}.reason")


def _channel_miss(vocab: str, cleaned: str, not_direct: str) -> str:
    return f"({vocab}.raw IS NULL AND {cleaned} IS NOT NULL AND NOT {not_direct})"


# --------------------------------------------------------------------------- the statement

def _parser(kind: str, canonical: str, plan: HeaderPlan, mapping: Mapping, order: str | None) -> Parser:
    if kind == "id":
        return id_parser()
    if kind in ("date", "close_date"):
        return date_parser(date_format=mapping.date_format, order=order)
    if kind == "amount":
        return amount_parser(unit=plan.units.get(canonical, "yuan"), decimal=mapping.decimal)
    if kind == "number":
        return number_parser(decimal=mapping.decimal)
    return text_parser()


def _run(con, source: RawSource, plan: HeaderPlan, mapping: Mapping, config: Config, name: str,
         facts: _Facts, vocab: dict[str, str], *, numbered: bool = False) -> Checked:
    """One run of the checked statement, with ``facts`` and (unless exact) the spelling tables.
    A CSV read in place is read without row numbers unless ``numbered`` or the duplicate window
    needs them (see the module docstring)."""
    kinds = TABLES[plan.table]
    result = Checked(name, list(plan.columns), notes=list(facts.notes), encoding=source.encoding)
    result.unnumbered = bool(source.scan) and not numbered and not facts.dedup
    params: dict[str, object] = {}

    def param(text: str) -> str:
        key = f"p{len(params)}"
        params[key] = text
        return f"${key}"

    def label_of(column: str) -> str:
        header = plan.columns.get(column)
        if header is None:
            return column
        return header if header == column else f"{header} [{column}]"

    def fresh(base: str) -> str:
        """A column name no header of the export has."""
        n = 0
        while f"{base}{n}" in source.columns:
            n += 1
        return f"{base}{n}"

    # what is read: (column, header, parser, lookup table or None); pre: computed on the rows read
    reads: list[tuple[str, str, Parser, str | None]] = []
    misses: list[str] = []
    pre: list[str] = []
    for canonical, header in plan.columns.items():
        kind = kinds[canonical]
        if header in facts.exact:
            table = facts.exact[header]
            reads.append((canonical, header, lookup_parser(table), table))
        elif header in vocab:
            table = vocab[header]
            if kind in _CLOSED_KINDS:
                reads.append((canonical, header, lookup_parser(table), table))
                misses.append(f"({table}.raw IS NULL AND r.{ident(header)} IS NOT NULL)")
            else:
                cleaned, not_direct = fresh(f"_cleaned_{canonical}_"), fresh(f"_not_direct_{canonical}_")
                pre += [f"{sql} AS {ident(n)}" for sql, n in zip(_channel_pre(ident(header)), (cleaned, not_direct))]
                cleaned, not_direct = f"r.{ident(cleaned)}", f"r.{ident(not_direct)}"
                reads.append((canonical, header, _channel_parser(table, cleaned, not_direct), table))
                misses.append(_channel_miss(table, cleaned, not_direct))
        else:
            reads.append((canonical, header, _parser(kind, canonical, plan, mapping, facts.order), None))
    for i, (header, stage) in enumerate(plan.entered.items()):
        column = f"entered_{i}"
        reads.append((column, header, date_parser(date_format=mapping.date_format, order=facts.order), None))
        result.entered.append((column, header, stage))
    joins = " ".join(f"LEFT JOIN {t} ON {t}.raw = r.{ident(h)}" for _, h, _, t in reads if t)

    # layer 1: raw text (and lookups); 2: typed values; 3: reasons, absent columns as typed NULLs.
    # A spreadsheet cell that cannot be read (an error value, a formula with no saved value) has its
    # reason from the reader, which wins over the parser's; a merged cell filled from its range's
    # first cell carries a warning (see readers.RawTable).
    l1 = ["r._row AS _row"]
    l2, l3 = [], []
    cell_warnings: list[tuple[str, str]] = []       # (column, SQL of the warning message)
    for column, header, parser, table in reads:
        r = ident("_r_" + column)
        l1.append(f"r.{ident(header)} AS {r}")
        cell_error = source.cell_errors.get(header)
        if cell_error:
            l1.append(f"r.{ident(cell_error)} AS {ident('_cell_error_' + column)}")

        def reason(sql: str, column: str = column, cell_error: str | None = cell_error) -> str:
            return f"coalesce({ident('_cell_error_' + column)}, {sql})" if cell_error else sql

        if source.cell_notes.get(header):
            l1.append(f"r.{ident(source.cell_notes[header])} AS {ident('_cell_note_' + column)}")
            cell_warnings.append((column, ident("_cell_note_" + column)))
        if table:
            l1.append(f"{parser.value('r.' + ident(header))} AS {ident(column)}, "
                      f"{reason(parser.reason(r, ''))} AS {ident('err_' + column)}")
        else:
            l2.append(f"{parser.value(r)} AS {ident(column)}")
            l3.append(f"{reason(parser.reason(r, ident(column)))} AS {ident('err_' + column)}")
    if misses:
        l1.append(f"({' OR '.join(misses)}) AS _miss")
    read_headers = {h for _, h, _, _ in reads}
    unread = [h for h in source.columns if h not in read_headers]
    if result.unnumbered:
        # every column, for the key of a row's text (which also makes the read check them all)
        l1 += [f"r.{ident(h)} AS _c{i}" for i, h in enumerate(source.columns)]
    elif source.scan and unread:
        # a direct CSV read checks only the columns it reads: read the others too (bad bytes there
        # must still stop the load), at the cost of one small column
        l1.append(f"({' AND '.join(f'r.{ident(h)} IS NULL' for h in unread)}) AS _unread")
    for c in kinds:
        if c not in plan.columns:
            l3.append(f"CAST(NULL AS {sql_type(kinds[c])}) AS {ident(c)}, CAST(NULL AS VARCHAR) AS "
                      f"{ident('err_' + c)}, CAST(NULL AS VARCHAR) AS {ident('_r_' + c)}")
    # layer 4: derived columns, and the project a child row belongs to; layer 5: rules
    derived = derived_columns(plan.table, config)
    l4 = [f"{sql} AS {ident(n)}" for n, sql in derived.items()]
    project_join = ""
    if plan.table in CHILD_TABLES:
        # the project's row id (NULL: not in projects; cheaper to carry than its id) and created date
        l4 += ["px.rowid AS _project_id", "px.created_at AS _project_created"]
        project_join = "LEFT JOIN projects px ON px.project_id = l3.project_id"
        stage_table = next((t for c, _, _, t in reads if c == "stage"), None)
        if plan.table == "stage_events" and stage_table:
            result.keyed_events = True
            l1.append(f"{stage_table}.code AS _stage_code")
            # the project this row covers, and whether it is its closing (see write.EventCoverage)
            l4 += ["px.rowid AS _covers",
                   "px.status <> 'open' AND px.closed_at IS NOT NULL AND l3.stage = px.status AS _closes"]
    active = [r for r in rules(plan.table, config) if not r.needs or any(c in plan.columns for c in r.needs)]
    l5 = [f"{r.reason} AS {ident(r.result)}" for r in active]

    # every reason a row can be rejected for: (reason column, label SQL, raw text column)
    problems = [(f"err_{column}", param(label_of(column) if column in kinds else header), f"_r_{column}")
                for column, header, _, _ in reads]
    problems += [(r.result, param(label_of(r.column)), f"_r_{r.column}")
                 for r in active if r.severity == "reject"]
    bad0 = " OR ".join(f"{ident(c)} IS NOT NULL" for c, _, _ in problems) or "false"

    key = DEDUP_KEYS.get(plan.table) if facts.dedup else None
    if key:
        part = ", ".join(ident(k) for k in key)
        what = " and ".join(key).replace("_", " ")
        last = f"max(CASE WHEN NOT _bad0 THEN _row END) OVER (PARTITION BY {part})"
        dup = (f"CASE WHEN NOT _bad0 AND _row < {last} THEN 'duplicate {what}: row ' || {last} "
               "|| ' later in this file is loaded instead' END")
        problems.append(("rej_duplicate", param(label_of(key[0])), f"_r_{key[0]}"))
    else:
        dup = "CAST(NULL AS VARCHAR)"

    problem_list = ", ".join(f"{{'column': {label}, 'value': {ident(raw_col)}, 'reason': {ident(c)}}}"
                             for c, label, raw_col in problems)
    warn_rules = [r for r in active if r.severity == "warn"]
    warn_items = [f"{{'rule': {param(r.name)}, 'column': {param(label_of(r.column))}, "
                  f"'value': CAST({ident(r.column)} AS VARCHAR), 'message': {ident(r.result)}}}"
                  for r in warn_rules]
    warn_flags = [f"{ident(r.result)} IS NOT NULL" for r in warn_rules]
    for column, message in cell_warnings:
        warn_items.append(f"{{'rule': {param('merged_cell')}, 'column': {param(label_of(column))}, "
                          f"'value': {ident('_r_' + column)}, 'message': {message}}}")
        warn_flags.append(f"{message} IS NOT NULL")
    warn_list, any_warning = ", ".join(warn_items), " OR ".join(warn_flags)
    # columns the export lacks are NULL: not stored (a reader adds them, see Checked.absent)
    result.absent = {c: sql_type(kinds[c]) for c in kinds if c not in plan.columns}
    # a read without row numbers stores no _row (_place_rows adds it when some rows need theirs)
    keep = [*([] if result.unnumbered else ["_row"]), *(c for c in kinds if c in plan.columns),
            *(c for c, _, _ in result.entered), *derived]
    keep += list(EVENT_COLUMNS) if result.keyed_events else []
    keep += ["_unread"] if source.scan and unread and not result.unnumbered else []

    def layer(cols: list[str]) -> str:
        return (", " + ", ".join(cols)) if cols else ""

    # _issues: one JSON text on the rows that have any (most rows have none: one NULL column is
    # far cheaper to store than several): problems, warnings, the keys of the row's text (see
    # _place_rows), and whether a value was missing from a spelling table
    bad = "_bad0 OR rej_duplicate IS NOT NULL"
    issues = [f"'problems': CASE WHEN {bad} THEN list_filter([{problem_list}], lambda p: p.reason IS NOT NULL) END"]
    exceptional = [bad]
    if warn_items:
        issues.append(f"'warnings': CASE WHEN {any_warning} THEN "
                      f"list_filter([{warn_list}], lambda w: w.message IS NOT NULL) END")
        exceptional.append(any_warning)
    if result.unnumbered:  # keys of the text of the rows that will need their row number
        cols = ", ".join(f"_c{i}" for i in range(len(source.columns)))
        issues += [f"'k': CAST(hash({cols}) AS VARCHAR)", f"'k2': CAST(md5_number(to_json([{cols}])) AS VARCHAR)"]
    if misses:
        issues.append("'miss': _miss")
        exceptional.append("_miss")
    issues_sql = f"CASE WHEN {' OR '.join(exceptional)} THEN to_json({{{', '.join(issues)}}}) END"
    relation, rel_params = source.relation(numbered=not result.unnumbered)
    source_sql = f"(SELECT *, {', '.join(pre)} FROM {relation})" if pre else relation
    sql = f"""CREATE TEMP TABLE {name} AS
        WITH l1 AS (SELECT {', '.join(l1)} FROM {source_sql} r {joins}),
        l2 AS (SELECT *{layer(l2)} FROM l1),
        l3 AS (SELECT *{layer(l3)} FROM l2),
        l4 AS (SELECT l3.*{layer(l4)} FROM l3 {project_join}),
        l5 AS (SELECT *{layer(l5)} FROM l4 c),
        l6 AS (SELECT *, ({bad0}) AS _bad0 FROM l5),
        l7 AS (SELECT *, {dup} AS rej_duplicate FROM l6)
        SELECT {', '.join(ident(k) for k in keep)}, {bad} AS _bad, {issues_sql} AS _issues
        FROM l7"""
    try:
        result.rows = int(con.execute(sql, {**params, **rel_params}).fetchall()[0][0])
    except duckdb.Error as e:
        raise (source.scan.error(e) if source.scan else e) from None
    if source.scan:
        source.scan.check(con)
    return result
