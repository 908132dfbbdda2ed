"""SymmetryClassificationWorkChain: outputs, provenance, extras, queries, validation, exit codes."""

from __future__ import annotations

import numpy as np
import pytest
from aiida import orm
from aiida.common.links import LinkType
from aiida.engine import run_get_node
from ase import Atoms
from ase.build import bulk

from aiida_symclf import query
from aiida_symclf.data import SymclfModelData
from aiida_symclf.workflows.classify import SymmetryClassificationWorkChain

PERTURBATIONS = [{'displacement': 0.02, 'vacancy_fraction': 0.1, 'replicas': 2, 'seed': 1}]
#: A level no crystal survives: 30% displacements make a liquid-like box, labelled `unknown`.
MELTED = {'displacement': 0.3, 'vacancy_fraction': 0.0, 'replicas': 2, 'seed': 5}


def structures(**atoms_by_key: Atoms) -> dict[str, orm.StructureData]:
    return {key: orm.StructureData(ase=atoms) for key, atoms in atoms_by_key.items()}


@pytest.fixture(scope='module')
def finished(aiida_profile):
    """One run with two perturbation levels and attention maps, shared by the tests of this module.

    Also the label counts of the profile just before and just after the run, so that tests can
    check exactly what this run added whatever other tests stored in the same profile.
    """
    inputs = structures(
        fe=bulk('Fe', 'bcc', a=2.87), cu=bulk('Cu', 'fcc', a=3.61), mg=bulk('Mg', 'hcp', a=3.21, c=5.21)
    )
    before = query.label_counts()
    _, node = run_get_node(
        SymmetryClassificationWorkChain,
        structures=inputs,
        perturbations=orm.List([*PERTURBATIONS, MELTED]),
        compute_attention=orm.Bool(True),
    )
    return node, inputs, before, query.label_counts()


def test_finishes_ok_with_labels_and_robustness(finished):
    node, *_ = finished
    assert node.is_finished_ok, node.exit_message
    labels = {key: result['label'] for key, result in node.outputs.results.items()}
    assert labels == {'fe': 'bcc', 'cu': 'fcc', 'mg': 'hcp/rh'}
    for result in node.outputs.results.values():
        assert result['probability'] > 0.9
        mild, melted = result['robustness']
        # 2% displacements and 10% vacancies: well inside what the model handles; 30%
        # displacements: no Bragg peaks left, every replica is `unknown`.
        assert mild['replicas'] == 2 and mild['fraction_same_label'] == 1.0
        assert melted['replicas'] == 2 and melted['fraction_same_label'] == 0.0
    summary = node.outputs.summary.get_dict()
    assert summary['n_classified'] == 3 and summary['counts'] == {'bcc': 1, 'fcc': 1, 'hcp/rh': 1}
    assert [level['mean_fraction_same_label'] for level in summary['robustness']] == [1.0, 0.0]


def test_melted_replicas_are_unknown_with_their_reason(finished):
    node, *_ = finished
    (classify,) = [call for call in node.called if call.process_label == 'classify_fingerprints']
    for replica in range(2):
        result = classify.outputs[f'cu_p1_r{replica}']
        assert result['label'] == 'unknown' and 'not crystalline' in result['unknown_reason']
        assert classify.outputs[f'cu_p0_r{replica}']['label'] == 'fcc'


def test_replicas_take_the_path_of_any_input(finished):
    """Replicas are perturbed supercells in the input's frame, fingerprinted like the inputs."""
    node, inputs, *_ = finished
    (fingerprint_call,) = [call for call in node.called if call.process_label == 'compute_fingerprints']
    # the model's own fingerprint settings (no fingerprint_parameters input was given)
    used = fingerprint_call.base.links.get_incoming(link_label_filter='fingerprint_parameters').one().node.get_dict()
    assert used == SymclfModelData.get_or_create().load().metadata.fingerprint_parameters.to_dict()
    (perturb_call,) = [call for call in node.called if call.process_label == 'perturb_structures']
    replica = perturb_call.outputs['cu_p0_r0']
    # same frame as the input (a supercell of it), not the block the pipeline prepares
    cell = np.asarray(replica.cell)
    original = np.asarray(inputs['cu'].cell)
    ratios = np.linalg.solve(original.T, cell.T).T
    assert np.allclose(ratios, np.round(ratios)) and np.allclose(ratios, np.diag(np.diag(ratios)))
    assert fingerprint_call.outputs['cu_p0_r0'].base.attributes.get('lattice')['bravais'] == 'cF'


