"""Import throughput: the building graph as an ADT import file, through `adtquery import` and
through an import job on a running server, each into a fresh database.

    .venv/bin/python -m benchmarks.import_throughput [--twins 10000 100000 1000000]

Times are wall clock from start to the last commit, DTDL validation of every entity, index
builds and ANALYZE included. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from adtquery.db import local
from adtquery.db.schema import ensure_schema
from benchmarks.building_graph import Written, write_ndjson
from tests.server.conftest import API_VERSION, ServerProcess

ADTQUERY = str(Path(sys.executable).with_name("adtquery"))


def fresh_database(server_url: str, name: str) -> str:
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    url = make_conninfo(**{**conninfo_to_dict(server_url), "dbname": name})
    with psycopg.connect(url, autocommit=True) as conn:
        ensure_schema(conn)
    return url


def by_command(url: str, path: Path) -> float:
    started = time.perf_counter()
    subprocess.run([ADTQUERY, "import", str(path), "--database-url", url], check=True)
    return time.perf_counter() - started


def by_job(url: str, path: Path) -> float:
    server = ServerProcess(url, path.parent)
    server.start()
    try:
        params = {"api-version": API_VERSION}
        body = {"inputBlobUri": f"file:{path.name}", "outputBlobUri": "file:job-log.ndjson"}
        started = time.perf_counter()
        httpx.put(f"{server.url}/jobs/imports/bench", params=params, json=body).raise_for_status()
        while True:
            job = httpx.get(f"{server.url}/jobs/imports/bench", params=params).json()
            if job["status"] not in ("notstarted", "running"):
                break
            time.sleep(0.2)
        assert job["status"] == "succeeded", job
        return time.perf_counter() - started
    finally:
        server.kill()


def row(twins: int, written: Written, way: str, seconds: float) -> str:
    entities = written.twins + written.relationships
    return (
        f"| {twins:,} | {way} | {written.twins:,} | {written.relationships:,} | {seconds:.1f} | "
        f"{written.twins / seconds:,.0f} | {written.relationships / seconds:,.0f} | "
        f"{entities / seconds:,.0f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--twins", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--database-url", help="an AGE server (default: the local one)")
    args = parser.parse_args()
    server_url = args.database_url or local.start()
    print("| twins | way | twins | relationships | seconds | twins/s | relationships/s | "
          "entities/s |")  # fmt: skip
    print("|--:|---|--:|--:|--:|--:|--:|--:|")
    with tempfile.TemporaryDirectory() as directory:
        for twins in args.twins:
            path = Path(directory) / f"graph-{twins}.ndjson"
            written = write_ndjson(path, twins)
            for way, run in (("adtquery import", by_command), ("import job", by_job)):
                url = fresh_database(server_url, f"adtquery_import_{twins}")
                print(row(twins, written, way, run(url, path)), flush=True)


if __name__ == "__main__":
    main()
