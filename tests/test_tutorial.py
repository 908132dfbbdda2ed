"""The console sessions of ``docs/tutorial.rst`` are what the commands print today
(``scripts/tutorial_outputs.py`` runs them on ``docs/tutorial/`` in a fresh embedded profile):
a change of the output without regenerating the tutorial makes this fail."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # reruns every command of the tutorial, ~40 s on 2 cores

ROOT = Path(__file__).resolve().parents[1]


def load_script():
    spec = importlib.util.spec_from_file_location('tutorial_outputs', ROOT / 'scripts' / 'tutorial_outputs.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def rendered() -> tuple:
    script = load_script()
    return script, script.run_sessions()


def test_tutorial_sessions_match_real_runs(rendered):
    script, sessions = rendered
    tutorial = script.TUTORIAL.read_text()
    for name in script.SESSIONS:
        assert f'.. tutorial:{name}\n' in tutorial, f'tutorial has no {name} session'
    assert script.updated(tutorial, sessions) == tutorial, 'run python scripts/tutorial_outputs.py'


def test_the_sessions_show_what_the_tutorial_explains(rendered):
    _, sessions = rendered
    classify = '\n'.join(sessions['classify'])
    assert 'NaCl.cif    rocksalt  AB_cF8_225_a_b' in classify and 'rocksalt (225)  rocksalt (225)' in classify
    assert 'Error: flat.extxyz: the cell is too small for its atoms' in classify
    assert 'CuFeS2.cif: unknown: the Bragg peaks give a tI lattice' in '\n'.join(sessions['query'])


def test_a_changed_output_is_noticed(rendered):
    """The check can fail: the tutorial as it was (NaCl shown as unknown) differs from a real run."""
    script, sessions = rendered
    stale = script.TUTORIAL.read_text().replace('rocksalt (1.000)', 'sc (1.000)')
    assert script.updated(stale, sessions) != stale
