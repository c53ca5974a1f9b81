"""`adtquery translate` and `adtquery db status`, called through `main` (and once as a script)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from adtquery.cli.main import main
from adtquery.compiler import compile_query
from adtquery.db import local

ROOMS = "SELECT T FROM DIGITALTWINS T WHERE IS_OF_MODEL(T, 'dtmi:example:Room;1') AND T.name = 'é'"
SCRIPT = Path(sys.executable).with_name("adtquery")


def test_translate_prints_cypher_then_params(capsys: pytest.CaptureFixture[str]) -> None:
    query = "SELECT T FROM DIGITALTWINS T WHERE T.name = 'x'"
    assert main(["translate", query]) == 0
    out, err = capsys.readouterr()
    assert out == f'{compile_query(query).cypher}\n-- params\n{{"p0": "x"}}\n'
    assert err == ""


def test_translate_shows_model_sets_and_keeps_non_ascii(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["translate", ROOMS]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-4:] == [
        "-- params",
        '{"p0": "é"}',
        "-- model sets (expanded through inheritance when run)",
        '{"m0": "dtmi:example:Room;1"}',
    ]


def test_translate_sql_adds_the_first_page(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["translate", "--sql", "SELECT * FROM DIGITALTWINS"]) == 0
    out = capsys.readouterr().out
    head, sql = out.split("-- paged SQL (page 1)\n")
    assert head.startswith("MATCH")
    assert sql == compile_query("SELECT * FROM DIGITALTWINS").paged.first + "\n"


def test_translate_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["translate", "--json", ROOMS]) == 0
    translation = json.loads(capsys.readouterr().out)
    compiled = compile_query(ROOMS)
    assert translation == {
        "cypher": compiled.cypher,
        "params": {"p0": "é"},
        "model_sets": {"m0": "dtmi:example:Room;1"},
        "sql": {"first": compiled.paged.first, "next": compiled.paged.next},
    }


def test_refused_query_exits_1_with_a_caret_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["translate", "SELECT * FROM FOO"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    first, *snippet = err.splitlines()
    assert first.startswith("SqlQueryError: ")
    assert first.endswith("(line 1, column 15)")
    assert snippet == ["  SELECT * FROM FOO", "                ^^^"]


def test_query_from_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("SELECT * FROM DIGITALTWINS\n"))
    assert main(["translate", "-"]) == 0
    assert capsys.readouterr().out.startswith("MATCH")


def test_stdin_trailing_newline_does_not_move_the_caret(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("SELECT * FROM DIGITALTWINS WHERE\n"))
    assert main(["translate", "-"]) == 1
    err = capsys.readouterr().err
    assert "(line 1, column 33)" in err
    assert err.splitlines()[-1] == " " * 34 + "^"


def test_console_script() -> None:
    result = subprocess.run(
        [SCRIPT, "translate", "SELECT * FROM DIGITALTWINS"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("MATCH")
    assert "-- params\n{}\n" in result.stdout


def test_python_dash_m_refuses_with_status_1() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "adtquery", "translate", "SELECT"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.startswith("SqlQueryError: ")


def test_a_command_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit:
        main([])
    assert exit.value.code == 2
    assert "required" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("url", "status", "printed"),
    [("postgresql://postgres@127.0.0.1:1/postgres", 0, "postgresql://"), (None, 1, "not running")],
)
def test_db_status(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    url: str | None,
    status: int,
    printed: str,
) -> None:
    monkeypatch.setattr(local, "running_url", lambda home=None: url)
    assert main(["db", "status"]) == status
    assert capsys.readouterr().out.startswith(printed)


def test_db_start_prints_the_url_and_passes_the_port(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def start(home: Path | None = None, port: int | None = None, progress: object = None) -> str:
        return local.database_url(port or local.DEFAULT_PORT)

    monkeypatch.setattr(local, "start", start)
    assert main(["db", "start", "--port", "5433"]) == 0
    assert capsys.readouterr().out == "postgresql://postgres@127.0.0.1:5433/postgres\n"


def test_provisioning_error_exits_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def start(home: Path | None = None, port: int | None = None, progress: object = None) -> str:
        raise local.ProvisioningError("Provisioning a local server needs root")

    monkeypatch.setattr(local, "start", start)
    assert main(["db", "start"]) == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", "Provisioning a local server needs root\n")
