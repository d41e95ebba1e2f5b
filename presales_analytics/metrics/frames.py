"""Large query results into pandas, fast: repetitive text travels as integer codes.

DuckDB's ``.df()`` builds one Python string per text cell: about 0.2–0.6 s per million cells on this
project's machines, which at a million projects is most of a per-project metric's time (the
compliance list has nine text columns). Most of those columns repeat a few values (region, status,
grade, the missing-documents list). :func:`fetch_frame` materialises the result once in a TEMP table,
sends each text column with few distinct values as its position in the (bound) list of those values,
and decodes the codes in pandas with one array lookup. The DataFrame is the one ``.df()`` gives: same
columns, order, values and dtypes (``str``, NaN for NULL).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from ..sql import ident, used_params

#: below this many rows a plain ``.df()`` is as fast
MIN_ROWS = 50_000
#: a text column is coded when it has at most this many distinct values
MAX_DISTINCT = 1_000

_serial = itertools.count()


def fetch_frame(cursor, sql: str, params: dict | None = None) -> pd.DataFrame:
    """``cursor.execute(sql, params).df()``, with the text columns of a large result coded (see the
    module docstring). ``sql`` is one SELECT (a WITH … SELECT included); its row order is kept."""
    params = used_params(sql, params or {})
    table = f"_presales_frame_{next(_serial)}"
    cursor.execute(f"CREATE TEMP TABLE {table} AS {sql}", params)
    try:
        columns = cursor.execute(f"SELECT column_name FROM duckdb_columns() WHERE database_name = 'temp' "
                                 f"AND table_name = $t ORDER BY column_index", {"t": table}).fetchall()
        return fetch_table_frame(cursor, table, [name for (name,) in columns])
    finally:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")


def fetch_table_frame(cursor, table: str, columns: list[str], *, computed: dict[str, str] | None = None,
                      order_by: str | None = None, params: dict | None = None) -> pd.DataFrame:
    """``SELECT columns, computed FROM table ORDER BY order_by`` as :func:`fetch_frame` gives it, read
    straight from an existing TEMP ``table`` (no copy of a large result is written first). ``columns``
    are columns of ``table``; ``computed`` maps further output names to SQL expressions over it (values
    in ``params``); ``order_by`` is SQL (None: the table's order)."""
    params = dict(params or {})
    kinds = dict(cursor.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = 'temp' "
                                "AND table_name = $t", {"t": table}).fetchall())
    rows = cursor.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    text = [name for name in columns if kinds[name] == "VARCHAR"]
    dictionaries: dict[str, list] = {}
    if rows >= MIN_ROWS and text:
        counts = cursor.execute("SELECT " + ", ".join(f"approx_count_distinct({ident(c)})" for c in text)
                                + f" FROM {table}").fetchall()[0]
        candidates = [c for c, n in zip(text, counts) if 0 < n <= 2 * MAX_DISTINCT]
        if candidates:
            lists = cursor.execute("SELECT " + ", ".join(
                f"list(DISTINCT {ident(c)}) FILTER ({ident(c)} IS NOT NULL)" for c in candidates)
                + f" FROM {table}").fetchall()[0]
            dictionaries = {c: values for c, values in zip(candidates, lists)
                            if values and len(values) <= MAX_DISTINCT}
    select = []
    for i, name in enumerate(columns):
        column = ident(name)
        if name in dictionaries:
            params[f"_d{i}"] = dictionaries[name]
            select.append(f"CAST(coalesce(list_position($_d{i}, {column}), 0) AS INTEGER) AS {column}")
        else:
            select.append(column)
    select += [f"{expression} AS {ident(name)}" for name, expression in (computed or {}).items()]
    sql = f"SELECT {', '.join(select)} FROM {table}" + (f" ORDER BY {order_by}" if order_by else "")
    df = cursor.execute(sql, used_params(sql, params)).df()
    for name, values in dictionaries.items():
        lookup = np.array([None, *values], dtype=object)
        df[name] = pd.Series(lookup[df[name].to_numpy()], index=df.index, dtype="str")
    return df


__all__ = ["fetch_frame", "fetch_table_frame", "MIN_ROWS", "MAX_DISTINCT"]
