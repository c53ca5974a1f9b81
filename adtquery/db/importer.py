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
anything. Lines are parsed and checked on the calling thread while a writer thread sends the
previous unit (adtquery.db.bulk: graph ids drawn client-side, COPY into the label tables).
"""

from __future__ import annotations

import queue
import random
import sys
import threading
from codecs import BOM_UTF8
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson
import psycopg
from psycopg import errors

from adtquery.db import bulk
from adtquery.db.models import insert_models
from adtquery.db.schema import create_indexes, drop_secondary_indexes
from adtquery.dtdl import Models
from adtquery.errors import AdtError, ValidationFailed
from adtquery.schema import GRAPH, MODEL_LABEL, RELATIONSHIP_LABEL, TWIN_LABEL

SECTIONS = ("Header", "Models", "Twins", "Relationships")
FILE_VERSION = "1.0.0"
DEFAULT_BATCH_SIZE = 5000

Document = dict[str, Any]

_HEADER, _MODELS, _TWINS, _RELATIONSHIPS, DONE = range(5)  # DONE: a checkpoint past the end
_ORDER = "Header, then Models, Twins and Relationships, each at most once"
_START = 'the file must start with {"Section": "Header"}'
_SWITCH_INTERVAL = 0.0005
_LABELS = {"Twins": TWIN_LABEL, "Relationships": RELATIONSHIP_LABEL}
_STORED_MODELS = f'SELECT ag_catalog.agtype_out(properties)::text FROM {GRAPH}."{MODEL_LABEL}"'
# What the database may refuse in a unit that the row-by-row pass can pin on one entity.
_REFUSALS = (
    psycopg.IntegrityError,
    psycopg.DataError,
    psycopg.InternalError,
    errors.ProgramLimitExceeded,  # an index row too large, e.g. a $dtId of kilobytes
    UnicodeEncodeError,  # a lone surrogate fails before sending
)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """How far an import is: the input done (bytes and lines), the section it is in, and the
    counts so far. A resumed import reads the input from `offset` on."""

    offset: int = 0
    line: int = 0
    section: int = -1
    header: bool = False
    models: int = 0
    twins: int = 0
    relationships: int = 0
    failed: int = 0

    @property
    def entities(self) -> int:
        return self.models + self.twins + self.relationships

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Checkpoint:
        return cls(**value)


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One line of ADT's import output log, less the timestamp and job fields."""

    log_type: str  # Info | Warning | Error
    details: dict[str, Any]


class Sink(Protocol):
    """Where an import's committed units go: the job's output log and checkpoint."""

    def record(
        self, conn: psycopg.Connection, entries: list[LogEntry], checkpoint: Checkpoint
    ) -> None:
        """Called inside a unit's transaction, just before it commits."""

    def committed(self, checkpoint: Checkpoint) -> bool:
        """Called after the commit; False stops the import there (a cancelled job)."""


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
    start: Checkpoint = Checkpoint(),
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> ImportResult:
    """Import `lines` (UTF-8 bytes, each with its line end, from `start.offset` of the input:
    the caller positions the stream). `conn` must be in autocommit mode; it is used by a writer
    thread until this returns."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    importer = _Importer(conn, sink, start, batch_size)
    writer = importer.writer
    switching = sys.getswitchinterval()
    # The writer thread wakes from every database call needing the GIL, which the parsing
    # thread holds: a short switch interval keeps it from waiting 5 ms each time.
    sys.setswitchinterval(_SWITCH_INTERVAL)
    writer.start()
    try:
        for line in lines:
            importer.feed(line)
            if writer.stopped:
                break
        else:
            importer.finish()
        writer.close()
    except BaseException:
        writer.abandon()
        raise
    finally:
        sys.setswitchinterval(switching)
        if not conn.broken:
            create_indexes(conn)  # a section cut short may have dropped some
    return ImportResult(importer.done, writer.stopped)


def timestamp(moment: datetime) -> str:
    """ADT's twin timestamps: UTC, seven fractional digits, `Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")


def new_etag() -> str:
    """A weak etag around a random (version 4) UUID, as ADT gives. Etags need to differ, not
    to be secret: Python's generator is several times faster than uuid4() or os.urandom."""
    h = f"{random.getrandbits(128):032x}"
    return f'W/"{h[:8]}-{h[8:12]}-4{h[13:16]}-{"89ab"[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"'


