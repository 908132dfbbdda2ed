"""Local structure maps: which crystal is where in a structure that is more than one crystal.

Why: slabs, interfaces, polycrystals and crystals next to their melt have no single lattice, so
the whole-structure path calls them ``unknown``. A map answers "what is where" with the same
fingerprint and network, after Leitherer et al. (ARISE, Nat. Commun. 12, 6234, 2021, "strided
pattern matching"), but keeps the paper's diffraction fingerprint, so each window must first be
put in its own lattice's frame.

How:

1. *Windows* on a regular grid of the cell (``stride`` apart), each a sphere of diameter ``box``
   around its centre (:class:`MapParameters`; by default a box that holds about
   :data:`WINDOW_ATOMS` atoms, which makes the map independent of the lattice constant).
   Windows with fewer than :data:`VACUUM_FRACTION` of a full window's atoms are ``vacuum``.
2. *Lattice* of each window from its own peaks in continuous reciprocal space
   (:mod:`aiida_symclf.library.local_lattice`); no lattice: ``unknown`` (a boundary between grains,
   a liquid, a disordered region).
3. *Block* (:mod:`aiida_symclf.library.window_crystals`): whole conventional cells of that
   lattice around the crystal's atoms, about the model's ``target_atoms`` sites, rotated to the
   standard frame, exactly as the whole-structure path cuts its block; then fingerprint, network (with its MC-dropout
   uncertainty) and the same Bragg-fact checks (:func:`~aiida_symclf.library.classification.
   classify_fingerprint_images`), so every window is a :class:`~aiida_symclf.library.record.
   ClassificationRecord`.
   A window across an interface between two crystals (its peaks index no single lattice, or its
   lattice leaves a third of its atoms off its sites) looks for a second lattice among the atoms
   off the first one's sites, and both crystals get a block and a record; then whether species
   are chemically ordered is decided from each block's own atoms, not from the window's mix.
4. *Atoms*: every window votes for the atoms of its sphere, weighted by their distance from
   its centre: each of its crystals for its class where the atom sits on that crystal's basis
   sites, and the window for ``unknown`` where on none (another grain's atom, the melt's); a
   window that sees no crystal votes ``unknown`` at :data:`UNKNOWN_VOTE`. Each atom takes the label with the most votes, so boundaries are resolved
   finer than the stride (atoms no window voted for take their grid cell's window's label).
5. *Summary*: the fraction of atoms per label, and the crystalline regions: neighbouring
   windows of the same class whose orientations agree within :data:`REGION_MISORIENTATION`
   degrees, each with its mean orientation (rotation from the input frame to the standard one).

Windows are processed in chunks of :data:`CHUNK_WINDOWS`, so memory stays bounded for 10^6 atoms.
"""

from __future__ import annotations

import collections
import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from ase import Atoms
from scipy.spatial import cKDTree

from aiida_symclf.library.checkpoints import checkpoint
from aiida_symclf.library.classification import UNKNOWN, classify_fingerprint_images
from aiida_symclf.library.errors import StructureError
from aiida_symclf.library.fingerprint import fingerprints_from_clusters, scaled_cluster, scattering_factors
from aiida_symclf.library.lattice import forget_reused_metrics
from aiida_symclf.library.neighbours import cell_heights, median_neighbour_distance, padded_positions
from aiida_symclf.library.orientation import mean_rotation, misorientation_degrees
from aiida_symclf.library.record import ClassificationRecord
from aiida_symclf.library.window_crystals import Crystal, WindowContext, window_crystals

__all__ = ['VACUUM', 'LocalMap', 'MapParameters', 'map_structure']

