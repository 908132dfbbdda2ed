"""Sphinx directives that render tables and help texts from the code and the benchmark results.

- ``.. symclf-classes:: [MODEL]``: a shipped model's classes, from its file's metadata (``:only-new:``:
  those that are not built in, e.g. the AFLOW model's 238).
- ``.. symclf-accuracy::``: the accuracy table (and the bcc -> sc crossover) from
  ``benchmarks/results/accuracy.json``; a short note instead when that file does not exist yet,
  so the build stays free of warnings.
- ``.. symclf-userpath::``: the user-path benchmark (inputs built as users have them, the
  ``unknown`` rate on structures of no class) from ``benchmarks/results/userpath.json``.
- ``.. symclf-attention-peaks::``: the last conv layer's peak concentration per model, input and
  projection rule, from ``benchmarks/results/attention_peaks.json``.
- ``.. symclf-attention-faithfulness::``: the class maps' deletion test per model, from
  ``benchmarks/results/attention_faithfulness.json``.
- ``.. symclf-training::``: the training record stored in the shipped model file (command,
  seed, dataset size, accuracies, data hash).
- ``.. symclf-click:: GROUP_PATH PROG``: the ``--help`` text of a click group and of each of its
  commands, e.g. ``.. symclf-click:: aiida_symclf.cli:cli aiida-symclf``.

Everything is generated in memory at build time, so the docs cannot drift from the code and no
generated file lands in the repository.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

ROOT = Path(__file__).resolve().parents[2]
ACCURACY_JSON = ROOT / 'benchmarks' / 'results' / 'accuracy.json'
USERPATH_JSON = ROOT / 'benchmarks' / 'results' / 'userpath.json'
ATTENTION_JSON = ROOT / 'benchmarks' / 'results' / 'attention_peaks.json'
FAITHFULNESS_JSON = ROOT / 'benchmarks' / 'results' / 'attention_faithfulness.json'
METHOD_LABELS = {
    'ours': 'elemental model',
    'pristine_only': 'pristine-only model',
    'spglib_loose': 'spglib loose',
    'spglib_tight': 'spglib tight',
}


def list_table(header: Sequence[str], rows: Sequence[Sequence[str]], widths: str = 'auto') -> list[str]:
    """reST ``list-table`` lines for ``header`` and ``rows`` (cells are inline reST)."""
    lines = ['.. list-table::', '   :header-rows: 1', f'   :widths: {widths}', '']
    for row in [header, *rows]:
        lines.append(f'   * - {row[0]}')
        lines.extend(f'     - {cell}' for cell in row[1:])
    return lines


def classes_lines(model: str = 'default', only_new: bool = False) -> list[str]:
    """The class table of the shipped model ``model``, from its file's metadata: label, kind, AFLOW
    labels and Strukturbericht, space groups, example, sampled ranges (``only_new``: the classes
    that are not built in)."""
    from aiida_symclf.library.catalogue import CLASSES, class_by_name
    from aiida_symclf.library.model import load_model

    names = load_model(model).class_names  # registers the file's own classes
    builtin = {c.name for c in CLASSES}
    known = class_by_name()
    rows = [
        [
            f'``{c.name}``',
            c.kind,
            ', '.join(f'``{form.aflow_prototype}`` ({form.strukturbericht or "-"})' for form in c.forms),
            ', '.join(str(g) for g in c.space_groups),
            c.prototype,
            c.parameter_ranges,
        ]
        for c in (known[name] for name in names if not (only_new and name in builtin))
    ]
    return list_table(
        ['class', 'kind', 'AFLOW prototype (Strukturbericht)', 'space groups', 'example', 'sampled parameters'], rows
    )


def _percent(value: float | None) -> str:
    return '-' if value is None else f'{100 * value:.1f}'


def accuracy_lines(report: dict[str, Any]) -> list[str]:
    """Accuracy (%) per defect level and method, then the bcc -> sc crossover, from the benchmark report."""
    methods = [m for m in METHOD_LABELS if report['levels'] and m in report['levels'][0]['accuracy']]
    rows = [
        [level['name'], str(level['n'])] + [_percent(level['accuracy'].get(m)) for m in methods]
        for level in report['levels']
    ]
    settings = report.get('settings', {})
    lines = [
        f'Accuracy in percent on held-out structures ({settings.get("n_per_class", "?")} per class and level, '
        f'structure seed {settings.get("structure_seed", "?")}); wall time {report.get("wall_seconds", "?")} s.',
        '',
        *list_table(['level', 'n', *(METHOD_LABELS[m] for m in methods)], rows),
        '',
    ]
    curve = report.get('bcc_to_sc')
    if curve:
        for method in ('ours', 'pristine_only'):
            if method in curve:
                point = curve[method].get('crossover')
                where = 'never' if point is None else f'at {100 * point:.1f}% of the body-centre atoms removed'
                lines += [f'- bcc -> sc crossover, {METHOD_LABELS[method]}: {where}.']
        lines.append('')
    return lines


def userpath_lines(report: dict[str, Any]) -> list[str]:
    """User-path benchmark: per group of inputs, accuracy, ``unknown`` rate and spglib (loose)."""
    rows = [
        [name, group['set'], str(group['n']), f'{group["accuracy"]:.1f}', f'{group["unknown_rate"]:.1f}',
         '-' if not group['spglib_n'] else f'{group["spglib_loose_accuracy"]:.1f} ({group["spglib_n"]})']
        for name, group in report['groups'].items()
    ]  # fmt: skip
    workchain = report['workchain']
    return [
        f'``{report["command"]}`` (seed {report["seed"]}, {report["per_class_and_level"]} per class and level, '
        f'{report["structures"]} structures, {report["seconds"]:.0f} s):',
        '',
        *list_table(['inputs', 'set', 'n', 'right %', 'unknown %', 'spglib 0.1 Å right % (n)'], rows),
        '',
        f'Expected calibration error of the network probability (in-class and MD inputs): {report["ece"]:.4f}. '
        f'Uncertainty (mutual information) quantiles 50/90/99/100%: in-class '
        f'{report["uncertainty_quantiles"]["in-class"]}, out-of-class {report["uncertainty_quantiles"]["out-of-class"]}. '
        f'The same {workchain["n"]} structures through the WorkChain: exit status {workchain["exit_status"]}, '
        f'{workchain["agree_with_library"]} labels as on the library path.',
        '',
    ]


#: Figures written by ``benchmarks/accuracy.py`` next to its JSON report, with their captions.
BENCHMARK_FIGURES = {
    'confusion.png': 'Confusion matrix of the shipped model over all defect levels.',
    'accuracy_vs_defects.png': 'Accuracy against the displacement and vacancy levels.',
    'bcc_to_sc.png': 'Probabilities of bcc and sc as the body-centre atoms of a bcc block are removed.',
}


def figure_lines(directory: Path) -> list[str]:
    """``figure`` directives for the benchmark figures that exist in ``directory``."""
    lines = []
    for name, caption in BENCHMARK_FIGURES.items():
        if (directory / name).is_file():
            relative = Path('/..') / (directory / name).relative_to(ROOT)  # '/' is the docs directory
            lines += [f'.. figure:: {relative.as_posix()}', '   :width: 80%', '', f'   {caption}', '']
    return lines


def _levels(levels: list, antisites: bool = False) -> str:
    """``(delta, eta[, antisites]), ...`` of perturbation levels stored as dictionaries (or pairs in older files)."""
    if not levels:
        return '-'
    cells = []
    for level in levels:
        values = (
            [level['displacement'], level['vacancy_fraction']]
            + ([level.get('antisite_fraction', 0.0)] if antisites else [])
            if isinstance(level, dict)
            else list(level)
        )
        cells.append('(' + ', '.join(f'{value:g}' for value in values) + ')')
    return ', '.join(cells)


def training_lines() -> list[str]:
    """The shipped model's training record, read from the model file's metadata."""
    from aiida_symclf.library.model import file_sha256, load_model, shipped_model_path

    training = load_model().metadata.training
    config = training.get('config', {})
    rows = [
        ['command', f'``{training.get("command", "?")}``'],
        ['seed', str(config.get('seed', '?'))],
        ['defect levels, elemental classes (delta, eta)', _levels(config.get('levels', []))],
        ['defect levels, compound classes (delta, eta, antisites)', _levels(config.get('compound_levels', []), True)],
        [
            'training / validation fingerprints',
            f'{training.get("n_training", "?")} / {training.get("n_validation", "?")}',
        ],
        [
            'epochs, batch size, learning rate',
            f'{config.get("epochs")}, {config.get("batch_size")}, {config.get("learning_rate")}',
        ],
        [
            'training / validation accuracy',
            f'{_percent(training.get("train_accuracy"))}% / {_percent(training.get("validation_accuracy"))}%',
        ],
        ['wall time (2 CPU cores, shared)', f'{training.get("seconds", "?")} s'],
        ['torch', str(training.get('torch_version', '?'))],
        ['training data sha256', f'``{training.get("training_data_sha256", "?")[:16]}...``'],
        ['model file sha256', f'``{file_sha256(shipped_model_path())[:16]}...``'],
    ]
    return list_table(['', 'shipped model'], rows, widths='40 60')


def missing_accuracy_lines() -> list[str]:
    return [
        '.. note::',
        '',
        '   The benchmark results (``benchmarks/results/accuracy.json``) are not there yet: run',
        '   ``python3 tasks.py bench`` (or ``python benchmarks/accuracy.py``) and rebuild the docs.',
        '',
    ]


def click_help_lines(group: click.Group, prog: str) -> list[str]:
    """A section per command with its ``--help`` text in a literal block."""
    lines = [f'``{prog}``', '~' * (len(prog) + 4), '', '.. code-block:: text', '']
    lines += ['   ' + line for line in _help(group, prog).splitlines()] + ['']
    for name in sorted(group.commands):
        title = f'{prog} {name}'
        lines += [f'``{title}``', '~' * (len(title) + 4), '', '.. code-block:: text', '']
        lines += ['   ' + line for line in _help(group.commands[name], title).splitlines()] + ['']
    return lines


def _help(command: click.Command, prog: str) -> str:
    with click.Context(command, info_name=prog, terminal_width=100, max_content_width=100) as context:
        return command.get_help(context)


class _GeneratedDirective(SphinxDirective):
    """Base: parse the reST lines returned by :meth:`lines` in place of the directive."""

    def lines(self) -> list[str]:
        raise NotImplementedError

    def run(self) -> list[nodes.Node]:
        container = nodes.section()  # a section may hold the sub-sections some directives make
        content = StringList(self.lines(), source=self.get_source_info()[0])
        nested_parse_with_titles(self.state, content, container, self.content_offset)
        return container.children


class ClassesDirective(_GeneratedDirective):
    """``.. symclf-classes:: [MODEL]`` (a shipped model, default ``default``); ``:only-new:`` leaves
    out the built-in classes."""

    optional_arguments = 1
    option_spec = {'only-new': lambda argument: True}

    def lines(self) -> list[str]:
        return classes_lines(self.arguments[0] if self.arguments else 'default', 'only-new' in self.options)


class AccuracyDirective(_GeneratedDirective):
    def lines(self) -> list[str]:
        self.env.note_dependency(str(ACCURACY_JSON))
        if not ACCURACY_JSON.is_file():
            return missing_accuracy_lines()
        return accuracy_lines(json.loads(ACCURACY_JSON.read_text())) + figure_lines(ACCURACY_JSON.parent)


class _BenchmarkDirective(_GeneratedDirective):
    """Base: a table made by ``table`` from the results JSON ``results`` of ``benchmarks/<script>``, or a
    note saying which benchmark to run when that file does not exist yet (the build stays free of warnings)."""

    results: Path
    script: str

    @staticmethod
    def table(report: dict[str, Any]) -> list[str]:
        raise NotImplementedError

    def lines(self) -> list[str]:
        self.env.note_dependency(str(self.results))
        if not self.results.is_file():
            return ['.. note::', '', f'   Run ``python benchmarks/{self.script}`` to fill in this table.', '']
        return self.table(json.loads(self.results.read_text()))


class UserPathDirective(_BenchmarkDirective):
    results, script, table = USERPATH_JSON, 'userpath.py', staticmethod(userpath_lines)


def attention_peak_lines(report: dict[str, Any]) -> list[str]:
    """One row per model, input and rule: the last conv layer's concentration per class and its minimum."""
    last_layer = report['last_layer']
    names = list(last_layer[0]['concentration'])
    rows = [
        [f'``{row["model"]}``', 'pristine' if not row['displacement'] else f'{row["displacement"]:.0%} displaced',
         row['rule'], *(f'{row["concentration"][name]:.2f}' for name in names), f'**{row["minimum"]:.2f}**']
        for row in last_layer
    ]  # fmt: skip
    header = ['model', 'inputs', 'rule', *(f'``{name}``' for name in names), 'min']
    intro = 'Last conv layer: share of the summed ``|filter map|`` of the top 4 filters on the peak pixels:'
    return [intro, '', *list_table(header, rows)]


