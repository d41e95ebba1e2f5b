"""Write checked rows into the canonical tables, and derive stage events.

Called inside the load's transaction. ``good`` is a temp view of the rows that passed every
check, with all canonical columns (absent ones NULL) and the derived ``*_final`` columns.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import duckdb

from ..config import Config
from ..sql import ident, sql_literal

PROJECT_COLUMNS = ["name", "customer", "region", "department", "director", "manager", "monitor", "planner",
                   "channel", "grade", "industry", "amount", "stage", "status", "created_at",
                   "initiated_at", "expected_close_at", "closed_at", "lost_reason", "competitor",
                   "collected_amount", "satisfaction"]

#: The value written to each projects column, from the checked table.
_PROJECT_SOURCE = {"stage": "stage_final", "status": "status_final", "closed_at": "closed_final",
                   "expected_close_at": "expected_final"}


def written_project_columns(present: set[str]) -> list[str]:
    """Columns of ``projects`` a file with ``present`` canonical columns sets (the others keep their
    values when the project is already known). Status is always set: it derives from the stage."""
    cols = []
    for col in PROJECT_COLUMNS:
        if (col in present or col == "status"
                or (col in ("closed_at", "expected_close_at") and "close_date" in present)):
            cols.append(col)
    return cols


def write_projects(con: duckdb.DuckDBPyConnection, good: str, present: set[str], *, load_id: int,
                   as_of: str, declared: bool) -> None:
    """``projects`` keeps each project's latest known state, ``project_snapshots`` the versions it
    superseded (so a first load writes each project once). A row known as of a date no earlier than
    the stored one replaces it (the stored row moves to the snapshots); an older row goes straight to
    the snapshots; a new project is inserted."""
    src = {c: _PROJECT_SOURCE.get(c, c) for c in PROJECT_COLUMNS}
    all_cols = ", ".join(PROJECT_COLUMNS)
    params = {"as_of": as_of, "load_id": load_id, "declared": declared}
    known = con.execute(f"SELECT count(*) FROM projects p SEMI JOIN {good} g ON g.project_id = p.project_id"
                        ).fetchall()[0][0]
    if known:
        con.execute(f"""INSERT INTO project_snapshots SELECT p.* FROM projects p
                        SEMI JOIN {good} g ON g.project_id = p.project_id
                        WHERE p.as_of <= CAST($as_of AS DATE)""", {"as_of": as_of})
        cols = written_project_columns(present)
        sets = ", ".join(f"{ident(c)} = g.{ident(src[c])}" for c in cols)
        con.execute(f"""UPDATE projects SET {sets}, as_of = CAST($as_of AS DATE), as_of_declared = $declared,
                        load_id = $load_id FROM {good} g WHERE projects.project_id = g.project_id
                        AND projects.as_of <= CAST($as_of AS DATE)""", params)
        con.execute(f"""INSERT INTO project_snapshots (project_id, {all_cols}, as_of, as_of_declared, load_id)
                        SELECT g.project_id, {', '.join('g.' + ident(src[c]) for c in PROJECT_COLUMNS)},
                               CAST($as_of AS DATE), $declared, $load_id
                        FROM {good} g SEMI JOIN projects p ON p.project_id = g.project_id
                        AND p.as_of > CAST($as_of AS DATE)""", params)
    con.execute(f"""INSERT INTO projects (project_id, {all_cols}, as_of, as_of_declared, load_id)
                    SELECT g.project_id, {', '.join('g.' + ident(src[c]) for c in PROJECT_COLUMNS)},
                           CAST($as_of AS DATE), $declared, $load_id
                    FROM {good} g{f" ANTI JOIN projects x ON x.project_id = g.project_id" if known else ""}""",
                params)
    if declared:
        rebuild_snapshot_events(con, good)


def rebuild_snapshot_events(con: duckdb.DuckDBPyConnection, good: str) -> None:
    """Events inferred from declared snapshots, for the projects in ``good``: the first snapshot
    and every change of position (the status once closed, else the working stage) between two
    successive snapshots becomes an event dated by the later snapshot."""
    con.execute(f"DELETE FROM stage_events WHERE source = 'snapshot' "
                f"AND project_id IN (SELECT project_id FROM {good})")
    con.execute(f"""
        INSERT INTO stage_events (project_id, stage, entered_at, source, load_id)
        SELECT project_id, position, as_of, 'snapshot', load_id FROM (
            SELECT project_id, as_of, load_id, position,
                   lag(position) OVER (PARTITION BY project_id ORDER BY as_of, load_id) AS previous
            FROM (SELECT s.project_id, s.as_of, s.load_id,
                         CASE WHEN s.status <> 'open' THEN s.status ELSE s.stage END AS position
                  FROM project_versions s SEMI JOIN {good} g ON g.project_id = s.project_id
                  WHERE s.as_of_declared)
        ) WHERE position IS NOT NULL AND position IS DISTINCT FROM previous""")


def write_entered_columns(con: duckdb.DuckDBPyConnection, good: str, entered: list[tuple[str, str, str]],
                          *, load_id: int) -> None:
    """Wide "entered <stage>" columns: they hold each project's whole history, so they replace the
    project's earlier column-sourced events."""
    if not entered:
        return
    con.execute(f"DELETE FROM stage_events WHERE source = 'columns' "
                f"AND project_id IN (SELECT project_id FROM {good})")
    union = " UNION ALL ".join(
        f"SELECT project_id, {sql_literal(stage)} AS stage, {ident(col)} AS entered_at FROM {good} "
        f"WHERE {ident(col)} IS NOT NULL" for col, _header, stage in entered)
    con.execute(f"""INSERT INTO stage_events (project_id, stage, entered_at, source, load_id)
                    SELECT DISTINCT project_id, stage, entered_at, 'columns', $load_id FROM ({union})""",
                {"load_id": load_id})


