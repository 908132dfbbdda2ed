"""Scale-out on AiiDA's engine: WorkChains submitted to a daemon (2 workers, PostgreSQL + RabbitMQ).

Needs a PostgreSQL server on 127.0.0.1:5432 where ``postgres`` can connect (trust, or the
``postgres`` system user through sudo) and RabbitMQ on 127.0.0.1:5672 (guest/guest); skipped with
the reason otherwise (``bash scripts/services.sh --start`` provides both).

The daemon scenario runs in a subprocess (this file run as a script) with its own ``AIIDA_PATH``,
so the session's sqlite test profile of ``tests/conftest.py`` is never switched or touched. This
test creates a throw-away database and user, the subprocess creates a ``core.psql_dos`` profile
with the ``core.rabbitmq`` broker on them and:

1. submits ``FIRST_BATCH`` WorkChains of 1 or 2 structures to a daemon with 2 workers and waits;
2. submits ``SECOND_BATCH`` more, restarts the daemon (stop, then start, as ``verdi daemon
   restart`` does) once the first of them has finished and the others are still queued or running,
   and waits again;
3. prints a JSON report of every WorkChain (state, exit status, outputs, called processes) and of
   the input structures' extras, which this test checks: nothing lost, nothing run twice.

"Run twice" is judged by finished CalcFunctions: a worker stopped in the middle of a step loses
the step, which is run again from the WorkChain's last checkpoint (AiiDA runs steps at least once).
The CalcFunction the stopped worker was setting up stays in state ``created`` (never executed, no
outputs); that is allowed, but only in WorkChains that were unfinished at the restart.

The database and its user are dropped afterwards; the configuration directory (profile, file
repository, daemon log) is removed when the scenario succeeded and kept for inspection otherwise.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]  # ~75 s on 2 cores

SERVICES = {'PostgreSQL': ('127.0.0.1', 5432), 'RabbitMQ': ('127.0.0.1', 5672)}
FIRST_BATCH = 20
SECOND_BATCH = 20
WORKERS = 2
WAIT_TIMEOUT = 150.0  # seconds per batch; both batches together take ~1 minute on 2 cores
SUBPROCESS_TIMEOUT = 280.0
DAEMON_TIMEOUT = 60  # seconds for circus to answer a start or stop; busy workers stop slowly
CALLED_ONCE = ('compute_fingerprints', 'classify_fingerprints', 'collect_results')


# --------------------------------------------------------------------------------------------
# The test (pytest process)
# --------------------------------------------------------------------------------------------


def unreachable_services() -> list[str]:
    """Names (with address) of the services in :data:`SERVICES` that do not accept a TCP connection."""
    down = []
    for name, (host, port) in SERVICES.items():
        try:
            socket.create_connection((host, port), timeout=2).close()
        except OSError:
            down.append(f'{name} ({host}:{port})')
    return down


@pytest.fixture
def psql_database() -> Iterator[dict[str, Any]]:
    """A new PostgreSQL user and database for one test, dropped afterwards; skip if unavailable."""
    down = unreachable_services()
    if down:
        pytest.skip(
            f'needs PostgreSQL and RabbitMQ; not answering: {", ".join(down)} (run scripts/services.sh --start)'
        )
    from aiida.manage.external.postgres import Postgres

    host, port = SERVICES['PostgreSQL']
    postgres = Postgres(interactive=False, quiet=True, dbinfo={'host': host, 'port': port, 'user': 'postgres'})
    if not postgres.is_connected:
        pytest.skip(f'cannot connect to PostgreSQL at {host}:{port} as the superuser postgres')
    name = f'symclf_test_{secrets.token_hex(6)}'
    password = secrets.token_hex(12)
    postgres.create_dbuser(name, password)
    # Not ``postgres.create_db``: that asks for the locale en_US.UTF-8, which many servers lack.
    postgres.execute(f'CREATE DATABASE "{name}" OWNER "{name}" ENCODING \'UTF8\' TEMPLATE template0')
    try:
        yield {
            'database_engine': 'postgresql_psycopg',
            'database_hostname': host,
            'database_port': port,
            'database_name': name,
            'database_username': name,
            'database_password': password,
        }
    finally:
        postgres.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # FORCE: PostgreSQL >= 13
        postgres.drop_dbuser(name)


def model_file() -> Path:
    """The classifier to use: ``$SYMCLF_MODEL`` or the shipped default model; skip if missing."""
    from aiida_symclf.library.model import shipped_model_path

    path = Path(os.environ.get('SYMCLF_MODEL') or shipped_model_path())
    if not path.is_file():
        pytest.skip(f'model file {path} not found (set SYMCLF_MODEL)')
    return path


def stop_leftover_daemon(aiida_path: Path, profile: str) -> None:
    """Stop the scenario's daemon if the subprocess died before stopping it."""
    verdi = Path(sys.executable).with_name('verdi')
    if (aiida_path / 'daemon').is_dir() and verdi.exists():
        env = dict(os.environ, AIIDA_PATH=str(aiida_path))
        subprocess.run([str(verdi), '-p', profile, 'daemon', 'stop'], env=env, capture_output=True, timeout=60)


