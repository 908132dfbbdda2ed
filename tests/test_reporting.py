"""What the table and the queries say (issue 30 item 4): spglib's columns name the project's class
for compounds too, and ``unknown`` structures carry their reason in the extras and in ``query``."""

from __future__ import annotations

import json
from pathlib import Path

import ase.io
import numpy as np
import pytest
from ase.build import bulk
from click.testing import CliRunner

from aiida_symclf.cli import cli
from aiida_symclf.library.symmetry import (
    COMPOUND_SIGNATURES,
    SPGLIB_LOOSE,
    SPGLIB_TIGHT,
    derive_compound_signatures,
    spglib_class,
    spglib_labels,
)
from aiida_symclf.testing.real_compounds import COMPOUNDS, OTHER_COMPOUNDS
from aiida_symclf.testing.user_inputs import random_rotation, random_supercell


def invoke(*args: object):
    return CliRunner().invoke(cli, [str(arg) for arg in args])


def test_the_signature_table_is_derived_from_the_prototypes():
    """The literal table in the module is what the prototypes give (rebuild it if a prototype changes)."""
    assert derive_compound_signatures() == COMPOUND_SIGNATURES
    assert set(COMPOUND_SIGNATURES.values()) == set(COMPOUNDS)  # every compound class can be named


def test_real_compounds_in_supercells_get_their_class():
    rng = np.random.default_rng(7)
    for name, table in COMPOUNDS.items():
        for build in table.values():
            atoms = random_rotation(random_supercell(build(1.0), rng), rng)
            assert spglib_class(atoms, *SPGLIB_LOOSE) == name, name


def test_compounds_of_no_class_get_none():
    """ReO3 has L1_2's site symmetries (1a + 3d against 1a + 3c): the Wyckoff letters tell them apart."""
    for name, build in OTHER_COMPOUNDS.items():
        assert spglib_class(build(1.0), *SPGLIB_LOOSE) is None, name


def test_rocksalt_and_anti_structures():
    labels = spglib_labels(bulk('NaCl', 'rocksalt', a=5.64))
    assert labels['loose']['class'] == labels['tight']['class'] == 'rocksalt'
    assert spglib_class(bulk('OLi2', 'fluorite', a=4.61), *SPGLIB_TIGHT) == 'fluorite'  # anti-fluorite
    assert spglib_class(bulk('CaF2', 'fluorite', a=5.46), *SPGLIB_TIGHT) == 'fluorite'


def test_elements_keep_their_class():
    assert spglib_class(bulk('Cu', 'fcc', a=3.61), *SPGLIB_LOOSE) == 'fcc'


def test_classify_table_names_the_compound_class_in_the_spglib_columns(tmp_path: Path):
    path = tmp_path / 'NaCl.cif'
    ase.io.write(path, bulk('NaCl', 'rocksalt', a=5.64))
    result = invoke('classify', '--library', path)
    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if line.startswith(str(path)))
    assert row.count('rocksalt (225)') == 2 and '- (225)' not in row


@pytest.fixture(scope='module')
def unknown_and_fcc(aiida_profile, tmp_path_factory) -> dict:
    directory = tmp_path_factory.mktemp('reporting')
    paths = {'chalcopyrite': directory / 'CuFeS2.cif', 'fcc': directory / 'Cu.cif'}
    ase.io.write(paths['chalcopyrite'], OTHER_COMPOUNDS['CuFeS2 (chalcopyrite E1_1, tI16)'](1.0))
    ase.io.write(paths['fcc'], bulk('Cu', 'fcc', a=3.61))
    result = invoke('classify', '--json', *paths.values())
    assert result.exit_code == 0, result.output
    return {Path(row['file']).stem: row for row in json.loads(result.stdout)['results']}


def test_unknown_reason_is_an_extra(unknown_and_fcc):
    from aiida import orm

    unknown = orm.load_node(unknown_and_fcc['CuFeS2']['pk'])
    reason = unknown.base.extras.get('symclf_unknown_reason')
    assert reason == unknown_and_fcc['CuFeS2']['unknown_reason'] and 'tI lattice' in reason
    assert orm.load_node(unknown_and_fcc['Cu']['pk']).base.extras.get('symclf_unknown_reason') == ''


def test_query_shows_the_reason_and_whose_probability(unknown_and_fcc):
    pk = unknown_and_fcc['CuFeS2']['pk']
    rows = {row['pk']: row for row in json.loads(invoke('query', '--label', 'unknown', '--json').stdout)}
    assert 'tI lattice' in rows[pk]['unknown_reason']
    assert rows[pk]['network_label'] == unknown_and_fcc['CuFeS2']['network_label'] != 'unknown'
    table = invoke('query', '--label', 'unknown').stdout
    line = next(line for line in table.splitlines() if line.startswith(str(pk)))
    assert f'{rows[pk]["network_label"]} ({rows[pk]["probability"]:.3f})' in line
    assert f'{rows[pk]["name"]}: unknown: the Bragg peaks give a tI lattice' in table