def write_history(con: duckdb.DuckDBPyConnection, good: str, *, load_id: int, keyed: bool = False,
                  coverage: EventCoverage | None = None) -> None:
    """Event rows add to what is known (an audit-log export may come in monthly pieces);
    an event already stored (same project, stage and date) is not stored twice.

    ``keyed``: ``good`` has :data:`~.parse.EVENT_COLUMNS`; then each event is one integer
    (:meth:`EventCoverage.key_sql`), and numpy looks for repeats (and marks the projects covered,
    for ``coverage``) while DuckDB writes the rows; in the rare file that has repeats the rows are
    written again, once each."""
    stored = con.execute("SELECT count(*) FROM stage_events WHERE source = 'history'").fetchall()[0][0]
    anti = ("ANTI JOIN (SELECT * FROM stage_events WHERE source = 'history') e "
            "ON e.project_id = g.project_id AND e.stage = g.stage AND e.entered_at = g.entered_at") if stored else ""
    insert = """INSERT INTO stage_events (project_id, stage, entered_at, source, load_id)
                SELECT {distinct} g.project_id, g.stage, g.entered_at, 'history', $load_id FROM {good} g {anti}"""
    coverage = coverage or EventCoverage()
    key = coverage.key_sql(con) if keyed else None
    if key:
        sql, params = key
        keys = con.execute(f"SELECT {sql} AS k FROM {good}", params).fetchnumpy()["k"]
        with ThreadPoolExecutor(max_workers=1) as pool:
            repeats = pool.submit(coverage.mark, keys)   # sorts and marks beside the INSERT
            con.execute(insert.format(distinct="", good=good, anti=anti), {"load_id": load_id})
            if not repeats.result():
                return
        con.execute("DELETE FROM stage_events WHERE load_id = $load_id AND source = 'history'", {"load_id": load_id})
    else:
        coverage.unknown = True
        # DISTINCT over millions of rows costs more than finding out that there is nothing to remove
        repeats = con.execute(f"SELECT count(*) - count(DISTINCT hash(project_id, stage, entered_at)) "
                              f"FROM {good}").fetchall()[0][0]
        if not repeats:
            con.execute(insert.format(distinct="", good=good, anti=anti), {"load_id": load_id})
            return
    con.execute(insert.format(distinct="DISTINCT", good=good, anti=anti), {"load_id": load_id})


