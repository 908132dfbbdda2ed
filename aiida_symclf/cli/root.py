"""The two groups, ``aiida-symclf`` and ``verdi data symclf``, with the same commands."""

from __future__ import annotations

import click

from aiida_symclf import __version__
from aiida_symclf.cli.cmd_attention import attention_command
from aiida_symclf.cli.cmd_classify import classify_command
from aiida_symclf.cli.cmd_map import map_command
from aiida_symclf.cli.cmd_models import models_command
from aiida_symclf.cli.cmd_query import query_command
from aiida_symclf.cli.cmd_train import train_command
from aiida_symclf.utils.profile import DEFAULT_PROFILE_NAME

__all__ = ['cli', 'data_cli']

COMMANDS = (classify_command, map_command, attention_command, query_command, models_command, train_command)

_GROUP_HELP = f"""Classify crystal structures from their diffraction fingerprints (Ziletti et al. 2018).

Profile: commands that store or query use, in this order, the profile given with --profile,
the profile already loaded (under `verdi data symclf`: verdi's), or the embedded sqlite profile
{DEFAULT_PROFILE_NAME!r}. That one is created when first needed: without asking if AIIDA_PATH is set;
otherwise it would go into ~/.aiida, so only with --yes or after a yes at the prompt.
`classify --library`, `map --library` and `attention FILE` use no database at all.
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
