"""Reading many stored structures and writing their extras, a chunk at a time (the bulk mode).

Loading 10^4-10^6 ``StructureData`` as ORM nodes, or setting their extras one node at a time,
costs more than classifying them. Here a chunk of structures is read with *one* query that
projects only what a structure is (cell, periodicity, kinds, sites and the current extras) and
turned into ``ase.Atoms`` directly, and the extras of a whole chunk are written with *one*
``bulk_update`` of the storage backend.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from aiida import orm
from aiida.manage import get_manager
from aiida.orm.entities import EntityTypes
from ase import Atoms

__all__ = ['StoredStructure', 'load_stored_structures', 'plain_rows', 'update_extras']


class StoredStructure:
    """What one query row says about a stored structure: its pk, its atoms (or why there are none), its extras."""

    __slots__ = ('atoms', 'error', 'extras', 'pk')

    def __init__(self, pk: int, atoms: Atoms | None, error: str | None, extras: dict[str, Any]) -> None:
        self.pk, self.atoms, self.error, self.extras = pk, atoms, error, extras


def atoms_from_attributes(attributes: Mapping[str, Any]) -> Atoms:
    """``ase.Atoms`` of a ``StructureData``'s attributes, without loading the node.

    Raises ``ValueError`` for kinds with several species or vacancy weights (no single
    composition, as :func:`~aiida_symclf.utils.inputs.checked_atoms` refuses them).
    """
    kinds = {}
    for kind in attributes.get('kinds', []):
        symbols, weights = kind['symbols'], kind['weights']
        if len(symbols) != 1 or abs(sum(weights) - 1.0) > 1e-6:
            raise ValueError(
                f'kind {kind["name"]!r} has partial occupancies ({symbols}, {weights}): no single composition; '
                'give an ordered model of the structure, e.g. an SQS supercell'
            )
        kinds[kind['name']] = symbols[0]
    sites = attributes.get('sites', [])
    pbc = [attributes.get(f'pbc{axis}', True) for axis in (1, 2, 3)]
    return Atoms(
        symbols=[kinds[site['kind_name']] for site in sites],
        positions=np.array([site['position'] for site in sites], dtype=float).reshape(-1, 3),
        cell=attributes.get('cell'),
        pbc=pbc,
    )


def plain_rows(query: orm.QueryBuilder, batch_size: int = 1000) -> Iterable[list[Any]]:
    """The rows of a query that projects plain values only (ids, UUIDs, attribute and extras dicts).

    ``QueryBuilder.iterall`` passes every element of every projected dict and list through
    aiida-core's entity conversion (a ``singledispatch`` call and a caught ``TypeError`` per leaf,
    for the ORM nodes a projection may hold): for the ``sites`` of a 250-atom structure that is
    ~1,500 calls, about 3 ms per structure, more than the structure's fingerprint. Plain values
    need no conversion, so the rows are taken from the query's backend implementation; where
    aiida-core has none, from ``iterall``.
    """
    implementation = getattr(query, '_impl', None)
    if implementation is None or not hasattr(implementation, 'iterall'):
        yield from query.iterall(batch_size=batch_size)
        return
    for row in implementation.iterall(query.as_dict(), batch_size):
        yield list(row)


def load_stored_structures(uuids: Sequence[str]) -> dict[str, StoredStructure]:
    """The structures with these UUIDs, by UUID, read with one query; a UUID with no
    ``StructureData`` gets an error instead of atoms."""
    query = orm.QueryBuilder().append(
        orm.StructureData, filters={'uuid': {'in': list(uuids)}}, project=['uuid', 'id', 'attributes', 'extras']
    )
    found = {}
    for uuid, pk, attributes, extras in plain_rows(query):
        try:
            found[uuid] = StoredStructure(pk, atoms_from_attributes(attributes), None, extras or {})
        except (KeyError, TypeError, ValueError) as exception:
            found[uuid] = StoredStructure(pk, None, f'StructureData<{pk}>: {exception}', extras or {})
    for uuid in uuids:
        if uuid not in found:
            found[uuid] = StoredStructure(-1, None, f'no StructureData with UUID {uuid}', {})
    return found


def update_extras(updates: Iterable[tuple[int, dict[str, Any]]]) -> int:
    """Write ``(pk, extras)`` rows (the *whole* extras dictionary of each node) with one bulk update.

    The caller merges new keys into the extras it read. Node objects already loaded in this
    session are expired, so that they read the new extras.
    """
    rows = [{'id': pk, 'extras': extras} for pk, extras in updates]
    if rows:
        storage = get_manager().get_profile_storage()
        storage.bulk_update(EntityTypes.NODE, rows)
        storage.get_session().expire_all()
    return len(rows)
