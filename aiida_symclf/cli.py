"""Command line interface: ``aiida-symclf`` and ``verdi data symclf``.

Both expose the same commands (``classify``, ``attention``, ``query``, ``models``, ``train``):
``aiida-symclf`` is the console script, ``verdi data symclf`` the same group plugged into
``verdi`` through the ``aiida.cmdline.data`` entry point (``verdi data`` is a
:class:`aiida.cmdline.utils.pluginable.Pluginable` group that loads every entry point of that
group as a sub-command).

Profile rules, in this order (see :func:`activate_profile`):

1. ``--profile NAME`` given: that profile (the embedded one, ``symclf``, may be created).
2. A profile is already loaded (``verdi -p NAME data symclf ...``, ``verdi run``, tests): it.
3. Otherwise the embedded ``core.sqlite_dos`` profile ``symclf`` (no services needed). If it does
   not exist yet it is created, but only with the user's consent when ``AIIDA_PATH`` is unset
   (so the command would write into ``~/.aiida``): ``--yes``, or a yes at the prompt.

Every error ends the command with one line ``Error: ...`` on stderr and exit status 1 (2 for
usage errors), never with a traceback. Input files that cannot be classified are reported one
line each and make the exit status 1, while the other files are still classified.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import logging
import os
import re
import signal
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import click

from . import __version__
from .profile import DEFAULT_PROFILE_NAME

__all__ = ['activate_profile', 'cli', 'data_cli', 'read_structures']

#: Defaults of ``attention --layer/--top-k``: those of :class:`aiida_symclf.attention.AttentionParameters`
#: (read without importing torch, which the CLI loads only when a command needs it).
_ATTENTION_DEFAULTS = dataclasses.make_dataclass('AttentionDefaults', [('layer', int, -1), ('top_k', int, 4)])()
_MAX_REASON = 300  # characters of an error message shown for a bad input file


# --------------------------------------------------------------------------------------------
# Errors: one line, never a traceback
# --------------------------------------------------------------------------------------------


def _one_line(text: object) -> str:
    """``text`` squeezed onto one line and cut to a readable length."""
    line = ' '.join(str(text).split())
    return line if len(line) <= _MAX_REASON else line[: _MAX_REASON - 3] + '...'


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
            raise click.ClickException(_one_line(exception) or type(exception).__name__) from None
        except Exception as exception:  # noqa: BLE001 - the promise is: no traceback, ever
            raise click.ClickException(f'unexpected {type(exception).__name__}: {_one_line(exception)}') from None

    return wrapper


# --------------------------------------------------------------------------------------------
# Profile handling
# --------------------------------------------------------------------------------------------


def needs_consent(aiida_path_set: bool, profile_exists: bool) -> bool:
    """Creating the embedded profile needs consent only when it would go into ``~/.aiida``."""
    return not profile_exists and not aiida_path_set


def _existing_profile_names() -> list[str]:
    """Profiles of the current AiiDA configuration; empty (and nothing written) if there is none."""
    from aiida.manage.configuration import get_config
    from aiida.manage.configuration.settings import AiiDAConfigDir

    if not (AiiDAConfigDir.get() / 'config.json').is_file():
        return []
    return list(get_config().profile_names)


def _remove_empty_skeleton(folder: Path) -> None:
    """Remove ``folder`` if it holds nothing but empty directories.

    Importing aiida-core creates the configuration folder with empty ``log``, ``daemon`` and
    ``access`` directories; when the user refuses the profile, nothing of it should remain.
    """
    if folder.is_dir() and not any(path.is_file() for path in folder.rglob('*')):
        import shutil

        shutil.rmtree(folder, ignore_errors=True)


def _ask_consent(name: str, yes: bool) -> None:
    """Go on only if the user agrees to create profile ``name`` under ``~/.aiida``."""
    from aiida.manage.configuration.settings import AiiDAConfigDir

    where = AiiDAConfigDir.get()
    if yes:
        return
    if not sys.stdin.isatty():
        _remove_empty_skeleton(Path(where))
        raise click.ClickException(
            f'the embedded AiiDA profile {name!r} does not exist yet and AIIDA_PATH is not set, so it would be '
            f'created in {where}; rerun with --yes to allow that, set AIIDA_PATH, or pass --profile NAME'
        )
    if not click.confirm(f'Create the embedded AiiDA profile {name!r} (sqlite, no services) in {where}?', err=True):
        _remove_empty_skeleton(Path(where))
        raise click.Abort()


def activate_profile(name: str | None = None, yes: bool = False, create: bool = True):
    """Load the profile the command should use and return it (rules in the module docstring).

    ``create=False`` (for read-only commands) raises an error instead of creating the embedded
    profile: there is nothing to query in a profile that does not exist.
    """
    from aiida import load_profile
    from aiida.manage import get_manager

    current = get_manager().get_profile()
    if name is None and current is not None:
        return current
    target = name or DEFAULT_PROFILE_NAME
    existing = _existing_profile_names()
    if target in existing:
        return load_profile(target, allow_switch=True)
    if target != DEFAULT_PROFILE_NAME:
        known = ', '.join(existing) or 'none'
        raise click.ClickException(f'profile {target!r} does not exist (known profiles: {known})')
    if not create:
        raise click.ClickException(
            f'the embedded AiiDA profile {target!r} does not exist yet: classify something first, or pass --profile NAME'
        )
    if needs_consent(aiida_path_set=bool(os.environ.get('AIIDA_PATH')), profile_exists=False):
        _ask_consent(target, yes)  # an empty AIIDA_PATH counts as unset, as it does for AiiDA
    from .profile import ensure_embedded_profile

    return ensure_embedded_profile(target)


def profile_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--profile`` and ``--yes``, shared by the commands that use the database."""
    command = click.option(
        '-y', '--yes', is_flag=True,
        help=f'Create the embedded profile {DEFAULT_PROFILE_NAME!r} in ~/.aiida without asking (only asked when '
        'AIIDA_PATH is unset and the profile does not exist yet).',
    )(command)  # fmt: skip
    return click.option(
        '-p', '--profile', 'profile_name', metavar='NAME', default=None,
        help=f'AiiDA profile to use. Default: the loaded profile (under verdi: verdi\'s), else the embedded '
        f'sqlite profile {DEFAULT_PROFILE_NAME!r}.',
    )(command)  # fmt: skip


