"""A short account of what a database holds (printed by ``presales demo`` and usable anywhere)."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
from rich.console import Console
from rich.table import Table


@dataclass(frozen=True)
class DatabaseSummary:
    projects: int
    by_status: dict[str, int]
    first_created: object
    last_date: object            # the latest date anywhere in projects or events
    directors: int
    regions: int
    channels: int
    events_by_source: dict[str, int]
    activities: int
    documents: int
    targets: int
    loads: int
    rejects: int
    warnings: int


def database_summary(con: duckdb.DuckDBPyConnection) -> DatabaseSummary:
    one = lambda sql: con.execute(sql).fetchall()[0][0]  # noqa: E731
    status = dict(con.execute("SELECT status, count(*) FROM projects GROUP BY ALL ORDER BY 1").fetchall())
    sources = dict(con.execute("SELECT source, count(*) FROM stage_events GROUP BY ALL ORDER BY 1").fetchall())
    return DatabaseSummary(
        projects=one("SELECT count(*) FROM projects"), by_status=status,
        first_created=one("SELECT min(created_at) FROM projects"),
        last_date=one("SELECT greatest(max(closed_at), max(created_at), (SELECT max(entered_at) FROM stage_events)) "
                      "FROM projects"),
        directors=one("SELECT count(DISTINCT director) FROM projects"),
        regions=one("SELECT count(DISTINCT region) FROM projects"),
        channels=one("SELECT count(DISTINCT channel) FROM projects"),
        events_by_source=sources, activities=one("SELECT count(*) FROM activities"),
        documents=one("SELECT count(*) FROM documents"), targets=one("SELECT count(*) FROM targets"),
        loads=one("SELECT count(*) FROM load_log"), rejects=one("SELECT count(*) FROM rejects"),
        warnings=one("SELECT count(*) FROM data_quality"))


def print_summary(s: DatabaseSummary, *, console: Console) -> None:
    t = Table(title="数据库概况 database summary", show_header=False)
    t.add_column("what")
    t.add_column("value", justify="right")
    t.add_row("项目 projects", f"{s.projects:,}")
    for status, n in s.by_status.items():
        t.add_row(f"  {status}", f"{n:,}")
    t.add_row("创建日期 created", f"{s.first_created} … {s.last_date}")
    t.add_row("项目总监 directors / 区域 regions / 渠道商 channel partners",
              f"{s.directors} / {s.regions} / {s.channels}")
    for source, n in s.events_by_source.items():
        t.add_row(f"阶段事件 stage events ({source})", f"{n:,}")
    t.add_row("活动 activities / 档案 documents / 目标 targets", f"{s.activities:,} / {s.documents:,} / {s.targets:,}")
    t.add_row("载入 loads / 拒绝 rejected values / 数据质量 warnings", f"{s.loads} / {s.rejects:,} / {s.warnings:,}")
    console.print(t)
