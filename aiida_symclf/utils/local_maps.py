"""Local structure maps in AiiDA: parameters, the map of each stored structure, summaries and extras.

The helpers of :func:`~aiida_symclf.calculations.functions.map_structures.map_structures` and
:class:`~aiida_symclf.workflows.map.LocalMapWorkChain`; the science is
:func:`aiida_symclf.library.local_map.map_structure`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
from aiida import orm
from ase import Atoms

from aiida_symclf.data import LocalMapData
from aiida_symclf.library.errors import StructureError
from aiida_symclf.library.local_map import MapParameters, map_structure
from aiida_symclf.library.record import EXTRA_PREFIX
from aiida_symclf.library.validation import check_physical
from aiida_symclf.utils.exit_codes import StepError
from aiida_symclf.utils.structure_arrays import atoms_of_structure

__all__ = [
    'FRACTIONS_EXTRA',
    'MAJORITY_EXTRA',
    'MAP_UUID_EXTRA',
    'map_extras',
    'map_nodes',
    'map_parameters',
    'mapped_atoms',
    'maps_summary',
    'merge_maps_summaries',
    'parameter_problems',
    'parse_map_parameters',
]

#: Extras of a mapped StructureData: fraction of its atoms per label, the label of the most atoms,
#: and the UUID of its :class:`~aiida_symclf.data.local_map.LocalMapData`.
FRACTIONS_EXTRA = f'{EXTRA_PREFIX}fractions'
MAJORITY_EXTRA = f'{EXTRA_PREFIX}majority_label'
MAP_UUID_EXTRA = f'{EXTRA_PREFIX}map_uuid'

#: Numerical failures of a degenerate structure's analysis: that structure's failure, not the batch's.
_NUMERICAL_ERRORS: tuple[type[Exception], ...] = (np.linalg.LinAlgError, FloatingPointError, ZeroDivisionError)
_NAMES = tuple(field.name for field in dataclasses.fields(MapParameters))


def parameter_problems(values: Any) -> list[str]:
    """Every problem with a ``parameters`` dictionary (``box``, ``stride``; empty if none)."""
    if values is None:
        return []
    if not isinstance(values, Mapping):
        return [f'parameters must be a dictionary with the keys {", ".join(_NAMES)}, got {values!r}']
    unknown = sorted(str(key) for key in values if key not in _NAMES)
    problems = [f'unknown parameters {", ".join(unknown)}; valid: {", ".join(_NAMES)}'] if unknown else []
    return problems + MapParameters(**{name: values[name] for name in _NAMES if name in values}).errors()


def map_parameters(values: Mapping[str, Any] | None) -> MapParameters:
    """:class:`MapParameters` of a ``parameters`` dictionary; ValueError naming every problem."""
    problems = parameter_problems(values)
    if problems:
        raise ValueError('; '.join(problems))
    return MapParameters(**dict(values or {}))


def parse_map_parameters(parameters: orm.Dict | None) -> MapParameters:
    """:func:`map_parameters` of a Dict node, or exit code 201 naming every problem."""
    try:
        return map_parameters(parameters.get_dict() if parameters is not None else None)
    except ValueError as exception:
        raise StepError('ERROR_INVALID_PARAMETERS', str(exception)) from exception


def mapped_atoms(structure: orm.StructureData) -> Atoms:
    """The structure as ``ase.Atoms``; StructureError for what no map can be made of.

    Partial occupancies have no single species per site; a fully periodic cell also gets the
    physical checks of an input (:func:`~aiida_symclf.library.validation.check_physical`:
    overlapping atoms, a cell too small for its atoms). Slabs and clusters (non-periodic axes)
    are mapped as they are; the rest (no atoms, no cell) is :func:`map_structure`'s to refuse.
    """
    if structure.is_alloy or structure.has_vacancies:
        raise StructureError(
            'kinds with partial occupancies (alloy or vacancy weights) have no single composition; give an '
            'ordered model of the structure, e.g. an SQS supercell'
        )
    atoms = atoms_of_structure(structure)
    if (
        len(atoms)
        and np.isfinite(atoms.positions).all()
        and all(atoms.pbc)
        and abs(float(np.linalg.det(np.asarray(atoms.cell, dtype=float)))) > 1e-6
    ):
        check_physical(atoms)
    return atoms


def map_nodes(
    structures: Mapping[str, orm.StructureData], model: Any, parameters: MapParameters, model_sha256: str
) -> tuple[dict[str, LocalMapData], dict[str, str]]:
    """A :class:`LocalMapData` per structure that can be mapped, and the reason for each other one."""
    maps, failures = {}, {}
    for key, structure in structures.items():
        try:
            local_map = map_structure(mapped_atoms(structure), model, parameters)
        except StructureError as exception:
            failures[key] = f'{exception} (StructureData<{structure.pk}>)'
            continue
        except _NUMERICAL_ERRORS as exception:
            detail = ' '.join(str(exception).split()) or type(exception).__name__
            failures[key] = f'the map failed numerically ({detail}): a degenerate cell? (StructureData<{structure.pk}>)'
            continue
        maps[key] = LocalMapData.from_local_map(local_map, model_sha256, structure.uuid)
    return maps, failures


def _entry(node: LocalMapData) -> dict[str, Any]:
    """What the summary says of one map."""
    summary = node.summary()
    return {
        'map_uuid': node.uuid,
        'structure_uuid': summary['structure_uuid'],
        'n_atoms': summary['n_atoms'],
        'windows': summary['windows'],
        'box': summary['box'],
        'stride': summary['stride'],
        'grid': summary['grid'],
        'fractions': summary['fractions'],
        'majority_label': summary['majority_label'],
        'regions': len(summary['regions']),
    }


def _totals(maps: Mapping[str, Mapping[str, Any]], failures: Mapping[str, str], **fields: Any) -> dict[str, Any]:
    """Summary fields of ``maps`` (key -> entry) and ``failures``: counts, and the fractions over all their atoms."""
    atoms: dict[str, float] = {}
    for entry in maps.values():
        for label, fraction in entry['fractions'].items():
            atoms[label] = atoms.get(label, 0.0) + fraction * entry['n_atoms']
    total = sum(entry['n_atoms'] for entry in maps.values())
    fractions = {label: round(count / total, 6) for label, count in sorted(atoms.items(), key=lambda item: -item[1])}
    return {
        **fields,
        'mapped': len(maps),
        'failed': len(failures),
        'n_atoms': total,
        'fractions': fractions,
        'maps': dict(maps),
        'failures': dict(failures),
    }


def maps_summary(
    maps: Mapping[str, LocalMapData], failures: Mapping[str, str], model_sha256: str, parameters: MapParameters
) -> dict[str, Any]:
    """The summary of one batch: model, requested parameters, counts, fractions over all atoms, an
    entry per map (map and structure UUIDs, fractions, majority label, box, stride, ...) and the failures."""
    entries = {key: _entry(node) for key, node in maps.items()}
    return _totals(entries, failures, model_sha256=model_sha256, parameters=dataclasses.asdict(parameters))


def merge_maps_summaries(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    """One summary of several batches' (same model and parameters)."""
    maps = {key: entry for summary in summaries for key, entry in summary['maps'].items()}
    failures = {key: reason for summary in summaries for key, reason in summary['failures'].items()}
    first = summaries[0] if summaries else {}
    return _totals(maps, failures, model_sha256=first.get('model_sha256', ''), parameters=first.get('parameters', {}))


def map_extras(node: LocalMapData) -> dict[str, Any]:
    """The extras a mapped structure gets, so that QueryBuilder finds it by the fraction of a label."""
    return {FRACTIONS_EXTRA: node.fractions, MAJORITY_EXTRA: node.majority_label, MAP_UUID_EXTRA: node.uuid}
