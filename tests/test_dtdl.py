"""DTDL models: upload validation, the model queries of the REST API, and twin validation.

Fixtures (tests/dtdl_fixtures): a DTDL v3 building set (Space <- Building, Floor, Room <-
ConferenceRoom; Room has a Thermostat component), a DTDL v2 sensor set (Device <- Sensor <-
TemperatureSensor, an unrelated Sensor;2, and an IoT Central Hub), and a v3 model using the newer
primitives and a minor-versioned DTMI.
"""

from __future__ import annotations

import contextlib
import copy
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adtquery.dtdl import (
    ComponentNotFound,
    DtdlParserError,
    ModelIdAlreadyExists,
    ModelNotFound,
    ModelReferencesNotDeleted,
    Models,
)
from adtquery.errors import ValidationFailed
from adtquery.models import models_of

FIXTURES = Path(__file__).parent / "dtdl_fixtures"
BUILDING = json.loads((FIXTURES / "building.json").read_text())
SENSORS = json.loads((FIXTURES / "sensors.json").read_text())
EXTRAS = json.loads((FIXTURES / "extras.json").read_text())
ALL = SENSORS + BUILDING + EXTRAS

SPACE = "dtmi:example:building:Space;1"
BUILDING_ID = "dtmi:example:building:Building;1"
FLOOR = "dtmi:example:building:Floor;1"
ROOM = "dtmi:example:building:Room;1"
CONFERENCE = "dtmi:example:building:ConferenceRoom;1"
THERMOSTAT = "dtmi:example:building:Thermostat;1"
DEVICE = "dtmi:example:sensors:Device;1"
SENSOR = "dtmi:example:sensors:Sensor;1"
SENSOR_2 = "dtmi:example:sensors:Sensor;2"
TEMPERATURE_SENSOR = "dtmi:example:sensors:TemperatureSensor;1"
EVERYTHING = "dtmi:example:extras:Everything;1.2"

EMPTY = Models({})
MODELS = EMPTY.add(ALL)


def interface(model_id: str = "dtmi:test:Thing;1", *contents: dict, **members: Any) -> dict:
    """A DTDL v3 interface; `context=` and other members override or add."""
    document = {"@context": "dtmi:dtdl:context;3", "@id": model_id, "@type": "Interface"}
    if contents:
        document["contents"] = list(contents)
    if "context" in members:
        document["@context"] = members.pop("context")
    return document | members


def prop(name: str, schema: Any = "double", **members: Any) -> dict:
    return {"@type": "Property", "name": name, "schema": schema} | members


def v2(document: dict) -> dict:
    return document | {"@context": "dtmi:dtdl:context;2"}


def refused(batch: Any, *fragments: str, reason: str | None = None, models: Models = EMPTY) -> str:
    with pytest.raises(DtdlParserError) as info:
        models.add(batch)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message
    if reason is not None:
        assert info.value.reason == reason
    return message


def twin(model: str, **properties: Any) -> dict:
    return {"$dtId": "t1", "$etag": 'W/"x"', "$metadata": {"$model": model}} | properties


def room(**properties: Any) -> dict:
    return twin(ROOM, thermostat={"$metadata": {}}) | properties


def invalid(call: Callable[[], None], message: str, reason: str | None = None) -> None:
    with pytest.raises(ValidationFailed) as info:
        call()
    assert str(info.value) == message
    assert info.value.code == "ValidationFailed" and info.value.status == 400
    if reason is not None:
        assert info.value.reason == reason


# -- uploading ---------------------------------------------------------------------------------


def test_the_fixtures_upload_in_any_order() -> None:
    assert list(EMPTY.add(list(reversed(ALL)))) == [d["@id"] for d in reversed(ALL)]
    assert len(MODELS) == len(ALL) == 12


def test_bases_can_come_in_an_earlier_batch() -> None:
    models = EMPTY.add(SENSORS).add(BUILDING[:1]).add(BUILDING[1:])
    assert set(models) == {d["@id"] for d in SENSORS + BUILDING}


def test_relationship_targets_need_not_exist() -> None:
    # Room's hasSensor targets a v2 sensor model that is not uploaded: DTDL calls that a
    # non-dependent reference, so the building set uploads on its own.
    assert ROOM in EMPTY.add(BUILDING)


def test_add_returns_a_new_set_and_keeps_a_copy_of_each_document() -> None:
    batch = copy.deepcopy(BUILDING)
    models = EMPTY.add(batch)
    batch[0]["displayName"] = "changed"
    assert len(EMPTY) == 0
    assert models.document(SPACE) == BUILDING[0]
    assert models.add([]) is models


