"""Are the class maps faithful? ``python benchmarks/attention_faithfulness.py`` (``--quick``: 1 input per class).

The deletion test of the attention issue, on inputs built the way users have them
(:func:`aiida_symclf.testing.user_inputs.user_input`: real elements and compounds of every class, ~250-atom
supercells of primitive or conventional cells along random matrices, perturbed before the
pipeline, rotated) and fingerprinted by the pipeline's own
:func:`aiida_symclf.library.pipeline.fingerprint_structures`. For each input the 5% of the pixels
that the predicted class's map ranks highest are set to 0 in every channel, and the drop of that
class's probability is recorded; the same for 5% random pixels. Target: mean drop >= 0.9 for the
top pixels, < 0.05 for random ones.

The probability is the network's within the input's class group (elemental or compound classes,
chosen by the structure's chemical order, as the pipeline does). The pipeline narrows the
elemental group further by the Bravais lattice; where that leaves one class its probability is 1
whatever the pixels say, so the narrowed probability would not test the maps.

Compared per model: the class maps as shipped (SmoothGrad x input, 8 noisy copies) and the plain
gradient x input (``smoothing_samples=0``). Writes ``benchmarks/results/attention_faithfulness.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from aiida_symclf.library.attention import DELETION_SHARE, SMOOTHING_SAMPLES, compute_attention, deletion_drops
from aiida_symclf.library.classification import class_kind
from aiida_symclf.library.model import ClassifierModel, load_model, shipped_model_path
from aiida_symclf.library.pipeline import fingerprint_structures
from aiida_symclf.testing.user_inputs import LEVELS, user_input

OUTPUT = Path(__file__).parent / 'results' / 'attention_faithfulness.json'
MODELS = (
    shipped_model_path(),
    shipped_model_path('elements'),
    shipped_model_path('insight'),
)
INPUT_LEVELS = ('pristine', 'displacement 2%', 'vacancies 10%')
METHODS = {'SmoothGrad x input': SMOOTHING_SAMPLES, 'gradient x input': 0}


def user_inputs(model: ClassifierModel, per_class: int) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Class labels, fingerprints and class-group masks of ``per_class`` user-like inputs per class and level."""
    rng = np.random.default_rng(11)
    levels = [level for level in LEVELS if level.name in INPUT_LEVELS]
    labels, structures = [], []
    for label in model.class_names:
        for level in levels:
            for _ in range(per_class):
                labels.append(label)
                structures.append(user_input(label, level, rng)[1])
    prepared = fingerprint_structures(structures, model.metadata.fingerprint_parameters)
    kinds = [class_kind(labels[index]) for index in prepared.indices]
    groups = np.array([[class_kind(name) == kind for name in model.class_names] for kind in kinds])
    return [labels[index] for index in prepared.indices], prepared.images, groups


def rows_of(model_path: Path, per_class: int) -> list[dict]:
    """One row per method: mean drops for the top and random pixels, per class and overall."""
    model = load_model(model_path)
    labels, images, groups = user_inputs(model, per_class)
    rows = []
    for method, samples in METHODS.items():
        start = time.perf_counter()
        maps = compute_attention(model, images, allowed=groups, smoothing_samples=samples)
        seconds = (time.perf_counter() - start) / len(images)
        predicted = maps.predicted_class
        top_drop, random_drop = deletion_drops(model, images, maps, groups)
        class_drops = {
            label: round(float(top_drop[[i for i, name in enumerate(labels) if name == label]].mean()), 3)
            for label in dict.fromkeys(labels)
        }
        rows.append({
            'model': model_path.name, 'method': method, 'inputs': len(images),
            'right': float(np.mean(np.array(model.class_names)[predicted] == np.array(labels))),
            'top_drop': round(float(top_drop.mean()), 3), 'random_drop': round(float(random_drop.mean()), 3),
            'lowest_class': min(class_drops, key=class_drops.get), 'per_class': class_drops,
            'seconds_per_input': round(seconds, 3),
        })  # fmt: skip
    return rows


def print_table(rows: list[dict]) -> None:
    print(f'{"model":20s} {"class maps":20s} {"inputs":>6s} {"top 5%":>7s} {"random":>7s}  lowest class    s/input')
    for row in rows:
        lowest = f'{row["lowest_class"]} {row["per_class"][row["lowest_class"]]:.2f}'
        print(
            f'{row["model"]:20s} {row["method"]:20s} {row["inputs"]:6d} {row["top_drop"]:7.3f} '
            f'{row["random_drop"]:7.3f}  {lowest:15s} {row["seconds_per_input"]:.3f}'
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--model', action='append', type=Path, help='model file(s) (default: the three shipped)')
    parser.add_argument('--per-class', type=int, default=4, help='inputs per class and level (default 4)')
    parser.add_argument('--quick', action='store_true', help='1 input per class and level')
    parser.add_argument('--output', type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    per_class = 1 if args.quick else args.per_class
    rows = [row for path in (args.model or MODELS) for row in rows_of(path, per_class)]
    print_table(rows)
    report = {
        'command': ' '.join(['python benchmarks/attention_faithfulness.py', *(sys.argv[1:] if argv is None else argv)]),
        'metric': f'mean drop of the predicted class probability (within its class group) when the top {DELETION_SHARE:.0%} '
        'pixels of its class map (or random ones) are set to 0',
        'levels': list(INPUT_LEVELS),
        'per_class_and_level': per_class,
        'rows': rows,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=1) + '\n')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
