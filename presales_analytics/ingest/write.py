"""Write checked rows into the canonical tables, and derive stage events.

Called inside the load's transaction. ``good`` is a temp table of the rows that passed every
check, with all canonical columns (absent ones NULL) and the derived ``*_final`` columns.
"""

from __future__ import annotations

import duckdb

from ..config import Config
from .values import ident, sql_literal

PROJECT_COLUMNS = ["name", "customer", "region", "department", "director", "manager", "monitor",
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
                        ).fetchone()[0]
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


def write_history(con: duckdb.DuckDBPyConnection, good: str, *, load_id: int) -> None:
    """Event rows add to what is known (an audit-log export may come in monthly pieces);
    an event already stored (same project, stage and date) is not stored twice."""
    stored = con.execute("SELECT count(*) FROM stage_events WHERE source = 'history'").fetchone()[0]
    anti = ("ANTI JOIN (SELECT * FROM stage_events WHERE source = 'history') e "
            "ON e.project_id = g.project_id AND e.stage = g.stage AND e.entered_at = g.entered_at") if stored else ""
    # DISTINCT over millions of rows costs more than finding out that there is nothing to remove
    repeats = con.execute(f"SELECT count(*) - count(DISTINCT hash(project_id, stage, entered_at)) "
                          f"FROM {good}").fetchone()[0]
    distinct = "DISTINCT" if repeats else ""
    con.execute(f"""INSERT INTO stage_events (project_id, stage, entered_at, source, load_id)
                    SELECT {distinct} g.project_id, g.stage, g.entered_at, 'history', $load_id FROM {good} g {anti}""",
                {"load_id": load_id})


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


def rebuild_inferred_events(con: duckdb.DuckDBPyConnection, config: Config) -> None:
    """Events marked ``inferred``, rebuilt after every load from the projects' own dates:
    a project with no other events enters its working stage (or the first stage of the model) on
    its created date; a closed project whose events lack its closing enters its status on its
    closed date."""
    first = config.working_stages[0]
    con.execute("DELETE FROM stage_events WHERE source = 'inferred'")
    con.execute("""
        INSERT INTO stage_events (project_id, stage, entered_at, source, load_id)
        SELECT p.project_id, coalesce(p.stage, $first), p.created_at, 'inferred', NULL
        FROM projects p ANTI JOIN stage_events e ON e.project_id = p.project_id
        WHERE p.created_at IS NOT NULL""", {"first": first})
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
                       {"load_id": load_id, "file": file}).fetchone()[0]
