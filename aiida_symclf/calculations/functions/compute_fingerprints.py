"""The ``compute_fingerprints`` CalcFunction (entry point ``symclf.compute_fingerprints``)."""

from __future__ import annotations

from typing import Any

from aiida import orm
from aiida.engine import calcfunction

from .exit_codes import with_exit_codes
from .fingerprinting import fingerprint_nodes
from .inputs import (
    parse_fingerprint_parameters,
)


@calcfunction
@with_exit_codes
def compute_fingerprints(parameters: orm.Dict, **structures: orm.StructureData):
    """Batched :func:`compute_fingerprint`: output ``<key>`` per structure, ``failures`` if any."""
    nodes, failures = fingerprint_nodes(structures, parse_fingerprint_parameters(parameters))
    outputs: dict[str, Any] = dict(nodes)
    if failures:
        outputs['failures'] = orm.Dict(failures)
    return outputs
