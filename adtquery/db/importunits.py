"""The units of an import and how they are committed (the writer's side of
adtquery.db.importer).

A unit is what one transaction writes: the models, or a batch of twins or of relationships, the
output-log entries of everything read up to its checkpoint, and the checkpoint. `UnitWriter`
commits units in order on a thread of its own (`CommitThread`); the sink records the entries and
the checkpoint inside the unit's transaction, so the two never disagree with the data.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Protocol

import psycopg
from psycopg import errors

from adtquery.db import bulk
from adtquery.db.models import insert_models
from adtquery.db.schema import create_indexes, drop_secondary_indexes, pause_autovacuum
from adtquery.dtdl import Models
from adtquery.errors import ValidationFailed
from adtquery.schema import GRAPH, MODEL_LABEL, RELATIONSHIP_LABEL, TWIN_LABEL

SECTIONS = ("Header", "Models", "Twins", "Relationships")
HEADER, MODELS, TWINS, RELATIONSHIPS, DONE = range(5)  # DONE: a checkpoint past the end

Document = dict[str, Any]

log = logging.getLogger(__name__)

_LABELS = {"Twins": TWIN_LABEL, "Relationships": RELATIONSHIP_LABEL}
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
    # The section began on an empty label table, so it loads without the table's secondary
    # indexes and autovacuum; a resumed import carries on the same way.
    bare: bool = False

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


@dataclass(slots=True)
class Entity:
    line: int
    key: Any  # $dtId, or (source $dtId, $relationshipId)
    document: Document
    endpoints: tuple[int, int] = (0, 0)  # a twin's graph id; a relationship's two ends
    row: bytes = b""  # the COPY row, made on the parsing thread once the graph ids are known


@dataclass(slots=True)
class Unit:
    """What one transaction writes: entities of one kind, or the models, and the log entries
    of everything up to `checkpoint` (failures found while parsing come first)."""

    checkpoint: Checkpoint
    entries: list[LogEntry] = field(default_factory=list)
    twins: list[Entity] = field(default_factory=list)
    relationships: list[Entity] = field(default_factory=list)
    unresolved: list[Entity] = field(default_factory=list)  # endpoints to look up first
    models: list[Document] = field(default_factory=list)


def relationship_problem(
    models: Models, relationship: Document, source: str, target: str
) -> str | None:
    """What is wrong with a relationship between twins of the models `source` and `target`."""
    try:
        models.validate_relationship(
            source, relationship["$relationshipName"], relationship, target
        )
    except ValidationFailed as error:
        return problem_of(error)
    return None


def problem_of(error: ValidationFailed) -> str:
    """A refusal's first line: the log gives an entity one line."""
    return str(error).split("\n", 1)[0]


def status(section: int, state: str) -> LogEntry:
    """A section's Started or Succeeded line."""
    return LogEntry("Info", {"section": SECTIONS[section], "status": state})


def failure(section: int, line: int, key: Any, code: str, message: str) -> LogEntry:
    details: dict[str, Any] = {"section": SECTIONS[section], "line": line}
    if isinstance(key, tuple):
        details["twinId"], details["relationshipId"] = key
    elif key is not None:
        details["id"] = key
    details["error"] = {"code": code, "message": message}
    return LogEntry("Error", details)


class CommitThread(threading.Thread):
    """Commits units in order, on a thread of its own. The first error stops the rest and is
    raised on the importing thread by the next `submit` or by `close`. At most two units wait,
    which bounds the memory in use."""

    def __init__(self, commit: Callable[[Unit], bool]) -> None:
        super().__init__(name="adtquery-import-writer", daemon=True)
        self.commit = commit
        self.units: queue.Queue[Unit | None] = queue.Queue(maxsize=2)
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

    def submit(self, unit: Unit) -> None:
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


# The import's ANALYZE samples 300 x 30 = 9,000 rows where the default target samples 30,000:
# each statistics object on a declared property costs ~0.1 s per 30,000 rows (mostly sorting
# agtype), which took a core for 3-4 s of the relationships' COPY at any size. The benchmarks'
# plans, rare values and common ones at 100k and 1M, came out the same at both.
_ANALYZE_TARGET = 30


def _analyze_label(conn: psycopg.Connection, label: str) -> None:
    with conn.transaction():
        conn.execute(f"SET LOCAL default_statistics_target = {_ANALYZE_TARGET}")
        conn.execute(f'ANALYZE {GRAPH}."{label}"')


