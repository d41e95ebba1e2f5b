"""Execute a notebook with papermill and render it to one offline HTML file.

The HTML hides code and prompts, has no script or stylesheet fetched from the network (a small
nbconvert template, ``templates/offline``, extends JupyterLab's and drops require.js, MathJax,
mermaid and the widget manager), is UTF-8, and is written atomically.

Nothing is half-written: papermill executes into a private scratch folder (the system's temporary
folder, ``presales-render-<pid>-…``), and only a finished notebook and its HTML are copied beside
the target, each atomically (:mod:`presales_analytics.atomic`). A killed render leaves the previous
outputs as they were and no temporary file in the reports folder (a scratch folder of a killed
process is removed by the next render). A failing cell raises :class:`RenderError` naming the cell,
keeps the executed notebook for diagnosis as ``<name>.failed.ipynb`` (the previous notebook and HTML
stay), and writes no HTML. A report the notebook *refuses* (an unknown scope, a period it cannot
cover: the notebook raised an ``InputError``) raises :class:`ReportRefused` and leaves nothing behind.

Nothing local leaks into a report that gets emailed: before the executed notebook and its HTML are
written, every absolute path of this machine they would carry (the notebook's, the scratch folder's,
the database's and any other path parameter's, the working and home folders) is replaced by its file
name (:func:`scrub_paths`). The HTML's ``<title>`` is the report's first heading (report, period,
scope), and the print footer carries it (``resources["print_title"]``, the template's ``@page``).
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..atomic import copy_atomic, stale_pid, sweep_stale, write_text_atomic
from ..errors import DatabaseBusyError, PresalesError
from ..presentation.format import css_string

TEMPLATES = Path(__file__).with_name("templates")


class RenderError(PresalesError):
    """A notebook cell failed; ``cell`` is its 1-based position in the notebook (all cells, as its
    author sees them), ``notebook`` the executed notebook kept for diagnosis."""

    def __init__(self, message: str, *, cell: int | None, notebook: Path):
        self.cell, self.notebook = cell, notebook
        super().__init__(message)


class ReportRefused(RenderError):
    """The notebook refused its parameters (it raised an InputError or a MissingColumnError): the message is
    that error's; nothing was written."""


#: exceptions a notebook raises to refuse its parameters (their names, as papermill reports them)
REFUSALS = ("InputError", "MissingColumnError")
_SCRATCH = "presales-render-"


@dataclass(frozen=True)
class Rendered:
    html: Path
    notebook: Path


