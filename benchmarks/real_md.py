"""Real-MD benchmark: ``python benchmarks/real_md.py`` (``--quick`` for a ~1 minute run).

LAMMPS (the Debian ``lmp`` binary and ``lammps-data`` potentials, :mod:`aiida_symclf.testing.lammps_md`)
heats four crystals, after the DC3 protocol (Chung et al., Phys. Rev. Materials 6, 043801, 2022):

- fcc Cu (Mishin ``Cu_mishin1.eam.alloy``), bcc Fe (Mendelev ``Fe_mm.eam.fs``), hcp Mg (Mendelev
  ``Mg_mm.eam.fs``), diamond Si (Stillinger-Weber ``Si.sw``), 216-256 atoms each;
- NPT at zero pressure (``iso`` coupling for the cubic crystals, ``aniso`` with x and y coupled for
  hcp), thermostat target raised linearly from 0.1 to 1.0 of the potential's melting temperature
  ``Tm``, then on to ``MELT_FACTOR`` x Tm so that the crystal, which has no surface to melt from,
  melts by superheating; one frame every ``--dump-every`` steps.

Every frame goes through the library path, :func:`aiida_symclf.library.pipeline.classify_structures`.
Ground truth of each frame from the structure itself: the crystalline order parameter ``Q`` =
mean over the crystal's Bragg vectors (those with ``|rho(G)|/N > 0.5`` in the first frame) of
``|sum_j exp(2 pi i h . s_j)| / N`` (s: fractional coordinates, so that the barostat's cell changes
do not matter); ``Q >= 0.3``: crystalline, ``Q < 0.1``: melted, in between: not counted. Reported
per system: accuracy of the crystalline frames up to 0.9 Tm and from 0.9 Tm on (target
temperature of the frame), the fraction of melted frames called ``unknown``, the first frame
called ``unknown`` against the melting frame seen in ``Q`` and in the largest jump of the
potential energy per atom, OVITO's PTM and adaptive-CNA majority labels on the same frames when
``ovito`` is installed (``pip install -e .[bench]``), and the library's time per frame.

Writes ``benchmarks/results/real_md.json`` and one figure per system,
``benchmarks/results/real_md_<system>.png`` (:func:`aiida_symclf.library.plot.plot_trajectory`).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault('OMP_NUM_THREADS', '1')

from ase.build import bulk  # noqa: E402

from aiida_symclf.library.classification import UNKNOWN  # noqa: E402
from aiida_symclf.library.model import load_model  # noqa: E402
from aiida_symclf.library.pipeline import classify_structures  # noqa: E402
from aiida_symclf.testing.lammps_md import available, default_potentials, heating_run  # noqa: E402

HERE = Path(__file__).parent
RESULTS = HERE / 'results'
#: Melting temperatures (K) of the potentials, from the literature of each potential: Mishin et al.,
#: PRB 63, 224106 (2001): 1327; Mendelev et al., Phil. Mag. 83, 3977 (2003), potential 2: 1772;
#: Sun et al. (Mendelev), J. Phys.: Condens. Matter 30, 135901 (2018) for Mg_mm: 926 (close to the
#: experimental 923); Stillinger and Weber, PRB 31, 5262 (1985): 1691.
SYSTEMS: dict[str, dict[str, Any]] = {
    'Cu_fcc': {'element': 'Cu', 'label': 'fcc', 'tm': 1327.0, 'barostat': 'iso',
               'atoms': lambda: bulk('Cu', 'fcc', a=3.615, cubic=True).repeat(4)},
    'Fe_bcc': {'element': 'Fe', 'label': 'bcc', 'tm': 1772.0, 'barostat': 'iso',
               'atoms': lambda: bulk('Fe', 'bcc', a=2.855, cubic=True).repeat((5, 5, 5))},
    'Mg_hcp': {'element': 'Mg', 'label': 'hcp/rh', 'tm': 926.0, 'barostat': 'xy',
               'atoms': lambda: bulk('Mg', 'hcp', a=3.19, c=5.18, orthorhombic=True).repeat((5, 3, 4))},
    'Si_diamond': {'element': 'Si', 'label': 'diamond', 'tm': 1691.0, 'barostat': 'iso',
                   'atoms': lambda: bulk('Si', 'diamond', a=5.431, cubic=True).repeat(3)},
}  # fmt: skip
START_FRACTION, CRYSTAL_FRACTION, MELT_FACTOR = 0.1, 1.0, 2.2
CRYSTALLINE_Q, MELTED_Q = 0.3, 0.1
ENERGY_WINDOW = 10  # frames over which the melting's rise of the potential energy is looked for


def bragg_vectors(atoms: Any, max_index: int = 12, threshold: float = 0.5) -> np.ndarray:
    """Integer vectors h (reciprocal basis of the supercell) where the first frame has a Bragg peak."""
    scaled = atoms.get_scaled_positions()
    grid = np.arange(-max_index, max_index + 1)
    candidates = np.array(np.meshgrid(grid, grid, grid, indexing='ij')).reshape(3, -1).T
    candidates = candidates[np.abs(candidates).sum(axis=1) > 0]
    amplitude = np.abs(np.exp(2j * np.pi * candidates @ scaled.T).sum(axis=1)) / len(atoms)
    return candidates[amplitude > threshold]


def order_parameter(atoms: Any, vectors: np.ndarray) -> float:
    """Mean ``|rho(G)| / N`` over the crystal's Bragg vectors: ~1 for the cold crystal, ~N^-1/2 for a liquid."""
    scaled = atoms.get_scaled_positions()
    return float(np.mean(np.abs(np.exp(2j * np.pi * vectors @ scaled.T).sum(axis=1)) / len(atoms)))


