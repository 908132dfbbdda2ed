"""Generated training and test data: prototype crystals of the paper's classes.

The paper used ~10,500 elemental solids from a materials database. We generate prototypes
instead (ase), varying lattice constants, c/a ratios, the rhombohedral angle and internal
parameters over physically sensible ranges, and rotate each one randomly before
standardisation so that the pipeline's own orientation step is exercised.

Rhombohedral (166) and hexagonal close-packed (194) structures give nearly identical
fingerprints; as in the paper they form one network class, ``hcp/rh`` (7 elemental classes).
The compound classes (binary and ternary prototypes, :mod:`aiida_symclf.library.compounds`) follow them.

Splits are made by generation seed (train, validation and test use independent streams), and
fingerprints can be cached on disk as ``.npz`` files keyed by the generation settings.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms
from ase.build import bulk
from ase.spacegroup import crystal
from scipy.spatial.transform import Rotation

from aiida_symclf.library.compounds import COMPOUND_PROTOTYPES, CompoundPrototype
from aiida_symclf.library.fingerprint import FingerprintParameters, diffraction_fingerprints, replication_for
from aiida_symclf.library.perturb import PerturbationLevel, perturb_atoms

__all__ = [
    'CLASSES',
    'COMPOUND_CLASSES',
    'ELEMENT_CLASSES',
    'CrystalClass',
    'Form',
    'class_by_name',
    'class_names',
    'class_table',
    'generate_dataset',
    'generate_structures',
    'load_or_generate',
    'reference_structures',
]

Generator = Callable[[np.random.Generator], Atoms]


def _uniform_in(rng: np.random.Generator, intervals: Sequence[tuple[float, float]]) -> float:
    """A number drawn uniformly from a union of intervals (weighted by their lengths)."""
    lengths = np.array([high - low for low, high in intervals])
    low, high = intervals[rng.choice(len(intervals), p=lengths / lengths.sum())]
    return float(rng.uniform(low, high))


def _lattice_constant(rng: np.random.Generator) -> float:
    return float(rng.uniform(2.5, 6.0))


def _bcc(rng: np.random.Generator) -> Atoms:
    return bulk('W', 'bcc', a=_lattice_constant(rng), cubic=True)


def _fcc(rng: np.random.Generator) -> Atoms:
    return bulk('Cu', 'fcc', a=_lattice_constant(rng), cubic=True)


def _diamond(rng: np.random.Generator) -> Atoms:
    return bulk('Si', 'diamond', a=_lattice_constant(rng) * 1.5, cubic=True)


def _simple_cubic(rng: np.random.Generator) -> Atoms:
    return bulk('Po', 'sc', a=_lattice_constant(rng))


def _hcp_cell(rng: np.random.Generator) -> Atoms:
    a = _lattice_constant(rng)
    return bulk('Mg', 'hcp', a=a, c=a * rng.uniform(1.45, 1.80))


def _rhombohedral(rng: np.random.Generator) -> Atoms:
    """alpha-Hg type (one atom, angle away from the cubic 60/90/109.47) or As type (two atoms)."""
    a = _lattice_constant(rng)
    if rng.random() < 0.5:
        alpha = _uniform_in(rng, [(66.0, 84.0), (96.0, 104.0)])
        return crystal('Hg', [(0, 0, 0)], spacegroup=166, setting=2, cellpar=[a, a, a, alpha, alpha, alpha])
    alpha = rng.uniform(50.0, 57.0)
    z = rng.uniform(0.21, 0.235)
    return crystal('As', [(z, z, z)], spacegroup=166, setting=2, cellpar=[a, a, a, alpha, alpha, alpha])


def _hcp_or_rhombohedral(rng: np.random.Generator) -> Atoms:
    return _hcp_cell(rng) if rng.random() < 0.5 else _rhombohedral(rng)


def _bct139(rng: np.random.Generator) -> Atoms:
    """In/Pa type: I4/mmm with one atom at 2a; c/a away from bcc (1) and fcc (sqrt 2)."""
    a = _lattice_constant(rng)
    c_over_a = _uniform_in(rng, [(0.72, 0.90), (1.52, 1.90)])
    return crystal('In', [(0, 0, 0)], spacegroup=139, cellpar=[a, a, a * c_over_a, 90, 90, 90])


def _bct141(rng: np.random.Generator) -> Atoms:
    """beta-Sn type: I4_1/amd, atom at 4a (origin choice 1); c/a around beta-Sn's 0.546."""
    a = _lattice_constant(rng) * 1.6
    c_over_a = rng.uniform(0.45, 0.70)
    return crystal('Sn', [(0, 0, 0)], spacegroup=141, setting=1, cellpar=[a, a, a * c_over_a, 90, 90, 90])


