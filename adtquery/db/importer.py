"""Import a file in ADT's bulk-import format (NDJSON): the engine of import jobs and of
`adtquery import`.

The format (../shared/adt-rest-api.md §1.8): a `{"Section": "Header"}` line and one header
object, then the optional sections `Models`, `Twins` and `Relationships`, in that order, one JSON
object a line. In the Relationships section the source twin is `$dtId` (`$sourceId`, as exported
by `SELECT * FROM RELATIONSHIPS`, is accepted too).

As in ADT, an import is not atomic, and entities are judged one by one with the REST API's
rules: a twin or relationship that fails (bad JSON, unknown or decommissioned model, invalid
against its model, already stored, a missing endpoint) is logged with its line and skipped.
What fails the whole import is structure: an unknown or misplaced section, a bad header, a
models section that does not validate as one batch (ADT uploads it as one), an unreadable input.

Work is committed in units (a models section, a batch of twins or relationships), each unit with
its log entries and a `Checkpoint` saying how far the input is done, in the same transaction:
an import killed at any point resumes from its last checkpoint and neither duplicates nor loses
anything. Lines are parsed and checked here, on the calling thread, while a writer thread
commits the previous unit (adtquery.db.importunits; adtquery.db.bulk: graph ids drawn
client-side, COPY into the label tables).
"""

from __future__ import annotations

import gc
import sys
import threading
from codecs import BOM_UTF8
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import psycopg

from adtquery.clock import OFFSET, adt_time
from adtquery.db import bulk
from adtquery.db.importunits import (
    DONE,
    HEADER,
    MODELS,
    RELATIONSHIPS,
    SECTIONS,
    TWINS,
    Checkpoint,
    CommitThread,
    Document,
    Entity,
    LogEntry,
    Sink,
    Unit,
    UnitWriter,
    failure,
    problem_of,
    relationship_problem,
    status,
)
from adtquery.db.schema import create_indexes, resume_autovacuum
from adtquery.dtdl import Models
from adtquery.errors import AdtError, ValidationFailed
from adtquery.etags import new_etag
from adtquery.schema import GRAPH, MODEL_LABEL

__all__ = ["DONE", "SECTIONS", "Checkpoint", "ImportFailed", "ImportResult", "LogEntry", "Sink",
           "run_import"]  # fmt: skip

FILE_VERSION = "1.0.0"
DEFAULT_BATCH_SIZE = 5000


_ORDER = "Header, then Models, Twins and Relationships, each at most once"
_START = 'the file must start with {"Section": "Header"}'
_SWITCH_INTERVAL = 0.0001
_BEGINNING = Checkpoint()
_STORED_MODELS = f'SELECT ag_catalog.agtype_out(properties)::text FROM {GRAPH}."{MODEL_LABEL}"'


class ImportFailed(ValidationFailed):
    """The input cannot be imported from this line on; units before it stay committed."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(f"Line {line}: {problem}", reason="import-failed")
        self.line = line
        self.problem = problem


@dataclass(frozen=True, slots=True)
class ImportResult:
    checkpoint: Checkpoint
    stopped: bool  # the sink asked to stop before the end of the input


def run_import(
    conn: psycopg.Connection,
    lines: Iterable[bytes],
    sink: Sink,
    *,
    start: Checkpoint = _BEGINNING,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> ImportResult:
    """Import `lines` (UTF-8 bytes, each with its line end, from `start.offset` of the input:
    the caller positions the stream). `conn` must be in autocommit mode; it is used by a writer
    thread until this returns."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    with _collector_paused():
        return _run(conn, lines, _Reader(conn, sink, start, batch_size))


def _run(conn: psycopg.Connection, lines: Iterable[bytes], reader: _Reader) -> ImportResult:
    writer = reader.writer
    switching = sys.getswitchinterval()
    # The writer thread wakes from every database call needing the GIL, which the parsing
    # thread holds: a short switch interval keeps it from waiting 5 ms each time.
    sys.setswitchinterval(_SWITCH_INTERVAL)
    writer.start()
    try:
        for line in lines:
            reader.feed(line)
            if writer.stopped:
                break
        else:
            reader.finish()
        writer.close()
    except ImportFailed:
        writer.close()  # what was read before the bad line is committed, whatever the timing
        raise
    except BaseException:
        writer.abandon()
        raise
    finally:
        sys.setswitchinterval(switching)
        if not conn.broken:
            create_indexes(conn)  # a section cut short may have dropped some
            reader.units.statistics.wait()
            resume_autovacuum(conn)
    return ImportResult(reader.units.done, writer.stopped)