def test_a_set_rebuilt_from_stored_documents_behaves_the_same() -> None:
    stored = Models({model_id: MODELS.document(model_id) for model_id in MODELS})
    stored.validate_twin(room(capacity=4))
    assert stored.referencing(SPACE) == MODELS.referencing(SPACE)
    with pytest.raises(ValueError, match="has @id"):
        Models({"dtmi:x:Y;1": BUILDING[0]})


def test_an_uploaded_id_is_refused_with_409_until_deleted() -> None:
    with pytest.raises(ModelIdAlreadyExists) as info:
        MODELS.add([copy.deepcopy(BUILDING[4])])
    assert (info.value.code, info.value.status) == ("ModelIdAlreadyExists", 409)
    assert CONFERENCE in str(info.value)
    assert CONFERENCE in MODELS.remove(CONFERENCE).add([BUILDING[4]])


def test_parser_errors_carry_adt_code_and_prefix() -> None:
    message = refused([{}], "item 0 of the request has no @id")
    assert message.startswith("None of the models in this request could be created")
    with pytest.raises(DtdlParserError) as info:
        EMPTY.add([{}])
    assert (info.value.code, info.value.status) == ("DTDLParserError", 400)


def test_v3_accepts_unversioned_and_minor_versioned_ids() -> None:
    models = EMPTY.add([interface("dtmi:test:Plain"), interface("dtmi:test:Minor;1.2")])
    assert set(models) == {"dtmi:test:Plain", "dtmi:test:Minor;1.2"}


def test_co_typed_elements_may_carry_extension_members() -> None:
    semantic = {
        "@type": ["Property", "Temperature"],
        "name": "t",
        "schema": "double",
        "unit": "kelvin",
    }
    historized = prop("h", **{"@type": ["Property", "Historized"], "retention": "P30D"})
    assert "dtmi:test:Thing;1" in EMPTY.add([interface("dtmi:test:Thing;1", semantic, historized)])


def test_single_elements_and_dtdl_dtmi_forms_are_accepted() -> None:
    document = interface(
        "dtmi:test:Thing;1",
        contents={"@type": "dtmi:dtdl:class:Property;3", "name": "x", "schema": ["integer"]},
        extends=[],
    )
    EMPTY.add([document]).validate_twin(twin("dtmi:test:Thing;1", x=3))


def test_a_nested_context_may_repeat_the_version_but_not_change_it() -> None:
    same = prop("x") | {"@context": ["dtmi:dtdl:context;3", "dtmi:dtdl:extension:historization;1"]}
    assert "dtmi:test:A;1" in EMPTY.add([interface("dtmi:test:A;1", same)])
    local = prop("x") | {"@context": {"x": "http://example.com/x"}}
    refused([interface("dtmi:test:A;1", local)], "@context entry {", reason="dtdl-invalid-context")


def test_importing_the_module_loads_no_driver_and_no_web_framework() -> None:
    script = "import sys, adtquery.dtdl; print(' '.join(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    loaded = {name.split(".")[0] for name in result.stdout.split()}
    assert loaded.isdisjoint({"psycopg", "psycopg_pool", "starlette", "uvicorn"})


def test_an_extends_chain_of_ten_is_accepted() -> None:
    EMPTY.add(_chain(11))  # eleven models: ten extends on the longest path


def _chain(length: int) -> list[dict]:
    ids = [f"dtmi:test:Level{i};1" for i in range(length)]
    return [interface(ids[0])] + [interface(ids[i], extends=ids[i - 1]) for i in range(1, length)]


def _object(fields: int) -> dict:
    return {
        "@type": "Object",
        "fields": [{"name": f"f{i}", "schema": "string"} for i in range(fields)],
    }


def _schema_nest(depth: int) -> Any:
    schema: Any = "integer"
    for _ in range(depth):
        schema = {"@type": "Array", "elementSchema": schema}
    return schema


# Uploads refused for what one batch shows; the REST tests can replay this file as POST bodies.
REFUSED_UPLOADS = json.loads((FIXTURES / "refused_uploads.json").read_text())


@pytest.mark.parametrize("case", REFUSED_UPLOADS, ids=[c["case"] for c in REFUSED_UPLOADS])
def test_refused_uploads(case: dict) -> None:
    refused(copy.deepcopy(case["batch"]), *case["expect"], reason=case["reason"])


