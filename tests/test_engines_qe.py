"""A real DFT chain: Debian's pw.x relaxes a strained Si cell, the classification takes its output.

Needs ``pw.x`` and ``quantum-espresso-data`` (``bash scripts/engines.sh``); skipped with that
reason where they are absent. Each pw.x run takes seconds: 2 atoms, 20 Ry, a coarse k-mesh,
one OpenMP thread, no MPI.
"""

from __future__ import annotations

import numpy as np
import pytest
from aiida import orm
from aiida.engine import run_get_node
from aiida.plugins import WorkflowFactory
from ase.build import bulk
from engine_programs import require_program, require_upf

from aiida_symclf.utils.pseudos import DEBIAN_UPF_FOLDER, choose_upf_files, install_upf_family

pytest.importorskip('aiida_quantumespresso', reason='needs the qe extra')

FAST = {  # low cutoffs (the family's), coarse k-points, one vc-relax (no meta-convergence restarts)
    'meta_convergence': False,
    'base_relax': {'kpoints_distance': 0.6},
    'base_init_relax': {'kpoints_distance': 0.6},
}


@pytest.fixture
def si_family():
    require_upf('Si')
    return install_upf_family('test/Debian/Si', DEBIAN_UPF_FOLDER, elements=['Si'], cutoffs=(20.0, 80.0))


@pytest.fixture
def pw_code(aiida_localhost):
    """The real pw.x on localhost, one OpenMP thread."""
    executable = require_program('pw.x')
    code = orm.InstalledCode(
        computer=aiida_localhost, filepath_executable=executable, default_calc_job_plugin='quantumespresso.pw',
        prepend_text='export OMP_NUM_THREADS=1',
    )  # fmt: skip
    return code.store()


def strained_silicon() -> orm.StructureData:
    """Primitive diamond Si stretched 4% along one cell vector: spglib and the Bragg lattice see no cubic cell."""
    atoms = bulk('Si', 'diamond', a=5.40)
    cell = atoms.cell.array.copy()
    cell[0] *= 1.04
    atoms.set_cell(cell, scale_atoms=True)
    return orm.StructureData(ase=atoms)


def test_entry_point_loads():
    from aiida_symclf.workflows.pw_relax import PwRelaxAndClassifyWorkChain

    assert WorkflowFactory('symclf.pw_relax_and_classify') is PwRelaxAndClassifyWorkChain


def test_debian_family_has_one_upf_per_element_and_cutoffs(si_family):
    assert [node.element for node in si_family.nodes] == ['Si']
    assert si_family.get_recommended_cutoffs(elements=('Si',), unit='Ry') == (20.0, 80.0)
    assert si_family.nodes[0].filename == 'Si.upf'


def test_choose_upf_files_prefers_the_functional_and_unpacks_gzip(tmp_path):
    import gzip

    header = '<UPF version="2.0.1">\n<PP_HEADER element="{}" z_valence="4.0" functional="{}" />\n</UPF>\n'
    (tmp_path / 'Si.pbe-rrkj.UPF').write_text(header.format('Si', 'PBE'))
    (tmp_path / 'Si.pz-vbc.UPF').write_text(header.format('Si', 'SLA PZ'))
    with gzip.open(tmp_path / 'Ge.pz-bhs.upf.gz', 'wt') as handle:
        handle.write(header.format('Ge', 'SLA PZ'))
    (tmp_path / 'README').write_text('not a pseudopotential')
    chosen = choose_upf_files(tmp_path)
    assert {element: path.name for element, path in chosen.items()} == {
        'Ge': 'Ge.pz-bhs.upf.gz', 'Si': 'Si.pz-vbc.UPF'
    }  # fmt: skip
    assert choose_upf_files(tmp_path, functional='pbe')['Si'].name == 'Si.pbe-rrkj.UPF'
    with pytest.raises(ValueError, match='no UPF file for C'):
        choose_upf_files(tmp_path, elements=['C', 'Si'])
    family = install_upf_family('test/gz', tmp_path, cutoffs=(25.0, 100.0))
    assert sorted(node.element for node in family.nodes) == ['Ge', 'Si']


