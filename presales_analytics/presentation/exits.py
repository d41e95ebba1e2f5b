"""The one mapping from an error to the command line's exit code (DESIGN.md's contract): 2 unusable
input, nothing written (InputError, MissingColumnError); 3 the database is busy (DatabaseBusyError).
The message is printed as one line on stderr (grep-able in cron logs), escaped for the terminal.

Commands wrap their work in :func:`exit_on_error`; an error that is not mapped propagates.

>>> exit_code(InputError("x")), exit_code(DatabaseBusyError("y")), exit_code(KeyError("z"))
(2, 3, None)
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, NoReturn

from ..errors import DatabaseBusyError, InputError, MissingColumnError

#: exception class -> exit code; the first class an error is an instance of wins.
EXIT_CODES: dict[type[BaseException], int] = {DatabaseBusyError: 3, InputError: 2, MissingColumnError: 2}


def exit_code(exc: BaseException, more: dict[type[BaseException], int] | None = None) -> int | None:
    """The exit code for ``exc`` (``more`` adds a command's own errors, e.g. RenderError: 2), or None."""
    for cls, code in {**(more or {}), **EXIT_CODES}.items():
        if isinstance(exc, cls):
            return code
    return None


def fail(exc: BaseException, code: int | None = None) -> NoReturn:
    """Print ``error: <message>`` on stderr as one line and exit with ``code`` (default: its mapping)."""
    import typer
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True).print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
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
        fail(exc, code)


__all__ = ["EXIT_CODES", "exit_code", "fail", "exit_on_error"]