GENERATED_REFUSALS = [
    pytest.param(
        [v2(interface("dtmi:test:A;1", *[prop(f"p{i}") for i in range(301)]))],
        "has 301 contents with those it inherits; DTDL v2 allows 300",
        id="v2-too-many-contents",
    ),
    pytest.param(
        [v2(interface("dtmi:test:A;1", prop("o", _object(31))))],
        "has 31 fields; DTDL v2 allows 1 to 30",
        id="v2-too-many-fields",
    ),
    pytest.param(
        [interface("dtmi:test:A;1", prop("deep", _schema_nest(7)))],
        "nests schemas more than 5 levels deep",
        id="schema-too-deep",
    ),
    pytest.param(
        _chain(12),
        "dtmi:test:Level11;1: extends dtmi:test:Level10;1 -> dtmi:test:Level9;1 -> ",
        id="extends-too-deep",
    ),
    pytest.param(
        [interface("dtmi:test:A;1", comment="x" * 513)],
        "has a comment that is not a string of at most 512 characters",
        id="comment-too-long",
    ),
]


@pytest.mark.parametrize(("batch", "expect"), GENERATED_REFUSALS)
def test_refused_generated_uploads(batch: list, expect: str) -> None:
    refused(batch, expect)


def test_names_must_be_unique_across_extends() -> None:
    clash = interface("dtmi:test:Office;1", prop("capacity"), extends=ROOM)
    refused(
        [clash],
        "dtmi:test:Office;1: the name 'capacity' is declared by both dtmi:test:Office;1 and "
        f"{ROOM}; names must be unique across an interface and all it extends.",
        reason="dtdl-duplicate-name",
        models=MODELS,
    )
    inherited = interface("dtmi:test:Office;1", prop("area"), extends=CONFERENCE)
    refused([inherited], f"declared by both dtmi:test:Office;1 and {SPACE}", models=MODELS)


def test_a_diamond_inherits_each_base_once() -> None:
    left = interface("dtmi:test:Left;1", extends=SPACE)
    right = interface("dtmi:test:Right;1", extends=SPACE)
    both = interface("dtmi:test:Both;1", extends=["dtmi:test:Left;1", "dtmi:test:Right;1"])
    models = MODELS.add([left, right, both])
    models.validate_twin(twin("dtmi:test:Both;1", area=12.5))


def test_a_component_interface_may_not_inherit_a_component() -> None:
    via_base = interface("dtmi:test:SmartRoom;1", extends=ROOM)
    uses_it = interface(
        "dtmi:test:Wing;1",
        {"@type": "Component", "name": "room", "schema": "dtmi:test:SmartRoom;1"},
    )
    refused(
        [via_base, uses_it],
        "which has a Component of its own ('thermostat' in " + ROOM,
        models=MODELS,
    )


def test_schema_references_resolve_in_bases_but_not_elsewhere() -> None:
    uses_base_schema = interface(
        "dtmi:test:Office;1", prop("state", "dtmi:example:building:Occupancy;1"), extends=ROOM
    )
    models = MODELS.add([uses_base_schema])
    models.validate_twin(twin("dtmi:test:Office;1", thermostat={}, state="free"))
    unrelated = interface("dtmi:test:Shed;1", prop("state", "dtmi:example:building:Occupancy;1"))
    refused(
        [unrelated],
        "refers to schema dtmi:example:building:Occupancy;1, which is not defined",
        models=MODELS,
    )


def test_schema_reference_cycles_and_depth_through_references_are_refused() -> None:
    loop = {
        "@id": "dtmi:test:Loop;1",
        "@type": "Object",
        "fields": [{"name": "next", "schema": "dtmi:test:Loop;1"}],
    }
    refused(
        [interface("dtmi:test:A;1", prop("x", "dtmi:test:Loop;1"), schemas=[loop])],
        "contains itself",
        reason="dtdl-schema-cycle",
    )
    chain = [
        {
            "@id": f"dtmi:test:S{i};1",
            "@type": "Array",
            "elementSchema": f"dtmi:test:S{i + 1};1" if i < 6 else "integer",
        }
        for i in range(7)
    ]
    refused(
        [interface("dtmi:test:A;1", prop("x", "dtmi:test:S0;1"), schemas=chain)],
        "more than 5 levels deep",
        reason="dtdl-limit",
    )
    refused(
        [interface("dtmi:test:A;1", schemas=chain)],
        "schema dtmi:test:S0;1 nests schemas more than 5",
        reason="dtdl-limit",
    )
    assert "dtmi:test:A;1" in EMPTY.add([interface("dtmi:test:A;1", prop("x", _schema_nest(6)))])


