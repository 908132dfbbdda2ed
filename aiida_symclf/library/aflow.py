"""The AFLOW prototypes as classes: every prototype of the AFLOW library's part 1 that no built-in
class covers (issue 28).

Source: pymatgen's copy of the AFLOW Library of Crystallographic Prototypes, part 1 (Mehl et al.,
Comp. Mat. Sci. 136, S1, 2017; 288 entries in ``pymatgen/analysis/aflow_prototypes.json.gz``), read
at *training* time only: pymatgen is not a run-time dependency. A model trained on these classes
stores each one's facts (AFLOW label, Strukturbericht designation, Bravais lattice and atoms per
lattice point as :mod:`aiida_symclf.library.lattice` sees them) in its metadata, and
:func:`aiida_symclf.library.catalogue.register_classes` makes them known when it is loaded.

One class per AFLOW label (pymatgen has 9 labels twice: the same structure type with two example
compounds, e.g. ``A_tI2_139_a`` In and Pa); its name is the label. Its generator takes one of the
label's example cells, puts distinct random elements on its species (the fingerprint sees
sublattices, not elements), and scales each free cell length by up to :data:`CELL_STRAIN` (lengths
that symmetry ties stay tied), so that the network learns the structure type, not one compound's
ratios. Internal coordinates stay those of the example.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
from ase import Atoms

from aiida_symclf.library.catalogue import CLASSES, CrystalClass, Form, register_classes
from aiida_symclf.library.compounds import random_species

__all__ = ['AFLOW_SOURCE', 'CELL_STRAIN', 'aflow_classes', 'prototype_entries']

#: Where the prototypes come from (recorded in the classes' ``parameter_ranges``).
AFLOW_SOURCE = 'pymatgen aflow_prototypes.json.gz (AFLOW part 1)'
#: Largest relative change of a free cell length in a generated crystal.
CELL_STRAIN = 0.03


def prototype_entries() -> dict[str, list[dict]]:
    """AFLOW label -> its entries in pymatgen's library (``atoms``, ``formula``, ``strukturbericht``,
    ``mineral``), in the library's order. Needs pymatgen (the ``bench`` extra)."""
    try:
        from pymatgen.analysis.prototypes import AFLOW_PROTOTYPE_LIBRARY
        from pymatgen.io.ase import AseAtomsAdaptor
    except ImportError as exception:  # pragma: no cover - depends on the environment
        raise ImportError('the AFLOW prototype classes are built from pymatgen: pip install pymatgen') from exception
    entries: dict[str, list[dict]] = {}
    for entry in AFLOW_PROTOTYPE_LIBRARY:
        tags, structure = entry['tags'], entry['snl'].structure
        entries.setdefault(tags['aflow'], []).append({
            'atoms': _plain(AseAtomsAdaptor.get_atoms(structure)),
            'formula': structure.composition.reduced_formula,
            'strukturbericht': '' if tags.get('strukturbericht') in (None, 'None') else tags['strukturbericht'],
            'mineral': tags.get('mineral') or '',
        })  # fmt: skip
    return entries


def _plain(atoms: Atoms) -> Atoms:
    """An ASE ``Atoms`` (pymatgen's adaptor returns a subclass that carries pymatgen objects)."""
    return Atoms(
        numbers=atoms.numbers, cell=np.asarray(atoms.cell), scaled_positions=atoms.get_scaled_positions(), pbc=True
    )


def strained(atoms: Atoms, rng: np.random.Generator) -> Atoms:
    """``atoms`` with each free cell length scaled by a factor in ``1 +- CELL_STRAIN`` (lengths equal
    by symmetry get one factor; angles and fractional coordinates are kept)."""
    lengths = atoms.cell.lengths()
    factors = np.empty(3)
    for axis in range(3):
        tied = [other for other in range(axis) if abs(lengths[other] - lengths[axis]) < 1e-4 * lengths[axis]]
        factors[axis] = factors[tied[0]] if tied else rng.uniform(1 - CELL_STRAIN, 1 + CELL_STRAIN)
    result = atoms.copy()
    result.set_cell(np.asarray(atoms.cell) * factors[:, None], scale_atoms=True)
    return result


def with_random_species(atoms: Atoms, rng: np.random.Generator) -> Atoms:
    """``atoms`` with each of its elements replaced by a distinct random one."""
    symbols = list(dict.fromkeys(atoms.get_chemical_symbols()))
    mapping = dict(zip(symbols, random_species(rng, len(symbols)), strict=True))
    result = atoms.copy()
    result.set_chemical_symbols([mapping[symbol] for symbol in atoms.get_chemical_symbols()])
    return result


def _generator(cells: Sequence[Atoms]):
    def generate(rng: np.random.Generator) -> Atoms:
        cell = cells[int(rng.integers(len(cells)))]
        return strained(with_random_species(cell, rng), rng)

    return generate


def _form(label: str, entry: dict) -> Form:
    """The facts of an example cell as the Bragg analysis of users' inputs sees them."""
    from aiida_symclf.library.lattice import analyse_lattice

    lattice = analyse_lattice(entry['atoms'])
    return Form(lattice.bravais, round(lattice.atoms_per_lattice_point), label, entry['strukturbericht'])


def _space_group(label: str) -> int:
    return int(label.split('_')[2])


def _class(label: str, entries: list[dict]) -> CrystalClass:
    forms = tuple(dict.fromkeys(_form(label, entry) for entry in entries))
    names = ', '.join(dict.fromkeys(
        f'{entry["formula"]} ({entry["mineral"]})' if entry['mineral'] else entry['formula'] for entry in entries
    ))  # fmt: skip
    one_species = all(len(set(entry['atoms'].get_chemical_symbols())) == 1 for entry in entries)
    return CrystalClass(
        name=label, space_groups=(_space_group(label),), prototype=names,
        parameter_ranges=f'{AFLOW_SOURCE}; free cell lengths +-{CELL_STRAIN:.0%}',
        generate=_generator([entry['atoms'] for entry in entries]), forms=forms,
        kind='element' if one_species else 'compound',
    )  # fmt: skip


@functools.lru_cache(maxsize=1)
def aflow_classes() -> tuple[CrystalClass, ...]:
    """One class per AFLOW label of part 1 that no built-in class has as a form, in the library's
    order; registered with the catalogue (:func:`~aiida_symclf.library.catalogue.register_classes`)."""
    covered = {form.aflow_prototype for crystal_class in CLASSES for form in crystal_class.forms}
    classes = tuple(_class(label, entries) for label, entries in prototype_entries().items() if label not in covered)
    register_classes(classes)
    return classes
