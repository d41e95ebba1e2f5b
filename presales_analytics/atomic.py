"""Write an output file atomically: readers (a web server, a mail job) never see half a file.

Every published file (report HTML, executed notebook, dashboard, workbook, ``reports/index.html``) is
written to a temporary file beside its target (``.<name>.<pid>.<random>.tmp``), flushed to disk
(fsync), renamed over the target, and the folder is fsynced, so that a crash or a power cut leaves
either the old file or the new one. On any error the temporary file is removed and the old target,
if any, is left as it was. A process killed outright (SIGKILL) cannot clean up: :func:`sweep_stale`
removes temporary files whose process is gone, and the writers call it before writing. The result is
readable like any file the user writes (``0666`` less the umask), not ``0600`` as ``mkstemp`` makes it.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def fsync_dir(folder: str | os.PathLike) -> None:
    """Flush a folder's entries (a rename, a new file) to disk."""
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:          # another user's process: alive
        return True
    return True


def stale_pid(name: str, marker: str) -> int | None:
    """The pid written in a temporary name after ``marker`` (``.x.html.<pid>.<random>.tmp``,
    ``presales-render-<pid>-<random>``) when that process is gone, else None."""
    rest = name.rsplit(marker, 1)[-1] if marker in name else ""
    digits = ""
    for ch in rest:
        if not ch.isdigit():
            break
        digits += ch
    if digits and not _alive(int(digits)):
        return int(digits)
    return None


def sweep_stale(folder: str | os.PathLike) -> list[Path]:
    """Remove the temporary files of writers that were killed (their process is gone) in ``folder``."""
    folder = Path(folder)
    removed = []
    if not folder.is_dir():
        return removed
    for path in folder.glob(".*.tmp"):
        parts = path.name.split(".")
        if len(parts) >= 4 and parts[-3].isdigit() and not _alive(int(parts[-3])):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


@contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; write it inside the ``with``; it replaces ``target``
    (fsynced, then the folder fsynced) when the block ends without an error."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        _fsync_file(Path(tmp))
        os.replace(tmp, target)
        fsync_dir(target.parent)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(target: str | os.PathLike, text: str) -> Path:
    """``text`` as UTF-8 to ``target``, atomically (see the module docstring)."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


def copy_atomic(source: str | os.PathLike, target: str | os.PathLike) -> Path:
    """A copy of ``source`` at ``target``, atomically (see the module docstring)."""
    import shutil

    with atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)
    return Path(target)


__all__ = ["atomic_path", "write_text_atomic", "copy_atomic", "sweep_stale", "fsync_dir", "stale_pid"]
