"""DTDL model identity: which models IS_OF_MODEL('dtmi:...;N') takes in.

ADT: a twin is of model `dtmi:x:y;N` if its model, or any model it extends (transitively), is
`dtmi:x:y` at version N or later. `exact` takes the id as written, nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def split_dtmi(model: str) -> tuple[str, int | None]:
    """`dtmi:x:y;3` -> (`dtmi:x:y`, 3); an id without a numeric version keeps its whole text."""
    base, _, version = model.rpartition(";")
    if base and version.isdigit():
        return base, int(version)
    return model, None


def is_version_of(candidate: str, wanted: str) -> bool:
    """Whether `candidate` is `wanted` or a later version of it."""
    base, version = split_dtmi(wanted)
    candidate_base, candidate_version = split_dtmi(candidate)
    if version is None or candidate_version is None:
        return candidate == wanted
    return candidate_base == base and candidate_version >= version


def ancestry(extends: Mapping[str, Sequence[str]], model: str) -> set[str]:
    """The model and every model it extends, directly or not (cycles are tolerated)."""
    seen = {model}
    todo = [model]
    while todo:
        for parent in extends.get(todo.pop(), ()):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def models_of(extends: Mapping[str, Sequence[str]], wanted: str) -> list[str]:
    """Every known model id IS_OF_MODEL(wanted) accepts, `wanted` itself always included."""
    accepted = {wanted}
    for model in extends:
        if any(is_version_of(a, wanted) for a in ancestry(extends, model)):
            accepted.add(model)
    return sorted(accepted)
