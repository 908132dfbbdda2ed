"""Trajectories: every frame classified with provenance, the frame index in each result, clean bad-input exits."""

from __future__ import annotations

import numpy as np
import pytest
from aiida import orm
from aiida.engine import run_get_node
from ase.build import bulk

from aiida_symclf.query import trajectory_results
from aiida_symclf.testing.user_inputs import separated
from aiida_symclf.utils.trajectory import trajectory_from_atoms
from aiida_symclf.workflows.bulk import BulkClassificationWorkChain
from aiida_symclf.workflows.classify import SymmetryClassificationWorkChain

CRYSTAL_FRAMES = 3
MELT_FRAMES = 2


def heated_iron() -> list:
    """bcc Fe (54 atoms) with growing thermal noise, then two frames of random positions (a 'liquid')
    with the pairs closer than a liquid has them pushed apart (inputs with overlapping atoms are refused)."""
    rng = np.random.default_rng(0)
    crystal = bulk('Fe', 'bcc', a=2.87, cubic=True).repeat(3)
    frames = []
    for index in range(CRYSTAL_FRAMES):
        atoms = crystal.copy()
        atoms.positions += rng.normal(0.0, 0.03 * (index + 1), atoms.positions.shape)
        frames.append(atoms)
    for _ in range(MELT_FRAMES):
        atoms = crystal.copy()
        atoms.set_scaled_positions(rng.random((len(atoms), 3)))
        frames.append(separated(atoms))
    return frames


@pytest.fixture
def trajectory() -> orm.TrajectoryData:
    return trajectory_from_atoms(heated_iron(), times=np.arange(CRYSTAL_FRAMES + MELT_FRAMES) * 0.5).store()


def expected_labels() -> list[str]:
    return ['bcc'] * CRYSTAL_FRAMES + ['unknown'] * MELT_FRAMES


@pytest.mark.parametrize('per_structure', [True, False])
def test_workchain_classifies_every_frame_with_provenance(trajectory, per_structure):
    _, node = run_get_node(
        SymmetryClassificationWorkChain, trajectories={'md': trajectory}, store_per_structure=orm.Bool(per_structure)
    )
    assert node.is_finished_ok, node.exit_message
    if per_structure:
        results = {key: value.get_dict() for key, value in node.outputs.results.items()}
    else:
        results = node.outputs.batch_results.get_dict()
    assert sorted(results) == [f'md_frame_{index:06d}' for index in range(5)]
    ordered = sorted(results.values(), key=lambda result: result['frame'])
    assert [result['frame'] for result in ordered] == list(range(5))
    assert [result['label'] for result in ordered] == expected_labels()
    assert {result['trajectory_uuid'] for result in ordered} == {trajectory.uuid}
    assert [result['time'] for result in ordered] == [0.0, 0.5, 1.0, 1.5, 2.0]
    # Provenance: each frame is an output of trajectory_frames, whose input is the trajectory.
    frame = orm.load_node(ordered[1]['structure_uuid'])
    assert frame.creator.process_label == 'trajectory_frames'
    assert frame.creator.inputs.trajectory.uuid == trajectory.uuid
    assert frame.base.extras.get('symclf_frame') == 1
    assert frame.base.extras.get('symclf_trajectory_uuid') == trajectory.uuid
    # Findable later by the trajectory alone.
    found = trajectory_results(trajectory)
    assert [result['frame'] for result in found] == list(range(5))
    assert [result['label'] for result in found] == expected_labels()


def test_bulk_mode_classifies_frames_without_a_node_per_frame(trajectory):
    builder = BulkClassificationWorkChain.get_builder_for_trajectory(trajectory, chunk_size=2)
    _, node = run_get_node(builder)
    assert node.is_finished_ok, node.exit_message
    assert sorted(node.outputs.results) == ['chunk_00000', 'chunk_00001', 'chunk_00002']
    calls = node.called
    assert {call.process_label for call in calls} == {'classify_trajectory'}
    assert sum(len(call.base.links.get_outgoing().all()) for call in calls) == 3  # one results Dict per chunk
    found = trajectory_results(trajectory)
    assert [result['frame'] for result in found] == list(range(5))
    assert [result['label'] for result in found] == expected_labels()
    assert set(found[0]['probabilities']) >= {'bcc', 'fcc'}


def no_cells() -> orm.TrajectoryData:
    trajectory = orm.TrajectoryData()
    atoms = bulk('Fe', 'bcc', a=2.87, cubic=True).repeat(2)
    trajectory.set_trajectory(
        symbols=atoms.get_chemical_symbols(), positions=np.array([atoms.positions] * 2), pbc=(False, False, False)
    )
    return trajectory.store()


