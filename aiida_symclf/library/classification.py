"""From network probabilities and Bragg-lattice facts to one result per structure.

One function, :func:`classification_record`, builds the result every path stores or prints
(the CalcFunctions, the WorkChain's compact and bulk modes and the command line): a
:class:`~aiida_symclf.library.record.ClassificationRecord`, so all of them have the same shape.

*Conditioning on the Bragg facts.* Whether the species are chemically ordered on sublattices
(a compound: NaCl, GaAs, Cu3Au) or not (an element, or a random alloy, which is an elemental
class: a random fcc CuAu is fcc) is a fact of the Bragg peaks, not a guess of the network; so
are the Bravais lattice and the atoms per lattice point. They give the classes a structure can
have (:func:`allowed_classes`): those of its group (``kind`` ``element`` or ``compound`` in
:data:`aiida_symclf.library.catalogue.CLASSES`), and among the elemental classes only those with its
lattice and room for its atoms. The network's probabilities are renormalised over them:
``probabilities`` are those of the classes *given* the facts (a 60%-vacancy hcp Zn whose network
answer is bct139 0.6, hcp 0.4 is hcp). Where no class of the group has the lattice, the whole
group is kept and the record says why the structure is none of them.

The network always answers one of its classes. A structure gets the label :data:`UNKNOWN`
instead when what its Bragg peaks say (:mod:`aiida_symclf.library.lattice`) rules the network's class
out, or when the network itself is uncertain:

- *chemically ordered species* and a model without compound classes (the paper's models);
- *wrong lattice*: no class of the group has the Bravais lattice (alpha-U's base-centred
  orthorhombic lattice is none of the elemental classes');
- *a vacuum gap* (:mod:`aiida_symclf.library.vacuum`): a slab, a 2D layer or a molecule in a box
  is not a bulk crystal, whatever lattice its peaks give (a graphene monolayer is not hcp);
- *no Bragg peaks*: an amorphous or liquid-like box (its whole cell is the repeating unit);
- *wrong number of basis sites* (windows of a local map, where the sites are found from the
  atoms' positions modulo the lattice: :mod:`aiida_symclf.library.local_lattice`): vacancies
  empty sites but never remove one, so a half-empty diamond window is not fcc;
- *too many atoms per lattice point*: graphite (hP, 4 atoms) is not hcp (hP, 2 atoms), and
  chalcopyrite (tI, 8 atoms) is no compound class of its lattice;
- *wrong stoichiometry* (compound classes): the atoms cannot fill the class's sublattices even
  with random vacancies (:mod:`aiida_symclf.library.stoichiometry`): ReO3 is not a perovskite with an
  empty A site, NaTl (1:1) not BiF3 (1:3);
- *uncertain*: the MC-dropout mutual information of the network (Gal and Ghahramani 2016, as
  in the follow-up work ARISE, Leitherer et al. 2021) is above :data:`MAX_UNCERTAINTY`.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from aiida_symclf.library.catalogue import class_by_name, class_lattices
from aiida_symclf.library.record import ClassificationRecord
from aiida_symclf.library.stoichiometry import MIN_FIT_PROBABILITY, fit_probability, site_counts, stoichiometry

__all__ = [
    'MAX_UNCERTAINTY',
    'ORDERED',
    'SUPERSTRUCTURE',
    'UNKNOWN',
    'VACANCY_ORDERED',
    'Refusal',
    'class_kind',
    'allowed_classes',
    'parent_prototype',
    'refusal',
    'stoichiometry_reason',
    'sublattice_reason',
    'classification_record',
    'classify_fingerprint_images',
    'unknown_reason',
]

#: The label of a structure that is none of the classes.
UNKNOWN = 'unknown'
#: Mutual information (nats) above which the network's answer is not trusted: above every
#: in-class value of the user-path and compound benchmarks (0.04 and 0.50; see ``docs/method.rst``).
MAX_UNCERTAINTY = 0.6
#: Slack on the atoms per lattice point (a count from whole atoms, exact for pristine cells).
_COUNT_SLACK = 0.01
#: The crystal families (first letters of Bravais symbols; ``h``: hexagonal or rhombohedral) a
#: lattice can become by an ordering that keeps or lowers its point symmetry (:func:`_family_fits`).
#: ``hP`` comes from ``hP`` only, ``hR`` from cubic or hexagonal lattices (:func:`_keeps_or_lowers`).
_SUBFAMILIES = {'c': 'ctoma', 'h': 'oma', 't': 'toma', 'o': 'oma', 'm': 'ma', 'a': 'a'}


def class_kind(name: str) -> str:
    """``element`` or ``compound`` (names no class table knows count as elemental)."""
    known = class_by_name().get(name)
    return known.kind if known is not None else 'element'


#: The kinds of derivative a refusal can make a structure of the network's class.
SUPERSTRUCTURE, ORDERED, VACANCY_ORDERED = 'superstructure', 'ordered derivative', 'ordered-vacancy derivative'


@dataclasses.dataclass(frozen=True)
class Refusal:
    """Why the Bragg facts rule a class out: ``reason`` ('' if nothing does), and ``derivative``
    where the fact makes the structure a derivative of the class (:data:`SUPERSTRUCTURE`,
    :data:`ORDERED`: more sublattices, :data:`VACANCY_ORDERED`) rather than something else (''),
    with the class's AFLOW prototype, ``parent_prototype`` (:func:`refusal` names it)."""

    reason: str = ''
    derivative: str = ''
    parent_prototype: str = ''

    def __bool__(self) -> bool:
        return bool(self.reason)


