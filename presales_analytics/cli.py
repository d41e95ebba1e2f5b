"""The ``presales`` command line (contract in DESIGN.md).

Exit codes: 0 success; 1 rows were rejected (they are kept in ``rejects``); 2 unusable input,
nothing written; 3 the database is busy (another process holds it).
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import typer
import typer.core
from rich.console import Console
from rich.cells import cell_len
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import __version__
from .errors import InputError
from .presentation.exits import exit_on_error, fail, printable
from .store import connect, database_path, scratch_copy

def shown(text) -> str:
    """Text from an export or the database, for the terminal: control characters escaped (an ESC in a
    rejected value is printed as \\x1b, it does not colour the screen), rich markup escaped."""
    return escape(printable(text))


def flow(text: str) -> str:
    """Help text as the terminal should wrap it: each paragraph (lines between blank lines) joined into
    one line, so rich re-flows it to the width; a paragraph with an indented line (a list, an example)
    is kept line by line. Brackets are escaped: help text holds no rich markup, and ``[default: …]`` or
    ``[reports] pdf`` would otherwise be taken for a style and vanish."""
    import inspect

    paragraphs = []
    for paragraph in inspect.cleandoc(text).split("\n\n"):
        lines = paragraph.split("\n")
        if not any(line[:1].isspace() for line in lines):
            joined = lines[0]
            for line in lines[1:]:     # Chinese runs on without a space; other text with one
                cjk = "\u3000" <= joined[-1:] <= "\u9fff" and "\u3000" <= line[:1] <= "\u9fff"
                joined += ("" if cjk else " ") + line
            paragraph = joined
        paragraphs.append(paragraph)
    return escape("\n\n".join(paragraphs))


def _tidy(command) -> None:
    """Flowed, escaped help for a command and each of its options and arguments (see :func:`flow`)."""
    if command.help:
        command.help = flow(command.help)
    for param in command.params:
        if getattr(param, "help", None):
            param.help = flow(param.help)


def _flags_without_metavar(params):
    """A flag takes no value: no metavar in the help (typer shows its type, ``<bool>``, otherwise;
    ``--help`` included). Options with a value keep theirs (``<str>``, ``<path>``, an explicit one)."""
    for param in params:
        if getattr(param, "is_flag", False):
            param.metavar = ""
    return params


def _given(ctx, name: str) -> bool:
    """Whether option ``name`` was typed on the command line (not taken from $PRESALES_DB or a default)."""
    source = ctx.get_parameter_source(name)   # typer's own copy of click's ParameterSource: compared by name
    return getattr(source, "name", None) == "COMMANDLINE"


def _database_option(ctx) -> None:
    """``--db`` works before the subcommand (``presales --db X load F``) and after it (``presales load F
    --db X``): a command's ``db`` becomes the one typed on the command line, wherever it was, else
    $PRESALES_DB, else None (the default database). Both typed and naming different files: exit 2, as
    neither can be assumed to be the one meant."""
    if "db" not in ctx.params:
        return
    root = ctx.find_root()
    if root is ctx or not _given(root, "db"):
        return
    before = root.params["db"]
    if _given(ctx, "db") and ctx.params["db"] is not None:
        after = ctx.params["db"]
        if Path(after).resolve() != Path(before).resolve():
            fail(InputError(f"--db is given twice, as {str(before)!r} before the command and as {str(after)!r} "
                            "after it: give it once"))
        return
    ctx.params["db"] = before


class _Command(typer.core.TyperCommand):
    """Every presales command: help as :func:`flow` makes it, flags shown as flags, ``--db`` taken from
    before the subcommand too (:func:`_database_option`)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _tidy(self)

    def get_params(self, ctx):
        return _flags_without_metavar(super().get_params(ctx))

    def invoke(self, ctx):
        _database_option(ctx)
        return super().invoke(ctx)


