"""The ``perturb_structures`` CalcFunction (entry point ``symclf.perturb_structures``)."""

from __future__ import annotations

from typing import Any

from aiida import orm
from aiida.engine import calcfunction

from aiida_symclf.utils.exit_codes import with_exit_codes
from aiida_symclf.utils.inputs import parse_fingerprint_parameters, parse_levels, valid_atoms
from aiida_symclf.utils.replicas import replica_structures
from aiida_symclf.utils.structure_arrays import structure_of_atoms


@calcfunction
@with_exit_codes
def perturb_structures(perturbations: orm.List, fingerprint_parameters: orm.Dict, **structures: orm.StructureData):
    """Batched :func:`perturb_structure`: every structure at every level, ``replicas`` times.

    ``perturbations`` is a list of ``{displacement, vacancy_fraction, replicas, seed}``. Output
    ``<key>_p<level>_r<replica>``; replica ``r`` of level ``l`` uses seed ``seed + r``. Invalid
    structures are listed in the ``failures`` output; the others are still perturbed.
    """
    parameters = parse_fingerprint_parameters(fingerprint_parameters)
    failures: dict[str, str] = {}
    atoms = valid_atoms(structures, failures)
    replicas, more_failures = replica_structures(atoms, parse_levels(perturbations), parameters)
    failures.update(more_failures)
    outputs: dict[str, Any] = {key: structure_of_atoms(atoms) for key, atoms in replicas.items()}
    if failures:
        outputs['failures'] = orm.Dict(failures)
    return outputs
