"""Scheduled rendering (``presales report --due``) and the index page of ``reports/``.

``render_due`` renders the audit report of every month, quarter and year (``[reports] due``) that
has ended *in the data* (its last day is on or before the latest date in the data) and has no
current rendering: none yet, or one made before the loads behind it changed (``[reports] refresh``).
It is safe to run from cron every hour: one run at a time (a lock file in the reports folder; a
second run reports that the first holds it), idempotent (a period rendered from the same data is
skipped), and it says what it did.
"""

from __future__ import annotations

import fcntl
import html
from datetime import date
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..atomic import write_text_atomic
from ..config import Config
from ..errors import PresalesError
from ..metrics.base import data_date
from ..periods import Period

DEFAULT_GRAINS = ("month", "quarter", "year")


class ReportsBusyError(PresalesError):
    """Another ``presales report --due`` holds the reports folder."""


@contextmanager
def reports_lock(out_dir: Path):
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / ".presales-report.lock", "w") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ReportsBusyError(f"another report run holds {out_dir}/.presales-report.lock; "
                                   "nothing done (it will be picked up by the next run)") from None
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def due_periods(con, grains=DEFAULT_GRAINS) -> list[Period]:
    """Periods of the given grains, from the first created date to the latest date in the data, whose
    last day is on or before that latest date; oldest first."""
    first = con.execute("SELECT min(created_at) FROM projects").fetchall()[0][0]
    last = data_date(con)
    if first is None or last is None:
        return []
    periods = []
    for grain in grains:
        p = Period.containing(grain, first)
        while p.last_day <= last:
            periods.append(p)
            p = p.next()
    return sorted(periods, key=lambda q: (q.end, q.start))


@dataclass
class DueRun:
    rendered: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)


def data_fingerprint(con, config: Config) -> str:
    """What a rendering depends on besides its parameters: every load (its id and the sha256 of the
    file), the configuration and the toolkit version, as one sha256."""
    import hashlib
    import json

    from .. import __version__

    loads = con.execute("SELECT load_id, sha256 FROM load_log ORDER BY load_id").fetchall()
    blob = json.dumps([loads, config.raw, __version__], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def stamp_path(target: Path) -> Path:
    """Where the fingerprint of the data behind ``target`` is kept (a hidden file beside it)."""
    return target.with_name(f".{target.name}.data")


def render_due(database: Path, out_dir: Path, *, config: Config, render, log=print) -> DueRun:
    """Render what is due (see the module docstring); ``render(period, target)`` renders one report.

    A report already there is rendered again when the loads behind it changed since (its stamp, see
    :func:`data_fingerprint`, differs), unless ``[reports] refresh = "never"``."""
    from ..store import connect

    run = DueRun()
    reports = config.raw.get("reports", {})
    refresh = reports.get("refresh", "data")
    with reports_lock(out_dir):
        con = connect(database, read_only=True, config=config, wait_seconds=600)
        try:
            periods = due_periods(con, tuple(reports.get("due", DEFAULT_GRAINS)))
            fingerprint = data_fingerprint(con, config)
        finally:
            con.close()
        for p in periods:
            target = out_dir / str(p) / "audit.html"
            stamp = stamp_path(target)
            if target.exists():
                current = stamp.exists() and stamp.read_text(encoding="utf-8").strip() == fingerprint
                if current or refresh == "never":
                    run.skipped.append(target)
                    continue
                log(f"rendering {target} again: the data loaded changed since it was rendered")
            else:
                log(f"rendering {target}")
            render(p, target)
            write_text_atomic(stamp, fingerprint + "\n")
            run.rendered.append(target)
        write_index(out_dir)
    log(f"{len(run.rendered)} rendered, {len(run.skipped)} already there")
    return run


def _title(stem: str) -> str:
    """'director-review-director-张伟-en' -> '项目总监评价报告 · director-张伟-en' (the kind in words, then the rest)."""
    from .kinds import KINDS

    titles = {**{k: v[1] for k, v in KINDS.items()}, "dashboard": "管理看板"}
    for kind in sorted(titles, key=len, reverse=True):
        if stem == kind or stem.startswith(kind + "-"):
            rest = stem[len(kind) + 1:]
            return titles[kind] + (f" · {rest}" if rest else "")
    return stem


#: the order of a period's outputs in the index: the audit first, the dashboard and the workbook last
_ORDER = ("audit", "director-review", "project-summary", "dashboard", "workbook")


def _rank(stem: str) -> int:
    for i, kind in enumerate(_ORDER):
        if stem == kind or stem.startswith(kind + "-"):
            return i
    return len(_ORDER) - 2          # another page: before the dashboard


def refresh_index(written: Path) -> Path | None:
    """After a dashboard or workbook was written to ``<reports>/<period>/``: rewrite ``<reports>/index.html``
    when there is one, so it lists the new file (and its PDF). Elsewhere: nothing."""
    folder = Path(written).resolve().parent.parent
    if (folder / "index.html").exists():
        return write_index(folder)
    return None


def write_index(out_dir: Path) -> Path:
    """``reports/index.html``: per period, newest first, every rendered report (the audit first), the
    dashboard and the workbook, each with its PDF beside it when there is one (offline, escaped)."""
    rows = []
    for page in [*out_dir.glob("*/*.html"), *out_dir.glob("*/*.xlsx")]:
        if page.name.startswith("."):
            continue
        try:
            period = Period.parse(page.parent.name)
        except PresalesError:
            continue
        rows.append((period, page))
    # newest first; all (no dates) before every dated period; within a period the audit first
    rows.sort(key=lambda r: (-(r[0].end or date.max).toordinal(), -(r[0].start or date.min).toordinal(),
                             _rank(r[1].stem), r[1].name))

    def link(path: Path, text: str) -> str:
        return (f'<a href="{html.escape(path.relative_to(out_dir).as_posix(), quote=True)}">'
                f'{html.escape(text)}</a>')

    items = []
    for p, page in rows:
        pdf = page.with_suffix(".pdf")
        title = "工作簿 (xlsx)" if page.suffix == ".xlsx" else _title(page.stem)
        items.append(f'<tr><td>{html.escape(p.label("zh"))}</td><td>{html.escape(str(p))}</td>'
                     f'<td>{link(page, title)}</td><td>{link(pdf, "PDF") if pdf.exists() else ""}</td></tr>')
    body = f"""<!DOCTYPE html>
<html lang="zh"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>审计考核报告 · Reports</title>
<style>body{{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2em;color:#1f2933}}
table{{border-collapse:collapse}}td,th{{padding:.4em 1em;border-bottom:1px solid #d9e2ec;text-align:left}}
a{{color:#0072b2}}</style>
</head><body><h1>审计考核报告 · Reports</h1>
<table><thead><tr><th>期间</th><th>Period</th><th>报告 Report</th><th>PDF</th></tr></thead><tbody>
{chr(10).join(items)}
</tbody></table></body></html>
"""
    target = write_text_atomic(out_dir / "index.html", body)
    return target
