"""Compound classes: prototypes, Bragg facts, species contrast, antisites, the hierarchy, the shipped model."""

from __future__ import annotations

import numpy as np
import pytest
import spglib
from ase.build import bulk

from aiida_symclf.library.catalogue import CLASSES, COMPOUND_CLASSES, ELEMENT_CLASSES, class_by_name
from aiida_symclf.library.classification import UNKNOWN, allowed_classes, classification_record
from aiida_symclf.library.fingerprint import scattering_factors, species_ranks
from aiida_symclf.library.lattice import analyse_lattice, minkowski_reduced
from aiida_symclf.library.perturb import PerturbationLevel, exchange_species, perturb_atoms
from aiida_symclf.library.pipeline import classify_structures
from aiida_symclf.testing.real_compounds import COMPOUNDS, OTHER_COMPOUNDS
from aiida_symclf.testing.user_inputs import COMPOUND_LEVELS, random_rotation, random_supercell, user_input

NAMES = [c.name for c in CLASSES]
GROUPS = [c.space_groups for c in CLASSES]


def _facts(atoms, seed: int = 0):
    rng = np.random.default_rng(seed)
    return analyse_lattice(minkowski_reduced(random_rotation(random_supercell(atoms, rng), rng)))


@pytest.mark.parametrize('crystal_class', COMPOUND_CLASSES, ids=lambda c: c.name)
def test_generator_and_real_compounds_have_the_class_space_group_and_lattice(crystal_class):
    """Training prototypes and benchmark compounds are what the class table says, in any supercell and frame."""
    form = crystal_class.forms[0]
    examples = [crystal_class.generate(np.random.default_rng(1))] + [
        b(1.0) for b in COMPOUNDS[crystal_class.name].values()
    ]
    for atoms in examples:
        cell = (atoms.cell[:], atoms.get_scaled_positions(), atoms.numbers)
        assert spglib.get_symmetry_dataset(cell, symprec=1e-3).number in crystal_class.space_groups
        facts = _facts(atoms)
        assert facts.chemically_ordered
        assert (facts.bravais, round(facts.atoms_per_lattice_point, 6)) == (form.bravais, form.atoms_per_lattice_point)


def test_every_class_has_an_aflow_label_and_the_labels_are_distinct():
    labels = [form.aflow_prototype for c in CLASSES for form in c.forms]
    assert len(labels) == len(set(labels)) == 35  # 26 compounds + 7 elemental classes, hcp/rh has 3 forms
    assert class_by_name()['rocksalt'].aflow_prototype == 'AB_cF8_225_a_b'
    assert class_by_name()['fcc'].aflow_prototype == 'A_cF4_225_a'


def test_species_lattice_of_a_compound_is_its_own_not_that_of_all_atoms():
    """NaCl's atoms alike form sc (a/2); the species together give the compound's fcc lattice, 2 atoms per point."""
    facts = _facts(bulk('NaCl', 'rocksalt', a=5.64))
    assert (facts.bravais, facts.atoms_per_lattice_point, facts.chemically_ordered) == ('cF', 2.0, True)


def test_species_ranks_depend_on_composition_not_on_elements():
    nacl, mgo = bulk('NaCl', 'rocksalt', a=5.64), bulk('MgO', 'rocksalt', a=4.21)
    assert species_ranks(nacl.numbers) == {17: 0, 11: 1}  # equal counts: heavier first
    assert species_ranks(mgo.numbers) == {12: 0, 8: 1}
    li2o = COMPOUNDS['fluorite']['OLi'](1.0)
    assert species_ranks(li2o.numbers) == {3: 0, 8: 1}  # Li (8 of 12) outranks O whatever Z says
    assert np.array_equal(scattering_factors(bulk('Cu', 'fcc', a=3.6), 'species_rank'), np.ones(1))


def test_vacancies_do_not_swap_the_ranks_of_equally_abundant_species():
    atoms = random_supercell(bulk('NaCl', 'rocksalt', a=5.64), np.random.default_rng(0))
    for seed in range(10):
        holed = perturb_atoms(atoms, PerturbationLevel(vacancy_fraction=0.1, seed=seed))
        assert species_ranks(holed.numbers) == {17: 0, 11: 1}


