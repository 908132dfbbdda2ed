"""The ``compute_fingerprints`` CalcFunction (entry point ``symclf.compute_fingerprints``)."""

from __future__ import annotations

from typing import Any

from aiida import orm
from aiida.engine import calcfunction

from aiida_symclf.utils.exit_codes import with_exit_codes
from aiida_symclf.utils.fingerprinting import fingerprint_nodes
from aiida_symclf.utils.inputs import parse_fingerprint_parameters


@calcfunction
@with_exit_codes
def compute_fingerprints(fingerprint_parameters: orm.Dict, **structures: orm.StructureData):
    """Batched :func:`compute_fingerprint`: output ``<key>`` per structure, ``failures`` if any."""
    nodes, failures = fingerprint_nodes(structures, parse_fingerprint_parameters(fingerprint_parameters))
    outputs: dict[str, Any] = dict(nodes)
    if failures:
        outputs['failures'] = orm.Dict(failures)
    return outputs