# --------------------------------------------------------------------------------------------
# Reading structure files
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class InputStructure:
    """One structure read from a file: a file holds one or more (frames of a trajectory)."""

    name: str  # the file, with ``@frame`` appended when the file holds several structures
    path: Path
    frame: int | None
    atoms: Any  # ase.Atoms


@dataclasses.dataclass
class InputError:
    """Why a file, or one structure of it, cannot be classified."""

    name: str
    reason: str


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
        detail = _one_line(exception) or f'the reader raised {type(exception).__name__}'
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
    from .fingerprint import StructureError, check_structure

    structures, errors = [], []
    for path in paths:
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
    return structures, errors


def report_errors(errors: Sequence[InputError]) -> None:
    """One ``Error: <file>: <reason>`` line per bad input, on stderr."""
    for error in errors:
        click.echo(f'Error: {error.name}: {_one_line(error.reason)}', err=True)


# --------------------------------------------------------------------------------------------
# Classification
# --------------------------------------------------------------------------------------------


def classify_library(
    structures: Sequence[InputStructure], model_path: Path | None, progress: bool = False, device: str | None = None
) -> tuple[dict[str, dict], list[InputError]]:
    """Classify with plain library calls (nothing stored): name -> result, and failures.

    ``device``: where the diffraction and the network run (default: CUDA when available).
    """
    from .classification import classify_structures
    from .model import file_sha256, load_model

    model = load_model(model_path, device=device)
    sha256 = file_sha256(model_path) if model_path is not None else _default_model_sha256()
    records, reasons = classify_structures([item.atoms for item in structures], model, progress=progress)
    results, errors = {}, []
    for item, record, reason in zip(structures, records, reasons, strict=True):
        if record is None:
            errors.append(InputError(item.name, reason or 'not classified'))
        else:
            results[item.name] = {**record, 'model_sha256': sha256}
    return results, errors


def _default_model_sha256() -> str:
    from .model import default_model_path, file_sha256

    return file_sha256(default_model_path())


