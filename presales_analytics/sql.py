"""SQL text helpers, below ingest and metrics (both import them from here, never from each other).

Values are bound (``con.execute(sql, {"start": p.start})``), never formatted into SQL; what these
helpers place in SQL text is an identifier (a column or table name), or a literal of the toolkit's
own constants (formats, character tables), never text from an export.

>>> ident('金额"x')
'"金额""x"'
>>> sql_literal("it's")
"'it''s'"
>>> used_params("SELECT $start, $end_x", {"start": 1, "end": 2, "end_x": 3})
{'start': 1, 'end_x': 3}
"""

from __future__ import annotations

import re


def sql_literal(text: str) -> str:
    """A SQL string literal of one of the toolkit's own constants (never of export data)."""
    return "'" + text.replace("'", "''") + "'"


def ident(name: str) -> str:
    """A quoted SQL identifier: ``ident('金额"x')`` -> ``"金额""x"``."""
    return '"' + name.replace('"', '""') + '"'


def used_params(sql: str, params: dict) -> dict:
    """The parameters ``sql`` refers to (DuckDB refuses named parameters a statement does not use)."""
    return {k: v for k, v in params.items() if re.search(rf"\${re.escape(k)}\b", sql)}


__all__ = ["ident", "sql_literal", "used_params"]
