"""A small, deterministic graph that gives every golden query something to find.

It mixes what ADT twins really hold: numbers and strings under one name, maps, nested objects,
arrays (also nested), a stored null, missing properties, Cypher keywords as keys, parallel
relationships and a self-loop.
"""

from __future__ import annotations

import random
from typing import Any

ANCHORS = [
    "ABC", "room1", "room2", "x", "a", "thermostat-15", "Building1", "f1", "Seattle21",
    "Building21", "floor0", "floor11", "building-3", "BuildingID", "Device01", "pl_solar_gen",
    "source-twin", "target-twin", "Twin-01", "room0", "123", "456", "Room1",
]  # fmt: skip
NAMES = ["contains", "feeds", "servicedBy", "customer", "isAssociatedWith", "hasPart",
         "hasPoint", "has", "r", "is_part_of", "Contains"]  # fmt: skip
MODELS = ["dtmi:example:thing;1", "dtmi:sample:Room;1", "dtmi:example:Room;2", "dtmi:a;1",
          "dtmi:contoso:com:lightpanel;1", "dtmi:contoso:com:lightbulb;1"]  # fmt: skip


def _maybe(rng: random.Random, twin: dict[str, Any], key: str, *choices: Any) -> None:
    if rng.random() < 0.7:
        twin[key] = rng.choice(choices)


def twins(count: int = 80, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    ids = ANCHORS + [f"area1-{i}" if i % 3 == 0 else f"t{i}-small" for i in range(count)]
    result = []
    for index, dtid in enumerate(ids):
        twin: dict[str, Any] = {
            "$dtId": dtid,
            "$etag": f'W/"{index}"',
            "$metadata": {"$model": MODELS[index % len(MODELS)], "$lastUpdateTime": "2024-05-01"},
        }
        _maybe(rng, twin, "Temperature", 60, 75, 80, 80.0, 95.5, "hot", True, None)
        _maybe(rng, twin, "name", "Room 1", "area1-x", "m", "zeta", 5, "")
        _maybe(
            rng,
            twin,
            "tags",
            {"red": True, "size": "small"},
            {"round": True},
            {"1abc": True},
            "tag",
        )
        _maybe(rng, twin, "floor_number", [1, 2], [2.0, 3], [[2, 3], 1], "2", [])
        _maybe(
            rng, twin, "thermostat", {"temperature": 71, "$metadata": {}}, {"temperature": "x"}, 3
        )
        _maybe(rng, twin, "a", {"b": {"c": {"d": 1}}}, {"b": "str"}, 1, [1])
        _maybe(rng, twin, "HasTemperature", True, False, "yes")
        _maybe(rng, twin, "Capacity", 0, 25, 10, "big")
        _maybe(rng, twin, "owner", "John", "Alex", "Nobody", 1)
        _maybe(rng, twin, "order", 1, "first")
        _maybe(rng, twin, "min", 1, 5, "a")
        _maybe(rng, twin, "max", 3, 4, "b")
        _maybe(rng, twin, "Location", "north", None, {"x": 1})
        twin["$metadata"].update(
            {
                k: {"lastUpdateTime": f"2024-0{1 + index % 9}-01"}
                for k in twin
                if not k.startswith("$")
            }
        )
        result.append(twin)
    return result


def relationships(twin_docs: list[dict[str, Any]], seed: int = 11) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    ids = [twin["$dtId"] for twin in twin_docs]
    result = []
    for index, source in enumerate(ids):
        targets = [ids[(index + step) % len(ids)] for step in (1, 2, 5)] + [rng.choice(ids)]
        if index % 17 == 0:
            targets.append(source)  # a self-loop
        for number, target in enumerate(targets):
            name = NAMES[(index + number) % len(NAMES)]
            relationship = {
                "$relationshipId": f"{source}-{name}-{number}",
                "$sourceId": source,
                "$targetId": target,
                "$relationshipName": name,
                "$etag": f'W/"r{index}.{number}"',
            }
            _maybe(rng, relationship, "reportedCondition", "clean", "dirty")
            _maybe(rng, relationship, "length", 10, 3)
            _maybe(rng, relationship, "w", 3, 2.5, "3")
            _maybe(rng, relationship, "prop1", "p", 1)
            result.append(relationship)
    return result
