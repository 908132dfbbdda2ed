"""The rules that turn the network's answer and the Bragg-lattice facts into a label
(:mod:`aiida_symclf.library.classification`)."""

from __future__ import annotations

import numpy as np
import pytest

from aiida_symclf.library.catalogue import CLASSES, class_names
from aiida_symclf.library.classification import MAX_UNCERTAINTY, UNKNOWN, classification_record

NAMES = class_names()
GROUPS = [c.space_groups for c in CLASSES]


def probabilities(label: str) -> np.ndarray:
    values = np.full(len(NAMES), 0.01)
    values[NAMES.index(label)] = 1 - 0.01 * (len(NAMES) - 1)
    return values


def lattice(bravais: str, count: float, **extra) -> dict:
    return {'bravais': bravais, 'atoms_per_lattice_point': count, 'periodic_by_peaks': True,
            'chemically_ordered': False, 'peak_strength': 1.0, **extra}  # fmt: skip


@pytest.mark.parametrize(
    ('label', 'facts'),
    [('fcc', lattice('cF', 1)), ('diamond', lattice('cF', 1.5)), ('hcp/rh', lattice('hR', 1)),
     ('hcp/rh', lattice('hP', 2)), ('bct141', lattice('tI', 2)), ('bcc', lattice('cI', 0.4))],
)  # fmt: skip
def test_consistent_facts_keep_the_network_label(label, facts):
    record = classification_record(probabilities(label), NAMES, GROUPS, facts, 0.0)
    assert record['label'] == label and record['unknown_reason'] == ''
    assert record['space_groups'] == list(GROUPS[NAMES.index(label)])


@pytest.mark.parametrize(
    ('label', 'facts', 'reason'),
    [
        ('bcc', lattice('oS', 1), 'give a oS lattice; bcc needs cI'),  # no elemental class has oS
        ('hcp/rh', lattice('hP', 4), '4 atoms per lattice point; hcp/rh has 2'),
        ('fcc', lattice('cF', 250, periodic_by_peaks=False), 'not crystalline'),
    ],
)
def test_facts_that_rule_the_class_out_give_unknown(label, facts, reason):
    record = classification_record(probabilities(label), NAMES, GROUPS, facts, 0.0)
    assert record['label'] == UNKNOWN and reason in record['unknown_reason']
    assert record['network_label'] == label and record['space_groups'] == []


def test_an_answer_of_another_lattice_gives_way_to_the_class_of_the_structures_lattice():
    """A cP lattice with one atom per lattice point is sc among the elemental classes, whatever the network preferred."""
    values = probabilities('bcc')
    values[NAMES.index('sc')] = 0.05
    record = classification_record(values, NAMES, GROUPS, lattice('cP', 1), 0.0)
    assert (record['label'], record['network_label'], record['unknown_reason']) == ('sc', 'sc', '')
    assert record['probabilities']['bcc'] == 0.0


def test_a_compound_is_unknown_to_a_model_of_the_elemental_classes_only():
    """The paper's models (7 classes) have no class for chemically ordered species."""
    names, groups = NAMES[:7], GROUPS[:7]
    values = np.full(7, 0.01)
    values[names.index('sc')] = 0.94
    record = classification_record(values, names, groups, lattice('cP', 1, chemically_ordered=True), 0.0)
    assert record['label'] == UNKNOWN and 'chemically ordered' in record['unknown_reason']
    assert record['network_label'] == 'sc'


def test_an_uncertain_network_gives_unknown():
    record = classification_record(probabilities('fcc'), NAMES, GROUPS, lattice('cF', 1), MAX_UNCERTAINTY + 0.01)
    assert record['label'] == UNKNOWN and 'uncertain' in record['unknown_reason']


def test_without_lattice_facts_the_network_decides():
    record = classification_record(probabilities('sc'), NAMES, GROUPS, None, None)
    assert record['label'] == 'sc' and record['lattice'] is None and record['uncertainty'] is None


def compound(bravais: str, count: float, **extra) -> dict:
    return lattice(bravais, count, chemically_ordered=True, **extra)


@pytest.mark.parametrize(
    ('label', 'facts', 'reason', 'parent'),
    [
        # ilmenite FeTiO3: corundum's lattice and count, three groups of species on distinct sublattices
        ('corundum', compound('hR', 10, sublattices=3), 'ordered derivative of corundum (A2B3_hR10_167_c_e): 3 groups',
         'A2B3_hR10_167_c_e'),
        # dhcp La: the main peaks give hcp's lattice, the weak ones twice the cell
        ('hcp/rh', lattice('hP', 4, substructure_bravais='hP', substructure_atoms_per_lattice_point=2),
         'superstructure of hcp/rh (A_hP2_194_c): 4 atoms per lattice point', 'A_hP2_194_c'),
        # NbO: rocksalt with an ordered quarter of its sites empty (cP; main peaks cF)
        ('rocksalt', compound('cP', 6, substructure_bravais='cF', substructure_atoms_per_lattice_point=1.5),
         'superstructure of rocksalt (AB_cF8_225_a_b): the Bragg peaks give a cP lattice', 'AB_cF8_225_a_b'),
        # ReO3: a perovskite's lattice with its A site empty in a cell of one lattice point
        ('perovskite', compound('cP', 4, lattice_points=1, composition={'O': 3, 'Re': 1}),
         'ordered-vacancy derivative of perovskite (AB3C_cP5_221_a_c_b)', 'AB3C_cP5_221_a_c_b'),
    ],
)  # fmt: skip
def test_derivatives_of_a_class_are_unknown_with_its_prototype_as_parent(label, facts, reason, parent):
    record = classification_record(probabilities(label), NAMES, GROUPS, facts, 0.0)
    assert record['label'] == UNKNOWN and record['unknown_reason'].startswith(reason)
    assert record.parent_prototype == parent and record['parent_prototype'] == parent
    assert record.extras('uuid')['symclf_parent_prototype'] == parent