class _Group(typer.core.TyperGroup):
    """``presales`` and its command groups (config, export): as :class:`_Command`."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _tidy(self)

    def get_params(self, ctx):
        return _flags_without_metavar(super().get_params(ctx))


class _Typer(typer.Typer):
    """A typer app whose commands are :class:`_Command` and whose groups are :class:`_Group`."""

    def __init__(self, **kwargs) -> None:
        super().__init__(cls=_Group, rich_markup_mode="rich", add_completion=False, **kwargs)

    def command(self, *args, cls=_Command, **kwargs):
        return super().command(*args, cls=cls, **kwargs)


app = _Typer(help="presales-analytics: 售前项目审计考核. Load pipeline exports into DuckDB, "
                  "compute the audit, render reports.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)

DbOption = Annotated[Optional[Path], typer.Option(
    "--db", envvar="PRESALES_DB", help="DuckDB file [default: data/presales.duckdb, or $PRESALES_DB]")]
MappingOption = Annotated[Optional[Path], typer.Option(
    "--mapping", "-m", help="Mapping file (TOML) for headers and values the built-in aliases do not know")]
TableOption = Annotated[Optional[str], typer.Option(
    "--table", "-t", help="Canonical table the files feed: projects, stage_events, activities, documents, "
                          "targets [default: guessed from the headers]")]
EncodingOption = Annotated[Optional[str], typer.Option(
    "--encoding", help="CSV encoding: utf-8, gb18030 (gbk), utf-16 … [default: detected]")]
SheetOption = Annotated[Optional[str], typer.Option("--sheet", help="XLSX sheet name [default: the first]")]
UnitOption = Annotated[Optional[str], typer.Option(
    "--amount-unit", help="yuan or wan (万元) for amount columns whose header names no unit")]
OrderOption = Annotated[Optional[str], typer.Option(
    "--date-order", help="dmy or mdy: how to read dates written with the year last, e.g. 05/09/2026")]


@app.callback(invoke_without_command=True)
def _root(version: Annotated[bool, typer.Option("--version", help="Print the version and exit")] = False,
          db: Annotated[Optional[Path], typer.Option(
              "--db", envvar="PRESALES_DB", help="DuckDB file, for any command (it may also follow the command) "
                                                 "[default: data/presales.duckdb, or $PRESALES_DB]")] = None):
    if version:
        out.print(f"presales-analytics {__version__}")
        raise typer.Exit(0)


class _Bars:
    """A rich progress bar per file: bytes while reading, then the step being done."""

    def __init__(self) -> None:
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                                 TimeElapsedColumn(), console=err, transient=True)
        self.tasks: dict[str, int] = {}

    def __call__(self, file: str, step: str, done, total) -> None:
        name = Path(file).name
        if file not in self.tasks:
            self.tasks[file] = self.progress.add_task(name, total=total)
        task = self.tasks[file]
        if step == "reading" and done is not None:
            self.progress.update(task, completed=done, total=total, description=f"{name}: reading")
        elif step == "done":
            t = self.progress.tasks[task]
            self.progress.update(task, completed=t.total or 1, total=t.total or 1, description=f"{name}: done")
        else:
            self.progress.update(task, description=f"{name}: {step}")


def _run_load(files: list[Path], db: Path | None, *, dry_run: bool, **options):
    from .ingest.load import load

    with exit_on_error():
        bars = _Bars()
        # validate: checked against an in-memory copy, so nothing is written anywhere (not even a folder)
        con = scratch_copy(db, wait_seconds=None) if dry_run else connect(db, wait_seconds=None)
        try:
            with bars.progress:
                report = load(con, files, dry_run=dry_run, progress=bars, **options)
        finally:
            con.close()
    return report


def print_report(report, *, console: Console = out) -> None:
    """The summary table of a load: one row per file, then the first rejects and ignored headers."""
    table = Table(title="已载入 loaded" if report.written else "校验 validated (nothing written)")
    for name in ("file", "table", "format", "read", "loaded", "rejected", "warnings", "note"):
        table.add_column(name, justify="right" if name in ("read", "loaded", "rejected", "warnings") else "left")
    for f in report.files:
        fmt = f.file_format or ""
        if f.encoding:
            fmt += f" {f.encoding}"
        if f.sheet:
            fmt += f" [{f.sheet}]"
        note = "skipped: already loaded" if f.skipped else ("table guessed" if f.table_guessed else "")
        table.add_row(shown(Path(f.file).name), f.table, shown(fmt), f"{f.rows_read:,}",
                      "0" if f.skipped else f"{f.rows_loaded:,}",
                      f"[red]{f.rows_rejected:,}[/]" if f.rows_rejected else "0", f"{f.warnings:,}", note)
    console.print(table)
    for f in report.files:
        name = shown(Path(f.file).name)
        for line in f.notes:
            console.print(f"  {name}: {shown(line)}")
        for header, why in f.ignored.items():
            console.print(f"  {name}: [yellow]ignored column[/] {shown(repr(header))}: {shown(why)}")
        if f.first_rejects:
            rej = Table(title=f"{name}: first rejected rows (all are in table rejects)", title_justify="left")
            for col in ("row", "column", "value", "reason"):
                rej.add_column(col, overflow="fold")
            for r in f.first_rejects:
                rej.add_row(str(r.row), shown(r.column or ""), shown(r.value or ""), shown(r.reason))
            console.print(rej)


_LOAD_HELP = """Load exports (CSV, XLSX, Parquet, JSON/JSONL) into the database.

