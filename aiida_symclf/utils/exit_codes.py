"""Exit codes of the CalcFunctions and the WorkChain, declared from these tables, and the exception
that ends a CalcFunction with one."""

from __future__ import annotations

import functools

from aiida.engine import ExitCode

#: Exit codes of the CalcFunctions, also declared by the WorkChain: name -> (status, message template).
#: Numbers follow aiida-core's conventions: 200-299 invalid input, 300-399 critical errors of
#: the process (400 and up: the WorkChains' own, such as some or all structures failing).
EXIT_CODES: dict[str, tuple[int, str]] = {
    'ERROR_INVALID_STRUCTURE': (200, 'invalid structure: {reason}'),
    'ERROR_INVALID_PARAMETERS': (201, 'invalid parameters: {reason}'),
    'ERROR_MODEL_MISMATCH': (202, 'model and fingerprint do not match: {reason}'),
    'ERROR_INVALID_MODEL': (203, 'the model cannot be used: {reason}'),
    'ERROR_FINGERPRINT_FAILED': (310, 'fingerprint failed: {reason}'),
    'ERROR_CLASSIFICATION_FAILED': (320, 'classification failed: {reason}'),
    'ERROR_ATTENTION_FAILED': (330, 'attention maps failed: {reason}'),
}


#: The WorkChain's own codes (:class:`~aiida_symclf.workflows.classify.SymmetryClassificationWorkChain`):
#: some structures failed (the others have results), or all did.
WORKCHAIN_EXIT_CODES: dict[str, tuple[int, str]] = {
    'ERROR_SOME_STRUCTURES_FAILED': (400, '{count} of {total} structures failed: {keys}; see `results`.'),
    'ERROR_ALL_STRUCTURES_FAILED': (401, 'no structure could be classified: {reasons}'),
}
#: Input errors of the WorkChain itself (not of a CalcFunction): a trajectory input it cannot split.
WORKCHAIN_INPUT_EXIT_CODES: dict[str, tuple[int, str]] = {
    'ERROR_INVALID_TRAJECTORY': (204, 'trajectories whose frames cannot be classified: {reasons}'),
}
#: The local-map WorkChain's own codes (:class:`~aiida_symclf.workflows.map.LocalMapWorkChain`): some
#: structures (trajectory frames) could not be mapped (the others have maps), or none could.
MAP_EXIT_CODES: dict[str, tuple[int, str]] = {
    'ERROR_SOME_STRUCTURES_NOT_MAPPED': (410, '{count} of {total} structures could not be mapped: {reasons}'),
    'ERROR_NO_STRUCTURE_MAPPED': (411, 'no structure could be mapped: {reasons}'),
}


def declare_exit_codes(spec, codes: dict[str, tuple[int, str]]) -> None:
    """Declare ``codes`` (name -> (status, message)) on a process ``spec``: one table, no copies."""
    for name, (status, message) in codes.items():
        spec.exit_code(status, name, message=message)


def exit_code(name: str, reason: str) -> ExitCode:
    """The :class:`ExitCode` called ``name`` with its message filled in."""
    status, template = EXIT_CODES[name]
    return ExitCode(status, template.format(reason=reason))


class StepError(Exception):
    """Raised inside this module to end a CalcFunction with an exit code."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(reason)
        self.exit_code = exit_code(name, reason)


def with_exit_codes(function):
    """Turn a :class:`StepError` raised by ``function`` into the process's exit code."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except StepError as error:
            return error.exit_code

    return wrapper
