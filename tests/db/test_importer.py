"""Importing ADT's import format (NDJSON) into AGE, as ADT's import jobs do: what is stored; a bad
twin or relationship is logged with its line and skipped while the rest imports; a bad structure
fails the import from its line on; and an import killed after any unit resumes from its checkpoint
to exactly what one uninterrupted import stores and logs."""

from __future__ import annotations

import gc
import io
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.pq import TransactionStatus

from adtquery.db import bulk, importunits
from adtquery.db.execute import query_page
from adtquery.db.importer import (
    DONE,
    Checkpoint,
    ImportFailed,
    ImportResult,
    LogEntry,
    run_import,
)
from adtquery.db.models import extends_graph
from adtquery.db.schema import SECONDARY_INDEXES, ensure_schema, pause_autovacuum
from adtquery.errors import ValidationFailed
from adtquery.schema import GRAPH, MODEL_LABEL, RELATIONSHIP_LABEL, TWIN_LABEL
from tests.db.conftest import connect, throwaway_database

pytestmark = pytest.mark.db
FIXTURE = Path(__file__).parent / "fixtures" / "building.ndjson"
SECRET = b"s"
ETAG = re.compile(r'W/"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"')
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z")
OLD = "dtmi:test:Old;1"
NOTHING_DONE = Checkpoint()


# -- helpers -------------------------------------------------------------------------------


@dataclass
class RecordingSink:
    """Keeps what each committed unit records; `stop_after` units, it asks to stop (a kill)."""

    stop_after: int | None = None
    entries: list[LogEntry] = field(default_factory=list)
    checkpoints: list[Checkpoint] = field(default_factory=list)

    def record(
        self, conn: psycopg.Connection, entries: list[LogEntry], checkpoint: Checkpoint
    ) -> None:
        assert conn.info.transaction_status is TransactionStatus.INTRANS
        self.entries += entries
        self.checkpoints.append(checkpoint)

    def committed(self, checkpoint: Checkpoint) -> bool:
        assert checkpoint == self.checkpoints[-1]
        return self.stop_after is None or len(self.checkpoints) < self.stop_after

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [entry.details for entry in self.entries if entry.log_type == "Error"]


def ndjson(*lines: dict[str, Any] | bytes, end: bytes = b"\n", bom: bool = False) -> bytes:
    """An import file: documents as JSON, bytes as they are."""
    raw = [
        line if isinstance(line, bytes) else json.dumps(line, ensure_ascii=False).encode()
        for line in lines
    ]
    return (b"\xef\xbb\xbf" if bom else b"") + b"".join(line + end for line in raw)


def twin(dtid: str, model: str, **properties: Any) -> dict[str, Any]:
    return {"$dtId": dtid, "$metadata": {"$model": f"dtmi:test:{model};1"}, **properties}


def relationship(source: str, rid: str, target: str, name: str, **more: Any) -> dict[str, Any]:
    return {
        "$dtId": source,
        "$relationshipId": rid,
        "$targetId": target,
        "$relationshipName": name,
        **more,
    }


def run(
    conn: psycopg.Connection,
    data: bytes,
    sink: RecordingSink | None = None,
    *,
    start: Checkpoint = NOTHING_DONE,
    batch_size: int = 2,
) -> ImportResult:
    """Import `data` from `start.offset` on, as a resumed job reads its file."""
    stream = io.BytesIO(data)
    stream.seek(start.offset)
    return run_import(conn, stream, sink or RecordingSink(), start=start, batch_size=batch_size)


def reset(conn: psycopg.Connection) -> None:
    for label in (RELATIONSHIP_LABEL, TWIN_LABEL, MODEL_LABEL):
        conn.execute(f'DELETE FROM {GRAPH}."{label}"')


def store_decommissioned_model(conn: psycopg.Connection) -> None:
    model = {"@id": OLD, "@type": "Interface", "@context": "dtmi:dtdl:context;2"}
    row = {"id": OLD, "model": model, "extends": [], "uploadTime": "2024-01-01T00:00:00Z"}
    conn.execute(
        f'INSERT INTO {GRAPH}."{MODEL_LABEL}" (properties) VALUES (%s::text::ag_catalog.agtype)',
        (json.dumps({**row, "decommissioned": True}),),
    )


def store_building(conn: psycopg.Connection, batch_size: int = 2) -> RecordingSink:
    """The fixture file on an empty graph, with a decommissioned model stored before."""
    reset(conn)
    store_decommissioned_model(conn)
    sink = RecordingSink()
    result = run(conn, FIXTURE.read_bytes(), sink, batch_size=batch_size)
    assert not result.stopped
    assert sink.errors == []
    return sink


