"""Hypothesis strategies: syntax trees the parser can build, and text that mostly cannot parse.

Trees are generated directly (not text), then printed: a random tree exercises every printer and
parser path, where random text would rarely get past `SELECT`. Names cover plain identifiers,
reserved words, and names that need `[[...]]`; they never contain `]]`, end in `]` or are empty,
because no ADT token can spell those.
"""

from __future__ import annotations

import operator
import re
import string
from dataclasses import dataclass

from hypothesis import strategies as st

from adtquery import ast
from adtquery.printer import to_text

# Names ------------------------------------------------------------------------------------------

_SYSTEM_SHAPED = re.compile(r"\$[A-Za-z_][A-Za-z0-9_]*")

_LETTERS = string.ascii_letters + "_"
plain_names = st.builds(
    operator.add, st.sampled_from(_LETTERS), st.text(_LETTERS + string.digits, max_size=7)
)
reserved_names = st.sampled_from(
    ["select", "SELECT", "where", "Group", "from", "And", "or", "NOT", "in", "nin", "not_in",
     "true", "False", "null", "top", "count", "as", "digitaltwins", "relationships", "join",
     "related", "match", "exact", "is_of_model", "array_contains", "is_defined", "IS_NULL",
     "startswith", "starts_with", "contains", "order", "by", "asc", "devices"]
)  # fmt: skip
awkward_names = st.sampled_from(
    ["1abc", "a b", "ü", "0", "a-b", "x.y", "日本語", "a\nb", "'q'", "[[a", "a]b", "(x)", "-[", "*",
     "a,b", "tab\there", "$", "$1", "\u200b", " ", "]x", "`x`", "%s", "$cypher$"]
)  # fmt: skip
escaped_texts = st.text(min_size=1, max_size=8).filter(
    lambda s: "]]" not in s and not s.endswith("]")
)
system_names = st.sampled_from(
    ["$dtId", "$etag", "$metadata", "$model", "$lastUpdateTime", "$sourceId", "$targetId",
     "$relationshipId", "$relationshipName", "$x_1"]
)  # fmt: skip

# A name after `.` or `:` (a property, a relationship name): anything a token can spell.
names = st.one_of(plain_names, reserved_names, awkward_names, escaped_texts, system_names)

# A name where the grammar takes only NAME or [[...]] (collection and column aliases). A name that
# looks like a system property (`$x`) is left out: the printer writes it bare where the grammar
# wants an alias (see test_properties.py::test_alias_shaped_like_a_system_property_round_trips).
aliases = st.one_of(plain_names, reserved_names, awkward_names, escaped_texts).filter(
    lambda s: not _SYSTEM_SHAPED.fullmatch(s)
)
optional_aliases = st.none() | aliases


# Literals ---------------------------------------------------------------------------------------

strings = st.builds(ast.String, st.text())
numbers = st.builds(
    ast.Number,
    st.one_of(st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=False, allow_infinity=False)),
)
booleans = st.builds(ast.Boolean, st.booleans())
literals = st.one_of(strings, numbers, booleans, st.just(ast.Null()))


# Conditions -------------------------------------------------------------------------------------


@st.composite
def paths(draw: st.DrawFn) -> ast.Path:
    head = draw(st.one_of(aliases, system_names))
    rest = draw(st.lists(names, max_size=3))
    return ast.Path((head, *rest))


operands = st.one_of(paths(), literals)

comparisons = st.builds(ast.Comparison, operands, st.sampled_from(ast.Comparator), operands)
in_lists = st.builds(ast.InList, paths(), st.lists(literals, max_size=4).map(tuple), st.booleans())
type_checks = st.builds(ast.TypeCheck, st.sampled_from(ast.TypeFunction), paths())
string_matches = st.builds(ast.StringMatch, st.sampled_from(ast.StringFunction), paths(), st.text())
array_contains = st.builds(ast.ArrayContains, paths(), literals)
is_of_models = st.builds(ast.IsOfModel, optional_aliases, st.text(), st.booleans())

predicates = st.one_of(
    comparisons, in_lists, type_checks, string_matches, array_contains, is_of_models
)


def _combine(children: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.Expr]:
    return st.one_of(
        st.builds(ast.Not, children),
        st.builds(ast.And, children, children),
        st.builds(ast.Or, children, children),
    )


conditions = st.recursive(predicates, _combine, max_leaves=8)


# SELECT -----------------------------------------------------------------------------------------

