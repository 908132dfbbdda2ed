"""Write the README figures from the shipped model.

- ``docs/images/fingerprints.png``: one fingerprint of every class (pristine, randomly rotated
  prototypes from a fixed seed), so readers see what the network is given.
- ``docs/images/attention_fcc.png``: attentive response maps of perfect fcc Cu (cf. Fig. 5 of
  Ziletti et al. 2018): predicted-class map, class template, dominant-class map, probabilities and
  the deconvolved top filters of the last conv layer.
- ``docs/images/class_templates.png``: every class's fingerprint beside its class template (the
  summed last-layer filter maps of its top 4 filters), titled with the share of the template on
  the peak pixels (:func:`aiida_symclf.library.attention.peak_concentration`);
- ``docs/images/class_templates_insight.png``: the same for the insight model
  (``symclf-insight.pt``), side by side with the default's in the docs.

Usage: ``python scripts/make_readme_figure.py [--model PATH] [--insight-model PATH] [--output DIR]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ase.build import bulk

from aiida_symclf.library.attention import compute_attention, peak_concentration
from aiida_symclf.library.catalogue import CLASSES
from aiida_symclf.library.dataset import generate_structures
from aiida_symclf.library.fingerprint import diffraction_fingerprint, diffraction_fingerprints
from aiida_symclf.library.model import ClassifierModel, load_model, shipped_model_path
from aiida_symclf.library.plot import plot_attention, plot_class_templates, plot_fingerprint_grid

REPOSITORY = Path(__file__).resolve().parents[1]
SEED = 2018  # structures of the fingerprint grid
INSIGHT_MODEL = shipped_model_path('insight')


def make_fingerprint_grid(model: ClassifierModel, output: Path) -> Path:
    """One fingerprint per class, titled with the class name and its space groups."""
    structures, _ = generate_structures(1, SEED, CLASSES)
    fingerprints = diffraction_fingerprints(structures, model.metadata.fingerprint_parameters)
    titles = [f'{c.name} ({", ".join(map(str, c.space_groups))})' for c in CLASSES]
    title = 'One diffraction fingerprint per class (RGB = rotations about x, y, z; sqrt intensity)'
    return plot_fingerprint_grid(fingerprints, titles, output / 'fingerprints.png', columns=7, title=title)


def make_template_figure(model: ClassifierModel, output: Path, name: str = 'class_templates.png') -> Path:
    """Fingerprint and class template of a pristine structure of every class of the model."""
    classes = [c for c in CLASSES if c.name in model.class_names]
    structures, _ = generate_structures(1, SEED, classes)
    fingerprints = diffraction_fingerprints(structures, model.metadata.fingerprint_parameters)
    maps = compute_attention(model, fingerprints)
    titles = [
        f'{c.name}: {peak_concentration(maps.class_template[i], fingerprints[i]):.2f}' for i, c in enumerate(classes)
    ]
    title = 'Fingerprint and class template (last conv layer); title: share of the template on the peak pixels'
    return plot_class_templates(fingerprints, maps.class_template, titles, output / name, 6, title)


def make_attention_figure(model: ClassifierModel, output: Path) -> Path:
    """Attentive response maps of perfect fcc Cu."""
    fingerprint = diffraction_fingerprint(bulk('Cu', 'fcc', a=3.61, cubic=True), model.metadata.fingerprint_parameters)
    maps = compute_attention(model, fingerprint[None])
    probabilities = model.predict_proba(fingerprint[None])[0]
    return plot_attention(fingerprint, maps, 0, model.class_names, output / 'attention_fcc.png', probabilities)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--model', type=Path, default=None, help='model file (default: the shipped model)')
    parser.add_argument('--insight-model', type=Path, default=INSIGHT_MODEL, help='model of the second template figure')
    parser.add_argument('--output', type=Path, default=REPOSITORY / 'docs' / 'images', help='folder for the PNGs')
    arguments = parser.parse_args()
    model = load_model(arguments.model)
    figures = (make_fingerprint_grid, make_attention_figure, make_template_figure)
    for path in (make(model, arguments.output) for make in figures):
        print(path)
    print(make_template_figure(load_model(arguments.insight_model), arguments.output, 'class_templates_insight.png'))


if __name__ == '__main__':
    main()
