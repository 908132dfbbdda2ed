"""``aiida-symclf map``: local structure maps from the command line (click's CliRunner).

The Cu/Fe stack is mapped with a box of 15 A and a stride of 5 A, as in ``tests/test_map_workchain.py``:
the default box (~18 A) is as thick as each of its two crystals.
"""

from __future__ import annotations

import collections
import json
from pathlib import Path

import ase.io
import pytest
from ase.build import bulk
from click.testing import CliRunner, Result

from aiida_symclf.cli import cli
from aiida_symclf.testing.polycrystal import two_phase_stack

PNG_MAGIC = b'\x89PNG\r\n\x1a\n'
STACK_OPTIONS = ('--box', '15', '--stride', '5')


def invoke(*args: object) -> Result:
    return CliRunner().invoke(cli, ['map', *(str(arg) for arg in args)])


def error_lines(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


@pytest.fixture(scope='module')
def stack(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """An extxyz of the Cu/Fe stack (684 atoms) and the true label of each atom."""
    atoms, labels = two_phase_stack('Cu', 'Fe', layers=6)
    path = tmp_path_factory.mktemp('map') / 'stack.extxyz'
    ase.io.write(path, atoms, format='extxyz')
    return path, labels


@pytest.fixture(scope='module')
def stack_run(stack: tuple[Path, list[str]], tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Path]:
    """``map --library --json --output DIR`` of the stack, run once for the module."""
    folder = tmp_path_factory.mktemp('map_output')
    result = invoke('--library', '--json', *STACK_OPTIONS, '--output', folder, stack[0])
    assert result.exit_code == 0, result.output
    return result, folder


def test_library_json_labels_every_atom_of_the_stack(stack, stack_run) -> None:
    path, labels = stack
    records = json.loads(stack_run[0].stdout)
    assert len(records) == 1
    record = records[0]
    assert record['file'] == str(path) and record['frame'] == 0
    assert record['n_atoms'] == len(labels) == len(record['atom_labels']) == len(record['atom_probabilities'])
    assert (record['box'], record['stride']) == (15.0, 5.0)
    assert record['windows'] == record['grid'][0] * record['grid'][1] * record['grid'][2]
    assert record['majority_label'] in ('fcc', 'bcc')
    assert record['regions'] and all(region['label'] in ('fcc', 'bcc') for region in record['regions'])
    assert record['pk'] is None and record['workchain'] is None  # nothing stored
    # Cu 384 atoms, Fe 300: fcc 0.56, bcc 0.44; measured 0.51 and 0.37 (the rest unknown at the interfaces).
    true = {label: count / len(labels) for label, count in collections.Counter(labels).items()}
    for label in ('fcc', 'bcc'):
        assert abs(record['fractions'].get(label, 0.0) - true[label]) < 0.15, record['fractions']
        assert abs(record['fractions'].get(label, 0.0) - 0.5) < 0.15, record['fractions']
    # Each atom's label in the file's order: most Cu atoms fcc, most Fe atoms bcc.
    for label in ('fcc', 'bcc'):
        mine = [found for found, truth in zip(record['atom_labels'], labels, strict=True) if truth == label]
        assert mine.count(label) / len(mine) > 0.7, (label, collections.Counter(mine))


def test_output_writes_the_map_figure_and_a_labelled_extxyz(stack, stack_run) -> None:
    result, folder = stack_run
    record = json.loads(result.stdout)[0]
    figure, labelled = folder / 'stack.extxyz_map.png', folder / 'stack.extxyz_map.extxyz'
    assert record['files'] == {'map_png': str(figure), 'extxyz': str(labelled)}
    assert figure.read_bytes()[:8] == PNG_MAGIC
    assert f'wrote {figure}' in result.stderr  # on stderr with --json: stdout stays JSON
    back = ase.io.read(labelled, format='extxyz')
    original = ase.io.read(stack[0], format='extxyz')
    assert list(back.get_chemical_symbols()) == list(original.get_chemical_symbols())
    assert list(back.arrays['symclf_label']) == record['atom_labels']
    assert back.arrays['symclf_probability'].tolist() == pytest.approx(record['atom_probabilities'])
    assert back.info['symclf_majority_label'] == record['majority_label']


def test_two_frames_give_two_records_and_a_fractions_figure(tmp_path: Path) -> None:
    frames = [bulk('Cu', 'fcc', a=3.615, cubic=True).repeat(5), bulk('Fe', 'bcc', a=2.866, cubic=True).repeat(6)]
    path = tmp_path / 'frames.extxyz'
    ase.io.write(path, frames, format='extxyz')
    result = invoke('--library', '--json', '--output', tmp_path / 'out', path)
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert [(record['file'], record['frame']) for record in records] == [(str(path), 0), (str(path), 1)]
    assert [record['majority_label'] for record in records] == ['fcc', 'bcc']
    assert [record['n_atoms'] for record in records] == [500, 432]
    for frame in (0, 1):
        assert (tmp_path / 'out' / f'frames.extxyz_frame{frame}_map.png').read_bytes()[:8] == PNG_MAGIC
        labelled = ase.io.read(tmp_path / 'out' / f'frames.extxyz_frame{frame}_map.extxyz')
        assert list(labelled.arrays['symclf_label']) == records[frame]['atom_labels']
    assert (tmp_path / 'out' / 'frames.extxyz_fractions.png').read_bytes()[:8] == PNG_MAGIC
    # The table: one row per frame.
    table = invoke('--library', path)
    assert table.exit_code == 0, table.output
    rows = [line.split() for line in table.stdout.splitlines() if line.startswith(str(path))]
    assert [row[1:3] for row in rows] == [['0', '500'], ['1', '432']]
    assert [row[5] for row in rows] == ['fcc', 'bcc']


def test_bad_inputs_give_one_line_errors(tmp_path: Path) -> None:
    missing = tmp_path / 'missing.cif'
    result = invoke('--library', missing)
    assert result.exit_code == 1
    assert error_lines(result) == [f'Error: {missing}: no such file']

    result = invoke('--library', '--box', '-1', missing)
    assert result.exit_code == 1
    assert error_lines(result) == ['Error: --box must be positive and finite, got -1.0']
    result = invoke('--library', '--box', '0', '--stride', 'nan', missing)
    assert result.exit_code == 1
    assert len(error_lines(result)) == 1 and '--box' in result.stderr and '--stride' in result.stderr

    result = invoke('--library', '--box', 'wide', missing)
    assert result.exit_code == 2  # a usage error
    assert 'Traceback' not in result.output

    small = tmp_path / 'Fe.cif'
    ase.io.write(small, bulk('Fe', 'bcc', a=2.866, cubic=True))  # 2 atoms
    result = invoke('--library', '--box', '3', small, missing)
    assert result.exit_code == 1
    lines = error_lines(result)
    assert len(lines) == 2 and all(line.startswith('Error: ') for line in lines), lines
    assert lines[0] == f'Error: {missing}: no such file'
    assert lines[1].startswith(f'Error: {small}: cannot be mapped: a box of 3 A holds about')
    assert result.stdout == '' and 'Traceback' not in result.output


def test_a_bad_file_does_not_stop_the_others(tmp_path: Path) -> None:
    copper = tmp_path / 'Cu.extxyz'
    ase.io.write(copper, bulk('Cu', 'fcc', a=3.615, cubic=True).repeat(5))
    missing = tmp_path / 'missing.cif'
    result = invoke('--library', '--json', missing, copper)
    assert result.exit_code == 1
    assert error_lines(result) == [f'Error: {missing}: no such file']
    records = json.loads(result.stdout)
    assert [(record['file'], record['majority_label']) for record in records] == [(str(copper), 'fcc')]
    assert set(records[0]['atom_labels']) == {'fcc'}


def _map_workflow_installed() -> bool:
    from aiida.common.exceptions import MissingEntryPointError
    from aiida.plugins import WorkflowFactory

    try:
        WorkflowFactory('symclf.map')
    except (MissingEntryPointError, ImportError):
        return False
    return True


@pytest.mark.skipif(not _map_workflow_installed(), reason='the symclf.map WorkChain is not installed')
def test_workchain_path_stores_the_maps(aiida_profile, stack, tmp_path: Path) -> None:
    from aiida import orm

    path, labels = stack
    result = invoke('--json', *STACK_OPTIONS, '--output', tmp_path, path)
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)[0]
    assert record['n_atoms'] == len(labels) == len(record['atom_labels'])
    process = orm.load_node(record['workchain'])
    assert process.is_finished_ok and process.process_label == 'LocalMapWorkChain'
    stored = process.outputs.maps.structure
    assert stored.atom_label_list() == record['atom_labels']
    assert stored.summary()['fractions'] == record['fractions']
    assert process.inputs.structure.pk == record['pk']
    assert process.inputs.parameters.get_dict() == {'box': 15.0, 'stride': 5.0}
    assert (tmp_path / 'stack.extxyz_map.png').read_bytes()[:8] == PNG_MAGIC
    table = invoke(*STACK_OPTIONS, path)
    assert table.exit_code == 0, table.output
    assert 'LocalMapWorkChain' in table.stdout
