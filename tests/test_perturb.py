"""Perturbations: seeded, the requested amount, composable, validated."""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk

from aiida_symclf.library.fingerprint import nearest_neighbour_distance, prepare_block
from aiida_symclf.library.perturb import PerturbationLevel, displace_atoms, perturb_atoms, remove_atoms


@pytest.fixture
def block():
    return prepare_block(bulk('Fe', 'bcc', a=2.87, cubic=True))


def test_displacement_sigma_is_delta_times_nn_distance(block):
    displaced = displace_atoms(block, 0.04, np.random.default_rng(0))
    steps = displaced.positions - block.positions
    expected = 0.04 * nearest_neighbour_distance(block.positions)
    assert np.std(steps) == pytest.approx(expected, rel=0.1)
    assert abs(np.mean(steps)) < 0.2 * expected


@pytest.mark.parametrize('eta', [0.0, 0.01, 0.25, 0.5, 0.9])
def test_vacancies_remove_int_n_eta_atoms(block, eta):
    assert len(remove_atoms(block, eta, np.random.default_rng(1))) == len(block) - int(len(block) * eta)


def test_same_seed_same_structure_other_seed_other_structure(block):
    first = perturb_atoms(block, PerturbationLevel(0.02, 0.1, seed=5))
    again = perturb_atoms(block, PerturbationLevel(0.02, 0.1, seed=5))
    other = perturb_atoms(block, PerturbationLevel(0.02, 0.1, seed=6))
    assert np.array_equal(first.positions, again.positions)
    assert len(first) == len(other) and not np.allclose(first.positions, other.positions)


def test_input_is_not_modified_and_cell_is_kept(block):
    before = block.positions.copy()
    perturbed = perturb_atoms(block, PerturbationLevel(0.05, 0.3, seed=0))
    assert np.array_equal(block.positions, before)
    assert np.allclose(perturbed.cell, block.cell) and all(perturbed.pbc)


def test_no_perturbation_is_identity(block):
    assert np.array_equal(perturb_atoms(block, PerturbationLevel()).positions, block.positions)


@pytest.mark.parametrize(
    'values',
    [{'displacement': -0.1}, {'vacancy_fraction': 1.0}, {'vacancy_fraction': -0.1}, {'displacement': float('nan')},
     {'seed': -1}, {'seed': 1.5}, {'displacement': '0.1'}, {'sigma': 0.1}],
)  # fmt: skip
def test_bad_values_are_rejected(values):
    with pytest.raises(ValueError):
        PerturbationLevel.from_dict(values)
