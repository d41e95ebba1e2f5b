"""metrics/frames.py: a large result with coded text columns is exactly the DataFrame ``.df()`` gives."""

from __future__ import annotations

import duckdb
import pandas as pd
from pandas.testing import assert_frame_equal

from presales_analytics.metrics.frames import MIN_ROWS, fetch_frame

ROWS = MIN_ROWS + 7_001

QUERY = """
    SELECT 'P' || lpad(CAST(i AS VARCHAR), 6, '0') AS project_id,           -- unique: sent as text
           ['华东', '华南', '西北', NULL][i % 4 + 1] AS region,             -- few values and NULLs: coded
           CASE WHEN i % 3 = 0 THEN '张伟' WHEN i % 3 = 1 THEN '李娜' END AS director,
           CAST(NULL AS VARCHAR) AS nothing,                                -- all NULL: as .df() has it
           CASE WHEN i % 5 = 0 THEN '' ELSE '立项报告, 方案' END AS docs_missing,
           i * 1.5 AS amount, i % 2 = 0 AS ok
    FROM range($n) t(i)
    ORDER BY i % 7, i DESC"""


def test_fetch_frame_equals_df_on_a_large_result():
    con = duckdb.connect()
    want = con.execute(QUERY, {"n": ROWS}).df()
    got = fetch_frame(con, QUERY, {"n": ROWS})
    assert_frame_equal(got, want)
    assert got["region"].isna().sum() == ROWS // 4 + (1 if ROWS % 4 > 3 else 0)
    assert got.loc[0, "project_id"] == "P056994" and got.loc[0, "region"] == "西北"   # i = 56,994: i % 7 = 0, i % 4 = 2
    # nothing is left behind on the connection
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchall()[0][0] == 0


def test_fetch_frame_small_result_and_empty():
    con = duckdb.connect()
    assert_frame_equal(fetch_frame(con, QUERY, {"n": 10}), con.execute(QUERY, {"n": 10}).df())
    empty = fetch_frame(con, QUERY, {"n": 0})
    assert list(empty.columns) == ["project_id", "region", "director", "nothing", "docs_missing", "amount", "ok"]
    assert len(empty) == 0 and isinstance(empty, pd.DataFrame)