def test_antisite_exchange_keeps_the_composition_and_moves_the_asked_fraction():
    atoms = random_supercell(bulk('NaCl', 'rocksalt', a=5.64), np.random.default_rng(0))
    exchanged = exchange_species(atoms, 0.1, np.random.default_rng(3))
    assert sorted(exchanged.numbers) == sorted(atoms.numbers)
    assert np.mean(exchanged.numbers != atoms.numbers) == pytest.approx(0.1, abs=0.01)
    copper = bulk('Cu', 'fcc', a=3.6).repeat(4)
    assert np.array_equal(exchange_species(copper, 0.1, np.random.default_rng(3)).numbers, copper.numbers)
    level = PerturbationLevel.parse_list('0:0:0.05')[0]
    assert level.antisite_fraction == 0.05
    with pytest.raises(ValueError, match='antisite_fraction'):
        PerturbationLevel(antisite_fraction=1.5)


def test_random_alloy_is_elemental_and_ordered_alloy_is_a_compound():
    """A random fcc CuAu is fcc; Cu3Au ordered is L1_2: the Bragg facts pick the group, and within
    the elemental group the classes with the structure's lattice and room for its atoms."""
    rng = np.random.default_rng(2)
    alloy = random_supercell(bulk('Cu', 'fcc', a=3.8), rng)
    alloy.numbers[rng.random(len(alloy)) < 0.5] = 79
    random_facts = analyse_lattice(alloy).summary()
    ordered_facts = _facts(COMPOUNDS['L1_2']['AuCu'](1.0)).summary()
    assert not random_facts['chemically_ordered'] and ordered_facts['chemically_ordered']
    assert [NAMES[i] for i in np.flatnonzero(allowed_classes(NAMES, random_facts))] == ['fcc', 'diamond']
    assert [NAMES[i] for i in np.flatnonzero(allowed_classes(NAMES, ordered_facts))] == [
        c.name for c in COMPOUND_CLASSES
    ]


def test_a_lattice_no_class_of_the_group_has_keeps_the_whole_group_and_says_why():
    """alpha-U's oS lattice is no elemental class's: the network's answer stands and is refused."""
    facts = {'bravais': 'oS', 'atoms_per_lattice_point': 2.0, 'periodic_by_peaks': True, 'chemically_ordered': False}
    assert [NAMES[i] for i in np.flatnonzero(allowed_classes(NAMES, facts))] == [c.name for c in ELEMENT_CLASSES]
    probabilities = np.full(len(NAMES), 0.01)
    probabilities[NAMES.index('hcp/rh')] = 0.9
    record = classification_record(probabilities, NAMES, GROUPS, facts)
    assert record['label'] == UNKNOWN and record['network_label'] == 'hcp/rh'
    assert 'oS lattice' in record['unknown_reason']


def test_network_answer_of_another_lattice_gives_way_to_the_allowed_class():
    """A 60%-vacancy hcp crystal whose network answer is bct139 (tI) is hcp: its lattice is hP."""
    probabilities = np.full(len(NAMES), 0.0)
    probabilities[NAMES.index('bct139')] = 0.6
    probabilities[NAMES.index('hcp/rh')] = 0.3
    probabilities[NAMES.index('D0_19')] = 0.1
    facts = {'bravais': 'hP', 'atoms_per_lattice_point': 0.8, 'periodic_by_peaks': True, 'chemically_ordered': False}
    record = classification_record(probabilities, NAMES, GROUPS, facts)
    assert (record['label'], record['probability'], record['unknown_reason']) == ('hcp/rh', 1.0, '')


def test_probabilities_are_renormalised_over_the_group_the_chemical_order_selects():
    """Even a network that prefers fcc cannot label an ordered compound fcc; a model without compound classes says unknown."""
    probabilities = np.full(len(NAMES), 0.01)
    probabilities[NAMES.index('fcc')] = 0.6
    probabilities[NAMES.index('L1_2')] = 0.1
    facts = {'bravais': 'cP', 'atoms_per_lattice_point': 4.0, 'periodic_by_peaks': True, 'chemically_ordered': True}
    record = classification_record(probabilities / probabilities.sum(), NAMES, GROUPS, facts)
    assert (record['label'], record['aflow_prototype'], record['strukturbericht']) == (
        'L1_2',
        'AB3_cP4_221_a_c',
        'L1_2',
    )
    assert sum(record['probabilities'].values()) == pytest.approx(1.0)
    assert record['probabilities']['fcc'] == 0.0
    elemental = [c.name for c in ELEMENT_CLASSES]
    old = classification_record(np.full(7, 1 / 7), elemental, GROUPS[:7], facts)
    assert old['label'] == UNKNOWN and 'chemically ordered' in old['unknown_reason']
    assert old['aflow_prototype'] == ''