def test_daemon_submit_and_restart(psql_database: dict[str, Any], tmp_path: Path) -> None:
    """>= 20 WorkChains on 2 workers, then 20 more across a daemon restart: all finish, none run twice."""
    aiida_path = tmp_path / '.aiida'
    profile = 'symclf-daemon-test'
    arguments = {'storage': psql_database, 'profile': profile, 'model': str(model_file())}
    env = dict(os.environ, AIIDA_PATH=str(aiida_path), PYTHONUNBUFFERED='1', MPLBACKEND='Agg')
    env['PATH'] = f'{Path(sys.executable).parent}{os.pathsep}{env.get("PATH", "")}'  # the daemon runs `verdi`
    start = time.monotonic()
    try:
        completed = subprocess.run(
            [sys.executable, __file__, json.dumps(arguments)],
            env=env,
            capture_output=True,
            text=True,
            timeout=SUBPROCESS_TIMEOUT,
        )
    finally:
        stop_leftover_daemon(aiida_path, profile)
    elapsed = time.monotonic() - start
    assert completed.returncode == 0, (
        f'scenario failed after {elapsed:.0f} s:\n{completed.stdout[-4000:]}\n{completed.stderr[-6000:]}'
    )
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    shutil.rmtree(aiida_path, ignore_errors=True)  # profile and file repository (kept by pytest on failure)

    workchains = report['workchains']
    assert len(workchains) == FIRST_BATCH + SECOND_BATCH == report['workchain_nodes'], (
        'a WorkChain was lost or duplicated'
    )
    interrupted = [item['pk'] for item in workchains if item['unfinished_at_restart']]
    assert interrupted, 'the restart happened after everything had finished; nothing was tested'
    assert report['daemon_pids'][0] != report['daemon_pids'][1], (
        f'the daemon was not restarted: {report["daemon_pids"]}'
    )
    started = [item['pk'] for item in workchains if item['started_at_restart']]
    assert started, 'no WorkChain had started (stepped) when the daemon stopped: the restart interrupted nothing'
    for item in workchains:
        where = f'WorkChain<{item["pk"]}> (batch {item["batch"]})'
        assert item['state'] == 'finished' and item['exit_status'] == 0, f'{where}: {item}'
        assert sorted(item['results']) == item['structures'], f'{where}: results {item["results"]}'
        assert item['fingerprints'] == item['structures'] and item['summary'] == 1, f'{where}: {item}'
        assert item['extras_match_results'], f'{where}: symclf_* extras do not point to the returned results'
        finished = sorted(label for label, state in item['called'] if state == 'finished')
        assert finished == sorted(CALLED_ONCE), f'{where}: a step ran twice or not at all: {item["called"]}'
        # A worker stopped in the middle of a step leaves the CalcFunction it was setting up in
        # `created` (never run, no outputs) and the step is run again from the last checkpoint.
        left = [(label, state) for label, state in item['called'] if state != 'finished']
        assert not left or (item['unfinished_at_restart'] and all(state == 'created' for _, state in left)), (
            f'{where}: {left}'
        )
    n_structures = sum(len(item['structures']) for item in workchains)
    labelled = report['structures_with_label']
    assert labelled == n_structures == report['structures'], (
        f'{labelled} of {n_structures} structures have symclf_label'
    )
    wrong = {key: (label, expected) for key, (label, expected) in report['labels'].items() if label != expected}
    assert not wrong, f'structures with a label other than their class: {wrong}'


