"""The ``compute_fingerprint`` CalcFunction (entry point ``symclf.compute_fingerprint``)."""

from __future__ import annotations

from aiida import orm
from aiida.engine import calcfunction

from aiida_symclf.utils.exit_codes import StepError, with_exit_codes
from aiida_symclf.utils.fingerprinting import fingerprint_nodes
from aiida_symclf.utils.inputs import parse_fingerprint_parameters


@calcfunction
@with_exit_codes
def compute_fingerprint(structure: orm.StructureData, fingerprint_parameters: orm.Dict | None = None) -> orm.ArrayData:
    """Diffraction fingerprint of ``structure`` (array ``fingerprint``, (3, H, W) uint8, see attributes).

    ``fingerprint_parameters``: the fingerprint's settings (:class:`~aiida_symclf.library.fingerprint.FingerprintParameters`).
    """
    nodes, failures = fingerprint_nodes({'structure': structure}, parse_fingerprint_parameters(fingerprint_parameters))
    if failures:
        raise StepError('ERROR_INVALID_STRUCTURE', failures['structure'])
    return nodes['structure']
