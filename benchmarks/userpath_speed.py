"""Library-path speed on inputs as users have them, optionally against an older checkout, in one run.

``python benchmarks/userpath_speed.py [--old-tree PATH]``: 504 user-like structures (7 classes x
72, real elements, primitive or conventional ~250-atom supercells along random matrices, 2%
displacements, rotated; seed 99) classified with the library path, one torch thread, 3 repeats
(median). With ``--old-tree`` (a checkout of an older commit, e.g. ``git worktree add /tmp/old
a03d3d4``) the same inputs also go through that version's library path (prepare_block, fingerprint,
network), alternating old and new twice, so both are measured on the same machine in the same
run. Prints structures per second and accuracy; writes ``benchmarks/results/userpath_speed.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

OUTPUT = Path(__file__).parent / 'results' / 'userpath_speed.json'
PER_CLASS = 72


def build(path: Path) -> None:
    from aiida_symclf.library.catalogue import ELEMENT_CLASSES
    from aiida_symclf.testing.user_inputs import LEVELS, user_input

    rng = np.random.default_rng(99)
    cases = [
        (label, user_input(label, LEVELS[2], rng)[1])
        for _ in range(PER_CLASS)
        for label in (c.name for c in ELEMENT_CLASSES)
    ]
    path.write_bytes(pickle.dumps(cases))


def measure(path: Path, mode: str) -> dict:
    """Run in a subprocess: ``mode`` 'new' (this tree) or 'old' (the tree on PYTHONPATH)."""
    import torch

    torch.set_num_threads(1)
    cases = pickle.loads(path.read_bytes())
    structures = [atoms for _, atoms in cases]
    from aiida_symclf.library.model import load_model

    if mode == 'old':
        from aiida_symclf.library.fingerprint import (
            fingerprints_from_clusters,
            prepare_block,
            scaled_cluster,
            scattering_factors,
        )

        model = load_model()
        parameters = model.metadata.fingerprint_parameters

        def run() -> list[str]:
            blocks = [prepare_block(atoms, parameters) for atoms in structures]
            clusters = [scaled_cluster(block) for block in blocks]
            weights = [scattering_factors(block, parameters.scattering) for block in blocks]
            images = fingerprints_from_clusters(clusters, weights, parameters)
            return [model.class_names[i] for i in model.predict_proba(images).argmax(axis=1)]
    else:
        from aiida_symclf.library.pipeline import classify_structures

        model = load_model()

        def run() -> list[str]:
            return [record['label'] for record in classify_structures(structures, model)[0]]

    run()
    times, labels = [], []
    for _ in range(3):
        start = time.perf_counter()
        labels = run()
        times.append(time.perf_counter() - start)
    accuracy = float(np.mean([label == expected for label, (expected, _) in zip(labels, cases, strict=True)]))
    return {'mode': mode, 'structures_per_second': round(len(cases) / sorted(times)[1], 1), 'accuracy': accuracy}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--old-tree', type=Path, default=None)
    parser.add_argument('--output', type=Path, default=OUTPUT)
    parser.add_argument('--measure', nargs=2, metavar=('CASES', 'MODE'), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(Path(args.measure[0]), args.measure[1])))
        return 0
    with tempfile.TemporaryDirectory() as folder:
        cases = Path(folder) / 'cases.pkl'
        build(cases)
        modes = ['old', 'new', 'old', 'new'] if args.old_tree else ['new']
        rows = []
        for mode in modes:
            env = dict(os.environ)
            if mode == 'old':
                env['PYTHONPATH'] = str(args.old_tree)
            command = [sys.executable, __file__, '--measure', str(cases), mode]
            output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
            rows.append(json.loads(output.strip().splitlines()[-1]))
            print(
                f'{mode:4s} {rows[-1]["structures_per_second"]:7.1f} structures/s  accuracy {rows[-1]["accuracy"]:.3f}',
                flush=True,
            )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    report = {'command': 'python benchmarks/userpath_speed.py' + (f' --old-tree {args.old_tree}' if args.old_tree else ''),
              'structures': 7 * PER_CLASS, 'torch_threads': 1, 'rows': rows}  # fmt: skip
    args.output.write_text(json.dumps(report, indent=1) + '\n')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
