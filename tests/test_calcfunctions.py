"""CalcFunctions: nodes, links, stored values, and exit codes on bad input."""

from __future__ import annotations

import numpy as np
import pytest
from aiida import orm
from aiida.engine import run_get_node
from ase import Atoms
from ase.build import bulk

from aiida_symclf.calculations.functions import (
    classify_fingerprint,
    classify_fingerprints,
    compute_attention_maps,
    compute_fingerprint,
    compute_fingerprints,
    perturb_structure,
)
from aiida_symclf.data import FingerprintData, SymclfModelData, fingerprint_from_node
from aiida_symclf.library.fingerprint import diffraction_fingerprint, replication_for


@pytest.fixture
def model_parameters(model_node) -> orm.Dict:
    """The fingerprint settings the model was trained on (the classify steps check them)."""
    return orm.Dict(model_node.base.attributes.get('fingerprint_parameters'))


@pytest.fixture
def copper():
    return orm.StructureData(ase=bulk('Cu', 'fcc', a=3.61)).store()


def test_model_node_is_stored_once_and_reused():
    first = SymclfModelData.get_or_create()
    second = SymclfModelData.get_or_create()
    assert first.pk == second.pk
    assert first.class_names[1] == 'fcc' and len(first.sha256) == 64
    assert orm.QueryBuilder().append(SymclfModelData, filters={'attributes.sha256': first.sha256}).count() == 1


def test_fingerprint_node_and_links(copper):
    fingerprint, node = run_get_node(compute_fingerprint, structure=copper)
    assert node.is_finished_ok
    assert fingerprint.get_array('fingerprint').dtype == np.uint8
    assert fingerprint.base.attributes.get('parameters')['image_size'] == 64
    assert fingerprint.base.attributes.get('structure_uuid') == copper.uuid
    # Quantised to uint8: within half a step of the float32 fingerprint.
    assert (
        np.abs(fingerprint_from_node(fingerprint) - diffraction_fingerprint(copper.get_ase())).max() <= 0.5 / 255 + 1e-6
    )
    query = orm.QueryBuilder().append(orm.StructureData, filters={'id': copper.pk}, tag='s')
    query.append(orm.CalcFunctionNode, with_incoming='s', tag='c').append(
        FingerprintData, with_incoming='c', project='id'
    )
    assert query.all(flat=True) == [fingerprint.pk]


def test_stored_fingerprint_size_per_structure(copper):
    fingerprint = compute_fingerprint(structure=copper)
    sizes = [
        len(fingerprint.base.repository.get_object_content(name, mode='rb'))
        for name in fingerprint.base.repository.list_object_names()
    ]
    assert sum(sizes) < 13_000  # 12,288 bytes of uint8 data plus the .npy header


def test_classify_fingerprint(copper, model_node, model_parameters):
    fingerprint = compute_fingerprint(structure=copper, fingerprint_parameters=model_parameters)
    result, node = run_get_node(classify_fingerprint, fingerprint=fingerprint, model=model_node)
    assert node.is_finished_ok
    assert result['label'] == 'fcc' and result['space_groups'] == [225]
    assert result['probability'] > 0.9
    assert sum(result['probabilities'].values()) == pytest.approx(1.0)
    assert result['structure_uuid'] == copper.uuid and result['model_sha256'] == model_node.sha256


def test_batched_functions_make_one_process_and_one_output_per_structure(prototypes, model_node, model_parameters):
    structures = {name.replace('/', '_'): orm.StructureData(ase=atoms) for name, atoms in prototypes.items()}
    fingerprints, node = run_get_node(compute_fingerprints, fingerprint_parameters=model_parameters, **structures)
    assert node.is_finished_ok and set(fingerprints) == set(structures)
    results, classify_node = run_get_node(classify_fingerprints, model=model_node, **fingerprints)
    assert classify_node.is_finished_ok
    assert {key: results[key]['label'] for key in structures} == {name.replace('/', '_'): name for name in prototypes}


def test_perturb_structure_records_its_parameters(copper):
    parameters = orm.Dict({'displacement': 0.02, 'vacancy_fraction': 0.1, 'seed': 3})
    perturbed, node = run_get_node(perturb_structure, structure=copper, perturbation=parameters)
    assert node.is_finished_ok
    # A supercell of the input in its own frame (the user's path), then 10% of its atoms removed.
    supercell = len(copper.sites) * int(np.prod(replication_for(copper.get_ase(), 250)))
    assert len(perturbed.sites) == supercell - int(supercell * 0.1)
    assert np.allclose(
        perturbed.cell, np.asarray(copper.cell) * np.array(replication_for(copper.get_ase(), 250))[:, None]
    )
    again = perturb_structure(
        structure=copper, perturbation=orm.Dict({'displacement': 0.02, 'vacancy_fraction': 0.1, 'seed': 3})
    )
    assert np.array_equal(perturbed.get_ase().positions, again.get_ase().positions)
    assert node.base.links.get_incoming(link_label_filter='perturbation').one().node.get_dict()['seed'] == 3


def test_attention_maps_are_stored_with_a_png(copper, model_node, model_parameters):
    fingerprint = compute_fingerprint(structure=copper, fingerprint_parameters=model_parameters)
    maps, node = run_get_node(compute_attention_maps, fingerprint=fingerprint, model=model_node)
    assert node.is_finished_ok
    assert maps.get_array('class_maps').shape == (len(model_node.class_names), 64, 64)
    assert maps.get_array('filter_maps').shape == (4, 3, 64, 64)
    png = maps.base.repository.get_object_content('attention.png', mode='rb')
    assert png.startswith(b'\x89PNG')


