"""Defective structures: random displacements and vacancies (Ziletti et al. 2018, Methods).

Both act on the replicated block (see :func:`aiida_symclf.fingerprint.prepare_block`), as in
the paper, and are seeded with a :class:`numpy.random.Generator` so that every perturbed
structure can be reproduced from ``(delta, eta, seed)``.

- Displacements: each Cartesian component of each position gets Gaussian noise with
  standard deviation ``sigma = delta * d_NN``, ``d_NN`` the mean nearest-neighbour distance.
- Vacancies: ``int(N * eta)`` atoms, chosen uniformly at random, are removed.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
from ase import Atoms

from .fingerprint import nearest_neighbour_distance

__all__ = ['Perturbation', 'displace_atoms', 'perturb_atoms', 'remove_atoms']


@dataclasses.dataclass(frozen=True)
class Perturbation:
    """One perturbation level: ``displacement`` is delta (a fraction of d_NN, 0.01 = 1%),
    ``vacancy_fraction`` is eta in ``[0, 1)``, ``seed`` makes it reproducible."""

    displacement: float = 0.0
    vacancy_fraction: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ('displacement', 'vacancy_fraction'):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(f'{name} must be a finite number, got {value!r}')
        if self.displacement < 0:
            raise ValueError(f'displacement must be >= 0, got {self.displacement}')
        if not 0 <= self.vacancy_fraction < 1:
            raise ValueError(f'vacancy_fraction must be in [0, 1), got {self.vacancy_fraction}')
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f'seed must be a non-negative integer, got {self.seed!r}')

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Perturbation:
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f'unknown perturbation keys: {", ".join(unknown)}; known: {", ".join(sorted(known))}')
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


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


def perturb_atoms(atoms: Atoms, perturbation: Perturbation) -> Atoms:
    """Apply displacements, then vacancies, with one generator seeded by ``perturbation.seed``.

    The displacement scale is the nearest-neighbour distance of the unperturbed block.
    """
    rng = np.random.default_rng(perturbation.seed)
    displaced = displace_atoms(atoms, perturbation.displacement, rng)
    return remove_atoms(displaced, perturbation.vacancy_fraction, rng)
