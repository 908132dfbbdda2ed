"""Provenance-tracked steps of the plugin, as AiiDA CalcFunctions (entry points ``symclf.*``).

Single-structure functions (one process node per structure, the finest provenance):

- :func:`perturb_structure`: StructureData + Dict -> StructureData (the perturbed block)
- :func:`compute_fingerprint`: StructureData + Dict -> ArrayData
- :func:`classify_fingerprint`: ArrayData + SymclfModelData -> Dict
- :func:`compute_attention_maps`: ArrayData + SymclfModelData + Dict -> ArrayData (+ PNG)

Batched functions (one process node per batch, one output node per structure), used by the
WorkChain because the cost of a process node dominates for large sets:

- :func:`perturb_structures`, :func:`compute_fingerprints`, :func:`classify_fingerprints`

Bad input ends the process with one of the exit codes in :data:`EXIT_CODES` (a failed
process, no outputs), never with an exception. A batched function reports a structure it
cannot handle in its ``failures`` output and goes on with the others.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from aiida import orm
from aiida.engine import ExitCode, calcfunction
from ase import Atoms

from .classification import PROGRESS_STEP, RESULT_FIELDS, classify_fingerprint_images, fingerprint_structures
from .data import SymclfModelData, attach_file, fingerprint_array_data, fingerprint_from_node, png_bytes
from .fingerprint import FingerprintParameters, StructureError, check_structure, replication_for
from .model import ClassifierModel, ModelFileError
from .perturb import PerturbationLevel, perturb_atoms

__all__ = [
    'EXIT_CODES',
    'classify_fingerprint',
    'classify_fingerprints',
    'classify_batch',
    'collect_results',
    'compute_attention_maps',
    'compute_fingerprint',
    'compute_fingerprints',
    'perturb_structure',
    'perturb_structures',
]

#: Exit codes of the CalcFunctions, also declared by the WorkChain: name -> (status, message template).
#: Numbers follow aiida-core's conventions: 200-299 invalid input, 300-399 critical errors of
#: the process (400 and up: the WorkChains' own, such as some or all structures failing).
EXIT_CODES: dict[str, tuple[int, str]] = {
    'ERROR_INVALID_STRUCTURE': (200, 'invalid structure: {reason}'),
    'ERROR_INVALID_PARAMETERS': (201, 'invalid parameters: {reason}'),
    'ERROR_MODEL_MISMATCH': (202, 'model and fingerprint do not match: {reason}'),
    'ERROR_INVALID_MODEL': (203, 'the model cannot be used: {reason}'),
    'ERROR_FINGERPRINT_FAILED': (310, 'fingerprint failed: {reason}'),
    'ERROR_CLASSIFICATION_FAILED': (320, 'classification failed: {reason}'),
    'ERROR_ATTENTION_FAILED': (330, 'attention maps failed: {reason}'),
}

#: Fingerprint settings that must agree between a fingerprint and the model classifying it.
_MODEL_RELEVANT_PARAMETERS = (
    'image_size', 'wavelength', 'detector_distance', 'pixel_size', 'mask_inner_fraction', 'mask_outer_fraction',
    'scattering',
)  # fmt: skip


def exit_code(name: str, reason: str) -> ExitCode:
    """The :class:`ExitCode` called ``name`` with its message filled in."""
    status, template = EXIT_CODES[name]
    return ExitCode(status, template.format(reason=reason))


class _StepError(Exception):
    """Raised inside this module to end a CalcFunction with an exit code."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(reason)
        self.exit_code = exit_code(name, reason)


# --------------------------------------------------------------------------------------------
# Conversions and checks
# --------------------------------------------------------------------------------------------


def parse_fingerprint_parameters(parameters: orm.Dict | None) -> FingerprintParameters:
    try:
        return FingerprintParameters.from_dict(parameters.get_dict() if parameters is not None else None)
    except (TypeError, ValueError) as exception:
        raise _StepError('ERROR_INVALID_PARAMETERS', str(exception)) from exception


