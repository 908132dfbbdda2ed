"""Which AiiDA profile a command uses, and creating the embedded one only with consent."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from aiida_symclf.utils.profile import DEFAULT_PROFILE_NAME


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
    from aiida_symclf.utils.profile import ensure_embedded_profile

    return ensure_embedded_profile(target)
