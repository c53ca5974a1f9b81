"""The output log of an import, in ADT's format: one JSON object a line,

    {"timestamp": ..., "jobId": ..., "jobType": "Import", "logType": "Info",
     "details": {"section": "Twins", "status": "Started"}}

with `logType` "Error" and `details` {"section", "line", "id" | "twinId"+"relationshipId",
"error": {"code", "message"}} for an entity that was skipped. ADT documents the Info lines; the
shape of its error lines is not documented, so these name the input line, which ADT's cannot.

Lines reach the file before the transaction of their unit commits, and the checkpoint records
the file's size: a resumed import cuts the file back to that size, so each line is there once.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from adtquery.clock import adt_time
from adtquery.db.importer import LogEntry


def log_line(job_id: str, entry: LogEntry, moment: datetime | None = None) -> bytes:
    line: dict[str, Any] = {
        "timestamp": adt_time(moment or datetime.now(UTC)),
        "jobId": job_id,
        "jobType": "Import",
        "logType": entry.log_type,
        "details": entry.details,
    }
    return orjson.dumps(line) + b"\n"


class OutputLog:
    """An import's output log file, appended to and made durable line batch by line batch."""

    def __init__(self, path: Path, job_id: str, *, size: int = 0) -> None:
        """Open `path` for the job, cut back to `size` bytes (0: a new log)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.job_id = job_id
        self.file = path.open("ab")
        self.file.truncate(size)
        self.size = size

    def write(self, entries: list[LogEntry]) -> int:
        """Append the entries, durably; the file's size after them."""
        if entries:
            now = datetime.now(UTC)
            data = b"".join(log_line(self.job_id, entry, now) for entry in entries)
            self.file.write(data)
            self.file.flush()
            os.fsync(self.file.fileno())
            self.size += len(data)
        return self.size

    def close(self) -> None:
        self.file.close()