#: The label of a window (and never of an atom, unless every window is one) with too few atoms.
VACUUM = 'vacuum'
#: Atoms a default window holds (sphere of diameter ``box`` at the structure's density).
WINDOW_ATOMS = 180
#: A window with fewer atoms than this fraction of a full window is vacuum.
VACUUM_FRACTION = 0.3
#: A window whose atoms are thinner than this fraction of the box along some direction holds a
#: 2D layer (graphene, MoS2: 0-3 A against a 17 A box; a surface window of a slab is half a
#: sphere, 0.5), which no bulk class describes.
LAYER_FRACTION = 0.4
#: Fewest atoms a box must hold at the structure's density: below, no peaks can be told apart.
MIN_WINDOW_ATOMS = 40
#: Most windows of one map (about 1 GB of results); a larger grid is refused.
MAX_WINDOWS = 1_000_000
#: Windows fingerprinted and classified at once.
CHUNK_WINDOWS = 256
#: Neighbouring windows of one class closer in orientation than this (degrees) form one region.
REGION_MISORIENTATION = 5.0
#: Weight of the votes of a window that sees no crystal against a crystalline one's: a window
#: across an interface may see no lattice, while the crystalline windows beside it see each of
#: their own atoms on its site, which is the more specific evidence. Measured on the crystal/liquid
#: cells Cu x8 / Fe x10 (liquid half unknown / crystal half right, %): 0.5 gives 97.4/96.2 and
#: 97.5/95.8, 0.4 gives 96.2/96.2 and 96.7/97.5, 0.3 gives 94.9/96.2 and 95.8/97.5.
UNKNOWN_VOTE = 0.4
#: An atom is on the sites of two classes' crystals where the second class has at least this
#: share of the first one's votes (:func:`_shared_sites_resolved`).
CONTESTED_SHARE = 0.3
#: Neighbours of an atom: within this many nearest-neighbour distances (the first shell, with
#: room for displacements).
NEIGHBOUR_REACH = 1.2
#: Regions smaller than this many windows are not listed.
MIN_REGION_WINDOWS = 2

Progress = Callable[[int, int], None]


@dataclasses.dataclass(frozen=True)
class MapParameters:
    """Window size and spacing of a map, in Angstrom.

    ``box``: diameter of each window's sphere (None: one that holds about :data:`WINDOW_ATOMS`
    atoms at the structure's density). ``stride``: spacing of the window centres (None: half the box).
    """

    box: float | None = None
    stride: float | None = None

    def errors(self) -> list[str]:
        """Every problem with the values (empty if none)."""
        problems = []
        for name in ('box', 'stride'):
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                problems.append(f'{name} must be a number of Angstrom, got {value!r}')
            elif not math.isfinite(value) or value <= 0:
                problems.append(f'{name} must be positive and finite, got {value!r}')
        return problems

    def validate(self) -> None:
        """Raise ValueError naming every problem."""
        problems = self.errors()
        if problems:
            raise ValueError('; '.join(problems))


@dataclasses.dataclass
class LocalMap:
    """A structure's map: one record per window and one label per atom.

    Arrays over windows: ``centres`` (W, 3) Cartesian, ``labels`` (class, ``unknown`` or
    ``vacuum``), ``probabilities`` (W, C) over ``class_names``, ``uncertainties`` (W,),
    ``orientations`` (W, 3, 3) (NaN where no lattice), ``reasons`` (why ``unknown``). Over atoms:
    ``atom_labels`` and ``atom_probabilities`` (the probability of the atom's label in its
    window; 0 for ``unknown``). ``fractions`` maps each label to its fraction of the atoms;
    ``regions`` lists the crystalline regions (label, windows, atoms, orientation).
    """

    box: float
    stride: float
    grid: tuple[int, int, int]
    class_names: list[str]
    centres: np.ndarray
    labels: list[str]
    probabilities: np.ndarray
    uncertainties: np.ndarray
    orientations: np.ndarray
    reasons: list[str]
    atom_labels: list[str]
    atom_probabilities: np.ndarray
    fractions: dict[str, float]
    regions: list[dict[str, Any]]

    @property
    def majority_label(self) -> str:
        """The label of the most atoms."""
        return max(self.fractions, key=self.fractions.get) if self.fractions else UNKNOWN

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary (no per-window or per-atom arrays)."""
        return {
            'box': round(self.box, 3),
            'stride': round(self.stride, 3),
            'grid': list(self.grid),
            'windows': len(self.labels),
            'n_atoms': len(self.atom_labels),
            'fractions': self.fractions,
            'majority_label': self.majority_label,
            'regions': self.regions,
        }


# --------------------------------------------------------------------------------------------
# Geometry: box, grid, neighbours
# --------------------------------------------------------------------------------------------


def _window_box(spacing: float, parameters: MapParameters) -> tuple[float, float]:
    """Box and stride in Angstrom, checked against the structure's nearest-neighbour distance ``spacing``."""
    box = parameters.box if parameters.box is not None else 2 * spacing * (3 * WINDOW_ATOMS / (4 * math.pi)) ** (1 / 3)
    held = 4 / 3 * math.pi * (box / 2) ** 3 / spacing**3
    if held < MIN_WINDOW_ATOMS:
        smallest = 2 * spacing * (3 * MIN_WINDOW_ATOMS / (4 * math.pi)) ** (1 / 3)
        raise StructureError(
            f"a box of {box:g} A holds about {held:.0f} atoms at this structure's nearest-neighbour distance "
            f'({spacing:.2f} A): too few for its peaks (at least {MIN_WINDOW_ATOMS}, a box of {smallest:.1f} A)'
        )
    stride = parameters.stride if parameters.stride is not None else box / 2
    return float(box), float(stride)