def test_outputs_fingerprints_and_attention_maps(finished):
    node, *_ = finished
    assert set(node.outputs.fingerprints) == {'fe', 'cu', 'mg'}
    for maps in node.outputs.attention_maps.values():
        assert maps.get_array('dominant_class').shape == (64, 64)
        assert 'attention.png' in maps.base.repository.list_object_names()


def test_provenance_input_to_perturbed_to_fingerprint_to_classification(finished):
    """Each replica of fe: input -> perturb -> replica -> fingerprint -> its classification, one path each."""
    node, inputs, *_ = finished
    steps = {call.base.links.get_incoming(link_type=LinkType.CALL_CALC).one().link_label: call for call in node.called}
    assert set(steps) == {
        'perturb',
        'fingerprint',
        'classify',
        'attention_fe',
        'attention_cu',
        'attention_mg',
        'results',
    }
    assert inputs['fe'].pk in {link.node.pk for link in steps['perturb'].base.links.get_incoming().all()}
    labels = []
    for key in (f'fe_p{level}_r{replica}' for level in range(2) for replica in range(2)):
        replica = steps['perturb'].outputs[key]
        fingerprint = steps['fingerprint'].outputs[key]
        classification = steps['classify'].outputs[key]
        assert replica.base.links.get_outgoing(link_label_filter=key).one().node.pk == steps['fingerprint'].pk
        assert fingerprint.base.links.get_outgoing(link_label_filter=key).one().node.pk == steps['classify'].pk
        assert fingerprint.base.attributes.get('structure_uuid') == replica.uuid == classification['structure_uuid']
        labels.append(classification['label'])
    assert labels == ['bcc', 'bcc', 'unknown', 'unknown']


def test_extras_and_query_helpers(finished):
    node, inputs, before, after = finished
    fe = orm.load_node(inputs['fe'].pk)
    assert fe.base.extras.get('symclf_label') == 'bcc'
    assert fe.base.extras.get('symclf_model_sha256') == SymclfModelData.get_or_create().sha256
    bcc = query.classified_structures(label='bcc', min_probability=0.9)
    assert inputs['fe'].pk in [s.pk for s in bcc]
    assert inputs['cu'].pk not in [s.pk for s in bcc]
    added = {label: after.get(label, 0) - before.get(label, 0) for label in after}
    assert {label: count for label, count in added.items() if count} == {'bcc': 1, 'fcc': 1, 'hcp/rh': 1}
    results = query.classification_results(label='fcc', min_probability=0.9)
    assert inputs['cu'].uuid in [structure.uuid for _, structure in results if structure is not None]
    with pytest.raises(ValueError):
        query.classified_structures(min_probability=2)


def test_model_node_is_reused_across_runs(finished):
    node, *_ = finished
    _, second = run_get_node(SymmetryClassificationWorkChain, structures=structures(w=bulk('W', 'bcc', a=3.16)))
    assert second.is_finished_ok
    shipped = SymclfModelData.get_or_create().sha256
    same = orm.QueryBuilder().append(SymclfModelData, filters={'attributes.sha256': shipped})
    assert same.count() == 1


def test_no_perturbations_classifies_as_given():
    _, node = run_get_node(SymmetryClassificationWorkChain, structures=structures(si=bulk('Si', 'diamond', a=5.43)))
    assert node.is_finished_ok
    assert node.outputs.results['si']['label'] == 'diamond'
    assert node.outputs.results['si']['robustness'] == []
    assert 'attention_maps' not in node.outputs


