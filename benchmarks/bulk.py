"""Library and bulk-mode throughput on user-like inputs: ``python benchmarks/bulk.py`` (``--quick``).

Inputs: ~250-atom supercells along random matrices of real elements and compounds of every class,
2% displaced, randomly rotated (:mod:`aiida_symclf.testing.user_inputs`), the same for every row.

Rows, all in one run:

- ``library``: :func:`aiida_symclf.library.pipeline.classify_structures` with 1 and 2 worker
  processes (one torch thread each), float32 and (where the CPU has it natively) bfloat16
  convolutions, for the shipped default model (the paper's network) and ``symclf-fast.pt``
  (``library-fast-...``); accuracy alongside;
- ``spglib``: the peer, spglib at 0.1 A / 5 deg on the same perturbed supercells, and on the
  pristine conventional cells (its best case), one structure at a time as users call it;
- ``ovito``: OVITO's adaptive common-neighbour analysis and polyhedral template matching (if
  ``ovito`` is installed: ``pip install ovito``, an optional benchmark dependency), the majority
  structure type per structure; they know fcc, bcc, hcp, sc and diamond only, so their accuracy
  is over all inputs;
- ``bulk-sqlite-<P>p``: :class:`aiida_symclf.workflows.bulk.BulkClassificationWorkChain` on an embedded
  ``core.sqlite_dos`` profile for structures already stored (storing them is not timed), for each
  ``--sizes``, with P = 1 and 2 worker processes per chunk (``workers``; their start-up timed);
- ``bulk-psql-<W>w``: the same submitted to a daemon with W = 1 and 2 workers on PostgreSQL +
  RabbitMQ (``--skip-daemon`` to leave out), chunks of ``--chunk-size``; with as many workers as
  cores, ``OMP_NUM_THREADS=1`` (docs/scaling.rst).

Prints a table and writes ``benchmarks/results/bulk.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault('SPGLIB_WARNING', 'OFF')
sys.path.insert(0, str(Path(__file__).resolve().parent))

HERE = Path(__file__).parent
SEED = 1000
CHUNK_SIZE = 500


def user_structures(n: int, seed: int = SEED) -> tuple[list, list[str], list]:
    """``n`` user-like structures cycling over all classes (atoms, expected labels), and as many
    *pristine* conventional cells of the same classes (spglib's best case)."""
    import spglib
    from ase import Atoms

    from aiida_symclf.library.catalogue import CLASSES
    from aiida_symclf.library.perturb import PerturbationLevel
    from aiida_symclf.testing.user_inputs import COMPOUNDS, ELEMENTS, user_input

    rng = np.random.default_rng(seed)
    level = PerturbationLevel(displacement=0.02)
    atoms, labels, cells = [], [], []
    for index in range(n):
        label = CLASSES[index % len(CLASSES)].name
        atoms.append(user_input(label, level, rng)[1])
        labels.append(label)
        pristine = next(iter((ELEMENTS.get(label) or COMPOUNDS[label]).values()))(1.0)
        lattice, positions, numbers = spglib.standardize_cell(
            (pristine.cell[:], pristine.get_scaled_positions(), pristine.numbers), symprec=1e-3
        )
        cells.append(Atoms(numbers=numbers, cell=lattice, scaled_positions=positions, pbc=True))
    return atoms, labels, cells


def row(path: str, n: int, seconds: float, **extra: Any) -> dict[str, Any]:
    return {'path': path, 'n': n, 'seconds': round(seconds, 3), 'per_second': round(n / seconds, 1),
            'load_1min': round(os.getloadavg()[0], 2), **extra}  # fmt: skip


#: Models of the library rows: the shipped default (the paper's network) and the fast one.
LIBRARY_MODELS = {'default': None, 'fast': 'fast'}


def _cpu_model() -> str:
    """The CPU's model name (Linux's /proc/cpuinfo; elsewhere what ``platform`` knows)."""
    cpuinfo = Path('/proc/cpuinfo')
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    names = [line.split(':', 1)[1].strip() for line in lines if line.startswith('model name')]
    return names[0] if names else platform.processor()


def machine_summary() -> dict[str, Any]:
    """What the figures were measured on: the CPU's vector instructions decide the fast paths."""
    import torch

    from aiida_symclf.library.hardware import native_bfloat16

    return {
        'cpus': os.cpu_count(), 'cpu': _cpu_model(), 'platform': platform.platform(),
        'torch_cpu_capability': torch.backends.cpu.get_cpu_capability(), 'native_bfloat16': native_bfloat16('cpu'),
    }  # fmt: skip


def library_precisions() -> tuple[str, ...]:
    """Precisions of the library rows: bfloat16 only where this CPU has it natively (elsewhere torch
    emulates it, ~10x slower than float32, and nobody would run it)."""
    from aiida_symclf.library.hardware import native_bfloat16

    return ('float32', 'bfloat16') if native_bfloat16('cpu') else ('float32',)


def library_rows(atoms: list, labels: list[str]) -> list[dict[str, Any]]:
    import torch

    from aiida_symclf.library.model import load_model
    from aiida_symclf.library.pipeline import classify_structures

    torch.set_num_threads(1)
    rows = []
    for name, path in LIBRARY_MODELS.items():
        for precision in library_precisions():
            model = load_model(path, precision=precision)
            for workers in (1, 2):
                classify_structures(atoms[:128], model, workers=workers)  # warm-up; starts the worker processes, kept
                start = time.perf_counter()
                records, _ = classify_structures(atoms, model, workers=workers)
                seconds = time.perf_counter() - start
                answers = [r['label'] if r else None for r in records]
                elemental = set(OVITO_CLASSES.values()) | {'bct139', 'bct141'}
                path_name = (
                    f'library-{workers}p-{precision}' if name == 'default' else f'library-{name}-{workers}p-{precision}'
                )
                rows.append(row(path_name, len(atoms), seconds, **accuracies(answers, labels, elemental)))
    return rows


def spglib_rows(atoms: list, labels: list[str], cells: list) -> list[dict[str, Any]]:
    """spglib (0.1 A, 5 deg) one structure at a time; its class from the space group for one-species structures."""
    from aiida_symclf.library.catalogue import ELEMENT_CLASSES
    from aiida_symclf.library.symmetry import SPGLIB_LOOSE, spglib_class

    rows = []
    for name, structures in (('spglib-perturbed-supercell', atoms), ('spglib-conventional-cell', cells)):
        start = time.perf_counter()
        answers = [spglib_class(structure, *SPGLIB_LOOSE) for structure in structures]
        seconds = time.perf_counter() - start
        rows.append(
            row(name, len(structures), seconds, **accuracies(answers, labels, {c.name for c in ELEMENT_CLASSES}))
        )
    return rows


#: OVITO's structure types -> our classes (the classes the methods know; everything else is a miss).
OVITO_CLASSES = {'FCC': 'fcc', 'BCC': 'bcc', 'HCP': 'hcp/rh', 'SC': 'sc', 'CUBIC_DIAMOND': 'diamond'}


def accuracies(answers: list, labels: list[str], known: set[str]) -> dict[str, float]:
    """Accuracy % over all inputs, and over the inputs of the classes the method knows."""
    pairs = list(zip(answers, labels, strict=True))
    inside = [(answer, label) for answer, label in pairs if label in known]
    return {
        'accuracy': round(100 * float(np.mean([a == b for a, b in pairs])), 1),
        'accuracy_known_classes': round(100 * float(np.mean([a == b for a, b in inside])), 1) if inside else None,
    }


def ovito_rows(atoms: list, labels: list[str]) -> list[dict[str, Any]]:
    """OVITO's adaptive CNA and PTM (optional: ``pip install ovito``) on the same structures: the
    majority structure type per structure, timed one structure at a time."""
    try:
        from ovito.io.ase import ase_to_ovito
        from ovito.modifiers import CommonNeighborAnalysisModifier, PolyhedralTemplateMatchingModifier
        from ovito.pipeline import Pipeline, StaticSource
    except ImportError:
        print('ovito is not installed: no OVITO rows (pip install ovito)')
        return []
    rows = []
    for name, make in (('ovito-adaptive-cna', CommonNeighborAnalysisModifier),
                       ('ovito-ptm', PolyhedralTemplateMatchingModifier)):  # fmt: skip
        modifier = make()
        types = {int(value): key for key, value in vars(type(modifier).Type).items() if key.isupper()}
        prefix = 'CommonNeighborAnalysis' if 'cna' in name else 'PolyhedralTemplateMatching'
        answers, start = [], time.perf_counter()
        for structure in atoms:
            pipeline = Pipeline(source=StaticSource(data=ase_to_ovito(structure)))
            pipeline.modifiers.append(modifier)
            data = pipeline.compute()
            counts = {key: data.attributes.get(f'{prefix}.counts.{key}', 0) for key in types.values()}
            answers.append(OVITO_CLASSES.get(max(counts, key=counts.get)))
        seconds = time.perf_counter() - start
        rows.append(row(name, len(atoms), seconds, **accuracies(answers, labels, set(OVITO_CLASSES.values()))))
    return rows


def store_group(atoms: list, label: str):
    from aiida import orm

    nodes = [orm.StructureData(ase=structure).store() for structure in atoms]
    group = orm.Group(label=label).store()
    group.add_nodes(nodes)
    return group


def bulk_sqlite_rows(atoms: list, sizes: list[int], chunk_size: int) -> list[dict[str, Any]]:
    """The bulk mode on the embedded profile with 1 and 2 worker processes per chunk (``workers``)."""
    from aiida.engine import run_get_node

    from aiida_symclf.library.parallel import shutdown_worker_pool
    from aiida_symclf.workflows.bulk import BulkClassificationWorkChain

    rows = []
    for size in sizes:
        group = store_group([atoms[i % len(atoms)] for i in range(size)], f'bulk-{size}')
        for workers in (1, 2):
            shutdown_worker_pool()  # the start-up of the worker processes is part of the run
            builder = BulkClassificationWorkChain.get_builder_for_group(group, chunk_size=chunk_size, workers=workers)
            start = time.perf_counter()
            _, node = run_get_node(builder)
            seconds = time.perf_counter() - start
            rows.append(
                row(f'bulk-sqlite-{workers}p', size, seconds, chunk_size=chunk_size, exit_status=node.exit_status)
            )
    return rows


@contextlib.contextmanager
def environment(variables: dict[str, str]) -> Iterator[None]:
    """Set environment ``variables`` (read by the daemon's workers when they start) and restore them after."""
    previous = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def bulk_daemon_rows(atoms: list, size: int, chunk_size: int, timeout: float) -> list[dict[str, Any]]:
    from aiida.engine import submit
    from aiida.engine.daemon.client import get_daemon_client
    from throughput import psql_profile, wait_for

    from aiida_symclf.workflows.bulk import BulkClassificationWorkChain

    rows = []
    for workers in (1, 2):
        # as docs/scaling.rst advises: with as many daemon workers as cores, one thread each
        threads = {'OMP_NUM_THREADS': '1'} if workers >= (os.cpu_count() or 1) else {}
        with environment(threads), psql_profile(f'bulk-psql-{workers}', worker_slots=50):
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
        rows.append(row(f'bulk-psql-{workers}w', size, seconds, chunk_size=chunk_size, failed=failed, **threads))
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    print('| path | n | seconds | structures/s | accuracy % (all) | accuracy % (classes it knows) | load |')
    print('|---|---|---|---|---|---|---|')
    for r in rows:
        cells = [r['path'], r['n'], r['seconds'], r['per_second'], r.get('accuracy', ''),
                 r.get('accuracy_known_classes', ''), r['load_1min']]  # fmt: skip
        print('| ' + ' | '.join(str(cell) for cell in cells) + ' |')


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
    # the daemon starts its workers with `verdi`, which must be on the PATH (the environment's, not activated)
    os.environ['PATH'] = f'{Path(sys.executable).parent}{os.pathsep}{os.environ.get("PATH", "")}'
    report = {
        'command': ' '.join(['python', 'benchmarks/bulk.py', *sys.argv[1:]]),
        'machine': machine_summary(),
        'rows': [],
    }

    def add(rows: list[dict[str, Any]]) -> None:
        """Record rows and rewrite the JSON at once, so that a later failure keeps them."""
        report['rows'] += rows
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(report, indent=2) + '\n')

    atoms, labels, cells = user_structures(max(args.n_library, 400))
    add(library_rows(atoms[: args.n_library], labels[: args.n_library]))
    add(spglib_rows(atoms[: args.n_library], labels[: args.n_library], cells[: args.n_library]))
    add(ovito_rows(atoms[: args.n_library], labels[: args.n_library]))
    with tempfile.TemporaryDirectory() as folder:
        os.environ['AIIDA_PATH'] = folder
        from throughput import sqlite_profile

        sqlite_profile('bulk-sqlite')
        add(bulk_sqlite_rows(atoms, args.sizes, args.chunk_size))
        if not args.skip_daemon:
            add(bulk_daemon_rows(atoms, args.daemon_size, args.chunk_size, args.timeout))
    print_table(report['rows'])
    print(f'wrote {args.output}')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