projections = st.builds(ast.Projection, paths(), optional_aliases)
selects = st.builds(
    ast.Select,
    st.none() | st.integers(min_value=1, max_value=10**6),
    st.one_of(
        st.builds(ast.Star),
        st.builds(ast.Count),
        st.lists(projections, min_size=1, max_size=4).map(tuple),
    ),
)


# FROM -------------------------------------------------------------------------------------------

joins = st.builds(ast.Join, aliases, st.tuples(aliases, names).map(ast.Path), optional_aliases)
from_twins = st.builds(ast.FromTwins, optional_aliases, st.lists(joins, max_size=3).map(tuple))
from_relationships = st.builds(ast.FromRelationships, optional_aliases)

hop_counts = st.one_of(
    st.builds(ast.HopCount, st.none(), st.integers(0, 20), st.just(False)),  # *3
    st.builds(ast.HopCount, st.integers(0, 20), st.integers(0, 20), st.just(True)),  # *1..3
    st.builds(ast.HopCount, st.none(), st.integers(0, 20), st.just(True)),  # *..3
)
hops = st.builds(
    ast.Hop,
    st.sampled_from(ast.Direction),
    optional_aliases,
    st.lists(names, max_size=3).map(tuple),
    st.none() | hop_counts,
)


@st.composite
def from_matches(draw: st.DrawFn) -> ast.FromMatch:
    steps = draw(st.lists(hops, max_size=3))
    nodes = draw(
        st.lists(
            st.builds(ast.NodePattern, optional_aliases),
            min_size=len(steps) + 1,
            max_size=len(steps) + 1,
        )
    )
    return ast.FromMatch(tuple(nodes), tuple(steps))


sources = st.one_of(from_twins, from_relationships, from_matches())

queries = st.builds(ast.Query, selects, sources, st.none() | conditions)


# Text for the crash property --------------------------------------------------------------------

TOKENS = (
    "SELECT", "select", "FROM", "WHERE", "DIGITALTWINS", "DigitalTwins", "RELATIONSHIPS", "JOIN",
    "RELATED", "MATCH", "AND", "OR", "NOT", "IN", "NIN", "TOP", "COUNT", "AS", "IS_OF_MODEL",
    "exact", "ARRAY_CONTAINS", "STARTSWITH", "ENDSWITH", "CONTAINS", "STARTS_WITH", "IS_DEFINED",
    "IS_NULL", "IS_BOOL", "IS_NUMBER", "IS_STRING", "IS_PRIMITIVE", "IS_OBJECT", "true", "false",
    "null", "GROUP", "ORDER", "BY",
    "(", ")", "[", "]", ",", ".", "*", "-", "->", "<-", ":", "|", "..", "=", "!=", "<", ">", "<=",
    ">=", "[[", "]]", "'", '"', "\\", "\u2018", "\u201d",
    "T", "R", "CT", "a", "b", "T.x", "T.$dtId", "$dtId", "$metadata.$model", "$sourceId",
    "$relationshipName", "[[Group]]", "[[1abc]]", "[[a b]]", "r",
    "'x'", "'it\\'s'", "'\\q'", "'\\u00e9'", "'unterminated", '"dq"', "'dtmi:example:Room;1'",
    "0", "1", "2", "-2.5", "1e999", "3..5", "*2", "*1..3", "*..2", "9" * 30,
    " ", "\n", "\t", "\u200b", "\u202f", "\ufeff",
)  # fmt: skip
_SEPARATORS = st.sampled_from(["", " ", " ", " ", "\n", "\t", "\u200b", "\u202f"])
_noise = st.text(max_size=3)


@st.composite
def token_soup(draw: st.DrawFn) -> str:
    """Grammar tokens and random unicode, joined by random (sometimes no) whitespace."""
    pieces = draw(
        st.lists(
            st.tuples(st.one_of(st.sampled_from(TOKENS), plain_names, _noise), _SEPARATORS),
            max_size=30,
        )
    )
    return "".join(token + separator for token, separator in pieces)


@st.composite
def mutated_queries(draw: st.DrawFn) -> str:
    """A printed random tree with a few tokens inserted, deleted or replaced."""
    text = to_text(draw(queries))
    for _ in range(draw(st.integers(0, 3))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 8)))
        insert = draw(st.sampled_from(["", *TOKENS]) | _noise)
        text = text[:start] + insert + text[end:]
    return text


