"""Ctrl-C and SIGTERM during a run: the WorkChain is killed the AiiDA way, nothing stays "Running".

aiida-core's runner answers SIGINT and SIGTERM by killing the running process once its current
step (one CalcFunction) has finished: the WorkChain ends in the state ``killed`` and every
CalcFunction either finished or never ran. :func:`run_until_interrupted` runs a process that way
and turns the kill into a one-line message and exit status 130 instead of a traceback; any
process node of this run still not in a terminal state afterwards is marked killed as well.

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


def run_until_interrupted(process_class: Any, **inputs: Any) -> Any:
    """``run_get_node(process_class, **inputs)``; on Ctrl-C or SIGTERM, exit 130 with one line.

    Returns the process node of a run that was not interrupted.
    """
    from aiida import orm
    from aiida.engine import run_get_node
    from plumpy.exceptions import KilledError

    last = orm.QueryBuilder().append(orm.Node, project='id').order_by({orm.Node: {'id': 'desc'}}).first()
    first_pk = (last[0] if last else 0) + 1
    try:
        _, node = run_get_node(process_class, **inputs)
    except (KilledError, KeyboardInterrupt):
        unfinished = _unfinished_processes_since(first_pk)
        _mark_killed(unfinished, 'killed: the command was interrupted')
        click.echo('Interrupted: the WorkChain was killed after its current step; nothing is left running.', err=True)
        sys.stderr.flush()
        raise click.exceptions.Exit(130) from None
    return node
