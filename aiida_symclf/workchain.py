"""``SymmetryClassificationWorkChain`` (entry point ``symclf.classify``).

Outline: validate -> (perturb) -> fingerprint -> classify -> (attention maps) -> results.

Each step runs batched CalcFunctions (:data:`STEP_BATCH_SIZE` structures per call, all calls of a
step under the step's link label), so the number of process nodes grows only by one per batch of
structures; every structure still gets its own output nodes
(perturbed StructureData, fingerprint ArrayData, classification Dict) and the graph records
inputs -> perturbed structures -> fingerprints -> classifications.

Each input structure also receives the extras ``symclf_label``, ``symclf_probability``,
``symclf_space_groups`` and ``symclf_model_sha256`` so that
:func:`aiida_symclf.query.classified_structures` finds, for example, every structure classified
as bcc with probability > 0.9 with a single indexed query.

Trajectories (``trajectories`` namespace, ``TrajectoryData``):
:func:`~aiida_symclf.trajectory.trajectory_frames` makes one StructureData per frame (the
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

from .calculations.functions import (
    classify_batch,
    classify_fingerprints,
    collect_results,
    compute_attention_maps,
    compute_fingerprints,
    perturb_structures,
    perturbed_key,
)
from .data import FingerprintData, SymclfModelData
from .fingerprint import FingerprintParameters
from .model import ModelFileError
from .perturb import PerturbationLevel
from .protocols import ProtocolMixin
from .trajectory import (
    FRAME_EXTRA,
    TRAJECTORY_EXTRA,
    frame_count,
    frame_key,
    frames_info,
    trajectory_frames,
    trajectory_problem,
)

__all__ = ['EXTRA_PREFIX', 'SymmetryClassificationWorkChain', 'validate_perturbations']

EXTRA_PREFIX = 'symclf_'  # AiiDA extras keys cannot contain dots
MAX_REPLICAS = 10_000
#: Structures per CalcFunction call of the per-structure mode's steps. aiida-core's cost of an
#: input link grows with the links of the same call (``benchmarks/links.py``, embedded sqlite:
#: 30.7 ms per input link in calls of 100, 72.8 ms in one call of 1,000; calls of 20 were no
#: cheaper than of 100).
STEP_BATCH_SIZE = 100


def validate_fingerprint_parameters(parameters: orm.Dict, _) -> str | None:
    """Reject unknown keys and bad values before any step runs."""
    try:
        FingerprintParameters.from_dict(parameters.get_dict())
    except (TypeError, ValueError) as exception:
        return f'invalid fingerprint_parameters: {exception}'
    return None


def validate_perturbations(perturbations: orm.List, _) -> str | None:
    """Each entry a :class:`~aiida_symclf.perturb.PerturbationLevel` as a dictionary
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
    """Keys and values of :class:`~aiida_symclf.attention.AttentionParameters`."""
    from .attention import AttentionParameters

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


def result_extras(result: dict[str, Any], model_sha256: str, result_uuid: str) -> dict[str, Any]:
    """The extras a classified structure gets, the same in every mode (linked, compact, bulk)."""
    return {
        f'{EXTRA_PREFIX}label': result['label'],
        f'{EXTRA_PREFIX}aflow_prototype': result['aflow_prototype'],
        f'{EXTRA_PREFIX}network_label': result['network_label'],
        f'{EXTRA_PREFIX}probability': result['probability'],
        f'{EXTRA_PREFIX}uncertainty': result['uncertainty'],
        f'{EXTRA_PREFIX}space_groups': result['space_groups'],
        f'{EXTRA_PREFIX}model_sha256': model_sha256,
        f'{EXTRA_PREFIX}result_uuid': result_uuid,
    }


