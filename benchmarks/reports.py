"""Report benchmark: how long the audit report takes to render, and how big its HTML is.

Run on demand, never in CI::

    ./run bench reports                         # the demo (3,000 projects) and 100,000 projects
    ./run bench reports --sizes 3000            # the demo only

What it does, per size:

- 3,000 (the demo): the demo exports (``generate_demo``: projects, stage history, activities,
  archive, targets) loaded into a fresh database;
- larger sizes: the ingest benchmark's generator (projects and stage history only, as the CRM
  exports of a large company), loaded into a fresh database.

Then it times ``presales report audit`` (the latest complete quarter in the data) as a subprocess,
wall clock, twice (the best counts), and prints the HTML's size. The baseline measured in the same
run is nbconvert's rendering of an *empty* notebook through the same path (kernel start-up, papermill,
template), so the ratio shows what the report's own work costs on top of the fixed price of a notebook.

Targets (issue 4): the demo's audit report renders in under 20 s and its HTML is under 8 MB.
Exit status 0 when the targets are met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import presales_analytics as pa  # noqa: E402
from presales_analytics.demo import generate_demo  # noqa: E402
from presales_analytics.reports.render import render_notebook  # noqa: E402


def build(n: int, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "presales.duckdb"
    db.unlink(missing_ok=True)
    con = pa.connect(db)
    if n <= 20_000:
        files = generate_demo(folder / "exports", export_date=date(2026, 11, 27), n_projects=n)
        pa.load(con, files.all())
    else:
        from ingest import generate

        data = generate(n, folder / "exports")
        pa.load(con, [data.projects, data.events])
    con.close()
    return db


def timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if r.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{r.stderr}")
    return time.perf_counter() - start


def baseline(folder: Path) -> float:
    """Seconds to execute and render a notebook with one empty code cell (the fixed cost)."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    path = folder / "empty.ipynb"
    nbformat.write(nb, path)
    start = time.perf_counter()
    render_notebook(path, folder / "empty.html")
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="3000,100000", help="comma-separated project counts")
    parser.add_argument("--workdir", type=Path, help="keep the files here (default: a temporary folder)")
    args = parser.parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="presales-bench-reports-"))
    work.mkdir(parents=True, exist_ok=True)
    exe = shutil.which("presales", path=str(Path(sys.executable).parent)) or "presales"
    base = min(baseline(work) for _ in range(2))
    print(f"baseline: an empty notebook through papermill + nbconvert: {base:.2f} s")
    ok = True
    for n in (int(s) for s in args.sizes.split(",")):
        folder = work / f"n{n}"
        t0 = time.perf_counter()
        db = build(n, folder)
        print(f"{n:>9,} projects: database built in {time.perf_counter() - t0:.1f} s")
        out = folder / "reports"
        seconds = min(timed([exe, "report", "audit", "--db", str(db), "--out", str(out)], folder) for _ in range(2))
        html = next(out.glob("*/audit.html"))
        mb = html.stat().st_size / 1e6
        print(f"{n:>9,} projects: audit report {seconds:.2f} s ({seconds / base:.1f}x the empty notebook), "
              f"HTML {mb:.2f} MB ({html.relative_to(work)})")
        if n == 3000:
            met = seconds < 20 and mb < 8
            ok &= met
            print(f"          target (demo): < 20 s and < 8 MB: {'PASS' if met else 'FAIL'}")
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
