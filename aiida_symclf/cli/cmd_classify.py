"""``classify``: classify structure files through the WorkChain, or with library calls."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import sys
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import click

from aiida_symclf.cli.errors import InputError, format_table, friendly_errors, one_line, report_errors
from aiida_symclf.cli.inputs import InputStructure, read_structures
from aiida_symclf.cli.interrupts import deferred_interrupts, interrupted_exit, run_until_interrupted, store_structures
from aiida_symclf.cli.params.options import FORMAT, JSON, MODEL, profile_options
from aiida_symclf.cli.profiles import activate_profile
from aiida_symclf.cli.progress import progress_bars
from aiida_symclf.cli.spglib_column import SpglibColumn
from aiida_symclf.library.checkpoints import checkpoint
from aiida_symclf.library.parallel import MAX_WORKERS
from aiida_symclf.library.plot import plot_trajectory
from aiida_symclf.library.record import RESULT_FIELDS


def classify_library(
    structures: Sequence[InputStructure],
    model_path: Path | None,
    progress: bool = False,
    device: str | None = None,
    workers: int = 1,
    precision: str = 'float32',
) -> tuple[dict[str, dict], list[InputError]]:
    """Classify with plain library calls (nothing stored): name -> result, and failures.

    ``device``: where the diffraction and the network run (default: CUDA when available);
    ``workers``: processes on the CPU; ``precision``: of the convolutions.
    """
    from aiida_symclf.library.model import SlowPrecisionWarning, file_sha256, load_model
    from aiida_symclf.library.pipeline import classify_structures

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always', SlowPrecisionWarning)
        model = load_model(model_path, device=device, precision=precision)
    for warning in caught:  # ours as one plain line, any other as Python shows it
        if issubclass(warning.category, SlowPrecisionWarning):
            click.echo(f'Warning: {warning.message}', err=True)
        else:
            warnings.showwarning(warning.message, warning.category, warning.filename, warning.lineno)
    sha256 = file_sha256(model_path) if model_path is not None else _default_model_sha256()
    atoms = [item.atoms for item in structures]
    with progress_bars(progress):  # False from the command, whose own bars are drawing
        records, reasons = classify_structures(atoms, model, workers=workers)
    results, errors = {}, []
    for item, record, reason in zip(structures, records, reasons, strict=True):
        if record is None:
            errors.append(InputError(item.name, reason or 'not classified'))
        else:
            results[item.name] = {**record, 'model_sha256': sha256}
    return results, errors


def _default_model_sha256() -> str:
    from aiida_symclf.library.model import file_sha256, shipped_model_path

    return file_sha256(shipped_model_path())


def _structure_node(item: InputStructure):
    """Unstored StructureData of ``item``, labelled with its file name so queries can show it
    (built from arrays: aiida-core's per-atom ``StructureData(ase=...)`` took 9.7 s for 10^5 atoms)."""
    from aiida_symclf.utils.structure_arrays import structure_of_atoms

    node = structure_of_atoms(item.atoms)
    node.label = item.name[-255:]
    node.description = f'read from {item.path}' + (f', frame {item.frame}' if item.frame is not None else '')
    return node


def _terminal_handlers(logger: logging.Logger) -> list[logging.Handler]:
    """Handlers of ``logger`` that print to the terminal: aiida's ``console`` one, or verdi's ``CliHandler``."""
    from aiida.cmdline.utils.log import CliHandler

    return [
        handler
        for handler in logger.handlers
        if isinstance(handler, CliHandler)
        or (isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler))
    ]


@contextlib.contextmanager
def quiet_process_reports(quiet: bool = True) -> Iterator[None]:
    """Keep AiiDA's process reports off the terminal (they are still stored: ``verdi process report``).

    Only the terminal handlers of the ``aiida`` logger are raised to WARNING, for the duration of
    the block; the log file and the database log handler are untouched.
    """
    handlers = _terminal_handlers(logging.getLogger('aiida')) if quiet else []
    levels = [handler.level for handler in handlers]
    for handler in handlers:
        handler.setLevel(max(handler.level, logging.WARNING))
    try:
        yield
    finally:
        for handler, level in zip(handlers, levels, strict=True):
            handler.setLevel(level)