# --------------------------------------------------------------------------------------------
# The scenario (subprocess: ``python tests/test_daemon_integration.py '<json>'``)
# --------------------------------------------------------------------------------------------


def create_profile(storage: dict[str, Any], name: str):
    """A ``core.psql_dos`` profile with the RabbitMQ broker in the configuration at ``$AIIDA_PATH``, loaded."""
    from aiida import load_profile
    from aiida.manage.configuration import create_profile as aiida_create_profile
    from aiida.manage.configuration import get_config

    config = get_config(create=True)
    host, port = SERVICES['RabbitMQ']
    broker = {
        'broker_protocol': 'amqp',
        'broker_username': 'guest',
        'broker_password': 'guest',
        'broker_host': host,
        'broker_port': port,
        'broker_virtual_host': '',
    }
    repository = Path(config.dirpath) / 'repository' / name
    profile = aiida_create_profile(
        config,
        storage_backend='core.psql_dos',
        storage_config={**storage, 'repository_uri': f'file://{repository}'},
        broker_backend='core.rabbitmq',
        broker_config=broker,
        name=name,
        email='test@localhost',
        is_test_profile=True,
    )
    profile.set_option('warnings.development_version', False)
    profile.set_option('warnings.rabbitmq_version', False)
    config.set_default_profile(name)
    config.store()
    return load_profile(name, allow_switch=True)


