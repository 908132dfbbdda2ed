"""Real MD trajectories into the classification: pw.x ab-initio MD (Si) and LAMMPS classical MD (Fe, melting).

Need ``pw.x`` with ``quantum-espresso-data``, and ``lmp`` with ``lammps-data`` (``bash scripts/engines.sh``);
each test is skipped with that reason where they are absent. Runs of seconds: 8 Si atoms, 12 Ry,
Gamma point, 4 MD steps; 128 Fe atoms, 6,000 LAMMPS steps.
"""

from __future__ import annotations

import numpy as np
import pytest
from aiida import orm
from aiida.engine import run_get_node
from ase.build import bulk
from engine_programs import require_program, require_upf

from aiida_symclf.query import trajectory_results
from aiida_symclf.utils.pseudos import DEBIAN_UPF_FOLDER, install_upf_family
from aiida_symclf.utils.trajectory import trajectory_from_atoms
from aiida_symclf.workflows.bulk import BulkClassificationWorkChain
from aiida_symclf.workflows.classify import SymmetryClassificationWorkChain

pytestmark = pytest.mark.slow  # a real pw.x MD and a LAMMPS run, ~30 s on 2 cores

MD_STEPS = 4


@pytest.fixture
def pw_md_trajectory(aiida_localhost) -> orm.TrajectoryData:
    """``output_trajectory`` of a real pw.x MD run (calculation='md', nosym) of 8 displaced Si atoms."""
    pytest.importorskip('aiida_quantumespresso', reason='needs the qe extra')
    from aiida.plugins import CalculationFactory

    executable = require_program('pw.x')
    require_upf('Si')
    family = install_upf_family('test/Debian/Si-md', DEBIAN_UPF_FOLDER, elements=['Si'], cutoffs=(12.0, 48.0))
    code = orm.InstalledCode(
        computer=aiida_localhost, filepath_executable=executable, default_calc_job_plugin='quantumespresso.pw',
        prepend_text='export OMP_NUM_THREADS=1',
    ).store()  # fmt: skip
    atoms = bulk('Si', 'diamond', a=5.43, cubic=True)
    atoms.rattle(0.05, seed=1)
    structure = orm.StructureData(ase=atoms)
    kpoints = orm.KpointsData()
    kpoints.set_kpoints_mesh([1, 1, 1])
    builder = CalculationFactory('quantumespresso.pw').get_builder()
    builder.code = code
    builder.structure = structure
    builder.pseudos = family.get_pseudos(structure=structure)
    builder.kpoints = kpoints
    builder.parameters = orm.Dict(
        {
            'CONTROL': {'calculation': 'md', 'nstep': MD_STEPS, 'dt': 20.0},
            'SYSTEM': {
                'ecutwfc': 12.0,
                'ecutrho': 48.0,
                'nosym': True,
                'occupations': 'smearing',
                'smearing': 'cold',
                'degauss': 0.02,
            },
            'ELECTRONS': {'conv_thr': 1e-6, 'mixing_beta': 0.4},
            'IONS': {'ion_temperature': 'initial', 'tempw': 600.0},
        }
    )
    builder.metadata.options = {'resources': {'num_machines': 1}, 'withmpi': False, 'max_wallclock_seconds': 600}
    _, node = run_get_node(builder)
    assert node.is_finished_ok, f'pw.x md: {node.exit_status} {node.exit_message}'
    return node.outputs.output_trajectory


def test_pw_md_trajectory_is_classified_frame_by_frame(pw_md_trajectory):
    frames = pw_md_trajectory.get_array('positions').shape[0]
    assert frames >= MD_STEPS
    _, node = run_get_node(SymmetryClassificationWorkChain, trajectories={'pw_md': pw_md_trajectory})
    assert node.is_finished_ok, node.exit_message
    found = trajectory_results(pw_md_trajectory)
    assert [result['frame'] for result in found] == list(range(frames))
    assert [result['label'] for result in found] == ['diamond'] * frames
    calculation = pw_md_trajectory.creator
    assert calculation.process_label == 'PwCalculation'  # provenance: pw.x -> trajectory -> frames -> results
    frame = orm.load_node(found[0]['structure_uuid'])
    assert frame.creator.inputs.trajectory.uuid == pw_md_trajectory.uuid


@pytest.fixture(scope='module')
def melting_iron():
    """bcc Fe (128 atoms, Mendelev potential) heated from 300 K to 4,500 K (melts by superheating)."""
    from aiida_symclf.testing.lammps_md import available, default_potentials, heating_run

    reason = available(['Fe'])
    if reason:
        pytest.skip(f'{reason}: install with `bash scripts/engines.sh`')
    atoms = bulk('Fe', 'bcc', a=2.855, cubic=True).repeat(4)
    return heating_run(atoms, default_potentials()['Fe'], 300.0, 4500.0, steps=6000, dump_every=500)


def test_lammps_melting_trajectory_goes_from_bcc_to_unknown(melting_iron):
    trajectory = trajectory_from_atoms(melting_iron.frames, times=melting_iron.steps * 0.002).store()
    _, node = run_get_node(SymmetryClassificationWorkChain, trajectories={'fe': trajectory})
    assert node.is_finished_ok, node.exit_message
    labels = [result['label'] for result in trajectory_results(trajectory)]
    assert len(labels) == len(melting_iron.frames) == 13
    assert labels[:3] == ['bcc'] * 3 and labels[-2:] == ['unknown'] * 2
    first_unknown = labels.index('unknown')
    assert set(labels[first_unknown:]) == {'unknown'}  # once melted it stays melted
    # The melting seen in the energy: the largest jump of the potential energy per atom between frames
    # comes just before the first frame called unknown.
    jump = int(np.argmax(np.diff(melting_iron.energies))) + 1
    assert abs(jump - first_unknown) <= 1, (jump, first_unknown, labels, melting_iron.energies)


def test_lammps_trajectory_in_the_bulk_mode(melting_iron):
    trajectory = trajectory_from_atoms(melting_iron.frames).store()
    _, node = run_get_node(BulkClassificationWorkChain.get_builder_for_trajectory(trajectory, chunk_size=5))
    assert node.is_finished_ok, node.exit_message
    found = trajectory_results(trajectory)
    assert [result['frame'] for result in found] == list(range(13))
    assert found[0]['label'] == 'bcc' and found[-1]['label'] == 'unknown'