# Queries that pass analysis ---------------------------------------------------------------------
# Built to satisfy every rule in analyze.py, so that the Cypher and SQL generators see variety.
# Null inside IN lists and in ARRAY_CONTAINS is left out: analysis refuses it. The helpers take
# `draw` and build no strategies per draw, which keeps generation fast.

_TWIN_SYSTEM_KEYS = st.sampled_from(
    [("$dtId",), ("$etag",), ("$metadata", "$model"), ("$metadata", "$lastUpdateTime"),
     ("$metadata", "temperature", "lastUpdateTime")]
)  # fmt: skip
_RELATIONSHIP_SYSTEM_KEYS = st.sampled_from(
    [("$relationshipId",), ("$sourceId",), ("$targetId",), ("$relationshipName",), ("$etag",)]
)
# A leading `$` names a system property, which must be one of the lists above.
_user_keys = st.tuples(
    st.one_of(plain_names, reserved_names, awkward_names, escaped_texts).filter(
        lambda s: not s.startswith("$")
    ),
    st.lists(names, max_size=2),
).map(lambda pair: (pair[0], *pair[1]))
_twin_keys = st.one_of(_TWIN_SYSTEM_KEYS, _user_keys)
_relationship_keys = st.one_of(_RELATIONSHIP_SYSTEM_KEYS, _user_keys)
_list_literals = st.lists(st.one_of(strings, numbers, booleans), max_size=4).map(tuple)
_comparators = st.sampled_from(ast.Comparator)
_hop_counts_for_match = st.one_of(
    st.none(),
    st.builds(ast.HopCount, st.none(), st.integers(1, 3), st.just(False)),
    st.integers(0, 2).flatmap(
        lambda low: st.builds(ast.HopCount, st.just(low), st.integers(low + 1, 3), st.just(True))
    ),
    st.builds(ast.HopCount, st.none(), st.integers(1, 3), st.just(True)),
)
_dtids = st.builds(ast.String, st.text(max_size=10))


@dataclass(frozen=True)
class _Scope:
    """What a generated query declares; `single`: one collection, whose properties may go
    unqualified (with JOIN or MATCH, anonymous nodes count as collections too). The empty name
    stands for an anonymous single collection."""

    twins: tuple[str, ...]
    relationships: tuple[str, ...]
    single: bool

    @property
    def named_twins(self) -> list[str]:
        return [t for t in self.twins if t]


def _path(draw: st.DrawFn, scope: _Scope, twin_only: bool = False) -> ast.Path:
    collections = [(t, _twin_keys) for t in scope.twins]
    if not twin_only:
        collections += [(r, _relationship_keys) for r in scope.relationships]
    collection, keys_strategy = draw(st.sampled_from(collections))
    keys = draw(keys_strategy)
    if scope.single and (not collection or (keys[0] != collection and draw(st.booleans()))):
        return ast.Path(keys)  # unqualified: the root's property
    return ast.Path((collection, *keys))


def _predicate(draw: st.DrawFn, scope: _Scope) -> ast.Expr:
    kinds = 8 if scope.twins else 6
    kind = draw(st.integers(0, kinds - 1))
    path = _path(draw, scope)
    if kind == 0:
        return ast.Comparison(path, draw(_comparators), draw(literals))
    if kind == 1:
        return ast.Comparison(draw(literals), draw(_comparators), path)
    if kind == 2:
        return ast.Comparison(path, draw(_comparators), _path(draw, scope))
    if kind == 3:
        return ast.InList(path, draw(_list_literals), draw(st.booleans()))
    if kind == 4:
        return ast.TypeCheck(draw(st.sampled_from(ast.TypeFunction)), path)
    if kind == 5:
        return ast.StringMatch(draw(st.sampled_from(ast.StringFunction)), path, draw(st.text()))
    if kind == 6:
        value = draw(st.one_of(strings, numbers, booleans))
        return ast.ArrayContains(_path(draw, scope, twin_only=True), value)
    # With one collection, IS_OF_MODEL may leave its collection out.
    collections = [None, *scope.named_twins] if scope.single else scope.named_twins
    return ast.IsOfModel(draw(st.sampled_from(collections)), draw(st.text()), draw(st.booleans()))


def _condition(draw: st.DrawFn, scope: _Scope, depth: int = 0) -> ast.Expr:
    kind = draw(st.integers(0, 5 if depth < 3 else 0))
    if kind <= 2:
        return _predicate(draw, scope)
    if kind == 3:
        return ast.Not(_condition(draw, scope, depth + 1))
    pair = (_condition(draw, scope, depth + 1), _condition(draw, scope, depth + 1))
    return ast.And(*pair) if kind == 4 else ast.Or(*pair)


