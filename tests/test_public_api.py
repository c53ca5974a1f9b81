"""The package's front door: compile_query, parse and the printer, as the README shows them."""

from __future__ import annotations

import pytest

import adtquery


def test_compile_query_is_cached_and_complete() -> None:
    text = "SELECT * FROM DIGITALTWINS T WHERE STARTSWITH(T.$dtId, 'room')"
    compiled = adtquery.compile_query(text)
    assert compiled is adtquery.compile_query(text)
    assert compiled.params == {"p0": "room"}
    assert "STARTS WITH $p0" in compiled.cypher
    assert "ORDER BY t0.id" in compiled.paged.first


def test_parse_and_print_back() -> None:
    query = adtquery.parse("select * from digitaltwins where x = 1")
    assert adtquery.to_text(query) == "SELECT * FROM DIGITALTWINS WHERE x = 1"


def test_refusals_carry_adt_code() -> None:
    with pytest.raises(adtquery.QueryError) as caught:
        adtquery.compile_query("foo")
    assert caught.value.code == "SqlQueryError"
    assert caught.value.status == 400
