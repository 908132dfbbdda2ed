"""The ``classify_fingerprints`` CalcFunction (entry point ``symclf.classify_fingerprints``)."""

from __future__ import annotations

from typing import Any

from aiida import orm
from aiida.engine import calcfunction

from aiida_symclf.data import SymclfModelData
from aiida_symclf.utils.classifying import classify_nodes
from aiida_symclf.utils.exit_codes import with_exit_codes


@calcfunction
@with_exit_codes
def classify_fingerprints(model: SymclfModelData, **fingerprints: orm.ArrayData):
    """Batched :func:`classify_fingerprint`: one network pass for all, output ``<key>`` per fingerprint.

    Fingerprints the model cannot classify (other settings, bad values) are listed in the
    ``failures`` output; the others are still classified.
    """
    results, failures = classify_nodes(model, fingerprints)
    outputs: dict[str, Any] = dict(results)
    if failures:
        outputs['failures'] = orm.Dict(failures)
    return outputs
