"""Importing ADT's import format (NDJSON) into AGE: what is stored, and that a bad line names
itself and leaves the database exactly as it was."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from adtquery.db.execute import query_page
from adtquery.db.importer import ImportFailed, ImportSummary, import_ndjson
from adtquery.db.models import extends_graph
from adtquery.errors import ValidationFailed
from tests.db.conftest import connect

pytestmark = pytest.mark.db
FIXTURE = Path(__file__).parent / "fixtures" / "building.ndjson"
SECRET = b"s"
ETAG = re.compile(r'W/"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"')
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z")


@pytest.fixture(scope="module")
def conn(schema_url: str) -> Iterator[psycopg.Connection]:
    with connect(schema_url) as connection:
        yield connection


@pytest.fixture(scope="module")
def imported(conn: psycopg.Connection) -> tuple[ImportSummary, list[ImportSummary]]:
    """The fixture file, imported in batches of two so that batches really are split; and a
    decommissioned model, stored before."""
    old = {"id": "dtmi:test:Old;1", "model": {"@id": "dtmi:test:Old;1"}, "extends": []}
    conn.execute(
        'INSERT INTO adt."Model" (properties) VALUES (%s::text::ag_catalog.agtype)',
        (json.dumps({**old, "uploadTime": "2024-01-01T00:00:00Z", "decommissioned": True}),),
    )
    reports: list[ImportSummary] = []
    with FIXTURE.open(encoding="utf-8") as lines:
        summary = import_ndjson(conn, lines, batch_size=2, progress=reports.append)
    return summary, reports


def _rows(conn: psycopg.Connection, query: str, page_size: int = 100) -> list[dict[str, Any]]:
    page = query_page(
        conn, query=query, continuation_token=None, page_size=page_size, secret=SECRET
    )
    rows = page.rows
    while page.continuation_token:
        page = query_page(
            conn,
            query=None,
            continuation_token=page.continuation_token,
            page_size=page_size,
            secret=SECRET,
        )
        rows += page.rows
    return rows


def _twin(conn: psycopg.Connection, dtid: str) -> dict[str, Any]:
    [twin] = _rows(conn, f"SELECT * FROM DIGITALTWINS T WHERE T.$dtId = '{dtid}'")
    return twin


def test_counts_and_progress(imported: tuple[ImportSummary, list[ImportSummary]]) -> None:
    summary, reports = imported
    assert summary == ImportSummary(models=4, twins=3, relationships=3)
    assert reports[-1] == summary
    assert [r.twins for r in reports] == sorted(r.twins for r in reports)
    assert ImportSummary(4, 2, 0) in reports  # a report after each batch of two


def test_twins_get_etag_and_update_times(conn: psycopg.Connection, imported: object) -> None:
    room = _twin(conn, "room1")
    assert ETAG.fullmatch(room["$etag"])
    metadata = room["$metadata"]
    now = metadata["$lastUpdateTime"]
    assert TIME.fullmatch(now)
    assert metadata == {
        "$model": "dtmi:test:Room;1",
        "$lastUpdateTime": now,
        "name": {"lastUpdateTime": now},
        "temperature": {"lastUpdateTime": now},
    }  # the component has its own $metadata, and no entry here
    assert room["thermostat"] == {
        "setpoint": 21,
        "$metadata": {"$lastUpdateTime": now, "setpoint": {"lastUpdateTime": now}},
    }
    assert _twin(conn, "floor1")["$etag"] != room["$etag"]


def test_values_in_the_file_are_kept(conn: psycopg.Connection, imported: object) -> None:
    room = _twin(conn, "room2")
    now = _twin(conn, "room1")["$metadata"]["$lastUpdateTime"]
    assert room["$etag"] == 'W/"given"'
    assert room["name"] == "Zimmer 2 ✓"
    assert room["$metadata"] == {
        "$model": "dtmi:test:Room;1",
        "$lastUpdateTime": "2024-01-01T00:00:00.0000000Z",
        "temperature": {
            "lastUpdateTime": "2024-01-02T00:00:00.0000000Z",
            "sourceTime": "2024-01-01T23:59:59Z",
        },
        "name": {"lastUpdateTime": now},
    }
    assert room["thermostat"] == {"$metadata": {"$lastUpdateTime": now}}


def test_relationships_get_source_and_etag(conn: psycopg.Connection, imported: object) -> None:
    rows = _rows(conn, "SELECT R FROM RELATIONSHIPS R")
    relationships = {row["R"]["$relationshipId"]: row["R"] for row in rows}
    assert set(relationships) == {"floor1-room1", "floor1-room2", "room1-room2"}
    contains = relationships["floor1-room2"]
    assert ETAG.fullmatch(contains.pop("$etag"))
    assert contains == {
        "$relationshipId": "floor1-room2",
        "$sourceId": "floor1",
        "$targetId": "room2",
        "$relationshipName": "contains",
        "since": 2020,
    }
    assert relationships["room1-room2"]["$etag"] == 'W/"kept"'


def test_models_are_stored_with_their_bases(conn: psycopg.Connection, imported: object) -> None:
    assert extends_graph(conn) == {
        "dtmi:test:Space;1": [],
        "dtmi:test:Floor;1": ["dtmi:test:Space;1"],
        "dtmi:test:Room;1": ["dtmi:test:Space;1"],
        "dtmi:test:Thermostat;1": [],
        "dtmi:test:Old;1": [],  # stored before the import, decommissioned
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("SELECT COUNT() FROM DIGITALTWINS", [{"COUNT": 3}]),
        (
            "SELECT T.$dtId FROM DIGITALTWINS T WHERE IS_OF_MODEL(T, 'dtmi:test:Space;1')",
            [{"$dtId": "floor1"}, {"$dtId": "room1"}, {"$dtId": "room2"}],
        ),
        (
            "SELECT R.$dtId FROM DIGITALTWINS F JOIN R RELATED F.contains WHERE F.$dtId = 'floor1'",
            [{"$dtId": "room1"}, {"$dtId": "room2"}],
        ),
        (
            "SELECT T.thermostat.setpoint FROM DIGITALTWINS T WHERE T.$dtId = 'room1'",
            [{"setpoint": 21}],
        ),
    ],
)
def test_the_import_is_queryable(
    conn: psycopg.Connection, imported: object, query: str, expected: list[dict[str, Any]]
) -> None:
    rows = _rows(conn, query, page_size=1)  # every row on a page of its own, through tokens
    assert sorted(rows, key=json.dumps) == expected


# A valid file on top of the fixture: three twins, three relationships. Batches of two put lines
# 4-5 and 8-9 in the database before lines 6 and 10 are written.
MORE = [
    {"Section": "Header"},
    {"fileVersion": "1.0.0"},
    {"Section": "Twins"},
    {"$dtId": "room3", "$metadata": {"$model": "dtmi:test:Room;1"}, "name": "Room 3"},
    {"$dtId": "room4", "$metadata": {"$model": "dtmi:test:Room;1"}},
    {"$dtId": "room5", "$metadata": {"$model": "dtmi:test:Room;1"}},
    {"Section": "Relationships"},
    {"$dtId": "floor1", "$relationshipId": "floor1-room3", "$targetId": "room3",
     "$relationshipName": "contains"},
    {"$dtId": "room3", "$relationshipId": "room3-room1", "$targetId": "room1",
     "$relationshipName": "adjacentTo"},
    {"$dtId": "room4", "$relationshipId": "room4-room5", "$targetId": "room5",
     "$relationshipName": "adjacentTo"},
]  # fmt: skip


def _lines(documents: list[Any]) -> list[str]:
    return [d if isinstance(d, str) else json.dumps(d, ensure_ascii=False) for d in documents]


def _with(line: int, replacement: Any) -> list[str]:
    """MORE with line `line` (1-based) replaced, or removed when `replacement` is None."""
    documents: list[Any] = list(MORE)
    if replacement is None:
        del documents[line - 1]
    else:
        documents[line - 1] = replacement
    return _lines(documents)


def _relationship(source: str, rid: str, target: str, **more: Any) -> dict[str, Any]:
    return {
        "$dtId": source,
        "$relationshipId": rid,
        "$targetId": target,
        "$relationshipName": "adjacentTo",
        **more,
    }


ROOM = {"$model": "dtmi:test:Room;1"}
HEADER = _lines([{"Section": "Header"}, {}])
BAD = [
    ("invalid JSON", _with(5, '{"$dtId": "room4",'), 5, "not valid JSON"),
    ("not an object", _with(5, '["room4"]'), 5, "expected a JSON object, found"),
    ("twin without $dtId", _with(6, {"$metadata": ROOM}), 6, 'the twin has no "$dtId"'),
    ("empty $dtId", _with(6, {"$dtId": "", "$metadata": ROOM}), 6, "non-empty string"),
    ("twin without model", _with(6, {"$dtId": "room5", "$metadata": {}}), 6, '"$model"'),
    ("twin without $metadata", _with(6, {"$dtId": "room5"}), 6, '"$metadata"'),
    (
        "unknown model",
        _with(6, {"$dtId": "room5", "$metadata": {"$model": "dtmi:test:Nope;1"}}),
        6,
        "model dtmi:test:Nope;1 does not exist",
    ),
    (
        "decommissioned model",
        _with(6, {"$dtId": "room5", "$metadata": {"$model": "dtmi:test:Old;1"}}),
        6,
        "model dtmi:test:Old;1 is decommissioned",
    ),
    (
        "duplicate $dtId in the file",
        _with(6, {"$dtId": "room3", "$metadata": ROOM}),
        6,
        "duplicate $dtId 'room3': already on line 4",
    ),
    (
        "duplicate $dtId in the database",
        _with(6, {"$dtId": "room1", "$metadata": ROOM}),
        6,
        "a twin with $dtId 'room1' already exists",
    ),
    (
        "duplicate $dtId in the database, mid-batch",
        _with(5, {"$dtId": "room2", "$metadata": ROOM}),
        5,
        "a twin with $dtId 'room2' already exists",
    ),
    (
        "value the database refuses",
        _with(6, {"$dtId": "room5", "$metadata": ROOM, "big": 18446744073709551615}),
        6,
        "twin 'room5' was refused: value",
    ),
    (
        "value too large for an index",
        _with(6, {"$dtId": random.Random(6).randbytes(6000).hex(), "$metadata": ROOM}),
        6,
        "was refused: index row",
    ),
    (
        "relationship without $targetId",
        _with(10, {"$dtId": "room4", "$relationshipId": "x", "$relationshipName": "adjacentTo"}),
        10,
        'the relationship has no "$targetId"',
    ),
    (
        "relationship without source",
        _with(10, {"$relationshipId": "x", "$targetId": "room1", "$relationshipName": "r"}),
        10,
        'the relationship has no "$dtId"',
    ),
    (
        "unknown source twin",
        _with(10, _relationship("ghost", "x", "room1")),
        10,
        "relationship 'x': source twin 'ghost' does not exist",
    ),
    (
        "unknown target twin",
        _with(10, _relationship("room4", "x", "ghost")),
        10,
        "relationship 'x': target twin 'ghost' does not exist",
    ),
    (
        "duplicate relationship in the file",
        _with(10, _relationship("room3", "room3-room1", "room2")),
        10,
        "relationship 'room3-room1' of twin 'room3' already exists",
    ),
    (
        "duplicate relationship in the database",
        _with(10, _relationship("floor1", "floor1-room1", "room2")),
        10,
        "relationship 'floor1-room1' of twin 'floor1' already exists",
    ),
    (
        "$dtId and $sourceId disagree",
        _with(10, _relationship("room4", "x", "room5", **{"$sourceId": "room3"})),
        10,
        "name different twins",
    ),
    ("section out of order", _with(7, {"Section": "Models"}), 7, "section Models after Twins"),
    ("section twice", _with(7, {"Section": "Twins"}), 7, "section Twins after Twins"),
    ("unknown section", _with(7, {"Section": "Devices"}), 7, 'unknown section "Devices"'),
    ("no header", _with(1, {"Section": "Twins"}), 1, 'must start with {"Section": "Header"}'),
    ("no header object", _with(2, None), 2, "the Header section has no header object"),
    ("two header objects", _with(3, {"author": "x"}), 3, "the Header section holds one object"),
    ("file version", _with(2, {"fileVersion": "2.0.0"}), 2, 'fileVersion "2.0.0" is not'),
    ("empty file", [], 1, "it is empty"),
    (
        "model that exists",
        HEADER
        + _lines([{"Section": "Models"}, {"@id": "dtmi:t:New;1"}, {"@id": "dtmi:test:Room;1"}]),
        5,
        "model dtmi:test:Room;1 already exists",
    ),
    (
        "model twice",
        HEADER + _lines([{"Section": "Models"}, {"@id": "dtmi:t:New;1"}, {"@id": "dtmi:t:New;1"}]),
        5,
        "model dtmi:t:New;1 is already on line 4",
    ),
    ("model without @id", HEADER + _lines([{"Section": "Models"}, {}]), 4, 'has no "@id"'),
]


def _snapshot(conn: psycopg.Connection) -> list[tuple[str, str]]:
    return conn.execute(
        "SELECT 'twin', ag_catalog.agtype_out(properties)::text FROM adt.\"Twin\" UNION ALL "
        "SELECT 'relationship', ag_catalog.agtype_out(properties)::text "
        'FROM adt."Relationship" UNION ALL '
        "SELECT 'model', ag_catalog.agtype_out(properties)::text FROM adt.\"Model\" ORDER BY 1, 2"
    ).fetchall()


def test_the_bad_files_are_good_but_for_their_bad_line(
    conn: psycopg.Connection, imported: object
) -> None:
    with conn.transaction(force_rollback=True):  # the import's transaction becomes a savepoint
        assert import_ndjson(conn, _lines(MORE), batch_size=2) == ImportSummary(0, 3, 3)


@pytest.mark.parametrize(
    ("lines", "line", "message"), [case[1:] for case in BAD], ids=[case[0] for case in BAD]
)
def test_a_bad_line_is_named_and_nothing_is_written(
    conn: psycopg.Connection, imported: object, lines: list[str], line: int, message: str
) -> None:
    before = _snapshot(conn)
    with pytest.raises(ImportFailed) as failure:
        import_ndjson(conn, lines, batch_size=2)
    assert failure.value.line == line
    assert str(failure.value).startswith(f"Line {line}: ")
    assert message in str(failure.value)
    assert isinstance(failure.value, ValidationFailed)
    assert failure.value.code == "ValidationFailed"
    assert _snapshot(conn) == before


def test_a_failing_source_leaves_nothing_behind(conn: psycopg.Connection, imported: object) -> None:
    def lines() -> Iterator[str]:
        yield from _lines(MORE)  # everything but the end is sent to the database
        raise OSError("the disk went away")

    before = _snapshot(conn)
    with pytest.raises(OSError, match="the disk went away"):
        import_ndjson(conn, lines(), batch_size=1)
    assert _snapshot(conn) == before


def test_bytes_with_a_byte_order_mark_and_crlf(conn: psycopg.Connection, imported: object) -> None:
    data = ("\ufeff" + "\r\n".join(_lines(MORE)) + "\r\n").encode()
    with conn.transaction(force_rollback=True):
        summary = import_ndjson(conn, data.splitlines(keepends=True))
        assert summary == ImportSummary(0, 3, 3)
        assert _twin(conn, "room3")["name"] == "Room 3"


def test_bytes_that_are_not_utf8(conn: psycopg.Connection, imported: object) -> None:
    lines = [line.encode() for line in _with(4, '{"$dtId": "room3", "name": "x"}')]
    lines[3] = lines[3].replace(b"x", b"\xff")
    with pytest.raises(ImportFailed, match=r"^Line 4: not valid UTF-8 \(byte 29 of the line\)"):
        import_ndjson(conn, lines)


def test_sourceid_is_accepted_for_dtid(conn: psycopg.Connection, imported: object) -> None:
    # Relationships as ADT returns them (SELECT * FROM RELATIONSHIPS) name the source $sourceId.
    exported = {k.replace("$dtId", "$sourceId"): v for k, v in MORE[9].items()}
    with conn.transaction(force_rollback=True):
        import_ndjson(conn, _with(10, exported))
        rows = _rows(conn, "SELECT R FROM RELATIONSHIPS R WHERE R.$relationshipId = 'room4-room5'")
        assert rows[0]["R"]["$sourceId"] == "room4"
        assert "$dtId" not in rows[0]["R"]


def test_batch_size_must_be_positive(conn: psycopg.Connection) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        import_ndjson(conn, [], batch_size=0)
