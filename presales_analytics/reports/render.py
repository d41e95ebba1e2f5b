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
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..atomic import copy_atomic, stale_pid, sweep_stale, write_text_atomic
from ..errors import DatabaseBusyError, PresalesError

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
        exporter = HTMLExporter(template_name="offline", extra_template_basedirs=[str(TEMPLATES)],
                                exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
        body, _ = exporter.from_notebook_node(nbformat.read(scratch, as_version=4))
        copy_atomic(scratch, executed)
        write_text_atomic(out_html, body)
        failed.unlink(missing_ok=True)        # an earlier failure's notebook is out of date now
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return Rendered(out_html, executed)


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
