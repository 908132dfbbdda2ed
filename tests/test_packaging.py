"""Packaging: pyproject.toml and setup.json agree; every entry point loads."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from aiida.plugins import CalculationFactory, DataFactory, WorkflowFactory

import aiida_symclf

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / 'pyproject.toml').read_text())
SETUP = json.loads((ROOT / 'setup.json').read_text())


def test_setup_json_agrees_with_pyproject():
    project = PYPROJECT['project']
    assert SETUP['name'] == project['name']
    assert SETUP['version'] == aiida_symclf.__version__
    assert SETUP['install_requires'] == project['dependencies']
    for group, entries in SETUP['entry_points'].items():
        if group == 'console_scripts':
            expected = project['scripts']
        else:
            expected = project['entry-points'][group]
        assert sorted(entries) == sorted(f'{name} = {target}' for name, target in expected.items())


def test_every_aiida_entry_point_is_under_the_symclf_prefix():
    for group, entries in PYPROJECT['project']['entry-points'].items():
        if group.startswith('aiida.') and group != 'aiida.cmdline.data':
            assert all(name.startswith('symclf.') for name in entries), group


@pytest.mark.parametrize('name', sorted(PYPROJECT['project']['entry-points']['aiida.calculations']))
def test_calculation_entry_points_load(name):
    assert callable(CalculationFactory(name))


def test_workflow_and_data_entry_points_load():
    from aiida_symclf.data import SymclfModelData
    from aiida_symclf.workflows.classify import SymmetryClassificationWorkChain

    assert WorkflowFactory('symclf.classify') is SymmetryClassificationWorkChain
    assert DataFactory('symclf.model') is SymclfModelData


def test_torch_requirement_admits_the_cpu_build():
    from packaging.specifiers import SpecifierSet

    (torch,) = [r for r in PYPROJECT['project']['dependencies'] if r.startswith('torch')]
    assert '2.13.0' in SpecifierSet(torch.removeprefix('torch'))