def bad_structure(kind: str) -> orm.StructureData:
    if kind == 'empty':
        return orm.StructureData(cell=[[3, 0, 0], [0, 3, 0], [0, 0, 3]])
    if kind == 'molecule':
        return orm.StructureData(ase=Atoms('H2', positions=[[0, 0, 0], [0, 0, 0.74]], cell=[5, 5, 5], pbc=False))
    if kind == 'nan':
        return orm.StructureData(ase=Atoms('Cu', positions=[[np.nan, 0, 0]], cell=[3, 3, 3], pbc=True))
    raise ValueError(kind)


@pytest.mark.parametrize(('kind', 'message'), [('empty', 'no atoms'), ('molecule', 'not periodic')])
def test_bad_structure_gives_exit_code_300_and_no_output(kind, message):
    outputs, node = run_get_node(compute_fingerprint, structure=bad_structure(kind))
    assert node.is_failed and node.exit_status == 200
    assert message in node.exit_message
    assert outputs == {} and not node.base.links.get_outgoing().all()


def test_nan_positions_are_refused_before_a_process_is_stored():
    """AiiDA itself cannot store NaN: the error is clear and nothing is half written."""
    before = orm.QueryBuilder().append(orm.ProcessNode).count()
    with pytest.raises(Exception, match='nan and inf'):
        compute_fingerprint(structure=bad_structure('nan'))
    assert orm.QueryBuilder().append(orm.ProcessNode).count() == before


@pytest.mark.parametrize(
    'parameters',
    [{'image_size': 8}, {'image_size': 1024}, {'image_size': 'big'}, {'nonsense': 1}],
)
def test_bad_fingerprint_parameters_give_exit_code_201(copper, parameters):
    _, node = run_get_node(compute_fingerprint, structure=copper, fingerprint_parameters=orm.Dict(parameters))
    assert node.exit_status == 201


@pytest.mark.parametrize(
    'parameters',
    [{'vacancy_fraction': 1.0}, {'vacancy_fraction': -0.5}, {'displacement': -0.01}, {'seed': 'x'}],
)
def test_bad_perturbation_gives_exit_code_201(copper, parameters):
    _, node = run_get_node(perturb_structure, structure=copper, perturbation=orm.Dict(parameters))
    assert node.exit_status == 201


def test_batch_reports_a_bad_structure_and_keeps_the_others(copper):
    outputs, node = run_get_node(
        compute_fingerprints, fingerprint_parameters=orm.Dict({}), good=copper, bad=bad_structure('molecule')
    )
    assert node.is_finished_ok
    assert set(outputs) == {'good', 'failures'}
    assert 'not periodic' in outputs['failures']['bad']


def test_model_mismatch_gives_exit_code_202(copper, model_node):
    fingerprint = compute_fingerprint(structure=copper, fingerprint_parameters=orm.Dict({'image_size': 32}))
    _, node = run_get_node(classify_fingerprint, fingerprint=fingerprint, model=model_node)
    assert node.exit_status == 202 and 'image_size' in node.exit_message


def test_wrong_input_type_is_rejected_before_anything_is_stored(copper):
    before = orm.QueryBuilder().append(orm.ProcessNode).count()
    with pytest.raises(ValueError, match='structure'):
        compute_fingerprint(structure=orm.Str('not a structure'))
    assert orm.QueryBuilder().append(orm.ProcessNode).count() == before


def test_swapped_model_content_is_refused_when_stored(tmp_path):
    """A model node whose file was replaced after it was checked cannot be stored: the sha256
    recorded by ``set_file`` no longer matches (as aiida-pseudo's data types check in ``store``)."""
    import dataclasses
    import io

    from aiida_symclf.library.model import ModelFileError, load_model, save_model

    shipped = load_model()
    path = tmp_path / 'swapped.pt'
    save_model(shipped.network, dataclasses.replace(shipped.metadata, package_version='swap-test'), path)
    node = SymclfModelData(file=path)
    node.base.repository.put_object_from_filelike(io.BytesIO(b'not the model'), path.name)
    with pytest.raises(ModelFileError, match='replaced after it was checked'):
        node.store()
    assert not node.is_stored


def test_a_file_that_is_no_model_is_refused_by_the_node(tmp_path):
    path = tmp_path / 'not-a-model.pt'
    path.write_bytes(b'garbage')
    from aiida_symclf.library.model import ModelFileError

    with pytest.raises(ModelFileError, match='cannot read model file not-a-model.pt'):
        SymclfModelData(file=path)


def test_alloy_weights_are_refused_with_the_reason():
    structure = orm.StructureData(cell=[[3.6, 0, 0], [0, 3.6, 0], [0, 0, 3.6]])
    structure.append_atom(position=(0, 0, 0), symbols=('Cu', 'Au'), weights=(0.5, 0.5))
    _, node = run_get_node(compute_fingerprint, structure=structure)
    assert node.exit_status == 200 and 'partial occupancies' in node.exit_message


def test_fingerprints_are_stored_as_their_own_type(copper):
    """Ports and queries can name fingerprints: FingerprintData with its contract as properties."""
    from aiida_symclf.data import FingerprintData

    fingerprint = compute_fingerprint(structure=copper)
    assert isinstance(fingerprint, FingerprintData)
    assert fingerprint.fingerprint.shape == (3, 64, 64) and fingerprint.structure_uuid == copper.uuid
    assert fingerprint.lattice['bravais'] == 'cF' and fingerprint.parameters['image_size'] == 64
    found = orm.QueryBuilder().append(FingerprintData, filters={'attributes.structure_uuid': copper.uuid}).count()
    assert found >= 1
