"""The conformance graph: a small building, written out by hand so every value is deliberate.

building -contains-> floor -contains-> room -hasSensor-> sensor, plus `feeds` (sensor -> room,
closing cycles), `isAssociatedWith` (room <-> room, and a self-loop), a `Contains` that differs
from `contains` only in case, and a parallel `contains`. Models inherit over several levels and
versions (Space <- Room;1, Room;2 <- ConferenceRoom;1; Sensor <- TemperatureSensor <- SmartSensor,
which also extends HumiditySensor). Twins hold components (`thermostat`, with its own
`$metadata`), maps (`tags`), nested objects, arrays (also nested and empty), stored nulls,
missing properties, numbers and strings under one name, keys that need `[[...]]` (`1abc`, `a b`)
and keys that are Cypher or ADT keywords (`order`, `match`, `Group`, `select`).

Used by tests/db/test_conformance.py and tests/db/test_doc_queries_on_age.py.
"""

from __future__ import annotations

import copy
from typing import Any

import psycopg

from adtquery.db.load import insert_relationships, insert_twins
from adtquery.db.models import insert_models

P = "dtmi:example:"

# id -> the ids it extends (what the reference interpreter and resolve_model_sets both read).
MODELS: dict[str, list[str]] = {
    f"{P}Space;1": [],
    f"{P}Building;1": [f"{P}Space;1"],
    f"{P}Floor;1": [f"{P}Space;1"],
    f"{P}Room;1": [f"{P}Space;1"],
    f"{P}Room;2": [f"{P}Space;1"],
    f"{P}ConferenceRoom;1": [f"{P}Room;2"],
    f"{P}Sensor;1": [],
    f"{P}TemperatureSensor;1": [f"{P}Sensor;1"],
    f"{P}HumiditySensor;1": [f"{P}Sensor;1"],
    f"{P}SmartSensor;1": [f"{P}TemperatureSensor;1", f"{P}HumiditySensor;1"],
    f"{P}Thermostat;1": [],
}
# A twin whose model the store does not know: IS_OF_MODEL can still name it exactly.
ORPHAN_MODEL = f"{P}Orphan;1"

UPDATED = "2024-05-01T10:00:00Z"


def dtdl_models() -> list[dict[str, Any]]:
    """The models as DTDL interfaces, `extends` as a single id where there is one."""
    result = []
    for model, parents in MODELS.items():
        dtdl: dict[str, Any] = {
            "@id": model,
            "@type": "Interface",
            "@context": "dtmi:dtdl:context;3",
        }
        if len(parents) == 1:
            dtdl["extends"] = parents[0]
        elif parents:
            dtdl["extends"] = list(parents)
        result.append(dtdl)
    return result


