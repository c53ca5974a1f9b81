"""A bounded load run on loopback (benchmarks/load.py's driver, smaller): concurrent clients
creating, patching, reading and querying twins get no error, and every twin ends holding the
write last acknowledged to its client, with that write's etag."""

from __future__ import annotations

import pytest

from benchmarks.load import OPERATIONS, prepare, run, verify
from tests.db.conftest import schema_url  # noqa: F401  (fixture)

pytestmark = pytest.mark.db


def test_concurrent_clients_get_no_error_and_every_acknowledged_write_is_kept(
    endpoint: str,
) -> None:
    prepare(endpoint)
    result = run(endpoint, clients=8, seconds=5)
    failed = [s for s in result.samples if not s.ok]
    assert failed == []
    assert {s.op for s in result.samples} == set(OPERATIONS)
    assert all(w.acknowledged for writes in result.writes.values() for w in writes)
    assert verify(endpoint, result.writes) == []
