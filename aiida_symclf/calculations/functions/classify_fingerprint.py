"""The ``classify_fingerprint`` CalcFunction (entry point ``symclf.classify_fingerprint``)."""

from __future__ import annotations

from aiida import orm
from aiida.engine import calcfunction

from aiida_symclf.data import SymclfModelData
from aiida_symclf.utils.classifying import classify_nodes
from aiida_symclf.utils.exit_codes import StepError, with_exit_codes
from aiida_symclf.utils.inputs import check_model_matches, loaded_model


@calcfunction
@with_exit_codes
def classify_fingerprint(fingerprint: orm.ArrayData, model: SymclfModelData) -> orm.Dict:
    """Class of one fingerprint: Dict with ``label``, ``space_groups``, ``probability``, ``probabilities``."""
    check_model_matches(loaded_model(model), fingerprint)
    results, failures = classify_nodes(model, {'fingerprint': fingerprint})
    if failures:
        raise StepError('ERROR_CLASSIFICATION_FAILED', failures['fingerprint'])
    return results['fingerprint']
