"""Tests of :mod:`aiida_symclf.library.symmetry` (spglib space groups mapped onto the network classes)."""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk
from ase.spacegroup import crystal

from aiida_symclf.library.catalogue import CLASSES
from aiida_symclf.library.dataset import generate_structures
from aiida_symclf.library.fingerprint import FingerprintParameters, prepare_block
from aiida_symclf.library.perturb import PerturbationLevel, perturb_atoms
from aiida_symclf.library.symmetry import (
    SPGLIB_LOOSE,
    SPGLIB_TIGHT,
    SPGLIB_TOLERANCES,
    spglib_class,
    spglib_labels,
    spglib_space_group,
)

PROTOTYPES = {
    'bcc': (lambda: bulk('W', 'bcc', a=3.16, cubic=True), 229, 'bcc'),
    'fcc': (lambda: bulk('Cu', 'fcc', a=3.61), 225, 'fcc'),
    'diamond': (lambda: bulk('Si', 'diamond', a=5.43), 227, 'diamond'),
    'sc': (lambda: bulk('Po', 'sc', a=3.35), 221, 'sc'),
    'hcp': (lambda: bulk('Mg', 'hcp', a=3.21, c=5.21), 194, 'hcp/rh'),
    'rhombohedral': (
        lambda: crystal('Hg', [(0, 0, 0)], spacegroup=166, setting=2, cellpar=[3.0, 3.0, 3.0, 70.5, 70.5, 70.5]),
        166,
        'hcp/rh',
    ),
    'bct139': (
        lambda: crystal('In', [(0, 0, 0)], spacegroup=139, cellpar=[3.25, 3.25, 4.95, 90, 90, 90]),
        139,
        'bct139',
    ),
    'bct141': (
        lambda: crystal('Sn', [(0, 0, 0)], spacegroup=141, setting=1, cellpar=[5.83, 5.83, 3.18, 90, 90, 90]),
        141,
        'bct141',
    ),
}


def test_tolerances():
    assert SPGLIB_LOOSE == (0.1, 5.0)
    assert SPGLIB_TIGHT == (1e-4, 1.0)
    assert SPGLIB_TOLERANCES == {'loose': SPGLIB_LOOSE, 'tight': SPGLIB_TIGHT}


@pytest.mark.parametrize('name', sorted(PROTOTYPES))
@pytest.mark.parametrize('tolerance', [SPGLIB_LOOSE, SPGLIB_TIGHT], ids=['loose', 'tight'])
def test_prototypes(name, tolerance):
    make, group, class_name = PROTOTYPES[name]
    atoms = make()
    assert spglib_space_group(atoms, *tolerance) == group
    assert spglib_class(atoms, *tolerance) == class_name


def test_generated_structures_have_their_class():
    """Every class generator yields (randomly rotated) structures spglib puts in that class."""
    structures, labels = generate_structures(3, seed=123)
    found = [spglib_class(atoms, *SPGLIB_LOOSE) for atoms in structures]
    assert found == [CLASSES[label].name for label in labels]


def test_replicated_block_keeps_its_space_group():
    block = prepare_block(bulk('Cu', 'fcc', a=3.61, cubic=True), FingerprintParameters(standardize=False))
    assert len(block) > 200
    assert spglib_space_group(block, *SPGLIB_TIGHT) == 225


def test_tight_fails_on_small_displacements_where_loose_does_not():
    block = prepare_block(bulk('W', 'bcc', a=3.16, cubic=True), FingerprintParameters(standardize=False))
    displaced = block.copy()
    displaced.positions += np.random.default_rng(0).normal(0, 0.002, size=displaced.positions.shape)
    assert spglib_class(displaced, *SPGLIB_LOOSE) == 'bcc'
    assert spglib_class(displaced, *SPGLIB_TIGHT) != 'bcc'


def test_vacancies_break_the_supercell_symmetry():
    block = prepare_block(bulk('Cu', 'fcc', a=3.61, cubic=True), FingerprintParameters(standardize=False))
    defective = perturb_atoms(block, PerturbationLevel(vacancy_fraction=0.25, seed=3))
    assert spglib_space_group(defective, *SPGLIB_LOOSE) == 1
    assert spglib_class(defective, *SPGLIB_LOOSE) is None


def test_space_group_outside_the_classes_has_no_class():
    # alpha-Po-like simple tetragonal cell: P4/mmm (123), not one of the network's classes.
    atoms = Atoms('Po', cell=[3.0, 3.0, 4.0], scaled_positions=[[0, 0, 0]], pbc=True)
    assert spglib_space_group(atoms, *SPGLIB_LOOSE) == 123
    assert spglib_class(atoms, *SPGLIB_LOOSE) is None


def test_custom_mapping():
    atoms = bulk('Cu', 'fcc', a=3.61)
    assert spglib_class(atoms, *SPGLIB_LOOSE, mapping={225: 'close-packed'}) == 'close-packed'
    assert spglib_class(atoms, *SPGLIB_LOOSE, mapping={}) is None


@pytest.mark.parametrize(
    'atoms',
    [
        Atoms(cell=[3, 3, 3], pbc=True),
        Atoms('Cu', positions=[[np.nan, 0, 0]], cell=[3, 3, 3], pbc=True),
        Atoms('Cu', positions=[[0, 0, 0]], cell=[[3, 0, 0], [3, 0, 0], [0, 0, 3]], pbc=True),
    ],
    ids=['empty', 'nan', 'zero-volume'],
)
def test_unusable_structures_give_none(atoms):
    assert spglib_space_group(atoms, *SPGLIB_LOOSE) is None
    assert spglib_class(atoms, *SPGLIB_LOOSE) is None
    labels = spglib_labels(atoms)
    assert all(entry['space_group'] is None and entry['class'] is None for entry in labels.values())


def test_labels_at_both_tolerances():
    block = prepare_block(bulk('W', 'bcc', a=3.16, cubic=True), FingerprintParameters(standardize=False))
    block.positions += np.random.default_rng(1).normal(0, 0.002, size=block.positions.shape)
    labels = spglib_labels(block)
    assert list(labels) == ['loose', 'tight']
    assert labels['loose'] == {
        'symprec': 0.1,
        'angle_tolerance': 5.0,
        'space_group': 229,
        'international': 'Im-3m',
        'class': 'bcc',
    }
    assert labels['tight']['symprec'] == 1e-4
    assert labels['tight']['space_group'] != 229
    assert labels['tight']['class'] is None
