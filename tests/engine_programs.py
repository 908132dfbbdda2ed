"""Shared helpers of the tests that run real engines (``pw.x``, ``lmp``): skip reasons, codes."""

from __future__ import annotations

import shutil

import pytest

from aiida_symclf.utils.pseudos import DEBIAN_UPF_FOLDER

INSTALL_HINT = 'install the Debian packages with `bash scripts/engines.sh` (as root; .ci/run does it)'


def require_program(name: str) -> str:
    """Path of ``name`` on PATH, or skip the test saying how to install it."""
    path = shutil.which(name)
    if path is None:
        pytest.skip(f'{name} not found: {INSTALL_HINT}')
    return path


def require_upf(element: str) -> None:
    """Skip unless Debian's quantum-espresso-data has a UPF file for ``element``."""
    if not DEBIAN_UPF_FOLDER.is_dir() or not any(DEBIAN_UPF_FOLDER.glob(f'{element}.*')):
        pytest.skip(f'no {element} UPF in {DEBIAN_UPF_FOLDER}: {INSTALL_HINT}')
