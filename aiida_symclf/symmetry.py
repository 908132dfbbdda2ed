"""Classical symmetry detection with spglib, mapped onto the network's classes.

The paper compares the network with spglib at two tolerances (the authors' later benchmark):
a *loose* one, ``symprec = 0.1`` Angstrom and ``angle_tolerance = 5`` degrees, and a *tight*
one, ``symprec = 1e-4`` Angstrom and 1 degree. spglib returns a space group number; the class
is the network class covering that space group (:func:`aiida_symclf.dataset.space_group_to_class`),
and any other space group (for example P1 for a structure with vacancies) has no class.

Tolerances are absolute lengths in Angstrom, so they are applied to the structure as given
(not to the structure scaled to a nearest-neighbour distance of 1).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
from ase import Atoms

from .dataset import space_group_to_class

__all__ = [
    'SPGLIB_LOOSE',
    'SPGLIB_TIGHT',
    'SPGLIB_TOLERANCES',
    'spglib_class',
    'spglib_labels',
    'spglib_space_group',
]

#: ``(symprec in Angstrom, angle_tolerance in degrees)`` of the loose spglib setting.
SPGLIB_LOOSE: tuple[float, float] = (0.1, 5.0)
#: ``(symprec in Angstrom, angle_tolerance in degrees)`` of the tight spglib setting.
SPGLIB_TIGHT: tuple[float, float] = (1e-4, 1.0)
#: Both settings by name, in the order they are reported.
SPGLIB_TOLERANCES: dict[str, tuple[float, float]] = {'loose': SPGLIB_LOOSE, 'tight': SPGLIB_TIGHT}


def _spglib_cell(atoms: Atoms) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The ``(lattice, scaled_positions, numbers)`` tuple spglib expects; None if unusable."""
    if len(atoms) == 0:
        return None
    lattice = np.asarray(atoms.cell, dtype=float)
    positions = atoms.get_positions()
    if not (np.all(np.isfinite(lattice)) and np.all(np.isfinite(positions))):
        return None
    if abs(np.linalg.det(lattice)) < 1e-9:
        return None
    return lattice, atoms.get_scaled_positions(wrap=False), atoms.get_atomic_numbers()


def _dataset(atoms: Atoms, symprec: float, angle_tolerance: float) -> Any:
    """spglib's symmetry dataset of ``atoms``, or None when spglib fails or the cell is unusable."""
    import spglib

    cell = _spglib_cell(atoms)
    if cell is None:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')  # spglib warns (and returns None) when it finds nothing
            return spglib.get_symmetry_dataset(cell, symprec=symprec, angle_tolerance=angle_tolerance)
    except Exception:  # newer spglib versions may raise SpglibError instead of returning None
        return None


def _field(dataset: Any, name: str) -> Any:
    """A field of a spglib dataset, which is an object in spglib >= 2.5 and a dict before."""
    if hasattr(dataset, name):
        return getattr(dataset, name)
    return dataset[name]


def spglib_space_group(atoms: Atoms, symprec: float, angle_tolerance: float) -> int | None:
    """Space group number (1-230) spglib finds for ``atoms``; None when spglib fails.

    ``symprec`` is in Angstrom and ``angle_tolerance`` in degrees (see :data:`SPGLIB_LOOSE`
    and :data:`SPGLIB_TIGHT`). The whole cell of ``atoms`` is used as the periodic cell.
    """
    dataset = _dataset(atoms, symprec, angle_tolerance)
    if dataset is None:
        return None
    return int(_field(dataset, 'number'))


def spglib_class(
    atoms: Atoms,
    symprec: float,
    angle_tolerance: float,
    mapping: Mapping[int, str] | None = None,
) -> str | None:
    """Elemental class of the space group spglib finds for ``atoms``.

    None when spglib fails, finds a space group that no class covers, or ``atoms`` has several
    species: a space group alone does not tell a compound's prototype (rocksalt, fluorite and
    fcc are all Fm-3m). ``mapping`` (space group number to class name) defaults to
    :func:`aiida_symclf.dataset.space_group_to_class`.
    """
    number = spglib_space_group(atoms, symprec, angle_tolerance)
    if number is None or len(set(atoms.numbers)) > 1:
        return None
    return (mapping if mapping is not None else space_group_to_class()).get(number)


def spglib_labels(
    atoms: Atoms,
    tolerances: Mapping[str, tuple[float, float]] | None = None,
    datasets: Mapping[str, Any] | None = None,
) -> dict[str, dict[str, Any]]:
    """spglib's answer at each named tolerance (default: loose and tight), for reports.

    Returns ``{name: {'symprec', 'angle_tolerance', 'space_group', 'international', 'class'}}``;
    ``space_group``, ``international`` and ``class`` are None where spglib finds nothing or
    the space group is not one of the network's classes. ``datasets``: spglib's answers (with
    ``number`` and ``international``) by tolerance name, already computed elsewhere (the bounded
    comparison of the command line runs spglib in a child process).
    """
    mapping = space_group_to_class()
    labels = {}
    for name, (symprec, angle_tolerance) in (tolerances or SPGLIB_TOLERANCES).items():
        dataset = datasets[name] if datasets is not None else _dataset(atoms, symprec, angle_tolerance)
        number = None if dataset is None else int(_field(dataset, 'number'))
        labels[name] = {
            'symprec': symprec,
            'angle_tolerance': angle_tolerance,
            'space_group': number,
            'international': None if dataset is None else str(_field(dataset, 'international')),
            'class': None if number is None or len(set(atoms.numbers)) > 1 else mapping.get(number),
        }
    return labels
