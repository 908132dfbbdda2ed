"""Shared fixtures: AiiDA's own pytest fixtures give a temporary ``core.sqlite_dos`` profile
without a broker (no PostgreSQL, no RabbitMQ), loaded for the whole session."""

from __future__ import annotations

import pytest
from ase import Atoms

from aiida_symclf.library.catalogue import reference_structures

pytest_plugins = ['aiida.tools.pytest_fixtures']


@pytest.fixture(scope='session')
def prototypes() -> dict[str, Atoms]:
    """One pristine structure per network class, keyed by class name."""
    return reference_structures()


@pytest.fixture(scope='session')
def shipped_model():
    from aiida_symclf.library.model import load_model

    return load_model()
