"""The one object every metric takes: :class:`MetricContext` (connection, scope, configuration, as-of).

A context replaces the hidden state metrics used to depend on (TEMP views shadowing the canonical
tables, module-global caches, a ``presales.toml`` read from the working directory):

- it never changes the caller's connection: the metrics run on a private cursor of it (same
  database, its own TEMP namespace and settings), where the stage history sorted once for a report
  is kept as a TEMP table; closing the context (or leaving its ``with`` block) drops it all;
- its **scope** (``company``, ``region:华东``, ``department:…``, ``director:…``) narrows what the
  metrics count to the projects whose latest loaded version is in it, while the norms (stall
  limits, the company median cycle, the data date) stay the company's;
- its **groupings** (``ctx.across("company", "region", "director")``) make a metric compute every
  scope of those kinds in ONE pass: each project takes part once per scope it belongs to, and the
  result has a leading ``scope`` column (``company``, ``region:华东`` …);
- its **configuration** is given by whoever opened it (the command line, a report's setup, the
  public :func:`presales_analytics.compute` read ``presales.toml``); a metric never reads a file:
  without one it uses the built-in defaults;
- its **cache** (remembered results such as the stalled list the scorecard and compliance share, and
  the company norms) lives and dies with it.

>>> import presales_analytics as pa
>>> con = pa.connect(":memory:")
>>> with MetricContext(con, scope="region:华东") as ctx:
...     str(ctx.scope)
'region:华东'
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime

import duckdb

from ..config import Config
from ..errors import InputError
from ..scoping import KINDS as SCOPE_KINDS
from ..scoping import ReportScope

#: the scope kinds a context can group by in one pass (``company`` is the whole company)
GROUPINGS = ("company", *SCOPE_KINDS)


def as_date(value: date | str | None) -> date | None:
    """``as_of`` as a date (a string in ISO form, a date or datetime, or None)."""
    if value is None or isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, datetime):
        return value.date()
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InputError(f"as-of {value!r} is not a date; write it as YYYY-MM-DD") from None


_DEFAULT_CONFIG: Config | None = None


def default_config() -> Config:
    """The built-in configuration (the package's defaults.toml only; never the user's presales.toml)."""
    global _DEFAULT_CONFIG
    if _DEFAULT_CONFIG is None:
        import tomllib

        from ..config import _DEFAULTS

        with open(_DEFAULTS, "rb") as f:
            _DEFAULT_CONFIG = Config(tomllib.load(f))
    return _DEFAULT_CONFIG


@dataclass(eq=False)
class _Shared:
    """What the contexts derived from one another share: the private cursor and the cache."""

    con: duckdb.DuckDBPyConnection
    cursor: duckdb.DuckDBPyConnection | None = None
    cache: dict = field(default_factory=dict)

    def get_cursor(self) -> duckdb.DuckDBPyConnection:
        if self.cursor is None:
            tz = self.con.execute("SELECT current_setting('TimeZone')").fetchall()[0][0]
            cursor = self.con.cursor()
            cursor.execute("SET TimeZone = $tz", {"tz": tz})
            try:
                cursor.execute("SET enable_progress_bar = false")
            except duckdb.Error:
                pass
            self.cursor = cursor
        return self.cursor

    def close(self) -> None:
        if self.cursor is not None:
            try:
                self.cursor.close()
            except duckdb.Error:
                pass
            self.cursor = None
        self.cache.clear()


@dataclass(frozen=True, eq=False)
class MetricContext:
    """Connection, scope, configuration and as-of date of a metric computation (module docstring).

    ``MetricContext(con, scope="region:华东", config=cfg, as_of="2026-09-30")``; derived contexts
    (:meth:`replace`, :meth:`across`, :meth:`company`) share the cursor and the cache."""

    con: duckdb.DuckDBPyConnection
    scope: ReportScope | str | None = None
    config: Config | None = None
    as_of: date | str | None = None
    groupings: tuple[str, ...] = ()
    _shared: _Shared | None = None

    def __post_init__(self) -> None:
        if isinstance(self.con, MetricContext):
            raise TypeError("MetricContext(con=...) takes a DuckDB connection; use ctx.replace(...)")
        object.__setattr__(self, "scope", self.scope if isinstance(self.scope, ReportScope)
                           else ReportScope.parse(self.scope))
        object.__setattr__(self, "config", self.config or default_config())
        object.__setattr__(self, "as_of", as_date(self.as_of))
        groupings = tuple(str(g).strip().lower() for g in self.groupings)
        for g in groupings:
            if g not in GROUPINGS:
                raise InputError(f"grouping {g!r} is not a scope kind; use: {', '.join(GROUPINGS)}")
        if groupings and not self.scope.is_company:
            raise InputError("groupings compute every scope of a kind: use them on a company context")
        object.__setattr__(self, "groupings", groupings)
        if self._shared is None:
            object.__setattr__(self, "_shared", _Shared(self.con))

    # ------------------------------------------------------------------ life cycle
    def __enter__(self) -> "MetricContext":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Drop the private cursor (and with it the TEMP tables) and the cache."""
        self._shared.close()

    @classmethod
    def of(cls, con_or_ctx, *, as_of=None, config: Config | None = None) -> "MetricContext":
        """The context for a metric call: ``con_or_ctx`` itself when it is a context (with ``as_of`` /
        ``config`` applied when given), else a new company context on the connection."""
        if isinstance(con_or_ctx, MetricContext):
            changes = {}
            if as_of is not None and as_date(as_of) != con_or_ctx.as_of:
                changes["as_of"] = as_of
            if config is not None and config is not con_or_ctx.config:
                changes["config"] = config
            return con_or_ctx.replace(**changes) if changes else con_or_ctx
        return cls(con_or_ctx, config=config, as_of=as_of)

    def replace(self, **changes) -> "MetricContext":
        """A context like this one with ``changes`` (scope, as_of, config, groupings), sharing the cursor
        and the cache."""
        return replace(self, **changes)

    def across(self, *kinds: str) -> "MetricContext":
        """This (company) context grouping by every scope of ``kinds`` in one pass."""
        return self.replace(groupings=tuple(kinds))

    def company(self) -> "MetricContext":
        """The company-wide context the norms are computed on (no scope, no groupings)."""
        if self.scope.is_company and not self.groupings:
            return self
        return self.replace(scope=ReportScope("company"), groupings=())

    # ------------------------------------------------------------------ running SQL
    @property
    def cursor(self) -> duckdb.DuckDBPyConnection:
        """The private cursor metrics run on (the caller's connection is never touched)."""
        return self._shared.get_cursor()

    def execute(self, sql: str, params: dict | None = None) -> list[tuple]:
        """Run ``sql`` on the private cursor and return every row (never leaves a result unread)."""
        return self.cursor.execute(sql, params or {}).fetchall()

    @property
    def multi(self) -> bool:
        """Whether results carry a ``scope`` column (the context groups by scope kinds)."""
        return bool(self.groupings)

    @property
    def narrowed(self) -> bool:
        """Whether some projects are left out or counted several times (a scope, or groupings)."""
        return self.multi or not self.scope.is_company

    def remember(self, key: tuple, compute):
        """``compute()``, remembered in this context (and the contexts derived from it)."""
        cache = self._shared.cache
        if key not in cache:
            cache[key] = compute()
        return cache[key]

    def setting(self, section: str, key: str, default):
        """``[section] key`` of the configuration."""
        return self.config.raw.get(section, {}).get(key, default)

    def __repr__(self) -> str:
        return (f"MetricContext(scope={str(self.scope)!r}, as_of={self.as_of}, groupings={self.groupings}, "
                f"config={self.config.source!r})")


__all__ = ["MetricContext", "GROUPINGS", "as_date", "default_config"]