def _structure_node(item: InputStructure):
    """Unstored StructureData of ``item``, labelled with its file name so queries can show it."""
    from aiida import orm

    node = orm.StructureData(ase=item.atoms)
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
    try:
        yield
    except KeyboardInterrupt as interrupt:
        _Interrupt.taken = True
        unfinished = _unfinished_processes_since(first_pk)
        _mark_killed(unfinished, f'killed: the command was interrupted ({interrupt or "Ctrl-C"})')
        click.echo(f'Interrupted: {len(unfinished)} unfinished process(es) marked as killed.', err=True)
        raise click.exceptions.Exit(130) from None
    finally:
        _Interrupt.taken = True
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)


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


def classify_workchain(
    structures: Sequence[InputStructure], model_path: Path | None, verbose: bool = False
) -> tuple[dict[str, dict], list[InputError], Any]:
    """Classify through :class:`SymmetryClassificationWorkChain` in the loaded profile.

    Returns name -> result (with the structure's ``pk``), failures, and the WorkChain node.
    The process reports are printed only if ``verbose``.
    """
    from .data import SymclfModelData
    from .workchain import SymmetryClassificationWorkChain

    model = SymclfModelData.get_or_create(model_path)
    nodes = {f'structure_{index}': _structure_node(item) for index, item in enumerate(structures)}
    names = {key: item.name for key, item in zip(nodes, structures, strict=True)}
    with quiet_process_reports(not verbose):
        process = run_interruptibly(SymmetryClassificationWorkChain, structures=nodes, model=model)
    if process.is_excepted:
        raise click.ClickException(f'{process.process_label}<{process.pk}> excepted: {_one_line(process.exception)}')
    outputs = process.outputs.results if 'results' in process.outputs else {}
    results, errors = {}, []
    for key, name in names.items():
        if key not in outputs:
            errors.append(InputError(name, process.exit_message or 'not classified'))
            continue
        result = outputs[key].get_dict()
        if result.get('status') != 'classified':
            errors.append(InputError(name, result.get('reason', 'not classified')))
            continue
        results[name] = {**result, 'pk': nodes[key].pk}
    return results, errors, process


def spglib_summary(atoms: Any) -> dict[str, dict[str, Any]]:
    """spglib's space group and class at the loose and the tight tolerance."""
    from .symmetry import spglib_labels

    return {
        name: {k: v for k, v in value.items() if k in ('space_group', 'class')}
        for name, value in spglib_labels(atoms).items()
    }


def _spglib_cell(entry: dict[str, Any]) -> str:
    """``fcc (225)``; ``- (12)`` for a space group of no class; ``none`` when spglib finds nothing."""
    if entry['space_group'] is None:
        return 'none'
    return f'{entry["class"] or "-"} ({entry["space_group"]})'


def _classify_rows(
    structures: Sequence[InputStructure], results: dict[str, dict], compare_spglib: bool
) -> list[dict[str, Any]]:
    """One JSON-ready record per classified structure, in input order."""
    from .classification import RESULT_FIELDS

    rows = []
    for item in structures:
        if item.name not in results:
            continue
        result = results[item.name]
        rows.append(
            {
                'file': item.name,
                **{name: result.get(name) for name in RESULT_FIELDS if name not in ('structure_uuid',)},
                'spglib': spglib_summary(item.atoms) if compare_spglib else None,
                'pk': result.get('pk'),
            }
        )
    return rows


def _table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str:
    from tabulate import tabulate

    return tabulate(rows, headers=headers, tablefmt='simple', disable_numparse=True)


