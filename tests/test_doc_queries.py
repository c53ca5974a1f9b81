"""Every query from the ADT documentation: the valid ones compile, the invalid ones fail in words.

The queries live in ../shared/adt-doc-queries.jsonl, beside the project root (CI clones the project
with shared/ next to it). Each line is one test, named after its index and its source's anchor.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from adtquery.compiler import compile_query
from adtquery.errors import QueryError
from adtquery.parser import parse
from adtquery.printer import to_text

DOC_QUERIES = Path(__file__).resolve().parents[1].parent / "shared" / "adt-doc-queries.jsonl"

# What a message must never show: lark's token and tree reprs, its anonymous terminal names, and
# keyword terminals with the underscore that hides them from the tree.
INTERNALS = ("Token(", "__ANON", "Tree(", "_SELECT")


def _load() -> list[dict[str, Any]]:
    lines = DOC_QUERIES.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _id(index: int, entry: dict[str, Any]) -> str:
    source = entry["source"]
    anchor = source.rsplit("#", 1)[1] if "#" in source else source.rsplit("/", 1)[-1]
    return f"doc-{index}-" + re.sub(r"[^A-Za-z0-9_.-]+", "-", anchor).strip("-")[:60]


ENTRIES = _load()
IDS = [_id(index, entry) for index, entry in enumerate(ENTRIES)]
VALID = [pytest.param(e["query"], id=i) for i, e in zip(IDS, ENTRIES, strict=True) if e["valid"]]
INVALID = [
    pytest.param(e["query"], id=i) for i, e in zip(IDS, ENTRIES, strict=True) if not e["valid"]
]


def test_the_file_has_every_documented_query() -> None:
    # 210 when written: 143 valid, 67 invalid (historical, negative examples, templates).
    assert len(ENTRIES) >= 210
    assert len(set(IDS)) == len(IDS)
    assert len(VALID) >= 143
    assert len(INVALID) >= 67


@pytest.mark.parametrize("query", VALID)
def test_valid_query_compiles(query: str) -> None:
    compiled = compile_query(query)
    assert compiled.cypher
    assert compiled.statement


@pytest.mark.parametrize("query", VALID)
def test_canonical_text_parses_back_to_the_same_tree(query: str) -> None:
    tree = parse(query)
    canonical = to_text(tree)
    assert parse(canonical) == tree
    assert to_text(parse(canonical)) == canonical


@pytest.mark.parametrize("query", INVALID)
def test_invalid_query_is_refused_with_a_position(query: str) -> None:
    with pytest.raises(QueryError) as caught:
        compile_query(query)
    error = caught.value
    assert error.code == "SqlQueryError"
    assert error.span is not None
    assert error.span.line >= 1
    assert error.span.column >= 1
    for text in (str(error), error.render()):
        leaked = [marker for marker in INTERNALS if marker in text and marker not in query]
        assert not leaked, text