def rows(conn: psycopg.Connection, query: str, page_size: int = 100) -> list[dict[str, Any]]:
    """Every row of an ADT query, through continuation tokens."""
    found: list[dict[str, Any]] = []
    token = None
    while True:
        page = query_page(
            conn, query=query, continuation_token=token, page_size=page_size, secret=SECRET
        )
        found += page.rows
        token = page.continuation_token
        if token is None:
            return found


def stored_twin(conn: psycopg.Connection, dtid: str) -> dict[str, Any]:
    [found] = rows(conn, f"SELECT * FROM DIGITALTWINS T WHERE T.$dtId = '{dtid}'")
    return found


def _generic(value: Any) -> Any:
    """Etags and update times the import makes differ from run to run: placeholders."""
    if isinstance(value, dict):
        return {key: _generic(item) for key, item in value.items()}
    if isinstance(value, str) and ETAG.fullmatch(value):
        return "<etag>"
    if isinstance(value, str) and TIME.fullmatch(value):
        return "<time>"
    return value


def graph(conn: psycopg.Connection) -> tuple[list[str], list[str]]:
    """Twins and relationships as sorted JSON (duplicates show), each edge checked to join the
    vertices its $sourceId and $targetId name."""
    twins = {
        graph_id: json.loads(text)
        for graph_id, text in conn.execute(
            "SELECT id::text::bigint, ag_catalog.agtype_out(properties)::text "
            f'FROM {GRAPH}."{TWIN_LABEL}"'
        )
    }
    edges = conn.execute(
        "SELECT start_id::text::bigint, end_id::text::bigint, "
        f'ag_catalog.agtype_out(properties)::text FROM {GRAPH}."{RELATIONSHIP_LABEL}"'
    ).fetchall()
    relationships = []
    for start, end, text in edges:
        document = json.loads(text)
        assert twins[start]["$dtId"] == document["$sourceId"]
        assert twins[end]["$dtId"] == document["$targetId"]
        relationships.append(document)
    return _sorted_json(twins.values()), _sorted_json(relationships)


def _sorted_json(documents: Iterable[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps(_generic(document), sort_keys=True) for document in documents)


def signature(entry: LogEntry) -> str:
    """A log entry less its message, which may say more when the run saw the first occurrence."""
    details = {key: value for key, value in entry.details.items() if key != "error"}
    if "error" in entry.details:
        details["code"] = entry.details["error"]["code"]
    return json.dumps([entry.log_type, details], sort_keys=True)


# -- databases -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def conn(schema_url: str) -> Iterator[psycopg.Connection]:
    with connect(schema_url) as connection:
        yield connection


@pytest.fixture(scope="module")
def building(conn: psycopg.Connection) -> RecordingSink:
    """The fixture file imported in units of two entities."""
    return store_building(conn)


@pytest.fixture(scope="module")
def scratch_url(server_url: str) -> Iterator[str]:
    with throwaway_database(server_url) as url:
        yield url


@pytest.fixture(scope="module")
def scratch_conn(scratch_url: str) -> Iterator[psycopg.Connection]:
    with connect(scratch_url) as connection:
        yield connection


@pytest.fixture
def scratch(scratch_conn: psycopg.Connection) -> psycopg.Connection:
    """An empty graph of the module's second database."""
    reset(scratch_conn)
    return scratch_conn


# -- what is stored ------------------------------------------------------------------------


def test_units_and_their_checkpoints(building: RecordingSink) -> None:
    data = FIXTURE.read_bytes()
    assert [
        (c.line, c.models, c.twins, c.relationships) for c in dict.fromkeys(building.checkpoints)
    ] == [
        (3, 0, 0, 0),  # the Models section starts
        (8, 4, 0, 0),  # the models, when the Twins section starts
        (10, 4, 2, 0),
        (13, 4, 3, 0),  # the end of the Twins section (line 11 is blank)
        (15, 4, 3, 2),
        (16, 4, 3, 3),
    ]
    assert building.checkpoints[-1] == Checkpoint(len(data), 16, DONE, True, 4, 3, 3, 0)
    for checkpoint in building.checkpoints:  # each offset is the end of its line
        assert data[: checkpoint.offset].count(b"\n") == checkpoint.line
    assert [entry.details for entry in building.entries] == [
        {"section": section, "status": status}
        for section in ("Models", "Twins", "Relationships")
        for status in ("Started", "Succeeded")
    ]


def sections_read(data: bytes, lines: int) -> int:
    """The index of the section the first `lines` lines of `data` leave a reader in."""
    names = ("Header", "Models", "Twins", "Relationships")
    if lines == len(data.splitlines()):
        return DONE
    section = -1
    for line in data.splitlines()[:lines]:
        if line.strip().startswith(b'{"Section"'):
            section = names.index(json.loads(line)["Section"])
    return section


def test_a_checkpoint_names_the_section_it_resumes_in(building: RecordingSink) -> None:
    data = FIXTURE.read_bytes()
    assert [c.section for c in building.checkpoints] == [
        sections_read(data, c.line) for c in building.checkpoints
    ]


def test_each_unit_moves_the_checkpoint(building: RecordingSink) -> None:
    offsets = [checkpoint.offset for checkpoint in building.checkpoints]
    assert offsets == sorted(set(offsets))


def test_twins_get_etag_and_update_times(conn: psycopg.Connection, building: object) -> None:
    room = stored_twin(conn, "room1")
    assert ETAG.fullmatch(room["$etag"])
    metadata = room["$metadata"]
    now = metadata["$lastUpdateTime"]
    assert TIME.fullmatch(now)
    assert metadata == {
        "$model": "dtmi:test:Room;1",
        "$lastUpdateTime": now,
        "name": {"lastUpdateTime": now},
        "temperature": {"lastUpdateTime": now},
        "thermostat": {"lastUpdateTime": now},
    }
    assert room["thermostat"] == {
        "setpoint": 21,
        "$metadata": {"$lastUpdateTime": now, "setpoint": {"lastUpdateTime": now}},
    }
    assert stored_twin(conn, "floor1")["$etag"] not in (room["$etag"], None)


def test_values_in_the_file_are_kept(conn: psycopg.Connection, building: object) -> None:
    room = stored_twin(conn, "room2")
    now = stored_twin(conn, "room1")["$metadata"]["$lastUpdateTime"]
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
        "thermostat": {"lastUpdateTime": now},
    }
    assert room["thermostat"] == {"$metadata": {"$lastUpdateTime": now}}


