"""Import a file in ADT's bulk-import format (NDJSON) into the graph, all or nothing.

The format is the input of ADT's Import Jobs (../shared/adt-rest-api.md §1.8): a
`{"Section": "Header"}` line and one header object, then the optional sections `Models`, `Twins`
and `Relationships`, in that order, one JSON object a line. In the Relationships section the
source twin is given as `$dtId` (`$sourceId`, as exported by `SELECT * FROM RELATIONSHIPS`, is
accepted too).

Unlike ADT's import jobs, which are not atomic, an import here runs in one transaction: the
first bad line stops it with an `ImportFailed` that names the line, and nothing stays written.
Twins get what ADT adds on create (`$etag`, `$metadata.$lastUpdateTime`, a `lastUpdateTime` per
property, also inside components); relationships get `$etag` and `$sourceId`. Values already in
the file are kept.

Speed: lines are parsed and checked on the calling thread while a writer thread sends the
previous batch (`insert_twins`, `insert_relationships`: one INSERT ... SELECT per batch), so
parsing and writing overlap. A batch the database refuses is written again row by row, under
savepoints, to find the line to blame.
"""

from __future__ import annotations

import json
import os
import queue
import threading
from codecs import BOM_UTF8
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import psycopg
from psycopg import errors

from adtquery.db.load import insert_relationships, insert_twins
from adtquery.db.models import insert_models
from adtquery.errors import ValidationFailed
from adtquery.schema import GRAPH, MODEL_LABEL, RELATIONSHIP_LABEL, TWIN_LABEL

SECTIONS = ("Header", "Models", "Twins", "Relationships")
FILE_VERSION = "1.0.0"
DEFAULT_BATCH_SIZE = 5000

_ORDER = "Header, then Models, Twins and Relationships, each at most once"
_START = 'the file must start with {"Section": "Header"}'
# What the database may refuse in a batch that the row-by-row pass can pin on one line.
_REFUSALS = (
    psycopg.IntegrityError,
    psycopg.DataError,
    psycopg.InternalError,
    errors.ProgramLimitExceeded,  # an index row too large, e.g. a $dtId of kilobytes
)
_DTID = (
    "ag_catalog.agtype_access_operator("
    "VARIADIC ARRAY[t.properties, '\"$dtId\"'::ag_catalog.agtype])"
)
_MODELS = f'SELECT ag_catalog.agtype_out(properties)::text FROM {GRAPH}."{MODEL_LABEL}"'
_EXISTING_TWINS = (
    f'SELECT u.id FROM unnest(%s::text[]) AS u(id) WHERE EXISTS (SELECT 1 FROM {GRAPH}."'
    f'{TWIN_LABEL}" t WHERE {_DTID} = to_json(u.id)::text::ag_catalog.agtype)'
)

Document = dict[str, Any]
Batch = list[tuple[int, Document]]  # (line number, document)


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """How many models, twins and relationships an import wrote (so far, in progress reports)."""

    models: int = 0
    twins: int = 0
    relationships: int = 0


Progress = Callable[[ImportSummary], None]


class ImportFailed(ValidationFailed):
    """A line of an import file that cannot be imported; nothing of the file was written."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(f"Line {line}: {problem}", reason="import-failed")
        self.line = line
        self.problem = problem


def import_ndjson(
    conn: psycopg.Connection,
    lines: Iterable[str] | Iterable[bytes],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import the lines of an ADT import file in one transaction; ImportFailed names a bad line.

    `lines` is read once, as it comes: a file object streams, in text mode or, faster, binary
    (UTF-8, checked here; a byte-order mark is skipped). `progress`, if given, is called with the
    running counts after every batch written, from the writer thread.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    with conn.transaction():
        importer = _Importer(conn, batch_size, progress)
        writer = importer.writer
        writer.start()
        try:
            number = 0
            for number, line in enumerate(lines, 1):
                importer.feed(number, line)
            importer.finish(number)
            writer.close()
        except BaseException as error:
            writer.abandon()  # before the transaction ends: nothing may run after the rollback
            if isinstance(error, ImportFailed) and isinstance(writer.failure, ImportFailed):
                raise writer.failure from None  # the writer's line came first
            raise
    return importer.summary


def timestamp(moment: datetime) -> str:
    """ADT's twin timestamps: UTC, seven fractional digits, `Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")


