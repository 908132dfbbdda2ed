"""The AFLOW prototype classes: classes known from a model file's metadata, their generators, the
label-only stoichiometry, and training that resumes after an interruption."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from ase.build import bulk

from aiida_symclf.library.catalogue import CLASSES, CrystalClass, Form, class_by_name, class_lattices, class_table
from aiida_symclf.library.classification import classification_record
from aiida_symclf.library.model import ModelMetadata, SymmetryCNN, load_model, save_model
from aiida_symclf.library.perturb import PerturbationLevel
from aiida_symclf.library.stoichiometry import stoichiometry

#: A class no built-in class and no AFLOW class has (the registry is global to the test session).
EXTRA = 'AB_oP8_62_c_c-900'


def _model_with_an_extra_class(path):
    """A model file of the 33 built-in classes and one more, known only from its metadata."""
    extra_row = {
        'name': EXTRA, 'kind': 'compound', 'prototype': 'FeB', 'parameter_ranges': '',
        'forms': [{'bravais': 'oP', 'atoms_per_lattice_point': 8, 'aflow_prototype': EXTRA, 'strukturbericht': 'B27'}],
    }  # fmt: skip
    names = tuple(c.name for c in CLASSES) + (EXTRA,)
    metadata = ModelMetadata(
        class_names=names, space_groups=tuple(c.space_groups for c in CLASSES) + ((62,),),
        fingerprint={'scattering': 'species_rank'}, package_version='test',
        classes=class_table(names[:-1]) + [extra_row],
    )  # fmt: skip
    network = SymmetryCNN(n_classes=len(names))
    save_model(network, metadata, path)
    return path


def test_a_class_from_a_model_file_is_known_with_its_facts_once_the_model_is_loaded(tmp_path):
    model = load_model(_model_with_an_extra_class(tmp_path / 'extra.pt'))
    assert model.class_names[-1] == EXTRA
    known = class_by_name()[EXTRA]
    assert known.kind == 'compound' and known.space_groups == (62,)
    assert known.strukturbericht == 'B27'
    assert class_lattices()[EXTRA] == {'oP': 8}
    with pytest.raises(RuntimeError, match='no generator'):
        known.generate(np.random.default_rng(0))


def test_the_facts_of_a_class_from_a_model_file_label_and_refuse_like_a_built_in_one(tmp_path):
    model = load_model(_model_with_an_extra_class(tmp_path / 'extra.pt'))
    probabilities = np.zeros(len(model.class_names))
    probabilities[-1] = 1.0
    fits = {'bravais': 'oP', 'atoms_per_lattice_point': 8.0, 'chemically_ordered': True, 'lattice_points': 1,
            'composition': {'Fe': 4, 'B': 4}, 'sublattices': 2}  # fmt: skip
    record = classification_record(probabilities, model.class_names, model.metadata.space_groups, fits)
    assert (record.label, record.aflow_prototype, record.strukturbericht) == (EXTRA, EXTRA, 'B27')
    record = classification_record(
        probabilities, model.class_names, model.metadata.space_groups, {**fits, 'bravais': 'oS'}
    )
    assert record.label == 'unknown'
    assert f'{EXTRA} needs oP' in record.unknown_reason


def test_a_label_without_a_formula_is_one_site_set():
    assert stoichiometry('sigma_tP30_136_bf2ij') == (1,)
    assert stoichiometry('A2BC4_cF56_227_d_a_e') == (2, 1, 4)


def test_strain_keeps_the_lengths_symmetry_ties_and_changes_the_free_ones():
    from aiida_symclf.library.aflow import CELL_STRAIN, strained, with_random_species

    rng = np.random.default_rng(1)
    cubic = strained(bulk('NaCl', 'rocksalt', a=5.64, cubic=True), rng)
    assert np.allclose(cubic.cell.lengths(), cubic.cell.lengths()[0])
    hexagonal = bulk('Mg', 'hcp', a=3.21, c=5.21)
    ratios = [strained(hexagonal, rng).cell.lengths() / hexagonal.cell.lengths() for _ in range(20)]
    assert all(abs(r[0] - r[1]) < 1e-9 for r in ratios)
    assert np.ptp([r[2] / r[0] for r in ratios]) > 0.01
    assert all(abs(r - 1).max() <= CELL_STRAIN + 1e-9 for r in ratios)
    swapped = with_random_species(bulk('NaCl', 'rocksalt', a=5.64), rng)
    assert len(set(swapped.get_chemical_symbols())) == 2


def test_every_aflow_class_is_a_part_1_prototype_no_built_in_class_has():
    pytest.importorskip('pymatgen')
    from aiida_symclf.library.aflow import aflow_classes

    classes = aflow_classes()
    built_in = {form.aflow_prototype for c in CLASSES for form in c.forms}
    assert len(classes) == 238
    assert not built_in & {c.name for c in classes}
    fe_b = next(c for c in classes if c.name == 'AB_oP8_62_c_c')
    assert fe_b.forms[0].bravais == 'oP' and fe_b.kind == 'compound'
    atoms = fe_b.generate(np.random.default_rng(0))
    assert len(atoms) == 8 and len(set(atoms.get_chemical_symbols())) == 2
    assert isinstance(fe_b, CrystalClass) and isinstance(fe_b.forms[0], Form)


def test_training_resumes_after_its_last_finished_epoch(tmp_path):
    from aiida_symclf.library.train import TrainingConfig, checkpoint_path, train

    config = TrainingConfig(
        n_per_class=2, n_validation_per_class=1, levels=PerturbationLevel.parse_list('0:0'), epochs=2, seed=3,
        kernel_size=3, cache_dir=str(tmp_path),
    )  # fmt: skip
    uninterrupted, _ = train(config, log=lambda message: None)
    messages: list[str] = []
    resumed, _ = train(config, log=messages.append)  # the checkpoint says both epochs are done
    assert any(message.startswith('resumed from') and 'after epoch 2' in message for message in messages)
    assert not any(message.startswith('epoch') for message in messages)
    for name, tensor in uninterrupted.state_dict().items():
        assert torch.equal(tensor, resumed.state_dict()[name]), name
    assert checkpoint_path(config).is_file()


def test_the_shipped_aflow_model_names_a_part_1_prototype_no_built_in_class_has():
    """``symclf-aflow.pt`` (``--model aflow``): 33 built-in + 238 AFLOW classes, known from its file
    alone; a MoSi2 crystal (C11_b), built as a user would, gets its AFLOW label and Strukturbericht."""
    from ase.spacegroup import crystal

    from aiida_symclf.library.pipeline import classify_structures

    model = load_model('aflow')
    assert len(model.class_names) == 271
    assert '--classes aflow' in model.metadata.training['command']
    mo_si2 = crystal(['Mo', 'Si'], [(0, 0, 0), (0, 0, 0.333)], spacegroup=139,
                     cellpar=[3.20, 3.20, 7.85, 90, 90, 90]).repeat((3, 3, 2))  # fmt: skip
    records, errors = classify_structures([mo_si2], model)
    assert errors == [None]
    assert (records[0].label, records[0].strukturbericht) == ('AB2_tI6_139_a_e', 'C11_b')
    assert records[0].probability > 0.9


@pytest.fixture
def fresh_registry(monkeypatch):
    """No class registered from a model file, as in a new ``verdi`` process; restored afterwards."""
    from aiida_symclf.library import catalogue

    monkeypatch.setattr(catalogue, '_REGISTERED', {})
    class_by_name.cache_clear()
    class_lattices.cache_clear()
    yield
    monkeypatch.undo()
    class_by_name.cache_clear()
    class_lattices.cache_clear()


def test_a_stored_models_own_prototypes_can_be_queried_in_a_new_process(aiida_profile, tmp_path, fresh_registry):
    """After ``verdi run`` classified with a model of AFLOW classes, ``query --prototype`` in a new
    process knows that model's prototypes from the stored model, without it being loaded first."""
    from aiida_symclf.data import SymclfModelData
    from aiida_symclf.query import classified_structures, known_prototypes

    node = SymclfModelData.get_or_create(_model_with_an_extra_class(tmp_path / 'extra.pt'))
    assert node.is_stored
    from aiida_symclf.library import catalogue

    catalogue._REGISTERED.clear()  # storing read the file
    class_by_name.cache_clear()
    assert EXTRA not in class_by_name()
    assert EXTRA in known_prototypes()
    assert classified_structures(aflow_prototype=EXTRA) == []
    with pytest.raises(ValueError, match='unknown AFLOW prototype'):
        classified_structures(aflow_prototype=EXTRA + 'x')


