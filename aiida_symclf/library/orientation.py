"""Orientations of crystalline regions: rotations modulo the lattice's own symmetry.

A window's lattice gives the rotation ``R`` that turns the input frame into the lattice's
standard frame (:class:`~aiida_symclf.library.local_lattice.WindowLattice`). Two rotations
describe the same orientation when they differ by a rotation of the lattice's point group
(24 for a cubic lattice, 12 hexagonal, 8 tetragonal, 4 orthorhombic), so misorientations and
averages are taken modulo those.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Sequence

import numpy as np

__all__ = ['mean_rotation', 'misorientation_degrees', 'proper_rotations', 'rotation_angle_degrees']


def _cubic() -> list[np.ndarray]:
    rotations = []
    for permutation in itertools.permutations(range(3)):
        for signs in itertools.product((1, -1), repeat=3):
            matrix = np.zeros((3, 3))
            matrix[range(3), permutation] = signs
            if np.linalg.det(matrix) > 0:
                rotations.append(matrix)
    return rotations


def _about_z(angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


@functools.lru_cache(maxsize=16)
def proper_rotations(bravais: str) -> tuple[np.ndarray, ...]:
    """The proper rotations (Cartesian, standard frame) of the holohedry of lattice ``bravais``."""
    family = bravais[:1]
    flip = np.diag([1.0, -1.0, -1.0])  # two-fold axis along x
    if family == 'c':
        return tuple(_cubic())
    if family == 't':
        return tuple(m for m in _cubic() if abs(m[2, 2]) == 1.0)
    if family == 'h' and bravais != 'hR':
        turns = [_about_z(k * math.pi / 3) for k in range(6)]
        return tuple(turns + [turn @ flip for turn in turns])
    if bravais == 'hR':  # hexagonal axes of the rhombohedral lattice: three-fold about z, two-fold about x
        turns = [_about_z(k * 2 * math.pi / 3) for k in range(3)]
        return tuple(turns + [turn @ flip for turn in turns])
    if family == 'o':
        return tuple(np.diag(signs) for signs in ([1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]))
    return (np.eye(3),)


def rotation_angle_degrees(rotation: np.ndarray) -> float:
    """The angle of a rotation matrix, in degrees."""
    return math.degrees(math.acos(float(np.clip((np.trace(rotation) - 1.0) / 2.0, -1.0, 1.0))))


def misorientation_degrees(first: np.ndarray, second: np.ndarray, bravais: str) -> float:
    """Smallest angle between two orientations (input -> standard rotations) of lattice ``bravais``."""
    difference = first @ second.T
    return min(rotation_angle_degrees(symmetry @ difference) for symmetry in proper_rotations(bravais))


def _aligned(rotation: np.ndarray, reference: np.ndarray, bravais: str) -> np.ndarray:
    """The symmetry-equivalent of ``rotation`` closest to ``reference``."""
    candidates = [symmetry @ rotation for symmetry in proper_rotations(bravais)]
    return max(candidates, key=lambda candidate: float(np.trace(candidate @ reference.T)))


def mean_rotation(rotations: Sequence[np.ndarray], bravais: str) -> np.ndarray:
    """Average orientation: each rotation aligned to the first by the lattice's symmetry, the
    mean matrix projected back onto the rotations (SVD)."""
    reference = rotations[0]
    total = sum(_aligned(rotation, reference, bravais) for rotation in rotations)
    u, _, vt = np.linalg.svd(total)
    if np.linalg.det(u @ vt) < 0:
        u[:, -1] = -u[:, -1]
    return u @ vt
