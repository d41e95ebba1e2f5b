"""One exception family for the toolkit.

Every error a user can cause is a :class:`PresalesError`; its message says what is wrong
and what to do, and its attributes carry the details a program needs.
"""

from __future__ import annotations


class PresalesError(Exception):
    """Base class of every error this toolkit raises on purpose."""


class InputError(PresalesError, ValueError):
    """An input (file, option, value) cannot be used.

    ``file``, ``row``, ``column`` and ``value`` say where, when known. ``row`` is the row as
    a person sees it in the file: 1-based, the header line counted as row 1, so the first data
    row of a CSV or sheet is row 2 (for JSON and Parquet, which have no header row, the first
    record is row 1).

    >>> str(InputError("'12,3O0' is not a number", file="商机.xlsx", row=17, column="amount"))
    "商机.xlsx row 17, column 'amount': '12,3O0' is not a number"
    """

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 column: str | None = None, value: object = None):
        self.file, self.row, self.column, self.value = file, row, column, value
        self.reason = message
        where = []
        if file:
            where.append(str(file))
        if row is not None:
            where.append(f"row {row}")
        if column:
            where.append(f"column {column!r}")
        prefix = ""
        if where:
            prefix = where[0] if len(where) == 1 else where[0] + " " + ", ".join(where[1:])
            prefix += ": "
        super().__init__(prefix + message)


class DatabaseBusyError(PresalesError):
    """The database file is held by another process (DuckDB allows one writer, and no reader
    while a writer holds it). Wait for the other process to finish and try again."""


class MissingColumnError(PresalesError):
    """A metric needs a column that no loaded export provided.

    ``column`` names it; the message says which metric needs it and how to provide it.
    """

    def __init__(self, message: str, *, column: str):
        self.column = column
        super().__init__(message)
