"""Ctrl-C and SIGTERM: stop at once, and leave no process node "Running"."""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import click


class _Interrupt:
    """State of an interrupt in progress: a KeyboardInterrupt raised from a signal handler can land
    in a callback that swallows it (a garbage-collection hook, for example), so it is raised again
    every half second until the command has taken it (:func:`stopped_cleanly_on_interrupt`)."""

    signal: int | None = None
    taken = False


def _raise_interrupt(signum: int, _frame: Any) -> None:
    if _Interrupt.signal is None:
        _Interrupt.signal, _Interrupt.taken = signum, False
        import threading

        threading.Thread(target=_repeat_interrupt, daemon=True).start()
    raise KeyboardInterrupt(f'signal {_Interrupt.signal}')


def _roll_back_session() -> None:
    """Undo the database transaction the interrupt may have cut in half, so the storage can be used."""
    from aiida.manage import get_manager

    session = getattr(get_manager().get_profile_storage(), 'get_session', None)
    if session is not None:
        session().rollback()


def _ignore_swallowed_interrupts(unraisable: Any) -> None:
    """Python prints an interrupt that landed in a callback which cannot raise (a garbage-collection
    hook) as "Exception ignored ... Traceback"; it is raised again anyway, so say nothing."""
    if not issubclass(unraisable.exc_type, KeyboardInterrupt):
        sys.__unraisablehook__(unraisable)


def _repeat_interrupt() -> None:
    import _thread
    import time

    while not _Interrupt.taken:
        time.sleep(0.5)
        if not _Interrupt.taken:
            _thread.interrupt_main(signal.SIGINT)


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


@contextlib.contextmanager
def stopped_cleanly_on_interrupt() -> Iterator[None]:
    """Ctrl-C or SIGTERM stop the command at once, and no process node it started stays "Running".

    SIGTERM is turned into the same ``KeyboardInterrupt`` as Ctrl-C; the process nodes this
    command created and did not finish are marked ``killed`` (with the reason as process
    status) and sealed, then the command exits with status 130.
    """
    from aiida import orm

    last = orm.QueryBuilder().append(orm.Node, project='id').order_by({orm.Node: {'id': 'desc'}}).first()
    first_pk = (last[0] if last else 0) + 1
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    previous_int = signal.signal(signal.SIGINT, _raise_interrupt)
    previous_hook = sys.unraisablehook
    sys.unraisablehook = _ignore_swallowed_interrupts
    try:
        yield
    except KeyboardInterrupt as interrupt:
        _Interrupt.taken = True
        _roll_back_session()
        unfinished = _unfinished_processes_since(first_pk)
        _mark_killed(unfinished, f'killed: the command was interrupted ({interrupt or "Ctrl-C"})')
        click.echo(f'Interrupted: {len(unfinished)} unfinished process(es) marked as killed.', err=True)
        raise click.exceptions.Exit(130) from None
    finally:
        _Interrupt.taken = True
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)
        sys.unraisablehook = previous_hook


def run_interruptibly(process_class: Any, **inputs: Any) -> Any:
    """Run a process in this interpreter, like ``run_get_node``, but stop *at once* on Ctrl-C or SIGTERM.

    aiida-core's runner answers a signal by asking the process to stop after its current step,
    which for a CalcFunction over thousands of structures can take minutes. Here the signal
    interrupts the step itself and the unfinished process nodes are marked killed
    (:func:`stopped_cleanly_on_interrupt`). Returns the process node.
    """
    from aiida.engine import utils
    from aiida.manage import get_manager

    runner = get_manager().get_runner()
    with stopped_cleanly_on_interrupt(), utils.loop_scope(runner.loop):
        process = runner.instantiate_process(process_class, **inputs)
        process.execute()
    return process.node