@pytest.mark.slow
def test_steps_run_in_batches_with_the_same_results(monkeypatch):
    """Big inputs are split into CalcFunction calls of STEP_BATCH_SIZE structures (one link costs
    more in a call with many links); each step's calls share its link label; results as one batch."""
    from aiida_symclf.workflows import classify

    inputs = {'fe': bulk('Fe', 'bcc', a=2.87), 'cu': bulk('Cu', 'fcc', a=3.61), 'mg': bulk('Mg', 'hcp', a=3.21, c=5.21)}
    monkeypatch.setattr(classify, 'STEP_BATCH_SIZE', 2)
    _, node = run_get_node(
        SymmetryClassificationWorkChain, structures=structures(**inputs), perturbations=orm.List(PERTURBATIONS)
    )
    assert node.is_finished_ok, node.exit_message
    labels = [call.base.links.get_incoming(link_type=LinkType.CALL_CALC).one().link_label for call in node.called]
    # 3 structures: 2 perturb calls; 3 + 6 replicas: 5 fingerprint and 5 classify calls; one results call
    assert sorted(labels) == ['classify'] * 5 + ['fingerprint'] * 5 + ['perturb'] * 2 + ['results']
    assert {key: result['label'] for key, result in node.outputs.results.items()} == {
        'fe': 'bcc',
        'cu': 'fcc',
        'mg': 'hcp/rh',
    }
    assert all(result['robustness'][0]['replicas'] == 2 for result in node.outputs.results.values())


def test_one_bad_structure_is_reported_not_dropped():
    molecule = Atoms('H2', positions=[[0, 0, 0], [0, 0, 0.74]], cell=[5, 5, 5], pbc=False)
    _, node = run_get_node(
        SymmetryClassificationWorkChain,
        structures=structures(cu=bulk('Cu', 'fcc', a=3.61), h2=molecule),
        perturbations=orm.List(PERTURBATIONS),
    )
    assert node.exit_status == 400 and 'h2' in node.exit_message
    assert node.outputs.results['cu']['label'] == 'fcc'
    assert node.outputs.results['h2']['status'] == 'failed'
    assert 'not periodic' in node.outputs.results['h2']['reason']


def test_all_structures_bad_gives_exit_code_401():
    empty = orm.StructureData(cell=[[3, 0, 0], [0, 3, 0], [0, 0, 3]])
    _, node = run_get_node(SymmetryClassificationWorkChain, structures={'empty': empty})
    assert node.exit_status == 401 and 'no atoms' in node.exit_message
    # each structure's own result with its reason, as when only some fail (callers need not parse the message)
    assert node.outputs.results['empty']['status'] == 'failed' and 'no atoms' in node.outputs.results['empty']['reason']
    assert node.outputs.summary['n_failed'] == 1


@pytest.mark.parametrize(
    ('port', 'value', 'message'),
    [
        ('perturbations', [{'vacancy_fraction': 1.5}], 'vacancy_fraction'),
        ('perturbations', [{'displacement': -1}], 'displacement'),
        ('perturbations', [{'replicas': 0}], 'replicas'),
        ('perturbations', [{'sigma': 0.1}], 'unknown perturbation keys: sigma'),
        (
            'perturbations',
            [{'displacement': -1, 'replicas': 0}],
            'displacement must be >= 0, got -1; replicas must be a positive integer',
        ),
        ('perturbations', [{'replicas': 10_001}], 'at most 10000'),
        ('fingerprint_parameters', {'image_size': 4}, 'image_size'),
        ('attention_parameters', {'top_k': 'four'}, 'top_k'),
        ('compute_attention', 1, 'compute_attention'),
    ],
)
def test_bad_inputs_are_rejected_before_any_step(port, value, message):
    node_types = {list: orm.List, dict: orm.Dict, int: orm.Int}
    before = orm.QueryBuilder().append(orm.ProcessNode).count()
    with pytest.raises(ValueError, match=message):
        run_get_node(
            SymmetryClassificationWorkChain,
            structures=structures(cu=bulk('Cu', 'fcc', a=3.61)),
            **{port: node_types[type(value)](value)},
        )
    assert orm.QueryBuilder().append(orm.ProcessNode).count() == before


def test_empty_structures_namespace_is_rejected():
    with pytest.raises(ValueError, match='at least one structure'):
        run_get_node(SymmetryClassificationWorkChain, structures={})


def test_can_be_exposed_in_a_parent_workchain():
    from aiida.engine import WorkChain

    class Parent(WorkChain):
        @classmethod
        def define(cls, spec):
            super().define(spec)
            spec.expose_inputs(SymmetryClassificationWorkChain, namespace='classify')

    builder = Parent.get_builder()
    builder.classify.structures = structures(cu=bulk('Cu', 'fcc', a=3.61))
    assert 'perturbations' in builder._port_namespace['classify']


