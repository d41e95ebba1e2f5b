"""The SQL text helpers (presales_analytics.sql), on a real DuckDB connection: a quoted identifier and a
literal round-trip through DuckDB, and ``used_params`` keeps exactly the parameters a statement names."""

from __future__ import annotations

import doctest

import duckdb

from presales_analytics import sql
from presales_analytics.sql import ident, sql_literal, used_params


def test_ident_quotes_a_name_duckdb_reads_back():
    con = duckdb.connect()
    odd = '金额"x'
    con.execute(f"CREATE TABLE t ({ident(odd)} INTEGER, {ident('a b')} INTEGER)")
    con.execute("INSERT INTO t VALUES (1, 2)")
    assert ident('金额"x') == '"金额""x"'
    assert [d[0] for d in con.execute("SELECT * FROM t").description] == ['金额"x', "a b"]


def test_sql_literal_round_trips_quotes():
    con = duckdb.connect()
    assert sql_literal("it's") == "'it''s'"
    assert con.execute(f"SELECT {sql_literal(chr(39) * 3 + '年')}").fetchall() == [("'''年",)]


def test_used_params_keeps_the_named_ones_only():
    params = {"start": 1, "end": 2, "end_x": 3, "unused": 4}
    statement = "SELECT $start + $end_x"
    assert used_params(statement, params) == {"start": 1, "end_x": 3}
    # DuckDB refuses the full dict and accepts the narrowed one
    con = duckdb.connect()
    assert con.execute(statement, used_params(statement, params)).fetchall() == [(4,)]


def test_old_import_paths_are_the_same_functions():
    from presales_analytics.ingest import values
    from presales_analytics.metrics import base

    assert (values.ident, values.sql_literal, base.used_params, base.sql_literal) == (
        sql.ident, sql.sql_literal, sql.used_params, sql.sql_literal)


def test_docstring_examples():
    assert doctest.testmod(sql).failed == 0
