"""Dashboard benchmark: how big the dashboard file is, how long it takes to write, and how fast it opens.

Run on demand, never in CI::

    ./run bench dashboard                        # the demo (3,000 projects) and 100,000 projects
    ./run bench dashboard --sizes 3000           # the demo only
    ./run bench dashboard --db data/presales.duckdb   # an existing database instead

Per size it builds a fresh database as benchmarks/reports.py does (the demo exports for the demo
size; the ingest benchmark's generator — projects and stage history — for larger sizes), runs
``presales dashboard`` as a subprocess (wall clock), and opens the file in Debian's headless chromium
(Playwright, offline: every request leaving the file is aborted and counted). Time to first chart is
the page's own ``performance.now()`` when the first chart has been drawn (navigation start = 0), the
best of 3 opens in fresh browser contexts; the wall time from ``goto`` to the first chart is printed
beside it.

Targets (issue 5): the demo's file < 8 MB and first chart < 3 s; 100,000 projects' file < 10 MB.
Exit status 0 when the targets are met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))

from reports import build  # noqa: E402  (benchmarks/reports.py: demo or generated database)


def write_dashboard(db: Path, out: Path) -> float:
    exe = shutil.which("presales", path=str(Path(sys.executable).parent)) or "presales"
    start = time.perf_counter()
    r = subprocess.run([exe, "dashboard", "--db", str(db), "--out", str(out)], capture_output=True, text=True)
    if r.returncode:
        raise SystemExit(f"presales dashboard failed:\n{r.stderr}")
    return time.perf_counter() - start


def open_times(path: Path, repeat: int = 3) -> tuple[float, float, list[str]]:
    """(best first-chart ms by the page's clock, best wall ms from goto, problems seen)."""
    from playwright.sync_api import sync_playwright

    from browser import CHROMIUM_ARGS, chromium_path, open_offline

    page_ms, wall_ms, problems = [], [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        for _ in range(repeat):
            start = time.perf_counter()
            o = open_offline(browser, path, wait_until="commit")
            o.page.wait_for_function("() => window.firstChartMs !== undefined", timeout=60_000, polling=20)
            wall_ms.append((time.perf_counter() - start) * 1000)
            page_ms.append(o.page.evaluate("() => window.firstChartMs"))
            o.page.wait_for_selector("body[data-ready='1']", timeout=60_000)
            problems += o.problems
            o.page.context.close()
        browser.close()
    return min(page_ms), min(wall_ms), problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="3000,100000", help="comma-separated project counts")
    parser.add_argument("--db", type=Path, help="measure this database instead of generated ones")
    parser.add_argument("--workdir", type=Path, help="keep the files here (default: a temporary folder)")
    args = parser.parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="presales-bench-dashboard-"))
    work.mkdir(parents=True, exist_ok=True)
    runs = [("database", args.db)] if args.db else [(n, None) for n in (int(s) for s in args.sizes.split(","))]
    ok = True
    for n, db in runs:
        folder = work / f"n{n}"
        if db is None:
            t0 = time.perf_counter()
            db = build(n, folder)
            print(f"{n:>9,} projects: database built in {time.perf_counter() - t0:.1f} s", flush=True)
        folder.mkdir(parents=True, exist_ok=True)
        out = folder / "dashboard.html"
        seconds = write_dashboard(db, out)
        mb = out.stat().st_size / 1e6
        page_ms, wall_ms, problems = open_times(out)
        label = f"{n:>9,} projects" if isinstance(n, int) else str(db)
        print(f"{label}: dashboard written in {seconds:.1f} s, {mb:.2f} MB; first chart {page_ms / 1000:.2f} s "
              f"(page clock; {wall_ms / 1000:.2f} s from goto), problems: {problems or 'none'}", flush=True)
        if n == 3000:
            met = mb < 8 and page_ms < 3000 and not problems
            ok &= met
            print(f"          target (demo): < 8 MB and first chart < 3 s: {'PASS' if met else 'FAIL'}")
        elif isinstance(n, int) and n >= 100_000:
            met = mb < 10 and not problems
            ok &= met
            print(f"          target ({n:,}): < 10 MB: {'PASS' if met else 'FAIL'}")
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
