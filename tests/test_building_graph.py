"""The benchmark graph generator: its models and documents pass the DTDL validation the import
and the REST API apply, its shape is what the benchmarks assume, and its file is an ADT import
file."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest

from adtquery.dtdl import Models
from benchmarks import building_graph as graph

TWINS = 3000  # two buildings


@pytest.fixture(scope="module")
def models() -> Models:
    return Models({}).add(graph.MODELS)


@pytest.fixture(scope="module")
def twins() -> list[dict[str, Any]]:
    return list(graph.twins(TWINS))


@pytest.fixture(scope="module")
def relationships() -> list[dict[str, Any]]:
    return list(graph.relationships(TWINS))


def test_models_are_dtdl_v3_with_inheritance_and_a_component(models: Models) -> None:
    assert all(model["@context"] == "dtmi:dtdl:context;3" for model in graph.MODELS)
    assert models.component_names(graph.model_id("ConferenceRoom")) == ["thermostat"]
    contains = models.relationship(graph.model_id("Building"), "contains")
    assert contains is not None and contains.target == graph.model_id("Space")
    assert set(contains.properties) == {"since"}


def test_every_twin_validates(models: Models, twins: list[dict[str, Any]]) -> None:
    for twin in twins:
        models.validate_twin(twin)
    assert {"$dtId", "$metadata"} <= twins[0].keys() and "$etag" not in twins[0]


def test_every_relationship_validates(
    models: Models, twins: list[dict[str, Any]], relationships: list[dict[str, Any]]
) -> None:
    model_of = {twin["$dtId"]: twin["$metadata"]["$model"] for twin in twins}
    for relationship in relationships:
        models.validate_relationship(
            model_of[relationship["$dtId"]],
            relationship["$relationshipName"],
            relationship,
            model_of[relationship["$targetId"]],
        )


def test_shape(twins: list[dict[str, Any]], relationships: list[dict[str, Any]]) -> None:
    assert len(twins) == 2 * graph.Shape().twins_per_building
    assert 2.5 <= len(relationships) / len(twins) <= 3.5
    assert len({twin["$dtId"] for twin in twins}) == len(twins)
    keys = Counter((r["$dtId"], r["$relationshipId"]) for r in relationships)
    assert keys.most_common(1)[0][1] == 1  # a relationship id is unique per source
    centers = Counter(twin.get("costCenter") for twin in twins if "costCenter" in twin)
    assert set(centers.values()) == {100}  # the property filter's 100 rows


def test_deterministic_for_a_seed(twins: list[dict[str, Any]]) -> None:
    assert list(graph.twins(TWINS)) == twins
    assert list(graph.twins(TWINS, seed=2)) != twins


def test_ndjson_file_has_the_sections_in_order(tmp_path: Path) -> None:
    path = tmp_path / "graph.ndjson"
    written = graph.write_ndjson(path, TWINS)
    lines = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    sections = [(i, line["Section"]) for i, line in enumerate(lines) if "Section" in line]
    names = [name for _, name in sections]
    assert names == ["Header", "Models", "Twins", "Relationships"]
    starts = [i for i, _ in sections]
    assert lines[1]["fileVersion"] == "1.0.0"
    assert lines[starts[1] + 1 : starts[2]] == graph.MODELS
    assert len(lines[starts[2] + 1 : starts[3]]) == written.twins
    assert len(lines[starts[3] + 1 :]) == written.relationships > 0
    assert all("$relationshipName" in line for line in lines[starts[3] + 1 :])