def new_etag() -> str:
    """A weak etag around a random (version 4) UUID, as ADT gives; twice as fast as uuid4()."""
    h = os.urandom(16).hex()
    return f'W/"{h[:8]}-{h[8:12]}-4{h[13:16]}-{"89ab"[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"'


def stamp_twin(twin: Document, now: str) -> None:
    """Add what ADT adds to a created twin, keeping every value the twin already has."""
    twin.setdefault("$etag", new_etag())
    metadata = twin["$metadata"]
    metadata.setdefault("$lastUpdateTime", now)
    _stamp_properties(twin, metadata, now)


def _stamp_properties(container: Document, metadata: Document, now: str) -> None:
    for key, value in container.items():
        if key.startswith("$"):
            continue
        if isinstance(value, dict) and isinstance(value.get("$metadata"), dict):
            # A component: its own $metadata, and no entry for it in the twin's.
            inner = value["$metadata"]
            inner.setdefault("$lastUpdateTime", now)
            _stamp_properties(value, inner, now)
        elif key not in metadata:
            metadata[key] = {"lastUpdateTime": now}


class _Writer(threading.Thread):
    """Runs an import's database work in order, on a thread of its own.

    The first job that fails stops the rest; its error is raised on the importing thread by the
    next `submit`, or by `close`. At most two jobs wait, which bounds the memory in use.
    """

    def __init__(self) -> None:
        super().__init__(name="adtquery-import-writer", daemon=True)
        self.jobs: queue.Queue[Callable[[], None] | None] = queue.Queue(maxsize=2)
        self.failure: BaseException | None = None
        self.stopped = False

    def run(self) -> None:
        while (job := self.jobs.get()) is not None:
            if self.failure is None and not self.stopped:
                try:
                    job()
                except BaseException as error:
                    self.failure = error

    def submit(self, job: Callable[[], None]) -> None:
        self._check()
        self.jobs.put(job)

    def close(self) -> None:
        """Wait for every job; raise the failure, if one failed."""
        self.jobs.put(None)
        self.join()
        self._check()

    def abandon(self) -> None:
        """Drop the jobs not started and wait for the one running, if any."""
        self.stopped = True
        if self.is_alive():
            self.jobs.put(None)
            self.join()

    def _check(self) -> None:
        if self.failure is not None:
            raise self.failure