def parse_perturbation(values: Any) -> PerturbationLevel:
    """A :class:`~aiida_symclf.perturb.PerturbationLevel`, or exit code 201 naming every bad field."""
    try:
        return PerturbationLevel.from_dict(values)
    except (TypeError, ValueError) as exception:
        raise _StepError('ERROR_INVALID_PARAMETERS', str(exception)) from exception


def checked_atoms(structure: orm.StructureData):
    """The structure as ase.Atoms after :func:`check_structure`."""
    if structure.is_alloy or structure.has_vacancies:
        raise _StepError(
            'ERROR_INVALID_STRUCTURE',
            f'kinds with partial occupancies (alloy or vacancy weights) have no single composition; give an ordered '
            f'model of the structure, e.g. an SQS supercell (StructureData<{structure.pk}>)',
        )
    atoms = structure.get_ase()
    try:
        check_structure(atoms)
    except StructureError as exception:
        raise _StepError('ERROR_INVALID_STRUCTURE', f'{exception} (StructureData<{structure.pk}>)') from exception
    return atoms


def structure_from_atoms(atoms) -> orm.StructureData:
    return orm.StructureData(ase=atoms)


def loaded_model(model: SymclfModelData) -> ClassifierModel:
    try:
        return model.load()
    except ModelFileError as exception:
        raise _StepError('ERROR_INVALID_MODEL', str(exception)) from exception


def check_model_matches(model: ClassifierModel, fingerprint: orm.ArrayData) -> None:
    """The fingerprint was made with the settings the model was trained on."""
    used = fingerprint.base.attributes.get('parameters', {})
    expected = model.metadata.fingerprint
    different = [name for name in _MODEL_RELEVANT_PARAMETERS if used.get(name) != expected.get(name)]
    if different:
        details = ', '.join(f'{name}={used.get(name)!r} (model: {expected.get(name)!r})' for name in different)
        raise _StepError('ERROR_MODEL_MISMATCH', f'fingerprint ArrayData<{fingerprint.pk}>: {details}')


