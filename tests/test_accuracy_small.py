"""CI-sized version of ``benchmarks/accuracy.py``: the shipped model on held-out structures.

Structures come from a seed never used in training (training uses seeds ``10 s + 1 + 1000 l``
and ``10 s + 2 + 1000 l`` for small ``s`` and ``l``; the full benchmark uses 777000). Blocks are
built exactly as in the benchmark and the WorkChain: standardised and replicated once, then
perturbed, then fingerprinted with ``standardize=False``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from aiida_symclf.library.catalogue import ELEMENT_CLASSES
from aiida_symclf.library.dataset import defective_blocks, generate_structures
from aiida_symclf.library.fingerprint import FingerprintParameters, diffraction_fingerprints
from aiida_symclf.library.model import load_model
from aiida_symclf.library.perturb import PerturbationLevel

TEST_SEED = 555000


def class_names() -> list[str]:
    """The paper's elemental classes: these tests reproduce its elemental study."""
    return [c.name for c in ELEMENT_CLASSES]


def predictions(model, n_per_class: int, perturbation: PerturbationLevel) -> tuple[np.ndarray, np.ndarray]:
    """True and predicted class indices (in :func:`class_names` order) of generated test blocks."""
    parameters = FingerprintParameters.from_dict(model.metadata.fingerprint)
    structures, labels = generate_structures(n_per_class, TEST_SEED)
    blocks = defective_blocks(structures, perturbation, parameters)
    fingerprints = diffraction_fingerprints(blocks, dataclasses.replace(parameters, standardize=False))
    probabilities = model.predict_proba(fingerprints)
    assert probabilities.shape == (len(labels), len(model.class_names))
    # one species: the elemental group, whose classes are the first ones
    columns = [list(model.class_names).index(name) for name in class_names()]
    return labels, probabilities[:, columns].argmax(axis=1)


def describe_errors(labels: np.ndarray, predicted: np.ndarray) -> str:
    names = class_names()
    wrong = np.flatnonzero(labels != predicted)
    return ', '.join(f'{names[labels[i]]} -> {names[predicted[i]]}' for i in wrong)


def test_model_classes_match_the_dataset(model):
    from aiida_symclf.library.catalogue import CLASSES

    assert list(model.class_names) == [c.name for c in CLASSES]
    expected = dataclasses.replace(FingerprintParameters(), scattering='species_rank')
    assert FingerprintParameters.from_dict(model.metadata.fingerprint) == expected


def test_pristine_every_class_right(model):
    labels, predicted = predictions(model, 10, PerturbationLevel(seed=TEST_SEED))
    assert set(labels.tolist()) == set(range(len(class_names())))
    assert np.array_equal(predicted, labels), describe_errors(labels, predicted)


@pytest.mark.parametrize(
    'perturbation',
    [
        PerturbationLevel(displacement=0.02, seed=TEST_SEED + 10_000),
        PerturbationLevel(vacancy_fraction=0.25, seed=TEST_SEED + 20_000),
    ],
    ids=['delta-2%', 'eta-25%'],
)
def test_defective_accuracy(model, perturbation):
    labels, predicted = predictions(model, 20, perturbation)
    accuracy = float(np.mean(predicted == labels))
    assert accuracy >= 0.95, f'accuracy {accuracy:.3f}; errors: {describe_errors(labels, predicted)}'


@pytest.mark.parametrize(
    'perturbation',
    [
        PerturbationLevel(displacement=0.08, seed=TEST_SEED + 30_000),
        PerturbationLevel(vacancy_fraction=0.6, seed=TEST_SEED + 40_000),
    ],
    ids=['delta-8%', 'eta-60%'],
)
def test_training_with_defects_beats_the_paper_protocol_where_the_readme_says(model, perturbation):
    """The README's headline difference: at 8% displacements (and 60% vacancies) the shipped model
    stays right where the pristine-only model (the paper's protocol) loses accuracy. Benchmark:
    100.0 vs 71.4% (8%), 100.0 vs 95.6% (60%); here 20 per class of the same perturb-after-
    standardising path."""
    from pathlib import Path

    pristine_only = load_model(Path(__file__).parents[1] / 'benchmarks' / 'models' / 'symclf-pristine.pt')
    labels, shipped = predictions(model, 20, perturbation)
    _, paper = predictions(pristine_only, 20, perturbation)
    shipped_accuracy, paper_accuracy = float(np.mean(shipped == labels)), float(np.mean(paper == labels))
    assert shipped_accuracy >= 0.97, describe_errors(labels, shipped)
    assert shipped_accuracy - paper_accuracy >= {0.08: 0.1, 0.0: 0.01}[perturbation.displacement], (
        shipped_accuracy,
        paper_accuracy,
    )
