#!/usr/bin/env python3
"""Write the console outputs of ``docs/tutorial.rst`` from real runs: ``python scripts/tutorial_outputs.py``.

The tutorial holds console sessions between the comment markers ``.. tutorial:NAME`` and
``.. /tutorial:NAME``; each is the output of the commands of :data:`SESSIONS`, run on the files of
``docs/tutorial/`` in a fresh embedded profile (a temporary ``AIIDA_PATH``, so pks are the same on
every run and ``~/.aiida`` is untouched). ``--check`` writes nothing and exits 1 if a session in the
tutorial differs from what the commands print today (``tests/test_tutorial.py`` runs the same check,
so the tutorial cannot drift from the code, as ``scripts/readme_tables.py`` does for the README).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / 'docs' / 'tutorial.rst'
FILES = ROOT / 'docs' / 'tutorial'

#: Session name -> the ``aiida-symclf`` commands it shows, run in this order in one profile.
SESSIONS: dict[str, list[list[str]]] = {
    'classify': [['classify', 'Cu.cif', 'POSCAR', 'NaCl.cif', 'CuFeS2.cif', 'water.xyz', 'flat.extxyz']],
    'query': [
        ['query', '--label', 'fcc', '--min-probability', '0.9'],
        ['query', '--prototype', 'AB_cF8_225_a_b'],
        ['query', '--label', 'unknown'],
    ],
}


def run_sessions(sessions: dict[str, list[list[str]]] = SESSIONS) -> dict[str, list[str]]:
    """Console lines (``$ aiida-symclf ...`` then its stderr and stdout, in order) of every session."""
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory) / 'files'
        shutil.copytree(FILES, work)
        env = dict(os.environ, AIIDA_PATH=str(Path(directory) / 'config'), PYTHONUNBUFFERED='1', COLUMNS='200')
        subprocess.run([sys.executable, '-m', 'aiida_symclf.utils.profile'], env=env, check=True, capture_output=True)
        rendered = {}
        for name, commands in sessions.items():
            lines = []
            for command in commands:
                completed = subprocess.run(
                    [sys.executable, '-m', 'aiida_symclf.cli', *command],
                    cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False,
                )  # fmt: skip
                lines.append('$ aiida-symclf ' + ' '.join(command))
                lines += [line.rstrip() for line in completed.stdout.rstrip('\n').splitlines()]
            rendered[name] = lines
    return rendered


def updated(text: str, rendered: dict[str, list[str]]) -> str:
    """``text`` with the console block of every marked session replaced by ``rendered``."""
    for name, lines in rendered.items():
        pattern = re.compile(rf'(\.\. tutorial:{name}\n\n)(?:.*?\n)?(\.\. /tutorial:{name}\n)', re.DOTALL)
        if not pattern.search(text):
            raise ValueError(f'{TUTORIAL.name} has no markers for session {name!r}')
        block = '.. code-block:: console\n\n' + ''.join(f'   {line}\n' if line else '\n' for line in lines) + '\n'
        text = pattern.sub(lambda match, block=block: match.group(1) + block + match.group(2), text)
    return text


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--check', action='store_true', help='exit 1 if the tutorial differs from real runs')
    args = parser.parse_args(argv)
    current = TUTORIAL.read_text()
    new = updated(current, run_sessions())
    if args.check:
        if new != current:
            print('docs/tutorial.rst differs from real runs: run python scripts/tutorial_outputs.py')
            return 1
        return 0
    TUTORIAL.write_text(new)
    return 0


if __name__ == '__main__':
    sys.exit(main())
