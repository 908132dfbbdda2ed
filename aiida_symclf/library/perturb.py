"""Defective structures: random displacements and vacancies (Ziletti et al. 2018, Methods).

One perturbation level, :class:`PerturbationLevel`, with one vocabulary everywhere (the
WorkChain's ``perturbations`` input, the CalcFunctions, compact mode, training and the CLI):
``displacement`` (delta, a fraction of the nearest-neighbour distance), ``vacancy_fraction``
(eta), ``replicas`` and ``seed``. Perturbations are seeded with a :class:`numpy.random.Generator`
so that every perturbed structure can be reproduced from its level.

- Displacements: each Cartesian component of each position gets Gaussian noise with
  standard deviation ``sigma = delta * d_NN``, ``d_NN`` the mean nearest-neighbour distance.
- Vacancies: ``int(N * eta)`` atoms, chosen uniformly at random, are removed.
- Antisite disorder (compounds): ``int(N * f / 2)`` pairs of atoms of different species, chosen
  uniformly at random, exchange their species, so that a fraction ``f`` of the atoms sits on a
  site of another species (composition unchanged; nothing happens in an elemental solid).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from ase import Atoms

from aiida_symclf.library.fingerprint import nearest_neighbour_distance
from aiida_symclf.library.parameters import from_known_keys

__all__ = ['PerturbationLevel', 'displace_atoms', 'exchange_species', 'format_levels', 'perturb_atoms', 'remove_atoms']


@dataclasses.dataclass(frozen=True)
class PerturbationLevel:
    """One perturbation level: ``displacement`` is delta (a fraction of d_NN, 0.01 = 1%),
    ``vacancy_fraction`` is eta in ``[0, 1)``, ``seed`` makes it reproducible and ``replicas`` says
    how many perturbed copies to make (replica ``r`` uses ``seed + r``); ``antisite_fraction``
    is the fraction of atoms moved onto a site of another species. Every invalid field is
    reported at once."""

    displacement: float = 0.0
    vacancy_fraction: float = 0.0
    seed: int = 0
    replicas: int = 1
    antisite_fraction: float = 0.0

    def __post_init__(self) -> None:
        errors = []
        for name in ('displacement', 'vacancy_fraction', 'antisite_fraction'):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                errors.append(f'{name} must be a finite number, got {value!r}')
        if not errors and self.displacement < 0:
            errors.append(f'displacement must be >= 0, got {self.displacement}')
        if not errors and not 0 <= self.vacancy_fraction < 1:
            errors.append(f'vacancy_fraction must be in [0, 1), got {self.vacancy_fraction}')
        if not errors and not 0 <= self.antisite_fraction <= 1:
            errors.append(f'antisite_fraction must be in [0, 1], got {self.antisite_fraction}')
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            errors.append(f'seed must be a non-negative integer, got {self.seed!r}')
        if isinstance(self.replicas, bool) or not isinstance(self.replicas, int) or self.replicas < 1:
            errors.append(f'replicas must be a positive integer, got {self.replicas!r}')
        if errors:
            raise ValueError('; '.join(errors))

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> PerturbationLevel:
        """From a dictionary with the field names as keys; unknown keys are an error."""
        return from_known_keys(cls, values, 'perturbation keys')

    @classmethod
    def parse_list(cls, text: str) -> tuple[PerturbationLevel, ...]:
        """``'pristine'`` or ``'displacement:vacancy_fraction[:antisite_fraction],...'`` (fractions,
        e.g. ``0.02:0.1`` or ``0:0:0.05``)."""
        if text == 'pristine':
            return (cls(),)
        try:
            levels = []
            for item in text.split(','):
                values = [float(value) for value in item.split(':')]
                if len(values) not in (2, 3):
                    raise ValueError(item)
                levels.append(cls(values[0], values[1], antisite_fraction=values[2] if len(values) == 3 else 0.0))
            return tuple(levels)
        except ValueError as exception:
            raise ValueError(
                f"levels must be 'pristine' or 'displacement:vacancy_fraction[:antisite_fraction],...', got {text!r}"
            ) from exception

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @property
    def name(self) -> str:
        """``'pristine'``, ``'displacement 2%'``, ``'vacancies 10%'``, ``'antisites 1%'`` (joined by ``', '``)."""
        parts = [
            f'{word} {100 * value:g}%'
            for word, value in (
                ('displacement', self.displacement),
                ('vacancies', self.vacancy_fraction),
                ('antisites', self.antisite_fraction),
            )
            if value
        ]
        return ', '.join(parts) or 'pristine'

    def replica(self, index: int) -> PerturbationLevel:
        """The level of replica ``index``: the same perturbation with seed ``seed + index``."""
        return dataclasses.replace(self, seed=self.seed + index, replicas=1)


def format_levels(levels: Sequence[PerturbationLevel]) -> str:
    """The text :meth:`PerturbationLevel.parse_list` reads: ``'displacement:vacancy_fraction[:antisite],...'``."""
    return ','.join(
        f'{level.displacement:g}:{level.vacancy_fraction:g}'
        + (f':{level.antisite_fraction:g}' if level.antisite_fraction else '')
        for level in levels
    )


def displace_atoms(atoms: Atoms, displacement: float, rng: np.random.Generator) -> Atoms:
    """Copy of ``atoms`` with Gaussian noise ``sigma = displacement * d_NN`` on every component."""
    displaced = atoms.copy()
    if displacement > 0:
        sigma = displacement * nearest_neighbour_distance(atoms.get_positions())
        displaced.positions += rng.normal(0.0, sigma, size=displaced.positions.shape)
    return displaced


def remove_atoms(atoms: Atoms, vacancy_fraction: float, rng: np.random.Generator) -> Atoms:
    """Copy of ``atoms`` with ``int(N * vacancy_fraction)`` atoms removed uniformly at random."""
    n_remove = int(len(atoms) * vacancy_fraction)
    removed = rng.choice(len(atoms), size=n_remove, replace=False)
    keep = np.ones(len(atoms), dtype=bool)
    keep[removed] = False
    return atoms[keep]


def exchange_species(atoms: Atoms, antisite_fraction: float, rng: np.random.Generator) -> Atoms:
    """Copy of ``atoms`` where ``int(N * antisite_fraction / 2)`` random pairs of atoms of
    different species have exchanged their species (antisite defects; composition unchanged).

    Pairs are drawn from a random order of the atoms, each atom in at most one pair, so the
    fraction of atoms on a wrong site is ``antisite_fraction`` (fewer where one species runs out).
    """
    exchanged = atoms.copy()
    numbers = exchanged.get_atomic_numbers()
    n_pairs = int(len(atoms) * antisite_fraction / 2)
    if n_pairs == 0 or len(np.unique(numbers)) < 2:
        return exchanged
    order = rng.permutation(len(atoms))
    first, second = order[: len(order) // 2], order[len(order) // 2 : 2 * (len(order) // 2)]
    pairs = np.flatnonzero(numbers[first] != numbers[second])[:n_pairs]
    numbers[first[pairs]], numbers[second[pairs]] = numbers[second[pairs]], numbers[first[pairs]].copy()
    exchanged.set_atomic_numbers(numbers)
    return exchanged


def perturb_atoms(atoms: Atoms, perturbation: PerturbationLevel) -> Atoms:
    """Apply displacements, then vacancies, then antisite exchanges, with one generator seeded
    by ``perturbation.seed`` (no antisite draws when its fraction is 0, so older levels give the
    same structures as before).

    The displacement scale is the nearest-neighbour distance of the unperturbed block.
    """
    rng = np.random.default_rng(perturbation.seed)
    displaced = displace_atoms(atoms, perturbation.displacement, rng)
    removed = remove_atoms(displaced, perturbation.vacancy_fraction, rng)
    if perturbation.antisite_fraction > 0:
        return exchange_species(removed, perturbation.antisite_fraction, rng)
    return removed
