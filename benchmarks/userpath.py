"""User-path benchmark: ``python benchmarks/userpath.py`` (``--quick`` for a 1-2 minute run).

Inputs are built the way users have them (:mod:`aiida_symclf.testing.user_inputs`): real elements of
every class at their experimental lattice parameters (+-2% strain), as primitive or conventional
cells, made ~250-atom supercells along random non-diagonal matrices, perturbed *before* they
enter the pipeline (displacements 1-8% of the NN distance, vacancies 10-60%) and randomly
rotated; MD snapshots of fcc metals (ASE's EMT, Langevin at 300, 600, 900 K); and an
out-of-class set (amorphous and liquid-like boxes, compounds, low-symmetry and layered elements).

All of them go through the public pipeline, the code users run:

- the library path, :func:`aiida_symclf.library.pipeline.classify_structures` (what
  ``aiida-symclf classify --library`` calls; the CLI itself is run on a subset as files, and its
  labels must agree);
- the WorkChain (``symclf.classify``, default per-structure mode) on a subset, in a temporary
  embedded profile;
- spglib at the loose tolerance (0.1 A, 5 deg) on a subset, for comparison.

Reported: accuracy per class and level (right label), the ``unknown`` rate per level and on the
out-of-class groups, the expected calibration error of the network's probability, the
uncertainty distribution, structures per second of the library path. Writes
``benchmarks/results/userpath.json``.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault('SPGLIB_WARNING', 'OFF')

from aiida_symclf.library.catalogue import ELEMENT_CLASSES  # noqa: E402
from aiida_symclf.library.classification import UNKNOWN  # noqa: E402
from aiida_symclf.library.model import load_model  # noqa: E402
from aiida_symclf.library.pipeline import classify_structures  # noqa: E402
from aiida_symclf.testing.real_compounds import expected_of_no_class  # noqa: E402
from aiida_symclf.testing.user_inputs import LEVELS, md_snapshots, out_of_class_structures, user_input  # noqa: E402

HERE = Path(__file__).parent
DEFAULT_OUTPUT = HERE / 'results' / 'userpath.json'
SEED = 424242
MD_METALS = ('Al', 'Ni', 'Cu', 'Pd', 'Ag', 'Pt', 'Au')
MD_TEMPERATURES = (300.0, 600.0, 900.0)


def in_class_cases(n_per_class: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    cases = []
    for level in LEVELS:
        for label in (crystal_class.name for crystal_class in ELEMENT_CLASSES):
            for _ in range(n_per_class):
                name, atoms = user_input(label, level, rng)
                cases.append({'set': 'in-class', 'group': level.name, 'expected': label, 'name': name, 'atoms': atoms})
    return cases


def md_cases(per_run: int, rng: np.random.Generator, steps: int) -> list[dict[str, Any]]:
    return [
        {'set': 'md', 'group': f'MD {temperature:.0f} K', 'expected': 'fcc', 'name': symbol, 'atoms': atoms}
        for symbol, temperature, atoms in md_snapshots(MD_METALS, MD_TEMPERATURES, per_run, rng, steps)
    ]


def out_of_class_cases(copies: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    return [
        {'set': 'out-of-class', 'group': group, 'expected': UNKNOWN, 'name': name, 'atoms': atoms}
        for group, name, atoms in out_of_class_structures(rng, copies)
    ]


def classify_library(cases: list[dict[str, Any]], model) -> float:
    """Classify all cases through the library path; returns structures per second."""
    start = time.perf_counter()
    records, errors = classify_structures([case['atoms'] for case in cases], model)
    seconds = time.perf_counter() - start
    for case, record, error in zip(cases, records, errors, strict=True):
        case['record'] = record
        case['error'] = error
        case['label'] = record['label'] if record else None
    return len(cases) / seconds


def run_cli(cases: list[dict[str, Any]], model_path: Path | None) -> dict[str, Any]:
    """``aiida-symclf classify --library --json`` (with ``--model`` when one is given) on the cases
    written as extxyz files."""
    from ase.io import write

    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for index, case in enumerate(cases):
            path = Path(folder) / f'case_{index}.xyz'
            write(path, case['atoms'], format='extxyz')
            paths.append(path)
        command = [sys.executable, '-m', 'aiida_symclf.cli', 'classify', '--library', '--json', *map(str, paths)]
        if model_path is not None:
            command[4:4] = ['--model', str(model_path)]
        start = time.perf_counter()
        run = subprocess.run(command, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
    labels = {Path(row['file']).name: row['label'] for row in json.loads(run.stdout)['results']}
    agree = sum(labels.get(f'case_{i}.xyz') == case['label'] for i, case in enumerate(cases))
    return {'n': len(cases), 'agree_with_library': agree, 'seconds': round(seconds, 1)}


def run_workchain(cases: list[dict[str, Any]], model_path: Path | None) -> dict[str, Any]:
    """The WorkChain (per-structure mode, with the model of ``model_path`` when given) on the cases,
    in a temporary embedded profile."""
    with tempfile.TemporaryDirectory() as folder:
        os.environ['AIIDA_PATH'] = folder
        from aiida import orm
        from aiida.engine import run_get_node

        from aiida_symclf.data import SymclfModelData
        from aiida_symclf.utils.profile import ensure_embedded_profile
        from aiida_symclf.workflows.classify import SymmetryClassificationWorkChain

        ensure_embedded_profile('userpath-benchmark')
        structures = {f's{index}': orm.StructureData(ase=case['atoms']) for index, case in enumerate(cases)}
        start = time.perf_counter()
        model = SymclfModelData.get_or_create(model_path)
        _, node = run_get_node(SymmetryClassificationWorkChain, structures=structures, model=model)
        seconds = time.perf_counter() - start
        results = node.outputs.results
        labels = [results[f's{i}']['label'] if f's{i}' in results else None for i in range(len(cases))]
    right = sum(label == case['expected'] for label, case in zip(labels, cases, strict=True))
    agree = sum(label == case['label'] for label, case in zip(labels, cases, strict=True))
    return {
        'n': len(cases),
        'exit_status': node.exit_status,
        'right': right,
        'agree_with_library': agree,
        'seconds': round(seconds, 1),
    }


def spglib_loose(cases: list[dict[str, Any]]) -> None:
    from aiida_symclf.library.symmetry import SPGLIB_LOOSE, spglib_class

    for case in cases:
        case['spglib'] = spglib_class(case['atoms'], *SPGLIB_LOOSE) or UNKNOWN


def expected_calibration_error(cases: list[dict[str, Any]], bins: int = 10) -> float:
    """ECE of the network's probability for its own answer, over in-class inputs."""
    scored = [c for c in cases if c['set'] != 'out-of-class' and c['record'] is not None]
    confidence = np.array([c['record']['probability'] for c in scored])
    correct = np.array([c['record']['network_label'] == c['expected'] for c in scored], dtype=float)
    edges = np.linspace(0, 1, bins + 1)
    error = 0.0
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            error += inside.mean() * abs(confidence[inside].mean() - correct[inside].mean())
    return float(error)


