"""The `adtquery` command: translate and run ADT queries, import files, run the local database,
start the REPL.

Each subcommand is one function, registered with `@command(name, help, *arguments)`; a name with a
space ("db start") is an action of a command group. Handlers return the exit status; the errors a
user can cause become messages and statuses in `main`, in one place: 1 for a refused query or
import file, 2 for a database that could not be provisioned or reached, or that failed (and for
bad usage, by argparse).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import secrets
import sys
import unicodedata
from collections.abc import Callable, Iterator
from importlib import metadata
from typing import TYPE_CHECKING, Any

from adtquery.analyze import ShapeKind
from adtquery.cli import describe
from adtquery.compiler import compile_query
from adtquery.db import local
from adtquery.errors import AdtError, QueryError

if TYPE_CHECKING:
    import psycopg

Handler = Callable[[argparse.Namespace], int]
Argument = tuple[tuple[str, ...], dict[str, Any]]
Row = dict[str, Any]

_GROUPS = {"db": "manage the local PostgreSQL + Apache AGE server"}
_COMMANDS: dict[str, tuple[str, tuple[Argument, ...], Handler]] = {}


def arg(*flags: str, **options: Any) -> Argument:
    """The arguments of `ArgumentParser.add_argument`, kept for `command`."""
    return flags, options


def command(name: str, help: str, *arguments: Argument) -> Callable[[Handler], Handler]:
    """Register the decorated function as the subcommand `name`."""

    def register(handler: Handler) -> Handler:
        _COMMANDS[name] = (help, arguments, handler)
        return handler

    return register


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.handler(args)
    except QueryError as error:
        print(error.render(), file=sys.stderr)
        return 1
    except AdtError as error:  # a refused import file or continuation token
        print(f"{error.code}: {error}", file=sys.stderr)
        return 1
    except (local.ProvisioningError, DatabaseFailed) as error:
        print(error, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


class DatabaseFailed(Exception):
    """The database could not be reached, or failed a statement (exit status 2)."""


_SECRET = secrets.token_bytes(32)  # signs this process's continuation tokens


def _page_size(text: str) -> int:
    size = int(text) if text.isdigit() else 0
    if size < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {text!r}")
    return size


@contextlib.contextmanager
def database(url: str | None) -> Iterator[psycopg.Connection]:
    """A connection to `url`, else $ADTQUERY_DATABASE_URL, else the local server; the driver's
    errors become DatabaseFailed."""
    import psycopg

    from adtquery.db.connect import connect, database_url

    try:
        with connect(database_url(url)) as conn:
            yield conn
    except psycopg.Error as error:
        raise DatabaseFailed(f"database error: {str(error).strip()}") from error


def fetch_rows(
    conn: psycopg.Connection, query: str, *, page_size: int | None = None, limit: int | None = None
) -> tuple[list[Row], bool]:
    """The rows of `query`, page after page through POST /query's paging, and whether more follow:
    with `limit`, fetching stops once that many rows are in."""
    from adtquery.db.execute import query_page

    rows: list[Row] = []
    token = None
    while True:
        page = query_page(
            conn,
            query=query,
            continuation_token=token,
            page_size=page_size,
            secret=_SECRET,
        )
        rows += page.rows
        token = page.continuation_token
        if limit is not None and (len(rows) > limit or (len(rows) == limit and token)):
            return rows[:limit], True
        if token is None:
            return rows, False


def format_table(rows: list[Row], *, count: bool = False, more: bool = False) -> str:
    """Rows as an aligned table: a column per key (ids first, `$etag` and `$metadata` last, the
    rest in order of first appearance); strings as they are, other values as compact JSON; a
    missing key leaves its cell empty. COUNT() is its number alone. `more`: the rows are the
    first of a longer result."""
    if count:
        return str(rows[0]["COUNT"])
    keys = dict.fromkeys(key for row in rows for key in row)
    columns = sorted(keys, key=lambda key: _COLUMN_RANK.get(key, 1))
    lines = [columns, *([_cell(row[c]) if c in row else "" for c in columns] for row in rows)]
    widths = [max(_width(line[i]) for line in lines) for i in range(len(columns))]
    table: list[str] = []
    if columns:
        table = [" | ".join(map(_pad, line, widths)).rstrip() for line in lines]
        table.insert(1, "-+-".join("-" * width for width in widths))
    plural = "" if len(rows) == 1 else "s"
    table.append(f"(first {len(rows)} rows; more follow)" if more else f"({len(rows)} row{plural})")
    return "\n".join(table)


_COLUMN_RANK = {
    **dict.fromkeys(("$dtId", "$relationshipId", "$sourceId", "$relationshipName", "$targetId"), 0),
    "$etag": 2,
    "$metadata": 3,
}


def _cell(value: Any) -> str:
    if isinstance(value, str) and value and value.isprintable():
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _width(text: str) -> int:
    """Terminal columns: wide East Asian characters take two, combining and format marks none."""
    return sum(
        0
        if unicodedata.category(ch) in ("Mn", "Me", "Cf")
        else 2
        if unicodedata.east_asian_width(ch) in ("W", "F")
        else 1
        for ch in text
    )


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


_DATABASE_URL = arg(
    "--database-url",
    metavar="URL",
    help="PostgreSQL + Apache AGE server (default: $ADTQUERY_DATABASE_URL, else the local one)",
)


@command(
    "translate",
    "print the Cypher and parameters an ADT query compiles to",
    arg("query", metavar="QUERY", help="the ADT query, or - to read it from standard input"),
    arg("--sql", action="store_true", help="also print the paged SQL (page 1)"),
    arg("--json", action="store_true", help="print one JSON object, with the paged SQL too"),
)
def translate(args: argparse.Namespace) -> int:
    # rstrip: a trailing newline from a pipe would move an end-of-query caret to a line of its own.
    text = sys.stdin.read().rstrip() if args.query == "-" else args.query
    compiled = compile_query(text)
    if args.json:
        sql = {"first": compiled.paged.first, "next": compiled.paged.next}
        translation = {
            "cypher": compiled.cypher,
            "params": compiled.params,
            "model_sets": compiled.model_sets,
            "sql": sql,
        }
        print(json.dumps(translation, ensure_ascii=False, indent=2))
    else:
        print(describe(compiled, sql=args.sql))
    return 0


@command(
    "db start",
    "start the local server, provisioning it on first use (needs root on Linux); prints its URL",
    arg("--port", type=int, help=f"port to listen on (default {local.DEFAULT_PORT})"),
)
def db_start(args: argparse.Namespace) -> int:
    print(local.start(port=args.port))
    return 0


@command("db stop", "stop the local server, if it runs")
def db_stop(args: argparse.Namespace) -> int:
    local.stop()
    return 0


@command("db status", "print the local server's URL, or 'not running' (exit status 1)")
def db_status(args: argparse.Namespace) -> int:
    url = local.running_url()
    print(url or "not running")
    return 0 if url else 1


@command(
    "import",
    "import a file in ADT's import format (NDJSON), as an import job does: entities that fail "
    "are reported and skipped",
    arg("file", metavar="FILE", help="the NDJSON file, or - to read it from standard input"),
    arg("--log", metavar="PATH", help="also write ADT's output log (NDJSON) to PATH"),
    _DATABASE_URL,
)
def import_file(args: argparse.Namespace) -> int:
    from pathlib import Path

    from adtquery.cli import importing

    source: Any = contextlib.nullcontext(sys.stdin.buffer)
    if args.file != "-":
        try:
            source = open(args.file, "rb")  # noqa: SIM115 (closed by the with below)
        except OSError as error:
            print(f"adtquery import: {error}", file=sys.stderr)
            return 2
    log = Path(args.log) if args.log else None
    with source as stream, database(args.database_url) as conn:
        result, seconds = importing.import_file(
            conn, stream, log_path=log, show_progress=sys.stderr.isatty()
        )
    print(importing.summary(result, seconds))
    return 1 if result.checkpoint.failed else 0


@command(
    "query",
    "run an ADT query on the database and print its rows, every page of them",
    arg("query", metavar="QUERY", help="the ADT query, or - to read it from standard input"),
    arg("--json", action="store_true", help="print the rows of all pages as one JSON array"),
    arg(
        "--page-size",
        type=_page_size,
        metavar="N",
        help="rows per page (default 100, at most 1000)",
    ),
    _DATABASE_URL,
)
def run_query(args: argparse.Namespace) -> int:
    text = sys.stdin.read().rstrip() if args.query == "-" else args.query
    compiled = compile_query(text)  # a refused query needs no database
    with database(args.database_url) as conn:
        rows, _ = fetch_rows(conn, text, page_size=args.page_size)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        print(format_table(rows, count=compiled.shape is ShapeKind.COUNT))
    return 0


@command(
    "repl",
    "type ADT queries interactively and see their translation, and their rows with a database",
    arg(
        "--database-url",
        metavar="URL",
        help="PostgreSQL + Apache AGE server to run the queries on "
        "(default: $ADTQUERY_DATABASE_URL; with neither, queries are only translated)",
    ),
)
def start_repl(args: argparse.Namespace) -> int:
    from adtquery.cli import repl  # prompt_toolkit takes 0.2 s to import: only when needed
    from adtquery.db.connect import configured_url

    url = configured_url(args.database_url)
    if url is None:
        repl.run()
    else:
        with database(url) as conn:
            repl.run(conn)
    return 0


@command(
    "serve",
    "serve the Azure Digital Twins REST API (loopback only unless --auth jwt or --insecure)",
    arg("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"),
    arg("--port", type=int, default=8000, help="port to listen on (default 8000)"),
    arg("--database-url", help="AGE server URL (default: $ADTQUERY_DATABASE_URL, else local)"),
    arg("--insecure", action="store_true", help="allow a non-loopback --host without auth"),
    arg(
        "--auth",
        choices=("none", "jwt"),
        help="none: any token, loopback only; jwt: verify bearer JWTs (default $ADTQUERY_AUTH, "
        "else none)",
    ),
    arg("--jwt-issuer", metavar="ISS", help="required iss claim ($ADTQUERY_JWT_ISSUER)"),
    arg(
        "--jwt-audience",
        metavar="AUD",
        action="append",
        help="accepted aud claim, repeatable ($ADTQUERY_JWT_AUDIENCE, comma-separated)",
    ),
    arg("--jwt-public-key", metavar="FILE", help="PEM public key ($ADTQUERY_JWT_PUBLIC_KEY)"),
    arg("--jwt-jwks", metavar="FILE", help="JWKS file, keys chosen by kid ($ADTQUERY_JWT_JWKS)"),
    arg(
        "--data-dir",
        metavar="DIR",
        help="import jobs read and write file: URIs inside DIR only (default: the current "
        "directory)",
    ),
)
def serve(args: argparse.Namespace) -> int:
    from pathlib import Path

    from adtquery.db.connect import database_url
    from adtquery.server import serve  # starlette and uvicorn load only for this command

    try:
        # Keys and the bind are checked before a local server is provisioned.
        jwt = serve.load_auth(
            args.auth,
            issuer=args.jwt_issuer,
            audience=args.jwt_audience,
            public_key=args.jwt_public_key,
            jwks=args.jwt_jwks,
        )
        serve.check_bind(args.host, args.insecure, authenticated=jwt is not None)
        serve.run(
            host=args.host,
            port=args.port,
            database_url=database_url(args.database_url),
            insecure=args.insecure,
            jwt=jwt,
            data_dir=Path(args.data_dir) if args.data_dir else None,
        )
    except ValueError as error:  # a refused --host, or auth settings or keys that cannot work
        print(error, file=sys.stderr)
        return 2
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="adtquery", description="Azure Digital Twins queries on PostgreSQL + Apache AGE."
    )
    version = f"%(prog)s {metadata.version('adtquery')}"
    parser.add_argument("--version", action="version", version=version)
    groups = {"": parser.add_subparsers(title="commands", required=True)}
    for name, (help, arguments, handler) in _COMMANDS.items():
        group, _, leaf = name.rpartition(" ")
        if group not in groups:
            group_parser = groups[""].add_parser(
                group, help=_GROUPS[group], description=_GROUPS[group]
            )
            groups[group] = group_parser.add_subparsers(title="actions", required=True)
        subparser = groups[group].add_parser(leaf, help=help, description=help)
        for flags, options in arguments:
            subparser.add_argument(*flags, **options)
        subparser.set_defaults(handler=handler)
    return parser