def _grid(cell: np.ndarray, stride: float) -> tuple[tuple[int, int, int], np.ndarray]:
    """Grid shape and window centres (fractional, (W, 3)): cell-aligned, at most ``stride`` apart."""
    shape = tuple(int(n) for n in np.maximum(1, np.ceil(cell_heights(cell) / stride)))
    if int(np.prod(shape)) > MAX_WINDOWS:
        raise StructureError(
            f'a stride of {stride:g} A gives {int(np.prod(shape)):,} windows (grid {shape}); the limit is '
            f'{MAX_WINDOWS:,}: choose a larger stride'
        )
    axes = [(np.arange(n) + 0.5) / n for n in shape]
    return shape, np.stack(np.meshgrid(*axes, indexing='ij'), axis=-1).reshape(-1, 3)


# --------------------------------------------------------------------------------------------
# The map
# --------------------------------------------------------------------------------------------


def _thickness(relative: np.ndarray) -> float:
    """Extent of a window's atoms along their thinnest principal direction."""
    centred = relative - relative.mean(axis=0)
    _, vectors = np.linalg.eigh(centred.T @ centred)
    return float(np.ptp(centred @ vectors[:, 0]))


@dataclasses.dataclass
class _Window:
    """One window's answer, and the atoms it speaks for.

    ``members``: indices (into the padded positions) of the atoms in its sphere, ``weights``
    their Gaussian weights (nearer the centre, more weight); ``crystals`` the crystals it sees
    (one, or two across an interface: :func:`~aiida_symclf.library.window_crystals.window_crystals`). The window's own answer
    (``label``, ``record``, ``rotation``) is that of its first crystal.
    """

    label: str
    reason: str
    record: ClassificationRecord | None = None
    rotation: np.ndarray | None = None
    members: np.ndarray | None = None
    weights: np.ndarray | None = None
    crystals: list[Crystal] = dataclasses.field(default_factory=list)


def _classify_chunk(centres: np.ndarray, context: WindowContext) -> list[_Window]:
    """The answer of each window of a chunk."""
    parameters = context.model.metadata.fingerprint_parameters
    radius = context.radius
    results: list[Any] = [None] * len(centres)
    clusters, weights, lattices, pending = [], [], [], []
    for k, (centre, members) in enumerate(zip(centres, context.tree.query_ball_point(centres, radius), strict=True)):
        if len(members) < VACUUM_FRACTION * context.full:
            results[k] = _Window(VACUUM, f'{len(members)} atoms in the window: vacuum')
            continue
        members = np.asarray(members)
        relative = context.positions[members] - centre
        voters = {'members': members, 'weights': np.exp(-np.einsum('ij,ij->i', relative, relative) / (0.5 * radius**2))}
        thickness = _thickness(relative)
        if thickness < LAYER_FRACTION * 2 * radius:
            results[k] = _Window(UNKNOWN, f'a layer {thickness:.1f} A thick (2D): not a bulk crystal', **voters)
            continue
        found, reason = window_crystals(centre, members, context)
        results[k] = _Window(UNKNOWN, reason, crystals=[crystal for crystal, _ in found], **voters)
        for crystal, block in found:
            cluster = Atoms(numbers=block.numbers, positions=block.positions)
            clusters.append(scaled_cluster(cluster))
            weights.append(scattering_factors(cluster, parameters.scattering))
            lattices.append(block.facts)
            pending.append(crystal)
    if clusters:
        images = fingerprints_from_clusters(clusters, weights, parameters, device=str(context.model.device))
        for crystal, record in zip(pending, classify_fingerprint_images(images, lattices, context.model), strict=True):
            crystal.record = record
    for window in results:
        if window.crystals:
            first = window.crystals[0]
            window.label, window.reason, window.record = first.record.label, first.record.unknown_reason, first.record
            window.rotation = first.lattice.rotation if first.crystalline else None
    return results


