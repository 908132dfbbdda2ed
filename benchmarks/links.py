"""Linked modes against aiida-core's own floor: ``python benchmarks/links.py [--sizes 100 1000]``.

The linked modes of ``SymmetryClassificationWorkChain`` link every input structure to the
processes that classify it. What that costs in aiida-core alone (storing process nodes, validating
and storing each link, storing output nodes) is the *floor*; the question is how far above it the
WorkChain is, and whether splitting the structures into batches of CalcFunction calls makes a
link cheaper. Measured on an embedded ``core.sqlite_dos`` profile (no services), on the same
``N`` stored ``StructureData`` (stored before the clock starts, as after relaxations):

- ``floor, inputs only``: one trivial CalcFunction with the ``N`` structures as inputs and one
  ``Int`` output, in batches of ``B`` structures per call (``B`` = 20, 100, ``N``);
- ``floor, one output per input``: the same with one ``Int`` output per structure;
- ``floor of the linked mode``: trivial CalcFunctions with the inputs and outputs of the linked
  mode's steps (fingerprint: ``N`` in, ``N`` out; classify: ``N`` in, ``N`` out; results: ``N``
  in, ``N`` out), called from a trivial WorkChain with the ``N`` structures as inputs that returns
  the ``2 N`` outputs the real one returns;
- ``linked mode`` (``store_per_structure=True``) and ``compact mode``
  (``store_per_structure=False``: ``N`` inputs, three outputs) of the real WorkChain; the compact
  mode's floor is ``floor, inputs only`` with ``B = N`` plus the WorkChain's own ``N`` input links
  (the trivial WorkChain with no step).

Prints a table (ms per structure, ratio to the floor) and writes
``benchmarks/results/links.json``.
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
OUTPUT = ROOT / 'benchmarks' / 'results' / 'links.json'
sys.path.insert(0, str(ROOT / 'benchmarks'))

from aiida import orm  # noqa: E402
from aiida.engine import WorkChain, calcfunction  # noqa: E402


@calcfunction
def inputs_only(**structures):
    """Trivial CalcFunction: the inputs' links and one output."""
    return orm.Int(len(structures))


@calcfunction
def one_output_each(**nodes):
    """Trivial CalcFunction: the inputs' links and one output per input."""
    return {key: orm.Int(1) for key in nodes}


class FloorWorkChain(WorkChain):
    """The linked mode's graph with no work: three steps of N in, N out; 2 N returned outputs
    (``steps=0``: the WorkChain's own input links only, the compact mode's share)."""

    @classmethod
    def define(cls, spec):
        super().define(spec)
        spec.input_namespace('structures', dynamic=True)
        spec.input('steps', valid_type=orm.Int, default=lambda: orm.Int(3))
        spec.output_namespace('results', dynamic=True)
        spec.output_namespace('fingerprints', dynamic=True)
        spec.outline(cls.run_steps)

    def run_steps(self):
        if self.inputs.steps.value == 0:
            return
        nodes = dict(self.inputs.structures)
        outputs = {}
        for label in ('fingerprint', 'classify', 'results'):
            nodes = one_output_each(**nodes, metadata={'call_link_label': label})
            outputs[label] = nodes
        self.out('fingerprints', outputs['fingerprint'])
        self.out('results', outputs['results'])


def store_structures(n: int) -> dict[str, Any]:
    from throughput import structures

    return {f's{i}': orm.StructureData(ase=atoms).store() for i, atoms in enumerate(structures(n))}


def timed(function, *args, **kwargs) -> float:
    start = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - start


def floor_calls(function, nodes: dict[str, Any], batch: int) -> float:
    keys = list(nodes)
    return timed(lambda: [function(**{k: nodes[k] for k in keys[i : i + batch]}) for i in range(0, len(keys), batch)])


def measure(n: int, batches: list[int]) -> list[dict[str, Any]]:
    """Every row for ``n`` structures (each row on structures stored for it alone)."""
    from aiida.engine import run_get_node

    from aiida_symclf.data import SymclfModelData
    from aiida_symclf.workflows.classify import SymmetryClassificationWorkChain as Classify

    model = SymclfModelData.get_or_create(None)
    rows = []

    def row(path: str, seconds: float, **extra: Any) -> None:
        rows.append({'path': path, 'n': n, 'ms_per_structure': round(1000 * seconds / n, 2), **extra})
        print(f'{path:<48s} n={n:<6d} {1000 * seconds / n:8.2f} ms/structure {extra or ""}', flush=True)

    for batch in sorted({b for b in batches if b < n} | {n}):
        row('floor, inputs only', floor_calls(inputs_only, store_structures(n), batch), batch=batch)
        row('floor, one output per input', floor_calls(one_output_each, store_structures(n), batch), batch=batch)
    run_get_node(Classify, structures=store_structures(1), model=model)  # warm-up (imports, model)
    row('floor of the compact mode (WorkChain, no step)',
        timed(run_get_node, FloorWorkChain, structures=store_structures(n), steps=orm.Int(0)))  # fmt: skip
    row('floor of the linked mode (WorkChain, 3 trivial steps)',
        timed(run_get_node, FloorWorkChain, structures=store_structures(n)))  # fmt: skip
    for compact in (False, True):
        structures = store_structures(n)
        start = time.perf_counter()
        _, node = run_get_node(Classify, structures=structures, model=model, store_per_structure=orm.Bool(not compact))
        seconds = time.perf_counter() - start
        assert node.exit_status == 0, f'WorkChain<{node.pk}>: {node.exit_status} {node.exit_message}'
        row('compact mode' if compact else 'linked mode', seconds)
    return rows


def ratios(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Each mode's cost over its floor, per size."""
    result = {}
    for n in sorted({r['n'] for r in rows}):
        cost = {r['path']: r['ms_per_structure'] for r in rows if r['n'] == n and 'batch' not in r}
        inputs_only = next(r['ms_per_structure'] for r in rows if r['n'] == n and r.get('batch') == n
                           and r['path'] == 'floor, inputs only')  # fmt: skip
        compact_floor = cost['floor of the compact mode (WorkChain, no step)'] + inputs_only
        result[f'linked mode / floor, n={n}'] = round(
            cost['linked mode'] / cost['floor of the linked mode (WorkChain, 3 trivial steps)'], 2
        )
        result[f'compact mode / floor, n={n}'] = round(cost['compact mode'] / compact_floor, 2)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sizes', type=int, nargs='+', default=[100, 1000])
    parser.add_argument('--batches', type=int, nargs='+', default=[20, 100])
    parser.add_argument('--output', type=Path, default=OUTPUT)
    args = parser.parse_args()
    os.environ['AIIDA_PATH'] = tempfile.mkdtemp(prefix='symclf-links-')
    from throughput import sqlite_profile

    sqlite_profile('links')
    start = time.perf_counter()
    rows = [row for n in args.sizes for row in measure(n, args.batches)]
    report = {
        'command': 'python benchmarks/links.py ' + ' '.join(sys.argv[1:]),
        'storage': 'core.sqlite_dos',
        'rows': rows,
        'ratios': ratios(rows),
        'load_1min': os.getloadavg()[0],
        'seconds': round(time.perf_counter() - start, 1),
    }
    print(json.dumps(report['ratios'], indent=1))
    args.output.write_text(json.dumps(report, indent=1) + '\n')
    print(f'wrote {args.output}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
