"""The WorkChain's results step: ``collect_results`` on N classification Dicts in one call (as
before 0.3.6) against calls of ``RESULTS_BATCH_SIZE`` plus ``merge_summaries`` (now).

aiida-core validates every new input link of a call against the earlier ones and compares two
``Dict`` nodes by content, reloaded from the database, so one call is quadratic in its Dict
inputs (issue 30.5: 124 s of a 224 s run of 500 files). The Dicts here are stored like the
``classify`` step's outputs (label, probabilities of the 33 classes, lattice facts), on an
embedded ``core.sqlite_dos`` profile.

``python benchmarks/collect_results.py --sizes 100 200`` prints a table and writes
``benchmarks/results/collect_results.json``.
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

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / 'benchmarks' / 'results' / 'collect_results.json'
sys.path.insert(0, str(ROOT / 'benchmarks'))


def classification_dicts(n: int) -> dict[str, Any]:
    """``n`` stored Dicts shaped like the ``classify`` step's outputs."""
    from aiida import orm

    from aiida_symclf.library.catalogue import class_names

    names = class_names()
    result = {
        'label': 'fcc', 'aflow_prototype': 'A_cF4_225_a', 'strukturbericht': 'A1', 'network_label': 'fcc',
        'space_groups': [225], 'probability': 0.999, 'probabilities': {name: 1e-4 for name in names},
        'uncertainty': 0.001, 'unknown_reason': None, 'lattice': {'bravais': 'cF', 'atoms_per_lattice_point': 1.0},
        'model_sha256': '0' * 64,
    }  # fmt: skip
    return {f's{index}': orm.Dict({**result, 'structure_uuid': str(index)}).store() for index in range(n)}


class DictComparisons:
    """Counts ``Dict.__eq__`` calls within the block: the quadratic part, independent of the load."""

    def __enter__(self) -> DictComparisons:
        from aiida import orm

        self.count, self._original = 0, orm.Dict.__eq__

        def counted(node: Any, other: Any) -> bool:
            self.count += 1
            return self._original(node, other)

        orm.Dict.__eq__ = counted
        return self

    def __exit__(self, *_: object) -> None:
        from aiida import orm

        orm.Dict.__eq__ = self._original


def one_call(dicts: dict[str, Any]) -> float:
    from aiida import orm

    from aiida_symclf.calculations.functions import collect_results

    start = time.perf_counter()
    collect_results(layout=orm.Dict({'structures': dict.fromkeys(dicts, []), 'levels': [], 'failures': {}}), **dicts)
    return time.perf_counter() - start


def in_batches(dicts: dict[str, Any], size: int) -> float:
    from aiida import orm

    from aiida_symclf.calculations.functions import collect_results, merge_summaries

    start = time.perf_counter()
    keys, summaries = list(dicts), {}
    for first in range(0, len(keys), size):
        part = keys[first : first + size]
        outputs = collect_results(
            layout=orm.Dict({'structures': dict.fromkeys(part, []), 'levels': [], 'failures': {}}),
            **{key: dicts[key] for key in part},
        )
        summaries[f'batch_{len(summaries)}'] = outputs['summary']
    if len(summaries) > 1:
        merge_summaries(**summaries)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sizes', type=int, nargs='+', default=[100, 200])
    parser.add_argument('--output', type=Path, default=OUTPUT)
    args = parser.parse_args()
    os.environ['AIIDA_PATH'] = tempfile.mkdtemp(prefix='symclf-collect-')
    from tabulate import tabulate
    from throughput import sqlite_profile

    from aiida_symclf.workflows.classify import RESULTS_BATCH_SIZE

    sqlite_profile('collect')
    rows = []
    for n in args.sizes:
        dicts = classification_dicts(n)
        with DictComparisons() as before:
            seconds = one_call(dicts)
        rows.append({'dicts': n, 'one_call_s': round(seconds, 1), 'one_call_comparisons': before.count})
        with DictComparisons() as after:
            seconds = in_batches(dicts, RESULTS_BATCH_SIZE)
        rows[-1].update(batched_s=round(seconds, 1), batched_comparisons=after.count)
        rows[-1]['batched_ms_per_structure'] = round(1000 * rows[-1]['batched_s'] / n)
        print(json.dumps(rows[-1]), flush=True)
    print(tabulate([list(row.values()) for row in rows], headers=list(rows[0])))
    report = {
        'command': 'python benchmarks/collect_results.py ' + ' '.join(sys.argv[1:]),
        'storage': 'core.sqlite_dos',
        'batch_size': RESULTS_BATCH_SIZE,
        'load_1min': os.getloadavg()[0],
        'comparisons': 'Dict.__eq__ calls made by aiida-core while linking the inputs',
        'rows': rows,
    }
    args.output.write_text(json.dumps(report, indent=1) + '\n')
    print(f'wrote {args.output}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