@pytest.mark.slow
def test_compact_mode_gives_the_same_labels_with_a_constant_number_of_nodes(prototypes):
    SymclfModelData.get_or_create()  # stored once per profile: not counted, whichever test ran first

    def run(store_per_structure: bool, atoms_by_key: dict) -> tuple[orm.WorkChainNode, int]:
        before = orm.QueryBuilder().append(orm.Node).count()
        _, node = run_get_node(
            SymmetryClassificationWorkChain,
            structures=structures(**atoms_by_key),
            perturbations=orm.List(PERTURBATIONS),
            store_per_structure=orm.Bool(store_per_structure),
        )
        assert node.is_finished_ok, node.exit_message
        return node, orm.QueryBuilder().append(orm.Node).count() - before

    atoms_by_key = {name.replace('/', '_'): atoms for name, atoms in prototypes.items()}
    compact, compact_nodes = run(False, atoms_by_key)
    normal, normal_nodes = run(True, atoms_by_key)
    labels = {key: result['label'] for key, result in compact.outputs.batch_results.get_dict().items()}
    assert labels == {key: result['label'] for key, result in normal.outputs.results.items()}
    assert labels == {key: key.replace('_', '/') for key in atoms_by_key}
    for result in compact.outputs.batch_results.get_dict().values():
        assert result['robustness'][0]['fraction_same_label'] == 1.0
    # Beyond the 7 input structures: the workchain, one CalcFunction, its 3 outputs and 5 small
    # input nodes (List, Dict, Bools), whatever the number of structures.
    assert compact_nodes - len(atoms_by_key) == 10
    assert normal_nodes > 5 * len(atoms_by_key)
    assert compact.outputs.batch_fingerprints.get_array('fingerprint').shape == (7, 3, 64, 64)


def test_compact_mode_refuses_attention_maps():
    with pytest.raises(ValueError, match='store_per_structure'):
        run_get_node(
            SymmetryClassificationWorkChain,
            structures=structures(cu=bulk('Cu', 'fcc', a=3.61)),
            store_per_structure=orm.Bool(False),
            compute_attention=orm.Bool(True),
        )


def test_compact_mode_reports_a_bad_structure():
    molecule = Atoms('H2', positions=[[0, 0, 0], [0, 0, 0.74]], cell=[5, 5, 5], pbc=False)
    _, node = run_get_node(
        SymmetryClassificationWorkChain,
        structures=structures(cu=bulk('Cu', 'fcc', a=3.61), h2=molecule),
        store_per_structure=orm.Bool(False),
    )
    assert node.exit_status == 400
    results = node.outputs.batch_results.get_dict()
    assert results['cu']['label'] == 'fcc' and results['h2']['status'] == 'failed'
    assert orm.load_node(node.inputs.structures.cu.pk).base.extras.get('symclf_label') == 'fcc'


def test_a_failed_step_ends_with_its_own_exit_code():
    """Fingerprint parameters the validator accepts but the model does not (another image size):
    the classify step fails alone (202 per fingerprint), so every structure fails: 401, no exception."""
    _, node = run_get_node(
        SymmetryClassificationWorkChain,
        structures=structures(cu=bulk('Cu', 'fcc', a=3.61)),
        fingerprint_parameters=orm.Dict({'image_size': 32}),
    )
    assert node.exit_status == 401 and 'model and fingerprint do not match' in node.exit_message


def test_exit_codes_follow_aiida_conventions_and_match_the_calcfunctions():
    """200-299 invalid input, 300-399 critical errors, 400+ the WorkChain's own; every CalcFunction
    code is declared by the WorkChain under the same name, number and message."""
    from aiida_symclf.utils.exit_codes import EXIT_CODES

    declared = {
        name: (code.status, code.message) for name, code in SymmetryClassificationWorkChain.spec().exit_codes.items()
    }
    for name, (status, message) in EXIT_CODES.items():
        assert declared[name] == (status, message)
        assert (200 <= status < 300) == (name.startswith('ERROR_INVALID') or name == 'ERROR_MODEL_MISMATCH')
        assert (300 <= status < 400) == name.endswith('_FAILED')
    assert declared['ERROR_SOME_STRUCTURES_FAILED'][0] == 400 and declared['ERROR_ALL_STRUCTURES_FAILED'][0] == 401


