"""The interactive REPL (`adtquery repl`): ADT queries in, their translation out.

`run` is the terminal side (prompt, history, highlighting, meta-commands); `respond` computes what
a query shows and `is_complete` decides when Enter submits, both pure functions tested without a
terminal. Running queries against a database belongs in `respond`: given a connection, it shows
the first rows below the translation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prompt_toolkit import PromptSession
from prompt_toolkit.application import get_app
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.filters import Condition
from prompt_toolkit.history import FileHistory
from prompt_toolkit.lexers import PygmentsLexer

from adtquery.analyze import ShapeKind
from adtquery.cli import describe
from adtquery.cli.highlight import AdtLexer
from adtquery.cli.main import fetch_rows, format_table
from adtquery.compiler import CompiledQuery, compile_query
from adtquery.db.local import default_home
from adtquery.errors import AdtError, QueryError
from adtquery.parser import parse

if TYPE_CHECKING:
    import psycopg

PROMPT = "adt> "
CONTINUATION = "...> "
GREETING = "adtquery REPL: Enter submits a complete query; .help lists the commands, exit leaves."
SHOWN_ROWS = 100  # with a database: the rows shown of a longer result
HELP = """\
Type an ADT query; Enter on a complete query (or on an empty line) shows its translation and,
with a database, its first rows.
  .sql         show the paged SQL too, or stop showing it
  .help        this text
  exit, quit   leave (Ctrl-D too); Ctrl-C clears the input"""


def is_complete(text: str) -> bool:
    """Whether Enter submits `text`, rather than starting a new line.

    A query is incomplete while the parser's only complaint is that it ended too early (also
    inside a string); any other error submits, to be shown. An empty last line submits whatever
    is there. Meta-commands and `exit` need no special case: the parser refuses them at their
    first character.
    """
    if not text.rpartition("\n")[2].strip():
        return True
    try:
        parse(text)
    except QueryError as error:
        return error.reason != "incomplete"
    return True


def respond(text: str, show_sql: bool, conn: psycopg.Connection | None = None) -> str:
    """What the REPL shows for a query: its translation, or the error with a caret; with `conn`,
    the first rows too (or why there are none)."""
    # rstrip: the empty line that submitted an incomplete query is not where its error is.
    text = text.rstrip()
    try:
        compiled = compile_query(text)
    except QueryError as error:
        return error.render()
    shown = describe(compiled, sql=show_sql)
    if conn is None:
        return shown
    return f"{shown}\n-- rows\n{_rows(conn, text, compiled)}"


def _rows(conn: psycopg.Connection, text: str, compiled: CompiledQuery) -> str:
    import psycopg

    try:
        rows, more = fetch_rows(conn, text, limit=SHOWN_ROWS)
    except AdtError as error:
        return f"{error.code}: {error}"
    except psycopg.Error as error:
        return f"database error: {str(error).strip()}"
    return format_table(rows, count=compiled.shape is ShapeKind.COUNT, more=more)


def run(conn: psycopg.Connection | None = None) -> None:
    """Read queries until `exit`, `quit` or Ctrl-D; history lives in the adtquery home. With
    `conn`, each query also runs there."""
    session = _session()
    show_sql = False
    print(GREETING)
    if conn is not None:
        print(f"Queries run on database {conn.info.dbname} at {conn.info.host}:{conn.info.port}.")
    while True:
        try:
            text = session.prompt(PROMPT)
        except KeyboardInterrupt:
            continue
        except EOFError:
            return
        command = text.strip().lower()
        if command in ("exit", "quit"):
            return
        if command == ".sql":
            show_sql = not show_sql
            print(f"paged SQL {'on' if show_sql else 'off'}")
        elif command == ".help":
            print(HELP)
        elif command.startswith("."):
            print(f"unknown command {text.strip()}; .help lists the commands")
        elif command:
            print(respond(text, show_sql, conn))


def _session() -> PromptSession[str]:
    home = default_home()
    home.mkdir(parents=True, exist_ok=True)
    return PromptSession(
        history=FileHistory(home / "history"),
        auto_suggest=AutoSuggestFromHistory(),
        lexer=PygmentsLexer(AdtLexer),
        multiline=Condition(lambda: not is_complete(get_app().current_buffer.text)),
        prompt_continuation=CONTINUATION,
    )
