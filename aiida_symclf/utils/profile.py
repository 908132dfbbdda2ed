"""The embedded AiiDA profile: ``core.sqlite_dos`` storage, no broker, no services needed.

``python -m aiida_symclf.utils.profile [--name NAME]`` creates the profile if it is missing (in the
AiiDA configuration directory chosen by ``AIIDA_PATH``; the README's commands point that at
``<repo>/.aiida`` so the user's own ``~/.aiida`` is untouched) and prints its name. Running it
again reuses the profile.

Without a broker a WorkChain learns that its child process ended by polling, every
``runner.poll.interval`` seconds (aiida-core's default: 60). A chain of nested WorkChains (a
relaxation, then the classification) would wait about a minute after each child; the embedded
profile sets the interval to :data:`POLL_INTERVAL_S` (on creation, and on an older profile of
ours that still has the default). ``verdi -p symclf config set runner.poll.interval N`` changes it.

For many structures and daemon workers use a ``core.psql_dos`` profile with RabbitMQ instead
(``scripts/services.sh``, ``docs/scaling.rst``).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from aiida import load_profile
from aiida.manage.configuration import create_profile, get_config

__all__ = ['DEFAULT_PROFILE_NAME', 'POLL_INTERVAL_S', 'ensure_embedded_profile']

DEFAULT_PROFILE_NAME = 'symclf'
#: Seconds between polls of a child process on the embedded profile (no broker to tell the parent).
POLL_INTERVAL_S = 1


def ensure_embedded_profile(name: str = DEFAULT_PROFILE_NAME, load: bool = True):
    """Create (once) and optionally load a ``core.sqlite_dos`` profile without a broker."""
    config = get_config(create=True)
    if name not in config.profile_names:
        storage = Path(config.dirpath) / 'storage' / name
        create_profile(
            config,
            storage_backend='core.sqlite_dos',
            storage_config={'filepath': str(storage)},
            broker_backend=None,
            name=name,
            email=f'{name}@localhost',
        )
        if config.default_profile_name is None:
            config.set_default_profile(name)
        config.store()
    _set_poll_interval(config, name)
    return load_profile(name, allow_switch=True) if load else config.get_profile(name)


def _set_poll_interval(config, name: str) -> None:
    """``runner.poll.interval`` of profile ``name`` to :data:`POLL_INTERVAL_S` unless set already."""
    profile = config.get_profile(name)
    if 'runner.poll.interval' not in profile.options:
        config.set_option('runner.poll.interval', POLL_INTERVAL_S, scope=name)
        config.store()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m aiida_symclf.utils.profile', description=__doc__.splitlines()[0])
    parser.add_argument('--name', default=DEFAULT_PROFILE_NAME, help='profile name (default: %(default)s)')
    args = parser.parse_args(argv)
    profile = ensure_embedded_profile(args.name, load=False)
    print(profile.name)
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
