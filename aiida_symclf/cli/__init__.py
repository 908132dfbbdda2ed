"""Command line interface: ``aiida-symclf`` and ``verdi data symclf``.

Both expose the same commands (``classify``, ``map``, ``attention``, ``query``, ``models``, ``train``):
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

Layout (as aiida-pseudo's ``cli``): :mod:`.root` (the groups), :mod:`.params.options` (shared
options), one module per command (``cmd_classify``, ``cmd_map``, ``cmd_attention``, ``cmd_query``,
``cmd_models``, ``cmd_train``), and the helpers by concept: :mod:`.errors`, :mod:`.profiles`,
:mod:`.inputs`, :mod:`.interrupts`.
"""

from aiida_symclf.cli.inputs import read_structures
from aiida_symclf.cli.profiles import activate_profile, needs_consent
from aiida_symclf.cli.root import cli, data_cli

__all__ = ['activate_profile', 'cli', 'data_cli', 'needs_consent', 'read_structures']
