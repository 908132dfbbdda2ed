"""Do the last-layer filter maps sit on the diffraction peaks? ``python benchmarks/attention_peaks.py``.

The metric of the attention issue: for the top 4 filters of a conv layer, the share of the summed
``|filter map|`` that lies on the *peak pixels*, the brightest 10% of the fingerprint's non-zero
pixels (max over channels; ~6% of the image, so chance is ~0.06). Measured per class on pristine
and on 2%-displaced inputs (real elements, primitive supercells), for every conv layer, for each
model given, and for two projection rules, so that the cause of diffuse maps can be told apart
from the cure:

- ``filter maps``: :func:`aiida_symclf.library.attention.project_top_filters` as shipped (Zeiler-Fergus
  projection through the forward pass's ReLU masks and max-pool switches, as in the paper's code);
- ``deconvnet``: the same without the forward ReLU masks (the deconvnet rule alone, what the
  project shipped before 0.3.2): the projection then ignores which units were active.

Default models: the shipped default, the elemental model, the pristine-only model (the paper's
protocol, 7 x 7 kernels) and the insight model (``symclf-insight.pt``: 3 x 3 kernels, conv biases
kept <= 0, L1 activity penalty). Writes ``benchmarks/results/attention_peaks.json`` (every row, and the last layer's under ``last_layer``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from aiida_symclf.library.attention import conv_layer_positions, peak_concentration, project_top_filters
from aiida_symclf.library.catalogue import reference_structures
from aiida_symclf.library.fingerprint import diffraction_fingerprints
from aiida_symclf.library.model import load_model, shipped_model_path
from aiida_symclf.testing.user_inputs import LEVELS, perturbed, random_supercell

OUTPUT = Path(__file__).parent / 'results' / 'attention_peaks.json'
TOP_K = 4
MODELS = (
    shipped_model_path(),
    shipped_model_path('elements'),
    Path(__file__).parent / 'models' / 'symclf-pristine.pt',
    shipped_model_path('insight'),
)


def filter_maps(network, images: torch.Tensor, layer: int, relu_masks: bool = True) -> np.ndarray:
    """Maps (B, 4, 3, H, W) of the top 4 filters of conv ``layer``, with or without the forward ReLU masks."""
    return project_top_filters(network, images, layer, TOP_K, relu_masks=relu_masks)[1].numpy()


RULES = {
    'filter maps': filter_maps,
    'deconvnet': lambda network, images, layer: filter_maps(network, images, layer, relu_masks=False),
}


def inputs(displacement: float, parameters) -> tuple[list[str], np.ndarray]:
    """One pristine (or displaced) random supercell of every elemental prototype, and its fingerprint."""
    rng = np.random.default_rng(5)
    names, structures = [], []
    for name, atoms in reference_structures().items():
        supercell = random_supercell(atoms, rng)
        if displacement:
            supercell = perturbed(supercell, LEVELS[2], rng)
        names.append(name)
        structures.append(supercell)
    return names, diffraction_fingerprints(structures, parameters)


def rows_of(model_path: Path) -> list[dict]:
    """Concentration per class for every displacement, rule and conv layer of one model."""
    model = load_model(model_path)
    network = model.network.eval()
    n_conv = len(conv_layer_positions(network.features))
    rows = []
    for displacement in (0.0, 0.02):
        names, images = inputs(displacement, model.metadata.fingerprint_parameters)
        tensor = torch.from_numpy(images)
        for rule, function in RULES.items():
            for layer in range(n_conv):
                maps = function(network, tensor, layer)
                values = {name: round(peak_concentration(maps[i], images[i]), 3) for i, name in enumerate(names)}
                rows.append({'model': model_path.name, 'displacement': displacement, 'rule': rule, 'layer': layer,
                             'concentration': values, 'minimum': min(values.values())})  # fmt: skip
    return rows


def last_layer_rows(rows: list[dict]) -> list[dict]:
    """The row of the last conv layer of every model, displacement and rule (the issue's metric)."""
    last: dict[tuple, dict] = {}
    for row in rows:
        key = (row['model'], row['displacement'], row['rule'])
        if row['layer'] >= last.get(key, {'layer': -1})['layer']:
            last[key] = row
    return list(last.values())


def print_table(last_layer: list[dict]) -> None:
    """The last layer's concentration per class, one line per model, displacement and rule."""
    names = list(last_layer[0]['concentration'])
    print(f'{"model":22s} {"displ.":>6s} {"rule":12s} ' + ' '.join(f'{n:>7s}' for n in names) + '     min')
    for row in last_layer:
        values = ' '.join(f'{row["concentration"][n]:7.2f}' for n in names)
        print(f'{row["model"]:22s} {row["displacement"]:6.2f} {row["rule"]:12s} {values} {row["minimum"]:7.2f}')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--model', action='append', type=Path, help='model file(s) (default: the four above)')
    parser.add_argument('--output', type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    rows = [row for path in (args.model or MODELS) for row in rows_of(path)]
    report = {
        'metric': 'share of summed |filter map| (top 4) on the brightest 10% of non-zero pixels',
        'rows': rows,
        'last_layer': last_layer_rows(rows),
    }
    print_table(report['last_layer'])
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=1) + '\n')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