def stamp_twin(twin: Document, now: str) -> None:
    """Add what ADT adds to a created twin, keeping every value the twin already has."""
    twin.setdefault("$etag", new_etag())
    _stamp(twin, twin["$metadata"], now)


def _stamp(container: Document, metadata: Document, now: str) -> None:
    metadata.setdefault("$lastUpdateTime", now)
    for key, value in container.items():
        if key[0] == "$":
            continue
        if key not in metadata:
            metadata[key] = {"lastUpdateTime": now}
        if isinstance(value, dict) and isinstance(value.get("$metadata"), dict):
            _stamp(value, value["$metadata"], now)  # a component: its own $metadata too


# -- units of work -------------------------------------------------------------------------


@dataclass(slots=True)
class _Entity:
    line: int
    key: Any  # $dtId, or (source $dtId, $relationshipId)
    document: Document
    endpoints: tuple[int, int] = (0, 0)  # a twin's graph id; a relationship's two ends
    payload: bytes = b""  # the document as COPY text, made on the parsing thread


@dataclass(slots=True)
class _Unit:
    """What one transaction writes: entities of one kind, or the models, and the log entries
    of everything up to `checkpoint` (failures found while parsing come first)."""

    checkpoint: Checkpoint
    entries: list[LogEntry] = field(default_factory=list)
    twins: list[_Entity] = field(default_factory=list)
    relationships: list[_Entity] = field(default_factory=list)
    unresolved: list[_Entity] = field(default_factory=list)  # endpoints to look up first
    models: list[Document] = field(default_factory=list)


def _status(section: int, status: str) -> LogEntry:
    return LogEntry("Info", {"section": SECTIONS[section], "status": status})


def _failure(section: int, line: int, key: Any, code: str, message: str) -> LogEntry:
    details: dict[str, Any] = {"section": SECTIONS[section], "line": line}
    if isinstance(key, tuple):
        details["twinId"], details["relationshipId"] = key
    elif key is not None:
        details["id"] = key
    details["error"] = {"code": code, "message": message}
    return LogEntry("Error", details)


class _Writer(threading.Thread):
    """Commits units in order, on a thread of its own. The first error stops the rest and is
    raised on the importing thread by the next `submit` or by `close`. At most two units wait,
    which bounds the memory in use."""

    def __init__(self, commit: Callable[[_Unit], bool]) -> None:
        super().__init__(name="adtquery-import-writer", daemon=True)
        self.commit = commit
        self.units: queue.Queue[_Unit | None] = queue.Queue(maxsize=2)
        self.failure: BaseException | None = None
        self.stopped = False

    def run(self) -> None:
        while (unit := self.units.get()) is not None:
            if self.failure is None and not self.stopped:
                try:
                    self.stopped = not self.commit(unit)
                except BaseException as error:
                    self.failure = error
            self.units.task_done()
        self.units.task_done()

    def submit(self, unit: _Unit) -> None:
        self._check()
        self.units.put(unit)

    def drain(self) -> None:
        """Wait until every unit submitted is committed."""
        self.units.join()
        self._check()

    def close(self) -> None:
        self.units.put(None)
        self.join()
        self._check()

    def abandon(self) -> None:
        """Drop the units not started and wait for the one running, if any."""
        self.stopped = True
        if self.is_alive():
            self.units.put(None)
            self.join()

    def _check(self) -> None:
        if self.failure is not None:
            raise self.failure


