"""What ``presales demo`` renders once the demo data is loaded: one of every output, for the latest
complete quarter in the data. It sits at the top, beside the CLI, because it calls the reports, the
dashboard and the workbook (none of which may import another).

- the audit report (审计考核报告) of the company;
- the director review (评价报告) of the director with the most projects closed in the quarter;
- the member review (项目成员评价报告) of the project manager with the most projects closed in it;
- the project summary (项目总结) of the largest project won in the quarter;
- the management dashboard and the workbook;
- ``reports/index.html``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .metrics.base import report_period
from .periods import Period
from .store import connect


@dataclass(frozen=True)
class Showcase:
    period: Period
    director: str | None     # the director reviewed
    project: str | None      # the project summarised
    manager: str | None = None   # the project manager reviewed


def choose(database: Path) -> Showcase:
    """The quarter, director and project the demo renders (see the module docstring)."""
    con = connect(database, read_only=True, wait_seconds=None)
    try:
        p = report_period(con, None)
        bounds = {"start": p.start, "end": p.end}
        busiest = {}
        for role in ("director", "manager"):       # a fixed column name, never text from the user
            busiest[role] = con.execute(f"""SELECT {role} FROM projects
                                  WHERE status <> 'open' AND closed_at >= $start AND closed_at < $end
                                    AND {role} IS NOT NULL
                                  GROUP BY {role} ORDER BY count(*) DESC, {role} LIMIT 1""", bounds).fetchall()
        project = con.execute("""SELECT project_id FROM projects
                                 WHERE status = 'won' AND closed_at >= $start AND closed_at < $end
                                 ORDER BY amount DESC NULLS LAST, project_id LIMIT 1""", bounds).fetchall()
    finally:
        con.close()
    first = {role: rows[0][0] if rows else None for role, rows in busiest.items()}
    return Showcase(p, first["director"], project[0][0] if project else None, first["manager"])


def render_showcase(database: Path, out_dir: Path, *, step: Callable[[str], None] = lambda s: None,
                    progress: bool = False) -> list[Path]:
    """Render the outputs of the module docstring under ``out_dir``; return their paths, in order.
    ``step(description)`` is called before each (for a progress display)."""
    from .dashboard.command import build_dashboard
    from .exporting import write_workbook
    from .reports.kinds import resolve_request
    from .reports.render import render_notebook
    from .presentation.index import write_index

    chosen = choose(database)
    p = str(chosen.period)
    requests = [("audit", "company")]
    if chosen.director:
        requests.append(("director-review", f"director:{chosen.director}"))
    if chosen.manager:
        requests.append(("member-review", f"manager:{chosen.manager}"))
    if chosen.project:
        requests.append(("project-summary", f"project:{chosen.project}"))
    paths = []
    for kind, scope in requests:
        step(f"{kind} {scope}")
        request = resolve_request(kind, database, period=p, scope=scope, lang="zh", redact=False, as_of=None)
        paths.append(render_notebook(request.notebook, out_dir / request.relative_path, progress=progress,
                                     parameters=request.parameters).html)
    step("dashboard")
    paths.append(build_dashboard(database, p, reports_dir=out_dir)[0])
    step("workbook")
    paths.append(write_workbook(database, p, out_dir / p / "workbook.xlsx"))
    write_index(out_dir)
    return paths


__all__ = ["Showcase", "choose", "render_showcase"]