def _print_classify_table(rows: Sequence[dict[str, Any]]) -> None:
    headers = ['file', 'class', 'space group(s)', 'network (prob.)', 'uncertainty', 'lattice']
    with_spglib = any(row['spglib'] is not None for row in rows)
    with_pk = any(row['pk'] is not None for row in rows)
    table = []
    for row in rows:
        lattice = row.get('lattice') or {}
        cells = [
            row['file'],
            row['label'],
            ', '.join(map(str, row['space_groups'])) or '-',
            f'{row.get("network_label", row["label"])} ({row["probability"]:.3f})',
            '-' if row.get('uncertainty') is None else f'{row["uncertainty"]:.3f}',
            f'{lattice["bravais"]} x{lattice["atoms_per_lattice_point"]:g}' if lattice else '-',
        ]
        if with_spglib:
            cells += [_spglib_cell(row['spglib']['loose']), _spglib_cell(row['spglib']['tight'])]
        table.append(cells + ([str(row['pk'])] if with_pk else []))
    headers += (['spglib loose', 'spglib tight'] if with_spglib else []) + (['pk'] if with_pk else [])
    click.echo(_table(table, headers))
    reasons = [(row['file'], row['unknown_reason']) for row in rows if row.get('unknown_reason')]
    for name, reason in reasons:
        click.echo(f'{name}: unknown: {reason}')


@click.command('classify')
@click.argument('files', nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    '-f',
    '--format',
    'file_format',
    default=None,
    help='ase file format (default: guessed from the file name and content).',
)
@click.option('-m', '--model', 'model_path', type=click.Path(path_type=Path, dir_okay=False), default=None,
              help='Model file (default: the model shipped with the package).')  # fmt: skip
@click.option('--json', 'as_json', is_flag=True, help='Print JSON instead of a table.')
@click.option('--library', '--no-store', 'library', is_flag=True,
              help='Classify with plain library calls: no database, no profile, nothing stored.')  # fmt: skip
@click.option('--compare-spglib/--no-compare-spglib', default=None,
              help='Add spglib\'s answer at a loose and a tight tolerance. Default: on for the table, off for '
              '--json (spglib on perturbed ~250-atom supercells costs more than the classification).')  # fmt: skip
@click.option('--device', default=None, metavar='DEVICE',
              help='torch device for --library, e.g. cpu or cuda (default: CUDA when available, else the CPU).')  # fmt: skip
@click.option('--progress/--no-progress', default=None,
              help='Progress bar on stderr for --library (default: when stderr is a terminal); the WorkChain '
              'reports its progress in `verdi process report` (and on the terminal with --verbose).')  # fmt: skip
@click.option('-v', '--verbose', is_flag=True, help="Show the WorkChain's process reports.")
@profile_options
@friendly_errors
def classify_command(
    files: tuple[Path, ...], file_format: str | None, model_path: Path | None, as_json: bool, library: bool,
    compare_spglib: bool | None, device: str | None, progress: bool | None, verbose: bool, profile_name: str | None,
    yes: bool,
) -> None:  # fmt: skip
    """Classify the crystal structures read from FILES.

    FILES may be in any format ase reads (CIF, POSCAR, extxyz, ...). By default the structures are stored and classified by the SymmetryClassificationWorkChain,
    so that `aiida-symclf query` finds them later. The table shows the class (`unknown` when the
    structure is none of the classes, with the reason below the table), the space groups it
    covers, the network's own answer and probability, its uncertainty (MC-dropout mutual
    information), the Bravais lattice found from the Bragg peaks with the atoms per lattice
    point, and (--compare-spglib) spglib's answer at a loose (0.1 A, 5 deg) and a tight
    (1e-4 A, 1 deg) tolerance: `class (space group)`, `-` for a space group of no class.
    A file that holds several structures gives one row per frame (`file@frame`).

    Files that cannot be read or are not periodic crystals are reported one line each on
    stderr; the others are still classified, and the exit status is then 1.
    """
    structures, errors = read_structures(files, file_format)
    report_errors(errors)  # at once: reading all files may take a while
    results: dict[str, dict] = {}
    failures: list[InputError] = []
    process = profile = None
    if structures and library:
        show = progress if progress is not None else sys.stderr.isatty()
        results, failures = classify_library(structures, model_path, progress=show, device=device)
    elif structures:
        profile = activate_profile(profile_name, yes)
        results, failures, process = classify_workchain(structures, model_path, verbose)
    report_errors(failures)
    errors += failures
    rows = _classify_rows(structures, results, compare_spglib if compare_spglib is not None else not as_json)
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
    if errors:
        raise click.exceptions.Exit(1)


# --------------------------------------------------------------------------------------------
# Attention maps
# --------------------------------------------------------------------------------------------


