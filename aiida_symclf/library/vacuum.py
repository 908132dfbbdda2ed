"""Vacuum gaps: a slab, a 2D layer or a molecule in a periodic box is not a bulk crystal.

Why: the whole-structure path reads the Bragg peaks of the whole cell. A slab's cell is periodic
in the plane and its vacuum makes the stacking direction look like a long lattice vector, so its
peaks can give a lattice a bulk class has (a graphene monolayer in a box was called hcp/rh at
p = 1.000). A gap in the atoms that no bulk crystal has tells such cells apart, with no
tolerance on positions: along each axis of the (reduced) cell, the largest empty stretch of the
atoms' fractional coordinates, in Angstrom, against the structure's nearest-neighbour distance.
Layered bulk crystals keep their gaps below it: graphite's interlayer spacing is 2.4 nearest-
neighbour distances (3.35 A / 1.42 A), bulk MoS2's empty stretch between S planes 1.3; slabs
built for DFT or MD have 10-20 A of vacuum (7-15 nearest-neighbour distances).
"""

from __future__ import annotations

import numpy as np
from ase import Atoms

from aiida_symclf.library.neighbours import cell_heights, median_neighbour_distance

__all__ = ['VACUUM_GAP', 'vacuum_gaps']

#: A gap wider than this many nearest-neighbour distances is vacuum (graphite: 2.4).
VACUUM_GAP = 3.5


def vacuum_gaps(atoms: Atoms) -> dict[str, float]:
    """The vacuum gaps of a periodic cell: cell axis (``a``, ``b``, ``c``) -> width in Angstrom,
    for each axis along which the atoms leave an empty stretch wider than :data:`VACUUM_GAP`
    nearest-neighbour distances. Empty for bulk crystals (and for cells of one or no atom)."""
    if len(atoms) < 2 or abs(atoms.cell.volume) < 1e-9:
        return {}
    cell = np.asarray(atoms.cell, dtype=float)
    heights = cell_heights(cell)
    scaled = np.sort(atoms.get_scaled_positions(wrap=True) % 1.0, axis=0)
    gaps = np.diff(np.vstack([scaled, scaled[:1] + 1.0]), axis=0).max(axis=0) * heights
    if not (gaps > 0).any():
        return {}
    limit = VACUUM_GAP * median_neighbour_distance(atoms)
    return {axis: round(float(gap), 3) for axis, gap in zip('abc', gaps, strict=True) if gap > limit}