All files of one call land together or not at all. Rows that fail a check are kept in table
`rejects` and listed; the rest load. A file loaded before with the same options is skipped.

Exit: 0 nothing rejected, 1 rows rejected, 2 unusable input (nothing loaded), 3 database busy.

Example:

    presales load 商机台账.xlsx 阶段变更记录.csv --mapping crm.toml
"""


@app.command(help=_LOAD_HELP)
def load(files: Annotated[list[Path], typer.Argument(help="Export files", show_default=False)],
         mapping: MappingOption = None, table: TableOption = None,
         as_of: Annotated[Optional[str], typer.Option(
             "--as-of", help="Date the projects export was taken (YYYY-MM-DD): a snapshot; stage changes "
                             "between snapshots become stage events")] = None,
         encoding: EncodingOption = None, sheet: SheetOption = None, amount_unit: UnitOption = None,
         date_order: OrderOption = None, db: DbOption = None) -> None:
    report = _run_load(files, db, dry_run=False, mapping=mapping, table=table, as_of=as_of,
                       encoding=encoding, sheet=sheet, amount_unit=amount_unit, date_order=date_order)
    print_report(report)
    out.print(f"database: {escape(str(database_path(db)))}")
    raise typer.Exit(report.exit_code)


@app.command(help="""Check exports as `load` would, against what the database holds, and write nothing.

The checks run on an in-memory copy of the database (opened read-only, so a report reading it does
not make validate wait; a missing database is not created) and control characters in values are
shown escaped (\\x1b).

Exit codes as for `load`.

Example:

    presales validate 商机台账.xlsx --mapping crm.toml
""")
def validate(files: Annotated[list[Path], typer.Argument(help="Export files", show_default=False)],
             mapping: MappingOption = None, table: TableOption = None,
             encoding: EncodingOption = None, sheet: SheetOption = None, amount_unit: UnitOption = None,
             date_order: OrderOption = None, db: DbOption = None) -> None:
    report = _run_load(files, db, dry_run=True, mapping=mapping, table=table, encoding=encoding,
                       sheet=sheet, amount_unit=amount_unit, date_order=date_order)
    print_report(report)
    raise typer.Exit(report.exit_code)


@app.command(help="""Write a realistic demo export set under data/demo/, load it the way `presales load`
does, print what the database holds, then render one of every output for the latest complete
quarter under reports/: the audit report, a director review, a project summary, the dashboard and
the workbook (--no-render skips them).

Deterministic: the same --seed and --export-date give the same files. The exports are what a real
user has: an XLSX in 万元 with Chinese headers, a GBK stage-history CSV, activity, archive and
target CSVs, with 3 deliberately bad rows that end up in `rejects`.

Example:

    presales demo --export-date 2026-11-27
