"""Continuation tokens: round trip, and refusal of anything altered, cut or misplaced."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adtquery import paging
from adtquery.compiler import compile_query
from adtquery.errors import BadRequest

SECRET = b"test-secret"
QUERY = "SELECT * FROM DIGITALTWINS"
KEY_TYPES = ("integer", "graphid", "graphid")


def token(after: tuple = (1, "844424930131969", None), remaining: int | None = 5) -> str:
    return paging.encode(paging.Position(QUERY, after, remaining), SECRET)


def test_round_trip() -> None:
    position = paging.decode(token(), SECRET, QUERY)
    assert position == paging.Position(QUERY, (1, "844424930131969", None), 5)
    paging.check_fits(position, KEY_TYPES)


def test_the_query_may_be_left_out() -> None:
    assert paging.decode(token(), SECRET, None).query == QUERY


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(lambda t: t[:-3], id="truncated"),
        pytest.param(lambda t: t[:10] + ("A" if t[10] != "A" else "B") + t[11:], id="one-char"),
        pytest.param(lambda t: t.replace(".", ""), id="no-signature"),
        pytest.param(lambda t: "", id="empty"),
        pytest.param(lambda t: "MATCH (n) DETACH DELETE n", id="cypher"),
        pytest.param(lambda t: t + ".x", id="extra-part"),
    ],
)
def test_altered_tokens_are_refused(bad) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BadRequest) as caught:
        paging.decode(bad(token()), SECRET, QUERY)
    assert caught.value.code == "BadRequest"


def test_another_secret_is_refused() -> None:
    with pytest.raises(BadRequest):
        paging.decode(token(), b"other", QUERY)


def test_another_query_is_refused() -> None:
    with pytest.raises(BadRequest, match="another query"):
        paging.decode(token(), SECRET, "SELECT T FROM DIGITALTWINS T")


@pytest.mark.parametrize(
    "after",
    [
        pytest.param((1, "844424930131969"), id="too-short"),
        pytest.param(("1", "84", "85"), id="branch-not-int"),
        pytest.param((1, "84; DROP TABLE x", None), id="not-a-graphid"),
        pytest.param((-1, "84", "85"), id="negative-branch"),
        pytest.param((1, 84, "85"), id="graphid-as-number"),
    ],
)
def test_positions_that_do_not_fit_are_refused(after: tuple) -> None:
    position = paging.decode(token(after), SECRET, QUERY)
    with pytest.raises(BadRequest, match="does not fit"):
        paging.check_fits(position, KEY_TYPES)


@given(st.text(max_size=200))
def test_arbitrary_text_is_refused_with_bad_request(text: str) -> None:
    with pytest.raises(BadRequest):
        paging.decode(text, SECRET, QUERY)


def test_a_page_statement_has_its_row_limit_written_in() -> None:
    # A parameter would leave a prepared statement's generic plan guessing ten rows.
    paged = compile_query("SELECT * FROM DIGITALTWINS T WHERE T.x = 'y'").paged
    assert paged.page(101, resumed=False) == paged.first.replace("%(limit)s", "101")
    assert paged.next is not None
    assert paged.page(7, resumed=True) == paged.next.replace("%(limit)s", "7")
    assert "%(limit)s" not in paged.page(7, resumed=True)