def test_relationships_get_source_and_etag(conn: psycopg.Connection, building: object) -> None:
    found = {
        row["R"]["$relationshipId"]: row["R"] for row in rows(conn, "SELECT R FROM RELATIONSHIPS R")
    }
    assert set(found) == {"floor1-room1", "floor1-room2", "room1-room2"}
    contains = found["floor1-room2"]
    etag = contains.pop("$etag")
    assert ETAG.fullmatch(etag)
    assert contains == {
        "$relationshipId": "floor1-room2",
        "$sourceId": "floor1",
        "$targetId": "room2",
        "$relationshipName": "contains",
        "since": 2020,
    }
    assert found["room1-room2"]["$etag"] == 'W/"kept"'
    assert found["floor1-room1"]["$etag"] != etag


def test_models_are_stored_with_their_bases(conn: psycopg.Connection, building: object) -> None:
    assert extends_graph(conn) == {
        "dtmi:test:Space;1": [],
        "dtmi:test:Floor;1": ["dtmi:test:Space;1"],
        "dtmi:test:Room;1": ["dtmi:test:Space;1"],
        "dtmi:test:Thermostat;1": [],
        OLD: [],  # stored before the import, decommissioned
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
            "SELECT T.$dtId FROM DIGITALTWINS T WHERE IS_OF_MODEL(T, 'dtmi:test:Floor;1', exact)",
            [{"$dtId": "floor1"}],
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
    conn: psycopg.Connection, building: object, query: str, expected: list[dict[str, Any]]
) -> None:
    found = rows(conn, query, page_size=1)  # every row on a page of its own, through tokens
    assert sorted(found, key=json.dumps) == expected


# -- entities that fail are logged and skipped ---------------------------------------------

