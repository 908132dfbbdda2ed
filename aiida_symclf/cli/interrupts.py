"""Ctrl-C and SIGTERM during a run: the WorkChain is killed the AiiDA way, nothing stays "Running".

The running process is killed once its current step (one CalcFunction) has finished: the
WorkChain ends in the state ``killed`` and every CalcFunction either finished or never ran.
:func:`run_until_interrupted` runs a process that way and turns the kill into a one-line message
and exit status 130 instead of a traceback; any process node of this run still not in a
terminal state afterwards is marked killed as well.

Why not ``aiida.engine.run_get_node`` itself: its signal handler calls ``process.kill()`` inside
the handler, i.e. at whatever bytecode the main thread was executing, which can be in the middle
of a CalcFunction's database transaction; about one SIGTERM in ten then failed with
"Can't operate on closed transaction inside context manager" (or a ``DetachedInstanceError``)
instead of a clean kill. Here the handler only *schedules* the kill on the runner's event loop,
so it runs between two loop callbacks, where no transaction is open.

Interrupting a CalcFunction in the middle was tried and rejected: an interrupt raised at an
arbitrary point of the engine (inside a database transaction, an event-loop callback, a
garbage-collection hook) left the session or the loop unusable in about one run of five.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import click

__all__ = ['run_until_interrupted']


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


KILL_MESSAGE = 'Process was killed because the runner received an interrupt'


def _run_with_deferred_kill(process_class: Any, **inputs: Any) -> Any:
    """Run ``process_class`` on the runner of this interpreter; SIGINT/SIGTERM schedule its kill on
    the event loop (see the module docstring). Returns the process node; ``process.execute()``
    raises ``KilledError`` when the process was killed."""
    import signal

    from aiida.engine.utils import loop_scope
    from aiida.manage import get_manager

    runner = get_manager().get_runner()
    with loop_scope(runner.loop):
        process = runner.instantiate_process(process_class, **inputs)

        def request_kill(_signum: int, _frame: Any) -> None:
            runner.loop.call_soon_threadsafe(process.kill, KILL_MESSAGE)

        previous = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
        try:
            for number in previous:
                signal.signal(number, request_kill)
            process.execute()
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)
    return process.node


def run_until_interrupted(process_class: Any, **inputs: Any) -> Any:
    """Run ``process_class`` with ``inputs``; on Ctrl-C or SIGTERM, exit 130 with one line.

    Returns the process node of a run that was not interrupted.
    """
    from aiida import orm
    from plumpy.exceptions import KilledError

    last = orm.QueryBuilder().append(orm.Node, project='id').order_by({orm.Node: {'id': 'desc'}}).first()
    first_pk = (last[0] if last else 0) + 1
    try:
        node = _run_with_deferred_kill(process_class, **inputs)
    except (KilledError, KeyboardInterrupt):
        unfinished = _unfinished_processes_since(first_pk)
        _mark_killed(unfinished, 'killed: the command was interrupted')
        click.echo('Interrupted: the WorkChain was killed after its current step; nothing is left running.', err=True)
        sys.stderr.flush()
        raise click.exceptions.Exit(130) from None
    return node
