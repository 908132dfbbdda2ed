"""Find classified structures later, with QueryBuilder.

Two routes, both documented in ``docs/tutorial.rst``:

- :func:`classified_structures` filters the extras that the WorkChain sets on every input
  structure (``symclf_label``, ``symclf_aflow_prototype``, ``symclf_probability``,
  ``symclf_model_sha256``, ``symclf_parent_prototype``): one query on the node table, the fastest
  way to ask "all structures classified as bcc with p > 0.9", "all rocksalt structures"
  (``AB_cF8_225_a_b``) or "every derivative of corundum" (``parent_prototype='A2B3_hR10_167_c_e'``).
- :func:`classification_results` filters the classification ``Dict`` nodes themselves (the
  provenance record, created by the ``classify_fingerprint(s)`` CalcFunctions): it also finds
  structures classified outside a WorkChain, and perturbed blocks.
- :func:`mapped_structures` filters the extras that the local-map WorkChain
  (:class:`~aiida_symclf.workflows.map.LocalMapWorkChain`) sets on every mapped structure
  (``symclf_fractions``: label -> fraction of the atoms): "every structure with more than 20% bcc
  atoms" is ``filters={'extras.symclf_fractions.bcc': {'>': 0.2}}`` on ``StructureData``.
"""

from __future__ import annotations

from typing import Any

from aiida import orm

from aiida_symclf.data import SymclfModelData
from aiida_symclf.library.catalogue import class_by_name, class_names, known_classes
from aiida_symclf.library.classification import UNKNOWN
from aiida_symclf.library.local_map import VACUUM
from aiida_symclf.library.record import EXTRA_PREFIX
from aiida_symclf.utils.trajectory import TRAJECTORY_EXTRA

__all__ = [
    'trajectory_results',
    'classification_results',
    'classified_structures',
    'known_labels',
    'known_prototypes',
    'label_counts',
    'mapped_structures',
    'stored_models',
]

_CLASSIFIERS = ('aiida.calculations:symclf.classify_fingerprint', 'aiida.calculations:symclf.classify_fingerprints')


def known_labels() -> list[str]:
    """Every label a result can have: the classes of the package and of the stored models, and ``unknown``."""
    labels = set(class_names()) | {UNKNOWN}
    for (names,) in orm.QueryBuilder().append(SymclfModelData, project='attributes.class_names').iterall():
        labels.update(names or [])
    return sorted(labels)


def known_prototypes() -> list[str]:
    """Every AFLOW prototype label a result can have: the forms of the package's classes and of the
    classes of every stored model (``symclf-aflow.pt``'s 238 AFLOW classes once it was used)."""
    _register_stored_classes()
    return sorted({form.aflow_prototype for crystal_class in known_classes() for form in crystal_class.forms})


def _register_stored_classes() -> None:
    """Read every stored model whose classes are not all known yet: a model file's own classes
    (their AFLOW labels) are known from its metadata once it is read."""
    known = set(class_by_name())
    for (node,) in orm.QueryBuilder().append(SymclfModelData).iterall():
        if not set(node.class_names or ()) <= known:
            node.load()
            known = set(class_by_name())


def _check_prototype(aflow_prototype: str | None) -> None:
    """A TypeError or ValueError unless ``aflow_prototype`` is None or one of :func:`known_prototypes`."""
    if aflow_prototype is None:
        return
    if not isinstance(aflow_prototype, str):
        raise TypeError(f'aflow_prototype must be a string, got {aflow_prototype!r}')
    if aflow_prototype not in (prototypes := known_prototypes()):
        raise ValueError(f'unknown AFLOW prototype {aflow_prototype!r}; valid: {", ".join(prototypes)}')


def _check(label: str | None, min_probability: float) -> None:
    if label is not None and not isinstance(label, str):
        raise TypeError(f'label must be a string, got {label!r}')
    if label is not None and label not in (labels := known_labels()):
        raise ValueError(f'unknown label {label!r}; valid labels: {", ".join(labels)}')
    if (
        isinstance(min_probability, bool)
        or not isinstance(min_probability, (int, float))
        or not 0 <= min_probability <= 1
    ):
        raise ValueError(f'min_probability must be a number in [0, 1], got {min_probability!r}')


