"""A realistic building portfolio as an ADT import file: buildings > floors > rooms > devices.

    .venv/bin/python -m benchmarks.building_graph --twins 1000000 --out /tmp/graph-1m.ndjson

The models are DTDL v3 interfaces that declare every property the twins carry, so an import
that validates each twin and relationship against its model accepts the whole file:

    Asset (name, tags: Map<string, string>)
      Space (area; contains -> Space {since: date})
        Building (address: Object, yearBuilt, portfolio)
        Floor (level)
        Room (roomType: Enum, capacity, occupied, temperature, costCenter,
              thermostat: Component Thermostat; adjacentTo -> Room {doorCount},
              hasSensor -> Sensor {installedOn, mounting}, hasEquipment -> Equipment)
          ConferenceRoom (seats, videoConferencing)
      Device (serialNumber, manufacturer, commissionedOn; isLocatedIn -> Space)
        Sensor (value, unit, lastReading; feeds -> Equipment {channel})
          TemperatureSensor, HumiditySensor, CO2Sensor
        Equipment (status: Enum, powerKw; serves -> Room {priority})
          HVACUnit (airflow), LightingFixture (lumens)

Each building has 10 floors of 20 rooms; each room has 4 sensors and one piece of equipment
(1,211 twins and 3,590 relationships per building: 2.96 relationships per twin). Rooms are
grouped into cost centres of exactly 100 rooms, which gives a property filter that returns 100
rows at every size. Output is deterministic for a seed: twins and relationships draw from
separate random streams, so either can be generated without the other.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

# Bump when the models or the documents change: benchmark databases built from an older
# version are rebuilt.
VERSION = 2

Document = dict[str, Any]

_CONTEXT = "dtmi:dtdl:context;3"


def _interface(name: str, extends: str | None, *contents: Document) -> Document:
    model: Document = {"@id": f"dtmi:bench:{name};1", "@type": "Interface", "@context": _CONTEXT}
    if extends is not None:
        model["extends"] = f"dtmi:bench:{extends};1"
    model["displayName"] = name
    model["contents"] = list(contents)
    return model


def _property(name: str, schema: str | Document) -> Document:
    return {"@type": "Property", "name": name, "schema": schema}


def _relationship(name: str, target: str, *properties: Document) -> Document:
    relationship = {"@type": "Relationship", "name": name, "target": f"dtmi:bench:{target};1"}
    if properties:
        relationship["properties"] = list(properties)
    return relationship


def _enum(*values: str) -> Document:
    return {
        "@type": "Enum",
        "valueSchema": "string",
        "enumValues": [{"name": value, "enumValue": value} for value in values],
    }


ROOM_TYPES = ("office", "meeting", "lab", "storage", "kitchen")
THERMOSTAT_MODES = ("heat", "cool", "auto", "off")
EQUIPMENT_STATUS = ("running", "idle", "fault", "maintenance")
MANUFACTURERS = ("Contoso", "Fabrikam", "Northwind", "Litware", "Tailspin")
CITIES = ("Seattle", "Redmond", "Dublin", "Amsterdam", "Singapore", "Sydney", "Toronto")
SENSOR_KINDS = (
    ("TemperatureSensor", "degC"),
    ("HumiditySensor", "percent"),
    ("CO2Sensor", "ppm"),
    ("TemperatureSensor", "degC"),
)

MODELS: list[Document] = [
    _interface(
        "Asset",
        None,
        _property("name", "string"),
        _property("tags", {"@type": "Map", "mapKey": {"name": "tag", "schema": "string"},
                           "mapValue": {"name": "value", "schema": "string"}}),
    ),
    _interface(
        "Space",
        "Asset",
        _property("area", "double"),
        _relationship("contains", "Space", _property("since", "date")),
    ),
    _interface(
        "Building",
        "Space",
        _property("address", {"@type": "Object", "fields": [
            {"name": "street", "schema": "string"},
            {"name": "city", "schema": "string"},
            {"name": "postalCode", "schema": "string"},
        ]}),
        _property("yearBuilt", "integer"),
        _property("portfolio", "string"),
    ),
    _interface("Floor", "Space", _property("level", "integer")),
    _interface(
        "Thermostat",
        None,
        _property("setpoint", "double"),
        _property("mode", _enum(*THERMOSTAT_MODES)),
        _property("firmware", "string"),
    ),
    _interface(
        "Room",
        "Space",
        _property("roomType", _enum(*ROOM_TYPES)),
        _property("capacity", "integer"),
        _property("occupied", "boolean"),
        _property("temperature", "double"),
        _property("costCenter", "string"),
        {"@type": "Component", "name": "thermostat", "schema": "dtmi:bench:Thermostat;1"},
        _relationship("adjacentTo", "Room", _property("doorCount", "integer")),
        _relationship(
            "hasSensor", "Sensor", _property("installedOn", "date"), _property("mounting", "string")
        ),
        _relationship("hasEquipment", "Equipment"),
    ),
    _interface(
        "ConferenceRoom",
        "Room",
        _property("seats", "integer"),
        _property("videoConferencing", "boolean"),
    ),
    _interface(
        "Device",
        "Asset",
        _property("serialNumber", "string"),
        _property("manufacturer", "string"),
        _property("commissionedOn", "date"),
        _relationship("isLocatedIn", "Space"),
    ),
    _interface(
        "Sensor",
        "Device",
        _property("value", "double"),
        _property("unit", "string"),
        _property("lastReading", "dateTime"),
        _relationship("feeds", "Equipment", _property("channel", "integer")),
    ),
    *(_interface(kind, "Sensor") for kind in ("TemperatureSensor", "HumiditySensor", "CO2Sensor")),
    _interface(
        "Equipment",
        "Device",
        _property("status", _enum(*EQUIPMENT_STATUS)),
        _property("powerKw", "double"),
        _relationship("serves", "Room", _property("priority", "integer")),
    ),
    _interface("HVACUnit", "Equipment", _property("airflow", "double")),
    _interface("LightingFixture", "Equipment", _property("lumens", "integer")),
]  # fmt: skip


def model_id(name: str) -> str:
    return f"dtmi:bench:{name};1"


@dataclass(frozen=True)
class Shape:
    floors: int = 10
    rooms: int = 20  # per floor
    sensors: int = 4  # per room; each room also has one piece of equipment

    @property
    def twins_per_building(self) -> int:
        return 1 + self.floors * (1 + self.rooms * (2 + self.sensors))

    def buildings_for(self, twins: int) -> int:
        return max(1, round(twins / self.twins_per_building))


# Twin ids, zero-padded so that they sort as the graph is laid out.
def building_id(b: int) -> str:
    return f"building-{b:04d}"


def floor_id(b: int, f: int) -> str:
    return f"floor-{b:04d}-{f:02d}"


def room_id(b: int, f: int, r: int) -> str:
    return f"room-{b:04d}-{f:02d}-{r:02d}"


def sensor_id(b: int, f: int, r: int, s: int) -> str:
    return f"sensor-{b:04d}-{f:02d}-{r:02d}-{s}"


def equipment_id(b: int, f: int, r: int) -> str:
    return f"equipment-{b:04d}-{f:02d}-{r:02d}"


def cost_center(room_index: int) -> str:
    """Rooms, numbered in file order, share a cost centre by hundreds."""
    return f"CC-{room_index // 100:05d}"


def _date(rng: random.Random) -> str:
    return f"20{rng.randrange(15, 26)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"


def _twin(dtid: str, model: str, **properties: Any) -> Document:
    return {"$dtId": dtid, "$metadata": {"$model": model}, **properties}


def twins(count: int, seed: int = 1, shape: Shape = Shape()) -> Iterator[Document]:
    """Twins as a user writes them for an import: `$dtId`, `$metadata.$model`, properties."""
    rng = random.Random(f"{seed}:twins")
    room_index = 0
    for b in range(shape.buildings_for(count)):
        city = CITIES[b % len(CITIES)]
        yield _twin(
            building_id(b), model_id("Building"), name=f"{city} {b}", tags={"region": city},
            area=round(rng.uniform(5_000, 60_000), 1),
            address={"street": f"{rng.randrange(1, 999)} Main Street", "city": city,
                     "postalCode": f"{rng.randrange(10_000, 99_999)}"},
            yearBuilt=rng.randrange(1950, 2026), portfolio=f"portfolio-{b % 10}",
        )  # fmt: skip
        for f in range(shape.floors):
            yield _twin(
                floor_id(b, f), model_id("Floor"), name=f"Floor {f}", tags={"access": "badge"},
                area=round(rng.uniform(500, 6_000), 1), level=f,
            )  # fmt: skip
            for r in range(shape.rooms):
                yield _room(rng, b, f, r, room_index)
                room_index += 1
                for s in range(shape.sensors):
                    yield _sensor(rng, b, f, r, s)
                yield _equipment(rng, b, f, r)


def _room(rng: random.Random, b: int, f: int, r: int, room_index: int) -> Document:
    conference = r % 5 == 0
    room = _twin(
        room_id(b, f, r), model_id("ConferenceRoom" if conference else "Room"),
        name=f"Room {f}.{r:02d}", tags={"wing": "north" if r < 10 else "south"},
        area=round(rng.uniform(8, 80), 1),
        roomType="meeting" if conference else ROOM_TYPES[rng.randrange(len(ROOM_TYPES))],
        capacity=rng.randrange(1, 30), occupied=rng.random() < 0.4,
        temperature=round(rng.uniform(17, 26), 1), costCenter=cost_center(room_index),
        thermostat={"$metadata": {}, "setpoint": round(rng.uniform(19, 23), 1),
                    "mode": THERMOSTAT_MODES[rng.randrange(4)], "firmware": "4.2.1"},
    )  # fmt: skip
    if conference:
        room["seats"] = rng.randrange(4, 40)
        room["videoConferencing"] = rng.random() < 0.7
    return room


def _sensor(rng: random.Random, b: int, f: int, r: int, s: int) -> Document:
    kind, unit = SENSOR_KINDS[s % len(SENSOR_KINDS)]
    return _twin(
        sensor_id(b, f, r, s), model_id(kind), name=f"{kind} {f}.{r:02d}.{s}",
        tags={"vendorModel": f"{kind[:3].upper()}-{s}"},
        serialNumber=f"SN-{b:04d}{f:02d}{r:02d}{s}",
        manufacturer=MANUFACTURERS[rng.randrange(len(MANUFACTURERS))],
        commissionedOn=_date(rng), value=round(rng.uniform(0, 100), 2), unit=unit,
        lastReading=f"2026-11-{rng.randrange(1, 23):02d}T{rng.randrange(24):02d}:00:00Z",
    )  # fmt: skip


def _equipment(rng: random.Random, b: int, f: int, r: int) -> Document:
    hvac = r % 2 == 0
    equipment = _twin(
        equipment_id(b, f, r), model_id("HVACUnit" if hvac else "LightingFixture"),
        name=f"{'HVAC' if hvac else 'Lights'} {f}.{r:02d}", tags={},
        serialNumber=f"EQ-{b:04d}{f:02d}{r:02d}",
        manufacturer=MANUFACTURERS[rng.randrange(len(MANUFACTURERS))],
        commissionedOn=_date(rng), status=EQUIPMENT_STATUS[rng.randrange(4)],
        powerKw=round(rng.uniform(0.1, 12), 2),
    )  # fmt: skip
    if hvac:
        equipment["airflow"] = round(rng.uniform(100, 900), 1)
    else:
        equipment["lumens"] = rng.randrange(800, 6000)
    return equipment


def _rel(source: str, name: str, target: str, **properties: Any) -> Document:
    """ADT's import format names the source twin `$dtId`; a relationship id is unique per
    source, so name and target make one."""
    return {
        "$dtId": source,
        "$relationshipId": f"{name}-{target}",
        "$targetId": target,
        "$relationshipName": name,
        **properties,
    }


def relationships(count: int, seed: int = 1, shape: Shape = Shape()) -> Iterator[Document]:
    """The relationships of the graph `twins(count, seed, shape)` makes."""
    rng = random.Random(f"{seed}:relationships")
    for b in range(shape.buildings_for(count)):
        building = building_id(b)
        for f in range(shape.floors):
            floor = floor_id(b, f)
            yield _rel(building, "contains", floor, since=_date(rng))
            for r in range(shape.rooms):
                yield from _room_relationships(rng, shape, b, f, r)


def _room_relationships(
    rng: random.Random, shape: Shape, b: int, f: int, r: int
) -> Iterator[Document]:
    room, equipment = room_id(b, f, r), equipment_id(b, f, r)
    yield _rel(floor_id(b, f), "contains", room, since=_date(rng))
    last = r == shape.rooms - 1
    if not last:
        yield _rel(room, "adjacentTo", room_id(b, f, r + 1), doorCount=rng.randrange(1, 3))
    for s in range(shape.sensors):
        sensor = sensor_id(b, f, r, s)
        yield _rel(room, "hasSensor", sensor, installedOn=_date(rng), mounting="wall")
        yield _rel(sensor, "isLocatedIn", room)
        yield _rel(sensor, "feeds", equipment, channel=s)
    yield _rel(room, "hasEquipment", equipment)
    yield _rel(equipment, "isLocatedIn", room)
    yield _rel(equipment, "serves", room, priority=1)
    if not last:  # equipment also serves the room next door
        yield _rel(equipment, "serves", room_id(b, f, r + 1), priority=2)


def generate(count: int, seed: int = 1) -> Iterator[tuple[str, Document]]:
    """("twin" | "relationship", document): every twin, then every relationship."""
    for twin in twins(count, seed):
        yield "twin", twin
    for relationship in relationships(count, seed):
        yield "relationship", relationship


HEADER = {"fileVersion": "1.0.0", "author": "adtquery benchmarks", "organization": "adtquery"}


@dataclass(frozen=True)
class Written:
    twins: int
    relationships: int


def write_ndjson(path: Path, count: int, seed: int = 1) -> Written:
    """ADT's import format: Header, Models, Twins and Relationships sections, one JSON a line."""
    dump = orjson.dumps
    newline = orjson.OPT_APPEND_NEWLINE
    counts = {"twins": 0, "relationships": 0}
    with path.open("wb", buffering=1 << 20) as out:
        out.write(dump({"Section": "Header"}, option=newline))
        out.write(dump(HEADER, option=newline))
        out.write(dump({"Section": "Models"}, option=newline))
        out.writelines(dump(model, option=newline) for model in MODELS)
        for section, documents in (
            ("Twins", twins(count, seed)),
            ("Relationships", relationships(count, seed)),
        ):
            out.write(dump({"Section": section}, option=newline))
            key = section.lower()
            for document in documents:
                out.write(dump(document, option=newline))
                counts[key] += 1
    return Written(**counts)


def main() -> None:
    parser = argparse.ArgumentParser(description="Write a building graph as an ADT import file.")
    parser.add_argument("--twins", type=int, default=10_000, help="about this many twins")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True, help="the NDJSON file to write")
    args = parser.parse_args()
    started = time.perf_counter()
    written = write_ndjson(args.out, args.twins, args.seed)
    print(
        f"{args.out}: {len(MODELS)} models, {written.twins:,} twins, "
        f"{written.relationships:,} relationships in {time.perf_counter() - started:.1f} s"
    )


if __name__ == "__main__":
    main()