def test_aflow_label_of_the_merged_hcp_rh_class_follows_the_bragg_facts():
    hcp_rh = class_by_name()['hcp/rh']
    assert hcp_rh.form_of({'bravais': 'hP', 'atoms_per_lattice_point': 2.0}).aflow_prototype == 'A_hP2_194_c'
    assert hcp_rh.form_of({'bravais': 'hR', 'atoms_per_lattice_point': 1.0}).aflow_prototype == 'A_hR1_166_a'
    assert hcp_rh.form_of({'bravais': 'hR', 'atoms_per_lattice_point': 2.0}).aflow_prototype == 'A_hR2_166_c'


def test_shipped_model_knows_every_class_in_the_table_order(model):
    assert list(model.class_names) == NAMES
    assert model.metadata.fingerprint_parameters.scattering == 'species_rank'
    assert [row['forms'][0]['aflow_prototype'] for row in model.metadata.classes] == [
        c.aflow_prototype for c in CLASSES
    ]


@pytest.mark.slow
def test_real_compounds_of_every_class_on_the_user_path(model):
    """One real compound per class and level (pristine, 2% displaced, 10% vacancies, 5% antisites), any frame."""
    levels = [
        level
        for level in COMPOUND_LEVELS
        if level.name in ('pristine', 'displacement 2%', 'vacancies 10%', 'antisites 5%')
    ]
    rng = np.random.default_rng(11)
    cases = [(c.name, level.name, *user_input(c.name, level, rng)) for level in levels for c in COMPOUND_CLASSES]
    records, errors = classify_structures([atoms for *_, atoms in cases], model)
    assert errors == [None] * len(cases)
    wrong = [
        (name, level, compound, r['label'])
        for (name, level, compound, _), r in zip(cases, records, strict=True)
        if r['label'] != name
    ]
    assert len(wrong) <= 2, wrong  # 104 structures; the benchmark reports the rates
    for (name, *_), record in zip(cases, records, strict=True):
        if record['label'] == name:
            assert record['aflow_prototype'] == class_by_name()[name].aflow_prototype


def test_compounds_of_other_prototypes_are_mostly_unknown(model):
    rng = np.random.default_rng(4)
    structures = [random_rotation(random_supercell(build(1.0), rng), rng) for build in OTHER_COMPOUNDS.values()]
    records, _ = classify_structures(structures, model)
    labelled = {name: r['label'] for name, r in zip(OTHER_COMPOUNDS, records, strict=True) if r['label'] != UNKNOWN}
    assert len(labelled) <= 3, labelled


def test_workchain_stores_the_prototype_and_queries_find_it(aiida_profile):
    """Extras ``symclf_aflow_prototype``, results' ``aflow_prototype``, and both query routes by prototype."""
    from aiida import orm
    from aiida.engine import run_get_node

    from aiida_symclf import query
    from aiida_symclf.workflows.classify import SymmetryClassificationWorkChain

    inputs = {
        'nacl': orm.StructureData(ase=bulk('NaCl', 'rocksalt', a=5.64)),
        'cu3au': orm.StructureData(ase=COMPOUNDS['L1_2']['AuCu'](1.0)),
        'cu': orm.StructureData(ase=bulk('Cu', 'fcc', a=3.61)),
    }
    _, node = run_get_node(SymmetryClassificationWorkChain, structures=inputs)
    assert node.is_finished_ok, node.exit_message
    results = node.outputs.results
    assert {key: results[key]['aflow_prototype'] for key in inputs} == {
        'nacl': 'AB_cF8_225_a_b', 'cu3au': 'AB3_cP4_221_a_c', 'cu': 'A_cF4_225_a',
    }  # fmt: skip
    assert orm.load_node(inputs['nacl'].pk).base.extras.get('symclf_aflow_prototype') == 'AB_cF8_225_a_b'
    found = [s.pk for s in query.classified_structures(aflow_prototype='AB_cF8_225_a_b')]
    assert inputs['nacl'].pk in found and inputs['cu'].pk not in found
    pairs = query.classification_results(aflow_prototype='AB3_cP4_221_a_c')
    assert inputs['cu3au'].uuid in [structure.uuid for _, structure in pairs if structure is not None]
    with pytest.raises(ValueError, match='unknown AFLOW prototype'):
        query.classified_structures(aflow_prototype='AB_cF8_999_a_b')
