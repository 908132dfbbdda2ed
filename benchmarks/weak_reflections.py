"""How weak a Bragg peak may be kept: ``python benchmarks/weak_reflections.py`` (about 1 minute).

The trade-off behind :data:`aiida_symclf.library.lattice.WHOLE_PEAK_FRACTION`,
:data:`~aiida_symclf.library.lattice.WHOLE_NOISE_CAP` and
:data:`~aiida_symclf.library.lattice.WEAK_PEAK_MAX_POINTS`. For each candidate (fraction of the
brightest peak, cap on the noise floor ``NOISE_FACTOR / N``, most lattice points of the strong
peaks' lattice in a cell whose weak peaks are kept; 0: never) it counts

- *superstructures kept*: pristine AFLOW prototypes (pymatgen's library) whose lattice the default
  thresholds (0.1, 0.2) found too small, and whose weak superstructure reflections the candidate
  keeps (their lattice points rise to the true count);
- *lattices lost*: perturbed supercells of fcc, bcc, hcp and diamond (random non-diagonal
  supercells of 8 to 250 atoms, randomly rotated; 4% and 8% displacements, 25% and 60%
  vacancies) whose lattice the candidate finds larger than the crystal's (noise taken for peaks).

Writes ``benchmarks/results/weak_reflections.json``.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault('SPGLIB_WARNING', 'OFF')

from ase import Atoms  # noqa: E402
from ase.build import bulk  # noqa: E402

from aiida_symclf.library import lattice  # noqa: E402
from aiida_symclf.library.perturb import PerturbationLevel  # noqa: E402
from aiida_symclf.testing.user_inputs import perturbed, random_rotation, random_supercell  # noqa: E402

OUTPUT = Path(__file__).parent / 'results' / 'weak_reflections.json'
CANDIDATES = (
    (0.1, 0.2, 0), (0.05, 0.08, 4), (0.05, 0.04, 4), (0.05, 0.04, 8), (0.05, 0.08, 16), (0.05, 0.08, 10**6),
    (0.02, 0.05, 10**6),
)  # fmt: skip
SIZES = (8, 16, 32, 64, 128, 250)
LEVELS = (
    PerturbationLevel(displacement=0.04),
    PerturbationLevel(displacement=0.08),
    PerturbationLevel(vacancy_fraction=0.25),
    PerturbationLevel(vacancy_fraction=0.60),
)
CRYSTALS = {
    'fcc': bulk('Cu', 'fcc', a=3.61),
    'bcc': bulk('Fe', 'bcc', a=2.87),
    'hcp': bulk('Mg', 'hcp', a=3.21, c=5.21),
    'diamond': bulk('Si', 'diamond', a=5.43),
}


def lattice_points(atoms: Atoms, fraction: float, cap: float, max_points: int) -> int:
    """Lattice points the whole-structure analysis finds in ``atoms`` with these thresholds."""
    names = ('WHOLE_PEAK_FRACTION', 'WHOLE_NOISE_CAP', 'WEAK_PEAK_MAX_POINTS')
    saved = [getattr(lattice, name) for name in names]
    for name, value in zip(names, (fraction, cap, max_points), strict=True):
        setattr(lattice, name, value)
    try:
        return lattice.analyse_lattice(atoms).lattice_points
    finally:
        for name, value in zip(names, saved, strict=True):
            setattr(lattice, name, value)


def superstructures() -> dict[str, Atoms]:
    """Pristine AFLOW prototypes whose lattice the thresholds of the local maps (0.1, 0.2) find too small."""
    from pymatgen.analysis.prototypes import AFLOW_PROTOTYPE_LIBRARY
    from pymatgen.io.ase import AseAtomsAdaptor

    found = {}
    for entry in AFLOW_PROTOTYPE_LIBRARY:
        atoms = AseAtomsAdaptor.get_atoms(entry['snl'].structure)
        primitive = len(entry['snl'].structure.get_primitive_structure())
        if lattice_points(atoms, 0.1, 0.2, 0) * primitive > len(atoms):
            found[entry['tags']['aflow']] = atoms
    return found


def perturbed_cases(copies: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    """Perturbed supercells of the crystals, with the lattice points they truly have."""
    cases = []
    for name, cell in CRYSTALS.items():
        for size in SIZES:
            for level in LEVELS:
                for _ in range(copies):
                    supercell = random_supercell(cell, rng, target_atoms=size)
                    points = len(supercell) // len(cell)
                    atoms = random_rotation(perturbed(supercell, level, rng), rng)
                    cases.append({'crystal': name, 'size': size, 'level': level.name, 'points': points, 'atoms': atoms})
    return cases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--copies', type=int, default=5, help='supercells per crystal, size and level')
    parser.add_argument('--output', type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(28)
    supers = superstructures()
    cases = perturbed_cases(args.copies, rng)
    rows = []
    print(f'{len(supers)} pristine superstructures found too small by (0.1, 0.2); {len(cases)} perturbed supercells')
    print(f'{"fraction":>9s}{"cap":>6s}{"points":>8s}{"kept":>10s}   lattices lost, by size in atoms {SIZES}')
    for fraction, cap, max_points in CANDIDATES:
        kept = sorted(name for name, atoms in supers.items() if _fixed(atoms, fraction, cap, max_points))
        lost = {
            size: sum(
                lattice_points(c['atoms'], fraction, cap, max_points) != c['points'] for c in cases if c['size'] == size
            )
            for size in SIZES
        }
        per_size = sum(c['size'] == SIZES[0] for c in cases)
        rows.append(
            {'fraction': fraction, 'cap': cap, 'max_points': max_points, 'kept': kept, 'lost_by_size': lost,
             'cases_per_size': per_size}
        )  # fmt: skip
        shown = 'any' if max_points >= 10**6 else str(max_points)
        print(
            f'{fraction:9.2f}{cap:6.2f}{shown:>8s}{len(kept):>5d} / {len(supers):<3d}  {list(lost.values())} (of {per_size} each)'
        )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({'superstructures': sorted(supers), 'candidates': rows}, indent=2) + '\n')
    print(f'wrote {args.output}')
    return 0


def _fixed(atoms: Atoms, fraction: float, cap: float, max_points: int) -> bool:
    """True if the lattice these thresholds find is the cell's primitive lattice (no smaller)."""
    from pymatgen.io.ase import AseAtomsAdaptor

    primitive = len(AseAtomsAdaptor.get_structure(atoms).get_primitive_structure())
    return lattice_points(atoms, fraction, cap, max_points) * primitive <= len(atoms)


if __name__ == '__main__':
    raise SystemExit(main())
