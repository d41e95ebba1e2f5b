"""A report's scope: the whole company, or one region, department or director (``--scope``).

``restrict(con, scope)`` narrows a connection to the scope: TEMP views named like the canonical
tables (``projects``, ``project_snapshots``, ``project_versions``, ``stage_events``, ``activities``,
``documents``, ``targets``) shadow them for this connection only, so every metric, unchanged,
computes for the scope, and nothing is written to the database (read-only connections can do it).

Norms stay the company's: the limit a stay must pass to count as stalled (the p75 of finished stays)
and the median cycle the director score compares with are computed over every project, on the
unnarrowed :func:`reference` connection, so a project stalled in the company report is stalled in
its region's and director's reports too, and a director scores the same in each.

Membership is decided by the project's latest loaded version (``projects``): a project that moved
from one director to another counts, in every period, for the director it has now. The targets in
scope are the scope's own target (seen by the metrics as the ``company`` target) and the targets of
the directors and departments that have projects in scope.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass

import duckdb

from .errors import InputError

#: scope kinds and their spellings (English and Chinese) on the command line
KINDS = {"region": ("region", "区域"), "department": ("department", "dept", "系统部", "部门"),
         "director": ("director", "总监", "项目总监")}
_LABELS = {"company": ("全公司", "Company"), "region": ("区域", "Region"), "department": ("系统部", "Department"),
           "director": ("项目总监", "Director")}


def file_safe(text: str) -> str:
    """``text`` for a file name: runs of characters unsafe in a path (``\\ / : * ? " < > |``, blanks)
    become ``_``; Chinese stays as it is."""
    return re.sub(r'[\\/:*?"<>|\s]+', "_", text)


@dataclass(frozen=True)
class ReportScope:
    kind: str                  # company | region | department | director
    value: str | None = None   # the region's, department's or director's name

    @classmethod
    def parse(cls, text: str | None) -> "ReportScope":
        """``company`` (or empty, 全公司), ``region:华东``, ``department:政府系统部``, ``director:张伟``;
        the kind may be written in Chinese (``区域:华东``, ``总监:张伟``) and ``=`` or ``：`` used for ``:``."""
        text = (text or "").strip()
        if text.lower() in ("", "company", "全公司", "公司"):
            return cls("company")
        m = re.match(r"^([^:=：]+)[:=：](.+)$", text)
        if m:
            word, value = m.group(1).strip().lower(), m.group(2).strip()
            for kind, spellings in KINDS.items():
                if word in spellings and value:
                    return cls(kind, value)
        raise InputError(f"scope {text!r} is not understood; write company, region:<name>, "
                         "department:<name> or director:<name> (e.g. region:华东, director:张伟)")

    def __str__(self) -> str:
        return "company" if self.kind == "company" else f"{self.kind}:{self.value}"

    @property
    def is_company(self) -> bool:
        return self.kind == "company"

    def label(self, lang: str = "zh") -> str:
        zh, en = _LABELS[self.kind]
        if self.is_company:
            return zh if lang == "zh" else en
        return f"{zh}：{self.value}" if lang == "zh" else f"{en}: {self.value}"

    @property
    def slug(self) -> str:
        """For file names: ``region-华东`` (characters unsafe in a path become ``_``)."""
        if self.is_company:
            return "company"
        return f"{self.kind}-{file_safe(self.value)}"


#: the scope each narrowed connection is in (gone with the connection); the metrics' caches key on it
_SCOPES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
#: per narrowed connection, an unnarrowed cursor on the same database (see :func:`reference`)
_REFERENCES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def reference(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """The connection company-wide norms are computed on: ``con`` itself when it is not narrowed, else
    a cursor on the same database without the scope's views (same time zone), kept with ``con``."""
    if con not in _SCOPES:
        return con
    if con not in _REFERENCES:
        cursor = con.cursor()
        cursor.execute("SET TimeZone = $tz", {"tz": con.execute("SELECT current_setting('TimeZone')").fetchall()[0][0]})
        try:
            cursor.execute("SET enable_progress_bar = false")
        except duckdb.Error:
            pass
        _REFERENCES[con] = cursor
    return _REFERENCES[con]


def scope_of(con: duckdb.DuckDBPyConnection) -> str:
    """The scope ``con`` was narrowed to (``company`` when it was not)."""
    return _SCOPES.get(con, "company")


def restrict(con: duckdb.DuckDBPyConnection, scope: ReportScope | str | None) -> ReportScope:
    """Narrow ``con`` to ``scope`` (see the module docstring); raise :class:`InputError` naming the
    known values when no project is in it. ``company`` leaves the connection as it is. A connection
    can be narrowed again to another scope (not widened back: open a new one for the company)."""
    scope = scope if isinstance(scope, ReportScope) else ReportScope.parse(scope)
    if scope.is_company:
        return scope
    db = con.execute("SELECT current_database()").fetchall()[0][0]
    q = '"' + db.replace('"', '""') + '".main.'
    column = scope.kind       # one of KINDS: a column of projects, never text from the user
    con.execute(f"CREATE OR REPLACE TEMP TABLE _presales_scope AS SELECT project_id FROM {q}projects "
                f"WHERE {column} = $v", {"v": scope.value})
    if not con.execute("SELECT count(*) FROM _presales_scope").fetchall()[0][0]:
        known = [r[0] for r in con.execute(f"SELECT DISTINCT {column} FROM {q}projects WHERE {column} IS NOT NULL "
                                           f"ORDER BY 1 LIMIT 30").fetchall()]
        con.execute("DROP TABLE _presales_scope")
        raise InputError(f"no project has {column} {scope.value!r}; known: {', '.join(known) or 'none'}")
    in_scope = "project_id IN (SELECT project_id FROM _presales_scope)"
    for table in ("projects", "project_snapshots", "stage_events", "activities", "documents"):
        con.execute(f"CREATE OR REPLACE TEMP VIEW {table} AS SELECT * FROM {q}{table} WHERE {in_scope}")
    con.execute("CREATE OR REPLACE TEMP VIEW project_versions AS "
                "SELECT * FROM project_snapshots UNION ALL SELECT * FROM projects")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _presales_scope_targets AS
        SELECT CASE WHEN scope = $own THEN 'company' ELSE scope END AS scope, period, amount, load_id
        FROM {q}targets
        WHERE scope = $own
           OR (scope LIKE 'director:%' AND substr(scope, 10) IN (SELECT director FROM projects))
           OR (scope LIKE 'department:%' AND substr(scope, 12) IN (SELECT department FROM projects))""",
                {"own": str(scope)})
    con.execute("CREATE OR REPLACE TEMP VIEW targets AS SELECT * FROM _presales_scope_targets")
    _SCOPES[con] = str(scope)
    return scope


__all__ = ["ReportScope", "restrict", "scope_of", "reference", "file_safe", "KINDS"]
