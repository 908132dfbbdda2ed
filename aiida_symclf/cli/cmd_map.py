"""``map``: local structure maps of structure files (which crystal is where), through the WorkChain or library calls."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from aiida_symclf.cli.errors import InputError, format_table, friendly_errors, one_line, report_errors
from aiida_symclf.cli.inputs import InputStructure, read_structures
from aiida_symclf.cli.interrupts import deferred_interrupts, interrupted_exit, run_until_interrupted, store_structures
from aiida_symclf.cli.params.options import FORMAT, JSON, MODEL, profile_options
from aiida_symclf.cli.profiles import activate_profile
from aiida_symclf.cli.progress import progress_bars
from aiida_symclf.library.checkpoints import checkpoint, listening

#: Entry point of the WorkChain that maps without --library.
MAP_WORKFLOW = 'symclf.map'
#: A map's progress bar appears only once the map has taken this long (seconds): small maps stay quiet.
BAR_DELAY = 1.0
#: Digits of the per-atom probabilities in the JSON output and the extended XYZ file.
PROBABILITY_DIGITS = 4


@dataclasses.dataclass
class MapResult:
    """The map of one input structure: its window arrays (for the figures), the per-atom answers and
    the summary; ``pk`` and ``workchain`` when it was made by the WorkChain."""

    item: InputStructure
    local_map: Any  # aiida_symclf.library.local_map.LocalMap
    pk: int | None = None
    workchain: int | None = None
    files: dict[str, str] = dataclasses.field(default_factory=dict)


class MapProgress:
    """The ``progress(done, total)`` callback of one map: a tqdm bar of windows on stderr, drawn
    only if ``show`` and only after :data:`BAR_DELAY` seconds (long maps)."""

    def __init__(self, name: str, show: bool) -> None:
        self.name, self.show, self.bar = name, show, None

    def __call__(self, done: int, total: int) -> None:
        if not self.show:
            return
        if self.bar is None:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc=f'mapping {self.name}', unit='window', file=sys.stderr, delay=BAR_DELAY)
        self.bar.update(max(0, done - self.bar.n))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _map_parameters(box: float | None, stride: float | None):
    """The :class:`MapParameters` of the options; a one-line error (exit 1) naming every bad value."""
    from aiida_symclf.library.local_map import MapParameters

    parameters = MapParameters(box=box, stride=stride)
    problems = parameters.errors()
    if problems:
        raise click.ClickException('; '.join(f'--{problem}' for problem in problems))
    return parameters


def map_library(
    structures: Sequence[InputStructure],
    model_path: Path | None,
    parameters: Any,
    show_progress: bool,
    device: str | None = None,
) -> tuple[list[MapResult], list[InputError]]:
    """Map with plain library calls (nothing stored): one result per mapped structure, and failures
    (a structure too small for its box, ...: :class:`~aiida_symclf.library.errors.StructureError`)."""
    from aiida_symclf.library.local_map import map_structure
    from aiida_symclf.library.model import load_model

    model = load_model(model_path, device=device)
    results, errors = [], []
    for item in structures:
        checkpoint()
        bar = MapProgress(item.name, show_progress)
        try:
            local_map = map_structure(item.atoms, model, parameters, progress=bar)
        except ValueError as exception:  # StructureError is a ValueError
            error = InputError(item.name, f'cannot be mapped: {one_line(exception)}')
            report_errors([error])  # at once: the other maps may take a while
            errors.append(error)
            continue
        finally:
            bar.close()
        results.append(MapResult(item, local_map))
    return results, errors


def _workchain_failure(process: Any) -> str:
    """Why the WorkChain gave no map: the reason it recorded for the structure, else its exit message."""
    summary = process.outputs.summary.get_dict() if 'summary' in process.outputs else {}
    reasons = list((summary.get('failures') or {}).values())
    if reasons:
        return f'cannot be mapped: {reasons[0]}'
    return (
        f'not mapped: {process.process_label}<{process.pk}> ended with exit status {process.exit_status} '
        f'({process.exit_message or "no message"}); see `verdi process report {process.pk}`'
    )


def map_workchain(
    structures: Sequence[InputStructure],
    model_path: Path | None,
    parameters: Any,
    show_progress: bool = False,
    verbose: bool = False,
) -> tuple[list[MapResult], list[InputError], list[Any]]:
    """Map through the ``symclf.map`` WorkChain in the loaded profile, one run per structure (frame).

    Returns the results (with the structure's and the WorkChain's pk), failures, and the WorkChain
    nodes. The bars: storing the inputs (in atoms), then each map's windows, from the checkpoints
    of :func:`~aiida_symclf.library.local_map.map_structure` inside the WorkChain (stage ``map``
    counted in windows; the WorkChain's own ``map`` checkpoints count its one structure).
    """
    from aiida import orm
    from aiida.common.exceptions import MissingEntryPointError
    from aiida.plugins import WorkflowFactory

    from aiida_symclf.cli.cmd_classify import _structure_node, quiet_process_reports
    from aiida_symclf.data import SymclfModelData

    try:
        workflow = WorkflowFactory(MAP_WORKFLOW)
    except MissingEntryPointError:
        raise click.ClickException(
            f'the map WorkChain ({MAP_WORKFLOW!r}) is not installed in this environment; use --library'
        ) from None
    model = SymclfModelData.get_or_create(model_path)
    nodes = []
    for item in structures:
        checkpoint()
        nodes.append(_structure_node(item))
    with progress_bars(show_progress):
        store_structures(nodes, [len(item.atoms) for item in structures])  # undone if interrupted
    given = {name: value for name, value in dataclasses.asdict(parameters).items() if value is not None}
    extra = {'parameters': orm.Dict(given)} if given else {}
    results, errors, processes = [], [], []
    for item, node in zip(structures, nodes, strict=True):
        bar = MapProgress(item.name, show_progress)

        def windows(stage: str, done: int, total: int, bar: MapProgress = bar) -> None:
            if stage == 'map' and total > 1:
                bar(done, total)

        try:
            with quiet_process_reports(not verbose), listening(windows):
                process = run_until_interrupted(workflow, structure=node, model=model, **extra)
        finally:
            bar.close()
        processes.append(process)
        if process.is_excepted:
            raise click.ClickException(f'{process.process_label}<{process.pk}> excepted: {one_line(process.exception)}')
        maps = process.outputs.maps if 'maps' in process.outputs else {}
        if not maps:
            error = InputError(item.name, _workchain_failure(process))
            report_errors([error])
            errors.append(error)
            continue
        map_node = next(iter(maps.values()))
        results.append(MapResult(item, map_node.local_map(), pk=node.pk, workchain=process.pk))
    return results, errors, processes


# --------------------------------------------------------------------------------------------
# Output files
# --------------------------------------------------------------------------------------------


def _stem(item: InputStructure) -> str:
    """Output file names of a structure: the input file's name, and its frame in a multi-frame file."""
    return item.path.name if item.frame is None else f'{item.path.name}_frame{item.frame}'


def write_labelled_structure(result: MapResult, path: Path) -> Path:
    """Extended XYZ of the structure with the per-atom arrays ``symclf_label`` (strings) and
    ``symclf_probability``, and the map's box, stride and majority label in its info (ase and OVITO read it)."""
    import ase.io
    import numpy as np

    atoms = result.item.atoms.copy()
    atoms.calc = None
    atoms.set_array('symclf_label', np.array(result.local_map.atom_labels, dtype=str))
    atoms.set_array(
        'symclf_probability', np.round(np.asarray(result.local_map.atom_probabilities, dtype=float), PROBABILITY_DIGITS)
    )
    atoms.info.update(
        {
            'symclf_majority_label': result.local_map.majority_label,
            'symclf_box': round(float(result.local_map.box), 3),
            'symclf_stride': round(float(result.local_map.stride), 3),
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    ase.io.write(path, atoms, format='extxyz')
    return path


def write_outputs(results: Sequence[MapResult], folder: Path) -> list[Path]:
    """Per structure ``<file>[_frameN]_map.png`` and ``<file>[_frameN]_map.extxyz``; per multi-frame
    file ``<file>_fractions.png`` (fraction of atoms per label against frame). Returns the paths."""
    from aiida_symclf.library.plot import plot_local_map, plot_map_fractions

    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    by_file: dict[Path, list[MapResult]] = {}
    for result in results:
        checkpoint()
        stem = _stem(result.item)
        title = result.item.name
        result.files['map_png'] = str(plot_local_map(result.local_map, folder / f'{stem}_map.png', title=title))
        result.files['extxyz'] = str(write_labelled_structure(result, folder / f'{stem}_map.extxyz'))
        written += [Path(result.files['map_png']), Path(result.files['extxyz'])]
        if result.item.frame is not None:
            by_file.setdefault(result.item.path, []).append(result)
    for path, frames in by_file.items():
        rows = [(result.item.frame, result.local_map.fractions) for result in frames]
        class_names = frames[0].local_map.class_names
        figure = plot_map_fractions(rows, folder / f'{path.name}_fractions.png', class_names, title=path.name)
        for result in frames:
            result.files['fractions_png'] = str(figure)
        written.append(figure)
    return written


# --------------------------------------------------------------------------------------------
# Printing
# --------------------------------------------------------------------------------------------


def map_record(result: MapResult) -> dict[str, Any]:
    """The JSON record of one map: the file and frame, the summary and the label of every atom."""
    import numpy as np

    local_map = result.local_map
    summary = local_map.summary()
    return {
        'file': str(result.item.path),
        'frame': result.item.frame if result.item.frame is not None else 0,
        'n_atoms': len(local_map.atom_labels),
        'windows': summary['windows'],
        'grid': summary['grid'],
        'box': summary['box'],
        'stride': summary['stride'],
        'majority_label': summary['majority_label'],
        'fractions': summary['fractions'],
        'regions': summary['regions'],
        'atom_labels': list(local_map.atom_labels),
        'atom_probabilities': np.round(
            np.asarray(local_map.atom_probabilities, dtype=float), PROBABILITY_DIGITS
        ).tolist(),
        'pk': result.pk,
        'workchain': result.workchain,
        'files': dict(result.files),
    }


def _fractions_cell(fractions: dict[str, float]) -> str:
    return ', '.join(f'{label} {value:.2f}' for label, value in sorted(fractions.items(), key=lambda kv: -kv[1]))


def _print_map_table(results: Sequence[MapResult]) -> None:
    with_pk = any(result.workchain is not None for result in results)
    headers = ['file', 'frame', 'atoms', 'windows', 'majority', 'fractions of atoms'] + (['pk'] if with_pk else [])
    rows = []
    for result in results:
        local_map = result.local_map
        rows.append(
            [
                str(result.item.path),
                '-' if result.item.frame is None else str(result.item.frame),
                str(len(local_map.atom_labels)),
                f'{len(local_map.labels)} ({"x".join(map(str, local_map.grid))})',
                local_map.majority_label,
                _fractions_cell(local_map.fractions),
            ]
            + ([str(result.workchain)] if with_pk else [])
        )
    click.echo(format_table(rows, headers))


def _what_is_stored(processes: Sequence[Any]) -> str:
    if not processes:
        return 'nothing was stored'
    return f'the {len(processes)} finished map WorkChains are stored'


@click.command('map')
@click.argument('files', nargs=-1, required=True, type=click.Path(path_type=Path))
@FORMAT()
@MODEL()
@JSON(help='Print a JSON list, one record per structure (per frame), with the label of every atom.')
@click.option('--library', '--no-store', 'library', is_flag=True,
              help='Map with plain library calls: no database, no profile, nothing stored.')  # fmt: skip
@click.option('--box', type=float, default=None, metavar='A',
              help='Diameter of each window in Angstrom (default: a sphere that holds about 180 atoms).')  # fmt: skip
@click.option('--stride', type=float, default=None, metavar='A',
              help='Spacing of the window centres in Angstrom (default: half the box).')  # fmt: skip
@click.option('-o', '--output', 'output', type=click.Path(file_okay=False, path_type=Path), default=None,
              metavar='DIR',
              help='Write DIR/<file>[_frameN]_map.png (label and uncertainty per window, a slice of the grid), '
              'DIR/<file>[_frameN]_map.extxyz (per-atom symclf_label and symclf_probability) and, for a file with '
              'several frames, DIR/<file>_fractions.png (fractions against frame).')  # fmt: skip
@click.option('--device', default=None, metavar='DEVICE',
              help='torch device for --library, e.g. cpu or cuda (default: CUDA when available, else the CPU).')  # fmt: skip
@click.option('--progress/--no-progress', default=None,
              help='Progress bars on stderr (default: when stderr is a terminal); a map\'s bar appears once it '
              'has taken a second.')  # fmt: skip
@click.option('-v', '--verbose', is_flag=True, help="Show the WorkChain's process reports.")
@profile_options
@friendly_errors
def map_command(
    files: tuple[Path, ...], file_format: str | None, model_path: Path | None, as_json: bool, library: bool,
    box: float | None, stride: float | None, output: Path | None, device: str | None, progress: bool | None,
    verbose: bool, profile_name: str | None, yes: bool,
) -> None:  # fmt: skip
    """Map which crystal is where in the structures read from FILES.

    For structures that are more than one crystal (polycrystals, interfaces, slabs, a crystal
    next to its melt), where `classify` answers `unknown`: windows on a grid of the cell are
    classified one by one (the same fingerprint and network), and every atom takes the label of
    its window: a class, `unknown` (a boundary, a disordered region) or, only where every window
    is empty, `vacuum`. The table gives per structure the atoms, the windows (grid), the label
    of most atoms and the fraction of the atoms per label; --json adds the label of every atom,
    in the file's order, and the crystalline regions with their orientations.

    By default the structures are stored and mapped by the LocalMapWorkChain (symclf.map), one
    run per structure; --library maps with plain library calls and stores nothing. A file that
    holds several structures gives one map per frame. Files that cannot be read, and structures
    that cannot be mapped (e.g. too few atoms for the box), are reported one line each on
    stderr; the others are still mapped, and the exit status is then 1.
    """
    parameters = _map_parameters(box, stride)
    show = progress if progress is not None else sys.stderr.isatty()
    processes: list[Any] = []
    with deferred_interrupts():
        with progress_bars(show):
            try:
                structures, errors = read_structures(files, file_format)
            except KeyboardInterrupt:
                raise interrupted_exit('while reading the files; nothing was stored.') from None
        report_errors(errors)
        results: list[MapResult] = []
        if structures and library:
            try:
                results, failures = map_library(structures, model_path, parameters, show, device)
            except KeyboardInterrupt:
                raise interrupted_exit('nothing was stored.') from None
        elif structures:
            activate_profile(profile_name, yes)
            results, failures, processes = map_workchain(structures, model_path, parameters, show, verbose)
        else:
            failures = []
        errors += failures
        if output is not None and results:
            try:
                written = write_outputs(results, output)
            except KeyboardInterrupt:
                raise interrupted_exit(f'while writing the figures; {_what_is_stored(processes)}.') from None
        else:
            written = []
    if as_json:
        click.echo(json.dumps([map_record(result) for result in results], indent=2))
    elif results:
        _print_map_table(results)
        if processes:
            click.echo(f'\n{len(processes)} LocalMapWorkChain run(s); maps stored as their `maps` outputs.')
    for path in written:
        click.echo(f'wrote {path}', err=as_json)
    if errors:
        raise click.exceptions.Exit(1)
