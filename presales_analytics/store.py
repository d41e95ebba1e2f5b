"""The one place that opens the DuckDB store.

``connect()`` owns every setting: the session time zone (``Asia/Shanghai`` unless configured),
no automatic extension installs or loads (nothing reaches for the network), and the schema
migrations in ``migrations/NNN_*.sql``, applied in order, each once, in a transaction.
Readers open the file read-only. DuckDB allows one writing process and no other process while
it writes, so a second process waits up to ``wait_seconds`` and then gets a
:class:`DatabaseBusyError` that says so.
"""

from __future__ import annotations

import os
import time
from importlib import resources
from pathlib import Path

import duckdb

from .config import Config, load_config
from .errors import DatabaseBusyError, InputError

DEFAULT_DB = Path("data") / "presales.duckdb"


def database_path(db: str | os.PathLike | None = None) -> Path:
    """``db`` if given, else ``$PRESALES_DB``, else ``data/presales.duckdb`` (relative to the
    current directory)."""
    return Path(db or os.environ.get("PRESALES_DB") or DEFAULT_DB)


def _migrations() -> list[tuple[int, str, str]]:
    folder = resources.files("presales_analytics") / "migrations"
    found = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:3].isdigit():
            found.append((int(name[:3]), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


SCHEMA_VERSION = max(v for v, _, _ in _migrations())


def _open(path: str, read_only: bool, config: Config, wait_seconds: float) -> duckdb.DuckDBPyConnection:
    settings = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            con = duckdb.connect(path, read_only=read_only, config=settings)
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            if time.monotonic() >= deadline:
                raise DatabaseBusyError(
                    f"{path} is in use by another process (a load or report is running); "
                    f"waited {wait_seconds:.0f} s. Try again when it has finished.") from exc
            time.sleep(0.5)
    con.execute("SET TimeZone = $tz", {"tz": config.time_zone})
    try:  # its output would land in reports and CSV; inside Jupyter DuckDB refuses the setting
        con.execute("SET enable_progress_bar = false")  # without ipywidgets, and shows no bar there
    except duckdb.Error:
        pass
    return con


def cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A new connection on ``con``'s database (``con.cursor()``) with ``con``'s time zone: it has TEMP
    objects of its own, so narrowing it to a scope leaves ``con`` as it was."""
    new = con.cursor()
    new.execute("SET TimeZone = $tz", {"tz": con.execute("SELECT current_setting('TimeZone')").fetchall()[0][0]})
    return new


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply the migrations this database has not had yet; return the schema version."""
    con.execute("CREATE TABLE IF NOT EXISTS schema_version "
                "(version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMPTZ)")
    done = {v for (v,) in con.execute("SELECT version FROM schema_version").fetchall()}
    for version, name, sql in _migrations():
        if version in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql)
            con.execute("INSERT INTO schema_version VALUES ($v, $n, now())", {"v": version, "n": name})
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    return SCHEMA_VERSION


def connect(db: str | os.PathLike | None = None, *, read_only: bool = False,
            config: Config | None = None, wait_seconds: float = 0.0) -> duckdb.DuckDBPyConnection:
    """Open the store.

    ``db``: a path, ``":memory:"``, or None for :func:`database_path`'s default. A writer creates
    the file and its folder if needed and brings the schema up to date; a reader
    (``read_only=True``) needs an existing, up-to-date database.

    >>> con = connect(":memory:")
    >>> con.execute("SELECT count(*) FROM projects").fetchall()
    [(0,)]
    """
    config = config or load_config()
    if str(db) == ":memory:":
        con = _open(":memory:", False, config, 0)
        migrate(con)
        return con
    path = database_path(db)
    if read_only:
        if not path.exists():
            raise InputError("no database here yet: load exports first "
                             "(presales load FILE…, or presales demo)", file=str(path))
        con = _open(str(path), True, config, wait_seconds)
        version = schema_version(con)
        if version < SCHEMA_VERSION:
            con.close()
            raise InputError(f"database schema is version {version}, this toolkit needs "
                             f"{SCHEMA_VERSION}: open it once for writing (e.g. presales load) to upgrade",
                             file=str(path))
        return con
    path.parent.mkdir(parents=True, exist_ok=True)
    con = _open(str(path), False, config, wait_seconds)
    migrate(con)
    return con


def scratch_copy(db: str | os.PathLike | None = None, *, config: Config | None = None,
                 wait_seconds: float = 0.0) -> duckdb.DuckDBPyConnection:
    """An in-memory database holding a copy of ``db`` (opened read-only; nothing is created when it does
    not exist: the copy is then empty): what ``presales validate`` checks against and throws away, so that
    it writes nothing anywhere and only waits for a writer, never for readers."""
    config = config or load_config()
    con = connect(":memory:", config=config)
    path = database_path(db)
    if not path.exists():
        return con
    connect(path, read_only=True, config=config, wait_seconds=wait_seconds).close()   # waits for a writer, checks the schema
    con.execute("ATTACH $path AS source (READ_ONLY)", {"path": str(path)})
    try:
        tables = [t for (t,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'source' "
            "AND table_schema = 'main' AND table_type = 'BASE TABLE' AND table_name <> 'schema_version' "
            "ORDER BY table_name").fetchall()]
        for table in tables:      # names from the catalogue, quoted
            con.execute(f'INSERT INTO memory.main."{table}" SELECT * FROM source.main."{table}"')
    finally:
        con.execute("DETACH source")
    return con


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The schema version of an open database (0 for an empty one)."""
    exists = con.execute("SELECT count(*) FROM information_schema.tables "
                         "WHERE table_name = 'schema_version'").fetchall()[0][0]
    if not exists:
        return 0
    return con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()[0][0]
