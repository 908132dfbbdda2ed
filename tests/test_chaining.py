"""Chaining after relaxations: a real EMT relaxation, and aiida-quantumespresso's PwRelaxWorkChain."""

from __future__ import annotations

import numpy as np
import pytest
from aiida import orm
from aiida.engine import calcfunction, run_get_node
from ase import Atoms
from ase.build import bulk

from aiida_symclf.workflows.relax import RelaxAndClassifyWorkChain, emt_relax


def strained_copper() -> orm.StructureData:
    atoms = bulk('Cu', 'fcc', a=3.9, cubic=True)
    atoms.set_cell(atoms.cell * [1.04, 0.97, 1.0], scale_atoms=True)
    atoms.positions += np.random.default_rng(0).normal(0, 0.03, atoms.positions.shape)
    return orm.StructureData(ase=atoms)


def test_emt_relaxation_recovers_cubic_copper():
    outputs = emt_relax(structure=strained_copper())
    lengths = outputs['output_structure'].get_ase().cell.lengths()
    assert outputs['output_parameters']['converged']
    assert np.allclose(lengths, lengths[0], atol=1e-3) and lengths[0] == pytest.approx(3.59, abs=0.05)


def test_emt_rejects_unsupported_elements():
    _, node = run_get_node(emt_relax, structure=orm.StructureData(ase=bulk('Fe', 'bcc', a=2.87)))
    assert node.exit_status == 200 and 'Fe' in node.exit_message


def test_relax_then_classify():
    builder = RelaxAndClassifyWorkChain.get_builder()
    builder.structure = strained_copper()
    builder.classify.perturbations = orm.List([{'displacement': 0.02, 'replicas': 2, 'seed': 0}])
    _, node = run_get_node(builder)
    assert node.is_finished_ok, node.exit_message
    result = node.outputs.classification.results['relaxed']
    assert result['label'] == 'fcc'
    # The classified structure is the relaxation's output, linked in the provenance graph.
    relaxed = node.outputs.relaxed_structure
    assert relaxed.creator.process_label == 'emt_relax'
    assert result['structure_uuid'] == relaxed.uuid


# --- aiida-quantumespresso --------------------------------------------------------------------

qe = pytest.importorskip('aiida_quantumespresso', reason='needs the qe extra')

UPF = '<UPF version="2.0.1">\n<PP_HEADER element="{element}" z_valence="{z}" pseudo_type="NC" functional="PBE" />\n</UPF>\n'


@pytest.fixture
def pseudo_family(tmp_path):
    """A tiny SSSP-like family (fake potentials, real aiida-pseudo family with cutoffs)."""
    from aiida_pseudo.data.pseudo import UpfData
    from aiida_pseudo.groups.family import SsspFamily

    label = 'SSSP/1.3/PBEsol/efficiency'  # SsspFamily only accepts SSSP labels; the content is fake
    existing = orm.QueryBuilder().append(SsspFamily, filters={'label': label}).first(flat=True)
    if existing is not None:
        return existing
    (tmp_path / 'Al.upf').write_text(UPF.format(element='Al', z=3.0))
    family = SsspFamily.create_from_folder(tmp_path, label, pseudo_type=UpfData)
    family.set_cutoffs({'Al': {'cutoff_wfc': 30.0, 'cutoff_rho': 240.0}}, 'normal', unit='Ry')
    return family


@pytest.fixture
def pw_code(aiida_code_installed):
    return aiida_code_installed(default_calc_job_plugin='quantumespresso.pw', filepath_executable='/bin/true')


def test_builder_from_protocol_with_aiida_pseudo_family(pw_code, pseudo_family):
    from aiida_symclf.workflows.pw_relax import PwRelaxAndClassifyWorkChain

    structure = orm.StructureData(ase=bulk('Al', 'fcc', a=4.1))
    builder = PwRelaxAndClassifyWorkChain.get_builder_from_protocol(
        pw_code, structure, pseudo_family=pseudo_family.label
    )
    assert builder.relax.base_relax.pw.code.pk == pw_code.pk
    assert builder.relax.base_relax.pw.pseudos['Al'].element == 'Al'
    assert builder.relax.base_relax.pw.parameters['CONTROL']['calculation'] == 'vc-relax'
    assert 'perturbations' in builder._port_namespace['classify']


@calcfunction
def mock_pw_relax(structure: orm.StructureData):
    """Stands in for the PwRelaxWorkChain: returns its input as ``output_structure``."""
    return {'output_structure': orm.StructureData(ase=structure.get_ase())}


def test_classifies_the_relaxations_output_structure(pw_code, pseudo_family):
    """Only the relaxation is mocked (no DFT code here): the rest of the chain runs for real."""
    from aiida_symclf.workflows.pw_relax import PwRelaxAndClassifyWorkChain

    class MockedRelaxAndClassify(PwRelaxAndClassifyWorkChain):
        def run_relax(self):
            _, self.ctx.relax = run_get_node(mock_pw_relax, structure=self.inputs.structure)

    structure = orm.StructureData(ase=bulk('Al', 'fcc', a=4.1))
    builder = MockedRelaxAndClassify.get_builder_from_protocol(pw_code, structure, pseudo_family=pseudo_family.label)
    _, node = run_get_node(builder)
    assert node.is_finished_ok, node.exit_message
    assert node.outputs.classification.results['relaxed']['label'] == 'fcc'
    assert node.outputs.relaxed_structure.creator.process_label == 'mock_pw_relax'


def test_failed_relaxation_gives_exit_code_401(pw_code, pseudo_family):
    """With a `pw.x` that does nothing (/bin/true) the real PwRelaxWorkChain fails: reported, not raised."""
    from aiida_symclf.workflows.pw_relax import PwRelaxAndClassifyWorkChain

    structure = orm.StructureData(ase=bulk('Al', 'fcc', a=4.1))
    builder = PwRelaxAndClassifyWorkChain.get_builder_from_protocol(
        pw_code, structure, pseudo_family=pseudo_family.label
    )
    _, node = run_get_node(builder)
    assert node.exit_status == 401 and 'PwRelaxWorkChain<' in node.exit_message


def test_non_periodic_relax_output_is_reported():
    molecule = orm.StructureData(ase=Atoms('H2', positions=[[0, 0, 0], [0, 0, 0.74]], cell=[5, 5, 5], pbc=False))
    builder = RelaxAndClassifyWorkChain.get_builder()
    builder.structure = molecule
    _, node = run_get_node(builder)
    # EMT relaxes the molecule; the classification refuses it (401: its only structure failed).
    assert node.exit_status == 402 and 'exit status 401' in node.exit_message
    (child,) = [call for call in node.called if call.process_label == 'SymmetryClassificationWorkChain']
    assert child.exit_status == 401 and 'not periodic' in child.exit_message


def test_failed_emt_relaxation_gives_exit_code_401():
    """The relaxation's own exit code reaches the parent as 401 (it used to raise a KeyError)."""
    builder = RelaxAndClassifyWorkChain.get_builder()
    builder.structure = orm.StructureData(ase=bulk('Fe', 'bcc', a=2.87))
    _, node = run_get_node(builder)
    assert node.exit_status == 401 and 'EMT cannot relax' in node.exit_message
