"""Checking and converting the inputs of the CalcFunctions (structures, parameters, model)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from aiida import orm
from ase import Atoms

from aiida_symclf.data import SymclfModelData
from aiida_symclf.library.errors import StructureError
from aiida_symclf.library.fingerprint import FingerprintParameters, check_structure
from aiida_symclf.library.model import ClassifierModel, ModelFileError
from aiida_symclf.library.perturb import PerturbationLevel
from aiida_symclf.library.validation import check_input
from aiida_symclf.utils.exit_codes import StepError
from aiida_symclf.utils.structure_arrays import atoms_of_structure

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
    """A :class:`~aiida_symclf.library.perturb.PerturbationLevel`, or exit code 201 naming every bad field."""
    try:
        return PerturbationLevel.from_dict(values)
    except (TypeError, ValueError) as exception:
        raise StepError('ERROR_INVALID_PARAMETERS', str(exception)) from exception


#: The CalcFunctions whose output structures are the pipeline's own perturbed replicas.
_PERTURBERS = ('aiida.calculations:symclf.perturb_structure', 'aiida.calculations:symclf.perturb_structures')


def made_by_perturbation(structures: dict[str, orm.StructureData]) -> set[str]:
    """Keys of the structures that a perturbation step of this plugin created (one query).

    They are the pipeline's robustness replicas, not inputs: a "melted" level (30% displacements)
    puts atoms closer than real crystals have them on purpose, so they skip the physical checks.
    """
    keys = {node.pk: key for key, node in structures.items() if node.is_stored}
    if not keys:
        return set()
    query = orm.QueryBuilder().append(orm.CalcFunctionNode, filters={'process_type': {'in': _PERTURBERS}}, tag='step')
    query.append(orm.StructureData, with_incoming='step', filters={'id': {'in': list(keys)}}, project='id')
    return {keys[pk] for (pk,) in query.iterall()}


def checked_atoms(structure: orm.StructureData, physical: bool = True):
    """The structure as ase.Atoms after :func:`check_structure` and, if ``physical``, the checks of an
    input (:func:`aiida_symclf.library.validation.check_input`: no overlapping atoms, room in the cell)."""
    if structure.is_alloy or structure.has_vacancies:
        raise StepError(
            'ERROR_INVALID_STRUCTURE',
            f'kinds with partial occupancies (alloy or vacancy weights) have no single composition; give an ordered '
            f'model of the structure, e.g. an SQS supercell (StructureData<{structure.pk}>)',
        )
    atoms = atoms_of_structure(structure)  # aiida-core's get_ase() is quadratic in the atoms
    try:
        (check_input if physical else check_structure)(atoms)
    except StructureError as exception:
        raise StepError('ERROR_INVALID_STRUCTURE', f'{exception} (StructureData<{structure.pk}>)') from exception
    return atoms


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
    """The :class:`~aiida_symclf.library.perturb.PerturbationLevel` of every entry of a ``perturbations`` list."""
    return [parse_perturbation(item) for item in perturbations.get_list()]


def valid_atoms(
    structures: dict[str, orm.StructureData], failures: dict[str, str], replicas: Collection[str] = ()
) -> dict[str, Atoms]:
    """``ase.Atoms`` of every structure that passes :func:`checked_atoms` (the physical checks too, except
    for the keys in ``replicas``); reasons of the others into ``failures``."""
    atoms = {}
    for key, structure in structures.items():
        try:
            atoms[key] = checked_atoms(structure, physical=key not in replicas)
        except StepError as error:
            failures[key] = error.exit_code.message
    return atoms
