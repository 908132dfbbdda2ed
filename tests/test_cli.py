"""The command line interface (:mod:`aiida_symclf.cli`), driven through click's CliRunner.

The session's temporary AiiDA profile (``tests/conftest.py``) is loaded, so the CLI uses it
instead of the embedded one: what ``classify`` stores, ``query`` and ``models`` find.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import ase.io
import click
import pytest
from aiida import orm
from ase.build import bulk, molecule
from click.testing import CliRunner, Result

from aiida_symclf.cli import activate_profile, cli, data_cli, needs_consent
from aiida_symclf.library import hardware
from aiida_symclf.library.model import file_sha256, shipped_model_path

PNG_MAGIC = b'\x89PNG\r\n\x1a\n'


@pytest.fixture(scope='module')
def model_file() -> Path:
    path = shipped_model_path()
    if not path.is_file():
        pytest.skip(f'the shipped model {path} has not been trained yet')
    return path


@pytest.fixture(scope='module')
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two good structure files (CIF, POSCAR) and three bad ones (garbage, empty, molecule)."""
    directory = tmp_path_factory.mktemp('structures')
    paths = {
        'cif': directory / 'Cu.cif',
        'poscar': directory / 'POSCAR',
        'garbage': directory / 'garbage.cif',
        'empty': directory / 'empty.cif',
        'molecule': directory / 'water.xyz',
    }
    ase.io.write(paths['cif'], bulk('Cu', 'fcc', a=3.61))
    ase.io.write(paths['poscar'], bulk('Fe', 'bcc', a=2.87), format='vasp')
    paths['garbage'].write_text('this is not a CIF file\n')
    paths['empty'].write_bytes(b'')
    ase.io.write(paths['molecule'], molecule('H2O'))
    return paths


def invoke(*args: object) -> Result:
    return CliRunner().invoke(cli, [str(arg) for arg in args])


