"""Where the time goes for one large cell on the stored path (``aiida-symclf classify`` without ``--library``).

For an fcc supercell of N atoms (2% displaced), on an embedded ``core.sqlite_dos`` profile, one
run per size (issue 29.3):

* ``StructureData`` creation: aiida-core's ``StructureData(ase=atoms)`` (one ``append_atom`` per
  atom) against :func:`aiida_symclf.utils.structure_arrays.structure_of_atoms` (the kinds through
  ``append_atom``, the sites as one list);
* storing the node, aiida-core's own floor: ``node.store()``, and of it the two passes over the
  attributes it makes before the SQL insert, ``clean_value`` (copies and checks every value) and
  the node hash (``make_hash``), timed separately on the same attributes;
* reading it back: aiida-core's ``get_ase()`` (one ``Atoms.append`` per atom, quadratic) against
  :func:`~aiida_symclf.utils.structure_arrays.atoms_of_structure` (arrays from the attributes);
* the classification alone (library path, no database) and the WorkChain on the stored node.

``python benchmarks/large_inputs.py --sizes 1000 10000 100000 1000000`` prints a table and writes
``benchmarks/results/large_inputs.json``. aiida-core's per-atom creation and ``get_ase()`` are
timed only up to ``--aiida-core-up-to`` atoms (default 10^5; quadratic ``get_ase`` up to 10^4).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / 'benchmarks' / 'results' / 'large_inputs.json'
sys.path.insert(0, str(ROOT / 'benchmarks'))


def supercell(n_atoms: int) -> Any:
    """A 2% displaced fcc Cu supercell of about ``n_atoms`` atoms (4 m^3 for an m x m x m cube),
    at most the classifier's limit (:data:`~aiida_symclf.library.fingerprint.MAX_INPUT_ATOMS`)."""
    import numpy as np
    from ase.build import bulk

    from aiida_symclf.library.fingerprint import MAX_INPUT_ATOMS

    repeat = max(1, round((n_atoms / 4) ** (1 / 3)))
    while repeat > 1 and 4 * repeat**3 > MAX_INPUT_ATOMS:
        repeat -= 1
    atoms = bulk('Cu', 'fcc', a=3.61, cubic=True).repeat(repeat)
    atoms.positions += np.random.default_rng(0).normal(0.0, 0.02 * 2.55, atoms.positions.shape)
    return atoms


def timed(function: Any, *args: Any, **kwargs: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    value = function(*args, **kwargs)
    return time.perf_counter() - start, value


def measure(n_atoms: int, model: Any, aiida_core_up_to: int) -> dict[str, Any]:
    """The seconds of every stage for one supercell of about ``n_atoms`` atoms."""
    from aiida import orm
    from aiida.common.hashing import make_hash
    from aiida.engine import run_get_node
    from aiida.orm.implementation.utils import clean_value

    from aiida_symclf.library.pipeline import classify_structures
    from aiida_symclf.utils.structure_arrays import atoms_of_structure, structure_of_atoms
    from aiida_symclf.workflows.classify import SymmetryClassificationWorkChain

    atoms = supercell(n_atoms)
    row: dict[str, Any] = {'atoms': len(atoms)}
    if len(atoms) <= aiida_core_up_to:
        row['create_aiida_core'], _ = timed(orm.StructureData, ase=atoms)
    row['create_arrays'], node = timed(structure_of_atoms, atoms)
    attributes = node.base.attributes.all
    row['clean_value'], _ = timed(clean_value, attributes)
    row['hash'], _ = timed(make_hash, attributes)
    row['store'], _ = timed(node.store)
    stored = orm.load_node(node.pk)
    if len(atoms) <= min(aiida_core_up_to, 10_000):
        row['read_get_ase'], _ = timed(stored.get_ase)
    row['read_arrays'], _ = timed(atoms_of_structure, orm.load_node(node.pk))
    row['classify_library'], (records, _) = timed(classify_structures, [atoms], model)
    row['workchain'], (_, process) = timed(
        run_get_node, SymmetryClassificationWorkChain, structures={'s': stored}, model=orm.load_node(model_pk())
    )
    row['label'] = records[0]['label'] if records[0] else None
    row['workchain_ok'] = process.is_finished_ok
    return {key: round(value, 3) if isinstance(value, float) else value for key, value in row.items()}


_MODEL_PK: list[int] = []


def model_pk() -> int:
    """The shipped model's node, stored once."""
    from aiida_symclf.data import SymclfModelData

    if not _MODEL_PK:
        _MODEL_PK.append(SymclfModelData.get_or_create().pk)
    return _MODEL_PK[0]


COLUMNS = [
    ('atoms', 'atoms'),
    ('create_aiida_core', 'create (aiida-core)'),
    ('create_arrays', 'create (arrays)'),
    ('store', 'store'),
    ('clean_value', 'of it: clean'),
    ('hash', 'hash'),
    ('read_get_ase', 'read (get_ase)'),
    ('read_arrays', 'read (arrays)'),
    ('classify_library', 'classify (library)'),
    ('workchain', 'WorkChain'),
]


def table(rows: list[dict[str, Any]]) -> str:
    from tabulate import tabulate

    return tabulate([[row.get(key, '-') for key, _ in COLUMNS] for row in rows], headers=[name for _, name in COLUMNS])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sizes', type=int, nargs='+', default=[1000, 10_000, 100_000])
    parser.add_argument('--aiida-core-up-to', type=int, default=100_000)
    parser.add_argument('--output', type=Path, default=OUTPUT)
    args = parser.parse_args()
    os.environ['AIIDA_PATH'] = tempfile.mkdtemp(prefix='symclf-large-')
    from throughput import sqlite_profile

    from aiida_symclf.library.model import load_model

    sqlite_profile('large')
    model = load_model()
    model_pk()
    rows = []
    for size in args.sizes:
        rows.append(measure(size, model, args.aiida_core_up_to))
        print(json.dumps(rows[-1]), flush=True)
    print(table(rows))
    report = {
        'command': 'python benchmarks/large_inputs.py ' + ' '.join(sys.argv[1:]),
        'storage': 'core.sqlite_dos',
        'seconds': 'wall-clock seconds per stage, one run each',
        'cpu': platform.processor() or platform.machine(),
        'load_1min': os.getloadavg()[0],
        'rows': rows,
    }
    args.output.write_text(json.dumps(report, indent=1) + '\n')
    print(f'wrote {args.output}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