def test_zincblende_is_not_called_its_ordered_derivative_by_the_aflow_model():
    """The AFLOW model gives pristine zincblende supercells (as users have them) to Cu3AsS4
    (``AB3C4_cP8_215_a_c_e``, zincblende with one cation in four ordered) at p ~ 1; the Bragg peaks
    show zincblende's cF lattice of 2 atoms exactly, and zincblende stands in
    (``classification._parent_alternative``)."""
    from aiida_symclf.library.pipeline import classify_structures
    from aiida_symclf.testing.user_inputs import COMPOUND_LEVELS, user_input

    rng = np.random.default_rng(3)
    crystals = [user_input('zincblende', COMPOUND_LEVELS[0], rng)[1] for _ in range(3)]
    records, errors = classify_structures(crystals, load_model('aflow'))
    assert errors == [None] * 3
    assert [record.label for record in records] == ['zincblende'] * 3
    assert max(record.probabilities['AB3C4_cP8_215_a_c_e'] for record in records) > 0.5  # the network's answer


def test_structures_of_no_built_in_class_are_expected_under_their_aflow_label_where_a_model_has_it():
    """The benchmarks' expectation for the compounds and elements of no built-in class: their AFLOW
    label (every one a class of the shipped AFLOW model) for that model, ``unknown`` for the default."""
    from aiida_symclf.testing.real_compounds import OTHER_COMPOUNDS, OTHER_PROTOTYPES, expected_of_no_class

    aflow, default = load_model('aflow').class_names, load_model().class_names
    assert set(OTHER_PROTOTYPES.values()) <= set(aflow)
    assert expected_of_no_class('Cu2O (cuprite C3, cP6)', aflow) == 'A2B_cP6_224_b_a'
    assert expected_of_no_class('TiO2 (anatase C5, tI12)', aflow) == 'unknown'  # no pymatgen match
    assert {expected_of_no_class(name, default) for name in OTHER_COMPOUNDS} == {'unknown'}
