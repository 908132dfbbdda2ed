"""Periodic images and the nearest-neighbour distance: the length scale of a structure.

One implementation for the whole-structure facts (vacuum gaps, :mod:`aiida_symclf.library.vacuum`)
and the local maps (window size, basis-site tolerance, :mod:`aiida_symclf.library.local_map`).
"""

from __future__ import annotations

import numpy as np
from ase import Atoms
from scipy.spatial import cKDTree

__all__ = ['cell_heights', 'median_neighbour_distance', 'padded_positions']

#: Atoms whose nearest-neighbour distances are measured in large structures (fixed random subset).
SAMPLE = 2000


def cell_heights(cell: np.ndarray) -> np.ndarray:
    """Distances between opposite faces of ``cell`` (rows), one per axis."""
    volume = abs(np.linalg.det(cell))
    return volume / np.linalg.norm(np.cross(cell[[1, 2, 0]], cell[[2, 0, 1]]), axis=1)


def padded_positions(atoms: Atoms, margin: float) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the atoms and of their periodic images within ``margin`` of the cell (along
    periodic axes only), and the index of the original atom of each."""
    cell = np.asarray(atoms.cell, dtype=float)
    scaled = atoms.get_scaled_positions(wrap=True)
    slack = margin / cell_heights(cell)
    reach = np.where(atoms.pbc, np.ceil(slack), 0).astype(int)
    positions, owners = [], []
    for shift in np.ndindex(*(2 * reach + 1)):
        moved = scaled + (np.array(shift) - reach)
        inside = np.all((moved > -slack) & (moved < 1 + slack), axis=1)
        positions.append(moved[inside] @ cell)
        owners.append(np.flatnonzero(inside))
    return np.concatenate(positions), np.concatenate(owners)


def median_neighbour_distance(atoms: Atoms) -> float:
    """Median distance of an atom to its nearest neighbour, periodic images included (from at most
    :data:`SAMPLE` atoms)."""
    sample = atoms.positions
    if len(atoms) > SAMPLE:
        sample = sample[np.random.default_rng(0).choice(len(atoms), SAMPLE, replace=False)]
    rough = (abs(atoms.cell.volume) / len(atoms)) ** (1.0 / 3.0)
    padded, _ = padded_positions(atoms, 3.0 * rough)
    distances, _ = cKDTree(padded).query(sample, k=2)
    return float(np.median(distances[:, 1]))
