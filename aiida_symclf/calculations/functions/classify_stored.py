"""The ``classify_stored`` CalcFunction (entry point ``symclf.classify_stored``): the bulk mode's step."""

from __future__ import annotations

import numpy as np
from aiida import orm
from aiida.engine import calcfunction

from aiida_symclf.data import SymclfModelData
from aiida_symclf.library.parallel import workers_error
from aiida_symclf.library.pipeline import classify_structures
from aiida_symclf.utils.exit_codes import StepError, with_exit_codes
from aiida_symclf.utils.inputs import loaded_model
from aiida_symclf.utils.stored import load_stored_structures


def _chunk(uuids: orm.List, start: orm.Int, stop: orm.Int) -> list[str]:
    values = uuids.get_list()
    first, last = start.value, stop.value
    if not 0 <= first < last <= len(values):
        raise StepError('ERROR_INVALID_PARAMETERS', f'need 0 <= start < stop <= {len(values)}, got {first}, {last}')
    chunk = values[first:last]
    if not all(isinstance(uuid, str) for uuid in chunk):
        raise StepError('ERROR_INVALID_PARAMETERS', 'uuids must be a list of UUID strings')
    return chunk


def _workers(workers: orm.Int | None) -> int:
    if workers is None:
        return 1
    error = workers_error(workers.value)
    if error:
        raise StepError('ERROR_INVALID_PARAMETERS', error)
    return workers.value


@calcfunction
@with_exit_codes
def classify_stored(
    uuids: orm.List, start: orm.Int, stop: orm.Int, model: SymclfModelData, workers: orm.Int | None = None
):
    """Classify the stored structures ``uuids[start:stop]``, read with one query, into two nodes.

    For 10^4-10^6 structures that are already in the database (e.g. after relaxations): the
    structures are *not* linked as inputs (one link per structure is what costs most in AiiDA);
    the list of UUIDs is, and every result names its structure's UUID. Outputs: ``results``
    (Dict: UUID -> ``status`` and the record's fields (:class:`~aiida_symclf.library.record.ClassificationRecord` without ``probabilities``), or ``status: failed`` and
    ``reason``) and ``probabilities`` (ArrayData ``probabilities`` (N, C), attributes ``uuids``
    (row order) and ``class_names``). The calling WorkChain sets the extras. ``workers``: processes
    that classify the chunk (:func:`~aiida_symclf.library.pipeline.classify_structures`; default 1),
    the results are the same.
    """
    chunk = _chunk(uuids, start, stop)
    processes = _workers(workers)
    classifier = loaded_model(model)
    stored = load_stored_structures(chunk)
    results = {uuid: {'status': 'failed', 'reason': stored[uuid].error} for uuid in chunk if stored[uuid].error}
    usable = [uuid for uuid in chunk if stored[uuid].atoms is not None]
    records_of_usable, errors = classify_structures(
        [stored[uuid].atoms for uuid in usable], classifier, workers=processes
    )
    results.update(
        {uuid: {'status': 'failed', 'reason': error} for uuid, error in zip(usable, errors, strict=True) if error}
    )
    classified = [uuid for uuid, record in zip(usable, records_of_usable, strict=True) if record is not None]
    records = [record for record in records_of_usable if record is not None]
    for uuid, record in zip(classified, records, strict=True):
        results[uuid] = {'status': 'classified', **record.to_dict(probabilities=False)}
    probabilities = orm.ArrayData()
    matrix = [list(record['probabilities'].values()) for record in records]
    probabilities.set_array(
        'probabilities', np.array(matrix, dtype=np.float32).reshape(len(records), len(classifier.class_names))
    )
    probabilities.base.attributes.set('uuids', classified)
    probabilities.base.attributes.set('class_names', list(classifier.class_names))
    return {'results': orm.Dict({uuid: results[uuid] for uuid in chunk}), 'probabilities': probabilities}
