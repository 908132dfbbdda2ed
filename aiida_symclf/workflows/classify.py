"""``SymmetryClassificationWorkChain`` (entry point ``symclf.classify``).

Outline: validate -> (perturb) -> fingerprint -> classify -> (attention maps) -> results.

Each step runs batched CalcFunctions (:data:`STEP_BATCH_SIZE` structures per call, all calls of a
step under the step's link label), so the number of process nodes grows only by one per batch of
structures; every structure still gets its own output nodes
(perturbed StructureData, fingerprint ArrayData, classification Dict) and the graph records
inputs -> perturbed structures -> fingerprints -> classifications.

Each input structure also receives the extras ``symclf_label``, ``symclf_probability``,
``symclf_space_groups``, ``symclf_unknown_reason`` (why it is ``unknown``, empty otherwise) and
``symclf_model_sha256`` (:meth:`~aiida_symclf.library.record.ClassificationRecord.extras`) so that
:func:`aiida_symclf.query.classified_structures` finds, for example, every structure classified
as bcc with probability > 0.9 with a single indexed query.

Trajectories (``trajectories`` namespace, ``TrajectoryData``):
:func:`~aiida_symclf.calculations.functions.trajectory_frames.trajectory_frames` makes one StructureData per frame (the
provenance link from the trajectory to each frame), classified like any structure under the key
``<trajectory key>_frame_NNNNNN``; each frame's result carries ``trajectory``,
``trajectory_uuid``, ``frame`` (and ``step``, ``time`` when the trajectory has them), and the
frame gets the extras ``symclf_frame`` and ``symclf_trajectory_uuid``. A trajectory that cannot
be split (no cells, atom counts that disagree) ends the WorkChain with exit code 204 and the
reason, after the other inputs were classified.
"""

from __future__ import annotations

from typing import Any

from aiida import orm
from aiida.common.links import LinkType
from aiida.engine import ExitCode, WorkChain, if_

from aiida_symclf.calculations.functions import (
    classify_batch,
    classify_fingerprints,
    collect_results,
    compute_attention_maps,
    compute_fingerprints,
    merge_summaries,
    perturb_structures,
    trajectory_frames,
)
from aiida_symclf.data import FingerprintData, SymclfModelData
from aiida_symclf.library.attention import AttentionParameters
from aiida_symclf.library.checkpoints import checkpoint
from aiida_symclf.library.fingerprint import FingerprintParameters
from aiida_symclf.library.model import ModelFileError
from aiida_symclf.library.perturb import PerturbationLevel
from aiida_symclf.library.record import ClassificationRecord
from aiida_symclf.utils.exit_codes import (
    EXIT_CODES,
    WORKCHAIN_EXIT_CODES,
    WORKCHAIN_INPUT_EXIT_CODES,
    declare_exit_codes,
)
from aiida_symclf.utils.replicas import perturbed_key
from aiida_symclf.utils.trajectory import (
    FRAME_EXTRA,
    TRAJECTORY_EXTRA,
    frame_count,
    frame_key,
    frames_info,
    trajectory_problem,
)
from aiida_symclf.workflows.protocols import ProtocolMixin

__all__ = ['SymmetryClassificationWorkChain', 'validate_perturbations']

MAX_REPLICAS = 10_000
#: Structures per CalcFunction call of the per-structure mode's steps. aiida-core's cost of an
#: input link grows with the links of the same call (``benchmarks/links.py``; figures in
#: docs/scaling.rst, 'Constants chosen by measurement').
STEP_BATCH_SIZE = 100
#: Classification Dicts per ``collect_results`` call. aiida-core compares each new input link
#: with the earlier ones of the same call, and two ``Dict`` nodes by their content, reloaded
#: from the database (``Dict.__eq__``): quadratic in the Dict inputs of one call. One call with
#: 100 Dicts made 10,100 comparisons and took 16 s; calls of 25 make 650 per 25.
RESULTS_BATCH_SIZE = 25


def validate_fingerprint_parameters(parameters: orm.Dict, _) -> str | None:
    """Reject unknown keys and bad values before any step runs."""
    try:
        FingerprintParameters.from_dict(parameters.get_dict())
    except (TypeError, ValueError) as exception:
        return f'invalid fingerprint_parameters: {exception}'
    return None