def classify_workchain(
    structures: Sequence[InputStructure], model_path: Path | None, verbose: bool = False
) -> tuple[dict[str, dict], list[InputError], Any]:
    """Classify through :class:`SymmetryClassificationWorkChain` in the loaded profile.

    Returns name -> result (with the structure's ``pk``), failures, and the WorkChain node.
    The process reports are printed only if ``verbose``.
    """
    from aiida_symclf.data import SymclfModelData
    from aiida_symclf.workflows.classify import SymmetryClassificationWorkChain

    model = SymclfModelData.get_or_create(model_path)
    nodes = {}
    for index, item in enumerate(structures):
        checkpoint()
        nodes[f'structure_{index}'] = _structure_node(item)
    names = {key: item.name for key, item in zip(nodes, structures, strict=True)}
    store_structures(
        list(nodes.values()), [len(item.atoms) for item in structures]
    )  # before the WorkChain exists: with progress, undone if interrupted
    with quiet_process_reports(not verbose):
        process = run_until_interrupted(SymmetryClassificationWorkChain, structures=nodes, model=model)
    if process.is_excepted:
        raise click.ClickException(f'{process.process_label}<{process.pk}> excepted: {one_line(process.exception)}')
    outputs = process.outputs.results if 'results' in process.outputs else {}
    results, errors = {}, []
    for key, name in names.items():
        if key not in outputs:  # the WorkChain stopped before its results (its message names every key)
            errors.append(InputError(name, f'not classified: {process.process_label}<{process.pk}> ended with exit '
                                     f'status {process.exit_status}; see `verdi process report {process.pk}`'))  # fmt: skip
            continue
        result = outputs[key].get_dict()
        if result.get('status') != 'classified':
            errors.append(InputError(name, result.get('reason', 'not classified')))
            continue
        results[name] = {**result, 'pk': nodes[key].pk}
    return results, errors, process


def write_trajectory_plots(structures: Sequence[InputStructure], results: dict[str, dict], folder: Path) -> list[Path]:
    """One figure per file with several frames: label and probabilities against frame (failed frames shown)."""
    by_file: dict[Path, list[dict]] = {}
    for item in structures:
        if item.frame is None:
            continue
        result = results.get(item.name, {'status': 'failed', 'label': 'failed'})
        by_file.setdefault(item.path, []).append({**result, 'frame': item.frame})
    return [
        plot_trajectory(rows, folder / f'{path.name}_frames.png', title=path.name) for path, rows in by_file.items()
    ]


def _spglib_cell(entry: dict[str, Any]) -> str:
    """``fcc (225)``; ``- (12)`` for a space group of no class; ``none`` when spglib finds nothing;
    ``-(skipped: N atoms)`` for a structure too large to compare (:mod:`.spglib_column`)."""
    if entry.get('skipped'):
        return f'-(skipped: {entry["skipped"]})'
    if entry['space_group'] is None:
        return 'none'
    return f'{entry["class"] or "-"} ({entry["space_group"]})'


def _classify_rows(
    structures: Sequence[InputStructure], results: dict[str, dict], compare_spglib: bool
) -> list[dict[str, Any]]:
    """One JSON-ready record per classified structure, in input order; spglib's answers
    bounded in size and time (:class:`~aiida_symclf.cli.spglib_column.SpglibColumn`)."""
    rows = []
    classified = [item for item in structures if item.name in results]
    with SpglibColumn() as column:
        for index, item in enumerate(classified):
            result = results[item.name]
            if compare_spglib:
                checkpoint('spglib', index, len(classified))
            rows.append(
                {
                    'file': item.name,
                    **{name: result.get(name) for name in RESULT_FIELDS if name != 'structure_uuid'},
                    'spglib': column.summary(item.atoms) if compare_spglib else None,
                    'pk': result.get('pk'),
                }
            )
    if compare_spglib:
        checkpoint('spglib', len(classified), len(classified))
    return rows


def _print_classify_table(rows: Sequence[dict[str, Any]]) -> None:
    headers = ['file', 'class', 'AFLOW prototype', 'space group(s)', 'network (prob.)', 'uncertainty', 'lattice']
    with_spglib = any(row['spglib'] is not None for row in rows)
    with_pk = any(row['pk'] is not None for row in rows)
    table = []
    for row in rows:
        lattice = row.get('lattice') or {}
        cells = [
            row['file'],
            row['label'],
            row.get('aflow_prototype') or '-',
            ', '.join(map(str, row['space_groups'])) or '-',
            f'{row.get("network_label", row["label"])} ({row["probability"]:.3f})',
            '-' if row.get('uncertainty') is None else f'{row["uncertainty"]:.3f}',
            f'{lattice["bravais"]} x{lattice["atoms_per_lattice_point"]:g}' if lattice else '-',
        ]
        if with_spglib:
            cells += [_spglib_cell(row['spglib']['loose']), _spglib_cell(row['spglib']['tight'])]
        table.append(cells + ([str(row['pk'])] if with_pk else []))
    headers += (['spglib loose', 'spglib tight'] if with_spglib else []) + (['pk'] if with_pk else [])
    click.echo(format_table(table, headers))
    reasons = [(row['file'], row['unknown_reason']) for row in rows if row.get('unknown_reason')]
    for name, reason in reasons:
        click.echo(f'{name}: unknown: {reason}')


def _what_is_stored(process: Any) -> str:
    """For the message of an interrupt after the run: what stays in the database."""
    if process is None:
        return 'nothing was stored'
    return f'{process.process_label}<{process.pk}> had finished; its results are stored'


@click.command('classify')
@click.argument('files', nargs=-1, required=True, type=click.Path(path_type=Path))
@FORMAT()
@MODEL()
@JSON()
@click.option('--library', '--no-store', 'library', is_flag=True,
              help='Classify with plain library calls: no database, no profile, nothing stored.')  # fmt: skip
