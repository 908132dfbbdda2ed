"""The result of one structure, as every path returns, stores and prints it.

:class:`ClassificationRecord` is the one schema: the library (:func:`~aiida_symclf.library.
pipeline.classify_structures`), the CalcFunctions (the ``results`` Dicts of the linked and
compact modes), the bulk mode (its chunk's ``results`` Dict, with the probabilities in an
ArrayData beside it) and the command line (``--json``) all build it here. It is a frozen
dataclass and also a read-only mapping of its stored keys, so ``record['label']`` and
``dict(record)`` work as they did on the plain dicts of 0.3.x; :meth:`ClassificationRecord.
from_dict` reads what those versions stored (a key they lack takes its default).

:meth:`ClassificationRecord.extras` gives the extras a classified ``StructureData`` gets (keys
prefixed with :data:`EXTRA_PREFIX`), the same in every mode, so that
:func:`aiida_symclf.query.classified_structures` finds them all.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ['EXTRA_PREFIX', 'RESULT_FIELDS', 'ClassificationRecord']

#: Prefix of the extras set on classified structures (AiiDA extras keys cannot contain dots).
EXTRA_PREFIX = 'symclf_'


@dataclasses.dataclass(frozen=True)
class ClassificationRecord(Mapping):
    """A structure's label (a class or ``unknown``) and the evidence for it.

    ``network_label`` and ``probability`` are the network's own answer among the classes the Bragg
    facts allow; ``label`` is what the structure is called after the Bragg-lattice checks
    (``unknown_reason`` is empty when the network's class stands); ``aflow_prototype``,
    ``strukturbericht`` and ``space_groups`` are those of ``label`` (empty for ``unknown``);
    ``lattice`` holds the Bragg facts (Bravais lattice, atoms per lattice point, ...).
    ``model_sha256`` and ``structure_uuid`` say which model classified which stored structure
    (empty on the library path); ``robustness`` is set where perturbed replicas were classified,
    ``local_map`` (fractions of atoms per label, majority label) where a structure that is ``unknown``
    as a whole was mapped (:mod:`aiida_symclf.library.composite`); ``parent_prototype`` (the AFLOW
    prototype of the network's class) where the structure is ``unknown`` because the Bragg facts
    make it a derivative of that class: a superstructure, an ordered derivative with more
    sublattices, ordered vacancies (:func:`aiida_symclf.library.classification.refusal`).
    """

    label: str
    aflow_prototype: str
    strukturbericht: str
    network_label: str
    space_groups: list[int]
    probability: float
    probabilities: dict[str, float]
    uncertainty: float | None
    unknown_reason: str
    lattice: dict[str, Any] | None
    model_sha256: str = ''
    structure_uuid: str | None = None
    robustness: list[dict[str, Any]] | None = None
    local_map: dict[str, Any] | None = None
    parent_prototype: str | None = None

    # The mapping view: the stored keys (robustness and local_map only where they were measured).
    def __getitem__(self, key: str) -> Any:
        if key not in self._keys():
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())

    def _keys(self) -> tuple[str, ...]:
        optional = tuple(name for name in _OPTIONAL_FIELDS if getattr(self, name) is not None)
        return (*RESULT_FIELDS, *optional)

    def to_dict(self, probabilities: bool = True) -> dict[str, Any]:
        """The JSON-ready dict that is stored; without ``probabilities`` where an array holds them."""
        values = {key: getattr(self, key) for key in self._keys()}
        if not probabilities:
            del values['probabilities']
        return values

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> ClassificationRecord:
        """A record from a stored dict, of this version or of 0.3.x (unknown keys such as ``status`` are ignored)."""
        defaults = {'aflow_prototype': '', 'strukturbericht': '', 'space_groups': [], 'probabilities': {}}
        defaults.update({'uncertainty': None, 'unknown_reason': '', 'lattice': None})
        known = {field.name for field in dataclasses.fields(cls)}
        return cls(**{**defaults, **{key: value for key, value in values.items() if key in known}})

    def with_provenance(self, model_sha256: str, structure_uuid: str | None = None) -> ClassificationRecord:
        """The same record naming the model that made it and the structure it is about."""
        return dataclasses.replace(self, model_sha256=model_sha256, structure_uuid=structure_uuid)

    def extras(self, result_uuid: str, model_sha256: str | None = None) -> dict[str, Any]:
        """The extras of the classified structure; ``result_uuid`` names the node that stores this record."""
        return {
            f'{EXTRA_PREFIX}label': self.label,
            f'{EXTRA_PREFIX}aflow_prototype': self.aflow_prototype,
            f'{EXTRA_PREFIX}network_label': self.network_label,
            f'{EXTRA_PREFIX}probability': self.probability,
            f'{EXTRA_PREFIX}uncertainty': self.uncertainty,
            f'{EXTRA_PREFIX}space_groups': self.space_groups,
            f'{EXTRA_PREFIX}unknown_reason': self.unknown_reason or '',
            f'{EXTRA_PREFIX}model_sha256': model_sha256 if model_sha256 is not None else self.model_sha256,
            f'{EXTRA_PREFIX}result_uuid': result_uuid,
            f'{EXTRA_PREFIX}parent_prototype': self.parent_prototype or '',
            **self.local_map_extras(),
        }

    def local_map_extras(self) -> dict[str, Any]:
        """``symclf_fractions`` and ``symclf_majority_label`` where the record has a local map (else none)."""
        if self.local_map is None:
            return {}
        return {
            f'{EXTRA_PREFIX}fractions': self.local_map['fractions'],
            f'{EXTRA_PREFIX}majority_label': self.local_map['majority_label'],
        }


#: Keys stored only where they were measured: the robustness over perturbed replicas, the
#: local structure map's summary of a structure that is ``unknown`` as a whole but may be more
#: than one crystal (:mod:`aiida_symclf.library.composite`), and the parent prototype of a
#: derivative (stored results of earlier versions have none of them).
_OPTIONAL_FIELDS = ('robustness', 'local_map', 'parent_prototype')
#: The stored keys of a record, in the order they are shown.
RESULT_FIELDS: tuple[str, ...] = tuple(
    field.name for field in dataclasses.fields(ClassificationRecord) if field.name not in _OPTIONAL_FIELDS
)