def validate_perturbations(perturbations: orm.List, _) -> str | None:
    """Each entry a :class:`~aiida_symclf.library.perturb.PerturbationLevel` as a dictionary
    (``displacement``, ``vacancy_fraction``, ``replicas``, ``seed``), at most 10,000 replicas."""
    for index, item in enumerate(perturbations.get_list()):
        try:
            level = PerturbationLevel.from_dict(item)
        except (TypeError, ValueError) as exception:
            return f'perturbations[{index}]: {exception}'
        if level.replicas > MAX_REPLICAS:
            return f'perturbations[{index}]: replicas must be at most {MAX_REPLICAS}, got {level.replicas}'
    return None


def validate_attention_parameters(parameters: orm.Dict, _) -> str | None:
    """Keys and values of :class:`~aiida_symclf.library.attention.AttentionParameters`."""
    try:
        AttentionParameters.from_dict(parameters.get_dict())
    except (TypeError, ValueError) as exception:
        return f'attention_parameters: {exception}'
    return None


def validate_inputs(inputs: dict, namespace) -> str | None:
    """Something to classify; attention maps need the per-structure fingerprint nodes of the normal storage mode.

    A workflow that exposes these inputs without ``structures`` and ``trajectories`` (a relax-then-classify
    chain, which supplies the structure itself) gets this validator too: there only the second check applies.
    """
    has_targets = namespace is None or ('structures' in namespace and 'trajectories' in namespace)
    if has_targets and not inputs.get('structures') and not inputs.get('trajectories'):
        return 'give at least one structure in the `structures` namespace or a trajectory in `trajectories`'
    if not inputs['store_per_structure'].value and inputs['compute_attention'].value:
        return 'compute_attention needs store_per_structure=True (the maps are made from per-structure fingerprints)'
    return None


def validate_trajectories(trajectories: dict, _) -> str | None:
    """Refuse at launch an unstored trajectory whose arrays disagree on the number of atoms: aiida-core
    could not store it (a stored one always agrees). Other problems (no cells) are exit code 204."""
    for key, trajectory in (trajectories or {}).items():
        problem = None if trajectory.is_stored else trajectory_problem(trajectory)
        if problem and 'number of atoms' in problem:
            return f'trajectories.{key}: {problem}'
    return None


def validate_structures(structures: dict, _) -> str | None:
    """Kept for callers; the check that something is given is in :func:`validate_inputs`."""
    return None