@click.option('--compare-spglib/--no-compare-spglib', default=None,
              help='Add spglib\'s answer at a loose and a tight tolerance. Default: on for the table, off for '
              '--json (spglib on perturbed ~250-atom supercells costs more than the classification).')  # fmt: skip
@click.option('--device', default=None, metavar='DEVICE',
              help='torch device for --library, e.g. cpu or cuda (default: CUDA when available, else the CPU).')  # fmt: skip
@click.option('--workers', type=click.IntRange(1, MAX_WORKERS), default=1, show_default=True,
              help='Worker processes for --library on the CPU (one torch thread each; use one per core).')  # fmt: skip
@click.option('--precision', type=click.Choice(['float32', 'bfloat16']), default='float32', show_default=True,
              help='Arithmetic of the network for --library: bfloat16 is ~2x faster where the CPU or GPU supports it.')  # fmt: skip
@click.option('--progress/--no-progress', default=None,
              help='Progress bars on stderr (default: when stderr is a terminal): storing the inputs, each step of '
              'the WorkChain, collecting results, --library with any --workers, the spglib comparison.')  # fmt: skip
@click.option('--trajectory-plots', 'plot_folder', type=click.Path(file_okay=False, path_type=Path), default=None,
              help='For every file with several frames (a trajectory), write DIRECTORY/<file name>_frames.png: '
              'label and class probabilities against frame.')  # fmt: skip
@click.option('-v', '--verbose', is_flag=True, help="Show the WorkChain's process reports.")
@profile_options
@friendly_errors
def classify_command(
    files: tuple[Path, ...], file_format: str | None, model_path: Path | None, as_json: bool, library: bool,
    compare_spglib: bool | None, device: str | None, workers: int, precision: str, progress: bool | None,
    plot_folder: Path | None, verbose: bool, profile_name: str | None, yes: bool,
) -> None:  # fmt: skip
    """Classify the crystal structures read from FILES.

    FILES may be in any format ase reads (CIF, POSCAR, extxyz, ...). By default the structures are stored and classified by the SymmetryClassificationWorkChain,
    so that `aiida-symclf query` finds them later. The table shows the class (`unknown` when the
    structure is none of the classes, with the reason below the table), the space groups it
    covers, the network's own answer and probability, its uncertainty (MC-dropout mutual
    information), the Bravais lattice found from the Bragg peaks with the atoms per lattice
    point, and (--compare-spglib) spglib's answer at a loose (0.1 A, 5 deg) and a tight
    (1e-4 A, 1 deg) tolerance: `class (space group)`, the class named by the space group (one
    species) or by the space group and Wyckoff positions (compounds), `-` for a symmetry of no class.
    A file that holds several structures gives one row per frame (`file@frame`).

    Files that cannot be read or are not periodic crystals are reported one line each on
    stderr; the others are still classified, and the exit status is then 1.

    The spglib comparison skips structures of more than 2,000 atoms (`-(skipped: N atoms)`)
    and gives up on one after 10 s (`-(skipped: >10 s)`). Ctrl-C or SIGTERM ends the command
    within seconds at any stage, with exit status 130; a WorkChain that was running is killed.
    """
    show = progress if progress is not None else sys.stderr.isatty()
    with deferred_interrupts(), progress_bars(show):
        try:
            structures, errors = read_structures(files, file_format)
        except KeyboardInterrupt:
            raise interrupted_exit('while reading the files; nothing was stored.') from None
        report_errors(errors)  # at once: reading all files may take a while
        results: dict[str, dict] = {}
        failures: list[InputError] = []
        process = profile = None
        if structures and library:
            try:
                results, failures = classify_library(structures, model_path, False, device, workers, precision)
            except KeyboardInterrupt:
                raise interrupted_exit('nothing was stored.') from None
        elif structures:
            profile = activate_profile(profile_name, yes)
            results, failures, process = classify_workchain(structures, model_path, verbose)
        report_errors(failures)
        errors += failures
        try:
            rows = _classify_rows(structures, results, compare_spglib if compare_spglib is not None else not as_json)
        except KeyboardInterrupt:
            raise interrupted_exit(f'during the spglib comparison; {_what_is_stored(process)}.') from None
        try:
            checkpoint()  # an interrupt that came after the last checkpoint of the run
        except KeyboardInterrupt:
            raise interrupted_exit(f'before the table was printed; {_what_is_stored(process)}.') from None
    if as_json:
        payload = {
            'profile': profile.name if profile is not None else None,
            'workchain': process.pk if process is not None else None,
            'results': rows,
            'errors': [dataclasses.asdict(error) for error in errors],
        }
        click.echo(json.dumps(payload, indent=2))
    elif rows:
        _print_classify_table(rows)
        if process is not None:
            click.echo(
                f'\n{process.process_label}<{process.pk}> in profile {profile.name!r}; find results later with `aiida-symclf query`.'
            )
    if plot_folder is not None:
        for path in write_trajectory_plots(structures, results, plot_folder):
            click.echo(f'trajectory plot: {path}', err=as_json)
    if errors:
        raise click.exceptions.Exit(1)