@dataclasses.dataclass(frozen=True)
class Form:
    """One pristine form of a class: its Bravais lattice (Pearson symbol of the lattice, from
    :mod:`aiida_symclf.library.lattice`), atoms per lattice point, AFLOW prototype label and
    Strukturbericht designation."""

    bravais: str
    atoms_per_lattice_point: int
    aflow_prototype: str
    strukturbericht: str


@dataclasses.dataclass(frozen=True)
class CrystalClass:
    """One network class: its label, the space groups it covers, a prototype and ranges.

    ``forms`` lists the pristine crystals of the class (most classes have one; ``hcp/rh`` has
    hcp, alpha-Hg and As): a structure whose Bragg peaks give another Bravais lattice, or more
    atoms per lattice point, is not of this class, whatever the network says (see
    :mod:`aiida_symclf.library.classification`). ``kind`` is ``element`` (the paper's classes, one
    species or a random alloy) or ``compound`` (species ordered on sublattices).
    """

    name: str
    space_groups: tuple[int, ...]
    prototype: str
    parameter_ranges: str
    generate: Generator
    forms: tuple[Form, ...]
    kind: str = 'element'

    @property
    def aflow_prototype(self) -> str:
        """AFLOW label of the class's main form."""
        return self.forms[0].aflow_prototype

    @property
    def strukturbericht(self) -> str:
        return self.forms[0].strukturbericht

    def form_of(self, lattice: Mapping[str, Any] | None) -> Form:
        """The form that the Bragg facts ``lattice`` point to (the main form without facts).

        Among the forms with the structure's Bravais lattice, the one with the fewest atoms per
        lattice point that still holds the atoms present (vacancies only lower the count).
        """
        if not lattice:
            return self.forms[0]
        candidates = sorted(
            (form for form in self.forms if form.bravais == lattice.get('bravais')),
            key=lambda form: form.atoms_per_lattice_point,
        )
        count = float(lattice.get('atoms_per_lattice_point', 0.0))
        for form in candidates:
            if count <= form.atoms_per_lattice_point + 0.01:
                return form
        return candidates[-1] if candidates else self.forms[0]


def _element(name, groups, prototype, ranges, generate, *forms: tuple[str, int, str, str]) -> CrystalClass:
    return CrystalClass(name, groups, prototype, ranges, generate, tuple(Form(*form) for form in forms))


def _compound(prototype: CompoundPrototype) -> CrystalClass:
    bravais, count = prototype.lattice
    form = Form(bravais, count, prototype.aflow_prototype, prototype.strukturbericht)
    return CrystalClass(
        prototype.name, (prototype.space_group,), prototype.example, prototype.parameter_ranges, prototype.generate,
        (form,), kind='compound',
    )  # fmt: skip


