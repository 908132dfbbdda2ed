"""Errors of the command line: one line ``Error: ...`` and exit status 1, never a traceback."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from typing import Any

import click

MAX_REASON = 300  # characters of an error message shown for a bad input file


def one_line(text: object) -> str:
    """``text`` squeezed onto one line and cut to a readable length."""
    line = ' '.join(str(text).split())
    return line if len(line) <= MAX_REASON else line[: MAX_REASON - 3] + '...'


def _known_errors() -> tuple[type[BaseException], ...]:
    """Exceptions whose message is meant for the user (bad input, missing node, bad model)."""
    from aiida.common.exceptions import AiidaException

    return (ValueError, TypeError, OSError, KeyError, AiidaException)


def friendly_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn any exception escaping ``command`` into ``Error: <one line>`` and exit status 1.

    click's own exceptions (usage errors, ``Abort``, ``Exit``) pass through unchanged.
    ``ModelFileError``, ``StructureError`` and ``ValueError`` are subclasses of ``ValueError``;
    aiida's ``NotExistent`` and ``MultipleObjectsError`` of ``AiidaException``.
    """

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo('Interrupted.', err=True)
            raise click.exceptions.Exit(130) from None
        except _known_errors() as exception:
            raise click.ClickException(one_line(exception) or type(exception).__name__) from None
        except Exception as exception:  # noqa: BLE001 - the promise is: no traceback, ever
            raise click.ClickException(f'unexpected {type(exception).__name__}: {one_line(exception)}') from None

    return wrapper


@dataclasses.dataclass
class InputError:
    """Why a file, or one structure of it, cannot be classified."""

    name: str
    reason: str


def report_errors(errors: Sequence[InputError]) -> None:
    """One ``Error: <file>: <reason>`` line per bad input, on stderr."""
    for error in errors:
        click.echo(f'Error: {error.name}: {one_line(error.reason)}', err=True)


def format_table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str:
    from tabulate import tabulate

    return tabulate(rows, headers=headers, tablefmt='simple', disable_numparse=True)
