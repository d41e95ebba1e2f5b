"""The mapping file (DESIGN.md, contract) and how an export's headers become canonical columns.

```toml
table = "projects"
[source]
encoding = "auto"        # or utf-8, gb18030, utf-16 ...
sheet = "商机"            # xlsx only
amount_unit = "yuan"     # or "wan" (万元)
date_format = "auto"     # or a strftime pattern such as "%d/%m/%Y"
decimal = "."            # or "," for amounts written 1.234,56
[columns]                # canonical name = header in the export
project_id = "opportunity_id"
[values.stage]           # value in the export = canonical value
"Engaging" = "negotiation"
```
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Config, value_key
from ..errors import InputError
from .shown import shown
from .columns import ALIASES, REQUIRED, SIGNATURES, TABLES, alias_table, entered_stage_text, split_unit

_SOURCE_KEYS = {"encoding", "sheet", "amount_unit", "date_format", "date_order", "decimal"}


@dataclass(frozen=True)
class Mapping:
    """What a mapping file (or the command line) says about how to read an export."""

    table: str | None = None
    encoding: str = "auto"
    sheet: str | None = None
    amount_unit: str | None = None          # None: from the header, else yuan
    date_format: str | None = None          # a strftime pattern, or None for auto
    date_order: str | None = None           # "dmy" / "mdy" for year-last dates, or None
    decimal: str = "."                      # the decimal mark of numbers: "." (1,234.56) or "," (1.234,56)
    columns: dict[str, str] = field(default_factory=dict)             # canonical -> header
    values: dict[str, dict[str, str]] = field(default_factory=dict)   # canonical -> {export: canonical}
    path: str | None = None
    digest: str = ""                        # sha256 of the mapping file, part of a load's fingerprint

    def with_options(self, **options) -> Mapping:
        """A copy with command-line options laid over the file's (None leaves a value as is)."""
        given = {k: v for k, v in options.items() if v is not None}
        return Mapping(**{**self.__dict__, **given})


def read_mapping(path: str | Path | None) -> Mapping:
    """Read and check a mapping file; ``None`` gives the empty mapping."""
    if path is None:
        return Mapping()
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError("mapping file not found", file=str(path)) from None
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"mapping file is not valid TOML (UTF-8): {exc}", file=str(path)) from None
    unknown = set(doc) - {"table", "source", "columns", "values"}
    if unknown:
        raise InputError(f"unknown section(s) {sorted(unknown)}; a mapping file has table, [source], "
                         "[columns] and [values.<column>]", file=str(path))
    table = doc.get("table")
    if table is not None and table not in TABLES:
        raise InputError(f"table {table!r} is not one of {', '.join(TABLES)}", file=str(path))
    source = doc.get("source", {})
    bad = set(source) - _SOURCE_KEYS
    if bad:
        raise InputError(f"unknown [source] key(s) {sorted(bad)}; known: {sorted(_SOURCE_KEYS)}",
                         file=str(path))
    unit = source.get("amount_unit")
    if unit not in (None, "yuan", "wan", "元", "万元"):
        raise InputError(f"amount_unit {unit!r} must be \"yuan\" or \"wan\" (万元)", file=str(path))
    unit = {"元": "yuan", "万元": "wan"}.get(unit, unit)
    date_format = source.get("date_format")
    date_format = None if date_format in (None, "auto") else date_format
    order = source.get("date_order")
    if order not in (None, "auto", "dmy", "mdy"):
        raise InputError(f"date_order {order!r} must be \"dmy\", \"mdy\" or \"auto\"", file=str(path))
    decimal = source.get("decimal", ".")
    if decimal not in (".", ","):
        raise InputError(f"decimal {decimal!r} must be \".\" (1,234.56) or \",\" (1.234,56)", file=str(path))
    columns = {str(k): str(v) for k, v in doc.get("columns", {}).items()}
    known = set().union(*(TABLES[t] for t in ([table] if table else TABLES)))
    wrong = sorted(set(columns) - known - {"entered_at"})
    if wrong:
        raise InputError(f"[columns] names {wrong}, which are not canonical columns"
                         f"{' of ' + table if table else ''}; canonical columns: {', '.join(sorted(known))}",
                         file=str(path))
    values = {str(k): {str(a): str(b) for a, b in v.items()} for k, v in doc.get("values", {}).items()}
    return Mapping(table=table, encoding=source.get("encoding", "auto"), sheet=source.get("sheet"),
                   amount_unit=unit, date_format=date_format,
                   date_order=None if order in (None, "auto") else order, decimal=decimal, columns=columns,
                   values=values, path=str(path), digest=hashlib.sha256(data).hexdigest())


