"""One bad structure among good ones, in every storage mode and at every step: the WorkChain ends
with exit 400, the bad structure's result says why, and the good ones are classified."""

from __future__ import annotations

import importlib

import pytest
from aiida import orm
from aiida.engine import run_get_node
from ase import Atoms
from ase.build import bulk

from aiida_symclf.workflows.classify import SymmetryClassificationWorkChain

PERTURBATIONS = [{'displacement': 0.02, 'vacancy_fraction': 0.1, 'replicas': 1, 'seed': 1}]


def overlapping() -> Atoms:
    """Passes the input checks (periodic, finite, atoms) but two atoms sit on top of each other."""
    atoms = bulk('Cu', 'fcc', a=3.61, cubic=True)
    atoms.positions[1] = atoms.positions[0] + 1e-5
    return atoms


def run(compact: bool, perturb: bool, attention: bool = False, bad: Atoms | None = None):
    structures = {
        'cu': orm.StructureData(ase=bulk('Cu', 'fcc', a=3.61)),
        'fe': orm.StructureData(ase=bulk('Fe', 'bcc', a=2.87)),
        'bad': orm.StructureData(ase=bad if bad is not None else bulk('W', 'bcc', a=3.16)),
    }
    inputs = {'structures': structures, 'store_per_structure': orm.Bool(not compact)}
    if perturb:
        inputs['perturbations'] = orm.List(PERTURBATIONS)
    if attention:
        inputs['compute_attention'] = orm.Bool(True)
    _, node = run_get_node(SymmetryClassificationWorkChain, **inputs)
    results = (
        node.outputs.batch_results.get_dict() if compact else {k: v.get_dict() for k, v in node.outputs.results.items()}
    )
    return node, results


def check(node, results, reason: str, step: str | None = None) -> None:
    assert node.exit_status == 400, (node.exit_status, node.exit_message)
    assert 'bad' in node.exit_message
    assert results['bad']['status'] == 'failed' and reason in results['bad']['reason'], results['bad']
    assert {results[k]['label'] for k in ('cu', 'fe')} == {'fcc', 'bcc'}
    if step is not None:
        assert step in {call.process_label for call in node.called}


@pytest.mark.parametrize('compact', [False, True], ids=['per-structure', 'compact'])
@pytest.mark.parametrize('perturb', [False, True], ids=['as given', 'perturbed'])
def test_overlapping_atoms(compact, perturb):
    """Refused by the input checks of the first step that reads the structure (the perturbation or the
    fingerprint), with the atoms and their distance."""
    node, results = run(compact, perturb, bad=overlapping())
    check(node, results, 'atom 0 (Cu) and atom 1 (Cu) overlap')
    if perturb:
        assert all(level['fraction_same_label'] == 1.0 for k in ('cu', 'fe') for level in results[k]['robustness'])


def test_classify_step(monkeypatch):
    """A fingerprint the model cannot use (here: made unusable on purpose) fails alone."""
    import aiida_symclf.utils.classifying as classifying
    from aiida_symclf.utils.exit_codes import StepError

    original = classifying.check_model_matches

    def refuse_w(model, node):
        structure = orm.load_node(node.base.attributes.get('structure_uuid'))
        if 'W' in structure.get_formula():
            raise StepError('ERROR_MODEL_MISMATCH', 'deliberately refused')
        return original(model, node)

    monkeypatch.setattr(classifying, 'check_model_matches', refuse_w)
    node, results = run(compact=False, perturb=False)
    check(node, results, 'deliberately refused', 'classify_fingerprints')


def test_attention_step(monkeypatch):
    """Attention maps that fail for one structure (the first one computed) fail that structure alone."""
    # The module, not the process function of the same name that the package exports.
    step = importlib.import_module('aiida_symclf.calculations.functions.compute_attention_maps')

    original, calls = step.compute_attention, []

    def fail_first(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise ValueError('deliberate failure')
        return original(*args, **kwargs)

    monkeypatch.setattr(step, 'compute_attention', fail_first)
    structures = {
        'bad': orm.StructureData(ase=bulk('W', 'bcc', a=3.16)),
        'cu': orm.StructureData(ase=bulk('Cu', 'fcc', a=3.61)),
        'fe': orm.StructureData(ase=bulk('Fe', 'bcc', a=2.87)),
    }
    _, node = run_get_node(SymmetryClassificationWorkChain, structures=structures, compute_attention=orm.Bool(True))
    results = {k: v.get_dict() for k, v in node.outputs.results.items()}
    check(node, results, 'deliberate failure')
    assert set(node.outputs.attention_maps) == {'cu', 'fe'}
