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

import errno
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .errors import PresalesError

#: errno -> (what happened, what to do); the failures of a writer that the user can fix
_CAUSES = {
    errno.ENOSPC: ("no space left on the device", "free space on that disk, or write elsewhere with --out"),
    errno.EDQUOT: ("the disk quota is exceeded", "free space within your quota, or write elsewhere with --out"),
    errno.EFBIG: ("the file is too large for that file system", "write elsewhere with --out"),
    errno.EACCES: ("permission denied", "make the folder writable for this user, or write elsewhere with --out"),
    errno.EPERM: ("operation not permitted", "make the folder writable for this user, or write elsewhere with --out"),
    errno.EROFS: ("the file system is read-only", "write elsewhere with --out"),
    errno.ENAMETOOLONG: ("the file name is too long", "choose a shorter name or folder with --out"),
}


class OutputError(PresalesError):
    """An output could not be written (a full disk, permission denied …); ``path`` is the file, the
    message says what to do. The previous file, if any, is unchanged and no temporary file is left."""

    def __init__(self, path, cause: OSError):
        self.path, self.errno = Path(path), cause.errno
        what, todo = _CAUSES.get(cause.errno, (cause.strerror or str(cause), "check the folder and run again"))
        super().__init__(f"cannot write {path}: {what}; {todo}. Nothing was changed: "
                         "the previous file, if any, is as it was")


def output_error(path, cause: BaseException) -> OutputError | None:
    """``cause`` as an :class:`OutputError` about ``path`` when it is a writer's failure the user can fix."""
    if isinstance(cause, OSError) and cause.errno in _CAUSES:
        return OutputError(path, cause)
    return None


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
    (fsynced, then the folder fsynced) when the block ends without an error.

    A failure the user can fix (a full disk, permission denied: :data:`_CAUSES`) raises
    :class:`OutputError` naming ``target``."""
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp")
        os.close(fd)
    except OSError as exc:
        raise (output_error(target, exc) or exc) from None
    try:
        yield Path(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        _fsync_file(Path(tmp))
        os.replace(tmp, target)
        fsync_dir(target.parent)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        mapped = output_error(target, exc)
        if mapped is not None:
            raise mapped from None
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


__all__ = ["OutputError", "output_error", "atomic_path", "write_text_atomic", "copy_atomic", "sweep_stale", "fsync_dir", "stale_pid"]
