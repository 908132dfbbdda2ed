"""Classification of fingerprint nodes: the usable ones in one network pass, failures for the others."""

from __future__ import annotations

import numpy as np
from aiida import orm

from aiida_symclf.data import SymclfModelData, fingerprint_from_node
from aiida_symclf.library.classification import classify_fingerprint_images
from aiida_symclf.library.model import ClassifierModel
from aiida_symclf.library.record import ClassificationRecord
from aiida_symclf.utils.exit_codes import StepError, exit_code
from aiida_symclf.utils.inputs import check_model_matches, loaded_model


def usable_fingerprints(
    model: ClassifierModel, fingerprints: dict[str, orm.ArrayData]
) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Image per key of the fingerprints the model can classify, and the reason for each other one."""
    images, failures = {}, {}
    for key, node in fingerprints.items():
        try:
            check_model_matches(model, node)
            image = fingerprint_from_node(node)
            model.check_fingerprints(image[None])
        except StepError as error:
            failures[key] = error.exit_code.message
        except ValueError as exception:
            failures[key] = exit_code('ERROR_CLASSIFICATION_FAILED', f'ArrayData<{node.pk}>: {exception}').message
        else:
            images[key] = image
    return images, failures


def classify_nodes(
    model_node: SymclfModelData, fingerprints: dict[str, orm.ArrayData]
) -> tuple[dict[str, orm.Dict], dict[str, str]]:
    """One result Dict per usable fingerprint (:func:`~aiida_symclf.library.classification.classification_record`),
    and the reason for each fingerprint that could not be classified."""
    model = loaded_model(model_node)
    images, failures = usable_fingerprints(model, fingerprints)
    if not images:
        return {}, failures
    lattices = [fingerprints[key].base.attributes.get('lattice', None) for key in images]
    records = classify_fingerprint_images(np.stack(list(images.values())), lattices, model)
    results = {
        key: orm.Dict(
            record.with_provenance(model_node.sha256, fingerprints[key].base.attributes.get('structure_uuid')).to_dict()
        )
        for key, record in zip(images, records, strict=True)
    }
    return results, failures


def records_of(
    classifier: ClassifierModel, images: dict[str, np.ndarray], lattices: dict[str, dict | None]
) -> dict[str, ClassificationRecord]:
    """Classification record per key (one network pass for all)."""
    if not images:
        return {}
    records = classify_fingerprint_images(np.stack(list(images.values())), [lattices[k] for k in images], classifier)
    return dict(zip(images, records, strict=True))