def classified_structures(
    label: str | None = None,
    min_probability: float = 0.0,
    model_sha256: str | None = None,
    aflow_prototype: str | None = None,
    parent_prototype: str | None = None,
) -> list[orm.StructureData]:
    """Structures the WorkChain classified as ``label`` (any if None) with probability >= ``min_probability``,
    optionally only those of the AFLOW prototype ``aflow_prototype`` (e.g. ``AB_cF8_225_a_b``) and
    only the ``unknown`` derivatives of ``parent_prototype`` (e.g. ``A2B3_hR10_167_c_e``: ilmenite
    and LiNbO3 as ordered derivatives of corundum; the ``symclf_parent_prototype`` extra)."""
    _check(label, min_probability)
    _check_prototype(aflow_prototype)
    _check_prototype(parent_prototype)
    filters: dict = {f'extras.{EXTRA_PREFIX}probability': {'>=': float(min_probability)}}
    if label is not None:
        filters[f'extras.{EXTRA_PREFIX}label'] = label
    if aflow_prototype is not None:
        filters[f'extras.{EXTRA_PREFIX}aflow_prototype'] = aflow_prototype
    if parent_prototype is not None:
        filters[f'extras.{EXTRA_PREFIX}parent_prototype'] = parent_prototype
    if model_sha256 is not None:
        filters[f'extras.{EXTRA_PREFIX}model_sha256'] = model_sha256
    query = orm.QueryBuilder().append(orm.StructureData, filters=filters, project='*')
    return [row[0] for row in query.order_by({orm.StructureData: {'id': 'asc'}}).iterall()]


def classification_results(
    label: str | None = None, min_probability: float = 0.0, aflow_prototype: str | None = None
) -> list[tuple[orm.Dict, orm.StructureData]]:
    """Classification Dicts (and the structure each describes) matching ``label``, ``min_probability``
    and ``aflow_prototype`` (results of models before the compound classes have none and match
    only ``aflow_prototype=None``).

    Follows the provenance: Dict <- classify CalcFunction; the structure is the one whose
    fingerprint was classified (recorded as ``structure_uuid`` in the Dict).
    """
    _check(label, min_probability)
    _check_prototype(aflow_prototype)
    filters: dict = {
        'attributes.probability': {'>=': float(min_probability)},
        'attributes': {'has_key': 'model_sha256'},
    }
    if label is not None:
        filters['attributes.label'] = label
    if aflow_prototype is not None:
        filters['attributes.aflow_prototype'] = aflow_prototype
    query = orm.QueryBuilder()
    query.append(orm.CalcFunctionNode, filters={'process_type': {'in': list(_CLASSIFIERS)}}, tag='classifier')
    query.append(orm.Dict, with_incoming='classifier', filters=filters, project='*', tag='result')
    query.order_by({'result': {'id': 'asc'}})
    results = [row[0] for row in query.iterall()]
    uuids = [result['structure_uuid'] for result in results]
    structures = {}
    if uuids:
        lookup = orm.QueryBuilder().append(orm.StructureData, filters={'uuid': {'in': uuids}}, project=['uuid', '*'])
        structures = dict(lookup.all())
    return [(result, structures.get(result['structure_uuid'])) for result in results]


def mapped_structures(label: str | None = None, min_fraction: float = 0.0) -> list[orm.StructureData]:
    """Structures whose local map (the ``symclf_fractions`` extra) has at least ``min_fraction`` of its
    atoms labelled ``label``, oldest first; ``label=None``: every mapped structure.

    One query on the extras, e.g. ``mapped_structures('bcc', 0.2)`` is
    ``QueryBuilder().append(StructureData, filters={'extras.symclf_fractions.bcc': {'>=': 0.2}})``.
    A map without atoms of ``label`` has no such key and is not found, also with ``min_fraction=0``.
    """
    if label is not None and not isinstance(label, str):
        raise TypeError(f'label must be a string, got {label!r}')
    if label is not None and label not in (labels := sorted({*known_labels(), VACUUM})):
        raise ValueError(f'unknown label {label!r}; valid labels: {", ".join(labels)}')
    if isinstance(min_fraction, bool) or not isinstance(min_fraction, (int, float)) or not 0 <= min_fraction <= 1:
        raise ValueError(f'min_fraction must be a number in [0, 1], got {min_fraction!r}')
    if label is None and min_fraction > 0:
        raise ValueError('min_fraction needs a label (the fraction of which label?)')
    extra = f'extras.{EXTRA_PREFIX}fractions'
    filters: dict = {'extras': {'has_key': f'{EXTRA_PREFIX}fractions'}}
    if label is not None:
        filters[f'{extra}.{label}'] = {'>=': float(min_fraction)}
    query = orm.QueryBuilder().append(orm.StructureData, filters=filters, project='*')
    return [row[0] for row in query.order_by({orm.StructureData: {'id': 'asc'}}).iterall()]


def label_counts(model_sha256: str | None = None) -> dict[str, int]:
    """How many structures carry each ``symclf_label`` extra."""
    filters: dict = {'extras': {'has_key': f'{EXTRA_PREFIX}label'}}
    if model_sha256 is not None:
        filters[f'extras.{EXTRA_PREFIX}model_sha256'] = model_sha256
    query = orm.QueryBuilder().append(orm.StructureData, filters=filters, project=f'extras.{EXTRA_PREFIX}label')
    counts: dict[str, int] = {}
    for (value,) in query.iterall():
        counts[value] = counts.get(value, 0) + 1
    return counts


def stored_models() -> list[SymclfModelData]:
    """Every stored classifier model node, oldest first."""
    query = orm.QueryBuilder().append(SymclfModelData, project='*')
    return [row[0] for row in query.order_by({SymclfModelData: {'id': 'asc'}}).iterall()]


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
