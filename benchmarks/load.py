"""Load: concurrent clients creating, patching, reading and querying twins on `adtquery serve`.

    .venv/bin/python -m benchmarks.load --clients 32 --seconds 30 [--restart-db]

Each client is a thread with one keep-alive httpx connection and twins of its own, so the last
write it saw acknowledged is what the twin must hold at the end. `--restart-db` restarts the local
database (`pg_ctl restart`) halfway and reports the window in which requests failed. Prints
markdown. tests/server/test_load.py and test_faults.py drive the server with the same `run`.
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg

from adtquery.db import local
from benchmarks.import_throughput import fresh_database
from tests.server.conftest import API_VERSION, ServerProcess

MODEL_ID = "dtmi:adtquery:load:Gauge;1"
MODEL = {
    "@id": MODEL_ID,
    "@type": "Interface",
    "@context": "dtmi:dtdl:context;3",
    "contents": [
        {"@type": "Property", "name": "value", "schema": "integer"},
        {"@type": "Property", "name": "label", "schema": "string"},
    ],
}
OPERATIONS = {"create": 2, "patch": 3, "get": 3, "query": 2}  # relative weights


@dataclass(frozen=True)
class Sample:
    op: str
    started: float  # seconds since the run started
    seconds: float
    status: int | None  # None: no answer (connection refused or reset, client timeout)
    code: str | None = None  # the ADT error code, when body and x-ms-error-code agree
    retry_after: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and self.status < 300


@dataclass(frozen=True)
class Write:
    """One create or patch. Every write sets `value` to a number no other write uses, and
    `label` to match it, so the stored twin names the write that produced it."""

    value: int
    acknowledged: bool
    etag: str | None = None


def label(value: int) -> str:
    return f"v{value}"


@dataclass
class Client:
    """One simulated user: a thread, a connection, its own twins."""

    name: str
    http: httpx.Client
    rng: random.Random
    started: float
    samples: list[Sample] = field(default_factory=list)
    writes: dict[str, list[Write]] = field(default_factory=dict)  # twin id: writes, in order
    twins: list[str] = field(default_factory=list)  # created and acknowledged
    sequence: int = 0

    def run(self, until: float) -> None:
        names, weights = list(OPERATIONS), list(OPERATIONS.values())
        while time.monotonic() < until:
            op = self.rng.choices(names, weights)[0] if self.twins else "create"
            getattr(self, op)()

    def create(self) -> None:
        twin_id = f"{self.name}-{len(self.writes)}"
        value = self._next_value()
        body = {"$metadata": {"$model": MODEL_ID}, "value": value, "label": label(value)}
        response = self._send("create", "PUT", f"/digitaltwins/{twin_id}", json=body)
        self._record(twin_id, value, response)
        if response is not None and response.status_code < 300:
            self.twins.append(twin_id)

    def patch(self) -> None:
        twin_id = self.rng.choice(self.twins)
        value = self._next_value()
        patch = [
            {"op": "replace", "path": "/value", "value": value},
            {"op": "replace", "path": "/label", "value": label(value)},
        ]
        headers = {"Content-Type": "application/json-patch+json"}
        path = f"/digitaltwins/{twin_id}"
        response = self._send("patch", "PATCH", path, json=patch, headers=headers)
        self._record(twin_id, value, response)

    def get(self) -> None:
        self._send("get", "GET", f"/digitaltwins/{self.rng.choice(self.twins)}")

    def query(self) -> None:
        twin_id = self.rng.choice(self.twins)
        text = f"SELECT T.value FROM DIGITALTWINS T WHERE T.$dtId = '{twin_id}'"
        self._send("query", "POST", "/query", json={"query": text})

    def _next_value(self) -> int:
        self.sequence += 1
        return self.sequence

    def _record(self, twin_id: str, value: int, response: httpx.Response | None) -> None:
        acknowledged = response is not None and response.status_code < 300
        etag = response.headers.get("ETag") if response is not None else None
        self.writes.setdefault(twin_id, []).append(Write(value, acknowledged, etag))

    def _send(self, op: str, method: str, path: str, **options: Any) -> httpx.Response | None:
        began = time.monotonic()
        try:
            response = self.http.request(method, path, **options)
        except httpx.TransportError:
            self.samples.append(Sample(op, began - self.started, time.monotonic() - began, None))
            time.sleep(0.05)  # a server that is down refuses at once: do not spin
            return None
        self.samples.append(_sample(op, began - self.started, time.monotonic() - began, response))
        return response


def _sample(op: str, started: float, seconds: float, response: httpx.Response) -> Sample:
    if response.status_code < 300:
        return Sample(op, started, seconds, response.status_code)
    try:
        code = response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        code = None
    agreed = code if code == response.headers.get("x-ms-error-code") else None
    retry_after = response.headers.get("Retry-After")
    return Sample(op, started, seconds, response.status_code, agreed, retry_after)


@dataclass
class Run:
    """What the clients did: every request, and every write per twin."""

    seconds: float
    samples: list[Sample]
    writes: dict[str, list[Write]]


def http_client(endpoint: str, timeout: float) -> httpx.Client:
    return httpx.Client(base_url=endpoint, params={"api-version": API_VERSION}, timeout=timeout)


def prepare(endpoint: str) -> None:
    """The model the twins use; a 409 means an earlier run created it."""
    with http_client(endpoint, 30) as http:
        response = http.post("/models", json=[MODEL])
        if response.status_code not in (201, 409):
            raise RuntimeError(f"creating the model: {response.status_code} {response.text}")


def run(
    endpoint: str,
    *,
    clients: int,
    seconds: float,
    timeout: float = 10.0,
    seed: int = 0,
    during: Callable[[float], None] | None = None,
) -> Run:
    """`clients` threads for `seconds`; `during(started)`, if given, runs meanwhile in this
    thread (to inject a fault: `started` is the run's time.monotonic() origin)."""
    started = time.monotonic()
    workers = [
        Client(
            f"c{seed}-{i}", http_client(endpoint, timeout), random.Random(seed * 1000 + i), started
        )
        for i in range(clients)
    ]
    threads = [threading.Thread(target=w.run, args=(started + seconds,)) for w in workers]
    for thread in threads:
        thread.start()
    if during is not None:
        during(started)
    for thread in threads:
        thread.join()
    for worker in workers:
        worker.http.close()
    writes = {twin: w for worker in workers for twin, w in worker.writes.items()}
    samples = sorted((s for worker in workers for s in worker.samples), key=lambda s: s.started)
    return Run(time.monotonic() - started, samples, writes)


def verify(endpoint: str, writes: dict[str, list[Write]]) -> list[str]:
    """Every twin holds its last acknowledged write, with that write's etag, or a later write
    that got no acknowledgement (one whose COMMIT went through as the connection died); a twin
    whose create was never acknowledged holds one of its writes or does not exist; no twin is
    half-written. Returns the problems found."""
    problems = []
    with http_client(endpoint, 30) as http:
        for twin_id, history in writes.items():
            response = http.get(f"/digitaltwins/{twin_id}")
            stored = response.json() if response.status_code == 200 else None
            if response.status_code not in (200, 404):
                problems.append(f"{twin_id}: GET answered {response.status_code}")
            elif problem := _check_twin(twin_id, history, stored):
                problems.append(problem)
    return problems


def _check_twin(twin_id: str, history: list[Write], stored: dict[str, Any] | None) -> str | None:
    acknowledged = [i for i, write in enumerate(history) if write.acknowledged]
    last = acknowledged[-1] if acknowledged else None
    if stored is None:
        return None if last is None else f"{twin_id}: acknowledged, but gone"
    possible = history if last is None else history[last:]
    value = stored.get("value")
    metadata = stored.get("$metadata", {})
    times = {metadata.get(key, {}).get("lastUpdateTime") for key in ("value", "label")}
    if stored.get("label") != label(value) or times != {metadata.get("$lastUpdateTime")}:
        return f"{twin_id}: half-written: {stored}"
    if value not in {write.value for write in possible}:
        return f"{twin_id}: holds write {value}, expected one of {[w.value for w in possible]}"
    if last is not None and value == history[last].value and stored["$etag"] != history[last].etag:
        return f"{twin_id}: etag {stored['$etag']}, acknowledged {history[last].etag}"
    return None


def _ms(values: list[float], p: float) -> str:
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0] * 1000:.1f}"
    return f"{statistics.quantiles(values, n=100, method='inclusive')[p - 1] * 1000:.1f}"


