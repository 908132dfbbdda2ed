"""Local structure maps in AiiDA: ``LocalMapWorkChain``, ``map_structures``, ``LocalMapData``, ``mapped_structures``."""

from __future__ import annotations

import collections

import numpy as np
import pytest
from aiida import orm
from aiida.engine import run_get_node
from ase import Atoms
from ase.build import bulk

from aiida_symclf.calculations.functions import map_structures
from aiida_symclf.data import LocalMapData
from aiida_symclf.library.local_map import MapParameters, map_structure
from aiida_symclf.query import mapped_structures
from aiida_symclf.testing.polycrystal import two_phase_stack
from aiida_symclf.utils.structure_arrays import structure_of_atoms
from aiida_symclf.utils.trajectory import trajectory_from_atoms
from aiida_symclf.workflows.map import LocalMapWorkChain

#: A box of 15 A and a stride of 5 A resolve the stack's two 17 A thick crystals (the default box,
#: ~18 A, is as thick as each crystal, so most of its windows straddle an interface).
STACK_PARAMETERS = {'box': 15.0, 'stride': 5.0}


def copper(repeat: int = 3) -> Atoms:
    return bulk('Cu', 'fcc', a=3.615, cubic=True).repeat(repeat)


def reasons_reported(node: orm.WorkChainNode) -> str:
    return '\n'.join(log.message for log in orm.Log.collection.get_logs_for(node))


def test_two_phase_stack_is_mapped_with_provenance_extras_and_queries(model_node):
    atoms, labels = two_phase_stack('Cu', 'Fe', layers=6)
    structure = structure_of_atoms(atoms)
    _, node = run_get_node(
        LocalMapWorkChain, structure=structure, model=model_node, parameters=orm.Dict(STACK_PARAMETERS)
    )
    assert node.is_finished_ok, node.exit_message

    local_map = node.outputs.maps.structure
    assert isinstance(local_map, LocalMapData) and local_map.is_stored
    # Provenance: structure -> map_structures (called by the WorkChain, one call, no node per window) -> map.
    assert [called.process_label for called in node.called] == ['map_structures']
    creator = local_map.creator
    assert creator.process_label == 'map_structures' and creator.caller.uuid == node.uuid
    assert creator.inputs.structure.uuid == structure.uuid
    assert creator.inputs.model.uuid == model_node.uuid
    assert local_map.structure_uuid == structure.uuid and local_map.model_sha256 == model_node.sha256

    # The map: a label per atom, fractions near the true ones (Cu 384 atoms, Fe 300: 0.56 / 0.44).
    assert len(local_map.atom_label_list()) == len(atoms)
    assert local_map.get_array('atom_probabilities').shape == (len(atoms),)
    assert len(local_map.window_label_list()) == int(np.prod(local_map.grid))
    true = {label: count / len(labels) for label, count in collections.Counter(labels).items()}
    for label in ('fcc', 'bcc'):
        assert abs(local_map.fractions.get(label, 0.0) - true[label]) < 0.15, (label, local_map.fractions)
        assert abs(local_map.fractions.get(label, 0.0) - 0.5) < 0.15, (label, local_map.fractions)
    counts = collections.Counter(local_map.atom_label_list())
    expected = {label: count / len(atoms) for label, count in counts.items()}
    assert local_map.fractions == pytest.approx(expected, abs=1e-6)  # rounded to 6 digits

    summary = node.outputs.summary.get_dict()
    assert summary['maps']['structure']['map_uuid'] == local_map.uuid
    assert summary['mapped'] == 1 and summary['failures'] == {}
    assert summary['parameters'] == STACK_PARAMETERS

    # Extras on the input structure, and the queries that use them.
    extras = structure.base.extras.all
    assert extras['symclf_fractions'] == local_map.fractions
    assert extras['symclf_majority_label'] == local_map.majority_label
    assert extras['symclf_map_uuid'] == local_map.uuid
    query = orm.QueryBuilder().append(
        orm.StructureData, filters={'extras.symclf_fractions.bcc': {'>': 0.2}}, project='uuid'
    )
    assert structure.uuid in {uuid for (uuid,) in query.all()}
    assert structure.uuid in {found.uuid for found in mapped_structures('bcc', 0.2)}
    assert structure.uuid not in {found.uuid for found in mapped_structures('bcc', 0.9)}
    assert structure.uuid in {found.uuid for found in mapped_structures()}


def test_trajectory_gives_one_map_per_frame(model_node, monkeypatch):
    monkeypatch.setattr('aiida_symclf.workflows.map.STEP_BATCH_SIZE', 1)  # two batches: summaries merged
    rng = np.random.default_rng(0)
    frames = [copper(), copper()]
    frames[1].positions += rng.normal(0.0, 0.05, frames[1].positions.shape)
    trajectory = trajectory_from_atoms(frames).store()
    _, node = run_get_node(LocalMapWorkChain, trajectory=trajectory, model=model_node)
    assert node.is_finished_ok, node.exit_message
    assert sorted(node.outputs.maps) == ['frame_000000', 'frame_000001']
    assert [called.process_label for called in node.called] == [
        'trajectory_frames', 'trajectory_frames', 'map_structures', 'map_structures', 'merge_map_summaries'
    ]  # fmt: skip
    summary = node.outputs.summary.get_dict()
    assert summary['mapped'] == 2 and sorted(summary['maps']) == ['frame_000000', 'frame_000001']
    assert summary['n_atoms'] == 2 * len(frames[0]) and summary['fractions']
    for index, key in enumerate(['frame_000000', 'frame_000001']):
        local_map = node.outputs.maps[key]
        frame = orm.load_node(local_map.structure_uuid)
        assert frame.creator.process_label == 'trajectory_frames'
        assert frame.creator.inputs.trajectory.uuid == trajectory.uuid
        assert local_map.creator.inputs[key].uuid == frame.uuid
        assert frame.base.extras.get('symclf_frame') == index
        assert frame.base.extras.get('symclf_trajectory_uuid') == trajectory.uuid
        assert frame.base.extras.get('symclf_map_uuid') == local_map.uuid
        assert local_map.majority_label == 'fcc', local_map.fractions