def render_notebook(notebook: str | os.PathLike, out_html: str | os.PathLike, *,
                    parameters: dict | None = None, cwd: str | os.PathLike | None = None,
                    progress: bool = False) -> Rendered:
    """Execute ``notebook`` with ``parameters`` and write ``out_html`` beside the executed
    ``.ipynb`` (same name). Raises :class:`RenderError` when a cell fails."""
    import nbformat
    import papermill as pm
    from nbconvert import HTMLExporter

    out_html = Path(out_html)
    executed = out_html.with_suffix(".ipynb")
    failed = out_html.with_suffix(".failed.ipynb")
    _sweep(out_html.parent)
    work = Path(tempfile.mkdtemp(prefix=f"{_SCRATCH}{os.getpid()}-"))
    try:
        scratch = work / "executed.ipynb"
        try:
            pm.execute_notebook(str(notebook), str(scratch), parameters=parameters or {}, kernel_name="python3",
                                cwd=str(cwd) if cwd else None, progress_bar=progress,
                                # written once at the end (and on a failure), not after every cell: the
                                # notebook holds plotly.js (~4.6 MB), and 50 saves cost ~3 s a report
                                request_save_on_cell_execute=False,
                                # the kernel's own log is noise in a scheduled run's output: a start-up warning
                                # ("running over TCP without encryption", on loopback) and, now and then at
                                # shutdown, "KeyboardInterrupt caught in kernel"; a failing cell or a dead
                                # kernel still raises (PapermillExecutionError, DeadKernelError)
                                extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
        except pm.PapermillExecutionError as exc:
            if exc.ename == "DatabaseBusyError":
                raise DatabaseBusyError(exc.evalue) from None
            if exc.ename in REFUSALS:
                raise ReportRefused(exc.evalue, cell=None, notebook=None) from None
            cell = _cell_number(scratch, exc.cell_index)
            copy_atomic(scratch, failed)
            first_line = (exc.source or "").strip().splitlines()[0][:80] if (exc.source or "").strip() else ""
            raise RenderError(f"{Path(notebook).name}: cell {cell} ({first_line}) failed: "
                              f"{exc.ename}: {exc.evalue} (executed notebook kept at {failed})",
                              cell=cell, notebook=failed) from None
        local = _local_paths(notebook, scratch, out_html, cwd, parameters or {})
        node = nbformat.reads(scrub_paths(scratch.read_text(encoding="utf-8"), local), as_version=4)
        title = report_title(node)
        node.metadata["title"] = title
        exporter = HTMLExporter(template_name="offline", extra_template_basedirs=[str(TEMPLATES)],
                                exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
        body, _ = exporter.from_notebook_node(node, resources={"print_title": css_string(title)})
        nbformat.write(node, str(scratch))
        copy_atomic(scratch, executed)
        write_text_atomic(out_html, body)
        failed.unlink(missing_ok=True)        # an earlier failure's notebook is out of date now
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return Rendered(out_html, executed)


def _local_paths(notebook, scratch: Path, out_html: Path, cwd, parameters: dict) -> list[str]:
    """The absolute paths of this machine a rendered report could carry: the notebook's and its folder,
    the scratch folder, the output folder, the working folder, any parameter that is an absolute path
    (the database), the home and temporary folders."""
    found: set[str] = set()
    for p in (notebook, scratch, out_html, cwd, Path.cwd(), Path.home(), tempfile.gettempdir(),
              *(v for v in parameters.values() if isinstance(v, (str, os.PathLike)) and os.path.isabs(v))):
        if p is None or str(p) in ("", "/"):
            continue
        for q in {Path(p).absolute(), Path(p).resolve()}:
            found.add(str(q))
            if q.parent != q and str(q.parent) != "/":
                found.add(str(q.parent))
    return sorted(found, key=len, reverse=True)


def scrub_paths(text: str, paths: list[str]) -> str:
    """``text`` with each absolute path in ``paths`` (longest first) replaced by its last part: a file
    ``/home/a/data/presales.duckdb`` reads ``presales.duckdb``; a folder's prefix of a longer path is
    dropped (``/home/a/reports/x.html`` reads ``x.html``). The forms a path takes inside JSON (``\\u``
    escapes, ``\\/``) are covered; nothing else of the text changes, so JSON stays JSON."""
    for p in paths:
        name = Path(p).name
        plain = json.dumps(p, ensure_ascii=False)[1:-1]           # as inside a JSON string
        for form, sep in dict.fromkeys(((p, "/"), (plain, "/"), (json.dumps(p)[1:-1], "/"),
                                        (p.replace("/", "\\/"), "\\/"))):
            text = re.sub(re.escape(form) + f"(?:{re.escape(sep)})+", "", text)
            text = text.replace(form, name)
    return text


_H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S | re.I)


def report_title(node) -> str:
    """The report's first ``<h1>`` as plain text (what the browser tab, a bookmark and the print footer
    show), or the notebook's own title, or its kind."""
    for cell in node.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {}).get("text/html")
            match = _H1.search("".join(data) if isinstance(data, list) else data or "")
            if match:
                return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()
    return node.metadata.get("title") or "presales-analytics"


def _sweep(folder: Path) -> None:
    """Remove what killed renders left: their temporary files beside the outputs, their scratch folders."""
    sweep_stale(folder)
    for scratch in Path(tempfile.gettempdir()).glob(f"{_SCRATCH}*"):
        if stale_pid(scratch.name, _SCRATCH) is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def _cell_number(executed: Path, index: int) -> int:
    """The failing cell's number as the author sees it in their notebook: counting every cell from 1,
    without the parameters cell papermill injects."""
    import nbformat

    try:
        cells = nbformat.read(executed, as_version=4).cells[:index]
    except Exception:  # noqa: BLE001 - the number is a courtesy; the index is still right
        return index + 1
    return index + 1 - sum("injected-parameters" in c.metadata.get("tags", []) for c in cells)
