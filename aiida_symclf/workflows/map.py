"""``LocalMapWorkChain`` (entry point ``symclf.map``): which crystal is where, stored with provenance.

A structure that is more than one crystal (a polycrystal, an interface, a slab, a crystal next to
its melt) has no single class; its local structure map
(:func:`aiida_symclf.library.local_map.map_structure`) labels every window of a grid and every
atom. Outline: setup (parameters, model, trajectory frames) -> map -> results.

- Input ``structure`` (StructureData) or ``trajectory`` (TrajectoryData: one map per frame; the
  frames become StructureData through
  :func:`~aiida_symclf.calculations.functions.trajectory_frames.trajectory_frames`, as in the
  classification WorkChain), ``model`` (default: the shipped model, stored once) and
  ``parameters`` (Dict: ``box``, ``stride`` in Angstrom; see
  :class:`~aiida_symclf.library.local_map.MapParameters`).
- :func:`~aiida_symclf.calculations.functions.map_structures.map_structures` maps the structures in
  batched calls (link label ``map``): one process node per batch, one
  :class:`~aiida_symclf.data.local_map.LocalMapData` per structure, no node per window. The graph
  records structure -> map_structures -> map (and trajectory -> trajectory_frames -> frame).
- Outputs: ``maps.structure`` (or ``maps.frame_NNNNNN`` per frame) and ``summary`` (fractions of
  atoms per label over all maps, an entry per map, failures).
- Every mapped StructureData gets the extras ``symclf_fractions`` (label -> fraction of its atoms),
  ``symclf_majority_label`` and ``symclf_map_uuid`` (frames also ``symclf_frame`` and
  ``symclf_trajectory_uuid``), so that one indexed query finds, for example, every structure with
  more than 20% bcc atoms::

      from aiida import orm
      query = orm.QueryBuilder().append(
          orm.StructureData, filters={'extras.symclf_fractions.bcc': {'>': 0.2}}, project='*'
      )

  (:func:`aiida_symclf.query.mapped_structures` runs that query: ``mapped_structures('bcc', 0.2)``).

Exit codes: 201 invalid ``parameters`` (every problem named, before anything runs), 204 a
trajectory that cannot be split into frames (no cells), 410 some structures (frames) could not be
mapped (the others have their maps), 411 none could; the reasons are in the exit message, the
report and ``summary.failures``.
"""

from __future__ import annotations

from aiida import orm
from aiida.common.links import LinkType
from aiida.engine import ExitCode, WorkChain

from aiida_symclf.calculations.functions import map_structures, merge_map_summaries, trajectory_frames
from aiida_symclf.data import LocalMapData, SymclfModelData
from aiida_symclf.library.checkpoints import checkpoint
from aiida_symclf.library.model import ModelFileError
from aiida_symclf.utils.exit_codes import (
    EXIT_CODES,
    MAP_EXIT_CODES,
    WORKCHAIN_INPUT_EXIT_CODES,
    declare_exit_codes,
)
from aiida_symclf.utils.local_maps import map_extras, parameter_problems
from aiida_symclf.utils.trajectory import (
    FRAME_EXTRA,
    TRAJECTORY_EXTRA,
    frame_count,
    frame_key,
    frames_info,
    trajectory_problem,
)
from aiida_symclf.workflows.classify import STEP_BATCH_SIZE

__all__ = ['LocalMapWorkChain']

#: Output key of the map of a ``structure`` input (a trajectory's frames are ``frame_NNNNNN``).
STRUCTURE_KEY = 'structure'
#: The ``trajectory`` key of each frame's info (:func:`~aiida_symclf.utils.trajectory.frames_info`).
TRAJECTORY_KEY = 'trajectory'


def validate_inputs(inputs: dict, _) -> str | None:
    """Exactly one of ``structure`` and ``trajectory``."""
    given = [name for name in ('structure', 'trajectory') if name in inputs]
    if len(given) != 1:
        return 'give exactly one of `structure` and `trajectory`' + (' (both were given)' if given else '')
    return None


