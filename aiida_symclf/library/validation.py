"""Inputs that cannot be physical: refused with the reason, before anything is stored.

:func:`aiida_symclf.library.fingerprint.check_structure` refuses what the pipeline cannot read (no atoms,
partial occupancies, NaN, not periodic, zero volume, too many atoms). :func:`check_input` adds
what no real crystal has, so that a mistyped cell or a duplicated site is not silently classified
(and stored) as a crystal it is not:

- *overlapping atoms*: two atoms (or an atom and a periodic image of another) closer than
  :data:`MIN_DISTANCE_FRACTION` of the sum of their covalent radii (``ase.data.covalent_radii``,
  Cordero et al. 2008). The shortest real contacts are ~0.7 of that sum (triple bonds: N2 0.77,
  C2H2 0.79; alpha-U 0.70 is the shortest of the user-path benchmark's crystals), thermal motion
  stays far above (EMT MD of fcc metals at 900 K: 0.81), and the benchmark's most displaced
  inputs (Gaussian displacements of 8% of the NN distance, 420 supercells) come down to 0.45:
  0.4 refuses none of the 3,915 inputs of ``benchmarks/userpath.py``, 0.5 would refuse some;
- *a cell too small for its atoms*: an atom closer to its own periodic image than the same bound
  (the shortest lattice vector, e.g. a 1-atom cubic cell of 0.5 Angstrom, or a cell with
  c = 0.1 Angstrom), or a cell whose volume is smaller than that of the atoms' spheres of radius
  ``MIN_DISTANCE_FRACTION`` x covalent radius (a near-flat cell, c = 1e-6 to 0.01 Angstrom, which
  would make the lattice analysis fail on a singular metric).

Such an input is refused (:class:`~aiida_symclf.library.fingerprint.StructureError` with the atoms and the
distance), not classified with a warning: its fingerprint is the diffraction of atoms that cannot
be there, so any class would be an artefact, and a stored result would be found later by queries
as if it were a crystal. The bound is far from real structures so that refusing never costs a
real one. Structures the pipeline makes itself (perturbed replicas for robustness, e.g. a
"melted" level with 30% displacements) are not inputs and are not checked.
"""

from __future__ import annotations

import math

import numpy as np
from ase import Atoms
from ase.data import chemical_symbols, covalent_radii
from scipy.spatial import cKDTree

from aiida_symclf.library.errors import StructureError
from aiida_symclf.library.fingerprint import check_structure
from aiida_symclf.library.lattice import reduced_basis

__all__ = ['MIN_DISTANCE_FRACTION', 'check_input', 'check_physical', 'closest_pair', 'input_problem', 'too_close']

#: Two atoms closer than this fraction of the sum of their covalent radii are refused as overlapping.
MIN_DISTANCE_FRACTION = 0.4


def _radii(atoms: Atoms) -> np.ndarray:
    """Covalent radius of each atom (Angstrom); ase's value for unknown species (``X``: 0.2)."""
    return covalent_radii[np.clip(atoms.numbers, 0, len(covalent_radii) - 1)]


def _symbol(number: int) -> str:
    return chemical_symbols[number] if 0 <= number < len(chemical_symbols) else str(number)


def _check_volume(atoms: Atoms, radii: np.ndarray) -> None:
    """The cell holds the atoms' spheres of radius ``MIN_DISTANCE_FRACTION`` x covalent radius.

    Cheap, and first: a near-flat cell fails here before any neighbour search or lattice reduction.
    """
    volume = abs(float(np.linalg.det(np.asarray(atoms.cell, dtype=float))))
    spheres = float(np.sum(4.0 / 3.0 * math.pi * (MIN_DISTANCE_FRACTION * radii) ** 3))
    if volume < spheres:
        raise StructureError(
            f'the cell is too small for its atoms: {volume:.3g} A^3 for {len(atoms)} atom{"s" if len(atoms) > 1 else ""}, '
            f'less than the '
            f'{spheres:.3g} A^3 of spheres of {MIN_DISTANCE_FRACTION:g} x their covalent radii (a flat or '
            'mistyped cell?)'
        )


def _reduced_cell(cell: np.ndarray) -> np.ndarray:
    """Niggli-reduced cell (rows): its vectors are the shortest of the lattice."""
    return reduced_basis(cell)


def _check_self_images(atoms: Atoms, reduced: np.ndarray, radii: np.ndarray) -> None:
    """No atom is closer to its own periodic image (the shortest lattice vector) than the bound."""
    shortest = float(np.min(np.linalg.norm(reduced, axis=1)))
    largest = int(np.argmax(radii))
    bound = MIN_DISTANCE_FRACTION * 2.0 * radii[largest]
    if shortest < bound:
        raise StructureError(
            f'the cell is too small for one atom: each {_symbol(int(atoms.numbers[largest]))} atom is {shortest:.3g} A '
            f'from its own periodic image (the shortest lattice vector), less than {MIN_DISTANCE_FRACTION:g} x twice '
            f'its covalent radius ({bound:.3g} A)'
        )


