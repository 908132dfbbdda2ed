"""Structures built the way users have them, for the user-path benchmark and its CI-sized tests.

Users do not hand the pipeline standardised conventional cells. They have relaxation and MD
cells: supercells of the primitive (or conventional) cell along a non-diagonal integer matrix,
in whatever orientation the code wrote them, already perturbed (thermal displacements,
vacancies, antisite disorder) before they reach the pipeline. And they have structures that are
none of the classes: amorphous and liquid boxes, compounds of other prototypes, low-symmetry and
layered elements.

Everything here is built from real elements at their experimental lattice parameters (with a
small random strain), so that the benchmark also covers the ranges of real solids (hcp c/a from
Be's 1.57 to Cd's 1.89, the rhombohedral angles of As, Sb, Bi and Hg, both bct139 elements).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import spglib
from ase import Atoms
from ase.build import bulk, make_supercell
from ase.data import covalent_radii
from ase.neighborlist import neighbor_list
from ase.spacegroup import crystal
from scipy.spatial.transform import Rotation

from aiida_symclf.library.perturb import PerturbationLevel, exchange_species
from aiida_symclf.library.validation import _close_pairs, _reduced_cell
from aiida_symclf.testing.real_compounds import COMPOUNDS, OTHER_COMPOUNDS

__all__ = [
    'COMPOUND_LEVELS',
    'ELEMENTS',
    'LEVELS',
    'amorphous',
    'md_snapshots',
    'out_of_class_structures',
    'separated',
    'user_input',
]

Builder = Callable[[float], Atoms]  # strain factor -> primitive cell


def _rhombohedral(symbol: str, a: float, alpha: float, z: float | None) -> Builder:
    def build(strain: float) -> Atoms:
        basis = [(0, 0, 0)] if z is None else [(z, z, z)]
        return crystal(
            symbol, basis, spacegroup=166, setting=2, cellpar=[a * strain, a * strain, a * strain] + [alpha] * 3
        )

    return build


def _bct139(symbol: str, a: float, c: float) -> Builder:
    return lambda strain: bulk(symbol, 'bct', a=a * strain, c=c * strain)


def _beta_tin(a: float, c: float) -> Builder:
    def build(strain: float) -> Atoms:
        conventional = crystal(
            'Sn', [(0, 0, 0)], spacegroup=141, setting=1, cellpar=[a * strain, a * strain, c * strain, 90, 90, 90]
        )
        return conventional

    return build


def _cubic(symbol: str, kind: str, a: float) -> Builder:
    return lambda strain: bulk(symbol, kind, a=a * strain)


def _hcp(symbol: str, a: float, c: float) -> Builder:
    return lambda strain: bulk(symbol, 'hcp', a=a * strain, c=c * strain)


#: Real elements of each class with experimental lattice parameters (Angstrom, degrees).
ELEMENTS: dict[str, dict[str, Builder]] = {
    'bcc': {
        s: _cubic(s, 'bcc', a)
        for s, a in [
            ('Li', 3.51),
            ('Na', 4.29),
            ('K', 5.33),
            ('V', 3.03),
            ('Cr', 2.91),
            ('Fe', 2.87),
            ('Nb', 3.30),
            ('Mo', 3.15),
            ('Ta', 3.30),
            ('W', 3.16),
            ('Ba', 5.02),
            ('Cs', 6.14),
        ]
    },  # fmt: skip
    'fcc': {
        s: _cubic(s, 'fcc', a)
        for s, a in [
            ('Al', 4.05),
            ('Ni', 3.52),
            ('Cu', 3.61),
            ('Rh', 3.80),
            ('Pd', 3.89),
            ('Ag', 4.09),
            ('Ir', 3.84),
            ('Pt', 3.92),
            ('Au', 4.08),
            ('Pb', 4.95),
            ('Ca', 5.58),
            ('Sr', 6.08),
            ('Ar', 5.26),
        ]
    },  # fmt: skip
    'diamond': {s: _cubic(s, 'diamond', a) for s, a in [('C', 3.57), ('Si', 5.43), ('Ge', 5.66), ('Sn', 6.49)]},
    'sc': {'Po': _cubic('Po', 'sc', 3.35)},
    'hcp/rh': {
        **{
            s: _hcp(s, a, c)
            for s, a, c in [
                ('Be', 2.29, 3.58),
                ('Mg', 3.21, 5.21),
                ('Sc', 3.31, 5.27),
                ('Ti', 2.95, 4.69),
                ('Co', 2.51, 4.07),
                ('Zn', 2.66, 4.95),
                ('Y', 3.65, 5.73),
                ('Zr', 3.23, 5.15),
                ('Ru', 2.71, 4.28),
                ('Cd', 2.98, 5.62),
                ('Hf', 3.20, 5.05),
                ('Re', 2.76, 4.46),
                ('Os', 2.73, 4.32),
                ('Gd', 3.64, 5.78),
            ]
        },
        'As': _rhombohedral('As', 4.13, 54.1, 0.227),
        'Sb': _rhombohedral('Sb', 4.51, 57.1, 0.233),
        'Bi': _rhombohedral('Bi', 4.75, 57.2, 0.234),
        'Hg': _rhombohedral('Hg', 3.00, 70.5, None),
    },  # fmt: skip
    'bct139': {'In': _bct139('In', 3.25, 4.95), 'Pa': _bct139('Pa', 3.93, 3.24)},
    'bct141': {'Sn': _beta_tin(5.83, 3.18)},
}


#: The levels of the user-path benchmark.
LEVELS: tuple[PerturbationLevel, ...] = (
    PerturbationLevel(),
    PerturbationLevel(displacement=0.01),
    PerturbationLevel(displacement=0.02),
    PerturbationLevel(displacement=0.04),
    PerturbationLevel(displacement=0.08),
    PerturbationLevel(vacancy_fraction=0.10),
    PerturbationLevel(vacancy_fraction=0.25),
    PerturbationLevel(vacancy_fraction=0.50),
    PerturbationLevel(vacancy_fraction=0.60),
)
#: The levels of the compound benchmark: the elemental ones users meet most, and antisite disorder.
COMPOUND_LEVELS: tuple[PerturbationLevel, ...] = (
    PerturbationLevel(),
    PerturbationLevel(displacement=0.01),
    PerturbationLevel(displacement=0.02),
    PerturbationLevel(displacement=0.04),
    PerturbationLevel(vacancy_fraction=0.10),
    PerturbationLevel(vacancy_fraction=0.25),
    PerturbationLevel(antisite_fraction=0.01),
    PerturbationLevel(antisite_fraction=0.05),
    PerturbationLevel(antisite_fraction=0.10),
)


def random_rotation(atoms: Atoms, rng: np.random.Generator) -> Atoms:
    """Copy of ``atoms`` with cell and positions under a uniformly random rotation."""
    rotated = atoms.copy()
    matrix = Rotation.random(random_state=int(rng.integers(2**31))).as_matrix()
    rotated.set_cell(np.asarray(atoms.cell) @ matrix.T, scale_atoms=True)
    return rotated


def random_supercell(atoms: Atoms, rng: np.random.Generator, target_atoms: int = 250) -> Atoms:
    """Supercell along a random non-diagonal integer matrix with about ``target_atoms`` atoms."""
    n = max(1, round((target_atoms / len(atoms)) ** (1.0 / 3.0)))
    for _ in range(20):
        matrix = np.diag([n, n, n]) + rng.integers(-1, 2, size=(3, 3)) * (1 - np.eye(3, dtype=int))
        if round(abs(np.linalg.det(matrix))) > 0:
            return make_supercell(atoms, matrix)
    return make_supercell(atoms, np.diag([n, n, n]))


def _nearest_neighbour(atoms: Atoms) -> float:
    distances = neighbor_list('d', atoms, 1.5 * (atoms.get_volume() / len(atoms)) ** (1.0 / 3.0))
    return float(distances.min())


def perturbed(atoms: Atoms, level: PerturbationLevel, rng: np.random.Generator) -> Atoms:
    """``atoms`` with Gaussian displacements, then vacancies, then antisite exchanges, as the level says."""
    result = atoms.copy()
    if level.displacement:
        sigma = level.displacement * _nearest_neighbour(atoms)
        result.positions += rng.normal(0.0, sigma, result.positions.shape)
    if level.vacancy_fraction:
        remove = rng.choice(len(result), int(len(result) * level.vacancy_fraction), replace=False)
        del result[sorted(remove.tolist())]
    if level.antisite_fraction:
        result = exchange_species(result, level.antisite_fraction, rng)
    return result


def user_input(label: str, level: PerturbationLevel, rng: np.random.Generator) -> tuple[str, Atoms]:
    """One user-like structure of class ``label``: (element or compound name and cell kind, atoms).

    A real element (or compound, :data:`~aiida_symclf.testing.real_compounds.COMPOUNDS`) of the class, strained by up to +-2%, as its primitive or its conventional
    (standard) cell, made a ~250-atom supercell along a random non-diagonal matrix, perturbed
    and randomly rotated.
    """
    table = ELEMENTS.get(label) or COMPOUNDS[label]
    symbol = list(table)[rng.integers(len(table))]
    cell = table[symbol](float(rng.uniform(0.98, 1.02)))
    kind = 'primitive' if rng.random() < 0.5 else 'conventional'
    standard = spglib.standardize_cell(
        (cell.cell[:], cell.get_scaled_positions(), cell.numbers), to_primitive=kind == 'primitive', symprec=1e-3
    )
    if standard is not None:
        lattice, positions, numbers = standard
        cell = Atoms(numbers=numbers, cell=lattice, scaled_positions=positions, pbc=True)
    structure = random_rotation(perturbed(random_supercell(cell, rng), level, rng), rng)
    return f'{symbol} {kind}', structure


def md_snapshots(
    symbols: tuple[str, ...], temperatures: tuple[float, ...], per_run: int, rng: np.random.Generator, steps: int = 300
) -> Iterator[tuple[str, float, Atoms]]:
    """Snapshots of Langevin MD with ASE's EMT of fcc metals: (symbol, temperature, atoms).

    A ~250-atom supercell of the primitive cell along a random matrix, equilibrated for
    ``steps`` steps of 5 fs, then ``per_run`` snapshots 50 steps apart, each randomly rotated.
    """
    from ase import units
    from ase.calculators.emt import EMT
    from ase.md.langevin import Langevin

    try:
        from ase.md.velocitydistribution import thermalize_momenta
    except ImportError:  # ase < 3.29
        from ase.md.velocitydistribution import MaxwellBoltzmannDistribution as thermalize_momenta  # noqa: N813

    for symbol in symbols:
        for temperature in temperatures:
            atoms = random_supercell(bulk(symbol, 'fcc'), rng)
            atoms.calc = EMT()
            thermalize_momenta(atoms, temperature_K=temperature, rng=np.random.RandomState(rng.integers(2**31)))
            dynamics = Langevin(
                atoms,
                5 * units.fs,
                temperature_K=temperature,
                friction=0.02,
                fixcm=False,
                rng=np.random.RandomState(rng.integers(2**31)),
            )
            dynamics.run(steps)
            for _ in range(per_run):
                dynamics.run(50)
                snapshot = Atoms(atoms.numbers, positions=atoms.positions, cell=atoms.cell, pbc=True)
                yield symbol, temperature, random_rotation(snapshot, rng)


def amorphous(rng: np.random.Generator, n_atoms: int = 250, minimum: float = 2.2) -> Atoms:
    """Random close packing by rejection: no two atoms closer than ``minimum`` Angstrom."""
    box = (n_atoms * minimum**3 / 0.55) ** (1.0 / 3.0)
    positions: list[np.ndarray] = []
    while len(positions) < n_atoms:
        trial = rng.uniform(0, box, 3)
        if positions:
            delta = np.asarray(positions) - trial
            delta -= box * np.round(delta / box)
            if np.min(np.linalg.norm(delta, axis=1)) < minimum:
                continue
        positions.append(trial)
    return Atoms(f'Cu{n_atoms}', positions=positions, cell=[box] * 3, pbc=True)


def _liquid_like(rng: np.random.Generator) -> Atoms:
    """fcc Cu with Gaussian displacements of 30% of the NN distance, then atoms that came closer than
    a real liquid has them pushed apart (:func:`separated`), as an input must be physical."""
    atoms = random_supercell(bulk('Cu', 'fcc', a=3.61), rng)
    atoms.positions += rng.normal(0.0, 0.3 * 2.55, atoms.positions.shape)
    return separated(atoms)


def separated(atoms: Atoms, fraction: float = 0.75, sweeps: int = 100) -> Atoms:
    """Copy of ``atoms`` in which every pair closer than ``fraction`` x the sum of the covalent radii
    is moved apart symmetrically to that distance, sweep after sweep until none is left.

    Deterministic (no random numbers drawn), so that the structures built after it from the same
    generator stay the same. ``fraction`` is above the refusal bound of
    :data:`aiida_symclf.library.validation.MIN_DISTANCE_FRACTION`, about that of a dense liquid's closest pairs.
    """
    result = atoms.copy()
    radii = covalent_radii[result.numbers]
    cell = _reduced_cell(np.asarray(result.cell, dtype=float))
    for _ in range(sweeps):
        first, second, distances = _close_pairs(result, cell, fraction * 2.0 * float(radii.max()))
        bounds = fraction * (radii[first] + radii[second])
        close = (distances < bounds) & (first != second)
        if not close.any():
            break
        for i, j, bound in zip(first[close], second[close], bounds[close], strict=True):
            vector = result.get_distance(i, j, mic=True, vector=True)
            length = max(float(np.linalg.norm(vector)), 1e-6)
            shift = 0.5 * (bound - length) * (vector / length if length > 1e-6 else np.array([1.0, 0.0, 0.0]))
            result.positions[i] -= shift
            result.positions[j] += shift
    return result


def _elements_of_no_class() -> dict[str, Atoms]:
    graphite = Atoms(
        'C4', scaled_positions=[(0, 0, 0.25), (0, 0, 0.75), (1 / 3, 2 / 3, 0.25), (2 / 3, 1 / 3, 0.75)],
        cell=[[2.46, 0, 0], [-1.23, 2.13, 0], [0, 0, 6.71]], pbc=True,
    )  # fmt: skip
    return {
        'alpha-U (A20)': crystal('U', [(0, 0.1025, 0.25)], spacegroup=63, cellpar=[2.854, 5.869, 4.955, 90, 90, 90]),
        'alpha-Ga (A11)': crystal('Ga', [(0, 0.1549, 0.0810)], spacegroup=64, cellpar=[4.52, 7.66, 4.53, 90, 90, 90]),
        'Se trigonal (A8)': crystal('Se', [(0.217, 0, 1 / 3)], spacegroup=152, cellpar=[4.37, 4.37, 4.95, 90, 90, 120]),
        'graphite (A9)': graphite,
        'black P (A17)': crystal('P', [(0, 0.1017, 0.0806)], spacegroup=64, cellpar=[3.31, 10.48, 4.38, 90, 90, 90]),
        'alpha-Mn (A12)': crystal(['Mn'] * 4, [(0, 0, 0), (0.317, 0.317, 0.317), (0.357, 0.357, 0.034), (0.089, 0.089, 0.282)], spacegroup=217, cellpar=[8.91] * 3 + [90] * 3),
    }  # fmt: skip


def out_of_class_structures(rng: np.random.Generator, copies: int = 1) -> Iterator[tuple[str, str, Atoms]]:
    """Structures that are none of the classes: (group, name, atoms), as users would have them.

    Groups: ``amorphous`` (random close packing), ``liquid-like`` (fcc with 30% displacements),
    ``compound`` (binary and ternary prototypes of no class, :data:`~aiida_symclf.testing.real_compounds.OTHER_COMPOUNDS`), ``element of no class`` (low-symmetry
    and layered elements). Crystals are ~250-atom supercells along random matrices, rotated.
    """
    for _ in range(copies):
        yield 'amorphous', 'random close packing', amorphous(rng)
        yield 'liquid-like', 'fcc, 30% displacements', random_rotation(_liquid_like(rng), rng)
        compounds = {name: build(1.0) for name, build in OTHER_COMPOUNDS.items()}
        for group, table in (('compound', compounds), ('element of no class', _elements_of_no_class())):
            for name, cell in table.items():
                yield group, name, random_rotation(random_supercell(cell, rng), rng)