def submit_batch(batch: int, count: int, model, seed: int, expected: dict[str, str]) -> list[int]:
    """Submit ``count`` WorkChains of 1 or 2 generated structures each; their pks.

    ``expected`` receives the true class of every structure, by its uuid.
    """
    from aiida import orm
    from aiida.engine import submit

    from aiida_symclf.library.catalogue import class_names
    from aiida_symclf.library.dataset import generate_structures
    from aiida_symclf.workflows.classify import SymmetryClassificationWorkChain

    structures, labels = generate_structures(-(-2 * count // 7), seed)  # all classes, randomly rotated
    pairs = [(atoms, class_names()[label]) for atoms, label in zip(structures, labels, strict=True)]
    pks = []
    for index in range(count):
        inputs = {}
        for k in range(1 + index % 2):
            atoms, label = pairs.pop()
            node = orm.StructureData(ase=atoms)
            inputs[f'b{batch}_{index}_{k}'] = node
            expected[node.uuid] = label
        pks.append(submit(SymmetryClassificationWorkChain, structures=inputs, model=model).pk)
    return pks


def started(pks: list[int]) -> list[int]:
    """Those of ``pks`` that have run at least their first step (they have called a CalcFunction)."""
    from aiida import orm

    query = orm.QueryBuilder().append(orm.WorkChainNode, filters={'id': {'in': pks}}, project='id', tag='wc')
    query.append(orm.CalcFunctionNode, with_incoming='wc')
    return sorted(set(query.all(flat=True)))


def terminated(pks: list[int]) -> list[int]:
    """Those of the processes ``pks`` that have terminated."""
    from aiida import orm

    done = {'attributes.process_state': {'in': ['finished', 'excepted', 'killed']}}
    query = orm.QueryBuilder().append(orm.ProcessNode, filters={'id': {'in': pks}, **done}, project='id')
    return query.all(flat=True)


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f'{what} did not happen within {timeout:.0f} s')
        time.sleep(0.5)


def describe(pk: int, batch: int, unfinished_at_restart: bool, started_at_restart: bool = False) -> dict[str, Any]:
    """State, exit status, outputs, called processes and extras of the inputs of one WorkChain."""
    from aiida import orm
    from aiida.common.links import LinkType

    node = orm.load_node(pk)
    returned = {link.link_label: link.node for link in node.base.links.get_outgoing(link_type=LinkType.RETURN).all()}
    results = {label.split('__', 1)[1]: result for label, result in returned.items() if label.startswith('results__')}
    structures = dict(node.inputs.structures)
    return {
        'pk': pk,
        'batch': batch,
        'unfinished_at_restart': unfinished_at_restart,
        'started_at_restart': started_at_restart,
        'state': node.process_state.value if node.process_state else None,
        'exit_status': node.exit_status,
        'structures': sorted(structures),
        'results': sorted(results),
        'fingerprints': sorted(label.split('__', 1)[1] for label in returned if label.startswith('fingerprints__')),
        'summary': int('summary' in returned),
        'called': [(child.process_label, child.process_state.value) for child in node.called],
        'extras_match_results': all(
            structure.base.extras.get('symclf_result_uuid', None) == getattr(results.get(key), 'uuid', '')
            for key, structure in structures.items()
        ),
    }


def scenario(arguments: dict[str, Any]) -> dict[str, Any]:
    """Run both batches on the daemon and return the JSON-able report the test checks."""
    from aiida import orm
    from aiida.engine.daemon.client import get_daemon_client

    from aiida_symclf.data import SymclfModelData
    from aiida_symclf.workflows.classify import SymmetryClassificationWorkChain

    profile = create_profile(arguments['storage'], arguments['profile'])
    client = get_daemon_client(profile.name)
    client.start_daemon(number_workers=WORKERS, timeout=DAEMON_TIMEOUT)
    try:
        model = SymclfModelData.get_or_create(arguments['model'])
        expected: dict[str, str] = {}
        first = submit_batch(1, FIRST_BATCH, model, seed=11, expected=expected)
        wait_until(lambda: len(terminated(first)) == len(first), WAIT_TIMEOUT, f'finishing {len(first)} WorkChains')

        second = submit_batch(2, SECOND_BATCH, model, seed=22, expected=expected)
        wait_until(lambda: terminated(second), WAIT_TIMEOUT, 'the first WorkChain of the second batch finishing')
        running = set(second) - set(terminated(second))
        in_progress = set(started(sorted(running)))
        pids = [client.get_daemon_pid()]
        client.stop_daemon(wait=True, timeout=DAEMON_TIMEOUT)
        client.start_daemon(number_workers=WORKERS, timeout=DAEMON_TIMEOUT)
        pids.append(client.get_daemon_pid())
        wait_until(
            lambda: len(terminated(second)) == len(second),
            WAIT_TIMEOUT,
            f'finishing {len(second)} WorkChains after the restart',
        )
    finally:
        client.stop_daemon(wait=True, timeout=DAEMON_TIMEOUT)

    labelled = orm.QueryBuilder().append(
        orm.StructureData, filters={'extras': {'has_key': 'symclf_label'}}, project=['uuid', 'extras.symclf_label']
    )
    inputs = (
        orm.QueryBuilder()
        .append(SymmetryClassificationWorkChain, tag='wc')
        .append(orm.StructureData, with_outgoing='wc')
    )
    labels = {uuid: (label, expected.get(uuid)) for uuid, label in labelled.iterall()}
    return {
        'daemon_pids': pids,
        'workchains': [describe(pk, 1, False) for pk in first]
        + [describe(pk, 2, pk in running, pk in in_progress) for pk in second],
        'workchain_nodes': orm.QueryBuilder().append(SymmetryClassificationWorkChain).count(),
        'structures': inputs.count(),
        'structures_with_label': len(labels),
        'labels': labels,
    }


if __name__ == '__main__':
    print(json.dumps(scenario(json.loads(sys.argv[1]))))
