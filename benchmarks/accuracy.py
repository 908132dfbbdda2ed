"""Robustness benchmark of Ziletti et al. (2018): ``python benchmarks/accuracy.py``.

On a held-out test set (prototypes generated from seed 777000, never used in training), for
each defect level (pristine; Gaussian displacements of delta = 0.1 ... 8% of the nearest-neighbour
distance; vacancy fractions eta = 1 ... 60%) the accuracy of

- the shipped model (:func:`aiida_symclf.library.model.load_model`),
- a model trained on pristine structures only, the paper's protocol
  (``benchmarks/models/symclf-pristine.pt``),
- spglib at a loose (symprec 0.1 A, 5 deg) and a tight (symprec 1e-4 A, 1 deg) tolerance,

all on the same defective ~250-atom blocks. spglib is right when the space group it finds is
one of the true class's space groups (:func:`aiida_symclf.library.catalogue.space_group_to_class`).

Also the paper's bcc -> sc transition: a bcc block from which a growing fraction of the
body-centre atoms is removed, classified by both networks (P(bcc) and P(sc) averaged over seeds).

Writes ``benchmarks/results/accuracy.json`` and three figures next to it: ``confusion.png``
(shipped model, all defective levels), ``accuracy_vs_defects.png`` and ``bcc_to_sc.png``.
Run time on 2 CPU cores (measured, machine shared with other jobs): the full run (200 structures
per class and level, 21,000 blocks; spglib on 50 per class and level) took 561 s: 72 s to
standardise and replicate the blocks, 40 s for the fingerprints (~530/s), 146 s for the two
networks (~285/s each), 300 s for spglib (two tolerances, 2 processes; 5-20 ms per pristine or
displaced block, 0.1-1 s per block with vacancies) and 2 s for bcc -> sc. spglib on every block
(``--spglib-per-class 0``) adds 20-40 minutes. ``--quick`` (20 per class, spglib on 5 per class)
takes 1-2 minutes.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import dataclasses
import json
import multiprocessing
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from ase import Atoms
from ase.build import bulk

# spglib prints 'Primitive lattice cleaning is incomplete' to stderr for many displaced blocks.
os.environ.setdefault('SPGLIB_WARNING', 'OFF')

from aiida_symclf.library.catalogue import ELEMENT_CLASSES  # noqa: E402
from aiida_symclf.library.dataset import defective_blocks, generate_structures  # noqa: E402
from aiida_symclf.library.fingerprint import FingerprintParameters, diffraction_fingerprints, prepare_block  # noqa: E402
from aiida_symclf.library.model import ClassifierModel, load_model  # noqa: E402
from aiida_symclf.library.perturb import PerturbationLevel  # noqa: E402
from aiida_symclf.library.symmetry import SPGLIB_LOOSE, SPGLIB_TIGHT, spglib_space_group  # noqa: E402

HERE = Path(__file__).parent
DEFAULT_RESULTS = HERE / 'results'
DEFAULT_PRISTINE_MODEL = HERE / 'models' / 'symclf-pristine.pt'
TEST_SEED = 777000
LEVEL_SEED_STRIDE = 100_000  # perturbation seeds of level i: TEST_SEED + i * stride + structure index
METHODS = ('ours', 'pristine_only', 'spglib_loose', 'spglib_tight')
METHOD_LABELS = {
    'ours': 'ours',
    'pristine_only': 'pristine-only',
    'spglib_loose': 'spglib loose',
    'spglib_tight': 'spglib tight',
}
SPGLIB_SETTINGS = {'spglib_loose': SPGLIB_LOOSE, 'spglib_tight': SPGLIB_TIGHT}


@dataclasses.dataclass(frozen=True)
class Level:
    """One defect level: displacement delta and vacancy fraction eta, as fractions."""

    name: str
    displacement: float = 0.0
    vacancy_fraction: float = 0.0

    @property
    def kind(self) -> str:
        if self.displacement > 0:
            return 'displacement'
        if self.vacancy_fraction > 0:
            return 'vacancy'
        return 'pristine'


def element_class_names() -> list[str]:
    """The paper's classes: this benchmark reproduces its elemental study."""
    return [crystal_class.name for crystal_class in ELEMENT_CLASSES]


