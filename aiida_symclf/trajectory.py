"""Trajectories (``TrajectoryData``): classify every frame of an MD run, with provenance.

The WorkChain (``trajectories`` input) and the bulk mode (``trajectory`` input) take a
``TrajectoryData`` as well as structures:

- :func:`trajectory_frames` (CalcFunction, entry point ``symclf.trajectory_frames``) turns the
  trajectory into one ``StructureData`` per frame (outputs ``frame_000000``, ...); the
  WorkChain classifies them like any structure, and each frame's result carries ``frame``
  (index in the trajectory), ``trajectory`` (its key) and ``trajectory_uuid``;
- the bulk mode classifies the frames inside :func:`classify_trajectory` (CalcFunction): no
  node per frame, one ``results`` Dict keyed by frame index per chunk of frames.

:func:`trajectory_results` finds the per-frame results of a trajectory with ``QueryBuilder``
(both modes); :func:`aiida_symclf.plot.plot_trajectory` draws label and probabilities against
frame. A trajectory without cells, or whose arrays disagree on the number of atoms, is refused
with the reason (:func:`trajectory_problem`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from aiida import orm
from aiida.engine import calcfunction

from .calculations.functions.exit_codes import StepError, with_exit_codes
from .calculations.functions.inputs import loaded_model
from .data import SymclfModelData

__all__ = [
    'FRAME_PREFIX',
    'classify_trajectory',
    'frame_atoms',
    'frames_atoms',
    'frames_info',
    'frame_key',
    'trajectory_from_atoms',
    'trajectory_frames',
    'trajectory_problem',
    'trajectory_results',
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
    from ase import Atoms

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


def structure_from_atoms(atoms: Any) -> orm.StructureData:
    """``orm.StructureData(ase=atoms)``, the same attributes, built in one pass.

    aiida-core appends atom by atom, copying the list of sites each time: 85 ms for a 250-atom
    frame on this project's 2-core machine, most of the cost of turning 1,000 frames into nodes
    besides storing them. Kinds as ``set_ase`` makes them: one per (symbol, tag, mass), named by
    the symbol (and the tag when it is not 0).
    """
    from aiida.orm.nodes.data.structure import Kind

    node = orm.StructureData(cell=atoms.cell.array.tolist(), pbc=[bool(value) for value in atoms.pbc])
    kinds: dict[tuple[str, int, float], str] = {}
    raw_kinds, sites = [], []
    for symbol, tag, mass, position in zip(
        atoms.get_chemical_symbols(), atoms.get_tags(), atoms.get_masses(), atoms.positions, strict=True
    ):
        key = (symbol, int(tag), float(mass))
        if key not in kinds:
            name = symbol if tag == 0 else f'{symbol}{int(tag)}'
            if name in kinds.values():  # two masses under one name: leave it to aiida-core's own rules
                return orm.StructureData(ase=atoms)
            kinds[key] = name
            raw_kinds.append(Kind(symbols=symbol, mass=float(mass), name=name).get_raw())
        sites.append({'position': tuple(float(x) for x in position), 'kind_name': kinds[key]})
    node.base.attributes.set('kinds', raw_kinds)
    node.base.attributes.set('sites', sites)
    return node


def frame_count(trajectory: orm.TrajectoryData) -> int:
    """Number of frames of ``trajectory`` (0 when it has no positions)."""
    if 'positions' not in trajectory.get_arraynames():
        return 0
    return int(trajectory.get_array('positions').shape[0])


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
    return {frame_key(index): structure_from_atoms(frame) for index, frame in zip(indices, atoms, strict=True)}


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


#: Fields of a frame's result in the bulk mode (its probabilities are in the ``probabilities`` ArrayData).
TRAJECTORY_FIELDS = (
    'label', 'aflow_prototype', 'space_groups', 'network_label', 'probability', 'uncertainty', 'unknown_reason',
    'lattice', 'probabilities',
)  # fmt: skip


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
    (:data:`TRAJECTORY_FIELDS`), or ``status`` ``failed`` with ``reason``.
    """
    from .classification import classify_structures

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
            fields = {name: record[name] for name in TRAJECTORY_FIELDS if name in record}
            results[str(index)] = {'status': 'classified', **fields, **info, 'model_sha256': model.sha256}
    return {'results': orm.Dict(results)}


def trajectory_results(trajectory: orm.TrajectoryData) -> list[dict[str, Any]]:
    """Every stored per-frame result of ``trajectory``, from the WorkChain or the bulk mode, by frame.

    Three queries: the WorkChain's result Dicts whose ``trajectory_uuid`` is this trajectory's,
    the ``results`` of every :func:`classify_trajectory` that took it as input, and the entries
    of the compact mode's ``results`` Dicts (found through the frames' extras). A frame
    classified more than once appears once per classification (sorted by frame, then time).
    """
    rows: list[tuple[int, Any, dict]] = []
    query = orm.QueryBuilder().append(
        orm.Dict, filters={'attributes.trajectory_uuid': trajectory.uuid}, project=['attributes', 'ctime']
    )
    for attributes, ctime in query.iterall():
        if 'frame' in attributes and 'status' in attributes:
            rows.append((attributes['frame'], ctime, attributes))
    query = orm.QueryBuilder()
    query.append(orm.TrajectoryData, filters={'uuid': trajectory.uuid}, tag='trajectory')
    query.append(
        orm.CalcFunctionNode, with_incoming='trajectory', filters={'attributes.process_label': 'classify_trajectory'},
        tag='call',
    )  # fmt: skip
    query.append(orm.Dict, with_incoming='call', edge_filters={'label': 'results'}, project=['attributes', 'ctime'])
    for attributes, ctime in query.iterall():
        rows.extend((int(frame), ctime, result) for frame, result in attributes.items())
    rows.extend(_compact_rows(trajectory.uuid))
    return [result for _, _, result in sorted(rows, key=lambda row: (row[0], row[1]))]


def _compact_rows(uuid: str) -> list[tuple[int, Any, dict]]:
    """Entries for trajectory ``uuid`` of the compact mode's ``classify_batch`` results Dicts."""
    query = orm.QueryBuilder()
    query.append(orm.StructureData, filters={f'extras.{TRAJECTORY_EXTRA}': uuid}, tag='frame')
    query.append(
        orm.CalcFunctionNode, with_incoming='frame', filters={'attributes.process_label': 'classify_batch'}, tag='call'
    )
    query.append(orm.Dict, with_incoming='call', edge_filters={'label': 'results'}, project=['id'])
    query.distinct()
    rows = []
    for pk in {pk for (pk,) in query.all()}:
        node = orm.load_node(pk)
        rows.extend(
            (result['frame'], node.ctime, result)
            for result in node.get_dict().values()
            if result.get('trajectory_uuid') == uuid
        )
    return rows
