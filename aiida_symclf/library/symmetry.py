"""Classical symmetry detection with spglib, mapped onto the network's classes.

The paper compares the network with spglib at two tolerances (the authors' later benchmark):
a *loose* one, ``symprec = 0.1`` Angstrom and ``angle_tolerance = 5`` degrees, and a *tight*
one, ``symprec = 1e-4`` Angstrom and 1 degree. spglib returns a space group number; for one
species the class is the elemental class covering that space group
(:func:`aiida_symclf.library.catalogue.space_group_to_class`). For several species a space group alone does
not name a prototype (rocksalt, fluorite, D0_3 and Heusler are all Fm-3m): the class is the
compound class whose prototype has the same space group and the same Wyckoff positions per species
(:func:`compound_signatures`; species-blind, as the compound classes are: anti-fluorite Li2O is
fluorite). Any other space group (for example P1 for a structure with vacancies) has no class.

Tolerances are absolute lengths in Angstrom, so they are applied to the structure as given
(not to the structure scaled to a nearest-neighbour distance of 1).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import spglib
from ase import Atoms

from aiida_symclf.library.catalogue import space_group_to_class
from aiida_symclf.library.compounds import COMPOUND_PROTOTYPES

__all__ = [
    'SPGLIB_LOOSE',
    'SPGLIB_TIGHT',
    'SPGLIB_TOLERANCES',
    'compound_signatures',
    'spglib_class',
    'spglib_labels',
    'spglib_space_group',
]

#: ``(symprec in Angstrom, angle_tolerance in degrees)`` of the loose spglib setting.
SPGLIB_LOOSE: tuple[float, float] = (0.1, 5.0)
#: ``(symprec in Angstrom, angle_tolerance in degrees)`` of the tight spglib setting.
SPGLIB_TIGHT: tuple[float, float] = (1e-4, 1.0)
#: Both settings by name, in the order they are reported.
SPGLIB_TOLERANCES: dict[str, tuple[float, float]] = {'loose': SPGLIB_LOOSE, 'tight': SPGLIB_TIGHT}


def _spglib_cell(atoms: Atoms) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The ``(lattice, scaled_positions, numbers)`` tuple spglib expects; None if unusable."""
    if len(atoms) == 0:
        return None
    lattice = np.asarray(atoms.cell, dtype=float)
    positions = atoms.get_positions()
    if not (np.all(np.isfinite(lattice)) and np.all(np.isfinite(positions))):
        return None
    if abs(np.linalg.det(lattice)) < 1e-9:
        return None
    return lattice, atoms.get_scaled_positions(wrap=False), atoms.get_atomic_numbers()


def _dataset(atoms: Atoms, symprec: float, angle_tolerance: float) -> Any:
    """spglib's symmetry dataset of ``atoms``, or None when spglib fails or the cell is unusable."""
    cell = _spglib_cell(atoms)
    if cell is None:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')  # spglib warns (and returns None) when it finds nothing
            return spglib.get_symmetry_dataset(cell, symprec=symprec, angle_tolerance=angle_tolerance)
    except Exception:  # newer spglib versions may raise SpglibError instead of returning None
        return None


def _field(dataset: Any, name: str) -> Any:
    """A field of a spglib dataset, which is an object in spglib >= 2.5 and a dict before."""
    if hasattr(dataset, name):
        return getattr(dataset, name)
    return dataset[name]


def spglib_space_group(atoms: Atoms, symprec: float, angle_tolerance: float) -> int | None:
    """Space group number (1-230) spglib finds for ``atoms``; None when spglib fails.

    ``symprec`` is in Angstrom and ``angle_tolerance`` in degrees (see :data:`SPGLIB_LOOSE`
    and :data:`SPGLIB_TIGHT`). The whole cell of ``atoms`` is used as the periodic cell.
    """
    dataset = _dataset(atoms, symprec, angle_tolerance)
    if dataset is None:
        return None
    return int(_field(dataset, 'number'))


