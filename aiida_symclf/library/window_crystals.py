"""The crystals of one window of a local map, and the block each is classified on.

Why a module of its own: a window is where a local map meets the whole-structure method. Its
lattice comes from its own peaks (:mod:`aiida_symclf.library.local_lattice`); here its atoms are
put on that lattice's basis sites, a block of whole conventional cells is cut around them in the
standard frame, exactly as the whole-structure path cuts its block, and the block's facts are
those :func:`~aiida_symclf.library.classification.classify_fingerprint_images` checks.

A window across an interface holds two crystals: :func:`window_crystals` finds the second among
the atoms off the first one's sites, gives each atom to the crystal whose site is nearer, and
decides whether each crystal's species are chemically ordered from its own block.
"""

from __future__ import annotations

import collections
import dataclasses
import math
from typing import Any

import numpy as np
from ase import Atoms
from ase.data import chemical_symbols
from scipy.spatial import cKDTree

from aiida_symclf.library.classification import UNKNOWN
from aiida_symclf.library.lattice import BLOCK_OFFSET, replication_for_cell, species_ordered
from aiida_symclf.library.local_lattice import (
    SITE_TOLERANCE,
    SPLIT_INDEXED_SHARE,
    WEAK_NOISE_CAP,
    WindowLattice,
    lattice_sites,
    on_sites,
    refined,
    site_count,
    site_distances,
    window_lattice,
)
from aiida_symclf.library.record import ClassificationRecord

__all__ = ['Block', 'Crystal', 'WindowContext', 'window_crystals']

#: A block whose most common species holds at least this share of its atoms is elemental, whatever
#: the window's species peaks say: no compound class has a species above 0.75 of its atoms, and a
#: window on an interface between two elements holds a few of the other element's atoms on its
#: crystal's sites by chance (Cu/Fe: 13%), which look like an ordered sublattice.
ELEMENT_SHARE = 0.85
#: A window whose first crystal leaves at least this share of its atoms off its sites looks for a
#: second crystal among them (a window across an interface between two crystals).
SECOND_CRYSTAL_SHARE = 0.3
#: Bravais lattices no class has (lower than tetragonal or hexagonal): a window across an
#: interface whose peaks give one has found neither crystal.
LOW_SYMMETRY = frozenset({'aP', 'mP', 'mS', 'oP', 'oS', 'oI', 'oF'})
#: Least share of a window's atoms one species must have for its own lattice to be tried
#: (:func:`_species_lattice`).
SPECIES_CRYSTAL_SHARE = 0.25
#: Why a window has no crystal when its peaks index to no lattice.
NO_LATTICE = "the window's peaks index to no lattice (a boundary, or not crystalline)"
#: Fewest atoms off the first crystal's sites for a second crystal to be looked for.
MIN_SECOND_CRYSTAL_ATOMS = 20


@dataclasses.dataclass
class Block:
    """A window's block in its lattice's standard frame: positions, atomic numbers, lattice facts
    (for :func:`~aiida_symclf.library.classification.classify_fingerprint_images`) and its cell
    (whole conventional cells)."""

    positions: np.ndarray
    numbers: np.ndarray
    facts: dict[str, Any]
    cell: np.ndarray