def test_nested_ids_must_not_clash_with_a_base() -> None:
    clash = interface(
        "dtmi:test:Office;1",
        prop("floors") | {"@id": "dtmi:example:building:Building:hasFloor;1"},
        extends=BUILDING_ID,
    )
    refused(
        [clash],
        "the @id dtmi:example:building:Building:hasFloor;1 is also used in " + BUILDING_ID,
        models=MODELS,
    )


def test_v3_has_no_v2_per_set_limits() -> None:
    many = interface(
        "dtmi:test:Big;1",
        *[prop(f"p{i}") for i in range(301)],
        extends=[f"dtmi:test:B{i};1" for i in range(3)],
    )
    bases = [interface(f"dtmi:test:B{i};1") for i in range(3)]
    assert "dtmi:test:Big;1" in EMPTY.add([*bases, many])


# -- model queries -----------------------------------------------------------------------------


def test_referencing_counts_extends_and_components_only() -> None:
    assert MODELS.referencing(SPACE) == [BUILDING_ID, FLOOR, ROOM]
    assert MODELS.referencing(THERMOSTAT) == [ROOM]
    assert MODELS.referencing(ROOM) == [CONFERENCE]  # Floor's hasRoom and Hub's feeds do not count
    assert MODELS.referencing(CONFERENCE) == []


def test_remove_refuses_referenced_models() -> None:
    with pytest.raises(ModelReferencesNotDeleted) as info:
        MODELS.remove(THERMOSTAT)
    assert (info.value.code, info.value.status) == ("ModelReferencesNotDeleted", 409)
    assert info.value.referencing == [ROOM] and ROOM in str(info.value)
    fewer = MODELS.remove(CONFERENCE).remove(ROOM).remove(THERMOSTAT)
    assert THERMOSTAT not in fewer and THERMOSTAT in MODELS
    with pytest.raises(ModelNotFound) as missing:
        fewer.remove(THERMOSTAT)
    assert (missing.value.code, missing.value.status) == ("ModelNotFound", 404)


def test_dependencies_are_transitive_breadth_first() -> None:
    assert MODELS.dependencies([CONFERENCE]) == [CONFERENCE, ROOM, SPACE, THERMOSTAT]
    assert MODELS.dependencies([TEMPERATURE_SENSOR, SENSOR, TEMPERATURE_SENSOR]) == [
        TEMPERATURE_SENSOR,
        SENSOR,
        DEVICE,
    ]
    assert MODELS.dependencies([THERMOSTAT]) == [THERMOSTAT]
    with pytest.raises(ModelNotFound, match="dtmi:test:Nope;1"):
        MODELS.dependencies([ROOM, "dtmi:test:Nope;1"])


def test_data_gives_language_maps() -> None:
    space = MODELS.data(
        SPACE,
        upload_time="2025-07-14T01:43:53.3400312+00:00",
        decommissioned=False,
        include_definition=False,
    )
    assert space == {
        "id": SPACE,
        "displayName": {"en": "Space"},
        "description": {"en": "Any part of a building", "nl": "Elk deel van een gebouw"},
        "uploadTime": "2025-07-14T01:43:53.3400312+00:00",
        "decommissioned": False,
    }
    sensor = MODELS.data(
        TEMPERATURE_SENSOR, upload_time="t", decommissioned=True, include_definition=True
    )
    assert sensor["displayName"] == {} and sensor["description"] == {} and sensor["decommissioned"]
    assert sensor["model"] == SENSORS[2]
    device = MODELS.data(DEVICE, upload_time="t", decommissioned=False, include_definition=False)
    assert device["displayName"] == {"en": "Device", "de": "Gerät"}
    assert device["description"] == {"en": "Something with a serial number."}
    everything = MODELS.data(
        EVERYTHING, upload_time="t", decommissioned=False, include_definition=False
    )
    assert everything["displayName"] == {"en": "Everything", "nl": "Alles"}
    with pytest.raises(ModelNotFound):
        MODELS.data(
            "dtmi:test:Nope;1", upload_time="t", decommissioned=False, include_definition=False
        )


def test_extends_map_feeds_is_of_model() -> None:
    assert MODELS.extends()[CONFERENCE] == (ROOM,)
    assert models_of(MODELS.extends(), SPACE) == sorted(
        [SPACE, BUILDING_ID, FLOOR, ROOM, CONFERENCE]
    )


