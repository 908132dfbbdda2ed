"""The ``map_structures`` CalcFunction (entry point ``symclf.map_structures``): local structure maps."""

from __future__ import annotations

from typing import Any

from aiida import orm
from aiida.engine import calcfunction

from aiida_symclf.data import SymclfModelData
from aiida_symclf.utils.exit_codes import with_exit_codes
from aiida_symclf.utils.inputs import loaded_model
from aiida_symclf.utils.local_maps import map_nodes, maps_summary, parse_map_parameters

__all__ = ['map_structures']


@calcfunction
@with_exit_codes
def map_structures(model: SymclfModelData, parameters: orm.Dict | None = None, **structures: orm.StructureData):
    """Local structure map of each structure (:func:`aiida_symclf.library.local_map.map_structure`): output
    ``<key>`` (:class:`~aiida_symclf.data.local_map.LocalMapData`) per structure, and ``summary`` (Dict).

    ``parameters``: ``box`` and ``stride`` in Angstrom (:class:`~aiida_symclf.library.local_map.MapParameters`;
    default: a box that holds about 180 atoms, stride half the box); bad keys or values end the
    process with exit code 201. One process node per batch, no node per window. A structure that
    cannot be mapped (a box too small for its density, partial occupancies, overlapping atoms) is
    listed with its reason in the ``failures`` output (and in ``summary``); the others are still mapped.
    """
    map_parameters = parse_map_parameters(parameters)
    classifier = loaded_model(model)
    maps, failures = map_nodes(structures, classifier, map_parameters, model.sha256)
    outputs: dict[str, Any] = dict(maps)
    outputs['summary'] = orm.Dict(maps_summary(maps, failures, model.sha256, map_parameters))
    if failures:
        outputs['failures'] = orm.Dict(failures)
    return outputs