class _Importer:
    """The calling thread's side: parse and check each line, hand batches to the writer."""

    def __init__(self, conn: psycopg.Connection, batch_size: int, progress: Progress | None):
        self.conn = conn
        self.batch_size = batch_size
        self.progress = progress
        self.writer = _Writer()
        moment = datetime.now(UTC)
        self.now = timestamp(moment)
        self.uploaded = moment.strftime("%Y-%m-%dT%H:%M:%S.%f0+00:00")  # ADT's uploadTime form
        self.section = -1
        self.header = False
        self.counts = {"models": 0, "twins": 0, "relationships": 0}  # written, by the writer
        self.models: list[Document] = []
        self.model_lines: dict[str, int] = {}
        stored = [orjson.loads(row[0]) for row in conn.execute(_MODELS)]
        self.known_models = {model["id"] for model in stored}  # and then the file's
        self.decommissioned = {model["id"] for model in stored if model.get("decommissioned")}
        self.twin_lines: dict[str, int] = {}  # every twin of the file: duplicates, endpoints
        self.batch: Batch = []

    @property
    def summary(self) -> ImportSummary:
        return ImportSummary(**self.counts)

    def feed(self, number: int, line: str | bytes) -> None:
        if number == 1:
            line = line.lstrip("\ufeff") if isinstance(line, str) else line.lstrip(BOM_UTF8)
        if not line.strip():
            return
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            raise ImportFailed(number, _json_problem(line, error)) from None
        if not isinstance(value, dict):
            raise ImportFailed(number, f"expected a JSON object, found {_describe(value)}")
        if len(value) == 1 and "Section" in value:
            self._start(number, value["Section"])
        elif self.section == 2:
            self._twin(number, value)
        elif self.section == 3:
            self._relationship(number, value)
        elif self.section == 1:
            self._model(number, value)
        elif self.section == 0:
            self._header(number, value)
        else:
            raise ImportFailed(number, _START)

    def finish(self, last: int) -> None:
        if self.section == -1:
            raise ImportFailed(max(last, 1), _START + "; it is empty")
        if self.section == 0 and not self.header:
            raise ImportFailed(last, "the Header section has no header object")
        self._end_section()

    # -- sections

    def _start(self, number: int, name: Any) -> None:
        if name not in SECTIONS:
            raise ImportFailed(
                number, f"unknown section {_describe(name)}; the sections are {', '.join(SECTIONS)}"
            )
        index = SECTIONS.index(name)
        if self.section == -1 and index != 0:
            raise ImportFailed(number, _START)
        if index <= self.section:
            after = SECTIONS[self.section]
            raise ImportFailed(number, f"section {name} after {after}: the order is {_ORDER}")
        if self.section == 0 and not self.header:
            raise ImportFailed(number, "the Header section has no header object")
        self._end_section()
        self.section = index

    def _end_section(self) -> None:
        if self.section == 1 and self.models:
            models = self.models
            self.known_models.update(self.model_lines)
            self.writer.submit(lambda: self._write_models(models))
        elif self.section == 2:
            self._flush_twins()
            # The relationship inserts look twins up by $dtId: plan them with true counts.
            self.writer.submit(lambda: self._analyze(TWIN_LABEL, "twins"))
        elif self.section == 3:
            self._flush_relationships()
            self.writer.submit(lambda: self._analyze(RELATIONSHIP_LABEL, "relationships"))

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
        model_id = _required(number, model, "@id", "model")
        if model_id in self.model_lines:
            raise ImportFailed(
                number, f"model {model_id} is already on line {self.model_lines[model_id]}"
            )
        if model_id in self.known_models:
            raise ImportFailed(number, f"model {model_id} already exists")
        self.model_lines[model_id] = number
        self.models.append(model)

    # -- twins

    def _twin(self, number: int, twin: Document) -> None:
        dtid = _required(number, twin, "$dtId", "twin")
        metadata = twin.get("$metadata")
        if not isinstance(metadata, dict):
            raise ImportFailed(number, f'twin {dtid!r} has no "$metadata" object')
        model = metadata.get("$model")
        if not isinstance(model, str) or not model:
            raise ImportFailed(number, f'twin {dtid!r} has no "$metadata": {{"$model": ...}}')
        if model not in self.known_models:
            raise ImportFailed(
                number,
                f"twin {dtid!r}: model {model} does not exist "
                "(neither in the Models section nor in the database)",
            )
        if model in self.decommissioned:
            raise ImportFailed(number, f"twin {dtid!r}: model {model} is decommissioned")
        if dtid in self.twin_lines:
            raise ImportFailed(
                number, f"duplicate $dtId {dtid!r}: already on line {self.twin_lines[dtid]}"
            )
        self.twin_lines[dtid] = number
        stamp_twin(twin, self.now)
        self.batch.append((number, twin))
        if len(self.batch) >= self.batch_size:
            self._flush_twins()

    def _flush_twins(self) -> None:
        if self.batch:
            batch, self.batch = self.batch, []
            self.writer.submit(lambda: self._write(batch, insert_twins, _twin_refused, "twins"))

    # -- relationships

    def _relationship(self, number: int, relationship: Document) -> None:
        if "$dtId" in relationship:
            source = _required(number, relationship, "$dtId", "relationship")
            if relationship.setdefault("$sourceId", source) != source:
                raise ImportFailed(number, '"$dtId" and "$sourceId" name different twins')
            del relationship["$dtId"]
        else:
            # A relationship as ADT returns it (an export) names its source $sourceId.
            _required(number, relationship, "$sourceId", "relationship", alias="$dtId")
        _required(number, relationship, "$relationshipId", "relationship")
        _required(number, relationship, "$targetId", "relationship")
        _required(number, relationship, "$relationshipName", "relationship")
        if "$etag" not in relationship:
            relationship["$etag"] = new_etag()
        self.batch.append((number, relationship))
        if len(self.batch) >= self.batch_size:
            self._flush_relationships()

    def _flush_relationships(self) -> None:
        if self.batch:
            batch, self.batch = self.batch, []
            self.writer.submit(lambda: self._write_relationships(batch))

    # -- the writer's jobs

    def _write_models(self, models: list[Document]) -> None:
        insert_models(self.conn, models, self.uploaded)
        self._analyze(MODEL_LABEL, "models", added=len(models))

    def _write_relationships(self, batch: Batch) -> None:
        self._check_endpoints(batch)
        self._write(batch, insert_relationships, _relationship_refused, "relationships")

    def _check_endpoints(self, batch: Batch) -> None:
        """insert_relationships skips a relationship whose twins are missing: refuse it here."""
        elsewhere = {
            twin
            for _, relationship in batch
            for twin in (relationship["$sourceId"], relationship["$targetId"])
            if twin not in self.twin_lines
        }
        if not elsewhere:
            return
        found = self.conn.execute(_EXISTING_TWINS, (sorted(elsewhere),)).fetchall()
        missing = elsewhere.difference(row[0] for row in found)
        for number, relationship in batch:
            for end, role in (("$sourceId", "source"), ("$targetId", "target")):
                if relationship[end] in missing:
                    raise ImportFailed(
                        number,
                        f"relationship {relationship['$relationshipId']!r}: {role} twin "
                        f"{relationship[end]!r} does not exist",
                    )

    def _write(
        self,
        batch: Batch,
        insert: Callable[[psycopg.Connection, list[Document]], None],
        refused: Callable[[Document, Exception], str],
        kind: str,
    ) -> None:
        """One insert for the batch; if the database refuses it, find the line row by row."""
        try:
            with self.conn.transaction():  # a savepoint, so the row-by-row pass can run
                insert(self.conn, [document for _, document in batch])
        except (*_REFUSALS, UnicodeEncodeError):  # a lone surrogate fails before sending
            for number, document in batch:
                try:
                    with self.conn.transaction():
                        insert(self.conn, [document])
                except (*_REFUSALS, UnicodeEncodeError) as error:
                    raise ImportFailed(number, refused(document, error)) from error
            raise  # refused as a batch only: nothing to pin on one line
        self.counts[kind] += len(batch)
        self._report()

    def _analyze(self, label: str, kind: str, added: int = 0) -> None:
        self.counts[kind] += added
        if self.counts[kind]:
            self.conn.execute(f'ANALYZE {GRAPH}."{label}"')
        if added:
            self._report()

    def _report(self) -> None:
        if self.progress is not None:
            self.progress(self.summary)


