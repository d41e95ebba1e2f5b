"""The store: connection settings, migrations, read-only readers, a busy database."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

import presales_analytics as pa
from presales_analytics.store import SCHEMA_VERSION, database_path, schema_version

CANONICAL = {
    "projects": ["project_id", "name", "customer", "region", "department", "director", "manager", "monitor",
                 "planner", "channel", "grade", "amount", "stage", "status", "created_at", "initiated_at",
                 "expected_close_at", "closed_at", "lost_reason", "competitor", "collected_amount", "satisfaction"],
    "stage_events": ["project_id", "stage", "entered_at", "source"],
    "activities": ["project_id", "kind", "date"],
    "documents": ["project_id", "doc_type", "date"],
    "targets": ["scope", "period", "amount"],
    "load_log": ["file", "sha256", "table_name", "rows_read", "rows_loaded", "rows_rejected", "loaded_at"],
    "rejects": ["file", "row", "column", "value", "reason"],
}


def test_canonical_tables_and_columns_of_the_design(con):
    for table, columns in CANONICAL.items():
        have = [c for (c,) in con.execute("SELECT column_name FROM information_schema.columns "
                                          "WHERE table_name = $t", {"t": table}).fetchall()]
        assert set(columns) <= set(have), (table, set(columns) - set(have))


def test_settings_time_zone_and_no_extension_downloads(con):
    settings = dict(con.execute("SELECT name, value FROM duckdb_settings() WHERE name IN "
                                "('TimeZone', 'autoinstall_known_extensions', 'autoload_known_extensions')").fetchall())
    assert settings == {"TimeZone": "Asia/Shanghai", "autoinstall_known_extensions": "false",
                        "autoload_known_extensions": "false"}
    # the same instant is in Q4 in Shanghai and Q3 in UTC
    assert con.execute("SELECT CAST(TIMESTAMPTZ '2026-09-30 20:00:00+00' AS DATE)").fetchone()[0].isoformat() == "2026-10-01"


def test_time_zone_is_configurable(tmp_path, monkeypatch):
    cfg = tmp_path / "presales.toml"
    cfg.write_text('time_zone = "UTC"\n', encoding="utf-8")
    monkeypatch.setenv("PRESALES_CONFIG", str(cfg))
    c = pa.connect(tmp_path / "utc.duckdb")
    assert c.execute("SELECT current_setting('TimeZone')").fetchone() == ("UTC",)
    c.close()


def test_migrations_are_versioned_and_applied_once(db_path):
    c = pa.connect(db_path)
    assert schema_version(c) == SCHEMA_VERSION
    assert c.execute("SELECT count(*) FROM schema_version").fetchone() == (SCHEMA_VERSION,)
    c.close()
    c = pa.connect(db_path)     # again: nothing re-applied
    assert c.execute("SELECT count(*) FROM schema_version").fetchone() == (SCHEMA_VERSION,)
    c.close()


def test_a_database_made_before_the_planner_column_gains_it_and_keeps_its_projects(db_path):
    """003 adds ``planner`` to projects and project_snapshots (same position in both, so a load still moves
    rows between them) and rebuilds project_versions over them; the projects stored before have none."""
    import duckdb

    from presales_analytics.store import _migrations

    old = duckdb.connect(str(db_path))
    old.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMPTZ)")
    for version, name, sql in _migrations()[:2]:
        old.execute(sql)
        old.execute("INSERT INTO schema_version VALUES ($v, $n, now())", {"v": version, "n": name})
    old.execute("INSERT INTO projects (project_id, manager, status, as_of, as_of_declared, load_id) "
                "VALUES ('P1', '陈静', 'open', DATE '2026-01-01', false, 1)")
    old.close()
    c = pa.connect(db_path)
    assert schema_version(c) == SCHEMA_VERSION >= 3
    assert c.execute("SELECT project_id, manager, planner FROM project_versions").fetchall() == [("P1", "陈静", None)]
    columns = {t: [n for (n,) in c.execute("SELECT column_name FROM information_schema.columns WHERE table_name = $t "
                                           "ORDER BY ordinal_position", {"t": t}).fetchall()]
               for t in ("projects", "project_snapshots")}
    assert columns["projects"] == columns["project_snapshots"] and "planner" in columns["projects"]
    c.close()


def test_readers_open_read_only(db_path):
    pa.connect(db_path).close()
    reader = pa.connect(db_path, read_only=True)
    with pytest.raises(Exception, match="read-only"):
        reader.execute("DELETE FROM projects")
    reader.close()


def test_reading_a_missing_database_says_what_to_do(tmp_path):
    with pytest.raises(pa.InputError, match="presales load"):
        pa.connect(tmp_path / "nothing.duckdb", read_only=True)


def test_default_path_and_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("PRESALES_DB", raising=False)
    assert str(database_path()) == "data/presales.duckdb"
    monkeypatch.setenv("PRESALES_DB", str(tmp_path / "env.duckdb"))
    assert database_path() == tmp_path / "env.duckdb"
    assert database_path("x.duckdb").name == "x.duckdb"


def test_a_database_held_by_another_process_is_reported_busy(db_path):
    pa.connect(db_path).close()
    holder = subprocess.Popen([sys.executable, "-c",
                               "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
                               "time.sleep(30)", str(db_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        started = time.monotonic()
        with pytest.raises(pa.DatabaseBusyError, match="in use by another process"):
            pa.connect(db_path, wait_seconds=1)
        assert time.monotonic() - started >= 1
    finally:
        holder.kill()
        holder.wait()


def test_library_calls_leave_the_connection_free_for_an_analysts_sql(tmp_path):
    """DuckDB 2 refuses con.sql() while a result of execute() is unread (ResourceInUseException): the
    library reads every result to the end, so an analyst's next query on the same connection works."""
    from conftest import write_csv
    from presales_analytics.metrics import compute
    from presales_analytics.metrics.base import data_date
    from presales_analytics.metrics import MetricContext

    con = pa.connect(tmp_path / "a.duckdb")
    pa.load(con, [write_csv(tmp_path / "p.csv", [["项目编号", "区域", "状态", "创建日期", "结束日期"],
                                                  ["P1", "华东", "赢单", "2026-07-01", "2026-08-01"]])])
    con.close()
    con = pa.connect(tmp_path / "a.duckdb", read_only=True)
    assert str(data_date(con)) == "2026-08-01"
    assert con.sql("SELECT count(*) FROM projects").fetchall() == [(1,)]
    compute(MetricContext(con, scope="region:华东"), "win-rate", "2026-Q3")
    assert con.sql("SELECT count(*) FROM projects").fetchall() == [(1,)]
    con.close()
