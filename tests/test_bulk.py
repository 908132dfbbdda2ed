"""Bulk mode: stored structures by UUID, in chunks, extras by bulk update, provenance without per-structure links."""

from __future__ import annotations

import pytest
from aiida import orm
from aiida.common.links import LinkType
from aiida.engine import run_get_node
from ase.build import bulk

from aiida_symclf import query
from aiida_symclf.utils.stored import atoms_from_attributes, load_stored_structures, plain_rows
from aiida_symclf.workflows.bulk import BulkClassificationWorkChain, set_result_extras


@pytest.fixture(scope='module')
def finished(aiida_profile):
    """Seven structures in a Group (one with a partial occupancy), chunks of 3, one extra set beforehand."""
    atoms = {
        'fe': bulk('Fe', 'bcc', a=2.87), 'cu': bulk('Cu', 'fcc', a=3.61), 'si': bulk('Si', 'diamond', a=5.43),
        'mg': bulk('Mg', 'hcp', a=3.21, c=5.21), 'nacl': bulk('NaCl', 'rocksalt', a=5.64),
        'gaas': bulk('GaAs', 'zincblende', a=5.65),
    }  # fmt: skip
    nodes = {key: orm.StructureData(ase=value, label=key).store() for key, value in atoms.items()}
    alloy = orm.StructureData(cell=[[3.6, 0, 0], [0, 3.6, 0], [0, 0, 3.6]])
    alloy.append_atom(position=(0, 0, 0), symbols=('Cu', 'Au'), weights=(0.5, 0.5))
    nodes['alloy'] = alloy.store()
    nodes['fe'].base.extras.set('project', 'kept')
    group = orm.Group(label='symclf-bulk-test').store()
    group.add_nodes(list(nodes.values()))
    builder = BulkClassificationWorkChain.get_builder_for_group(group, chunk_size=3)
    _, node = run_get_node(builder)
    return node, nodes


def chunk_steps(node) -> dict:
    """The ``classify_stored`` CalcFunction of every chunk, by chunk label: called directly (no
    broker) or by each chunk's ChunkClassificationWorkChain (with a broker)."""
    steps = {}
    for link in node.base.links.get_outgoing(link_type=(LinkType.CALL_CALC, LinkType.CALL_WORK)).all():
        child = link.node
        if link.link_type == LinkType.CALL_WORK:
            child = child.base.links.get_outgoing(link_type=LinkType.CALL_CALC, link_label_filter='classify').one().node
        steps[link.link_label] = child
    return steps


def test_every_chunk_finishes_and_failures_stay_in_their_chunk(finished):
    node, nodes = finished
    assert node.is_finished_ok, node.exit_message
    assert sorted(chunk_steps(node)) == ['chunk_00000', 'chunk_00001', 'chunk_00002']
    results = {}
    for output in node.outputs.results.values():
        results.update(output.get_dict())
    assert set(results) == {structure.uuid for structure in nodes.values()}
    failed = results[nodes['alloy'].uuid]
    assert failed['status'] == 'failed' and 'partial occupancies' in failed['reason']
    labels = {key: results[structure.uuid].get('label') for key, structure in nodes.items()}
    assert labels == {
        'fe': 'bcc', 'cu': 'fcc', 'si': 'diamond', 'mg': 'hcp/rh', 'nacl': 'rocksalt', 'gaas': 'zincblende',
        'alloy': None,
    }  # fmt: skip


def test_extras_name_the_result_node_and_keep_earlier_extras(finished):
    node, nodes = finished
    fe = orm.load_node(nodes['fe'].pk)
    assert fe.base.extras.get('project') == 'kept'
    assert fe.base.extras.get('symclf_label') == 'bcc'
    assert fe.base.extras.get('symclf_aflow_prototype') == 'A_cI2_229_a'
    result = orm.load_node(fe.base.extras.get('symclf_result_uuid'))
    assert result.get_dict()[fe.uuid]['label'] == 'bcc'
    assert 'symclf_label' not in orm.load_node(nodes['alloy'].pk).base.extras.all
    found = {s.pk for s in query.classified_structures(aflow_prototype='AB_cF8_225_a_b')}
    assert nodes['nacl'].pk in found and nodes['cu'].pk not in found


def test_provenance_links_the_uuid_list_not_each_structure(finished):
    node, nodes = finished
    step = chunk_steps(node)['chunk_00000']
    assert step.process_type == 'aiida.calculations:symclf.classify_stored'
    inputs = {link.link_label: link.node for link in step.base.links.get_incoming(link_type=LinkType.INPUT_CALC).all()}
    assert set(inputs) == {'uuids', 'start', 'stop', 'model', 'workers'}
    assert inputs['uuids'].pk == node.inputs.uuids.pk
    probabilities = step.outputs.probabilities
    assert probabilities.get_array('probabilities').shape[0] == len(probabilities.base.attributes.get('uuids'))


def test_loading_by_attributes_gives_the_same_atoms_as_the_node(finished):
    _, nodes = finished
    loaded = load_stored_structures([nodes['mg'].uuid, nodes['nacl'].uuid, 'not-a-uuid'])
    for key in ('mg', 'nacl'):
        reference = nodes[key].get_ase()
        atoms = loaded[nodes[key].uuid].atoms
        assert atoms.get_chemical_symbols() == reference.get_chemical_symbols()
        assert abs(atoms.positions - reference.positions).max() < 1e-12
        assert abs(atoms.cell[:] - reference.cell[:]).max() < 1e-12
    assert 'no StructureData' in loaded['not-a-uuid'].error
    with pytest.raises(ValueError, match='partial occupancies'):
        atoms_from_attributes(nodes['alloy'].base.attributes.all)


