"""The stoichiometry fact: can a structure's atoms fill a compound class's sublattices?"""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms

from aiida_symclf.library.catalogue import CLASSES
from aiida_symclf.library.classification import (
    UNKNOWN,
    classification_record,
    stoichiometry_reason,
)
from aiida_symclf.library.lattice import analyse_lattice
from aiida_symclf.library.pipeline import classify_structures
from aiida_symclf.library.stoichiometry import MIN_FIT_PROBABILITY, fit_probability, site_counts, stoichiometry
from aiida_symclf.testing.real_compounds import COMPOUNDS, OTHER_COMPOUNDS
from aiida_symclf.testing.user_inputs import random_supercell

NAMES = [c.name for c in CLASSES]
GROUPS = [list(c.space_groups) for c in CLASSES]


def test_stoichiometry_and_sites_come_from_the_aflow_label():
    assert stoichiometry('A2BC4_cF56_227_d_a_e') == (2, 1, 4)
    assert stoichiometry('AB3C_cP5_221_a_c_b') == (1, 3, 1)
    assert site_counts('A2BC4_cF56_227_d_a_e', 14, 10) == (40, 20, 80)
    assert site_counts('A2B3_hR10_167_c_e', 10, 3) == (12, 18)


@pytest.mark.parametrize(
    ('counts', 'sites', 'fits'),
    [
        ((64, 64, 192), (64, 192, 64), True),  # perovskite, species in any order
        ((64, 192), (64, 192, 64), False),  # ReO3: the A site cannot stay empty
        ((48, 48), (24, 72), False),  # NaTl (1:1) on BiF3's sites (1:3)
        ((24, 32), (8, 16, 32), True),  # Fe3O4: one species on both cation sites of spinel
        ((20, 12, 64), (32, 64), True),  # two species sharing one sublattice (a dopant, an alloy)
        ((45, 44, 136), (50, 50, 150), True),  # 10% random vacancies, evenly spread
        ((50, 20, 150), (50, 50, 150), False),  # the vacancies all on one sublattice
    ],
)
def test_fit_probability_accepts_random_vacancies_and_refuses_wrong_stoichiometry(counts, sites, fits):
    assert (fit_probability(counts, sites) >= MIN_FIT_PROBABILITY) is fits


def _facts(atoms: Atoms) -> dict:
    return analyse_lattice(random_supercell(atoms, np.random.default_rng(0))).summary()


def test_lattice_facts_carry_the_composition_and_lattice_points():
    facts = _facts(COMPOUNDS['rocksalt']['NaCl'](1.0))
    assert facts['composition'] == {'Na': facts['lattice_points'], 'Cl': facts['lattice_points']}
    assert stoichiometry_reason('rocksalt', facts) == ''


@pytest.mark.parametrize(('prototype', 'label'), [('ReO3 (D0_9, cP4)', 'perovskite'), ('NaTl (B32, cF16)', 'D0_3')])
def test_compounds_of_the_wrong_stoichiometry_are_refused_with_the_reason(prototype, label):
    facts = _facts(OTHER_COMPOUNDS[prototype](1.0))
    probabilities = np.zeros(len(NAMES))
    probabilities[NAMES.index(label)] = 1.0
    record = classification_record(probabilities, NAMES, GROUPS, facts)
    assert record['label'] == UNKNOWN and record['network_label'] == label
    assert 'cannot fill the sublattices' in record['unknown_reason']


def test_results_of_earlier_versions_without_composition_are_not_refused():
    facts = {'bravais': 'cP', 'atoms_per_lattice_point': 4.0, 'periodic_by_peaks': True, 'chemically_ordered': True}
    assert stoichiometry_reason('perovskite', facts) == ''


def test_out_of_list_stoichiometries_come_out_unknown_on_the_user_path():
    """ReO3 and NaTl through the public API, as users have them (supercell, any frame)."""
    from aiida_symclf.library.model import load_model
    from aiida_symclf.testing.user_inputs import random_rotation

    rng = np.random.default_rng(5)
    structures = [
        random_rotation(random_supercell(OTHER_COMPOUNDS[name](1.0), rng), rng)
        for name in ('ReO3 (D0_9, cP4)', 'NaTl (B32, cF16)')
    ]
    records, errors = classify_structures(structures, load_model())
    assert errors == [None, None]
    assert [record['label'] for record in records] == [UNKNOWN, UNKNOWN]
