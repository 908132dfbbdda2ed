"""Reading structure files: every frame ase reads, one error per file or frame that cannot be used."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import InputError, one_line


@dataclasses.dataclass
class InputStructure:
    """One structure read from a file: a file holds one or more (frames of a trajectory)."""

    name: str  # the file, with ``@frame`` appended when the file holds several structures
    path: Path
    frame: int | None
    atoms: Any  # ase.Atoms


def _guess_format(path: Path) -> str | None:
    """The file format ase guesses for ``path``, or None when it cannot tell."""
    from ase.io.formats import filetype

    try:
        return filetype(str(path), guess=True)
    except Exception:  # noqa: BLE001 - unknown formats raise various errors
        return None


def _read_frames(path: Path, file_format: str | None) -> list[Any]:
    """All structures ase reads from ``path``; ValueError with a one-line reason otherwise."""
    import ase.io

    if not path.exists():
        raise ValueError('no such file')
    if path.is_dir():
        raise ValueError('is a directory, not a structure file')
    if path.stat().st_size == 0:
        raise ValueError('the file is empty')
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')  # ase warns about CIF details; the user gets one line per file
            frames = ase.io.read(path, index=':', format=file_format)
    except Exception as exception:  # noqa: BLE001 - ase raises many types for unreadable files
        detail = one_line(exception) or f'the reader raised {type(exception).__name__}'
        guessed = file_format or _guess_format(path)
        raise ValueError(f'cannot read a structure{f" as {guessed}" if guessed else ""}: {detail}') from None
    frames = frames if isinstance(frames, list) else [frames]
    if not frames:
        raise ValueError('no structure found in the file')
    return frames


def read_structures(
    paths: Sequence[Path], file_format: str | None = None
) -> tuple[list[InputStructure], list[InputError]]:
    """Structures of ``paths`` that can be fingerprinted, and one error per file or frame that cannot.

    A structure must be periodic in 3D with a finite, non-degenerate cell
    (:func:`aiida_symclf.fingerprint.check_structure`): a molecule without a cell is refused here,
    before anything is stored.
    """
    from ..checkpoints import checkpoint
    from ..fingerprint import StructureError, check_structure

    structures, errors = [], []
    for index, path in enumerate(paths):
        checkpoint('read', index, len(paths))
        try:
            frames = _read_frames(path, file_format)
        except ValueError as exception:
            errors.append(InputError(str(path), str(exception)))
            continue
        for index, atoms in enumerate(frames):
            name = str(path) if len(frames) == 1 else f'{path}@{index}'
            try:
                check_structure(atoms)
            except StructureError as exception:
                errors.append(InputError(name, str(exception)))
                continue
            structures.append(InputStructure(name, path, None if len(frames) == 1 else index, atoms))
    checkpoint('read', len(paths), len(paths))
    return structures, errors