def _substructure_fits(label: str, lattice: Mapping[str, Any], allowed: Mapping[str, int]) -> bool:
    """True if the lattice of the strong peaks alone (``substructure_bravais``; see
    :class:`~aiida_symclf.library.lattice.BraggLattice`) is one of class ``label``'s with room for its
    atoms, and the whole lattice came from it by an ordering (:func:`_family_fits`): the weak peaks
    are superstructure reflections of the class."""
    sub = lattice.get('substructure_bravais')
    if not sub or sub not in allowed:
        return False
    count = float(lattice.get('substructure_atoms_per_lattice_point', 0.0))
    return count <= allowed[sub] + _COUNT_SLACK and _family_fits(lattice['bravais'], {sub: allowed[sub]})


def _family_fits(bravais: str, allowed: Mapping[str, int]) -> bool:
    """True if a lattice ``bravais`` can come from one of the ``allowed`` lattices by an ordering that
    keeps or lowers its symmetry (a cubic class's superstructure may be tetragonal or rhombohedral;
    nothing but a hexagonal lattice gives a hexagonal one)."""
    return any(_keeps_or_lowers(bravais, parent) for parent in allowed)


def _keeps_or_lowers(bravais: str, parent: str) -> bool:
    if bravais == 'hP':
        return parent == 'hP'
    if bravais == 'hR':
        return parent[0] in 'ch'
    return bravais[0] in _SUBFAMILIES.get(parent[0], '')


def _lattice_refusal(label: str, lattice: Mapping[str, Any], lattices: Mapping[str, Mapping[str, int]]) -> Refusal:
    """Why class ``label`` cannot have the Bravais lattice and atoms per lattice point of ``lattice``
    (no reason for classes no table knows). ``lattices``: :func:`~aiida_symclf.library.catalogue.class_lattices`.

    More atoms per lattice point than the class holds, where the main peaks alone give the class's
    lattice, is a superstructure of it: dhcp La, 4H-SiC. Fewer, in a cell of one lattice point, is
    not the random vacancies a vacancy-diluted crystal of the class has (every lattice point lacks
    the same sites): simple hexagonal is not hcp, ReO3 not a perovskite; an ordered-vacancy
    derivative where the atoms fill whole site sets of the class (ReO3: perovskite without its A
    site, :func:`_fills_whole_site_sets`).
    """
    allowed = lattices.get(label)
    if not allowed:
        return Refusal()
    bravais, count = lattice['bravais'], float(lattice['atoms_per_lattice_point'])
    superstructure = SUPERSTRUCTURE if _substructure_fits(label, lattice, allowed) else ''
    if bravais not in allowed:
        needs = ' or '.join(sorted(allowed))
        if superstructure:
            return Refusal(
                f'the Bragg peaks give a {bravais} lattice with {count:g} atoms per lattice point, its main '
                f'peaks alone the {lattice["substructure_bravais"]} lattice of {label}',
                superstructure,
            )
        return Refusal(f'the Bragg peaks give a {bravais} lattice; {label} needs {needs}')
    if count > allowed[bravais] + _COUNT_SLACK:
        return Refusal(f'{count:g} atoms per lattice point; {label} has {allowed[bravais]}', superstructure)
    fewest = min(form.atoms_per_lattice_point for form in class_by_name()[label].forms if form.bravais == bravais)
    if count < fewest - _COUNT_SLACK and int(lattice.get('lattice_points', 0)) == 1:
        return Refusal(
            f'{count:g} atoms per lattice point in a cell of one lattice point (ordered, not random, '
            f'vacancies); {label} has {fewest}',
            VACANCY_ORDERED if _fills_whole_site_sets(label, lattice) else '',
        )
    sites = lattice.get('sites_per_lattice_point')
    if sites is not None and class_kind(label) == 'element' and int(sites) != allowed[bravais]:
        return Refusal(f'{sites} basis sites per lattice point; {label} has {allowed[bravais]}')
    return Refusal()


