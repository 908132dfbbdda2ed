"""Multi-crystal structures as users simulate them: polycrystals, stacks, slabs, crystal/liquid cells.

Used by the local-map tests and ``benchmarks/local_map.py``; each builder returns the structure
and the true label of every atom (plus what else a benchmark needs to score it), with real
lattice constants and orientations not aligned with the cell.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from ase import Atoms
from ase.build import bulk, surface
from ase.neighborlist import neighbor_list
from scipy.spatial import cKDTree
from scipy.spatial.transform import Rotation

__all__ = [
    'ELEMENTS',
    'Polycrystal',
    'close_packed_stack',
    'crystal_liquid',
    'perturbed',
    'polycrystal',
    'slab',
    'two_phase_stack',
]

#: Element, class label, ase crystal structure and lattice constants (Angstrom).
ELEMENTS: dict[str, tuple[str, str, dict[str, float]]] = {
    'Cu': ('fcc', 'fcc', {'a': 3.615}),
    'Al': ('fcc', 'fcc', {'a': 4.05}),
    'Fe': ('bcc', 'bcc', {'a': 2.866}),
    'W': ('bcc', 'bcc', {'a': 3.165}),
    'Mg': ('hcp/rh', 'hcp', {'a': 3.209, 'c': 5.211}),
    'Ti': ('hcp/rh', 'hcp', {'a': 2.951, 'c': 4.686}),
    'Si': ('diamond', 'diamond', {'a': 5.431}),
}


@dataclasses.dataclass
class Polycrystal:
    """A Voronoi polycrystal: ``atoms``, the grain of each atom, each grain's rotation (standard
    frame -> cell frame) and each atom's distance to the nearest grain boundary."""

    atoms: Atoms
    label: str
    grain: np.ndarray
    rotations: list[np.ndarray]
    boundary_distance: np.ndarray


def _conventional(element: str) -> Atoms:
    _, structure, constants = ELEMENTS[element]
    return bulk(element, structure, cubic=structure != 'hcp', orthorhombic=structure == 'hcp', **constants)


