"""Options shared by the commands, as aiida-pseudo does: reusable ``OverridableOption`` objects."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from aiida.cmdline.params.options.overridable import OverridableOption

from aiida_symclf.library.model import SHIPPED_MODELS, model_file_path
from aiida_symclf.utils.profile import DEFAULT_PROFILE_NAME

__all__ = ['FORMAT', 'JSON', 'MODEL', 'PROFILE', 'YES', 'profile_options']


class ModelFile(click.Path):
    """A model file's path, or the short name of a shipped model (``fast``), given as its path."""

    name = 'model'

    def __init__(self) -> None:
        super().__init__(path_type=Path, dir_okay=False)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Path:
        return super().convert(model_file_path(value), param, ctx)


MODEL = OverridableOption(
    '-m',
    '--model',
    'model_path',
    type=ModelFile(),
    default=None,
    help=f'Model file, or the name of a shipped model ({", ".join(SHIPPED_MODELS)}; default: default).',
)
FORMAT = OverridableOption(
    '-f',
    '--format',
    'file_format',
    default=None,
    help='ase file format (default: guessed from the file name and content).',
)
JSON = OverridableOption('--json', 'as_json', is_flag=True, help='Print JSON instead of a table.')
PROFILE = OverridableOption(
    '-p', '--profile', 'profile_name', metavar='NAME', default=None,
    help=f"AiiDA profile to use. Default: the loaded profile (under verdi: verdi's), else the embedded "
    f'sqlite profile {DEFAULT_PROFILE_NAME!r}.',
)  # fmt: skip
YES = OverridableOption(
    '-y', '--yes', is_flag=True,
    help=f'Create the embedded profile {DEFAULT_PROFILE_NAME!r} in ~/.aiida without asking (only asked when '
    'AIIDA_PATH is unset and the profile does not exist yet).',
)  # fmt: skip


def profile_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--profile`` and ``--yes``, shared by the commands that use the database."""
    return PROFILE()(YES()(command))
