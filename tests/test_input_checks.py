"""Inputs that cannot be physical, and numerical failures of one structure, on every path (issues 29, 30).

A near-flat cell (c = 1e-6 to 0.1 A), a 1-atom cell of 0.5 A, overlapping atoms and a CIF with a
site listed twice are refused with a reason before anything is stored; a numerical failure of the
lattice analysis (numpy's LinAlgError) fails its structure alone; the others are still classified:
library, ``--library``, the WorkChain (both storage modes), ``compute_fingerprints`` and the CLI.
"""

from __future__ import annotations

import json
from pathlib import Path

import ase.io
import numpy as np
import pytest
from aiida import orm
from aiida.engine import run_get_node
from ase import Atoms
from ase.build import bulk
from click.testing import CliRunner

from aiida_symclf.cli import cli
from aiida_symclf.library.validation import MIN_DISTANCE_FRACTION, check_input, input_problem


def flat(c: float) -> Atoms:
    """A bcc-like two-atom Cu cell with a c axis of ``c`` Angstrom: passes the zero-volume check."""
    return Atoms('Cu2', scaled_positions=[[0, 0, 0], [0.5, 0.5, 0.5]], cell=[3.6, 3.6, c], pbc=True)


def overlapping() -> Atoms:
    atoms = bulk('Cu', 'fcc', a=3.61, cubic=True)
    atoms.positions[1] = atoms.positions[0] + 1e-5
    return atoms


def near(distance: float) -> Atoms:
    """Cu fcc with one atom moved to ``distance`` A from another."""
    atoms = bulk('Cu', 'fcc', a=3.61, cubic=True)
    atoms.positions[1] = atoms.positions[0] + [distance, 0, 0]
    return atoms


# --- the checks themselves ----------------------------------------------------------------------


@pytest.mark.parametrize('c', [1e-6, 1e-4, 0.01, 0.1])
def test_flat_cells_are_refused_as_too_small(c):
    assert 'the cell is too small for' in input_problem(flat(c))


def test_a_cell_too_small_for_one_atom_is_refused():
    assert 'too small' in input_problem(Atoms('Cu', cell=[0.5] * 3, pbc=True))
    # room for the volume, not for the atom along one axis: the atom meets its own image
    reason = input_problem(Atoms('Cu', cell=[0.9, 6.0, 6.0], pbc=True))
    assert 'too small for one atom' in reason and 'own periodic image' in reason


def test_the_bound_is_a_fraction_of_the_covalent_radii():
    """Cu-Cu: covalent radii 1.32 A each, so the bound is 0.4 x 2.64 = 1.056 A."""
    assert MIN_DISTANCE_FRACTION == 0.4
    assert 'atom 0 (Cu) and atom 1 (Cu) are too close: 1.04 A apart' in input_problem(near(1.04))
    assert input_problem(near(1.07)) is None
    assert 'overlap: 1e-05 A apart' in input_problem(overlapping()).replace('1.73e-05', '1e-05')


def test_an_atom_close_to_an_image_of_another_is_found():
    atoms = bulk('Cu', 'fcc', a=3.61, cubic=True)
    atoms.positions[1] = atoms.positions[0] + [-0.2, 0, 0]  # across the cell face
    atoms.wrap()
    assert 'atom 0 (Cu) and atom 1 (Cu)' in input_problem(atoms)


def test_real_crystals_pass(prototypes):
    """Every class's reference crystal, real compounds and the shortest contacts of real solids."""
    from aiida_symclf.testing.real_compounds import COMPOUNDS, OTHER_COMPOUNDS

    for atoms in prototypes.values():
        check_input(atoms)
    for table in COMPOUNDS.values():
        for build in table.values():
            check_input(build(1.0))
    for build in OTHER_COMPOUNDS.values():
        check_input(build(1.0))
    check_input(Atoms('N2', positions=[[0, 0, 0], [1.10, 0, 0]], cell=[6, 6, 6], pbc=True))  # triple bond


def test_liquid_like_boxes_of_the_benchmark_are_physical():
    from aiida_symclf.testing.user_inputs import out_of_class_structures

    for group, name, atoms in out_of_class_structures(np.random.default_rng(3)):
        assert input_problem(atoms) is None, (group, name)


# --- library path ---------------------------------------------------------------------------------


def test_library_refuses_bad_inputs_and_classifies_the_others(model):
    from aiida_symclf.library.pipeline import classify_structures

    structures = [flat(0.001), bulk('Cu', 'fcc', a=3.61), Atoms('Cu', cell=[0.5] * 3, pbc=True), overlapping()]
    structures.append(bulk('Fe', 'bcc', a=2.87))
    records, errors = classify_structures(structures, model)
    assert [r['label'] if r else None for r in records] == [None, 'fcc', None, None, 'bcc']
    assert 'too small' in errors[0] and 'too small' in errors[2] and 'overlap' in errors[3]
    assert errors[1] is None and errors[4] is None


