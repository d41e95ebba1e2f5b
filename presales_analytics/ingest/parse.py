"""Turn a raw staging table (all text) into one *checked* table, in a single DuckDB statement.

The checked table has, per row: ``_row`` (the row as seen in the file); every canonical column of
the table, typed (NULL when the export lacks it); the derived columns of the table's rules;
``_bad`` (the row is rejected); ``_problems``, on rejected rows only, a list of
``{column, value, reason}`` (the export's header, the text as written, why); and ``_warnings``, on
rows with data-quality findings only, a list of ``{rule, column, value, message}``.

The statement is a chain of projections that DuckDB runs as one pipeline, so a large export is
read once and stored once more, with its reasons kept only where there are some. Headers (export
text) reach the statement as bound parameters, never as SQL text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from ..config import Config
from .columns import TABLES
from .lookups import needs_lookup, resolve_values
from .mapping import HeaderPlan, Mapping
from .rules import CHILD_TABLES, DEDUP_KEYS, derived_columns, rules, sql_type
from .values import (Parser, YEAR_LAST, amount_parser, clean_text, date_parser, id_parser, ident,
                     lookup_parser, number_parser, text_parser)


@dataclass
class Checked:
    """The checked table ``name`` and what it holds."""

    name: str
    present: list[str]                                     # canonical columns the export has
    entered: list[tuple[str, str, str]] = field(default_factory=list)  # (column, header, stage key)
    notes: list[str] = field(default_factory=list)


def _date_order(con, raw: str, headers: list[str], mapping: Mapping) -> tuple[str | None, list[str]]:
    """The day/month order for year-last dates: declared, or told by values such as 25/09/2026."""
    if mapping.date_order or mapping.date_format:
        fmt = mapping.date_format or ""
        order = mapping.date_order or ("dmy" if fmt.startswith("%d") else "mdy" if fmt.startswith("%m") else None)
        return order, []
    if not headers:
        return None, []
    checks = " UNION ALL ".join(
        f"SELECT max(TRY_CAST(regexp_extract({ident(h)}, $pattern, 1) AS INTEGER)) AS first, "
        f"max(TRY_CAST(regexp_extract({ident(h)}, $pattern, 2) AS INTEGER)) AS second FROM {raw} "
        # cheap prefilter: a year-last date has its first separator at the 2nd or 3rd character
        f"WHERE substr({ident(h)}, 2, 1) IN ('/', '.', '-') OR substr({ident(h)}, 3, 1) IN ('/', '.', '-')"
        for h in headers)
    firsts, seconds = zip(*con.execute(checks, {"pattern": YEAR_LAST}).fetchall())
    first = max((v for v in firsts if v is not None), default=0)
    second = max((v for v in seconds if v is not None), default=0)
    if first > 12 and second <= 12:
        return "dmy", ["dates written with the year last read as day/month/year (values such as "
                       f"{first}/…/… show it); declare --date-order to override"]
    if second > 12 and first <= 12:
        return "mdy", ["dates written with the year last read as month/day/year (values such as "
                       f"…/{second}/… show it); declare --date-order to override"]
    return None, []


def _parser(kind: str, canonical: str, plan: HeaderPlan, mapping: Mapping, order: str | None) -> Parser:
    if kind == "id":
        return id_parser()
    if kind in ("date", "close_date"):
        return date_parser(date_format=mapping.date_format, order=order)
    if kind == "amount":
        return amount_parser(unit=plan.units.get(canonical, "yuan"))
    if kind == "number":
        return number_parser()
    return text_parser()


def _lookup(con, raw: str, name: str, header: str, kind: str, canonical: str, mapping: Mapping,
            config: Config) -> str:
    """Resolve the column's distinct values once, in Python; return the temp table to join."""
    distinct = [v for (v,) in con.execute(
        f"SELECT DISTINCT {ident(header)} FROM {raw} WHERE {ident(header)} IS NOT NULL").fetchall()]
    rows = resolve_values(kind, canonical, distinct, config, mapping.values.get(canonical, {}))
    raw_values, keys, reasons = (list(x) for x in zip(*rows)) if rows else ([], [], [])
    con.execute(f"CREATE TEMP TABLE {name} AS SELECT unnest(CAST($raw AS VARCHAR[])) AS raw, "
                "unnest(CAST($key AS VARCHAR[])) AS key, unnest(CAST($reason AS VARCHAR[])) AS reason",
                {"raw": raw_values, "key": keys, "reason": reasons})
    return name