class EventCoverage:
    """Event rows of this load as integers: to look for repeated events, and to skip looking for
    projects that need inferred events when every project is covered (as by a full history).

    Checked event rows carry the row id in ``projects`` of their project (``_covers``), their
    stage's code (``_stage_code``) and whether the event is its project's closing (``_closes``:
    its stage is the status of a closed project that has a closed date). Row ids are dense from 0
    for committed rows and from a large offset for rows of the open transaction: made one dense
    range, they index the projects covered. Projects do not change once event rows are checked
    (their files are loaded first), so the ranges are read once.
    """

    LOCAL = 1 << 50           # row ids from here on belong to rows of the open transaction
    _LIMIT = 1 << 28          # more projects than this: not keyed (then: unknown)

    def __init__(self) -> None:
        self._dense: tuple[str, dict] | None = None
        self._size = 0
        self._covers = self._closes = None
        self.unknown = False

    def key_sql(self, con: duckdb.DuckDBPyConnection) -> tuple[str, dict] | None:
        """SQL (and its parameters) of an event's integer over :data:`~.parse.EVENT_COLUMNS`:
        from high to low bits its project's dense number, its day (17 bits: days 359 years apart
        share one, which makes them look repeated: it costs time, never a row), its stage's code
        (7 bits) and whether it is a closing. Equal events have equal integers. None when there
        are too many projects (or none)."""
        if self._dense is None:
            lo, hi, llo, lhi = con.execute(
                "SELECT min(rowid) FILTER (WHERE rowid < $l), max(rowid) FILTER (WHERE rowid < $l), "
                "min(rowid) FILTER (WHERE rowid >= $l), max(rowid) FILTER (WHERE rowid >= $l) FROM projects",
                {"l": self.LOCAL}).fetchall()[0]
            committed = 0 if lo is None else hi - lo + 1
            local = 0 if llo is None else lhi - llo + 1
            self._size = committed + local
            if not self._size or self._size > self._LIMIT:
                self.unknown = True
                return None
            dense = ("CASE WHEN _covers >= $ev_local THEN _covers - $ev_llo + $ev_committed "
                     "ELSE _covers - $ev_lo END")
            self._dense = (dense, {"ev_local": self.LOCAL, "ev_llo": llo or 0, "ev_committed": committed,
                                   "ev_lo": lo or 0})
        if self.unknown:
            return None
        dense, params = self._dense
        return (f"(CAST({dense} AS UBIGINT) << 25) | (CAST((entered_at - DATE '1970-01-01') & 131071 AS UBIGINT) << 8)"
                f" | (CAST(_stage_code & 127 AS UBIGINT) << 1) | CAST(coalesce(_closes, false) AS UBIGINT)", params)

    def mark(self, keys) -> bool:
        """Mark the projects of events given as integers (:meth:`key_sql`); whether an integer
        repeats. A stable sort runs through the integers in about no time when the export lists
        each project's events in order, as exports do."""
        import numpy as np

        keys = np.asarray(keys)
        if self._covers is None:
            self._covers = np.zeros(self._size, dtype=bool)
            self._closes = np.zeros(self._size, dtype=bool)
        projects = (keys >> np.uint64(25)).astype(np.int64)
        self._covers[projects] = True
        self._closes[projects[(keys & np.uint64(1)).astype(bool)]] = True
        keys = np.sort(keys, kind="stable")
        return bool((keys[1:] == keys[:-1]).any())

    def count(self, name: str) -> int:
        """Projects covered by an event (``covers``) or closed by one (``closes``); -1 if unknown."""
        marks = self._covers if name == "covers" else self._closes
        return -1 if self.unknown or marks is None else int(marks.sum())


