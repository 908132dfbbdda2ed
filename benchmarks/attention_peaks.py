"""Do the last-layer deconvolution maps sit on the diffraction peaks? ``python benchmarks/attention_peaks.py``.

The metric of the attention issue: for the top 4 filters of a conv layer, the share of the summed
``|filter map|`` that lies on the *peak pixels*, the brightest 10% of the fingerprint's non-zero
pixels (max over channels; ~6% of the image, so chance is ~0.06). Measured per class on pristine
and on 2%-displaced inputs (real elements, primitive supercells), for several variants of the
projection, so that the cause of diffuse maps can be told apart from the cure:

- ``deconvnet``: Zeiler-Fergus deconvolution as implemented (single strongest activation,
  backward ReLU, transposed convolutions, unpooling at the switches);
- ``deconvnet-summed``: the same, from all activations of each filter;
- ``guided``: guided backpropagation (Springenberg et al. 2015): the deconvnet's backward ReLU *and*
  the forward pass's ReLU mask, i.e. only paths that were active for this input;
- ``gradient``: plain backpropagation of the single strongest activation (saliency).

Writes ``benchmarks/results/attention_peaks.json``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from torch import nn

from aiida_symclf.attention import (
    _forward_with_switches,
    _project_down,
    _strongest_activations,
    conv_layer_positions,
    peak_concentration,
)
from aiida_symclf.dataset import reference_structures
from aiida_symclf.fingerprint import diffraction_fingerprints
from aiida_symclf.model import load_model
from aiida_symclf.user_inputs import LEVELS, random_supercell

OUTPUT = Path(__file__).parent / 'results' / 'attention_peaks.json'
TOP_K = 4


def activation_position(network: nn.Module, layer: int) -> int:
    features = network.features
    position = conv_layer_positions(features)[layer]
    return position + 1 if isinstance(features[position + 1], nn.ReLU) else position


def deconvnet(network, images, layer, summed=False):
    features = network.features
    position = activation_position(network, layer)
    with torch.no_grad():
        activation, switches = _forward_with_switches(features, images, position)
        filters, isolated = _strongest_activations(activation, TOP_K)
        if summed:
            isolated = torch.zeros_like(isolated).reshape(len(images), TOP_K, *activation.shape[1:])
            for b in range(len(images)):
                for k, f in enumerate(filters[b]):
                    isolated[b, k, f] = activation[b, f]
            isolated = isolated.reshape(len(images) * TOP_K, *activation.shape[1:])
        maps = _project_down(features, isolated, position, switches, copies=TOP_K)
    return maps.reshape(len(images), TOP_K, *maps.shape[1:]).numpy()


def backprop(network, images, layer, guided):
    """Gradient of each top filter's strongest activation w.r.t. the input; ``guided`` also clips
    negative gradients at every ReLU (guided backpropagation)."""
    features = network.features
    position = activation_position(network, layer)
    handles = []
    if guided:
        for module in features:
            if isinstance(module, nn.ReLU):
                handles.append(module.register_full_backward_hook(lambda m, gi, go: (torch.relu(gi[0]),)))
    results = []
    try:
        for b in range(len(images)):
            image = images[b : b + 1].clone().requires_grad_(True)
            activation = features[: position + 1](image)
            filters = activation.sum(dim=(2, 3)).topk(TOP_K, dim=1).indices[0]
            maps = []
            for f in filters:
                peak = activation[0, f].flatten().max()
                (gradient,) = torch.autograd.grad(peak, image, retain_graph=True)
                maps.append(gradient[0].numpy())
            results.append(np.stack(maps))
    finally:
        for handle in handles:
            handle.remove()
    return np.stack(results)


VARIANTS = {
    'deconvnet': lambda network, images, layer: deconvnet(network, images, layer),
    'deconvnet-summed': lambda network, images, layer: deconvnet(network, images, layer, summed=True),
    'guided': lambda network, images, layer: backprop(network, images, layer, guided=True),
    'gradient': lambda network, images, layer: backprop(network, images, layer, guided=False),
}


def inputs(displacement: float) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(5)
    names, structures = [], []
    for name, atoms in reference_structures().items():
        supercell = random_supercell(atoms, rng)
        if displacement:
            from aiida_symclf.user_inputs import perturbed

            supercell = perturbed(supercell, LEVELS[2], rng)
        names.append(name)
        structures.append(supercell)
    return names, diffraction_fingerprints(structures)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--model', action='append', type=Path, help='model file(s) (default: shipped and pristine-only)'
    )
    parser.add_argument('--output', type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    models = args.model or [None, Path(__file__).parent / 'models' / 'symclf-pristine.pt']
    report = {'metric': 'share of summed |filter map| (top 4) on the brightest 10% of non-zero pixels', 'rows': []}
    for model_path in models:
        model = load_model(model_path)
        network = model.network.eval()
        n_conv = len(conv_layer_positions(network.features))
        for displacement in (0.0, 0.02):
            names, images = inputs(displacement)
            tensor = torch.from_numpy(images)
            for variant, function in VARIANTS.items():
                for layer in range(n_conv):
                    maps = function(network, tensor, layer)
                    values = {name: round(peak_concentration(maps[i], images[i]), 3) for i, name in enumerate(names)}
                    row = {'model': str(model_path or 'shipped'), 'displacement': displacement, 'variant': variant,
                           'layer': layer, 'concentration': values}  # fmt: skip
                    report['rows'].append(row)
                    print(f'{row["model"][-24:]:24s} d={displacement:.2f} {variant:17s} layer {layer}: '
                          + ' '.join(f'{k}={v:.2f}' for k, v in values.items()), flush=True)  # fmt: skip
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=1) + '\n')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
