"""The ``trajectory_frames`` CalcFunction (entry point ``symclf.trajectory_frames``): a trajectory's frames as structures."""

from __future__ import annotations

from aiida import orm
from aiida.engine import calcfunction

from aiida_symclf.utils.exit_codes import StepError, with_exit_codes
from aiida_symclf.utils.structure_arrays import structure_of_atoms
from aiida_symclf.utils.trajectory import _pbc, frame_count, frame_key, frames_atoms, trajectory_problem

__all__ = ['trajectory_frames']


@calcfunction
@with_exit_codes
def trajectory_frames(trajectory: orm.TrajectoryData, start: orm.Int | None = None, stop: orm.Int | None = None):
    """One ``StructureData`` per frame ``start`` to ``stop - 1`` of ``trajectory`` (default: all), as outputs
    ``frame_NNNNNN`` (NNNNNN: the index in the trajectory).

    The provenance of every frame classified by the WorkChain: trajectory -> this function ->
    frame. The WorkChain calls it for at most ``STEP_BATCH_SIZE`` frames at a time: aiida-core's
    cost per output link grows with the links of the same call (1,000 frames in one call: 188 s
    on 2 cores). A trajectory that :func:`trajectory_problem` refuses ends with exit code 200.
    """
    problem = trajectory_problem(trajectory)
    if problem:
        raise StepError('ERROR_INVALID_STRUCTURE', problem)
    count = frame_count(trajectory)
    first = 0 if start is None else start.value
    last = count if stop is None else stop.value
    if not 0 <= first < last <= count:
        raise StepError('ERROR_INVALID_PARAMETERS', f'need 0 <= start < stop <= {count}, got {first}, {last}')
    indices = range(first, last)
    atoms = frames_atoms(trajectory, indices, _pbc(trajectory))
    return {frame_key(index): structure_of_atoms(frame) for index, frame in zip(indices, atoms, strict=True)}