def error_lines(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


@pytest.fixture(scope='module')
def classified(files: dict[str, Path], model_file: Path) -> dict:
    """``classify --json`` of the two good files through the WorkChain (run once for the module)."""
    result = invoke('classify', '--json', '--model', model_file, files['cif'], files['poscar'])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_classify_table_reports_each_bad_file_once(files: dict[str, Path], model_file: Path) -> None:
    bad = [files['garbage'], files['empty'], files['molecule'], files['cif'].with_name('missing.cif')]
    result = invoke('classify', '--model', model_file, files['cif'], *bad, files['poscar'])
    assert result.exit_code == 1
    rows = {
        line.split()[0]: line.split()
        for line in result.stdout.splitlines()
        if line.startswith(str(files['cif'].parent))
    }
    assert rows[str(files['cif'])][1:4] == ['fcc', 'A_cF4_225_a', '225']
    assert rows[str(files['poscar'])][1:4] == ['bcc', 'A_cI2_229_a', '229']
    lines = error_lines(result)
    assert len(lines) == len(bad), result.stderr
    for path, line in zip(bad, lines, strict=True):
        assert line.startswith(f'Error: {path}: ')
    assert 'empty' in lines[1] and 'not periodic' in lines[2] and 'no such file' in lines[3]
    assert 'Traceback' not in result.output


def test_classify_json(classified: dict, files: dict[str, Path], model_file: Path) -> None:
    by_file = {row['file']: row for row in classified['results']}
    assert by_file[str(files['cif'])]['label'] == 'fcc'
    assert by_file[str(files['poscar'])]['label'] == 'bcc'
    for row in by_file.values():
        assert row['probability'] > 0.9
        assert isinstance(row['pk'], int)
        assert row['spglib'] is None  # off by default for --json: spglib is the costly part
        assert row['unknown_reason'] == '' and row['network_label'] == row['label']
        assert row['lattice']['bravais'] == {'fcc': 'cF', 'bcc': 'cI'}[row['label']]
        assert set(row['probabilities']) >= {'fcc', 'bcc'}
    assert classified['errors'] == []
    assert orm.load_node(classified['workchain']).is_finished_ok
    node = orm.load_node(by_file[str(files['cif'])]['pk'])
    assert node.base.extras.get('symclf_model_sha256') == file_sha256(model_file)


def test_classify_library_stores_nothing(files: dict[str, Path], model_file: Path) -> None:
    count = orm.QueryBuilder().append(orm.Node).count()
    result = invoke('classify', '--library', '--json', '--model', model_file, files['cif'], files['empty'])
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert [row['label'] for row in payload['results']] == ['fcc']
    assert payload['results'][0]['pk'] is None
    assert payload['errors'] == [{'name': str(files['empty']), 'reason': 'the file is empty'}]
    assert orm.QueryBuilder().append(orm.Node).count() == count


def test_classify_library_says_in_one_line_when_bfloat16_is_emulated(
    files: dict[str, Path], model_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hardware, '_cpu_native_bfloat16', lambda: False)
    result = invoke('classify', '--library', '--json', '--precision', 'bfloat16', '--model', model_file, files['cif'])
    assert result.exit_code == 0, result.output
    assert error_lines(result) == [
        'Warning: bfloat16 is not native on this CPU (no AVX-512 bf16 or AMX): torch emulates it, '
        'about 10x slower than float32; use precision float32 here'
    ]
    assert [row['label'] for row in json.loads(result.stdout)['results']] == ['fcc']


def test_query_finds_what_classify_stored(classified: dict, files: dict[str, Path]) -> None:
    pks = {row['file']: row['pk'] for row in classified['results']}
    result = invoke('query', '--label', 'fcc', '--min-probability', 0.9, '--json')
    assert result.exit_code == 0, result.output
    found = {row['pk']: row for row in json.loads(result.stdout)}
    assert pks[str(files['cif'])] in found
    assert pks[str(files['poscar'])] not in found
    assert found[pks[str(files['cif'])]]['formula'] == 'Cu'
    table = invoke('query', '--label', 'bcc')
    assert table.exit_code == 0 and str(files['poscar']) in table.stdout


def test_models_lists_the_model(classified: dict, model_file: Path) -> None:
    sha256 = file_sha256(model_file)
    result = invoke('models', '--json')
    assert result.exit_code == 0, result.output
    models = {row['sha256']: row for row in json.loads(result.stdout)}
    assert 'fcc' in models[sha256]['classes']
    assert sha256[:12] in invoke('models').stdout


@pytest.mark.slow
def test_attention_from_file_and_from_nodes(
    classified: dict, files: dict[str, Path], model_file: Path, tmp_path: Path
) -> None:
    from_file = tmp_path / 'file.png'
    result = invoke('attention', files['cif'], '--output', from_file, '--model', model_file)
    assert result.exit_code == 0, result.output
    assert from_file.read_bytes().startswith(PNG_MAGIC)

    structure_pk = next(row['pk'] for row in classified['results'] if row['label'] == 'fcc')
    fingerprint = orm.load_node(classified['workchain']).outputs.fingerprints
    fingerprint_pk = next(node.pk for node in fingerprint.values() if node.base.attributes.get('structure_uuid'))
    for identifier in (structure_pk, fingerprint_pk):
        output = tmp_path / f'node_{identifier}.png'
        result = invoke('attention', identifier, '-o', output, '--model', model_file, '--top-k', 2)
        assert result.exit_code == 0, result.output
        assert output.read_bytes().startswith(PNG_MAGIC)


def test_attention_errors_are_one_line(tmp_path: Path, model_file: Path) -> None:
    not_a_structure = orm.Int(5).store()
    for target in (not_a_structure.pk, 99_999_999, tmp_path / 'missing.cif'):
        result = invoke('attention', target, '-o', tmp_path / 'x.png', '--model', model_file)
        assert result.exit_code == 1
        assert len(error_lines(result)) == 1 and error_lines(result)[0].startswith('Error: '), result.output


def test_bad_model_file_is_one_error_line(files: dict[str, Path], tmp_path: Path) -> None:
    corrupt = tmp_path / 'corrupt.pt'
    corrupt.write_bytes(b'not a model')
    result = invoke('classify', '--library', '--model', corrupt, files['cif'])
    assert result.exit_code == 1
    assert error_lines(result) == [error_lines(result)[0]] and 'model' in error_lines(result)[0]
    assert 'Traceback' not in result.output


def test_train_forwards_options_and_stores(monkeypatch: pytest.MonkeyPatch, model_file: Path, tmp_path: Path) -> None:
    """``train`` hands its options to ``aiida_symclf.library.train.main`` (stubbed: real training takes minutes)."""
    import aiida_symclf.library.train

    calls = []

    def fake_main(argv: list[str]) -> int:
        calls.append(argv)
        Path(argv[argv.index('--output') + 1]).write_bytes(model_file.read_bytes())
        return 0

    monkeypatch.setattr(aiida_symclf.library.train, 'main', fake_main)
    output = tmp_path / 'trained.pt'
    result = invoke('train', '-o', output, '--epochs', 1, '--levels', 'pristine', '--store')
    assert result.exit_code == 0, result.output
    assert calls == [['--output', str(output), '--seed', '0', '--epochs', '1', '--levels', 'pristine']]
    assert f'sha256 {file_sha256(model_file)[:12]}' in result.stdout
    insight = ['--kernel-size', '3', '--nonpositive-conv-bias', '--activity-penalty', '0.3']
    assert invoke('train', '-o', output, '--levels', 'pristine', *insight).exit_code == 0
    assert calls[-1] == [
        '--output', str(output), '--seed', '0', '--levels', 'pristine', '--kernel-size', '3',
        '--activity-penalty', '0.3', '--nonpositive-conv-bias',
    ]  # fmt: skip


def test_usage_errors_exit_2() -> None:
    assert invoke('query', '--min-probability', 2).exit_code == 2
    assert invoke('train', '--levels', 'nonsense').exit_code == 2
    assert invoke('classify').exit_code == 2


def test_profile_rules(aiida_profile) -> None:
    assert not needs_consent(aiida_path_set=True, profile_exists=False)
    assert not needs_consent(aiida_path_set=False, profile_exists=True)
    assert needs_consent(aiida_path_set=False, profile_exists=False)
    assert activate_profile().name == aiida_profile.name  # the loaded profile is used
    assert activate_profile(aiida_profile.name).name == aiida_profile.name
    with pytest.raises(click.ClickException, match='does not exist'):
        activate_profile('no-such-profile')


def test_verdi_data_symclf_has_the_same_commands() -> None:
    assert set(data_cli.commands) == set(cli.commands) == {'classify', 'map', 'attention', 'query', 'models', 'train'}
    verdi = Path(sys.executable).with_name('verdi')
    if not verdi.exists():
        pytest.skip('verdi is not installed next to the Python interpreter')
    result = subprocess.run(
        [verdi, 'data', 'symclf', '--help'], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert 'classify' in result.stdout and 'attention' in result.stdout


DISORDERED_CIF = """data_CuAu
_cell_length_a 3.85
_cell_length_b 3.85
_cell_length_c 3.85
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 90
_symmetry_space_group_name_H-M 'F m -3 m'
_symmetry_Int_Tables_number 225
loop_
_atom_site_label
_atom_site_type_symbol
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
_atom_site_occupancy
Cu1 Cu 0 0 0 0.5
Au1 Au 0 0 0 0.5
"""


def test_partial_occupancies_are_refused_not_mangled(tmp_path: Path, model_file: Path) -> None:
    """ase reads a 50/50 CuAu site as Au4: classifying that would store another material."""
    path = tmp_path / 'CuAu.cif'
    path.write_text(DISORDERED_CIF)
    before = orm.QueryBuilder().append(orm.Node).count()
    result = invoke('classify', '--model', model_file, path)
    assert result.exit_code == 1
    assert error_lines(result) == [
        line for line in error_lines(result) if 'partial occupancies (Au 0.5, Cu 0.5)' in line
    ]
    assert len(error_lines(result)) == 1
    assert orm.QueryBuilder().append(orm.Node).count() == before


def test_unknown_structures_are_shown_and_queryable(tmp_path: Path, model_file: Path) -> None:
    """Chalcopyrite (tI, 8 atoms per lattice point) is no class; its reason is printed under the table."""
    from aiida_symclf.testing.real_compounds import OTHER_COMPOUNDS

    path = tmp_path / 'CuFeS2.cif'
    ase.io.write(path, OTHER_COMPOUNDS['CuFeS2 (chalcopyrite E1_1, tI16)'](1.0))
    result = invoke('classify', '--model', model_file, path)
    assert result.exit_code == 0, result.output
    assert f'{path}: unknown: the Bragg peaks give a tI lattice' in result.stdout
    rows = json.loads(invoke('query', '--label', 'unknown', '--json').stdout)
    assert 'CuFeS2.cif' in {Path(row['name']).name for row in rows}


def test_compounds_are_classified_and_found_by_prototype(tmp_path: Path, model_file: Path) -> None:
    path = tmp_path / 'NaCl.cif'
    ase.io.write(path, bulk('NaCl', 'rocksalt', a=5.64))
    result = invoke('classify', '--model', model_file, path)
    assert result.exit_code == 0, result.output
    assert 'rocksalt' in result.stdout and 'AB_cF8_225_a_b' in result.stdout
    rows = json.loads(invoke('query', '--prototype', 'AB_cF8_225_a_b', '--json').stdout)
    assert {Path(row['name']).name: row['label'] for row in rows}.get('NaCl.cif') == 'rocksalt'
    refused = invoke('query', '--prototype', 'AB_cF8_000_a_b')
    assert refused.exit_code == 1 and 'unknown AFLOW prototype' in refused.stderr


def test_derivatives_are_unknown_and_found_by_their_parent_prototype(tmp_path: Path, model_file: Path) -> None:
    """Ilmenite FeTiO3 (Fe and Ti on two sublattices of corundum's cation sites) is unknown, an ordered
    derivative of corundum, and found by ``--parent-prototype``; rocksalt NaCl is no derivative."""
    from ase.spacegroup import crystal

    from aiida_symclf import query

    path = tmp_path / 'FeTiO3.cif'
    ilmenite = crystal(
        ['Fe', 'Ti', 'O'], [(0, 0, 0.3554), (0, 0, 0.1464), (0.317, 0.020, 0.245)], spacegroup=148,
        cellpar=[5.088, 5.088, 14.09, 90, 90, 120],
    )  # fmt: skip
    ase.io.write(path, ilmenite)
    result = invoke('classify', '--model', model_file, path)
    assert result.exit_code == 0, result.output
    assert f'{path}: unknown: ordered derivative of corundum (A2B3_hR10_167_c_e)' in result.stdout
    rows = json.loads(invoke('query', '--parent-prototype', 'A2B3_hR10_167_c_e', '--json').stdout)
    found = {Path(row['name']).name: (row['label'], row['parent_prototype']) for row in rows}
    assert found.get('FeTiO3.cif') == ('unknown', 'A2B3_hR10_167_c_e') and 'NaCl.cif' not in found
    nodes = query.classified_structures(label='unknown', parent_prototype='A2B3_hR10_167_c_e')
    assert 'FeTiO3.cif' in {Path(node.label).name for node in nodes}
    assert not query.classified_structures(parent_prototype='AB_cF8_225_a_b')
    refused = invoke('query', '--parent-prototype', 'A2B3_hR10_000_c_e')
    assert refused.exit_code == 1 and 'unknown AFLOW prototype' in refused.stderr


def test_query_with_an_unknown_label_names_the_valid_ones() -> None:
    result = invoke('query', '--label', 'foo')
    assert result.exit_code == 1
    assert "unknown label 'foo'; valid labels:" in result.stderr and 'hcp/rh' in result.stderr


def test_attention_refuses_a_missing_output_directory(files: dict[str, Path], tmp_path: Path) -> None:
    result = invoke('attention', files['cif'], '--output', tmp_path / 'missing' / 'map.png')
    assert result.exit_code == 1 and 'does not exist' in result.stderr
    assert not (tmp_path / 'missing').exists()


def test_refusing_the_profile_leaves_no_configuration_folder(tmp_path: Path, files: dict[str, Path]) -> None:
    """Without AIIDA_PATH and without consent nothing is created under the home directory."""
    import os

    env = {key: value for key, value in os.environ.items() if key != 'AIIDA_PATH'}
    env['HOME'] = str(tmp_path)
    completed = subprocess.run(
        [sys.executable, '-m', 'aiida_symclf.cli', 'classify', str(files['cif'])],
        env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert completed.returncode == 1 and '--yes' in completed.stderr
    assert not (tmp_path / '.aiida').exists()


def test_spglib_column_skips_a_large_structure_with_a_note(tmp_path: Path, model_file: Path) -> None:
    """Issue 29.1: above SPGLIB_MAX_ATOMS spglib is not asked; the table says so in both columns."""
    from aiida_symclf.cli.spglib_column import SPGLIB_MAX_ATOMS

    path = tmp_path / 'big_fcc.extxyz'
    atoms = bulk('Cu', 'fcc', a=3.61, cubic=True).repeat(8)
    assert len(atoms) > SPGLIB_MAX_ATOMS
    ase.io.write(path, atoms, format='extxyz')
    missing = tmp_path / 'missing.cif'
    result = invoke('classify', '--library', '--model', model_file, path, missing)
    assert result.exit_code == 1  # the second file does not exist: the first is still classified
    (row,) = [line for line in result.stdout.splitlines() if line.startswith(str(path))]
    assert row.split()[1] == 'fcc' and row.count('-(skipped: 2048 atoms)') == 2, row
    assert f'Error: {missing}: no such file' in result.stderr
    payload = json.loads(
        invoke('classify', '--library', '--json', '--compare-spglib', '--model', model_file, path).stdout
    )
    assert payload['results'][0]['spglib']['loose']['skipped'] == '2048 atoms'


def test_progress_on_the_stored_path_shows_every_stage(files: dict[str, Path], model_file: Path) -> None:
    """Issue 30.5: before, the WorkChain path printed nothing until the table."""
    result = invoke('classify', '--progress', '--model', model_file, files['cif'], files['poscar'])
    assert result.exit_code == 0, result.output
    for stage in (
        'reading files', 'storing inputs', 'fingerprints', 'classifying', 'collecting results', 'writing extras',
        'spglib comparison',
    ):  # fmt: skip
        assert f'{stage}: 100%' in result.stderr, (stage, result.stderr)


def test_progress_with_worker_processes(tmp_path: Path, model_file: Path) -> None:
    """Issue 30.5: before, ``--progress --workers 2`` drew no bar."""
    path = tmp_path / 'many.extxyz'
    frames = [bulk('Cu', 'fcc', a=3.55 + 0.002 * index) for index in range(70)]  # > 64: the worker processes run
    ase.io.write(path, frames, format='extxyz')
    result = invoke('classify', '--library', '--workers', 2, '--progress', '--no-compare-spglib', '--model',
                    model_file, path)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert 'classifying: 100%' in result.stderr and '70/70' in result.stderr
