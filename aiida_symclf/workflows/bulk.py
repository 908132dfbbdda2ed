"""Bulk mode: classify 10^4-10^6 structures that are already stored (entry point ``symclf.classify_bulk``).

The linked modes of :class:`~aiida_symclf.workflows.classify.SymmetryClassificationWorkChain` link every
structure to the process that classified it; AiiDA validates each new link against the earlier
ones of the same process, so that cost grows with the batch. Here the input is *one* stored list
of UUIDs (from a Group or a QueryBuilder: :meth:`BulkClassificationWorkChain.get_builder_for_group`,
:meth:`~BulkClassificationWorkChain.get_builder_for_query`), cut into chunks. With PostgreSQL + RabbitMQ each chunk is its own process
(:class:`ChunkClassificationWorkChain`) and daemon workers run chunks side by side; on the
embedded profile (no broker) they run one after the other in the same process. A chunk reads its structures with one query, stores one ``results`` Dict and one
``probabilities`` ArrayData (:func:`~aiida_symclf.calculations.functions.classify_stored.classify_stored`)
and writes the extras of all its structures with one bulk update.

Provenance, as far as AiiDA allows without per-structure links: the list of UUIDs and the model
are inputs of every chunk's CalcFunction, every result names its structure's UUID, and every
structure's extras name the result node (``symclf_result_uuid``) besides the label, AFLOW
prototype, probability, uncertainty and model, the same extras as the linked modes, so
:func:`aiida_symclf.query.classified_structures` finds both.

A trajectory (input ``trajectory``, a ``TrajectoryData``, instead of ``uuids``) is classified in
chunks of frames by :func:`~aiida_symclf.calculations.functions.classify_trajectory.classify_trajectory`, in this process: no
node per frame at all, one ``results`` Dict per chunk keyed by frame index, each result with
``frame`` and ``trajectory_uuid`` (:func:`aiida_symclf.query.trajectory_results` finds them).
"""

from __future__ import annotations

from typing import Any

from aiida import orm
from aiida.engine import ToContext, WorkChain, if_

from aiida_symclf.calculations.functions.classify_stored import classify_stored
from aiida_symclf.calculations.functions.classify_trajectory import classify_trajectory
from aiida_symclf.data import SymclfModelData
from aiida_symclf.library.parallel import workers_error
from aiida_symclf.library.record import ClassificationRecord
from aiida_symclf.utils.stored import plain_rows, update_extras
from aiida_symclf.utils.trajectory import trajectory_problem

__all__ = ['DEFAULT_CHUNK_SIZE', 'BulkClassificationWorkChain', 'ChunkClassificationWorkChain']

#: Structures per chunk: large enough that the per-process cost (~0.1 s) is small, small enough
#: that a chunk's Dict stays a few MB and daemon workers share the work.
DEFAULT_CHUNK_SIZE = 1000
MAX_CHUNK_SIZE = 100_000


def validate_uuids(uuids: orm.List, _) -> str | None:
    values = uuids.get_list()
    if not values:
        return 'give at least one structure UUID'
    if not all(isinstance(value, str) for value in values):
        return 'uuids must be a list of UUID strings'
    return None


def validate_chunk_size(chunk_size: orm.Int, _) -> str | None:
    if not 1 <= chunk_size.value <= MAX_CHUNK_SIZE:
        return f'chunk_size must be between 1 and {MAX_CHUNK_SIZE}, got {chunk_size.value}'
    return None


def set_result_extras(results: orm.Dict, model: SymclfModelData) -> tuple[int, int]:
    """Merge the extras of every structure classified in ``results`` into its current ones: one
    query, one bulk update. Returns (structures updated, structures that failed)."""
    values = results.get_dict()
    classified = {uuid: result for uuid, result in values.items() if result['status'] == 'classified'}
    if not classified:  # nothing to update; a filter `in` an empty list is an error of aiida-core's query
        return 0, len(values)
    query = orm.QueryBuilder().append(
        orm.StructureData, filters={'uuid': {'in': list(classified)}}, project=['uuid', 'id', 'extras']
    )
    rows = [
        (pk, {**(extras or {}), **ClassificationRecord.from_dict(classified[uuid]).extras(results.uuid, model.sha256)})
        for uuid, pk, extras in plain_rows(query)
    ]
    return update_extras(rows), len(values) - len(classified)


def validate_workers(workers: orm.Int, _) -> str | None:
    return workers_error(workers.value)


