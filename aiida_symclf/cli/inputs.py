"""Reading structure files: every frame ase reads, one error per file or frame that cannot be used."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aiida_symclf.cli.errors import InputError, one_line
from aiida_symclf.library.checkpoints import checkpoint
from aiida_symclf.library.validation import input_problem


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


#: Bytes looked at to tell a binary file from a text one.
_SNIFF_BYTES = 8192
#: ase formats that are binary files: for the others, binary content means a wrong file.
_BINARY_FORMATS = ('traj', 'bundletrajectory', 'db', 'json', 'netcdftrajectory', 'gpw', 'gpaw-out', 'vasp-h5')


def _is_binary(path: Path) -> bool:
    """Whether ``path`` starts with bytes no text structure file has (NUL, or not UTF-8/Latin-1 text)."""
    with path.open('rb') as handle:
        head = handle.read(_SNIFF_BYTES)
    if b'\x00' in head:
        return True
    controls = sum(byte < 9 or 13 < byte < 32 for byte in head)
    return controls > 0.05 * max(len(head), 1)


def _unreadable(path: Path, guessed: str | None, exception: BaseException) -> str:
    """One line saying why ase could not read ``path`` (as ``guessed``), useful also when the reader's
    exception has no message (ase's CIF reader fails on a binary file with a bare AssertionError)."""
    as_format = f' as {guessed}' if guessed else ''
    if guessed not in _BINARY_FORMATS and _is_binary(path):
        return (
            f'cannot read a structure{as_format}: the file is binary, not a text structure file '
            '(CIF, POSCAR, extxyz, ...); is it the right file, or does it need --format?'
        )
    detail = one_line(exception)
    if not detail:
        detail = (
            f"not valid {guessed or 'input'} (ase's reader stopped with {type(exception).__name__} and no message); "
            'check the file, or give its format with --format'
        )
    return f'cannot read a structure{as_format}: {detail}'


def _duplicate_cif_sites(path: Path) -> list[str | None]:
    """Per CIF data block with a structure: why two of its fully occupied sites overlap, or None.

    ase merges sites of a CIF that sit on the same position (within 1e-3 of the cell) without a
    word, so a file with an atom listed twice reads as a good crystal; the sites as listed are
    checked here with the bound of :func:`aiida_symclf.library.validation.closest_pair`.
    """
    import ase.io.cif
    from ase import Atoms

    from aiida_symclf.library.validation import closest_pair, too_close

    reasons: list[str | None] = []
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        blocks = [block for block in ase.io.cif.parse_cif(str(path)) if block.has_structure()]
    for block in blocks:
        reasons.append(None)
        try:
            listed = block.get_unsymmetrized_structure()
            occupancies = block._get_fractional_occupancies()  # noqa: SLF001 - ase has no public accessor
        except Exception:  # noqa: BLE001 - ase read the block already; this check is only extra care
            continue
        labels = block.get('_atom_site_label') or [str(index) for index in range(len(listed))]
        full = [i for i in range(len(listed)) if occupancies is None or occupancies[i] >= 1.0 - 1e-6]
        if len(full) < 2 or listed.cell.rank < 3:
            continue
        sites = Atoms(listed.numbers[full], positions=listed.positions[full], cell=listed.cell, pbc=True)
        pair = closest_pair(sites)
        if pair is not None:
            i, j, distance, bound, count = pair
            names = (f'site {labels[full[k]]}' for k in (i, j))
            reasons[-1] = too_close(*names, distance, bound, count) + ' (ase would merge them silently)'
    return reasons


def _cif_problems(path: Path, file_format: str | None, frames: int) -> list[str | None]:
    """:func:`_duplicate_cif_sites` for a CIF file (one entry per frame), nothing for other formats."""
    if (file_format or _guess_format(path)) != 'cif':
        return [None] * frames
    reasons = _duplicate_cif_sites(path)
    return reasons if len(reasons) == frames else [None] * frames


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
        guessed = file_format or _guess_format(path)
        raise ValueError(_unreadable(path, guessed, exception)) from None
    frames = frames if isinstance(frames, list) else [frames]
    if not frames:
        raise ValueError('no structure found in the file')
    return frames


def read_structures(
    paths: Sequence[Path], file_format: str | None = None
) -> tuple[list[InputStructure], list[InputError]]:
    """Structures of ``paths`` that can be fingerprinted, and one error per file or frame that cannot.

    A structure must be periodic in 3D with a finite, non-degenerate cell and could be physical
    (:func:`aiida_symclf.library.validation.check_input`: no overlapping atoms, a cell with room for its
    atoms; in a CIF also no two sites listed on the same position): a molecule without a cell, a
    flat cell or a duplicated atom is refused here, before anything is stored.
    """
    structures, errors = [], []
    for index, path in enumerate(paths):
        checkpoint('read', index, len(paths))
        try:
            frames = _read_frames(path, file_format)
        except ValueError as exception:
            errors.append(InputError(str(path), str(exception)))
            continue
        duplicates = _cif_problems(path, file_format, len(frames))
        for index, atoms in enumerate(frames):
            name = str(path) if len(frames) == 1 else f'{path}@{index}'
            reason = duplicates[index] or input_problem(atoms)
            if reason:
                errors.append(InputError(name, reason))
                continue
            structures.append(InputStructure(name, path, None if len(frames) == 1 else index, atoms))
    checkpoint('read', len(paths), len(paths))
    return structures, errors