@dataclass
class HeaderPlan:
    """How one export's headers are used."""

    table: str
    table_guessed: bool
    columns: dict[str, str] = field(default_factory=dict)       # canonical -> header
    units: dict[str, str] = field(default_factory=dict)         # amount column -> yuan / wan
    entered: dict[str, str] = field(default_factory=dict)       # header -> stage key (wide history)
    ignored: dict[str, str] = field(default_factory=dict)       # header -> why it is not used

    def header(self, canonical: str) -> str:
        return self.columns[canonical]


def guess_table(headers: list[str]) -> str:
    """The table an export feeds, from headers only one table has; projects otherwise."""
    keys = {value_key(split_unit(h).base) for h in headers}
    project_only = {value_key(a) for c in ("name", "customer", "amount", "status", "director")
                    for a in [c, *ALIASES["projects"][c]]}
    for table, column in SIGNATURES:
        spellings = {value_key(a) for a in [column, *ALIASES[table][column]]}
        if keys & spellings:
            if table == "stage_events" and keys & project_only:
                continue
            return table
    return "projects"


def plan_headers(headers: list[str], mapping: Mapping, config: Config, *, file: str,
                 table: str | None = None) -> HeaderPlan:
    """Match headers to canonical columns: the mapping file's [columns] first, then the built-in
    aliases, then wide "entered <stage>" history columns. Unknown headers are listed, not guessed."""
    chosen = table or mapping.table
    plan = HeaderPlan(table=chosen or guess_table(headers), table_guessed=chosen is None)
    aliases = alias_table(plan.table)
    canonical_cols = TABLES[plan.table]
    present = set(headers)
    for canonical, header in mapping.columns.items():
        if canonical not in canonical_cols:
            continue
        if header not in present:
            raise InputError(f"the mapping file maps {canonical} to header {header!r}, which this file "
                             f"does not have; its headers are: {shown(', '.join(headers))}", file=file)
        plan.columns[canonical] = header
    explicit = set(plan.columns.values())
    stage_aliases = config.aliases("stage")
    stage_values = {value_key(k): v for k, v in mapping.values.get("stage", {}).items()}
    for header in headers:
        if header in explicit:
            continue
        base, unit = split_unit(header).base, split_unit(header).unit
        canonical = aliases.get(value_key(base))
        if canonical is not None:
            if canonical in plan.columns:
                other = plan.columns[canonical]
                why = (f"{canonical} is mapped to {other!r}" if other in explicit else
                       f"{canonical} is already read from {other!r}")
                plan.ignored[header] = f"{why}; choose one in a mapping file [columns]"
                continue
            plan.columns[canonical] = header
            if unit and TABLES[plan.table][canonical] == "amount":
                plan.units[canonical] = unit
            continue
        stage_text = entered_stage_text(header) if plan.table in ("projects", "stage_events") else None
        if stage_text is not None:
            key = stage_values.get(value_key(stage_text)) or stage_aliases.get(value_key(stage_text))
            if key is not None:
                plan.entered[header] = key
                continue
            plan.ignored[header] = (f"looks like a stage-history column but {stage_text!r} is not a known "
                                    "stage; add it under [values.stage] in a mapping file")
            continue
        plan.ignored[header] = (f"unknown header for table {plan.table}; map it in a mapping file "
                                "[columns] if it is needed")
    for canonical in plan.units.keys() | {c for c, k in canonical_cols.items() if k == "amount"}:
        if canonical in plan.columns and mapping.amount_unit:
            plan.units[canonical] = mapping.amount_unit
        elif canonical in plan.columns:
            plan.units.setdefault(canonical, "yuan")
    missing = [" or ".join(group) for group in REQUIRED[plan.table]
               if not any(c in plan.columns for c in group)
               and not (plan.table == "stage_events" and plan.entered and group != ("project_id",))]
    if missing:
        how = "guessed from its headers; pass --table to choose" if plan.table_guessed else "as asked"
        raise InputError(f"no column for {', '.join(missing)} (required for table {plan.table}, {how}). "
                         f"Headers found: {shown(', '.join(headers))}. Name the columns in a mapping file [columns], "
                         "see docs/data-format.md", file=file)
    return plan