#: The paper's elemental classes, in output order of the network (labels 0-6).
ELEMENT_CLASSES: tuple[CrystalClass, ...] = (
    _element('bcc', (229,), 'W', 'a 2.5-6 A', _bcc, ('cI', 1, 'A_cI2_229_a', 'A2')),
    _element('fcc', (225,), 'Cu', 'a 2.5-6 A', _fcc, ('cF', 1, 'A_cF4_225_a', 'A1')),
    _element('diamond', (227,), 'Si', 'a 3.75-9 A', _diamond, ('cF', 2, 'A_cF8_227_a', 'A4')),
    _element('sc', (221,), 'Po', 'a 2.5-6 A', _simple_cubic, ('cP', 1, 'A_cP1_221_a', 'A_h')),
    _element(
        'hcp/rh',
        (194, 166),
        'Mg / alpha-Hg / As',
        'hcp c/a 1.45-1.80; Hg alpha 66-84 or 96-104 deg; As alpha 50-57 deg, z 0.21-0.235',
        _hcp_or_rhombohedral,
        ('hP', 2, 'A_hP2_194_c', 'A3'),
        ('hR', 1, 'A_hR1_166_a', 'A10'),
        ('hR', 2, 'A_hR2_166_c', 'A7'),
    ),
    _element('bct139', (139,), 'In / Pa', 'c/a 0.72-0.90 or 1.52-1.90', _bct139, ('tI', 1, 'A_tI2_139_a', 'A6')),
    _element('bct141', (141,), 'beta-Sn', 'c/a 0.45-0.70', _bct141, ('tI', 2, 'A_tI4_141_a', 'A5')),
)
#: The compound classes (:mod:`aiida_symclf.library.compounds`), after the elemental ones (labels 7-32).
COMPOUND_CLASSES: tuple[CrystalClass, ...] = tuple(_compound(prototype) for prototype in COMPOUND_PROTOTYPES)
#: Every class, in output order of the shipped network.
CLASSES: tuple[CrystalClass, ...] = ELEMENT_CLASSES + COMPOUND_CLASSES


def reference_structures() -> dict[str, Atoms]:
    """One real element of each class at its experimental lattice parameters, keyed by class name."""
    return {
        'bcc': bulk('Fe', 'bcc', a=2.87),
        'fcc': bulk('Cu', 'fcc', a=3.61),
        'diamond': bulk('Si', 'diamond', a=5.43),
        'sc': bulk('Po', 'sc', a=3.35),
        'hcp/rh': bulk('Mg', 'hcp', a=3.21, c=5.21),
        'bct139': crystal('In', [(0, 0, 0)], spacegroup=139, cellpar=[3.25, 3.25, 4.95, 90, 90, 90]),
        'bct141': crystal('Sn', [(0, 0, 0)], spacegroup=141, setting=1, cellpar=[5.83, 5.83, 3.18, 90, 90, 90]),
    }


def class_names() -> list[str]:
    return [crystal_class.name for crystal_class in CLASSES]


@functools.lru_cache(maxsize=1)
def class_by_name() -> dict[str, CrystalClass]:
    """Every known class by name (the names of any model file are among them)."""
    return {crystal_class.name: crystal_class for crystal_class in CLASSES}


@functools.lru_cache(maxsize=1)
def class_lattices() -> dict[str, dict[str, int]]:
    """Class name -> {Bravais lattice: most atoms per lattice point of a pristine crystal}."""
    lattices: dict[str, dict[str, int]] = {}
    for crystal_class in CLASSES:
        table = lattices.setdefault(crystal_class.name, {})
        for form in crystal_class.forms:
            table[form.bravais] = max(table.get(form.bravais, 0), form.atoms_per_lattice_point)
    return lattices


def class_table(names: Sequence[str]) -> list[dict[str, Any]]:
    """JSON-compatible table of the classes ``names`` (stored in model files' metadata)."""
    known = class_by_name()
    return [
        {
            'name': name,
            'kind': known[name].kind,
            'prototype': known[name].prototype,
            'forms': [dataclasses.asdict(form) for form in known[name].forms],
        }
        for name in names
        if name in known
    ]


def space_group_to_class() -> dict[int, str]:
    """Map a space group number to its elemental class name (for comparing with spglib)."""
    return {group: c.name for c in ELEMENT_CLASSES for group in c.space_groups}


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
    their labels (indices into :data:`CLASSES`)."""
    rng = np.random.default_rng(seed)
    structures, labels = [], []
    for crystal_class in classes:
        label = CLASSES.index(crystal_class)
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
    import spglib

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
    from aiida_symclf.library.fingerprint import prepare_block

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