def cut_block(
    positions: np.ndarray,
    numbers: np.ndarray,
    anchor: np.ndarray,
    lattice: WindowLattice,
    repeats: np.ndarray,
    belongs: np.ndarray,
    n_sites: int,
) -> Block | None:
    """Atoms of ``repeats`` whole conventional cells around ``anchor`` (rotated to the standard
    frame) that ``belongs`` to the window's crystal, their numbers and the block's lattice facts;
    None if the block would be empty.

    The window's crystal has ``n_sites`` basis sites per lattice point, however many of them are
    empty: a fact vacancies cannot change (a diamond crystal with half its atoms missing still has
    two sites, where fcc has one). The atoms per lattice point of the block are capped by it: atoms
    displaced across the block's faces make the count noisy."""
    conventional = lattice.conventional_cell
    block_cell = conventional * repeats[:, None]
    origin = anchor - (BLOCK_OFFSET + repeats // 2) @ conventional
    fractions = (positions - origin) @ np.linalg.inv(block_cell)
    inside = np.all((fractions >= 0.0) & (fractions < 1.0), axis=1) & belongs
    if inside.sum() < 2:
        return None
    points = int(np.prod(repeats)) * lattice.lattice_points_per_conventional_cell
    kept = numbers[inside]
    composition = collections.Counter(chemical_symbols[number] for number in kept.tolist())
    facts = {
        'bravais': lattice.bravais,
        'atoms_per_lattice_point': round(min(float(inside.sum()) / points, float(n_sites)), 4),
        'sites_per_lattice_point': n_sites,
        'peak_strength': round(lattice.peak_strength, 4),
        'periodic_by_peaks': True,
        'chemically_ordered': lattice.chemically_ordered and max(composition.values()) < ELEMENT_SHARE * len(kept),
        'lattice_points': points,
        'composition': dict(composition),
    }
    return Block((positions[inside] - origin) @ lattice.rotation.T, kept, facts, block_cell @ lattice.rotation.T)


def _block_reach(conventional: np.ndarray, repeats: np.ndarray) -> float:
    """Distance from the anchor within which every atom of its block of ``repeats`` conventional
    cells lies: half the block's longest diagonal plus one cell's (the anchor sits in the block's
    middle cell)."""

    def diagonal(cell: np.ndarray) -> float:
        corners = np.array(list(np.ndindex(2, 2, 2))) @ cell
        return float(np.linalg.norm(corners[:, None, :] - corners[None, :, :], axis=2).max())

    return 0.5 * diagonal(conventional * repeats[:, None]) + diagonal(conventional) + 0.1


def _sites_per_conventional(lattice: WindowLattice, atoms_in_sphere: int, radius: float) -> float:
    """Sites of one conventional cell, from the sphere's density (rounded up, as vacancies lower it)."""
    per_point = atoms_in_sphere / (4 / 3 * math.pi * radius**3) * abs(np.linalg.det(lattice.primitive_cell))
    return max(1, math.ceil(per_point - 0.15)) * lattice.lattice_points_per_conventional_cell


@dataclasses.dataclass
class Crystal:
    """One crystal a window sees: its lattice, which of the window's atoms sit on its basis sites
    (``on_site``) and, once classified, its record."""

    lattice: WindowLattice
    on_site: np.ndarray
    record: ClassificationRecord | None = None

    @property
    def crystalline(self) -> bool:
        return self.record is not None and self.record.label != UNKNOWN


@dataclasses.dataclass
class WindowContext:
    """What every window of one map shares: the padded atoms (with the index of the atom each is an
    image of) and their tree, the sphere's radius, a full window's atom count, the
    nearest-neighbour distance and the model."""

    positions: np.ndarray
    owners: np.ndarray
    numbers: np.ndarray
    tree: cKDTree
    radius: float
    full: float
    spacing: float
    model: Any


@dataclasses.dataclass(frozen=True)
class _Sites:
    """Where a crystal's atoms sit: its (refined) lattice, a site of it (``anchor``, Cartesian)
    and its basis sites relative to that one (``offsets``, fractions of the primitive cell)."""

    lattice: WindowLattice
    anchor: np.ndarray
    offsets: np.ndarray

    def distances(self, positions: np.ndarray) -> np.ndarray:
        """Distance of each position from the nearest of these sites."""
        return site_distances(positions - self.anchor, self.offsets, self.lattice.primitive_cell)


def _crystal_sites(
    centre: np.ndarray, members: np.ndarray, subset: np.ndarray, lattice: WindowLattice, context: WindowContext
) -> _Sites:
    """The sites of the crystal of ``lattice`` among the window's atoms ``members[subset]``.

    The lattice is refined on those atoms (:func:`~aiida_symclf.library.local_lattice.refined`),
    the basis sites are found from their positions modulo it, and the anchor is the site nearest
    their centroid (for a window across an interface, inside the crystal's own side, so that its
    block is not half empty).
    """
    tolerance = SITE_TOLERANCE * context.spacing
    own = context.positions[members][subset] - centre
    most = 2 * site_count(own, lattice.primitive_cell)
    lattice = refined(lattice, own, lattice_sites(own, lattice.primitive_cell, tolerance, most), tolerance)
    primitive = lattice.primitive_cell
    basis = lattice_sites(own, primitive, tolerance, most)
    site = basis[0] @ primitive
    offsets = basis - basis[0]
    on_own = on_sites(own - site, offsets, primitive, tolerance)
    centroid = own[on_own].mean(axis=0) if on_own.any() else site
    anchor = centre + site + np.round((centroid - site) @ np.linalg.inv(primitive)) @ primitive
    return _Sites(lattice, anchor, offsets)


def _crystal_block(
    sites: _Sites, members: np.ndarray, subset: np.ndarray, context: WindowContext, rival: _Sites | None = None
) -> tuple[Crystal, Block | None]:
    """The crystal on ``sites`` (which of the window's atoms ``members[subset]`` sit on them) and
    its block. With a ``rival`` crystal in the window, an atom belongs to the crystal whose site
    is nearer: the other crystal's atoms that sit on this one's sites by chance are left out."""
    tolerance = SITE_TOLERANCE * context.spacing
    lattice = sites.lattice
    target = context.model.metadata.fingerprint_parameters.target_atoms
    per_conventional = _sites_per_conventional(lattice, len(members), context.radius)
    repeats = replication_for_cell(lattice.conventional_cell, per_conventional, target)
    near = np.asarray(context.tree.query_ball_point(sites.anchor, _block_reach(lattice.conventional_cell, repeats)))

    def mine(positions: np.ndarray) -> np.ndarray:
        distances = sites.distances(positions)
        return (distances < tolerance) & (True if rival is None else distances <= rival.distances(positions))

    on_site = subset & mine(context.positions[members])
    belongs = mine(context.positions[near])
    block = cut_block(
        context.positions[near], context.numbers[near], sites.anchor, lattice, repeats, belongs, len(sites.offsets)
    )
    return Crystal(lattice, on_site), block


def _order_by_block(block: Block) -> None:
    """Decide whether the block's species are chemically ordered from the block's own atoms
    (:func:`~aiida_symclf.library.lattice.species_ordered`): for a crystal of a window that also
    holds another crystal, whose species would otherwise look like an ordered sublattice."""
    periodic = Atoms(numbers=block.numbers, positions=block.positions, cell=block.cell, pbc=True)
    block.facts['chemically_ordered'] = species_ordered(periodic)


def _species_lattice(relative: np.ndarray, numbers: np.ndarray, radius: float) -> WindowLattice | None:
    """The lattice of one species' atoms alone (the most common species first, of those with at
    least :data:`SPECIES_CRYSTAL_SHARE` of the window's atoms), for a window across an interface
    between two elements whose peaks together gave a lattice of neither crystal: there each
    element's atoms are one crystal (the W side of an Al/W interface)."""
    species, counts = np.unique(numbers, return_counts=True)
    if len(species) < 2:
        return None
    for k in np.argsort(-counts):
        if counts[k] < SPECIES_CRYSTAL_SHARE * len(numbers):
            break
        own = numbers == species[k]
        lattice = window_lattice(relative[own], numbers[own], radius)
        if lattice is not None:
            return lattice
    return None


#: A window's lattice that leaves more than 1 - this share of its atoms off its sites, but holds at
#: least :data:`MOST_SITE_SHARE` of them, gets a second look at fainter peaks (:func:`_second_look`):
#: the half-cell lattices of 8%-displaced hcp windows hold 80-90%; a window across a grain
#: boundary holds fewer, and its other crystal is looked for anyway (a second look there costs
#: ~30% of a 10^5-atom polycrystal's map and finds nothing).
FULL_SITE_SHARE = 0.95
MOST_SITE_SHARE = 0.75


def _second_look(
    centre: np.ndarray, members: np.ndarray, relative: np.ndarray, context: WindowContext,
    found: tuple[_Sites, Crystal, Block | None],
) -> tuple[_Sites, Crystal, Block | None]:  # fmt: skip
    """The crystal of the window's lattice from peaks down to :data:`~aiida_symclf.library.local_lattice.WEAK_NOISE_CAP`
    where it puts more of the window's atoms on its sites than ``found`` (sites, crystal, block) does.
    ``relative``: the positions of the window's atoms ``members`` from its ``centre``."""
    lattice = window_lattice(relative, context.numbers[members], context.radius, noise_cap=WEAK_NOISE_CAP)
    if lattice is None:
        return found
    everyone = np.ones(len(members), dtype=bool)
    sites = _crystal_sites(centre, members, everyone, lattice, context)
    crystal, block = _crystal_block(sites, members, everyone, context)
    if block is None or crystal.on_site.sum() <= found[1].on_site.sum():
        return found
    return sites, crystal, block


def window_crystals(
    centre: np.ndarray, members: np.ndarray, context: WindowContext
) -> tuple[list[tuple[Crystal, Block]], str]:
    """The crystals of one window with their blocks, or none and why.

    The first is the lattice that indexes most of the window's peak intensity (at least
    :data:`~aiida_symclf.library.local_lattice.SPLIT_INDEXED_SHARE` of it); where that leaves at
    least :data:`SECOND_CRYSTAL_SHARE` of the window's atoms off its sites (a window across an
    interface), the second is the lattice of those atoms, so that both sides of the interface
    are seen.
    """
    relative = context.positions[members] - centre
    numbers = context.numbers[members]
    everyone = np.ones(len(members), dtype=bool)
    lattice = window_lattice(relative, numbers, context.radius)
    split = lattice is None
    if split:
        lattice = window_lattice(relative, numbers, context.radius, SPLIT_INDEXED_SHARE)
    if lattice is None:
        return [], NO_LATTICE
    first = _crystal_sites(centre, members, everyone, lattice, context)
    by_species = None
    if split and first.lattice.bravais in LOW_SYMMETRY:
        by_species = _species_lattice(relative, numbers, context.radius)
        if by_species is not None:
            first = _crystal_sites(centre, members, everyone, by_species, context)
    crystal, block = _crystal_block(first, members, everyone, context)
    if not split and MOST_SITE_SHARE <= crystal.on_site.mean() < FULL_SITE_SHARE:
        first, crystal, block = _second_look(centre, members, relative, context, (first, crystal, block))
    if block is None:
        return [], "no atoms in the window's block"
    found = [(crystal, block)]
    rest = ~crystal.on_site
    if split or rest.sum() >= max(SECOND_CRYSTAL_SHARE * len(members), MIN_SECOND_CRYSTAL_ATOMS):
        lattice = window_lattice(relative[rest], numbers[rest], context.radius) if rest.sum() >= 8 else None
        if lattice is not None:
            second = _crystal_sites(centre, members, rest, lattice, context)
            pair = [_crystal_block(first, members, everyone, context, second)]
            pair.append(_crystal_block(second, members, rest, context, first))
            if all(block is not None for _, block in pair):
                found = pair
        if split and len(found) < 2 and by_species is None:  # a crystal next to its melt, not an interface
            return [], NO_LATTICE
        for _, block in found:
            _order_by_block(block)
    return found, ''
