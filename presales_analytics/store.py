"""The one place that opens the DuckDB store.

``connect()`` owns every setting: the session time zone (``Asia/Shanghai`` unless configured),
no automatic extension installs or loads (nothing reaches for the network), and the schema
migrations in ``migrations/NNN_*.sql``, applied in order, each once, in a transaction.
Readers open the file read-only. DuckDB allows one writing process and no other process while
it writes, so a second process waits up to ``wait_seconds`` and then gets a
:class:`DatabaseBusyError` that says so.

Writers first (``[store] writers_first``, on by default): DuckDB lets a writer in only when no reader
holds the file, so a load polling for it can be starved by reports that keep arriving. A writer that
finds the file held takes an exclusive ``flock`` on ``<database>.intent`` beside it and keeps it until
it has the database (or gives up); a reader that finds that lock held waits behind it (within its own
limit) before it opens the file. Readers already in finish and the writer goes next. The lock is the
operating system's: it dies with a killed process, so nothing stale is ever left to clean up. The file
itself (empty) is made the first time a writer has to wait, and stays; a reader never creates it.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Iterator

try:
    import fcntl
except ImportError:          # pragma: no cover  (not POSIX: no writer queue, DuckDB's own locking only)
    fcntl = None

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


#: the [store] keys and their built-in values (defaults.toml holds the same, documented)
STORE_DEFAULTS = {"writers_first": True, "write_wait_seconds": 30, "read_wait_seconds": 60, "due_wait_seconds": 600}


def store_setting(config: Config, key: str):
    """``[store] key`` of the configuration, checked: ``writers_first`` a boolean, the ``*_wait_seconds``
    numbers of seconds >= 0."""
    value = config.raw.get("store", {}).get(key, STORE_DEFAULTS[key])
    if key == "writers_first":
        if not isinstance(value, bool):
            raise InputError(f"configuration ({config.source}): [store] writers_first must be true or false, "
                             f"not {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise InputError(f"configuration ({config.source}): [store] {key} must be a number of seconds (0 or "
                         f"more), not {value!r}")
    return float(value)


def intent_path(path: str | os.PathLike) -> Path:
    """``<database>.intent``: the file a waiting writer locks so that new readers wait behind it."""
    path = Path(path)
    return path.with_name(path.name + ".intent")


_POLL = 0.05      # seconds between two looks at the intent lock
_RETRY = 0.1      # seconds between two attempts at the database itself


@contextmanager
def _writer_intent(path: Path, deadline: float, wait_seconds: float) -> Iterator[None]:
    """Hold ``<database>.intent`` exclusively for the block (writers queue here, readers wait behind it).
    When the file cannot be made (a read-only folder) there is no queue: DuckDB's locking alone."""
    if fcntl is None:
        yield
        return
    try:
        fd = os.open(intent_path(path), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    except OSError:
        yield
        return
    try:
        _lock(fd, fcntl.LOCK_EX, deadline, f"{path} is wanted by another load, waiting for it or writing; "
                                           f"waited {wait_seconds:.0f} s. Try again when it has finished.")
        yield
    finally:
        os.close(fd)             # releases the lock (as a killed process's exit does)


def _lock(fd: int, mode: int, deadline: float, busy: str) -> None:
    """Take the flock ``mode`` on ``fd``, looking again every :data:`_POLL` s; DatabaseBusyError(``busy``)
    at the deadline."""
    while True:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise DatabaseBusyError(busy) from None
            time.sleep(_POLL)


def _behind_writer(path: Path, deadline: float, wait_seconds: float) -> None:
    """Return once no writer holds ``<database>.intent`` (at once when none does, or the file does not
    exist); a reader must not slip in ahead of a load that is waiting. Raises DatabaseBusyError at the
    deadline. The shared lock is taken and dropped at once: a stream of readers never holds it."""
    if fcntl is None:
        return
    try:
        fd = os.open(intent_path(path), os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return
    try:
        _lock(fd, fcntl.LOCK_SH, deadline, f"{path} is being loaded (a load is waiting for it or writing); "
                                           f"waited {wait_seconds:.0f} s. Try again when it has finished.")
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _open(path: str, read_only: bool, config: Config, wait_seconds: float) -> duckdb.DuckDBPyConnection:
    settings = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    deadline = time.monotonic() + wait_seconds
    fair = path != ":memory:" and store_setting(config, "writers_first")

    def attempt():
        """The connection, or None while another process holds the file (a lock error)."""
        if fair and read_only:
            _behind_writer(Path(path), deadline, wait_seconds)
        try:
            return duckdb.connect(path, read_only=read_only, config=settings)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            if time.monotonic() >= deadline:
                raise DatabaseBusyError(
                    f"{path} is in use by another process (a load or report is running); "
                    f"waited {wait_seconds:.0f} s. Try again when it has finished.") from exc
            return None

    con = attempt()
    if con is None:       # held: a writer queues on the intent lock (readers arriving now wait behind it)
        with (_writer_intent(Path(path), deadline, wait_seconds) if fair and not read_only else _nothing()):
            while con is None:
                time.sleep(_RETRY if fair and not read_only else 0.5)
                con = attempt()
    con.execute("SET TimeZone = $tz", {"tz": config.time_zone})
    try:  # its output would land in reports and CSV; inside Jupyter DuckDB refuses the setting
        con.execute("SET enable_progress_bar = false")  # without ipywidgets, and shows no bar there
    except duckdb.Error:
        pass
    return con


@contextmanager
def _nothing() -> Iterator[None]:
    yield


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
            config: Config | None = None, wait_seconds: float | None = 0.0) -> duckdb.DuckDBPyConnection:
    """Open the store.

    ``db``: a path, ``":memory:"``, or None for :func:`database_path`'s default. A writer creates
    the file and its folder if needed and brings the schema up to date; a reader
    (``read_only=True``) needs an existing, up-to-date database. ``wait_seconds``: how long to wait
    for another process holding it; None: the configured ``[store] read_wait_seconds`` or
    ``write_wait_seconds``. A waiting writer goes before readers that arrive after it (module docstring).

    >>> con = connect(":memory:")
    >>> con.execute("SELECT count(*) FROM projects").fetchall()
    [(0,)]
    """
    config = config or load_config()
    if wait_seconds is None:
        wait_seconds = store_setting(config, "read_wait_seconds" if read_only else "write_wait_seconds")
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
                 wait_seconds: float | None = 0.0) -> duckdb.DuckDBPyConnection:
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
