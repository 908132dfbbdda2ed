"""Fingerprint throughput: ``python benchmarks/fingerprint.py``.

Measures fingerprints per second of ~250-atom blocks at 64 x 64 pixels, for several batch sizes
(one call of the fingerprint function per batch), on the CPU and, when available, on CUDA:

- ``kernel``: :func:`aiida_symclf.library.fingerprint.fingerprints_from_clusters` on clusters that are
  already scaled and centred (the diffraction alone);
- ``blocks``: :func:`aiida_symclf.library.fingerprint.diffraction_fingerprints` on prepared blocks with
  ``standardize=False`` (blocks already in the conventional frame: scaling, nearest neighbours, diffraction);
- ``full``: the same function on randomly rotated conventional cells with the default
  parameters (lattice from the Bragg peaks, block in the conventional frame, scaling, diffraction;
  the figures in ``results/fingerprint.json`` were measured before, with spglib standardisation);
- ``reference``: a plain-torch version of the same formula, ``I(q) = |sum_j exp(-i q . r_j)|^2``
  on every pixel of the 64 x 64 grid with the exact Ewald ``q_z`` (one complex exponential per
  pixel and atom), on the same clusters as ``kernel``.

Each measurement is warmed up once, repeated, and the median time is reported (and the best
repeat, less sensitive to other jobs on a shared machine). Results are printed as markdown
tables and written as JSON (default ``benchmarks/results/fingerprint.json``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from ase import Atoms

from aiida_symclf.library.dataset import defective_blocks, generate_structures
from aiida_symclf.library.fingerprint import (
    FingerprintParameters,
    diffraction_fingerprints,
    fingerprints_from_clusters,
    rotation_matrices,
    scaled_cluster,
    scattering_factors,
)
from aiida_symclf.library.perturb import PerturbationLevel

PATHS = ('kernel', 'blocks', 'full', 'reference')
DEFAULT_OUTPUT = Path(__file__).parent / 'results' / 'fingerprint.json'
STRUCTURE_SEED = 424242


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Inputs:
    """The same ``n`` structures at three stages of preparation."""

    cells: list[Atoms]  # randomly rotated conventional cells (input of the ``full`` path)
    blocks: list[Atoms]  # standardised, replicated ~250-atom blocks (``blocks`` path)
    clusters: list[np.ndarray]  # scaled, centred positions of the blocks (``kernel``, ``reference``)
    weights: list[np.ndarray]  # per-atom scattering factors of the blocks


def make_inputs(n: int, parameters: FingerprintParameters) -> Inputs:
    """``n`` structures cycling over all classes (bcc, fcc, diamond, sc, hcp/rh, bct139, bct141)."""
    from aiida_symclf.library.catalogue import CLASSES

    per_class = -(-n // len(CLASSES))
    structures, labels = generate_structures(per_class, STRUCTURE_SEED)
    # Interleave the classes so that every batch mixes them.
    order = np.argsort(np.arange(len(structures)) % per_class, kind='stable')[:n]
    cells = [structures[i] for i in order]
    blocks = defective_blocks(cells, PerturbationLevel(), parameters)
    clusters = [scaled_cluster(block) for block in blocks]
    weights = [scattering_factors(block, parameters.scattering) for block in blocks]
    return Inputs(cells, blocks, clusters, weights)


# --------------------------------------------------------------------------------------------
# Reference implementation
# --------------------------------------------------------------------------------------------


def reference_fingerprints(
    clusters: Sequence[np.ndarray],
    weights: Sequence[np.ndarray],
    parameters: FingerprintParameters,
    device: str = 'cpu',
) -> np.ndarray:
    """Fingerprints (B, 3, H, W) from the formula, without the paraxial factorisation.

    For each cluster and each of the six rotations, ``A(q) = sum_j f_j exp(-i q . r_j)`` on all
    H x W pixels with ``q = (q_x, q_y, sqrt(k^2 - q_perp^2) - k)`` (one complex exponential per
    pixel and atom, plain :func:`torch.einsum`), ``I = |A|^2``, the -45/+45 degree patterns
    summed per axis, the ring mask applied and the image min-max normalised. One cluster at
    a time: the (6, H*W, N) phase array of a 250-atom block is already ~25 MB.
    """
    dtype = torch.float32
    q_axis = torch.as_tensor(parameters.q_axis(), dtype=dtype, device=device)
    qy, qx = torch.meshgrid(q_axis, q_axis, indexing='ij')  # rows: y, columns: x
    k = parameters.wavenumber
    qz = torch.sqrt(k**2 - qx**2 - qy**2) - k
    q = torch.stack([qx, qy, qz], dim=-1).reshape(-1, 3)  # (P, 3)
    rotations = torch.as_tensor(rotation_matrices(), dtype=dtype, device=device)
    mask = torch.as_tensor(parameters.ring_mask(), dtype=dtype, device=device)
    keep = mask.bool()
    size = parameters.image_size
    images = []
    with torch.no_grad():
        for cluster, weight in zip(clusters, weights, strict=True):
            positions = torch.as_tensor(cluster, dtype=dtype, device=device)
            amplitudes = torch.as_tensor(weight, dtype=dtype, device=device)
            rotated = torch.einsum('rij,nj->rni', rotations, positions)  # (6, N, 3)
            phase = torch.einsum('pk,rnk->rpn', q, rotated)  # (6, P, N)
            # exp(-i phase) = cos(phase) - i sin(phase); real cos/sin kernels are ~15x faster
            # on the CPU than torch.exp of a complex64 tensor, with the same result.
            real = torch.einsum('rpn,n->rp', torch.cos(phase), amplitudes)
            imaginary = torch.einsum('rpn,n->rp', torch.sin(phase), amplitudes)
            intensity = (real**2 + imaginary**2).reshape(3, 2, size, size).sum(dim=1)
            masked = intensity * mask
            inside = masked[:, keep]
            low, high = inside.min(), inside.max()
            images.append(((masked - low) / torch.clamp(high - low, min=1e-30)).clamp(0, 1) * mask)
    return torch.stack(images).cpu().numpy()


# --------------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------------


def path_function(path: str, inputs: Inputs, parameters: FingerprintParameters, device: str) -> Callable[[int], Any]:
    """A function of the batch size ``b`` that fingerprints the first ``b`` inputs along ``path``."""
    block_parameters = dataclasses.replace(parameters, standardize=False)
    if path == 'kernel':
        return lambda b: fingerprints_from_clusters(inputs.clusters[:b], inputs.weights[:b], parameters, device=device)
    if path == 'blocks':
        return lambda b: diffraction_fingerprints(inputs.blocks[:b], block_parameters, device=device, batch_size=b)
    if path == 'full':
        return lambda b: diffraction_fingerprints(inputs.cells[:b], parameters, device=device, batch_size=b)
    if path == 'reference':
        return lambda b: reference_fingerprints(inputs.clusters[:b], inputs.weights[:b], parameters, device=device)
    raise ValueError(f'unknown path {path!r}; known: {", ".join(PATHS)}')


def synchronise(device: str) -> None:
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def time_call(function: Callable[[int], Any], batch_size: int, repeats: int, device: str) -> list[float]:
    """Wall-clock seconds of ``repeats`` calls of ``function(batch_size)`` after one warm-up call.

    The warm-up uses at most 64 structures: enough to initialise threads and allocators
    without doubling the time of the large batches.
    """
    function(min(batch_size, 64))
    synchronise(device)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function(batch_size)
        synchronise(device)
        times.append(time.perf_counter() - started)
    return times


def repeats_for(batch_size: int, repeats: int, path: str) -> int:
    """Fewer repeats for large batches (and for the slow reference) to bound the run time."""
    if batch_size >= 512:
        return max(1, min(repeats, 2 if path != 'reference' else 1))
    if path == 'reference' and batch_size >= 64:
        return max(1, min(repeats, 2))
    return repeats


def reference_deviation(inputs: Inputs, parameters: FingerprintParameters, n: int = 8) -> float:
    """Largest absolute difference between the fast fingerprints and the reference, first ``n``."""
    fast = fingerprints_from_clusters(inputs.clusters[:n], inputs.weights[:n], parameters)
    slow = reference_fingerprints(inputs.clusters[:n], inputs.weights[:n], parameters)
    return float(np.abs(fast - slow).max())


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    """CPU, thread and library versions of this machine."""
    model = None
    try:
        with open('/proc/cpuinfo') as handle:
            model = next((line.split(':', 1)[1].strip() for line in handle if line.startswith('model name')), None)
    except OSError:
        pass
    info = {
        'platform': platform.platform(),
        'python': sys.version.split()[0],
        'cpu_model': model,
        'cpu_count': os.cpu_count(),
        'cpu_affinity': len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else None,
        'torch': torch.__version__,
        'torch_threads': torch.get_num_threads(),
        'torch_interop_threads': torch.get_num_interop_threads(),
        'numpy': np.__version__,
        'cuda_available': torch.cuda.is_available(),
        'load_average_1_5_15_min_after': list(os.getloadavg()) if hasattr(os, 'getloadavg') else None,
    }
    if torch.cuda.is_available():
        info['cuda_device'] = torch.cuda.get_device_name(0)
    return info


def markdown_table(results: Sequence[dict[str, Any]], batch_sizes: Sequence[int], key: str = 'per_second') -> str:
    """Fingerprints per second (``key``), one row per (device, path), one column per batch size."""
    header = '| device | path | ' + ' | '.join(f'batch {b}' for b in batch_sizes) + ' |'
    lines = [header, '|' + '---|' * (2 + len(batch_sizes))]
    rows: dict[tuple[str, str], dict[int, float]] = {}
    for result in results:
        rows.setdefault((result['device'], result['path']), {})[result['batch_size']] = result[key]
    for (device, path), values in rows.items():
        cells = [f'{values[b]:.1f}' if b in values else '-' for b in batch_sizes]
        lines.append(f'| {device} | {path} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def run(batch_sizes: Sequence[int], repeats: int, devices: Sequence[str], paths: Sequence[str]) -> dict[str, Any]:
    """Time every (device, path, batch size) and return the JSON-ready results."""
    parameters = FingerprintParameters()
    inputs = make_inputs(max(batch_sizes), parameters)
    atoms_per_block = [len(block) for block in inputs.blocks]
    results = []
    for device in devices:
        for path in paths:
            function = path_function(path, inputs, parameters, device)
            for batch_size in batch_sizes:
                n_repeats = repeats_for(batch_size, repeats, path)
                times = time_call(function, batch_size, n_repeats, device)
                median = statistics.median(times)
                results.append({
                    'device': device,
                    'path': path,
                    'batch_size': batch_size,
                    'repeats': n_repeats,
                    'seconds': times,
                    'median_seconds': median,
                    'per_second': batch_size / median,
                    'best_per_second': batch_size / min(times),
                })  # fmt: skip
                print(f'{device:5s} {path:9s} batch {batch_size:5d}: {batch_size / median:8.1f} /s '
                      f'(median of {n_repeats}: {median:.4f} s)', flush=True)  # fmt: skip
    return {
        'benchmark': 'fingerprint throughput (fingerprints per second, median over repeats after one warm-up)',
        'machine': machine_info(),
        'fingerprint_parameters': parameters.to_dict(),
        'atoms_per_block': {
            'mean': float(np.mean(atoms_per_block)),
            'min': int(np.min(atoms_per_block)),
            'max': int(np.max(atoms_per_block)),
        },
        'reference_max_abs_deviation': reference_deviation(inputs, parameters),
        'results': results,
    }


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--batch-sizes', type=lambda s: [int(v) for v in s.split(',')], default=[1, 64, 1024],
                        help='comma-separated batch sizes (default 1,64,1024)')  # fmt: skip
    parser.add_argument('--repeats', type=int, default=5, help='timed repeats (fewer for batch >= 512)')
    parser.add_argument('--device', choices=('auto', 'cpu', 'cuda'), default='auto',
                        help='auto: the CPU, and CUDA too when available')  # fmt: skip
    parser.add_argument('--paths', type=lambda s: s.split(','), default=list(PATHS),
                        help=f'comma-separated subset of {",".join(PATHS)}')  # fmt: skip
    parser.add_argument('--threads', type=int, default=None, help='torch CPU threads (default: torch default)')
    parser.add_argument('--output', type=Path, default=DEFAULT_OUTPUT, help='JSON file to write')
    arguments = parser.parse_args(argv)
    unknown = set(arguments.paths) - set(PATHS)
    if unknown:
        parser.error(f'unknown paths: {", ".join(sorted(unknown))}')
    if arguments.device == 'cuda' and not torch.cuda.is_available():
        parser.error('CUDA is not available')
    return arguments


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    if arguments.threads is not None:
        torch.set_num_threads(arguments.threads)
    if arguments.device == 'auto':
        devices = ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])
    else:
        devices = [arguments.device]
    started = time.perf_counter()
    load_before = list(os.getloadavg()) if hasattr(os, 'getloadavg') else None
    report = run(arguments.batch_sizes, arguments.repeats, devices, arguments.paths)
    report['wall_seconds'] = round(time.perf_counter() - started, 1)
    report['machine']['load_average_1_5_15_min_before'] = load_before
    info = report['machine']
    print()
    print(f'Fingerprints per second, 64x64, ~{report["atoms_per_block"]["mean"]:.0f}-atom blocks; '
          f'{info["cpu_count"]} CPUs ({info["cpu_model"]}), torch {info["torch"]}, {info["torch_threads"]} threads')  # fmt: skip
    print()
    print('median of repeats:')
    print(markdown_table(report['results'], arguments.batch_sizes))
    print()
    print('best repeat:')
    print(markdown_table(report['results'], arguments.batch_sizes, key='best_per_second'))
    print()
    print(f'max |fast - reference| over normalised pixels: {report["reference_max_abs_deviation"]:.2e}; '
          f'total {report["wall_seconds"]} s')  # fmt: skip
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    arguments.output.write_text(json.dumps(report, indent=2) + '\n')
    print(f'wrote {arguments.output}')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
