"""Turn a raw staging table (all text) into a parsed table: typed canonical columns, the raw text
beside each, and one ``err_<column>`` reason per column (NULL when the value was read)."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from ..config import Config
from .columns import TABLES
from .lookups import needs_lookup, resolve_values
from .mapping import HeaderPlan, Mapping
from .values import (Parsed, ident, parse_amount, parse_date, parse_id, parse_lookup, parse_number,
                     parse_text, YEAR_LAST)


@dataclass
class ParsedTable:
    """The parsed temp table ``name``: for each canonical column ``c`` present in the file, the
    columns ``c`` (typed), ``raw_c`` (text as written) and ``err_c`` (reason or NULL); for each wide
    history header, ``entered_<i>`` / ``raw_entered_<i>`` / ``err_entered_<i>``; and ``_row``."""

    name: str
    columns: list[str]                                   # canonical columns present
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
        f"max(TRY_CAST(regexp_extract({ident(h)}, $pattern, 2) AS INTEGER)) AS second FROM {raw}"
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


def build_parsed(con: duckdb.DuckDBPyConnection, raw: str, plan: HeaderPlan, mapping: Mapping,
                 config: Config, *, name: str) -> ParsedTable:
    """Create temp table ``name`` from raw table ``raw`` as :class:`ParsedTable` describes."""
    kinds = TABLES[plan.table]
    date_headers = [h for c, h in plan.columns.items() if kinds[c] in ("date", "close_date")]
    order, notes = _date_order(con, raw, date_headers + list(plan.entered), mapping)
    selects = ["r._row AS _row"]
    joins = []
    result = ParsedTable(name, list(plan.columns), notes=notes)

    def add(label: str, header: str, parsed: Parsed) -> None:
        selects.append(f"{parsed.value} AS {ident(label)}")
        selects.append(f"r.{ident(header)} AS {ident('raw_' + label)}")
        selects.append(f"{parsed.reason} AS {ident('err_' + label)}")

    for i, (canonical, header) in enumerate(plan.columns.items()):
        kind = kinds[canonical]
        col = f"r.{ident(header)}"
        if needs_lookup(kind, canonical, mapping.values):
            distinct = [v for (v,) in con.execute(
                f"SELECT DISTINCT {ident(header)} FROM {raw} WHERE {ident(header)} IS NOT NULL").fetchall()]
            frame = resolve_values(kind, canonical, distinct, config, mapping.values.get(canonical, {}))
            map_name = f"{name}_map{i}"
            con.register(f"{map_name}_df", frame)
            con.execute(f"CREATE TEMP TABLE {map_name} AS SELECT * FROM {map_name}_df")
            con.unregister(f"{map_name}_df")
            joins.append(f"LEFT JOIN {map_name} ON {map_name}.raw = {col}")
            add(canonical, header, parse_lookup(col, map_name))
        elif kind == "id":
            add(canonical, header, parse_id(col))
        elif kind in ("date", "close_date"):
            add(canonical, header, parse_date(col, date_format=mapping.date_format, order=order))
        elif kind == "amount":
            add(canonical, header, parse_amount(col, unit=plan.units.get(canonical, "yuan")))
        elif kind == "number":
            add(canonical, header, parse_number(col))
        else:
            add(canonical, header, parse_text(col))
    for i, (header, stage) in enumerate(plan.entered.items()):
        label = f"entered_{i}"
        add(label, header, parse_date(f"r.{ident(header)}", date_format=mapping.date_format, order=order))
        result.entered.append((label, header, stage))
    con.execute(f"CREATE TEMP TABLE {name} AS SELECT {', '.join(selects)} FROM {raw} r {' '.join(joins)}")
    return result
