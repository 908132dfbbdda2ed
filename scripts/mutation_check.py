#!/usr/bin/env python3
"""Does the test suite fail when the science breaks? ``python scripts/mutation_check.py``.

Each mutation below is a deliberate bug in the core (fingerprint physics, lattice recovery,
classification rules, robustness, attention, model loading), written as a text replacement. For
each one the repository is copied to a temporary directory, the replacement applied, and the
tests that should notice it are run there (the copy is imported first through ``PYTHONPATH``).
A mutation is *caught* when those tests fail. The table and a JSON report
(``benchmarks/results/mutations.json``) list the result; a missed mutation exits with 1.

``--daemon`` also removes the daemon restart from the integration test's scenario (needs
PostgreSQL and RabbitMQ; ~2 minutes).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / 'benchmarks' / 'results' / 'mutations.json'


@dataclasses.dataclass(frozen=True)
class Mutation:
    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]


MUTATIONS = (
    Mutation(
        'robustness counts any labelled replica as the same label',
        'aiida_symclf/utils/results.py',
        'sum(other == label for other in level)',
        'sum(other is not None for other in level)',
        ('tests/test_workchain.py',),
    ),
    Mutation(
        'class maps replaced by the image brightness',
        'aiida_symclf/library/attention.py',
        'maps = (gradients * images[None]).sum(dim=2).clamp(min=0).transpose(0, 1)',
        'maps = images.sum(dim=1)[:, None].expand(-1, logits.shape[1], -1, -1)',
        ('tests/test_attention.py',),
    ),
    Mutation(
        'sign of the Ewald curvature term flipped',
        'aiida_symclf/library/fingerprint.py',
        'curvature = -(q**2) / (2.0 * wavenumber)',
        'curvature = (q**2) / (2.0 * wavenumber)',
        ('tests/test_fingerprint.py',),
    ),
    Mutation(
        'nearest-neighbour scale x1.08',
        'aiida_symclf/library/fingerprint.py',
        'positions = positions / nearest_neighbour_distance(positions)',
        'positions = positions / (1.08 * nearest_neighbour_distance(positions))',
        ('tests/test_fingerprint.py::test_fcc_111_ring_radius',),
    ),
    Mutation(
        'model tensor digest not checked',
        'aiida_symclf/library/model.py',
        "if tensors_sha256(payload['state_dict']) != recorded:",
        'if False:',
        ('tests/test_model.py',),
    ),
    Mutation(
        'model metadata JSON errors not turned into ModelFileError',
        'aiida_symclf/library/model.py',
        'except json.JSONDecodeError as exception:',
        'except KeyError as exception:',
        ('tests/test_model.py',),
    ),
    Mutation(
        'Bragg peak threshold lets noise in (lattice too fine)',
        'aiida_symclf/library/lattice.py',
        'NOISE_FACTOR = 20.0',
        'NOISE_FACTOR = 2.0',
        ('tests/test_lattice.py', 'tests/test_userpath.py'),
    ),
    Mutation(
        'chemical order ignored (compounds get elemental labels)',
        'aiida_symclf/library/classification.py',
        "if lattice.get('chemically_ordered'):",
        'if False:',
        ('tests/test_userpath.py',),
    ),
    Mutation(
        'Bravais-lattice check ignored',
        'aiida_symclf/library/classification.py',
        'if bravais not in allowed:',
        'if False:',
        ('tests/test_classification.py', 'tests/test_userpath.py'),
    ),
    Mutation(
        "replicas perturb the prepared block instead of the user's supercell",
        'aiida_symclf/utils/replicas.py',
        'supercell = atoms.repeat(replication_for(atoms, parameters.target_atoms))',
        "supercell = __import__('aiida_symclf.library.fingerprint', fromlist=['prepare_block']).prepare_block(atoms, parameters)",
        ('tests/test_workchain.py', 'tests/test_calcfunctions.py'),
    ),
)

DAEMON = Mutation(
    'daemon restart removed from the integration scenario',
    'tests/test_daemon_integration.py',
    '        client.stop_daemon(wait=True, timeout=DAEMON_TIMEOUT)\n        client.start_daemon(number_workers=WORKERS, timeout=DAEMON_TIMEOUT)\n        pids.append',
    '        pids.append',
    ('tests/test_daemon_integration.py',),
)


def copy_repository(target: Path) -> None:
    ignore = shutil.ignore_patterns('.venv', '.git', '.aiida', 'docs', '_build', '__pycache__', '*.egg-info')
    shutil.copytree(ROOT, target, ignore=ignore)


def run(mutation: Mutation) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix='symclf-mutant-') as folder:
        copy = Path(folder) / 'repo'
        copy_repository(copy)
        path = copy / mutation.path
        text = path.read_text()
        if text.count(mutation.old) != 1:
            return {'name': mutation.name, 'result': 'not applied (text not found once)'}
        path.write_text(text.replace(mutation.old, mutation.new))
        env = dict(os.environ, PYTHONPATH=str(copy), MPLBACKEND='Agg')
        start = time.perf_counter()
        command = [
            sys.executable,
            '-m',
            'pytest',
            '-x',
            '-q',
            '-p',
            'no:cacheprovider',
            '-p',
            'no:randomly',
            *mutation.tests,
        ]
        completed = subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
    summary = completed.stdout.strip().splitlines()[-1] if completed.stdout.strip() else completed.stderr[-200:]
    return {
        'name': mutation.name,
        'file': mutation.path,
        'tests': list(mutation.tests),
        'result': 'caught' if completed.returncode != 0 else 'MISSED',
        'pytest': summary,
        'seconds': round(seconds, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--daemon', action='store_true', help='also the daemon-restart mutation (needs services)')
    parser.add_argument('--output', type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    mutations = MUTATIONS + ((DAEMON,) if args.daemon else ())
    results = []
    for mutation in mutations:
        result = run(mutation)
        results.append(result)
        print(f'{result["result"]:8s} {mutation.name}  [{result.get("pytest", "")}]', flush=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps({'command': 'python scripts/mutation_check.py', 'mutations': results}, indent=1) + '\n'
    )
    return 0 if all(r['result'] == 'caught' for r in results) else 1


if __name__ == '__main__':
    sys.exit(main())