def table(result: Run) -> str:
    """Requests/s and p50/p99 latency per operation (successful requests), errors apart."""
    lines = [
        "| operation | requests | requests/s | p50 ms | p99 ms | errors |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for op in [*OPERATIONS, "all"]:
        samples = result.samples if op == "all" else [s for s in result.samples if s.op == op]
        times = [s.seconds for s in samples if s.ok]
        errors = sum(not s.ok for s in samples)
        rate = len(samples) / result.seconds
        lines.append(
            f"| {op} | {len(samples):,} | {rate:,.0f} | {_ms(times, 50)} | {_ms(times, 99)} "
            f"| {errors:,} |"
        )
    return "\n".join(lines)


def error_window(result: Run, fault_at: float) -> str:
    """How requests failed, when, and the longest time in which none succeeded."""
    failed = [s for s in result.samples if not s.ok]
    kinds: dict[str, int] = {}
    for sample in failed:
        kind = f"{sample.status} {sample.code}" if sample.status else "no answer"
        kinds[kind] = kinds.get(kind, 0) + 1
    summary = ", ".join(f"{count} x {kind}" for kind, count in sorted(kinds.items()))
    if failed:
        first = failed[0].started - fault_at
        end = max(s.started + s.seconds for s in failed) - fault_at
        summary += f", from {first:+.1f} s to {end:+.1f} s after the fault"
    ends = sorted(s.started + s.seconds for s in result.samples if s.ok)
    gap, after = max((b - a, a) for a, b in itertools.pairwise(ends))
    return (
        f"Failed requests: {summary or 'none'}. Longest time without a successful answer: "
        f"{gap:.2f} s, from {after - fault_at:+.1f} s after the fault."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument(
        "--restart-db", action="store_true", help="restart the local database halfway"
    )
    args = parser.parse_args()
    server_url = local.start()
    database = "adtquery_bench_load"
    url = fresh_database(server_url, database)
    fault: list[float] = []

    def restart(started: float) -> None:
        time.sleep(max(0.0, started + args.seconds / 2 - time.monotonic()))
        fault.append(time.monotonic() - started)
        local.restart()
        fault.append(time.monotonic() - started)

    with tempfile.TemporaryDirectory() as data_dir:
        server = ServerProcess(url, Path(data_dir))
        server.start()
        try:
            prepare(server.url)
            during = restart if args.restart_db else None
            result = run(server.url, clients=args.clients, seconds=args.seconds, during=during)
            problems = verify(server.url, result.writes)
        finally:
            server.kill()
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    print(f"{args.clients} clients, {result.seconds:.1f} s, {len(result.writes):,} twins\n")
    print(table(result))
    if fault:
        took = fault[1] - fault[0]
        print(f"\npg_ctl restart at {fault[0]:.1f} s took {took:.1f} s.")
        print(error_window(result, fault[0]))
    print(f"\nVerification: {len(problems)} problems", *problems[:20], sep="\n")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
