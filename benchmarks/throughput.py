"""End-to-end throughput: ``python benchmarks/throughput.py [--sizes 100 1000] [--batch-size 50]``.

Structures classified per second, from ase ``Atoms`` to a label, on three paths:

- ``library``: :func:`aiida_symclf.library.fingerprint.diffraction_fingerprints` then
  :meth:`ClassifierModel.predict_proba` (no AiiDA); also on CUDA when ``torch.cuda.is_available()``.
- ``workchain-sqlite``: ``SymmetryClassificationWorkChain`` run in this process, one WorkChain of
  ``batch`` structures after the other, on an embedded ``core.sqlite_dos`` profile (no services).
- ``daemon-psql-<W>w``: ``N / batch`` WorkChains of ``batch`` structures submitted to a daemon with
  ``W`` = 1 and 2 workers, on a ``core.psql_dos`` profile with RabbitMQ (``--skip-daemon`` to leave
  out). The clock runs from the first submission until every WorkChain has terminated; the workers
  are warmed up first (imports, model loading).

Both WorkChain paths run in the two storage modes (``--storage``): ``per-structure`` (the default
of the WorkChain: nodes per structure, batches of ``--batch-size``) and ``compact``
(``store_per_structure=False``: three output nodes per batch, batches of ``--compact-batch-size``);
the compact paths carry the suffix ``-compact``.

The AiiDA timings include creating and storing the input ``StructureData``. Everything AiiDA
writes goes to a temporary ``AIIDA_PATH`` and a temporary PostgreSQL database, removed at the end.
A size whose estimated run time (from the previous size of the same path) exceeds ``--budget``
seconds is skipped and reported as such. ``--profile N`` runs cProfile on one WorkChain of ``N``
structures per profile and prints where the time goes.

The table is printed as markdown and written as JSON (default ``benchmarks/results/throughput.json``;
``--append`` merges into it, replacing measurements of the same path, size, batch and workers).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import platform
import pstats
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / 'benchmarks' / 'results' / 'throughput.json'
PROFILE_DIR = ROOT / 'benchmarks' / 'results' / 'cache'  # git-ignored
STRUCTURE_SEED = 20180718
POSTGRES = {'host': '127.0.0.1', 'port': 5432, 'user': 'postgres'}
RABBITMQ = {'broker_protocol': 'amqp', 'broker_username': 'guest', 'broker_password': 'guest',
            'broker_host': '127.0.0.1', 'broker_port': 5672, 'broker_virtual_host': ''}  # fmt: skip


def structures(n: int) -> list:
    """``n`` randomly rotated pristine structures cycling over all classes."""
    from aiida_symclf.library.dataset import generate_structures

    atoms, _ = generate_structures(-(-n // 7), STRUCTURE_SEED)
    order = sorted(range(len(atoms)), key=lambda i: i % -(-n // 7))  # interleave the classes
    return [atoms[i] for i in order[:n]]


def record(path: str, n: int, seconds: float, **extra: Any) -> dict[str, Any]:
    """One measurement; the 1-minute load average shows whether other work shared the CPUs."""
    rate = round(n / seconds, 2)
    return {
        'path': path,
        'n': n,
        'seconds': round(seconds, 3),
        'per_second': rate,
        'load_1min': os.getloadavg()[0],
        **extra,
    }


# --------------------------------------------------------------------------------------------
# (a) library calls
# --------------------------------------------------------------------------------------------


def library(atoms: list, model_path: Path, device: str, progress: bool) -> dict[str, Any]:
    """Fingerprint and classify ``atoms`` with plain function calls on ``device``."""
    import torch

    from aiida_symclf.library.fingerprint import diffraction_fingerprints
    from aiida_symclf.library.model import load_model

    model = load_model(model_path)
    network = model.network.to(device)
    diffraction_fingerprints(atoms[:8], device=device)  # warm-up (kernels, caches)
    start = time.perf_counter()
    fingerprints = diffraction_fingerprints(atoms, device=device, progress=progress)
    if device == 'cpu':
        labels = model.predict_proba(fingerprints).argmax(axis=1)
    else:
        with torch.no_grad():
            batches = [torch.from_numpy(fingerprints[i : i + 256]).to(device) for i in range(0, len(fingerprints), 256)]
            labels = torch.cat([network(batch).argmax(dim=1) for batch in batches]).cpu().numpy()
    seconds = time.perf_counter() - start
    assert len(labels) == len(atoms)
    return record(f'library-{device}', len(atoms), seconds)


# --------------------------------------------------------------------------------------------
# AiiDA profiles (temporary)
# --------------------------------------------------------------------------------------------


def quiet(name: str, worker_slots: int | None = None) -> None:
    """No REPORT log lines of every process step during the measurements; optionally fewer worker slots."""
    from aiida.manage.configuration import get_config

    config = get_config()
    config.set_option('logging.aiida_loglevel', 'WARNING', scope=name)
    if worker_slots:
        config.set_option('daemon.worker_process_slots', worker_slots, scope=name)
    config.store()


def sqlite_profile(name: str):
    """Create and load an embedded ``core.sqlite_dos`` profile in the temporary ``AIIDA_PATH``."""
    from aiida import load_profile

    from aiida_symclf.utils.profile import ensure_embedded_profile

    ensure_embedded_profile(name, load=False)
    quiet(name)
    return load_profile(name, allow_switch=True)


@contextlib.contextmanager
def psql_profile(name: str, worker_slots: int | None = None) -> Iterator[Any]:
    """A ``core.psql_dos`` + RabbitMQ profile on a new database, loaded; the database is dropped after.

    ``worker_slots`` sets ``daemon.worker_process_slots``: how many processes a worker runs at once.
    """
    from aiida import load_profile
    from aiida.manage.configuration import create_profile, get_config
    from aiida.manage.external.postgres import Postgres

    postgres = Postgres(interactive=False, quiet=True, dbinfo=POSTGRES)
    if not postgres.is_connected:
        raise RuntimeError(
            f'cannot connect to PostgreSQL as {POSTGRES}; run scripts/services.sh --start or use --skip-daemon'
        )
    database = f'symclf_bench_{secrets.token_hex(4)}'
    postgres.create_dbuser(database, database)
    try:
        postgres.execute(f'CREATE DATABASE "{database}" OWNER "{database}" ENCODING \'UTF8\' TEMPLATE template0')
        config = get_config(create=True)
        storage = {
            'database_engine': 'postgresql_psycopg', 'database_hostname': POSTGRES['host'],
            'database_port': POSTGRES['port'], 'database_name': database, 'database_username': database,
            'database_password': database, 'repository_uri': f'file://{config.dirpath}/repository/{name}',
        }  # fmt: skip
        profile = create_profile(config, name=name, email='bench@localhost', storage_backend='core.psql_dos',
                                 storage_config=storage, broker_backend='core.rabbitmq', broker_config=RABBITMQ)  # fmt: skip
        profile.set_option('warnings.rabbitmq_version', False)
        config.store()
        quiet(name, worker_slots)
        yield load_profile(name, allow_switch=True)
    finally:
        from aiida.manage import get_manager

        get_manager().unload_profile()  # close the connections before dropping the database
        postgres.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        postgres.drop_dbuser(database)


def workchain_inputs(atoms: list, start: int, model, compact: bool) -> dict[str, Any]:
    """Inputs of one WorkChain: new ``StructureData`` (keys ``s<index>``) of ``atoms``, the model, the mode."""
    from aiida import orm

    structures = {f's{start + i}': orm.StructureData(ase=a) for i, a in enumerate(atoms)}
    return {'structures': structures, 'model': model, 'store_per_structure': orm.Bool(not compact)}


def label(path: str, compact: bool) -> str:
    return f'{path}-compact' if compact else path


# --------------------------------------------------------------------------------------------
# (b) WorkChain in this process, (c) WorkChains on daemon workers
# --------------------------------------------------------------------------------------------


def workchain_in_process(atoms: list, batch: int, model_path: Path, compact: bool, progress: bool) -> dict[str, Any]:
    """Run one WorkChain per ``batch`` structures, one after the other, in this process."""
    from aiida.engine import run_get_node
    from tqdm import tqdm

    from aiida_symclf.data import SymclfModelData
    from aiida_symclf.workflows.classify import SymmetryClassificationWorkChain as Classify

    model = SymclfModelData.get_or_create(model_path)
    run_get_node(Classify, **workchain_inputs(atoms[:1], 0, model, compact))  # warm-up
    path = label('workchain-sqlite', compact)
    start = time.perf_counter()
    for first in tqdm(range(0, len(atoms), batch), desc=path, unit='workchain', disable=not progress):
        _, node = run_get_node(Classify, **workchain_inputs(atoms[first : first + batch], first, model, compact))
        assert node.exit_status == 0, f'WorkChain<{node.pk}> failed: {node.exit_status} {node.exit_message}'
    return record(path, len(atoms), time.perf_counter() - start, batch=batch)


def wait_for(pks: list[int], timeout: float, progress: bool, label: str) -> list[str]:
    """Poll until the processes ``pks`` have terminated; what went wrong in those that did not finish OK."""
    from aiida import orm
    from tqdm import tqdm

    deadline = time.monotonic() + timeout
    bar = tqdm(total=len(pks), desc=label, unit='workchain', disable=not progress)
    while True:
        query = orm.QueryBuilder().append(
            orm.ProcessNode, project=['id', 'attributes.exit_status'],
            filters={'id': {'in': pks}, 'attributes.process_state': {'in': ['finished', 'excepted', 'killed']}},
        )  # fmt: skip
        done = query.all()
        bar.update(len(done) - bar.n)
        if len(done) == len(pks):
            bar.close()
            return [failure(pk) for pk, status in done if status != 0]
        if time.monotonic() > deadline:
            bar.close()
            raise TimeoutError(f'{len(pks) - len(done)} of {len(pks)} WorkChains unfinished after {timeout:.0f} s')
        time.sleep(0.5)


def failure(pk: int) -> str:
    """One line on why the process ``pk`` did not finish OK: state, exit code, exception, last report."""
    from aiida import orm
    from aiida.cmdline.utils.common import get_workchain_report

    node = orm.load_node(pk)
    exception = (node.exception or '').strip().splitlines()
    last_report = get_workchain_report(node, 'REPORT').strip().splitlines()
    state = node.process_state.value if node.process_state else None
    return f'{node.process_label}<{pk}> {state} [{node.exit_status}] {node.exit_message or ""} {exception[-1:]} {last_report[-1:]}'


def daemon_run(atoms: list, batch: int, model, compact: bool, workers: int, args: argparse.Namespace) -> dict[str, Any]:
    """Submit ``len(atoms) / batch`` WorkChains to the running daemon and wait for all of them."""
    from aiida.engine import submit
    from aiida.manage import get_config_option

    from aiida_symclf.workflows.classify import SymmetryClassificationWorkChain as Classify

    path = label(f'daemon-psql-{workers}w', compact)
    start = time.perf_counter()
    pks = [
        submit(Classify, **workchain_inputs(atoms[first : first + batch], first, model, compact)).pk
        for first in range(0, len(atoms), batch)
    ]
    submitted = time.perf_counter() - start
    failed = wait_for(pks, args.timeout, args.progress, path)
    seconds = time.perf_counter() - start
    for line in failed:
        print(f'FAILED: {line}', flush=True)
    slots = get_config_option('daemon.worker_process_slots')
    extra = {'batch': batch, 'workers': workers, 'worker_slots': slots, 'submit_seconds': round(submitted, 3)}
    return record(path, len(atoms), seconds, **extra, failed=failed)


@contextlib.contextmanager
def daemon(workers: int, model, timeout: float) -> Iterator[None]:
    """Start the daemon of the loaded profile with ``workers`` workers, warmed up; stop it after."""
    from aiida.engine import submit
    from aiida.engine.daemon.client import get_daemon_client

    from aiida_symclf.workflows.classify import SymmetryClassificationWorkChain as Classify

    client = get_daemon_client()
    client.start_daemon(number_workers=workers, timeout=60)
    try:
        warm = structures(2 * workers)
        pks = [submit(Classify, **workchain_inputs([a], i, model, i % 2 == 1)).pk for i, a in enumerate(warm)]
        wait_for(pks, timeout, False, 'warm-up')
        yield
    finally:
        client.stop_daemon(wait=True, timeout=120)


# --------------------------------------------------------------------------------------------
# Profiling
# --------------------------------------------------------------------------------------------


def profile_workchain(atoms: list, model_path: Path, compact: bool, path: str) -> dict[str, Any]:
    """cProfile of one WorkChain of ``len(atoms)`` structures: total and the biggest costs."""
    from aiida.engine import run_get_node

    from aiida_symclf.data import SymclfModelData
    from aiida_symclf.workflows.classify import SymmetryClassificationWorkChain as Classify

    model = SymclfModelData.get_or_create(model_path)
    run_get_node(Classify, **workchain_inputs(atoms[:1], 0, model, compact))
    inputs = workchain_inputs(atoms, 0, model, compact)
    output = PROFILE_DIR / f'throughput-{path}.prof'
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    run_get_node(Classify, **inputs)
    profiler.disable()
    seconds = time.perf_counter() - start
    output.parent.mkdir(parents=True, exist_ok=True)
    profiler.dump_stats(output)
    stats = pstats.Stats(profiler)
    by_function = {f'{file}:{line}({name})': (calls, total, cumulative)
                   for (file, line, name), (_, calls, total, cumulative, _) in stats.stats.items()}  # type: ignore[attr-defined]  # fmt: skip

    def cumulative(*needles: str) -> float:
        return max((c for key, (_, _, c) in by_function.items() if all(n in key for n in needles)), default=0.0)

    def total(*needles: str) -> float:
        return sum(t for key, (_, t, _) in by_function.items() if all(n in key for n in needles))

    breakdown = {  # exclusive times (driver, ORM) and inclusive times (the rest); they overlap
        'database driver (sqlite3 / psycopg), exclusive': total('sqlite3') + total('/psycopg/'),
        'SQLAlchemy ORM, exclusive': total('/sqlalchemy/'),
        'links: add_incoming (validation + store)': cumulative('orm/nodes/links.py', '(add_incoming)'),
        'links: validate_incoming (uniqueness queries)': cumulative('orm/nodes/links.py', '(validate_incoming)'),
        'node store': cumulative('orm/nodes/node.py', '(store)'),
        'process outputs: update_outputs': cumulative('processes/process.py', '(update_outputs)'),
        'extras on inputs: _set_extras': cumulative('workchain.py', '(_set_extras)'),
        'fingerprints: fingerprint_nodes': cumulative('fingerprinting.py', '(fingerprint_nodes)'),
        'network: classify_nodes': cumulative('classifying.py', '(classify_nodes)'),
        'compact mode: classify_batch': cumulative('classify_batch.py', '(classify_batch)'),
    }
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats('tottime').print_stats(12)
    print(f'\n== cProfile, {path}: one WorkChain of {len(atoms)} structures, {seconds:.1f} s ({output})')
    for name, value in breakdown.items():
        print(f'  {name:50} {value:7.2f} s  {1000 * value / len(atoms):7.1f} ms/structure')
    print('\n'.join(text.getvalue().splitlines()[:30]))
    return {
        'path': path,
        'n': len(atoms),
        'seconds': round(seconds, 3),
        'breakdown_seconds': {k: round(v, 3) for k, v in breakdown.items()},
    }


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------


class Budget:
    """Skip a size when the rate measured for a smaller size predicts more than ``seconds``."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.rates: dict[str, float] = {}

    def allows(self, key: str, n: int) -> tuple[bool, float]:
        rate = self.rates.get(key)
        estimate = n / rate if rate else 0.0
        return estimate <= self.seconds, estimate

    def update(self, key: str, result: dict[str, Any]) -> None:
        self.rates[key] = result['per_second']


