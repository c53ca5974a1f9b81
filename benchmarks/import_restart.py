"""An import job killed in the middle, at scale: the building graph imported through the REST
job API by `adtquery serve`, the server killed with SIGKILL once in the twins and once in the
relationships, started again each time; then what the database holds and what the output log
says are checked against the file.

    .venv/bin/python -m benchmarks.import_restart [--twins 1000000]

Prints what was checked and the job's wall clock, restarts included.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
import orjson
import psycopg

from adtquery.db import local
from adtquery.schema import GRAPH, RELATIONSHIP_LABEL, TWIN_LABEL
from benchmarks.building_graph import write_ndjson
from benchmarks.import_throughput import fresh_database
from tests.server.conftest import API_VERSION, ServerProcess

JOB = "restart"
PARAMS = {"api-version": API_VERSION}


def stored(url: str, label: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(f'SELECT count(*) FROM {GRAPH}."{label}"').fetchone()[0]  # type: ignore[index]


def job(server: ServerProcess) -> dict[str, object]:
    return httpx.get(f"{server.url}/jobs/imports/{JOB}", params=PARAMS).json()  # type: ignore[no-any-return]


def kill_when(server: ServerProcess, url: str, label: str, count: int) -> float:
    """SIGKILL the server once `label` holds `count` rows; the time it took."""
    started = time.perf_counter()
    while stored(url, label) < count:
        time.sleep(0.5)
    server.kill()
    return time.perf_counter() - started


def log_summary(path: Path) -> Counter[str]:
    """Each Info line by section and status, and the number of Error lines."""
    seen: Counter[str] = Counter()
    for line in path.read_bytes().splitlines():
        entry = orjson.loads(line)
        details = entry["details"]
        if entry["logType"] == "Error":
            seen["Error"] += 1
        else:
            seen[f"{details.get('section', 'job')} {details['status']}"] += 1
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--twins", type=int, default=1_000_000)
    parser.add_argument("--database-url", help="an AGE server (default: the local one)")
    args = parser.parse_args()
    url = fresh_database(args.database_url or local.start(), "adtquery_import_restart")
    with tempfile.TemporaryDirectory() as directory:
        data = Path(directory)
        written = write_ndjson(data / "graph.ndjson", args.twins)
        server = ServerProcess(url, data)
        server.start()
        started = time.perf_counter()
        body = {"inputBlobUri": "file:graph.ndjson", "outputBlobUri": "file:job-log.ndjson"}
        httpx.put(f"{server.url}/jobs/imports/{JOB}", params=PARAMS, json=body).raise_for_status()
        for label, count in ((TWIN_LABEL, written.twins // 2),
                             (RELATIONSHIP_LABEL, written.relationships // 2)):  # fmt: skip
            waited = kill_when(server, url, label, count)
            rows = stored(url, label)
            print(f"killed with {rows:,} {label} rows, {waited:.1f} s after the last start")
            server.start()
        while job(server)["status"] in ("notstarted", "running"):
            time.sleep(0.5)
        seconds = time.perf_counter() - started
        final = job(server)
        server.kill()
        twins, relationships = stored(url, TWIN_LABEL), stored(url, RELATIONSHIP_LABEL)
        print(f"job {final['status']} in {seconds:.1f} s, two restarts included")
        print(f"twins {twins:,} of {written.twins:,}, relationships {relationships:,} of "
              f"{written.relationships:,}")  # fmt: skip
        print("output log:", dict(log_summary(data / "job-log.ndjson")))
        ok = (final["status"], twins, relationships) == (
            "succeeded",
            written.twins,
            written.relationships,
        )
        print("nothing lost, nothing twice" if ok else "MISMATCH")


if __name__ == "__main__":
    main()
