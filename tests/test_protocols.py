"""Protocols and single steps of the WorkChain, in the style of aiida-quantumespresso's tests.

The builders of every protocol are compared with ``tests/regression/protocols.json`` (regenerate
it with ``SYMCLF_REGENERATE=1 pytest tests/test_protocols.py`` after an intended change, and
review the diff). Steps are run one by one on a process instantiated without running it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from aiida import orm
from aiida.engine.utils import instantiate_process
from aiida.manage import get_manager
from ase.build import bulk

from aiida_symclf.workflows.classify import SymmetryClassificationWorkChain

REGRESSION = Path(__file__).parent / 'regression' / 'protocols.json'


def plain(builder) -> dict:
    """The builder's inputs (other than structures and model) as JSON-compatible data."""
    values = {}
    for name in ('fingerprint_parameters', 'perturbations', 'compute_attention', 'store_per_structure'):
        node = builder[name]
        values[name] = (
            node.get_dict()
            if isinstance(node, orm.Dict)
            else node.get_list()
            if isinstance(node, orm.List)
            else node.value
        )
    return values


@pytest.fixture
def copper() -> dict[str, orm.StructureData]:
    return {'cu': orm.StructureData(ase=bulk('Cu', 'fcc', a=3.61))}


def test_protocols_are_listed_with_descriptions():
    protocols = SymmetryClassificationWorkChain.get_available_protocols()
    assert set(protocols) == {'fast', 'moderate', 'precise'}
    assert all(len(value['description']) > 20 for value in protocols.values())
    assert SymmetryClassificationWorkChain.get_default_protocol() == 'moderate'


def test_builders_match_the_regression_data(copper):
    builders = {
        name: plain(SymmetryClassificationWorkChain.get_builder_from_protocol(copper, name))
        for name in SymmetryClassificationWorkChain.get_available_protocols()
    }
    if os.environ.get('SYMCLF_REGENERATE'):
        REGRESSION.write_text(json.dumps(builders, indent=1, sort_keys=True) + '\n')
    assert builders == json.loads(REGRESSION.read_text())


def test_overrides_are_merged_and_unknown_protocols_refused(copper):
    builder = SymmetryClassificationWorkChain.get_builder_from_protocol(
        copper, 'precise', overrides={'compute_attention': False, 'fingerprint_parameters': {'image_size': 64}}
    )
    assert builder.compute_attention.value is False and builder.fingerprint_parameters['image_size'] == 64
    assert len(builder.perturbations.get_list()) == 4
    with pytest.raises(ValueError, match="unknown protocol 'slow'; available: fast, moderate, precise"):
        SymmetryClassificationWorkChain.get_builder_from_protocol(copper, 'slow')


def test_every_protocol_is_valid_input(copper):
    """The WorkChain's own validators accept every protocol's inputs."""
    for name in SymmetryClassificationWorkChain.get_available_protocols():
        builder = SymmetryClassificationWorkChain.get_builder_from_protocol(copper, name)
        assert SymmetryClassificationWorkChain.spec().inputs.validate(dict(builder._inputs(prune=True))) is None, name


def instantiated(**inputs):
    return instantiate_process(get_manager().get_runner(), SymmetryClassificationWorkChain, **inputs)


def test_setup_step_reads_the_levels_and_the_model(copper):
    builder = SymmetryClassificationWorkChain.get_builder_from_protocol(copper, 'moderate')
    process = instantiated(**builder._inputs(prune=True))
    assert process.setup() is None
    assert [level['vacancy_fraction'] for level in process.ctx.levels] == [0.0, 0.25]
    assert process.ctx.model.uuid == process.inputs.model.uuid
    assert process.should_perturb() and not process.should_compute_attention()


def test_perturb_step_alone(copper):
    """The perturb step on its own: 6 replicas of the one structure, no failures."""
    builder = SymmetryClassificationWorkChain.get_builder_from_protocol(copper, 'moderate')
    process = instantiated(**builder._inputs(prune=True))
    process.setup()
    assert process.perturb() is None
    assert sorted(process.ctx.perturbed) == [f'cu_p{level}_r{replica}' for level in range(2) for replica in range(3)]
    assert process.ctx.failures == {}
