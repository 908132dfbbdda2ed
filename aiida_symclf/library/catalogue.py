"""The class catalogue: every class the networks can answer, with the facts that define it.

One place for what a class *is*, used by training (the generators), inference (the Bragg-lattice
facts that can overrule the network, the AFLOW labels of a result) and queries (the labels and
prototypes one can search for):

- :class:`CrystalClass`: name, space groups, example, parameter ranges of the generated crystals,
  its generator and its pristine :class:`Form` s (Bravais lattice, atoms per lattice point, AFLOW
  prototype label, Strukturbericht designation), ``kind`` element or compound.
- :data:`ELEMENT_CLASSES` (the paper's seven, labels 0-6), :data:`COMPOUND_CLASSES`
  (:mod:`aiida_symclf.library.compounds`, labels 7-32) and :data:`CLASSES`, in the shipped
  network's output order.

Rhombohedral (166) and hexagonal close-packed (194) structures give nearly identical
fingerprints; as in the paper they form one network class, ``hcp/rh``.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from ase import Atoms
from ase.build import bulk
from ase.spacegroup import crystal

from aiida_symclf.library.compounds import COMPOUND_PROTOTYPES, CompoundPrototype

__all__ = [
    'CLASSES',
    'COMPOUND_CLASSES',
    'ELEMENT_CLASSES',
    'CrystalClass',
    'Form',
    'class_by_name',
    'class_lattices',
    'class_from_table',
    'class_names',
    'class_table',
    'known_classes',
    'register_classes',
    'reference_structures',
    'space_group_to_class',
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


#: Classes beyond the built-in ones, by name: those of loaded model files (the AFLOW prototypes,
#: :mod:`aiida_symclf.library.aflow`), known from their metadata (:func:`register_classes`).
_REGISTERED: dict[str, CrystalClass] = {}


def register_classes(classes: Sequence[CrystalClass]) -> None:
    """Make ``classes`` known to inference and queries (a built-in class's name keeps its entry)."""
    builtin = {crystal_class.name for crystal_class in CLASSES}
    new = {c.name: c for c in classes if c.name not in builtin and c.name not in _REGISTERED}
    if new:
        _REGISTERED.update(new)
        class_by_name.cache_clear()
        class_lattices.cache_clear()


def known_classes() -> tuple[CrystalClass, ...]:
    """The built-in classes, then those registered (:func:`register_classes`), in that order."""
    return CLASSES + tuple(_REGISTERED.values())


def _no_generator(rng: np.random.Generator) -> Atoms:
    raise RuntimeError('a class known from a model file has no generator (train with aiida_symclf.library.aflow)')


def class_from_table(row: Mapping[str, Any], space_groups: Sequence[int]) -> CrystalClass:
    """A class from a row of :func:`class_table` (a model file's metadata); it generates nothing."""
    return CrystalClass(
        name=row['name'], space_groups=tuple(int(group) for group in space_groups), prototype=row.get('prototype', ''),
        parameter_ranges=row.get('parameter_ranges', ''), generate=_no_generator,
        forms=tuple(Form(**form) for form in row['forms']), kind=row.get('kind', 'element'),
    )  # fmt: skip


@functools.lru_cache(maxsize=1)
def class_by_name() -> dict[str, CrystalClass]:
    """Every known class by name (the names of any loaded model file are among them)."""
    return {crystal_class.name: crystal_class for crystal_class in known_classes()}


@functools.lru_cache(maxsize=1)
def class_lattices() -> dict[str, dict[str, int]]:
    """Class name -> {Bravais lattice: most atoms per lattice point of a pristine crystal}."""
    lattices: dict[str, dict[str, int]] = {}
    for crystal_class in known_classes():
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
            'parameter_ranges': known[name].parameter_ranges,
            'forms': [dataclasses.asdict(form) for form in known[name].forms],
        }
        for name in names
        if name in known
    ]


def space_group_to_class() -> dict[int, str]:
    """Map a space group number to its elemental class name (for comparing with spglib)."""
    return {group: c.name for c in ELEMENT_CLASSES for group in c.space_groups}
