"""Query latency on AGE: adtquery's executor beside hand-written SQL and Cypher for the same rows.

    .venv/bin/python -m benchmarks.query_latency --twins 10000 100000 1000000 [--no-server]

For each size, the building graph (benchmarks/building_graph.py) is written as an import file
and loaded with `adtquery import` into the database `adtquery_bench_<twins>` on the server
(`--database-url`, else the local one). The database is kept for later runs and rebuilt when it
was made by another generator version, or with --reload. Loading is not timed here.

Each query class is then timed on one connection, the forms interleaved run by run so that they
see the same machine load: the executor's page (`query_page`: compile cached, IS_OF_MODEL
expanded from the stored models, keyset SQL over the label tables, rows shaped as ADT does)
against each hand-written SQL and Cypher statement for the same rows (prepared, rows decoded
from JSON as the executor does); every form must return the executor's twins. Unless
--no-server, the same queries also go through `adtquery serve` (benchmarks/server_latency.py)
with a raw socket, httpx and the SDK, interleaved with the executor's runs, so the difference
is the server's overhead. Prints markdown tables of p50 / p99 in ms (compare ratios, not
absolute figures: they move by ~30% between runs on a 2-core machine).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
from azure.digitaltwins.core import DigitalTwinsClient
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from adtquery.compiler import compile_query
from adtquery.db import local
from adtquery.db.connect import connect
from adtquery.db.execute import QueryPage, decode_agtype, query_page, sql_params
from adtquery.db.models import resolve_model_sets
from benchmarks import building_graph as graph
from benchmarks import server_latency

SECRET = b"benchmark"  # the token secret; server_latency gives the server the same one
IMPORT_COMMAND = [str(Path(sys.executable).with_name("adtquery")), "import"]


# -- the benchmark databases -----------------------------------------------------------------


def marker(twins: int, seed: int) -> str:
    return f"adtquery benchmark: building_graph v{graph.VERSION}, {twins} twins, seed {seed}"


def database(
    server: str, twins: int, seed: int, reload: bool, importer: Sequence[str] = IMPORT_COMMAND
) -> str:
    """The URL of `adtquery_bench_<twins>`, built first if missing, stale or --reload."""
    name = f"adtquery_bench_{twins}"
    url = make_conninfo(**{**conninfo_to_dict(server), "dbname": name})
    wanted = marker(twins, seed)
    with psycopg.connect(server, autocommit=True) as admin:
        row = admin.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            (name,),
        ).fetchone()
        if row is not None and row[0] == wanted and not reload:
            return url
        # The marker is set only after a complete import, so a failed one is rebuilt too.
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    load(url, twins, seed, importer)
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(name), sql.Literal(wanted)
            )
        )
    return url


def load(url: str, twins: int, seed: int, importer: Sequence[str]) -> None:
    """Through the CLI, so the benchmark loads what any user's `adtquery import` loads."""
    with tempfile.TemporaryDirectory(prefix="adtquery-bench-") as directory:
        path = Path(directory) / f"graph-{twins}.ndjson"
        started = time.perf_counter()
        written = graph.write_ndjson(path, twins, seed)
        print(
            f"wrote {written.twins:,} twins and {written.relationships:,} relationships "
            f"in {time.perf_counter() - started:.1f} s; importing",
            file=sys.stderr,
        )
        subprocess.run([*importer, str(path), "--database-url", url], check=True)


# -- timing -----------------------------------------------------------------------------------


@dataclass
class Samples:
    """Milliseconds of one form of one query class, and the rows its first run returned."""

    rows: list[Any]
    ms: list[float] = field(default_factory=list)

    def percentile(self, p: float) -> float:
        ordered = sorted(self.ms)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p99(self) -> float:
        return self.percentile(99)

    def cell(self) -> str:
        return f"{self.p50:.2f} / {self.p99:.2f}"


Run = Callable[[], list[Any]]  # runs the query once, returns its rows


def interleaved(forms: dict[str, Run], runs: int, budget: float) -> dict[str, Samples]:
    """Time each form `runs` times, round-robin, stopping early (after at least 10 rounds)
    once the rounds have taken `budget` seconds. A first untimed round warms plans and caches.
    Each round starts with the next form: the first of a round runs after the others' work
    (the server's, say) and would otherwise always pay for it."""
    samples = {name: Samples(run()) for name, run in forms.items()}
    order = list(forms.items())
    started = time.perf_counter()
    for round_ in range(runs):
        shift = round_ % len(order)
        for name, run in order[shift:] + order[:shift]:
            begin = time.perf_counter_ns()
            run()
            samples[name].ms.append((time.perf_counter_ns() - begin) / 1e6)
        if round_ >= 9 and time.perf_counter() - started > budget:
            break
    return samples


