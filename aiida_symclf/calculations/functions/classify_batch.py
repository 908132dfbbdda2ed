"""The ``classify_batch`` CalcFunction (entry point ``symclf.classify_batch``)."""

from __future__ import annotations

import numpy as np
from aiida import orm
from aiida.engine import calcfunction

from aiida_symclf.data import FingerprintData, SymclfModelData
from aiida_symclf.utils.classifying import records_of
from aiida_symclf.utils.exit_codes import with_exit_codes
from aiida_symclf.utils.fingerprinting import fingerprint_atoms
from aiida_symclf.utils.inputs import (
    loaded_model,
    parse_fingerprint_parameters,
    parse_levels,
    valid_atoms,
)
from aiida_symclf.utils.replicas import perturbed_key, replica_structures
from aiida_symclf.utils.results import robustness_levels, summary


@calcfunction
@with_exit_codes
def classify_batch(
    model: SymclfModelData,
    fingerprint_parameters: orm.Dict,
    perturbations: orm.List,
    frame_info: orm.Dict | None = None,
    **structures: orm.StructureData,
):
    """Perturb, fingerprint and classify a batch, storing three nodes whatever its size.

    The WorkChain's compact mode (``store_per_structure=False``), for 10^4 structures and more:
    per-structure StructureData/ArrayData/Dict nodes are what dominates the cost of the normal
    mode. Perturbed replicas are not stored (they are reproducible from the inputs: same seeds
    as :func:`perturb_structures`). Outputs: ``results`` (Dict, key -> the same result as the
    linked mode's ``results.<key>``), ``fingerprints`` (ArrayData: ``fingerprints``
    (N, 3, H, W) uint8 with ``scale``, ``probabilities`` (N, C); attribute ``keys``) and
    ``summary`` (Dict). ``frame_info``: key -> fields added to that structure's result (a
    trajectory frame's ``trajectory``, ``trajectory_uuid``, ``frame``).
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
    records = records_of(classifier, images, lattices)
    replica_records = records_of(classifier, replica_images, replica_lattices)
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
            'robustness': robustness_levels(record['label'], level_dicts, per_level),
        }
    results.update({key: {'status': 'failed', 'reason': reason} for key, reason in failures.items()})
    frames = frame_info.get_dict() if frame_info is not None else {}
    results = {key: {**result, **frames.get(key, {})} for key, result in results.items()}
    size = parameters.image_size
    stacked = np.stack(list(images.values())) if images else np.zeros((0, 3, size, size), dtype=np.float32)
    fingerprints = FingerprintData(stacked, {'parameters': parameters.to_dict(), 'keys': list(images)})
    fingerprints.set_array(
        'probabilities',
        np.array([list(records[k]['probabilities'].values()) for k in images]).reshape(
            len(images), len(classifier.class_names)
        ),  # also for none classified
    )
    return {
        'results': orm.Dict(results),
        'fingerprints': fingerprints,
        'summary': orm.Dict(summary(results, level_dicts)),
    }
