"""Write the local-map figures of ``docs/local_maps.rst`` (``docs/images/local_map_*.png``).

- ``local_map_polycrystal.png``: a Cu polycrystal, 4 Voronoi grains, ~10^4 atoms, displacements of
  4% of the nearest-neighbour distance (:func:`aiida_symclf.testing.polycrystal.polycrystal`);
- ``local_map_slab.png``: a Cu(111) slab of 12 layers with 15 A of vacuum;
- ``local_map_crystal_liquid.png``: a Cu cell of 16^3 conventional cells whose upper half is
  liquid-like (:func:`aiida_symclf.testing.polycrystal.crystal_liquid`).

Each is mapped with the default box and a stride of a quarter of the box (finer than the
default half box, for the picture) and drawn by :func:`aiida_symclf.library.plot.plot_local_map`.
About three minutes on one core.

Usage: ``python scripts/local_map_images.py [--output DIR]``.
"""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path

os.environ.setdefault('OMP_NUM_THREADS', '1')

from aiida_symclf.library.local_map import WINDOW_ATOMS, MapParameters, map_structure  # noqa: E402
from aiida_symclf.library.model import load_model  # noqa: E402
from aiida_symclf.library.plot import plot_local_map  # noqa: E402
from aiida_symclf.testing.polycrystal import (  # noqa: E402
    crystal_liquid,
    nearest_neighbour_distance,
    perturbed,
    polycrystal,
    slab,
)

REPOSITORY = Path(__file__).resolve().parents[1]
#: Stride of the pictures, in boxes.
STRIDE_OF_BOX = 0.25


def structures() -> dict[str, tuple[object, str]]:
    """File stem -> (atoms, title)."""
    crystal = polycrystal('Cu', 4, 46.0, seed=11)
    grains, _ = perturbed(crystal.atoms, 0.04, 0.0, nearest_neighbour_distance('Cu'), seed=1)
    surface, _ = slab('Cu', (1, 1, 1), layers=12)
    cell, _ = crystal_liquid('Cu', 16)
    return {
        'local_map_polycrystal': (grains, f'Cu polycrystal, {len(grains)} atoms'),
        'local_map_slab': (surface, f'Cu(111) slab, {len(surface)} atoms'),
        'local_map_crystal_liquid': (cell, f'Cu crystal/liquid, {len(cell)} atoms'),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--output', type=Path, default=REPOSITORY / 'docs' / 'images')
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    model = load_model(None)
    for stem, (atoms, title) in structures().items():
        # the default box (a sphere that holds WINDOW_ATOMS atoms at copper's nearest-neighbour distance)
        box = 2 * nearest_neighbour_distance('Cu') * (3 * WINDOW_ATOMS / (4 * math.pi)) ** (1 / 3)
        local_map = map_structure(atoms, model, MapParameters(box=box, stride=STRIDE_OF_BOX * box))
        path = plot_local_map(local_map, args.output / f'{stem}.png', title=title)
        fractions = ', '.join(f'{label} {value:.2f}' for label, value in local_map.fractions.items())
        print(f'wrote {path} ({path.stat().st_size // 1024} kB): {fractions}')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