""")
def demo(out_dir: Annotated[Path, typer.Option("--out", help="Folder for the demo exports")] = Path("data/demo"),
         seed: Annotated[int, typer.Option(help="Random seed")] = 20261127,
         export_date: Annotated[Optional[str], typer.Option(
             "--export-date", help="The day the exports are taken (YYYY-MM-DD) [default: today]")] = None,
         projects: Annotated[int, typer.Option("--projects", help="About how many projects")] = 3000,
         reports_dir: Annotated[Path, typer.Option("--reports", help="Folder for the rendered outputs")] = Path("reports"),
         render: Annotated[bool, typer.Option("--render/--no-render", help="Render the reports, the dashboard "
                                              "and the workbook after loading")] = True,
         db: DbOption = None) -> None:
    from .demo import generate_demo
    from .summary import database_summary, print_summary

    try:
        day = date.fromisoformat(export_date) if export_date else date.today()
    except ValueError:
        fail(InputError(f"--export-date {export_date!r} is not a date; write it as YYYY-MM-DD"))
    path = database_path(db)
    with exit_on_error():
        con = connect(path, wait_seconds=None)
        try:
            foreign = con.execute("SELECT count(*) FROM load_log WHERE NOT contains(file, $d)",
                                  {"d": str(out_dir)}).fetchall()[0][0]
            if foreign:
                fail(InputError(f"{path} already holds {foreign} load(s) of other files; run the demo into "
                                "its own database: presales demo --db data/demo.duckdb"))
            err.print(f"writing demo exports to {escape(str(out_dir))} (export date {day}) …")
            files = generate_demo(out_dir, seed=seed, export_date=day, n_projects=projects)
            from .ingest.load import load as load_files

            bars = _Bars()
            with bars.progress:
                report = load_files(con, files.all(), progress=bars)
            print_report(report)
            print_summary(database_summary(con), console=out)
        finally:
            con.close()
    out.print(f"database: {escape(str(path))}")
    if render:
        _render_showcase(path, reports_dir)


def _render_showcase(path: Path, reports_dir: Path) -> None:
    """The demo's last step: one of every output for the latest complete quarter, paths printed."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from .reports.render import RenderError
    from .showcase import render_showcase

    with Progress(SpinnerColumn(), TextColumn("rendering {task.description}"), TimeElapsedColumn(),
                  console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("", total=None)
        with exit_on_error({RenderError: 2}):
            paths = render_showcase(path.resolve(), reports_dir,
                                    step=lambda what: bar.update(task, description=escape(what)))
    out.print("rendered:")
    for p in paths:
        out.print(f"  {escape(str(p))}", soft_wrap=True)
    out.print(f"  {escape(str(reports_dir / 'index.html'))}", soft_wrap=True)



def metrics_help() -> str:
    """``presales metrics --help``, from the metric registry (names, titles, --by dimensions)."""
    from .metrics import SPECS
    from .metrics.base import DIMENSIONS

    names = "\n".join(f"  {name:<17} {spec.zh} / {spec.en}" for name, spec in SPECS.items())
    only = "".join(f" {name} takes only --by {'|'.join(spec.by_values)}: the role whose scorecard it shows (the same "
                   "as -o role=)." for name, spec in SPECS.items() if spec.by_values)
    return f"""Compute one metric and print it as a table, CSV or JSON.

NAME is one of (presales metrics --list shows each one's definition and denominator):

{names}

--by takes a column of projects: {", ".join(DIMENSIONS)}.{only}

--scope narrows to a region, department or director (region:华东, director:张伟).

Definitions and denominators: docs/metrics.md. The table output states the denominator; CSV and JSON carry the numbers only (rates as fractions, amounts in yuan).

Example:

    presales metrics win-rate --period 2026-Q3 --by director --format csv

    presales metrics members --period 2026-Q3 --by monitor
"""


class _MetricsCommand(_Command):
    """The metrics command, whose help text is read from the registry only when it is shown (the
    registry imports pandas; other commands should not pay for it)."""

    def format_help(self, ctx, formatter):
        self.help = flow(metrics_help())
        return super().format_help(ctx, formatter)


#: What -o cannot set, and where the command line takes it instead.
_NOT_AN_OPTION = {"as_of": "--as-of", "scope": "--scope", "period": "--period", "db": "--db", "format": "--format",
                  "fmt": "--format", "name": "the metric's name",
                  "config": "PRESALES_CONFIG or a presales.toml in the working folder"}


def cli_options(spec) -> list[str]:
    """The options of a metric that ``-o key=value`` sets (``stalled_projects`` is the library's internal
    reuse of a computed frame, not text a user can give)."""
    return [o.name for o in spec.options if o.name != "stalled_projects"]


def check_cli_option(name: str, key: str, *, flag: str | None = None) -> None:
    """Refuse ``-o key=…`` unless ``key`` is an option of metric ``name``, naming the real ones (a key the
    command line sets with its own flag is pointed there: ``-o as_of=…`` ended in a traceback). ``flag``:
    the option was given as that flag (--basis), not as -o."""
    from .metrics import SPECS

    if key in _NOT_AN_OPTION:
        raise InputError(f"-o {key}: use {_NOT_AN_OPTION[key]}")
    spec = SPECS.get(name)
    if spec is None:                      # compute_metric says the name is unknown
        return
    allowed = cli_options(spec) + (["by"] if spec.by and "by" not in cli_options(spec) else [])
    if key in allowed:
        return
    own = [o for o in allowed if o != "by"]
    flags = "--period, --scope, --as-of" + (", --by" if spec.by else "")
    raise InputError(f"metric {name} has no option {key!r}" + (f" ({flag})" if flag else "") + "; "
                     + (f"its -o options are: {', '.join(own)}" if own else
                        f"it takes no -o option (its settings: {flags})"))


def list_metrics() -> None:
    """``presales metrics --list``: every metric with its definition, denominator and options."""
    from .metrics import SPECS

    table = Table(title="presales metrics NAME — definitions: docs/metrics.md", show_lines=True)
    table.add_column("name", no_wrap=True)
    table.add_column("指标 / metric", overflow="fold", ratio=1)
    table.add_column("分母 / denominator", overflow="fold", ratio=2)
    for name, spec in SPECS.items():
        options = cli_options(spec) + ([f"--by {'|'.join(spec.by_values)}" if spec.by_values else "--by"] if spec.by else [])
        table.add_row(name, f"{spec.zh}\n{spec.en}" + (f"\n[dim]{', '.join(options)}[/dim]" if options else ""),
                      escape(spec.denominator_zh))
    out.print(table)


@app.command(cls=_MetricsCommand, help="Compute one metric and print it as a table, CSV or JSON.")
def metrics(name: Annotated[Optional[str], typer.Argument(help="Metric name, e.g. win-rate", show_default=False)] = None,
            period: Annotated[Optional[str], typer.Option(
                "--period", "-p", help="2026, 2026-H1, 2026-Q3, 2026-09, 2026-W37, 2026-07-01..2026-09-30, all "
                                       "[default: all]")] = None,
            by: Annotated[Optional[str], typer.Option(
                "--by", help="Break down by a projects column (the list: presales metrics --help); members: "
                             "manager, monitor or planner, the role")] = None,
            scope: Annotated[str, typer.Option(
                "--scope", help="company, region:<name>, department:<name> or director:<name>")] = "company",
            as_of: Annotated[Optional[str], typer.Option(
                "--as-of", help="Use only what was known on this date (YYYY-MM-DD)")] = None,
            fmt: Annotated[str, typer.Option("--format", "-f", help="table, csv or json")] = "table",
            basis: Annotated[Optional[str], typer.Option(
                "--basis", help="win-rate: closed (closed in the period, default) or cohort (created in it)")] = None,
            exclude_abandoned: Annotated[bool, typer.Option(
                "--exclude-abandoned", help="win-rate: leave abandoned projects out of the denominator")] = False,
            option: Annotated[Optional[list[str]], typer.Option(
                "--option", "-o", help="Other metric options as key=value (see presales metrics --list)")] = None,
            show_list: Annotated[bool, typer.Option("--list", help="List the metrics and exit")] = False,
            db: DbOption = None) -> None:
    if show_list:
        list_metrics()
        return
    if not name:
        fail(InputError("give a metric name (presales metrics --list shows them)"))
    if fmt not in ("table", "csv", "json"):
        fail(InputError(f"--format {fmt!r} must be table, csv or json"))
    kwargs: dict = {}
    if by:
        kwargs["by"] = by
    if basis:
        kwargs["basis"] = basis
    if exclude_abandoned:
        kwargs["exclude_abandoned"] = True
    for key, flag in (("basis", "--basis"), ("exclude_abandoned", "--exclude-abandoned")):
        if key in kwargs:
            with exit_on_error():
                check_cli_option(name, key, flag=flag)
    for item in option or []:
        key, sep, value = item.partition("=")
        if not sep:
            fail(InputError(f"--option {item!r} must be key=value"))
        key = key.strip().replace("-", "_")
        with exit_on_error():
            check_cli_option(name, key)
        kwargs[key] = value.strip()
    emit(compute_metric(db, scope, as_of, name, period, require_begun_period=True, **kwargs), fmt)


def compute_metric(db, scope: str, as_of, name: str, period, *, require_begun_period: bool, **options):
    """One metric on the database read-only, in ``scope`` as of ``as_of``; errors exit as the CLI's
    contract says. ``require_begun_period``: a period that has not begun in the data is refused (exit 2)."""
    with exit_on_error():
        from .config import load_config
        from .metrics import MetricContext, compute
        from .metrics.base import check_scope, data_date
        from .periods import Period, require_begun

        config = load_config()
        con = connect(db, read_only=True, config=config, wait_seconds=None)
        try:
            with MetricContext(con, scope=scope, config=config, as_of=as_of) as ctx:
                check_scope(ctx)
                if period and require_begun_period:
                    require_begun(Period.parse(period), data_date(ctx))
                return compute(ctx, name, period, **options)
        finally:
            con.close()


def emit(df, fmt: str) -> None:
    """A metric's frame on stdout: CSV, JSON (numbers only) or a table with its denominator."""
    for column in df.columns:            # dates as dates (2026-09-05), not midnight timestamps
        if df[column].dtype.kind == "M":
            df[column] = df[column].dt.strftime("%Y-%m-%d")
    if fmt == "csv":
        sys.stdout.write(df.to_csv(index=False, lineterminator="\n"))
    elif fmt == "json":
        sys.stdout.write(df.to_json(orient="records", force_ascii=False, date_format="iso", indent=1) + "\n")
    else:
        print_frame(df)


_FORECAST_HELP = """预测: the calibrated chance of winning within the horizon for every project open on the as-of date,
the period's expected bookings with a P10-P90 range, and how good these probabilities were on the backtest.

--level: project (one row per open project: project_id, stage, amount, p_win, expected_amount, factors,
model), period (expected wins and amount with P10/P50/P90 against target and weighted pipeline), backtest
(Brier score, skill, log loss, AUC per model; the chosen one), calibration (reliability deciles), table (the
baseline's stage x age conversion), accuracy (past quarters' forecasts against what was booked).

The horizon: --horizon DAYS, else to the end of --period, else [forecast] horizon_days (180). The model
chosen and why are printed under the table (on stderr with --format csv/json). docs/forecast.md.

Example:

    presales forecast --period 2026-Q4
    presales forecast --as-of 2026-06-30 --format csv
    presales forecast --level backtest
"""


@app.command(help=_FORECAST_HELP)
def forecast(as_of: Annotated[Optional[str], typer.Option(
                 "--as-of", help="Forecast as of this date, with only what was known then (YYYY-MM-DD) "
                                 "[default: the latest date in the data]")] = None,
             horizon: Annotated[Optional[int], typer.Option(
                 "--horizon", help="Days after the as-of date a win counts in", min=1)] = None,
             period: Annotated[Optional[str], typer.Option(
                 "--period", "-p", help="The period to forecast (the horizon runs to its end), e.g. 2026-Q4")] = None,
             level: Annotated[str, typer.Option("--level", help="project, period, backtest, calibration, table "
                                                                "or accuracy")] = "project",
             scope: Annotated[str, typer.Option(
                 "--scope", help="company, region:<name>, department:<name> or director:<name>")] = "company",
             fmt: Annotated[str, typer.Option("--format", "-f", help="table, csv or json")] = "table",
             db: DbOption = None) -> None:
    if fmt not in ("table", "csv", "json"):
        fail(InputError(f"--format {fmt!r} must be table, csv or json"))
    if level == "period" and not period:
        fail(InputError("--level period needs --period (e.g. --period 2026-Q4)"))
    # a future period is what a forecast is for: not refused like the other metrics'
    df = compute_metric(db, scope, as_of, "forecast", period, require_begun_period=False, level=level,
                        horizon_days=horizon)
    if fmt != "table":
        options = df.attrs.get("options", {})
        err.print(f"model: {shown(str(options.get('why', '')))}", soft_wrap=True)
    emit(df, fmt)


RECORDS_MAX = 5      # a table wider than the terminal with this many rows or fewer is shown a record per block


def print_frame(df, *, console: Console = out) -> None:
    """A metric as a rich table, with its period, as-of date and denominator underneath.

    A table wider than the terminal is not squeezed into columns a letter wide: a few rows are shown one
    record per block (column, value), more rows keep the columns that fit, from the left, and a line names
    the hidden ones; either way a line says how to get every column (--format csv / json)."""
    title = f"{df.attrs.get('metric', '')}  {df.attrs.get('period', '')}".strip()
    names = [shown(str(column)) for column in df.columns]
    rows = [[shown(_cell(v)) for v in row] for row in df.itertuples(index=False)]
    right = [df[column].dtype.kind in "iufb" for column in df.columns]
    widths = [max([cell_len(n), *(cell_len(r[i]) for r in rows)]) for i, n in enumerate(names)]
    hidden: list[str] = []

    def fits(keep) -> bool:            # each column: its text, one space either side and a border
        return sum(widths[i] + 3 for i in keep) + 1 <= console.width

    if fits(range(len(names))) or not names:
        keep = list(range(len(names)))
    elif len(rows) <= RECORDS_MAX:
        keep = None
    else:
        keep = [0]
        for i in range(1, len(names)):
            if not fits([*keep, i]):
                break
            keep.append(i)
        hidden = names[len(keep):]
    if keep is None:                   # one block per record: column name, value
        console.print(title)
        for n, row in enumerate(rows, 1):
            block = Table(title=f"{n}/{len(rows)}" if len(rows) > 1 else None, show_header=False)
            block.add_column(overflow="fold")
            block.add_column(overflow="fold")
            for name, value in zip(names, row):
                block.add_row(name, value)
            console.print(block)
    else:
        table = Table(title=title)
        for i in keep:
            table.add_column(names[i], justify="right" if right[i] else "left", overflow="fold")
        for row in rows:
            table.add_row(*(row[i] for i in keep))
        console.print(table)
    if hidden:
        console.print(f"{len(hidden)} of {len(names)} columns hidden to fit {console.width} columns: "
                      f"{', '.join(hidden)}")
    if hidden or keep is None:
        console.print("everything, one row a line: --format csv (or --format json)")
    attrs = df.attrs
    if attrs.get("as_of"):
        console.print(f"as of {attrs['as_of']}")
    if attrs.get("denominator"):
        console.print(f"denominator: {shown(str(attrs['denominator']))}")
    for key, value in (attrs.get("options") or {}).items():
        console.print(f"{shown(str(key))}: {shown(str(value))}")


def _cell(v) -> str:
    import math

    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float):
        return f"{v:,.4f}" if abs(v) < 10 else f"{v:,.2f}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    return str(v)


