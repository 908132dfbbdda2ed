"""Checking and converting the inputs of the CalcFunctions (structures, parameters, model)."""

from __future__ import annotations

from typing import Any

from aiida import orm
from ase import Atoms

from ...data import SymclfModelData
from ...fingerprint import FingerprintParameters, StructureError, check_structure
from ...model import ClassifierModel, ModelFileError
from ...perturb import PerturbationLevel
from ...structure_arrays import atoms_of_structure, structure_of_atoms
from .exit_codes import StepError

#: Fingerprint settings that must agree between a fingerprint and the model classifying it.
_MODEL_RELEVANT_PARAMETERS = (
    'image_size', 'wavelength', 'detector_distance', 'pixel_size', 'mask_inner_fraction', 'mask_outer_fraction',
    'scattering',
)  # fmt: skip


def parse_fingerprint_parameters(parameters: orm.Dict | None) -> FingerprintParameters:
    try:
        return FingerprintParameters.from_dict(parameters.get_dict() if parameters is not None else None)
    except (TypeError, ValueError) as exception:
        raise StepError('ERROR_INVALID_PARAMETERS', str(exception)) from exception


def parse_perturbation(values: Any) -> PerturbationLevel:
    """A :class:`~aiida_symclf.perturb.PerturbationLevel`, or exit code 201 naming every bad field."""
    try:
        return PerturbationLevel.from_dict(values)
    except (TypeError, ValueError) as exception:
        raise StepError('ERROR_INVALID_PARAMETERS', str(exception)) from exception


def checked_atoms(structure: orm.StructureData):
    """The structure as ase.Atoms after :func:`check_structure`."""
    if structure.is_alloy or structure.has_vacancies:
        raise StepError(
            'ERROR_INVALID_STRUCTURE',
            f'kinds with partial occupancies (alloy or vacancy weights) have no single composition; give an ordered '
            f'model of the structure, e.g. an SQS supercell (StructureData<{structure.pk}>)',
        )
    atoms = atoms_of_structure(structure)  # aiida-core's get_ase() is quadratic in the atoms
    try:
        check_structure(atoms)
    except StructureError as exception:
        raise StepError('ERROR_INVALID_STRUCTURE', f'{exception} (StructureData<{structure.pk}>)') from exception
    return atoms


def structure_from_atoms(atoms) -> orm.StructureData:
    """``StructureData(ase=atoms)``, built from arrays (:mod:`aiida_symclf.structure_arrays`)."""
    return structure_of_atoms(atoms)


def loaded_model(model: SymclfModelData) -> ClassifierModel:
    try:
        return model.load()
    except ModelFileError as exception:
        raise StepError('ERROR_INVALID_MODEL', str(exception)) from exception


def check_model_matches(model: ClassifierModel, fingerprint: orm.ArrayData) -> None:
    """The fingerprint was made with the settings the model was trained on."""
    used = fingerprint.base.attributes.get('parameters', {})
    expected = model.metadata.fingerprint
    different = [name for name in _MODEL_RELEVANT_PARAMETERS if used.get(name) != expected.get(name)]
    if different:
        details = ', '.join(f'{name}={used.get(name)!r} (model: {expected.get(name)!r})' for name in different)
        raise StepError('ERROR_MODEL_MISMATCH', f'fingerprint ArrayData<{fingerprint.pk}>: {details}')


def parse_levels(perturbations: orm.List) -> list[PerturbationLevel]:
    """The :class:`~aiida_symclf.perturb.PerturbationLevel` of every entry of a ``perturbations`` list."""
    return [parse_perturbation(item) for item in perturbations.get_list()]


def valid_atoms(structures: dict[str, orm.StructureData], failures: dict[str, str]) -> dict[str, Atoms]:
    """``ase.Atoms`` of every structure that passes :func:`check_structure`; reasons of the others into ``failures``."""
    atoms = {}
    for key, structure in structures.items():
        try:
            atoms[key] = checked_atoms(structure)
        except StepError as error:
            failures[key] = error.exit_code.message
    return atoms