def wyckoff_signature(atoms: Atoms, dataset: Any) -> tuple[int, tuple[tuple[str, ...], ...]]:
    """Space group and, per species, the set of Wyckoff letters it occupies: species-blind, so that
    structures of the same prototype with any elements (or swapped sublattices), in any supercell,
    have the same one."""
    per_species: dict[int, set[str]] = {}
    for number, letter in zip(atoms.numbers, _field(dataset, 'wyckoffs'), strict=True):
        per_species.setdefault(int(number), set()).add(str(letter))
    return int(_field(dataset, 'number')), tuple(sorted(tuple(sorted(group)) for group in per_species.values()))


#: Fractional-coordinate maps of :func:`_setting_variants`: identity, x <-> y, y -> -y.
_AXES_CHOICES = (np.eye(3), np.array([[0, 1, 0], [1, 0, 0], [0, 0, 1]]), np.diag([1, -1, 1]))


def _setting_variants(atoms: Atoms, dataset: Any) -> list[Atoms]:
    """``atoms`` with each of its orbits in turn at the origin, inverted or not, with x and y swapped
    or y mirrored or neither: spglib's standard setting leaves a choice among equivalent origins and axes (rutile's
    4f or 4g, zincblende's a+c or a+d), so the Wyckoff letters it gives a prototype depend on the
    input; these variants meet the choices it makes. (Swap and mirror keep the lattice of the
    tetragonal, hexagonal and cubic prototypes.)"""
    variants = []
    scaled = atoms.get_scaled_positions()
    for index in sorted(set(int(orbit) for orbit in _field(dataset, 'equivalent_atoms'))):
        for sign in (1.0, -1.0):
            for axes in _AXES_CHOICES:
                variant = atoms.copy()
                variant.set_scaled_positions((sign * (scaled - scaled[index])) @ axes % 1.0)
                variants.append(variant)
    return variants


def derive_compound_signatures() -> dict[tuple[int, tuple[tuple[str, ...], ...]], str]:
    """:func:`wyckoff_signature` -> compound class name, from each prototype of
    :data:`aiida_symclf.library.compounds.COMPOUND_PROTOTYPES` in every setting spglib may choose (a few
    seconds: :data:`COMPOUND_SIGNATURES` holds the result, and a test checks that it is this)."""
    rng = np.random.default_rng(0)
    table: dict[tuple[int, tuple[tuple[str, ...], ...]], str] = {}
    for prototype in COMPOUND_PROTOTYPES:
        atoms = prototype.generate(rng)
        for variant in _setting_variants(atoms, _dataset(atoms, *SPGLIB_TIGHT)):
            found = _dataset(variant, *SPGLIB_TIGHT)
            if found is not None and int(_field(found, 'number')) == prototype.space_group:
                table.setdefault(wyckoff_signature(variant, found), prototype.name)
    return table