_REPORT_HELP = """Render a report notebook (papermill) to offline HTML (nbconvert) under reports/.

KIND is one of:

  audit            审计考核报告, the periodic audit
  director-review  项目总监评价报告, one director's review
  member-review    项目成员评价报告, one 项目经理 / 监控人 / 规划经理
  project-summary  项目总结, one finished project

--scope narrows an audit to company, region:<name>, department:<name> or director:<name>; a director
review needs --scope director:<name>, a member review manager:<name>, monitor:<name> or planner:<name>,
a project summary --scope project:<project id> (its period
defaults to the quarter the project closed in).

Writes reports/<period>/<kind>[-<scope>][-redacted][-en].html beside the executed notebook, and
reports/index.html; with --pdf also the .pdf beside the HTML (A4, printed by headless Chromium with a
CJK font: apt-get install chromium fonts-noto-cjk). A failing cell exits 2, names the cell, keeps the executed notebook (.failed.ipynb) and
publishes no HTML. --due renders the audit of every month, quarter and year that has ended in the
data and has no report yet; safe from cron (one run at a time: a second run exits 3 and does nothing).
--due --dry-run lists what --due would render and what it would skip, and why, and writes nothing.

Example:

    presales report audit --period 2026-Q3 --scope region:华东
    presales report director-review --scope director:张伟 --period 2026-Q3
    presales report member-review --scope manager:陈静 --period 2026-Q3
    presales report project-summary --scope project:SQ-2025-0168
    presales report audit --period 2026-Q3 --pdf
    presales report --due
    presales report --due --dry-run
"""


