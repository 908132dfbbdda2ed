"""Progress bars on stderr for every stage of ``classify`` that reports through checkpoints.

The stages (:func:`aiida_symclf.library.checkpoints.checkpoint`): ``read`` (the files), ``store`` (the input structures, counted
in atoms, so that one large cell shows its rate), the WorkChain's ``perturb``, ``fingerprint`` and
``classify`` steps and its ``results`` and ``extras`` (in structures), ``classify`` of ``--library``
(with or without ``--workers``) and ``spglib``. One bar per stage, opened when the stage first
reports and closed when the next one does.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

from aiida_symclf.library.checkpoints import listening

__all__ = ['STAGES', 'ProgressBars', 'progress_bars']

#: Stage -> (what the bar says, unit).
STAGES: dict[str, tuple[str, str]] = {
    'read': ('reading files', 'file'),
    'store': ('storing inputs', 'atom'),
    'perturb': ('perturbing', 'structure'),
    'fingerprint': ('fingerprints', 'structure'),
    'classify': ('classifying', 'structure'),
    'results': ('collecting results', 'structure'),
    'extras': ('writing extras', 'structure'),
    'spglib': ('spglib comparison', 'structure'),
}


class ProgressBars:
    """A progress listener that draws one tqdm bar per stage."""

    def __init__(self, file: Any = None) -> None:
        self.file = file if file is not None else sys.stderr
        self.stage: str | None = None
        self.bar: Any = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        from tqdm.auto import tqdm

        if stage != self.stage or self.bar is None:
            self.close()
            description, unit = STAGES.get(stage, (stage, 'item'))
            self.stage = stage
            self.bar = tqdm(total=total, desc=description, unit=unit, file=self.file, unit_scale=unit == 'atom')
        self.bar.update(max(0, done - self.bar.n))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
            self.stage = None


@contextlib.contextmanager
def progress_bars(show: bool) -> Iterator[None]:
    """Draw the bars within the block if ``show``."""
    if not show:
        yield
        return
    bars = ProgressBars()
    try:
        with listening(bars):
            yield
    finally:
        bars.close()