def changing_atom_count() -> orm.TrajectoryData:
    """Arrays that disagree: positions of 15 atoms for 16 symbols (what a frame with a lost atom gives)."""
    atoms = bulk('Fe', 'bcc', a=2.87, cubic=True).repeat(2)
    trajectory = trajectory_from_atoms([atoms, atoms])
    trajectory.set_array('positions', np.array([atoms.positions[:15]] * 2))
    return trajectory  # aiida-core refuses to store it


def test_trajectory_without_cells_gives_exit_code_204_with_the_reason():
    _, node = run_get_node(SymmetryClassificationWorkChain, trajectories={'bad': no_cells()})
    assert node.exit_status == 204 and 'the trajectory has no cells' in node.exit_message
    assert node.is_terminated and 'results' not in node.outputs
    _, bulk_node = run_get_node(BulkClassificationWorkChain, trajectory=no_cells())
    assert bulk_node.exit_status == 204 and 'the trajectory has no cells' in bulk_node.exit_message


def test_changing_atom_count_is_refused_at_launch_with_the_reason():
    """Such a TrajectoryData cannot be stored, so it cannot reach a step: the input validator names the problem."""
    with pytest.raises(ValueError, match='the number of atoms changes: 16 symbols, 15 positions'):
        run_get_node(SymmetryClassificationWorkChain, trajectories={'bad': changing_atom_count()})


def test_bad_trajectory_does_not_stop_the_other_inputs(trajectory):
    structure = orm.StructureData(ase=bulk('Cu', 'fcc', a=3.6))
    _, node = run_get_node(
        SymmetryClassificationWorkChain,
        structures={'cu': structure},
        trajectories={'md': trajectory, 'bad': no_cells()},
    )
    assert node.exit_status == 204 and 'bad: ' in node.exit_message
    assert node.outputs.results['cu']['label'] == 'fcc'
    assert node.outputs.results['md_frame_000000']['label'] == 'bcc'


def test_frames_of_different_atom_counts_are_refused():
    atoms = bulk('Fe', 'bcc', a=2.87, cubic=True)
    with pytest.raises(ValueError, match='frame 1 has 16, frame 0 has 2'):
        trajectory_from_atoms([atoms, atoms.repeat(2)])


def test_plot_trajectory_draws_labels_and_probabilities(tmp_path):
    from aiida_symclf.library.model import load_model
    from aiida_symclf.library.pipeline import classify_structures
    from aiida_symclf.library.plot import plot_trajectory

    records, _ = classify_structures(heated_iron(), load_model())
    results = [{**record, 'frame': index} for index, record in enumerate(records)]
    path = plot_trajectory(results, tmp_path / 'frames.png', title='Fe heated')
    assert path.stat().st_size > 10_000
    with pytest.raises(ValueError, match='no per-frame results'):
        plot_trajectory([], tmp_path / 'empty.png')


def test_cli_writes_a_figure_per_trajectory_file(tmp_path):
    import ase.io
    from click.testing import CliRunner

    from aiida_symclf.cli import cli

    ase.io.write(tmp_path / 'md.extxyz', heated_iron(), format='extxyz')
    ase.io.write(tmp_path / 'single.cif', bulk('Cu', 'fcc', a=3.6))
    folder = tmp_path / 'plots'
    arguments = ['classify', '--library', '--trajectory-plots', str(folder), str(tmp_path / 'md.extxyz')]
    result = CliRunner().invoke(cli, [*arguments, str(tmp_path / 'single.cif')])
    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in folder.iterdir()) == ['md.extxyz_frames.png']
    assert 'trajectory plot: ' in result.output


def test_frames_are_made_in_batches(trajectory, monkeypatch):
    """trajectory_frames is called for STEP_BATCH_SIZE frames at a time (aiida-core's cost per link grows per call)."""
    import aiida_symclf.workflows.classify

    monkeypatch.setattr(aiida_symclf.workflows.classify, 'STEP_BATCH_SIZE', 2)
    _, node = run_get_node(SymmetryClassificationWorkChain, trajectories={'md': trajectory})
    assert node.is_finished_ok, node.exit_message
    calls = [call for call in node.called if call.process_label == 'trajectory_frames']
    assert sorted((call.inputs.start.value, call.inputs.stop.value) for call in calls) == [(0, 2), (2, 4), (4, 5)]
    assert [result['label'] for result in trajectory_results(trajectory)] == expected_labels()


@pytest.mark.parametrize('tags', [False, True])
def test_structure_of_atoms_equals_aiida_cores_own_for_frames(tags):
    from aiida_symclf.utils.structure_arrays import structure_of_atoms

    atoms = heated_iron()[0]
    atoms.symbols[:5] = 'Ni'
    if tags:
        atoms.set_tags([index % 2 for index in range(len(atoms))])
    fast, slow = structure_of_atoms(atoms), orm.StructureData(ase=atoms)
    assert fast.base.attributes.all == slow.base.attributes.all
    assert fast.get_ase() == slow.get_ase()