def _lattice_reason(label: str, lattice: Mapping[str, Any], lattices: Mapping[str, Mapping[str, int]]) -> str:
    """The reason of :func:`_lattice_refusal` ('' if the lattice facts allow ``label``)."""
    return _lattice_refusal(label, lattice, lattices).reason


def allowed_classes(class_names: Sequence[str], lattice: Mapping[str, Any] | None) -> np.ndarray:
    """Boolean mask of the classes the Bragg facts of ``lattice`` allow.

    The classes of the group its chemical order selects; in the elemental group only those with
    its Bravais lattice and room for its atoms per lattice point (the whole group when none has
    that lattice). Why not in the compound group: the elemental classes hold one or two atoms per
    lattice point, so a lattice and a count leave no other reading, while the compound classes
    hold up to 14, and a crystal with fewer atoms on the same lattice would be read as a
    vacancy-diluted class (measured: MoS2 as a half-empty C14 Laves phase, Cu2O as a half-empty
    pyrite, alpha-quartz as a C14 Laves phase with a quarter of its sites empty). There the
    network's own answer stands and the facts may refuse it (then :func:`_exact_alternative`).
    """
    kind = 'compound' if lattice is not None and lattice.get('chemically_ordered') else 'element'
    group = np.array([class_kind(name) == kind for name in class_names], dtype=bool)
    if kind != 'element' or lattice is None or not lattice.get('periodic_by_peaks', True) or 'bravais' not in lattice:
        return group
    lattices = class_lattices()
    fits = np.array([not _lattice_reason(name, lattice, lattices) for name in class_names], dtype=bool)
    return group & fits if (group & fits).any() else group


def _exact_form(name: str, lattice: Mapping[str, Any]) -> bool:
    """True if compound class ``name`` has a form with exactly the Bravais lattice and atoms per
    lattice point of ``lattice`` (no vacancies). Exact counts only, so that no vacancy-diluted
    reading (MoS2 as a half-empty C14 Laves phase) is made possible; whether the atoms fit its
    sublattices is :func:`refusal`'s to say."""
    known = class_by_name().get(name)
    if known is None or known.kind != 'compound':
        return False
    count = float(lattice.get('atoms_per_lattice_point', 0.0))
    return any(
        form.bravais == lattice['bravais'] and abs(count - form.atoms_per_lattice_point) <= _COUNT_SLACK
        for form in known.forms
    )


def _formula(composition: Mapping[str, int]) -> str:
    return ''.join(f'{symbol}{count}' for symbol, count in sorted(composition.items(), key=lambda item: -item[1]))


def stoichiometry_reason(label: str, lattice: Mapping[str, Any]) -> str:
    """Why the atoms of ``lattice``'s structure cannot be compound class ``label``; '' if they can
    (or if the facts are missing: results of earlier versions, elemental classes)."""
    known = class_by_name().get(label)
    composition, points = lattice.get('composition'), lattice.get('lattice_points')
    if known is None or known.kind != 'compound' or not composition or not points:
        return ''
    form = known.forms[0]
    sites = site_counts(form.aflow_prototype, form.atoms_per_lattice_point, int(points))
    if fit_probability(list(composition.values()), sites) >= MIN_FIT_PROBABILITY:
        return ''
    ratio = ':'.join(map(str, stoichiometry(form.aflow_prototype)))
    return (
        f'the atoms ({_formula(composition)} on {points} lattice points) cannot fill the sublattices of '
        f'{label} ({ratio}, {form.atoms_per_lattice_point} atoms per lattice point) even with random vacancies'
    )