def break_lattice_of(monkeypatch, formula: str) -> None:
    """Make the lattice analysis raise numpy's LinAlgError for structures of ``formula`` only
    (what a near-singular metric does in ``lattice._conventional_of_metric``)."""
    import aiida_symclf.library.fingerprint as fingerprint  # where the pipeline looks analyse_lattice up

    original = fingerprint.analyse_lattice

    def analyse(atoms):
        if atoms.get_chemical_formula(empirical=True) == formula:
            raise np.linalg.LinAlgError('Matrix is not positive definite')
        return original(atoms)

    monkeypatch.setattr(fingerprint, 'analyse_lattice', analyse)


def test_a_numerical_failure_fails_its_structure_alone(model, monkeypatch):
    from aiida_symclf.library.pipeline import classify_structures

    break_lattice_of(monkeypatch, 'W')
    structures = [bulk('Cu', 'fcc', a=3.61), bulk('W', 'bcc', a=3.16), bulk('Fe', 'bcc', a=2.87)]
    records, errors = classify_structures(structures, model)
    assert records[0]['label'] == 'fcc' and records[2]['label'] == 'bcc' and records[1] is None
    assert 'failed numerically (Matrix is not positive definite)' in errors[1]


# --- CalcFunctions and WorkChain --------------------------------------------------------------------


def test_compute_fingerprints_reports_a_numerical_failure_instead_of_excepting(aiida_profile, monkeypatch):
    from aiida_symclf.calculations.functions import compute_fingerprints

    break_lattice_of(monkeypatch, 'W')
    structures = {'w': orm.StructureData(ase=bulk('W', 'bcc', a=3.16)), 'cu': orm.StructureData(ase=bulk('Cu'))}
    outputs, node = compute_fingerprints.run_get_node(fingerprint_parameters=orm.Dict({}), **structures)
    assert node.is_finished_ok, node.exception
    assert set(outputs) == {'cu', 'failures'}
    assert 'failed numerically' in outputs['failures']['w']


def test_compute_fingerprints_refuses_flat_and_overlapping_inputs(aiida_profile):
    from aiida_symclf.calculations.functions import compute_fingerprints

    structures = {
        'flat': orm.StructureData(ase=flat(0.001)),
        'overlap': orm.StructureData(ase=overlapping()),
        'cu': orm.StructureData(ase=bulk('Cu')),
    }
    outputs, node = compute_fingerprints.run_get_node(fingerprint_parameters=orm.Dict({}), **structures)
    assert node.is_finished_ok and set(outputs) == {'cu', 'failures'}
    assert 'too small' in outputs['failures']['flat'] and 'overlap' in outputs['failures']['overlap']


@pytest.mark.parametrize('compact', [False, True], ids=['per-structure', 'compact'])
def test_workchain_classifies_the_others(aiida_profile, compact):
    from aiida_symclf.workflows.classify import SymmetryClassificationWorkChain

    structures = {
        'flat': orm.StructureData(ase=flat(0.001)),
        'cu': orm.StructureData(ase=bulk('Cu', 'fcc', a=3.61)),
        'fe': orm.StructureData(ase=bulk('Fe', 'bcc', a=2.87)),
    }
    _, node = run_get_node(
        SymmetryClassificationWorkChain, structures=structures, store_per_structure=orm.Bool(not compact)
    )
    assert node.exit_status == 400, (node.exit_status, node.exit_message)
    results = (
        node.outputs.batch_results.get_dict() if compact else {k: v.get_dict() for k, v in node.outputs.results.items()}
    )
    assert results['flat']['status'] == 'failed' and 'too small' in results['flat']['reason']
    assert results['cu']['label'] == 'fcc' and results['fe']['label'] == 'bcc'


@pytest.mark.parametrize('compact', [False, True], ids=['per-structure', 'compact'])
def test_when_every_structure_fails_each_has_its_own_result(aiida_profile, compact):
    """Exit 401 with ``results.<key>`` (or ``batch_results``) naming each structure's own reason."""
    from aiida_symclf.workflows.classify import SymmetryClassificationWorkChain

    structures = {'flat': orm.StructureData(ase=flat(0.001)), 'overlap': orm.StructureData(ase=overlapping())}
    _, node = run_get_node(
        SymmetryClassificationWorkChain, structures=structures, store_per_structure=orm.Bool(not compact)
    )
    assert node.exit_status == 401
    results = (
        node.outputs.batch_results.get_dict() if compact else {k: v.get_dict() for k, v in node.outputs.results.items()}
    )
    assert 'too small' in results['flat']['reason'] and 'overlap' in results['overlap']['reason']
    assert 'overlap' not in results['flat']['reason']


