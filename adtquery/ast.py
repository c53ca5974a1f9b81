"""The typed, immutable syntax tree of an ADT query.

Nodes use ADT's own words. Every node carries its `span`, excluded from equality so that a query
printed and parsed again compares equal to the original wherever its tokens sat.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from adtquery.errors import Span


@dataclass(frozen=True, slots=True)
class Node:
    span: Span | None = field(default=None, compare=False, repr=False, kw_only=True)


# Literals ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class String(Node):
    value: str


@dataclass(frozen=True, slots=True)
class Number(Node):
    value: int | float


@dataclass(frozen=True, slots=True)
class Boolean(Node):
    value: bool


@dataclass(frozen=True, slots=True)
class Null(Node):
    pass


Literal = String | Number | Boolean | Null


@dataclass(frozen=True, slots=True)
class Path(Node):
    """`T.prop.sub`, `$dtId` or a bare name; which part is an alias is decided by analysis."""

    parts: tuple[str, ...]


Operand = Path | Literal


# Conditions -------------------------------------------------------------------------------------


class Comparator(enum.Enum):
    EQ = "="
    NE = "!="
    LT = "<"
    GT = ">"
    LE = "<="
    GE = ">="


class TypeFunction(enum.Enum):
    IS_DEFINED = "IS_DEFINED"
    IS_NULL = "IS_NULL"
    IS_BOOL = "IS_BOOL"
    IS_NUMBER = "IS_NUMBER"
    IS_STRING = "IS_STRING"
    IS_PRIMITIVE = "IS_PRIMITIVE"
    IS_OBJECT = "IS_OBJECT"


class StringFunction(enum.Enum):
    STARTSWITH = "STARTSWITH"
    ENDSWITH = "ENDSWITH"
    CONTAINS = "CONTAINS"


@dataclass(frozen=True, slots=True)
class Comparison(Node):
    left: Operand
    op: Comparator
    right: Operand


@dataclass(frozen=True, slots=True)
class InList(Node):
    operand: Path
    values: tuple[Literal, ...]
    negated: bool


@dataclass(frozen=True, slots=True)
class TypeCheck(Node):
    function: TypeFunction
    path: Path


@dataclass(frozen=True, slots=True)
class StringMatch(Node):
    function: StringFunction
    path: Path
    value: str


@dataclass(frozen=True, slots=True)
class ArrayContains(Node):
    path: Path
    value: Literal


@dataclass(frozen=True, slots=True)
class IsOfModel(Node):
    alias: str | None
    model: str
    exact: bool


@dataclass(frozen=True, slots=True)
class Not(Node):
    operand: Expr


@dataclass(frozen=True, slots=True)
class And(Node):
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Or(Node):
    left: Expr
    right: Expr


Expr = Comparison | InList | TypeCheck | StringMatch | ArrayContains | IsOfModel | Not | And | Or


# SELECT -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Star(Node):
    pass


@dataclass(frozen=True, slots=True)
class Count(Node):
    pass


@dataclass(frozen=True, slots=True)
class Projection(Node):
    path: Path
    alias: str | None


@dataclass(frozen=True, slots=True)
class Select(Node):
    top: int | None
    body: Star | Count | tuple[Projection, ...]


# FROM -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Join(Node):
    """`JOIN target RELATED related[0].related[1] [alias]`."""

    target: str
    related: Path
    alias: str | None

    @property
    def source(self) -> str:
        return self.related.parts[0]

    @property
    def relationship(self) -> str:
        return self.related.parts[1]


@dataclass(frozen=True, slots=True)
class FromTwins(Node):
    alias: str | None
    joins: tuple[Join, ...] = ()


@dataclass(frozen=True, slots=True)
class FromRelationships(Node):
    alias: str | None


class Direction(enum.Enum):
    RIGHT = "->"
    LEFT = "<-"
    ANY = "-"

    @property
    def arrows(self) -> tuple[str, str]:
        """What stands left and right of `[...]`; ADT and Cypher write hops alike."""
        return {"->": ("-", "->"), "<-": ("<-", "-"), "-": ("-", "-")}[self.value]


@dataclass(frozen=True, slots=True)
class HopCount(Node):
    """`*upper`, `*lower..upper` or `*..upper`, exactly as written."""

    lower: int | None
    upper: int
    is_range: bool


@dataclass(frozen=True, slots=True)
class Hop(Node):
    direction: Direction
    alias: str | None
    names: tuple[str, ...]
    count: HopCount | None


@dataclass(frozen=True, slots=True)
class NodePattern(Node):
    alias: str | None


@dataclass(frozen=True, slots=True)
class FromMatch(Node):
    """`DIGITALTWINS MATCH (a)-[...]->(b)...`: nodes and the hops between them, in order."""

    nodes: tuple[NodePattern, ...]
    hops: tuple[Hop, ...]


Source = FromTwins | FromRelationships | FromMatch


@dataclass(frozen=True, slots=True)
class Query(Node):
    select: Select
    source: Source
    where: Expr | None
