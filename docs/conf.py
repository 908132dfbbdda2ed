"""Sphinx configuration of the aiida-symclf documentation.

Build: ``python3 tasks.py docs``, or ``python -m sphinx -W --keep-going -b html docs docs/_build/html``.
Nothing is mocked: the package and its dependencies import normally.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / '_ext'))

import aiida_symclf  # noqa: E402


def load_temporary_profile() -> None:
    """Load an in-memory AiiDA profile: ``aiida.sphinxext`` builds process specs, which needs one.

    ``core.sqlite_temp`` storage lives in a temporary directory and is not written to any
    AiiDA configuration, so building the docs never creates or changes a user's profile.
    """
    from aiida import load_profile
    from aiida.storage.sqlite_temp import SqliteTempBackend

    load_profile(SqliteTempBackend.create_profile('symclf-docs'), allow_switch=True)


load_temporary_profile()

project = 'aiida-symclf'
author = 'The aiida-symclf developers'
copyright = '2025, The aiida-symclf developers'
release = aiida_symclf.__version__
version = release

extensions = [
    'sphinx.ext.autodoc',
    'sphinx.ext.napoleon',
    'sphinx.ext.mathjax',
    'sphinx.ext.viewcode',
    'aiida.sphinxext',
    'symclf_docs',
]

nitpicky = False
exclude_patterns = ['_build', '_ext']
templates_path: list[str] = []
html_theme = 'alabaster'
html_static_path: list[str] = []
html_theme_options = {'description': 'Crystal-structure classification from diffraction fingerprints'}

autodoc_member_order = 'bysource'
autodoc_typehints = 'description'
autodoc_default_options = {'members': True, 'show-inheritance': True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False