def summarise(cases: list[dict[str, Any]]) -> dict[str, Any]:
    groups: dict[str, dict[str, Any]] = collections.OrderedDict()
    for case in cases:
        row = groups.setdefault(
            case['group'],
            {
                'set': case['set'],
                'n': 0,
                'right': 0,
                'unknown': 0,
                'spglib_n': 0,
                'spglib_right': 0,
                'wrong': collections.Counter(),
            },
        )
        row['n'] += 1
        row['right'] += case['label'] == case['expected']
        row['unknown'] += case['label'] == UNKNOWN
        if case['label'] not in (case['expected'], UNKNOWN):
            row['wrong'][f'{case["name"]} -> {case["label"]}'] += 1
        if 'spglib' in case:
            row['spglib_n'] += 1
            row['spglib_right'] += case['spglib'] == case['expected']
    per_class: dict[str, dict[str, float]] = {}
    for case in cases:
        if case['set'] == 'in-class':
            entry = per_class.setdefault(case['expected'], {}).setdefault(case['group'], [0, 0])
            entry[0] += case['label'] == case['expected']
            entry[1] += 1
    table = {}
    for name, row in groups.items():
        table[name] = {
            'set': row['set'],
            'n': row['n'],
            'accuracy': round(100.0 * row['right'] / row['n'], 2),
            'unknown_rate': round(100.0 * row['unknown'] / row['n'], 2),
            'spglib_loose_accuracy': round(100.0 * row['spglib_right'] / row['spglib_n'], 1)
            if row['spglib_n']
            else None,
            'spglib_n': row['spglib_n'],
            'errors': dict(row['wrong'].most_common(8)),
        }
    uncertainty = {
        name: [c['record']['uncertainty'] for c in cases if c['set'] == name and c['record'] is not None]
        for name in ('in-class', 'md', 'out-of-class')
    }
    return {
        'groups': table,
        'per_class': {
            label: {level: round(100.0 * r / n, 1) for level, (r, n) in rows.items()}
            for label, rows in per_class.items()
        },
        'ece': round(expected_calibration_error(cases), 4),
        'uncertainty_quantiles': {
            name: [round(float(q), 4) for q in np.quantile(values, [0.5, 0.9, 0.99, 1.0])] if values else None
            for name, values in uncertainty.items()
        },
        'failed': sum(c['record'] is None for c in cases),
    }


