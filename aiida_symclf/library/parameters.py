"""Building parameter dataclasses from dictionaries, with one error message for unknown keys."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

__all__ = ['from_known_keys']

T = TypeVar('T')


def from_known_keys(cls: type[T], values: dict[str, Any] | None, what: str) -> T:
    """``cls(**values)`` for a dataclass ``cls``; unknown keys are a ``ValueError`` naming them and the known ones."""
    if values is not None and not isinstance(values, dict):
        raise ValueError(f'{what} must be a dictionary, got {values!r}')
    values = dict(values or {})
    known = {field.name for field in dataclasses.fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f'unknown {what}: {", ".join(unknown)}; known: {", ".join(sorted(known))}')
    return cls(**values)
