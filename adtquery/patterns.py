"""JOIN chains and MATCH patterns as fixed-length branches of steps.

A MATCH hop with a range (`*2..3`) becomes one branch per length, so no generator ever needs AGE's
variable-length edges, which scan every twin on each call (../shared/apache-age.md §4, §11).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from adtquery import ast
from adtquery.analyze import Analyzed, Hop

# Keys for the steps and intermediate twins a branch invents; no alias can contain "]]".
_EDGE = "]]edge"
_NODE = "]]node"


@dataclass(frozen=True, slots=True)
class Step:
    """One relationship from `source` to `target` (as written; `direction` says which is which)."""

    edge: str
    source: str
    target: str
    direction: ast.Direction
    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Branch:
    """One fixed-length shape of the query's pattern: its twins in order and the steps between."""

    twins: tuple[str, ...]
    steps: tuple[Step, ...]

    @property
    def entities(self) -> tuple[str, ...]:
        """Every twin and relationship, in the order that makes a row's identity."""
        return self.twins + tuple(step.edge for step in self.steps)


def branches(analyzed: Analyzed) -> tuple[Branch, ...]:
    if analyzed.hops or analyzed.match_nodes:
        return tuple(_match_branches(analyzed))
    if analyzed.edges:
        steps = tuple(
            Step(edge.relationship or f"{_EDGE}{index}", edge.source, edge.target,
                 ast.Direction.RIGHT, (edge.name,))
            for index, edge in enumerate(analyzed.edges)
        )  # fmt: skip
        return (Branch(analyzed.twins(), steps),)
    root = next(iter(analyzed.scope.collections))
    if analyzed.from_relationships:
        step = Step(root, f"{_NODE}source", f"{_NODE}target", ast.Direction.RIGHT, ())
        return (Branch((step.source, step.target), (step,)),)
    return (Branch((root,), ()),)


def _match_branches(analyzed: Analyzed) -> list[Branch]:
    lengths = [range(hop.min_hops, hop.max_hops + 1) for hop in analyzed.hops]
    result = []
    for choice in itertools.product(*lengths):
        twins = [analyzed.match_nodes[0]]
        steps: list[Step] = []
        for index, (hop, length) in enumerate(zip(analyzed.hops, choice, strict=True)):
            stops = [f"{_NODE}{index}.{i}" for i in range(1, length)] + [hop.target]
            steps.extend(_expand(hop, index, [hop.source, *stops]))
            twins.extend(stops)
        result.append(Branch(tuple(twins), tuple(steps)))
    return result


def _expand(hop: Hop, index: int, stops: list[str]) -> list[Step]:
    if hop.relationship is not None:
        return [Step(hop.relationship, stops[0], stops[1], hop.direction, hop.names)]
    return [
        Step(f"{_EDGE}{index}.{i}", left, right, hop.direction, hop.names)
        for i, (left, right) in enumerate(itertools.pairwise(stops))
    ]
