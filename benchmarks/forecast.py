"""Benchmark: the whole forecast (training rows at every weekly cutoff, the backtest of three models, the
choice, the open projects' probabilities, the period's simulation) on the demo and at 100,000 projects.

Run on demand (never in CI): ``./run bench forecast [--sizes demo,100000] [--repeat 1]``.

- ``demo``: the demo exports (3,000 projects, ``generate_demo``) as ``./run demo`` loads them;
- a number: benchmarks/ingest.py's generator (projects and ~6 stage events each over six years).

Times, best of ``--repeat``, each on a new connection and context (nothing remembered): the training
rows alone, the project level (everything but the simulation), and the period level (the current
quarter, horizon to its end: a second fit plus the simulation). The baseline measured in the same run
is reading ``projects`` and ``stage_events`` into pandas (``SELECT *``), so the ratio says how many bare
table reads the forecast costs on this machine. Targets (issue 13): demo < 10 s, 100k < 60 s.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from ingest import generate  # noqa: E402

import presales_analytics as pa  # noqa: E402
from presales_analytics.metrics import MetricContext  # noqa: E402
from presales_analytics.metrics.base import data_date  # noqa: E402
from presales_analytics.metrics.forecast import forecast, sampling, training_rows, weekly_cutoffs  # noqa: E402
from presales_analytics.periods import Period  # noqa: E402

TARGETS = {"demo": 10.0, 100_000: 60.0}


def best_of(repeat: int, fn):
    best, value = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - t)
    return best, value


def build(size, workdir: Path) -> Path:
    db = workdir / f"f-{size}.duckdb"
    con = pa.connect(db)
    if size == "demo":
        from presales_analytics.demo import generate_demo
        pa.load(con, generate_demo(workdir / "demo", export_date=date(2026, 11, 27)).all())
    else:
        data = generate(int(size), workdir / f"g-{size}")
        pa.load(con, [data.projects, data.events])
    con.close()
    return db


def run_size(size, repeat: int, workdir: Path) -> dict:
    db = build(size, workdir)

    def fresh(fn):
        def go():
            con = pa.connect(db, read_only=True)
            try:
                with MetricContext(con) as ctx:
                    return fn(ctx)
            finally:
                con.close()
        return go

    def rows(ctx):            # as the forecast reads them: sampled above [forecast] max_training_rows
        d = data_date(ctx)
        cutoffs = weekly_cutoffs(ctx, d, horizon_days=180)
        return training_rows(ctx, cutoffs, label_date=d, horizon_days=180, every=sampling(ctx, cutoffs, d))

    def read(ctx):
        return len(ctx.cursor.execute("SELECT * FROM projects").df()) + len(ctx.cursor.execute("SELECT * FROM stage_events").df())

    def quarter(ctx):
        return forecast(ctx, str(Period.containing("quarter", data_date(ctx))), level="period")

    t_read, _ = best_of(repeat, fresh(read))
    t_rows, r = best_of(repeat, fresh(rows))
    t_project, p = best_of(repeat, fresh(forecast))
    t_period, q = best_of(repeat, fresh(quarter))
    return {"size": size, "read": t_read, "rows": t_rows, "training_rows": len(r), "project": t_project,
            "open": len(p), "model": p.attrs["options"]["model"], "period": t_period,
            "why": p.attrs["options"]["why"]}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="demo,100000")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args(argv)
    sizes = [s if s == "demo" else int(s) for s in args.sizes.split(",")]
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            r = run_size(size, args.repeat, Path(tmp))
            target = TARGETS.get(size)
            verdict = "" if target is None else ("  OK" if r["project"] < target else f"  OVER the {target:.0f} s target")
            ok &= target is None or r["project"] < target
            print(f"{str(size):>8}: bare read {r['read']:.2f} s; training rows {r['rows']:.2f} s ({r['training_rows']:,} rows); "
                  f"forecast with backtest {r['project']:.2f} s = {r['project'] / r['read']:.0f}x the bare read "
                  f"({r['open']:,} open, {r['model']}){verdict}; quarter with simulation {r['period']:.2f} s")
            print(f"          {r['why']}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
