#!/usr/bin/env python3
"""Write the README's benchmark tables from the benchmark JSON: ``python scripts/readme_tables.py``.

The README holds tables between markers ``<!-- table:NAME -->`` and ``<!-- /table:NAME -->``;
each is rendered from ``benchmarks/results/*.json`` by the function of the same name below.
``--check`` writes nothing and exits 1 if a table differs from its JSON (``tests/test_readme_tables.py``
runs the same check, so the README cannot drift from the measurements).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / 'README.md'
RESULTS = ROOT / 'benchmarks' / 'results'


def _row(cells: list[Any]) -> str:
    return '| ' + ' | '.join(str(cell) for cell in cells) + ' |'


def userpath(report: dict[str, Any]) -> list[str]:
    """User-path benchmark: accuracy and `unknown` rate per group, spglib for comparison."""
    lines = [
        f'Inputs built as users have them, {report["per_class_and_level"]} per class and level '
        f'(`{report["command"]}`, seed {report["seed"]}, {report["structures"]} structures, '
        f'{report["seconds"]:.0f} s on 2 cores):',
        '',
        _row(['inputs', 'n', 'right %', 'unknown %', 'spglib 0.1 Å right % (n)']),
        _row(['---'] * 5),
    ]
    for name, group in report['groups'].items():
        spglib = f'{group["spglib_loose_accuracy"]:.1f} ({group["spglib_n"]})' if group['spglib_n'] else '-'
        lines.append(_row([name, group['n'], f'{group["accuracy"]:.1f}', f'{group["unknown_rate"]:.1f}', spglib]))
    workchain = report['workchain']
    lines += [
        '',
        f'Expected calibration error of the network probability: {report["ece"]:.4f}. '
        f'Library path: {report["library_structures_per_second"]:.0f} structures/s (one process). '
        f'The same {workchain["n"]} structures through the WorkChain: exit status {workchain["exit_status"]}, '
        f'{workchain["agree_with_library"]} of {workchain["n"]} labels as on the library path; through '
        f'`aiida-symclf classify --library --json`: {report["cli"]["agree_with_library"]} of {report["cli"]["n"]}.',
    ]
    return lines


def accuracy(report: dict[str, Any]) -> list[str]:
    """The paper's table (perturb after standardising), elemental vs pristine-only model vs spglib."""
    settings = report.get('settings', {})
    methods = ['ours', 'pristine_only', 'spglib_loose', 'spglib_tight']
    lines = [
        f"Perturbed *after* standardising (the paper's protocol; {settings.get('n_per_class', '?')} per class and "
        f'level for the networks; structure seed {settings.get("structure_seed", "?")}; '
        f'`python benchmarks/accuracy.py`, {report.get("wall_seconds", "?")} s):',
        '',
        _row(
            [
                'level',
                'n',
                'elemental model',
                'pristine-only model',
                'spglib loose (0.1 Å, 5°)',
                'spglib tight (1e-4 Å, 1°)',
            ]
        ),
        _row(['---'] * 6),
    ]
    for level in report['levels']:
        values = [level['accuracy'].get(m) for m in methods]
        lines.append(_row([level['name'], level['n'], *('-' if v is None else f'{100 * v:.1f}' for v in values)]))
    return lines


def compounds(report: dict[str, Any]) -> list[str]:
    """Compound benchmark: accuracy of the compound classes per level, other prototypes, elemental no-loss check."""
    table = report['compound_accuracy']
    levels = list(table['all'])
    classes = [name for name in table if name != 'all']
    lines = [
        f'Real compounds built as users have them (`{report["command"]}`, seed {report["seed"]}, '
        f'{report["n_compound_cases"]} compound structures): accuracy % per level, all 26 classes and the worst class',
        '',
        _row(['level', 'all classes', 'worst class']),
        _row(['---'] * 3),
    ]
    for level in levels:
        worst = min(classes, key=lambda name: table[name][level])
        lines.append(_row([level, f'{table["all"][level]:.1f}', f'{table[worst][level]:.1f} ({worst})']))
    other = report['other_compounds_unknown_rate']
    lines += [
        '',
        f'Compounds of {report["n_other_prototypes"]} prototypes outside the list '
        f'({report["n_other_compound_cases"]} structures): `unknown` '
        + ', '.join(f'{rate:.1f}% {group}' for group, rate in other.items())
        + '. Elemental classes on the same user-path inputs, default model vs the elemental model it replaced: '
        + ', '.join(
            f'{level} {report["element_accuracy_default_model"][level]:.1f} vs {report["element_accuracy_elements_model"][level]:.1f}'
            for level in report['element_accuracy_default_model']
        )
        + '.',
    ]
    return lines


TABLES: dict[str, tuple[Callable[[dict[str, Any]], list[str]], str]] = {
    'userpath': (userpath, 'userpath.json'),
    'accuracy': (accuracy, 'accuracy.json'),
    'compounds': (compounds, 'compounds.json'),
}


def updated(text: str) -> str:
    """``text`` with every marked table re-rendered from its JSON."""
    for name, (render, filename) in TABLES.items():
        pattern = re.compile(rf'(<!-- table:{name} -->\n)(?:.*?\n)?(<!-- /table:{name} -->)', re.DOTALL)
        if not pattern.search(text):
            continue
        body = '\n'.join(render(json.loads((RESULTS / filename).read_text())))
        text = pattern.sub(lambda match, body=body: match.group(1) + body + '\n' + match.group(2), text)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--check', action='store_true', help='exit 1 if the README differs from the JSON')
    args = parser.parse_args(argv)
    current = README.read_text()
    new = updated(current)
    if args.check:
        if new != current:
            print('README tables differ from benchmarks/results/*.json: run python scripts/readme_tables.py')
            return 1
        return 0
    README.write_text(new)
    return 0


if __name__ == '__main__':
    sys.exit(main())
