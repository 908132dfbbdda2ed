"""Whether a structure's atoms can fill the sublattices of a compound class: the stoichiometry fact.

Why: the fingerprint's ``species_rank`` contrast shows sublattices, not how many atoms each holds,
and the network answers one of its classes for any pattern close enough. ReO3 (Re on 1a, O on
3d) looks like a perovskite with an empty A site; NaTl (1:1 on two diamond sublattices) like
BiF3 (D0_3, 1:3). Counting settles it without any tolerance on positions.

How: the AFLOW label of a class gives its stoichiometry (``AB3C_cP5_221_a_c_b``: 1, 3, 1 of every
5 atoms); with the atoms per lattice point of the class and the lattice points of the input cell
(both from the Bragg lattice) that is the number of *sites* of each of the class's species. The
structure fits if its species can be put on those site sets, where

- several species may share one site set (a random alloy on a sublattice, dopants), and
- one species may fill several site sets (Fe3O4 as a spinel: Fe on both cation sites),

and what stays empty is compatible with random vacancies: each site set's number of atoms is
tested against the overall occupancy (hypergeometric distribution, two-sided, Bonferroni over the
site sets). The best placement's p-value is the fact; below :data:`MIN_FIT_PROBABILITY` the
structure is none of the class.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence

import numpy as np
from scipy.special import gammaln

__all__ = ['MIN_FIT_PROBABILITY', 'fit_probability', 'site_counts', 'stoichiometry']

#: A placement is rejected when random vacancies would leave its site sets this unevenly
#: filled less often than this (one in 10,000 defective inputs of the class may be refused).
MIN_FIT_PROBABILITY = 1e-4
#: More species than this are not tested (a high-entropy compound: too many placements).
MAX_SPECIES = 6


def stoichiometry(aflow_prototype: str) -> tuple[int, ...]:
    """Atoms of each species in the formula unit of an AFLOW label: ``A2BC4_cF56_227_d_a_e`` -> (2, 1, 4).

    A label without a formula (``sigma_tP30_136_bf2ij``: the sigma phase, a random alloy on all its
    sites) counts as one site set: ``(1,)``."""
    formula = aflow_prototype.split('_', 1)[0]
    return tuple(int(count or 1) for _, count in re.findall(r'([A-Z])(\d*)', formula)) or (1,)


def site_counts(aflow_prototype: str, atoms_per_lattice_point: int, lattice_points: int) -> tuple[int, ...]:
    """Sites of each species of the class in a cell of ``lattice_points`` lattice points."""
    ratio = stoichiometry(aflow_prototype)
    per_point = atoms_per_lattice_point / sum(ratio)
    return tuple(round(count * per_point * lattice_points) for count in ratio)


def _set_partitions(items: Sequence[int]) -> Iterator[list[list[int]]]:
    """Every partition of ``items`` into non-empty blocks."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for partition in _set_partitions(rest):
        yield [[first], *partition]
        for index in range(len(partition)):
            yield [*partition[:index], [first, *partition[index]], *partition[index + 1 :]]


def _placements(n_species: int, n_site_sets: int) -> Iterator[tuple[list[list[int]], tuple[int, ...]]]:
    """(blocks of site sets, block of each species): every block gets a species, and a block of
    several site sets gets exactly one (one species on several sublattices, not a mixture)."""
    for blocks in _set_partitions(list(range(n_site_sets))):
        for owner in itertools.product(range(len(blocks)), repeat=n_species):
            holders = [owner.count(block) for block in range(len(blocks))]
            if all(held >= 1 and (held == 1 or len(blocks[block]) == 1) for block, held in enumerate(holders)):
                yield blocks, owner


def _hypergeometric_two_sided(held: int, total_sites: int, total_atoms: int, capacity: int) -> float:
    """Two-sided p-value of ``held`` atoms in ``capacity`` of ``total_sites`` sites holding ``total_atoms``
    atoms at random (the whole distribution at once: ~20 us, where a ``scipy.stats`` call costs ~0.5 ms)."""
    k = np.arange(max(0, total_atoms + capacity - total_sites), min(capacity, total_atoms) + 1)
    log_pmf = (
        gammaln(capacity + 1) - gammaln(k + 1) - gammaln(capacity - k + 1)
        + gammaln(total_sites - capacity + 1) - gammaln(total_atoms - k + 1)
        - gammaln(total_sites - capacity - total_atoms + k + 1)
        - gammaln(total_sites + 1) + gammaln(total_atoms + 1) + gammaln(total_sites - total_atoms + 1)
    )  # fmt: skip
    pmf = np.exp(log_pmf)
    return min(1.0, 2.0 * min(float(pmf[k <= held].sum()), float(pmf[k >= held].sum())))


def _uniform_vacancy_probability(atoms: Sequence[int], sites: Sequence[int]) -> float:
    """p-value of the site sets' fillings ``atoms`` under vacancies spread at random over ``sites``."""
    total_sites, total_atoms = sum(sites), sum(atoms)
    if total_atoms == total_sites:
        return 1.0
    worst = min(
        _hypergeometric_two_sided(held, total_sites, total_atoms, capacity)
        for held, capacity in zip(atoms, sites, strict=True)
    )
    return min(1.0, worst * len(sites))


def fit_probability(counts: Sequence[int], sites: Sequence[int]) -> float:
    """Best p-value over the placements of species with ``counts`` atoms on site sets of ``sites``.

    0 when no placement fits (a site set over-full, or a species left without room); 1 for an
    exact fit; not tested (1) for more than :data:`MAX_SPECIES` species.
    """
    counts = [int(count) for count in counts if count > 0]
    if len(counts) > MAX_SPECIES or not sites:
        return 1.0
    best = 0.0
    for blocks, owner in _placements(len(counts), len(sites)):
        atoms = [
            sum(count for count, block in zip(counts, owner, strict=True) if block == index)
            for index in range(len(blocks))
        ]
        capacity = [sum(sites[i] for i in block) for block in blocks]
        if all(held <= room for held, room in zip(atoms, capacity, strict=True)):
            best = max(best, _uniform_vacancy_probability(atoms, capacity))
            if best >= 1.0:
                break
    return best