def build_checked(con: duckdb.DuckDBPyConnection, raw: str, row_expr: str, plan: HeaderPlan,
                  mapping: Mapping, config: Config, *, name: str) -> Checked:
    """Create temp table ``name`` from raw table ``raw`` (``row_expr``: SQL of the file row number
    over alias ``r``) as the module docstring describes."""
    kinds = TABLES[plan.table]
    date_headers = [h for c, h in plan.columns.items() if kinds[c] in ("date", "close_date")]
    order, notes = _date_order(con, raw, date_headers + list(plan.entered), mapping)
    result = Checked(name, list(plan.columns), notes=notes)
    params: dict[str, str] = {}

    def param(text: str) -> str:
        key = f"p{len(params)}"
        params[key] = text
        return f"${key}"

    def label_of(column: str) -> str:
        header = plan.columns.get(column)
        if header is None:
            return column
        return header if header == column else f"{header} [{column}]"

    # what is read: (column, header, parser, lookup table or None)
    reads: list[tuple[str, str, Parser, str | None]] = []
    for i, (canonical, header) in enumerate(plan.columns.items()):
        kind = kinds[canonical]
        if needs_lookup(kind, canonical, mapping.values):
            table = _lookup(con, raw, f"{name}_map{i}", header, kind, canonical, mapping, config)
            reads.append((canonical, header, lookup_parser(table), table))
        else:
            reads.append((canonical, header, _parser(kind, canonical, plan, mapping, order), None))
    for i, (header, stage) in enumerate(plan.entered.items()):
        column = f"entered_{i}"
        reads.append((column, header, date_parser(date_format=mapping.date_format, order=order), None))
        result.entered.append((column, header, stage))
    joins = " ".join(f"LEFT JOIN {t} ON {t}.raw = r.{ident(h)}" for _, h, _, t in reads if t)

    # layer 1: raw text (and lookups); 2: typed values; 3: reasons, absent columns as typed NULLs
    l1 = [f"{row_expr} AS _row"]
    l2, l3 = [], []
    for column, header, parser, table in reads:
        r = ident("_r_" + column)
        l1.append(f"r.{ident(header)} AS {r}")
        if table:
            l1.append(f"{parser.value(r)} AS {ident(column)}, {parser.reason(r, '')} AS {ident('err_' + column)}")
        else:
            l2.append(f"{parser.value(r)} AS {ident(column)}")
            l3.append(f"{parser.reason(r, ident(column))} AS {ident('err_' + column)}")
    for c in kinds:
        if c not in plan.columns:
            l3.append(f"CAST(NULL AS {sql_type(kinds[c])}) AS {ident(c)}, CAST(NULL AS VARCHAR) AS "
                      f"{ident('err_' + c)}, CAST(NULL AS VARCHAR) AS {ident('_r_' + c)}")
    # layer 4: derived columns, and the project a child row belongs to; layer 5: rules
    derived = derived_columns(plan.table, config)
    l4 = [f"{sql} AS {ident(n)}" for n, sql in derived.items()]
    project_join = ""
    if plan.table in CHILD_TABLES:
        l4 += ["px.project_id AS _project_id", "px.created_at AS _project_created"]
        project_join = "LEFT JOIN projects px ON px.project_id = l3.project_id"
    active = [r for r in rules(plan.table, config) if not r.needs or any(c in plan.columns for c in r.needs)]
    l5 = [f"{r.reason} AS {ident(('rej_' if r.severity == 'reject' else 'warn_') + r.name)}" for r in active]

    # every reason a row can be rejected for: (reason column, label SQL, raw text column)
    problems = [(f"err_{column}", param(label_of(column) if column in kinds else header), f"_r_{column}")
                for column, header, _, _ in reads]
    problems += [(f"rej_{r.name}", param(label_of(r.column)), f"_r_{r.column}")
                 for r in active if r.severity == "reject"]
    bad0 = " OR ".join(f"{ident(c)} IS NOT NULL" for c, _, _ in problems) or "false"

    key = DEDUP_KEYS.get(plan.table)
    if key and plan.table == "projects":
        # the window below costs a sort of wide rows: only pay for it when ids repeat
        cleaned = clean_text(ident(plan.columns["project_id"]), fold_width=True)
        repeats = con.execute(f"SELECT count({cleaned}) - count(DISTINCT {cleaned}) FROM {raw}").fetchone()[0]
        key = key if repeats else None
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
    warn_list = ", ".join(
        f"{{'rule': {param(r.name)}, 'column': {param(label_of(r.column))}, "
        f"'value': CAST({ident(r.column)} AS VARCHAR), 'message': {ident('warn_' + r.name)}}}"
        for r in warn_rules)
    any_warning = " OR ".join(f"{ident('warn_' + r.name)} IS NOT NULL" for r in warn_rules)
    keep = ["_row", *kinds, *(c for c, _, _ in result.entered), *derived]

    def layer(cols: list[str]) -> str:
        return (", " + ", ".join(cols)) if cols else ""

    warnings = (f"CASE WHEN {any_warning} THEN list_filter([{warn_list}], lambda w: w.message IS NOT NULL) END"
                if warn_rules else "NULL")
    con.execute(f"""CREATE TEMP TABLE {name} AS
        WITH l1 AS (SELECT {', '.join(l1)} FROM {raw} r {joins}),
        l2 AS (SELECT *{layer(l2)} FROM l1),
        l3 AS (SELECT *{layer(l3)} FROM l2),
        l4 AS (SELECT l3.*{layer(l4)} FROM l3 {project_join}),
        l5 AS (SELECT *{layer(l5)} FROM l4 c),
        l6 AS (SELECT *, ({bad0}) AS _bad0 FROM l5),
        l7 AS (SELECT *, {dup} AS rej_duplicate FROM l6)
        SELECT {', '.join(ident(k) for k in keep)},
               _bad0 OR rej_duplicate IS NOT NULL AS _bad,
               CASE WHEN _bad0 OR rej_duplicate IS NOT NULL THEN
                    list_filter([{problem_list}], lambda p: p.reason IS NOT NULL) END AS _problems,
               {warnings} AS _warnings
        FROM l7""", params)
    return result