def test_default_model_is_an_input_in_the_provenance_graph():
    _, node = run_get_node(SymmetryClassificationWorkChain, structures=structures(cu=bulk('Cu', 'fcc', a=3.61)))
    incoming = node.base.links.get_incoming(link_label_filter='model').one().node
    assert incoming.uuid == SymclfModelData.get_or_create().uuid


# Step tests (aiida-quantumespresso's style): one outline step at a time, on an instance made by
# the ``generate_workchain`` factory, without running the whole WorkChain.


def test_setup_step_reads_levels_and_the_model_s_fingerprint_settings(generate_workchain, generate_structure):
    level = {'displacement': 0.02, 'vacancy_fraction': 0.1, 'replicas': 2, 'seed': 1}
    process = generate_workchain(
        'symclf.classify', {'structures': {'cu': generate_structure()}, 'perturbations': orm.List([level])}
    )
    assert process.setup() is None
    assert process.should_perturb()
    assert process.ctx.levels == [{**level, 'antisite_fraction': 0.0}]
    trained = process.ctx.model.base.attributes.get('fingerprint_parameters')
    assert process.ctx.fingerprint_parameters.get_dict()['image_size'] == trained['image_size']


def test_setup_step_keeps_the_user_s_fingerprint_parameters_node_when_it_agrees(generate_workchain, generate_structure):
    process = generate_workchain('symclf.classify', {'structures': {'cu': generate_structure()}})
    process.setup()
    given = orm.Dict(process.ctx.fingerprint_parameters.get_dict())
    process = generate_workchain(
        'symclf.classify', {'structures': {'cu': generate_structure()}, 'fingerprint_parameters': given}
    )
    process.setup()
    assert process.ctx.fingerprint_parameters is given
    assert not process.should_perturb()


def test_results_are_collected_in_batches_and_their_summaries_merged(monkeypatch):
    """``collect_results`` runs in calls of about RESULTS_BATCH_SIZE classification Dicts (aiida-core
    compares each new Dict input with the earlier ones of a call by content: quadratic); the summary
    of several calls is merged by ``merge_summaries`` and equals that of one call."""
    from aiida_symclf.workflows import classify

    inputs = {'fe': bulk('Fe', 'bcc', a=2.87), 'cu': bulk('Cu', 'fcc', a=3.61), 'mg': bulk('Mg', 'hcp', a=3.21, c=5.21)}
    monkeypatch.setattr(classify, 'RESULTS_BATCH_SIZE', 3)  # one structure and its 2 replicas per call
    _, node = run_get_node(
        SymmetryClassificationWorkChain, structures=structures(**inputs), perturbations=orm.List([*PERTURBATIONS])
    )
    assert node.is_finished_ok, node.exit_message
    labels = [call.base.links.get_incoming(link_type=LinkType.CALL_CALC).one().link_label for call in node.called]
    assert sorted(labels).count('results') == 3 and labels.count('summary') == 1
    (merge,) = [call for call in node.called if call.process_label == 'merge_summaries']
    assert node.outputs.summary.pk == merge.outputs.result.pk
    summary = node.outputs.summary.get_dict()
    assert summary['n_structures'] == 3 and summary['n_classified'] == 3
    assert summary['labels'] == {'fe': 'bcc', 'cu': 'fcc', 'mg': 'hcp/rh'}
    assert summary['counts'] == {'bcc': 1, 'fcc': 1, 'hcp/rh': 1}
    assert [level['mean_fraction_same_label'] for level in summary['robustness']] == [1.0]
    assert {key: result['label'] for key, result in node.outputs.results.items()} == summary['labels']


def test_merge_summaries_equals_the_summary_of_all_results() -> None:
    from aiida_symclf.utils.results import merge_summaries, summary

    level = {'displacement': 0.02, 'vacancy_fraction': 0.0, 'replicas': 4, 'seed': 0}

    def classified(label: str, fraction: float) -> dict:
        return {'status': 'classified', 'label': label, 'robustness': [{**level, 'fraction_same_label': fraction}]}

    results = {
        'a': classified('fcc', 1.0),
        'b': classified('bcc', 0.5),
        'c': {'status': 'failed', 'reason': 'empty'},
        'd': classified('fcc', 0.25),
    }
    parts = [summary({k: results[k] for k in keys}, [level]) for keys in (['a'], ['b', 'c', 'd'])]
    assert merge_summaries(parts) == summary(results, [level])
