"""The REPL: `respond` and `is_complete` as pure functions, then the real prompt on a pipe."""

from __future__ import annotations

from pathlib import Path

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.history import FileHistory
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from pygments.token import Error, Keyword, Name, String

from adtquery.cli import repl
from adtquery.cli.highlight import AdtLexer
from adtquery.compiler import compile_query

ROOMS = "SELECT T FROM DIGITALTWINS T WHERE IS_OF_MODEL(T, 'dtmi:example:Room;1')"


def test_respond_shows_cypher_params_and_model_sets() -> None:
    compiled = compile_query(ROOMS)
    assert repl.respond(ROOMS, show_sql=False).splitlines() == [
        *compiled.cypher.splitlines(),
        "-- params",
        "{}",
        "-- model sets (expanded through inheritance when run)",
        '{"m0": "dtmi:example:Room;1"}',
    ]


def test_respond_with_sql_adds_the_first_page() -> None:
    query = "SELECT * FROM DIGITALTWINS"
    shown = repl.respond(query, show_sql=True)
    assert shown.endswith("-- paged SQL (page 1)\n" + compile_query(query).paged.first)


def test_respond_renders_errors_where_the_query_ends() -> None:
    # Submitted by an empty line: the caret stays after WHERE, not on the empty line.
    shown = repl.respond("SELECT * FROM DIGITALTWINS\nWHERE\n", show_sql=False)
    first, *snippet = shown.splitlines()
    assert first.startswith("SqlQueryError: ")
    assert first.endswith("(line 2, column 6)")
    assert snippet == ["  2 | WHERE", "    |      ^"]


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * FROM DIGITALTWINS WHERE",
        "SELECT * FROM DIGITALTWINS WHERE ",
        "select",
        "SELECT *\nFROM",
        "SELECT T FROM DIGITALTWINS T WHERE T.name IN ['a',",
    ],
)
def test_a_query_cut_short_keeps_reading(text: str) -> None:
    assert not repl.is_complete(text)


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * FROM DIGITALTWINS",
        "SELECT *\nFROM DIGITALTWINS",
        "SELECT * FROM FOO",  # a real error: submitted so that it is shown
        "SELECT * FROM DIGITALTWINS WHERE\n",  # an empty line submits anything
        "SELECT * FROM DIGITALTWINS WHERE\n  ",
        "",
        "exit",
        ".sql",
    ],
)
def test_complete_or_refused_input_submits(text: str) -> None:
    assert repl.is_complete(text)


def test_lexer_colours_every_part_of_a_query() -> None:
    query = "select T.$dtId, T.[[a b]] FROM DIGITALTWINS T WHERE IS_OF_MODEL(T, 'x') AND T.n >= -1"
    tokens = [(kind, text) for kind, text in AdtLexer().get_tokens(query) if text.strip()]
    assert (Keyword, "select") in tokens
    assert (Name.Variable.Magic, "$dtId") in tokens
    assert (Name.Variable, "[[a b]]") in tokens
    assert (Name.Builtin, "IS_OF_MODEL") in tokens
    assert (String.Single, "'x'") in tokens
    assert not [kind for kind, _ in tokens if kind in Error]


def test_lexer_colours_an_unfinished_string_as_a_string() -> None:
    tokens = list(AdtLexer(ensurenl=False).get_tokens("WHERE T.n = 'abc"))
    assert (String.Single, "'abc") in tokens


def test_the_prompt_reads_a_multi_line_query_and_exits(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ADTQUERY_HOME", str(tmp_path))
    with create_pipe_input() as keys, create_app_session(input=keys, output=DummyOutput()):
        # The first Enter continues the query (it ends after *); the second submits it.
        keys.send_text("SELECT *\rFROM DIGITALTWINS\r")
        keys.send_text(".sql\rSELECT COUNT() FROM RELATIONSHIPS\rexit\r")
        repl.run()
    out = capsys.readouterr().out
    assert out.startswith(repl.GREETING)
    assert "RETURN properties(" in out
    assert out.count("MATCH") == 2
    assert "paged SQL on" in out
    assert "-- paged SQL (page 1)" in out
    history = FileHistory(tmp_path / "history").load_history_strings()
    assert "SELECT *\nFROM DIGITALTWINS" in history


def test_the_prompt_shows_errors_and_leaves_on_end_of_input(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ADTQUERY_HOME", str(tmp_path))
    with create_pipe_input() as keys, create_app_session(input=keys, output=DummyOutput()):
        keys.send_text("SELECT * FROM FOO\r.nope\r\x04")  # Ctrl-D on an empty line leaves
        repl.run()
    out = capsys.readouterr().out
    assert "SqlQueryError: " in out
    assert "unknown command .nope" in out
