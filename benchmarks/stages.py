"""Where the library path's time goes: ``python benchmarks/stages.py [--n 400]``.

The inputs of ``benchmarks/bulk.py`` (~250-atom supercells along random matrices of real elements
and compounds of every class, 2% displaced, randomly rotated), one process, one thread for torch,
numpy and OpenMP (as in each worker process of ``classify_structures(..., workers=N)``). Each stage
is timed on all inputs at once, best of ``--repeats``:

- ``reduce``: the input on its Niggli-reduced cell (:func:`aiida_symclf.library.lattice.minkowski_reduced`);
- ``lattice``: the Bragg-peak analysis (:func:`aiida_symclf.library.lattice.analyse_lattice`);
- ``block``: the block of whole conventional cells (:func:`aiida_symclf.library.lattice.conventional_block`);
- ``scaling``: nearest-neighbour scaling and scattering weights;
- ``diffraction``: the fingerprints of the scaled clusters;
- ``network + result``: :func:`aiida_symclf.library.classification.classify_fingerprint_images` (the
  convolutions, the MC-dropout head and the result records), per model and precision;
- ``end to end``: :func:`aiida_symclf.library.pipeline.classify_structures` in one process.

Prints a table (ms per structure) and writes ``benchmarks/results/stages.json``. An older version
is measured the same way with ``PYTHONPATH=<its checkout> python benchmarks/stages.py --models
default --output ...`` (e.g. ``git worktree add /tmp/old v0.3.3``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.update(dict.fromkeys(('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'), '1'))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bulk import LIBRARY_MODELS as MODELS  # noqa: E402  (the models of the library rows)
from bulk import library_precisions, machine_summary, user_structures  # noqa: E402

HERE = Path(__file__).parent
OUTPUT = HERE / 'results' / 'stages.json'


def best_of(repeats: int, function: Callable[[], Any]) -> tuple[float, Any]:
    """Shortest wall time of ``repeats`` calls (after one warm-up call) and the last result."""
    result = function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def preparation_stages(atoms: list, parameters, repeats: int) -> tuple[dict[str, float], Any]:
    """Seconds per stage for all ``atoms`` and what the network needs (images, lattice summaries)."""
    from aiida_symclf.library.fingerprint import fingerprints_from_clusters, scaled_cluster, scattering_factors
    from aiida_symclf.library.lattice import analyse_lattice, conventional_block, minkowski_reduced

    seconds = {}
    seconds['reduce'], reduced = best_of(repeats, lambda: [minkowski_reduced(a) for a in atoms])
    seconds['lattice'], lattices = best_of(repeats, lambda: [analyse_lattice(r) for r in reduced])
    seconds['block'], blocks = best_of(
        repeats,
        lambda: [conventional_block(r, lat, parameters.target_atoms) for r, lat in zip(reduced, lattices, strict=True)],
    )
    seconds['scaling'], (clusters, weights) = best_of(
        repeats,
        lambda: (
            [scaled_cluster(b) for b in blocks],
            [scattering_factors(b, parameters.scattering) for b in blocks],
        ),
    )
    seconds['diffraction'], images = best_of(repeats, lambda: fingerprints_from_clusters(clusters, weights, parameters))
    return seconds, (images, [lattice.summary() for lattice in lattices])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--n', type=int, default=400, help='structures (cycling over all classes)')
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--models', nargs='+', choices=tuple(MODELS), default=list(MODELS))
    parser.add_argument('--output', type=Path, default=OUTPUT)
    args = parser.parse_args()

    import torch
    from threadpoolctl import threadpool_limits

    from aiida_symclf.library.classification import classify_fingerprint_images
    from aiida_symclf.library.model import load_model
    from aiida_symclf.library.pipeline import classify_structures

    torch.set_num_threads(1)
    threadpool_limits(1)
    atoms, _, _ = user_structures(args.n)
    parameters = load_model().metadata.fingerprint_parameters
    seconds, (images, lattices) = preparation_stages(atoms, parameters, args.repeats)
    preparation = {stage: round(1e3 * value / len(atoms), 3) for stage, value in seconds.items()}
    models = []
    for name in args.models:
        for precision in library_precisions():
            model = load_model(MODELS[name], precision=precision)
            network, _ = best_of(args.repeats, lambda model=model: classify_fingerprint_images(images, lattices, model))
            total, _ = best_of(args.repeats, lambda model=model: classify_structures(atoms, model))
            models.append({
                'model': name, 'precision': precision,
                'network_and_result_ms': round(1e3 * network / len(atoms), 3),
                'end_to_end_ms': round(1e3 * total / len(atoms), 3),
                'structures_per_second_one_core': round(len(atoms) / total, 1),
            })  # fmt: skip

    print(f'ms per structure, one core, {len(atoms)} user-like inputs')
    print('| stage | ms |\n|---|---|')
    for stage, value in preparation.items():
        print(f'| {stage} | {value:.2f} |')
    print(
        '\n| model | precision | network + result ms | end to end ms | structures/s (one core) |\n|---|---|---|---|---|'
    )
    for row in models:
        print(f'| {row["model"]} | {row["precision"]} | {row["network_and_result_ms"]:.2f} | '
              f'{row["end_to_end_ms"]:.2f} | {row["structures_per_second_one_core"]} |')  # fmt: skip
    report = {
        'command': ' '.join(['python', 'benchmarks/stages.py', *sys.argv[1:]]),
        'machine': {**machine_summary(), 'load_1min': os.getloadavg()[0]},
        'structures': len(atoms),
        'preparation_ms': preparation,
        'models': models,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=1) + '\n')
    print(f'wrote {args.output}')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
