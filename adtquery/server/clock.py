"""Timestamps as ADT writes them: seven fractional digits, like .NET's round-trip format."""

from __future__ import annotations

from datetime import UTC, datetime


def _stamp(suffix: str) -> str:
    moment = datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0{suffix}"


def twin_time() -> str:
    """`$metadata` times: `2022-02-28T00:30:00.1234567Z`."""
    return _stamp("Z")


def upload_time() -> str:
    """Model `uploadTime`: `2025-07-14T01:43:53.3400312+00:00`."""
    return _stamp("+00:00")
