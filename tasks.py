#!/usr/bin/env python3
"""Task runner: every set-up step, from a fresh machine with only Python 3.10+.

    python3 tasks.py run     # classify the example structures through the WorkChain
    python3 tasks.py test    # run the test suite
    python3 tasks.py docs    # build the Sphinx documentation
    python3 tasks.py bench   # run the benchmarks (fingerprint speed, accuracy vs spglib)
    python3 tasks.py lint    # the pre-commit hooks on every file (ruff check and format, whitespace, setup.json)
    python3 tasks.py verdi ARGS  # the environment's verdi, with AIIDA_PATH=./.aiida and the venv on PATH

Creates ``.venv`` if it is missing, installs the CPU build of torch first (a bare ``torch``
requirement would pull a multi-GB CUDA build), then the package, and points ``AIIDA_PATH`` at
``<repo>/.aiida`` so the embedded AiiDA profile never touches ``~/.aiida``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / '.venv'
BIN = VENV / ('Scripts' if os.name == 'nt' else 'bin')
PYTHON = BIN / 'python'
TORCH = 'torch==2.13.0'
STAMP = VENV / '.symclf-installed'


def sh(*command: str | Path, env: dict[str, str] | None = None) -> None:
    print('+', ' '.join(str(c) for c in command), flush=True)
    subprocess.run([str(c) for c in command], check=True, cwd=ROOT, env=env)


def ensure_environment() -> None:
    """Create the virtual environment and install the package with its test and docs extras."""
    if not PYTHON.exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    inputs = (ROOT / 'pyproject.toml').read_bytes()
    if STAMP.exists() and STAMP.read_bytes() == inputs:
        return
    pip = (PYTHON, '-m', 'pip', 'install', '--disable-pip-version-check', '-q')
    sh(*pip, '--upgrade', 'pip')
    sh(*pip, TORCH)
    sh(*pip, '-e', f'{ROOT}[tests,docs,dev]')
    STAMP.write_bytes(inputs)


def environment() -> dict[str, str]:
    env = dict(os.environ, AIIDA_PATH=str(ROOT / '.aiida'), PYTHONUNBUFFERED='1', MPLBACKEND='Agg')
    env['PATH'] = f'{BIN}{os.pathsep}{env["PATH"]}'
    return env


def run() -> None:
    env = environment()
    sh(PYTHON, '-m', 'aiida_symclf.utils.profile', '--name', 'symclf', env=env)
    sh(BIN / 'verdi', '-p', 'symclf', 'run', ROOT / 'examples' / 'classify_examples.py', env=env)


def test() -> None:
    sh(PYTHON, '-m', 'pytest', *sys.argv[2:], env=environment())


def lint() -> None:
    sh(BIN / 'pre-commit', 'run', '--all-files', '--show-diff-on-failure', env=environment())


def docs() -> None:
    sh(PYTHON, '-m', 'sphinx', '-W', '--keep-going', '-b', 'html', 'docs', 'docs/_build/html', env=environment())


def bench() -> None:
    env = environment()
    sh(PYTHON, 'benchmarks/fingerprint.py', env=env)
    sh(PYTHON, 'benchmarks/accuracy.py', env=env)
    sh(PYTHON, 'benchmarks/userpath.py', env=env)


def verdi() -> None:
    """``verdi`` of the environment, as if it were activated (the daemon finds ``verdi`` on the PATH)."""
    sh(BIN / 'verdi', *sys.argv[2:], env=environment())


TASKS = {'run': run, 'test': test, 'lint': lint, 'docs': docs, 'bench': bench, 'verdi': verdi}


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in TASKS:
        print(__doc__)
        return 2
    ensure_environment()
    try:
        TASKS[sys.argv[1]]()
    except subprocess.CalledProcessError as error:
        return error.returncode
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
