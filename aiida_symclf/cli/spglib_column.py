"""The spglib comparison columns of ``classify``, bounded in size and time and interruptible.

spglib's cost grows steeply with the atoms of a perturbed supercell (at 0.1 A, 2% displaced fcc:
256 atoms 1.0 s, 2,048 atoms 78 s; a 10^5-atom cell ran for more than 19 minutes) and one call
holds the GIL until it returns. The comparison is a column the user did not ask for by default,
so it must never hold up the result: structures of more than :data:`SPGLIB_MAX_ATOMS` atoms are
not compared (``-(skipped: N atoms)``), and the others are compared in a child process
(:mod:`aiida_symclf.library.spglib_worker`) that is killed after :data:`SPGLIB_TIMEOUT` seconds
(``-(skipped: >10 s)``). The parent waits in slices of 0.1 s and passes a checkpoint
(:func:`aiida_symclf.library.checkpoints.checkpoint`) in each, so Ctrl-C ends the command at once.
"""

from __future__ import annotations

import pickle
import select
import subprocess
import sys
import time
from typing import Any

from aiida_symclf.library.checkpoints import checkpoint

__all__ = ['SPGLIB_MAX_ATOMS', 'SPGLIB_TIMEOUT', 'SpglibColumn', 'skipped_entry']

#: Structures with more atoms are not compared with spglib (the column says ``-(skipped: N atoms)``).
SPGLIB_MAX_ATOMS = 2000
#: Seconds one structure may take (both tolerances); then the column says ``-(skipped: >10 s)``.
SPGLIB_TIMEOUT = 10.0
_POLL = 0.1  # seconds between two checkpoints while waiting for the child


def skipped_entry(reason: str) -> dict[str, Any]:
    """The column's entry of a structure spglib was not asked about, or did not answer in time."""
    return {'space_group': None, 'class': None, 'skipped': reason}


class SpglibColumn:
    """spglib's space group and class at the loose and tight tolerances, one structure at a time.

    Use as a context manager: the child process is started on the first structure that is
    compared and killed on exit (also on Ctrl-C).
    """

    def __init__(self, max_atoms: int = SPGLIB_MAX_ATOMS, timeout: float = SPGLIB_TIMEOUT) -> None:
        self.max_atoms = max_atoms
        self.timeout = timeout
        self._child: subprocess.Popen | None = None

    def __enter__(self) -> SpglibColumn:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the child process, if any."""
        if self._child is not None:
            self._child.kill()
            self._child.wait()
            for stream in (self._child.stdin, self._child.stdout):
                stream.close()
            self._child = None

    def summary(self, atoms: Any) -> dict[str, dict[str, Any]]:
        """``{'loose': {...}, 'tight': {...}}`` with ``space_group`` and ``class``, or ``skipped`` and why."""
        from aiida_symclf.library.symmetry import SPGLIB_TOLERANCES, _spglib_cell, spglib_labels

        if len(atoms) > self.max_atoms:
            return dict.fromkeys(SPGLIB_TOLERANCES, skipped_entry(f'{len(atoms)} atoms'))
        cell = _spglib_cell(atoms)
        datasets = dict.fromkeys(SPGLIB_TOLERANCES) if cell is None else self._ask(cell, dict(SPGLIB_TOLERANCES))
        if datasets is None:
            return dict.fromkeys(SPGLIB_TOLERANCES, skipped_entry(f'>{self.timeout:g} s'))
        labels = spglib_labels(atoms, datasets=datasets)
        return {
            name: {k: v for k, v in value.items() if k in ('space_group', 'class')} for name, value in labels.items()
        }

    def _ask(self, cell: tuple, tolerances: dict[str, tuple[float, float]]) -> dict[str, Any] | None:
        """The child's answer for ``cell``; None (and the child killed) after :attr:`timeout` seconds."""
        child = self._start()
        pickle.dump((cell, tolerances), child.stdin)
        child.stdin.flush()
        deadline = time.monotonic() + self.timeout
        try:
            while True:
                checkpoint()
                left = deadline - time.monotonic()
                if left <= 0:
                    self.close()
                    return None
                if select.select([child.stdout], [], [], min(_POLL, left))[0]:
                    return pickle.load(child.stdout)
        except EOFError:  # the child died (out of memory): no answer for this structure
            self.close()
            return dict.fromkeys(tolerances)
        except BaseException:
            self.close()
            raise

    def _start(self) -> subprocess.Popen:
        """The child process, started if needed; in its own session, so Ctrl-C on the terminal reaches only us."""
        if self._child is None or self._child.poll() is not None:
            self._child = subprocess.Popen(
                [sys.executable, '-m', 'aiida_symclf.library.spglib_worker'],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True,
            )  # fmt: skip
        return self._child
