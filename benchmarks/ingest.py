"""Ingest benchmark: how long ``presales load`` takes on a large export, against DuckDB's bare ``read_csv``.

Run on demand, never in CI::

    ./run bench ingest                      # 1,000,000 projects (~6 million stage events)
    ./run bench ingest --projects 20000     # a quick check that everything works
    ./run bench ingest --repeat 3 --keep --workdir /tmp/bench

What it does:

1. Generates N projects and their stage histories as two UTF-8 CSV files with English canonical
   headers (``projects.csv``, ``stage_events.csv``), vectorised in numpy and written by DuckDB
   ``COPY ... TO``; deterministic for a given ``--seed``.
2. Times ``presales load projects.csv stage_events.csv --db <fresh file>`` as a subprocess:
   wall-clock seconds and peak resident memory (MiB, from GNU ``/usr/bin/time -v``, else from
   ``getrusage(RUSAGE_CHILDREN)`` in a fresh wrapper process).
3. Times the baseline the same way: a tiny Python script that runs DuckDB's bare
   ``CREATE TABLE .. AS SELECT * FROM read_csv(?)`` for both files into a fresh database file.
4. Prints a table and PASS/FAIL against the targets (load/bare ratio <= 2.0, load peak memory
   < 2048 MiB), after checking the load really loaded: projects = N, stage_events = the events
   written, rejects = 0 (anything else is a failure, loudly).

Exit status: 0 all targets met; 1 a target missed; 2 the load failed or loaded the wrong counts.
With ``--repeat K`` each side runs K times: the best (lowest) time is reported and compared, and
the highest peak memory seen (a memory limit is a limit on every run, not on the luckiest one).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"

#: Targets (see benchmarks/README.md).
MAX_RATIO = 2.0          # presales load seconds / bare read_csv seconds
MAX_PEAK_MIB = 2048.0    # peak resident memory of presales load, MiB (strictly below)

WORKING = ["lead", "qualified", "initiated", "solution", "bidding", "negotiation"]
TERMINAL = ["won", "lost", "abandoned"]
STAGES = WORKING + TERMINAL            # event stage codes 0..8
STATUSES = ["open"] + TERMINAL         # status codes 0..3

#: The first day a project can be created, and how many days after it (2019-01-01 .. 2024-12-31);
#: a history spans at most 8 gaps of < 70 days, so every date lies before 2026-08.
FIRST_DAY = "2019-01-01"
CREATED_SPAN_DAYS = 2192
GAP_DAYS = (3, 70)                     # days between two events, [low, high)

DEPARTMENTS = ["交通系统部", "政府系统部", "公安系统部", "智慧城市产品部", "停车产品部", "运营商系统部"]
SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周",
            "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗"]
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军"]
CITIES = ["北京市", "上海市", "广州市", "深圳市", "杭州市", "南京市", "苏州市", "成都市", "重庆市",
          "武汉市", "西安市", "长沙市", "郑州市", "济南市", "青岛市", "合肥市", "福州市", "厦门市",
          "昆明市", "贵阳市", "南宁市", "沈阳市", "大连市", "长春市", "哈尔滨市", "太原市",
          "石家庄市", "天津市", "宁波市", "无锡市"]
BUREAUS = ["交通运输局", "公安局交警支队", "城市管理局", "住房和城乡建设局", "发展和改革委员会",
           "停车管理中心"]
KINDS = ["智慧停车", "静态交通", "路内停车", "停车诱导", "智慧交通", "城市大脑"]
PHASES = ["一期", "二期", "三期", "扩容", "运维"]
#: The region (大区) of each city above.
CITY_REGION = ["华北", "华东", "华南", "华南", "华东", "华东", "华东", "西南", "西南", "华中", "西北", "华中",
               "华中", "华东", "华东", "华东", "华南", "华南", "西南", "西南", "华南", "东北", "东北", "东北",
               "东北", "华北", "华北", "华北", "华东", "华东"]
PARTNERS = [f"{c[:-1]}{s}" for c in CITIES[:25] for s in ("信达科技", "智联系统")]   # 50 partners
#: With ``win_loss``: the rivals met at a bid, and why projects are lost or abandoned.
RIVALS = ["海康威视", "大华股份", "千方科技", "易华录", "银江技术", "捷顺科技", "科拓股份", "ETCP", "立方控股",
          "中兴智能交通", "华为", "本地集成商"]
REASONS = ["价格偏高", "技术方案不符", "客户预算取消", "关系不足", "竞争对手低价", "项目延期", "资质不足"]


# --------------------------------------------------------------------------- generation

@dataclass(frozen=True)
class Generated:
    """The generated exports: paths, rows in each, and sizes in bytes."""

    projects: Path
    events: Path
    n_projects: int
    n_events: int

    @property
    def projects_bytes(self) -> int:
        return self.projects.stat().st_size

    @property
    def events_bytes(self) -> int:
        return self.events.stat().st_size


def _choose(rng: np.random.Generator, mask: np.ndarray, weights: list[float], out: np.ndarray) -> None:
    """Fill ``out[mask]`` with stage indices 0..5 drawn with ``weights``."""
    p = np.asarray(weights, dtype=float)
    out[mask] = rng.choice(len(p), size=int(mask.sum()), p=p / p.sum())


def generate(n: int, folder: Path, *, seed: int = 20261127, win_loss: bool = False) -> Generated:
    """Write ``projects.csv`` and ``stage_events.csv`` for ``n`` projects into ``folder``.

    Each project walks forward through the working stages from ``lead`` to its last stage ``k``;
    half of those that reached ``bidding`` go back to ``solution`` once and bid again;
    a closed project (won / lost / abandoned, ~70%) then enters its terminal stage, on its
    ``closed_at``. Event dates increase strictly, the first is ``created_at``. About 6 events per
    project. ``stage`` in projects.csv is the last working stage; ``channel`` is blank for ~40%.

    With ``win_loss`` (the metrics benchmark), projects.csv also has the columns the win/loss and member
    metrics read, drawn from a second generator (the other columns are the same as without):
    ``manager`` and ``monitor`` (200 names each); ``competitor``, 1–3 of 12 rivals joined by "、" for
    80% of the projects that reached bidding; ``lost_reason`` (one of 7) for 90% of the lost and
    abandoned; ``collected_amount`` for the won (nothing for 15%, else 30–100% of the amount) and
    ``satisfaction`` (60–100) for 70% of the closed.
    """
    rng = np.random.default_rng(seed)
    status = rng.choice(4, size=n, p=[0.30, 0.25, 0.27, 0.18]).astype(np.int8)
    k = np.empty(n, dtype=np.int8)                         # last working stage reached, 0..5
    _choose(rng, status == 0, [5, 10, 15, 25, 25, 20], k)    # open: anywhere
    _choose(rng, status == 1, [0, 0, 0, 0, 15, 85], k)       # won: after bidding or negotiating
    _choose(rng, status == 2, [0, 0, 5, 25, 40, 30], k)      # lost
    _choose(rng, status == 3, [10, 20, 25, 20, 15, 10], k)   # abandoned: often early
    back = (k >= 4) & (rng.random(n) < 0.5)                # solution -> bidding once more
    closed = status > 0
    working = k.astype(np.int16) + 1 + 2 * back            # working-stage events
    width = 9                                              # 6 stages + 2 revisits + terminal
    col = np.arange(width, dtype=np.int16)
    revisit = np.array([0, 1, 2, 3, 4, 3, 4, 5, -1], dtype=np.int8)
    stage = np.where(back[:, None], revisit[None, :], col.astype(np.int8)[None, :])
    rows = np.arange(n)
    stage[rows[closed], working[closed]] = status[closed] + 5     # won=6, lost=7, abandoned=8
    valid = col[None, :] < (working + closed)[:, None]
    created = rng.integers(0, CREATED_SPAN_DAYS, size=n, dtype=np.int32)
    gaps = rng.integers(*GAP_DAYS, size=(n, width), dtype=np.int32)
    gaps[:, 0] = 0
    day = created[:, None] + np.cumsum(gaps, axis=1, dtype=np.int32)
    closed_day = np.where(closed, day[rows, np.minimum(working, width - 1)], -1).astype(np.int32)

    amount = np.round(np.exp(rng.normal(np.log(3e6), 1.1, size=n)), -2).astype(np.int64)
    channel = np.where(rng.random(n) < 0.40, -1, rng.integers(0, len(PARTNERS), size=n)).astype(np.int16)
    grade = np.where(amount > 50_000_000, 0, np.where(amount > 20_000_000, 1,
                     np.where((channel >= 0) & (rng.random(n) < 0.5), 3, 2))).astype(np.int8)
    projects = pd.DataFrame({
        "i": np.arange(1, n + 1, dtype=np.int32), "status": status, "k": k, "grade": grade,
        "amount": amount, "channel": channel, "created": created, "closed": closed_day,
        "department": rng.integers(0, len(DEPARTMENTS), size=n, dtype=np.int8),
        "director": rng.integers(0, len(SURNAMES) * len(GIVEN), size=n, dtype=np.int16),
        "city": rng.integers(0, len(CITIES), size=n, dtype=np.int8),
        "bureau": rng.integers(0, len(BUREAUS), size=n, dtype=np.int8),
        "kind": rng.integers(0, len(KINDS), size=n, dtype=np.int8),
        "phase": rng.integers(0, len(PHASES), size=n, dtype=np.int8),
    })
    if win_loss:
        extra = np.random.default_rng([seed, 12])
        names = len(SURNAMES) * len(GIVEN)
        rivals = extra.integers(0, len(RIVALS), size=(n, 3), dtype=np.int8)
        met = np.where((k >= 4) & (extra.random(n) < 0.8), extra.integers(1, 4, size=n), 0).astype(np.int8)
        collected = np.where(extra.random(n) < 0.15, 0.0, np.round(amount * extra.uniform(0.3, 1.0, size=n), -2))
        projects = projects.assign(
            manager=extra.integers(0, names, size=n, dtype=np.int16),
            monitor=extra.integers(0, names, size=n, dtype=np.int16),
            r0=rivals[:, 0], r1=rivals[:, 1], r2=rivals[:, 2], met=met,
            reason=np.where((status >= 2) & (extra.random(n) < 0.9),
                            extra.integers(0, len(REASONS), size=n), -1).astype(np.int8),
            collected=np.where(status == 1, collected, np.nan),
            satisfaction=np.where(closed & (extra.random(n) < 0.7),
                                  extra.integers(60, 101, size=n), -1).astype(np.int16))
    events = pd.DataFrame({
        "i": np.broadcast_to(projects["i"].to_numpy()[:, None], (n, width))[valid],
        "stage": stage[valid], "day": day[valid],
    })
    del stage, valid, gaps, day

    folder.mkdir(parents=True, exist_ok=True)
    p_path, e_path = folder / "projects.csv", folder / "stage_events.csv"
    digits = max(7, len(str(n)))
    pid = "'P' || lpad(CAST(i AS VARCHAR), $digits, '0')"
    extra_columns, extra_params = "", {}
    if win_loss:
        # the names of manager and monitor run through the surnames the other way round from the director's
        extra_columns = """,
                   $surnames[manager // $n_given + 1] || $given[manager % $n_given + 1] AS manager,
                   $surnames[monitor // $n_given + 1] || $given[monitor % $n_given + 1] AS monitor,
                   CASE WHEN met > 0 THEN array_to_string(list_distinct(
                       list_slice([$rivals[r0 + 1], $rivals[r1 + 1], $rivals[r2 + 1]], 1, met)), '、') END
                       AS competitor,
                   CASE WHEN reason >= 0 THEN $reasons[reason + 1] END AS lost_reason,
                   collected AS collected_amount,
                   CASE WHEN satisfaction >= 0 THEN satisfaction END AS satisfaction"""
        extra_params = {"rivals": RIVALS, "reasons": REASONS, "n_given": len(GIVEN)}
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    try:
        con.register("gen_projects", projects)
        con.register("gen_events", events)
        con.execute(f"""COPY (
            SELECT {pid} AS project_id,
                   $cities[city + 1] || $kinds[kind + 1] || $phases[phase + 1] || '项目' AS name,
                   $cities[city + 1] || $bureaus[bureau + 1] AS customer,
                   $regions[city + 1] AS region,
                   $departments[department + 1] AS department,
                   $surnames[director % $n_surnames + 1] || $given[director // $n_surnames + 1] AS director,
                   CASE WHEN channel >= 0 THEN $partners[channel + 1] END AS channel,
                   $grades[grade + 1] AS grade,
                   amount,
                   $stages[k + 1] AS stage,
                   $statuses[status + 1] AS status,
                   CAST($first AS DATE) + created AS created_at,
                   CASE WHEN closed >= 0 THEN CAST($first AS DATE) + closed END AS closed_at{extra_columns}
            FROM gen_projects) TO $path (FORMAT csv, HEADER)""",
                    {**extra_params, "digits": digits, "cities": CITIES, "kinds": KINDS, "phases": PHASES, "bureaus": BUREAUS,
                     "regions": CITY_REGION, "departments": DEPARTMENTS, "surnames": SURNAMES, "given": GIVEN,
                     "n_surnames": len(SURNAMES), "partners": PARTNERS,
                     "grades": ["company", "department", "office", "channel"], "stages": WORKING,
                     "statuses": STATUSES, "first": FIRST_DAY, "path": str(p_path)})
        con.execute(f"""COPY (
            SELECT {pid} AS project_id, $stages[stage + 1] AS stage, CAST($first AS DATE) + day AS entered_at
            FROM gen_events) TO $path (FORMAT csv, HEADER)""",
                    {"digits": digits, "stages": STAGES, "first": FIRST_DAY, "path": str(e_path)})
    finally:
        con.close()
    return Generated(p_path, e_path, n, len(events))


# --------------------------------------------------------------------------- measuring

@dataclass(frozen=True)
class Run:
    """One timed subprocess: wall-clock seconds, peak resident memory in MiB, exit code, output."""

    seconds: float
    peak_mib: float
    returncode: int
    stdout: str
    stderr: str


_RUSAGE_WRAPPER = """\
import resource, subprocess, sys
rc = subprocess.run(sys.argv[2:]).returncode
with open(sys.argv[1], "w") as f:
    f.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))   # KiB on Linux
sys.exit(rc)
"""

_GNU_TIME = Path("/usr/bin/time")


def measure(cmd: list[str], *, cwd: Path = ROOT) -> Run:
    """Run ``cmd``; return its wall-clock time and peak RSS (its own process tree's largest process).

    Uses GNU ``/usr/bin/time -v`` when present ("Maximum resident set size"), else a fresh Python
    wrapper that reads ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` after the command ends.
    """
    with tempfile.NamedTemporaryFile("r", suffix=".rss", delete=False) as note:
        note_path = Path(note.name)
    try:
        if _GNU_TIME.exists():
            full = [str(_GNU_TIME), "-v", "-o", str(note_path), *cmd]
        else:
            full = [sys.executable, "-c", _RUSAGE_WRAPPER, str(note_path), *cmd]
        start = time.perf_counter()
        done = subprocess.run(full, cwd=cwd, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        text = note_path.read_text()
    finally:
        note_path.unlink(missing_ok=True)
    if _GNU_TIME.exists():
        found = re.search(r"Maximum resident set size \(kbytes\):\s*(\d+)", text)
        kib = int(found.group(1)) if found else 0
    else:
        kib = int(text.strip() or 0)
    return Run(seconds, kib / 1024, done.returncode, done.stdout, done.stderr)


_BARE = """\
import sys, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("CREATE TABLE p AS SELECT * FROM read_csv(?)", [sys.argv[2]])
con.execute("CREATE TABLE e AS SELECT * FROM read_csv(?)", [sys.argv[3]])
con.close()
"""


def _fresh(db: Path) -> Path:
    for path in (db, db.with_name(db.name + ".wal")):
        path.unlink(missing_ok=True)
    return db


def run_load(data: Generated, db: Path) -> Run:
    """``presales load projects.csv stage_events.csv --db <fresh db>``, timed."""
    presales = VENV_BIN / "presales"
    return measure([str(presales), "load", str(data.projects), str(data.events), "--db", str(_fresh(db))])


def run_bare(data: Generated, db: Path) -> Run:
    """The baseline: bare ``read_csv`` of both files into a fresh database file, timed."""
    return measure([sys.executable, "-c", _BARE, str(_fresh(db)), str(data.projects), str(data.events)])


def counts(db: Path, tables: list[str]) -> dict[str, int]:
    """count(*) of each table, the database opened read-only."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        con.close()


class LoadFailed(RuntimeError):
    pass


def check_load(run: Run, data: Generated, db: Path) -> dict[str, int]:
    """Raise :class:`LoadFailed` unless the load exited 0 with N projects, every event, no rejects."""
    if run.returncode != 0:
        raise LoadFailed(f"presales load exited {run.returncode}\n--- stdout\n{run.stdout[-4000:]}"
                         f"\n--- stderr\n{run.stderr[-4000:]}")
    got = counts(db, ["projects", "stage_events", "rejects"])
    want = {"projects": data.n_projects, "stage_events": data.n_events, "rejects": 0}
    if got != want:
        raise LoadFailed(f"the load did not load what was generated: got {got}, expected {want}\n"
                         f"--- stdout\n{run.stdout[-4000:]}")
    return got


# --------------------------------------------------------------------------- report

def _mib(n_bytes: int) -> str:
    return f"{n_bytes / 2**20:,.1f} MiB"


def report(data: Generated, load: list[Run], bare: list[Run], got: dict[str, int], gen_seconds: float) -> bool:
    """Print the results table; return whether every target is met."""
    best_load = min(r.seconds for r in load)
    best_bare = min(r.seconds for r in bare)
    peak_load = max(r.peak_mib for r in load)
    peak_bare = max(r.peak_mib for r in bare)
    ratio = best_load / best_bare
    ratio_ok, peak_ok = ratio <= MAX_RATIO, peak_load < MAX_PEAK_MIB
    runs = f" (best of {len(load)})" if len(load) > 1 else ""
    lines = [
        ("projects.csv", f"{data.n_projects:,} rows, {_mib(data.projects_bytes)}"),
        ("stage_events.csv", f"{data.n_events:,} rows, {_mib(data.events_bytes)}"
                             f" ({data.n_events / data.n_projects:.2f} per project)"),
        ("generated in", f"{gen_seconds:.1f} s"),
        ("loaded (read-only check)", f"projects {got['projects']:,}, stage_events {got['stage_events']:,}, "
                                     f"rejects {got['rejects']:,}"),
        (f"presales load{runs}", f"{best_load:8.2f} s   peak {peak_load:8.1f} MiB"
                                 f"   [{', '.join(f'{r.seconds:.2f}' for r in load)}]"),
        (f"bare read_csv{runs}", f"{best_bare:8.2f} s   peak {peak_bare:8.1f} MiB"
                                 f"   [{', '.join(f'{r.seconds:.2f}' for r in bare)}]"),
        ("ratio load / bare", f"{ratio:8.2f}     target <= {MAX_RATIO:.1f}   {'PASS' if ratio_ok else 'FAIL'}"),
        ("peak memory of load", f"{peak_load:8.1f} MiB target < {MAX_PEAK_MIB:.0f} MiB "
                                f"{'PASS' if peak_ok else 'FAIL'}"),
    ]
    width = max(len(k) for k, _ in lines)
    print()
    print(f"ingest benchmark: {data.n_projects:,} projects, {os.cpu_count()} CPUs, duckdb {duckdb.__version__}")
    print("-" * (width + 60))
    for key, value in lines:
        print(f"{key:<{width}}  {value}")
    print("-" * (width + 60))
    print("PASS" if ratio_ok and peak_ok else "FAIL")
    return ratio_ok and peak_ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="./run bench ingest", description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", type=int, default=1_000_000, help="projects to generate [1000000]")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each side; the best time counts [1]")
    parser.add_argument("--workdir", type=Path, help="folder for the files [a new temp folder]")
    parser.add_argument("--keep", action="store_true", help="keep the generated files and databases")
    parser.add_argument("--seed", type=int, default=20261127, help="random seed [20261127]")
    args = parser.parse_args(argv)
    if args.projects < 1 or args.repeat < 1:
        parser.error("--projects and --repeat must be at least 1")
    if not (VENV_BIN / "presales").exists():
        parser.error(f"{VENV_BIN / 'presales'} not found: run ./run once to set up .venv")

    own_dir = args.workdir is None
    folder = Path(tempfile.mkdtemp(prefix="presales-bench-")) if own_dir else args.workdir.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    load_db, bare_db = folder / "load.duckdb", folder / "bare.duckdb"
    try:
        print(f"generating {args.projects:,} projects in {folder} …", flush=True)
        start = time.perf_counter()
        data = generate(args.projects, folder, seed=args.seed)
        gen_seconds = time.perf_counter() - start
        print(f"  {data.n_events:,} stage events; {gen_seconds:.1f} s", flush=True)
        load_runs: list[Run] = []
        bare_runs: list[Run] = []
        got: dict[str, int] = {}
        for i in range(args.repeat):
            bare_runs.append(run_bare(data, bare_db))
            if bare_runs[-1].returncode != 0:
                print(f"bare read_csv failed:\n{bare_runs[-1].stderr}", file=sys.stderr)
                return 2
            load_runs.append(run_load(data, load_db))
            try:
                got = check_load(load_runs[-1], data, load_db)
            except LoadFailed as exc:
                print(f"\nFAIL: {exc}", file=sys.stderr)
                return 2
            print(f"  run {i + 1}/{args.repeat}: load {load_runs[-1].seconds:.2f} s "
                  f"({load_runs[-1].peak_mib:.0f} MiB), bare {bare_runs[-1].seconds:.2f} s "
                  f"({bare_runs[-1].peak_mib:.0f} MiB)", flush=True)
        ok = report(data, load_runs, bare_runs, got, gen_seconds)
        if args.keep:
            print(f"kept: {data.projects}, {data.events}, {load_db}, {bare_db}")
        return 0 if ok else 1
    finally:
        if not args.keep:
            if own_dir:
                shutil.rmtree(folder, ignore_errors=True)
            else:
                for name in ("projects.csv", "stage_events.csv", "load.duckdb", "load.duckdb.wal",
                             "bare.duckdb", "bare.duckdb.wal"):
                    (folder / name).unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