def with_exit_codes(function):
    """Turn a :class:`_StepError` raised by ``function`` into the process's exit code."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except _StepError as error:
            return error.exit_code

    return wrapper


# --------------------------------------------------------------------------------------------
# Perturbations
# --------------------------------------------------------------------------------------------


def replica_base(atoms: Atoms, parameters: FingerprintParameters) -> Atoms:
    """The input replicated *in its own frame* to about ``target_atoms`` atoms (a user's supercell).

    Perturbations are applied to this supercell, and the perturbed replica then takes the same
    path as any input (Bragg lattice, conventional block), so that robustness measures what a
    user's perturbed structure would face (not the block the pipeline already prepared).
    """
    supercell = atoms.repeat(replication_for(atoms, parameters.target_atoms))
    supercell.pbc = True
    return supercell


def _perturbed_structure(
    structure: orm.StructureData, level: PerturbationLevel, parameters: FingerprintParameters
) -> orm.StructureData:
    try:
        return structure_from_atoms(perturb_atoms(replica_base(checked_atoms(structure), parameters), level))
    except StructureError as exception:
        raise _StepError('ERROR_INVALID_STRUCTURE', f'{exception} (StructureData<{structure.pk}>)') from exception


@calcfunction
@with_exit_codes
def perturb_structure(
    structure: orm.StructureData, parameters: orm.Dict, fingerprint_parameters: orm.Dict | None = None
) -> orm.StructureData:
    """Supercell of ``structure`` (its own frame, ~``target_atoms`` atoms) with displacements and vacancies.

    ``parameters``: ``displacement`` (delta, fraction of the NN distance), ``vacancy_fraction``
    (eta in [0, 1)) and ``seed``; they are inputs of this process, so the perturbation can be
    reproduced from the provenance graph. ``fingerprint_parameters`` sets ``target_atoms``.
    """
    level = parse_perturbation(parameters.get_dict()).replica(0)
    return _perturbed_structure(structure, level, parse_fingerprint_parameters(fingerprint_parameters))


@calcfunction
@with_exit_codes
def perturb_structures(perturbations: orm.List, fingerprint_parameters: orm.Dict, **structures: orm.StructureData):
    """Batched :func:`perturb_structure`: every structure at every level, ``replicas`` times.

    ``perturbations`` is a list of ``{displacement, vacancy_fraction, replicas, seed}``. Output
    ``<key>_p<level>_r<replica>``; replica ``r`` of level ``l`` uses seed ``seed + r``. Invalid
    structures are listed in the ``failures`` output; the others are still perturbed.
    """
    parameters = parse_fingerprint_parameters(fingerprint_parameters)
    failures: dict[str, str] = {}
    atoms = valid_atoms(structures, failures)
    replicas, more_failures = replica_structures(atoms, parse_levels(perturbations), parameters)
    failures.update(more_failures)
    outputs: dict[str, Any] = {key: structure_from_atoms(atoms) for key, atoms in replicas.items()}
    if failures:
        outputs['failures'] = orm.Dict(failures)
    return outputs


def perturbed_key(key: str, level_index: int, replica: int) -> str:
    """Link label of replica ``replica`` of level ``level_index`` of structure ``key``."""
    return f'{key}_p{level_index}_r{replica}'


def parse_levels(perturbations: orm.List) -> list[PerturbationLevel]:
    """The :class:`~aiida_symclf.perturb.PerturbationLevel` of every entry of a ``perturbations`` list."""
    return [parse_perturbation(item) for item in perturbations.get_list()]


# --------------------------------------------------------------------------------------------
# Fingerprints
# --------------------------------------------------------------------------------------------


def valid_atoms(structures: dict[str, orm.StructureData], failures: dict[str, str]) -> dict[str, Atoms]:
    """``ase.Atoms`` of every structure that passes :func:`check_structure`; reasons of the others into ``failures``."""
    atoms = {}
    for key, structure in structures.items():
        try:
            atoms[key] = checked_atoms(structure)
        except _StepError as error:
            failures[key] = error.exit_code.message
    return atoms


def _report_progress(done: int, total: int) -> None:
    """Progress of a long CalcFunction in its process report (``verdi process report PK``)."""
    from aiida.engine import Process

    process = Process.current()
    if process is not None and total > PROGRESS_STEP:
        process.report(f'fingerprinted {done} of {total} structures')


def fingerprint_atoms(
    atoms: dict[str, Atoms], parameters: FingerprintParameters
) -> tuple[dict[str, np.ndarray], dict[str, dict | None], dict[str, str]]:
    """Fingerprint and Bragg-lattice summary per key, computed in one batch, and reasons of failures."""
    keys = list(atoms)
    batch = fingerprint_structures([atoms[key] for key in keys], parameters, progress=_report_progress)
    images = {keys[index]: image for index, image in zip(batch.indices, batch.images, strict=True)}
    lattices = {keys[index]: lattice for index, lattice in zip(batch.indices, batch.lattices, strict=True)}
    failures = {
        keys[index]: exit_code('ERROR_INVALID_STRUCTURE', reason).message for index, reason in batch.errors.items()
    }
    return images, lattices, failures


def _fingerprint_nodes(
    structures: dict[str, orm.StructureData], parameters: FingerprintParameters
) -> tuple[dict[str, orm.ArrayData], dict[str, str]]:
    """Fingerprint ArrayData per key (diffraction computed in one batch) and reasons of failures."""
    failures: dict[str, str] = {}
    images, lattices, more_failures = fingerprint_atoms(valid_atoms(structures, failures), parameters)
    nodes = {
        key: fingerprint_array_data(
            image,
            {'parameters': parameters.to_dict(), 'structure_uuid': structures[key].uuid, 'lattice': lattices[key]},
        )
        for key, image in images.items()
    }
    return nodes, {**failures, **more_failures}


@calcfunction
@with_exit_codes
def compute_fingerprint(structure: orm.StructureData, parameters: orm.Dict | None = None) -> orm.ArrayData:
    """Diffraction fingerprint of ``structure`` (array ``fingerprint``, (3, H, W) uint8, see attributes)."""
    nodes, failures = _fingerprint_nodes({'structure': structure}, parse_fingerprint_parameters(parameters))
    if failures:
        raise _StepError('ERROR_INVALID_STRUCTURE', failures['structure'])
    return nodes['structure']


@calcfunction
@with_exit_codes
def compute_fingerprints(parameters: orm.Dict, **structures: orm.StructureData):
    """Batched :func:`compute_fingerprint`: output ``<key>`` per structure, ``failures`` if any."""
    nodes, failures = _fingerprint_nodes(structures, parse_fingerprint_parameters(parameters))
    outputs: dict[str, Any] = dict(nodes)
    if failures:
        outputs['failures'] = orm.Dict(failures)
    return outputs


# --------------------------------------------------------------------------------------------
# Classification
# --------------------------------------------------------------------------------------------


def _usable_fingerprints(
    model: ClassifierModel, fingerprints: dict[str, orm.ArrayData]
) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Image per key of the fingerprints the model can classify, and the reason for each other one."""
    images, failures = {}, {}
    for key, node in fingerprints.items():
        try:
            check_model_matches(model, node)
            image = fingerprint_from_node(node)
            model.check_fingerprints(image[None])
        except _StepError as error:
            failures[key] = error.exit_code.message
        except ValueError as exception:
            failures[key] = exit_code('ERROR_CLASSIFICATION_FAILED', f'ArrayData<{node.pk}>: {exception}').message
        else:
            images[key] = image
    return images, failures


def _classify(
    model_node: SymclfModelData, fingerprints: dict[str, orm.ArrayData]
) -> tuple[dict[str, orm.Dict], dict[str, str]]:
    """One result Dict per usable fingerprint (:func:`~aiida_symclf.classification.classification_record`),
    and the reason for each fingerprint that could not be classified."""
    model = loaded_model(model_node)
    images, failures = _usable_fingerprints(model, fingerprints)
    if not images:
        return {}, failures
    lattices = [fingerprints[key].base.attributes.get('lattice', None) for key in images]
    records = classify_fingerprint_images(np.stack(list(images.values())), lattices, model)
    results = {
        key: orm.Dict(
            {
                **record,
                'model_sha256': model_node.sha256,
                'structure_uuid': fingerprints[key].base.attributes.get('structure_uuid'),
            }
        )
        for key, record in zip(images, records, strict=True)
    }
    return results, failures


@calcfunction
@with_exit_codes
def classify_fingerprint(fingerprint: orm.ArrayData, model: SymclfModelData) -> orm.Dict:
    """Class of one fingerprint: Dict with ``label``, ``space_groups``, ``probability``, ``probabilities``."""
    check_model_matches(loaded_model(model), fingerprint)
    results, failures = _classify(model, {'fingerprint': fingerprint})
    if failures:
        raise _StepError('ERROR_CLASSIFICATION_FAILED', failures['fingerprint'])
    return results['fingerprint']


@calcfunction
@with_exit_codes
def classify_fingerprints(model: SymclfModelData, **fingerprints: orm.ArrayData):
    """Batched :func:`classify_fingerprint`: one network pass for all, output ``<key>`` per fingerprint.

    Fingerprints the model cannot classify (other settings, bad values) are listed in the
    ``failures`` output; the others are still classified.
    """
    results, failures = _classify(model, fingerprints)
    outputs: dict[str, Any] = dict(results)
    if failures:
        outputs['failures'] = orm.Dict(failures)
    return outputs


# --------------------------------------------------------------------------------------------
# Attention maps
# --------------------------------------------------------------------------------------------


@calcfunction
@with_exit_codes
def compute_attention_maps(
    fingerprint: orm.ArrayData, model: SymclfModelData, parameters: orm.Dict | None = None
) -> orm.ArrayData:
    """Attentive response maps of one fingerprint (see :mod:`aiida_symclf.attention`).

    ``parameters``: ``layer`` (conv layer index, default -1 = last) and ``top_k`` (default 4).
    Arrays: ``filter_maps`` (k, 3, H, W), ``filter_indices``, ``class_template``, ``class_maps``
    (C, H, W), ``dominant_class``, ``dominant_strength``, ``predicted_class``; the repository also
    holds ``attention.png``, viewable with ``verdi node repo cat <PK> attention.png > map.png``.
    """
    from .attention import AttentionParameters, compute_attention
    from .plot import plot_attention

    try:
        settings = AttentionParameters.from_dict(parameters.get_dict() if parameters is not None else None)
    except (TypeError, ValueError) as exception:
        raise _StepError('ERROR_INVALID_PARAMETERS', str(exception)) from exception
    classifier = loaded_model(model)
    check_model_matches(classifier, fingerprint)
    image = fingerprint_from_node(fingerprint)
    try:
        maps = compute_attention(classifier, image[None], layer=settings.layer, top_k=settings.top_k)
        probabilities = classifier.predict_proba(image[None])[0]
    except ValueError as exception:
        raise _StepError('ERROR_ATTENTION_FAILED', str(exception)) from exception
    node = orm.ArrayData()
    for name, array in maps.as_arrays().items():  # drop the batch axis of a single fingerprint
        node.set_array(name, np.asarray(array[0]) if array.ndim else array)
    node.base.attributes.set_many(
        {
            'layer': maps.layer,
            'top_k': settings.top_k,
            'class_names': list(classifier.class_names),
            'model_sha256': model.sha256,
            'structure_uuid': fingerprint.base.attributes.get('structure_uuid'),
        }
    )
    picture = png_bytes(plot_attention, image, maps, 0, classifier.class_names, probabilities=probabilities)
    attach_file(node, 'attention.png', picture)
    return node


# --------------------------------------------------------------------------------------------
# Results of the WorkChain
# --------------------------------------------------------------------------------------------


def robustness(label: str, replica_labels: list[list[str | None]]) -> list[float | None]:
    """Per perturbation level, the fraction of replicas classified as ``label`` (None: no replica)."""
    return [sum(other == label for other in level) / len(level) if level else None for level in replica_labels]


def structure_result(key: str, layout: dict[str, Any], classifications: dict[str, orm.Dict]) -> dict[str, Any]:
    """The result of one input structure: its classification and robustness, or why it failed."""
    failures = layout['failures']
    if key in failures or key not in classifications:
        return {'status': 'failed', 'reason': failures.get(key, 'not classified')}
    original = classifications[key].get_dict()
    replica_labels = [
        [classifications[k]['label'] if k in classifications else None for k in level]
        for level in layout['structures'][key]
    ]
    return {
        'status': 'classified',
        **{name: original[name] for name in RESULT_FIELDS if name in original},
        'robustness': [
            {**level, 'fraction_same_label': fraction}
            for level, fraction in zip(layout['levels'], robustness(original['label'], replica_labels), strict=True)
        ],
    }


def summary(results: dict[str, dict[str, Any]], levels: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts per label, failures, and the mean robustness per level over all structures."""
    classified = [r for r in results.values() if r['status'] == 'classified']
    counts: dict[str, int] = {}
    for result in classified:
        counts[result['label']] = counts.get(result['label'], 0) + 1
    mean_robustness = []
    for index, level in enumerate(levels):
        fractions = [r['robustness'][index]['fraction_same_label'] for r in classified]
        fractions = [f for f in fractions if f is not None]
        mean_robustness.append(
            {**level, 'mean_fraction_same_label': sum(fractions) / len(fractions) if fractions else None}
        )
    return {
        'n_structures': len(results),
        'n_classified': len(classified),
        'n_failed': len(results) - len(classified),
        'failed': {key: r['reason'] for key, r in results.items() if r['status'] == 'failed'},
        'labels': {key: r['label'] for key, r in results.items() if r['status'] == 'classified'},
        'counts': counts,
        'robustness': mean_robustness,
    }


@calcfunction
def collect_results(layout: orm.Dict, **classifications: orm.Dict):
    """Per-structure results (``results.<key>``) and the run's ``summary`` from the classifications.

    ``layout``: ``structures`` (key -> per level, the keys of its perturbed replicas),
    ``levels`` (the perturbation levels) and ``failures`` (key -> reason).
    """
    values = layout.get_dict()
    results = {key: structure_result(key, values, classifications) for key in values['structures']}
    return {
        'results': {key: orm.Dict(result) for key, result in results.items()},
        'summary': orm.Dict(summary(results, values['levels'])),
    }


# --------------------------------------------------------------------------------------------
# The whole pipeline for a batch, with O(1) stored nodes (the WorkChain's compact mode)
# --------------------------------------------------------------------------------------------


def replica_structures(
    atoms: dict[str, Atoms], levels: list[PerturbationLevel], parameters: FingerprintParameters
) -> tuple[dict[str, Atoms], dict[str, str]]:
    """Every perturbed replica of every structure (keyed as :func:`perturbed_key`), and failures.

    Replica ``r`` of a level perturbs :func:`replica_base` of the input with seed ``seed + r``.
    """
    replicas, failures = {}, {}
    for key, structure in atoms.items():
        try:
            base = replica_base(structure, parameters)
            for index, level in enumerate(levels):
                for replica in range(level.replicas):
                    replicas[perturbed_key(key, index, replica)] = perturb_atoms(base, level.replica(replica))
        except StructureError as exception:
            failures[key] = exit_code('ERROR_INVALID_STRUCTURE', str(exception)).message
            replicas = {k: v for k, v in replicas.items() if not k.startswith(f'{key}_p')}
    return replicas, failures


def _records(
    classifier: ClassifierModel, images: dict[str, np.ndarray], lattices: dict[str, dict | None]
) -> dict[str, dict[str, Any]]:
    """Classification record per key (one network pass for all)."""
    if not images:
        return {}
    records = classify_fingerprint_images(np.stack(list(images.values())), [lattices[k] for k in images], classifier)
    return dict(zip(images, records, strict=True))


@calcfunction
@with_exit_codes
def classify_batch(
    model: SymclfModelData, fingerprint_parameters: orm.Dict, perturbations: orm.List, **structures: orm.StructureData
):
    """Perturb, fingerprint and classify a batch, storing three nodes whatever its size.

    The WorkChain's compact mode (``store_per_structure=False``), for 10^4 structures and more:
    per-structure StructureData/ArrayData/Dict nodes are what dominates the cost of the normal
    mode. Perturbed replicas are not stored (they are reproducible from the inputs: same seeds
    as :func:`perturb_structures`). Outputs: ``results`` (Dict, key -> the same result as the
    linked mode's ``results.<key>``), ``fingerprints`` (ArrayData: ``fingerprints``
    (N, 3, H, W) uint8 with ``scale``, ``probabilities`` (N, C); attribute ``keys``) and
    ``summary`` (Dict).
    """
    parameters = parse_fingerprint_parameters(fingerprint_parameters)
    levels = parse_levels(perturbations)
    classifier = loaded_model(model)
    failures: dict[str, str] = {}
    atoms = valid_atoms(structures, failures)
    images, lattices, more_failures = fingerprint_atoms(atoms, parameters)
    failures.update(more_failures)
    replicas, _ = replica_structures({key: atoms[key] for key in images}, levels, parameters)
    replica_images, replica_lattices, _ = fingerprint_atoms(replicas, parameters)
    records = _records(classifier, images, lattices)
    replica_records = _records(classifier, replica_images, replica_lattices)
    level_dicts = [level.to_dict() for level in levels]
    results = {}
    for key, record in records.items():
        per_level = [
            [replica_records.get(perturbed_key(key, level, replica), {}).get('label') for replica in range(count)]
            for level, count in enumerate(level.replicas for level in levels)
        ]
        results[key] = {
            'status': 'classified',
            **record,
            'model_sha256': model.sha256,
            'structure_uuid': structures[key].uuid,
            'robustness': [
                {**level, 'fraction_same_label': fraction}
                for level, fraction in zip(level_dicts, robustness(record['label'], per_level), strict=True)
            ],
        }
    results.update({key: {'status': 'failed', 'reason': reason} for key, reason in failures.items()})
    size = parameters.image_size
    stacked = np.stack(list(images.values())) if images else np.zeros((0, 3, size, size), dtype=np.float32)
    fingerprints = fingerprint_array_data(stacked, {'parameters': parameters.to_dict(), 'keys': list(images)})
    fingerprints.set_array(
        'probabilities',
        np.array([list(records[k]['probabilities'].values()) for k in images]).reshape(len(images), -1),
    )
    return {
        'results': orm.Dict(results),
        'fingerprints': fingerprints,
        'summary': orm.Dict(summary(results, level_dicts)),
    }
