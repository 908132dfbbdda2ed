"""Perturbed replicas: supercells of an input in its own frame, perturbed, keyed by level and replica."""

from __future__ import annotations

from aiida import orm
from ase import Atoms

from aiida_symclf.library.errors import StructureError
from aiida_symclf.library.fingerprint import FingerprintParameters, replication_for
from aiida_symclf.library.perturb import PerturbationLevel, perturb_atoms
from aiida_symclf.library.pipeline import NUMERICAL_ERRORS, numerical_failure
from aiida_symclf.utils.exit_codes import StepError, exit_code
from aiida_symclf.utils.inputs import checked_atoms
from aiida_symclf.utils.structure_arrays import structure_of_atoms


def replica_base(atoms: Atoms, parameters: FingerprintParameters) -> Atoms:
    """The input replicated *in its own frame* to about ``target_atoms`` atoms (a user's supercell).

    Perturbations are applied to this supercell, and the perturbed replica then takes the same
    path as any input (Bragg lattice, conventional block), so that robustness measures what a
    user's perturbed structure would face (not the block the pipeline already prepared).
    """
    supercell = atoms.repeat(replication_for(atoms, parameters.target_atoms))
    supercell.pbc = True
    return supercell


def perturbed_structure(
    structure: orm.StructureData, level: PerturbationLevel, parameters: FingerprintParameters
) -> orm.StructureData:
    try:
        return structure_of_atoms(perturb_atoms(replica_base(checked_atoms(structure), parameters), level))
    except StructureError as exception:
        raise StepError('ERROR_INVALID_STRUCTURE', f'{exception} (StructureData<{structure.pk}>)') from exception


def perturbed_key(key: str, level_index: int, replica: int) -> str:
    """Link label of replica ``replica`` of level ``level_index`` of structure ``key``."""
    return f'{key}_p{level_index}_r{replica}'


def replica_structures(
    atoms: dict[str, Atoms], levels: list[PerturbationLevel], parameters: FingerprintParameters
) -> tuple[dict[str, Atoms], dict[str, str]]:
    """Every perturbed replica of every structure (keyed as :func:`perturbed_key`), and failures.

    Replica ``r`` of a level perturbs :func:`replica_base` of the input with seed ``seed + r``.
    """
    replicas, failures = {}, {}
    for key, structure in atoms.items():
        try:
            base = replica_base(structure, parameters)
            for index, level in enumerate(levels):
                for replica in range(level.replicas):
                    replicas[perturbed_key(key, index, replica)] = perturb_atoms(base, level.replica(replica))
        except (StructureError, *NUMERICAL_ERRORS) as exception:
            reason = str(exception) if isinstance(exception, StructureError) else numerical_failure(exception)
            failures[key] = exit_code('ERROR_INVALID_STRUCTURE', reason).message
            replicas = {k: v for k, v in replicas.items() if not k.startswith(f'{key}_p')}
    return replicas, failures
