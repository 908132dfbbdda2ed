"""Compound prototypes: the binary and ternary structure types DFT users relax most often.

Each prototype is built from its Wyckoff positions with :func:`ase.spacegroup.crystal`, with
random chemistry (distinct random elements on its sublattices, so that nothing can be learnt
about one example's chemistry), the free lattice ratios and internal parameters drawn over the
ranges of real compounds, and identified by its AFLOW prototype label (Mehl et al., *The AFLOW
Library of Crystallographic Prototypes*, Comp. Mat. Sci. 136, S1, 2017; newer editions append
``-001`` to labels, which we leave out) next to its Strukturbericht designation.

AFLOW orders the species of a label alphabetically by element of the prototype compound
(``A2B_tP6_136_f_a`` is rutile O2Ti: O on 4f, Ti on 2a). The fingerprint of these classes uses
``species_rank`` scattering (:func:`aiida_symclf.library.fingerprint.scattering_factors`), which sees
sublattices, not elements: anti-structures (anti-fluorite Li2O, anti-NiAs) are the same class.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence

import numpy as np
from ase import Atoms
from ase.data import chemical_symbols
from ase.spacegroup import crystal

__all__ = ['COMPOUND_PROTOTYPES', 'CompoundPrototype', 'random_species']

#: Elements the generators draw from (H to Bi, noble gases excluded): only their number and
#: their ranking by abundance and atomic number reach the fingerprint.
ELEMENT_POOL = tuple(z for z in range(3, 84) if chemical_symbols[z] not in ('Ne', 'Ar', 'Kr', 'Xe'))

Generator = Callable[[np.random.Generator], Atoms]


@dataclasses.dataclass(frozen=True)
class CompoundPrototype:
    """One compound class: readable name, AFLOW label, Strukturbericht symbol, example compound,
    space group, Bravais lattice with atoms per lattice point, parameter ranges and generator."""

    name: str
    aflow_prototype: str
    strukturbericht: str
    example: str
    space_group: int
    lattice: tuple[str, int]
    parameter_ranges: str
    generate: Generator


def random_species(rng: np.random.Generator, count: int) -> list[str]:
    """``count`` distinct random element symbols."""
    return [chemical_symbols[z] for z in rng.choice(ELEMENT_POOL, size=count, replace=False)]


def _cubic(
    rng: np.random.Generator, group: int, basis: Sequence[tuple[float, float, float]], setting: int = 1
) -> Atoms:
    a = float(rng.uniform(3.0, 7.0))
    return crystal(
        random_species(rng, len(basis)), basis, spacegroup=group, setting=setting, cellpar=[a, a, a, 90, 90, 90]
    )


def _tetragonal(
    rng: np.random.Generator, group: int, basis: Sequence[tuple[float, float, float]], c_over_a: float
) -> Atoms:
    a = float(rng.uniform(3.0, 6.0))
    return crystal(random_species(rng, len(basis)), basis, spacegroup=group, cellpar=[a, a, a * c_over_a, 90, 90, 90])


def _hexagonal(
    rng: np.random.Generator, group: int, basis: Sequence[tuple[float, float, float]], c_over_a: float,
    species: Sequence[str] | None = None,
) -> Atoms:  # fmt: skip
    a = float(rng.uniform(2.5, 5.0))
    symbols = list(species) if species is not None else random_species(rng, len(basis))
    return crystal(symbols, basis, spacegroup=group, cellpar=[a, a, a * c_over_a, 90, 90, 120])


def _u(rng: np.random.Generator, low: float, high: float) -> float:
    return float(rng.uniform(low, high))


def _rocksalt(rng: np.random.Generator) -> Atoms:
    return _cubic(rng, 225, [(0, 0, 0), (0.5, 0.5, 0.5)])


def _cesium_chloride(rng: np.random.Generator) -> Atoms:
    return _cubic(rng, 221, [(0, 0, 0), (0.5, 0.5, 0.5)])


def _zincblende(rng: np.random.Generator) -> Atoms:
    return _cubic(rng, 216, [(0, 0, 0), (0.25, 0.25, 0.25)])


def _wurtzite(rng: np.random.Generator) -> Atoms:
    u = _u(rng, 0.365, 0.39)
    return _hexagonal(rng, 186, [(1 / 3, 2 / 3, 0), (1 / 3, 2 / 3, u)], _u(rng, 1.58, 1.68))


def _nickel_arsenide(rng: np.random.Generator) -> Atoms:
    return _hexagonal(rng, 194, [(0, 0, 0), (1 / 3, 2 / 3, 0.25)], _u(rng, 1.22, 1.78))


def _fluorite(rng: np.random.Generator) -> Atoms:
    return _cubic(rng, 225, [(0, 0, 0), (0.25, 0.25, 0.25)])


def _rutile(rng: np.random.Generator) -> Atoms:
    x = _u(rng, 0.295, 0.31)
    return _tetragonal(rng, 136, [(0, 0, 0), (x, x, 0)], _u(rng, 0.58, 0.72))


def _cadmium_iodide(rng: np.random.Generator) -> Atoms:
    z = _u(rng, 0.22, 0.28)
    return _hexagonal(rng, 164, [(0, 0, 0), (1 / 3, 2 / 3, z)], _u(rng, 1.3, 1.8))


def _aluminium_diboride(rng: np.random.Generator) -> Atoms:
    return _hexagonal(rng, 191, [(0, 0, 0), (1 / 3, 2 / 3, 0.5)], _u(rng, 0.95, 1.2))


def _laves_c15(rng: np.random.Generator) -> Atoms:
    return _cubic(rng, 227, [(0.125, 0.125, 0.125), (0.5, 0.5, 0.5)], setting=2)


def _laves_c14(rng: np.random.Generator) -> Atoms:
    big, small = random_species(rng, 2)
    z, x = _u(rng, 0.055, 0.07), _u(rng, -0.175, -0.16)
    return _hexagonal(
        rng, 194, [(1 / 3, 2 / 3, z), (0, 0, 0), (x, 2 * x, 0.25)], _u(rng, 1.59, 1.66), [big, small, small]
    )


def _l1_0(rng: np.random.Generator) -> Atoms:
    c_over_a_fcc = float(rng.choice([_u(rng, 0.88, 0.98), _u(rng, 1.02, 1.3)]))
    return _tetragonal(rng, 123, [(0, 0, 0), (0.5, 0.5, 0.5)], math.sqrt(2) * c_over_a_fcc)


def _l1_2(rng: np.random.Generator) -> Atoms:
    return _cubic(rng, 221, [(0, 0, 0), (0, 0.5, 0.5)])


def _d0_3(rng: np.random.Generator) -> Atoms:
    a = float(rng.uniform(4.5, 7.0))
    first, second = random_species(rng, 2)
    basis = [(0, 0, 0), (0.5, 0.5, 0.5), (0.25, 0.25, 0.25)]
    return crystal([first, second, second], basis, spacegroup=225, cellpar=[a, a, a, 90, 90, 90])


def _d0_19(rng: np.random.Generator) -> Atoms:
    x = _u(rng, 0.82, 0.845)
    return _hexagonal(rng, 194, [(x, 2 * x, 0.25), (1 / 3, 2 / 3, 0.25)], _u(rng, 0.78, 0.84))


def _d0_22(rng: np.random.Generator) -> Atoms:
    a = float(rng.uniform(3.5, 4.2))
    first, second = random_species(rng, 2)
    basis = [(0, 0, 0), (0, 0, 0.5), (0, 0.5, 0.25)]
    return crystal([first, second, second], basis, spacegroup=139, cellpar=[a, a, a * _u(rng, 2.0, 2.3), 90, 90, 90])


def _a15(rng: np.random.Generator) -> Atoms:
    return _cubic(rng, 223, [(0, 0, 0), (0.25, 0, 0.5)])


def _perovskite(rng: np.random.Generator) -> Atoms:
    return _cubic(rng, 221, [(0, 0, 0), (0.5, 0.5, 0.5), (0.5, 0.5, 0)])


def _half_heusler(rng: np.random.Generator) -> Atoms:
    return _cubic(rng, 216, [(0, 0, 0), (0.5, 0.5, 0.5), (0.25, 0.25, 0.25)])


def _heusler(rng: np.random.Generator) -> Atoms:
    return _cubic(rng, 225, [(0, 0, 0), (0.5, 0.5, 0.5), (0.25, 0.25, 0.25)])


def _tungsten_carbide(rng: np.random.Generator) -> Atoms:
    return _hexagonal(rng, 187, [(0, 0, 0), (1 / 3, 2 / 3, 0.5)], _u(rng, 0.93, 1.0))


def _b20(rng: np.random.Generator) -> Atoms:
    u, v = _u(rng, 0.13, 0.145), _u(rng, 0.835, 0.85)
    return _cubic(rng, 198, [(u, u, u), (v, v, v)])


def _pyrite(rng: np.random.Generator) -> Atoms:
    x = _u(rng, 0.375, 0.405)
    return _cubic(rng, 205, [(0, 0, 0), (x, x, x)])


def _corundum(rng: np.random.Generator) -> Atoms:
    z, x = _u(rng, 0.34, 0.36), _u(rng, 0.29, 0.32)
    return _hexagonal(rng, 167, [(0, 0, z), (x, 0, 0.25)], _u(rng, 2.6, 2.86))


def _spinel(rng: np.random.Generator) -> Atoms:
    u = _u(rng, 0.25, 0.27)
    return _cubic(rng, 227, [(0.125, 0.125, 0.125), (0.5, 0.5, 0.5), (u, u, u)], setting=2)


def _hexagonal_boron_nitride(rng: np.random.Generator) -> Atoms:
    return _hexagonal(rng, 194, [(1 / 3, 2 / 3, 0.25), (1 / 3, 2 / 3, 0.75)], _u(rng, 2.5, 2.8))


P = CompoundPrototype
#: The compound classes, in the network's output order after the elemental classes.
COMPOUND_PROTOTYPES: tuple[CompoundPrototype, ...] = (
    P('rocksalt', 'AB_cF8_225_a_b', 'B1', 'NaCl', 225, ('cF', 2), 'a 3-7 A', _rocksalt),
    P('CsCl', 'AB_cP2_221_b_a', 'B2', 'CsCl', 221, ('cP', 2), 'a 3-7 A', _cesium_chloride),
    P('zincblende', 'AB_cF8_216_c_a', 'B3', 'ZnS', 216, ('cF', 2), 'a 3-7 A', _zincblende),
    P('wurtzite', 'AB_hP4_186_b_b', 'B4', 'ZnO', 186, ('hP', 4), 'c/a 1.58-1.68, u 0.365-0.39', _wurtzite),
    P('NiAs', 'AB_hP4_194_c_a', 'B8_1', 'NiAs', 194, ('hP', 4), 'c/a 1.22-1.78', _nickel_arsenide),
    P('fluorite', 'AB2_cF12_225_a_c', 'C1', 'CaF2', 225, ('cF', 3), 'a 3-7 A', _fluorite),
    P('rutile', 'A2B_tP6_136_f_a', 'C4', 'TiO2', 136, ('tP', 6), 'c/a 0.58-0.72, x 0.295-0.31', _rutile),
    P('CdI2', 'AB2_hP3_164_a_d', 'C6', 'CdI2', 164, ('hP', 3), 'c/a 1.3-1.8, z 0.22-0.28', _cadmium_iodide),
    P('AlB2', 'AB2_hP3_191_a_d', 'C32', 'AlB2', 191, ('hP', 3), 'c/a 0.95-1.2', _aluminium_diboride),
    P('Laves-C15', 'A2B_cF24_227_d_a', 'C15', 'MgCu2', 227, ('cF', 6), 'a 3-7 A', _laves_c15),
    P('Laves-C14', 'AB2_hP12_194_f_ah', 'C14', 'MgZn2', 194, ('hP', 12), 'c/a 1.59-1.66, z 0.055-0.07, x -0.175--0.16', _laves_c14),
    P('L1_0', 'AB_tP2_123_a_d', 'L1_0', 'CuAu', 123, ('tP', 2), 'c/a (fcc) 0.88-0.98 or 1.02-1.3', _l1_0),
    P('L1_2', 'AB3_cP4_221_a_c', 'L1_2', 'Cu3Au', 221, ('cP', 4), 'a 3-7 A', _l1_2),
    P('D0_3', 'AB3_cF16_225_a_bc', 'D0_3', 'BiF3', 225, ('cF', 4), 'a 4.5-7 A', _d0_3),
    P('D0_19', 'A3B_hP8_194_h_c', 'D0_19', 'Ni3Sn', 194, ('hP', 8), 'c/a 0.78-0.84, x 0.82-0.845', _d0_19),
    P('D0_22', 'A3B_tI8_139_bd_a', 'D0_22', 'Al3Ti', 139, ('tI', 4), 'c/a 2.0-2.3', _d0_22),
    P('A15', 'A3B_cP8_223_c_a', 'A15', 'Cr3Si', 223, ('cP', 8), 'a 3-7 A', _a15),
    P('perovskite', 'AB3C_cP5_221_a_c_b', 'E2_1', 'CaTiO3', 221, ('cP', 5), 'a 3-7 A', _perovskite),
    P('half-Heusler', 'ABC_cF12_216_b_c_a', 'C1_b', 'MgAgAs', 216, ('cF', 3), 'a 3-7 A', _half_heusler),
    P('Heusler', 'AB2C_cF16_225_a_c_b', 'L2_1', 'AlCu2Mn', 225, ('cF', 4), 'a 3-7 A', _heusler),
    P('WC', 'AB_hP2_187_d_a', 'B_h', 'WC', 187, ('hP', 2), 'c/a 0.93-1.0', _tungsten_carbide),
    P('B20', 'AB_cP8_198_a_a', 'B20', 'FeSi', 198, ('cP', 8), 'u 0.13-0.145, v 0.835-0.85', _b20),
    P('pyrite', 'AB2_cP12_205_a_c', 'C2', 'FeS2', 205, ('cP', 12), 'x 0.375-0.405', _pyrite),
    P('corundum', 'A2B3_hR10_167_c_e', 'D5_1', 'Al2O3', 167, ('hR', 10), 'c/a 2.6-2.86, z 0.34-0.36, x 0.29-0.32', _corundum),
    P('spinel', 'A2BC4_cF56_227_d_a_e', 'H1_1', 'Al2MgO4', 227, ('cF', 14), 'u 0.25-0.27 (origin 2)', _spinel),
    P('hBN', 'AB_hP4_194_c_d', 'B_k', 'BN', 194, ('hP', 4), 'c/a 2.5-2.8', _hexagonal_boron_nitride),
)  # fmt: skip
del P
