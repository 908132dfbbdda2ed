"""The Sphinx documentation builds without a single warning (``-W``), as ``python3 tasks.py docs`` does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / 'docs'


def test_docs_build_without_warnings(tmp_path: Path) -> None:
    pytest.importorskip('sphinx')
    command = [
        sys.executable, '-m', 'sphinx', '-W', '--keep-going', '-b', 'html',
        '-d', str(tmp_path / 'doctrees'), str(DOCS), str(tmp_path / 'html'),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    problems = [line for line in result.stderr.splitlines() if 'WARNING' in line or 'ERROR' in line]
    assert result.returncode == 0, 'sphinx failed:\n' + '\n'.join(problems or [result.stderr[-5000:]])
    for page in ('index', 'installation', 'tutorial', 'method', 'cli', 'api'):
        assert (tmp_path / 'html' / f'{page}.html').is_file()
    assert 'symclf classify' in (tmp_path / 'html' / 'cli.html').read_text()
