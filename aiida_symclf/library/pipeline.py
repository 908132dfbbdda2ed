"""The classification pipeline: structures in, one record (or the reason there is none) out.

:func:`classify_structures` is the path every input takes, on every path (library, CalcFunctions,
WorkChain modes, command line): the inputs are checked
(:mod:`~aiida_symclf.library.validation`), fingerprinted in batches (:func:`fingerprint_structures`:
Bragg lattice, conventional block, diffraction), classified
(:func:`~aiida_symclf.library.classification.classify_fingerprint_images`), and a structure that is
``unknown`` as a whole but may be more than one crystal (a slab, an interface, a polycrystal, a
crystal next to its melt) gets the summary of its local structure map beside the label
(:mod:`~aiida_symclf.library.composite`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from aiida_symclf.library.checkpoints import checkpoint
from aiida_symclf.library.classification import classify_fingerprint_images
from aiida_symclf.library.composite import with_local_maps
from aiida_symclf.library.errors import StructureError
from aiida_symclf.library.fingerprint import (
    fingerprints_from_clusters,
    prepare,
    scaled_cluster,
    scattering_factors,
)
from aiida_symclf.library.parallel import classify_in_processes
from aiida_symclf.library.record import ClassificationRecord
from aiida_symclf.library.vacuum import vacuum_gaps
from aiida_symclf.library.validation import input_problem

__all__ = [
    'NUMERICAL_ERRORS',
    'PROGRESS_STEP',
    'Fingerprints',
    'classify_structures',
    'fingerprint_structures',
    'numerical_failure',
]


@dataclasses.dataclass
class Fingerprints:
    """Fingerprints of the structures that could be fingerprinted, and why the others could not.

    ``images[i]`` and ``lattices[i]`` belong to structure ``indices[i]`` of the input sequence;
    ``errors`` maps the index of every other structure to its reason.
    """

    indices: list[int]
    images: np.ndarray
    lattices: list[dict[str, Any] | None]
    errors: dict[int, str]


#: Exceptions of numpy and the lattice analysis that a degenerate structure can raise (a singular or
#: not positive-definite metric, a division by a zero length): they fail that structure alone.
NUMERICAL_ERRORS: tuple[type[Exception], ...] = (np.linalg.LinAlgError, FloatingPointError, ZeroDivisionError)


def numerical_failure(exception: Exception) -> str:
    """The reason recorded for a structure whose lattice analysis or block failed numerically."""
    detail = ' '.join(str(exception).split()) or type(exception).__name__
    return f'the lattice analysis failed numerically ({detail}): a degenerate or nearly flat cell?'


#: Structures between two calls of a progress callback.
PROGRESS_STEP = 256

Progress = Callable[[int, int], None]  # (structures done, structures in all)


def _lattice_facts(atoms: Any, prepared: Any) -> dict[str, Any] | None:
    """The Bragg facts of a prepared structure, with its vacuum gaps where it has any (a slab,
    a 2D layer or a molecule in a box: :mod:`~aiida_symclf.library.vacuum`)."""
    if prepared.lattice is None:
        return None
    facts = prepared.lattice.summary()
    gaps = vacuum_gaps(atoms)
    if gaps:
        facts['vacuum_gaps'] = gaps
    return facts


def fingerprint_structures(
    structures: Sequence[Any], parameters: Any, progress: Progress | None = None, device: str = 'cpu'
) -> Fingerprints:
    """Prepare (Bragg lattice, conventional block) and fingerprint ``ase.Atoms`` in one batch.

    ``progress(done, total)`` is called every :data:`PROGRESS_STEP` structures and at the end;
    the diffraction runs on ``device`` (the lattice analysis on the CPU).
    """
    indices, clusters, weights, lattices, errors = [], [], [], [], {}
    for index, atoms in enumerate(structures):
        checkpoint()  # a requested interrupt stops here, between two structures (also inside CalcFunctions)
        if progress is not None and index and index % PROGRESS_STEP == 0:
            progress(index, len(structures))
        try:
            prepared = prepare(atoms, parameters)
            cluster, weight = scaled_cluster(prepared.block), scattering_factors(prepared.block, parameters.scattering)
        except StructureError as exception:
            errors[index] = str(exception)
            continue
        except NUMERICAL_ERRORS as exception:  # a structure-level failure: this structure's, not the batch's
            errors[index] = numerical_failure(exception)
            continue
        clusters.append(cluster)
        weights.append(weight)
        indices.append(index)
        lattices.append(_lattice_facts(atoms, prepared))
    size = parameters.image_size
    images = (
        fingerprints_from_clusters(clusters, weights, parameters, device=device)
        if clusters
        else np.zeros((0, 3, size, size), dtype=np.float32)
    )
    if progress is not None:
        progress(len(structures), len(structures))
    return Fingerprints(indices, images, lattices, errors)


def classify_structures(
    structures: Sequence[Any], model: Any, batch_size: int = 256, progress: bool = False, workers: int = 1
) -> tuple[list[ClassificationRecord | None], list[str | None]]:
    """Classify ``ase.Atoms`` with plain library calls: a record or an error message per structure.

    The path every input takes, also inside the CalcFunctions: :func:`fingerprint_structures`
    then :func:`classify_fingerprint_images`, after :func:`~aiida_symclf.library.validation.check_input`
    (inputs that cannot be physical are refused). A structure that is refused or cannot be
    fingerprinted (also a numerical failure of its lattice analysis) gets its reason instead of a
    record; the others are still classified. ``progress=True`` shows a progress bar
    on stderr. ``workers > 1`` spreads the work over that many processes with one torch thread
    each (:mod:`aiida_symclf.library.parallel`; CPU models only); the results are the same.
    """
    problems = [input_problem(atoms) for atoms in structures]
    valid = [index for index, problem in enumerate(problems) if problem is None]
    if len(valid) < len(structures):
        records, errors = classify_valid_structures(
            [structures[i] for i in valid], model, batch_size, progress, workers
        )
        merged_records: list[ClassificationRecord | None] = [None] * len(structures)
        merged_errors: list[str | None] = list(problems)
        for index, record, error in zip(valid, records, errors, strict=True):
            merged_records[index], merged_errors[index] = record, error
        return merged_records, merged_errors
    return classify_valid_structures(structures, model, batch_size, progress, workers)


def classify_valid_structures(
    structures: Sequence[Any], model: Any, batch_size: int, progress: bool, workers: int
) -> tuple[list[ClassificationRecord | None], list[str | None]]:
    """:func:`classify_structures` of structures that passed :func:`~aiida_symclf.library.validation.check_input`."""
    if workers > 1 and model.device.type == 'cpu' and len(structures) > batch_size // 4:
        return classify_in_processes(_classify_in_worker, structures, model, workers)
    parameters = model.metadata.fingerprint_parameters
    records: list[ClassificationRecord | None] = [None] * len(structures)
    errors: list[str | None] = [None] * len(structures)
    starts = range(0, len(structures), batch_size)
    if progress:
        from tqdm.auto import tqdm

        starts = tqdm(starts, desc='classify', unit='batch', total=len(starts))
    for start in starts:
        checkpoint('classify', start, len(structures))
        batch = fingerprint_structures(structures[start : start + batch_size], parameters, device=str(model.device))
        for index, reason in batch.errors.items():
            errors[start + index] = reason
        if batch.indices:
            for index, record in zip(
                batch.indices, classify_fingerprint_images(batch.images, batch.lattices, model), strict=True
            ):
                records[start + index] = record
    checkpoint('classify', len(structures), len(structures))
    return with_local_maps(structures, records, model), errors


def _classify_in_worker(
    structures: Sequence[Any], model: Any
) -> tuple[list[ClassificationRecord | None], list[str | None]]:
    """What each worker process runs on its chunk (already checked by the caller), in one process."""
    return classify_valid_structures(structures, model, batch_size=256, progress=False, workers=1)