FAULTY = ndjson(
    {"Section": "Header"},
    {"fileVersion": "1.0.0"},
    {"Section": "Twins"},
    twin("floor2", "Floor"),  # 4
    twin("nomodel", "Nope"),
    twin("space1", "Space", name="Space 1"),  # 6
    twin("old1", "Old"),
    twin("tall", "Space", height=3),
    b'{"$dtId": "broken",',
    b'{"$dtId": "\xff"}',  # 10
    twin("floor2", "Floor", name="again"),
    twin("room1", "Room", thermostat={"$metadata": {}}),
    twin("space2", "Space"),  # 13
    {"Section": "Relationships"},
    relationship("floor2", "r1", "space1", "contains"),  # 15
    relationship("floor2", "r2", "ghost", "contains"),
    relationship("ghost", "r3", "room1", "contains"),
    relationship("space1", "r4", "space1", "contains"),
    relationship("space1", "r5", "room1", "contains"),
    relationship("floor2", "r1", "space2", "contains"),  # 20
    relationship("floor1", "floor1-room1", "room2", "contains"),
    {  # 22: the source as a query exports it, both ends stored before this import
        "$sourceId": "floor1",
        "$relationshipId": "r6",
        "$targetId": "floor2",
        "$relationshipName": "contains",
        "$etag": 'W/"mine"',
    },
    relationship("room1", "r7", "space2", "adjacentTo"),  # 23
    relationship("floor2", "r8", "space2", "contains", until=1),
    relationship("floor2", "r9", "space2", "contains", since=2021),  # 25
)
TAKEN = "a relationship with this $relationshipId already exists on its source twin"
# On top of the fixture file: line, twin or (source, relationship), error code, message.
FAILURES = [
    (
        5,
        "nomodel",
        "ValidationFailed",
        "dtmi:test:Nope;1 or one of its dependencies does not exist.",
    ),
    (7, "old1", "ValidationFailed", f"the model {OLD} is decommissioned"),
    (8, "tall", "ValidationFailed", "height does not appear on the DTDL for Twin."),
    (9, None, "InvalidArgument", "not valid JSON (unexpected end of data at column 20)"),
    (10, None, "InvalidArgument", "not valid UTF-8 (byte 12 of the line)"),
    (11, "floor2", "ValidationFailed", "the twin floor2 is already in this file"),
    (12, "room1", "ValidationFailed", "a digital twin with this $dtId already exists"),
    (16, ("floor2", "r2"), "DigitalTwinNotFound", "the target twin ghost does not exist"),
    (17, ("ghost", "r3"), "DigitalTwinNotFound", "the source twin ghost does not exist"),
    (
        18,
        ("space1", "r4"),
        "OperationNotAllowed",
        "a relationship cannot point at its own source twin",
    ),
    (
        19,
        ("space1", "r5"),
        "ValidationFailed",
        "Relationship contains does not appear on the DTDL for dtmi:test:Space;1.",
    ),
    (20, ("floor2", "r1"), "ValidationFailed", TAKEN),
    (21, ("floor1", "floor1-room1"), "ValidationFailed", TAKEN),
    (
        24,
        ("floor2", "r8"),
        "ValidationFailed",
        "until does not appear on the DTDL for Relationship contains.",
    ),
]
FAULTY_DONE = Checkpoint(len(FAULTY), 25, DONE, True, 0, 3, 4, len(FAILURES))


@pytest.fixture(scope="module")
def faulty(scratch_conn: psycopg.Connection) -> RecordingSink:
    store_building(scratch_conn, batch_size=100)
    sink = RecordingSink()
    assert run(scratch_conn, FAULTY, sink) == ImportResult(FAULTY_DONE, stopped=False)
    return sink


def _failure(
    line: int, key: str | tuple[str, str] | None, code: str, message: str
) -> dict[str, Any]:
    details: dict[str, Any] = {"section": "Twins" if line < 14 else "Relationships", "line": line}
    if isinstance(key, tuple):
        details["twinId"], details["relationshipId"] = key
    elif key is not None:
        details["id"] = key
    return {**details, "error": {"code": code, "message": message}}


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(
            case,
            id=f"line {case[0]}",
        )
        for case in FAILURES
    ],
)
def test_a_bad_entity_is_logged_with_its_line(
    faulty: RecordingSink, failure: tuple[Any, ...]
) -> None:
    assert [e for e in faulty.errors if e["line"] == failure[0]] == [_failure(*failure)]


def test_only_the_bad_entities_are_logged(faulty: RecordingSink) -> None:
    assert sorted(error["line"] for error in faulty.errors) == [case[0] for case in FAILURES]
    infos = [(i, e.details) for i, e in enumerate(faulty.entries) if e.log_type == "Info"]
    last_twin = max(i for i, e in enumerate(faulty.entries) if e.details["section"] == "Twins")
    assert infos == [
        (0, {"section": "Twins", "status": "Started"}),
        (last_twin, {"section": "Twins", "status": "Succeeded"}),
        (last_twin + 1, {"section": "Relationships", "status": "Started"}),
        (len(faulty.entries) - 1, {"section": "Relationships", "status": "Succeeded"}),
    ]