def print_table(summary: dict[str, Any], speed: float) -> None:
    print(f'\n{"group":28s} {"set":13s} {"n":>5s} {"right %":>8s} {"unknown %":>10s} {"spglib 0.1 %":>13s}')
    for name, row in summary['groups'].items():
        spglib = f'{row["spglib_loose_accuracy"]:.1f} ({row["spglib_n"]})' if row['spglib_n'] else '-'
        print(
            f'{name:28s} {row["set"]:13s} {row["n"]:5d} {row["accuracy"]:8.1f} {row["unknown_rate"]:10.1f} {spglib:>13s}'
        )
    print(f'\nexpected calibration error of the network probability (in-class + MD): {summary["ece"]:.4f}')
    print(f'uncertainty quantiles (50/90/99/100%): {summary["uncertainty_quantiles"]}')
    print(f'library path: {speed:.1f} structures/s (one process, this machine)')
    for name, row in summary['groups'].items():
        if row['errors']:
            print(f'  {name}: {row["errors"]}')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--quick', action='store_true', help='small sizes (about 1-2 minutes)')
    parser.add_argument('--per-class', type=int, default=60, help='structures per class and level')
    parser.add_argument('--workchain', type=int, default=2, help='structures per class and level through the WorkChain')
    parser.add_argument('--spglib', type=int, default=5, help='structures per class and level for spglib')
    parser.add_argument('--model', type=Path, default=None, help='model file (default: the shipped one)')
    parser.add_argument('--output', type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    per_class, md_per_run, copies, md_steps = (args.per_class, 3, 3, 300) if not args.quick else (6, 1, 1, 100)
    rng = np.random.default_rng(SEED)
    started = time.perf_counter()
    cases = in_class_cases(per_class, rng) + md_cases(md_per_run, rng, md_steps) + out_of_class_cases(copies, rng)
    built = time.perf_counter() - started
    print(f'built {len(cases)} structures in {built:.0f} s', flush=True)
    model = load_model(args.model)
    for case in cases:  # a model with AFLOW classes must name the structures of no built-in class it has
        if case['set'] == 'out-of-class':
            case['expected'] = expected_of_no_class(case['name'], model.class_names)
    speed = classify_library(cases, model)
    subset = [c for i, c in enumerate(cases) if c['set'] != 'in-class' or i % per_class < args.spglib]
    spglib_loose(subset)
    workchain_cases = [c for i, c in enumerate(cases) if c['set'] != 'in-class' or i % per_class < args.workchain]
    cli = run_cli(workchain_cases, args.model)
    workchain = run_workchain(workchain_cases, args.model)
    summary = summarise(cases)
    print_table(summary, speed)
    print(f'CLI (--library --json) on {cli["n"]} files: {cli["agree_with_library"]} labels agree with the library path')
    print(f'WorkChain on {workchain["n"]} structures: exit {workchain["exit_status"]}, {workchain["right"]} right, '
          f'{workchain["agree_with_library"]} agree with the library path, {workchain["seconds"]} s')  # fmt: skip
    result = {
        'command': ' '.join(['python benchmarks/userpath.py', *(sys.argv[1:] if argv is None else argv)]),
        'seed': SEED,
        'model': str(args.model or 'shipped'),
        'per_class_and_level': per_class,
        'structures': len(cases),
        'library_structures_per_second': round(speed, 1),
        'cli': cli,
        'workchain': workchain,
        **summary,
        'seconds': round(time.perf_counter() - started, 1),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=1) + '\n')
    print(f'wrote {args.output} ({result["seconds"]} s)')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