class LocalMapWorkChain(WorkChain):
    """Local structure map of a structure, or of every frame of a trajectory (see the module docs)."""

    @classmethod
    def define(cls, spec):
        super().define(spec)
        spec.input(
            'structure', valid_type=orm.StructureData, required=False,
            help='The structure to map (a polycrystal, an interface, a slab, ...).',
        )  # fmt: skip
        spec.input(
            'trajectory', valid_type=orm.TrajectoryData, required=False,
            help='A trajectory with a cell per frame: every frame is mapped (outputs `maps.frame_NNNNNN`).',
        )  # fmt: skip
        spec.input(
            'model', valid_type=SymclfModelData, default=SymclfModelData.get_or_create,
            help='Classifier model; default: the model shipped with the package, stored once and reused (an input '
            'of the WorkChain either way, so the provenance graph records which model mapped).',
        )  # fmt: skip
        spec.input(
            'parameters', valid_type=orm.Dict, required=False,
            help='{box, stride} in Angstrom (`aiida_symclf.library.local_map.MapParameters`); default: a box that '
            'holds about 180 atoms, stride half the box. Invalid values end the WorkChain with exit code 201.',
        )  # fmt: skip
        spec.inputs.validator = validate_inputs

        spec.outline(cls.setup, cls.make_maps, cls.results)

        spec.output_namespace(
            'maps', valid_type=LocalMapData, dynamic=True,
            help='The map of the structure (`structure`) or of each frame (`frame_NNNNNN`).',
        )  # fmt: skip
        spec.output(
            'summary', valid_type=orm.Dict,
            help='Fractions of atoms per label over all maps, an entry per map (UUIDs, fractions, majority label, '
            'box, stride), and the structures that could not be mapped with the reason.',
        )  # fmt: skip

        # The CalcFunctions' codes (a failed step ends the WorkChain with the step's own code), then
        # the WorkChain's own: one table each in aiida_symclf.utils.exit_codes.
        declare_exit_codes(spec, EXIT_CODES)
        declare_exit_codes(spec, WORKCHAIN_INPUT_EXIT_CODES)
        declare_exit_codes(spec, MAP_EXIT_CODES)

    # ---------------------------------------------------------------------------------------

    def setup(self):
        """Check the parameters and the model, then collect the structures (a trajectory's frames)."""
        given = self.inputs.get('parameters')
        problems = parameter_problems(given.get_dict() if given is not None else None)
        if problems:
            reason = '; '.join(problems)
            self.report(f'invalid parameters: {reason}')
            return self.exit_codes.ERROR_INVALID_PARAMETERS.format(reason=reason)
        try:
            self.inputs.model.load()
        except ModelFileError as exception:
            return self.exit_codes.ERROR_INVALID_MODEL.format(reason=str(exception))
        self.ctx.structures = {}
        self.ctx.frames = {}
        if 'structure' in self.inputs:
            self.ctx.structures[STRUCTURE_KEY] = self.inputs.structure
            return None
        return self._add_frames(self.inputs.trajectory)

    def _add_frames(self, trajectory: orm.TrajectoryData) -> ExitCode | None:
        """The frames of ``trajectory`` as structures to map (``frame_NNNNNN``), or exit code 204.

        :func:`trajectory_frames` is called for :data:`STEP_BATCH_SIZE` frames at a time (link label ``frames``).
        """
        problem = trajectory_problem(trajectory)
        if problem:  # the same check as trajectory_frames', before any frame is stored
            self.report(f'trajectory: {problem}')
            return self.exit_codes.ERROR_INVALID_TRAJECTORY.format(reasons=f'{TRAJECTORY_KEY}: {problem}')
        count = frame_count(trajectory)
        for start in range(0, count, STEP_BATCH_SIZE):
            stop = min(start + STEP_BATCH_SIZE, count)
            outputs, node = trajectory_frames.run_get_node(
                trajectory, orm.Int(start), orm.Int(stop), metadata={'call_link_label': 'frames'}
            )
            if not node.is_finished_ok:
                self.report(f'trajectory: {node.exit_message}')
                return self.exit_codes.ERROR_INVALID_TRAJECTORY.format(reasons=f'{TRAJECTORY_KEY}: {node.exit_message}')
            infos = frames_info(TRAJECTORY_KEY, trajectory, range(start, stop))
            for index, info in zip(range(start, stop), infos, strict=True):
                self.ctx.structures[frame_key(index)] = outputs[frame_key(index)]
                self.ctx.frames[frame_key(index)] = info
        self.report(f'trajectory: {count} frames')
        return None

    def make_maps(self):
        """Map the structures in calls of :data:`STEP_BATCH_SIZE` (link label ``map``)."""
        parameters = {'parameters': self.inputs.parameters} if 'parameters' in self.inputs else {}
        keys = list(self.ctx.structures)
        self.ctx.maps, self.ctx.failures, self.ctx.summaries = {}, {}, []
        self.report(f'mapping {len(keys)} structures with model {self.inputs.model.sha256[:12]}')
        for start in range(0, len(keys), STEP_BATCH_SIZE):
            checkpoint('map', start, len(keys))
            batch = {key: self.ctx.structures[key] for key in keys[start : start + STEP_BATCH_SIZE]}
            outputs, node = map_structures.run_get_node(
                model=self.inputs.model, **parameters, **batch, metadata={'call_link_label': 'map'}
            )
            if not node.is_finished_ok:
                return self._step_failed(node)
            outputs = dict(outputs)
            self.ctx.summaries.append(outputs.pop('summary'))
            if 'failures' in outputs:
                self.ctx.failures.update(outputs.pop('failures').get_dict())
            self.ctx.maps.update(outputs)
        checkpoint('map', len(keys), len(keys))
        return None

    def results(self):
        """Output the maps and the summary, set the extras of each mapped structure, and report the failures."""
        if self.ctx.maps:
            self.out('maps', self.ctx.maps)
        summaries = self.ctx.summaries
        if len(summaries) == 1:
            summary = summaries[0]
        else:
            batches = {f'batch_{index}': node for index, node in enumerate(summaries)}
            summary = merge_map_summaries(**batches, metadata={'call_link_label': 'summary'})
        self.out('summary', summary)
        for key, node in self.ctx.maps.items():
            extras = map_extras(node)
            if key in self.ctx.frames:
                frame = self.ctx.frames[key]
                extras.update({FRAME_EXTRA: frame['frame'], TRAJECTORY_EXTRA: frame['trajectory_uuid']})
            self.ctx.structures[key].base.extras.set_many(extras)
        if not self.ctx.failures:
            self.report(f'mapped {len(self.ctx.maps)} structures')
            return None
        reasons = '; '.join(f'{key}: {reason}' for key, reason in sorted(self.ctx.failures.items()))
        self.report(f'{len(self.ctx.failures)} of {len(self.ctx.structures)} structures could not be mapped: {reasons}')
        if not self.ctx.maps:
            return self.exit_codes.ERROR_NO_STRUCTURE_MAPPED.format(reasons=reasons)
        return self.exit_codes.ERROR_SOME_STRUCTURES_NOT_MAPPED.format(
            count=len(self.ctx.failures), total=len(self.ctx.structures), reasons=reasons
        )

    def _step_failed(self, node: orm.CalcFunctionNode) -> ExitCode:
        """Exit with the failed step's own exit code (the CalcFunctions' codes are also this WorkChain's)."""
        label = node.base.links.get_incoming(link_type=LinkType.CALL_CALC).one().link_label
        self.report(f'step {label} ({node.process_label}<{node.pk}>) failed: {node.exit_status} {node.exit_message}')
        return ExitCode(node.exit_status, node.exit_message)