def test_invalid_parameters_give_the_exit_code_and_no_map(model_node, generate_structure):
    _, node = run_get_node(
        LocalMapWorkChain,
        structure=generate_structure('Cu', 'fcc', a=3.615),
        model=model_node,
        parameters=orm.Dict({'box': 'x', 'stride': -1}),
    )
    assert node.exit_status == LocalMapWorkChain.exit_codes.ERROR_INVALID_PARAMETERS.status == 201
    assert "box must be a number of Angstrom, got 'x'" in node.exit_message
    assert 'stride must be positive and finite, got -1' in node.exit_message
    assert 'maps' not in node.outputs and not node.called


def test_structure_too_small_for_its_box_gives_the_failure_exit_code(model_node):
    structure = structure_of_atoms(bulk('Fe', 'bcc', a=2.866, cubic=True))
    _, node = run_get_node(LocalMapWorkChain, structure=structure, model=model_node, parameters=orm.Dict({'box': 3.0}))
    assert node.exit_status == LocalMapWorkChain.exit_codes.ERROR_NO_STRUCTURE_MAPPED.status == 411
    assert 'a box of 3 A holds about 1 atoms' in node.exit_message
    assert 'a box of 3 A holds about 1 atoms' in reasons_reported(node)
    assert 'maps' not in node.outputs
    assert 'a box of 3 A' in node.outputs.summary['failures']['structure']
    assert 'symclf_fractions' not in structure.base.extras.all


def test_trajectory_without_cells_gives_the_trajectory_exit_code(model_node):
    atoms = copper(1)
    trajectory = orm.TrajectoryData()
    trajectory.set_trajectory(symbols=atoms.get_chemical_symbols(), positions=np.array([atoms.positions]))
    _, node = run_get_node(LocalMapWorkChain, trajectory=trajectory.store(), model=model_node)
    assert node.exit_status == LocalMapWorkChain.exit_codes.ERROR_INVALID_TRAJECTORY.status == 204
    assert 'no cells' in node.exit_message and 'no cells' in reasons_reported(node)
    assert not node.called


def test_structure_or_trajectory_exactly_one(model_node, generate_structure):
    with pytest.raises(ValueError, match='exactly one of `structure` and `trajectory`'):
        run_get_node(LocalMapWorkChain, model=model_node)


def test_map_structures_maps_each_structure_and_lists_failures(model_node, model):
    good = structure_of_atoms(copper())
    sparse = structure_of_atoms(Atoms('Cu', cell=[6.0, 6.0, 6.0], pbc=True).repeat(3))  # 6 A apart
    parameters = {'box': 12.0}
    outputs, node = map_structures.run_get_node(
        model=model_node, parameters=orm.Dict(parameters), good=good, sparse=sparse
    )
    assert node.is_finished_ok, node.exit_message
    assert sorted(outputs) == ['failures', 'good', 'summary']
    assert 'too few for its peaks' in outputs['failures']['sparse']
    assert outputs['summary']['failures'] == outputs['failures'].get_dict()
    assert outputs['summary']['maps']['good']['map_uuid'] == outputs['good'].uuid
    # The stored map reads back as the library's map of the same atoms.
    stored = outputs['good']
    expected = map_structure(copper(), model, MapParameters(**parameters))
    assert stored.atom_label_list() == expected.atom_labels
    assert stored.window_label_list() == expected.labels
    assert stored.fractions == expected.fractions and stored.grid == expected.grid
    again = stored.local_map()
    assert again.atom_labels == expected.atom_labels and again.reasons == expected.reasons
    np.testing.assert_allclose(again.probabilities, expected.probabilities)
    np.testing.assert_array_equal(np.isnan(again.orientations), np.isnan(expected.orientations))
    assert stored.summary()['fractions'] == expected.summary()['fractions']


@pytest.mark.parametrize(
    ('parameters', 'message'),
    [
        ({'box': 'x'}, "box must be a number of Angstrom, got 'x'"),
        ({'box': 10.0, 'size': 3}, 'unknown parameters size; valid: box, stride'),
        ({'stride': 0}, 'stride must be positive and finite, got 0'),
    ],
)
def test_map_structures_refuses_bad_parameters_with_an_exit_code(model_node, parameters, message):
    _, node = map_structures.run_get_node(
        model=model_node, parameters=orm.Dict(parameters), good=structure_of_atoms(copper(1))
    )
    assert node.exit_status == 201
    assert message in node.exit_message
    assert not node.base.links.get_outgoing().all()


def test_mapped_structures_checks_its_arguments(aiida_profile):
    with pytest.raises(ValueError, match='unknown label'):
        mapped_structures('nonsense')
    with pytest.raises(ValueError, match='min_fraction'):
        mapped_structures('bcc', 1.5)
    with pytest.raises(ValueError, match='needs a label'):
        mapped_structures(None, 0.2)
    assert isinstance(mapped_structures('vacuum', 0.5), list)


def test_entry_points_load():
    from aiida.plugins import CalculationFactory, DataFactory, WorkflowFactory

    assert WorkflowFactory('symclf.map') is LocalMapWorkChain
    assert DataFactory('symclf.local_map') is LocalMapData
    assert CalculationFactory('symclf.map_structures') is map_structures
