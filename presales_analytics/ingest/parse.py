"""Turn a raw staging table (all text) into one *checked* table, in a single DuckDB statement.

The checked table has, per row: ``_row`` (the row as seen in the file); every canonical column of
the table, typed (NULL when the export lacks it); the derived columns of the table's rules; one
``err_<column>`` per column read (why its text was refused, else NULL); one ``rej_<rule>`` /
``warn_<rule>`` per rule; ``_bad`` (the row is rejected); and ``raw_<column>``, the text as written,
kept only on rejected rows (for the ``rejects`` table). The statement is a chain of projections that
DuckDB runs as one pipeline, so a large export is read once and stored once more, not five times.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from ..config import Config
from .columns import TABLES
from .lookups import needs_lookup, resolve_values
from .mapping import HeaderPlan, Mapping
from .rules import DEDUP_KEYS, Rule, derived_columns, rules, sql_type
from .values import (Parser, YEAR_LAST, amount_parser, clean_text, date_parser, id_parser, ident,
                     lookup_parser, number_parser, text_parser)


@dataclass
class Checked:
    """The checked table ``name`` and how to read it."""

    name: str
    present: list[str]                                     # canonical columns the export has
    entered: list[tuple[str, str, str]] = field(default_factory=list)  # (column, header, stage key)
    rejects: list[tuple[str, str, str | None]] = field(default_factory=list)  # (reason col, label, raw col)
    warnings: list[Rule] = field(default_factory=list)
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
        f"WHERE {ident(h)} LIKE '%/%/%' OR {ident(h)} LIKE '%.%.%' OR {ident(h)} LIKE '%-%-%'"
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


def build_checked(con: duckdb.DuckDBPyConnection, raw: str, row_expr: str, plan: HeaderPlan,
                  mapping: Mapping, config: Config, *, name: str) -> Checked:
    """Create temp table ``name`` from raw table ``raw`` (``row_expr``: SQL of the file row number
    over alias ``r``) as the module docstring describes."""
    kinds = TABLES[plan.table]
    present = list(plan.columns)
    date_headers = [h for c, h in plan.columns.items() if kinds[c] in ("date", "close_date")]
    order, notes = _date_order(con, raw, date_headers + list(plan.entered), mapping)
    result = Checked(name, present, notes=notes)

    # what is read: (label, header, parser, is_lookup)
    reads: list[tuple[str, str, Parser, bool]] = []
    joins: list[str] = []
    for i, (canonical, header) in enumerate(plan.columns.items()):
        kind = kinds[canonical]
        if needs_lookup(kind, canonical, mapping.values):
            map_name = f"{name}_map{i}"
            distinct = [v for (v,) in con.execute(
                f"SELECT DISTINCT {ident(header)} FROM {raw} WHERE {ident(header)} IS NOT NULL").fetchall()]
            frame = resolve_values(kind, canonical, distinct, config, mapping.values.get(canonical, {}))
            con.register(f"{map_name}_df", frame)
            con.execute(f"CREATE TEMP TABLE {map_name} AS SELECT * FROM {map_name}_df")
            con.unregister(f"{map_name}_df")
            joins.append(f"LEFT JOIN {map_name} ON {map_name}.raw = r.{ident(header)}")
            reads.append((canonical, header, lookup_parser(map_name), True))
        else:
            reads.append((canonical, header, _parser(kind, canonical, plan, mapping, order), False))
    for i, (header, stage) in enumerate(plan.entered.items()):
        label = f"entered_{i}"
        reads.append((label, header, date_parser(date_format=mapping.date_format, order=order), False))
        result.entered.append((label, header, stage))

    # layer 1: raw and cleaned text, lookups joined
    l1 = [f"{row_expr} AS _row"]
    for label, header, parser, lookup in reads:
        l1.append(f"r.{ident(header)} AS {ident('_r_' + label)}")
        if lookup:
            l1.append(f"{parser.value('')} AS {ident(label)}, {parser.reason('', '')} AS {ident('err_' + label)}")
        else:
            l1.append(f"{clean_text('r.' + ident(header), fold_width=parser.fold_width)} AS {ident('_c_' + label)}")
    # layer 2: typed values; layer 3: reasons, and absent columns as typed NULLs
    l2 = [f"{parser.value(ident('_c_' + label))} AS {ident(label)}"
          for label, _, parser, lookup in reads if not lookup]
    l3 = [f"{parser.reason(ident('_c_' + label), ident(label))} AS {ident('err_' + label)}"
          for label, _, parser, lookup in reads if not lookup]
    l3 += [f"CAST(NULL AS {sql_type(kinds[c])}) AS {ident(c)}, CAST(NULL AS VARCHAR) AS {ident('err_' + c)}, "
           f"CAST(NULL AS VARCHAR) AS {ident('_r_' + c)}"
           for c in kinds if c not in plan.columns]
    # layer 4: derived columns; layer 5: rules
    l4 = [f"{sql} AS {ident(n)}" for n, sql in derived_columns(plan.table, config).items()]
    active = [r for r in rules(plan.table, config) if not r.needs or any(c in plan.columns for c in r.needs)]
    l5 = [f"{r.reason} AS {ident(('rej_' if r.severity == 'reject' else 'warn_') + r.name)}" for r in active]

    def label_of(canonical: str) -> str:
        header = plan.columns.get(canonical)
        if header is None:
            return canonical
        return header if header == canonical else f"{header} [{canonical}]"

    raw_of = {label: f"raw_{label}" for label, _, _, _ in reads}
    for label, header, _, _ in reads:
        result.rejects.append((f"err_{label}", label_of(label) if label in kinds else header, raw_of[label]))
    for r in active:
        if r.severity == "reject":
            result.rejects.append((f"rej_{r.name}", label_of(r.column), raw_of.get(r.column)))
    result.warnings = [r for r in active if r.severity == "warn"]

    bad0 = " OR ".join(f"{ident(c)} IS NOT NULL" for c, _, _ in result.rejects) or "false"
    key = DEDUP_KEYS.get(plan.table)
    if key:
        part = ", ".join(ident(k) for k in key)
        what = " and ".join(key).replace("_", " ")
        last = f"max(CASE WHEN NOT _bad0 THEN _row END) OVER (PARTITION BY {part})"
        dup = (f"CASE WHEN NOT _bad0 AND _row < {last} THEN 'duplicate {what}: row ' || {last} "
               "|| ' later in this file is loaded instead' END")
        result.rejects.append(("rej_duplicate", label_of(key[0]), raw_of.get(key[0])))
    else:
        dup = "CAST(NULL AS VARCHAR)"
    keep = ["_row", *kinds, *(label for label, _, _ in result.entered), *derived_columns(plan.table, config),
            *(f"err_{label}" for label, _, _, _ in reads), *(ident(c) for c, _, _ in result.rejects
                                                           if c.startswith("rej_") and c != "rej_duplicate"),
            *(f"warn_{r.name}" for r in result.warnings)]
    keep_sql = ", ".join(k if k.startswith('"') else ident(k) for k in keep)
    raws = ", ".join(f"CASE WHEN _bad THEN {ident('_r_' + label)} END AS {ident(raw_of[label])}"
                     for label, _, _, _ in reads)

    def layer(cols: list[str]) -> str:
        return (", " + ", ".join(cols)) if cols else ""

    sql = f"""CREATE TEMP TABLE {name} AS
        WITH l1 AS (SELECT {', '.join(l1)} FROM {raw} r {' '.join(joins)}),
        l2 AS (SELECT *{layer(l2)} FROM l1),
        l3 AS (SELECT *{layer(l3)} FROM l2),
        l4 AS (SELECT *{layer(l4)} FROM l3),
        l5 AS (SELECT *{layer(l5)} FROM l4 c),
        l6 AS (SELECT *, ({bad0}) AS _bad0 FROM l5),
        l7 AS (SELECT *, {dup} AS rej_duplicate FROM l6),
        l8 AS (SELECT *, _bad0 OR rej_duplicate IS NOT NULL AS _bad FROM l7)
        SELECT {keep_sql}, rej_duplicate, _bad{', ' + raws if raws else ''} FROM l8"""
    con.execute(sql)
    return result