def test_the_rest_is_imported(scratch_conn: psycopg.Connection, faulty: object) -> None:
    twins = rows(scratch_conn, "SELECT T.$dtId, T.name FROM DIGITALTWINS T")
    assert sorted(twins, key=json.dumps) == [
        {"$dtId": "floor1", "name": "Floor 1"},
        {"$dtId": "floor2"},  # the first of the two lines, not "again"
        {"$dtId": "room1", "name": "Room 1"},  # stored before, untouched
        {"$dtId": "room2", "name": "Zimmer 2 ✓"},
        {"$dtId": "space1", "name": "Space 1"},
        {"$dtId": "space2"},
    ]
    found = rows(
        scratch_conn, "SELECT R.$sourceId, R.$relationshipId, R.$targetId FROM RELATIONSHIPS R"
    )
    assert sorted((r["$sourceId"], r["$relationshipId"], r["$targetId"]) for r in found) == [
        ("floor1", "floor1-room1", "room1"),  # not moved to room2 by line 21
        ("floor1", "floor1-room2", "room2"),
        ("floor1", "r6", "floor2"),
        ("floor2", "r1", "space1"),  # the first of the two lines
        ("floor2", "r9", "space2"),
        ("room1", "r7", "space2"),
        ("room1", "room1-room2", "room2"),
    ]


def test_sourceid_is_accepted_for_dtid(scratch_conn: psycopg.Connection, faulty: object) -> None:
    [row] = rows(scratch_conn, "SELECT R FROM RELATIONSHIPS R WHERE R.$relationshipId = 'r6'")
    assert row["R"] == {
        "$sourceId": "floor1",
        "$relationshipId": "r6",
        "$targetId": "floor2",
        "$relationshipName": "contains",
        "$etag": 'W/"mine"',
    }
    [row] = rows(
        scratch_conn,
        "SELECT T.$dtId FROM DIGITALTWINS F JOIN T RELATED F.contains WHERE F.$dtId = 'floor1' "
        "AND T.$dtId = 'floor2'",
    )


# -- structural failures -------------------------------------------------------------------

HEADER = ({"Section": "Header"}, {"fileVersion": "1.0.0"})
SPACE = {
    "@id": "dtmi:test:Space;1",
    "@type": "Interface",
    "@context": "dtmi:dtdl:context;2",
    "contents": [{"@type": "Property", "name": "name", "schema": "string"}],
}
MODELS = (*HEADER, {"Section": "Models"}, SPACE)
STRUCTURE = [
    ("empty file", b"", 1, 'the file must start with {"Section": "Header"}; it is empty'),
    ("blank file", b"\n\n", 2, "it is empty"),
    (
        "no header",
        ndjson({"Section": "Twins"}),
        1,
        'the file must start with {"Section": "Header"}',
    ),
    ("object first", ndjson({"fileVersion": "1.0.0"}), 1, 'must start with {"Section": "Header"}'),
    (
        "header object missing",
        ndjson(HEADER[0], {"Section": "Twins"}),
        2,
        "the Header section has no header object",
    ),
    ("header object missing at the end", ndjson(HEADER[0]), 1, "no header object"),
    (
        "two header objects",
        ndjson(*HEADER, {"author": "x"}),
        3,
        "the Header section holds one object",
    ),
    (
        "file version",
        ndjson(HEADER[0], {"fileVersion": "2.0.0"}),
        2,
        'fileVersion "2.0.0" is not supported',
    ),
    ("unknown section", ndjson(*HEADER, {"Section": "Devices"}), 3, 'unknown section "Devices"'),
    (
        "section out of order",
        ndjson(*HEADER, {"Section": "Twins"}, {"Section": "Models"}),
        4,
        "section Models after Twins",
    ),
    (
        "section twice",
        ndjson(*HEADER, {"Section": "Twins"}, {"Section": "Twins"}),
        4,
        "section Twins after Twins",
    ),
    ("header twice", ndjson(*HEADER, {"Section": "Header"}), 3, "section Header after Header"),
    ("bad JSON in the header", ndjson(HEADER[0], b'{"fileVersion": '), 2, "not valid JSON"),
    (
        "not UTF-8 in the header",
        ndjson(HEADER[0], b'{"author": "\xfe"}'),
        2,
        "not valid UTF-8 (byte 13 of the line)",
    ),
    (
        "not an object in the header",
        ndjson(HEADER[0], b'["1.0.0"]'),
        2,
        "expected a JSON object, found",
    ),
    ("bad JSON in the models", ndjson(*MODELS, b"{"), 5, "not valid JSON"),
    ("model twice", ndjson(*MODELS, SPACE), 5, "model dtmi:test:Space;1 is already on line 4"),
    (
        "invalid model",
        ndjson(*HEADER, {"Section": "Models"}, {"@id": "dtmi:test:X;1"}, {"Section": "Twins"}),
        5,
        "the Models section: ",
    ),
    (
        "model with an unknown base",
        ndjson(*MODELS, {**SPACE, "@id": "dtmi:test:Y;1", "extends": "dtmi:test:Nope;1"}),
        5,
        "dtmi:test:Nope;1",
    ),
]