# -- the query classes ------------------------------------------------------------------------

TWIN = 'adt."Twin"'
LOOKUP = "`$dtId` lookup"
RELATIONSHIP = 'adt."Relationship"'


def get(alias: str, *keys: str) -> str:
    """Property access spelt as AGE and the indexes spell it."""
    path = ", ".join(f"'\"{key}\"'::ag_catalog.agtype" for key in keys)
    return f"ag_catalog.agtype_access_operator(VARIADIC ARRAY[{alias}.properties, {path}])"


def get_text(alias: str, *keys: str) -> str:
    """A string property as text in the C collation, the form of the schema's text indexes."""
    return f'({get(alias, *keys)})::text COLLATE "C"'


def hops(names: Sequence[str], result: str = "properties") -> str:
    """SQL for the twins `len(names)` named hops away from the twin `%(id)s`."""
    joins = [f"FROM {TWIN} t0"]
    where = [f"{get('t0', '$dtId')} = %(id)s::ag_catalog.agtype"]
    for i, name in enumerate(names):
        joins.append(f"JOIN {RELATIONSHIP} r{i} ON r{i}.start_id = t{i}.id")
        joins.append(f"JOIN {TWIN} t{i + 1} ON t{i + 1}.id = r{i}.end_id")
        where.append(f"{get_text(f'r{i}', '$relationshipName')} = %({name})s")
    return f"SELECT t{len(names)}.{result} " + " ".join(joins) + " WHERE " + " AND ".join(where)


@dataclass(frozen=True)
class Statement:
    text: str  # SQL with %(name)s placeholders, or Cypher with $name
    params: dict[str, Any]
    cypher: bool = False
    ordered: bool = True  # False: LIMIT without ORDER BY, so only the row count must agree
    text_params: frozenset[str] = frozenset()  # bound as text, not as agtype

    def arguments(self) -> dict[str, str]:
        return {
            name: value if name in self.text_params else json.dumps(value)
            for name, value in self.params.items()
        }


@dataclass(frozen=True)
class QueryClass:
    name: str
    query: str  # ADT
    page_size: int
    hand: dict[str, Statement]  # "SQL" / "Cypher" -> the hand-written form


