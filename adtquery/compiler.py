"""compile_query: parse -> analyze -> generate, cached per query text."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from adtquery import cypher, sql
from adtquery.analyze import Analyzed, ShapeKind, analyze
from adtquery.params import Params
from adtquery.parser import parse, too_complex
from adtquery.printer import to_text


@dataclass(frozen=True)
class CompiledQuery:
    """Everything needed to run an ADT query on AGE and shape its rows as ADT does.

    `cypher` with `params` is the translation (what `adtquery translate` shows); `statement` runs
    it through AGE's cypher(). `paged` is the same query as SQL over AGE's label tables, which the
    executor runs so that page k of a result costs what page 1 costs (docs/schema.md, paging).
    `model_sets` maps parameters to IS_OF_MODEL ids the executor expands through inheritance.
    """

    text: str
    canonical: str
    analyzed: Analyzed
    cypher: str
    params: dict[str, Any]
    model_sets: dict[str, str]
    statement: str
    paged: sql.PagedSql

    @property
    def shape(self) -> ShapeKind:
        return self.analyzed.shape

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.analyzed.columns)

    @property
    def top(self) -> int | None:
        return self.analyzed.top


@functools.lru_cache(maxsize=1024)
def compile_query(text: str) -> CompiledQuery:
    """Compile ADT query text, or raise `QueryError` (ADT's SqlQueryError) saying where and why."""
    query = parse(text)
    params, model_sets = Params(), Params("m")
    try:
        analyzed = analyze(query, text)
        translation = cypher.generate(analyzed, params, model_sets)
        paged = sql.generate(analyzed, params, model_sets)
    except RecursionError:
        raise too_complex(text) from None
    return CompiledQuery(
        text=text,
        canonical=to_text(query),
        analyzed=analyzed,
        cypher=translation.text,
        params=dict(params.values),
        model_sets=dict(model_sets.values),
        statement=cypher.statement(translation, analyzed.shape, analyzed.top is not None),
        paged=paged,
    )
