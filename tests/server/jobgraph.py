"""A small import file for job tests: rooms with four sensors each, models that declare every
property, and optionally one bad twin and one bad relationship."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

CONTEXT = "dtmi:dtdl:context;3"
MODELS: list[dict[str, Any]] = [
    {
        "@id": "dtmi:jobs:Room;1",
        "@type": "Interface",
        "@context": CONTEXT,
        "contents": [
            {"@type": "Property", "name": "temperature", "schema": "double"},
            {"@type": "Relationship", "name": "hasSensor", "properties": [
                {"@type": "Property", "name": "slot", "schema": "integer"}]},
        ],
    },
    {
        "@id": "dtmi:jobs:Sensor;1",
        "@type": "Interface",
        "@context": CONTEXT,
        "contents": [
            {"@type": "Property", "name": "unit", "schema": "string"},
            {"@type": "Relationship", "name": "feeds", "target": "dtmi:jobs:Room;1"},
        ],
    },
]  # fmt: skip
TWINS_PER_ROOM = 5
RELATIONSHIPS_PER_ROOM = 8


def graph_lines(
    rooms: int, *, first_room: int = 0, models: bool = True, bad: bool = False
) -> list[dict[str, Any]]:
    twins, relationships = [], []
    for r in range(first_room, first_room + rooms):
        room = f"room-{r}"
        twins.append({"$dtId": room, "$metadata": {"$model": "dtmi:jobs:Room;1"},
                      "temperature": 20 + r / 10})  # fmt: skip
        for s in range(4):
            sensor = f"sensor-{r}-{s}"
            twins.append({"$dtId": sensor, "$metadata": {"$model": "dtmi:jobs:Sensor;1"},
                          "unit": "C"})  # fmt: skip
            relationships.append({"$dtId": room, "$relationshipId": f"has-{s}",
                                  "$targetId": sensor, "$relationshipName": "hasSensor",
                                  "slot": s})  # fmt: skip
            relationships.append({"$dtId": sensor, "$relationshipId": "feeds",
                                  "$targetId": room, "$relationshipName": "feeds"})  # fmt: skip
    if bad:
        twins.insert(2, {"$dtId": "bad-twin", "$metadata": {"$model": "dtmi:jobs:Room;1"},
                         "floors": 3})  # fmt: skip
        relationships.insert(3, {"$dtId": f"room-{first_room}", "$relationshipId": "dangling",
                                 "$targetId": "missing-twin",
                                 "$relationshipName": "hasSensor"})  # fmt: skip
    lines: list[dict[str, Any]] = [{"Section": "Header"}, {"fileVersion": "1.0.0"}]
    if models:
        lines += [{"Section": "Models"}, *MODELS]
    return [*lines, {"Section": "Twins"}, *twins, {"Section": "Relationships"}, *relationships]


def graph_file(path: Path, rooms: int, **options: Any) -> Path:
    path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in graph_lines(rooms, **options)))
    return path
