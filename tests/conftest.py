"""Shared fixtures: AiiDA's own pytest fixtures give a temporary ``core.sqlite_dos`` profile
without a broker (no PostgreSQL, no RabbitMQ), loaded for the whole session."""

from __future__ import annotations

import pytest
from ase import Atoms
from ase.build import bulk
from ase.spacegroup import crystal

pytest_plugins = ['aiida.tools.pytest_fixtures']


def prototype_structures() -> dict[str, Atoms]:
    """One pristine structure per network class (conventional or primitive cells)."""
    return {
        'bcc': bulk('Fe', 'bcc', a=2.87),
        'fcc': bulk('Cu', 'fcc', a=3.61),
        'diamond': bulk('Si', 'diamond', a=5.43),
        'sc': bulk('Po', 'sc', a=3.35),
        'hcp/rh': bulk('Mg', 'hcp', a=3.21, c=5.21),
        'bct139': crystal('In', [(0, 0, 0)], spacegroup=139, cellpar=[3.25, 3.25, 4.95, 90, 90, 90]),
        'bct141': crystal('Sn', [(0, 0, 0)], spacegroup=141, setting=1, cellpar=[5.83, 5.83, 3.18, 90, 90, 90]),
    }


@pytest.fixture(scope='session')
def prototypes() -> dict[str, Atoms]:
    return prototype_structures()


@pytest.fixture(scope='session')
def shipped_model():
    from aiida_symclf.model import load_model

    return load_model()
