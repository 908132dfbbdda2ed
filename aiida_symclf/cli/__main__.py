"""``python -m aiida_symclf.cli``: the ``aiida-symclf`` command."""

from .root import cli

cli()
