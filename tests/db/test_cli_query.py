"""`adtquery import`, `adtquery query` and the REPL's rows, through `main` on a real database."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from adtquery.cli import repl
from adtquery.cli.main import format_table, main
from adtquery.db import connect as connect_module
from adtquery.db.connect import connect, database_url
from tests.db.conftest import throwaway_database

pytestmark = pytest.mark.db
FIXTURE = Path(__file__).parent / "fixtures" / "building.ndjson"
UNREACHABLE = "postgresql://postgres@127.0.0.1:9/nothing?connect_timeout=2"


@pytest.fixture(scope="module")
def url(schema_url: str) -> str:
    assert main(["import", str(FIXTURE), "--database-url", schema_url]) == 0
    return schema_url


def test_importing_again_is_refused(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", str(FIXTURE), "--database-url", url]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(
        "ValidationFailed: Line 8: the Models section: Model with id dtmi:test:Space;1 already "
        "exists."
    )


def test_import_prints_a_summary(server_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    with throwaway_database(server_url) as fresh:
        assert main(["import", str(FIXTURE), "--database-url", fresh]) == 0
    out, err = capsys.readouterr()
    assert re.fullmatch(
        r"Imported 4 models, 3 twins and 3 relationships in \d+\.\d s "
        r"\([\d,]+ entities per second\)\.\n",
        out,
    )
    assert err == ""  # no progress line: stderr is not a terminal


def test_import_reads_standard_input(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        {"Section": "Header"},
        {"fileVersion": "1.0.0"},
        {"Section": "Twins"},
        {"$dtId": "floor1", "$metadata": {"$model": "dtmi:test:Floor;1"}},
    ]
    stdin = _Stdin("".join(json.dumps(line) + "\n" for line in lines).encode())
    monkeypatch.setattr("sys.stdin", stdin)
    assert main(["import", "-", "--database-url", url]) == 1
    err = capsys.readouterr().err
    assert err == "line 4: twin floor1: a digital twin with this $dtId already exists\n"


def test_import_of_a_missing_file(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", "/nonexistent/x.ndjson", "--database-url", url]) == 2
    assert "No such file or directory" in capsys.readouterr().err


def test_query_prints_a_table(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    query = "SELECT T.$dtId, T.name, T.temperature FROM DIGITALTWINS T WHERE T.name != 'Floor 1'"
    assert main(["query", query, "--database-url", url]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "$dtId | name       | temperature",
        "------+------------+------------",
        "room1 | Room 1     | 21.5",
        "room2 | Zimmer 2 ✓ | 19",
        "(2 rows)",
    ]


def test_query_table_columns_are_the_union_of_keys(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    query = "SELECT T.$dtId, T.temperature, T.thermostat FROM DIGITALTWINS T"
    assert main(["query", query, "--page-size", "1", "--database-url", url]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split(" | ") == ["$dtId ", "temperature", "thermostat"]
    # floor1 has no temperature and no thermostat: empty cells
    assert [cell.strip() for cell in lines[2].split("|")] == ["floor1", "", ""]
    assert '{"setpoint":21,"$metadata":{' in lines[3]  # nested values as compact JSON
    assert lines[-1] == "(3 rows)"


def test_query_count_is_a_single_value(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "SELECT COUNT() FROM DIGITALTWINS", "--database-url", url]) == 0
    assert capsys.readouterr().out == "3\n"


def test_query_json_has_the_rows_of_every_page(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    query = "SELECT R.$relationshipId FROM RELATIONSHIPS R"
    assert main(["query", query, "--json", "--page-size", "1", "--database-url", url]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert sorted(row["$relationshipId"] for row in rows) == [
        "floor1-room1",
        "floor1-room2",
        "room1-room2",
    ]


def test_query_from_standard_input_and_the_environment(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ADTQUERY_DATABASE_URL", url)
    monkeypatch.setattr("sys.stdin", _Stdin(b"SELECT COUNT() FROM RELATIONSHIPS\n"))
    assert main(["query", "-"]) == 0
    assert capsys.readouterr().out == "3\n"


def test_a_refused_query_is_rendered_and_needs_no_database(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["query", "SELECT * FROM DIGITALTWINS WHERE", "--database-url", UNREACHABLE]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("SqlQueryError: ")
    assert err.endswith("  SELECT * FROM DIGITALTWINS WHERE\n                                  ^\n")


def test_an_unreachable_database_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "SELECT * FROM DIGITALTWINS", "--database-url", UNREACHABLE]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("database error: connection failed")


def test_repl_shows_rows_below_the_translation(url: str) -> None:
    with connect(url) as conn:
        shown = repl.respond(
            "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.$dtId = 'room1'", False, conn
        )
        counted = repl.respond("SELECT COUNT() FROM DIGITALTWINS", False, conn)
        refused = repl.respond("SELECT * FROM DIGITALTWINS WHERE", False, conn)
    assert shown.endswith("\n-- rows\n$dtId\n-----\nroom1\n(1 row)")
    assert counted.endswith("\n-- rows\n3")
    assert refused.startswith("SqlQueryError: ")
    assert "-- rows" not in refused


def test_repl_shows_the_first_rows_of_a_long_result(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(repl, "SHOWN_ROWS", 2)
    with connect(url) as conn:
        shown = repl.respond("SELECT T.$dtId FROM DIGITALTWINS T", False, conn)
    assert shown.endswith("\n(first 2 rows; more follow)")


def test_format_table_aligns_wide_characters() -> None:
    table = format_table([{"a": "表"}, {"a": "xyz", "b": None}, {"b": ""}])
    assert table.splitlines() == [
        "a   | b",
        "----+-----",
        "表  |",
        "xyz | null",
        '    | ""',
        "(3 rows)",
    ]
    assert format_table([]) == "(0 rows)"


def test_database_url_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connect_module.local, "start", lambda: "local")
    monkeypatch.delenv("ADTQUERY_DATABASE_URL", raising=False)
    assert database_url(None) == "local"
    monkeypatch.setenv("ADTQUERY_DATABASE_URL", "")
    assert database_url(None) == "local"
    monkeypatch.setenv("ADTQUERY_DATABASE_URL", "env")
    assert database_url(None) == "env"
    assert database_url("explicit") == "explicit"


class _Stdin:
    """Standard input with a binary buffer, as `adtquery import -` and `query -` read it."""

    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)

    def read(self) -> str:
        return self.buffer.read().decode()
