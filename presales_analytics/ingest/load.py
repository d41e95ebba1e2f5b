"""Load exports into the store: read -> map headers -> parse values -> check rules -> write.

All files of one call land in ONE transaction: every good row of every file, their rejects and
warnings, and the load log, or (on an error that makes an input unusable) nothing at all. A file
already loaded with the same options (same sha256 and same reading options) is skipped and
reported as such, so loading the same export twice changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Callable, Iterable

import duckdb

from .. import __version__
from ..config import Config, load_config
from ..errors import InputError
from .columns import TABLES
from .mapping import HeaderPlan, Mapping, plan_headers, read_mapping
from .parse import HAS_WARNINGS, PROBLEMS, WARNINGS, build_checked
from .readers import RawSource, open_raw
from .shown import shown
from ..sql import ident
from . import write

#: Tables in the order their files are loaded within one call (events need their projects).
TABLE_ORDER = ["projects", "stage_events", "activities", "documents", "targets"]
FIRST_REJECTS = 10

Progress = Callable[[str, str, float | None, float | None], None]
"""progress(file, step, done, total): step is 'reading', 'checking', 'writing' or 'done'."""


@dataclass
class RejectRow:
    row: int | None
    column: str | None
    value: str | None
    reason: str


@dataclass
class FileReport:
    """What happened to one file."""

    file: str
    table: str = ""
    table_guessed: bool = False
    file_format: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0            # stored, with no data-quality finding
    rows_flagged: int = 0           # stored, with a finding in data_quality
    rows_rejected: int = 0          # in rejects
    rows_collapsed: int = 0         # identical to another row of the file or a stored one: kept once
    warnings: int = 0               # findings (a row can have several)
    skipped: bool = False           # already loaded with the same options: nothing changed
    load_id: int | None = None
    sha256: str = ""
    columns: dict[str, str] = field(default_factory=dict)   # canonical -> header
    ignored: dict[str, str] = field(default_factory=dict)   # header -> why not used
    notes: list[str] = field(default_factory=list)
    first_rejects: list[RejectRow] = field(default_factory=list)


def _total(count: str) -> property:
    """A LoadReport property: the sum of ``count`` over its files."""
    return property(lambda self: sum(getattr(f, count) for f in self.files),
                    doc=f"{count} summed over the files")


@dataclass
class LoadReport:
    """What a load did, file by file; the ``rows_*`` totals add up as each file's do
    (read = loaded + flagged + rejected + collapsed)."""

    files: list[FileReport]
    written: bool                   # False for validate (dry run)

    rows_read = _total("rows_read")
    rows_loaded = _total("rows_loaded")
    rows_flagged = _total("rows_flagged")
    rows_rejected = _total("rows_rejected")
    rows_collapsed = _total("rows_collapsed")

    @property
    def exit_code(self) -> int:
        """0 when nothing was rejected, 1 when rows were rejected (kept in ``rejects``)."""
        return 1 if self.rows_rejected else 0


class _Hasher(threading.Thread):
    """sha256 of a file, computed beside the read (hashlib releases the GIL on large blocks)."""

    def __init__(self, path: Path):
        super().__init__(daemon=True)
        self.path, self.digest, self.error = path, "", None

    def run(self) -> None:
        try:
            h = hashlib.sha256()
            with open(self.path, "rb") as f:
                while block := f.read(4 << 20):
                    h.update(block)
            self.digest = h.hexdigest()
        except OSError as exc:
            self.error = exc


def _fingerprint(sha: str, table: str, options: dict) -> str:
    return hashlib.sha256(json.dumps([sha, table, options], sort_keys=True, ensure_ascii=False)
                          .encode("utf-8")).hexdigest()


def load(con: duckdb.DuckDBPyConnection, files: Iterable[str | Path], *,
         mapping: str | Path | Mapping | None = None, table: str | None = None,
         as_of: date | str | None = None, encoding: str | None = None, sheet: str | None = None,
         amount_unit: str | None = None, date_order: str | None = None, config: Config | None = None,
         dry_run: bool = False, progress: Progress | None = None, today: date | None = None) -> LoadReport:
    """Load export files into the store behind ``con`` (see :func:`presales_analytics.connect`).

    ``mapping``: a mapping file (or :class:`Mapping`) for headers the built-in aliases do not know;
    ``table``: the canonical table the files feed (guessed from headers otherwise); ``as_of``: the
    date a projects export was taken (a snapshot: stage changes between snapshots become events);
    ``encoding``, ``sheet``, ``amount_unit`` ("yuan"/"wan") and ``date_order`` ("dmy"/"mdy")
    override the mapping file. ``dry_run`` checks everything and writes nothing (``validate``).

    Raises :class:`InputError` for an unusable input; nothing is written then. Rows that fail a
    check are stored in ``rejects`` (listed in the report); the rest load.

    >>> import presales_analytics as pa, tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "商机.csv"
    >>> _ = f.write_text("项目编号,阶段,金额（万元）\\nP1,投标,12.5\\nP2,赢单,待定\\n", encoding="utf-8")
    >>> con = pa.connect(":memory:")
    >>> report = load(con, [f])
    >>> (report.rows_loaded, report.rows_rejected, report.exit_code)
    (1, 1, 1)
    >>> con.execute("SELECT project_id, stage, status, amount FROM projects").fetchall()
    [('P1', 'bidding', 'open', Decimal('125000.00'))]
    """
    config = config or load_config()
    base = mapping if isinstance(mapping, Mapping) else read_mapping(mapping)
    if table is not None and table not in TABLES:
        raise InputError(f"--table {table!r} is not one of {', '.join(TABLES)}")
    base = base.with_options(encoding=encoding, sheet=sheet, amount_unit=amount_unit, date_order=date_order)
    if base.amount_unit not in (None, "yuan", "wan"):
        raise InputError(f"amount unit {base.amount_unit!r} must be yuan or wan")
    snapshot_date = _as_of(as_of)
    load_date = today or con.execute("SELECT CAST(current_date AS DATE)").fetchall()[0][0]
    paths = [Path(f) for f in files]
    for p in paths:
        if not p.is_file():
            raise InputError("file not found" if not p.exists() else "not a file", file=str(p))
    if not paths:
        raise InputError("no files given")

    try:
        return _load(con, paths, base, table, snapshot_date, load_date, config, dry_run, progress)
    except InputError as e:  # its text may quote the export: escaped for the terminal (e.value stays raw)
        if shown(str(e)) == str(e):
            raise
        raise InputError(shown(e.reason), file=shown(e.file), row=e.row, column=shown(e.column),
                         value=e.value) from None


def _load(con, paths: list[Path], base: Mapping, table: str | None, snapshot_date: str | None, load_date,
          config: Config, dry_run: bool, progress: Progress | None) -> LoadReport:
    reports: list[FileReport] = []
    con.execute("BEGIN TRANSACTION")
    try:
        staged = [_stage(con, i, p, base, table, config, progress) for i, p in enumerate(paths)]
        staged.sort(key=lambda s: TABLE_ORDER.index(s[1].table))
        seen: set[str] = set()
        sizes = [p.stat().st_size for p in paths]
        coverage = write.EventCoverage()
        for index, plan, source, report, hasher in staged:
            options = _options(base, plan, snapshot_date)

            def fingerprint(hasher=hasher, report=report, plan=plan, options=options) -> str:
                hasher.join()
                if hasher.error:
                    raise InputError(f"cannot read: {hasher.error}", file=report.file)
                report.sha256 = hasher.digest
                return _fingerprint(hasher.digest, plan.table, options)

            # A file can repeat a load only if its table has loads, or if another file of this call
            # has its size; otherwise its sha256 is still computed beside the load (for the log).
            may_repeat = sizes.count(sizes[index]) > 1 or con.execute(
                "SELECT count(*) FROM load_log WHERE table_name = $t", {"t": plan.table}).fetchall()[0][0]
            done = fp = None
            if may_repeat:
                fp = fingerprint()
                done = con.execute("SELECT load_id FROM load_log WHERE fingerprint = $fp", {"fp": fp}).fetchall()
                done = done[0] if done else None
            if may_repeat and (done or fp in seen):
                source = source.count_rows(con, f"_raw_{index}")
                report.rows_read, report.encoding = source.rows, source.encoding
                report.rows_collapsed = report.rows_read   # every row is stored already
                report.skipped = True
                report.load_id = done[0] if done else None
                report.notes.append("already loaded with the same options: nothing changed"
                                    + (f" (load {done[0]})" if done else " (same file given twice)"))
            else:
                seen.add(_load_one(con, index, plan, source, report, base, config, options, fingerprint,
                                   as_of=snapshot_date or load_date, declared=snapshot_date is not None,
                                   progress=progress, coverage=coverage))
            reports.append(report)
            if progress:
                progress(report.file, "done", None, None)
        write.rebuild_inferred_events(con, config, coverage)
        _drop_temp(con)
        con.execute("ROLLBACK" if dry_run else "COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    for report in reports:  # what is printed of the export's text is escaped; rejects keep it raw
        report.notes = [shown(n) for n in report.notes]
        report.first_rejects = [RejectRow(r.row, shown(r.column), shown(r.value), shown(r.reason))
                                for r in report.first_rejects]
    return LoadReport(reports, written=not dry_run)


def validate(con: duckdb.DuckDBPyConnection, files: Iterable[str | Path], **options) -> LoadReport:
    """Every check of :func:`load`, against what the store already holds, writing nothing."""
    return load(con, files, dry_run=True, **options)


def _as_of(value: date | str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise InputError(f"--as-of {value!r} is not a date; write it as YYYY-MM-DD") from None


def _options(mapping: Mapping, plan: HeaderPlan, as_of: str | None) -> dict:
    """What the load log keeps of how a file was read: the options in force, and the canonical
    columns the file provided (so a metric can tell "no export had a channel column" from "every
    project is direct")."""
    return {"mapping": mapping.digest, "encoding": mapping.encoding, "sheet": mapping.sheet,
            "amount_unit": mapping.amount_unit, "date_format": mapping.date_format,
            "date_order": mapping.date_order, "as_of": as_of, "table": plan.table,
            "columns": sorted(plan.columns),
            # only when not the default, so that the fingerprints of earlier loads stay the same
            **({"decimal": mapping.decimal} if mapping.decimal != "." else {})}


def _stage(con, index: int, path: Path, mapping: Mapping, table: str | None, config: Config,
           progress: Progress | None):
    hasher = _Hasher(path)
    hasher.start()
    report = FileReport(file=str(path))
    raw_name = f"_raw_{index}"

    def on_bytes(done: float, total: float) -> None:
        if progress:
            progress(str(path), "reading", done, total)

    if progress:
        progress(str(path), "reading", 0, path.stat().st_size)
    # a UTF-8 CSV is read later, by the statement that checks it (its rows are counted then)
    source = open_raw(con, path, table=raw_name, encoding=mapping.encoding or "auto", sheet=mapping.sheet,
                      progress=on_bytes)
    report.file_format, report.encoding, report.sheet, report.rows_read = (
        source.file_format, source.encoding, source.sheet, source.rows or 0)
    plan = plan_headers(source.columns, mapping, config, file=str(path), table=table)
    report.table, report.table_guessed = plan.table, plan.table_guessed
    report.columns, report.ignored = dict(plan.columns), dict(plan.ignored)
    for column, unit in plan.units.items():
        if unit == "wan":
            report.notes.append(f"{plan.columns[column]}: amounts in 万元, stored in yuan (x10,000)")
    if plan.entered:
        report.notes.append(f"stage history from {len(plan.entered)} 'entered <stage>' column(s)")
    return index, plan, source, report, hasher


def _load_one(con, index: int, plan: HeaderPlan, source: RawSource, report: FileReport, mapping: Mapping,
              config: Config, options: dict, fingerprint: Callable[[], str], *, as_of: str, declared: bool,
              progress: Progress | None, coverage: write.EventCoverage | None = None) -> str:
    """Check and write one file; return its fingerprint (``fingerprint()`` waits for its sha256)."""
    file = report.file
    if progress:
        progress(file, "checking", None, None)
    load_id = con.execute("SELECT coalesce(max(load_id), 0) + 1 FROM load_log").fetchall()[0][0]
    report.load_id = load_id
    checked = build_checked(con, source, plan, mapping, config, name=f"_checked_{index}")
    report.rows_read, report.encoding = checked.rows, checked.encoding
    report.notes.extend(checked.notes)
    table = checked.name
    good = f"_good_{index}"
    absent = "".join(f", CAST(NULL AS {typ}) AS {ident(c)}" for c, typ in checked.absent.items())
    con.execute(f"CREATE TEMP VIEW {good} AS SELECT *{absent} FROM {table} WHERE NOT _bad")

    # rejects: one row per refused value or broken rule; rows_rejected counts rows
    report.rows_rejected = checked.bad
    if checked.bad:  # (the checked table says how many: no scan when there are none)
        con.execute(f"""INSERT INTO rejects (load_id, file, "row", "column", value, reason)
                        SELECT $load_id, $file, _row, p.column, p.value, p.reason
                        FROM (SELECT _row, unnest({PROBLEMS}) AS p FROM {table} WHERE _bad)""",
                    {"load_id": load_id, "file": file})
        report.first_rejects = [RejectRow(*r) for r in con.execute(
            """SELECT "row", "column", value, reason FROM rejects WHERE load_id = $id
               ORDER BY "row", "column" LIMIT $n""", {"id": load_id, "n": FIRST_REJECTS}).fetchall()]
    key = "project_id" if "project_id" in TABLES[plan.table] else "NULL"
    warnings = 0
    if checked.warned:
        warnings = con.execute(f"""
            INSERT INTO data_quality (load_id, file, "row", project_id, "column", value, rule, message)
            SELECT $load_id, $file, _row, {key}, w.column, w.value, w.rule, w.message
            FROM (SELECT _row, {key} AS project_id, unnest({WARNINGS}) AS w FROM {good}
                  WHERE {HAS_WARNINGS} IS NOT NULL)""", {"load_id": load_id, "file": file}).fetchall()[0][0]

    if progress:
        progress(file, "writing", None, None)
    present = set(plan.columns)
    if plan.table == "projects":
        write.write_projects(con, good, present, load_id=load_id, as_of=as_of, declared=declared)
        write.write_entered_columns(con, good, checked.entered, load_id=load_id)
    elif plan.table == "stage_events":
        if "stage" in present:
            write.write_history(con, good, load_id=load_id, keyed=checked.keyed_events, coverage=coverage)
        write.write_entered_columns(con, good, checked.entered, load_id=load_id)
    elif plan.table in ("activities", "documents", "targets"):
        cols = list(TABLES[plan.table])
        key_cols = ["scope", "period"] if plan.table == "targets" else cols
        write.write_rows(con, plan.table, good, key_cols, cols, load_id=load_id, replace=plan.table == "targets")
    if plan.table in ("projects", "stage_events") and checked.entered:  # only wide columns' events
        warnings += write.warn_events_before_created(con, load_id=load_id, file=file)
    report.warnings = warnings
    _count(con, report, plan, checked, load_id)
    fp = fingerprint()
    con.execute("""INSERT INTO load_log (load_id, file, file_name, sha256, fingerprint, table_name, file_format,
                   encoding, rows_read, rows_loaded, rows_rejected, warnings, as_of, options, loaded_at,
                   toolkit_version, rows_flagged, rows_collapsed)
                   VALUES ($id, $file, $name, $sha, $fp, $table, $format, $encoding, $read, $loaded, $rejected,
                   $warnings, CAST($as_of AS DATE), $options, now(), $version, $flagged, $collapsed)""",
                {"id": load_id, "file": file, "name": Path(file).name, "sha": report.sha256, "fp": fp,
                 "table": plan.table, "format": report.file_format, "encoding": report.encoding,
                 "read": report.rows_read, "loaded": report.rows_loaded, "rejected": report.rows_rejected,
                 "flagged": report.rows_flagged, "collapsed": report.rows_collapsed, "warnings": warnings, "as_of": as_of if plan.table == "projects" else None,
                 "options": json.dumps(options, ensure_ascii=False), "version": __version__})
    con.execute(f"DROP VIEW {good}")
    con.execute(f"DROP TABLE {table}")
    if source.table:
        con.execute(f"DROP TABLE IF EXISTS {ident(source.table)}")
    return fp


def _count(con, report: FileReport, plan: HeaderPlan, checked, load_id: int) -> None:
    """Split the rows that passed every check into loaded, flagged and collapsed, from what was
    stored: a row of events, activities or documents identical to another row of the file or to one
    stored before is kept once (collapsed). Projects and targets collapse nothing (a repeated key
    is rejected, naming the row loaded instead)."""
    good = report.rows_read - report.rows_rejected
    stored = good
    if plan.table == "stage_events" and "stage" in plan.columns:
        stored = con.execute("SELECT count(*) FROM stage_events WHERE load_id = $id AND source = 'history'",
                             {"id": load_id}).fetchall()[0][0]
    elif plan.table in ("activities", "documents"):
        stored = con.execute(f"SELECT count(*) FROM {plan.table} WHERE load_id = $id", {"id": load_id}).fetchall()[0][0]
    report.rows_collapsed = good - stored
    report.rows_flagged = min(checked.warned, stored)   # (a collapsed row counts as collapsed only)
    report.rows_loaded = stored - report.rows_flagged
    if report.rows_collapsed or report.rows_flagged:
        parts = [f"{report.rows_loaded:,} loaded"]
        parts += [f"{report.rows_flagged:,} flagged (loaded, findings in data_quality)"] if report.rows_flagged else []
        parts += [f"{report.rows_rejected:,} rejected"] if report.rows_rejected else []
        parts += [f"{report.rows_collapsed:,} identical collapsed (kept once)"] if report.rows_collapsed else []
        report.notes.append(f"{report.rows_read:,} read: " + ", ".join(parts))


def _drop_temp(con) -> None:
    for (name,) in con.execute("SELECT view_name FROM duckdb_views() WHERE temporary "
                               "AND starts_with(view_name, '_')").fetchall():
        con.execute(f"DROP VIEW IF EXISTS {ident(name)}")
    for (name,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary "
                               "AND starts_with(table_name, '_')").fetchall():
        con.execute(f"DROP TABLE IF EXISTS {ident(name)}")