def sublattice_reason(label: str, lattice: Mapping[str, Any]) -> str:
    """Why a chemically ordered structure is an ordered derivative of compound class ``label``: its
    species sit on more distinct sublattices (``lattice['sublattices']``, from
    :func:`~aiida_symclf.library.lattice.sublattice_groups`) than the class has species in its AFLOW
    label (ilmenite FeTiO3 and LiNbO3: 3; corundum: 2); '' if not (or the fact is missing)."""
    known = class_by_name().get(label)
    groups = int(lattice.get('sublattices') or 0)
    if known is None or known.kind != 'compound' or not lattice.get('chemically_ordered'):
        return ''
    species = len(stoichiometry(known.aflow_prototype))
    if groups <= species:
        return ''
    return f'{groups} groups of species on distinct sublattices; {label} has {species}'


def _fills_whole_site_sets(label: str, lattice: Mapping[str, Any]) -> bool:
    """True if the species of a one-lattice-point cell each fill one site set (species of the AFLOW
    label) of compound class ``label`` exactly and the other sets are empty: ReO3 (3 O, 1 Re) fills
    perovskite's 3 + 1 sites and leaves its A site empty. Never for elemental classes (one set)."""
    known = class_by_name().get(label)
    composition = lattice.get('composition') or {}
    if known is None or known.kind != 'compound' or not composition:
        return False
    sites = site_counts(known.aflow_prototype, known.forms[0].atoms_per_lattice_point, 1)
    counts = sorted(int(count) for count in composition.values())
    return len(counts) < len(sites) and any(
        sorted(chosen) == counts for chosen in itertools.combinations(sites, len(counts))
    )


def refusal(label: str, lattice: Mapping[str, Any] | None, uncertainty: float | None) -> Refusal:
    """Why a structure the network calls ``label`` is none of the classes (see :func:`unknown_reason`),
    and whether that makes it a derivative of ``label`` (its reason then names the class and its
    AFLOW prototype: ``ordered derivative of corundum (A2B3_hR10_167_c_e): ...``)."""
    if lattice is not None:
        if lattice.get('vacuum_gaps'):
            gaps = ', '.join(f'{width:.1f} A along {axis}' for axis, width in lattice['vacuum_gaps'].items())
            return Refusal(f'a vacuum gap ({gaps}): a slab, 2D layer or molecule, not a bulk crystal')
        if not lattice.get('periodic_by_peaks', True):
            return Refusal('no Bragg peaks above the noise: not crystalline (amorphous or liquid-like)')
        if lattice.get('chemically_ordered') and class_kind(label) != 'compound':
            return Refusal('species are chemically ordered on sublattices (a compound): none of the elemental classes')
        found = _lattice_refusal(label, lattice, class_lattices())
        if not found and (reason := sublattice_reason(label, lattice)):
            found = Refusal(reason, ORDERED)
        if not found and (reason := stoichiometry_reason(label, lattice)):
            found = Refusal(reason)
        if found:
            return _naming_parent(label, lattice, found) if found.derivative else found
    if uncertainty is not None and uncertainty > MAX_UNCERTAINTY:
        return Refusal(f'the network is uncertain (mutual information {uncertainty:.2f} > {MAX_UNCERTAINTY})')
    return Refusal()


def _naming_parent(label: str, lattice: Mapping[str, Any], found: Refusal) -> Refusal:
    """``found`` with its reason led by the kind of derivative and the class's AFLOW prototype."""
    prototype = parent_prototype(label, lattice)
    reason = f'{found.derivative} of {label} ({prototype}): {found.reason}'
    return dataclasses.replace(found, reason=reason, parent_prototype=prototype)


def parent_prototype(label: str, lattice: Mapping[str, Any] | None) -> str:
    """AFLOW prototype of the form of class ``label`` closest to the Bragg facts ``lattice`` (to those of
    its strong peaks alone where the weak ones make a superstructure)."""
    known = class_by_name().get(label)
    if known is None:
        return ''
    if lattice and lattice.get('substructure_bravais'):
        lattice = {
            'bravais': lattice['substructure_bravais'],
            'atoms_per_lattice_point': lattice['substructure_atoms_per_lattice_point'],
        }
    return known.form_of(lattice).aflow_prototype


def unknown_reason(label: str, lattice: Mapping[str, Any] | None, uncertainty: float | None) -> str:
    """Why a structure the network calls ``label`` is none of the classes; '' if nothing speaks against it."""
    return refusal(label, lattice, uncertainty).reason


#: Least probability of a compound class the facts fit exactly to stand in for the network's
#: refused first answer (:func:`_exact_alternative`).
EXACT_ALTERNATIVE_PROBABILITY = 0.1