@pytest.mark.parametrize(
    ('label', 'facts', 'uncertainty'),
    [
        ('hcp/rh', lattice('hP', 4), 0.0),  # more atoms, but the main peaks give no lattice of hcp/rh
        ('bcc', lattice('oS', 1), 0.0),  # another lattice
        ('fcc', lattice('cF', 1), MAX_UNCERTAINTY + 0.1),  # uncertain
        ('fcc', lattice('cF', 250, periodic_by_peaks=False), 0.0),  # no Bragg peaks
        ('fcc', lattice('cF', 1, vacuum_gaps={'c': 12.0}), 0.0),  # a slab
        ('hcp/rh', lattice('hP', 1, lattice_points=40), 0.0),  # 50% random vacancies: hcp/rh itself
        ('corundum', compound('hR', 10, sublattices=2), 0.0),  # a random (Fe,Cr)2O3: corundum itself
        # simple hexagonal, CaCu5: fewer atoms than hcp, C14 in a cell of one lattice point, but no
        # whole site sets of the class left empty: unknown, no derivative
        ('hcp/rh', lattice('hP', 1, lattice_points=1, composition={'Sn': 1}), 0.0),
        ('Laves-C14', compound('hP', 6, lattice_points=1, composition={'Ca': 1, 'Cu': 5}), 0.0),
    ],
)  # fmt: skip
def test_no_parent_prototype_where_no_fact_makes_a_derivative(label, facts, uncertainty):
    record = classification_record(probabilities(label), NAMES, GROUPS, facts, uncertainty)
    if facts.get('lattice_points') == 1:
        assert record['label'] == UNKNOWN and 'in a cell of one lattice point' in record['unknown_reason']
    assert record.parent_prototype is None and 'parent_prototype' not in dict(record)
    assert record.extras('uuid')['symclf_parent_prototype'] == ''
    assert not record['unknown_reason'].startswith(('superstructure', 'ordered'))


def test_random_vacancies_and_random_mixing_keep_the_class():
    """The derivative facts leave vacancy-diluted and randomly mixed crystals of a class alone."""
    hcp = classification_record(probabilities('hcp/rh'), NAMES, GROUPS, lattice('hP', 1, lattice_points=40), 0.0)
    alloy = classification_record(probabilities('corundum'), NAMES, GROUPS, compound('hR', 10, sublattices=2), 0.0)
    assert (hcp['label'], alloy['label']) == ('hcp/rh', 'corundum')


def test_a_stored_record_keeps_its_parent_prototype_and_old_records_have_none():
    from aiida_symclf.library.record import ClassificationRecord

    facts = compound('hR', 10, sublattices=3)
    record = classification_record(probabilities('corundum'), NAMES, GROUPS, facts, 0.0)
    assert ClassificationRecord.from_dict(record.to_dict()) == record
    old = {key: value for key, value in record.to_dict().items() if key != 'parent_prototype'}
    assert ClassificationRecord.from_dict(old).parent_prototype is None


def _b2(count: float, points: int) -> dict:
    """Facts of an FeAl-like crystal: cP, two groups of species on distinct sublattices."""
    atoms = round(count * points)
    return compound('cP', count, sublattices=2, lattice_points=points,
                    composition={'Fe': atoms - atoms // 2, 'Al': atoms // 2})  # fmt: skip


def test_a_refused_ordered_derivative_gives_way_to_the_parent_the_facts_fit_exactly():
    """The network's Heusler (cF16: an ordering of the 2-atom cube) is refused by a cP lattice of
    2 atoms per point; CsCl fits those facts exactly and stands in, though the network gives it 0.01."""
    record = classification_record(probabilities('Heusler'), NAMES, GROUPS, _b2(2, 125), 0.0)
    assert (record['label'], record['network_label']) == ('CsCl', 'CsCl')
    assert record['probability'] < 0.1


@pytest.mark.parametrize(
    ('label', 'facts'),
    [
        # Ga4Ni3-like: 1.75 atoms per cP point, an ordered-vacancy B2; no exact fit, no CsCl
        ('Heusler', _b2(1.75, 32)),
        # NaTl (B32) seen as D0_3: Heusler is another ordering of the same cF16 cell, not a parent
        ('D0_3', compound('cF', 4, sublattices=2, lattice_points=1, composition={'Na': 2, 'Tl': 2})),
    ],
)  # fmt: skip
def test_no_parent_stands_in_for_vacancies_or_a_sibling_ordering(label, facts):
    record = classification_record(probabilities(label), NAMES, GROUPS, facts, 0.0)
    assert record['label'] == UNKNOWN
