"""Ctrl-C and SIGTERM during ``classify``: exit 130 within seconds, at any stage, with nothing left Running.

:func:`deferred_interrupts` holds the handlers of SIGINT and SIGTERM for the whole command. The
first signal only *requests* an interrupt (:func:`aiida_symclf.library.checkpoints.request_interrupt`);
the package's long loops (reading, storing, every structure inside a CalcFunction, every call of
a WorkChain step, collecting results, the spglib column) pass checkpoints that then raise
:class:`~aiida_symclf.library.checkpoints.Interrupted`, a ``KeyboardInterrupt`` that plumpy lets through.
A second signal raises ``KeyboardInterrupt`` at once, wherever the program is.

What happens to the database, by stage:

* **storing the inputs** (:func:`store_structures`): the structures stored so far have no process
  yet; they are deleted again, and the message says so.
* **the WorkChain** (:func:`run_until_interrupted`): every process node of this run that is not
  in a terminal state (the WorkChain, the CalcFunction that was running) is put in the state
  ``killed`` and sealed; the inputs stay, linked to the killed WorkChain.
* **after the WorkChain finished** (the spglib column, the table): its results are stored, and
  the message says so.

Why not the engine's own handlers: ``aiida.engine.run_get_node`` calls ``process.kill()`` inside
the handler, at whatever bytecode the main thread was executing, possibly inside a database
transaction (about one SIGTERM in ten then failed with "Can't operate on closed transaction
inside context manager"); and every CalcFunction call replaces the SIGINT handler with one that
kills only that CalcFunction, after which the WorkChain went on and the command ended with exit
status 0. While :func:`deferred_interrupts` is active, CalcFunctions keep our handler.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import types
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import click

from aiida_symclf.library.checkpoints import (
    Interrupted,
    checkpoint,
    clear_interrupt,
    interrupt_requested,
    request_interrupt,
)

__all__ = [
    'EXIT_INTERRUPTED',
    'Interrupted',
    'deferred_interrupts',
    'interrupted_exit',
    'run_until_interrupted',
    'store_structures',
]

EXIT_INTERRUPTED = 130
_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _request_then_raise(_signum: int, _frame: Any) -> None:
    """First signal: stop at the next checkpoint; second: stop now."""
    if interrupt_requested():
        raise KeyboardInterrupt
    request_interrupt()
    click.echo('Interrupting (press Ctrl-C again to stop at once)...', err=True)


def _signal_module_keeping(handler: Callable[..., Any]) -> types.SimpleNamespace:
    """A stand-in for the ``signal`` module in which ``signal.signal`` leaves our ``handler`` of
    SIGINT and SIGTERM in place (aiida-core's CalcFunctions install their own for each call)."""

    def keep(signum: int, new: Any) -> Any:
        if signum in _SIGNALS and signal.getsignal(signum) is handler:
            return handler
        return signal.signal(signum, new)

    return types.SimpleNamespace(**{**vars(signal), 'signal': keep})


@contextlib.contextmanager
def deferred_interrupts() -> Iterator[None]:
    """SIGINT and SIGTERM request an interrupt for the duration of the block (see the module docstring)."""
    from aiida.engine.processes import functions

    clear_interrupt()
    previous = {number: signal.getsignal(number) for number in _SIGNALS}
    engine_signal = functions.signal
    try:
        for number in _SIGNALS:
            signal.signal(number, _request_then_raise)
        functions.signal = _signal_module_keeping(_request_then_raise)
        yield
    finally:
        functions.signal = engine_signal
        for number, handler in previous.items():
            signal.signal(number, handler)
        clear_interrupt()


def interrupted_exit(message: str) -> click.exceptions.Exit:
    """Print ``Interrupted: <message>`` and return the exit (status 130) to raise."""
    click.echo(f'Interrupted: {message}', err=True)
    sys.stderr.flush()
    return click.exceptions.Exit(EXIT_INTERRUPTED)


def _delete_unlinked(nodes: Sequence[Any]) -> None:
    """Delete stored nodes that no process uses yet (inputs stored before an interrupt)."""
    from aiida.tools import delete_nodes

    pks = [node.pk for node in nodes if node.is_stored]
    if pks:
        delete_nodes(pks, dry_run=False)


def store_structures(nodes: Sequence[Any], sizes: Sequence[int]) -> None:
    """Store ``nodes`` (of ``sizes`` atoms) one by one with a checkpoint between two (stage
    ``store``, counted in atoms).

    Interrupted: the nodes stored so far are deleted again (none of them has a process yet) and
    the command exits with status 130.
    """
    total, done = sum(sizes), 0
    try:
        for node, size in zip(nodes, sizes, strict=True):
            checkpoint('store', done, total)
            if not node.is_stored:
                node.store()
            done += size
        checkpoint('store', total, total)
    except KeyboardInterrupt:
        stored = [node for node in nodes if node.is_stored]
        _delete_unlinked(stored)
        raise interrupted_exit(
            f'while storing the inputs; the {len(stored)} structures stored so far were deleted again, '
            'nothing else was stored.'
        ) from None


def _unfinished_processes_since(first_pk: int) -> list[Any]:
    """Process nodes with pk >= ``first_pk`` that have not reached a terminal state."""
    from aiida import orm

    terminal = ['finished', 'excepted', 'killed']
    query = orm.QueryBuilder().append(
        orm.ProcessNode,
        filters={'id': {'>=': first_pk}, 'attributes.process_state': {'!in': terminal}},
        project='*',
    )
    return [node for (node,) in query.iterall()]


def _mark_killed(nodes: Sequence[Any], reason: str) -> None:
    """Put process nodes that will never run again in the terminal state ``killed``, sealed."""
    from plumpy.process_states import ProcessState

    for node in nodes:
        if node.is_sealed:
            continue
        node.set_process_state(ProcessState.KILLED)
        node.set_process_status(reason)
        node.seal()


def _run(process_class: Any, **inputs: Any) -> Any:
    """Run ``process_class`` on the runner of this interpreter; the process node."""
    from aiida.engine.utils import loop_scope
    from aiida.manage import get_manager

    runner = get_manager().get_runner()
    with loop_scope(runner.loop):
        process = runner.instantiate_process(process_class, **inputs)
        checkpoint()  # interrupted while the inputs were being linked: the process exists, kill it
        process.execute()
    return process.node


def run_until_interrupted(process_class: Any, **inputs: Any) -> Any:
    """Run ``process_class`` with ``inputs`` (already stored); on an interrupt, exit 130 with one line.

    Returns the process node of a run that was not interrupted. An interrupt requested after the
    process finished also exits 130, saying that its results are stored.
    """
    from aiida import orm
    from plumpy.exceptions import KilledError

    last = orm.QueryBuilder().append(orm.Node, project='id').order_by({orm.Node: {'id': 'desc'}}).first()
    first_pk = (last[0] if last else 0) + 1
    try:
        node = _run(process_class, **inputs)
    except (KilledError, KeyboardInterrupt):
        try:
            unfinished = _unfinished_processes_since(first_pk)
            _mark_killed(unfinished, 'killed: the command was interrupted')
        except Exception as exception:  # noqa: BLE001 - a second Ctrl-C may have broken the session: say so
            raise interrupted_exit(f'the process nodes of this run could not be marked killed: {exception}') from None
        raise interrupted_exit(
            f'the WorkChain and its running step were killed ({len(unfinished)} processes); nothing is left running.'
        ) from None
    if interrupt_requested():
        raise interrupted_exit(f'{node.process_label}<{node.pk}> had finished; its results are stored.')
    return node
