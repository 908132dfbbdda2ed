"""The ``perturb_structure`` CalcFunction (entry point ``symclf.perturb_structure``)."""

from __future__ import annotations

from aiida import orm
from aiida.engine import calcfunction

from aiida_symclf.utils.exit_codes import with_exit_codes
from aiida_symclf.utils.inputs import parse_fingerprint_parameters, parse_perturbation
from aiida_symclf.utils.replicas import perturbed_structure


@calcfunction
@with_exit_codes
def perturb_structure(
    structure: orm.StructureData, perturbation: orm.Dict, fingerprint_parameters: orm.Dict | None = None
) -> orm.StructureData:
    """Supercell of ``structure`` (its own frame, ~``target_atoms`` atoms) with displacements and vacancies.

    ``perturbation``: ``displacement`` (delta, fraction of the NN distance), ``vacancy_fraction``
    (eta in [0, 1)) and ``seed``; they are inputs of this process, so the perturbation can be
    reproduced from the provenance graph. ``fingerprint_parameters`` sets ``target_atoms``.
    """
    level = parse_perturbation(perturbation.get_dict()).replica(0)
    return perturbed_structure(structure, level, parse_fingerprint_parameters(fingerprint_parameters))