def run_system(name: str, spec: dict[str, Any], steps: int, dump_every: int) -> dict[str, Any]:
    """The heating run of one system: frames, target temperatures (in Tm), thermo and order parameter."""
    atoms = spec['atoms']()
    tm = spec['tm']
    stop = MELT_FACTOR * tm
    start_time = time.perf_counter()
    run = heating_run(atoms, default_potentials()[spec['element']], START_FRACTION * tm, stop, steps, dump_every,
                      seed=7, barostat=spec['barostat'])  # fmt: skip
    md_seconds = time.perf_counter() - start_time
    targets = START_FRACTION + (MELT_FACTOR - START_FRACTION) * run.steps / steps
    vectors = bragg_vectors(run.frames[0])
    order = np.array([order_parameter(frame, vectors) for frame in run.frames])
    return {'name': name, 'atoms': len(atoms), 'run': run, 'targets': targets, 'order': order,
            'md_seconds': md_seconds, 'bragg_vectors': len(vectors)}  # fmt: skip


def energy_melting_frame(energies: np.ndarray, window: int = ENERGY_WINDOW) -> int:
    """The frame in the middle of the largest rise of the potential energy per atom over ``window`` frames:
    the latent heat, which outweighs the heat capacity's steady rise over a few frames."""
    rise = energies[window:] - energies[:-window]
    return int(np.argmax(rise)) + window // 2


def first(indices: np.ndarray) -> int | None:
    return int(indices[0]) if len(indices) else None


def ovito_majority(frames: list) -> dict[str, list[str | None]]:
    """Majority structure type per frame from OVITO's PTM and adaptive CNA, if ``ovito`` is installed."""
    try:
        from ovito.io.ase import ase_to_ovito
        from ovito.modifiers import CommonNeighborAnalysisModifier, PolyhedralTemplateMatchingModifier
        from ovito.pipeline import Pipeline, StaticSource
    except ImportError:
        return {}
    names = {'FCC': 'fcc', 'BCC': 'bcc', 'HCP': 'hcp/rh', 'SC': 'sc', 'CUBIC_DIAMOND': 'diamond', 'OTHER': UNKNOWN}
    answers: dict[str, list[str | None]] = {}
    for method, make in (('ovito_ptm', PolyhedralTemplateMatchingModifier),
                         ('ovito_acna', CommonNeighborAnalysisModifier)):  # fmt: skip
        modifier = make()
        if method == 'ovito_ptm':
            for structure_type in (modifier.Type.CUBIC_DIAMOND, modifier.Type.HEX_DIAMOND):
                modifier.structures[structure_type].enabled = True
        types = [key for key in vars(type(modifier).Type) if key.isupper()]
        prefix = 'PolyhedralTemplateMatching' if method == 'ovito_ptm' else 'CommonNeighborAnalysis'
        labels = []
        for frame in frames:
            pipeline = Pipeline(source=StaticSource(data=ase_to_ovito(frame)))
            pipeline.modifiers.append(modifier)
            data = pipeline.compute()
            counts = {key: data.attributes.get(f'{prefix}.counts.{key}', 0) for key in types}
            labels.append(names.get(max(counts, key=counts.get), max(counts, key=counts.get).lower()))
        answers[method] = labels
    return answers