def classes(twins: int) -> list[QueryClass]:
    """The query classes, anchored in the middle of the graph that `twins` makes."""
    shape = graph.Shape()
    b = shape.buildings_for(twins) // 2
    room, floor, building = graph.room_id(b, 5, 7), graph.floor_id(b, 5), graph.building_id(b)
    center = graph.cost_center(shape.buildings_for(twins) * shape.floors * shape.rooms // 2)
    sensors = [
        graph.model_id(m) for m in ("Sensor", "TemperatureSensor", "HumiditySensor", "CO2Sensor")
    ]
    model = get_text("t", "$metadata", "$model")
    names = {"contains": "contains", "hasSensor": "hasSensor"}
    text_names = frozenset(names)
    return [
        QueryClass(
            LOOKUP,
            f"SELECT * FROM DIGITALTWINS T WHERE T.$dtId = '{room}'",
            100,
            {
                "SQL": Statement(
                    f"SELECT properties FROM {TWIN} t WHERE {get('t', '$dtId')} "
                    "= %(id)s::ag_catalog.agtype",
                    {"id": room},
                ),
                "Cypher": Statement(
                    "MATCH (t:Twin) WHERE t.`$dtId` = $id RETURN properties(t)", {"id": room}, True
                ),
            },
        ),
        QueryClass(
            "property equality (100 rooms)",
            f"SELECT * FROM DIGITALTWINS T WHERE T.costCenter = '{center}'",
            100,
            {
                "SQL": Statement(
                    f"SELECT properties FROM {TWIN} t WHERE {get('t', 'costCenter')} "
                    "= %(v)s::ag_catalog.agtype",
                    {"v": center},
                ),
                "Cypher": Statement(
                    "MATCH (t:Twin) WHERE t.costCenter = $v RETURN properties(t)",
                    {"v": center},
                    True,
                ),
            },
        ),
        QueryClass(
            "IS_OF_MODEL(Sensor), 3 subtypes, page 1 of 100",
            "SELECT * FROM DIGITALTWINS T WHERE IS_OF_MODEL(T, 'dtmi:bench:Sensor;1')",
            100,
            {
                "SQL": Statement(
                    f"SELECT properties FROM {TWIN} t WHERE {model} IN "
                    "(%(a)s, %(b)s, %(c)s, %(d)s) ORDER BY t.id LIMIT 100",
                    dict(zip("abcd", sensors, strict=True)),
                    text_params=frozenset("abcd"),
                ),
                "Cypher": Statement(
                    "MATCH (t:Twin) WHERE t.`$metadata`.`$model` IN [$a, $b, $c, $d] "
                    "RETURN properties(t) LIMIT 100",
                    dict(zip("abcd", sensors, strict=True)),
                    cypher=True,
                    ordered=False,
                ),
            },
        ),
        QueryClass(
            "IS_OF_MODEL(Building), rare (0.08%), page 1 of 100",
            "SELECT * FROM DIGITALTWINS T WHERE IS_OF_MODEL(T, 'dtmi:bench:Building;1')",
            100,
            {
                "SQL": Statement(
                    f"SELECT properties FROM {TWIN} t WHERE {model} = %(m)s "
                    "ORDER BY t.id LIMIT 100",
                    {"m": graph.model_id("Building")},
                    text_params=frozenset("m"),
                ),
                "Cypher": Statement(
                    "MATCH (t:Twin) WHERE t.`$metadata`.`$model` = $m "
                    "RETURN properties(t) LIMIT 100",
                    {"m": graph.model_id("Building")},
                    cypher=True,
                    ordered=False,
                ),
            },
        ),
        QueryClass(
            "1-hop JOIN, floor to its 20 rooms",
            f"SELECT R FROM DIGITALTWINS F JOIN R RELATED F.contains WHERE F.$dtId = '{floor}'",
            1000,
            {
                "SQL": Statement(
                    hops(["contains"]), {"id": floor, **names}, text_params=text_names
                ),
                "Cypher": Statement(
                    "MATCH (f:Twin)-[r:Relationship]->(t:Twin) WHERE f.`$dtId` = $id "
                    "AND r.`$relationshipName` = $contains RETURN properties(t)",
                    {"id": floor, **names},
                    True,
                ),
            },
        ),
        QueryClass(
            "3-hop JOIN, building to its 800 sensors",
            "SELECT S FROM DIGITALTWINS B JOIN F RELATED B.contains JOIN R RELATED F.contains "
            f"JOIN S RELATED R.hasSensor WHERE B.$dtId = '{building}'",
            1000,
            {
                "SQL": Statement(
                    hops(["contains", "contains", "hasSensor"]),
                    {"id": building, **names},
                    text_params=text_names,
                ),
                "Cypher": Statement(
                    "MATCH (b:Twin)-[r0:Relationship]->(:Twin)-[r1:Relationship]->(:Twin)"
                    "-[r2:Relationship]->(t:Twin) WHERE b.`$dtId` = $id "
                    "AND r0.`$relationshipName` = $contains AND r1.`$relationshipName` = $contains "
                    "AND r2.`$relationshipName` = $hasSensor RETURN properties(t)",
                    {"id": building, **names},
                    True,
                ),
            },
        ),
        QueryClass(
            "MATCH `[:contains*..2]`, building to 210 floors and rooms",
            "SELECT T FROM DIGITALTWINS MATCH (B)-[:contains*..2]->(T) "
            f"WHERE B.$dtId = '{building}'",
            1000,
            {
                "SQL": Statement(
                    hops(["contains"]) + " UNION ALL " + hops(["contains", "contains"]),
                    {"id": building, **names},
                    text_params=text_names,
                ),
                "Cypher": Statement(
                    "MATCH (b:Twin)-[r0:Relationship]->(t:Twin) WHERE b.`$dtId` = $id "
                    "AND r0.`$relationshipName` = $contains RETURN properties(t) UNION ALL "
                    "MATCH (b:Twin)-[r0:Relationship]->(:Twin)-[r1:Relationship]->(t:Twin) "
                    "WHERE b.`$dtId` = $id AND r0.`$relationshipName` = $contains "
                    "AND r1.`$relationshipName` = $contains RETURN properties(t)",
                    {"id": building, **names},
                    True,
                ),
            },
        ),
        QueryClass(
            "COUNT() of all twins",
            "SELECT COUNT() FROM DIGITALTWINS",
            100,
            {
                "SQL": Statement(f"SELECT count(*) FROM {TWIN}", {}),
                "Cypher": Statement("MATCH (t:Twin) RETURN count(*)", {}, True),
            },
        ),
    ]


SCAN = "SELECT * FROM DIGITALTWINS"
SCAN_PAGE = 1000  # ADT's largest page
SCAN_FIRST = f"SELECT id, properties FROM {TWIN} ORDER BY id LIMIT {SCAN_PAGE}"
SCAN_NEXT = (
    f"SELECT id, properties FROM {TWIN} WHERE id > %(after)s::ag_catalog.graphid "
    f"ORDER BY id LIMIT {SCAN_PAGE}"
)


# -- the forms of a query -----------------------------------------------------------------------

# Names of the forms, as the tables print them.
HAND = ("SQL", "Cypher")
HTTP = "POST /query"
RAW = "POST /query, raw socket"
RAW_GET = "GET /digitaltwins/{id}, raw socket"
HEALTHZ = "GET /healthz"
BESIDE = "executor (server group)"  # the executor timed in the rounds of the server's forms
ITS_SQL = "executor's SQL"  # its statement alone; its row count includes the look-ahead row


def executor_page(
    conn: psycopg.Connection, query: str, page_size: int, token: str | None
) -> QueryPage:
    return query_page(
        conn, query=query, continuation_token=token, page_size=page_size, secret=SECRET
    )


def executor(conn: psycopg.Connection, query: str, page_size: int, token: str | None = None) -> Run:
    return lambda: executor_page(conn, query, page_size, token).rows


def executor_sql(conn: psycopg.Connection, query: str, page_size: int) -> Run:
    """The statement the executor runs for page 1, alone: the executor minus this is the
    executor's own Python (compile cache, model sets, parameters, row shaping)."""
    compiled = compile_query(query)
    arguments: dict[str, Any] = sql_params(compiled, resolve_model_sets(conn, compiled.model_sets))
    keys = compiled.paged.keys if compiled.paged.next is not None else 0
    text = compiled.paged.page(page_size + 1, False) if keys else compiled.paged.first
    return lambda: [
        [_decode(value) for value in row[keys:]]
        # prepared as the executor prepares it (adtquery.db.execute.run_page)
        for row in conn.execute(text, arguments, prepare=not compiled.model_sets)
    ]


def _decode(value: Any) -> Any:
    return decode_agtype(value) if isinstance(value, str) else value  # agtype arrives as text


def prepared(conn: psycopg.Connection, statement: Statement) -> Run:
    if statement.cypher:
        text = (
            f"SELECT * FROM ag_catalog.cypher('adt', $$ {statement.text} $$, %s) "
            "AS (c0 ag_catalog.agtype)"
        )
        arguments: Any = (json.dumps(statement.params),)
    else:
        text = statement.text
        arguments = statement.arguments()
    return lambda: [_decode(row[0]) for row in conn.execute(text, arguments, prepare=True)]


def scan_rows(conn: psycopg.Connection, after: str | None) -> list[tuple[str, Any]]:
    """A page of the full scan in plain SQL, keyset on the graph id (../shared/apache-age.md §5):
    (graph id, twin) pairs."""
    text, arguments = (SCAN_FIRST, {}) if after is None else (SCAN_NEXT, {"after": after})
    return [(row[0], decode_agtype(row[1])) for row in conn.execute(text, arguments, prepare=True)]


def keyset_page(conn: psycopg.Connection, after: str | None) -> Run:
    return lambda: [twin for _, twin in scan_rows(conn, after)]


def row_ids(rows: list[Any]) -> list[str]:
    """What must agree between forms: the twins' `$dtId`s (through a `SELECT T` column), or the
    count."""

    def key(row: Any) -> Any:
        if isinstance(row, dict):
            if "$dtId" in row:
                return row["$dtId"]
            if len(row) == 1:
                return key(next(iter(row.values())))
        return row

    return sorted(str(key(row)) for row in rows)


def check(name: str, samples: dict[str, Samples], unordered: set[str]) -> None:
    """Every form returned the executor's rows (only as many, for the forms in `unordered`)."""
    wanted = row_ids(samples["executor"].rows)
    for form, sample in samples.items():
        if form in (ITS_SQL, HEALTHZ):  # raw rows with the look-ahead row; no rows
            continue
        got = row_ids(sample.rows)
        same = len(got) == len(wanted) if form in unordered else got == wanted
        if not same:
            raise AssertionError(f"{name}: {form} returned {len(got)} rows, not {len(wanted)}")


# -- measuring ---------------------------------------------------------------------------------


@dataclass
class Measured:
    name: str
    samples: dict[str, Samples]


@dataclass
class Endpoint:
    """The running server's clients, when end-to-end figures are asked for."""

    http: httpx.Client
    raw: server_latency.RawHttp
    sdk: DigitalTwinsClient


def measure_class(
    conn: psycopg.Connection, qc: QueryClass, endpoint: Endpoint | None, runs: int, budget: float
) -> Measured:
    run = executor(conn, qc.query, qc.page_size)
    forms = {"executor": run, ITS_SQL: executor_sql(conn, qc.query, qc.page_size)}
    forms.update({label: prepared(conn, st) for label, st in qc.hand.items()})
    served: dict[str, Run] = {}
    if endpoint is not None:
        served[HTTP] = server_latency.post_query(endpoint.http, qc.query, qc.page_size, None)
        served[RAW] = server_latency.raw_post_query(endpoint.raw, qc.query, qc.page_size, None)
        if qc.name == LOOKUP:
            dtid = qc.hand["SQL"].params["id"]
            served["GET /digitaltwins/{id}"] = server_latency.get_twin(endpoint.http, dtid)
            served[RAW_GET] = server_latency.raw_get_twin(endpoint.raw, dtid)
            served["SDK get_digital_twin"] = server_latency.sdk_get_twin(endpoint.sdk, dtid)
            served["SDK query_twins"] = server_latency.sdk_query(endpoint.sdk, qc.query)
            served[HEALTHZ] = server_latency.healthz(endpoint.http)
    samples = in_two_groups(forms, run, served, runs, budget)
    check(qc.name, samples, {label for label, st in qc.hand.items() if not st.ordered})
    return Measured(qc.name, samples)


def in_two_groups(
    forms: dict[str, Run], run: Run, served: dict[str, Run], runs: int, budget: float
) -> dict[str, Samples]:
    """The in-process forms interleaved among themselves, then the server's forms with the
    executor again beside them (BESIDE): a server woken between in-process runs keeps a core
    busy after it answers, which would weigh on whichever in-process form runs next."""
    samples = interleaved(forms, runs, budget)
    if served:
        samples.update(interleaved({BESIDE: run, **served}, runs, budget))
    return samples


@dataclass
class Scan:
    pages: int
    executor_s: float  # the whole scan, page after page
    sql_s: float
    measured: list[Measured]


def measure_scan(
    conn: psycopg.Connection, endpoint: Endpoint | None, runs: int, budget: float
) -> Scan:
    """Page through `SELECT * FROM DIGITALTWINS` to the end both ways, then time page 1, the
    middle page and the last page again from their positions."""
    started = time.perf_counter()
    tokens: list[str | None] = [None]
    while token := executor_page(conn, SCAN, SCAN_PAGE, tokens[-1]).continuation_token:
        tokens.append(token)
    executor_s = time.perf_counter() - started
    started = time.perf_counter()
    afters: list[str | None] = [None]
    for _ in tokens:  # as many pages as the executor's: it never ends on an empty one
        afters.append(scan_rows(conn, afters[-1])[-1][0])
    sql_s = time.perf_counter() - started
    measured = []
    for index in sorted({0, len(tokens) // 2, len(tokens) - 1}):
        run = executor(conn, SCAN, SCAN_PAGE, tokens[index])
        forms = {"executor": run, "SQL": keyset_page(conn, afters[index])}
        served: dict[str, Run] = {}
        if endpoint is not None:
            token = tokens[index]
            served[HTTP] = server_latency.post_query(endpoint.http, SCAN, SCAN_PAGE, token)
            served[RAW] = server_latency.raw_post_query(endpoint.raw, SCAN, SCAN_PAGE, token)
        samples = in_two_groups(forms, run, served, runs, budget)
        name = f"full scan, page {index + 1} of {len(tokens)}"
        check(name, samples, set())
        measured.append(Measured(name, samples))
    return Scan(len(tokens), executor_s, sql_s, measured)


# -- reporting ---------------------------------------------------------------------------------


def _cell(samples: dict[str, Samples], form: str) -> str:
    return samples[form].cell() if form in samples else "-"


def executor_table(twins: int, measured: list[Measured]) -> list[str]:
    lines = [
        f"| class ({twins:,} twins) | rows | executor | {ITS_SQL} | SQL | Cypher "
        "| executor / fastest (p50) |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for m in measured:
        fastest = min((m.samples[f] for f in HAND if f in m.samples), key=lambda s: s.p50)
        lines.append(
            f"| {m.name} | {len(m.samples['executor'].rows)} | {_cell(m.samples, 'executor')} "
            f"| {_cell(m.samples, ITS_SQL)} | {_cell(m.samples, 'SQL')} "
            f"| {_cell(m.samples, 'Cypher')} "
            f"| {m.samples['executor'].p50 / fastest.p50:.2f}x |"
        )
    return lines


def server_table(twins: int, measured: list[Measured]) -> list[str]:
    lines = [
        f"| class ({twins:,} twins) | {BESIDE} p50 | {RAW} p50 / p99 | {HTTP} (httpx) p50 / p99 "
        "| server overhead (raw p50 - executor p50) |",
        "|---|--:|--:|--:|--:|",
    ]
    for m in measured:
        base = m.samples[BESIDE].p50
        lines.append(
            f"| {m.name} | {base:.2f} | {_cell(m.samples, RAW)} | {_cell(m.samples, HTTP)} "
            f"| {m.samples[RAW].p50 - base:+.2f} |"
        )
    lookup = next(m for m in measured if m.name == LOOKUP).samples
    lines += ["", f"| `$dtId` lookup ({twins:,} twins) | p50 / p99 | minus executor p50 |"]
    lines.append("|---|--:|--:|")
    for form in (
        BESIDE,
        RAW,
        RAW_GET,
        HTTP,
        "GET /digitaltwins/{id}",
        "SDK query_twins",
        "SDK get_digital_twin",
        HEALTHZ,
    ):
        minus = lookup[form].p50 - lookup[BESIDE].p50
        lines.append(f"| {form} | {lookup[form].cell()} | {minus:+.2f} |")
    return lines


def report(twins: int, measured: list[Measured], scan: Scan, server: bool) -> str:
    lines = executor_table(twins, measured)
    lines += [
        "",
        f"Whole scan, {scan.pages} pages of {SCAN_PAGE}: executor {scan.executor_s:.2f} s, "
        f"SQL keyset {scan.sql_s:.2f} s.",
    ]
    if server:
        lines += ["", *server_table(twins, measured)]
    return "\n".join(lines)


# -- main --------------------------------------------------------------------------------------


def run_size(args: argparse.Namespace, server: str, twins: int) -> str:
    url = database(server, twins, args.seed, args.reload, shlex.split(args.import_command))
    with contextlib.ExitStack() as stack:
        conn = stack.enter_context(connect(url))
        endpoint = None
        if args.server:
            base = stack.enter_context(server_latency.serve(url, SECRET))
            http = stack.enter_context(server_latency.http_client(base))
            raw = stack.enter_context(server_latency.raw_client(base))
            endpoint = Endpoint(http, raw, server_latency.sdk_client(base))
        count = conn.execute(f"SELECT count(*) FROM {TWIN}").fetchone()
        print(f"{url}: {count[0] if count else 0:,} twins", file=sys.stderr)
        measured = [
            measure_class(conn, qc, endpoint, args.runs, args.budget) for qc in classes(twins)
        ]
        scan = measure_scan(conn, endpoint, args.runs, args.budget)
    return report(twins, measured + scan.measured, scan, args.server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--twins", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=200, help="rounds per class (at most)")
    parser.add_argument(
        "--budget", type=float, default=15, help="seconds per class after which rounds stop"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", help="the AGE server (default: the local one)")
    parser.add_argument("--reload", action="store_true", help="rebuild the databases")
    parser.add_argument(
        "--server",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also time the queries through `adtquery serve` (default: yes)",
    )
    parser.add_argument(
        "--import-command",
        default=shlex.join(IMPORT_COMMAND),
        help="the command that imports a file (default: `adtquery import` of this virtualenv)",
    )
    args = parser.parse_args()
    server = args.database_url or local.start()
    for twins in args.twins:
        print(f"\n{run_size(args, server, twins)}\n", flush=True)


if __name__ == "__main__":
    main()
