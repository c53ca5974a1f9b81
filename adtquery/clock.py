"""Timestamps as ADT writes them: UTC, seven fractional digits, like .NET's round-trip format.

Twins' `$metadata` and import logs end in `Z` (`2022-02-28T00:30:00.1234567Z`); model upload
times and job times in `+00:00` (`2025-07-14T01:43:53.3400312+00:00`).
"""

from __future__ import annotations

from datetime import UTC, datetime

Z = "Z"
OFFSET = "+00:00"


def adt_time(moment: datetime, suffix: str = Z) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f0") + suffix


def twin_time() -> str:
    return adt_time(datetime.now(UTC))


def upload_time() -> str:
    return adt_time(datetime.now(UTC), OFFSET)