def score(labels: list[str | None], expected: str, crystalline: np.ndarray, melted: np.ndarray,
          below: np.ndarray) -> dict[str, Any]:  # fmt: skip
    """Accuracy on the crystalline frames up to and above 0.9 Tm, and the melted frames' unknown rate."""
    right = np.array([label == expected for label in labels])
    unknown = np.array([label == UNKNOWN for label in labels])
    low, high = crystalline & below, crystalline & ~below

    def percent(mask: np.ndarray, hits: np.ndarray) -> float | None:
        return round(100 * float(hits[mask].mean()), 1) if mask.any() else None

    return {
        'crystal_frames_to_0.9Tm': int(low.sum()), 'right_to_0.9Tm_%': percent(low, right),
        'crystal_frames_above_0.9Tm': int(high.sum()), 'right_above_0.9Tm_%': percent(high, right),
        'melted_frames': int(melted.sum()), 'melted_unknown_%': percent(melted, unknown),
        'first_unknown_frame': first(np.flatnonzero(unknown)),
        'wrong_crystalline_frames': {int(i): labels[i] for i in np.flatnonzero((low | high) & ~right)},
    }  # fmt: skip


def evaluate(system: dict[str, Any], spec: dict[str, Any], model: Any, workers: int, plots: bool) -> dict[str, Any]:
    run, targets, order = system['run'], system['targets'], system['order']
    start = time.perf_counter()
    records, errors = classify_structures(run.frames, model, workers=workers)
    seconds = time.perf_counter() - start
    labels = [record['label'] if record else None for record in records]
    crystalline, melted = order >= CRYSTALLINE_Q, order < MELTED_Q
    below = targets <= 0.9 + 1e-9
    melting_frame = first(np.flatnonzero(melted))
    result = {
        'system': system['name'], 'expected': spec['label'], 'atoms': system['atoms'], 'frames': len(run.frames),
        'tm_K': spec['tm'], 'barostat': spec['barostat'], 'md_seconds': round(system['md_seconds'], 1),
        'classify_seconds': round(seconds, 2), 'ms_per_frame': round(1000 * seconds / len(run.frames), 1),
        'failed_frames': sum(error is not None for error in errors),
        'melting_frame_Q': melting_frame,
        'melting_target_Tm': None if melting_frame is None else round(float(targets[melting_frame]), 3),
        'melting_frame_energy': energy_melting_frame(run.energies),
        'unclear_frames': int((~crystalline & ~melted).sum()),
        'symclf': score(labels, spec['label'], crystalline, melted, below),
        'frames_detail': [
            {'frame': i, 'step': int(run.steps[i]), 'target_Tm': round(float(targets[i]), 4),
             'T_K': round(float(run.temperatures[i]), 1), 'epot_eV_atom': round(float(run.energies[i]), 4),
             'Q': round(float(order[i]), 3), 'label': labels[i],
             'probability': None if records[i] is None else round(records[i]['probability'], 4),
             'bravais': ((records[i] or {}).get('lattice') or {}).get('bravais'),
             'unknown_reason': (records[i] or {}).get('unknown_reason') or None}
            for i in range(len(run.frames))
        ],
    }  # fmt: skip
    for method, answers in ovito_majority(run.frames).items():
        result[method] = score(answers, spec['label'], crystalline, melted, below)
        for row, answer in zip(result['frames_detail'], answers, strict=True):
            row[method] = answer
    if plots:
        from aiida_symclf.library.plot import plot_trajectory

        rows = [{**record, 'frame': i} if record else {'status': 'failed', 'frame': i} for i, record in
                enumerate(records)]  # fmt: skip
        title = f'{system["name"]}: heated 0.1 to {MELT_FACTOR} Tm (Tm = {spec["tm"]:g} K)'
        plot_trajectory(rows, RESULTS / f'real_md_{system["name"]}.png', title=title)
    return result