def paper_levels() -> list[Level]:
    """Pristine, then the displacement levels, then the vacancy levels of the benchmark."""
    displacements = (0.001, 0.006, 0.01, 0.02, 0.04, 0.06, 0.08)
    vacancies = (0.01, 0.10, 0.20, 0.25, 0.40, 0.50, 0.60)
    return (
        [Level('pristine')]
        + [Level(f'delta {100 * d:g}%', displacement=d) for d in displacements]
        + [Level(f'eta {100 * e:g}%', vacancy_fraction=e) for e in vacancies]
    )


# --------------------------------------------------------------------------------------------
# Classifiers
# --------------------------------------------------------------------------------------------


def network_probabilities(model: ClassifierModel, fingerprints: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """Probabilities (N, len(names)) of ``model``, columns reordered to ``names``."""
    probabilities = model.predict_proba(fingerprints)
    columns = [list(model.class_names).index(name) for name in names]
    return probabilities[:, columns]


def _space_group_task(arguments: tuple[Atoms, float, float]) -> int | None:
    atoms, symprec, angle_tolerance = arguments
    return spglib_space_group(atoms, symprec, angle_tolerance)


def spglib_space_groups(
    blocks: Sequence[Atoms], tolerance: tuple[float, float], pool: Any | None = None
) -> list[int | None]:
    """spglib's space group of every block at ``tolerance``, in parallel when ``pool`` is given."""
    tasks = [(block, *tolerance) for block in blocks]
    if pool is None:
        return [_space_group_task(task) for task in tasks]
    return list(pool.imap(_space_group_task, tasks, chunksize=8))


def spglib_predictions(space_groups: Sequence[int | None], names: Sequence[str]) -> np.ndarray:
    """Class index of each space group (-1 where spglib failed or the group is in no class)."""
    from aiida_symclf.library.catalogue import space_group_to_class

    mapping = space_group_to_class()
    return np.array([names.index(mapping[g]) if g in mapping else -1 for g in space_groups], dtype=np.int64)


# --------------------------------------------------------------------------------------------
# Scores
# --------------------------------------------------------------------------------------------


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts (n_classes, n_classes + 1): rows true class, columns predicted, last column 'none'."""
    matrix = np.zeros((n_classes, n_classes + 1), dtype=np.int64)
    np.add.at(matrix, (labels, np.where(predictions < 0, n_classes, predictions)), 1)
    return matrix


def per_class_accuracy(labels: np.ndarray, predictions: np.ndarray, names: Sequence[str]) -> dict[str, float]:
    return {name: float(np.mean(predictions[labels == i] == i)) for i, name in enumerate(names)}


def confusions(matrix: np.ndarray, names: Sequence[str]) -> list[str]:
    """Off-diagonal entries as ``'true -> predicted: count'``, largest first."""
    columns = list(names) + ['none']
    entries = [
        (int(matrix[i, j]), f'{names[i]} -> {columns[j]}')
        for i in range(matrix.shape[0])
        for j in range(matrix.shape[1])
        if i != j and matrix[i, j]
    ]
    return [f'{text}: {count}' for count, text in sorted(entries, reverse=True)]


# --------------------------------------------------------------------------------------------
# Benchmark over defect levels
# --------------------------------------------------------------------------------------------


def evaluate_level(
    level: Level,
    index: int,
    structures: Sequence[Atoms],
    labels: np.ndarray,
    models: dict[str, ClassifierModel],
    parameters: FingerprintParameters,
    pool: Any | None,
    spglib_per_class: int | None = None,
) -> dict[str, Any]:
    """Accuracies, confusion matrices and timings of every method at one defect level.

    The networks see every block; spglib sees the first ``spglib_per_class`` blocks of each
    class (all when None): on blocks with vacancies it takes 0.1-1 s per block.
    """
    names = element_class_names()
    timings = {}
    started = time.perf_counter()
    perturbation = PerturbationLevel(level.displacement, level.vacancy_fraction, TEST_SEED + index * LEVEL_SEED_STRIDE)
    blocks = defective_blocks(structures, perturbation, parameters)
    timings['blocks'] = time.perf_counter() - started

    started = time.perf_counter()
    fingerprints = diffraction_fingerprints(blocks, dataclasses.replace(parameters, standardize=False))
    timings['fingerprints'] = time.perf_counter() - started

    predictions: dict[str, np.ndarray] = {}
    for method, model in models.items():
        started = time.perf_counter()
        predictions[method] = network_probabilities(model, fingerprints, names).argmax(axis=1)
        timings[method] = time.perf_counter() - started
    space_group_counts = {}
    subset = first_per_class(labels, spglib_per_class)
    for method, tolerance in SPGLIB_SETTINGS.items():
        started = time.perf_counter()
        groups = spglib_space_groups([blocks[i] for i in subset], tolerance, pool)
        predictions[method] = spglib_predictions(groups, names)
        space_group_counts[method] = dict(collections.Counter(str(g) for g in groups).most_common(10))
        timings[method] = time.perf_counter() - started

    truth = {method: labels[subset] if method in SPGLIB_SETTINGS else labels for method in METHODS}
    matrices = {method: confusion_matrix(truth[method], predictions[method], len(names)) for method in METHODS}
    return {
        'name': level.name,
        'kind': level.kind,
        'displacement': level.displacement,
        'vacancy_fraction': level.vacancy_fraction,
        'perturbation_seed': perturbation.seed,
        'n': len(labels),
        'n_spglib': len(subset),
        'atoms_per_block_mean': float(np.mean([len(block) for block in blocks])),
        'accuracy': {method: float(np.mean(predictions[method] == truth[method])) for method in METHODS},
        'per_class_accuracy': {
            method: per_class_accuracy(truth[method], predictions[method], names) for method in METHODS
        },
        'confusion': {method: matrix.tolist() for method, matrix in matrices.items()},
        'confused': {method: confusions(matrices[method], names) for method in ('ours', 'pristine_only')},
        'spglib_space_groups': space_group_counts,
        'seconds': timings,
    }


def first_per_class(labels: np.ndarray, per_class: int | None) -> np.ndarray:
    """Indices of the first ``per_class`` entries of every class in ``labels`` (all when None)."""
    if per_class is None:
        return np.arange(len(labels))
    return np.array([i for c in np.unique(labels) for i in np.flatnonzero(labels == c)[:per_class]], dtype=np.int64)


def accuracy_table(levels: Sequence[dict[str, Any]]) -> str:
    """Markdown table of accuracies in percent, one row per level (n: networks, n spglib: spglib)."""
    networks = [m for m in METHODS if m not in SPGLIB_SETTINGS]
    header = (
        '| level | n | '
        + ' | '.join(METHOD_LABELS[m] for m in networks)
        + ' | n spglib | '
        + ' | '.join(METHOD_LABELS[m] for m in SPGLIB_SETTINGS)
        + ' |'
    )
    lines = [header, '|---|---|' + '---|' * (len(METHODS) + 1)]
    for level in levels:
        cells = [f'{100 * level["accuracy"][m]:.2f}' for m in networks]
        cells.append(str(level['n_spglib']))
        cells += [f'{100 * level["accuracy"][m]:.2f}' for m in SPGLIB_SETTINGS]
        lines.append(f'| {level["name"]} | {level["n"]} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


# --------------------------------------------------------------------------------------------
# bcc -> sc
# --------------------------------------------------------------------------------------------


def bcc_block(parameters: FingerprintParameters, lattice_constant: float = 3.16) -> tuple[Atoms, np.ndarray]:
    """A bcc block (conventional cubic cell replicated to ~``target_atoms``) and its body-centre mask."""
    cell = bulk('W', 'bcc', a=lattice_constant, cubic=True)
    block = prepare_block(cell, dataclasses.replace(parameters, standardize=False))
    fractional = block.get_positions() @ np.linalg.inv(np.asarray(cell.cell))
    offset = fractional - np.floor(fractional + 1e-6)
    centre = np.all(np.abs(offset - 0.5) < 1e-6, axis=1)
    return block, centre


def remove_body_centres(block: Atoms, centre: np.ndarray, fraction: float, rng: np.random.Generator) -> Atoms:
    """Copy of ``block`` without ``round(fraction * n_centres)`` randomly chosen body-centre atoms."""
    centres = np.flatnonzero(centre)
    removed = rng.choice(centres, size=int(round(fraction * len(centres))), replace=False)
    keep = np.ones(len(block), dtype=bool)
    keep[removed] = False
    return block[keep]


def crossover(fractions: np.ndarray, p_bcc: np.ndarray, p_sc: np.ndarray) -> float | None:
    """First removed fraction where P(sc) reaches P(bcc), linearly interpolated; None if never."""
    difference = p_sc - p_bcc
    for i in range(len(fractions)):
        if difference[i] >= 0:
            if i == 0:
                return float(fractions[0])
            d0, d1 = difference[i - 1], difference[i]
            return float(fractions[i - 1] + (fractions[i] - fractions[i - 1]) * (-d0) / (d1 - d0))
    return None


def bcc_to_sc(
    models: dict[str, ClassifierModel], parameters: FingerprintParameters, n_seeds: int, step: float = 0.05
) -> dict[str, Any]:
    """P(bcc) and P(sc), averaged over ``n_seeds``, vs the fraction of body-centre atoms removed."""
    names = element_class_names()
    block, centre = bcc_block(parameters)
    fractions = np.round(np.arange(0.0, 1.0 + step / 2, step), 6)
    blocks = [
        remove_body_centres(block, centre, fraction, np.random.default_rng(TEST_SEED + 1000 * seed + i))
        for i, fraction in enumerate(fractions)
        for seed in range(n_seeds)
    ]
    fingerprints = diffraction_fingerprints(blocks, dataclasses.replace(parameters, standardize=False))
    result: dict[str, Any] = {
        'atoms': len(block),
        'body_centres': int(centre.sum()),
        'seeds': n_seeds,
        'fraction_removed': fractions.tolist(),
    }
    for method, model in models.items():
        probabilities = network_probabilities(model, fingerprints, names).reshape(len(fractions), n_seeds, -1)
        mean = probabilities.mean(axis=1)
        p_bcc, p_sc = mean[:, names.index('bcc')], mean[:, names.index('sc')]
        result[method] = {
            'p_bcc': p_bcc.tolist(),
            'p_sc': p_sc.tolist(),
            'p_other': (1 - p_bcc - p_sc).tolist(),
            'p_bcc_std': probabilities[:, :, names.index('bcc')].std(axis=1).tolist(),
            'p_sc_std': probabilities[:, :, names.index('sc')].std(axis=1).tolist(),
            'crossover': crossover(fractions, p_bcc, p_sc),
        }
    return result


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------


def plot_confusion(matrix: np.ndarray, names: Sequence[str], path: Path, title: str) -> None:
    """Confusion matrix, colours normalised per true class, counts written in the cells."""
    import matplotlib.pyplot as plt

    fractions = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    figure, axes = plt.subplots(figsize=(7.5, 6))
    image = axes.imshow(fractions, cmap='Blues', vmin=0, vmax=1)
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            if matrix[i, j]:
                colour = 'white' if fractions[i, j] > 0.5 else 'black'
                axes.text(j, i, str(matrix[i, j]), ha='center', va='center', color=colour, fontsize=8)
    columns = list(names) + (['none'] if matrix.shape[1] > len(names) else [])
    axes.set_xticks(range(len(columns)), columns, rotation=45, ha='right')
    axes.set_yticks(range(len(names)), names)
    axes.set_xlabel('predicted')
    axes.set_ylabel('true')
    axes.set_title(title)
    figure.colorbar(image, ax=axes, label='fraction of true class')
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def plot_accuracy(levels: Sequence[dict[str, Any]], path: Path) -> None:
    """Accuracy vs displacement (left) and vacancy fraction (right), pristine at 0, all methods."""
    import matplotlib.pyplot as plt

    figure, panels = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    styles = {'ours': 'o-', 'pristine_only': 's--', 'spglib_loose': '^-', 'spglib_tight': 'v:'}
    for axes, kind, key, label in (
        (panels[0], 'displacement', 'displacement', 'displacement delta (% of NN distance)'),
        (panels[1], 'vacancy', 'vacancy_fraction', 'vacancies eta (%)'),
    ):
        selected = [lv for lv in levels if lv['kind'] in ('pristine', kind)]
        x = [100 * lv[key] for lv in selected]
        for method in METHODS:
            axes.plot(x, [100 * lv['accuracy'][method] for lv in selected], styles[method], label=METHOD_LABELS[method])
        axes.set_xlabel(label)
        axes.grid(alpha=0.3)
    panels[0].set_ylabel('accuracy (%)')
    panels[0].set_ylim(-3, 103)
    panels[1].legend(loc='center right')
    figure.suptitle('Held-out test set: network vs spglib on defective structures')
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def plot_bcc_to_sc(curve: dict[str, Any], path: Path) -> None:
    """P(bcc) and P(sc) vs fraction of body-centre atoms removed, both networks."""
    import matplotlib.pyplot as plt

    x = 100 * np.asarray(curve['fraction_removed'])
    figure, axes = plt.subplots(figsize=(6.5, 4.2))
    colours = {'ours': ('tab:blue', 'tab:red'), 'pristine_only': ('tab:cyan', 'tab:orange')}
    for method, style in (('ours', '-'), ('pristine_only', '--')):
        if method not in curve:
            continue
        data = curve[method]
        label = METHOD_LABELS[method]
        bcc_colour, sc_colour = colours[method]
        axes.plot(x, data['p_bcc'], 'o' + style, color=bcc_colour, markersize=4, label=f'P(bcc), {label}')
        axes.plot(x, data['p_sc'], 's' + style, color=sc_colour, markersize=4, label=f'P(sc), {label}')
        if data['crossover'] is not None:
            axes.axvline(100 * data['crossover'], color='grey', linestyle=style, linewidth=0.8)
    axes.set_xlabel('body-centre atoms removed (%)')
    axes.set_ylabel(f'probability (mean of {curve["seeds"]} seeds)')
    axes.set_ylim(-0.03, 1.03)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    axes.set_title(f'bcc -> sc ({curve["atoms"]}-atom bcc block)')
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------


def load_models(pristine_model: Path, shipped_model: Path | None = None) -> dict[str, ClassifierModel]:
    """The shipped model (or ``shipped_model``) and the pristine-only one."""
    models = {'ours': load_model(shipped_model), 'pristine_only': load_model(pristine_model)}
    if models['pristine_only'].metadata.fingerprint != models['ours'].metadata.fingerprint:
        raise ValueError('the two models expect different fingerprint parameters')
    return models


def run(arguments: argparse.Namespace) -> dict[str, Any]:
    """Evaluate every level and the bcc -> sc path; returns the JSON-ready report."""
    started = time.perf_counter()
    models = load_models(arguments.pristine_model, arguments.model)
    parameters = models['ours'].metadata.fingerprint_parameters
    names = element_class_names()
    structures, labels = generate_structures(arguments.n_per_class, arguments.seed)
    if len(structures) >= LEVEL_SEED_STRIDE:
        raise ValueError(f'at most {LEVEL_SEED_STRIDE - 1} structures per level')
    levels = [lv for lv in paper_levels() if arguments.levels is None or lv.name in arguments.levels]
    results = []
    context = multiprocessing.get_context('fork')
    with context.Pool(arguments.jobs) if arguments.jobs > 1 else contextlib.nullcontext() as pool:
        for index, level in enumerate(paper_levels()):
            if level not in levels:
                continue
            spglib_per_class = arguments.spglib_per_class or None
            result = evaluate_level(level, index, structures, labels, models, parameters, pool, spglib_per_class)
            results.append(result)
            accuracy = '  '.join(f'{METHOD_LABELS[m]} {100 * result["accuracy"][m]:6.2f}%' for m in METHODS)
            seconds = sum(result['seconds'].values())
            print(f'{level.name:12s} n={result["n"]} (spglib {result["n_spglib"]}): {accuracy}  '
                  f'({seconds:.0f} s, total {time.perf_counter() - started:.0f} s)', flush=True)  # fmt: skip

    defective = [r for r in results if r['kind'] != 'pristine']
    confusion_defective = np.sum([r['confusion']['ours'] for r in defective], axis=0) if defective else None
    curve = bcc_to_sc(models, parameters, arguments.bcc_seeds) if not arguments.skip_bcc else None
    stage_seconds = collections.Counter()
    for result in results:
        stage_seconds.update(result['seconds'])
    return {
        'benchmark': 'accuracy on defective held-out structures (Ziletti et al. 2018)',
        'settings': {
            'n_per_class': arguments.n_per_class,
            'spglib_per_class': min(arguments.spglib_per_class or arguments.n_per_class, arguments.n_per_class),
            'structure_seed': arguments.seed,
            'level_seed_stride': LEVEL_SEED_STRIDE,
            'classes': names,
            'spglib_loose': SPGLIB_LOOSE,
            'spglib_tight': SPGLIB_TIGHT,
            'models': {
                method: {
                    'path': str(
                        arguments.pristine_model if method == 'pristine_only' else arguments.model or 'load_model()'
                    ),
                    'training_command': model.metadata.training.get('command'),
                }
                for method, model in models.items()
            },
            'fingerprint_parameters': parameters.to_dict(),
        },
        'machine': {
            'cpu_count': os.cpu_count(),
            'torch': torch.__version__,
            'torch_threads': torch.get_num_threads(),
            'python': sys.version.split()[0],
            'spglib_jobs': arguments.jobs,
            'load_average_1_5_15_min_at_end': list(os.getloadavg()) if hasattr(os, 'getloadavg') else None,
        },
        'levels': results,
        'confusion_defective_ours': None if confusion_defective is None else confusion_defective.tolist(),
        'confused_defective_ours': None if confusion_defective is None else confusions(confusion_defective, names),
        'bcc_to_sc': curve,
        'stage_seconds': {stage: round(seconds, 1) for stage, seconds in stage_seconds.items()},
        'wall_seconds': round(time.perf_counter() - started, 1),
    }


def write_outputs(report: dict[str, Any], output: Path) -> list[Path]:
    """The JSON report and the figures, in ``output``'s directory."""
    directory = output.parent
    directory.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=1) + '\n')
    written = [output]
    import matplotlib

    matplotlib.use('Agg')
    names = report['settings']['classes']
    if report['confusion_defective_ours'] is not None:
        path = directory / 'confusion.png'
        n = sum(r['n'] for r in report['levels'] if r['kind'] != 'pristine')
        plot_confusion(np.array(report['confusion_defective_ours']), names, path,
                       f'shipped model, all defective levels ({n} blocks)')  # fmt: skip
        written.append(path)
    if report['levels']:
        path = directory / 'accuracy_vs_defects.png'
        plot_accuracy(report['levels'], path)
        written.append(path)
    if report['bcc_to_sc'] is not None:
        path = directory / 'bcc_to_sc.png'
        plot_bcc_to_sc(report['bcc_to_sc'], path)
        written.append(path)
    return written


