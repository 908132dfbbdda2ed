"""Fingerprints of many structures in one batch, as numpy arrays and as ArrayData nodes."""

from __future__ import annotations

import numpy as np
from aiida import orm
from aiida.engine import Process
from ase import Atoms

from aiida_symclf.data import FingerprintData
from aiida_symclf.library.fingerprint import FingerprintParameters
from aiida_symclf.library.pipeline import PROGRESS_STEP, fingerprint_structures
from aiida_symclf.utils.exit_codes import exit_code
from aiida_symclf.utils.inputs import made_by_perturbation, valid_atoms


def report_progress(done: int, total: int) -> None:
    """Progress of a long CalcFunction in its process report (``verdi process report PK``)."""
    process = Process.current()
    if process is not None and total > PROGRESS_STEP:
        process.report(f'fingerprinted {done} of {total} structures')


def fingerprint_atoms(
    atoms: dict[str, Atoms], parameters: FingerprintParameters
) -> tuple[dict[str, np.ndarray], dict[str, dict | None], dict[str, str]]:
    """Fingerprint and Bragg-lattice summary per key, computed in one batch, and reasons of failures."""
    keys = list(atoms)
    batch = fingerprint_structures([atoms[key] for key in keys], parameters, progress=report_progress)
    images = {keys[index]: image for index, image in zip(batch.indices, batch.images, strict=True)}
    lattices = {keys[index]: lattice for index, lattice in zip(batch.indices, batch.lattices, strict=True)}
    failures = {
        keys[index]: exit_code('ERROR_INVALID_STRUCTURE', reason).message for index, reason in batch.errors.items()
    }
    return images, lattices, failures


def fingerprint_nodes(
    structures: dict[str, orm.StructureData], parameters: FingerprintParameters
) -> tuple[dict[str, orm.ArrayData], dict[str, str]]:
    """Fingerprint ArrayData per key (diffraction computed in one batch) and reasons of failures."""
    failures: dict[str, str] = {}
    atoms = valid_atoms(structures, failures, replicas=made_by_perturbation(structures))
    images, lattices, more_failures = fingerprint_atoms(atoms, parameters)
    nodes = {
        key: FingerprintData(
            image,
            {'parameters': parameters.to_dict(), 'structure_uuid': structures[key].uuid, 'lattice': lattices[key]},
        )
        for key, image in images.items()
    }
    return nodes, {**failures, **more_failures}