@pytest.mark.parametrize(
    ("data", "line", "message"),
    [case[1:] for case in STRUCTURE],
    ids=[case[0] for case in STRUCTURE],
)
def test_a_bad_structure_fails_the_import_at_its_line(
    scratch: psycopg.Connection, data: bytes, line: int, message: str
) -> None:
    sink = RecordingSink()
    with pytest.raises(ImportFailed) as failure:
        run(scratch, data, sink)
    assert failure.value.line == line
    assert str(failure.value).startswith(f"Line {line}: ")
    assert message in failure.value.problem
    assert isinstance(failure.value, ValidationFailed)
    assert failure.value.code == "ValidationFailed"
    # Units before the bad line (a section switch is one) are committed; nothing after it.
    assert all(checkpoint.line < line for checkpoint in sink.checkpoints)
    done = sink.checkpoints[-1] if sink.checkpoints else Checkpoint()
    twins, relationships = graph(scratch)
    assert (len(twins), len(relationships)) == (done.twins, done.relationships)


def test_a_model_that_is_stored_fails_the_import(scratch: psycopg.Connection) -> None:
    run(scratch, ndjson(*MODELS))
    with pytest.raises(ImportFailed, match=r"^Line 4: the Models section: .*dtmi:test:Space;1"):
        run(scratch, ndjson(*MODELS))


def test_units_committed_before_a_bad_structure_stay(scratch: psycopg.Connection) -> None:
    spaces = [twin(f"s{n}", "Space") for n in range(6)]
    data = ndjson(*MODELS, {"Section": "Twins"}, *spaces, {"Section": "Models"})
    sink = RecordingSink()
    with pytest.raises(ImportFailed, match=r"^Line 12: section Models after Twins"):
        run(scratch, data, sink, batch_size=1)
    # Every unit read before the bad line is committed, and is what is stored.
    done = sink.checkpoints[-1]
    assert (done.models, done.twins, done.line) == (1, 6, 11)
    twins, _ = graph(scratch)
    assert len(twins) == 6


def test_a_byte_order_mark_and_crlf(scratch: psycopg.Connection) -> None:
    data = ndjson(
        *MODELS, {"Section": "Twins"}, twin("s", "Space", name="é"), end=b"\r\n", bom=True
    )
    result = run(scratch, data)
    assert result.checkpoint == Checkpoint(len(data), 6, DONE, True, 1, 1, 0, 0)
    assert stored_twin(scratch, "s")["name"] == "é"


def test_twins_without_a_spare_graph_id_are_numbered_by_the_writer(
    scratch: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_building(scratch)
    expected = graph(scratch)
    monkeypatch.setattr(bulk.GraphIds, "take", lambda self: 0)  # the reader outran the stock
    store_building(scratch)
    assert graph(scratch) == expected


@dataclass
class CollectorWatchingSink(RecordingSink):
    collecting: list[bool] = field(default_factory=list)

    def record(
        self, conn: psycopg.Connection, entries: list[LogEntry], checkpoint: Checkpoint
    ) -> None:
        self.collecting.append(gc.isenabled())
        super().record(conn, entries, checkpoint)


@pytest.mark.parametrize("enabled", [True, False], ids=["collector on", "collector off"])
def test_the_collector_is_paused_for_the_import_and_left_as_it_was(
    scratch: psycopg.Connection, enabled: bool
) -> None:
    before = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    sink = CollectorWatchingSink()
    try:
        run(scratch, ndjson(*MODELS, {"Section": "Twins"}, twin("s", "Space")), sink)
        with pytest.raises(ImportFailed):
            run(scratch, ndjson({"Section": "Nope"}), sink)
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if before else gc.disable)()
    assert sink.collecting and not any(sink.collecting)


def autovacuum_paused(conn: psycopg.Connection) -> set[str]:
    query = (
        "SELECT relname FROM pg_class WHERE relnamespace = %s::regnamespace "
        "AND 'autovacuum_enabled=false' = ANY(reloptions)"
    )
    return {row[0] for row in conn.execute(query, (GRAPH,))}


def secondary_indexes(conn: psycopg.Connection) -> set[str]:
    names = [name for names in SECONDARY_INDEXES.values() for name in names]
    query = "SELECT indexname FROM pg_indexes WHERE schemaname = %s AND indexname = ANY(%s)"
    return {row[0] for row in conn.execute(query, (GRAPH, names))}


