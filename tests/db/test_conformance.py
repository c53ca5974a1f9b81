"""The conformance corpus: each query on real AGE, two ways, against the reference interpreter.

Over the hand-made building of conformance_graph.py, every query runs through `query_page`
(paging through every page, 3 rows a page) and through `run_cypher` (model sets from the model
store), and both must give exactly the rows tests/reference.py computes from the language rules
(as multisets; for TOP(n), as many rows as TOP allows, all drawn from the TOP-less result).

Known compiler discrepancies are in the corpus with a strict xfail and the reason.
"""

from __future__ import annotations

import collections
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from adtquery.compiler import compile_query
from adtquery.db.execute import run_cypher
from adtquery.db.models import resolve_model_sets
from tests import reference
from tests.db import conformance_graph
from tests.db.conftest import all_pages, connect

pytestmark = pytest.mark.db

PAGE_SIZE = 3

ROOMS = "['room-101', 'room-102', 'room-201', 'room-202', 'room-301', 'room-302']"
FLOORS = "['floor-1', 'floor-2', 'floor-3', 'floor-b1']"

# (id, query). Twin queries select `T.$dtId` where the shape is not the point, so a failure shows
# which twins differ at a glance.
CORPUS: list[tuple[str, str]] = [
    # SELECT forms ----------
    ("select-star", "SELECT * FROM DIGITALTWINS"),
    ("select-star-alias", "SELECT * FROM DIGITALTWINS T"),
    ("select-star-lowercase", "select * from digitaltwins"),
    ("select-star-mixed-case", "Select * From DigitalTwins Where IS_NUMBER(Temperature)"),
    ("select-collection", "SELECT T FROM DIGITALTWINS T"),
    ("select-collection-as", "SELECT T AS Twins FROM DIGITALTWINS T WHERE IS_DEFINED(T.level)"),
    ("select-dtid", "SELECT T.$dtId FROM DIGITALTWINS T"),
    ("select-dtid-as", "SELECT T.$dtId AS tid, T.Temperature FROM DIGITALTWINS T"),
    ("select-as-lowercase", "SELECT T.$dtId as tid, T.name as n FROM DIGITALTWINS T"),
    ("select-unqualified", "SELECT name, owner FROM DIGITALTWINS"),
    ("select-unqualified-with-alias", "SELECT name, T.owner FROM DIGITALTWINS T"),
    ("select-nested", "SELECT T.address.geo.lat AS lat, T.address.city FROM DIGITALTWINS T"),
    (
        "select-component",
        "SELECT T.thermostat.targetTemp AS target, T.thermostat FROM DIGITALTWINS T "
        "WHERE IS_DEFINED(T.thermostat)",
    ),
    (
        "select-metadata",
        "SELECT T.$metadata.$model, T.$metadata.name.lastUpdateTime AS t, T.$etag "
        "FROM DIGITALTWINS T",
    ),
    ("select-whole-metadata", "SELECT T.$metadata FROM DIGITALTWINS T WHERE IS_NUMBER(T.level)"),
    ("select-map", "SELECT T.tags FROM DIGITALTWINS T"),
    ("select-null-values-left-out", "SELECT T.name, T.owner, T.order FROM DIGITALTWINS T"),
    ("select-array", "SELECT T.floor_number, T.flags FROM DIGITALTWINS T"),
    ("select-array-of-objects", "SELECT T.seats FROM DIGITALTWINS T WHERE IS_DEFINED(T.seats)"),
    ("select-escaped-key", "SELECT T.tags.[[1abc]] AS odd FROM DIGITALTWINS T"),
    ("select-escaped-space", "SELECT T.[[a b]] AS spaced FROM DIGITALTWINS T"),
    ("select-keyword-keys", "SELECT T.order, T.match, T.[[select]] FROM DIGITALTWINS T"),
    ("select-all-missing", "SELECT T.nothing, T.name.first FROM DIGITALTWINS T"),
    ("count-twins", "SELECT COUNT() FROM DIGITALTWINS"),
    ("count-relationships", "SELECT COUNT() FROM RELATIONSHIPS"),
    ("count-zero", "SELECT COUNT() FROM DIGITALTWINS WHERE name = 'nobody'"),
    ("count-where", "SELECT COUNT() FROM DIGITALTWINS c WHERE c.Capacity > 5"),
    ("top-star", "SELECT TOP(5) FROM DIGITALTWINS"),
    ("top-space", "SELECT TOP (3) FROM DIGITALTWINS WHERE IS_NUMBER(Temperature)"),
    (
        "top-projection",
        "SELECT TOP(2) T.$dtId AS tid FROM DIGITALTWINS T WHERE STARTSWITH(T.$dtId, 'room')",
    ),
    ("top-more-than-rows", "SELECT TOP(100) T.name FROM DIGITALTWINS T"),
    ("top-one", "SELECT TOP(1) T FROM DIGITALTWINS T WHERE T.Temperature = 70"),
    ("top-relationships", "SELECT TOP(4) FROM RELATIONSHIPS"),
    # FROM RELATIONSHIPS ----------
    ("relationships-star", "SELECT * FROM RELATIONSHIPS"),
    ("relationships-alias", "SELECT R FROM RELATIONSHIPS R WHERE R.$relationshipName = 'contains'"),
    (
        "relationships-unqualified",
        "SELECT * FROM RELATIONSHIPS WHERE $sourceId IN ['room-101', 'sensor-s1']",
    ),
    (
        "relationships-projection",
        "SELECT R.$relationshipId, R.length FROM RELATIONSHIPS R WHERE R.length >= 7.5",
    ),
    (
        "relationships-mixed-types",
        "SELECT R.$relationshipId FROM RELATIONSHIPS R WHERE R.weight > 1",
    ),
    (
        "relationships-null",
        "SELECT R.$relationshipId FROM RELATIONSHIPS R "
        "WHERE IS_NULL(R.weight) OR IS_NULL(R.reportedCondition)",
    ),
    ("relationships-nested", "SELECT R.meta.k AS k FROM RELATIONSHIPS R WHERE IS_OBJECT(R.meta)"),
    (
        "relationships-etag",
        "SELECT R.$etag, R.$targetId FROM RELATIONSHIPS R WHERE ENDSWITH(R.$targetId, '-101')",
    ),
    (
        "relationships-count-names",
        "SELECT COUNT() FROM RELATIONSHIPS WHERE $relationshipName IN ['feeds', 'Contains']",
    ),
    (
        "relationships-self-loops",
        "SELECT R.$relationshipId FROM RELATIONSHIPS R WHERE R.$sourceId = 'room-202' "
        "AND R.$targetId = 'room-202'",
    ),
    (
        "relationships-bool-prop",
        "SELECT R.$relationshipId FROM RELATIONSHIPS R WHERE NOT R.primary = true",
    ),
    (
        "relationships-not-defined",
        "SELECT COUNT() FROM RELATIONSHIPS R WHERE NOT IS_DEFINED(R.rate)",
    ),
    # JOIN ----------
    (
        "join-basic",
        "SELECT T, CT FROM DIGITALTWINS T JOIN CT RELATED T.contains WHERE T.$dtId = 'building-1'",
    ),
    (
        "join-parallel-relationships",
        "SELECT F.$dtId, R.$dtId AS room FROM DIGITALTWINS F JOIN R RELATED F.contains "
        "WHERE F.$dtId = 'floor-1'",
    ),
    (
        "join-relationship-alias",
        "SELECT F, R, E FROM DIGITALTWINS F JOIN R RELATED F.contains E "
        "WHERE F.$dtId = 'floor-1' AND E.reportedCondition = 'clean'",
    ),
    (
        "join-relationship-props",
        "SELECT R.name, E.length, E.reportedCondition AS cond FROM DIGITALTWINS F "
        f"JOIN R RELATED F.contains E WHERE F.$dtId IN {FLOORS}",
    ),
    (
        "join-anchor-on-target",
        "SELECT F FROM DIGITALTWINS F JOIN R RELATED F.contains WHERE R.$dtId = 'room-101'",
    ),
    (
        "join-anchor-literal-left",
        "SELECT R.$dtId FROM DIGITALTWINS F JOIN R RELATED F.contains WHERE 'floor-2' = F.$dtId",
    ),
    (
        "join-name-case-upper",
        "SELECT R FROM DIGITALTWINS B JOIN R RELATED B.Contains WHERE B.$dtId = 'building-2'",
    ),
    (
        "join-name-case-lower",
        "SELECT R.$dtId FROM DIGITALTWINS B JOIN R RELATED B.contains WHERE B.$dtId = 'building-2'",
    ),
    (
        "join-chain-3",
        "SELECT B.$dtId, F.$dtId AS f, R.$dtId AS r, S.$dtId AS s FROM DIGITALTWINS B "
        "JOIN F RELATED B.contains JOIN R RELATED F.contains JOIN S RELATED R.hasSensor "
        "WHERE B.$dtId = 'building-1'",
    ),
    (
        "join-chain-5",
        "SELECT S.$dtId AS s, R2.$dtId AS r2, R3.$dtId AS r3 FROM DIGITALTWINS B "
        "JOIN F RELATED B.contains JOIN R RELATED F.contains JOIN S RELATED R.hasSensor "
        "JOIN R2 RELATED S.feeds JOIN R3 RELATED R2.isAssociatedWith "
        "WHERE B.$dtId IN ['building-1', 'building-2']",
    ),
    (
        "join-fan-out-same-relationship",
        "SELECT S1.$dtId AS a, S2.$dtId AS b FROM DIGITALTWINS R JOIN S1 RELATED R.hasSensor "
        "JOIN S2 RELATED R.hasSensor WHERE R.$dtId = 'room-101'",
    ),
    (
        "join-cycle",
        "SELECT S.$dtId AS s, R2.$dtId AS r FROM DIGITALTWINS R JOIN S RELATED R.hasSensor "
        "JOIN R2 RELATED S.feeds WHERE R.$dtId = 'room-101'",
    ),
    (
        "join-self-loop",
        "SELECT A, B FROM DIGITALTWINS A JOIN B RELATED A.isAssociatedWith "
        "WHERE A.$dtId = 'room-202'",
    ),
    (
        "join-self-loop-twice",
        "SELECT C.$dtId FROM DIGITALTWINS A JOIN B RELATED A.isAssociatedWith "
        "JOIN C RELATED B.isAssociatedWith WHERE A.$dtId = 'room-202'",
    ),
    (
        "join-two-way-cycle",
        "SELECT C.$dtId FROM DIGITALTWINS A JOIN B RELATED A.isAssociatedWith E1 "
        "JOIN C RELATED B.isAssociatedWith E2 WHERE A.$dtId = 'room-101'",
    ),
    (
        "join-count",
        f"SELECT COUNT() FROM DIGITALTWINS F JOIN R RELATED F.contains WHERE F.$dtId IN {FLOORS}",
    ),
    (
        "join-is-of-model",
        "SELECT R.$dtId FROM DIGITALTWINS F JOIN R RELATED F.contains "
        "WHERE F.$dtId IN ['floor-1', 'floor-2'] AND IS_OF_MODEL(R, 'dtmi:example:Room;2')",
    ),
    (
        "join-conditions-on-both",
        "SELECT R.$dtId FROM DIGITALTWINS F JOIN R RELATED F.contains "
        f"WHERE F.$dtId IN {FLOORS} AND R.Temperature >= 70 AND IS_NUMBER(F.level)",
    ),
    (
        "join-unknown-name",
        "SELECT R FROM DIGITALTWINS F JOIN R RELATED F.nothing WHERE F.$dtId = 'floor-1'",
    ),
    (
        "join-mixed-projection",
        "SELECT R.name AS roomName, F FROM DIGITALTWINS F JOIN R RELATED F.contains "
        "WHERE F.$dtId = 'floor-2'",
    ),
    (
        "join-anchor-and-or",
        "SELECT R.$dtId FROM DIGITALTWINS F JOIN R RELATED F.contains "
        "WHERE F.$dtId IN ['floor-1'] AND (R.Temperature = 70 OR R.Capacity = 0)",
    ),
    (
        "join-not-relationship-prop",
        "SELECT E.$relationshipId FROM DIGITALTWINS F JOIN R RELATED F.contains E "
        f"WHERE F.$dtId IN {FLOORS} AND NOT E.reportedCondition = 'clean'",
    ),
    (
        "join-relationship-system",
        "SELECT E.$relationshipId FROM DIGITALTWINS F JOIN R RELATED F.contains E "
        "WHERE F.$dtId = 'floor-1' AND E.$targetId = 'room-101'",
    ),
    (
        "join-whole-relationship",
        "SELECT E FROM DIGITALTWINS R JOIN S RELATED R.hasSensor E WHERE R.$dtId IN "
        f"{ROOMS} AND E.primary = true",
    ),
    (
        "join-no-such-anchor",
        "SELECT R FROM DIGITALTWINS F JOIN R RELATED F.contains WHERE F.$dtId = 'nope'",
    ),
    (
        "join-compare-twins",
        "SELECT A.$dtId, B.$dtId AS other FROM DIGITALTWINS A JOIN B RELATED A.isAssociatedWith "
        "WHERE A.$dtId IN ['room-101', 'room-102'] AND A.Temperature = B.Temperature",
    ),
    (
        "join-compare-twins-same-type",
        "SELECT R.$dtId FROM DIGITALTWINS MATCH (B)-[:contains*2]->(R) "
        "WHERE B.$dtId IN ['building-1', 'building-2'] AND B.owner = R.owner",
    ),
    (
        "join-compare-twins-order",
        "SELECT A.$dtId FROM DIGITALTWINS A JOIN B RELATED A.isAssociatedWith "
        f"WHERE A.$dtId IN {ROOMS} AND A.Humidity < B.Humidity",
    ),
    (
        "join-compare-twins-ne",
        "SELECT A.$dtId, B.$dtId AS other FROM DIGITALTWINS A JOIN B RELATED A.isAssociatedWith "
        f"WHERE A.$dtId IN {ROOMS} AND A.owner != B.owner",
    ),
    (
        "join-relationship-nested",
        "SELECT R.$dtId FROM DIGITALTWINS F JOIN R RELATED F.contains E "
        "WHERE F.$dtId = 'floor-1' AND E.meta.k = 1",
    ),
    (
        "join-top",
        "SELECT TOP(2) F, R FROM DIGITALTWINS F JOIN R RELATED F.contains "
        "WHERE F.$dtId IN ['floor-1', 'floor-2']",
    ),
    # MATCH ----------
    (
        "match-right",
        "SELECT B, F FROM DIGITALTWINS MATCH (B)-[:contains]->(F) WHERE B.$dtId = 'building-1'",
    ),
    (
        "match-left",
        "SELECT R.$dtId, F.$dtId AS f FROM DIGITALTWINS MATCH (R)<-[:contains]-(F) "
        "WHERE R.$dtId = 'room-101'",
    ),
    (
        "match-either",
        "SELECT A.$dtId, B.$dtId AS b FROM DIGITALTWINS MATCH (A)-[:isAssociatedWith]-(B) "
        "WHERE A.$dtId = 'room-101'",
    ),
    (
        "match-either-self-loop",
        "SELECT B.$dtId FROM DIGITALTWINS MATCH (A)-[:isAssociatedWith]-(B) "
        "WHERE A.$dtId = 'room-202'",
    ),
    (
        "match-either-any-name",
        "SELECT B.$dtId FROM DIGITALTWINS MATCH (A)-[]-(B) WHERE A.$dtId = 'room-101'",
    ),
    (
        "match-right-any-name",
        "SELECT B.$dtId FROM DIGITALTWINS MATCH (A)-[]->(B) WHERE A.$dtId = 'room-201'",
    ),
    (
        "match-names",
        "SELECT A.$dtId, B.$dtId AS b FROM DIGITALTWINS MATCH (A)-[:hasSensor|feeds]->(B) "
        "WHERE A.$dtId IN ['room-101', 'sensor-s1']",
    ),
    (
        "match-hops-exact",
        "SELECT R.$dtId FROM DIGITALTWINS MATCH (B)-[:contains*2]->(R) "
        "WHERE B.$dtId = 'building-1'",
    ),
    (
        "match-hops-range-lower-exclusive",
        "SELECT R.$dtId FROM DIGITALTWINS MATCH (B)-[:contains*1..2]->(R) "
        "WHERE B.$dtId = 'building-1'",
    ),
    (
        "match-hops-up-to",
        "SELECT R.$dtId FROM DIGITALTWINS MATCH (B)-[:contains*..2]->(R) "
        "WHERE B.$dtId = 'building-1'",
    ),
    (
        "match-hops-any-name-range",
        "SELECT X.$dtId FROM DIGITALTWINS MATCH (B)-[*1..3]->(X) WHERE B.$dtId = 'building-1'",
    ),
    (
        "match-hops-either",
        "SELECT X.$dtId FROM DIGITALTWINS MATCH (S)-[*2]-(X) WHERE S.$dtId = 'sensor-t1'",
    ),
    (
        "match-hops-three",
        "SELECT B.$dtId, S.$dtId AS s FROM DIGITALTWINS MATCH (B)-[:contains|hasSensor*3]->(S) "
        "WHERE B.$dtId IN ['building-1', 'building-2']",
    ),
    (
        "match-hops-left",
        "SELECT B.$dtId FROM DIGITALTWINS MATCH (S)<-[:contains|hasSensor*..3]-(B) "
        "WHERE S.$dtId = 'sensor-t1'",
    ),
    (
        "match-hops-wide",
        "SELECT X.$dtId FROM DIGITALTWINS MATCH (B)-[*3..5]->(X) WHERE B.$dtId = 'building-1'",
    ),
    (
        "match-hops-either-wide",
        "SELECT X.$dtId FROM DIGITALTWINS MATCH (A)-[*..4]-(X) WHERE A.$dtId = 'room-202'",
    ),
    (
        "match-variable",
        "SELECT F, R FROM DIGITALTWINS MATCH (F)-[r:contains]->(R) "
        "WHERE F.$dtId = 'floor-1' AND r.length = 10",
    ),
    (
        "match-variable-projection",
        "SELECT r, r.length AS len FROM DIGITALTWINS MATCH (F)-[r]->(R) WHERE F.$dtId = 'floor-1'",
    ),
    (
        "match-variable-names",
        "SELECT r.$relationshipId FROM DIGITALTWINS MATCH (R)-[r:hasSensor|isAssociatedWith]->(X) "
        "WHERE R.$dtId = 'room-101'",
    ),
    (
        "match-variable-left",
        "SELECT r.$relationshipId, r.rate FROM DIGITALTWINS MATCH (R)<-[r:feeds]-(S) "
        f"WHERE R.$dtId IN {ROOMS}",
    ),
    (
        "match-variable-either",
        "SELECT r.$relationshipId FROM DIGITALTWINS MATCH (R)-[r]-(X) WHERE R.$dtId = 'room-202'",
    ),
    (
        "match-variable-self-loop",
        "SELECT A, r, B FROM DIGITALTWINS MATCH (A)-[r:feeds]->(B) WHERE A.$dtId = 'sensor-x'",
    ),
    (
        "match-chain",
        "SELECT F.$dtId AS f, R.$dtId AS r FROM DIGITALTWINS "
        "MATCH (B)-[:contains]->(F)-[:contains]->(R) WHERE B.$dtId = 'building-1'",
    ),
    (
        "match-chain-mixed-directions",
        "SELECT R2.$dtId AS r2, F.$dtId AS f FROM DIGITALTWINS "
        "MATCH (R1)-[:isAssociatedWith]->(R2)<-[:contains]-(F) WHERE R1.$dtId = 'room-101'",
    ),
    (
        "match-chain-three-directions",
        "SELECT X.$dtId AS x, Y.$dtId AS y FROM DIGITALTWINS "
        "MATCH (F)-[:contains]->(R)-[]-(X)<-[:hasSensor]-(Y) WHERE F.$dtId = 'floor-1'",
    ),
    (
        "match-chain-variables",
        "SELECT r1.$relationshipId AS a, r2.$relationshipId AS b FROM DIGITALTWINS "
        "MATCH (B)-[r1:contains]->(F)-[r2:contains]->(R) WHERE B.$dtId = 'building-1' "
        "AND r1.weight > 1",
    ),
    (
        "match-anonymous-node",
        "SELECT R.$dtId FROM DIGITALTWINS MATCH (B)-[:contains]->()-[:contains]->(R) "
        "WHERE B.$dtId = 'building-1'",
    ),
    ("match-single-node", "SELECT A FROM DIGITALTWINS MATCH (A) WHERE A.$dtId = 'room-101'"),
    (
        "match-single-node-in",
        f"SELECT A.name FROM DIGITALTWINS MATCH (A) WHERE A.$dtId IN {ROOMS} AND A.Capacity > 5",
    ),
    (
        "match-twin-repeats",
        "SELECT R2.$dtId FROM DIGITALTWINS MATCH (R)-[:hasSensor]->(S)-[:feeds]->(R2) "
        "WHERE R.$dtId = 'room-101'",
    ),
    (
        "match-relationship-once-per-path",
        "SELECT B.$dtId FROM DIGITALTWINS MATCH (A)-[:isAssociatedWith*2]-(B) "
        "WHERE A.$dtId = 'room-101'",
    ),
    (
        "match-self-loop-once-per-path",
        "SELECT B.$dtId FROM DIGITALTWINS MATCH (A)-[:isAssociatedWith*2]-(B) "
        "WHERE A.$dtId = 'room-202'",
    ),
    (
        "match-isomorphism-across-hops",
        "SELECT C.$dtId FROM DIGITALTWINS "
        "MATCH (A)-[:isAssociatedWith]-(B)-[:isAssociatedWith]-(C) "
        "WHERE A.$dtId IN ['room-101', 'room-202']",
    ),
    (
        "match-anchor-on-end",
        "SELECT B.$dtId FROM DIGITALTWINS MATCH (B)-[:contains*2]->(R) WHERE R.$dtId = 'room-101'",
    ),
    (
        "match-anchor-in-middle",
        "SELECT B.$dtId, R.$dtId AS r FROM DIGITALTWINS "
        "MATCH (B)-[:contains]->(F)-[:contains]->(R) WHERE F.$dtId = 'floor-2'",
    ),
    (
        "match-count",
        "SELECT COUNT() FROM DIGITALTWINS MATCH (B)-[*..3]->(X) WHERE B.$dtId = 'building-1'",
    ),
    (
        "match-where-props",
        "SELECT R.$dtId FROM DIGITALTWINS MATCH (F)-[:contains]->(R) "
        f"WHERE F.$dtId IN {FLOORS} AND R.Temperature >= 70",
    ),
    (
        "match-is-of-model",
        "SELECT R.$dtId FROM DIGITALTWINS MATCH (F)-[:contains]->(R) "
        "WHERE F.$dtId IN ['floor-1', 'floor-2'] AND IS_OF_MODEL(R, 'dtmi:example:Room;1')",
    ),
    (
        "match-is-of-model-sensor",
        "SELECT S.$dtId FROM DIGITALTWINS MATCH (R)-[:hasSensor]->(S) "
        f"WHERE R.$dtId IN {ROOMS} AND IS_OF_MODEL(S, 'dtmi:example:TemperatureSensor;1')",
    ),
    (
        "match-projection-props",
        "SELECT B.name AS building, R.name AS room FROM DIGITALTWINS "
        "MATCH (B)-[:contains*2]->(R) WHERE B.$dtId IN ['building-1', 'building-2']",
    ),
    (
        "match-name-case",
        "SELECT X.$dtId FROM DIGITALTWINS MATCH (B)-[:Contains]->(X) WHERE B.$dtId = 'building-2'",
    ),
    (
        "match-name-both-cases",
        "SELECT X.$dtId FROM DIGITALTWINS MATCH (B)-[:contains|Contains]->(X) "
        "WHERE B.$dtId = 'building-2'",
    ),
    (
        "match-top",
        "SELECT TOP(2) X FROM DIGITALTWINS MATCH (B)-[*..2]->(X) WHERE B.$dtId = 'building-1'",
    ),
    (
        "match-relationship-system",
        "SELECT r.$relationshipId FROM DIGITALTWINS MATCH (A)-[r]->(B) "
        "WHERE A.$dtId = 'room-101' AND r.$relationshipName != 'hasSensor'",
    ),
    (
        "match-narrow-no-break-space",
        "SELECT A,\u202fB FROM DIGITALTWINS\u202f\nMATCH\u202f(A)-[:contains]->(B)\u202f\n"
        "WHERE A.$dtId = 'floor-2'",
    ),
    # Comparisons ----------
    ("eq-number", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.Temperature = 70"),
    ("eq-float-literal", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.Temperature = 70.0"),
    ("eq-exponent-literal", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.Temperature = 7e1"),
    ("eq-string", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.name = 'Room 101'"),
    ("eq-string-case", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.name = 'room 101'"),
    ("eq-escaped-quote", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.name = 'D\\'Souza Hall'"),
    ("eq-unicode", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.name = 'Zoë\\'s room'"),
    ("eq-unicode-escape", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.name = 'Zo\\u00eb\\'s room'"),
    ("eq-empty-string", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.name = ''"),
    ("eq-bool", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.HasTemperature = true"),
    ("eq-number-vs-string", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.floors = 3"),
    ("eq-string-vs-number", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.floors = '3'"),
    ("eq-number-vs-bool", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.owner = true"),
    ("ne-bool", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.HasTemperature != false"),
    ("ne-number", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.Capacity != 0"),
    ("ne-string", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.owner != 'John'"),
    ("lt-number", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.Temperature < 75"),
    ("le-number", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.Temperature <= 75.5"),
    ("gt-number", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.Temperature > 70"),
    ("ge-number", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.Temperature >= 70"),
    ("ge-float", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.Humidity >= 49.99"),
    ("lt-negative", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.level < 0"),
    ("gt-mixed-types", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.level > 0"),
    ("gt-mixed-types-string", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.level > '0'"),
    ("lt-string", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.name < 'Room'"),
    ("ge-string-ordinal", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.name >= 'a'"),
    ("gt-string-unicode", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.name > 'Zo'"),
    # Ordinal: ë (U+00EB) sorts after z (U+007A); a linguistic collation would put it before.
    ("gt-string-code-point", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.name > 'Zoz'"),
    ("le-string-dates", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.installed <= '2023-12-31'"),
    ("lt-bool", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.HasTemperature < true"),
    ("gt-bool", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.match > false"),
    ("ge-bool", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.HasTemperature >= false"),
    ("literal-on-left", "SELECT T.$dtId FROM DIGITALTWINS T WHERE 70 < T.Temperature"),
    ("literal-on-left-eq", "SELECT T.$dtId FROM DIGITALTWINS T WHERE 'John' = T.owner"),
    ("literal-on-left-ge", "SELECT T.$dtId FROM DIGITALTWINS T WHERE 25 >= T.Capacity"),
    ("not-lt", "SELECT T.$dtId FROM DIGITALTWINS T WHERE NOT T.Temperature < 75"),
    ("not-le", "SELECT T.$dtId FROM DIGITALTWINS T WHERE NOT T.Temperature <= 80"),
    ("not-eq", "SELECT T.$dtId FROM DIGITALTWINS T WHERE NOT T.Temperature = 70"),
    ("not-ne", "SELECT T.$dtId FROM DIGITALTWINS T WHERE NOT T.owner != 'John'"),
    ("not-gt-string", "SELECT T.$dtId FROM DIGITALTWINS T WHERE NOT T.name > 'R'"),
    ("eq-null", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.Temperature = null"),
    ("eq-null-left", "SELECT T.$dtId FROM DIGITALTWINS T WHERE null = T.owner"),
    ("ne-null", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.owner != null"),
    ("not-eq-null", "SELECT T.$dtId FROM DIGITALTWINS T WHERE NOT T.owner = null"),
    ("not-ne-null", "SELECT T.$dtId FROM DIGITALTWINS T WHERE NOT T.owner != null"),
    ("lt-null", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.Temperature < null OR T.name >= null"),
    ("eq-null-nested", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.thermostat.mode = null"),
    ("eq-null-relationship", "SELECT R.$relationshipId FROM RELATIONSHIPS R WHERE R.weight = null"),
    (
        "paths-equal-objects",
        "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.thermostat = T.thermostat",
    ),
    (
        "paths-equal-arrays",
        "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.floor_number = T.floor_number",
    ),
    (
        "paths-equal-strings",
        "SELECT T.$dtId FROM DIGITALTWINS T "
        "WHERE T.name = T.name AND T.owner = T.owner AND NOT IS_NULL(T.owner)",
    ),
    ("paths-type-mismatch", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.level != T.name"),
    ("paths-not-ordered-objects", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.tags < T.address"),
    ("paths-not-eq-objects", "SELECT T.$dtId FROM DIGITALTWINS T WHERE NOT T.tags = T.address"),
    (
        "paths-not-eq-arrays",
        "SELECT T.$dtId FROM DIGITALTWINS T WHERE NOT T.floor_number = T.flags",
    ),
    ("paths-ne-objects", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.tags != T.address"),
    ("paths-ne-arrays", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.floor_number != T.flags"),
    (
        "paths-not-ne-objects",
        "SELECT T.$dtId FROM DIGITALTWINS T WHERE NOT T.thermostat != T.thermostat",
    ),
    (
        "paths-not-eq-equal-objects",
        "SELECT T.$dtId FROM DIGITALTWINS T WHERE NOT T.thermostat = T.thermostat",
    ),
    ("paths-lt-numbers", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.Humidity < T.Temperature"),
    ("paths-ge-numbers", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.Humidity >= T.Capacity"),
    (
        "paths-null-equals-null",
        "SELECT T.$dtId FROM DIGITALTWINS T "
        "WHERE T.thermostat.targetTemp = T.thermostat.targetTemp",
    ),
    ("paths-null-not-ne", "SELECT T.$dtId FROM DIGITALTWINS T WHERE NOT T.owner != T.owner"),
    # IN / NIN ----------
    (
        "in-strings",
        "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.owner IN ['John', 'Anil', 'Bailey', 'Alex']",
    ),
    ("in-lowercase", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.owner in ['John']"),
    ("in-numbers", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.Capacity IN [10, 25]"),
    ("in-floats", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.Temperature IN [70.0, 80.0]"),
    ("in-mixed", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.Temperature IN [70, 'hot', true]"),
    ("in-bool", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.HasTemperature IN [true]"),
    ("in-one", "SELECT T FROM DIGITALTWINS T WHERE T.$dtId IN ['room-101']"),
    ("in-empty", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.owner IN []"),
    ("nin-strings", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.owner NIN ['John', 'Alex']"),
    ("nin-numbers", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.Capacity NIN [0]"),
    ("nin-empty", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.owner NIN []"),
    ("not-in-spelled", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.owner NOT IN ['John']"),
    ("not-in", "SELECT T.$dtId FROM DIGITALTWINS T WHERE NOT T.owner IN ['John']"),
    ("not-nin", "SELECT T.$dtId FROM DIGITALTWINS T WHERE NOT T.Capacity NIN [10, 25]"),
    ("in-object-value", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.tags IN ['tag']"),
    ("nin-object-value", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.tags NIN ['tag']"),
    ("nin-null-value", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.Temperature NIN [1]"),
    ("in-nested", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.thermostat.targetTemp IN [21]"),
    (
        "in-long-list",
        "SELECT T.$dtId FROM DIGITALTWINS T "
        "WHERE T.Temperature IN [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 70]",
    ),
    (
        "nin-long-list",
        "SELECT T.$dtId FROM DIGITALTWINS T "
        "WHERE T.Temperature NIN [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 70]",
    ),
    (
        "in-long-list-strings",
        "SELECT T.$dtId FROM DIGITALTWINS T "
        "WHERE T.owner IN ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'John', 'Anil']",
    ),
    ("in-relationship-names", "SELECT COUNT() FROM RELATIONSHIPS R WHERE R.length IN [10, 3]"),
    # Logic ----------
    ("and", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.Temperature > 60 AND T.Capacity > 5"),
    ("or", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.Temperature < 71 OR T.Humidity < 50"),
    (
        "not-and",
        "SELECT T.$dtId FROM DIGITALTWINS T WHERE NOT (T.Temperature > 60 AND T.Capacity > 5)",
    ),
    (
        "not-or",
        "SELECT T.$dtId FROM DIGITALTWINS T WHERE NOT (T.Temperature > 71 OR T.Capacity = 0)",
    ),
    (
        "precedence",
        "SELECT T.$dtId FROM DIGITALTWINS T "
        "WHERE T.owner = 'John' OR T.owner = 'Alex' AND T.floors = '3'",
    ),
    (
        "precedence-parentheses",
        "SELECT T.$dtId FROM DIGITALTWINS T "
        "WHERE (T.owner = 'John' OR T.owner = 'Alex') AND IS_STRING(T.floors)",
    ),
    ("not-not", "SELECT T.$dtId FROM DIGITALTWINS T WHERE NOT NOT T.Temperature = 70"),
    (
        "undefined-and-false",
        "SELECT T.$dtId FROM DIGITALTWINS T WHERE NOT (T.Temperature > 0 AND T.$dtId = 'none')",
    ),
    (
        "undefined-or-true",
        "SELECT T.$dtId FROM DIGITALTWINS T "
        "WHERE T.Temperature > 100 OR STARTSWITH(T.$dtId, 'sensor')",
    ),
    (
        "undefined-or-false-negated",
        "SELECT T.$dtId FROM DIGITALTWINS T WHERE NOT (T.Temperature > 100 OR T.$dtId = 'none')",
    ),
    (
        "nested-logic",
        "SELECT T.$dtId FROM DIGITALTWINS T WHERE (IS_NUMBER(T.Temperature) OR "
        "NOT (IS_DEFINED(T.tags) AND T.tags.size = 'large')) AND NOT (T.owner = 'John' OR "
        "NOT STARTSWITH(T.$dtId, 'room'))",
    ),
    (
        "de-morgan",
        "SELECT T.$dtId FROM DIGITALTWINS T WHERE NOT (NOT T.Capacity > 5 OR NOT T.Humidity > 45)",
    ),
    # Functions ----------
    ("is-defined", "SELECT T.$dtId FROM DIGITALTWINS T WHERE IS_DEFINED(T.Temperature)"),
    ("is-defined-marker-tag", "SELECT * FROM DIGITALTWINS WHERE IS_DEFINED(tags.red)"),
    ("not-is-defined", "SELECT T.$dtId FROM DIGITALTWINS T WHERE NOT IS_DEFINED(T.Temperature)"),
    (
        "is-defined-null-nested",
        "SELECT T.$dtId FROM DIGITALTWINS T WHERE IS_DEFINED(T.address.zip)",
    ),
    (
        "is-defined-into-string",
        "SELECT T.$dtId FROM DIGITALTWINS T WHERE IS_DEFINED(T.address.geo.lat)",
    ),
    (
        "is-defined-tags",
        "SELECT * FROM DIGITALTWINS WHERE NOT IS_DEFINED(tags.red) AND IS_DEFINED(tags.round)",
    ),
    (
        "is-defined-tags-value",
        "SELECT * FROM DIGITALTWINS WHERE NOT IS_DEFINED(tags.red) AND tags.size = 'small'",
    ),
    ("is-null", "SELECT T.$dtId FROM DIGITALTWINS T WHERE IS_NULL(T.Temperature)"),
    ("not-is-null", "SELECT T.$dtId FROM DIGITALTWINS T WHERE NOT IS_NULL(T.owner)"),
    ("is-null-nested", "SELECT T.$dtId FROM DIGITALTWINS T WHERE IS_NULL(T.thermostat.mode)"),
    ("is-null-into-number", "SELECT T.$dtId FROM DIGITALTWINS T WHERE IS_NULL(T.thermostat.x)"),
    ("is-bool", "SELECT * FROM DIGITALTWINS T WHERE IS_BOOL( HasTemperature )"),
    (
        "is-bool-and-ne",
        "SELECT * FROM DIGITALTWINS T WHERE IS_BOOL( HasTemperature ) AND HasTemperature != false",
    ),
    ("is-number", "SELECT * FROM DIGITALTWINS WHERE IS_NUMBER( Capacity ) AND Capacity != 0"),
    ("is-string", "SELECT T.$dtId FROM DIGITALTWINS T WHERE IS_STRING(T.Temperature)"),
    ("is-primitive", "SELECT T.$dtId FROM DIGITALTWINS T WHERE IS_PRIMITIVE(T.thermostat)"),
    ("is-primitive-null", "SELECT T.$dtId FROM DIGITALTWINS T WHERE IS_PRIMITIVE(T.owner)"),
    (
        "not-is-primitive",
        "SELECT T.$dtId FROM DIGITALTWINS T WHERE NOT IS_PRIMITIVE(T.floor_number)",
    ),
    (
        "is-object",
        "SELECT T.$dtId FROM DIGITALTWINS T WHERE IS_OBJECT(T.tags) AND NOT IS_DEFINED(T.tags.red)",
    ),
    ("is-object-not-array", "SELECT T.$dtId FROM DIGITALTWINS T WHERE IS_OBJECT(T.floor_number)"),
    ("is-object-component", "SELECT T.$dtId FROM DIGITALTWINS T WHERE IS_OBJECT(T.thermostat)"),
    ("not-is-object", "SELECT T.$dtId FROM DIGITALTWINS T WHERE NOT IS_OBJECT(T.value)"),
    ("lowercase-functions", "select t.$dtId from digitaltwins t where is_defined(t.tags.red)"),
    ("startswith", "SELECT T.$dtId FROM DIGITALTWINS T WHERE STARTSWITH(T.$dtId, 'room-')"),
    ("startswith-case", "SELECT T.$dtId FROM DIGITALTWINS T WHERE STARTSWITH(T.name, 'room')"),
    ("starts-with-alias", "SELECT T.$dtId FROM DIGITALTWINS T WHERE STARTS_WITH(T.name, 'Room')"),
    ("endswith", "SELECT T.$dtId FROM DIGITALTWINS T WHERE ENDSWITH(T.name, 'room')"),
    ("endswith-dtid", "SELECT T.$dtId FROM DIGITALTWINS T WHERE ENDSWITH(T.$dtId, '-1')"),
    ("contains", "SELECT T.$dtId FROM DIGITALTWINS T WHERE CONTAINS(T.name, 'oo')"),
    (
        "contains-non-string",
        "SELECT T.$dtId FROM DIGITALTWINS T WHERE CONTAINS(T.Temperature, '7')",
    ),
    ("contains-quote", "SELECT T.$dtId FROM DIGITALTWINS T WHERE CONTAINS(T.name, '\\'')"),
    ("not-startswith", "SELECT T.$dtId FROM DIGITALTWINS T WHERE NOT STARTSWITH(T.name, 'Room')"),
    ("startswith-empty", "SELECT T.$dtId FROM DIGITALTWINS T WHERE STARTSWITH(T.name, '')"),
    (
        "not-contains-nested",
        "SELECT T.$dtId FROM DIGITALTWINS T WHERE NOT CONTAINS(T.tags.size, 'm')",
    ),
    (
        "contains-relationship",
        "SELECT R.$relationshipId FROM RELATIONSHIPS R WHERE CONTAINS(R.since, '-0')",
    ),
    (
        "array-contains-int",
        "SELECT T.name FROM DIGITALTWINS T WHERE ARRAY_CONTAINS (T.floor_number, 2)",
    ),
    (
        "array-contains-float",
        "SELECT T.$dtId FROM DIGITALTWINS T WHERE ARRAY_CONTAINS(T.floor_number, 4.5)",
    ),
    (
        "array-contains-float-int",
        "SELECT T.$dtId FROM DIGITALTWINS T WHERE ARRAY_CONTAINS(T.floor_number, 1.0)",
    ),
    (
        "array-contains-not-nested",
        "SELECT T.$dtId FROM DIGITALTWINS T WHERE ARRAY_CONTAINS(T.floor_number, 3)",
    ),
    (
        "array-contains-string",
        "SELECT T.$dtId FROM DIGITALTWINS T WHERE ARRAY_CONTAINS(T.floor_number, '3')",
    ),
    (
        "array-contains-string-not-bool",
        "SELECT T.$dtId FROM DIGITALTWINS T WHERE ARRAY_CONTAINS(T.flags, 'true')",
    ),
    (
        "array-contains-bool",
        "SELECT T.$dtId FROM DIGITALTWINS T WHERE ARRAY_CONTAINS(T.flags, false)",
    ),
    (
        "not-array-contains",
        "SELECT T.$dtId FROM DIGITALTWINS T WHERE NOT ARRAY_CONTAINS(T.floor_number, 1)",
    ),
    (
        "array-contains-non-array",
        "SELECT T.$dtId FROM DIGITALTWINS T WHERE ARRAY_CONTAINS(T.unit, 'C')",
    ),
    (
        "array-contains-unqualified",
        "SELECT * FROM DIGITALTWINS WHERE ARRAY_CONTAINS(floor_number, 1)",
    ),
    # IS_OF_MODEL ----------
    ("iom-base", "SELECT T.$dtId FROM DIGITALTWINS T WHERE IS_OF_MODEL('dtmi:example:Space;1')"),
    ("iom-alias", "SELECT T.$dtId FROM DIGITALTWINS T WHERE IS_OF_MODEL(T, 'dtmi:example:Room;1')"),
    (
        "iom-later-version",
        "SELECT T.$dtId FROM DIGITALTWINS T WHERE IS_OF_MODEL('dtmi:example:Room;2')",
    ),
    (
        "iom-exact",
        "SELECT T.$dtId FROM DIGITALTWINS T WHERE IS_OF_MODEL('dtmi:example:Room;1', exact)",
    ),
    (
        "iom-alias-exact",
        "SELECT T.$dtId FROM DIGITALTWINS T WHERE IS_OF_MODEL(T, 'dtmi:example:Room;2', exact)",
    ),
    (
        "iom-no-alias-declared",
        "SELECT * FROM DIGITALTWINS WHERE IS_OF_MODEL('dtmi:example:Building;1')",
    ),
    (
        "iom-two-parents",
        "SELECT T.$dtId FROM DIGITALTWINS T WHERE IS_OF_MODEL('dtmi:example:HumiditySensor;1')",
    ),
    (
        "iom-transitive",
        "SELECT T.$dtId FROM DIGITALTWINS T WHERE IS_OF_MODEL('dtmi:example:Sensor;1')",
    ),
    (
        "iom-unknown-model",
        "SELECT T.$dtId FROM DIGITALTWINS T WHERE IS_OF_MODEL('dtmi:example:Orphan;1')",
    ),
    (
        "iom-no-such-model",
        "SELECT T.$dtId FROM DIGITALTWINS T WHERE IS_OF_MODEL('dtmi:example:Nope;1')",
    ),
    (
        "iom-higher-version",
        "SELECT T.$dtId FROM DIGITALTWINS T WHERE IS_OF_MODEL('dtmi:example:Room;3')",
    ),
    (
        "iom-case-sensitive",
        "SELECT T.$dtId FROM DIGITALTWINS T WHERE IS_OF_MODEL('dtmi:example:room;1')",
    ),
    ("iom-not", "SELECT T.$dtId FROM DIGITALTWINS T WHERE NOT IS_OF_MODEL('dtmi:example:Space;1')"),
    (
        "iom-not-exact",
        "SELECT T.$dtId FROM DIGITALTWINS T WHERE NOT IS_OF_MODEL(T, 'dtmi:example:Room;1', exact)",
    ),
    (
        "iom-or",
        "SELECT T.$dtId FROM DIGITALTWINS T WHERE IS_OF_MODEL('dtmi:example:Building;1') "
        "OR IS_OF_MODEL('dtmi:example:Floor;1', exact)",
    ),
    (
        "iom-count",
        "SELECT COUNT() FROM DIGITALTWINS "
        "WHERE IS_OF_MODEL('dtmi:example:Room;1') AND Capacity > 5",
    ),
    (
        "iom-two-in-join",
        "SELECT S.$dtId FROM DIGITALTWINS R JOIN S RELATED R.hasSensor "
        f"WHERE R.$dtId IN {ROOMS} AND IS_OF_MODEL(R, 'dtmi:example:Room;2') "
        "AND IS_OF_MODEL(S, 'dtmi:example:Sensor;1')",
    ),
    (
        "model-path",
        "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.$metadata.$model = 'dtmi:example:Room;2'",
    ),
    (
        "model-path-startswith",
        "SELECT T.$dtId FROM DIGITALTWINS T "
        "WHERE STARTSWITH(T.$metadata.$model, 'dtmi:example:Room')",
    ),
    # Paths and escapes ----------
    (
        "metadata-time",
        "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.$metadata.name.lastUpdateTime > '2024-05'",
    ),
    (
        "metadata-last-update",
        "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.$metadata.$lastUpdateTime < '2024-03'",
    ),
    ("etag", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.$etag = 'W/\"t0\"'"),
    ("escape-reserved-word", "SELECT * FROM DIGITALTWINS WHERE [[Group]] = 'BravoTeam'"),
    ("escape-digit-key", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.tags.[[1abc]] = true"),
    (
        "escape-digit-key-defined",
        "SELECT T.$dtId FROM DIGITALTWINS T WHERE IS_DEFINED(T.tags.[[1abc]])",
    ),
    ("escape-space", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.[[a b]] = 'spaced'"),
    ("keyword-key-order", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.order = 'first'"),
    ("keyword-key-order-escaped", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.[[order]] = 2"),
    ("keyword-key-order-null", "SELECT T.$dtId FROM DIGITALTWINS T WHERE IS_NULL(T.order)"),
    ("keyword-key-match", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.match = true"),
    ("keyword-key-select", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.[[select]] = 'kw'"),
    ("escaped-alias", "SELECT [[from]].name FROM DIGITALTWINS [[from]] WHERE [[from]].level = 1"),
    ("component-property", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.thermostat.targetTemp > 20"),
    (
        "component-metadata",
        "SELECT T.$dtId FROM DIGITALTWINS T "
        "WHERE IS_DEFINED(T.thermostat.$metadata.targetTemp.lastUpdateTime)",
    ),
    ("nested-object", "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.address.geo.lat > 40"),
    ("nested-into-string", "SELECT T.$dtId FROM DIGITALTWINS T WHERE NOT T.address.geo.lat = 1"),
    ("nested-into-array", "SELECT T.$dtId FROM DIGITALTWINS T WHERE IS_DEFINED(T.floor_number.x)"),
    ("nested-into-null", "SELECT T.$dtId FROM DIGITALTWINS T WHERE IS_DEFINED(T.address.zip.code)"),
    ("unqualified-dollar", "SELECT * FROM DigitalTwins T WHERE $dtId = 'room-101'"),
    ("unqualified-nested", "SELECT $dtId FROM DIGITALTWINS WHERE address.geo.lon < 0"),
    (
        "multi-line",
        "SELECT  *\nFROM DIGITALTWINS T  \nWHERE T.owner = 'John'\nAND T.$dtId in "
        "['room-101', 'building-1']\nAND T.floors = 3",
    ),
    ("zero-width-space", "SELECT *\u200b FROM DIGITALTWINS WHERE IS_DEFINED(Group)"),
]

# Queries where AGE and the language rules part ways: strict xfails, so a fix is noticed.
KNOWN_BUGS = {
    "paths-null-equals-null": (
        "`path = path` with both sides JSON null is true (null equals null); "
        "conditions.compare_paths compares the two values with AGE operators, which read a "
        "stored null as SQL NULL, so the comparison is NULL"
    ),
    "paths-null-not-ne": (
        "NOT (a != b) is compiled as a = b, NULL for two stored nulls; the rule: null != null "
        "is false, so NOT of it is true"
    ),
}


def _params() -> list[Any]:
    return [
        pytest.param(
            query,
            id=name,
            marks=[pytest.mark.xfail(strict=True, raises=AssertionError, reason=KNOWN_BUGS[name])]
            if name in KNOWN_BUGS
            else [],
        )
        for name, query in CORPUS
    ]


TWINS = conformance_graph.twins()
RELATIONSHIPS = conformance_graph.relationships()


@pytest.fixture(scope="module")
def conn(schema_url: str) -> Iterator[psycopg.Connection]:
    with connect(schema_url) as connection:
        connection.execute("SET statement_timeout = '20s'")
        conformance_graph.load(connection)
        yield connection


def oracle(query: str, *, apply_top: bool = True, **options: Any) -> list[dict[str, Any]]:
    return reference.run(
        query,
        TWINS,
        RELATIONSHIPS,
        conformance_graph.MODELS,
        apply_top=apply_top,
        **options,
    )


def assert_rows(actual: list[dict[str, Any]], query: str, top: int | None, how: str) -> None:
    if top is None:
        assert reference.canonical(actual) == reference.canonical(oracle(query)), how
        return
    everything = reference.canonical(oracle(query, apply_top=False))
    assert len(actual) == min(top, len(everything)), how
    extra = collections.Counter(reference.canonical(actual)) - collections.Counter(everything)
    assert not extra, f"{how}: rows TOP could not have chosen: {extra}"


@pytest.mark.parametrize("query", _params())
def test_age_gives_the_reference_rows(conn: psycopg.Connection, query: str) -> None:
    compiled = compile_query(query)
    pages = all_pages(conn, query, PAGE_SIZE)
    assert all(pages[1:]), "a page after the first is empty"
    assert all(len(page) <= PAGE_SIZE for page in pages)
    through_cypher = run_cypher(conn, compiled, resolve_model_sets(conn, compiled.model_sets))
    assert_rows([row for page in pages for row in page], query, compiled.top, "query_page")
    assert_rows(through_cypher, query, compiled.top, "run_cypher")


def test_the_corpus_is_large_and_its_ids_unique() -> None:
    names = [name for name, _ in CORPUS]
    assert len(names) == len(set(names))
    assert len(CORPUS) >= 150
    assert set(KNOWN_BUGS) <= set(names)


def test_most_queries_find_rows() -> None:
    """A corpus over an empty result tests little: most queries must select something."""
    empty = [name for name, query in CORPUS if oracle(query) in ([], [{"COUNT": 0}])]
    assert len(empty) <= len(CORPUS) // 8, empty


QUIRK_CASES = ["paths-null-equals-null", "paths-null-not-ne"]


@pytest.mark.parametrize("name", QUIRK_CASES)
def test_the_quirks_copy_age_exactly(conn: psycopg.Connection, name: str) -> None:
    """With COMPILER_QUIRKS the oracle gives AGE's rows: what the differential test relies on."""
    query = dict(CORPUS)[name]
    compiled = compile_query(query)
    expected = reference.canonical(oracle(query, quirks=reference.COMPILER_QUIRKS))
    pages = all_pages(conn, query, PAGE_SIZE)
    assert reference.canonical([row for page in pages for row in page]) == expected
    model_sets = resolve_model_sets(conn, compiled.model_sets)
    assert reference.canonical(run_cypher(conn, compiled, model_sets)) == expected


def test_the_oracles_quirks_are_the_known_bugs() -> None:
    """The differential test runs the oracle with COMPILER_QUIRKS; each quirk is a bug here."""
    quirks = {
        reference.NULL_PATHS_UNDEFINED: ("paths-null-equals-null", "paths-null-not-ne"),
    }
    assert set(quirks) == reference.COMPILER_QUIRKS
    for quirk, names in quirks.items():
        for name in names:
            query = dict(CORPUS)[name]
            assert oracle(query) != oracle(query, quirks=[quirk]), name
