"""A realistic building portfolio as ADT documents: buildings > floors > rooms > sensors.

Models use inheritance (Space <- Building, Floor, Room <- ConferenceRoom; Sensor <- Temperature
and Humidity sensors), rooms carry a `thermostat` component and `tags` map, relationships carry
properties. About three relationships per twin, as in ../shared/apache-age.md §11.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

MODELS: list[dict[str, Any]] = [
    {"@id": "dtmi:bench:Space;1", "@type": "Interface", "@context": "dtmi:dtdl:context;3"},
    *(
        {"@id": f"dtmi:bench:{name};1", "@type": "Interface", "@context": "dtmi:dtdl:context;3",
         "extends": "dtmi:bench:Space;1"}
        for name in ("Building", "Floor", "Room")
    ),
    {"@id": "dtmi:bench:ConferenceRoom;1", "@type": "Interface", "@context": "dtmi:dtdl:context;3",
     "extends": "dtmi:bench:Room;1"},
    {"@id": "dtmi:bench:Sensor;1", "@type": "Interface", "@context": "dtmi:dtdl:context;3"},
    *(
        {"@id": f"dtmi:bench:{name};1", "@type": "Interface", "@context": "dtmi:dtdl:context;3",
         "extends": "dtmi:bench:Sensor;1"}
        for name in ("TemperatureSensor", "HumiditySensor")
    ),
]  # fmt: skip


@dataclass(frozen=True)
class Shape:
    floors: int = 10
    rooms: int = 20
    sensors: int = 4

    def buildings_for(self, twins: int) -> int:
        per_building = 1 + self.floors * (1 + self.rooms * (1 + self.sensors))
        return max(1, round(twins / per_building))


def _twin(dtid: str, model: str, **properties: Any) -> dict[str, Any]:
    stamp = {"lastUpdateTime": "2026-11-23T00:00:00Z"}
    metadata = {"$model": model, "$lastUpdateTime": stamp["lastUpdateTime"]}
    metadata.update({name: stamp for name in properties})
    return {"$dtId": dtid, "$etag": f'W/"{dtid}"', "$metadata": metadata, **properties}


def _relationship(source: str, name: str, target: str, **properties: Any) -> dict[str, Any]:
    return {
        "$relationshipId": f"{source}-{name}-{target}",
        "$sourceId": source,
        "$targetId": target,
        "$relationshipName": name,
        "$etag": f'W/"{source}>{target}"',
        **properties,
    }


def generate(twins: int, seed: int = 1) -> Iterator[tuple[str, dict[str, Any]]]:
    """("twin" | "relationship", document) in an order an importer can take."""
    rng = random.Random(seed)
    shape = Shape()
    for b in range(shape.buildings_for(twins)):
        building = f"building-{b}"
        yield "twin", _twin(building, "dtmi:bench:Building;1", name=f"Building {b}")
        for f in range(shape.floors):
            floor = f"floor-{b}-{f}"
            yield "twin", _twin(floor, "dtmi:bench:Floor;1", level=f)
            yield "relationship", _relationship(building, "contains", floor)
            for r in range(shape.rooms):
                room = f"room-{b}-{f}-{r}"
                model = "dtmi:bench:ConferenceRoom;1" if r % 5 == 0 else "dtmi:bench:Room;1"
                yield "twin", _twin(
                    room, model, Temperature=round(rng.uniform(17, 26), 1),
                    tags={"red": True} if r % 7 == 0 else {},
                    thermostat={"setpoint": 21, "$metadata": {}},
                )  # fmt: skip
                yield "relationship", _relationship(floor, "contains", room, order=r)
                for s in range(shape.sensors):
                    sensor = f"sensor-{b}-{f}-{r}-{s}"
                    kind = "TemperatureSensor" if s % 2 == 0 else "HumiditySensor"
                    yield "twin", _twin(sensor, f"dtmi:bench:{kind};1", value=rng.random())
                    yield "relationship", _relationship(room, "hasSensor", sensor, since=2020 + s)
                    yield "relationship", _relationship(sensor, "feeds", room)
                    if s == 0:
                        yield "relationship", _relationship(sensor, "isPartOf", floor)