def print_table(results: list[dict[str, Any]]) -> None:
    header = (f'{"system":<11} {"atoms":>5} {"frames":>6} {"<=0.9Tm right":>14} {">0.9Tm right":>13} '
              f'{"melted unknown":>15} {"1st unknown":>11} {"melt (Q)":>8} {"melt (E)":>8} {"ms/frame":>8}')  # fmt: skip
    print(header)
    print('-' * len(header))
    for result in results:
        s = result['symclf']

        def cell(count: int, value: float | None) -> str:
            return f'{value:.1f}% of {count}' if value is not None else '-'

        print(f'{result["system"]:<11} {result["atoms"]:>5} {result["frames"]:>6} '
              f'{cell(s["crystal_frames_to_0.9Tm"], s["right_to_0.9Tm_%"]):>14} '
              f'{cell(s["crystal_frames_above_0.9Tm"], s["right_above_0.9Tm_%"]):>13} '
              f'{cell(s["melted_frames"], s["melted_unknown_%"]):>15} {str(s["first_unknown_frame"]):>11} '
              f'{str(result["melting_frame_Q"]):>8} {result["melting_frame_energy"]:>8} '
              f'{result["ms_per_frame"]:>8}')  # fmt: skip
    for result in results:
        for method in ('ovito_ptm', 'ovito_acna'):
            if method in result:
                s = result[method]
                print(f'  {result["system"]} {method}: <=0.9Tm {s["right_to_0.9Tm_%"]}%, >0.9Tm '
                      f'{s["right_above_0.9Tm_%"]}%, melted other {s["melted_unknown_%"]}%')  # fmt: skip
        wrong = result['symclf']['wrong_crystalline_frames']
        if wrong:
            print(f'  {result["system"]}: crystalline frames not {result["expected"]}: {wrong}')
        melted_wrong = {row['frame']: row['label'] for row in result['frames_detail']
                        if row['Q'] < MELTED_Q and row['label'] != UNKNOWN}  # fmt: skip
        if melted_wrong:
            print(f'  {result["system"]}: melted frames not unknown: {melted_wrong}')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--quick', action='store_true', help='a quarter of the steps (about a minute)')
    parser.add_argument('--steps', type=int, default=40_000, help='MD steps of each heating run (2 fs each)')
    parser.add_argument('--dump-every', type=int, default=100, help='steps between frames')
    parser.add_argument('--workers', type=int, default=2, help='processes of the library path')
    parser.add_argument('--systems', nargs='*', default=list(SYSTEMS), choices=list(SYSTEMS))
    parser.add_argument('--no-plots', action='store_true')
    parser.add_argument('--output', type=Path, default=RESULTS / 'real_md.json')
    args = parser.parse_args()
    reason = available([SYSTEMS[name]['element'] for name in args.systems])
    if reason:
        raise SystemExit(f'real_md.py: {reason}')
    steps = args.steps // 4 if args.quick else args.steps
    model = load_model()
    results = []
    for name in args.systems:
        system = run_system(name, SYSTEMS[name], steps, args.dump_every)
        results.append(evaluate(system, SYSTEMS[name], model, args.workers, not args.no_plots))
    print_table(results)
    import platform

    payload = {
        'command': 'python benchmarks/real_md.py' + (' --quick' if args.quick else ''),
        'steps': steps, 'dump_every': args.dump_every, 'timestep_ps': 0.002, 'workers': args.workers,
        'protocol': f'NPT 0 bar, target {START_FRACTION}-{MELT_FACTOR} Tm linear; Q>={CRYSTALLINE_Q} crystalline, '
        f'Q<{MELTED_Q} melted', 'cpu': platform.processor() or platform.machine(), 'cores': os.cpu_count(),
        'results': results,
    }  # fmt: skip
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(payload, indent=1) + '\n')
    print(f'\nwrote {args.output}')


if __name__ == '__main__':
    main()