_pauses = 0
_pauses_lock = threading.Lock()
_collecting = True  # whether the collector was on when the first running import paused it


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while imports run. An import allocates millions of
    acyclic documents that live a unit each: the collector, run every 700 allocations, found
    nothing and cost a quarter of the importing process's CPU (100k twins: 8.5 s -> 6.1 s).
    Cycles made meanwhile elsewhere in the process wait for the last import to end."""
    global _pauses, _collecting
    with _pauses_lock:
        if _pauses == 0:
            _collecting = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pauses_lock:
            _pauses -= 1
            if _pauses == 0 and _collecting:
                gc.enable()


def _stamp_twin(twin: Document, now: str, updated: Document) -> None:
    """Add what ADT adds to a created twin, keeping every value the twin already has.
    `updated` is {"lastUpdateTime": now}: one object in every twin's metadata, as a twin is
    only serialized once stamped (a million property entries fewer to allocate)."""
    twin.setdefault("$etag", new_etag())
    _stamp(twin, twin["$metadata"], now, updated)


def _stamp(container: Document, metadata: Document, now: str, updated: Document) -> None:
    metadata.setdefault("$lastUpdateTime", now)
    for key, value in container.items():
        if key[0] == "$":
            continue
        if key not in metadata:
            metadata[key] = updated
        if isinstance(value, dict) and isinstance(value.get("$metadata"), dict):
            _stamp(value, value["$metadata"], now, updated)  # a component: its own $metadata


class _Reader:
    """The calling thread's side: parse and check each line, hand units to the writer."""

    def __init__(self, conn: psycopg.Connection, sink: Sink, start: Checkpoint, batch_size: int):
        self.batch_size = batch_size
        moment = datetime.now(UTC)
        self.now = adt_time(moment)
        self.updated = {"lastUpdateTime": self.now}
        uploaded = adt_time(moment, OFFSET)  # a model's uploadTime
        stored = [orjson.loads(row[0]) for row in conn.execute(_STORED_MODELS)]
        self.models = Models({model["id"]: model["model"] for model in stored})
        self.decommissioned = {model["id"] for model in stored if model.get("decommissioned")}
        # The writer checks what it resolves against the same models, which it must get from
        # here: a reference back to this reader would leave the import's state to the cyclic
        # collector (100k twins' endpoints: 0.24 s of its time when it resumes).
        self.units = UnitWriter(conn, sink, start, self.models, uploaded, batch_size)
        self.endpoints = self.units.endpoints
        self.writer = CommitThread(self.units.commit)
        # The input read so far.
        self.offset, self.line = start.offset, start.line
        self.section, self.header = start.section, start.header
        self.unit = Unit(start)
        self.pending_models: list[Document] = []
        self.model_lines: dict[str, int] = {}

    # -- reading

    def feed(self, raw: bytes) -> None:
        line = raw.removeprefix(BOM_UTF8) if self.offset == 0 else raw
        self.offset += len(raw)
        self.line = number = self.line + 1
        if line.isspace() or not line:
            return self._advance()
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            return self._bad_line(number, _json_problem(line, error))
        if isinstance(value, dict) and len(value) == 1 and "Section" in value:
            self._start(number, value["Section"])
        elif not isinstance(value, dict):
            self._bad_line(number, f"expected a JSON object, found {_describe(value)}")
        elif self.section == TWINS:
            self._twin(number, value)
        elif self.section == RELATIONSHIPS:
            self._relationship(number, value)
        elif self.section == MODELS:
            self._model(number, value)
        elif self.section == HEADER:
            self._header(number, value)
        else:
            raise ImportFailed(number, _START)
        self._advance()

    def finish(self) -> None:
        if self.section == DONE:
            return  # resumed from the checkpoint of a finished import: nothing is left
        if self.section == -1:
            raise ImportFailed(max(self.line, 1), _START + "; it is empty")
        if self.section == HEADER and not self.header:
            raise ImportFailed(self.line, "the Header section has no header object")
        self._switch(DONE)

    def _advance(self) -> None:
        unit = self.unit
        if len(unit.twins) + len(unit.relationships) + len(unit.unresolved) >= self.batch_size:
            self._flush()

    def _flush(self) -> None:
        """Hand the unit to the writer; it covers the input up to here. The writer adds the
        counts of what it committed."""
        self.unit.checkpoint = Checkpoint(self.offset, self.line, self.section, self.header)
        self.writer.submit(self.unit)
        self.unit = Unit(self.unit.checkpoint)

    def _bad_line(self, number: int, problem: str) -> None:
        if self.section in (TWINS, RELATIONSHIPS):
            self._fail(number, None, "InvalidArgument", problem)
        else:
            raise ImportFailed(number, problem)

    def _fail(self, number: int, key: Any, code: str, message: str) -> None:
        self.unit.entries.append(failure(self.section, number, key, code, message))

    # -- sections

    def _start(self, number: int, name: Any) -> None:
        if name not in SECTIONS:
            raise ImportFailed(
                number, f"unknown section {_describe(name)}; the sections are {', '.join(SECTIONS)}"
            )
        index = SECTIONS.index(name)
        current = self.section
        if current == -1 and index != HEADER:
            raise ImportFailed(number, _START)
        if index <= current:
            after = SECTIONS[current]
            raise ImportFailed(number, f"section {name} after {after}: the order is {_ORDER}")
        if current == HEADER and not self.header:
            raise ImportFailed(number, "the Header section has no header object")
        self._switch(index)

    def _switch(self, section: int) -> None:
        """End the current section and start `section` in one unit, whose checkpoint is then in
        the new section: a resumed import never closes or opens a section twice."""
        ending = self.section
        if ending == MODELS:
            self._add_models()
        if ending > HEADER:
            self.unit.entries.append(status(ending, "Succeeded"))
        self.section = section
        if HEADER < section < DONE:
            self.unit.entries.append(status(section, "Started"))
        if ending > HEADER or section > HEADER:
            self._flush()
        if ending == TWINS:
            # Relationships resolve their endpoints from what the writer stored: wait for it.
            self.writer.drain()

    def _header(self, number: int, header: Document) -> None:
        if self.header:
            raise ImportFailed(
                number, 'the Header section holds one object; expected {"Section": "Models"}, '
                '{"Section": "Twins"} or {"Section": "Relationships"}'
            )  # fmt: skip
        version = header.get("fileVersion", FILE_VERSION)
        if version != FILE_VERSION:
            raise ImportFailed(
                number, f"fileVersion {_describe(version)} is not supported (only {FILE_VERSION})"
            )
        self.header = True

    # -- models

    def _model(self, number: int, model: Document) -> None:
        model_id = model.get("@id")
        if isinstance(model_id, str) and model_id in self.model_lines:
            raise ImportFailed(
                number, f"model {model_id} is already on line {self.model_lines[model_id]}"
            )
        self.model_lines[str(model_id)] = number
        self.pending_models.append(model)

    def _add_models(self) -> None:
        """Checked as one batch, as the models API does: the import fails if any is invalid."""
        if not self.pending_models:
            return
        try:
            self.models = self.units.models = self.models.add(self.pending_models)
        except AdtError as error:
            raise ImportFailed(self.line, f"the Models section: {error}") from None
        self.unit.models = self.pending_models
        self.pending_models = []

    # -- twins

    def _twin(self, number: int, twin: Document) -> None:
        dtid = twin.get("$dtId")
        if not isinstance(dtid, str) or not dtid:
            return self._fail(number, None, "InvalidArgument", 'a twin needs a "$dtId" string')
        problem = self._twin_problem(twin, dtid)
        if problem is not None:
            return self._fail(number, dtid, "ValidationFailed", problem)
        graph_id = self.units.ids.take()  # 0 if none is spare: the writer then numbers it
        self.endpoints[dtid] = (graph_id, twin["$metadata"]["$model"])
        _stamp_twin(twin, self.now, self.updated)
        row = bulk.twin_row(graph_id, twin) if graph_id else b""
        self.unit.twins.append(Entity(number, dtid, twin, (graph_id, 0), row))

    def _twin_problem(self, twin: Document, dtid: str) -> str | None:
        if dtid in self.endpoints:
            return f"the twin {dtid} is already in this file"
        try:
            self.models.validate_twin(twin)
        except ValidationFailed as error:
            return problem_of(error)
        model = twin["$metadata"]["$model"]
        if model in self.decommissioned:
            return f"the model {model} is decommissioned"
        return None

    # -- relationships

    def _relationship(self, number: int, relationship: Document) -> None:
        source = relationship.pop("$dtId", None)
        if source is None:
            source = relationship.get("$sourceId")  # as exported by a query
        rid, target = relationship.get("$relationshipId"), relationship.get("$targetId")
        name = relationship.get("$relationshipName")
        if not (_named(source) and _named(rid) and _named(target) and _named(name)):
            missing = [
                key
                for key, value in zip(_RELATIONSHIP_KEYS, (source, rid, target, name), strict=True)
                if not _named(value)
            ]
            message = f"a relationship needs {', '.join(missing)} (non-empty strings)"
            return self._fail(number, None, "InvalidArgument", message)
        relationship["$sourceId"] = source
        relationship.setdefault("$etag", new_etag())
        entity = Entity(number, (source, rid), relationship)
        if source == target:
            message = "a relationship cannot point at its own source twin"
            return self._fail(number, entity.key, "OperationNotAllowed", message)
        source_end = self.endpoints.get(source)
        target_end = self.endpoints.get(target)
        if source_end is None or target_end is None:
            self.unit.unresolved.append(entity)  # stored before this run, or missing
            return None
        problem = relationship_problem(self.models, relationship, source_end[1], target_end[1])
        if problem is not None:
            return self._fail(number, entity.key, "ValidationFailed", problem)
        entity.endpoints = (source_end[0], target_end[0])
        entity.row = bulk.relationship_row(*entity.endpoints, relationship)
        self.unit.relationships.append(entity)
        return None


_RELATIONSHIP_KEYS = ("$dtId", "$relationshipId", "$targetId", "$relationshipName")


def _named(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def _json_problem(line: bytes, error: orjson.JSONDecodeError) -> str:
    try:
        line.decode()
    except UnicodeDecodeError as undecodable:
        return f"not valid UTF-8 (byte {undecodable.start + 1} of the line)"
    # Parsed with its line end, an error at the end of the data lands on a second line.
    column = min(error.pos, len(line.rstrip(b"\r\n"))) + 1
    return f"not valid JSON ({error.msg} at column {column})"


def _describe(value: Any) -> str:
    text = orjson.dumps(value).decode()
    return text if len(text) <= 40 else text[:37] + "..."