def _attention_from_file(
    target: Path, file_format: str | None, model_path: Path | None, output: Path, layer: int, top_k: int
) -> str:
    """Attention maps of the first structure of a file, with library calls; returns the predicted class."""
    from .attention import compute_attention
    from .fingerprint import diffraction_fingerprint
    from .model import load_model
    from .plot import plot_attention

    structures, errors = read_structures([target], file_format)
    if errors:
        raise click.ClickException(f'{errors[0].name}: {errors[0].reason}')
    model = load_model(model_path)
    fingerprint = diffraction_fingerprint(structures[0].atoms, model.metadata.fingerprint_parameters)
    maps = compute_attention(model, fingerprint[None], layer=layer, top_k=top_k)
    probabilities = model.predict_proba(fingerprint[None])[0]
    plot_attention(fingerprint, maps, 0, model.class_names, output, probabilities=probabilities)
    return model.class_names[int(maps.predicted_class[0])]


def _looks_like_node(identifier: str) -> bool:
    """A pk (digits) or a uuid or uuid prefix (hex digits and dashes)."""
    return re.fullmatch(r'\d+|[0-9a-fA-F-]{4,36}', identifier) is not None


def _load_node(identifier: str):
    """The node with pk ``identifier`` (digits) or uuid (or unambiguous uuid prefix)."""
    from aiida import orm
    from aiida.common.exceptions import NotExistent

    try:
        return orm.load_node(pk=int(identifier)) if identifier.isdigit() else orm.load_node(uuid=identifier)
    except NotExistent:
        raise click.ClickException(f'{identifier!r} is neither a file nor the pk/uuid of a stored node') from None


def _run_step(function: Any, **inputs: Any):
    """Run a CalcFunction; its output node, or a one-line error with its exit message."""
    result, node = function.run_get_node(**inputs)
    if not node.is_finished_ok:
        raise click.ClickException(f'{node.process_label}<{node.pk}> failed: {node.exit_message or node.exception}')
    return result


def _fingerprint_of(node: Any, model: Any):
    """The fingerprint ArrayData of ``node``: the node itself, or computed from a StructureData."""
    from aiida import orm

    from .calculations.functions import compute_fingerprint
    from .data import FINGERPRINT_ARRAY

    if isinstance(node, orm.StructureData):
        parameters = orm.Dict(model.base.attributes.get('fingerprint_parameters'))
        return _run_step(compute_fingerprint, structure=node, parameters=parameters)
    if isinstance(node, orm.ArrayData) and FINGERPRINT_ARRAY in node.get_arraynames():
        return node
    raise click.ClickException(
        f'node {node.pk} is a {type(node).__name__}, not a StructureData or a fingerprint ArrayData'
    )


def _attention_from_node(identifier: str, model_path: Path | None, output: Path, layer: int, top_k: int):
    """Attention maps of a stored node through the CalcFunctions (provenance kept); the maps node."""
    from aiida import orm

    from .calculations.functions import compute_attention_maps
    from .data import SymclfModelData

    node = _load_node(identifier)
    model = SymclfModelData.get_or_create(model_path)
    fingerprint = _fingerprint_of(node, model)
    maps = _run_step(
        compute_attention_maps,
        fingerprint=fingerprint,
        model=model,
        parameters=orm.Dict({'layer': layer, 'top_k': top_k}),
    )
    output.write_bytes(maps.base.repository.get_object_content('attention.png', mode='rb'))
    return maps


@click.command('attention')
@click.argument('target', metavar='FILE|NODE')
@click.option('-o', '--output', type=click.Path(path_type=Path, dir_okay=False), default=Path('attention.png'),
              show_default=True, help='PNG file to write.')  # fmt: skip
@click.option('-f', '--format', 'file_format', default=None, help='ase file format of FILE (default: guessed).')
@click.option('-m', '--model', 'model_path', type=click.Path(path_type=Path, dir_okay=False), default=None,
              help='Model file (default: the model shipped with the package).')  # fmt: skip
