"""The `adtquery` command: translate ADT queries, run the local database, start the REPL.

Each subcommand is one function, registered with `@command(name, help, *arguments)`; a name with a
space ("db start") is an action of a command group. Handlers return the exit status; the errors a
user can cause become messages and statuses in `main`, in one place: 1 for a refused query, 2 for a
database that could not be provisioned (and for bad usage, by argparse).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from importlib import metadata
from typing import Any

from adtquery.cli import describe
from adtquery.compiler import compile_query
from adtquery.db import local
from adtquery.errors import QueryError

Handler = Callable[[argparse.Namespace], int]
Argument = tuple[tuple[str, ...], dict[str, Any]]

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
    except local.ProvisioningError as error:
        print(error, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


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


@command("repl", "type ADT queries interactively and see their translation")
def start_repl(args: argparse.Namespace) -> int:
    from adtquery.cli import repl  # prompt_toolkit takes 0.2 s to import: only when needed

    repl.run()
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
