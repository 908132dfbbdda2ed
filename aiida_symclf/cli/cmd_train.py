"""``train``: train a model with ``python -m aiida_symclf.library.train`` and optionally store it."""

from __future__ import annotations

from pathlib import Path

import click

from aiida_symclf.cli.errors import friendly_errors
from aiida_symclf.cli.params.options import profile_options
from aiida_symclf.cli.profiles import activate_profile


def _check_levels(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """Validate ``--levels`` with :meth:`aiida_symclf.library.perturb.PerturbationLevel.parse_list`."""
    from aiida_symclf.library.perturb import PerturbationLevel

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
@click.option('--classes', type=click.Choice(['elements', 'all']), default=None,
              help="The paper's elemental classes, or those and the compound classes (default: as train.py).")  # fmt: skip
@click.option('--kernel-size', type=click.Choice(['3', '5', '7']), default=None,
              help="Convolution kernels: the paper's 7, or 3 (~5x less arithmetic); default: as train.py.")  # fmt: skip
@click.option('--input-pool', type=click.Choice(['1', '2']), default=None,
              help='2: a 2x2 max-pool on the input, the layers run on 32x32 (~4x less arithmetic); default: as train.py.')  # fmt: skip
@click.option('--init-from', type=click.Path(path_type=Path, dir_okay=False, exists=True), default=None,
              help='Model file whose weights the training starts from.')  # fmt: skip
@click.option('--nonpositive-conv-bias', is_flag=True,
              help='Keep conv biases <= 0: no unit fires on an empty background (readable attention maps).')  # fmt: skip
@click.option('--activity-penalty', type=click.FloatRange(min=0.0), default=None,
              help='Weight of the L1 penalty on the mean conv activation (sparser units); default: as train.py.')  # fmt: skip
@click.option('--store', is_flag=True, help='Also store the model in the profile as a SymclfModelData node.')
@profile_options
@friendly_errors
def train_command(
    output: Path, seed: int, n_per_class: int | None, epochs: int | None, levels: str | None, cache_dir: Path | None,
    classes: str | None, kernel_size: str | None, input_pool: str | None, init_from: Path | None, nonpositive_conv_bias: bool,
    activity_penalty: float | None, store: bool, profile_name: str | None, yes: bool,
) -> None:  # fmt: skip
    """Train a classifier and write a model file.

    Wraps `python -m aiida_symclf.library.train`, with the same options. The command that reproduces a
    shipped model is recorded in its metadata (`aiida-symclf models`).
    """
    from aiida_symclf.library.train import main as train_main

    argv = ['--output', str(output), '--seed', str(seed)]
    for flag, value in (
        ('--n-per-class', n_per_class),
        ('--epochs', epochs),
        ('--levels', levels),
        ('--cache-dir', cache_dir),
        ('--classes', classes),
        ('--kernel-size', kernel_size),
        ('--input-pool', input_pool),
        ('--init-from', init_from),
        ('--activity-penalty', activity_penalty),
    ):
        if value is not None:
            argv += [flag, str(value)]
    if nonpositive_conv_bias:
        argv.append('--nonpositive-conv-bias')
    status = train_main(argv)
    if status:
        raise click.exceptions.Exit(status)
    if store:
        from aiida_symclf.data import SymclfModelData

        activate_profile(profile_name, yes)
        node = SymclfModelData.get_or_create(output)
        click.echo(f'stored as SymclfModelData<{node.pk}> (sha256 {node.sha256[:12]})')
