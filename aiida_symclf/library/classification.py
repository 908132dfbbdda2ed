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

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from aiida_symclf.library.catalogue import class_by_name, class_lattices
from aiida_symclf.library.record import ClassificationRecord
from aiida_symclf.library.stoichiometry import MIN_FIT_PROBABILITY, fit_probability, site_counts, stoichiometry

__all__ = [
    'MAX_UNCERTAINTY',
    'UNKNOWN',
    'class_kind',
    'allowed_classes',
    'stoichiometry_reason',
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


def class_kind(name: str) -> str:
    """``element`` or ``compound`` (names no class table knows count as elemental)."""
    known = class_by_name().get(name)
    return known.kind if known is not None else 'element'


def _lattice_reason(label: str, lattice: Mapping[str, Any], lattices: Mapping[str, Mapping[str, int]]) -> str:
    """Why class ``label`` cannot have the Bravais lattice and atoms per lattice point of ``lattice``;
    '' if it can (and for classes no table knows). ``lattices``: :func:`~aiida_symclf.library.catalogue.class_lattices`."""
    allowed = lattices.get(label)
    if not allowed:
        return ''
    bravais, count = lattice['bravais'], float(lattice['atoms_per_lattice_point'])
    if bravais not in allowed:
        return f'the Bragg peaks give a {bravais} lattice; {label} needs {" or ".join(sorted(allowed))}'
    if count > allowed[bravais] + _COUNT_SLACK:
        return f'{count:g} atoms per lattice point; {label} has {allowed[bravais]}'
    sites = lattice.get('sites_per_lattice_point')
    if sites is not None and class_kind(label) == 'element' and int(sites) != allowed[bravais]:
        return f'{sites} basis sites per lattice point; {label} has {allowed[bravais]}'
    return ''


def allowed_classes(class_names: Sequence[str], lattice: Mapping[str, Any] | None) -> np.ndarray:
    """Boolean mask of the classes the Bragg facts of ``lattice`` allow.

    The classes of the group its chemical order selects; in the elemental group only those with
    its Bravais lattice and room for its atoms per lattice point (the whole group when none has
    that lattice). Why not in the compound group: the elemental classes hold one or two atoms per
    lattice point, so a lattice and a count leave no other reading, while the compound classes
    hold up to 14, and a crystal with fewer atoms on the same lattice would be read as a
    vacancy-diluted class (measured: MoS2 as a half-empty C14 Laves phase, Cu2O as a half-empty
    pyrite, alpha-quartz as a C14 Laves phase with a quarter of its sites empty). There the
    network's own answer stands and the lattice and stoichiometry facts may refuse it.
    """
    kind = 'compound' if lattice is not None and lattice.get('chemically_ordered') else 'element'
    group = np.array([class_kind(name) == kind for name in class_names], dtype=bool)
    if kind != 'element' or lattice is None or not lattice.get('periodic_by_peaks', True) or 'bravais' not in lattice:
        return group
    lattices = class_lattices()
    fits = np.array([not _lattice_reason(name, lattice, lattices) for name in class_names], dtype=bool)
    return group & fits if (group & fits).any() else group


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


def unknown_reason(label: str, lattice: Mapping[str, Any] | None, uncertainty: float | None) -> str:
    """Why a structure the network calls ``label`` is none of the classes; '' if nothing speaks against it."""
    if lattice is not None:
        if lattice.get('vacuum_gaps'):
            gaps = ', '.join(f'{width:.1f} A along {axis}' for axis, width in lattice['vacuum_gaps'].items())
            return f'a vacuum gap ({gaps}): a slab, 2D layer or molecule, not a bulk crystal'
        if not lattice.get('periodic_by_peaks', True):
            return 'no Bragg peaks above the noise: not crystalline (amorphous or liquid-like)'
        if lattice.get('chemically_ordered') and class_kind(label) != 'compound':
            return 'species are chemically ordered on sublattices (a compound): none of the elemental classes'
        reason = _lattice_reason(label, lattice, class_lattices()) or stoichiometry_reason(label, lattice)
        if reason:
            return reason
    if uncertainty is not None and uncertainty > MAX_UNCERTAINTY:
        return f'the network is uncertain (mutual information {uncertainty:.2f} > {MAX_UNCERTAINTY})'
    return ''


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
    ``strukturbericht`` and ``space_groups`` are those of ``label`` (empty for ``unknown``).
    """
    probabilities = np.asarray(probabilities, dtype=float)
    allowed = allowed_classes(class_names, lattice)
    if allowed.any():
        probabilities = np.where(allowed, probabilities, 0.0)
        probabilities = probabilities / max(probabilities.sum(), np.finfo(float).tiny)
    best = int(np.argmax(probabilities))
    network_label = class_names[best]
    reason = unknown_reason(network_label, lattice, uncertainty)
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