def _filled(element: str, rotation: np.ndarray, cell: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Positions of a crystal of ``element``, rotated by ``rotation`` about ``centre``, filling
    the cell-shaped box centred on ``centre`` (which holds the grain of a seed at ``centre``:
    the region nearer to a seed than to its own periodic images), not wrapped."""
    unit = _conventional(element)
    reach = np.linalg.norm(cell.sum(axis=0)) * 0.6 + np.linalg.norm(unit.cell.array.sum(axis=0))
    repeats = np.ceil(2 * reach / unit.cell.lengths()).astype(int)
    crystal = unit.repeat(tuple(repeats))
    positions = crystal.positions - crystal.cell.array.sum(axis=0) / 2
    positions = positions @ rotation.T + centre
    scaled = (positions - centre) @ np.linalg.inv(cell)
    inside = np.all((scaled >= -0.5) & (scaled < 0.5), axis=1)
    return positions[inside]


def _periodic_nearest(scaled: np.ndarray, seeds: np.ndarray, cell: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the nearest seed (periodic) and the distance to the second-nearest's bisector."""
    shifts = np.array(list(np.ndindex(3, 3, 3))) - 1
    images = (seeds[None, :, :] + shifts[:, None, :]).reshape(-1, 3) @ cell
    owner = np.tile(np.arange(len(seeds)), len(shifts))
    distances, indices = cKDTree(images).query(scaled @ cell, k=min(8, len(images)))
    first = owner[indices[:, 0]]
    second = np.array(
        [
            next((d for d, i in zip(row_d, row_i, strict=True) if owner[i] != f), row_d[-1])
            for row_d, row_i, f in zip(distances, indices, first, strict=True)
        ]
    )
    # Distance to the bisecting plane of the two nearest seeds: (d2^2 - d1^2) / (2 |s2 - s1|) >= (d2 - d1) / 2.
    return first, (second - distances[:, 0]) / 2


def polycrystal(element: str, grains: int, edge: float, seed: int = 0) -> Polycrystal:
    """A periodic cubic box of side ``edge`` with ``grains`` randomly oriented Voronoi grains.

    Atoms closer than 0.75 nearest-neighbour distances across a boundary are thinned (one of
    each pair removed), as polycrystal builders (Atomsk, ovito) do.
    """
    rng = np.random.default_rng(seed)
    cell = np.eye(3) * edge
    seeds = rng.random((grains, 3))
    rotations = [Rotation.random(random_state=rng.integers(1 << 31)).as_matrix() for _ in range(grains)]
    positions, grain_of = [], []
    for grain, (centre, rotation) in enumerate(zip(seeds, rotations, strict=True)):
        filled = _filled(element, rotation, cell, centre @ cell)
        scaled = filled @ np.linalg.inv(cell)
        scaled -= np.floor(scaled)
        owner, _ = _periodic_nearest(scaled, seeds, cell)
        positions.append(scaled[owner == grain] @ cell)
        grain_of.append(np.full(int((owner == grain).sum()), grain))
    positions, grain_of = np.concatenate(positions), np.concatenate(grain_of)
    atoms = Atoms([element] * len(positions), positions=positions, cell=cell, pbc=True)
    atoms = _thinned(atoms, grain_of, 0.75 * nearest_neighbour_distance(element))
    kept = atoms.arrays.pop('grain')
    _, distance = _periodic_nearest(atoms.get_scaled_positions(), seeds, cell)
    label = ELEMENTS[element][0]
    return Polycrystal(atoms, label, kept, rotations, distance)


def _thinned(atoms: Atoms, grain_of: np.ndarray, shortest: float) -> Atoms:
    """``atoms`` without one atom of each pair closer than ``shortest`` (cubic periodic cell)."""
    atoms.arrays['grain'] = grain_of
    edge = atoms.cell.lengths()
    tree = cKDTree(atoms.get_scaled_positions(wrap=True) * edge, boxsize=edge)
    drop = {max(i, j) for i, j in tree.query_pairs(shortest)}
    return atoms[[k for k in range(len(atoms)) if k not in drop]]


def perturbed(
    atoms: Atoms, displacement: float, missing: float, nn_distance: float, seed: int = 0
) -> tuple[Atoms, np.ndarray]:
    """Gaussian displacements (``displacement`` x the nearest-neighbour distance, per Cartesian
    component) and a random fraction ``missing`` of the atoms removed; returns the atoms and
    the indices kept."""
    rng = np.random.default_rng(seed)
    keep = np.flatnonzero(rng.random(len(atoms)) >= missing)
    result = atoms[keep]
    result.positions += rng.normal(0.0, displacement * nn_distance, result.positions.shape)
    return result, keep


def nearest_neighbour_distance(element: str) -> float:
    """Nearest-neighbour distance of the pristine crystal of ``element``."""
    unit = _conventional(element).repeat(2)
    distances = unit.get_all_distances(mic=True)
    return float(distances[distances > 1e-6].min())


def _matched_repeats(first: float, second: float) -> tuple[int, int]:
    """In-plane repeats (n, m) of two lattice constants with the least misfit, n from 4 to 8."""
    return min(
        ((n, max(1, round(n * first / second))) for n in range(4, 9)),
        key=lambda pair: abs(pair[0] * first - pair[1] * second) / (pair[0] * first),
    )


def two_phase_stack(first: str, second: str, layers: int = 8, seed: int = 0) -> tuple[Atoms, list[str]]:
    """Two crystals stacked along z in one periodic cell (cube-on-cube for cubic ones), in-plane
    repeats chosen for the least misfit (Cu/Fe: 4 x 3.615 A against 5 x 2.866 A, 0.9%), the
    upper one strained onto the lower, the whole cell rotated at random so no axis is aligned
    with the Cartesian ones. Returns the atoms and each atom's true label."""
    lower_unit, upper_unit = _conventional(first), _conventional(second)
    n, m = _matched_repeats(float(lower_unit.cell.lengths()[0]), float(upper_unit.cell.lengths()[0]))
    lower = lower_unit.repeat((n, n, layers))
    upper = upper_unit.repeat((m, m, layers))
    upper.set_cell([lower.cell[0], lower.cell[1], upper.cell[2]], scale_atoms=True)
    gap = 0.4 * (nearest_neighbour_distance(first) + nearest_neighbour_distance(second))
    upper.positions += [0, 0, lower.cell[2, 2] + gap]
    cell = [lower.cell[0], lower.cell[1], [0, 0, lower.cell[2, 2] + upper.cell[2, 2] + 2 * gap]]
    atoms = Atoms(
        list(lower.symbols) + list(upper.symbols),
        positions=np.vstack([lower.positions, upper.positions]),
        cell=cell,
        pbc=True,
    )
    labels = [ELEMENTS[first][0]] * len(lower) + [ELEMENTS[second][0]] * len(upper)
    rotation = Rotation.random(random_state=seed).as_matrix()
    atoms.set_cell(atoms.cell.array @ rotation.T, scale_atoms=False)
    atoms.positions = atoms.positions @ rotation.T
    return atoms, labels


def close_packed_stack(
    element: str = 'Co',
    nn_distance: float = 2.5,
    fcc_layers: int = 18,
    hcp_layers: int = 18,
    repeats: int = 12,
    seed: int = 0,
) -> tuple[Atoms, list[str]]:
    """One element's fcc and hcp phases stacked along z: close-packed layers (ideal spacing,
    ``nn_distance`` apart in-plane, ``repeats`` x ``repeats`` atoms each) in the order ABC... for
    ``fcc_layers`` (a multiple of 3), then AB... for ``hcp_layers`` (even), periodic along z; the
    whole cell rotated at random as in :func:`two_phase_stack`. Returns the atoms and each atom's
    true label from its layer's own stacking: ``fcc`` where the layers below and above differ
    (a *c* site), ``hcp/rh`` where they are the same (an *h* site), as CNA and PTM see it."""
    if fcc_layers % 3 or hcp_layers % 2 or fcc_layers < 3 or hcp_layers < 2:
        raise ValueError('fcc_layers must be a positive multiple of 3 and hcp_layers a positive even number')
    sequence = [k % 3 for k in range(fcc_layers)] + [k % 2 for k in range(hcp_layers)]
    spacing = nn_distance * np.sqrt(2.0 / 3.0)
    a1 = np.array([nn_distance, 0.0, 0.0])
    a2 = np.array([nn_distance / 2, nn_distance * np.sqrt(3.0) / 2, 0.0])
    grid = np.array([(i, j) for i in range(repeats) for j in range(repeats)], dtype=float)
    positions, labels = [], []
    for layer, letter in enumerate(sequence):
        below, above = sequence[layer - 1], sequence[(layer + 1) % len(sequence)]
        shifted = grid + letter / 3.0
        positions.append(shifted[:, :1] * a1 + shifted[:, 1:] * a2 + [0.0, 0.0, layer * spacing])
        labels += ['hcp/rh' if below == above else 'fcc'] * len(grid)
    cell = [repeats * a1, repeats * a2, [0.0, 0.0, len(sequence) * spacing]]
    atoms = Atoms([element] * len(labels), positions=np.vstack(positions), cell=cell, pbc=True)
    rotation = Rotation.random(random_state=seed).as_matrix()
    atoms.set_cell(atoms.cell.array @ rotation.T, scale_atoms=False)
    atoms.positions = atoms.positions @ rotation.T
    return atoms, labels


def slab(element: str, miller: tuple[int, ...], layers: int = 8, vacuum: float = 15.0) -> tuple[Atoms, np.ndarray]:
    """A slab of ``element`` with ``vacuum`` Angstrom of vacuum (periodic in-plane, as DFT and MD
    codes take it), repeated in-plane to about 40 Angstrom, and each atom's depth below the
    nearest surface in layers (0 = surface layer)."""
    unit = _conventional(element)
    crystal = surface(unit, miller, layers, vacuum=vacuum / 2, periodic=True)
    repeats = tuple(max(1, int(round(30.0 / length))) for length in crystal.cell.lengths()[:2]) + (1,)
    crystal = crystal.repeat(repeats)
    heights = crystal.positions @ (
        np.cross(crystal.cell[0], crystal.cell[1]) / np.linalg.norm(np.cross(crystal.cell[0], crystal.cell[1]))
    )
    planes = np.unique(np.round(heights, 1))
    depth_index = np.searchsorted(planes, np.round(heights, 1))
    depth = np.minimum(depth_index, len(planes) - 1 - depth_index)
    return crystal, depth


def crystal_liquid(element: str, repeats: int = 8, seed: int = 0) -> tuple[Atoms, np.ndarray]:
    """A crystal whose upper half is disordered like a liquid: atoms displaced by 0.4 nearest-
    neighbour distances (no Bragg peak survives), then pushed apart until no pair is closer than
    0.8 of it; True where an atom is in the disordered half. The cell is rotated at random."""
    rng = np.random.default_rng(seed)
    crystal = _conventional(element).repeat((repeats, repeats, repeats))
    rotation = Rotation.random(random_state=seed).as_matrix()
    crystal.set_cell(crystal.cell.array @ rotation.T, scale_atoms=False)
    crystal.positions = crystal.positions @ rotation.T
    upper = crystal.get_scaled_positions(wrap=True)[:, 2] >= 0.5
    distance = nearest_neighbour_distance(element)
    positions = crystal.positions.copy()
    positions[upper] += rng.normal(0.0, 0.4 * distance, (int(upper.sum()), 3))
    crystal.positions = positions
    _push_apart(crystal, upper, 0.8 * distance)
    return crystal, upper


def _push_apart(atoms: Atoms, movable: np.ndarray, shortest: float, sweeps: int = 60) -> None:
    """Move the ``movable`` atoms of close pairs apart (periodic), ``sweeps`` times at most."""
    for _ in range(sweeps):
        first, second, vectors = neighbor_list('ijD', atoms, shortest)
        if len(first) == 0:
            return
        push = np.zeros_like(atoms.positions)
        lengths = np.linalg.norm(vectors, axis=1)[:, None]
        np.add.at(push, first, -vectors / lengths * (shortest - lengths) * 0.5)
        push[~movable] = 0.0
        atoms.positions += push
