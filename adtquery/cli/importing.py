"""`adtquery import FILE`: the import job's engine, run in the foreground.

Skipped entities are reported on stderr as they are committed (and, with --log, written in ADT's
output-log format); a terminal also gets a progress line: entities done, rate, time left.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import BinaryIO, TextIO

import psycopg

from adtquery.db.importer import Checkpoint, ImportResult, LogEntry, run_import
from adtquery.db.importlog import OutputLog


class Progress:
    """One line on a terminal, rewritten after every unit committed."""

    def __init__(self, total_bytes: int | None, stream: TextIO) -> None:
        self.total = total_bytes
        self.stream = stream
        self.started = time.perf_counter()

    def show(self, done: Checkpoint) -> None:
        elapsed = max(time.perf_counter() - self.started, 1e-6)
        entities = done.entities + done.failed
        parts = [f"{entities:,} entities", f"{entities / elapsed:,.0f}/s"]
        if done.failed:
            parts.insert(1, f"{done.failed:,} skipped")
        if self.total and done.offset:
            fraction = done.offset / self.total
            left = elapsed * (1 - fraction) / fraction
            parts += [f"{fraction:.0%}", f"{_duration(left)} left"]
        self.stream.write("\r\033[K" + " · ".join(parts))
        self.stream.flush()

    def clear(self) -> None:
        self.stream.write("\r\033[K")
        self.stream.flush()


class CommandLineSink:
    """The import's sink for the command line: skipped entities to stderr, the log to a file."""

    def __init__(self, log: OutputLog | None, progress: Progress | None, errors: TextIO) -> None:
        self.log = log
        self.progress = progress
        self.errors = errors

    def record(
        self, conn: psycopg.Connection, entries: list[LogEntry], checkpoint: Checkpoint
    ) -> None:
        if self.log is not None:
            self.log.write(entries)
        skipped = [entry.details for entry in entries if entry.log_type == "Error"]
        if skipped and self.progress is not None:
            self.progress.clear()
        for details in skipped:
            self.errors.write(f"{_entity(details)}: {details['error']['message']}\n")

    def committed(self, checkpoint: Checkpoint) -> bool:
        if self.progress is not None:
            self.progress.show(checkpoint)
        return True


def import_file(
    conn: psycopg.Connection, source: BinaryIO, *, log_path: Path | None, show_progress: bool
) -> tuple[ImportResult, float]:
    """Import `source` (the whole stream); the result and the seconds it took."""
    progress = Progress(_size(source), sys.stderr) if show_progress else None
    log = OutputLog(log_path, "cli") if log_path is not None else None
    started = time.perf_counter()
    try:
        result = run_import(conn, source, CommandLineSink(log, progress, sys.stderr))
    finally:
        if progress is not None:
            progress.clear()
        if log is not None:
            log.close()
    return result, time.perf_counter() - started


def summary(result: ImportResult, seconds: float) -> str:
    done = result.checkpoint
    rate = (done.entities + done.failed) / max(seconds, 1e-6)
    text = (
        f"Imported {done.models:,} models, {done.twins:,} twins and {done.relationships:,} "
        f"relationships in {seconds:.1f} s ({rate:,.0f} entities per second)."
    )
    if done.failed:
        text += f" Skipped {done.failed:,} (see above)."
    return text


def _entity(details: dict[str, object]) -> str:
    where = f"line {details['line']}"
    if "relationshipId" in details:
        return f"{where}: relationship {details['relationshipId']} of {details['twinId']}"
    if "id" in details:
        return f"{where}: twin {details['id']}"
    return where


def _size(source: BinaryIO) -> int | None:
    try:
        return os.fstat(source.fileno()).st_size or None
    except (OSError, ValueError):
        return None


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"