class AttentionPeaksDirective(_BenchmarkDirective):
    results, script, table = ATTENTION_JSON, 'attention_peaks.py', staticmethod(attention_peak_lines)


def faithfulness_lines(report: dict[str, Any]) -> list[str]:
    """One row per model and kind of class map: the mean probability drops and the weakest class."""
    rows = [
        [f'``{row["model"]}``', row['method'], str(row['inputs']), f'**{row["top_drop"]:.3f}**',
         f'{row["random_drop"]:.3f}', f'{row["lowest_class"]} {row["per_class"][row["lowest_class"]]:.2f}',
         f'{row["seconds_per_input"]:.2f}']
        for row in report['rows']
    ]  # fmt: skip
    header = ['model', 'class maps', 'inputs', 'top 5% deleted', 'random 5%', 'weakest class', 's per input']
    levels = ', '.join(report['levels'])
    intro = f"Mean drop of the predicted class's probability, user-like inputs of every class ({levels}):"
    return [intro, '', *list_table(header, rows)]


class AttentionFaithfulnessDirective(_BenchmarkDirective):
    results, script, table = FAITHFULNESS_JSON, 'attention_faithfulness.py', staticmethod(faithfulness_lines)


class TrainingDirective(_GeneratedDirective):
    def lines(self) -> list[str]:
        return training_lines()


class ClickDirective(_GeneratedDirective):
    required_arguments = 2  # module:attribute of the group, program name

    def lines(self) -> list[str]:
        module, attribute = self.arguments[0].split(':')
        return click_help_lines(getattr(importlib.import_module(module), attribute), self.arguments[1])


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive('symclf-classes', ClassesDirective)
    app.add_directive('symclf-accuracy', AccuracyDirective)
    app.add_directive('symclf-userpath', UserPathDirective)
    app.add_directive('symclf-training', TrainingDirective)
    app.add_directive('symclf-attention-peaks', AttentionPeaksDirective)
    app.add_directive('symclf-attention-faithfulness', AttentionFaithfulnessDirective)
    app.add_directive('symclf-click', ClickDirective)
    return {'version': '1', 'parallel_read_safe': True, 'parallel_write_safe': True}