class SymmetryClassificationWorkChain(ProtocolMixin, WorkChain):
    """Classify crystal structures by their diffraction fingerprint, optionally under perturbations."""

    _protocol_file = 'classify.yaml'

    @classmethod
    def get_builder_from_protocol(
        cls,
        structures: dict[str, orm.StructureData],
        protocol: str | None = None,
        overrides: dict[str, Any] | None = None,
        model: SymclfModelData | None = None,
    ):
        """Builder for ``structures`` with the inputs of ``protocol`` (``fast``, ``moderate``, ``precise``;
        see ``get_available_protocols()``), ``overrides`` merged in (same keys as the inputs)."""
        inputs = cls.get_protocol_inputs(protocol, overrides)
        builder = cls.get_builder()
        builder.structures = dict(structures)
        if model is not None:
            builder.model = model
        builder.fingerprint_parameters = orm.Dict(inputs['fingerprint_parameters'])
        builder.perturbations = orm.List(inputs['perturbations'])
        builder.compute_attention = orm.Bool(inputs['compute_attention'])
        builder.store_per_structure = orm.Bool(inputs['store_per_structure'])
        if 'attention_parameters' in inputs:
            builder.attention_parameters = orm.Dict(inputs['attention_parameters'])
        return builder

    @classmethod
    def define(cls, spec):
        super().define(spec)
        spec.input_namespace(
            'structures', valid_type=orm.StructureData, dynamic=True, required=False,
            help='Structures to classify, by link label (for example a relax workchain\'s `output_structure`).',
        )  # fmt: skip
        spec.input_namespace(
            'trajectories', valid_type=orm.TrajectoryData, dynamic=True, required=False,
            validator=validate_trajectories,
            help='Trajectories (for example an MD run\'s `output_trajectory`): every frame is classified, its result '
            'names the trajectory and the frame index.',
        )  # fmt: skip
        spec.input(
            'model', valid_type=SymclfModelData, default=SymclfModelData.get_or_create,
            help='Classifier model; default: the model shipped with the package, stored once and reused (an input '
            'of the WorkChain either way, so the provenance graph records which model classified).',
        )  # fmt: skip
        spec.input(
            'fingerprint_parameters', valid_type=orm.Dict, required=False, validator=validate_fingerprint_parameters,
            help='Settings of `aiida_symclf.library.fingerprint.FingerprintParameters` that differ from the model\'s own '
            '(those it was trained on, the default).',
        )  # fmt: skip
        spec.input(
            'perturbations', valid_type=orm.List, required=False, validator=validate_perturbations,
            help='List of perturbation levels {displacement, vacancy_fraction, replicas, seed} (see '
            '`aiida_symclf.library.perturb.PerturbationLevel`); empty: classify as given.',
        )  # fmt: skip
        spec.input(
            'compute_attention', valid_type=orm.Bool, default=lambda: orm.Bool(False),
            help='Also compute and store attentive response maps (with a PNG) for every input structure.',
        )  # fmt: skip
        spec.input(
            'attention_parameters', valid_type=orm.Dict, required=False, validator=validate_attention_parameters,
            help='{layer, top_k} for the attention maps.',
        )  # fmt: skip
        spec.input(
            'store_per_structure', valid_type=orm.Bool, default=lambda: orm.Bool(True),
            help='True: a StructureData per perturbed replica, and a fingerprint ArrayData and result Dict per '
            'structure (finest provenance). False (compact mode, for 10^4+ structures): the batch is one '
            'CalcFunction with three output nodes; per-structure results are in `batch_results` and the extras.',
        )  # fmt: skip
        spec.inputs.validator = validate_inputs

        spec.outline(
            cls.setup,
            if_(cls.should_store_per_structure)(
                if_(cls.should_perturb)(cls.perturb),
                cls.fingerprint,
                cls.classify,
                if_(cls.should_compute_attention)(cls.attention),
                cls.results,
            ).else_(
                cls.classify_compact,
            ),
        )

        spec.output_namespace(
            'results', valid_type=orm.Dict, dynamic=True, help='Per input structure: label, probability, robustness.'
        )
        spec.output_namespace(
            'fingerprints', valid_type=FingerprintData, dynamic=True, help='Fingerprint of every input structure.'
        )
        spec.output_namespace(
            'attention_maps',
            valid_type=orm.ArrayData,
            dynamic=True,
            required=False,
            help='Attention maps per input structure.',
        )
        spec.output('summary', valid_type=orm.Dict, help='Counts per class, failures, robustness per level.')
        spec.output(
            'batch_results', valid_type=orm.Dict, required=False, help='Compact mode: key -> result, for the batch.'
        )
        spec.output(
            'batch_fingerprints',
            valid_type=FingerprintData,
            required=False,
            help='Compact mode: (N, 3, H, W) fingerprints and probabilities.',
        )

        # The CalcFunctions' codes (a failed step ends the WorkChain with the step's own code), then
        # the WorkChain's own: one table each in aiida_symclf.utils.exit_codes.
        declare_exit_codes(spec, EXIT_CODES)
        declare_exit_codes(spec, WORKCHAIN_INPUT_EXIT_CODES)
        declare_exit_codes(spec, WORKCHAIN_EXIT_CODES)

    # ---------------------------------------------------------------------------------------

    def setup(self):
        """Load the model (stored once, reused by sha256) and the parameters."""
        try:
            self.ctx.model = self.inputs.model
            self.ctx.model.load()
        except ModelFileError as exception:
            return self.exit_codes.ERROR_INVALID_MODEL.format(reason=str(exception))
        self.ctx.fingerprint_parameters = self._fingerprint_parameters()
        self.ctx.levels = [
            PerturbationLevel.from_dict(item).to_dict()
            for item in self.inputs.get('perturbations', orm.List()).get_list()
        ]
        self.ctx.structures = dict(self.inputs.get('structures', {}))
        self.ctx.failures = {}
        self.ctx.frames = {}
        self.ctx.trajectory_failures = {}
        for key, trajectory in self.inputs.get('trajectories', {}).items():
            self._add_frames(key, trajectory)
        if not self.ctx.structures:
            return self._trajectories_failed()
        self.report(f'classifying {len(self.ctx.structures)} structures with model {self.ctx.model.sha256[:12]}')
        return None

    def _add_frames(self, key: str, trajectory: orm.TrajectoryData) -> None:
        """The frames of ``trajectory`` as structures to classify (``<key>_frame_NNNNNN``), or its failure.

        :func:`trajectory_frames` is called for :data:`STEP_BATCH_SIZE` frames at a time (all
        calls under the link label ``frames_<key>``); a trajectory it refuses adds no frame.
        """
        problem = trajectory_problem(trajectory)
        if problem:  # the same check as trajectory_frames', before any frame is stored
            self.ctx.trajectory_failures[key] = problem
            self.report(f'trajectory {key}: {problem}')
            return
        count = frame_count(trajectory)
        for start in range(0, count, STEP_BATCH_SIZE):
            stop = min(start + STEP_BATCH_SIZE, count)
            outputs, node = trajectory_frames.run_get_node(
                trajectory, orm.Int(start), orm.Int(stop), metadata={'call_link_label': f'frames_{key}'}
            )
            if not node.is_finished_ok:
                self.ctx.trajectory_failures[key] = node.exit_message
                self.report(f'trajectory {key}: {node.exit_message}')
                return
            for index, info in zip(range(start, stop), frames_info(key, trajectory, range(start, stop)), strict=True):
                name = f'{key}_{frame_key(index)}'
                self.ctx.structures[name] = outputs[frame_key(index)]
                self.ctx.frames[name] = info
        self.report(f'trajectory {key}: {count} frames')

    def _trajectories_failed(self) -> ExitCode | None:
        """Exit code 204 naming every trajectory that could not be split, or None."""
        if not self.ctx.trajectory_failures:
            return None
        reasons = '; '.join(f'{key}: {reason}' for key, reason in sorted(self.ctx.trajectory_failures.items()))
        return self.exit_codes.ERROR_INVALID_TRAJECTORY.format(reasons=reasons)

    def _fingerprint_parameters(self) -> orm.Dict:
        """The model's fingerprint settings (those it was trained on) with the input's on top.

        The input itself when it sets every field or when it already agrees with the model, so
        that the provenance graph shows the user's node; otherwise a new Dict with the merged values.
        """
        given = self.inputs.get('fingerprint_parameters')
        trained = FingerprintParameters.from_dict(
            self.ctx.model.base.attributes.get('fingerprint_parameters'), legacy=True
        )
        merged = {**trained.to_dict(), **(given.get_dict() if given is not None else {})}
        if given is not None and FingerprintParameters.from_dict(given.get_dict()).to_dict() == merged:
            return given
        return orm.Dict(merged)

    def should_store_per_structure(self) -> bool:
        return self.inputs.store_per_structure.value

    def should_perturb(self) -> bool:
        return bool(self.ctx.levels)

    def should_compute_attention(self) -> bool:
        return self.inputs.compute_attention.value

    def perturb(self):
        """All perturbed replicas of every structure, in CalcFunction calls of :data:`STEP_BATCH_SIZE` structures."""
        perturbed = self._run_in_batches(
            perturb_structures, 'perturb', self.ctx.structures,
            perturbations=orm.List(self.ctx.levels), fingerprint_parameters=self.ctx.fingerprint_parameters,
        )  # fmt: skip
        if isinstance(perturbed, ExitCode):
            return perturbed
        self.ctx.perturbed = perturbed
        levels = len(self.ctx.levels)
        self.report(
            f'made {len(self.ctx.perturbed)} perturbed structures at {levels} level{"s" if levels != 1 else ""}'
        )

    def fingerprint(self):
        """Fingerprints of the input structures and of their perturbed replicas, in batched CalcFunction calls.

        The replicas are supercells of the inputs in their own frame, perturbed: they take the
        same path as any input (Bragg lattice, conventional block), with the same parameters.
        """
        structures = {key: node for key, node in self.ctx.structures.items() if key not in self.ctx.failures}
        if not structures:
            return self._all_failed()
        fingerprints = self._run_in_batches(
            compute_fingerprints,
            'fingerprint',
            {**structures, **self.ctx.get('perturbed', {})},
            fingerprint_parameters=self.ctx.fingerprint_parameters,
        )
        if isinstance(fingerprints, ExitCode):
            return fingerprints
        self.ctx.fingerprints = fingerprints
        self.report(f'computed {len(self.ctx.fingerprints)} fingerprints')

    def classify(self):
        """Classify every fingerprint in batched CalcFunction calls; those it cannot classify become failures."""
        if not self.ctx.fingerprints:
            return self._all_failed()
        classifications = self._run_in_batches(
            classify_fingerprints, 'classify', self.ctx.fingerprints, model=self.ctx.model
        )
        if isinstance(classifications, ExitCode):
            return classifications
        self.ctx.classifications = classifications

    def attention(self):
        """Attention maps per classified input structure; one that fails becomes that structure's failure."""
        self.ctx.attention_maps = {}
        attention_parameters = self.inputs.get('attention_parameters')
        for key in self._classified_input_keys():
            result, node = compute_attention_maps.run_get_node(
                fingerprint=self.ctx.fingerprints[key],
                model=self.ctx.model,
                attention_parameters=attention_parameters,
                metadata={'call_link_label': f'attention_{key}'},
            )
            if node.is_finished_ok:
                self.ctx.attention_maps[key] = result
            else:
                self.ctx.failures[key] = node.exit_message or f'attention maps failed ({node.process_state.value})'

    def results(self):
        """Per-structure results with robustness, the summary, and extras on the input structures."""
        collected = self._collect(self.ctx.classifications)
        self.out('fingerprints', {key: self.ctx.fingerprints[key] for key in self._classified_input_keys()})
        if self.ctx.get('attention_maps'):
            self.out('attention_maps', self.ctx.attention_maps)
        self._set_extras(
            {key: node.get_dict() for key, node in collected['results'].items()},
            {key: node.uuid for key, node in collected['results'].items()},
        )
        return self._exit_if_some_failed()

    def _collect(self, classifications: dict[str, orm.Dict]) -> dict[str, Any]:
        """Output ``results`` (one Dict per input structure) and ``summary``, and return both.

        ``collect_results`` runs in calls of about :data:`RESULTS_BATCH_SIZE` classification Dicts
        (an input structure with its replicas; aiida-core compares each new input of a call with
        the earlier ones, so one call grows with the square of its inputs); ``merge_summaries``
        joins their summaries when there are several calls.
        """
        layout = {
            key: [
                [perturbed_key(key, level, replica) for replica in range(item['replicas'])]
                for level, item in enumerate(self.ctx.levels)
            ]
            for key in self.ctx.structures
        }
        results, summaries = {}, {}
        for keys in self._result_batches(layout):
            checkpoint('results', len(results), len(layout))
            collected = collect_results(
                layout=orm.Dict(
                    {
                        'structures': {key: layout[key] for key in keys},
                        'levels': self.ctx.levels,
                        'failures': {key: reason for key, reason in self.ctx.failures.items() if key in keys},
                        'frames': {key: frame for key, frame in self.ctx.frames.items() if key in keys},
                    }
                ),
                **self._classifications_of(classifications, keys, layout),
                metadata={'call_link_label': 'results'},
            )
            results.update(collected['results'])
            summaries[f'batch_{len(summaries)}'] = collected['summary']
        checkpoint('results', len(results), len(layout))
        if len(summaries) == 1:
            summary = summaries['batch_0']
        else:
            summary = merge_summaries(**summaries, metadata={'call_link_label': 'summary'})
        self.out('results', results)
        self.out('summary', summary)
        return {'results': results, 'summary': summary}

    def _result_batches(self, layout: dict[str, list[list[str]]]) -> list[list[str]]:
        """Input keys in batches whose classifications (input and replicas) number about :data:`RESULTS_BATCH_SIZE`."""
        per_structure = 1 + sum(len(level) for level in next(iter(layout.values()), []))
        size = max(1, RESULTS_BATCH_SIZE // per_structure)
        keys = list(layout)
        return [keys[start : start + size] for start in range(0, len(keys), size)]

    @staticmethod
    def _classifications_of(
        classifications: dict[str, orm.Dict], keys: list[str], layout: dict[str, list[list[str]]]
    ) -> dict[str, orm.Dict]:
        """The classification Dicts of the input structures ``keys`` and of their replicas."""
        wanted = [k for key in keys for k in (key, *(r for level in layout[key] for r in level))]
        return {k: classifications[k] for k in wanted if k in classifications}

    def classify_compact(self):
        """Compact mode: the whole pipeline in one CalcFunction with three output nodes."""
        frames = {'frame_info': orm.Dict(self.ctx.frames)} if self.ctx.frames else {}
        outputs, node = classify_batch.run_get_node(
            model=self.ctx.model,
            fingerprint_parameters=self.ctx.fingerprint_parameters,
            perturbations=orm.List(self.ctx.levels),
            **frames,
            **self.ctx.structures,
            metadata={'call_link_label': 'classify_batch'},
        )
        if not node.is_finished_ok:
            return self._step_failed(node)
        results = outputs['results'].get_dict()
        self.ctx.failures = {key: result['reason'] for key, result in results.items() if result['status'] == 'failed'}
        self.out('summary', outputs['summary'])
        self.out('batch_results', outputs['results'])  # also when all failed: each structure's own reason
        self.out('batch_fingerprints', outputs['fingerprints'])
        if len(self.ctx.failures) == len(results):
            return self._all_failed()
        self._set_extras(results, result_uuid=outputs['results'].uuid)
        return self._exit_if_some_failed()

    # ---------------------------------------------------------------------------------------

    def _exit_if_some_failed(self):
        failed = sorted(key for key in self.ctx.failures if key in self.ctx.structures)
        if len(failed) == len(self.ctx.structures):
            return self._all_failed()
        if self.ctx.trajectory_failures:
            return self._trajectories_failed()
        if failed:
            return self.exit_codes.ERROR_SOME_STRUCTURES_FAILED.format(
                count=len(failed), total=len(self.ctx.structures), keys=', '.join(failed)
            )
        return None

    def _run_in_batches(self, function, label: str, nodes: dict[str, Any], **inputs: Any) -> dict[str, Any] | ExitCode:
        """``function`` on ``nodes`` in calls of :data:`STEP_BATCH_SIZE` (all under link ``label``, the
        same ``inputs`` nodes each): the merged outputs without failures, or the first failed call's exit code."""
        keys, merged = list(nodes), {}
        for start in range(0, len(keys), STEP_BATCH_SIZE):
            checkpoint(label, start, len(keys))
            batch = {key: nodes[key] for key in keys[start : start + STEP_BATCH_SIZE]}
            outputs, node = function.run_get_node(**inputs, **batch, metadata={'call_link_label': label})
            if not node.is_finished_ok:
                return self._step_failed(node)
            merged.update(self._without_failures(outputs))
        checkpoint(label, len(keys), len(keys))
        return merged

    def _classified_input_keys(self) -> list[str]:
        return [key for key in self.ctx.structures if key in self.ctx.classifications and key not in self.ctx.failures]

    def _set_extras(self, results: dict[str, dict], result_uuid: str | dict[str, str]) -> None:
        """Label, probability, space groups and model of each classified input structure, as extras."""
        for index, (key, result) in enumerate(results.items()):
            checkpoint('extras', index, len(results))
            if result.get('status') != 'classified':
                continue
            uuid = result_uuid if isinstance(result_uuid, str) else result_uuid[key]
            extras = ClassificationRecord.from_dict(result).extras(uuid)
            if key in self.ctx.frames:
                frame = self.ctx.frames[key]
                extras.update({FRAME_EXTRA: frame['frame'], TRAJECTORY_EXTRA: frame['trajectory_uuid']})
            self.ctx.structures[key].base.extras.set_many(extras)
        checkpoint('extras', len(results), len(results))

    def _without_failures(self, outputs: dict[str, Any]) -> dict[str, Any]:
        """A batched step's outputs without its ``failures`` Dict, whose input structures' reasons are recorded."""
        outputs = dict(outputs)
        if 'failures' in outputs:
            failures = outputs.pop('failures').get_dict()
            self.ctx.failures.update({k: v for k, v in failures.items() if k in self.ctx.structures})
        return outputs

    def _step_failed(self, node: orm.CalcFunctionNode) -> ExitCode:
        """Exit with the failed step's own exit code (the CalcFunctions' codes are also this WorkChain's)."""
        label = node.base.links.get_incoming(link_type=LinkType.CALL_CALC).one().link_label
        self.report(f'step {label} ({node.process_label}<{node.pk}>) failed: {node.exit_status} {node.exit_message}')
        return ExitCode(node.exit_status, node.exit_message)

    def _all_failed(self):
        """Exit 401; in the per-structure mode first output every structure's ``results.<key>`` with its
        own reason (as when only some fail), so that callers need not parse the exit message."""
        if self.inputs.store_per_structure.value and 'results' not in self.outputs:
            self._collect({})
        reasons = '; '.join(f'{key}: {reason}' for key, reason in sorted(self.ctx.failures.items()))
        self.report(f'no structure could be classified: {reasons}')
        return self.exit_codes.ERROR_ALL_STRUCTURES_FAILED.format(reasons=reasons)