def test_builder_takes_overrides_and_runs_pw_without_mpi(pw_code, si_family):
    from aiida_symclf.workflows.pw_relax import PwRelaxAndClassifyWorkChain

    builder = PwRelaxAndClassifyWorkChain.get_builder_from_protocol(
        pw_code, strained_silicon(), pseudo_family=si_family.label, overrides=FAST
    )
    assert builder.relax.base_relax.kpoints_distance.value == 0.6
    assert builder.relax.meta_convergence.value is False
    assert builder.relax.base_relax.pw.parameters['SYSTEM']['ecutwfc'] == 20.0
    assert builder.relax.base_relax.pw.metadata.options.withmpi is False
    with_mpi = PwRelaxAndClassifyWorkChain.get_builder_from_protocol(
        pw_code, strained_silicon(), pseudo_family=si_family.label, withmpi=True
    )
    assert with_mpi.relax.base_relax.pw.metadata.options.withmpi is True


def test_real_pw_relaxation_then_classification(pw_code, si_family):
    """Strained Si (not diamond as given) -> pw.x vc-relax -> cubic again -> diamond."""
    from aiida_symclf.workflows.pw_relax import PwRelaxAndClassifyWorkChain

    strained = strained_silicon()
    builder = PwRelaxAndClassifyWorkChain.get_builder_from_protocol(
        pw_code, strained, pseudo_family=si_family.label, overrides=FAST
    )
    _, node = run_get_node(builder)
    assert node.is_finished_ok, node.exit_message
    relax = node.base.links.get_outgoing(node_class=orm.WorkflowNode).all_nodes()
    (relax_node,) = [child for child in relax if child.process_label == 'PwRelaxWorkChain']
    relaxed = node.outputs.relaxed_structure
    assert relaxed.uuid == relax_node.outputs.output_structure.uuid  # the relaxation's own output, not a copy
    lengths = np.linalg.norm(np.array(relaxed.cell), axis=1)
    assert np.ptp(lengths) < 0.01 * lengths.mean()  # the strain is gone
    result = node.outputs.classification.results['relaxed']
    assert result['label'] == 'diamond' and result['probability'] > 0.9
    assert result['structure_uuid'] == relaxed.uuid
    assert relaxed.base.extras.get('symclf_label') == 'diamond'


@pytest.mark.parametrize('executable', ['/nonexistent/pw.x', '/bin/false'])
def test_missing_or_crashing_pw_gives_exit_code_401_with_the_reason(aiida_localhost, si_family, executable):
    from aiida_symclf.workflows.pw_relax import PwRelaxAndClassifyWorkChain

    code = orm.InstalledCode(
        computer=aiida_localhost, filepath_executable=executable, default_calc_job_plugin='quantumespresso.pw'
    ).store()
    builder = PwRelaxAndClassifyWorkChain.get_builder_from_protocol(
        code, strained_silicon(), pseudo_family=si_family.label, overrides=FAST
    )
    _, node = run_get_node(builder)
    assert node.exit_status == 401, node.exit_message
    assert 'PwCalculation<' in node.exit_message
    assert 'classification' not in node.outputs
    assert not [child for child in node.called_descendants if not child.is_terminated]


@pytest.mark.slow
def test_example_script_runs_with_the_debian_family(pw_code, monkeypatch, capsys):
    """``examples/qe_relax_then_classify.py CODE`` (default family: made from Debian's UPFs)."""
    import runpy
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / 'examples' / 'qe_relax_then_classify.py'
    require_upf('Si')
    # By pk: other tests of the session's profile may have made a code with the same label.
    monkeypatch.setattr('sys.argv', [str(script), str(pw_code.pk)])
    runpy.run_path(str(script), run_name='__main__')
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith('PwRelaxAndClassifyWorkChain<') and ': diamond (p = ' in last
