"""A load SIGKILLed at random moments (issue 10, Build item 8): every kill leaves exactly the state before
the load or exactly the state after it, never a half-load, and the database opens and loads again.

10 moments in the suite (about 10 s); ``PRESALES_KILLS=100`` runs more (a benchmark mode). The moments are
drawn from a seeded generator (``PRESALES_KILL_SEED``, printed) between the start of the process and the
time a whole load takes, so some land before the transaction, some in it and some after the commit.
"""

from __future__ import annotations

import csv
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

import presales_analytics as pa

from conftest import write_csv

PRESALES = shutil.which("presales", path=str(Path(sys.executable).parent)) or "presales"
KILLS = int(os.environ.get("PRESALES_KILLS", "10"))
SEED = int(os.environ.get("PRESALES_KILL_SEED", "20261127"))


def state(db: Path) -> dict[str, tuple]:
    """Every table's row count and an order-free hash of its rows; the load log without the time of each
    load (``loaded_at``), which differs from one run of the same load to the next."""
    con = duckdb.connect(str(db))                # read-write, as the next load opens it (a WAL is replayed)
    try:
        tables = [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        rows = {t: (f'SELECT * EXCLUDE (loaded_at) FROM "{t}"' if t == "load_log" else f'SELECT * FROM "{t}"')
                for t in tables}
        return {t: con.execute(f"SELECT count(*), bit_xor(hash(x)) FROM ({sql}) x").fetchall()[0]
                for t, sql in rows.items()}
    finally:
        con.close()


def _fresh(pre: Path, target: Path) -> None:
    for leftover in target.parent.glob(target.name + "*"):
        leftover.unlink()
    shutil.copyfile(pre, target)


def test_a_load_killed_at_random_moments_leaves_the_state_before_or_after_it(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("PRESALES_DB", "PRESALES_CONFIG")}
    pre_db = tmp_path / "pre.duckdb"
    con = pa.connect(pre_db)
    pa.load(con, [write_csv(tmp_path / "old.csv", [["项目编号", "阶段"], *[[f"P{i}", "投标"] for i in range(100)]])])
    con.close()
    big = tmp_path / "big.csv"
    with open(big, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["项目编号", "项目名称", "客户", "项目总监", "阶段", "状态", "金额", "创建日期", "结束日期"])
        for i in range(30000):
            w.writerow([f"B{i}", f"项目{i}", f"客户{i % 500}", f"总监{i % 40}", "投标" if i % 3 else "赢单",
                        "进行中" if i % 3 else "赢单", 1000 + i, "2025-01-05", "" if i % 3 else "2025-09-01"])
    before = state(pre_db)

    ref = tmp_path / "ref.duckdb"
    _fresh(pre_db, ref)
    began = time.monotonic()
    r = subprocess.run([PRESALES, "load", str(big), "--db", str(ref)], env=env, capture_output=True, text=True,
                       timeout=120)
    whole = time.monotonic() - began
    assert r.returncode == 0, r.stderr
    after = state(ref)
    assert after != before and after["projects"][0] == 30100

    rng = random.Random(SEED)
    work = tmp_path / "work.duckdb"
    seen = {"before": 0, "after": 0}
    for n in range(KILLS):
        _fresh(pre_db, work)
        moment = rng.uniform(0.05, whole)
        run = subprocess.Popen([PRESALES, "load", str(big), "--db", str(work)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(moment)
        run.send_signal(signal.SIGKILL)
        run.wait()
        now = state(work)
        assert now in (before, after), f"kill {n} at {moment:.3f} s (seed {SEED}) left a state between the two"
        seen["before" if now == before else "after"] += 1
    print(f"\n{KILLS} loads killed (seed {SEED}, a whole load {whole:.2f} s): {seen['before']} left the state "
          f"before, {seen['after']} the state after, none anything else")
    # and a killed database loads again as usual
    r = subprocess.run([PRESALES, "load", str(big), "--db", str(work)], env=env, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert state(work) == after or "skipped: already loaded" in r.stdout