def _close_pairs(atoms: Atoms, reduced: np.ndarray, cutoff: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs ``(i, j, distance)`` of atoms (periodic images included, ``i < j`` or an image) within ``cutoff``.

    Positions are wrapped into the reduced cell; the images needed are those within ``cutoff`` of
    the cell's faces (a k-d tree on the atoms and those images: ~0.3 ms for 250 atoms, where ase's
    neighbour list takes ~10 ms).
    """
    scaled = np.linalg.solve(reduced.T, atoms.positions.T).T % 1.0
    heights = abs(np.linalg.det(reduced)) / np.linalg.norm(np.cross(reduced[[1, 2, 0]], reduced[[2, 0, 1]]), axis=1)
    reach = np.ceil(cutoff / heights).astype(int)
    shifts = np.stack(np.meshgrid(*[np.arange(-n, n + 1) for n in reach], indexing='ij'), -1).reshape(-1, 3)
    shifts = shifts[np.any(shifts != 0, axis=1)]
    margin = cutoff / heights
    images = scaled[None, :, :] + shifts[:, None, :]
    near = np.all((images > -margin) & (images < 1.0 + margin), axis=2)
    shift_index, atom_index = np.nonzero(near)
    points = np.concatenate([scaled, images[shift_index, atom_index]]) @ reduced
    owner = np.concatenate([np.arange(len(atoms)), atom_index])
    pairs = cKDTree(points).query_pairs(cutoff, output_type='ndarray')
    if not len(pairs):
        return np.zeros(0, int), np.zeros(0, int), np.zeros(0)
    first, second = pairs[:, 0], pairs[:, 1]
    keep = first < len(atoms)  # each pair once with an atom of the cell first (image-image pairs repeat them)
    first, second = first[keep], second[keep]
    distances = np.linalg.norm(points[first] - points[second], axis=1)
    return owner[first], owner[second], distances


def closest_pair(atoms: Atoms, cell: np.ndarray | None = None) -> tuple[int, int, float, float, int] | None:
    """The pair of atoms closest relative to the bound, if any is closer than ``MIN_DISTANCE_FRACTION``
    x the sum of their covalent radii: ``(i, j, distance, bound, number of such pairs)``, else None.

    ``cell``: a reduced cell of the lattice of ``atoms`` (default: reduced here).
    """
    radii = _radii(atoms)
    reduced = cell if cell is not None else _reduced_cell(np.asarray(atoms.cell, dtype=float))
    first, second, distances = _close_pairs(atoms, reduced, MIN_DISTANCE_FRACTION * 2.0 * float(radii.max()))
    if not len(distances):
        return None
    bounds = MIN_DISTANCE_FRACTION * (radii[first] + radii[second])
    ratio = distances / bounds
    worst = int(np.argmin(ratio))
    if ratio[worst] >= 1.0:
        return None
    return int(first[worst]), int(second[worst]), float(distances[worst]), float(bounds[worst]), int(np.sum(ratio < 1))


def too_close(first: str, second: str, distance: float, bound: float, count: int) -> str:
    """The reason for refusing two atoms (or sites) named ``first`` and ``second`` at ``distance``."""
    what = 'overlap' if distance < 0.1 else 'are too close'
    others = f' ({count} such pairs)' if count > 1 else ''
    return (
        f'{first} and {second} {what}: {distance:.3g} A apart, less than {MIN_DISTANCE_FRACTION:g} x the sum of '
        f'their covalent radii ({bound:.3g} A){others}; a duplicated site or a mistyped coordinate?'
    )


def _check_distances(atoms: Atoms, reduced: np.ndarray) -> None:
    """No two atoms closer than ``MIN_DISTANCE_FRACTION`` x the sum of their covalent radii."""
    pair = closest_pair(atoms, reduced)
    if pair is not None:
        i, j, distance, bound, count = pair
        names = (f'atom {index} ({_symbol(int(atoms.numbers[index]))})' for index in (i, j))
        raise StructureError(too_close(*names, distance, bound, count))


def check_physical(atoms: Atoms) -> None:
    """Raise :class:`~aiida_symclf.library.fingerprint.StructureError` if ``atoms`` cannot be a physical crystal.

    Assumes :func:`~aiida_symclf.library.fingerprint.check_structure` passed (atoms, finite values, 3D periodic).
    """
    radii = _radii(atoms)
    _check_volume(atoms, radii)
    try:
        reduced = _reduced_cell(np.asarray(atoms.cell, dtype=float))
    except (np.linalg.LinAlgError, ValueError) as exception:  # a cell no reduction can handle
        raise StructureError(f'the cell is degenerate: its reduction failed ({exception})') from None
    _check_self_images(atoms, reduced, radii)
    _check_distances(atoms, reduced)


def check_input(atoms: Atoms) -> None:
    """Every check of an input structure: what the pipeline needs, then what physics allows."""
    check_structure(atoms)
    check_physical(atoms)


def input_problem(atoms: Atoms) -> str | None:
    """Why ``atoms`` is refused as an input (:func:`check_input`), or None."""
    try:
        check_input(atoms)
    except StructureError as exception:
        return str(exception)
    return None
