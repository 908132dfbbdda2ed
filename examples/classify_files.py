"""Classify structures read from files: ``verdi run examples/classify_files.py [FILE ...]``.

Any format ase reads (CIF, POSCAR, extended xyz, ...). Without arguments the files in
``examples/structures/`` are used.
"""

from __future__ import annotations

import sys
from pathlib import Path

from aiida import orm
from aiida.engine import run_get_node
from ase.io import read

from aiida_symclf.workflows.classify import SymmetryClassificationWorkChain


def example_files() -> list[Path]:
    """The files in ``examples/structures/``, wherever ``verdi run`` was started from.

    Under ``verdi run`` ``__file__`` is not always the script's path, so the folder is looked up
    next to it, under the current directory and under ``./examples``; the error names them all.
    """
    candidates = [
        Path(__file__).parent / 'structures',
        Path.cwd() / 'structures',
        Path.cwd() / 'examples' / 'structures',
    ]
    for folder in candidates:
        if folder.is_dir():
            return sorted(folder.iterdir())
    raise SystemExit(
        f'no example structures found; looked in {", ".join(map(str, candidates))}; give files as arguments'
    )


paths = [Path(p) for p in sys.argv[1:]] or example_files()
structures = {f's{index}': orm.StructureData(ase=read(path)) for index, path in enumerate(paths)}
_, node = run_get_node(SymmetryClassificationWorkChain, structures=structures)
for (key, _), path in zip(structures.items(), paths, strict=True):
    result = node.outputs.results[key]
    if result['status'] == 'classified':
        print(f'{path.name:20} {result["label"]:8} p={result["probability"]:.3f}')
    else:
        print(f'{path.name:20} failed: {result["reason"]}')
