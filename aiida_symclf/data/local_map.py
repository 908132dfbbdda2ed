"""``LocalMapData`` (entry point ``symclf.local_map``): a local structure map stored in AiiDA.

The stored form of :class:`aiida_symclf.library.local_map.LocalMap`. Labels are stored as indices
into the attribute ``label_names`` (a few bytes per atom instead of a string), so a map of 10^6
atoms is a few MB of arrays; what queries need (``fractions``, ``majority_label``, ``regions``,
box and stride, the model's sha256) are attributes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from aiida import orm

from aiida_symclf.library.classification import UNKNOWN
from aiida_symclf.library.local_map import VACUUM, LocalMap

__all__ = ['LocalMapData']

#: Arrays over windows and over atoms.
WINDOW_ARRAYS = ('centres', 'labels', 'probabilities', 'uncertainties', 'orientations', 'reasons')
ATOM_ARRAYS = ('atom_labels', 'atom_probabilities')


def _indices(values: list[str], names: list[str]) -> np.ndarray:
    lookup = {name: index for index, name in enumerate(names)}
    return np.array([lookup[value] for value in values], dtype=np.int32)


class LocalMapData(orm.ArrayData):
    """A structure's local map (entry point ``symclf.local_map``): one record per window, one label per atom.

    Arrays over the W windows: ``centres`` (W, 3) Cartesian, ``labels`` (W,) indices into the
    attribute ``label_names``, ``probabilities`` (W, C) over ``class_names``, ``uncertainties``
    (W,), ``orientations`` (W, 3, 3) rotation from the input frame to the standard one (NaN where
    the window has no lattice), ``reasons`` (W,) indices into ``reason_names`` (why a window is
    ``unknown`` or ``vacuum``; '' otherwise). Arrays over the N atoms: ``atom_labels`` (N,)
    indices into ``label_names`` and ``atom_probabilities`` (N,).

    Attributes: ``box``, ``stride`` (Angstrom), ``grid``, ``class_names``, ``label_names``,
    ``reason_names``, ``fractions`` (label -> fraction of the atoms), ``majority_label``,
    ``regions`` (crystalline regions with their orientation), ``windows``, ``n_atoms``,
    ``model_sha256`` and ``structure_uuid`` (empty / None outside AiiDA's processes).
    """

    @classmethod
    def from_local_map(
        cls, local_map: LocalMap, model_sha256: str = '', structure_uuid: str | None = None
    ) -> LocalMapData:
        """An unstored node holding ``local_map``."""
        node = cls()
        extra = sorted(set(local_map.labels) - set(local_map.class_names) - {UNKNOWN, VACUUM})
        label_names = [*local_map.class_names, UNKNOWN, VACUUM, *extra]
        reason_names = sorted(set(local_map.reasons))
        windows = len(local_map.labels)
        node.set_array('centres', np.asarray(local_map.centres, dtype=float).reshape(windows, 3))
        node.set_array('labels', _indices(local_map.labels, label_names))
        node.set_array(
            'probabilities',
            np.asarray(local_map.probabilities, dtype=float).reshape(windows, len(local_map.class_names)),
        )
        node.set_array('uncertainties', np.asarray(local_map.uncertainties, dtype=float).reshape(windows))
        node.set_array('orientations', np.asarray(local_map.orientations, dtype=float).reshape(windows, 3, 3))
        node.set_array('reasons', _indices(local_map.reasons, reason_names))
        node.set_array('atom_labels', _indices(local_map.atom_labels, label_names))
        node.set_array('atom_probabilities', np.asarray(local_map.atom_probabilities, dtype=float))
        node.base.attributes.set_many(
            {
                'box': float(local_map.box),
                'stride': float(local_map.stride),
                'grid': [int(n) for n in local_map.grid],
                'class_names': list(local_map.class_names),
                'label_names': label_names,
                'reason_names': reason_names,
                'fractions': {label: float(value) for label, value in local_map.fractions.items()},
                'majority_label': local_map.majority_label,
                'regions': local_map.regions,
                'windows': windows,
                'n_atoms': len(local_map.atom_labels),
                'model_sha256': model_sha256,
                'structure_uuid': structure_uuid,
            }
        )
        return node

    # Attributes -------------------------------------------------------------------------------

    @property
    def box(self) -> float:
        return self.base.attributes.get('box')

    @property
    def stride(self) -> float:
        return self.base.attributes.get('stride')

    @property
    def grid(self) -> tuple[int, int, int]:
        return tuple(self.base.attributes.get('grid'))

    @property
    def class_names(self) -> list[str]:
        return self.base.attributes.get('class_names')

    @property
    def label_names(self) -> list[str]:
        return self.base.attributes.get('label_names')

    @property
    def fractions(self) -> dict[str, float]:
        return self.base.attributes.get('fractions')

    @property
    def majority_label(self) -> str:
        return self.base.attributes.get('majority_label')

    @property
    def regions(self) -> list[dict[str, Any]]:
        return self.base.attributes.get('regions')

    @property
    def model_sha256(self) -> str:
        return self.base.attributes.get('model_sha256', '')

    @property
    def structure_uuid(self) -> str | None:
        return self.base.attributes.get('structure_uuid', None)

    # Read back --------------------------------------------------------------------------------

    def atom_label_list(self) -> list[str]:
        """The label of each atom, in the structure's order."""
        names = self.label_names
        return [names[index] for index in self.get_array('atom_labels').tolist()]

    def window_label_list(self) -> list[str]:
        """The label of each window, in grid order (C order over ``grid``)."""
        names = self.label_names
        return [names[index] for index in self.get_array('labels').tolist()]

    def window_reason_list(self) -> list[str]:
        """Why each window is ``unknown`` or ``vacuum`` ('' for a classified one)."""
        names = self.base.attributes.get('reason_names')
        return [names[index] for index in self.get_array('reasons').tolist()]

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary, as :meth:`LocalMap.summary` plus the model's sha256 and the structure's UUID."""
        return {
            'box': round(self.box, 3),
            'stride': round(self.stride, 3),
            'grid': list(self.grid),
            'windows': self.base.attributes.get('windows'),
            'n_atoms': self.base.attributes.get('n_atoms'),
            'fractions': self.fractions,
            'majority_label': self.majority_label,
            'regions': self.regions,
            'model_sha256': self.model_sha256,
            'structure_uuid': self.structure_uuid,
        }

    def local_map(self) -> LocalMap:
        """The library's :class:`LocalMap` again (for plotting or analysis without AiiDA)."""
        return LocalMap(
            box=self.box,
            stride=self.stride,
            grid=self.grid,
            class_names=list(self.class_names),
            centres=self.get_array('centres'),
            labels=self.window_label_list(),
            probabilities=self.get_array('probabilities'),
            uncertainties=self.get_array('uncertainties'),
            orientations=self.get_array('orientations'),
            reasons=self.window_reason_list(),
            atom_labels=self.atom_label_list(),
            atom_probabilities=self.get_array('atom_probabilities'),
            fractions=dict(self.fractions),
            regions=list(self.regions),
        )