def chunk_inputs(
    uuids: orm.List, start: int, stop: int, model: SymclfModelData, workers: orm.Int, label: str
) -> dict[str, Any]:
    """Inputs of one chunk, for :func:`classify_stored` or :class:`ChunkClassificationWorkChain`."""
    return {
        'uuids': uuids, 'start': orm.Int(start), 'stop': orm.Int(stop), 'model': model, 'workers': workers,
        'metadata': {'call_link_label': label},
    }  # fmt: skip


def workers_input(spec) -> None:
    """The ``workers`` input of both WorkChains."""
    spec.input(
        'workers', valid_type=orm.Int, default=lambda: orm.Int(1), validator=validate_workers,
        help='Processes (one thread each) that classify each chunk. On the embedded profile, where the chunks run one '
        'after the other, set it to the number of cores; with daemon workers, which run chunks side by side, keep 1.',
    )  # fmt: skip


def validate_bulk_inputs(inputs: dict, _) -> str | None:
    """Exactly one of ``uuids`` and ``trajectory``."""
    if ('uuids' in inputs) == ('trajectory' in inputs):
        return 'give either `uuids` (stored structures) or `trajectory`, not both or neither'
    return None


class ChunkClassificationWorkChain(WorkChain):
    """Classify ``uuids[start:stop]`` with one CalcFunction and set their extras with one bulk update."""

    @classmethod
    def define(cls, spec):
        super().define(spec)
        spec.input('uuids', valid_type=orm.List, validator=validate_uuids, help='UUIDs of stored StructureData.')
        spec.input('start', valid_type=orm.Int, help='First index of the chunk in `uuids`.')
        spec.input('stop', valid_type=orm.Int, help='One past the last index of the chunk in `uuids`.')
        spec.input('model', valid_type=SymclfModelData, default=SymclfModelData.get_or_create, help='Classifier model.')
        workers_input(spec)
        spec.outline(cls.classify)
        spec.output('results', valid_type=orm.Dict, help='UUID -> result (or failure) of every structure of the chunk.')
        spec.output('probabilities', valid_type=orm.ArrayData, help='Class probabilities, rows in `uuids` order.')
        spec.exit_code(
            402,
            'ERROR_STEP_FAILED',
            message='the classification step failed: {status} {message}',
            invalidates_cache=True,
        )

    def classify(self):
        inputs = chunk_inputs(self.inputs.uuids, self.inputs.start.value, self.inputs.stop.value, self.inputs.model,
                              self.inputs.workers, 'classify')  # fmt: skip
        _, node = classify_stored.run_get_node(**inputs)
        if not node.is_finished_ok:
            return self.exit_codes.ERROR_STEP_FAILED.format(status=node.exit_status, message=node.exit_message)
        self.out('results', node.outputs.results)
        self.out('probabilities', node.outputs.probabilities)
        updated, failed = set_result_extras(node.outputs.results, self.inputs.model)
        self.report(f'{updated} structures classified, {failed} failed')
        return None