@app.command(help=_REPORT_HELP)
def report(kind: Annotated[str, typer.Argument(help="audit, director-review, member-review or project-summary")]
           = "audit",
           period: Annotated[Optional[str], typer.Option("--period", "-p", help="Default: the latest complete "
                                                         "quarter in the data")] = None,
           scope: Annotated[str, typer.Option("--scope", "-s", help="company, region:<name>, department:<name>, "
                                              "director:<name>, manager:<name>, monitor:<name>, planner:<name> "
                                              "or project:<id>")] = "company",
           lang: Annotated[str, typer.Option("--lang", help="zh or en")] = "zh",
           redact: Annotated[bool, typer.Option("--redact", help="Pseudonyms for customer and project names")] = False,
           as_of: Annotated[Optional[str], typer.Option("--as-of", help="Use only what was known then")] = None,
           out_dir: Annotated[Path, typer.Option("--out", help="Folder of rendered reports")] = Path("reports"),
           due: Annotated[bool, typer.Option("--due", help="Render every period that has ended in the data and "
                                                         "has no report yet (for cron; one run at a time)")] = False,
           dry_run: Annotated[bool, typer.Option("--dry-run", help="With --due: list what would be rendered "
                                                 "and what skipped, and why; write nothing")] = False,
           pdf: Annotated[Optional[bool], typer.Option("--pdf/--no-pdf", help="Also print the report to PDF (A4) "
                                                       "beside the HTML, with headless Chromium [default: off; for "
                                                       "--due, [reports] pdf]")] = None,
           db: DbOption = None) -> None:
    from .reports.kinds import ReportRequest, resolve_request
    from .reports.render import RenderError, render_notebook
    from .pdf import PdfError, chromium, print_pdf
    from .presentation.index import write_index
    from .reports.schedule import ReportsBusyError, plan_due, render_due

    if dry_run and not due:
        fail(InputError("--dry-run goes with --due: presales report --due --dry-run"))
    database = database_path(db).resolve()
    progress = sys.stderr.isatty()
    if due:
        from .config import load_config
        from .reports.kinds import notebook_path

        with exit_on_error():
            config = load_config()
        want_pdf = bool(config.raw.get("reports", {}).get("pdf", False)) if pdf is None else pdf
        if dry_run:
            with exit_on_error():
                plan = plan_due(database, out_dir, config=config)
            for item in plan.items:
                out.print(escape(f"{'would render' if item.render else 'skip'} {item}"
                                 f"{' (and its PDF)' if item.render and want_pdf else ''}"), soft_wrap=True)
            n = sum(item.render for item in plan.items)
            out.print(f"dry run: {n} would be rendered, {len(plan.items) - n} skipped; nothing written")
            return
        if want_pdf:
            with exit_on_error():
                chromium()                  # before anything renders: say what to install

        def render_audit(p, target):
            done = render_notebook(notebook_path("audit"), target, progress=progress, parameters={
                "period": str(p), "database": str(database), "scope": "company", "lang": lang, "redact": redact,
                "as_of": as_of or ""})
            if want_pdf:
                print_pdf(done.html)
            return done

        with exit_on_error({ReportsBusyError: 3, RenderError: 2, PdfError: 2}):
            render_due(database, out_dir, config=config, render=render_audit,
                       log=lambda line: out.print(escape(line)))
        return
    with exit_on_error():
        request: ReportRequest = resolve_request(kind, database, period=period, scope=scope, lang=lang,
                                                 redact=redact, as_of=as_of)
        if pdf:
            chromium()                      # before rendering: say what to install
    if not period:
        err.print(f"period: {request.period} ({request.period_reason})")
    with exit_on_error({RenderError: 2}):
        rendered = render_notebook(request.notebook, out_dir / request.relative_path, progress=progress,
                                   parameters=request.parameters)
    out.print(str(rendered.html), soft_wrap=True)
    if pdf:
        with exit_on_error({PdfError: 2}):
            out.print(str(print_pdf(rendered.html)), soft_wrap=True)
    write_index(out_dir)


config_app = _Typer(help="The effective configuration (built-in defaults and presales.toml).",
                    no_args_is_help=True)
app.add_typer(config_app, name="config")


@config_app.command("show", help="""Print the effective configuration as TOML.

The built-in defaults overlaid by ./presales.toml (or $PRESALES_CONFIG).

Example:

    presales config show
""")
def config_show() -> None:
    from .config import dump_toml, load_config

    with exit_on_error():
        cfg = load_config()
    out.print(f"# effective configuration: built-in defaults{'' if cfg.source == 'built-in defaults' else ' + ' + cfg.source}",
              markup=False, highlight=False)
    out.print(dump_toml(cfg.raw), markup=False, highlight=False, soft_wrap=True)

from .exporting.command import XLSX_HELP, xlsx_command  # noqa: E402  (light: heavy imports run inside)

export_app = _Typer(help="Exports for spreadsheets: presales export xlsx.", no_args_is_help=True)
app.add_typer(export_app, name="export")
export_app.command("xlsx", help=XLSX_HELP)(xlsx_command)

from .dashboard.command import HELP as DASHBOARD_HELP, dashboard_command  # noqa: E402  (heavy imports inside)

app.command("dashboard", help=DASHBOARD_HELP)(dashboard_command)

if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