class _Importer:
    """The calling thread's side: parse and check each line, hand units to the writer."""

    def __init__(self, conn: psycopg.Connection, sink: Sink, start: Checkpoint, batch_size: int):
        self.conn = conn
        self.sink = sink
        self.batch_size = batch_size
        self.writer = _Writer(self._commit)
        moment = datetime.now(UTC)
        self.now = timestamp(moment)
        self.uploaded = moment.strftime("%Y-%m-%dT%H:%M:%S.%f0+00:00")  # ADT's uploadTime form
        self.ids = bulk.GraphIds(conn)
        stored = [orjson.loads(row[0]) for row in conn.execute(_STORED_MODELS)]
        self.models = Models({model["id"]: model["model"] for model in stored})
        self.decommissioned = {model["id"] for model in stored if model.get("decommissioned")}
        # Twins of this run: $dtId -> (graph id, model). The writer fills in graph ids; a twin
        # imported before a resume is found in the database instead.
        self.endpoints: dict[str, bulk.Endpoint] = {}
        # The input read so far; `done` is the input committed.
        self.offset, self.line = start.offset, start.line
        self.section, self.header = start.section, start.header
        self.done = start
        self.unit = _Unit(start)
        self.pending_models: list[Document] = []
        self.model_lines: dict[str, int] = {}

    # -- reading

    def feed(self, raw: bytes) -> None:
        line = raw.removeprefix(BOM_UTF8) if self.offset == 0 else raw
        self.offset += len(raw)
        self.line = number = self.line + 1
        if not line.strip():
            return self._advance()
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            return self._bad_line(number, _json_problem(line, error))
        if isinstance(value, dict) and len(value) == 1 and "Section" in value:
            self._start(number, value["Section"])
        elif not isinstance(value, dict):
            self._bad_line(number, f"expected a JSON object, found {_describe(value)}")
        elif self.section == _TWINS:
            self._twin(number, value)
        elif self.section == _RELATIONSHIPS:
            self._relationship(number, value)
        elif self.section == _MODELS:
            self._model(number, value)
        elif self.section == _HEADER:
            self._header(number, value)
        else:
            raise ImportFailed(number, _START)
        self._advance()

    def finish(self) -> None:
        if self.section == DONE:
            return  # resumed from the checkpoint of a finished import: nothing is left
        if self.section == -1:
            raise ImportFailed(max(self.line, 1), _START + "; it is empty")
        if self.section == _HEADER and not self.header:
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
        self.unit = _Unit(self.unit.checkpoint)

    def _bad_line(self, number: int, problem: str) -> None:
        if self.section in (_TWINS, _RELATIONSHIPS):
            self._fail(number, None, "InvalidArgument", problem)
        else:
            raise ImportFailed(number, problem)

    def _fail(self, number: int, key: Any, code: str, message: str) -> None:
        self.unit.entries.append(_failure(self.section, number, key, code, message))

    # -- sections

    def _start(self, number: int, name: Any) -> None:
        if name not in SECTIONS:
            raise ImportFailed(
                number, f"unknown section {_describe(name)}; the sections are {', '.join(SECTIONS)}"
            )
        index = SECTIONS.index(name)
        current = self.section
        if current == -1 and index != _HEADER:
            raise ImportFailed(number, _START)
        if index <= current:
            after = SECTIONS[current]
            raise ImportFailed(number, f"section {name} after {after}: the order is {_ORDER}")
        if current == _HEADER and not self.header:
            raise ImportFailed(number, "the Header section has no header object")
        self._switch(index)

    def _switch(self, section: int) -> None:
        """End the current section and start `section` in one unit, whose checkpoint is then in
        the new section: a resumed import never closes or opens a section twice."""
        ending = self.section
        if ending == _MODELS:
            self._add_models()
        if ending > _HEADER:
            self.unit.entries.append(_status(ending, "Succeeded"))
        self.section = section
        if _HEADER < section < DONE:
            self.unit.entries.append(_status(section, "Started"))
        if ending > _HEADER or section > _HEADER:
            self._flush()
        if ending == _TWINS:
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
            self.models = self.models.add(self.pending_models)
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
        model = twin["$metadata"]["$model"]
        self.endpoints[dtid] = (0, model)  # the writer sets the graph id
        stamp_twin(twin, self.now)
        self.unit.twins.append(_Entity(number, dtid, twin, payload=bulk.copy_text(twin)))

    def _twin_problem(self, twin: Document, dtid: str) -> str | None:
        if dtid in self.endpoints:
            return f"the twin {dtid} is already in this file"
        try:
            self.models.validate_twin(twin)
        except ValidationFailed as error:
            return str(error).split("\n", 1)[0]
        model = twin["$metadata"]["$model"]
        if model in self.decommissioned:
            return f"the model {model} is decommissioned"
        return None

    # -- relationships

    def _relationship(self, number: int, relationship: Document) -> None:
        source = relationship.pop("$dtId", None)
        if source is None:
            source = relationship.get("$sourceId")  # as exported by a query
        missing = [
            key
            for key, value in (
                ("$dtId", source),
                ("$relationshipId", relationship.get("$relationshipId")),
                ("$targetId", relationship.get("$targetId")),
                ("$relationshipName", relationship.get("$relationshipName")),
            )
            if not isinstance(value, str) or not value
        ]
        if missing:
            message = f"a relationship needs {', '.join(missing)} (non-empty strings)"
            return self._fail(number, None, "InvalidArgument", message)
        relationship["$sourceId"] = source
        relationship.setdefault("$etag", new_etag())
        entity = _Entity(number, (source, relationship["$relationshipId"]), relationship)
        if source == relationship["$targetId"]:
            message = "a relationship cannot point at its own source twin"
            return self._fail(number, entity.key, "OperationNotAllowed", message)
        source_end = self.endpoints.get(source)
        target_end = self.endpoints.get(relationship["$targetId"])
        if source_end is None or target_end is None:
            self.unit.unresolved.append(entity)  # stored before this run, or missing
            return None
        problem = self._relationship_problem(relationship, source_end[1], target_end[1])
        if problem is not None:
            return self._fail(number, entity.key, "ValidationFailed", problem)
        entity.endpoints = (source_end[0], target_end[0])
        entity.payload = bulk.copy_text(relationship)
        self.unit.relationships.append(entity)
        return None

    def _relationship_problem(self, relationship: Document, source: str, target: str) -> str | None:
        try:
            self.models.validate_relationship(
                source, relationship["$relationshipName"], relationship, target
            )
        except ValidationFailed as error:
            return str(error).split("\n", 1)[0]
        return None

    # -- the writer's side

    def _commit(self, unit: _Unit) -> bool:
        failures: list[LogEntry] = []
        with self.conn.transaction():
            if unit.models:
                insert_models(self.conn, unit.models, self.uploaded)
                self.conn.execute(f'ANALYZE {GRAPH}."{MODEL_LABEL}"')
            if unit.twins:
                self._write_twins(unit.twins, failures)
            if unit.unresolved:
                unit.relationships += self._resolve(unit.unresolved, failures)
            if unit.relationships:
                self._write_relationships(unit.relationships, failures)
            self._sections_ending(unit)
            self._sections_starting(unit)
            entries = unit.entries[:]
            # Database refusals go before the section's closing line, if the unit has one.
            closes = entries and entries[-1].details.get("status") == "Succeeded"
            at = len(entries) - 1 if closes else len(entries)
            entries[at:at] = sorted(failures, key=lambda entry: entry.details["line"])
            checkpoint = self._counted(unit, entries)
            self.sink.record(self.conn, entries, checkpoint)
        self.done = checkpoint
        return self.sink.committed(checkpoint)

    def _counted(self, unit: _Unit, entries: list[LogEntry]) -> Checkpoint:
        previous = self.done
        return replace(
            unit.checkpoint,
            models=previous.models + len(unit.models),
            twins=previous.twins + len(unit.twins),
            relationships=previous.relationships + len(unit.relationships),
            failed=previous.failed + sum(entry.log_type == "Error" for entry in entries),
        )

    def _sections_starting(self, unit: _Unit) -> None:
        """A section that starts on an empty label table loads it without its secondary
        indexes (adtquery.db.schema.SECONDARY_INDEXES)."""
        for label in self._sections(unit, "Started"):
            if self._empty(label):
                drop_secondary_indexes(self.conn, label)

    def _sections_ending(self, unit: _Unit) -> None:
        """Build what a section dropped, and give the planner true counts (for the
        relationship lookups and for queries)."""
        for label in self._sections(unit, "Succeeded"):
            create_indexes(self.conn)
            self.conn.execute(f'ANALYZE {GRAPH}."{label}"')

    @staticmethod
    def _sections(unit: _Unit, status: str) -> list[str]:
        return [
            _LABELS[entry.details["section"]]
            for entry in unit.entries
            if entry.details.get("status") == status and entry.details.get("section") in _LABELS
        ]

    def _empty(self, label: str) -> bool:
        return self.conn.execute(f'SELECT NOT EXISTS (SELECT FROM {GRAPH}."{label}")').fetchone()[0]

    def _write_twins(self, twins: list[_Entity], failures: list[LogEntry]) -> None:
        ids = self.ids.reserve(self.conn, len(twins))
        for entity, graph_id in zip(twins, ids, strict=True):
            entity.endpoints = (graph_id, 0)
            self.endpoints[entity.key] = (graph_id, entity.document["$metadata"]["$model"])
        refused = self._copy(
            _TWINS,
            twins,
            lambda batch: bulk.copy_twins(self.conn, ((e.endpoints[0], e.payload) for e in batch)),
            lambda batch: set(bulk.find_twins(self.conn, [e.key for e in batch])),
            "a digital twin with this $dtId already exists",
        )
        for entry in refused:
            # Relationships to it must find the twin stored before, if there is one.
            self.endpoints.pop(entry.details["id"], None)
        _drop_refused(twins, refused)
        failures += refused

    def _resolve(self, relationships: list[_Entity], failures: list[LogEntry]) -> list[_Entity]:
        """Endpoints stored before this run: look them up, then check as any other."""
        wanted = {
            twin
            for entity in relationships
            for twin in (entity.key[0], entity.document["$targetId"])
            if twin not in self.endpoints
        }
        stored = bulk.find_twins(self.conn, sorted(wanted))
        resolved = []
        for entity in relationships:
            source, target = entity.key[0], entity.document["$targetId"]
            source_end = self.endpoints.get(source) or stored.get(source)
            target_end = self.endpoints.get(target) or stored.get(target)
            if source_end is None or target_end is None:
                missing = source if source_end is None else target
                role = "source" if source_end is None else "target"
                problem: str | None = f"the {role} twin {missing} does not exist"
                code = "DigitalTwinNotFound"
            else:
                problem = self._relationship_problem(entity.document, source_end[1], target_end[1])
                code = "ValidationFailed"
            if problem is not None:
                failures.append(_failure(_RELATIONSHIPS, entity.line, entity.key, code, problem))
                continue
            assert source_end is not None and target_end is not None
            entity.endpoints = (source_end[0], target_end[0])
            entity.payload = bulk.copy_text(entity.document)
            resolved.append(entity)
        return resolved

    def _write_relationships(self, relationships: list[_Entity], failures: list[LogEntry]) -> None:
        refused = self._copy(
            _RELATIONSHIPS,
            relationships,
            lambda batch: bulk.copy_relationships(
                self.conn, ((*e.endpoints, e.payload) for e in batch)
            ),
            lambda batch: bulk.existing_relationships(self.conn, [e.key for e in batch]),
            "a relationship with this $relationshipId already exists on its source twin",
        )
        _drop_refused(relationships, refused)
        failures += refused

    def _copy(
        self,
        section: int,
        entities: list[_Entity],
        copy: Callable[[list[_Entity]], None],
        stored: Callable[[list[_Entity]], set[Any]],
        clash: str,
    ) -> list[LogEntry]:
        """COPY the entities; the failures of those refused. Entities already stored (or twice
        in the batch) are left out; what else the database refuses is found row by row."""
        try:
            with self.conn.transaction():
                copy(entities)
            return []
        except errors.UniqueViolation:
            taken = stored(entities)
        except _REFUSALS:
            return self._one_by_one(section, entities, copy)
        failures, keep, seen = [], [], set()
        for entity in entities:
            if entity.key in taken or entity.key in seen:
                failures.append(
                    _failure(section, entity.line, entity.key, "ValidationFailed", clash)
                )
            else:
                seen.add(entity.key)
                keep.append(entity)
        try:
            with self.conn.transaction():
                copy(keep)
            return failures
        except _REFUSALS:
            return failures + self._one_by_one(section, keep, copy)

    def _one_by_one(
        self, section: int, entities: list[_Entity], copy: Callable[[list[_Entity]], None]
    ) -> list[LogEntry]:
        failures = []
        for entity in entities:
            try:
                with self.conn.transaction():
                    copy([entity])
            except _REFUSALS as error:
                failures.append(
                    _failure(section, entity.line, entity.key, "ValidationFailed", _reason(error))
                )
        return failures


def _drop_refused(entities: list[_Entity], refused: list[LogEntry]) -> None:
    lines = {entry.details["line"] for entry in refused}
    entities[:] = [entity for entity in entities if entity.line not in lines]


def _reason(error: Exception) -> str:
    if isinstance(error, psycopg.Error) and error.diag.message_primary:
        return f"the database refused it: {error.diag.message_primary}"
    return f"the database refused it: {str(error).splitlines()[0]}"


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