def test_component_names_and_relationship_lookup() -> None:
    assert MODELS.component_names(CONFERENCE) == ["thermostat"]
    has_floor = MODELS.relationship(BUILDING_ID, "hasFloor")
    assert has_floor is not None and has_floor.target == FLOOR and has_floor.max_multiplicity == 200
    assert MODELS.relationship(BUILDING_ID, "name") is None


# -- twins -------------------------------------------------------------------------------------


VALID_TWINS = [
    twin(SPACE),
    twin(
        BUILDING_ID,
        name="HQ",
        area=1250,
        tags=["main", "hq"],
        location={"type": "Point", "coordinates": [4.89, 52.37]},
        address={"street": "Main 1", "city": "Utrecht", "coordinates": {"lat": 52.1, "lon": 5.1}},
        yearBuilt=1999,
        footprint={"type": "Polygon", "coordinates": [[[0, 0], [0, 1], [1, 1], [0, 0]]]},
    ),
    room(
        occupancy="occupied",
        comfort={"kitchen": 0.8, "desk": 1},
        maintenanceLog=[{"on": "2024-02-29", "note": "ok"}],
    ),
    twin(
        CONFERENCE,
        thermostat={
            "$metadata": {"$lastUpdateTime": "2024-01-01T00:00:00Z"},
            "targetTemperature": 21.5,
            "mode": 1,
        },
        hasProjector=True,
        bookedUntil="2024-05-01T17:00:00.123+02:00",
        cleaningInterval="P1DT12H",
        opensAt="08:30:00",
        openedOn="2020-01-31",
        visitors=2**40,
        screenRatio=1.78,
        capacity=12,
    ),
    twin(
        TEMPERATURE_SENSOR,
        serialNumber="A-1",
        firmware={"version": "1.2"},
        labels={"a": "b"},
        threshold=30.5,
        status=0,
    ),
    twin(
        EVERYTHING,
        tiny=-128,
        small=32767,
        octet=255,
        port=65535,
        counter=2**32 - 1,
        hugeCounter=2**64 - 1,
        blob="aGVsbG8=",
        price="-12.50",
        tracking="123e4567-e89b-12d3-a456-426614174000",
        route={"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
        stops={"type": "MultiPoint", "coordinates": [[0, 0]]},
        zones={"type": "MultiPolygon", "coordinates": [[[[0, 0], [0, 1], [1, 1], [0, 0]]]]},
        roads={"type": "MultiLineString", "coordinates": [[[0, 0], [1, 1]]]},
        grid=[[1, 2], [3]],
    ),
]


@pytest.mark.parametrize("document", VALID_TWINS, ids=lambda d: d["$metadata"]["$model"])
def test_valid_twins(document: dict) -> None:
    MODELS.validate_twin(document)


def test_unknown_model_has_adts_message() -> None:
    invalid(
        lambda: MODELS.validate_twin(twin("dtmi:samples:Building;2")),
        "dtmi:samples:Building;2 or one of its dependencies does not exist.",
        "unknown-model",
    )


def test_a_model_whose_base_is_gone_counts_as_missing() -> None:
    damaged = Models({ROOM: MODELS.document(ROOM), THERMOSTAT: MODELS.document(THERMOSTAT)})
    invalid(
        lambda: damaged.validate_twin(room()), f"{ROOM} or one of its dependencies does not exist."
    )


def test_the_twin_must_name_its_model() -> None:
    invalid(
        lambda: MODELS.validate_twin({"name": "x"}),
        "Invalid twin specified: $metadata.$model must name the twin's model.",
        "no-model",
    )
    invalid(
        lambda: MODELS.validate_twin([]),
        "Invalid twin specified: a twin is a JSON object.",
        "not-object",
    )


def test_unknown_property_has_adts_message() -> None:
    invalid(
        lambda: MODELS.validate_twin(twin(BUILDING_ID, LowestTemperature=3)),
        "LowestTemperature does not appear on the DTDL for Twin.",
        "unknown-property",
    )
    invalid(
        lambda: MODELS.validate_twin(twin(BUILDING_ID, **{"$foo": 1})),
        "$foo does not appear on the DTDL for Twin.",
    )


NOT_SETTABLE = "not a Property; only Properties (and Components, on a twin) can be set."


@pytest.mark.parametrize(
    ("document", "path", "kind", "model"),
    [
        (
            room(thermostat={"currentTemperature": 1}),
            "thermostat.currentTemperature",
            "Telemetry",
            THERMOSTAT,
        ),
        (room(thermostat={"boost": 1}), "thermostat.boost", "Command", THERMOSTAT),
        (room(hasSensor="s1"), "hasSensor", "Relationship", ROOM),
        (room(adjacentTo="r2"), "adjacentTo", "Relationship", ROOM),
        (
            twin(TEMPERATURE_SENSOR, temperature=21.0),
            "temperature",
            "Telemetry",
            TEMPERATURE_SENSOR,
        ),
    ],
)
def test_only_properties_and_components_are_set(
    document: dict, path: str, kind: str, model: str
) -> None:
    message = f"{path} is a {kind} of {model}, {NOT_SETTABLE}"
    invalid(lambda: MODELS.validate_twin(document), message, "not-a-property")


EDGE_VALUES = [
    # (model, property, value) that fit although they may look odd
    (BUILDING_ID, "yearBuilt", -(2**31)),
    (BUILDING_ID, "area", 3),  # an integer is a double
    (BUILDING_ID, "location", {"type": "Point", "coordinates": [4.9, 52.4, 3.0]}),  # altitude
    (CONFERENCE, "visitors", -(2**63)),
    (CONFERENCE, "screenRatio", 3.4e38),
    (CONFERENCE, "bookedUntil", "2016-12-31T23:59:60z"),  # a leap second, lower-case z
    (CONFERENCE, "opensAt", "08:30:00.5+01:00"),
    (CONFERENCE, "cleaningInterval", "P2W"),
    (CONFERENCE, "cleaningInterval", "PT0.5S"),
    (CONFERENCE, "cleaningInterval", "-P1Y2M3DT4H5M6S"),
    (EVERYTHING, "blob", ""),
    (EVERYTHING, "price", 12.5),  # DTDL writes decimals as strings; a number is taken too
    (EVERYTHING, "price", "+.5"),
    (EVERYTHING, "tracking", "123E4567-E89B-12D3-A456-426614174000"),
    (EVERYTHING, "stops", {"type": "MultiPoint", "coordinates": []}),
    (EVERYTHING, "grid", []),
]


@pytest.mark.parametrize(("model", "name", "value"), EDGE_VALUES)
def test_edge_values_fit(model: str, name: str, value: Any) -> None:
    document = twin(model, **{name: value})
    if model == CONFERENCE:
        document["thermostat"] = {}
    MODELS.validate_twin(document)


WRONG_VALUES = [
    # (model, property, value, expected type in the message)
    (BUILDING_ID, "yearBuilt", 1999.5, "integer"),
    (BUILDING_ID, "yearBuilt", 1999.0, "integer"),  # a JSON number with a fraction is no integer
    (BUILDING_ID, "yearBuilt", 2**31, "integer"),
    (BUILDING_ID, "yearBuilt", True, "integer"),
    (BUILDING_ID, "yearBuilt", "1999", "integer"),
    (BUILDING_ID, "name", 5, "string"),
    (BUILDING_ID, "name", None, "string"),
    (BUILDING_ID, "area", None, "double"),
    (BUILDING_ID, "area", "12", "double"),
    (BUILDING_ID, "area", False, "double"),
    (BUILDING_ID, "area", float("nan"), "double"),
    (BUILDING_ID, "area", 10**400, "double"),
    (BUILDING_ID, "location", {"type": "Point", "coordinates": [1]}, "point"),
    (BUILDING_ID, "location", {"type": "Polygon", "coordinates": [1, 2]}, "point"),
    (
        BUILDING_ID,
        "footprint",
        {"type": "Polygon", "coordinates": [[[0, 0], [0, 1], [1, 1], [1, 0]]]},
        "polygon",
    ),
    (CONFERENCE, "visitors", 2**63, "long"),
    (CONFERENCE, "screenRatio", 1e39, "float"),
    (CONFERENCE, "hasProjector", 1, "boolean"),
    (CONFERENCE, "bookedUntil", "2024-05-01T17:00:00", "dateTime"),  # RFC 3339 needs an offset
    (CONFERENCE, "bookedUntil", "2024-02-30T17:00:00Z", "dateTime"),
    (CONFERENCE, "bookedUntil", "2024-05-01 17:00:00Z", "dateTime"),
    (CONFERENCE, "openedOn", "2023-02-29", "date"),
    (CONFERENCE, "openedOn", "20230101", "date"),
    (CONFERENCE, "opensAt", "25:00:00", "time"),
    (CONFERENCE, "opensAt", "8:30", "time"),
    (CONFERENCE, "cleaningInterval", "1 day", "duration"),
    (CONFERENCE, "cleaningInterval", "PT", "duration"),
    (CONFERENCE, "cleaningInterval", "P1D2H", "duration"),
    (EVERYTHING, "tiny", 128, "byte"),
    (EVERYTHING, "small", -32769, "short"),
    (EVERYTHING, "octet", -1, "unsignedByte"),
    (EVERYTHING, "port", 65536, "unsignedShort"),
    (EVERYTHING, "counter", 2**32, "unsignedInteger"),
    (EVERYTHING, "hugeCounter", 2**64, "unsignedLong"),
    (EVERYTHING, "blob", "not base64!", "bytes"),
    (EVERYTHING, "price", "12,50", "decimal"),
    (EVERYTHING, "tracking", "123e4567e89b12d3a456426614174000", "uuid"),
    (EVERYTHING, "route", {"type": "LineString", "coordinates": [[0, 0]]}, "lineString"),
]


@pytest.mark.parametrize(("model", "name", "value", "type_name"), WRONG_VALUES)
def test_values_must_fit_their_schema(model: str, name: str, value: Any, type_name: str) -> None:
    document = twin(model, **{name: value})
    if model == CONFERENCE:
        document["thermostat"] = {}
    invalid(
        lambda: MODELS.validate_twin(document),
        f"Expected value of type {type_name} for {name}.",
        "wrong-type",
    )


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        (
            {"address": {"street": "x", "floor": 3}},
            "floor does not appear on the Object schema of address.",
        ),
        (
            {"address": {"coordinates": {"lat": "north"}}},
            "Expected value of type double for address.coordinates.lat.",
        ),
        ({"address": "Main 1"}, "Expected value of type Object for address."),
        ({"tags": "main"}, "Expected value of type Array for tags."),
        ({"tags": ["main", 2]}, "Expected value of type string for tags[1]."),
    ],
)
def test_complex_values_on_a_building(properties: dict, message: str) -> None:
    invalid(lambda: MODELS.validate_twin(twin(BUILDING_ID, **properties)), message)


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        ({"comfort": {"kitchen": "good"}}, "Expected value of type double for comfort.kitchen."),
        ({"comfort": [1.0]}, "Expected value of type Map for comfort."),
        (
            {"occupancy": "busy"},
            'Expected one of the enum values "free", "occupied", "reserved" for occupancy.',
        ),
        ({"occupancy": 1}, "Expected value of type string for occupancy."),
        (
            {"maintenanceLog": [{"on": "yesterday"}]},
            "Expected value of type date for maintenanceLog[0].on.",
        ),
        (
            {"thermostat": {"mode": 3}},
            "Expected one of the enum values 0, 1, 2 for thermostat.mode.",
        ),
        ({"thermostat": {"mode": True}}, "Expected value of type integer for thermostat.mode."),
        (
            {"thermostat": {"targetTemperature": "warm"}},
            "Expected value of type double for thermostat.targetTemperature.",
        ),
        (
            {"thermostat": {"humidity": 40}},
            "humidity does not appear on the DTDL for Component thermostat.",
        ),
        ({"thermostat": None}, "Expected value of type Component (an object) for thermostat."),
        (
            {"thermostat": {"$metadata": []}},
            "Expected value of type object for thermostat.$metadata.",
        ),
    ],
)
def test_complex_values_and_components_on_a_room(properties: dict, message: str) -> None:
    invalid(lambda: MODELS.validate_twin(room(**properties)), message)