def _atom_votes(
    windows: Sequence[_Window], owners: np.ndarray, n_atoms: int, class_names: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted votes (N, C + 1) of the windows for each atom's label (the last column ``unknown``),
    and the vote-weighted probability sums of each class.

    Each crystalline crystal of a window votes its class for the atoms of the window's sphere
    that sit on its basis sites; the window votes ``unknown`` for the others (another grain's,
    the melt's), at full weight if it saw a crystal and at :data:`UNKNOWN_VOTE` if not; vacuum
    windows do not vote. Votes weigh ``exp(-d^2 / 2 (radius / 2)^2)`` by the distance from the
    window's centre, so an atom's label is that of the windows nearest it that see it on their
    lattice: finer than the stride.
    """
    column = {name: k for k, name in enumerate(class_names)}
    unknown = len(class_names)
    votes = np.zeros((n_atoms, unknown + 1))
    probabilities = np.zeros((n_atoms, unknown + 1))
    for window in windows:
        if window.members is None:
            continue
        atoms_of = owners[window.members]
        claimed = np.zeros(len(atoms_of), dtype=bool)
        for crystal in window.crystals:
            if not crystal.crystalline or crystal.record.label not in column:
                continue
            on = crystal.on_site & ~claimed
            claimed |= on
            target = column[crystal.record.label]
            np.add.at(votes[:, target], atoms_of[on], window.weights[on])
            np.add.at(probabilities[:, target], atoms_of[on], window.weights[on] * crystal.record.probability)
        weight = 1.0 if claimed.any() else UNKNOWN_VOTE
        np.add.at(votes[:, unknown], atoms_of[~claimed], weight * window.weights[~claimed])
    return votes, probabilities


def map_structure(
    atoms: Atoms, model: Any, parameters: MapParameters | None = None, progress: Progress | None = None
) -> LocalMap:
    """The local structure map of ``atoms`` (see the module docs); StructureError if it cannot be made."""
    parameters = parameters or MapParameters()
    parameters.validate()
    if len(atoms) == 0:
        raise StructureError('the structure has no atoms')
    if not np.isfinite(atoms.positions).all():
        raise StructureError('the structure has non-finite positions')
    if abs(atoms.cell.volume) < 1e-6:
        raise StructureError('the structure has no cell (a map needs one, with vacuum around a molecule or slab)')
    forget_reused_metrics()  # the map depends on its own windows only, not on earlier maps
    spacing = median_neighbour_distance(atoms)
    box, stride = _window_box(spacing, parameters)
    radius = box / 2
    cell = np.asarray(atoms.cell, dtype=float)
    shape, fractional = _grid(cell, stride)
    centres = fractional @ cell
    positions, owners = padded_positions(atoms, 3.0 * radius + 1.0)
    numbers = atoms.get_atomic_numbers()[owners]
    tree = cKDTree(positions)
    counts = np.asarray(tree.query_ball_point(centres, radius, return_length=True))
    full = float(np.percentile(counts, 90))
    context = WindowContext(positions, owners, numbers, tree, radius, full, spacing, model)
    class_names = list(model.class_names)
    labels: list[str] = []
    reasons: list[str] = []
    probabilities = np.zeros((len(centres), len(class_names)))
    uncertainties = np.zeros(len(centres))
    orientations = np.full((len(centres), 3, 3), np.nan)
    votes = vote_probabilities = None
    for start in range(0, len(centres), CHUNK_WINDOWS):
        checkpoint('map', start, len(centres))
        if progress is not None:
            progress(start, len(centres))
        chunk = centres[start : start + CHUNK_WINDOWS]
        chunk_windows = _classify_chunk(chunk, context)
        for offset, window in enumerate(chunk_windows):
            labels.append(window.label)
            reasons.append(window.reason)
            if window.record is not None:
                probabilities[start + offset] = [window.record.probabilities[name] for name in class_names]
                uncertainties[start + offset] = window.record.uncertainty or 0.0
            if window.rotation is not None:
                orientations[start + offset] = window.rotation
        votes, vote_probabilities = _vote_sums(
            votes, vote_probabilities, chunk_windows, owners, len(atoms), class_names
        )
    if progress is not None:
        progress(len(centres), len(centres))
    atom_window = _atom_windows(atoms, shape, centres, labels)
    if votes is not None:
        votes = _shared_sites_resolved(votes, atoms, context)
    atom_labels, atom_probabilities = _atom_labels(votes, vote_probabilities, atom_window, labels, class_names)
    counter = collections.Counter(atom_labels)
    fractions = {label: round(count / len(atoms), 6) for label, count in counter.most_common()}
    regions = _regions(shape, labels, orientations, atom_window, atom_labels)
    return LocalMap(
        box=box,
        stride=stride,
        grid=shape,
        class_names=class_names,
        centres=centres,
        labels=labels,
        probabilities=probabilities,
        uncertainties=uncertainties,
        orientations=orientations,
        reasons=reasons,
        atom_labels=atom_labels,
        atom_probabilities=atom_probabilities,
        fractions=fractions,
        regions=regions,
    )


def _vote_sums(
    votes: np.ndarray | None,
    probabilities: np.ndarray | None,
    windows: Sequence[_Window],
    owners: np.ndarray,
    n_atoms: int,
    class_names: Sequence[str],
) -> tuple[np.ndarray, np.ndarray]:
    """The running sums of :func:`_atom_votes` over the chunks."""
    chunk_votes, chunk_probabilities = _atom_votes(windows, owners, n_atoms, class_names)
    if votes is None:
        return chunk_votes, chunk_probabilities
    return votes + chunk_votes, probabilities + chunk_probabilities


def _shared_sites_resolved(votes: np.ndarray, atoms: Atoms, context: WindowContext) -> np.ndarray:
    """``votes`` where each atom that sits on the sites of crystals of two classes keeps only the
    class whose crystal also holds its neighbours.

    Why: an fcc and an hcp stacking of one element share their close-packed layers, so the layers
    at the boundary between them sit on both crystals' sites, and the site votes alone give them
    to the nearer window. What tells them apart is the environment, as for CNA and PTM: the layer
    whose neighbours above and below are both on the hcp crystal's sites is hcp. An atom is
    contested where a second class has at least :data:`CONTESTED_SHARE` of the top class's votes;
    its class is the contender whose smallest share of a neighbour's votes (neighbours within
    :data:`NEIGHBOUR_REACH` nearest-neighbour distances) is the largest.
    """
    classes = votes[:, :-1]
    top = classes.max(axis=1, keepdims=True)
    contenders = (classes > 0) & (classes >= CONTESTED_SHARE * top)
    contested = np.flatnonzero(contenders.sum(axis=1) >= 2)
    if len(contested) == 0:
        return votes
    votes = votes.copy()
    shares = classes / np.maximum(votes.sum(axis=1, keepdims=True), np.finfo(float).tiny)
    wrapped = atoms.get_scaled_positions(wrap=True)[contested] @ np.asarray(atoms.cell, dtype=float)
    reach = NEIGHBOUR_REACH * context.spacing
    for atom, near in zip(contested, context.tree.query_ball_point(wrapped, reach), strict=True):
        neighbours = np.setdiff1d(context.owners[near], [atom])
        if len(neighbours) == 0:
            continue
        candidates = np.flatnonzero(contenders[atom])
        winner = candidates[np.argmax(shares[neighbours][:, candidates].min(axis=0))]
        votes[atom, candidates[candidates != winner]] = 0.0
    return votes


def _atom_labels(
    votes: np.ndarray | None,
    probabilities: np.ndarray | None,
    atom_window: np.ndarray,
    labels: Sequence[str],
    class_names: Sequence[str],
) -> tuple[list[str], np.ndarray]:
    """Each atom's label (most votes; the label of its grid cell's window where no window voted)
    and the vote-weighted probability of that label (0 for ``unknown``)."""
    names = [*class_names, UNKNOWN]
    atom_labels = [labels[w] for w in atom_window]
    atom_probabilities = np.zeros(len(atom_window))
    if votes is None:
        return atom_labels, atom_probabilities
    best = np.argmax(votes, axis=1)
    voted = votes.max(axis=1) > 0
    for atom in np.flatnonzero(voted):
        atom_labels[atom] = names[best[atom]]
    chosen = votes[np.arange(len(best)), best]
    atom_probabilities = np.where(voted, probabilities[np.arange(len(best)), best] / np.maximum(chosen, 1e-300), 0.0)
    return atom_labels, atom_probabilities


def _atom_windows(atoms: Atoms, shape: tuple[int, int, int], centres: np.ndarray, labels: Sequence[str]) -> np.ndarray:
    """The window of each atom: the one whose grid cell holds it, or where that is vacuum, the
    nearest non-vacuum window among its 26 neighbours (surface atoms)."""
    grid = np.array(shape)
    scaled = atoms.get_scaled_positions(wrap=True)
    cells = np.minimum((scaled * grid).astype(int), grid - 1)
    flat = np.ravel_multi_index(cells.T, shape)
    vacuum = np.array([label == VACUUM for label in labels])
    if not vacuum[flat].any() or vacuum.all():
        return flat
    offsets = np.array(list(np.ndindex(3, 3, 3))) - 1
    cell = np.asarray(atoms.cell, dtype=float)
    for atom in np.flatnonzero(vacuum[flat]):
        neighbours = np.ravel_multi_index(((cells[atom] + offsets) % grid).T, shape)
        candidates = neighbours[~vacuum[neighbours]]
        if len(candidates):
            delta = (np.array(np.unravel_index(candidates, shape)).T + 0.5) / grid - scaled[atom]
            delta -= np.where(atoms.pbc, np.round(delta), 0.0)
            flat[atom] = candidates[np.argmin(np.linalg.norm(delta @ cell, axis=1))]
    return flat


def _regions(
    shape: tuple[int, int, int],
    labels: Sequence[str],
    orientations: np.ndarray,
    atom_window: np.ndarray,
    atom_labels: Sequence[str],
) -> list[dict[str, Any]]:
    """Connected groups of windows (face neighbours on the periodic grid) of one class and one
    orientation (within :data:`REGION_MISORIENTATION` of the region's first window, not of the
    neighbour: boundary windows of intermediate orientation would chain two grains), with the atoms of their grid cells that carry the region's label; a region none
    of whose atoms does (a few windows on an interface, outvoted by their neighbours) is left out."""
    from aiida_symclf.library.catalogue import class_lattices

    lattices = class_lattices()
    atom_labels = np.asarray(atom_labels, dtype=object)
    seen = np.zeros(len(labels), dtype=bool)
    regions = []
    for start in range(len(labels)):
        if seen[start] or labels[start] in (UNKNOWN, VACUUM) or np.isnan(orientations[start, 0, 0]):
            continue
        bravais = next(iter(lattices.get(labels[start], {'aP': 1})))
        members, queue = [], [start]
        seen[start] = True
        while queue:
            current = queue.pop()
            members.append(current)
            for neighbour in _face_neighbours(current, shape):
                if seen[neighbour] or labels[neighbour] != labels[start] or np.isnan(orientations[neighbour, 0, 0]):
                    continue
                if (
                    misorientation_degrees(orientations[neighbour], orientations[start], bravais)
                    <= REGION_MISORIENTATION
                ):
                    seen[neighbour] = True
                    queue.append(neighbour)
        n_atoms = int(np.count_nonzero(np.isin(atom_window, members) & (atom_labels == labels[start])))
        if len(members) >= MIN_REGION_WINDOWS and n_atoms:
            rotation = mean_rotation([orientations[m] for m in members], bravais)
            regions.append(
                {
                    'label': labels[start],
                    'windows': len(members),
                    'n_atoms': n_atoms,
                    'orientation': np.round(rotation, 5).tolist(),
                }
            )
    return sorted(regions, key=lambda region: -region['n_atoms'])


def _face_neighbours(index: int, shape: tuple[int, int, int]) -> list[int]:
    cell = np.array(np.unravel_index(index, shape))
    neighbours = []
    for axis in range(3):
        for step in (-1, 1):
            moved = cell.copy()
            moved[axis] = (moved[axis] + step) % shape[axis]
            neighbours.append(int(np.ravel_multi_index(moved, shape)))
    return neighbours