def write_rows(con: duckdb.DuckDBPyConnection, table: str, good: str, key: list[str], columns: list[str],
               *, load_id: int, replace: bool) -> None:
    """Activities, documents, targets: rows keyed by ``key``; with ``replace`` a new row replaces
    the stored one with the same key (targets), else a stored row is kept (activities, documents)."""
    on = " AND ".join(f"x.{ident(k)} IS NOT DISTINCT FROM g.{ident(k)}" for k in key)
    if replace:
        con.execute(f"DELETE FROM {table} x WHERE EXISTS (SELECT 1 FROM {good} g WHERE {on})")
    cols = ", ".join(ident(c) for c in columns)
    gcols = ", ".join("g." + ident(c) for c in columns)
    con.execute(f"""INSERT INTO {table} ({cols}, load_id) SELECT DISTINCT {gcols}, $load_id FROM {good} g
                    WHERE NOT EXISTS (SELECT 1 FROM {table} x WHERE {on})""", {"load_id": load_id})


def rebuild_inferred_events(con: duckdb.DuckDBPyConnection, config: Config,
                            coverage: EventCoverage | None = None) -> None:
    """Events marked ``inferred``, rebuilt after every load from the projects' own dates:
    a project with no other events enters its working stage (or the first stage of the model) on
    its created date; a closed project whose events lack its closing enters its status on its
    closed date. ``coverage``: events of this load; when they cover every project (every closed
    project with a closed date has its closing among them), nobody needs the first (second) kind,
    and the projects are not matched against all events to find that out."""
    first = config.working_stages[0]
    con.execute("DELETE FROM stage_events WHERE source = 'inferred'")
    need_first = need_closing = True
    if coverage:  # covering every project is enough (those without a created date need none)
        projects, closed = con.execute("""SELECT count(*),
            count(*) FILTER (WHERE status <> 'open' AND closed_at IS NOT NULL) FROM projects""").fetchall()[0]
        need_first, need_closing = coverage.count("covers") != projects, coverage.count("closes") != closed
    if need_first:
        con.execute("""
            INSERT INTO stage_events (project_id, stage, entered_at, source, load_id)
            SELECT p.project_id, coalesce(p.stage, $first), p.created_at, 'inferred', NULL
            FROM projects p ANTI JOIN stage_events e ON e.project_id = p.project_id
            WHERE p.created_at IS NOT NULL""", {"first": first})
    if need_closing:
        con.execute("""
            INSERT INTO stage_events (project_id, stage, entered_at, source, load_id)
            SELECT p.project_id, p.status, p.closed_at, 'inferred', NULL
            FROM projects p ANTI JOIN (SELECT * FROM stage_events WHERE source <> 'inferred') e
              ON e.project_id = p.project_id AND e.stage = p.status
            WHERE p.status <> 'open' AND p.closed_at IS NOT NULL""")


def warn_events_before_created(con: duckdb.DuckDBPyConnection, *, load_id: int, file: str) -> int:
    """Data-quality warnings for this load's wide-column events dated before their project's
    created date (event rows get theirs from the rule ``event_before_created``)."""
    return con.execute("""
        INSERT INTO data_quality (load_id, file, "row", project_id, "column", value, rule, message)
        SELECT $load_id, $file, NULL, e.project_id, 'entered_at', CAST(e.entered_at AS VARCHAR),
               'event_before_created',
               'entered ' || e.stage || ' on ' || e.entered_at || ', before the project was created '
               || p.created_at
        FROM stage_events e JOIN projects p USING (project_id)
        WHERE e.load_id = $load_id AND e.source = 'columns' AND e.entered_at < p.created_at""",
                       {"load_id": load_id, "file": file}).fetchall()[0][0]
