"""Cost of classifying a trajectory through AiiDA: ``python benchmarks/trajectory_cost.py`` (``--frames 1000``).

A ``TrajectoryData`` of ``--frames`` frames of a 250-atom bcc Fe cell (thermal displacements, 3 %
of the nearest-neighbour distance) is classified

- by the library path (:func:`aiida_symclf.library.pipeline.classify_structures`, nothing stored),
- by the WorkChain (``trajectories`` input) in the compact mode (``store_per_structure=False``)
  and, on the first ``--per-structure-frames`` frames (default 100), in the default
  per-structure mode (a fingerprint ArrayData and a result Dict stored per frame: the 1,000-frame
  run did not finish in 16 minutes on 2 shared cores),
- by the bulk mode (``get_builder_for_trajectory``: no node per frame),

on a new embedded ``core.sqlite_dos`` profile, one process (``workers=1``) everywhere so that
the rows compare. Reported: seconds per frame, its ratio to the library path, and the links and
nodes each run stored (per frame). Writes ``benchmarks/results/trajectory_cost.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault('OMP_NUM_THREADS', '1')
HERE = Path(__file__).parent
OUTPUT = HERE / 'results' / 'trajectory_cost.json'


def frames(count: int, seed: int = 3) -> list:
    from ase.build import bulk

    rng = np.random.default_rng(seed)
    crystal = bulk('Fe', 'bcc', a=2.855, cubic=True).repeat(5)
    result = []
    for _ in range(count):
        atoms = crystal.copy()
        atoms.positions += rng.normal(0.0, 0.03 * 2.47, atoms.positions.shape)
        result.append(atoms)
    return result


def counts() -> tuple[int, int]:
    """(links, nodes) in the profile."""
    from aiida import orm

    links = orm.QueryBuilder().append(orm.Node, tag='a').append(orm.Node, with_incoming='a').count()
    return links, orm.QueryBuilder().append(orm.Node).count()


def measure(name: str, launch, frame_count: int, library_seconds: float | None) -> dict[str, Any]:
    before = counts()
    start = time.perf_counter()
    node = launch()
    seconds = time.perf_counter() - start
    after = counts()
    per_frame = seconds / frame_count
    row = {
        'path': name, 'frames': frame_count, 'seconds': round(seconds, 2), 'ms_per_frame': round(1000 * per_frame, 2),
        'vs_library': round(seconds / library_seconds, 2) if library_seconds else 1.0,
        'links': after[0] - before[0], 'nodes': after[1] - before[1],
        'links_per_frame': round((after[0] - before[0]) / frame_count, 2),
        'exit_status': None if node is None else node.exit_status,
    }  # fmt: skip
    print(row)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--frames', type=int, default=1000)
    parser.add_argument('--per-structure-frames', type=int, default=100)
    parser.add_argument('--output', type=Path, default=OUTPUT)
    args = parser.parse_args()
    os.environ['AIIDA_PATH'] = tempfile.mkdtemp(prefix='symclf-trajectory-')
    from aiida_symclf.utils.profile import ensure_embedded_profile

    ensure_embedded_profile('trajectory-cost')
    from aiida import orm
    from aiida.engine import run_get_node

    from aiida_symclf.data import SymclfModelData
    from aiida_symclf.library.model import load_model
    from aiida_symclf.library.pipeline import classify_structures
    from aiida_symclf.utils.trajectory import trajectory_from_atoms
    from aiida_symclf.workflows.bulk import BulkClassificationWorkChain
    from aiida_symclf.workflows.classify import SymmetryClassificationWorkChain

    atoms = frames(args.frames)
    model_node = SymclfModelData.get_or_create()
    model = load_model()
    classify_structures(atoms[:4], model)  # warm-up: first-call costs out of the measurement
    rows = [measure('library', lambda: classify_structures(atoms, model) and None, args.frames, None)]
    library = rows[0]['seconds']
    trajectories = [trajectory_from_atoms(atoms).store() for _ in range(2)]
    few = args.per_structure_frames
    small = trajectory_from_atoms(atoms[:few]).store()
    start = time.perf_counter()
    classify_structures(atoms[:few], model)
    small_library = time.perf_counter() - start

    def workchain(trajectory, per_structure: bool):
        return lambda: run_get_node(
            SymmetryClassificationWorkChain, trajectories={'md': trajectory}, model=model_node,
            store_per_structure=orm.Bool(per_structure),
        )[1]  # fmt: skip

    rows.append(measure('workchain-compact', workchain(trajectories[0], False), args.frames, library))
    bulk = BulkClassificationWorkChain.get_builder_for_trajectory(trajectories[1], model=model_node)
    rows.append(measure('bulk', lambda: run_get_node(bulk)[1], args.frames, library))
    rows.append(measure('workchain-per-structure', workchain(small, True), few, small_library))
    report = {
        'command': 'python benchmarks/trajectory_cost.py ' + ' '.join(sys.argv[1:]),
        'storage': 'core.sqlite_dos', 'atoms_per_frame': len(atoms[0]), 'rows': rows,
        'load_1min': os.getloadavg()[0],
    }  # fmt: skip
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=1) + '\n')
    print(f'wrote {args.output}')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