def _twin(dtid: str, model: str, index: int, **props: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {"$model": model, "$lastUpdateTime": f"2024-0{1 + index % 9}-01"}
    for key in props:
        metadata[key] = {"lastUpdateTime": f"2024-0{1 + (index + len(key)) % 9}-15T08:00:00Z"}
    return {"$dtId": dtid, "$etag": f'W/"t{index}"', "$metadata": metadata, **props}


def _thermostat(target: Any, mode: Any = "heat") -> dict[str, Any]:
    return {
        "$metadata": {"targetTemp": {"lastUpdateTime": UPDATED}},
        "targetTemp": target,
        "mode": mode,
    }


def twins() -> list[dict[str, Any]]:
    specs: list[tuple[str, str, dict[str, Any]]] = [
        # Buildings
        ("building-1", f"{P}Building;1", {
            "name": "Building One",
            "floors": 3,
            "tags": {"red": True, "size": "large", "1abc": True},
            "address": {"city": "Seattle", "geo": {"lat": 47.6, "lon": -122.3}, "zip": None},
            "order": "first",
            "Group": "BravoTeam",
            "owner": "John",
            "area": 1200.5,
        }),
        ("building-2", f"{P}Building;1", {
            "name": "building two",
            "floors": "3",
            "tags": {"round": True, "size": "small"},
            "address": {"city": "Oslo", "geo": "unknown"},
            "order": 2,
            "Group": "AlphaTeam",
            "owner": "Alex",
            "match": True,
        }),
        # Floors
        ("floor-1", f"{P}Floor;1", {"level": 1, "name": "Ground", "tags": {"red": False}}),
        ("floor-2", f"{P}Floor;1", {"level": 2, "name": "First", "a b": "spaced"}),
        ("floor-3", f"{P}Floor;1", {"level": "3", "name": None}),
        ("floor-b1", f"{P}Floor;1", {"level": -1, "name": "Basement", "select": "kw"}),
        # Rooms
        ("room-101", f"{P}Room;1", {
            "name": "Room 101",
            "Temperature": 70,
            "Humidity": 40,
            "Capacity": 10,
            "HasTemperature": True,
            "floor_number": [1, 2],
            "thermostat": _thermostat(21),
            "tags": {"red": True, "size": "small"},
            "owner": "John",
        }),
        ("room-102", f"{P}Room;2", {
            "name": "Room 102",
            "Temperature": 70.0,
            "Humidity": 55.5,
            "Capacity": 0,
            "HasTemperature": False,
            "floor_number": [2.0, 3],
            "thermostat": _thermostat(21.0, "cool"),
            "tags": {"round": True},
            "owner": "Anil",
        }),
        ("room-201", f"{P}ConferenceRoom;1", {
            "name": "D'Souza Hall",
            "Temperature": 75.5,
            "Humidity": 60,
            "Capacity": 25,
            "HasTemperature": "yes",
            "floor_number": [[2, 3], 1],
            "thermostat": _thermostat("x", None),
            "tags": {"1abc": False, "size": "large"},
            "owner": "Bailey",
            "seats": [{"row": 1}, {"row": 2}],
        }),
        ("room-202", f"{P}Room;2", {
            "name": "Zoë's room",
            "Temperature": "hot",
            "Capacity": "big",
            "floor_number": [],
            "thermostat": 3,
            "tags": "tag",
            "owner": None,
        }),
        ("room-301", f"{P}Room;1", {
            "name": "",
            "Temperature": None,
            "Capacity": 25.0,
            "HasTemperature": True,
            "floor_number": "2",
            "thermostat": {"$metadata": {}, "targetTemp": None},
            "owner": 1,
            "flags": [True, False, "true", None],
        }),
        ("room-302", f"{P}Room;1", {
            "name": "room 302",
            "Temperature": 80,
            "Humidity": 49.99,
            "floor_number": [1, [2], "3", 4.5],
            "owner": "Nobody",
            "order": None,
            "flags": [1],
        }),
        # Sensors
        ("sensor-t1", f"{P}TemperatureSensor;1", {
            "value": 21.5, "unit": "C", "installed": "2023-11-02", "tags": {"red": True},
        }),
        ("sensor-t2", f"{P}TemperatureSensor;1", {
            "value": 70, "unit": "F", "installed": "2024-01-15",
        }),
        ("sensor-h1", f"{P}HumiditySensor;1", {"value": 45, "unit": "%", "installed": "2022-06"}),
        ("sensor-s1", f"{P}SmartSensor;1", {
            "value": {"temperature": 20, "humidity": 50}, "unit": ["C", "%"],
        }),
        ("sensor-x", f"{P}Sensor;1", {"value": None, "unit": ""}),
        ("sensor-orphan", ORPHAN_MODEL, {"value": "n/a", "unit": "C"}),
    ]  # fmt: skip
    return [_twin(dtid, model, index, **props) for index, (dtid, model, props) in enumerate(specs)]


def _relationship(
    source: str, name: str, target: str, suffix: str = "", **props: Any
) -> dict[str, Any]:
    rid = f"{source}-{name}-{target}{suffix}"
    return {
        "$relationshipId": rid,
        "$etag": f'W/"{rid}"',
        "$sourceId": source,
        "$targetId": target,
        "$relationshipName": name,
        **props,
    }


def relationships() -> list[dict[str, Any]]:
    r = _relationship
    return [
        r("building-1", "contains", "floor-1", since="2020-01-01", weight=1),
        r("building-1", "contains", "floor-2", since="2021-06-30", weight=2.5),
        r("building-2", "contains", "floor-3", since="2019-03-15", weight="3"),
        r("building-2", "contains", "floor-b1", weight=None),
        r("building-2", "Contains", "room-301", since="2022-01-01"),
        r("floor-1", "contains", "room-101", reportedCondition="clean", length=10),
        r("floor-1", "contains", "room-101", "-again", reportedCondition="dirty", length=3),
        r("floor-1", "contains", "room-102", reportedCondition="clean", meta={"k": 1}),
        r("floor-2", "contains", "room-201", reportedCondition="dirty", length=10),
        r("floor-2", "contains", "room-202"),
        r("floor-3", "contains", "room-301", reportedCondition=None),
        r("floor-b1", "contains", "room-302", length=7.5),
        r("room-101", "hasSensor", "sensor-t1", primary=True),
        r("room-101", "hasSensor", "sensor-h1", primary=False),
        r("room-102", "hasSensor", "sensor-t2"),
        r("room-201", "hasSensor", "sensor-s1", primary=True, tags=["a", "b"]),
        r("room-202", "hasSensor", "sensor-x"),
        r("room-302", "hasSensor", "sensor-orphan"),
        r("sensor-t1", "feeds", "room-101", rate=1.5),
        r("sensor-s1", "feeds", "room-201", rate=2),
        r("sensor-s1", "feeds", "room-202", rate="fast"),
        r("room-101", "isAssociatedWith", "room-102", length=10),
        r("room-102", "isAssociatedWith", "room-101", length=3),
        r("room-202", "isAssociatedWith", "room-202", length=1),
        r("room-201", "isAssociatedWith", "floor-2"),
        r("sensor-x", "feeds", "sensor-x", rate=0),
    ]


def load(conn: psycopg.Connection) -> None:
    """Write the graph and its models into the adtquery schema behind `conn`."""
    insert_twins(conn, twins())
    insert_relationships(conn, relationships())
    insert_models(conn, copy.deepcopy(dtdl_models()), UPDATED)
    conn.execute("ANALYZE")
