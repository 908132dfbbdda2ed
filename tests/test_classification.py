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
