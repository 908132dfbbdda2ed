"""``python -m aiida_symclf.cli``: the ``aiida-symclf`` command."""

from aiida_symclf.cli.root import cli

cli()
