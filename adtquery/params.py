"""The only way a value from a query reaches generated text: as a named parameter."""

from __future__ import annotations

from typing import Any


class Params:
    """Allocates `p0`, `p1`, ... in order of first use; an equal value reuses its name."""

    def __init__(self, prefix: str = "p") -> None:
        self.prefix = prefix
        self.values: dict[str, Any] = {}
        self._names: dict[tuple[type, Any], str] = {}

    def add(self, value: Any) -> str:
        # Keyed by type too: 1, 1.0 and True are equal in Python but distinct JSON values.
        key = (type(value), _hashable(value))
        if key not in self._names:
            name = f"{self.prefix}{len(self.values)}"
            self._names[key] = name
            self.values[name] = value
        return self._names[key]


def _hashable(value: Any) -> Any:
    return tuple(map(_hashable, value)) if isinstance(value, list) else value
