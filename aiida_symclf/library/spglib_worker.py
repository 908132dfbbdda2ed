"""The child process of the bounded spglib comparison (:mod:`aiida_symclf.cli.spglib_column`).

spglib holds the GIL for the whole of a call, which on a perturbed supercell of a few thousand
atoms lasts minutes (2,048 atoms, 2% displaced: 78 s at 0.1 A): in the main process neither a
time limit nor Ctrl-C can stop it. This process imports nothing but numpy and spglib (it starts
in ~0.2 s), reads pickled requests ``(cell, tolerances)`` on stdin and writes, per tolerance name,
``{'number', 'international', 'wyckoffs'}`` or None on stdout; the parent kills it when a call runs too long.
"""

from __future__ import annotations

import pickle
import sys
import warnings
from typing import Any

import spglib


def _field(dataset: Any, name: str) -> Any:
    """A field of a spglib dataset, an object in spglib >= 2.5 and a dict before."""
    return getattr(dataset, name) if hasattr(dataset, name) else dataset[name]


def space_groups(cell: tuple, tolerances: dict[str, tuple[float, float]]) -> dict[str, dict[str, Any] | None]:
    """spglib's space group number, symbol and Wyckoff letters of ``cell`` at each named ``(symprec, angle_tolerance)``."""
    found: dict[str, dict[str, Any] | None] = {}
    for name, (symprec, angle_tolerance) in tolerances.items():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                dataset = spglib.get_symmetry_dataset(cell, symprec=symprec, angle_tolerance=angle_tolerance)
        except Exception:  # noqa: BLE001 - newer spglib raises SpglibError where older ones return None
            dataset = None
        if dataset is None:
            found[name] = None
            continue
        found[name] = {
            'number': int(_field(dataset, 'number')),
            'international': str(_field(dataset, 'international')),
            'wyckoffs': [str(letter) for letter in _field(dataset, 'wyckoffs')],  # the compound classes' signature
        }
    return found


def main() -> None:
    """Answer requests until stdin closes."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        try:
            cell, tolerances = pickle.load(stdin)
        except EOFError:
            return
        pickle.dump(space_groups(cell, tolerances), stdout)
        stdout.flush()


if __name__ == '__main__':
    main()
