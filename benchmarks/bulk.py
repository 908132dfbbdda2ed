"""Library and bulk-mode throughput on user-like inputs: ``python benchmarks/bulk.py`` (``--quick``).

Inputs: ~250-atom supercells along random matrices of real elements and compounds of every class,
2% displaced, randomly rotated (:mod:`aiida_symclf.user_inputs`), the same for every row.

Rows, all in one run:

- ``library``: :func:`aiida_symclf.classification.classify_structures` with 1 and 2 worker
  processes (one torch thread each), float32 and bfloat16 convolutions; accuracy alongside;
- ``spglib``: the peer, spglib at 0.1 A / 5 deg on the same perturbed supercells, and on the
  pristine conventional cells (its best case), one structure at a time as users call it;
- ``bulk-sqlite``: :class:`aiida_symclf.bulk.BulkClassificationWorkChain` on an embedded
  ``core.sqlite_dos`` profile for structures already stored (storing them is not timed), for each
  ``--sizes``;
- ``bulk-psql-<W>w``: the same submitted to a daemon with W = 1 and 2 workers on PostgreSQL +
  RabbitMQ (``--skip-daemon`` to leave out), chunks of ``--chunk-size``.

Prints a table and writes ``benchmarks/results/bulk.json``.
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

import numpy as np

os.environ.setdefault('SPGLIB_WARNING', 'OFF')
sys.path.insert(0, str(Path(__file__).resolve().parent))

HERE = Path(__file__).parent
SEED = 1000
CHUNK_SIZE = 500


def user_structures(n: int, seed: int = SEED) -> tuple[list, list[str], list]:
    """``n`` user-like structures cycling over all classes: atoms, expected labels, pristine conventional cells."""
    import spglib
    from ase import Atoms

    from aiida_symclf.dataset import CLASSES
    from aiida_symclf.user_inputs import UserLevel, user_input

    rng = np.random.default_rng(seed)
    level = UserLevel('displacement 2%', displacement=0.02)
    atoms, labels, cells = [], [], []
    for index in range(n):
        label = CLASSES[index % len(CLASSES)].name
        _, structure = user_input(label, level, rng)
        atoms.append(structure)
        labels.append(label)
        standard = spglib.standardize_cell(
            (structure.cell[:], structure.get_scaled_positions(), structure.numbers), symprec=0.1
        )
        cells.append(
            Atoms(numbers=standard[2], cell=standard[0], scaled_positions=standard[1], pbc=True)
            if standard
            else structure
        )
    return atoms, labels, cells


def row(path: str, n: int, seconds: float, **extra: Any) -> dict[str, Any]:
    return {'path': path, 'n': n, 'seconds': round(seconds, 3), 'per_second': round(n / seconds, 1),
            'load_1min': round(os.getloadavg()[0], 2), **extra}  # fmt: skip


def library_rows(atoms: list, labels: list[str]) -> list[dict[str, Any]]:
    import torch

    from aiida_symclf.classification import classify_structures
    from aiida_symclf.model import load_model

    torch.set_num_threads(1)
    rows = []
    for precision in ('float32', 'bfloat16'):
        model = load_model(precision=precision)
        classify_structures(atoms[:16], model)  # warm-up
        for workers in (1, 2):
            start = time.perf_counter()
            records, _ = classify_structures(atoms, model, workers=workers)
            seconds = time.perf_counter() - start
            right = np.mean([r is not None and r['label'] == label for r, label in zip(records, labels, strict=True)])
            rows.append(row(f'library-{workers}p-{precision}', len(atoms), seconds, accuracy=round(100 * right, 1)))
    return rows


def spglib_rows(atoms: list, cells: list) -> list[dict[str, Any]]:
    from aiida_symclf.symmetry import SPGLIB_LOOSE, spglib_space_group

    rows = []
    for name, structures in (('spglib-perturbed-supercell', atoms), ('spglib-conventional-cell', cells)):
        start = time.perf_counter()
        for structure in structures:
            spglib_space_group(structure, *SPGLIB_LOOSE)
        rows.append(row(name, len(structures), time.perf_counter() - start))
    return rows


def store_group(atoms: list, label: str):
    from aiida import orm

    nodes = [orm.StructureData(ase=structure).store() for structure in atoms]
    group = orm.Group(label=label).store()
    group.add_nodes(nodes)
    return group


def bulk_sqlite_rows(atoms: list, sizes: list[int], chunk_size: int) -> list[dict[str, Any]]:
    from aiida.engine import run_get_node

    from aiida_symclf.bulk import BulkClassificationWorkChain

    rows = []
    for size in sizes:
        group = store_group([atoms[i % len(atoms)] for i in range(size)], f'bulk-{size}')
        builder = BulkClassificationWorkChain.get_builder_for_group(group, chunk_size=chunk_size)
        start = time.perf_counter()
        _, node = run_get_node(builder)
        rows.append(
            row('bulk-sqlite', size, time.perf_counter() - start, chunk_size=chunk_size, exit_status=node.exit_status)
        )
    return rows


def bulk_daemon_rows(atoms: list, size: int, chunk_size: int, timeout: float) -> list[dict[str, Any]]:
    from aiida.engine import submit
    from aiida.engine.daemon.client import get_daemon_client
    from throughput import psql_profile, wait_for

    from aiida_symclf.bulk import BulkClassificationWorkChain

    rows = []
    for workers in (1, 2):
        with psql_profile(f'bulk-psql-{workers}', worker_slots=50):
            group = store_group([atoms[i % len(atoms)] for i in range(size)], 'bulk')
            warm = store_group(atoms[:4], 'warm')
            client = get_daemon_client()
            client.start_daemon(number_workers=workers, timeout=60)
            try:
                pks = [
                    submit(BulkClassificationWorkChain.get_builder_for_group(warm, chunk_size=2)).pk
                    for _ in range(workers)
                ]
                wait_for(pks, timeout, False, 'warm-up')
                start = time.perf_counter()
                pk = submit(BulkClassificationWorkChain.get_builder_for_group(group, chunk_size=chunk_size)).pk
                failed = wait_for([pk], timeout, False, f'{workers} workers')
                seconds = time.perf_counter() - start
            finally:
                client.stop_daemon(wait=True, timeout=120)
        rows.append(row(f'bulk-psql-{workers}w', size, seconds, chunk_size=chunk_size, failed=failed))
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    print('| path | n | seconds | structures/s | accuracy % | load |')
    print('|---|---|---|---|---|---|')
    for r in rows:
        print(
            f'| {r["path"]} | {r["n"]} | {r["seconds"]} | {r["per_second"]} | {r.get("accuracy", "")} | {r["load_1min"]} |'
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--quick', action='store_true', help='small sizes (a 2-minute run)')
    parser.add_argument('--n-library', type=int, default=1000, help='structures of the library and spglib rows')
    parser.add_argument('--sizes', type=int, nargs='+', default=[100, 1000, 10000], help='bulk-mode sizes (sqlite)')
    parser.add_argument('--daemon-size', type=int, default=4000, help='structures of the daemon rows')
    parser.add_argument('--chunk-size', type=int, default=CHUNK_SIZE)
    parser.add_argument('--skip-daemon', action='store_true')
    parser.add_argument('--timeout', type=float, default=3600)
    parser.add_argument('--output', type=Path, default=HERE / 'results' / 'bulk.json')
    args = parser.parse_args()
    if args.quick:
        args.n_library, args.sizes, args.daemon_size = 132, [100], 200
    atoms, labels, cells = user_structures(max(args.n_library, 400))
    rows = library_rows(atoms[: args.n_library], labels[: args.n_library])
    rows += spglib_rows(atoms[: args.n_library], cells[: args.n_library])
    with tempfile.TemporaryDirectory() as folder:
        os.environ['AIIDA_PATH'] = folder
        from throughput import sqlite_profile

        sqlite_profile('bulk-sqlite')
        rows += bulk_sqlite_rows(atoms, args.sizes, args.chunk_size)
        if not args.skip_daemon:
            rows += bulk_daemon_rows(atoms, args.daemon_size, args.chunk_size, args.timeout)
    print_table(rows)
    report = {
        'command': ' '.join(['python', 'benchmarks/bulk.py', *sys.argv[1:]]),
        'machine': {'cpus': os.cpu_count(), 'platform': platform.platform()},
        'rows': rows,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + '\n')
    print(f'wrote {args.output}')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