@click.option(
    '--layer', type=int, default=_ATTENTION_DEFAULTS.layer, show_default=True,
    help='Conv layer of the filter maps (negative: from the end).',
)  # fmt: skip
@click.option(
    '--top-k', type=click.IntRange(min=1), default=_ATTENTION_DEFAULTS.top_k, show_default=True,
    help='Number of strongest filters shown.',
)  # fmt: skip
@profile_options
@friendly_errors
def attention_command(
    target: str, output: Path, file_format: str | None, model_path: Path | None, layer: int, top_k: int,
    profile_name: str | None, yes: bool,
) -> None:  # fmt: skip
    """Write the attention-map PNG of a structure file or a stored node.

    The picture shows the attentive response maps of the classifier (cf. Fig. 5 of the paper).
    FILE|NODE is a structure file (first structure in it; computed with library calls, nothing
    stored) or the pk/uuid of a stored StructureData or fingerprint ArrayData (computed by the
    CalcFunctions, so the maps are stored with their provenance).
    """
    if not output.parent.is_dir():
        raise click.ClickException(f'cannot write {output}: the directory {output.parent} does not exist')
    if Path(target).exists():
        label = _attention_from_file(Path(target), file_format, model_path, output, layer, top_k)
        click.echo(f'wrote {output} (predicted class {label})')
        return
    if not _looks_like_node(target):
        raise click.ClickException(f'{target}: no such file')
    activate_profile(profile_name, yes, create=False)
    maps = _attention_from_node(target, model_path, output, layer, top_k)
    predicted = maps.base.attributes.get('class_names')[int(maps.get_array('predicted_class'))]
    click.echo(f'wrote {output} (predicted class {predicted}; maps stored as ArrayData<{maps.pk}>)')


# --------------------------------------------------------------------------------------------
# Query and models
# --------------------------------------------------------------------------------------------


