"""Query latency on AGE: adtquery's executor beside hand-written Cypher for the same rows.

    .venv/bin/python benchmarks/query_latency.py [--twins 100000] [--runs 200] [--database-url URL]

Loads the building graph (benchmarks/building_graph.py) into a scratch database once (kept for
later runs; --reload rebuilds it), then times each query class: the executor's page (compile
cached, IS_OF_MODEL expanded from the stored models, keyset SQL over the label tables, rows shaped
as ADT does) and the fastest hand-written Cypher we know for the same rows, prepared, on the same
connection. Prints p50/p99 in ms and executor/hand-written ratios (compare ratios, not absolute
figures: they move ~30% between runs on a 2-core machine).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from adtquery.db import local
from adtquery.db.execute import query_page
from adtquery.db.load import insert_relationships, insert_twins
from adtquery.db.models import insert_models
from adtquery.db.schema import SESSION_SETUP, ensure_schema
from benchmarks.building_graph import MODELS, generate

SECRET = b"benchmark"


def load(url: str, twins: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        ensure_schema(conn)
        conn.execute(SESSION_SETUP)
        batch: dict[str, list] = {"twin": [], "relationship": []}
        started = time.perf_counter()
        with conn.transaction():
            insert_models(conn, MODELS, "2026-11-23T00:00:00Z")
            for kind, document in generate(twins):
                batch[kind].append(document)
                if len(batch["twin"]) >= 10_000:
                    insert_twins(conn, batch["twin"])
                    batch["twin"] = []
            insert_twins(conn, batch["twin"])
            relationships = batch["relationship"]
            for start in range(0, len(relationships), 20_000):
                insert_relationships(conn, relationships[start : start + 20_000])
        conn.execute("ANALYZE")
        print(f"loaded in {time.perf_counter() - started:.1f} s")


def scratch(server: str, twins: int, reload: bool) -> str:
    name = f"adtquery_bench_{twins}"
    with psycopg.connect(server, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and reload:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        if not exists or reload:
            admin.execute(f'CREATE DATABASE "{name}"')
    url = make_conninfo(**{**conninfo_to_dict(server), "dbname": name})
    if not exists or reload:
        load(url, twins)
    return url


def cypher(conn: psycopg.Connection, text: str, params: dict, columns: int = 1) -> Callable:
    cols = ", ".join(f"c{i} agtype" for i in range(columns))
    sql = f"SELECT * FROM cypher('adt', $$ {text} $$, %s) AS ({cols})"
    arguments = (json.dumps(params),)
    return lambda: [json.loads(row[0]) for row in conn.execute(sql, arguments, prepare=True)]


def executor(conn: psycopg.Connection, query: str, page_size: int = 100) -> Callable:
    return lambda: (
        query_page(
            conn, query=query, continuation_token=None, page_size=page_size, secret=SECRET
        ).rows
    )


CLASSES = [
    (
        "$dtId lookup",
        "SELECT * FROM DIGITALTWINS T WHERE T.$dtId = 'room-3-4-5'",
        "MATCH (t:Twin) WHERE t.`$dtId` = $id RETURN properties(t)",
        {"id": "room-3-4-5"},
    ),
    (
        "IS_OF_MODEL, first page of 100",
        "SELECT T.$dtId FROM DIGITALTWINS T WHERE IS_OF_MODEL('dtmi:bench:Room;1')",
        "MATCH (t:Twin) WHERE t.`$metadata`.`$model` IN [$a, $b] RETURN t.`$dtId` LIMIT 100",
        {"a": "dtmi:bench:Room;1", "b": "dtmi:bench:ConferenceRoom;1"},
    ),
    (
        "2-hop JOIN from a floor (80 sensors)",
        "SELECT S FROM DIGITALTWINS F JOIN R RELATED F.contains JOIN S RELATED R.hasSensor "
        "WHERE F.$dtId = 'floor-2-3'",
        "MATCH (f:Twin)-[a:Relationship]->(:Twin)-[b:Relationship]->(s:Twin) "
        "WHERE f.`$dtId` = $id AND a.`$relationshipName` = 'contains' "
        "AND b.`$relationshipName` = 'hasSensor' RETURN properties(s)",
        {"id": "floor-2-3"},
    ),
]


def timed(run: Callable, runs: int) -> tuple[float, float, int]:
    rows = len(run())  # warm: prepared plans, caches
    samples = []
    for _ in range(runs):
        started = time.perf_counter_ns()
        run()
        samples.append((time.perf_counter_ns() - started) / 1e6)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1], rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--twins", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--database-url")
    parser.add_argument("--reload", action="store_true")
    args = parser.parse_args()
    url = scratch(args.database_url or local.start(), args.twins, args.reload)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SESSION_SETUP)
        twins = conn.execute('SELECT count(*) FROM adt."Twin"').fetchone()[0]
        print(f"\n{twins} twins; p50 / p99 ms over {args.runs} runs\n")
        print("| query class | rows | adtquery executor | hand-written Cypher | ratio (p50) |")
        print("|---|---:|---:|---:|---:|")
        for name, query, text, params in CLASSES:
            ours = timed(executor(conn, query), args.runs)
            theirs = timed(cypher(conn, text, params), args.runs)
            assert ours[2] == theirs[2], (name, ours[2], theirs[2])
            print(
                f"| {name} | {ours[2]} | {ours[0]:.2f} / {ours[1]:.2f} "
                f"| {theirs[0]:.2f} / {theirs[1]:.2f} | {ours[0] / theirs[0]:.2f} |"
            )


if __name__ == "__main__":
    main()