# --- command line -------------------------------------------------------------------------------


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    from ase.spacegroup import crystal

    paths = {name: tmp_path / name for name in ('flat.extxyz', 'NaCl.cif', 'POSCAR', 'tiny.extxyz')}
    ase.io.write(paths['flat.extxyz'], flat(0.001), format='extxyz')
    ase.io.write(
        paths['NaCl.cif'],
        crystal(['Na', 'Cl'], [(0, 0, 0), (0.5, 0.5, 0.5)], spacegroup=225, cellpar=[5.64] * 3 + [90] * 3),
    )
    ase.io.write(paths['POSCAR'], bulk('Fe', 'bcc', a=2.87), format='vasp')
    ase.io.write(paths['tiny.extxyz'], Atoms('Cu', cell=[0.5] * 3, pbc=True), format='extxyz')
    return paths


def invoke(*args: object):
    return CliRunner().invoke(cli, [str(arg) for arg in args])


def stderr_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


@pytest.mark.parametrize('library', [False, True], ids=['workchain', 'library'])
def test_cli_flat_cell_among_good_files(aiida_profile, files, library):
    """The issue's command: before, `Error: Matrix is not positive definite`, rc 1, nothing classified."""
    count = orm.QueryBuilder().append(orm.StructureData).count()
    options = ['--library'] if library else []
    result = invoke('classify', *options, '--json', files['flat.extxyz'], files['NaCl.cif'], files['POSCAR'])
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert {Path(row['file']).name: row['label'] for row in payload['results']} == {
        'NaCl.cif': 'rocksalt',
        'POSCAR': 'bcc',
    }
    assert [Path(error['name']).name for error in payload['errors']] == ['flat.extxyz']
    assert 'the cell is too small for its atoms' in payload['errors'][0]['reason']
    stored = orm.QueryBuilder().append(orm.StructureData).count() - count
    assert stored == (0 if library else 2)  # the flat cell is refused before storing


def test_cli_one_line_per_file_with_its_own_reason_when_all_fail(aiida_profile, files, monkeypatch):
    """Every structure fails inside the WorkChain: each line says its own reason, no internal keys."""
    import aiida_symclf.library.fingerprint as fingerprint  # where the pipeline looks analyse_lattice up

    def fail(atoms):
        raise np.linalg.LinAlgError(f'broken for {atoms.get_chemical_formula(empirical=True)}')

    monkeypatch.setattr(fingerprint, 'analyse_lattice', fail)
    result = invoke('classify', files['NaCl.cif'], files['POSCAR'])
    assert result.exit_code == 1
    lines = stderr_lines(result)
    assert len(lines) == 2, lines
    assert lines[0].startswith(f'Error: {files["NaCl.cif"]}: ') and 'broken for ClNa' in lines[0]
    assert lines[1].startswith(f'Error: {files["POSCAR"]}: ') and 'broken for Fe' in lines[1]
    assert not any('structure_' in line or 'broken for Fe' in lines[0] for line in lines)


def test_cli_refuses_impossible_cells_before_storing(aiida_profile, files):
    count = orm.QueryBuilder().append(orm.StructureData).count()
    result = invoke('classify', files['tiny.extxyz'])
    assert result.exit_code == 1 and 'too small' in result.stderr
    assert orm.QueryBuilder().append(orm.StructureData).count() == count


DUPLICATED_SITE_CIF = """data_Cu
_cell_length_a 3.61
_cell_length_b 3.61
_cell_length_c 3.61
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 90
_symmetry_space_group_name_H-M 'P 1'
loop_
_atom_site_label
_atom_site_type_symbol
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
_atom_site_occupancy
Cu1 Cu 0 0 0 1
Cu2 Cu 0 0.5 0.5 1
Cu3 Cu 0.5 0 0.5 1
Cu4 Cu 0.5 0.5 0 1
Cu5 Cu 0 0 0 1
"""


def test_cif_with_a_site_listed_twice_is_refused(tmp_path):
    """ase merges the two sites without a word, and the rest reads as good fcc (classified, before)."""
    path = tmp_path / 'dup.cif'
    path.write_text(DUPLICATED_SITE_CIF)
    assert len(ase.io.read(path)) == 4  # what ase makes of it
    result = invoke('classify', '--library', path)
    assert result.exit_code == 1 and result.stdout == ''
    assert stderr_lines(result) == [
        f'Error: {path}: site Cu1 and site Cu5 overlap: 0 A apart, less than 0.4 x the sum of their covalent radii '
        '(1.06 A); a duplicated site or a mistyped coordinate? (ase would merge them silently)'
    ]
    path.write_text(DUPLICATED_SITE_CIF.replace('Cu5 Cu 0 0 0 1\n', ''))
    assert invoke('classify', '--library', path).exit_code == 0


def test_binary_file_gets_a_useful_message(tmp_path):
    path = tmp_path / 'structure.cif'
    path.write_bytes(bytes(range(256)) * 8)
    result = invoke('classify', '--library', path)
    assert result.exit_code == 1
    assert stderr_lines(result) == [
        f'Error: {path}: cannot read a structure as cif: the file is binary, not a text structure file (CIF, POSCAR, '
        'extxyz, ...); is it the right file, or does it need --format?'
    ]
    assert 'AssertionError' not in result.stderr
