"""Ctrl-C / SIGTERM at every stage of ``aiida-symclf classify`` (issue 30.2).

Each test starts the command in a subprocess with ``--progress``, waits until the progress bar of
a stage appears on stderr (the stage marker: no blind sleeping), sends the signal, and checks
the exit status (130), the message, that the command ended within seconds, and the database:
no process node left Running, the WorkChain Killed (not Excepted) when it existed, no input
structure stored without a process.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import ase.io
import numpy as np
import pytest
from ase.build import bulk

pytestmark = pytest.mark.slow  # one command per stage, ~20-60 s each on 2 cores

#: Seconds from the signal to the end of the command that count as "within a few seconds" on a
#: shared 2-core machine (the checkpoints are at most one structure apart: < 1 s here).
STOP_WITHIN = 30.0


@pytest.fixture(scope='module')
def user_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """120 user-like fcc supercells (~240 atoms, displaced), one extxyz file each."""
    from aiida_symclf.testing.user_inputs import LEVELS, user_input

    directory = tmp_path_factory.mktemp('supercells')
    rng = np.random.default_rng(0)
    paths = []
    for index in range(120):
        paths.append(directory / f's{index}.xyz')
        ase.io.write(paths[-1], user_input('fcc', LEVELS[2], rng)[1], format='extxyz')
    return paths


class Command:
    """``aiida-symclf classify --progress`` in a subprocess, its stderr collected by a thread."""

    def __init__(self, config: Path, arguments: list[str]) -> None:
        env = dict(os.environ, AIIDA_PATH=str(config), PYTHONUNBUFFERED='1')
        self.process = subprocess.Popen(
            [sys.executable, '-m', 'aiida_symclf.cli', 'classify', '--yes', '--progress', *arguments],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        self.stderr = b''
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.database = config / '.aiida' / 'storage' / 'symclf' / 'database.sqlite'

    def _read(self) -> None:
        while chunk := self.process.stderr.read1(4096):
            self.stderr += chunk

    def wait_for(self, marker: str, timeout: float = 240.0) -> None:
        """Until ``marker`` (a stage's progress bar) is on stderr; fails if the command ends first."""
        deadline = time.monotonic() + timeout
        while marker.encode() not in self.stderr:
            assert self.process.poll() is None, f'ended before {marker!r}: {self.stderr.decode()[-2000:]}'
            assert time.monotonic() < deadline, f'no {marker!r} within {timeout} s'
            time.sleep(0.05)

    def interrupt(self, number: int) -> tuple[int, str, float]:
        """Send ``number``; the exit status, stderr and seconds until the command ended."""
        start = time.monotonic()
        self.process.send_signal(number)
        self.process.wait(timeout=120)
        elapsed = time.monotonic() - start
        self._reader.join(timeout=10)
        return self.process.returncode, self.stderr.decode(), elapsed

    def query(self, sql: str) -> list[tuple]:
        if not self.database.exists():
            return []
        with contextlib.closing(sqlite3.connect(self.database)) as connection:
            return connection.execute(sql).fetchall()

    def process_states(self) -> dict[str, list[str]]:
        rows = self.query(
            "SELECT json_extract(attributes, '$.process_label'), json_extract(attributes, '$.process_state') "
            "FROM db_dbnode WHERE node_type LIKE 'process.%'"
        )
        states: dict[str, list[str]] = {}
        for label, state in rows:
            states.setdefault(label, []).append(state)
        return states

    def structures_without_process(self) -> int:
        return self.query(
            "SELECT count(*) FROM db_dbnode n WHERE n.node_type LIKE 'data.core.structure.%' "
            'AND NOT EXISTS (SELECT 1 FROM db_dblink l WHERE l.input_id = n.id OR l.output_id = n.id)'
        )[0][0]


def assert_nothing_running(command: Command) -> dict[str, list[str]]:
    states = command.process_states()
    assert all(state in ('finished', 'killed', 'excepted') for values in states.values() for state in values), states
    assert command.structures_without_process() == 0
    return states


def test_interrupt_while_reading_stores_nothing(tmp_path: Path) -> None:
    """Ctrl-C while the files are read: exit 130, no profile storage touched."""
    paths = []
    for index in range(3000):
        paths.append(tmp_path / f'cu{index}.cif')
        ase.io.write(paths[-1], bulk('Cu', 'fcc', a=3.6 + index * 1e-5))
    command = Command(tmp_path / 'config', [str(path) for path in paths])
    command.wait_for('reading files')
    status, stderr, elapsed = command.interrupt(signal.SIGINT)
    assert status == 130, stderr
    assert 'Interrupted: while reading the files; nothing was stored.' in stderr and 'Traceback' not in stderr
    assert elapsed < STOP_WITHIN
    assert command.query("SELECT count(*) FROM db_dbnode WHERE node_type LIKE 'data.core.structure.%'") in ([], [(0,)])


def test_interrupt_while_storing_deletes_the_stored_inputs(tmp_path: Path, user_files: list[Path]) -> None:
    """Before: 260 of 300 StructureData stayed stored without a process. Now they are deleted again."""
    command = Command(tmp_path / 'config', [str(path) for path in user_files])
    command.wait_for('storing inputs')
    status, stderr, elapsed = command.interrupt(signal.SIGINT)
    assert status == 130, stderr
    assert 'Interrupted: while storing the inputs; the' in stderr and 'deleted again' in stderr
    assert elapsed < STOP_WITHIN and 'Traceback' not in stderr
    assert command.query("SELECT count(*) FROM db_dbnode WHERE node_type LIKE 'data.core.structure.%'") == [(0,)]
    assert command.process_states() == {}


@pytest.mark.parametrize(
    ('marker', 'number'),
    [('fingerprints', signal.SIGTERM), ('collecting results', signal.SIGINT)],
    ids=['sigterm-in-compute_fingerprints', 'sigint-in-collect_results'],
)
def test_interrupt_inside_a_calcfunction_kills_the_workchain(
    tmp_path: Path, user_files: list[Path], marker: str, number: int
) -> None:
    """Before: SIGINT inside a CalcFunction was taken by aiida-core's own handler, the WorkChain went
    on and the command ended with status 0; SIGTERM between steps left it Excepted (KilledError)."""
    command = Command(tmp_path / 'config', ['--no-compare-spglib', *map(str, user_files)])
    command.wait_for(marker)
    time.sleep(0.5)  # into the CalcFunction, past the bar's first line
    status, stderr, elapsed = command.interrupt(number)
    assert status == 130, stderr
    assert 'Interrupted: the WorkChain and its running step were killed' in stderr and 'Traceback' not in stderr
    assert elapsed < STOP_WITHIN
    states = assert_nothing_running(command)
    assert states['SymmetryClassificationWorkChain'] == ['killed'], states
    step = 'compute_fingerprints' if marker == 'fingerprints' else 'collect_results'
    assert states[step] and set(states[step]) <= {'finished', 'killed'}, states  # it had started; none Excepted


def test_interrupt_during_the_spglib_comparison(tmp_path: Path, user_files: list[Path]) -> None:
    """Before: Ctrl-C had no effect for 60 s during spglib. Now: status 130 at once, the finished
    WorkChain's results stay stored and the message says so."""
    command = Command(tmp_path / 'config', [str(path) for path in user_files[:30]])
    command.wait_for('spglib comparison')
    status, stderr, elapsed = command.interrupt(signal.SIGINT)
    assert status == 130, stderr
    assert 'Interrupted: during the spglib comparison; SymmetryClassificationWorkChain<' in stderr
    assert 'had finished; its results are stored' in stderr and 'Traceback' not in stderr
    assert elapsed < STOP_WITHIN
    states = assert_nothing_running(command)
    assert states['SymmetryClassificationWorkChain'] == ['finished'], states
