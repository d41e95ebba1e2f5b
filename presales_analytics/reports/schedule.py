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
from datetime import date
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..atomic import write_text_atomic
from ..config import Config
from ..errors import PresalesError
from ..metrics.base import data_date
from ..periods import Period
from ..presentation.index import write_index

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


@dataclass(frozen=True)
class Due:
    """What ``--due`` does with one period: ``render`` it or not, and why (one line)."""

    period: Period
    target: Path
    render: bool
    why: str
    again: bool = False         # rendered before, from older loads

    def __str__(self) -> str:
        return f"{self.target}{' again' if self.again else ''}: {self.why}"


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


def decide_due(periods, fingerprint: str, out_dir: Path, *, refresh: str = "data") -> list[Due]:
    """The one place that decides what ``--due`` renders: for each period, render or skip, and why.

    A report not there yet is rendered; one there is skipped when its stamp (see
    :func:`data_fingerprint`) matches the data, and rendered again when the loads behind it changed,
    unless ``refresh == "never"``. Reads the stamps, writes nothing; the dry run and the real run
    both call it."""
    plan = []
    for p in periods:
        target = out_dir / str(p) / "audit.html"
        if not target.exists():
            plan.append(Due(p, target, True, "no report yet"))
            continue
        stamp = stamp_path(target)
        stamped = stamp.read_text(encoding="utf-8").strip() if stamp.exists() else None
        if stamped == fingerprint:
            plan.append(Due(p, target, False, "already there, rendered from the same data"))
            continue
        changed = ("the data loaded changed since it was rendered" if stamped else
                   "it was not rendered by --due, so the data behind it is not known")
        if refresh == "never":
            plan.append(Due(p, target, False, f'already there; {changed}, but [reports] refresh = "never" keeps it'))
        else:
            plan.append(Due(p, target, True, changed, again=True))
    return plan


@dataclass(frozen=True)
class DuePlan:
    fingerprint: str            # of the data the plan was made from; stamped beside what is rendered
    items: list[Due]


def plan_due(database: Path, out_dir: Path, *, config: Config) -> DuePlan:
    """What a ``render_due`` run would do now (:func:`decide_due` on the database's ended periods and
    fingerprint). Opens the database read-only and writes nothing: no lock, no folder."""
    from ..store import connect, store_setting

    reports = config.raw.get("reports", {})
    con = connect(database, read_only=True, config=config,
                  wait_seconds=store_setting(config, "due_wait_seconds"))
    try:
        periods = due_periods(con, tuple(reports.get("due", DEFAULT_GRAINS)))
        fingerprint = data_fingerprint(con, config)
    finally:
        con.close()
    return DuePlan(fingerprint, decide_due(periods, fingerprint, out_dir, refresh=reports.get("refresh", "data")))


def render_due(database: Path, out_dir: Path, *, config: Config, render, log=print) -> DueRun:
    """Render what is due (see the module docstring); ``render(period, target)`` renders one report.

    What is due is decided by :func:`plan_due` (the dry run shows the same plan), inside the lock."""
    run = DueRun()
    with reports_lock(out_dir):
        plan = plan_due(database, out_dir, config=config)
        for due in plan.items:
            if not due.render:
                run.skipped.append(due.target)
                continue
            log(f"rendering {due}")
            render(due.period, due.target)
            write_text_atomic(stamp_path(due.target), plan.fingerprint + "\n")
            run.rendered.append(due.target)
        write_index(out_dir)
    log(f"{len(run.rendered)} rendered, {len(run.skipped)} already there")
    return run