def test_components_must_be_present_but_may_be_empty() -> None:
    invalid(
        lambda: MODELS.validate_twin(twin(CONFERENCE, capacity=3)),
        f"Component thermostat is missing: {CONFERENCE} declares it, and a twin must initialize "
        'every component, at least as {"$metadata": {}}.',
        "missing-component",
    )
    MODELS.validate_twin(twin(CONFERENCE, thermostat={}))


def test_writable_false_does_not_stop_a_twin_update() -> None:
    MODELS.validate_twin(twin(BUILDING_ID, yearBuilt=2001))  # ADT ignores DTDL's writable


def test_validate_component() -> None:
    MODELS.validate_component(CONFERENCE, "thermostat", {"$metadata": {}, "targetTemperature": 20})
    invalid(
        lambda: MODELS.validate_component(ROOM, "thermostat", {"$metadata": {}, "capacity": 3}),
        "capacity does not appear on the DTDL for Component thermostat.",
    )
    with pytest.raises(ComponentNotFound) as info:
        MODELS.validate_component(ROOM, "capacity", {})
    assert (info.value.code, info.value.status) == ("ComponentNotFound", 404)
    invalid(
        lambda: MODELS.validate_component("dtmi:test:Nope;1", "c", {}),
        "dtmi:test:Nope;1 or one of its dependencies does not exist.",
    )