class Statistics:
    """ANALYZE of a section's label table once the section is committed, on a connection of its
    own beside the rest of the import: the relationships' COPY leaves the database's core half
    idle, and the twins' ANALYZE, with a statistics object per declared property, takes ~1 s
    (the sample does not grow with the table). `wait` is the end of the import."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn
        self.running: list[threading.Thread] = []
        self.failed: list[str] = []

    def start(self, label: str) -> None:
        thread = threading.Thread(
            target=self._analyze, args=(label,), name="adtquery-import-analyze", daemon=True
        )
        thread.start()
        self.running.append(thread)

    def wait(self) -> None:
        """Join the ANALYZEs; one that could not run beside the import runs here."""
        for thread in self.running:
            thread.join()
        self.running.clear()
        for label in self.failed:
            _analyze_label(self.conn, label)
        self.failed.clear()

    def _analyze(self, label: str) -> None:
        info = self.conn.info
        try:
            with psycopg.connect(info.dsn, password=info.password, autocommit=True) as conn:
                _analyze_label(conn, label)
        except psycopg.Error as error:
            log.warning("ANALYZE of %s beside the import failed (%s); it runs after", label, error)
            self.failed.append(label)


class UnitWriter:
    """Commits units, one transaction each, and keeps the graph ids of the twins written."""

    def __init__(
        self,
        conn: psycopg.Connection,
        sink: Sink,
        start: Checkpoint,
        models: Models,
        uploaded: str,
        batch_size: int,
    ) -> None:
        self.conn = conn
        self.sink = sink
        self.done = start  # the input committed
        self.models = models  # the reader's, once its models section is added
        self.uploaded = uploaded
        self.ids = bulk.GraphIds(conn)
        # Enough for the units the reader can be ahead by: the one it fills, two queued and
        # the one committing.
        self.ids_ahead = 4 * batch_size if start.section <= TWINS else 0
        self.ids.stock(conn, self.ids_ahead)
        self.statistics = Statistics(conn)
        # Twins of this run: $dtId -> (graph id, model). The reader adds each twin with the id
        # it took, or 0 for the writer to set; a twin imported before a resume is looked up.
        self.endpoints: dict[str, bulk.Endpoint] = {}
        # A bare section resumed: its indexes and autovacuum came back when the import stopped.
        self.strip: str | None = _LABELS[SECTIONS[start.section]] if start.bare else None

    def commit(self, unit: Unit) -> bool:
        failures: list[LogEntry] = []
        with self.conn.transaction():
            if self.strip is not None:
                _strip(self.conn, self.strip)
                self.strip = None
            if unit.models:
                insert_models(self.conn, unit.models, self.uploaded)
                self.conn.execute(f'ANALYZE {GRAPH}."{MODEL_LABEL}"')
            if unit.twins:
                self._write_twins(unit.twins, failures)
                self.ids.stock(self.conn, self.ids_ahead)
            if unit.unresolved:
                unit.relationships += self._resolve(unit.unresolved, failures)
            if unit.relationships:
                self._write_relationships(unit.relationships, failures)
            ended = self._sections_ending(unit)
            bare = self._sections_starting(unit)
            entries = unit.entries[:]
            # Database refusals go before the section's closing line, if the unit has one.
            closes = entries and entries[-1].details.get("status") == "Succeeded"
            at = len(entries) - 1 if closes else len(entries)
            entries[at:at] = sorted(failures, key=lambda entry: entry.details["line"])
            checkpoint = replace(self._counted(unit, entries), bare=bare)
            self.sink.record(self.conn, entries, checkpoint)
        self.done = checkpoint
        for label in ended:
            self.statistics.start(label)
        return self.sink.committed(checkpoint)

    def _counted(self, unit: Unit, entries: list[LogEntry]) -> Checkpoint:
        previous = self.done
        return replace(
            unit.checkpoint,
            models=previous.models + len(unit.models),
            twins=previous.twins + len(unit.twins),
            relationships=previous.relationships + len(unit.relationships),
            failed=previous.failed + sum(entry.log_type == "Error" for entry in entries),
        )

    def _sections_starting(self, unit: Unit) -> bool:
        """A section that starts on an empty label table loads it without its secondary
        indexes (adtquery.db.schema.SECONDARY_INDEXES) and without autovacuum, until the end
        of the import. Whether the section the unit leaves the import in loads so."""
        started = self._sections(unit, "Started")
        if not started:
            return self.done.bare and unit.checkpoint.section == self.done.section
        [label] = started  # a unit starts at most one section
        if not self._empty(label):
            return False
        _strip(self.conn, label)
        return True

    def _sections_ending(self, unit: Unit) -> list[str]:
        """Build what a section dropped; the labels whose statistics are then due."""
        ended = self._sections(unit, "Succeeded")
        if ended:
            create_indexes(self.conn)
        return ended

    @staticmethod
    def _sections(unit: Unit, state: str) -> list[str]:
        return [
            _LABELS[entry.details["section"]]
            for entry in unit.entries
            if entry.details.get("status") == state and entry.details.get("section") in _LABELS
        ]

    def _empty(self, label: str) -> bool:
        return self.conn.execute(f'SELECT NOT EXISTS (SELECT FROM {GRAPH}."{label}")').fetchone()[0]

    def _write_twins(self, twins: list[Entity], failures: list[LogEntry]) -> None:
        unnumbered = [entity for entity in twins if not entity.endpoints[0]]
        ids = self.ids.reserve(self.conn, len(unnumbered))
        for entity, graph_id in zip(unnumbered, ids, strict=True):
            entity.endpoints = (graph_id, 0)
            entity.row = bulk.twin_row(graph_id, entity.document)
            self.endpoints[entity.key] = (graph_id, entity.document["$metadata"]["$model"])
        refused = self._copy(
            TWINS,
            twins,
            lambda batch: bulk.copy_twins(self.conn, (entity.row for entity in batch)),
            lambda batch: set(bulk.find_twins(self.conn, [e.key for e in batch])),
            "a digital twin with this $dtId already exists",
        )
        for entry in refused:
            # Relationships to it must find the twin stored before, if there is one.
            self.endpoints.pop(entry.details["id"], None)
        _drop_refused(twins, refused)
        failures += refused

    def _resolve(self, relationships: list[Entity], failures: list[LogEntry]) -> list[Entity]:
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
                problem = relationship_problem(
                    self.models, entity.document, source_end[1], target_end[1]
                )
                code = "ValidationFailed"
            if problem is not None:
                failures.append(failure(RELATIONSHIPS, entity.line, entity.key, code, problem))
                continue
            assert source_end is not None and target_end is not None
            entity.endpoints = (source_end[0], target_end[0])
            entity.row = bulk.relationship_row(*entity.endpoints, entity.document)
            resolved.append(entity)
        return resolved

    def _write_relationships(self, relationships: list[Entity], failures: list[LogEntry]) -> None:
        refused = self._copy(
            RELATIONSHIPS,
            relationships,
            lambda batch: bulk.copy_relationships(self.conn, (entity.row for entity in batch)),
            lambda batch: bulk.existing_relationships(
                self.conn, [e.key for e in batch], [e.endpoints[0] for e in batch]
            ),
            "a relationship with this $relationshipId already exists on its source twin",
        )
        _drop_refused(relationships, refused)
        failures += refused

    def _copy(
        self,
        section: int,
        entities: list[Entity],
        copy: Callable[[list[Entity]], None],
        stored: Callable[[list[Entity]], set[Any]],
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
                    failure(section, entity.line, entity.key, "ValidationFailed", clash)
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
        self, section: int, entities: list[Entity], copy: Callable[[list[Entity]], None]
    ) -> list[LogEntry]:
        failures = []
        for entity in entities:
            try:
                with self.conn.transaction():
                    copy([entity])
            except _REFUSALS as error:
                failures.append(
                    failure(section, entity.line, entity.key, "ValidationFailed", _reason(error))
                )
        return failures


def _strip(conn: psycopg.Connection, label: str) -> None:
    drop_secondary_indexes(conn, label)
    pause_autovacuum(conn, label)


def _drop_refused(entities: list[Entity], refused: list[LogEntry]) -> None:
    lines = {entry.details["line"] for entry in refused}
    entities[:] = [entity for entity in entities if entity.line not in lines]


def _reason(error: Exception) -> str:
    if isinstance(error, psycopg.Error) and error.diag.message_primary:
        return f"the database refused it: {error.diag.message_primary}"
    return f"the database refused it: {str(error).splitlines()[0]}"
