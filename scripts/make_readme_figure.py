"""Write the README figures from the shipped model.

- ``docs/images/fingerprints.png``: one fingerprint of every class (pristine, randomly rotated
  prototypes from a fixed seed), so readers see what the network is given.
- ``docs/images/attention_fcc.png``: attentive response maps of perfect fcc Cu (cf. Fig. 5 of
  Ziletti et al. 2018): predicted-class map, class template, dominant-class map, probabilities and
  the deconvolved top filters of the last conv layer.

Usage: ``python scripts/make_readme_figure.py [--model PATH] [--output DIR]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ase.build import bulk

from aiida_symclf.attention import compute_attention
from aiida_symclf.dataset import CLASSES, generate_structures
from aiida_symclf.fingerprint import diffraction_fingerprint, diffraction_fingerprints
from aiida_symclf.model import ClassifierModel, load_model
from aiida_symclf.plot import plot_attention, plot_fingerprint_grid

REPOSITORY = Path(__file__).resolve().parents[1]
SEED = 2018  # structures of the fingerprint grid


def make_fingerprint_grid(model: ClassifierModel, output: Path) -> Path:
    """One fingerprint per class, titled with the class name and its space groups."""
    structures, _ = generate_structures(1, SEED)
    fingerprints = diffraction_fingerprints(structures, model.metadata.fingerprint_parameters)
    titles = [f'{c.name} (space group {", ".join(map(str, c.space_groups))})' for c in CLASSES]
    title = 'One diffraction fingerprint per class (RGB = rotations about x, y, z; sqrt intensity)'
    return plot_fingerprint_grid(fingerprints, titles, output / 'fingerprints.png', columns=4, title=title)


def make_attention_figure(model: ClassifierModel, output: Path) -> Path:
    """Attentive response maps of perfect fcc Cu."""
    fingerprint = diffraction_fingerprint(bulk('Cu', 'fcc', a=3.61, cubic=True), model.metadata.fingerprint_parameters)
    maps = compute_attention(model, fingerprint[None])
    probabilities = model.predict_proba(fingerprint[None])[0]
    return plot_attention(fingerprint, maps, 0, model.class_names, output / 'attention_fcc.png', probabilities)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--model', type=Path, default=None, help='model file (default: the shipped model)')
    parser.add_argument('--output', type=Path, default=REPOSITORY / 'docs' / 'images', help='folder for the PNGs')
    arguments = parser.parse_args()
    model = load_model(arguments.model)
    for path in (make_fingerprint_grid(model, arguments.output), make_attention_figure(model, arguments.output)):
        print(path)


if __name__ == '__main__':
    main()