def _projections(draw: st.DrawFn, scope: _Scope) -> tuple[ast.Projection, ...]:
    whole = [c for c in (*scope.twins, *scope.relationships) if c]
    columns: dict[str, ast.Projection] = {}
    for _ in range(draw(st.integers(1, 4))):
        if whole and draw(st.booleans()):
            path = ast.Path((draw(st.sampled_from(whole)),))
        else:
            path = _path(draw, scope)
        item = ast.Projection(path, draw(optional_aliases))
        # A column is named by its alias, else by its path's last part (analyze.select).
        columns.setdefault(item.alias or path.parts[-1], item)
    return tuple(columns.values())


def _fresh(draw: st.DrawFn, used: set[str]) -> str:
    """An alias not yet declared (a suffix keeps it legal: no name ends in `]`)."""
    name = draw(aliases)
    while name in used:
        name += "2"
    used.add(name)
    return name


def _anchor(draw: st.DrawFn, twin: str) -> ast.Expr:
    """`twin.$dtId = '...'` or `twin.$dtId IN [...]`: what JOIN and MATCH need at the top."""
    path = ast.Path((twin, "$dtId"))
    kind = draw(st.integers(0, 2))
    if kind == 0:
        return ast.Comparison(path, ast.Comparator.EQ, draw(_dtids))
    if kind == 1:
        return ast.Comparison(draw(_dtids), ast.Comparator.EQ, path)
    return ast.InList(path, tuple(draw(st.lists(_dtids, max_size=3))), False)


def _query(draw: st.DrawFn, scope: _Scope, source: ast.Source) -> ast.Query:
    top = draw(st.none() | st.integers(1, 1000))
    bodies: list[ast.Star | ast.Count | None] = [None]  # None: projections
    if scope.single:
        bodies.append(ast.Star())
    if top is None:
        bodies.append(ast.Count())
    body = draw(st.sampled_from(bodies)) or _projections(draw, scope)
    where = _condition(draw, scope) if draw(st.booleans()) else None
    if not scope.single:
        anchor = _anchor(draw, draw(st.sampled_from(scope.named_twins)))
        where = (
            anchor
            if where is None
            else draw(st.sampled_from([ast.And(anchor, where), ast.And(where, anchor)]))
        )
    return ast.Query(ast.Select(top, body), source, where)


@st.composite
def compilable_queries(draw: st.DrawFn) -> ast.Query:
    kind = draw(st.sampled_from(["twins", "relationships", "join", "match"]))
    if kind == "twins":
        alias = draw(optional_aliases)
        return _query(draw, _Scope((alias or "",), (), True), ast.FromTwins(alias))
    if kind == "relationships":
        alias = draw(optional_aliases)
        return _query(draw, _Scope((), (alias or "",), True), ast.FromRelationships(alias))
    used: set[str] = set()
    twins = [_fresh(draw, used)]
    relationships: list[str] = []
    if kind == "join":
        joins = []
        for _ in range(draw(st.integers(1, 5))):
            start = draw(st.sampled_from(twins))
            twins.append(_fresh(draw, used))
            relationship = _fresh(draw, used) if draw(st.booleans()) else None
            relationships += [relationship] if relationship else []
            joins.append(ast.Join(twins[-1], ast.Path((start, draw(names))), relationship))
        source: ast.Source = ast.FromTwins(twins[0], tuple(joins))
    else:
        nodes = [ast.NodePattern(twins[0])]
        steps = []
        for _ in range(draw(st.integers(0, 3))):
            count = draw(_hop_counts_for_match)
            one_hop = count is None or (count.upper == 1 and not count.lower)
            variable = _fresh(draw, used) if one_hop and draw(st.booleans()) else None
            relationships += [variable] if variable else []
            direction = draw(st.sampled_from(ast.Direction))
            hop_names = tuple(draw(st.lists(names, max_size=2)))
            steps.append(ast.Hop(direction, variable, hop_names, count))
            node = _fresh(draw, used) if draw(st.booleans()) else None
            twins += [node] if node else []
            nodes.append(ast.NodePattern(node))
        source = ast.FromMatch(tuple(nodes), tuple(steps))
    return _query(draw, _Scope(tuple(twins), tuple(relationships), False), source)
