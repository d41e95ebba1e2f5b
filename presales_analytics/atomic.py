"""Write an output file atomically: readers (a web server, a mail job) never see half a file.

Every published file (report HTML, dashboard, workbook, ``reports/index.html``) is written to a
temporary file beside its target and renamed over it; on any error the temporary file is removed and
the old target, if any, is left as it was. The result is readable like any file the user writes
(``0666`` less the umask), not ``0600`` as ``mkstemp`` makes it.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; write it inside the ``with``; it replaces ``target``
    when the block ends without an error."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(target: str | os.PathLike, text: str) -> Path:
    """``text`` as UTF-8 to ``target``, atomically (see the module docstring)."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


__all__ = ["atomic_path", "write_text_atomic"]
