"""Checkpoints of long loops: where a run may be interrupted, and where it reports its progress.

A signal handler must not raise at an arbitrary point of the engine (inside a database
transaction or an event-loop callback the session is then left unusable), so the command line's
handler only *requests* an interrupt (:func:`request_interrupt`). The package's own long loops
(reading and storing inputs, each structure of a CalcFunction, each call of a WorkChain step,
collecting results, the spglib column) call :func:`checkpoint`, which raises :class:`Interrupted`
there, in plain Python code between two structures, and tells a progress listener (set with
:func:`listening`) how far the stage has come. Outside the command line nobody requests an
interrupt and nobody listens: a checkpoint then costs one attribute check.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator

__all__ = [
    'Interrupted',
    'ProgressListener',
    'checkpoint',
    'clear_interrupt',
    'interrupt_requested',
    'listening',
    'request_interrupt',
]

#: ``listener(stage, done, total)``: ``done`` of ``total`` items of ``stage`` are finished.
ProgressListener = Callable[[str, int, int], None]


class Interrupted(KeyboardInterrupt):
    """Raised at a checkpoint once an interrupt was requested (a ``KeyboardInterrupt``, so that the
    engine lets it through instead of turning it into an excepted process)."""


_requested = threading.Event()
_listeners: list[ProgressListener] = []


def request_interrupt() -> None:
    """Ask the run to stop at its next checkpoint (safe to call from a signal handler)."""
    _requested.set()


def interrupt_requested() -> bool:
    return _requested.is_set()


def clear_interrupt() -> None:
    _requested.clear()


def checkpoint(stage: str | None = None, done: int = 0, total: int = 0) -> None:
    """Raise :class:`Interrupted` if an interrupt was requested; else report progress of ``stage``."""
    if _requested.is_set():
        raise Interrupted(f'interrupted during {stage}' if stage else 'interrupted')
    if stage is not None:
        for listener in list(_listeners):
            listener(stage, done, total)


@contextlib.contextmanager
def listening(listener: ProgressListener) -> Iterator[None]:
    """Call ``listener(stage, done, total)`` at every checkpoint that names its stage, within the block."""
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)
