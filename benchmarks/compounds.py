"""Compound benchmark: ``python benchmarks/compounds.py`` (``--quick`` for a short run).

Inputs are built the way users have them (:mod:`aiida_symclf.testing.user_inputs`): *real* compounds of
every compound class at their experimental structures (:data:`aiida_symclf.testing.real_compounds.COMPOUNDS`,
+-2% strain; the training generator draws random chemistry instead), as primitive or conventional
cells, made ~250-atom supercells along random non-diagonal matrices, perturbed *before* they enter
the pipeline (displacements, vacancies, antisite disorder) and randomly rotated. All go through
:func:`aiida_symclf.library.pipeline.classify_structures`, the library path of ``aiida-symclf
classify --library`` and of the CalcFunctions.

Reported, in one run:

- accuracy per compound class and level, and the confusion matrix (PNG);
- the ``unknown`` rate on compounds of prototypes outside the class list
  (:data:`aiida_symclf.testing.real_compounds.OTHER_COMPOUNDS`), pristine and 2% displaced;
- the elemental classes on the user path (:data:`aiida_symclf.testing.user_inputs.LEVELS`) with the
  shipped default model *and* the elemental model it replaced (``symclf-elements.pt``), on the
  same inputs: the no-loss check.

Writes ``benchmarks/results/compounds.json`` and ``benchmarks/results/compounds_confusion.png``.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault('SPGLIB_WARNING', 'OFF')

from aiida_symclf.library.catalogue import COMPOUND_CLASSES, ELEMENT_CLASSES  # noqa: E402
from aiida_symclf.library.classification import UNKNOWN  # noqa: E402
from aiida_symclf.library.model import load_model, shipped_model_path  # noqa: E402
from aiida_symclf.library.perturb import PerturbationLevel  # noqa: E402
from aiida_symclf.library.pipeline import classify_structures  # noqa: E402
from aiida_symclf.testing.real_compounds import OTHER_COMPOUNDS, expected_of_no_class  # noqa: E402
from aiida_symclf.testing.user_inputs import (  # noqa: E402
    COMPOUND_LEVELS,
    LEVELS,
    perturbed,
    random_rotation,
    random_supercell,
    user_input,
)

HERE = Path(__file__).parent
RESULTS = HERE / 'results'
SEED = 20261126
ELEMENTS_MODEL = shipped_model_path('elements')


def in_class_cases(classes, levels, n_per_class: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    return [
        {'group': level.name, 'expected': crystal_class.name, 'name': name, 'atoms': atoms}
        for level in levels
        for crystal_class in classes
        for name, atoms in (user_input(crystal_class.name, level, rng) for _ in range(n_per_class))
    ]


def other_compound_cases(copies: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    """Compounds of prototypes outside the list: pristine and 2% displaced, any frame."""
    cases = []
    for level in (PerturbationLevel(), PerturbationLevel(displacement=0.02)):
        for _ in range(copies):
            for name, build in OTHER_COMPOUNDS.items():
                atoms = perturbed(random_supercell(build(float(rng.uniform(0.98, 1.02))), rng), level, rng)
                cases.append(
                    {'group': level.name, 'expected': UNKNOWN, 'name': name, 'atoms': random_rotation(atoms, rng)}
                )
    return cases


def classify(cases: list[dict[str, Any]], model, key: str = 'label') -> float:
    """Labels of ``cases`` under ``model`` stored as ``case[key]``; returns structures per second."""
    start = time.perf_counter()
    records, errors = classify_structures([case['atoms'] for case in cases], model)
    seconds = time.perf_counter() - start
    for case, record in zip(cases, records, strict=True):
        case[key] = record['label'] if record else None
        case[f'{key}_uncertainty'] = record['uncertainty'] if record else None
    return len(cases) / seconds


def percent_by_group(cases: list[dict[str, Any]], hit: Callable[[dict[str, Any]], bool]) -> dict[str, float]:
    """Percentage of the pristine and of the 2%-displaced ``cases`` for which ``hit`` is true."""
    return {
        group: round(100.0 * np.mean([hit(case) for case in cases if case['group'] == group]), 1)
        for group in ('pristine', 'displacement 2%')
    }


def uncertainty_quantiles(cases: list[dict[str, Any]]) -> list[float]:
    """50/90/99/100% quantiles of the MC-dropout mutual information of ``cases``."""
    values = [case['label_uncertainty'] for case in cases if case.get('label_uncertainty') is not None]
    return [round(float(q), 4) for q in np.quantile(values, [0.5, 0.9, 0.99, 1.0])]


def accuracy_table(cases: list[dict[str, Any]], key: str = 'label') -> dict[str, dict[str, float]]:
    """{class: {level: accuracy %}} and an 'all' row per level."""
    counts: dict[str, dict[str, list[int]]] = collections.defaultdict(lambda: collections.defaultdict(lambda: [0, 0]))
    for case in cases:
        for row in (case['expected'], 'all'):
            entry = counts[row][case['group']]
            entry[0] += case[key] == case['expected']
            entry[1] += 1
    return {
        row: {level: round(100.0 * right / n, 1) for level, (right, n) in levels.items()}
        for row, levels in counts.items()
    }


def confusion(cases: list[dict[str, Any]], names: list[str]) -> np.ndarray:
    """Counts (expected class, predicted class or unknown or other)."""
    columns = [*names, UNKNOWN, 'other']
    matrix = np.zeros((len(names), len(columns)), dtype=int)
    for case in cases:
        predicted = case['label'] if case['label'] in columns else 'other'
        matrix[names.index(case['expected']), columns.index(predicted)] += 1
    return matrix


def plot_confusion(matrix: np.ndarray, names: list[str], path: Path) -> None:
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fractions = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    figure, axes = plt.subplots(figsize=(11, 9.5))
    image = axes.imshow(fractions, cmap='Blues', vmin=0, vmax=1)
    columns = [*names, UNKNOWN, 'other']
    axes.set_xticks(range(len(columns)), columns, rotation=90, fontsize=8)
    axes.set_yticks(range(len(names)), names, fontsize=8)
    axes.set_xlabel('predicted label')
    axes.set_ylabel('compound class of the input (real compounds, every level)')
    for i, j in zip(*np.nonzero(matrix), strict=True):
        axes.text(j, i, str(matrix[i, j]), ha='center', va='center', fontsize=6,
                  color='white' if fractions[i, j] > 0.5 else 'black')  # fmt: skip
    figure.colorbar(image, ax=axes, fraction=0.03, label='fraction of the row')
    axes.set_title('Compound classes on the user path: confusion matrix')
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def print_table(title: str, table: dict[str, dict[str, float]], levels: list[str]) -> None:
    print(f'\n{title}')
    width = max(len(row) for row in table) + 2
    print(' ' * width + ''.join(f'{level[:14]:>15s}' for level in levels))
    for row, values in table.items():
        print(f'{row:<{width}s}' + ''.join(f'{values.get(level, float("nan")):15.1f}' for level in levels))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--quick', action='store_true', help='2 structures per class and level (CI-sized)')
    parser.add_argument('--n-per-class', type=int, default=12, help='structures per compound class and level')
    parser.add_argument('--n-elements', type=int, default=8, help='structures per elemental class and level')
    parser.add_argument('--model', type=Path, default=None, help='model file (default: the shipped default)')
    parser.add_argument('--output', type=Path, default=RESULTS / 'compounds.json')
    parser.add_argument('--figure', type=Path, default=RESULTS / 'compounds_confusion.png')
    args = parser.parse_args()
    n_compound, n_element, copies = (2, 2, 1) if args.quick else (args.n_per_class, args.n_elements, 4)
    rng = np.random.default_rng(SEED)
    model, elements_model = load_model(args.model), load_model(ELEMENTS_MODEL)

    compounds = in_class_cases(COMPOUND_CLASSES, COMPOUND_LEVELS, n_compound, rng)
    others = other_compound_cases(copies, rng)
    for case in others:  # a model with AFLOW classes must name those it has
        case['expected'] = expected_of_no_class(case['name'], model.class_names)
    elements = in_class_cases(ELEMENT_CLASSES, LEVELS, n_element, rng)
    rate = classify(compounds, model)
    classify(others, model)
    classify(elements, model)
    classify(elements, elements_model, key='label_elements_model')

    compound_levels = [level.name for level in COMPOUND_LEVELS]
    element_levels = [level.name for level in LEVELS]
    compound_table = accuracy_table(compounds)
    element_new = accuracy_table(elements)['all']
    element_old = accuracy_table(elements, key='label_elements_model')['all']
    other_unknown = percent_by_group(others, lambda case: case['label'] == UNKNOWN)
    other_right = percent_by_group(others, lambda case: case['label'] == case['expected'])
    other_labels = collections.Counter(f'{c["name"]} -> {c["label"]}' for c in others if c['label'] != c['expected'])
    errors = collections.Counter(
        f'{c["expected"]} ({c["name"]}, {c["group"]}) -> {c["label"]}' for c in compounds if c['label'] != c['expected']
    )
    names = [c.name for c in COMPOUND_CLASSES]
    matrix = confusion(compounds, names)
    plot_confusion(matrix, names, args.figure)

    print_table('Compound classes, accuracy % (real compounds, user path)', compound_table, compound_levels)
    print(f'\nCompounds of other prototypes, unknown %: {other_unknown}  (n = {len(others)})')
    print(f'... right % (their AFLOW class where the model has it, else unknown): {other_right}')
    print(f'labelled otherwise: {dict(other_labels.most_common(10))}')
    print('\nElemental classes, accuracy % on the same inputs:')
    print(f'{"level":<20s}{"default model":>15s}{"elements model":>16s}')
    for level in element_levels:
        print(f'{level:<20s}{element_new[level]:15.1f}{element_old[level]:16.1f}')
    uncertainty = {
        'compound classes': uncertainty_quantiles(compounds),
        'other prototypes': uncertainty_quantiles(others),
    }
    print(f'uncertainty quantiles (50/90/99/100%): {uncertainty}')
    print(f'\nlibrary path: {rate:.0f} structures/s (compounds)')
    result = {
        'command': 'python benchmarks/compounds.py' + (' --quick' if args.quick else ''),
        'seed': SEED,
        'model': str((args.model or shipped_model_path()).name),
        'n_compound_cases': len(compounds),
        'n_other_compound_cases': len(others),
        'n_other_prototypes': len(OTHER_COMPOUNDS),
        'n_element_cases': len(elements),
        'compound_accuracy': compound_table,
        'uncertainty_quantiles': uncertainty,
        'other_compounds_unknown_rate': other_unknown,
        'other_compounds_right': other_right,
        'other_compounds_labelled': dict(other_labels),
        'compound_errors': dict(errors.most_common(30)),
        'element_accuracy_default_model': element_new,
        'element_accuracy_elements_model': element_old,
        'confusion': {'rows': names, 'columns': [*names, UNKNOWN, 'other'], 'counts': matrix.tolist()},
        'structures_per_second': round(rate, 1),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + '\n')
    print(f'wrote {args.output}')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
