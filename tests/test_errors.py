"""QueryError.render(): the message, then the query line with the fault underlined.

Each case is a real failing query, so a test pins both where the compiler puts the span and how the
renderer draws it. Carets line up in a terminal: tabs stay tabs, zero-width characters take no
column, wide (CJK) characters take two.
"""

from __future__ import annotations

import pytest

from adtquery.compiler import compile_query
from adtquery.errors import QueryError, Span


def refusal(text: str) -> QueryError:
    with pytest.raises(QueryError) as caught:
        compile_query(text)
    return caught.value


def position(error: QueryError) -> tuple[int, int]:
    assert error.span is not None
    return error.span.line, error.span.column


def test_fault_at_the_first_character_underlines_the_whole_token() -> None:
    error = refusal("FROM DIGITALTWINS")
    assert error.span == Span(0, 4, 1, 1)
    assert error.render() == (
        "SqlQueryError: expected SELECT, found 'FROM' (line 1, column 1)\n"
        "  FROM DIGITALTWINS\n"
        "  ^^^^"
    )


def test_end_of_input_points_one_past_the_last_character() -> None:
    error = refusal("SELECT * FROM DIGITALTWINS WHERE")
    assert error.span == Span(32, 33, 1, 33)
    assert error.render() == (
        "SqlQueryError: expected a condition, found end of query (line 1, column 33)\n"
        "  SELECT * FROM DIGITALTWINS WHERE\n"
        "                                  ^"
    )


def test_end_of_input_after_a_newline_points_past_the_last_token() -> None:
    error = refusal("SELECT * FROM DIGITALTWINS WHERE\n")
    assert position(error) == (1, 33)
    assert error.render().splitlines()[1:] == [
        "  1 | SELECT * FROM DIGITALTWINS WHERE",
        "    |                                 ^",
    ]


def test_tabs_before_the_fault_stay_tabs() -> None:
    error = refusal("SELECT\t*\tFROM\tDIGITALTWINS\tWHERE\tx\t=\t=")
    assert position(error) == (1, 38)
    header, line, caret = error.render().split("\n")
    assert header == "SqlQueryError: expected a value or a name, found '=' (line 1, column 38)"
    assert line == "  SELECT\t*\tFROM\tDIGITALTWINS\tWHERE\tx\t=\t="
    assert caret == "  " + "      \t \t    \t            \t     \t \t \t^"


def test_multi_line_query_gets_a_gutter_with_the_line_number() -> None:
    error = refusal(
        "SELECT T, CT\nFROM DIGITALTWINS T\nJOIN CT RELATED C.contains\nWHERE T.$dtId = 'x'"
    )
    assert error.reason == "unknown-alias"
    assert error.render() == (
        "SqlQueryError: unknown alias 'C'; aliases in scope: T (line 3, column 17)\n"
        "  3 | JOIN CT RELATED C.contains\n"
        "    |                 ^^^^^^^^^^"
    )


def test_gutter_widens_with_the_line_number() -> None:
    error = refusal("\n" * 9 + "SELECT * FROM DIGITALTWINS WHERE x = = 1")
    assert error.render().split("\n")[1:] == [
        "  10 | SELECT * FROM DIGITALTWINS WHERE x = = 1",
        "     |                                      ^",
    ]


def test_a_span_running_over_a_line_end_is_underlined_to_the_end_of_its_first_line() -> None:
    error = refusal(
        "SELECT T FROM DIGITALTWINS T JOIN C RELATED T.contains\nWHERE T.x = 1\n  AND C.y = 2"
    )
    assert error.reason == "missing-dtid-anchor"
    assert error.render().split("\n")[1:] == ["  2 | WHERE T.x = 1", "    |       ^^^^^^^"]


def test_zero_width_space_before_the_fault_takes_no_column() -> None:
    text = "SELECT *\u200b FROM DIGITALTWINS WHERE x = = 1"
    error = refusal(text)
    # Columns count characters (U+200B is one), the caret counts what a terminal shows (nothing).
    assert position(error) == (1, 39)
    assert error.render().split("\n")[1:] == [f"  {text}", "  " + " " * 37 + "^"]


def test_byte_order_mark_and_word_joiner_take_no_column_either() -> None:
    text = "\ufeffSELECT\u2060 * FROM DIGITALTWINS WHERE x = = 1"
    error = refusal(text)
    assert error.render().split("\n")[2] == "  " + " " * 37 + "^"


def test_a_wide_character_at_the_fault_gets_two_carets() -> None:
    error = refusal("SELECT * FROM DIGITALTWINS WHERE 名前 = 1")
    assert error.span == Span(33, 34, 1, 34)
    assert error.render() == (
        "SqlQueryError: expected a condition, found the character '名' (line 1, column 34)\n"
        "  SELECT * FROM DIGITALTWINS WHERE 名前 = 1\n"
        "                                   ^^"
    )


def test_wide_characters_before_the_fault_pad_two_columns_each() -> None:
    error = refusal("SELECT * FROM DIGITALTWINS WHERE [[名前]] = = 1")
    assert position(error) == (1, 43)
    # 42 characters before the fault, two of them wide: 44 columns.
    assert error.render().split("\n")[2] == "  " + " " * 44 + "^"


def test_first_line_of_the_message_is_the_rest_message() -> None:
    error = refusal("SELECT * FROM DIGITALTWINS WHERE x = 'never closed")
    assert str(error) == error.render().split("\n")[0].removeprefix("SqlQueryError: ")
    assert error.code == "SqlQueryError"
    assert error.description in str(error)


def test_an_error_without_a_span_renders_only_its_header() -> None:
    error = QueryError("no position", reason="syntax", text="SELECT", span=None)
    assert error.render() == "SqlQueryError: no position"
    assert str(error) == "no position"
