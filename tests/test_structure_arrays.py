"""``StructureData`` from and to ``ase.Atoms`` through arrays (:mod:`aiida_symclf.utils.structure_arrays`)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from aiida import orm
from ase import Atoms
from ase.build import bulk

from aiida_symclf.utils.structure_arrays import atoms_of_structure, structure_of_atoms


def _tagged_nacl() -> Atoms:
    """Rocksalt with one tagged Cl, one Cl of another mass: four kinds in aiida-core's naming."""
    atoms = bulk('NaCl', 'rocksalt', a=5.6, cubic=True).repeat(2)
    tags = atoms.get_tags()
    tags[3] = 2
    atoms.set_tags(tags)
    masses = atoms.get_masses()
    masses[5] = 40.0
    atoms.set_masses(masses)
    return atoms


@pytest.mark.parametrize(
    'atoms',
    [
        bulk('Cu', 'fcc', a=3.61),
        bulk('Cu', 'fcc', a=3.61, cubic=True).repeat(3),
        bulk('Mg', 'hcp', a=3.21, c=5.21),
        _tagged_nacl(),
        Atoms('Fe2', positions=[[0, 0, 0], [1.4, 1.4, 1.4]], cell=np.eye(3) * 2.87, pbc=[True, True, False]),
    ],
    ids=['fcc', 'fcc-108', 'hcp', 'tagged-nacl', 'slab-pbc'],
)
def test_same_attributes_as_aiida_core(atoms: Atoms) -> None:
    """Kinds (names, masses, order), sites, cell and periodicity equal ``StructureData(ase=atoms)``'s."""
    expected = orm.StructureData(ase=atoms).base.attributes.all
    built = structure_of_atoms(atoms).base.attributes.all
    assert json.loads(json.dumps(built)) == json.loads(json.dumps(expected))


def test_stored_structure_reads_back_as_the_same_atoms() -> None:
    atoms = _tagged_nacl()
    atoms.positions += np.random.default_rng(0).normal(0, 0.05, atoms.positions.shape)
    node = structure_of_atoms(atoms).store()
    read = atoms_of_structure(orm.load_node(node.pk))
    assert read.get_chemical_symbols() == atoms.get_chemical_symbols()
    np.testing.assert_allclose(read.positions, atoms.positions)
    np.testing.assert_allclose(read.cell[:], atoms.cell[:])
    assert list(read.pbc) == list(atoms.pbc)


def test_partial_occupancies_are_refused_on_reading() -> None:
    node = orm.StructureData(cell=np.eye(3) * 3.0)
    node.append_atom(position=(0, 0, 0), symbols=('Cu', 'Au'), weights=(0.5, 0.5))
    with pytest.raises(ValueError, match='partial occupancies'):
        atoms_of_structure(node)
