"""Generated training and test data: prototype crystals of the paper's classes.

The paper used ~10,500 elemental solids from a materials database. We generate prototypes
instead (ase), varying lattice constants, c/a ratios, the rhombohedral angle and internal
parameters over physically sensible ranges, and rotate each one randomly before
standardisation so that the pipeline's own orientation step is exercised.

The classes, their generators and facts are those of :mod:`aiida_symclf.library.catalogue`.

Splits are made by generation seed (train, validation and test use independent streams), and
fingerprints can be cached on disk as ``.npz`` files keyed by the generation settings.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import spglib
from ase import Atoms
from scipy.spatial.transform import Rotation

from aiida_symclf.library.catalogue import ELEMENT_CLASSES, CrystalClass, known_classes
from aiida_symclf.library.fingerprint import (
    FingerprintParameters,
    diffraction_fingerprints,
    prepare_block,
    replication_for,
)
from aiida_symclf.library.perturb import PerturbationLevel, perturb_atoms

__all__ = [
    'generate_dataset',
    'generate_structures',
    'load_or_generate',
]


def randomly_rotated(atoms: Atoms, rng: np.random.Generator) -> Atoms:
    """Copy of ``atoms`` (cell and positions) under a uniformly random rotation."""
    rotation = Rotation.random(random_state=np.random.RandomState(rng.integers(2**31))).as_matrix()
    rotated = atoms.copy()
    rotated.set_cell(np.asarray(atoms.cell) @ rotation.T, scale_atoms=False)
    rotated.positions = atoms.positions @ rotation.T
    return rotated


def generate_structures(
    n_per_class: int, seed: int, classes: Sequence[CrystalClass] = ELEMENT_CLASSES
) -> tuple[list[Atoms], np.ndarray]:
    """``n_per_class`` randomly rotated pristine prototypes of every class of ``classes``, and
    their labels (indices into :func:`~aiida_symclf.library.catalogue.known_classes`: the built-in
    classes, then the AFLOW ones)."""
    rng = np.random.default_rng(seed)
    structures, labels = [], []
    order = known_classes()
    for crystal_class in classes:
        label = order.index(crystal_class)
        for _ in range(n_per_class):
            structures.append(randomly_rotated(crystal_class.generate(rng), rng))
            labels.append(label)
    return structures, np.array(labels, dtype=np.int64)


def standardised_prototype(atoms: Atoms) -> Atoms:
    """spglib's conventional standard cell of a generated, *pristine* prototype (0.1 A, 5 degrees).

    Used only to build training and paper-benchmark blocks from generated prototypes, exactly as
    the shipped model's training data were built (so ``python -m aiida_symclf.library.train`` reproduces
    the data hash recorded in the model file). On pristine prototypes spglib always succeeds;
    users' structures never take this path (see :func:`aiida_symclf.library.fingerprint.prepare`).
    """
    cell = (np.asarray(atoms.cell), atoms.get_scaled_positions(), atoms.get_atomic_numbers())
    standard = spglib.standardize_cell(cell, to_primitive=False, no_idealize=False, symprec=0.1, angle_tolerance=5.0)
    if standard is None:
        raise ValueError('spglib found no symmetry for a generated prototype')
    lattice, scaled_positions, numbers = standard
    return Atoms(numbers=numbers, cell=lattice, scaled_positions=scaled_positions, pbc=True)


def defective_blocks(
    structures: Sequence[Atoms], perturbation: PerturbationLevel, parameters: FingerprintParameters
) -> list[Atoms]:
    """Standardised, replicated blocks with ``perturbation`` applied after (seed offset per structure):
    the paper's protocol for generated prototypes."""
    blocks = []
    for index, atoms in enumerate(structures):
        standard = standardised_prototype(atoms)
        block = standard.repeat(replication_for(standard, parameters.target_atoms))
        block.pbc = True
        level = dataclasses.replace(perturbation, seed=perturbation.seed + index)
        blocks.append(perturb_atoms(block, level))
    return blocks


def prepared_blocks(
    structures: Sequence[Atoms], perturbation: PerturbationLevel, parameters: FingerprintParameters
) -> list[Atoms]:
    """Blocks of the user path (Bragg lattice, conventional frame; :func:`~aiida_symclf.library.fingerprint.prepare`)
    of pristine structures, with ``perturbation`` applied after (seed offset per structure).

    The compound classes' training protocol: their blocks are cut in the frame that users'
    compounds get (spglib never enters), then displaced, emptied and antisite-disordered.
    """
    pristine = dataclasses.replace(parameters, standardize=True)
    return [
        perturb_atoms(prepare_block(atoms, pristine), dataclasses.replace(perturbation, seed=perturbation.seed + index))
        for index, atoms in enumerate(structures)
    ]


def generate_dataset(
    n_per_class: int,
    seed: int,
    perturbation: PerturbationLevel | None = None,
    parameters: FingerprintParameters | None = None,
    progress: bool = False,
    classes: Sequence[CrystalClass] = ELEMENT_CLASSES,
) -> tuple[np.ndarray, np.ndarray]:
    """Fingerprints (N, 3, H, W) float32 and labels (N,) of generated, optionally defective, structures.

    Elemental classes take the paper's protocol (:func:`defective_blocks`, as the first shipped
    model was trained, so its data hash is reproduced); compound classes that of
    :func:`prepared_blocks`. ``classes`` must be all of one kind.
    """
    parameters = parameters or FingerprintParameters()
    kinds = {crystal_class.kind for crystal_class in classes}
    if len(kinds) != 1:
        raise ValueError(f'classes of one kind expected, got {sorted(kinds)}')
    structures, labels = generate_structures(n_per_class, seed, classes)
    build = prepared_blocks if kinds == {'compound'} else defective_blocks
    blocks = build(structures, perturbation or PerturbationLevel(seed=seed), parameters)
    block_parameters = dataclasses.replace(parameters, standardize=False)
    return diffraction_fingerprints(blocks, block_parameters, progress=progress), labels


def dataset_key(
    n_per_class: int,
    seed: int,
    perturbation: PerturbationLevel | None,
    parameters: FingerprintParameters,
    classes: Sequence[CrystalClass] = ELEMENT_CLASSES,
) -> str:
    """Stable hash of everything that determines a generated dataset."""
    payload = {
        'n_per_class': n_per_class,
        'seed': seed,
        'perturbation': (perturbation or PerturbationLevel(seed=seed)).to_dict(),
        'fingerprint': parameters.to_dict(),
        'classes': [(c.name, c.space_groups, c.parameter_ranges) for c in classes],
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def load_or_generate(
    cache_dir: Path | str | None,
    n_per_class: int,
    seed: int,
    perturbation: PerturbationLevel | None = None,
    parameters: FingerprintParameters | None = None,
    progress: bool = False,
    classes: Sequence[CrystalClass] = ELEMENT_CLASSES,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`generate_dataset`, cached as ``<cache_dir>/<key>.npz`` when ``cache_dir`` is given."""
    parameters = parameters or FingerprintParameters()
    if cache_dir is None:
        return generate_dataset(n_per_class, seed, perturbation, parameters, progress, classes)
    path = Path(cache_dir) / f'{dataset_key(n_per_class, seed, perturbation, parameters, classes)}.npz'
    if path.exists():
        with np.load(path) as data:
            return data['fingerprints'].astype(np.float32), data['labels']
    fingerprints, labels = generate_dataset(n_per_class, seed, perturbation, parameters, progress, classes)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, fingerprints=fingerprints.astype(np.float16), labels=labels)
    return fingerprints, labels