@dataclass
class AutovacuumWatchingSink(RecordingSink):
    """What each unit's transaction sees: tables without autovacuum, secondary indexes."""

    paused: list[set[str]] = field(default_factory=list)
    indexes: list[set[str]] = field(default_factory=list)

    def record(
        self, conn: psycopg.Connection, entries: list[LogEntry], checkpoint: Checkpoint
    ) -> None:
        self.paused.append(autovacuum_paused(conn))
        self.indexes.append(secondary_indexes(conn))
        super().record(conn, entries, checkpoint)


def test_autovacuum_is_off_the_tables_an_import_loads_until_it_ends(
    scratch: psycopg.Connection,
) -> None:
    sink = AutovacuumWatchingSink()
    spaces = [twin(f"s{n}", "Space") for n in range(3)]
    data = ndjson(*MODELS, {"Section": "Twins"}, *spaces, {"Section": "Relationships"},
                  relationship("s0", "r", "s1", "contains"), {"Section": "Twins"})  # fmt: skip
    with pytest.raises(ImportFailed):  # the end of a failed import is an end too
        run(scratch, data, sink, batch_size=1)
    assert sink.paused[0] == set()  # the models
    assert sink.paused[1:4] == [{TWIN_LABEL}] * 3
    assert sink.paused[-1] == {TWIN_LABEL, RELATIONSHIP_LABEL}
    assert autovacuum_paused(scratch) == set()


def test_a_resumed_section_that_began_on_an_empty_table_goes_on_without_indexes(
    scratch: psycopg.Connection,
) -> None:
    spaces = [twin(f"s{n}", "Space") for n in range(6)]
    data = ndjson(*MODELS, {"Section": "Twins"}, *spaces)
    first = run(scratch, data, RecordingSink(stop_after=2))  # the models, then two twins
    assert (first.checkpoint.section, first.checkpoint.bare) == (importunits.TWINS, True)
    everything = secondary_indexes(scratch)
    assert autovacuum_paused(scratch) == set() and "twin_model_text" in everything  # put back
    sink = AutovacuumWatchingSink()
    result = run(scratch, data, sink, start=first.checkpoint)
    assert sink.paused[0] == {TWIN_LABEL}
    assert sink.indexes[0] == everything - set(SECONDARY_INDEXES[TWIN_LABEL])
    assert sink.indexes[-1] == everything  # the section's end builds them
    assert not result.checkpoint.bare and autovacuum_paused(scratch) == set()
    assert len(graph(scratch)[0]) == 6


def test_autovacuum_left_off_by_a_killed_import_is_turned_back_on(
    scratch: psycopg.Connection,
) -> None:
    pause_autovacuum(scratch, TWIN_LABEL)
    ensure_schema(scratch)
    assert autovacuum_paused(scratch) == set()


def _common_names(conn: psycopg.Connection) -> list[str]:
    """The most common values of `name` as the last ANALYZE of the twins found them."""
    query = (
        "SELECT most_common_vals::text FROM pg_stats_ext_exprs "
        "WHERE statistics_schemaname = %s AND expr LIKE '%%\"name\"%%'"
    )
    return [row[0] for row in conn.execute(query, (GRAPH,))]


@pytest.mark.parametrize("beside", [True, False], ids=["beside the import", "after it"])
def test_a_section_is_analyzed_by_the_time_the_import_returns(
    scratch: psycopg.Connection, monkeypatch: pytest.MonkeyPatch, beside: bool
) -> None:
    if not beside:  # no second connection to be had: the import's own runs the ANALYZE

        def refuse(*args: object, **kwargs: object) -> None:
            raise psycopg.OperationalError("too many connections")

        monkeypatch.setattr(importunits.psycopg, "connect", refuse)
    name = "beside" if beside else "after"  # not what an earlier ANALYZE found
    spaces = [twin(f"s{n}", "Space", name=name) for n in range(7)]
    run(scratch, ndjson(*MODELS, {"Section": "Twins"}, *spaces), batch_size=3)
    assert _common_names(scratch) == [f'{{"\\"{name}\\""}}']


def test_the_import_analyzes_a_sample_of_its_own_size(scratch: psycopg.Connection) -> None:
    spaces = [twin(f"s{n}", "Space") for n in range(200)]  # every one in the sample
    run(scratch, ndjson(*MODELS, {"Section": "Twins"}, *spaces), batch_size=100)
    query = (
        "SELECT array_length(histogram_bounds::text::text[], 1) FROM pg_stats "
        "WHERE schemaname = %s AND tablename = %s AND attname = 'id'"
    )
    [(bounds,)] = scratch.execute(query, (GRAPH, TWIN_LABEL)).fetchall()
    assert bounds == 31  # a histogram of 30 buckets, where the default target gives 100


