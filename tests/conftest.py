"""Shared fixtures, in aiida-core's style: factories that make what a test needs.

AiiDA's own pytest fixtures give a temporary ``core.sqlite_dos`` profile without a broker (no
PostgreSQL, no RabbitMQ), loaded for the whole session.

- ``model``: the shipped model (library object), loaded once per session; ``model_node``: its
  stored ``SymclfModelData``.
- ``generate_structure``: a ``StructureData`` of a crystal as a user builds it with ase.
- ``generate_workchain``: a WorkChain instance with its inputs, to test one outline step at a
  time (aiida-quantumespresso's step tests).

Tests that take more than ~10 s on 2 cores are marked ``slow``: ``python3 tasks.py test -m "not slow"``
is the fast loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiida import orm
from ase import Atoms
from ase.build import bulk

from aiida_symclf.data import SymclfModelData
from aiida_symclf.library.catalogue import reference_structures
from aiida_symclf.library.model import ClassifierModel, load_model

pytest_plugins = ['aiida.tools.pytest_fixtures']


@pytest.fixture(scope='session')
def prototypes() -> dict[str, Atoms]:
    """One pristine structure per network class, keyed by class name."""
    return reference_structures()


@pytest.fixture(scope='session')
def model() -> ClassifierModel:
    """The shipped default model, as the library path uses it."""
    return load_model()


@pytest.fixture
def model_node(aiida_profile) -> SymclfModelData:
    """The shipped default model's node, stored once per profile (the WorkChain's default)."""
    return SymclfModelData.get_or_create()


@pytest.fixture
def generate_structure(aiida_profile) -> Callable[..., orm.StructureData]:
    """``generate_structure('Cu', 'fcc', a=3.61)`` or ``generate_structure(atoms=...)``: a StructureData.

    The crystal comes from ``ase.build.bulk`` (its primitive cell, as users start from), with
    ``repeat`` applied; ``store=True`` stores it.
    """

    def factory(
        symbol: str = 'Cu',
        crystal: str = 'fcc',
        repeat: int | tuple[int, int, int] = 1,
        store: bool = False,
        atoms: Atoms | None = None,
        **kwargs: Any,
    ) -> orm.StructureData:
        atoms = atoms if atoms is not None else bulk(symbol, crystal, **kwargs).repeat(repeat)
        structure = orm.StructureData(ase=atoms)
        return structure.store() if store else structure

    return factory


@pytest.fixture
def generate_workchain(aiida_profile) -> Callable[..., Any]:
    """``generate_workchain('symclf.classify', inputs)``: the WorkChain instance, ready to run steps."""
    from aiida.engine.utils import instantiate_process
    from aiida.manage import get_manager
    from aiida.plugins import WorkflowFactory

    def factory(entry_point: str, inputs: dict[str, Any]):
        process_class = WorkflowFactory(entry_point)
        runner = get_manager().get_runner()
        return instantiate_process(runner, process_class, **inputs)

    return factory
