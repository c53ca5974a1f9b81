"""DTDL primitive and geospatial schemas: which terms each version has, and which JSON values fit.

Values arrive as parsed JSON (json/orjson), so a JSON number with a fraction or an exponent is a
Python float: `5.0` is not an integer here, as it is not to ADT's parser. Booleans are never
numbers, although Python's bool subclasses int.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Callable
from datetime import date
from typing import Any

GEOSPATIAL = frozenset(
    {"point", "multiPoint", "lineString", "multiLineString", "polygon", "multiPolygon"}
)
V2 = frozenset(
    {"boolean", "date", "dateTime", "double", "duration", "float", "integer", "long", "string"}
    | {"time"}
    | GEOSPATIAL
)
# DTDL's own tables give these to v4; the service accepts them in v3 documents as well, so that
# models written for newer parsers upload. Only v2 documents are refused them.
V3 = V2 | {
    "byte",
    "bytes",
    "decimal",
    "short",
    "unsignedByte",
    "unsignedShort",
    "unsignedInteger",
    "unsignedLong",
    "uuid",
}
TERMS = {2: V2, 3: V3}

_FLOAT_MAX = 3.4028234663852886e38
_DATE = r"(\d{4})-(\d{2})-(\d{2})"
_TIME = r"(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?"
_OFFSET = r"(?:[Zz]|[+-](\d{2}):(\d{2}))"
_DATE_RE = re.compile(_DATE)
_DATETIME_RE = re.compile(_DATE + "[Tt]" + _TIME + _OFFSET)
# RFC 3339 full-time wants an offset; ADT's own samples send "12:30:00", so it may be left out.
_TIME_RE = re.compile(_TIME + f"(?:{_OFFSET})?")
_NUMBER = r"\d+(?:[.,]\d+)?"
_DURATION_RE = re.compile(
    rf"-?P(?=\d|T\d)(?:{_NUMBER}Y)?(?:{_NUMBER}M)?(?:{_NUMBER}W)?(?:{_NUMBER}D)?"
    rf"(?:T(?=\d)(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?"
)
_DECIMAL_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_UUID_RE = re.compile(
    r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
)


def is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """A finite JSON number (Python's json reads NaN and Infinity, which JSON does not have)."""
    if is_integer(value):
        return True
    return isinstance(value, float) and math.isfinite(value)


def _in_range(low: int, high: int) -> Callable[[Any], bool]:
    return lambda value: is_integer(value) and low <= value <= high


def _float(value: Any) -> bool:
    return is_number(value) and abs(value) <= _FLOAT_MAX


def _double(value: Any) -> bool:
    if not is_number(value):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an integer beyond double's range
        return False


def _calendar(year: str, month: str, day: str) -> bool:
    try:
        date(int(year), int(month), int(day))
    except ValueError:
        return False
    return True


def _clock(hour: str, minute: str, second: str) -> bool:
    return int(hour) < 24 and int(minute) < 60 and int(second) <= 60  # 60: a leap second


def _offset(hours: str | None, minutes: str | None) -> bool:
    return hours is None or (int(hours) < 24 and int(minutes or 0) < 60)


def _date(value: Any) -> bool:
    match = _DATE_RE.fullmatch(value) if isinstance(value, str) else None
    return bool(match) and _calendar(*match.groups())


def _datetime(value: Any) -> bool:
    match = _DATETIME_RE.fullmatch(value) if isinstance(value, str) else None
    if not match:
        return False
    year, month, day, hour, minute, second, off_h, off_m = match.groups()
    return _calendar(year, month, day) and _clock(hour, minute, second) and _offset(off_h, off_m)


def _time(value: Any) -> bool:
    match = _TIME_RE.fullmatch(value) if isinstance(value, str) else None
    if not match:
        return False
    hour, minute, second, off_h, off_m = match.groups()
    return _clock(hour, minute, second) and _offset(off_h, off_m)


def _duration(value: Any) -> bool:
    return isinstance(value, str) and bool(_DURATION_RE.fullmatch(value))


def _bytes(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _decimal(value: Any) -> bool:
    # DTDL carries decimals as strings to keep their digits; a plain JSON number is taken too.
    return is_number(value) or (isinstance(value, str) and bool(_DECIMAL_RE.fullmatch(value)))


def _uuid(value: Any) -> bool:
    return isinstance(value, str) and bool(_UUID_RE.fullmatch(value))


def _position(value: Any) -> bool:
    return isinstance(value, list) and len(value) >= 2 and all(is_number(v) for v in value)


def _positions(value: Any, minimum: int = 0) -> bool:
    return isinstance(value, list) and len(value) >= minimum and all(map(_position, value))


def _ring(value: Any) -> bool:
    return _positions(value, 4) and value[0] == value[-1]


def _polygon(value: Any) -> bool:
    return isinstance(value, list) and len(value) >= 1 and all(map(_ring, value))


def _line(value: Any) -> bool:
    return _positions(value, 2)


def _list_of(check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, list) and all(map(check, value))


_COORDINATES: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "point": ("Point", _position),
    "multiPoint": ("MultiPoint", _positions),
    "lineString": ("LineString", _line),
    "multiLineString": ("MultiLineString", _list_of(_line)),
    "polygon": ("Polygon", _polygon),
    "multiPolygon": ("MultiPolygon", _list_of(_polygon)),
}


def _geometry(term: str) -> Callable[[Any], bool]:
    geo_type, check = _COORDINATES[term]

    def fits(value: Any) -> bool:
        return (
            isinstance(value, dict)
            and value.get("type") == geo_type
            and check(value.get("coordinates"))
        )

    return fits


_FITS: dict[str, Callable[[Any], bool]] = {
    "boolean": lambda value: isinstance(value, bool),
    "string": lambda value: isinstance(value, str),
    "integer": _in_range(-(2**31), 2**31 - 1),
    "long": _in_range(-(2**63), 2**63 - 1),
    "byte": _in_range(-(2**7), 2**7 - 1),
    "short": _in_range(-(2**15), 2**15 - 1),
    "unsignedByte": _in_range(0, 2**8 - 1),
    "unsignedShort": _in_range(0, 2**16 - 1),
    "unsignedInteger": _in_range(0, 2**32 - 1),
    "unsignedLong": _in_range(0, 2**64 - 1),
    "double": _double,
    "float": _float,
    "decimal": _decimal,
    "date": _date,
    "dateTime": _datetime,
    "time": _time,
    "duration": _duration,
    "bytes": _bytes,
    "uuid": _uuid,
} | {term: _geometry(term) for term in GEOSPATIAL}


def fit_test(term: str) -> Callable[[Any], bool]:
    """Whether a JSON value is a value of the primitive or geospatial schema `term`."""
    return _FITS[term]