def _exact_alternative(
    best: int, refused: Refusal, probabilities: np.ndarray, class_names: Sequence[str],
    lattice: Mapping[str, Any], uncertainty: float | None,
) -> tuple[int, Refusal]:  # fmt: skip
    """The most probable compound class that the Bragg facts fit exactly (:func:`_exact_form`) and do
    not refuse (:func:`refusal`: lattice, sublattices, stoichiometry), where
    the network's first answer ``best`` is refused and that class has at least
    :data:`EXACT_ALTERNATIVE_PROBABILITY`; ``best`` and its refusal otherwise.

    Why: among the AFLOW prototypes many compound classes look alike to the network (FeB, B27, and
    A3B2_oP20 share half their peaks); the facts that refuse its first answer tell which of the
    next ones is possible. An exact fit only, and a class the network itself gives weight to: ReO3
    fits L1_2's lattice, count and stoichiometry, but a network that sees a perovskite gives L1_2
    nothing, and ReO3 stays an ordered-vacancy derivative of the perovskite.
    """
    order = np.argsort(-probabilities)
    for index in order[1:]:
        if probabilities[index] < EXACT_ALTERNATIVE_PROBABILITY:
            break
        if _exact_form(class_names[index], lattice) and not (
            found := refusal(class_names[index], lattice, uncertainty)
        ):
            return int(index), found
    return best, refused


#: Lattice points in the conventional cell of a Bravais lattice (hR in its hexagonal setting; 1 if not listed).
_POINTS_PER_CELL = {'cF': 4, 'oF': 4, 'cI': 2, 'tI': 2, 'oI': 2, 'oS': 2, 'mS': 2, 'hR': 3}
#: The lattice systems whose classes can be an ordered or distorted derivative of a crystal of
#: a lattice system (the holohedries that are subgroups of its holohedry).
_SUBGROUP_SYSTEMS = {
    'c': {'c', 't', 'o', 'hR', 'm', 'a'}, 'hP': {'hP', 'hR', 'o', 'm', 'a'}, 't': {'t', 'o', 'm', 'a'},
    'o': {'o', 'm', 'a'}, 'hR': {'hR', 'm', 'a'}, 'm': {'m', 'a'}, 'a': {'a'},
}  # fmt: skip


def _system(bravais: str) -> str:
    """The lattice system of a Bravais lattice symbol (``hP`` and ``hR`` apart)."""
    return bravais if bravais in ('hP', 'hR') else bravais[0]


def _cell_content(bravais: str, count: float) -> float:
    """Atoms in the conventional cell of a lattice ``bravais`` of ``count`` atoms per point."""
    return count * _POINTS_PER_CELL.get(bravais, 1)


def _derivative_class(derivative: str, parent: str, bravais: str) -> bool:
    """True if class ``derivative`` can be an ordered or distorted derivative of class ``parent``'s
    form on lattice ``bravais``: every form of ``derivative`` is of that lattice system or one of
    lower symmetry, its conventional cell holds a whole multiple (>= 1) of the parent's atoms, and
    it is not the same lattice with the same atoms per point (a sibling ordering, not a derivative)."""
    lattices = class_lattices()
    forms, parent_forms = lattices.get(derivative, {}), lattices.get(parent, {})
    if derivative == parent or not forms or bravais not in parent_forms:
        return False
    content = _cell_content(bravais, parent_forms[bravais])
    if content <= 0:  # a form of no atoms (three AFLOW classes whose example cell looks like fcc)
        return False
    systems = _SUBGROUP_SYSTEMS.get(_system(bravais), set())
    for form_bravais, count in forms.items():
        ratio = _cell_content(form_bravais, count) / content
        if _system(form_bravais) not in systems or ratio < 1 - _COUNT_SLACK or abs(ratio - round(ratio)) > _COUNT_SLACK:
            return False
        if form_bravais == bravais and round(ratio) == 1:  # another ordering of the same cell (D0_3, Heusler)
            return False
    return True