@click.command('query')
@click.option('-l', '--label', default=None, help='Class label, e.g. fcc, bcc, hcp/rh (default: any).')
@click.option(
    '--min-probability', type=click.FloatRange(0, 1), default=0.0, show_default=True, help='Lowest probability.'
)
@click.option('--model-sha256', default=None, help='Only results of the model with this sha256.')
@click.option('--json', 'as_json', is_flag=True, help='Print JSON instead of a table.')
@profile_options
@friendly_errors
def query_command(
    label: str | None,
    min_probability: float,
    model_sha256: str | None,
    as_json: bool,
    profile_name: str | None,
    yes: bool,
) -> None:
    """List stored structures by class and probability.

    Shows the structures classified as LABEL with at least MIN_PROBABILITY.
    Uses the extras that the WorkChain sets on every structure it classified
    (aiida_symclf.query.classified_structures).
    """
    from .query import classified_structures
    from .workchain import EXTRA_PREFIX

    activate_profile(profile_name, yes, create=False)
    rows = [
        {
            'pk': node.pk,
            'name': node.label,
            'formula': node.get_formula(),
            'label': node.base.extras.get(f'{EXTRA_PREFIX}label'),
            'probability': node.base.extras.get(f'{EXTRA_PREFIX}probability'),
        }
        for node in classified_structures(label, min_probability, model_sha256)
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    elif rows:
        table = [[r['pk'], r['name'], r['formula'], r['label'], f'{r["probability"]:.3f}'] for r in rows]
        click.echo(_table(table, ['pk', 'name', 'formula', 'label', 'probability']))
    else:
        click.echo('no classified structure matches', err=True)


@click.command('models')
@click.option('--json', 'as_json', is_flag=True, help='Print JSON instead of a table.')
@profile_options
@friendly_errors
def models_command(as_json: bool, profile_name: str | None, yes: bool) -> None:
    """List the classifier models stored in the profile.

    These are the SymclfModelData nodes: pk, sha256, file name, classes and the validation
    accuracy recorded at training time.
    """
    from .query import stored_models

    activate_profile(profile_name, yes, create=False)
    rows = [
        {
            'pk': node.pk,
            'sha256': node.sha256,
            'filename': node.filename,
            'classes': node.class_names,
            'validation_accuracy': (node.base.attributes.get('training') or {}).get('validation_accuracy'),
        }
        for node in stored_models()
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    elif rows:
        table = [
            [r['pk'], r['sha256'][:12], r['filename'], ', '.join(r['classes']),
             '-' if r['validation_accuracy'] is None else f'{r["validation_accuracy"]:.4f}']
            for r in rows
        ]  # fmt: skip
        click.echo(_table(table, ['pk', 'sha256', 'file', 'classes', 'validation accuracy']))
    else:
        click.echo('no model stored yet (classify something first)', err=True)


# --------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------


def _check_levels(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """Validate ``--levels`` with :meth:`aiida_symclf.perturb.PerturbationLevel.parse_list`."""
    from .perturb import PerturbationLevel

    if value is None:
        return None
    try:
        PerturbationLevel.parse_list(value)
    except ValueError as exception:
        raise click.BadParameter(str(exception)) from None
    return value


@click.command('train')
@click.option('-o', '--output', type=click.Path(path_type=Path, dir_okay=False), default=Path('symclf-model.pt'),
              show_default=True, help='Model file to write.')  # fmt: skip
@click.option('--seed', type=int, default=0, show_default=True, help='Seed of data generation and training.')
@click.option(
    '--n-per-class',
    type=click.IntRange(min=1),
    default=None,
    help='Training prototypes per class (default: as train.py).',
)
@click.option('--epochs', type=click.IntRange(min=1), default=None, help='Training epochs (default: as train.py).')
@click.option('--levels', default=None, callback=_check_levels,
              help="PerturbationLevel levels 'delta:eta,...' or 'pristine' (the paper's protocol); default: as train.py.")  # fmt: skip
@click.option(
    '--cache-dir',
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help='Cache generated fingerprints here.',
)
@click.option('--store', is_flag=True, help='Also store the model in the profile as a SymclfModelData node.')
@profile_options
@friendly_errors
def train_command(
    output: Path, seed: int, n_per_class: int | None, epochs: int | None, levels: str | None, cache_dir: Path | None,
    store: bool, profile_name: str | None, yes: bool,
) -> None:  # fmt: skip
    """Train a classifier and write a model file.

    Wraps `python -m aiida_symclf.train`, with the same options. With the defaults this reproduces the shipped model (about 10 minutes on 2 CPU cores).
    """
    from .train import main as train_main

    argv = ['--output', str(output), '--seed', str(seed)]
    for flag, value in (
        ('--n-per-class', n_per_class),
        ('--epochs', epochs),
        ('--levels', levels),
        ('--cache-dir', cache_dir),
    ):
        if value is not None:
            argv += [flag, str(value)]
    status = train_main(argv)
    if status:
        raise click.exceptions.Exit(status)
    if store:
        from .data import SymclfModelData

        activate_profile(profile_name, yes)
        node = SymclfModelData.get_or_create(output)
        click.echo(f'stored as SymclfModelData<{node.pk}> (sha256 {node.sha256[:12]})')


# --------------------------------------------------------------------------------------------
# The two groups
# --------------------------------------------------------------------------------------------

COMMANDS = (classify_command, attention_command, query_command, models_command, train_command)

_GROUP_HELP = f"""Classify crystal structures from their diffraction fingerprints (Ziletti et al. 2018).

Profile: commands that store or query use, in this order, the profile given with --profile,
the profile already loaded (under `verdi data symclf`: verdi's), or the embedded sqlite profile
{DEFAULT_PROFILE_NAME!r}. That one is created when first needed: without asking if AIIDA_PATH is set;
otherwise it would go into ~/.aiida, so only with --yes or after a yes at the prompt.
`classify --library` and `attention FILE` use no database at all.
"""


def _make_group(name: str, with_version: bool) -> click.Group:
    group = click.Group(
        name=name, help=_GROUP_HELP, commands=list(COMMANDS), context_settings={'help_option_names': ['-h', '--help']}
    )
    if with_version:
        group = click.version_option(__version__, '--version', package_name='aiida-symclf')(group)
    return group


#: The console script ``aiida-symclf``.
cli = _make_group('aiida-symclf', with_version=True)
#: ``verdi data symclf``, loaded by ``verdi data`` from the ``aiida.cmdline.data`` entry point ``symclf``.
data_cli = _make_group('symclf', with_version=False)


if __name__ == '__main__':
    cli()
