"""The ``classify_trajectory`` CalcFunction (entry point ``symclf.classify_trajectory``): the bulk mode's step for trajectories."""

from __future__ import annotations

from aiida import orm
from aiida.engine import calcfunction

from aiida_symclf.data import SymclfModelData
from aiida_symclf.library.pipeline import classify_structures
from aiida_symclf.utils.exit_codes import StepError, with_exit_codes
from aiida_symclf.utils.inputs import loaded_model
from aiida_symclf.utils.trajectory import _pbc, frames_atoms, frames_info, trajectory_problem

__all__ = ['classify_trajectory']


@calcfunction
@with_exit_codes
def classify_trajectory(
    trajectory: orm.TrajectoryData,
    model: SymclfModelData,
    start: orm.Int,
    stop: orm.Int,
    workers: orm.Int | None = None,
):
    """Classify frames ``start`` to ``stop - 1`` of ``trajectory`` without storing a node per frame.

    The bulk mode's step for trajectories. Output ``results``: Dict, frame index (as a string)
    -> ``status`` ``classified`` with ``frame``, ``trajectory_uuid`` and the result fields
    (:class:`~aiida_symclf.library.record.ClassificationRecord`), or ``status`` ``failed`` with ``reason``.
    """
    problem = trajectory_problem(trajectory)
    if problem:
        raise StepError('ERROR_INVALID_STRUCTURE', problem)
    count = trajectory.get_array('positions').shape[0]
    first, last = start.value, stop.value
    if not 0 <= first < last <= count:
        raise StepError('ERROR_INVALID_PARAMETERS', f'need 0 <= start < stop <= {count}, got {first}, {last}')
    classifier = loaded_model(model)
    indices = list(range(first, last))
    atoms = frames_atoms(trajectory, indices, _pbc(trajectory))
    records, errors = classify_structures(atoms, classifier, workers=workers.value if workers is not None else 1)
    results = {}
    infos = frames_info('trajectory', trajectory, indices)
    for index, record, error, info in zip(indices, records, errors, infos, strict=True):
        if record is None:
            results[str(index)] = {'status': 'failed', 'reason': error or 'not classified', **info}
        else:
            results[str(index)] = {'status': 'classified', **record.with_provenance(model.sha256).to_dict(), **info}
    return {'results': orm.Dict(results)}