def _parent_alternative(
    best: int, refused: Refusal, probabilities: np.ndarray, class_names: Sequence[str],
    lattice: Mapping[str, Any], uncertainty: float | None,
) -> tuple[int, Refusal]:  # fmt: skip
    """The most probable compound class that the Bragg facts fit exactly (:func:`_exact_form`) and
    do not refuse (:func:`refusal`: sublattices, stoichiometry) and of which the network's refused
    first answer ``best`` is a derivative (:func:`_derivative_class`), whatever its probability;
    ``best`` and its refusal where there is none. Exact counts only, as in
    :func:`_exact_alternative`: with random vacancies allowed, vacancy-ordered B2 derivatives
    (Ga4Ni3, Pt3O4: 1.75 atoms per cP point) would be called CsCl.

    Why: an ordered derivative's superstructure spots are faint in the fingerprint, so a network
    with both classes can give the derivative all the weight (the AFLOW model calls zincblende
    ``AB3C4_cP8_215_a_c_e``, Cu3AsS4, with p = 1.0: the same cube of atoms with one cation in four
    ordered), while the Bragg peaks show the smaller lattice exactly. The facts then decide
    between the parent and its derivative, as they do among the elemental classes.
    """
    derivative = class_by_name().get(class_names[best])
    if derivative is None or derivative.kind != 'compound':
        return best, refused
    for index in np.argsort(-probabilities):
        name = class_names[index]
        if probabilities[index] <= 0.0:  # outside the classes the facts allow (allowed_classes)
            break
        if not _exact_form(name, lattice) or not _derivative_class(class_names[best], name, lattice['bravais']):
            continue
        if not (found := refusal(name, lattice, uncertainty)):
            return int(index), found
    return best, refused


def classification_record(
    probabilities: np.ndarray,
    class_names: Sequence[str],
    space_groups: Sequence[Sequence[int]],
    lattice: Mapping[str, Any] | None = None,
    uncertainty: float | None = None,
) -> ClassificationRecord:
    """The result of one structure: label (a class or ``unknown``) and the evidence for it.

    ``network_label`` and ``probability`` are the network's own answer among the classes the
    Bragg facts allow (:func:`allowed_classes`; all classes when the model has none of them);
    ``label`` is what the structure is called after the Bragg-lattice checks
    (:func:`unknown_reason`, empty when the network's class stands); ``aflow_prototype``,
    ``strukturbericht`` and ``space_groups`` are those of ``label`` (empty for ``unknown``);
    ``parent_prototype`` is the AFLOW prototype of the network's class where the structure is
    ``unknown`` as a derivative of it (:func:`refusal`), None otherwise.
    """
    probabilities = np.asarray(probabilities, dtype=float)
    allowed = allowed_classes(class_names, lattice)
    if allowed.any():
        probabilities = np.where(allowed, probabilities, 0.0)
        probabilities = probabilities / max(probabilities.sum(), np.finfo(float).tiny)
    best = int(np.argmax(probabilities))
    refused = refusal(class_names[best], lattice, uncertainty)
    if refused and not refused.derivative and lattice is not None:
        best, refused = _exact_alternative(best, refused, probabilities, class_names, lattice, uncertainty)
        if refused and 'bravais' in lattice:
            best, refused = _parent_alternative(best, refused, probabilities, class_names, lattice, uncertainty)
    network_label = class_names[best]
    reason = refused.reason
    known = class_by_name().get(network_label)
    form = known.form_of(lattice) if known is not None and not reason else None
    return ClassificationRecord(
        label=UNKNOWN if reason else network_label,
        aflow_prototype=form.aflow_prototype if form else '',
        strukturbericht=form.strukturbericht if form else '',
        network_label=network_label,
        space_groups=[] if reason else [int(group) for group in space_groups[best]],
        probability=float(probabilities[best]),
        probabilities={name: float(p) for name, p in zip(class_names, probabilities, strict=True)},
        uncertainty=None if uncertainty is None else float(uncertainty),
        unknown_reason=reason,
        lattice=dict(lattice) if lattice is not None else None,
        parent_prototype=refused.parent_prototype or None,
    )


def classify_fingerprint_images(
    images: np.ndarray, lattices: Sequence[Mapping[str, Any] | None], model: Any
) -> list[ClassificationRecord]:
    """One :func:`classification_record` per fingerprint (network with MC-dropout uncertainty),
    the softmax of each restricted to the classes its Bragg facts allow."""
    allowed = np.stack([allowed_classes(model.class_names, lattice) for lattice in lattices]) if len(lattices) else None
    probabilities, uncertainties = model.predict(images, allowed=allowed)
    return [
        classification_record(row, model.class_names, model.metadata.space_groups, lattice, float(uncertainty))
        for row, uncertainty, lattice in zip(probabilities, uncertainties, lattices, strict=True)
    ]