class BulkClassificationWorkChain(WorkChain):
    """Classify many stored structures, given as one list of UUIDs, in chunks.

    With a broker (RabbitMQ) each chunk is a :class:`ChunkClassificationWorkChain` of its own, run
    by any daemon worker; without one (the embedded profile) the chunks run one after the other in
    this process as :func:`classify_stored` steps (waiting for child processes without a broker
    means polling them, once a minute by default).
    """

    @classmethod
    def get_builder_for_group(
        cls, group: orm.Group, chunk_size: int = DEFAULT_CHUNK_SIZE, model=None, workers: int = 1
    ):
        """Builder for every ``StructureData`` of ``group`` (their UUIDs read with one query)."""
        query = orm.QueryBuilder().append(orm.Group, filters={'id': group.pk}, tag='group')
        query.append(orm.StructureData, with_group='group', project='uuid')
        return cls.get_builder_for_query(query, chunk_size, model, workers)

    @classmethod
    def get_builder_for_query(
        cls, query: orm.QueryBuilder, chunk_size: int = DEFAULT_CHUNK_SIZE, model=None, workers: int = 1
    ):
        """Builder for the structures of a QueryBuilder that projects their UUIDs (one column)."""
        builder = cls._builder(chunk_size, model, workers)
        builder.uuids = orm.List(sorted(str(uuid) for uuid in query.all(flat=True)))
        return builder

    @classmethod
    def get_builder_for_trajectory(
        cls, trajectory: orm.TrajectoryData, chunk_size: int = DEFAULT_CHUNK_SIZE, model=None, workers: int = 1
    ):
        """Builder for every frame of ``trajectory``."""
        builder = cls._builder(chunk_size, model, workers)
        builder.trajectory = trajectory
        return builder

    @classmethod
    def _builder(cls, chunk_size: int, model, workers: int):
        """A builder with the settings every input kind shares: chunk size, workers, model (default if None)."""
        builder = cls.get_builder()
        builder.chunk_size = orm.Int(chunk_size)
        builder.workers = orm.Int(workers)
        if model is not None:
            builder.model = model
        return builder

    @classmethod
    def define(cls, spec):
        super().define(spec)
        spec.input(
            'uuids', valid_type=orm.List, validator=validate_uuids, required=False,
            help='UUIDs of the stored StructureData.',
        )  # fmt: skip
        spec.input(
            'trajectory', valid_type=orm.TrajectoryData, required=False,
            help='A trajectory whose frames to classify (instead of `uuids`); no node is stored per frame.',
        )  # fmt: skip
        spec.inputs.validator = validate_bulk_inputs
        spec.input(
            'chunk_size', valid_type=orm.Int, default=lambda: orm.Int(DEFAULT_CHUNK_SIZE), validator=validate_chunk_size,
            help='Structures per chunk (one process, one Dict, one ArrayData, one bulk update of extras each).',
        )  # fmt: skip
        spec.input('model', valid_type=SymclfModelData, default=SymclfModelData.get_or_create, help='Classifier model.')
        workers_input(spec)
        spec.outline(
            if_(cls.has_trajectory)(cls.classify_frames)
            .elif_(cls.has_broker)(cls.submit_chunks)
            .else_(cls.classify_chunks),
            cls.collect,
        )
        spec.output_namespace('results', valid_type=orm.Dict, dynamic=True, help="Each chunk's results Dict.")
        spec.exit_code(400, 'ERROR_SOME_CHUNKS_FAILED', message='{count} of {total} chunks failed: {chunks}')
        spec.exit_code(401, 'ERROR_ALL_CHUNKS_FAILED', message='every chunk failed')
        spec.exit_code(204, 'ERROR_INVALID_TRAJECTORY', message='the trajectory cannot be classified: {reason}')

    def _chunks(self, count: int | None = None) -> list[tuple[str, int, int]]:
        count = len(self.inputs.uuids) if count is None else count
        size = self.inputs.chunk_size.value
        self.report(f'{count} structures in chunks of at most {size}')
        return [
            (f'chunk_{index:05d}', start, min(start + size, count)) for index, start in enumerate(range(0, count, size))
        ]

    def has_trajectory(self) -> bool:
        return 'trajectory' in self.inputs

    def classify_frames(self):
        """The trajectory's frames in chunks, each one :func:`classify_trajectory` call in this process."""
        trajectory = self.inputs.trajectory
        problem = trajectory_problem(trajectory)
        if problem:
            return self.exit_codes.ERROR_INVALID_TRAJECTORY.format(reason=problem)
        for label, start, stop in self._chunks(trajectory.get_array('positions').shape[0]):
            _, node = classify_trajectory.run_get_node(
                trajectory=trajectory, model=self.inputs.model, start=orm.Int(start), stop=orm.Int(stop),
                workers=self.inputs.workers, metadata={'call_link_label': label},
            )  # fmt: skip
            self.ctx[label] = node
        return None

    def has_broker(self) -> bool:
        return self.runner.communicator is not None

    def submit_chunks(self):
        """One ChunkClassificationWorkChain per chunk, for daemon workers to share."""
        futures = {
            label: self.submit(ChunkClassificationWorkChain, **chunk_inputs(self.inputs.uuids, start, stop, self.inputs.model, self.inputs.workers, label))
            for label, start, stop in self._chunks()
        }  # fmt: skip
        return ToContext(**futures)

    def classify_chunks(self):
        """The chunks one after the other in this process (no broker)."""
        for label, start, stop in self._chunks():
            _, node = classify_stored.run_get_node(
                **chunk_inputs(self.inputs.uuids, start, stop, self.inputs.model, self.inputs.workers, label)
            )
            self.ctx[label] = node
            if node.is_finished_ok:
                set_result_extras(node.outputs.results, self.inputs.model)

    def collect(self):
        chunks = sorted(key for key in self.ctx if key.startswith('chunk_'))
        failed = [key for key in chunks if not self.ctx[key].is_finished_ok]
        for key in chunks:
            if key not in failed:
                self.out(f'results.{key}', self.ctx[key].outputs.results)
        if len(failed) == len(chunks):
            return self.exit_codes.ERROR_ALL_CHUNKS_FAILED
        if failed:
            return self.exit_codes.ERROR_SOME_CHUNKS_FAILED.format(
                count=len(failed), total=len(chunks), chunks=', '.join(failed)
            )
        return None
