"""The bad-input corpus (tests/corpus/make_corpus.py) through the real CLI: for every case the exit
code, the message fragments, the rejects and data_quality rows, the counts of its load, the
invariant rows read = loaded + flagged + rejected + collapsed, and, for unusable input (exit 2),
every table's checksum unchanged."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

import presales_analytics as pa
from presales_analytics.cli import app
from presales_analytics.ingest.load import load

sys.path.insert(0, str(Path(__file__).parent / "corpus"))
from make_corpus import CASES, Case, write_base, write_case  # noqa: E402


@pytest.fixture(scope="module")
def base_db(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("corpus_base")
    db = folder / "base.duckdb"
    con = pa.connect(db)
    report = load(con, write_base(folder / "files"))
    assert report.rows_rejected == 0 and report.rows_loaded == 6
    con.close()
    return db


def checksums(db: Path) -> dict[str, tuple]:
    """Every table's row count and an order-free hash of its rows."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        return {t: con.execute(f'SELECT count(*), bit_xor(hash(x)) FROM "{t}" x').fetchall()[0] for t in tables}
    finally:
        con.close()


def test_the_corpus_covers_every_kind_and_has_enough_cases():
    kinds = {c.kind for c in CASES}
    assert {"amount", "number", "date", "value", "rule", "flag", "collapse", "xlsx", "hostile", "unusable"} <= kinds
    assert len(CASES) >= 120
    assert len({c.name for c in CASES}) == len(CASES)
    assert {c.exit for c in CASES} == {0, 1, 2}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Case, base_db: Path, tmp_path: Path):
    folder = write_case(case, tmp_path / "files")
    db = tmp_path / "presales.duckdb"
    shutil.copy(base_db, db)
    before = checksums(db)
    given = case.load if case.load is not None else tuple(n for n in case.files if not n.endswith(".toml"))
    args = [str(folder / n) for n in given] + [a.replace("{dir}", str(folder)) for a in case.args]
    result = CliRunner().invoke(app, ["load", "--db", str(db), *args], env={"COLUMNS": "200"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == case.exit, (result.stdout, result.stderr)
    output = " ".join((result.stderr if case.exit == 2 else result.stdout).split())
    assert "Traceback" not in result.stdout + result.stderr
    assert "\x1b" not in result.stdout + result.stderr
    for fragment in case.says:
        assert fragment in output, output

    if case.exit == 2:
        assert checksums(db) == before
        assert result.stderr.strip().startswith("error:") and len(result.stderr.strip().splitlines()) == 1
        return
    con = duckdb.connect(str(db), read_only=True)
    try:
        logged = con.execute("""SELECT load_id, file_name, rows_read, rows_loaded, rows_flagged, rows_rejected,
                                       rows_collapsed FROM load_log WHERE load_id > 2 ORDER BY load_id""").fetchall()
        assert logged, "nothing logged"
        for load_id, name, read, loaded, flagged, rejected, collapsed in logged:
            assert read == loaded + flagged + rejected + collapsed, name
            assert con.execute('SELECT count(DISTINCT "row") FROM rejects WHERE load_id = $i',
                               {"i": load_id}).fetchall()[0][0] == rejected
            assert name in result.stdout
        if case.counts:
            assert tuple(logged[-1][2:]) == case.counts
        rejects = con.execute('SELECT "row", "column", value, reason FROM rejects WHERE load_id > 2 '
                              'ORDER BY "row", "column"').fetchall()
        assert len(rejects) == len(case.rejects), rejects
        for (row, column, value, reason), (want_row, want_column, want_value, why) in zip(rejects, case.rejects):
            assert (row, value) == (want_row, want_value) and column.startswith(want_column), rejects
            assert why in reason, reason
        flags = con.execute('SELECT "row", rule FROM data_quality WHERE load_id > 2 ORDER BY "row", rule').fetchall()
        assert flags == list(case.flags)
        assert (case.exit == 1) == bool(rejects)
        if case.stored:
            sql, rows = case.stored
            assert con.execute(sql).fetchall() == rows
    finally:
        con.close()
