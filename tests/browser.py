"""Open a rendered HTML file in the system's headless Chromium (Debian ``chromium``), offline.

Playwright's Python package drives the browser the machine already has (``executable_path``); it
downloads nothing. Every request that is not for the file itself or an inline ``data:``/``blob:``
resource is aborted and recorded, so a test can assert the page made no network request at all.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


def chromium_path() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        pytest.fail("browser tests need Debian's chromium: apt-get install chromium fonts-noto-cjk "
                    "(.ci/run installs it)")
    return exe


@dataclass
class OfflinePage:
    page: object
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    network: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return self.console_errors + self.page_errors + [f"network request: {u}" for u in self.network]


def open_offline(browser, path: Path, *, viewport=(1280, 900), wait_until: str = "load") -> OfflinePage:
    """Load ``path`` as a file:// page; record console errors, uncaught exceptions, dialogs (an
    ``alert`` run by injected markup) and any request leaving the file (aborted)."""
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = context.new_page()
    result = OfflinePage(page)
    url = Path(path).resolve().as_uri()

    def route(r):
        u = r.request.url
        if u == url or u.startswith(("data:", "blob:", "about:")):
            r.continue_()
        else:
            result.network.append(u)
            r.abort()

    context.route("**/*", route)
    page.on("console", lambda m: result.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: result.page_errors.append(str(e)))

    def dialog(d):                      # an alert() from injected markup would land here
        result.page_errors.append(f"dialog: {d.message}")
        d.dismiss()

    page.on("dialog", dialog)
    page.goto(url, wait_until=wait_until)
    return result
