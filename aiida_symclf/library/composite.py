"""Structures that are more than one crystal: the local map's answer beside the whole cell's ``unknown``.

Why: a slab, an interface, a polycrystal or a crystal next to its melt has no single lattice, so
the whole-structure path rightly calls it ``unknown`` (its reason says which Bragg fact failed).
That is honest but does not help: a surface scientist wants to hear that the slab is fcc, an MD
user that the box is half fcc, half disordered. So every structure that is ``unknown`` as a whole
and large enough for more than one window gets the summary of its local structure map
(:mod:`aiida_symclf.library.local_map`): the fraction of atoms per label and the majority label,
in the record's ``local_map`` and at the end of its ``unknown_reason``. The label itself stays
``unknown``: the whole cell is none of the classes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from aiida_symclf.library.classification import UNKNOWN
from aiida_symclf.library.errors import StructureError
from aiida_symclf.library.local_map import MapParameters, map_structure
from aiida_symclf.library.record import ClassificationRecord

__all__ = ['MIN_MAP_ATOMS', 'with_local_maps']

#: Fewest atoms of a structure that is mapped: about two default windows' worth (fewer atoms are
#: one window, which is the whole structure again).
MIN_MAP_ATOMS = 250
#: Labels listed in the reason, most atoms first.
_LISTED = 3


def _describe(fractions: dict[str, float]) -> str:
    return ', '.join(f'{label} {fraction:.2f}' for label, fraction in list(fractions.items())[:_LISTED])


def local_map_record(atoms: Any, record: ClassificationRecord, model: Any) -> ClassificationRecord:
    """``record`` with the summary of ``atoms``' local map (unchanged if the map cannot be made)."""
    try:
        local_map = map_structure(atoms, model, MapParameters())
    except StructureError:
        return record
    summary = {key: value for key, value in local_map.summary().items() if key != 'regions'}
    reason = f'{record.unknown_reason}; local map: {_describe(local_map.fractions)}'
    return dataclasses.replace(record, local_map=summary, unknown_reason=reason)


def with_local_maps(
    structures: Sequence[Any], records: Sequence[ClassificationRecord | None], model: Any
) -> list[ClassificationRecord | None]:
    """The records, those of ``unknown`` structures of at least :data:`MIN_MAP_ATOMS` atoms with their local map."""
    return [
        local_map_record(atoms, record, model)
        if record is not None and record.label == UNKNOWN and len(atoms) >= MIN_MAP_ATOMS
        else record
        for atoms, record in zip(structures, records, strict=True)
    ]
