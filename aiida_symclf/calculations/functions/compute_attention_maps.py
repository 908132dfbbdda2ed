"""The ``compute_attention_maps`` CalcFunction (entry point ``symclf.compute_attention_maps``)."""

from __future__ import annotations

import numpy as np
from aiida import orm
from aiida.engine import calcfunction

from aiida_symclf.data import SymclfModelData, attach_file, fingerprint_from_node, png_bytes
from aiida_symclf.library.attention import AttentionParameters, compute_attention
from aiida_symclf.library.classification import allowed_classes
from aiida_symclf.library.plot import plot_attention
from aiida_symclf.utils.exit_codes import StepError, with_exit_codes
from aiida_symclf.utils.inputs import check_model_matches, loaded_model


@calcfunction
@with_exit_codes
def compute_attention_maps(
    fingerprint: orm.ArrayData, model: SymclfModelData, attention_parameters: orm.Dict | None = None
) -> orm.ArrayData:
    """Attentive response maps of one fingerprint (see :mod:`aiida_symclf.library.attention`).

    ``attention_parameters``: ``layer`` (conv layer index, default -1 = last) and ``top_k`` (default 4).
    Arrays: ``filter_maps`` (k, 3, H, W), ``filter_indices``, ``class_template``, ``class_maps``
    (C, H, W), ``dominant_class``, ``dominant_strength``, ``predicted_class``; the repository also
    holds ``attention.png``, viewable with ``verdi node repo cat <PK> attention.png > map.png``.
    """
    try:
        settings = AttentionParameters.from_dict(
            attention_parameters.get_dict() if attention_parameters is not None else None
        )
    except (TypeError, ValueError) as exception:
        raise StepError('ERROR_INVALID_PARAMETERS', str(exception)) from exception
    classifier = loaded_model(model)
    check_model_matches(classifier, fingerprint)
    image = fingerprint_from_node(fingerprint)
    allowed = allowed_classes(classifier.class_names, fingerprint.base.attributes.get('lattice', None))[None]
    try:
        maps = compute_attention(classifier, image[None], layer=settings.layer, top_k=settings.top_k, allowed=allowed)
        probabilities = classifier.predict(image[None], mc_samples=0, allowed=allowed)[0][0]
    except ValueError as exception:
        raise StepError('ERROR_ATTENTION_FAILED', str(exception)) from exception
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
