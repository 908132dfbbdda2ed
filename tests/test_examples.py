"""The README's main example and the file example run as users run them, with the labels they print."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

EXPECTED = {
    'Fe_bcc': 'bcc', 'Cu_fcc': 'fcc', 'Si_diamond': 'diamond', 'Po_sc': 'sc', 'Mg_hcp_rh': 'hcp/rh',
    'In_bct139': 'bct139', 'Sn_bct141': 'bct141', 'Cu_fcc_rotated_supercell': 'fcc',
    'Ni_fcc_md_like_supercell': 'fcc', 'Fe_bcc_displaced_4pct': 'bcc', 'Si_diamond_25pct_vacancies': 'diamond',
    'NaCl_rocksalt': 'rocksalt', 'Cu3Au_L1_2': 'L1_2', 'GaAs_displaced_2pct': 'zincblende',
    'CuFeS2_chalcopyrite': 'unknown', 'amorphous_box': 'unknown', 'graphite': 'unknown',
}  # fmt: skip


@pytest.mark.usefixtures('aiida_profile')
def test_readme_main_example(tmp_path, monkeypatch, capsys):
    """``examples/classify_examples.py`` (what ``python3 tasks.py run`` runs): exit 0, every label right,
    robustness 1.00, one attention picture per structure."""
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(ROOT / 'examples' / 'classify_examples.py'), run_name='__main__')
    output = capsys.readouterr().out
    assert 'finished with exit status 0' in output
    rows = {
        line.split()[0]: line.split() for line in output.splitlines() if line.split() and line.split()[0] in EXPECTED
    }
    assert {key: row[1] for key, row in rows.items()} == EXPECTED
    assert all(row[5] == '1.00' for row in rows.values()), rows
    assert sorted(p.name for p in (tmp_path / 'symclf-output').iterdir()) == sorted(
        f'attention_{key}.png' for key in EXPECTED
    )


@pytest.mark.usefixtures('aiida_profile')
def test_file_example_from_the_repository_root(monkeypatch, capsys):
    """``verdi run examples/classify_files.py`` from the repository root finds its structures."""
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr('sys.argv', ['classify_files.py'])
    runpy.run_path(str(ROOT / 'examples' / 'classify_files.py'), run_name='__main__')
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in lines] == [
        ['Cu.cif', 'fcc'], ['Mg.cif', 'hcp/rh'], ['POSCAR_W', 'bcc'], ['Sn_beta.xyz', 'bct141'],
    ]  # fmt: skip