def _required(
    number: int, document: Document, key: str, what: str, alias: str | None = None
) -> str:
    if key not in document:
        raise ImportFailed(number, f'the {what} has no "{alias or key}"')
    value = document[key]
    if not isinstance(value, str) or not value:
        raise ImportFailed(number, f'"{key}" must be a non-empty string, not {_describe(value)}')
    return value


def _twin_refused(twin: Document, error: Exception) -> str:
    if isinstance(error, errors.UniqueViolation):
        return f"a twin with $dtId {twin['$dtId']!r} already exists"
    return f"twin {twin['$dtId']!r} was refused: {_reason(error)}"


def _relationship_refused(relationship: Document, error: Exception) -> str:
    name = f"relationship {relationship['$relationshipId']!r} of twin {relationship['$sourceId']!r}"
    if isinstance(error, errors.UniqueViolation):
        return f"{name} already exists"
    return f"{name} was refused: {_reason(error)}"


def _reason(error: Exception) -> str:
    if isinstance(error, psycopg.Error) and error.diag.message_primary:
        return error.diag.message_primary
    return str(error).splitlines()[0]


def _json_problem(line: str | bytes, error: orjson.JSONDecodeError) -> str:
    if isinstance(line, bytes):
        try:
            line.decode()
        except UnicodeDecodeError as undecodable:
            return f"not valid UTF-8 (byte {undecodable.start + 1} of the line)"
    return f"not valid JSON ({error.msg} at column {error.colno})"


def _describe(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."