def print_summary(report: dict[str, Any]) -> None:
    """The accuracy table, the shipped model's confusions, the bcc -> sc curve and timings."""
    print()
    print(accuracy_table(report['levels']))
    print()
    for level in report['levels']:
        if level['confused']['ours']:
            print(f'ours, {level["name"]}: ' + '; '.join(level['confused']['ours']))
    if report['confused_defective_ours']:
        print('ours, all defective levels: ' + '; '.join(report['confused_defective_ours']))
    curve = report['bcc_to_sc']
    if curve is not None:
        print()
        methods = [m for m in ('ours', 'pristine_only') if m in curve]
        print(
            '| removed % | '
            + ' | '.join(f'P(bcc) {METHOD_LABELS[m]} | P(sc) {METHOD_LABELS[m]}' for m in methods)
            + ' |'
        )
        print('|---|' + '---|---|' * len(methods))
        for i, fraction in enumerate(curve['fraction_removed']):
            cells = ' | '.join(f'{curve[m]["p_bcc"][i]:.3f} | {curve[m]["p_sc"][i]:.3f}' for m in methods)
            print(f'| {100 * fraction:.0f} | {cells} |')
        for method in methods:
            point = curve[method]['crossover']
            text = 'never' if point is None else f'{100 * point:.1f}% removed'
            print(f'bcc -> sc crossover ({METHOD_LABELS[method]}): {text}')
    print()
    print(f'time per stage (s): {report["stage_seconds"]}; total {report["wall_seconds"]} s')


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--n-per-class', type=int, default=200, help='test structures per class and level (default 200)'
    )
    parser.add_argument('--quick', action='store_true', help='20 per class (spglib: 5), 3 bcc -> sc seeds; 1-2 minutes')
    parser.add_argument('--seed', type=int, default=TEST_SEED, help='seed of the test prototypes (default 777000)')
    parser.add_argument('--bcc-seeds', type=int, default=10, help='random seeds averaged on the bcc -> sc path')
    parser.add_argument('--skip-bcc', action='store_true', help='do not compute the bcc -> sc path')
    parser.add_argument('--levels', type=lambda s: [v.strip() for v in s.split(',')], default=None,
                        help="comma-separated level names (e.g. 'pristine,delta 2%%'); default all")  # fmt: skip
    parser.add_argument('--pristine-model', type=Path, default=DEFAULT_PRISTINE_MODEL,
                        help='model trained on pristine structures only')  # fmt: skip
    parser.add_argument('--model', type=Path, default=None, help='model to test instead of the shipped one')
    parser.add_argument(
        '--spglib-per-class',
        type=int,
        default=50,
        help='spglib is run on the first N blocks of each class and level (0: all; default 50, '
        'since spglib takes 0.1-1 s per block with vacancies)',
    )
    parser.add_argument('--jobs', type=int, default=os.cpu_count() or 1, help='processes for spglib')
    parser.add_argument('--output', type=Path, default=DEFAULT_RESULTS / 'accuracy.json',
                        help='JSON file to write; the figures go next to it')  # fmt: skip
    arguments = parser.parse_args(argv)
    if arguments.quick:
        arguments.n_per_class = min(arguments.n_per_class, 20)
        arguments.bcc_seeds = min(arguments.bcc_seeds, 3)
        arguments.spglib_per_class = min(arguments.spglib_per_class or 5, 5)
    if arguments.levels is not None:
        unknown = set(arguments.levels) - {lv.name for lv in paper_levels()}
        if unknown:
            parser.error(f'unknown levels {sorted(unknown)}; known: {[lv.name for lv in paper_levels()]}')
    if not arguments.pristine_model.is_file():
        parser.error(f'pristine-only model {arguments.pristine_model} not found (give --pristine-model)')
    return arguments


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    report = run(arguments)
    print_summary(report)
    for path in write_outputs(report, arguments.output):
        print(f'wrote {path}')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
