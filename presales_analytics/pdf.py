"""Print a rendered report or the dashboard to PDF with the system's headless Chromium.

LaTeX (nbconvert's PDF route) drops Chinese characters unless a CJK font is configured for it; a browser
with a CJK font (Debian ``fonts-noto-cjk``) prints what the reader sees. The page's own print stylesheet
decides the layout (A4, margins, the footer with the report's name and page numbers: see the report
template and the dashboard's CSS); Chromium's own header and footer (the local file path, the date) are
switched off. Nothing is fetched: every host name resolves nowhere, so a page that tried to load
something from the network would print without it rather than wait.

The window is 703 CSS px wide: A4's 210 mm less 2 × 12 mm margins is 186 mm = 703 px, so charts drawn at
load time already have the printed width. The PDF is written atomically beside the HTML.

``$PRESALES_CHROMIUM`` names the browser when it is not ``chromium`` on the PATH.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .atomic import copy_atomic
from .errors import InputError, PresalesError

#: printable width of A4 with 12 mm side margins, in CSS px (96 per inch)
PRINT_WIDTH_PX = 703
#: how long the page may run its scripts (drawing the charts) before it is printed, in ms
SCRIPT_BUDGET_MS = 20000


class ChromiumMissing(InputError):
    """No Chromium to print with: says which Debian packages to install."""


class PdfError(PresalesError):
    """Chromium ran but wrote no PDF."""


def chromium() -> str:
    """The browser to print with: ``$PRESALES_CHROMIUM``, else chromium (or chromium-browser,
    google-chrome) on the PATH; :class:`ChromiumMissing` when there is none."""
    named = os.environ.get("PRESALES_CHROMIUM")
    if named:
        if shutil.which(named):
            return shutil.which(named)
        raise ChromiumMissing(f"PRESALES_CHROMIUM={named!r} is not an executable browser; unset it, or install "
                              "Chromium: sudo apt-get install chromium fonts-noto-cjk", value=named)
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    raise ChromiumMissing("printing to PDF needs Chromium and a CJK font, and neither is installed here: "
                          "sudo apt-get install chromium fonts-noto-cjk (Debian/Ubuntu), or set "
                          "PRESALES_CHROMIUM to a Chromium or Chrome executable")


def print_pdf(html: str | os.PathLike, pdf: str | os.PathLike | None = None, *, timeout: float = 180) -> Path:
    """Print ``html`` to ``pdf`` (default: the same name with ``.pdf``), A4 as the page's print stylesheet
    lays it out; returns the PDF's path. Raises :class:`ChromiumMissing` or :class:`PdfError`."""
    html = Path(html).resolve()
    target = Path(pdf) if pdf else html.with_suffix(".pdf")
    exe = chromium()
    with tempfile.TemporaryDirectory(prefix="presales-pdf-") as work:
        scratch = Path(work) / "out.pdf"
        args = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={work}/profile",
                f"--window-size={PRINT_WIDTH_PX},1000", f"--virtual-time-budget={SCRIPT_BUDGET_MS}",
                "--no-pdf-header-footer", f"--print-to-pdf={scratch}", html.as_uri()]
        try:
            run = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise PdfError(f"{exe} did not finish printing {html.name} within {timeout:.0f} s") from None
        if not scratch.exists() or scratch.stat().st_size == 0:
            tail = (run.stderr or "").strip().splitlines()[-3:]
            raise PdfError(f"{exe} wrote no PDF for {html.name} (exit {run.returncode}): " + " | ".join(tail))
        target.parent.mkdir(parents=True, exist_ok=True)
        copy_atomic(scratch, target)
    return target


__all__ = ["print_pdf", "chromium", "ChromiumMissing", "PdfError", "PRINT_WIDTH_PX"]