def print_table(results: list[dict[str, Any]]) -> None:
    print('\n| path | workers | batch | structures | seconds | structures/s |')
    print('|---|---:|---:|---:|---:|---:|')
    for r in results:
        seconds = f'{r["seconds"]:.1f}' if 'seconds' in r else r.get('skipped', '')
        rate = f'{r["per_second"]:.2f}' if 'per_second' in r else '-'
        rate += f' ({len(r["failed"])} WorkChains failed)' if r.get('failed') else ''
        print(f'| {r["path"]} | {r.get("workers", "-")} | {r.get("batch", "-")} | {r["n"]} | {seconds} | {rate} |')


def run(args: argparse.Namespace) -> dict[str, Any]:
    """All measurements asked for by ``args``; the report written as JSON."""
    import torch

    results: list[dict[str, Any]] = []
    profiles: list[dict[str, Any]] = []
    budget = Budget(args.budget)

    def measure(key: str, n: int, function, *arguments) -> None:
        allowed, estimate = budget.allows(key, n)
        if not allowed:
            path, batch, workers = (key.split('|') + ['-', '-'])[:3]
            results.append(
                {
                    'path': path,
                    'n': n,
                    'batch': batch,
                    'workers': workers,
                    'skipped': f'skipped (est. {estimate:.0f} s)',
                }
            )
            print(f'skipping {key} n={n}: estimated {estimate:.0f} s > --budget {args.budget:.0f} s', flush=True)
            return
        result = function(*arguments)
        budget.update(key, result)
        results.append(result)
        print(json.dumps(result), flush=True)

    inputs = {n: structures(n) for n in args.sizes}
    modes = [
        (mode == 'compact', args.compact_batch_size if mode == 'compact' else args.batch_size) for mode in args.storage
    ]
    for device in [] if args.skip_library else ['cpu'] + (['cuda'] if torch.cuda.is_available() else []):
        for n in args.sizes:
            measure(f'library-{device}', n, library, inputs[n], args.model, device, args.progress)

    if not args.skip_workchain:
        sqlite_profile('bench-sqlite')
        for compact, batches in modes:
            path = label('workchain-sqlite', compact)
            if args.profile:
                profiles.append(profile_workchain(structures(args.profile), args.model, compact, path))
            for batch in batches:
                for n in args.sizes:
                    measure(
                        f'{path}|{batch}', n, workchain_in_process, inputs[n], batch, args.model, compact, args.progress
                    )

    if not args.skip_daemon:
        from aiida_symclf.data import SymclfModelData

        with psql_profile(f'bench-psql-{secrets.token_hex(3)}', args.worker_slots):
            model = SymclfModelData.get_or_create(args.model)
            if args.profile:
                for compact, _ in modes:
                    path = label('in-process-psql', compact)
                    profiles.append(profile_workchain(structures(args.profile), args.model, compact, path))
            for workers in args.workers:
                with daemon(workers, model, args.timeout):
                    for compact, batches in modes:
                        for batch in batches:
                            for n in args.sizes:
                                key = f'{label(f"daemon-psql-{workers}w", compact)}|{batch}|{workers}'
                                measure(key, n, daemon_run, inputs[n], batch, model, compact, workers, args)
    machine = {
        'platform': platform.platform(), 'python': platform.python_version(), 'cpus': os.cpu_count(),
        'torch': torch.__version__, 'cuda': torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        'load_average_at_end': os.getloadavg(),
    }  # fmt: skip
    arguments = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    return {'machine': machine, 'arguments': arguments, 'results': results, 'profiles': profiles}


