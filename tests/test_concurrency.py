"""A load waiting behind readers (issue 10, Build items 6 and 8), with real processes: reader processes
that each open the database read-only, hold it 0.5 s, close it and open it again at once, staggered so
that some reader holds the file at every moment (new reader connections keep arriving), and a real
`presales load` started among them.

With ``[store] writers_first`` (the default) the load gets the database within a second or two and the
readers carry on after it. Without it (DuckDB's own locking alone, as before) the load never finds the
file free and exits 3 at its limit while the readers go on: the starvation the switch fixes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import presales_analytics as pa
from presales_analytics.store import intent_path

from conftest import write_csv

PRESALES = shutil.which("presales", path=str(Path(sys.executable).parent)) or "presales"
HOLD = 0.5          # seconds each reader connection holds the database
READERS = 4         # reader processes, started HOLD / READERS apart

READER = r"""
import sys, time
from pathlib import Path
import presales_analytics as pa
db, stop, hold = sys.argv[1], Path(sys.argv[2]), float(sys.argv[3])
while not stop.exists():
    con = pa.connect(db, read_only=True, wait_seconds=60)
    con.execute("SELECT count(*) FROM projects").fetchall()
    print(time.time(), flush=True)          # one line per connection: when this reader got in
    time.sleep(hold)
    con.close()
"""


def _setup(tmp_path: Path, store: str) -> tuple[Path, Path, dict]:
    db = tmp_path / "c.duckdb"
    con = pa.connect(db)
    pa.load(con, [write_csv(tmp_path / "old.csv", [["项目编号", "阶段"], *[[f"P{i}", "投标"] for i in range(50)]])])
    con.close()
    new = write_csv(tmp_path / "new.csv", [["项目编号", "阶段"], *[[f"N{i}", "谈判"] for i in range(50)]])
    (tmp_path / "presales.toml").write_text(f"[store]\n{store}\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PRESALES_DB"}
    env["PRESALES_CONFIG"] = str(tmp_path / "presales.toml")
    return db, new, env


def _load_among_readers(tmp_path: Path, db: Path, new: Path, env: dict, after: float = 1.0):
    """Start the readers, then the load; return (the load's CompletedProcess, its start and end times,
    every reader connection's time)."""
    stop = tmp_path / "stop"
    readers = []
    times = []
    try:
        for _ in range(READERS):
            r = subprocess.Popen([sys.executable, "-c", READER, str(db), str(stop), str(HOLD)], env=env,
                                 stdout=subprocess.PIPE, text=True)
            readers.append(r)
            first = r.stdout.readline()
            assert first, "a reader did not start"
            times.append(float(first))
            time.sleep(HOLD / READERS)
        started = time.time()
        load = subprocess.run([PRESALES, "load", str(new), "--db", str(db)], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=60)
        ended = time.time()
        time.sleep(after)                    # the readers carry on after the load
    finally:
        stop.touch()
        for r in readers:
            out, _ = r.communicate(timeout=30)
            times += [float(line) for line in out.split()]
            assert r.returncode == 0, "a reader failed"
    return load, started, ended, times


def test_a_load_waiting_behind_a_stream_of_readers_gets_the_database_first(tmp_path):
    db, new, env = _setup(tmp_path, "writers_first = true\nwrite_wait_seconds = 20")
    load, started, ended, times = _load_among_readers(tmp_path, db, new, env)
    took = ended - started
    before = sum(started - 1 <= t < started for t in times)
    during = sum(started <= t < ended for t in times)
    later = sum(t >= ended for t in times)
    print(f"\nwriters first: load exit {load.returncode} after {took:.2f} s; reader connections: "
          f"{before} in the 1 s before it, {during} while it ran, {later} in the 1 s after")
    assert load.returncode == 0, load.stderr
    assert took < 8, f"the load took {took:.1f} s among readers"
    assert before >= READERS and later >= READERS, (before, later)      # readers arrived before and after it
    con = pa.connect(db, read_only=True)
    assert con.execute("SELECT count(*) FROM projects").fetchall() == [(100,)]
    con.close()
    assert intent_path(db).exists() and intent_path(db).stat().st_size == 0


def test_without_writers_first_the_same_load_starves_behind_the_readers(tmp_path):
    """What happened before writers_first (and with it switched off): DuckDB never lets the load in while
    some reader holds the file, so it waits its whole limit and exits 3."""
    db, new, env = _setup(tmp_path, "writers_first = false\nwrite_wait_seconds = 3")
    load, started, ended, times = _load_among_readers(tmp_path, db, new, env, after=0.3)
    took = ended - started
    during = sum(started <= t < ended for t in times)
    print(f"\nwriters first off: load exit {load.returncode} after {took:.2f} s; "
          f"{during} reader connections while it waited")
    assert load.returncode == 3 and "in use by another process" in load.stderr, load.stderr
    assert took >= 3 and during >= 3 / HOLD * READERS / 2
    con = pa.connect(db, read_only=True)
    assert con.execute("SELECT count(*) FROM projects").fetchall() == [(50,)]
    con.close()


def test_a_reader_waits_behind_a_waiting_writer_within_its_own_limit_and_a_killed_writer_frees_it(tmp_path):
    """The intent lock is the kernel's: held by a waiting writer, a reader waits (and gives up at its own
    limit with exit-3 wording); when that process is SIGKILLed the lock goes with it, nothing to clean up."""
    db, _, env = _setup(tmp_path, "writers_first = true")
    holder = subprocess.Popen([sys.executable, "-c",
                               "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT); "
                               "fcntl.flock(fd, fcntl.LOCK_EX); print('ready', flush=True); time.sleep(60)",
                               str(intent_path(db))], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        began = time.monotonic()
        with pytest.raises(pa.DatabaseBusyError, match="is being loaded"):
            pa.connect(db, read_only=True, wait_seconds=1)
        assert 1 <= time.monotonic() - began < 3
        holder.kill()
        holder.wait()
        pa.connect(db, read_only=True, wait_seconds=1).close()     # at once: the lock died with the process
    finally:
        holder.kill()
        holder.wait()


def test_the_store_settings_are_checked(tmp_path):
    from presales_analytics.config import load_config

    (tmp_path / "bad.toml").write_text('[store]\nwrite_wait_seconds = "soon"\n', encoding="utf-8")
    with pytest.raises(pa.InputError, match=r"\[store\] write_wait_seconds must be a number of seconds"):
        pa.connect(tmp_path / "x.duckdb", config=load_config(tmp_path / "bad.toml"), wait_seconds=None)
    (tmp_path / "bad.toml").write_text('[store]\nwriters_first = "yes"\n', encoding="utf-8")
    with pytest.raises(pa.InputError, match=r"\[store\] writers_first must be true or false"):
        pa.connect(tmp_path / "x.duckdb", config=load_config(tmp_path / "bad.toml"))