#: ``(space group, Wyckoff letters per species)`` -> compound class (:func:`derive_compound_signatures`).
COMPOUND_SIGNATURES: dict[tuple[int, tuple[tuple[str, ...], ...]], str] = {
    (123, (('a',), ('d',))): 'L1_0',
    (136, (('a',), ('f',))): 'rutile',
    (136, (('a',), ('g',))): 'rutile',
    (136, (('b',), ('f',))): 'rutile',
    (136, (('b',), ('g',))): 'rutile',
    (139, (('a',), ('b', 'd'))): 'D0_22',
    (139, (('a', 'd'), ('b',))): 'D0_22',
    (164, (('a',), ('d',))): 'CdI2',
    (164, (('b',), ('d',))): 'CdI2',
    (167, (('c',), ('e',))): 'corundum',
    (186, (('b',), ('b',))): 'wurtzite',
    (187, (('a',), ('d',))): 'WC',
    (187, (('a',), ('f',))): 'WC',
    (191, (('a',), ('d',))): 'AlB2',
    (191, (('b',), ('c',))): 'AlB2',
    (194, (('a',), ('c',))): 'NiAs',
    (194, (('a',), ('d',))): 'NiAs',
    (194, (('a', 'h'), ('f',))): 'Laves-C14',
    (194, (('c',), ('d',))): 'hBN',
    (194, (('c',), ('h',))): 'D0_19',
    (194, (('d',), ('h',))): 'D0_19',
    (198, (('a',), ('a',))): 'B20',
    (205, (('a',), ('c',))): 'pyrite',
    (205, (('b',), ('c',))): 'pyrite',
    (216, (('a',), ('b',), ('c',))): 'half-Heusler',
    (216, (('a',), ('b',), ('d',))): 'half-Heusler',
    (216, (('a',), ('c',))): 'zincblende',
    (216, (('a',), ('c',), ('d',))): 'half-Heusler',
    (216, (('a',), ('d',))): 'zincblende',
    (221, (('a',), ('b',))): 'CsCl',
    (221, (('a',), ('b',), ('c',))): 'perovskite',
    (221, (('a',), ('b',), ('d',))): 'perovskite',
    (221, (('a',), ('c',))): 'L1_2',
    (221, (('b',), ('d',))): 'L1_2',
    (223, (('a',), ('c',))): 'A15',
    (223, (('a',), ('d',))): 'A15',
    (225, (('a',), ('b',))): 'rocksalt',
    (225, (('a',), ('b',), ('c',))): 'Heusler',
    (225, (('a',), ('b', 'c'))): 'D0_3',
    (225, (('a',), ('c',))): 'fluorite',
    (225, (('a', 'c'), ('b',))): 'D0_3',
    (225, (('b',), ('c',))): 'fluorite',
    (227, (('a',), ('d',))): 'Laves-C15',
    (227, (('a',), ('d',), ('e',))): 'spinel',
    (227, (('b',), ('c',))): 'Laves-C15',
    (227, (('b',), ('c',), ('e',))): 'spinel',
}


def compound_signatures() -> dict[tuple[int, tuple[tuple[str, ...], ...]], str]:
    """:data:`COMPOUND_SIGNATURES`."""
    return COMPOUND_SIGNATURES


def _class_of(atoms: Atoms, dataset: Any, mapping: Mapping[int, str] | None = None) -> str | None:
    """The class of spglib's answer: the elemental class of the space group for one species, the
    compound class of the Wyckoff signature for several; None for no class."""
    if dataset is None:
        return None
    if len(set(atoms.numbers)) == 1:
        return (mapping if mapping is not None else space_group_to_class()).get(int(_field(dataset, 'number')))
    return compound_signatures().get(wyckoff_signature(atoms, dataset))


def spglib_class(
    atoms: Atoms,
    symprec: float,
    angle_tolerance: float,
    mapping: Mapping[int, str] | None = None,
) -> str | None:
    """Class of the symmetry spglib finds for ``atoms``: elemental (by space group) for one species,
    compound (by space group and Wyckoff positions, :func:`compound_signatures`) for several.

    None when spglib fails or finds a symmetry of no class. ``mapping`` (space group number to
    elemental class name) defaults to :func:`aiida_symclf.library.catalogue.space_group_to_class`.
    """
    return _class_of(atoms, _dataset(atoms, symprec, angle_tolerance), mapping)


def spglib_labels(
    atoms: Atoms,
    tolerances: Mapping[str, tuple[float, float]] | None = None,
    datasets: Mapping[str, Any] | None = None,
) -> dict[str, dict[str, Any]]:
    """spglib's answer at each named tolerance (default: loose and tight), for reports.

    Returns ``{name: {'symprec', 'angle_tolerance', 'space_group', 'international', 'class'}}``;
    ``space_group``, ``international`` and ``class`` are None where spglib finds nothing or
    the symmetry is none of the network's classes (:func:`spglib_class`). ``datasets``: spglib's
    answers (with ``number``, ``international`` and ``wyckoffs``) by tolerance name, already computed elsewhere
    (the bounded comparison of the command line runs spglib in a child process).
    """
    labels = {}
    for name, (symprec, angle_tolerance) in (tolerances or SPGLIB_TOLERANCES).items():
        dataset = datasets[name] if datasets is not None else _dataset(atoms, symprec, angle_tolerance)
        labels[name] = {
            'symprec': symprec,
            'angle_tolerance': angle_tolerance,
            'space_group': None if dataset is None else int(_field(dataset, 'number')),
            'international': None if dataset is None else str(_field(dataset, 'international')),
            'class': _class_of(atoms, dataset),
        }
    return labels
