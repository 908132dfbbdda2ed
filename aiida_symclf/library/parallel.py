"""Classify many structures with several worker processes, one torch thread each.

On CPUs the lattice analysis and the diffraction kernel are numpy/torch code that one thread
runs best; two processes on two cores beat two threads in one process (``benchmarks/throughput.py``).
The model travels to each worker once (as its state dictionary and metadata, pickled), chunks of
structures are sent in order and the results come back in input order. Each worker limits torch,
OpenMP and numpy's OpenBLAS to one thread: with their default of one thread per core in every
worker, two workers on two cores ran at 73 structures/s instead of 150 (1,000 user-like inputs). The
pool is kept for the next call with the same model, so that repeated calls (the bulk mode's
chunks) pay its start-up once.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import concurrent.futures.process
import multiprocessing
import os
import signal
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from aiida_symclf.library.checkpoints import checkpoint
from aiida_symclf.library.model import ClassifierModel, ModelMetadata, SlowPrecisionWarning, tensors_sha256

__all__ = ['MAX_WORKERS', 'classify_in_processes', 'shutdown_worker_pool', 'workers_error']

#: The most worker processes any entry point accepts (CLI, bulk mode).
MAX_WORKERS = 256


def workers_error(workers: Any) -> str | None:
    """Why ``workers`` is not a usable count of worker processes, or None (one check for the bulk
    mode's input validator and its CalcFunction)."""
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= MAX_WORKERS:
        return f'workers must be an integer between 1 and {MAX_WORKERS}, got {workers!r}'
    return None


_THREAD_VARIABLES = ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS')
_WORKER_MODEL = None  # in a worker: its model
ClassifyFunction = Callable[[Sequence[Any], Any], tuple[list, list]]
_POOL: tuple[tuple, concurrent.futures.ProcessPoolExecutor] | None = None  # in the parent: the kept pool and its key


def _start_worker(state: dict[str, Any], metadata_json: str, precision: str) -> None:
    """Worker initialiser: one torch thread, the model rebuilt from its tensors."""
    global _WORKER_MODEL
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent decides and stops us
    os.environ.update(dict.fromkeys(_THREAD_VARIABLES, '1'))  # for the libraries loaded from now on (scipy's OpenBLAS)
    import torch
    from threadpoolctl import threadpool_limits

    warnings.simplefilter('ignore', SlowPrecisionWarning)  # the parent process has said it once
    torch.set_num_threads(1)
    threadpool_limits(1)  # for those already loaded (numpy's OpenBLAS, torch's OpenMP), which read no variable again
    metadata = ModelMetadata.from_json(metadata_json)
    network = metadata.build_network()
    network.load_state_dict(state)
    _WORKER_MODEL = ClassifierModel(network.eval(), metadata, precision)


def _classify_chunk(classify: ClassifyFunction, structures: Sequence[Any]) -> tuple[list, list]:
    """``classify(structures, model)`` with the worker's own model (``classify`` arrives pickled by name)."""
    return classify(structures, _WORKER_MODEL)


def _worker_pool(model: Any, workers: int) -> concurrent.futures.ProcessPoolExecutor:
    """A pool of ``workers`` processes that hold ``model``; kept for the next call with the same model,
    precision and count, since starting one costs ~1.5 s (a bulk run calls once per chunk)."""
    global _POOL
    state = {name: tensor.detach().cpu().contiguous() for name, tensor in model.network.state_dict().items()}
    key = (tensors_sha256(state), model.metadata.to_json(), model.precision, workers)
    if _POOL is not None and _POOL[0] == key:
        return _POOL[1]
    shutdown_worker_pool()
    pool = concurrent.futures.ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context('spawn'),  # fork after torch has started threads can hang
        initializer=_start_worker,
        initargs=(state, model.metadata.to_json(), model.precision),
    )
    _POOL = (key, pool)
    return pool


def shutdown_worker_pool() -> None:
    """Stop the kept worker processes, if any (also run at exit)."""
    global _POOL
    if _POOL is not None:
        _POOL[1].shutdown(wait=True, cancel_futures=True)
        _POOL = None


atexit.register(shutdown_worker_pool)


def _stop_worker_pool_now() -> None:
    """Kill the kept worker processes without waiting for their current chunk (after an interrupt)."""
    global _POOL
    if _POOL is not None:
        pool = _POOL[1]
        _POOL = None
        for process in list(getattr(pool, '_processes', {}).values()):
            process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)


def _wait_for_chunks(futures: Sequence[concurrent.futures.Future], sizes: Sequence[int]) -> None:
    """Wait for all ``futures``, passing a checkpoint (stage ``classify``, in structures) every 0.2 s
    and whenever a chunk is done, so that progress shows and an interrupt stops the wait."""
    pending, total = set(futures), sum(sizes)
    done_structures = 0
    checkpoint('classify', 0, total)
    while pending:
        done, pending = concurrent.futures.wait(pending, timeout=0.2, return_when=concurrent.futures.FIRST_COMPLETED)
        done_structures += sum(size for future, size in zip(futures, sizes, strict=True) if future in done)
        checkpoint('classify', done_structures, total)


def classify_in_processes(
    classify: ClassifyFunction, structures: Sequence[Any], model: Any, workers: int, chunk_size: int = 64
) -> tuple[list[dict[str, Any] | None], list[str | None]]:
    """``classify(chunk, model)`` on chunks of ``structures``, spread over ``workers`` processes (CPU only).

    ``classify`` is :func:`~aiida_symclf.library.pipeline.classify_structures`'s worker function,
    passed in by its caller so that this module does not import it back (a module-level function,
    pickled by name). Reports progress and can be interrupted between two waits of 0.2 s
    (:mod:`aiida_symclf.library.checkpoints`); interrupted, the worker processes are killed.
    """
    pool = _worker_pool(model, workers)
    chunks = [structures[start : start + chunk_size] for start in range(0, len(structures), chunk_size)]
    records: list[dict[str, Any] | None] = []
    errors: list[str | None] = []
    try:
        futures = [pool.submit(_classify_chunk, classify, chunk) for chunk in chunks]
        _wait_for_chunks(futures, [len(chunk) for chunk in chunks])
        for future in futures:
            chunk_records, chunk_errors = future.result()
            records.extend(chunk_records)
            errors.extend(chunk_errors)
    except concurrent.futures.process.BrokenProcessPool:
        shutdown_worker_pool()  # a worker died (killed, out of memory): the next call starts new ones
        raise
    except KeyboardInterrupt:
        _stop_worker_pool_now()
        raise
    return records, errors
