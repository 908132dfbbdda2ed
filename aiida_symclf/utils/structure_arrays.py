"""``StructureData`` <-> ``ase.Atoms`` through arrays, for cells of 10^4-10^6 atoms.

aiida-core converts one atom at a time: ``StructureData(ase=atoms)`` calls ``append_atom`` per
atom, which rebuilds the list of kinds and compares the atom's kind with each of them, and
``get_ase()`` appends one ``ase.Atom`` at a time, which copies the growing arrays on every append
(quadratic). Here each distinct kind (species, tag, mass) goes through aiida-core's own
``append_atom`` once, so kinds get exactly aiida-core's names, and the sites are written as one
list; reading takes the attributes as they are. The attributes are the same as aiida-core's
(``tests/test_structure_arrays.py``); ``benchmarks/large_inputs.py`` measures both.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from aiida import orm

from aiida_symclf.utils.stored import atoms_from_attributes

__all__ = ['atoms_of_structure', 'structure_of_atoms']


def _kind_groups(atoms: Any) -> tuple[np.ndarray, np.ndarray]:
    """Index of the first atom of each distinct (species, tag, mass), in order of appearance,
    and for every atom the number of its group."""
    keys = np.stack([atoms.numbers.astype(float), atoms.get_tags().astype(float), atoms.get_masses()], axis=1)
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(first)  # groups in order of their first atom, as append_atom would meet them
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return first[order], rank[inverse.reshape(-1)]


def structure_of_atoms(atoms: Any) -> Any:
    """An unstored ``StructureData`` with the same attributes as ``StructureData(ase=atoms)``."""
    node = orm.StructureData(cell=np.asarray(atoms.cell, dtype=float).tolist(), pbc=[bool(p) for p in atoms.pbc])
    if len(atoms) == 0:
        return node
    first, group = _kind_groups(atoms)
    names = []
    for index in first:  # aiida-core's own rules for kind names (tags, equal kinds)
        node.append_atom(ase=atoms[int(index)])
        names.append(node.base.attributes.get('sites')[-1]['kind_name'])
    positions = np.asarray(atoms.positions, dtype=float).tolist()
    sites = [
        {'position': tuple(position), 'kind_name': names[g]}
        for position, g in zip(positions, group.tolist(), strict=True)
    ]
    node.base.attributes.set('sites', sites)
    return node


def atoms_of_structure(structure: Any) -> Any:
    """``ase.Atoms`` of a ``StructureData`` (species, positions, cell, periodicity; tags of tagged
    kinds as aiida-core's ``get_ase`` gives them are not kept). ValueError for partial occupancies."""
    return atoms_from_attributes(structure.base.attributes.all)