def test_a_chunk_with_no_classified_structure_updates_no_extras(finished):
    """Chunks are cut from UUID-sorted lists, so a chunk can hold only structures that fail (here the
    partial occupancy alone): no extras to set, and no query with an empty ``in`` filter (an error)."""
    node, _ = finished
    results = orm.Dict({'some-uuid': {'status': 'failed', 'reason': 'partial occupancies'}}).store()
    assert set_result_extras(results, node.inputs.model) == (0, 1)


def test_plain_rows_are_the_rows_of_iterall(finished):
    """The rows taken without aiida-core's entity conversion equal ``iterall``'s for plain projections."""
    _, nodes = finished
    query = orm.QueryBuilder().append(
        orm.StructureData, filters={'uuid': {'in': [node.uuid for node in nodes.values()]}},
        project=['uuid', 'id', 'attributes', 'extras'],
    )  # fmt: skip
    plain = sorted(plain_rows(query), key=lambda row: row[1])
    converted = sorted(query.iterall(), key=lambda row: row[1])
    assert len(plain) == len(nodes) and plain == converted
    assert all(type(row) is list for row in plain)


@pytest.mark.parametrize(
    ('inputs', 'message'),
    [
        ({'uuids': []}, 'at least one'),
        ({'uuids': [1, 2]}, 'UUID strings'),
        ({'chunk_size': 0}, 'chunk_size'),
        ({'workers': 0}, 'workers'),
    ],
)
def test_bad_inputs_are_refused_before_anything_runs(aiida_profile, inputs, message):
    from aiida.engine import run

    values = {
        'uuids': orm.List(inputs.get('uuids', ['x'])),
        'chunk_size': orm.Int(inputs.get('chunk_size', 5)),
        'workers': orm.Int(inputs.get('workers', 1)),
    }
    with pytest.raises(ValueError, match=message):
        run(BulkClassificationWorkChain, **values)


def test_a_chunk_in_which_every_structure_fails_gives_an_empty_probability_matrix(finished):
    """A chunk of failures only (here the partial occupancy alone) still finishes, with a (0, C) matrix."""
    from aiida.engine import run

    from aiida_symclf.calculations.functions.classify_stored import classify_stored
    from aiida_symclf.data import SymclfModelData

    _, nodes = finished
    uuids, model = orm.List([nodes['alloy'].uuid]), SymclfModelData.get_or_create()
    outputs = run(classify_stored, uuids=uuids, start=orm.Int(0), stop=orm.Int(1), model=model)
    assert outputs['results'].get_dict()[nodes['alloy'].uuid]['status'] == 'failed'
    class_names = outputs['probabilities'].base.attributes.get('class_names')
    assert outputs['probabilities'].get_array('probabilities').shape == (0, len(class_names))
    assert outputs['probabilities'].base.attributes.get('uuids') == []


@pytest.mark.slow
def test_worker_processes_give_the_same_results(finished):
    """``workers=2`` (a chunk above 64 structures goes to worker processes) stores the same results as 1."""
    from aiida.engine import run

    from aiida_symclf.calculations.functions.classify_stored import classify_stored
    from aiida_symclf.data import SymclfModelData

    _, nodes = finished
    usable = [node.uuid for key, node in sorted(nodes.items()) if key != 'alloy']
    uuids, model = orm.List(usable * 12), SymclfModelData.get_or_create()  # 72 entries
    results = [
        run(classify_stored, uuids=uuids, start=orm.Int(0), stop=orm.Int(72), model=model, workers=orm.Int(count))
        for count in (1, 2)
    ]
    one, two = (outputs['results'].get_dict() for outputs in results)
    assert all(value['status'] == 'classified' for value in one.values())
    assert {uuid: value['label'] for uuid, value in one.items()} == {
        uuid: value['label'] for uuid, value in two.items()
    }
    assert all(abs(one[uuid]['probability'] - two[uuid]['probability']) < 1e-5 for uuid in one)
    probabilities = [outputs['probabilities'].get_array('probabilities') for outputs in results]
    assert abs(probabilities[0] - probabilities[1]).max() < 1e-5


def test_a_bad_worker_count_given_to_the_calcfunction_is_a_failed_exit_code(finished):
    """``classify_stored`` called directly (not through the WorkChain's validator) refuses ``workers=0``
    with its ERROR_INVALID_PARAMETERS exit code and stores no output."""
    from aiida_symclf.calculations.functions.classify_stored import classify_stored
    from aiida_symclf.data import SymclfModelData

    _, nodes = finished
    uuids, model = orm.List([nodes['cu'].uuid]), SymclfModelData.get_or_create()
    _, node = run_get_node(classify_stored, uuids=uuids, start=orm.Int(0), stop=orm.Int(1), model=model,
                           workers=orm.Int(0))  # fmt: skip
    assert node.is_finished and not node.is_finished_ok
    assert 'workers' in node.exit_message and not node.base.links.get_outgoing(link_type=LinkType.CREATE).all()
