"""The crystal's lattice from its own Bragg peaks, and a block of it in the conventional frame.

Why: the network was trained on fingerprints of blocks in the conventional, standard orientation
of each class. Users' structures come in any orientation and any supercell (relaxation and MD
cells built from the primitive cell along non-diagonal matrices), perturbed before they reach
the pipeline. spglib at a fixed tolerance finds only P1 for such cells and then returns a
re-oriented triclinic cell, so the label would depend on spglib succeeding.

How, with no tolerance on atomic positions:

1. *Structure factor on the cell's reciprocal lattice.* For the (super)cell with fractional
   positions ``s_j``, ``S(h) = sum_j w_j exp(2 pi i h . s_j)`` for integer ``h`` up to
   ``|G| <= q_max``. The crystal's reciprocal lattice is a sublattice of the cell's; its points
   are Bragg peaks with ``|S|^2 / N^2`` of order one, which stays so under displacements
   (Debye-Waller factor) and vacancies, while every other point is at the noise level ``~1/N``.
2. *Bright peaks -> lattice.* The points above :data:`PEAK_FRACTION` of the brightest peak and
   above the noise floor (weaker ones in a small cell: :data:`WEAK_PEAK_MAX_POINTS`) generate an
   integer sublattice (Hermite normal form, exact integer arithmetic); its dual is the crystal's
   primitive lattice, expressed exactly through the cell. Where no three independent peaks stand
   out (amorphous or liquid-like boxes), the cell itself is the repeating unit. The main peaks
   alone (:data:`SUBSTRUCTURE_FRACTION`) give the substructure of a superstructure.
3. *Conventional frame.* spglib standardises the *lattice only* (one point per primitive cell,
   tolerance :data:`LATTICE_TOLERANCE` relative to the lattice scale): it gives the Bravais
   lattice (``cF``, ``hP``, ...), the conventional cell and the rotation to the standard
   orientation. Atomic positions never enter a tolerance.
4. *Block.* A near-cubic block of whole conventional cells is cut out of the periodic input
   (its own atoms, perturbed as they are), rotated to the standard orientation.

The same analysis tells whether species are *chemically ordered* (a compound such as NaCl or
GaAs, rather than an elemental solid or a random alloy): each species' own Bragg peaks are
compared with those of all atoms; on an ordered sublattice they differ by order one.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import math
from typing import Any

import numpy as np
import spglib
from ase import Atoms

from aiida_symclf.library.errors import StructureError

__all__ = [
    'LATTICE_TOLERANCE',
    'SUBSTRUCTURE_FRACTION',
    'WEAK_PEAK_MAX_POINTS',
    'WHOLE_NOISE_CAP',
    'WHOLE_PEAK_FRACTION',
    'BraggLattice',
    'analyse_lattice',
    'conventional_block',
    'forget_reused_metrics',
    'minkowski_reduced',
    'reduced_basis',
    'species_ordered',
    'standardise_lattice',
    'sublattice_groups',
    'unit_phases',
]

#: Reach of the structure factor, in units of ``2 pi / r`` with ``r = (V / N)^(1/3)``: the first
#: shells of peaks of every class (0.9-1.2 for the elemental classes; sc's second shell at 1.41),
#: even with 60% vacancies (the measurement behind 1.5: docs/scaling.rst, 'Constants chosen by measurement').
Q_MAX = 1.5
#: A point is a Bragg peak if its normalised intensity is at least this fraction of the
#: brightest one ...
PEAK_FRACTION = 0.1
#: ... and above ``NOISE_FACTOR / N`` (the noise of N random atoms is ``1/N`` on average,
#: exponentially distributed), capped at :data:`NOISE_CAP` so that small cells keep their peaks.
NOISE_FACTOR = 20.0
NOISE_CAP = 0.2
#: Small cells keep weaker peaks (:func:`analyse_lattice`): the superstructure reflections of
#: an ordered crystal are often below the noise cap of 0.2 (dhcp La and graphite 0.19, NbO 0.11,
#: AB12C3 cI32 0.09, alpha-N2 0.05 of the brightest), and dropping them finds the lattice too
#: small (dhcp as hcp, NbO as rocksalt, alpha-N2 as diamond). Where the strong peaks' lattice has
#: at most :data:`WEAK_PEAK_MAX_POINTS` points in the cell, a point is a peak if it is at least
#: this fraction of the brightest ...
WHOLE_PEAK_FRACTION = 0.05
#: ... and above ``NOISE_FACTOR / N`` capped at this value (not :data:`NOISE_CAP`).
WHOLE_NOISE_CAP = 0.04
#: Most lattice points (of the strong peaks' lattice) in a cell whose weak peaks are kept. The
#: trade-off, measured by ``benchmarks/weak_reflections.py`` (results/weak_reflections.json): of
#: the 31 pristine AFLOW prototypes whose lattice the strong peaks find too small, 19 get their
#: whole lattice with (0.05, 0.04, 4 points) (13 with a cap of 0.08: not alpha-N2); the rest have
#: superstructure reflections weaker still or cells of more points. Random displacements and
#: vacancies put the brightest point between the peaks of an N-atom supercell at up to ~12 / N,
#: above 0.04 below ~300 atoms, but in a cell of a few lattice points there is no noise to
#: average over: of 80 perturbed 8-atom supercells (fcc, bcc, hcp, diamond; 4-8% displacements,
#: 25-60% vacancies) one more is found to be its own lattice than with the strong peaks alone
#: (16 more with 8 points), none of 16 atoms or more; keeping weak peaks (0.05, 0.08) in cells of
#: any size would lose 26-37 more of 80 at 16-64 atoms. Larger cells (every user-path input:
#: 125-250 points) keep the thresholds of the local maps. At 4 points, 1 of 5 real pw.x MD runs of
#: the 8-atom Si cell (600 K) had frames whose thermal diffuse points passed as weak peaks (the
#: cF lattice of 4 points became cP, and the frames ``unknown``); at 3 the 8-atom cubic cells of
#: fcc and diamond lattices (4 points) keep the strong-peak thresholds, which costs alpha-N2, NbO
#: and AB12C3 cI32 their whole lattice, and keeps dhcp La, graphite and 4H-SiC (2 points).
WEAK_PEAK_MAX_POINTS = 3
#: The *main* peaks, at least this fraction of the brightest, give the substructure of a
#: superstructure (``BraggLattice.substructure_bravais``): superstructure reflections are weaker
#: (at most 0.19 of the brightest in the AFLOW prototypes whose lattice a class's network answer
#: hides: dhcp, graphite, 4H-SiC, NbO, AB12C3 cI32, A12B cF52), a class's own are not needed.
SUBSTRUCTURE_FRACTION = 0.25
#: The weak peaks of a cell whose strong ones span less than three dimensions are kept where
#: they are at least this many times the count N random atoms would give (:func:`_flat_peaks`).
FLAT_EXCESS = 3.0
#: ... or where the cell has at most this many atoms.
FLAT_ANY_ATOMS = 8
#: Atoms used for the structure factor of large cells: a random subset keeps every Bragg peak
#: (it is the same as vacancies) and bounds the cost.
MAX_ATOMS = 1000
#: Complex numbers held at once while computing the structure factor (~32 MB).
SLAB_ELEMENTS = 4_000_000
#: Relative tolerance on the *lattice* (not the atoms) when spglib finds its symmetry.
LATTICE_TOLERANCE = 0.01
#: A species whose own peaks differ from all atoms' by this much (in units of the peak
#: amplitude) sits on an ordered sublattice.
ORDER_THRESHOLD = 0.5
#: Species below this fraction of the atoms are dopants and not tested for order.
MIN_SPECIES_FRACTION = 0.1
#: Most candidate atom images when cutting a block out of the periodic input.
MAX_CANDIDATES = 5_000_000
#: Origin of the block inside a conventional cell, in fractions of its axes: generic values,
#: so that no atom of a pristine crystal sits on a face of the block.
BLOCK_OFFSET = np.array([0.0371, 0.0713, 0.0557])

_CENTRING_SYMBOL = {'P': 'P', 'I': 'I', 'F': 'F', 'R': 'R', 'C': 'S', 'A': 'S', 'B': 'S'}


@dataclasses.dataclass(frozen=True)
class BraggLattice:
    """What the Bragg peaks of a structure say about its lattice.

    ``primitive_cell`` and ``conventional_cell`` are row vectors in the frame of the input;
    ``rotation`` turns that frame into the standard orientation (``r_std = rotation @ r``).
    ``bravais`` is the Pearson-style symbol of the lattice (``cF``, ``cI``, ``cP``, ``tI``, ``hP``,
    ``hR``, ...); ``atoms_per_lattice_point`` counts the atoms present (vacancies lower it);
    ``peak_strength`` is the brightest normalised peak ``|S|^2 / N^2`` (1 for a perfect crystal
    of one atom per lattice point, ``~1/N`` for random positions); ``periodic_by_peaks`` is
    False when no three independent peaks stood out, and the cell itself was taken as the unit.
    ``lattice_points`` is the number of lattice points in the input cell and ``composition`` the
    number of atoms of each species in it: with the class's stoichiometry they tell whether the
    atoms can fill the class's sublattices (:mod:`aiida_symclf.library.stoichiometry`).
    ``sublattices`` is the number of groups of species with distinct structure factors
    (:func:`sublattice_groups`; 1 where the species are not chemically ordered): ilmenite FeTiO3
    has 3 (Fe, Ti, O), a random (Fe,Cr)2O3 has 2, like corundum. ``substructure_bravais`` and
    ``substructure_atoms_per_lattice_point`` are the lattice of the main peaks alone (above
    :data:`SUBSTRUCTURE_FRACTION` of the brightest), where the weaker ones make the lattice larger:
    the substructure of a superstructure (dhcp La's is hcp's hP with 2 atoms); '' and 0 otherwise.
    """

    primitive_cell: np.ndarray
    conventional_cell: np.ndarray
    rotation: np.ndarray
    bravais: str
    atoms_per_lattice_point: float
    lattice_points_per_conventional_cell: int
    peak_strength: float
    periodic_by_peaks: bool
    chemically_ordered: bool
    lattice_points: int = 1
    composition: dict[str, int] = dataclasses.field(default_factory=dict)
    sublattices: int = 1
    substructure_bravais: str = ''
    substructure_atoms_per_lattice_point: float = 0.0

    def summary(self) -> dict[str, Any]:
        """JSON-compatible summary, stored with each fingerprint."""
        return {
            'bravais': self.bravais,
            'atoms_per_lattice_point': round(float(self.atoms_per_lattice_point), 4),
            'peak_strength': round(float(self.peak_strength), 4),
            'periodic_by_peaks': bool(self.periodic_by_peaks),
            'chemically_ordered': bool(self.chemically_ordered),
            'lattice_points': int(self.lattice_points),
            'composition': {symbol: int(count) for symbol, count in self.composition.items()},
            'sublattices': int(self.sublattices),
            **self._substructure_summary(),
        }

    def _substructure_summary(self) -> dict[str, Any]:
        if not self.substructure_bravais:
            return {}
        return {
            'substructure_bravais': self.substructure_bravais,
            'substructure_atoms_per_lattice_point': round(float(self.substructure_atoms_per_lattice_point), 4),
        }


# --------------------------------------------------------------------------------------------
# Structure factor and peaks
# --------------------------------------------------------------------------------------------


def _h_bounds(cell: np.ndarray, q_max: float) -> np.ndarray:
    """Largest ``|h_k|`` with ``|G| <= q_max`` possible: ``q_max |a_k| / 2 pi``."""
    return np.floor(q_max * np.linalg.norm(cell, axis=1) / (2 * math.pi)).astype(int)


def unit_phases(angles: np.ndarray) -> np.ndarray:
    """``exp(i angles)`` as complex64, from float32 cosines and sines (~10x faster than numpy's complex ``exp``)."""
    angles = angles.astype(np.float32)
    phases = np.empty(angles.shape, dtype=np.complex64)
    phases.real = np.cos(angles)
    phases.imag = np.sin(angles)
    return phases


def structure_factor(scaled: np.ndarray, weights: np.ndarray, bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``S(h)`` for each column of ``weights`` (N, W) on the half box ``h_3 >= 0``: (M, W), and the ``h`` (M, 3).

    Friedel's law ``S(-h) = S(h)*`` gives the other half. The exponential factorises over the
    three axes, so each slab of the box is one matrix product ``(N, n1 n2)^T @ (N, n3 W)``
    instead of one exponential per atom and point; the columns of ``weights`` (one per species)
    share the expensive ``(N, n1 n2)`` plane. Phases are float32 (a phase of at most ~100 rad
    loses ~1e-5 rad). Slabs along ``h_1`` bound the memory to about :data:`SLAB_ELEMENTS`
    complex numbers.
    """
    n_atoms, n_columns = weights.shape
    axes = [np.arange(-b, b + 1) for b in bounds[:2]] + [np.arange(0, bounds[2] + 1)]
    factors = [unit_phases(np.outer(scaled[:, k], 2 * math.pi * axes[k])) for k in range(3)]
    last = (factors[2][:, :, None] * weights.astype(np.float32)[:, None, :]).reshape(n_atoms, -1)
    step = max(1, SLAB_ELEMENTS // max(1, n_atoms * len(axes[1])))
    slabs = []
    for start in range(0, len(axes[0]), step):
        plane = (factors[0][:, start : start + step, None] * factors[1][:, None, :]).reshape(n_atoms, -1)
        slabs.append((plane.T @ last).reshape(-1, n_columns))
    h = np.stack(np.meshgrid(*axes, indexing='ij'), axis=-1).reshape(-1, 3)
    return np.concatenate(slabs), h


def _peak_threshold(
    intensity: np.ndarray, n_effective: float, fraction: float | None = None, cap: float | None = None
) -> float:
    """Lowest normalised intensity of a Bragg peak: ``fraction`` of the brightest (default
    :data:`PEAK_FRACTION`) and above the noise floor ``NOISE_FACTOR / N`` capped at ``cap``
    (default :data:`NOISE_CAP`). Defaults are the module globals read at call time, so that
    ``benchmarks/weak_reflections.py`` can scan them."""
    fraction = PEAK_FRACTION if fraction is None else fraction
    cap = NOISE_CAP if cap is None else cap
    return max(fraction * float(intensity.max(initial=0.0)), min(NOISE_FACTOR / n_effective, cap))


#: Shortest vectors whose lattice :func:`integer_basis` tries first (it checks that every other
#: vector lies in it, and eliminates on all of them otherwise).
FIRST_VECTORS = 12


def integer_basis(vectors: np.ndarray) -> np.ndarray | None:
    """Basis (3, 3) of the integer lattice generated by ``vectors`` (M, 3); None if rank < 3.

    The lattice of the :data:`FIRST_VECTORS` shortest vectors is tried first (Bragg peaks of a
    crystal: the shortest ones generate its reciprocal lattice); it is returned if every vector
    is an integer combination of its basis, which one linear solve tells exactly for these small
    integers. Otherwise the elimination runs on all vectors.
    """
    vectors = np.asarray(vectors, dtype=np.int64).reshape(-1, 3)
    if len(vectors) > FIRST_VECTORS:
        shortest = vectors[np.argsort(np.einsum('ij,ij->i', vectors, vectors), kind='stable')[:FIRST_VECTORS]]
        basis = _eliminate(shortest)
        if basis is not None:
            coefficients = np.linalg.solve(basis.T.astype(float), vectors.T.astype(float))
            if np.all(np.abs(coefficients - np.round(coefficients)) < 1e-6):
                return basis
    return _eliminate(vectors)


def _eliminate(vectors: np.ndarray) -> np.ndarray | None:
    """Basis of the lattice of ``vectors`` by Hermite-normal-form style elimination with exact integer
    arithmetic: per column, Euclid's algorithm run on all rows at once (subtract multiples of the row
    with the smallest entry). Python integers: for the dozen rows it usually gets, 10x faster than
    numpy's per-call overhead."""
    rows = [row for row in {tuple(row) for row in vectors.tolist()} if any(row)]
    basis = []
    for column in range(3):
        while True:
            nonzero = [index for index, row in enumerate(rows) if row[column]]
            if len(nonzero) <= 1:
                break
            pivot_index = min(nonzero, key=lambda index: abs(rows[index][column]))
            pivot = rows[pivot_index]
            reduced = [
                row if index == pivot_index else _subtract(row, pivot, row[column] // pivot[column])
                for index, row in enumerate(rows)
            ]
            rows = [row for row in reduced if any(row)]
        if not nonzero:
            return None
        basis.append(rows.pop(nonzero[0]))
    return np.array(basis, dtype=np.int64)


def _subtract(row: tuple[int, ...], pivot: tuple[int, ...], factor: int) -> tuple[int, ...]:
    return tuple(a - factor * b for a, b in zip(row, pivot, strict=True))


def _peaks(amplitude: np.ndarray, forward: int, n_effective: float) -> tuple[np.ndarray, np.ndarray]:
    """Normalised intensity ``|amplitude|^2`` (the forward beam, index ``forward``, set to 0) and
    the mask of its Bragg peaks."""
    intensity = _intensity(amplitude, forward)
    return intensity, intensity >= _peak_threshold(intensity, n_effective)


def _intensity(amplitude: np.ndarray, forward: int) -> np.ndarray:
    """Normalised intensity ``|amplitude|^2``, the forward beam (index ``forward``) set to 0: it is no peak."""
    intensity = amplitude.real**2 + amplitude.imag**2
    intensity[forward] = 0.0
    return intensity


def _species_columns(numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The species present and their one-hot columns (N, S): the weights of each species' own
    structure factor (their sum is that of all atoms)."""
    species = np.unique(numbers)
    return species, (numbers[:, None] == species[None, :]).astype(np.float32)


def _species_peaks(
    species: np.ndarray, values: np.ndarray, counts: np.ndarray, forward: int
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Each tested species' own normalised amplitude and Bragg-peak mask.

    ``values`` (M, S) are the species' structure factors, ``counts`` their atoms, ``forward``
    the index of the forward beam. Species below
    :data:`MIN_SPECIES_FRACTION` of the atoms (dopants) are left out; so is a species that is
    all the atoms.
    """
    peaks = {}
    n_atoms = int(counts.sum())
    for column, (number, count) in enumerate(zip(species.tolist(), counts.tolist(), strict=True)):
        if count < MIN_SPECIES_FRACTION * n_atoms or count == n_atoms:
            continue
        amplitude = values[:, column] / count
        peaks[int(number)] = (amplitude, _peaks(amplitude, forward, count)[1])
    return peaks


def _is_ordered(species: dict[int, tuple[np.ndarray, np.ndarray]], total: np.ndarray, n_atoms: int) -> bool:
    """True if some species' own peaks differ by order one from those of all atoms."""
    all_amplitude = total / n_atoms
    return any(
        np.any(np.abs(amplitude[bright] - all_amplitude[bright]) > ORDER_THRESHOLD)
        for amplitude, bright in species.values()
    )


def sublattice_groups(species: dict[int, tuple[np.ndarray, np.ndarray]], peaks: np.ndarray) -> list[list[int]]:
    """The tested species grouped by sublattice: two species share one when their own normalised
    amplitudes agree within :data:`ORDER_THRESHOLD` on every Bragg peak (mask ``peaks``).

    Why: species mixed at random on one sublattice each see the structure factor of the whole
    sublattice (``S_a(h) / N_a`` is the same function for all of them, up to the noise of their
    number), while species on different sublattices (ilmenite's Fe and Ti on two ``c`` sites of
    the corundum cation sublattice) differ by order one on some peak. A species on several
    sublattices (Fe in Fe3O4) is one group. Grouping is transitive (connected components).
    """
    numbers = list(species)
    parent = {number: number for number in numbers}

    def root(number: int) -> int:
        while parent[number] != number:
            number = parent[number]
        return number

    for first_index, first in enumerate(numbers):
        for second in numbers[first_index + 1 :]:
            difference = np.abs(species[first][0][peaks] - species[second][0][peaks])
            if not np.any(difference > ORDER_THRESHOLD):
                parent[root(second)] = root(first)
    groups: dict[int, list[int]] = {}
    for number in numbers:
        groups.setdefault(root(number), []).append(number)
    return sorted(groups.values())


def _main_peaks(amplitude: np.ndarray, forward: int, n_effective: float) -> np.ndarray:
    """Mask of the main peaks of ``amplitude`` (see :data:`SUBSTRUCTURE_FRACTION`), above the noise floor."""
    intensity = _intensity(amplitude, forward)
    return intensity >= _peak_threshold(intensity, n_effective, SUBSTRUCTURE_FRACTION)


def _substructure_basis(
    h: np.ndarray, total: np.ndarray, n_atoms: int, species: dict[int, tuple[np.ndarray, np.ndarray]],
    counts: dict[int, int], forward: int,
) -> np.ndarray | None:  # fmt: skip
    """Basis of the lattice of the main peaks of all atoms (normalised amplitude ``total``) and of the
    tested ``species`` of an ordered structure (their atoms ``counts``): the substructure."""
    masks = [_main_peaks(total, forward, float(n_atoms))]
    masks += [_main_peaks(amplitude, forward, float(counts[number])) for number, (amplitude, _) in species.items()]
    union = np.logical_or.reduce(masks)
    return integer_basis(h[union]) if union.any() else None


def _lattice_points(basis: np.ndarray | None) -> int:
    """Lattice points in the cell of the reciprocal sublattice ``basis`` (0 for None)."""
    return 0 if basis is None else abs(round(np.linalg.det(basis)))


def _weak_peaks(intensity: np.ndarray, n_atoms: int, strong_basis: np.ndarray | None) -> np.ndarray | None:
    """The mask of all atoms' peaks with the weak thresholds where the strong peaks' lattice (with
    the species' peaks of an ordered structure), ``strong_basis``, has at most
    :data:`WEAK_PEAK_MAX_POINTS` points in the cell; None elsewhere (the strong peaks stand)."""
    if not 0 < _lattice_points(strong_basis) <= WEAK_PEAK_MAX_POINTS:
        return None
    return intensity >= _weak_threshold(intensity, n_atoms)


def _weak_threshold(intensity: np.ndarray, n_atoms: int) -> float:
    """Lowest normalised intensity of a weak peak (:data:`WHOLE_PEAK_FRACTION`, :data:`WHOLE_NOISE_CAP`)."""
    return _peak_threshold(intensity, float(n_atoms), WHOLE_PEAK_FRACTION, WHOLE_NOISE_CAP)


def _flat_peaks(intensity: np.ndarray, n_atoms: int, strong: np.ndarray) -> np.ndarray:
    """The peaks of a cell whose strong peaks (mask ``strong``) do not span three dimensions: with
    the weak thresholds where they are far more than noise, else ``strong`` itself.

    Small cells of complex or layered crystals have a flat spectrum: boron's 50- and 105-atom
    cells, Cr7C3 (40), Se (64) have their brightest points at 0.20-0.27 and only 2-4 of them
    above the noise cap of 0.2; graphite's (100) is at 1/16 of its (002). Their strong peaks
    span a plane or a line. Points of the weak thresholds (:data:`WHOLE_PEAK_FRACTION`,
    :data:`WHOLE_NOISE_CAP`) are kept when there are at least :data:`FLAT_EXCESS` times as many
    as N random atoms would give (their intensity is exponential with mean ``1/N``), so that a
    liquid with one strong noise point stays without a lattice, or where the cell has at most
    :data:`FLAT_ANY_ATOMS` atoms (no liquid is that small, and with so few atoms every point is
    "noise" by that count).
    """
    threshold = _weak_threshold(intensity, n_atoms)
    weak = intensity >= threshold
    noise = intensity.size * math.exp(-threshold * n_atoms)
    return weak if n_atoms <= FLAT_ANY_ATOMS or weak.sum() >= FLAT_EXCESS * max(noise, 1.0) else strong


def _species_basis(
    species: dict[int, tuple[np.ndarray, np.ndarray]], h: np.ndarray, bright: np.ndarray
) -> np.ndarray | None:
    """Integer basis of the reciprocal lattice generated by every species' peaks and all atoms'.

    The crystal's translations are those that map every species onto itself, so its reciprocal
    lattice is generated by the peaks of all species together: NaCl's Na and Cl peaks give the
    fcc lattice of the compound, where all atoms alike (same weight) show only the simple cubic
    one of half the lattice constant.
    """
    masks = [bright, *(mask for _, mask in species.values())]
    return integer_basis(h[np.logical_or.reduce(masks)])


# --------------------------------------------------------------------------------------------
# Lattice analysis
# --------------------------------------------------------------------------------------------


def _sample(atoms: Atoms) -> tuple[np.ndarray, np.ndarray]:
    """Fractional positions and numbers of at most :data:`MAX_ATOMS` atoms (fixed random subset)."""
    scaled = atoms.get_scaled_positions(wrap=True)
    numbers = atoms.get_atomic_numbers()
    if len(atoms) > MAX_ATOMS:
        keep = np.sort(np.random.default_rng(0).choice(len(atoms), MAX_ATOMS, replace=False))
        scaled, numbers = scaled[keep], numbers[keep]
    return scaled, numbers


def _bravais_symbol(number: int, international: str) -> str:
    """Pearson-style lattice symbol from the space group of a lattice (a holohedry)."""
    centring = _CENTRING_SYMBOL.get(international[0], 'P')
    if number <= 2:
        return 'aP'
    if number <= 15:
        return 'm' + centring
    if number <= 74:
        return 'o' + centring
    if number <= 142:
        return 't' + centring
    if number <= 194:
        return 'hR' if centring == 'R' else 'hP'
    return 'c' + centring


@functools.lru_cache(maxsize=4096)
def _conventional_of_metric(metric: tuple[float, ...], tolerance: float = LATTICE_TOLERANCE) -> tuple[np.ndarray, str]:
    """Integer matrix ``M`` (conventional rows = ``M @ reduced rows``) and Bravais symbol.

    Keyed on the (rounded, scale-free) metric of a Minkowski-reduced basis: spglib's lattice
    search costs up to ~10 ms for a cubic lattice, and a few metrics cover almost all inputs.
    """
    reduced = np.linalg.cholesky(np.array(metric).reshape(3, 3))  # rows: a basis with this metric
    dataset = spglib.get_symmetry_dataset((reduced, [[0.0, 0.0, 0.0]], [1]), symprec=tolerance)
    if dataset is None:  # spglib does not fail on a one-point lattice; be explicit anyway
        return np.eye(3, dtype=np.int64), 'aP'
    # spglib: (a_s, b_s, c_s) = (a, b, c) P^-1 with cell vectors as columns.
    conventional = np.linalg.inv(np.asarray(dataset.transformation_matrix, dtype=float)).T @ reduced
    matrix = np.round(conventional @ np.linalg.inv(reduced)).astype(np.int64)
    return matrix, _bravais_symbol(int(dataset.number), str(dataset.international))


def standard_rotation(cell: np.ndarray) -> np.ndarray:
    """Rotation turning ``cell`` (right-handed rows) into spglib's standard orientation.

    For the lattices of the classes (cubic, tetragonal, orthorhombic, hexagonal, rhombohedral in
    hexagonal axes) that is: ``a`` along ``x``, ``b`` in the ``xy`` plane, ``c`` with ``z > 0``,
    i.e. the orthogonal factor of a QR decomposition of the column matrix.
    """
    q, upper = np.linalg.qr(cell.T)
    signs = np.sign(np.diag(upper))
    signs[signs == 0] = 1.0
    return signs[:, None] * q.T


def reduced_basis(cell: np.ndarray) -> np.ndarray:
    """Minkowski-reduced, right-handed basis (rows) of the lattice of ``cell``.

    spglib's Niggli reduction (C, ~5 us) gives the three shortest non-coplanar lattice vectors,
    which in three dimensions is a Minkowski-reduced basis; ase's pure-Python Minkowski reduction
    (~130 us) is the fallback where spglib gives up.
    """
    reduced = spglib.niggli_reduce(cell)
    if reduced is None:
        from ase.geometry import minkowski_reduce

        reduced, _ = minkowski_reduce(cell)
    reduced = np.asarray(reduced, dtype=float)
    return -reduced if np.linalg.det(reduced) < 0 else reduced


def standardise_lattice(
    primitive: np.ndarray, tolerance: float = LATTICE_TOLERANCE, reuse: bool = False
) -> tuple[np.ndarray, np.ndarray, str]:
    """Conventional cell (rows, input frame), rotation to the standard frame, Bravais symbol.

    ``tolerance`` is relative to the lattice's scale; the metric is rounded one decimal finer,
    which is also the key of spglib's cached answer. ``reuse=True`` (windows of a local map,
    whose metrics scatter by their noise so that rounded keys rarely repeat) takes the answer of
    an earlier metric within a quarter of the tolerance of this one, where there is one.
    """
    reduced = reduced_basis(primitive)
    scale = np.linalg.det(reduced) ** (1.0 / 3.0)
    exact = (reduced @ reduced.T / scale**2).ravel()
    decimals = 1 + math.floor(-math.log10(tolerance) + 1e-9)
    metric = tuple(np.round(exact, decimals).tolist())
    known = _nearby_metric(exact, tolerance) if reuse else None
    matrix, bravais = _conventional_of_metric(known or metric, tolerance)
    if reuse and known is None:
        _REUSED_METRICS.setdefault(tolerance, []).append(metric)
        del _REUSED_METRICS[tolerance][:-_MAX_REUSED]
    conventional = matrix @ reduced
    if np.linalg.det(conventional) < 0:
        conventional = -conventional
    return conventional, standard_rotation(conventional), bravais


#: Metrics whose spglib answers ``standardise_lattice(..., reuse=True)`` reuses, per tolerance (most recent last).
_REUSED_METRICS: dict[float, list[tuple[float, ...]]] = {}
_MAX_REUSED = 512


def forget_reused_metrics() -> None:
    """Forget the metrics ``standardise_lattice(..., reuse=True)`` reuses, so that what follows
    does not depend on what was standardised before (each local map starts with this)."""
    _REUSED_METRICS.clear()


def _nearby_metric(exact: np.ndarray, tolerance: float) -> tuple[float, ...] | None:
    """A reused metric within a quarter of ``tolerance`` of ``exact`` (every entry), or None."""
    known = _REUSED_METRICS.get(tolerance)
    if not known:
        return None
    distances = np.abs(np.asarray(known) - exact).max(axis=1)
    nearest = int(np.argmin(distances))
    return known[nearest] if distances[nearest] < tolerance / 4 else None


def minkowski_reduced(atoms: Atoms) -> Atoms:
    """Copy of ``atoms`` on the Minkowski-reduced cell of its lattice, positions wrapped into it.

    The same crystal, described by the shortest cell vectors: a very flat triclinic cell (which
    would need millions of images to fill a block) becomes a nearly orthogonal one.
    """
    reduced_cell = reduced_basis(np.asarray(atoms.cell, dtype=float))
    reduced = atoms.copy()
    reduced.set_cell(reduced_cell, scale_atoms=False)
    reduced.pbc = True
    reduced.wrap()
    return reduced


@dataclasses.dataclass(frozen=True)
class _Diffraction:
    """The structure factor of a periodic structure's atoms (a random subset of large cells:
    :func:`_sample`) on the integer points ``h`` of its reciprocal cell up to :data:`Q_MAX`: per
    species (``by_species``, columns as ``species``) and of all atoms (``values``); ``forward`` is
    the index of ``h = 0``."""

    scaled: np.ndarray
    numbers: np.ndarray
    species: np.ndarray
    columns: np.ndarray
    by_species: np.ndarray
    h: np.ndarray
    values: np.ndarray
    forward: int

    def species_peaks(self) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Each tested species' normalised amplitude and peak mask (:func:`_species_peaks`)."""
        counts = self.columns.sum(axis=0).astype(int)
        return _species_peaks(self.species, self.by_species, counts, self.forward)


def _diffraction(atoms: Atoms) -> _Diffraction:
    """The structure factor of ``atoms`` (see :class:`_Diffraction`)."""
    cell = np.asarray(atoms.cell, dtype=float)
    scaled, numbers = _sample(atoms)
    radius = (abs(np.linalg.det(cell)) / len(atoms)) ** (1.0 / 3.0)
    species, columns = _species_columns(numbers)
    by_species, h = structure_factor(scaled, columns, _h_bounds(cell, 2 * math.pi * Q_MAX / radius))
    forward = int(np.flatnonzero(~h.any(axis=1))[0])
    return _Diffraction(scaled, numbers, species, columns, by_species, h, by_species.sum(axis=1), forward)


def species_ordered(atoms: Atoms) -> bool:
    """Whether some species of the periodic structure ``atoms`` sits on an ordered sublattice: the
    test of :func:`analyse_lattice` alone (for a local map's block of one crystal of a window
    that also holds another crystal, whose species would otherwise look ordered)."""
    if len(set(atoms.get_atomic_numbers().tolist())) < 2:
        return False
    diffraction = _diffraction(atoms)
    return _is_ordered(diffraction.species_peaks(), diffraction.values, len(diffraction.numbers))


def analyse_lattice(atoms: Atoms) -> BraggLattice:
    """The crystal lattice of a periodic structure from its Bragg peaks (see the module docs)."""
    cell = np.asarray(atoms.cell, dtype=float)
    diffraction = _diffraction(atoms)
    scaled, numbers, h, values, forward = (
        diffraction.scaled,
        diffraction.numbers,
        diffraction.h,
        diffraction.values,
        diffraction.forward,
    )
    intensity, strong = _peaks(values / len(scaled), forward, float(len(scaled)))
    strength = float(intensity.max(initial=0.0))
    basis = integer_basis(h[strong]) if strong.any() else None
    if basis is None and strong.any():
        strong = _flat_peaks(intensity, len(scaled), strong)
        basis = integer_basis(h[strong])
    periodic_by_peaks = basis is not None
    ordered, sublattices, tested = False, 1, {}
    if periodic_by_peaks and len(set(numbers)) > 1:
        tested = diffraction.species_peaks()
        ordered = _is_ordered(tested, values, len(numbers))
        if ordered:
            basis = _species_basis(tested, h, strong)
    bright = _weak_peaks(intensity, len(scaled), basis)
    if bright is None:
        bright = strong
    elif periodic_by_peaks:
        basis = _species_basis(tested, h, bright) if ordered else integer_basis(h[bright])
    if ordered:
        peaks = np.logical_or.reduce([bright, *(mask for _, mask in tested.values())])
        sublattices = len(sublattice_groups(tested, peaks))
    if basis is None:
        basis = np.eye(3, dtype=np.int64)
    n_points = _lattice_points(basis)
    primitive = np.linalg.inv(basis).T @ cell
    conventional, rotation, bravais = standardise_lattice(primitive)
    per_conventional = max(1, round(abs(np.linalg.det(conventional)) / abs(np.linalg.det(primitive))))
    sub_bravais, sub_count = '', 0.0
    if periodic_by_peaks:
        counts = dict(
            zip(diffraction.species.tolist(), diffraction.columns.sum(axis=0).astype(int).tolist(), strict=True)
        )
        main = _substructure_basis(h, values / len(scaled), len(scaled), tested if ordered else {}, counts, forward)
        if _lattice_points(main) > n_points:  # the weaker peaks make a superstructure of it
            sub_bravais = standardise_lattice(np.linalg.inv(main).T @ cell)[2]
            sub_count = len(atoms) / _lattice_points(main)
    return BraggLattice(
        primitive_cell=primitive,
        conventional_cell=conventional,
        rotation=rotation,
        bravais=bravais,
        atoms_per_lattice_point=len(atoms) / n_points,
        lattice_points_per_conventional_cell=per_conventional,
        peak_strength=strength,
        periodic_by_peaks=periodic_by_peaks,
        chemically_ordered=ordered,
        lattice_points=int(n_points),
        composition=dict(collections.Counter(atoms.get_chemical_symbols())),
        sublattices=sublattices,
        substructure_bravais=sub_bravais,
        substructure_atoms_per_lattice_point=sub_count,
    )


# --------------------------------------------------------------------------------------------
# The block
# --------------------------------------------------------------------------------------------


def replication_for_cell(cell: np.ndarray, atoms_per_cell: float, target_atoms: int) -> np.ndarray:
    """Repetitions of ``cell`` giving a near-cubic block of about ``target_atoms`` atoms."""
    volume = abs(np.linalg.det(cell))
    heights = volume / np.linalg.norm(np.cross(cell[[1, 2, 0]], cell[[2, 0, 1]]), axis=1)
    edge = (target_atoms * volume / max(atoms_per_cell, 1e-9)) ** (1.0 / 3.0)
    return np.maximum(1, np.round(edge / heights)).astype(int)


def conventional_block(atoms: Atoms, lattice: BraggLattice, target_atoms: int) -> Atoms:
    """Near-cubic block of whole conventional cells cut from the periodic ``atoms``, standard frame.

    The block holds the input's own atoms (displaced or missing as they are). Its number of
    *sites* is about ``target_atoms``: with vacancies it holds fewer atoms, as the training blocks.
    """
    cell = np.asarray(atoms.cell, dtype=float)
    conventional = lattice.conventional_cell
    sites = math.ceil(lattice.atoms_per_lattice_point - 1e-6) * lattice.lattice_points_per_conventional_cell
    repeats = replication_for_cell(conventional, sites, target_atoms)
    block_cell = conventional * repeats[:, None]
    origin = atoms.positions[0] - BLOCK_OFFSET @ conventional
    # Everything in fractions of the input cell: image ``n`` of atom ``j`` is at ``scaled[j] + n``.
    to_block = cell @ np.linalg.inv(block_cell)  # input-cell fractions -> block fractions
    origin_scaled = origin @ np.linalg.inv(cell)
    corners = np.array(np.meshgrid([0, 1], [0, 1], [0, 1], indexing='ij')).reshape(3, -1).T @ np.linalg.inv(to_block)
    corners += origin_scaled
    low = np.floor(corners.min(axis=0)).astype(int)
    high = np.ceil(corners.max(axis=0)).astype(int)  # images n with n <= corner < n + 1 cover the block
    n_images = int(np.prod(high - low))
    if n_images * len(atoms) > MAX_CANDIDATES:
        raise StructureError(
            f'the cell is too degenerate to cut a block from: {n_images} periodic images needed '
            f'(limit {MAX_CANDIDATES // max(len(atoms), 1)})'
        )
    shifts = np.stack(np.meshgrid(*[np.arange(a, b) for a, b in zip(low, high, strict=True)], indexing='ij'), -1)
    shifts = shifts.reshape(-1, 3)
    scaled = atoms.get_scaled_positions(wrap=True)
    scaled[scaled >= 1.0] -= 1.0  # wrap can round a tiny negative fraction up to exactly 1
    fractions = ((scaled - origin_scaled) @ to_block)[None, :, :] + (shifts @ to_block)[:, None, :]
    image, atom = np.nonzero(np.all((fractions >= 0.0) & (fractions < 1.0), axis=2))
    numbers = atoms.get_atomic_numbers()[atom]
    positions = (scaled[atom] + shifts[image] - origin_scaled) @ cell
    rotation = lattice.rotation
    return Atoms(
        numbers=numbers,
        positions=positions @ rotation.T,
        cell=block_cell @ rotation.T,
        pbc=True,
    )