def default_model() -> SymclfModelData:
    """The shipped model's node (stored on first use), the default of the ``model`` input."""
    return SymclfModelData.get_or_create()


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
            'model', valid_type=SymclfModelData, default=default_model,
            help='Classifier model; default: the model shipped with the package, stored once and reused (an input '
            'of the WorkChain either way, so the provenance graph records which model classified).',
        )  # fmt: skip
        spec.input(
            'fingerprint_parameters', valid_type=orm.Dict, required=False, validator=validate_fingerprint_parameters,
            help='Settings of `aiida_symclf.fingerprint.FingerprintParameters` that differ from the model\'s own '
            '(those it was trained on, the default).',
        )  # fmt: skip
        spec.input(
            'perturbations', valid_type=orm.List, required=False, validator=validate_perturbations,
            help='List of perturbation levels {displacement, vacancy_fraction, replicas, seed} (see '
            '`aiida_symclf.perturb.PerturbationLevel`); empty: classify as given.',
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

        # The CalcFunctions' codes (same numbers and messages, aiida_symclf.calcfunctions.EXIT_CODES):
        # a failed step ends the WorkChain with the step's own code.
        spec.exit_code(200, 'ERROR_INVALID_STRUCTURE', message='invalid structure: {reason}')
        spec.exit_code(201, 'ERROR_INVALID_PARAMETERS', message='invalid parameters: {reason}')
        spec.exit_code(202, 'ERROR_MODEL_MISMATCH', message='model and fingerprint do not match: {reason}')
        spec.exit_code(203, 'ERROR_INVALID_MODEL', message='the model cannot be used: {reason}')
        spec.exit_code(
            204, 'ERROR_INVALID_TRAJECTORY', message='trajectories whose frames cannot be classified: {reasons}'
        )
        spec.exit_code(310, 'ERROR_FINGERPRINT_FAILED', message='fingerprint failed: {reason}')
        spec.exit_code(320, 'ERROR_CLASSIFICATION_FAILED', message='classification failed: {reason}')
        spec.exit_code(330, 'ERROR_ATTENTION_FAILED', message='attention maps failed: {reason}')
        # The WorkChain's own: some structures failed (the others have results), or all did.
        spec.exit_code(
            400, 'ERROR_SOME_STRUCTURES_FAILED', message='{count} of {total} structures failed: {keys}; see `results`.'
        )
        spec.exit_code(401, 'ERROR_ALL_STRUCTURES_FAILED', message='no structure could be classified: {reasons}')

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
            compute_fingerprints, 'fingerprint', {**structures, **self.ctx.get('perturbed', {})},
            parameters=self.ctx.fingerprint_parameters,
        )  # fmt: skip
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
        parameters = self.inputs.get('attention_parameters')
        for key in self._classified_input_keys():
            result, node = compute_attention_maps.run_get_node(
                fingerprint=self.ctx.fingerprints[key],
                model=self.ctx.model,
                parameters=parameters,
                metadata={'call_link_label': f'attention_{key}'},
            )
            if node.is_finished_ok:
                self.ctx.attention_maps[key] = result
            else:
                self.ctx.failures[key] = node.exit_message or f'attention maps failed ({node.process_state.value})'

    def results(self):
        """Per-structure results with robustness, the summary, and extras on the input structures."""
        layout = {
            key: [
                [perturbed_key(key, level, replica) for replica in range(item['replicas'])]
                for level, item in enumerate(self.ctx.levels)
            ]
            for key in self.ctx.structures
        }
        collected = collect_results(
            layout=orm.Dict(
                {
                    'structures': layout,
                    'levels': self.ctx.levels,
                    'failures': self.ctx.failures,
                    'frames': self.ctx.frames,
                }
            ),  # fmt: skip
            **self.ctx.classifications,
            metadata={'call_link_label': 'results'},
        )
        self.out('results', collected['results'])
        self.out('summary', collected['summary'])
        self.out('fingerprints', {key: self.ctx.fingerprints[key] for key in self._classified_input_keys()})
        if self.ctx.get('attention_maps'):
            self.out('attention_maps', self.ctx.attention_maps)
        self._set_extras({key: node.get_dict() for key, node in collected['results'].items()},
                         {key: node.uuid for key, node in collected['results'].items()})  # fmt: skip
        return self._exit_if_some_failed()

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
        if len(self.ctx.failures) == len(results):
            return self._all_failed()
        self.out('summary', outputs['summary'])
        self.out('batch_results', outputs['results'])
        self.out('batch_fingerprints', outputs['fingerprints'])
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
            batch = {key: nodes[key] for key in keys[start : start + STEP_BATCH_SIZE]}
            outputs, node = function.run_get_node(**inputs, **batch, metadata={'call_link_label': label})
            if not node.is_finished_ok:
                return self._step_failed(node)
            merged.update(self._without_failures(outputs))
        return merged

    def _classified_input_keys(self) -> list[str]:
        return [key for key in self.ctx.structures if key in self.ctx.classifications and key not in self.ctx.failures]

    def _set_extras(self, results: dict[str, dict], result_uuid: str | dict[str, str]) -> None:
        """Label, probability, space groups and model of each classified input structure, as extras."""
        for key, result in results.items():
            if result.get('status') != 'classified':
                continue
            uuid = result_uuid if isinstance(result_uuid, str) else result_uuid[key]
            extras = result_extras(result, result['model_sha256'], uuid)
            if key in self.ctx.frames:
                frame = self.ctx.frames[key]
                extras.update({FRAME_EXTRA: frame['frame'], TRAJECTORY_EXTRA: frame['trajectory_uuid']})
            self.ctx.structures[key].base.extras.set_many(extras)

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
        reasons = '; '.join(f'{key}: {reason}' for key, reason in sorted(self.ctx.failures.items()))
        self.report(f'no structure could be classified: {reasons}')
        return self.exit_codes.ERROR_ALL_STRUCTURES_FAILED.format(reasons=reasons)
