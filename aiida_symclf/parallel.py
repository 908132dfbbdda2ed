"""Classify many structures with several worker processes, one torch thread each.

On CPUs the lattice analysis and the diffraction kernel are numpy/torch code that one thread
runs best; two processes on two cores beat two threads in one process (``benchmarks/throughput.py``).
The model travels to each worker once (as its state dictionary and metadata, pickled), chunks of
structures are sent in order and the results come back in input order.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
from collections.abc import Sequence
from typing import Any

__all__ = ['classify_in_processes']

_WORKER_MODEL = None


def _start_worker(state: dict[str, Any], metadata_json: str, precision: str) -> None:
    """Worker initialiser: one torch thread, the model rebuilt from its tensors."""
    global _WORKER_MODEL
    import torch

    from .model import ClassifierModel, ModelMetadata

    torch.set_num_threads(1)
    metadata = ModelMetadata.from_json(metadata_json)
    network = metadata.build_network()
    network.load_state_dict(state)
    _WORKER_MODEL = ClassifierModel(network.eval(), metadata, precision)


def _classify_chunk(structures: Sequence[Any]) -> tuple[list, list]:
    from .classification import classify_structures

    return classify_structures(structures, _WORKER_MODEL)


def classify_in_processes(
    structures: Sequence[Any], model: Any, workers: int, chunk_size: int = 64
) -> tuple[list[dict[str, Any] | None], list[str | None]]:
    """:func:`~aiida_symclf.classification.classify_structures` spread over ``workers`` processes (CPU only)."""
    state = {name: tensor.detach().cpu().contiguous() for name, tensor in model.network.state_dict().items()}
    context = multiprocessing.get_context('spawn')  # fork after torch has started threads can hang
    chunks = [structures[start : start + chunk_size] for start in range(0, len(structures), chunk_size)]
    records: list[dict[str, Any] | None] = []
    errors: list[str | None] = []
    with concurrent.futures.ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_start_worker,
        initargs=(state, model.metadata.to_json(), model.precision),
    ) as pool:  # fmt: skip
        for chunk_records, chunk_errors in pool.map(_classify_chunk, chunks):
            records.extend(chunk_records)
            errors.extend(chunk_errors)
    return records, errors
