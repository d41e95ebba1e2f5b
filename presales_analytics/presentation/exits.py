"""The one mapping from an error to the command line's exit code (DESIGN.md's contract): 2 unusable
input, nothing written (InputError, MissingColumnError), or an output that cannot be written (a full
disk, permission denied: OutputError, and DuckDB's own I/O errors of that kind, e.g. a load on a full
disk); 3 the database is busy (DatabaseBusyError). Never 1, which the contract keeps for rejected rows.
The message is printed as one line on stderr (grep-able in cron logs), escaped for the terminal.

Commands wrap their work in :func:`exit_on_error`; an error that is not mapped propagates.

>>> exit_code(InputError("x")), exit_code(DatabaseBusyError("y")), exit_code(KeyError("z"))
(2, 3, None)
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, NoReturn

from ..atomic import OutputError, output_error
from ..errors import DatabaseBusyError, InputError, MissingColumnError

#: exception class -> exit code; the first class an error is an instance of wins.
EXIT_CODES: dict[type[BaseException], int] = {DatabaseBusyError: 3, InputError: 2, MissingColumnError: 2,
                                              OutputError: 2}

#: DuckDB's text for the operating system's errors that :class:`OutputError` covers
_DUCKDB_DISK = ("No space left on device", "Disk quota exceeded", "Permission denied", "Read-only file system",
                "File too large")


def disk_error(exc: BaseException) -> BaseException:
    """``exc``, or the :class:`OutputError` it stands for: an OSError of a writer (full disk, permission
    denied, a file name too long …) or DuckDB's I/O error about the database file."""
    if isinstance(exc, OSError) and output_error("", exc) is not None:
        return InputError(f"{exc.filename or 'a file'}: {exc.strerror or exc}; free space on that disk or fix the "
                          "folder's permissions, and run again")
    if type(exc).__module__.lstrip("_").startswith("duckdb") and type(exc).__name__ in ("IOException", "FatalException"):
        text = str(exc)
        for cause in _DUCKDB_DISK:
            if cause in text:
                return InputError(f"the database cannot be written: {cause.lower()}; free space on its disk or "
                                  "fix the permissions of its folder (or use another database with --db), then run "
                                  f"again; the transaction was rolled back (DuckDB: {' '.join(text.split())[:300]})")
    return exc


def exit_code(exc: BaseException, more: dict[type[BaseException], int] | None = None) -> int | None:
    """The exit code for ``exc`` (``more`` adds a command's own errors, e.g. RenderError: 2), or None."""
    exc = disk_error(exc)
    for cls, code in {**(more or {}), **EXIT_CODES}.items():
        if isinstance(exc, cls):
            return code
    return None


def printable(text) -> str:
    r"""``text`` safe for a terminal: control characters (an ESC that would colour the screen, a newline
    that would break the one-line message) written as Python escapes.

    >>> printable("\x1b[31m暂停\n")
    '\\x1b[31m暂停\\n'
    """
    text = str(text)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def fail(exc: BaseException, code: int | None = None) -> NoReturn:
    """Print ``error: <message>`` on stderr as one line and exit with ``code`` (default: its mapping)."""
    import typer
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True).print(f"[bold red]error:[/] {escape(printable(exc))}", soft_wrap=True)
    raise typer.Exit(code if code is not None else (exit_code(exc) or 2))


@contextmanager
def exit_on_error(more: dict[type[BaseException], int] | None = None) -> Iterator[None]:
    """Turn a mapped error raised inside the block into its message and exit code (see :func:`fail`)."""
    try:
        yield
    except Exception as exc:
        code = exit_code(exc, more)
        if code is None:
            raise
        fail(disk_error(exc), code)


__all__ = ["EXIT_CODES", "disk_error", "printable", "exit_code", "fail", "exit_on_error"]