@pytest.mark.parametrize("batch_size", [0, -1])
def test_batch_size_must_be_positive(scratch: psycopg.Connection, batch_size: int) -> None:
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        run(scratch, ndjson(*MODELS), batch_size=batch_size)
    assert graph(scratch) == ([], [])


# -- resuming ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """A file imported on a graph `prepare` leaves; what one uninterrupted import gives."""

    data: bytes
    prepare: str  # "empty" | "building"

    def setup(self, conn: psycopg.Connection) -> None:
        if self.prepare == "building":
            store_building(conn, batch_size=100)
        else:
            reset(conn)
            store_decommissioned_model(conn)


SCENARIOS = {
    "building": Scenario(FIXTURE.read_bytes(), "empty"),
    "faulty": Scenario(FAULTY, "building"),
}
UNITS = {"building": 6, "faulty": 9}  # units of two entities (asserted below)


@dataclass
class Outcome:
    graph: tuple[list[str], list[str]]
    entries: list[LogEntry]
    done: Checkpoint
    units: int  # committed, over all runs


def uninterrupted(conn: psycopg.Connection, scenario: Scenario) -> Outcome:
    scenario.setup(conn)
    sink = RecordingSink()
    result = run(conn, scenario.data, sink)
    assert not result.stopped
    return Outcome(graph(conn), sink.entries, result.checkpoint, len(sink.checkpoints))


def interrupted(conn: psycopg.Connection, scenario: Scenario, cuts: list[int]) -> Outcome:
    """Killed after `cuts[0]` units, resumed and killed after `cuts[1]` more, ... then resumed
    to the end, each run with a fresh sink and the file read from the checkpoint's offset."""
    scenario.setup(conn)
    entries: list[LogEntry] = []
    units = 0
    start = NOTHING_DONE
    for stop_after in [*cuts, None]:
        sink = RecordingSink(stop_after)
        result = run(conn, scenario.data, sink, start=start)
        assert result.stopped == (stop_after is not None)
        assert len(sink.checkpoints) == (stop_after or len(sink.checkpoints))
        assert result.checkpoint == (sink.checkpoints[-1] if sink.checkpoints else start)
        entries += sink.entries
        units += len(sink.checkpoints)
        start = result.checkpoint
    return Outcome(graph(conn), entries, start, units)


@pytest.fixture(scope="module")
def baselines(scratch_conn: psycopg.Connection) -> dict[str, Outcome]:
    return {name: uninterrupted(scratch_conn, scenario) for name, scenario in SCENARIOS.items()}


def assert_same(resumed: Outcome, baseline: Outcome) -> None:
    assert resumed.done == baseline.done
    assert resumed.graph == baseline.graph
    assert Counter(map(signature, resumed.entries)) == Counter(map(signature, baseline.entries))
    lines = Counter(entry.details["line"] for entry in resumed.entries if "line" in entry.details)
    assert all(count == 1 for count in lines.values())  # each failure once


def test_the_baselines(baselines: dict[str, Outcome]) -> None:
    assert baselines["faulty"].done == FAULTY_DONE
    assert baselines["building"].done == Checkpoint(
        len(FIXTURE.read_bytes()), 16, DONE, True, 4, 3, 3
    )
    assert {name: outcome.units for name, outcome in baselines.items()} == UNITS


CUTS = [
    pytest.param(name, k, id=f"{name}-after-{k}")
    for name, units in UNITS.items()
    for k in range(1, units)
]


@pytest.mark.parametrize(("name", "cut"), CUTS)
def test_a_killed_import_resumes_to_the_same_result(
    scratch: psycopg.Connection, baselines: dict[str, Outcome], name: str, cut: int
) -> None:
    assert_same(interrupted(scratch, SCENARIOS[name], [cut]), baselines[name])


@pytest.mark.parametrize("name", SCENARIOS)
def test_an_import_killed_after_every_unit(
    scratch: psycopg.Connection, baselines: dict[str, Outcome], name: str
) -> None:
    resumed = interrupted(scratch, SCENARIOS[name], [1] * (UNITS[name] - 1))
    assert_same(resumed, baselines[name])


def test_resuming_a_finished_import_does_nothing(scratch: psycopg.Connection) -> None:
    data = ndjson(*MODELS)
    done = run(scratch, data).checkpoint
    sink = RecordingSink()
    assert run(scratch, data, sink, start=done) == ImportResult(done, stopped=False)
    assert sink.entries == []
