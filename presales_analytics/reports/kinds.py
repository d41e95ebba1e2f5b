"""The report kinds ``presales report`` renders, where their notebooks are, and where each rendering goes.

Every notebook takes the same papermill parameters (period, database, scope, lang, redact, as_of), so
a rendering is fully described by a :class:`ReportRequest`, and its file name by the kind, the scope
and the options: ``reports/<period>/<kind>[-<scope>][-redacted][-en].html``.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..periods import Period
from ..presentation.lang import check_lang
from ..presentation.names import OUTPUT_TITLES, output_path
from ..scoping import ReportScope, file_safe

#: kind -> (notebook file, 中文名, English name)
KINDS: dict[str, tuple[str, str, str]] = {
    kind: (notebook, *OUTPUT_TITLES[kind])
    for kind, notebook in {"audit": "audit_report.ipynb", "director-review": "director_review.ipynb",
                           "member-review": "member_review.ipynb", "project-summary": "project_summary.ipynb"}.items()}


def notebook_path(kind: str) -> Path:
    """The notebook of ``kind``: from ``$PRESALES_NOTEBOOKS`` when set (a team's own, extended copies),
    else ``notebooks/`` of the source tree (a clone, an editable install), else the copy a wheel
    installs under ``<prefix>/share/presales-analytics/notebooks``."""
    import os

    name = KINDS[kind][0]
    candidates = [Path(__file__).resolve().parents[2] / "notebooks" / name,
                  Path(sys.prefix) / "share" / "presales-analytics" / "notebooks" / name]
    if os.environ.get("PRESALES_NOTEBOOKS"):
        candidates.insert(0, Path(os.environ["PRESALES_NOTEBOOKS"]) / name)
    for path in candidates:
        if path.is_file():
            return path
    raise InputError(f"the {kind} notebook ({name}) is not installed; looked in "
                     + ", ".join(str(c.parent) for c in candidates))


@dataclass(frozen=True)
class ReportRequest:
    kind: str
    notebook: Path
    period: Period
    period_reason: str        # why this period, when it was not given
    scope: str                # as the notebook receives it: company, region:…, director:…, project:<id>
    scope_slug: str           # for the file name; "" for the company
    lang: str
    redact: bool
    as_of: str
    database: Path

    @property
    def parameters(self) -> dict:
        return {"period": str(self.period), "database": str(self.database), "scope": self.scope,
                "lang": self.lang, "redact": self.redact, "as_of": self.as_of}

    @property
    def relative_path(self) -> Path:
        """``<period>/<kind>[-<scope>][-redacted][-en].html``"""
        return output_path("", self.period, self.kind, scope=self.scope_slug, redact=self.redact, lang=self.lang)


def resolve_request(kind: str, database: Path, *, period: str | None, scope: str, lang: str, redact: bool,
                    as_of: str | None) -> ReportRequest:
    """Check the kind, scope and period against the database, and settle the defaults (the latest
    complete quarter in the data; for a project summary, the quarter the project closed in)."""
    from ..metrics.base import data_date, report_period
    from ..periods import require_begun
    from ..store import connect

    kind = kind.strip().lower()
    if kind not in KINDS:
        raise InputError(f"unknown report {kind!r}; reports: {', '.join(KINDS)}")
    check_lang(lang)
    con = connect(database, read_only=True, wait_seconds=None)
    try:
        if kind == "project-summary":
            m = re.match(r"^\s*(?:project|项目)\s*[:=：]\s*(.+?)\s*$", scope or "")
            if not m:
                raise InputError("a project summary needs --scope project:<project id>, e.g. project:SQ-2025-0168")
            project_id = m.group(1)
            rows = con.execute("SELECT status, closed_at FROM projects WHERE project_id = $id",
                               {"id": project_id}).fetchall()
            row = rows[0] if rows else None
            if row is None:
                raise InputError(f"no project {project_id!r} in {database}", value=project_id)
            scope_text, slug = f"project:{project_id}", "project-" + file_safe(project_id)
            if not period:
                if row[1] is None:
                    raise InputError(f"project {project_id} has not closed (status {row[0]}): give --period")
                p, reason = Period.containing("quarter", row[1]), "the quarter the project closed in"
        else:
            s = ReportScope.parse(scope)
            if kind == "director-review" and s.kind != "director":
                raise InputError("a director review needs --scope director:<name>, e.g. director:张伟")
            if kind == "member-review" and s.kind not in ("manager", "monitor", "planner"):
                raise InputError("a member review needs --scope manager:<name>, monitor:<name> or planner:<name>, "
                                 "e.g. manager:陈静")
            if not s.is_company:
                from ..metrics.base import check_scope
                from ..metrics.context import MetricContext

                with MetricContext(con, scope=s) as scoped:
                    check_scope(scoped)   # the scope has projects, else the known values are named
            scope_text, slug = str(s), ("" if s.is_company else s.slug)
        if period or kind != "project-summary":
            p = report_period(con, period)
            reason = "given" if period else "the latest complete quarter in the data"
        require_begun(p, data_date(con))      # a period that has not begun is refused, not rendered as zeros
    finally:
        con.close()
    return ReportRequest(kind, notebook_path(kind), p, reason, scope_text, slug, lang, bool(redact),
                         as_of or "", Path(database))


__all__ = ["KINDS", "ReportRequest", "resolve_request", "notebook_path"]
