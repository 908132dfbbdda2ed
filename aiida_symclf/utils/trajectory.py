"""Trajectories (``TrajectoryData``): the helpers that turn frames into structures and results.

The WorkChain (``trajectories`` input) and the bulk mode (``trajectory`` input) take a
``TrajectoryData`` as well as structures:

- :func:`~aiida_symclf.calculations.functions.trajectory_frames.trajectory_frames` (CalcFunction, entry point ``symclf.trajectory_frames``) turns the
  trajectory into one ``StructureData`` per frame (outputs ``frame_000000``, ...); the
  WorkChain classifies them like any structure, and each frame's result carries ``frame``
  (index in the trajectory), ``trajectory`` (its key) and ``trajectory_uuid``;
- the bulk mode classifies the frames inside :func:`~aiida_symclf.calculations.functions.classify_trajectory.classify_trajectory` (CalcFunction): no
  node per frame, one ``results`` Dict keyed by frame index per chunk of frames.

:func:`aiida_symclf.query.trajectory_results` finds the per-frame results of a trajectory with ``QueryBuilder``
(both modes); :func:`aiida_symclf.library.plot.plot_trajectory` draws label and probabilities against
frame. A trajectory without cells, or whose arrays disagree on the number of atoms, is refused
with the reason (:func:`trajectory_problem`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from aiida import orm
from ase import Atoms

__all__ = [
    'FRAME_PREFIX',
    'frame_atoms',
    'frames_atoms',
    'frames_info',
    'frame_key',
    'trajectory_from_atoms',
    'trajectory_problem',
]

FRAME_PREFIX = 'frame_'
#: Extras of a frame StructureData (besides the classification's): its trajectory and index.
FRAME_EXTRA = 'symclf_frame'
TRAJECTORY_EXTRA = 'symclf_trajectory_uuid'


def frame_key(index: int) -> str:
    """Output link label of frame ``index`` (sorts in frame order)."""
    return f'{FRAME_PREFIX}{index:06d}'


def trajectory_problem(trajectory: orm.TrajectoryData) -> str | None:
    """Why the frames of ``trajectory`` cannot be classified, or None.

    Needs positions, a cell per frame (``cells`` array: an MD trajectory of a crystal has one)
    and the same number of atoms in the symbols, the positions and every frame.
    """
    names = trajectory.get_arraynames()
    if 'positions' not in names:
        return 'the trajectory has no positions'
    positions = trajectory.get_array('positions')
    if positions.ndim != 3 or positions.shape[2] != 3:
        return f'positions must have the shape (frames, atoms, 3), got {positions.shape}'
    if positions.shape[0] == 0:
        return 'the trajectory has no frames'
    if 'cells' not in names:
        return 'the trajectory has no cells: a periodic cell per frame is needed'
    cells = trajectory.get_array('cells')
    if cells.shape != (positions.shape[0], 3, 3):
        return f'cells must have the shape ({positions.shape[0]}, 3, 3), got {cells.shape}'
    symbols = trajectory.base.attributes.get('symbols', [])
    if len(symbols) != positions.shape[1]:
        return f'the number of atoms changes: {len(symbols)} symbols, {positions.shape[1]} positions per frame'
    return None


def frame_atoms(trajectory: orm.TrajectoryData, index: int, pbc: Sequence[bool] = (True, True, True)):
    """Frame ``index`` of ``trajectory`` as ``ase.Atoms`` (periodic in 3D unless ``pbc`` says otherwise).

    Reads the trajectory's arrays: for many frames use :func:`frames_atoms`, which reads them once.
    """
    return frames_atoms(trajectory, [index], pbc)[0]


def frames_atoms(trajectory: orm.TrajectoryData, indices: Sequence[int], pbc: Sequence[bool] = (True, True, True)):
    """Frames ``indices`` of ``trajectory`` as ``ase.Atoms``, reading each array of the node once."""
    symbols = trajectory.base.attributes.get('symbols')
    positions, cells = trajectory.get_array('positions'), trajectory.get_array('cells')
    return [Atoms(symbols=symbols, positions=positions[i], cell=cells[i], pbc=pbc) for i in indices]


def trajectory_from_atoms(frames: Sequence[Any], times: Sequence[float] | None = None) -> orm.TrajectoryData:
    """An unstored ``TrajectoryData`` of ``ase.Atoms`` frames; ValueError when the atom count or species change."""
    if not frames:
        raise ValueError('no frames')
    first = frames[0].get_chemical_symbols()
    for index, atoms in enumerate(frames):
        if len(atoms) != len(first):
            raise ValueError(f'the number of atoms changes: frame {index} has {len(atoms)}, frame 0 has {len(first)}')
        if atoms.get_chemical_symbols() != first:
            raise ValueError(f'the species change at frame {index}')
    trajectory = orm.TrajectoryData()
    trajectory.set_trajectory(
        symbols=first,
        positions=np.array([atoms.positions for atoms in frames]),
        stepids=np.arange(len(frames)),
        cells=np.array([atoms.cell.array for atoms in frames]),
        times=None if times is None else np.asarray(times, dtype=float),
        pbc=(True, True, True),
    )
    return trajectory


def _pbc(trajectory: orm.TrajectoryData) -> tuple[bool, bool, bool]:
    """The trajectory's ``pbc`` attribute when it has one (aiida-quantumespresso's do not), else periodic."""
    return tuple(trajectory.base.attributes.get('pbc', (True, True, True)))


def frame_count(trajectory: orm.TrajectoryData) -> int:
    """Number of frames of ``trajectory`` (0 when it has no positions)."""
    if 'positions' not in trajectory.get_arraynames():
        return 0
    return int(trajectory.get_array('positions').shape[0])


def frame_info(key: str, trajectory: orm.TrajectoryData, index: int) -> dict[str, Any]:
    """The fields a frame's result carries: trajectory key and UUID, frame index, step and time if known."""
    return frames_info(key, trajectory, [index])[0]


def frames_info(key: str, trajectory: orm.TrajectoryData, indices: Sequence[int]) -> list[dict[str, Any]]:
    """:func:`frame_info` of each of ``indices``, reading the ``steps`` and ``times`` arrays once."""
    names = trajectory.get_arraynames()
    steps = trajectory.get_array('steps') if 'steps' in names else None
    times = trajectory.get_array('times') if 'times' in names else None
    infos = []
    for index in indices:
        info: dict[str, Any] = {'trajectory': key, 'trajectory_uuid': trajectory.uuid, 'frame': index}
        if steps is not None:
            info['step'] = int(steps[index])
        if times is not None:
            info['time'] = float(times[index])
        infos.append(info)
    return infos
