#!/usr/bin/env python3
"""Write ``setup.json`` from ``pyproject.toml``: the AiiDA plugin registry's format, never edited by hand.

    python scripts/setup_json.py           # rewrite setup.json
    python scripts/setup_json.py --check   # exit 1 if setup.json differs from what would be written

``pyproject.toml`` is the one source of the metadata; ``setup.json`` exists for the AiiDA plugin
registry and tools that still read it. ``tests/test_packaging.py`` and the pre-commit hook run
the check, so the two cannot drift apart again.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
SETUP_JSON = ROOT / 'setup.json'


def _module_string(name: str) -> str:
    """``__version__`` or the docstring of ``aiida_symclf/__init__.py``, read without importing it."""
    tree = ast.parse((ROOT / 'aiida_symclf' / '__init__.py').read_text())
    if name == '__doc__':
        return ast.get_docstring(tree).splitlines()[0]
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, 'id', None) == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise KeyError(name)


def setup_json() -> dict[str, Any]:
    """The contents of ``setup.json`` implied by ``pyproject.toml``."""
    project = tomllib.loads((ROOT / 'pyproject.toml').read_text())['project']
    entry_points = {'console_scripts': [f'{name} = {target}' for name, target in project['scripts'].items()]}
    for group, entries in project['entry-points'].items():
        entry_points[group] = [f'{name} = {target}' for name, target in entries.items()]
    return {
        'name': project['name'],
        'version': _module_string('__version__'),
        'author': project['authors'][0]['name'],
        'license': project['license']['text'],
        'url': project['urls']['Source'],
        'description': _module_string('__doc__'),
        'classifiers': project['classifiers'],
        'python_requires': project['requires-python'],
        'install_requires': project['dependencies'],
        'extras_require': project['optional-dependencies'],
        'entry_points': entry_points,
        'include_package_data': True,
        'reentry_register': True,
    }


def rendered() -> str:
    return json.dumps(setup_json(), indent=4) + '\n'


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--check', action='store_true', help='only compare, exit 1 when setup.json is stale')
    args = parser.parse_args(argv)
    if args.check:
        if SETUP_JSON.read_text() != rendered():
            print('setup.json is stale: run python scripts/setup_json.py', file=sys.stderr)
            return 1
        return 0
    SETUP_JSON.write_text(rendered())
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
