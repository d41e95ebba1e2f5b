"""``reports/index.html``: the page that lists every output under ``reports/``, per period newest
first, the audit first in each period, then the reviews and summaries, the dashboard and the workbook,
each with its PDF beside it. Rewritten by ``presales report`` and ``--due``, the demo, and (when an index
already exists) by ``presales dashboard`` and ``presales export xlsx``, so it sits below all of them.
"""

from __future__ import annotations

import html
from datetime import date
from pathlib import Path

from ..atomic import write_text_atomic
from ..errors import PresalesError
from ..periods import Period
from .names import OUTPUT_TITLES


def _title(stem: str) -> str:
    """'director-review-director-张伟-en' -> '项目总监评价报告 · director-张伟-en' (the kind in words, then the rest)."""
    titles = {kind: names[0] for kind, names in OUTPUT_TITLES.items()}
    for kind in sorted(titles, key=len, reverse=True):
        if stem == kind or stem.startswith(kind + "-"):
            rest = stem[len(kind) + 1:]
            return titles[kind] + (f" · {rest}" if rest else "")
    return stem


#: the order of a period's outputs in the index: the audit first, the dashboard and the workbook last
_ORDER = ("audit", "director-review", "member-review", "project-summary", "dashboard", "workbook")


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


__all__ = ["refresh_index", "write_index"]