def merged(previous: dict[str, Any], report: dict[str, Any]) -> dict[str, Any]:
    """``report`` with the measurements of ``previous`` that it does not repeat (``--append``)."""

    def key(item: dict[str, Any]) -> tuple:
        return item['path'], item['n'], str(item.get('batch', '-')), str(item.get('workers', '-'))

    def merge(name: str) -> list[dict[str, Any]]:
        new = {key(item) for item in report[name]}
        return [item for item in previous.get(name, []) if key(item) not in new] + report[name]

    invocations = previous.get('invocations', [previous['arguments']] if 'arguments' in previous else [])
    return {
        **report,
        'invocations': [*invocations, report['arguments']],
        'results': merge('results'),
        'profiles': merge('profiles'),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        '--sizes', type=int, nargs='+', default=[100, 1000, 10000], help='numbers of structures (default: %(default)s)'
    )
    parser.add_argument(
        '--storage', nargs='+', choices=['per-structure', 'compact'], default=['per-structure', 'compact'],
        help='storage modes of the WorkChain paths (default: both)',
    )  # fmt: skip
    parser.add_argument(
        '--batch-size', type=int, nargs='+', default=[50], help='structures per WorkChain, per-structure mode (default: %(default)s)'
    )  # fmt: skip
    parser.add_argument(
        '--compact-batch-size', type=int, nargs='+', default=[500], help='structures per WorkChain, compact mode (default: %(default)s)'
    )  # fmt: skip
    parser.add_argument('--workers', type=int, nargs='+', default=[1, 2], help='daemon workers (default: %(default)s)')
    parser.add_argument(
        '--worker-slots', type=int, default=None, help="daemon.worker_process_slots (default: AiiDA's, 200)"
    )
    parser.add_argument('--skip-library', action='store_true', help='leave out the plain library calls')
    parser.add_argument('--skip-daemon', action='store_true', help='leave out the PostgreSQL + RabbitMQ daemon path')
    parser.add_argument(
        '--skip-workchain', action='store_true', help='leave out the in-process WorkChain path (sqlite)'
    )
    parser.add_argument('--model', type=Path, default=None, help='model file (default: the shipped model)')
    parser.add_argument(
        '--budget', type=float, default=900.0, help='skip a size estimated to take longer (s, default: %(default)s)'
    )
    parser.add_argument(
        '--timeout', type=float, default=3600.0, help='give up waiting for the daemon after (s, default: %(default)s)'
    )
    parser.add_argument(
        '--profile', type=int, default=0, metavar='N', help='also cProfile one WorkChain of N structures'
    )
    parser.add_argument('--progress', action='store_true', help='show progress bars')
    parser.add_argument('--output', type=Path, default=DEFAULT_OUTPUT, help='JSON output (default: %(default)s)')
    parser.add_argument('--append', action='store_true', help='merge into the JSON output instead of replacing it')
    args = parser.parse_args(argv)

    from aiida_symclf.library.model import shipped_model_path

    args.model = (args.model or shipped_model_path()).resolve()
    workdir = Path(tempfile.mkdtemp(prefix='symclf-throughput-'))
    os.environ['AIIDA_PATH'] = str(workdir / '.aiida')  # before aiida reads its configuration
    os.environ['PATH'] = f'{Path(sys.executable).parent}{os.pathsep}{os.environ.get("PATH", "")}'  # daemon runs `verdi`
    try:
        report = run(args)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if args.append and args.output.is_file():
        report = merged(json.loads(args.output.read_text()), report)
    print_table(report['results'])
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + '\n')
    print(f'\nwritten {args.output}')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