# -- relationships -----------------------------------------------------------------------------


def test_valid_relationships() -> None:
    body = {
        "$relationshipId": "r1",
        "$targetId": "f",
        "$relationshipName": "hasFloor",
        "$etag": "x",
    }
    valid = [
        (BUILDING_ID, "hasFloor", body | {"order": 1, "since": "2020-01-01"}, FLOOR),
        (CONFERENCE, "adjacentTo", {}, CONFERENCE),  # inherited; the target extends Space
        (ROOM, "hasSensor", {"mountedAt": "2024-01-01T00:00:00Z"}, TEMPERATURE_SENSOR),
        (ROOM, "hasSensor", {"$metadata": {}}, SENSOR_2),  # a later version of the target
        (ROOM, "hasSensor", {}, "dtmi:example:sensors:Sensor;7"),  # a deleted later version
        (ROOM, "hasSensor", {}, None),  # no target model: no target check
        (SPACE, "adjacentTo", {}, SPACE),
    ]
    for source, name, properties, target in valid:
        MODELS.validate_relationship(source, name, properties, target)


def test_relationship_refusals() -> None:
    invalid(
        lambda: MODELS.validate_relationship(ROOM, "hasWindow", {}, None),
        f"Relationship hasWindow does not appear on the DTDL for {ROOM}.",
        "unknown-relationship",
    )
    invalid(
        lambda: MODELS.validate_relationship(ROOM, "capacity", {}, None),
        f"Relationship capacity is a Property, not a Relationship, for {ROOM}.",
        "unknown-relationship",
    )
    invalid(
        lambda: MODELS.validate_relationship(ROOM, "hasSensor", {}, DEVICE),
        f"Relationship hasSensor of {ROOM} targets {SENSOR}; the target twin's model {DEVICE} is "
        "not that model, a later version of it, nor extends it.",
        "wrong-target",
    )
    invalid(
        lambda: MODELS.validate_relationship(BUILDING_ID, "hasFloor", {}, ROOM),
        f"Relationship hasFloor of {BUILDING_ID} targets {FLOOR}; the target twin's model "
        f"{ROOM} is not that model, a later version of it, nor extends it.",
    )
    invalid(
        lambda: MODELS.validate_relationship(BUILDING_ID, "hasFloor", {"order": "first"}, FLOOR),
        "Expected value of type integer for order.",
    )
    invalid(
        lambda: MODELS.validate_relationship(BUILDING_ID, "hasFloor", {"weight": 1}, FLOOR),
        "weight does not appear on the DTDL for Relationship hasFloor.",
    )
    invalid(
        lambda: MODELS.validate_relationship("dtmi:test:Nope;1", "r", {}, None),
        "dtmi:test:Nope;1 or one of its dependencies does not exist.",
    )


# -- robustness --------------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)


def _paths(value: Any, path: tuple = ()) -> list[tuple]:
    found = [path]
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else []
    )
    for key, item in items:
        found += _paths(item, (*path, key))
    return found


@given(st.data())
def test_a_damaged_model_is_refused_with_a_parser_error_only(data: st.DataObject) -> None:
    document = copy.deepcopy(data.draw(st.sampled_from(BUILDING + SENSORS + EXTRAS)))
    path = data.draw(st.sampled_from(_paths(document)[1:]))
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = data.draw(JSON)
    with contextlib.suppress(DtdlParserError):
        EMPTY.add([d for d in ALL if d["@id"] != document.get("@id")] + [document])


@given(st.sampled_from(sorted({(m, n) for m, n, *_ in WRONG_VALUES})), JSON)
def test_any_value_is_accepted_or_refused_with_validation_failed(key: tuple, value: Any) -> None:
    model, name = key
    document = twin(model, **{name: value})
    if model == CONFERENCE:
        document["thermostat"] = {}
    with contextlib.suppress(ValidationFailed):
        MODELS.validate_twin(document)
