"""Local structure maps benchmark (issue 26): ``python benchmarks/local_map.py`` (``--quick`` for ~10 minutes).

Every structure is mapped with :func:`aiida_symclf.library.local_map.map_structure` at the default
box and stride (a window holds about 180 atoms, stride half the box), one torch thread. Groups:

- ``polycrystals``: Voronoi polycrystals (:func:`aiida_symclf.testing.polycrystal.polycrystal`) of
  Cu (fcc), Fe (bcc), Mg (hcp/rh) and Si (diamond), 4 grains and ~10^4 atoms (``--quick``) or 8
  grains and ~3x10^4 atoms, under five conditions (Gaussian displacements of 0, 4 and 8% of the
  nearest-neighbour distance; 3% with 25% and with 50% of the atoms removed). Per-atom accuracy on
  the *interior* atoms (farther than half the map's box from a grain boundary) and on all atoms;
  grain orientation error (per grain, the smallest misorientation between its true orientation
  and a region of its class; max and mean over grains); atoms/s. Peers on the same atoms in the
  same run: OVITO's polyhedral template matching (PTM; default RMSD cutoff 0.1 and cutoff 0, none)
  and adaptive common-neighbour analysis (a-CNA); for Si, PTM with its cubic- and hexagonal-diamond
  templates enabled and OVITO's IdentifyDiamondModifier in place of a-CNA (only its ``CUBIC_DIAMOND``
  type counts as right, not the first- and second-neighbour types). Needs ``ovito`` (the ``bench``
  extra); without it the peer columns are empty.
- ``speed``: a 10^5-atom Cu polycrystal (``--speed-atoms``), 8 grains: seconds, atoms/s, and the
  ratio against PTM's atoms/s in the same run.
- ``two_phase``: Cu/Fe and Al/W stacks (:func:`~aiida_symclf.testing.polycrystal.two_phase_stack`,
  8 cells per phase as in the issue, and 16; each also with a box of 0.75 default boxes, and Cu/Fe
  with a stride of a quarter box) and a Co fcc/hcp stack of close-packed layers
  (:func:`~aiida_symclf.testing.polycrystal.close_packed_stack`): each phase's fraction of the
  atoms against the truth; per-atom accuracy beside PTM's.
- ``slabs``: Cu(111), Cu(100), Fe(110), Mg(0001) slabs with vacuum
  (:func:`~aiida_symclf.testing.polycrystal.slab`): fraction of the atoms at depth >= 2 layers
  labelled the bulk class.
- ``crystal_liquid``: half crystal, half liquid-like cells
  (:func:`~aiida_symclf.testing.polycrystal.crystal_liquid`; Cu x8 and Fe x10 as in the issue,
  and twice as large): the fraction of the liquid half labelled ``unknown`` and of the crystal
  half labelled its class, over all atoms and over those farther than half a box from the
  interfaces.
- ``layers_2d``: graphene, hBN and MoS2 monolayers in vacuum: the whole-structure label
  (:func:`aiida_symclf.library.pipeline.classify_structures`) and the map's labels; no 3D class
  should be given.

The issue's targets are printed beside the figures. Prints one table per group and writes
``benchmarks/results/local_map.json`` (``--output``) with the command line and all timings.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault('OMP_NUM_THREADS', '1')
os.environ.setdefault('SPGLIB_WARNING', 'OFF')

import numpy as np  # noqa: E402
from ase import Atoms  # noqa: E402
from ase.build import bulk, graphene, mx2  # noqa: E402

from aiida_symclf.library.catalogue import class_lattices  # noqa: E402
from aiida_symclf.library.classification import UNKNOWN  # noqa: E402
from aiida_symclf.library.local_map import LocalMap, MapParameters, map_structure  # noqa: E402
from aiida_symclf.library.model import load_model  # noqa: E402
from aiida_symclf.library.orientation import misorientation_degrees  # noqa: E402
from aiida_symclf.library.pipeline import classify_structures  # noqa: E402
from aiida_symclf.testing.polycrystal import (  # noqa: E402
    ELEMENTS,
    close_packed_stack,
    crystal_liquid,
    nearest_neighbour_distance,
    perturbed,
    polycrystal,
    slab,
    two_phase_stack,
)

HERE = Path(__file__).parent
RESULTS = HERE / 'results'

#: Polycrystal elements and conditions: (name, displacement in nearest-neighbour distances, missing fraction).
POLY_ELEMENTS = ('Cu', 'Fe', 'Mg', 'Si')
CONDITIONS = (('0%', 0.0, 0.0), ('4%', 0.04, 0.0), ('8%', 0.08, 0.0),
              ('3%+25% missing', 0.03, 0.25), ('3%+50% missing', 0.03, 0.50))  # fmt: skip
#: The issue's targets.
TARGET_INTERIOR = {'0%': 99.0, '4%': 99.0, '3%+25% missing': 97.0, '3%+50% missing': 95.0}
TARGET_PTM_GAP = 2.0  # at 8%: within 2 points of PTM (default cutoff)
TARGET_ORIENTATION = 3.0  # degrees, at <= 4% displacement
TARGET_FRACTION = 0.05
TARGET_SLAB = 95.0
TARGET_CRYSTAL_LIQUID = 95.0
TARGET_SPEED_SECONDS = 60.0  # for 10^5 atoms
#: Bravais lattice of each elemental class, for misorientations.
BRAVAIS = {name: next(iter(table)) for name, table in class_lattices().items()}


def density(element: str) -> float:
    """Atoms per cubic Angstrom of the pristine crystal."""
    _, structure, constants = ELEMENTS[element]
    unit = bulk(element, structure, cubic=structure != 'hcp', orthorhombic=structure == 'hcp', **constants)
    return len(unit) / unit.get_volume()


def edge_for(element: str, atoms: int) -> float:
    """Edge of a cubic box of ``element`` holding about ``atoms`` atoms."""
    return (atoms / density(element)) ** (1.0 / 3.0)


def timed_map(atoms: Atoms, model: Any) -> tuple[LocalMap, float]:
    start = time.perf_counter()
    local_map = map_structure(atoms, model, MapParameters())
    return local_map, time.perf_counter() - start


def percent(hits: np.ndarray) -> float | None:
    return round(100.0 * float(np.mean(hits)), 2) if len(hits) else None


# --------------------------------------------------------------------------------------------
# OVITO peers
# --------------------------------------------------------------------------------------------

#: OVITO structure types -> our classes.
OVITO_CLASSES = {'FCC': 'fcc', 'BCC': 'bcc', 'HCP': 'hcp/rh', 'SC': 'sc', 'CUBIC_DIAMOND': 'diamond'}


def ovito_available() -> bool:
    try:
        import ovito  # noqa: F401
    except ImportError:
        return False
    return True


def ovito_labels(atoms: Atoms, method: str, diamond: bool = False) -> tuple[list[str], float]:
    """Per-atom labels of OVITO's ``method`` (``ptm``, ``ptm-nocutoff``, ``acna``, ``diamond``) and
    the seconds taken (conversion from ase included). ``diamond``: PTM with its diamond templates."""
    from ovito.io.ase import ase_to_ovito
    from ovito.modifiers import (
        CommonNeighborAnalysisModifier,
        IdentifyDiamondModifier,
        PolyhedralTemplateMatchingModifier,
    )
    from ovito.pipeline import Pipeline, StaticSource

    start = time.perf_counter()
    if method.startswith('ptm'):
        modifier = PolyhedralTemplateMatchingModifier()
        if method == 'ptm-nocutoff':
            modifier.rmsd_cutoff = 0.0
        if diamond:
            for structure_type in (modifier.Type.CUBIC_DIAMOND, modifier.Type.HEX_DIAMOND):
                modifier.structures[structure_type].enabled = True
    elif method == 'acna':
        modifier = CommonNeighborAnalysisModifier()
    else:
        modifier = IdentifyDiamondModifier()
    names = {int(value): key for key, value in vars(type(modifier).Type).items() if key.isupper()}
    pipeline = Pipeline(source=StaticSource(data=ase_to_ovito(atoms)))
    pipeline.modifiers.append(modifier)
    data = pipeline.compute()
    types = np.asarray(data.particles['Structure Type'])
    seconds = time.perf_counter() - start
    return [OVITO_CLASSES.get(names[int(t)], UNKNOWN) for t in types], seconds


def peer_methods(label: str) -> list[str]:
    return ['ptm', 'ptm-nocutoff', 'diamond' if label == 'diamond' else 'acna']


# --------------------------------------------------------------------------------------------
# Groups
# --------------------------------------------------------------------------------------------


def grain_orientation_errors(local_map: LocalMap, rotations: list[np.ndarray], label: str) -> list[float | None]:
    """Per grain: the smallest misorientation (degrees) between a region of class ``label`` and the
    grain (its rotation is standard -> cell frame, a region's input -> standard: compared with its
    transpose); None where the map has no region of that class."""
    bravais = BRAVAIS[label]
    regions = [np.array(region['orientation']) for region in local_map.regions if region['label'] == label]
    if not regions:
        return [None] * len(rotations)
    return [round(min(misorientation_degrees(r, rotation.T, bravais) for r in regions), 3) for rotation in rotations]


def polycrystal_group(model: Any, grains: int, atoms_target: int, peers: bool) -> list[dict[str, Any]]:
    rows = []
    for index, element in enumerate(POLY_ELEMENTS):
        start = time.perf_counter()
        crystal = polycrystal(element, grains, edge_for(element, atoms_target), seed=11 + index)
        build_seconds = time.perf_counter() - start
        spacing = nearest_neighbour_distance(element)
        for k, (condition, displacement, missing) in enumerate(CONDITIONS):
            atoms, kept = perturbed(crystal.atoms, displacement, missing, spacing, seed=100 * index + k)
            local_map, seconds = timed_map(atoms, model)
            labels = np.array(local_map.atom_labels, dtype=object)
            distance = crystal.boundary_distance[kept]
            interior = distance > local_map.box / 2
            middle = (distance > local_map.box / 4) & ~interior
            right = labels == crystal.label
            errors = grain_orientation_errors(local_map, crystal.rotations, crystal.label)
            found = [e for e in errors if e is not None]
            row = {
                'element': element, 'label': crystal.label, 'condition': condition, 'displacement': displacement,
                'missing': missing, 'atoms': len(atoms), 'interior_atoms': int(interior.sum()),
                'edge_A': round(float(crystal.atoms.cell[0, 0]), 2), 'grains': grains,
                'build_seconds': round(build_seconds, 2), 'box_A': round(local_map.box, 3),
                'stride_A': round(local_map.stride, 3), 'grid': list(local_map.grid),
                'interior_%': percent(right[interior]), 'all_%': percent(right),
                'quarter_to_half_box_atoms': int(middle.sum()), 'quarter_to_half_box_%': percent(right[middle]),
                'fractions': local_map.fractions, 'regions': len(local_map.regions),
                'orientation_errors_deg': errors,
                'orientation_max_deg': round(max(found), 3) if found else None,
                'orientation_mean_deg': round(float(np.mean(found)), 3) if found else None,
                'grains_without_region': len(errors) - len(found),
                'seconds': round(seconds, 3), 'atoms_per_s': round(len(atoms) / seconds, 1),
            }  # fmt: skip
            if peers:
                for method in peer_methods(crystal.label):
                    answers, peer_seconds = ovito_labels(atoms, method, diamond=crystal.label == 'diamond')
                    hits = np.array(answers, dtype=object) == crystal.label
                    row[method] = {
                        'interior_%': percent(hits[interior]),
                        'quarter_to_half_box_%': percent(hits[middle]),
                        'all_%': percent(hits),
                        'seconds': round(peer_seconds, 3),
                        'atoms_per_s': round(len(atoms) / peer_seconds, 1),
                    }
            row['target'], row['met'] = polycrystal_target(row)
            rows.append(row)
            print(f'  {element} {condition}: {len(atoms)} atoms, interior {row["interior_%"]}%, '
                  f'{seconds:.1f} s', flush=True)  # fmt: skip
    return rows


def polycrystal_target(row: dict[str, Any]) -> tuple[str, bool | None]:
    """The issue's target of a row and whether it is met (None: cannot be judged)."""
    condition, interior = row['condition'], row['interior_%']
    if condition == '8%':
        # PTM's better setting: its default RMSD cutoff (0.1) rejects most atoms at 8%, no cutoff does not
        values = [(row.get(method) or {}).get('interior_%') for method in ('ptm', 'ptm-nocutoff')]
        values = [value for value in values if value is not None]
        if not values or interior is None:
            return f'>= PTM - {TARGET_PTM_GAP:g}', None
        ptm = max(values)
        return f'>= best PTM - {TARGET_PTM_GAP:g} ({ptm - TARGET_PTM_GAP:.1f})', interior >= ptm - TARGET_PTM_GAP
    target = TARGET_INTERIOR[condition]
    text = f'>= {target:g}%'
    met = interior is not None and interior >= target
    if condition in ('0%', '4%'):
        text += f', orient. <= {TARGET_ORIENTATION:g} deg'
        orientation = row['orientation_max_deg']
        met = met and orientation is not None and orientation <= TARGET_ORIENTATION and not row['grains_without_region']
    return text, met


def speed_group(model: Any, atoms_target: int, peers: bool) -> dict[str, Any]:
    start = time.perf_counter()
    crystal = polycrystal('Cu', 8, edge_for('Cu', atoms_target), seed=5)
    build_seconds = time.perf_counter() - start
    atoms = crystal.atoms
    local_map, seconds = timed_map(atoms, model)
    right = np.array(local_map.atom_labels, dtype=object) == 'fcc'
    interior = crystal.boundary_distance > local_map.box / 2
    row = {
        'structure': 'Cu polycrystal, 8 grains, pristine', 'atoms': len(atoms), 'build_seconds': round(build_seconds, 2),
        'box_A': round(local_map.box, 3), 'stride_A': round(local_map.stride, 3), 'grid': list(local_map.grid),
        'windows': len(local_map.labels), 'seconds': round(seconds, 2), 'atoms_per_s': round(len(atoms) / seconds, 1),
        'interior_%': percent(right[interior]), 'all_%': percent(right),
        'seconds_per_1e5_atoms': round(seconds * 1e5 / len(atoms), 2), 'target': f'<= {TARGET_SPEED_SECONDS:g} s per 1e5',
    }  # fmt: skip
    row['met'] = row['seconds_per_1e5_atoms'] <= TARGET_SPEED_SECONDS
    if peers:
        answers, peer_seconds = ovito_labels(atoms, 'ptm')
        row['ptm'] = {
            'seconds': round(peer_seconds, 3),
            'atoms_per_s': round(len(atoms) / peer_seconds, 1),
            'interior_%': percent((np.array(answers, dtype=object) == 'fcc')[interior]),
        }
        row['ratio_to_ptm'] = round(row['atoms_per_s'] / row['ptm']['atoms_per_s'], 4)
    return row


#: Box of the second map of each stack, in default boxes: windows within half a box of an interface are
#: unknown, so a smaller box (not a finer stride) narrows the band.
SMALL_BOX = 0.75


def two_phase_group(model: Any, peers: bool) -> list[dict[str, Any]]:
    cases = [('Cu/Fe', lambda: two_phase_stack('Cu', 'Fe')), ('Al/W', lambda: two_phase_stack('Al', 'W')),
             ('Co fcc/hcp 18+18 layers', lambda: close_packed_stack('Co', 2.5)),
             # twice as thick: the unknown band at each interface is the same, a smaller share of the atoms
             ('Cu/Fe 16 layers', lambda: two_phase_stack('Cu', 'Fe', layers=16)),
             ('Al/W 16 layers', lambda: two_phase_stack('Al', 'W', layers=16))]  # fmt: skip
    rows = []
    for name, build in cases:
        atoms, truth = build()
        truth = np.array(truth, dtype=object)
        default, _ = timed_map(atoms, model)
        for scale in (1.0, SMALL_BOX):
            rows.append(two_phase_row(atoms, truth, model, peers, name, default.box * scale, scale))
        if name == 'Cu/Fe':  # a finer stride, same box: the unknown band does not narrow
            rows.append(two_phase_row(atoms, truth, model, peers, name, default.box, 1.0, FINE_STRIDE))
    return rows


#: Stride of the extra Cu/Fe map, in boxes (the default is half a box).
FINE_STRIDE = 0.25


def two_phase_row(
    atoms: Atoms,
    truth: np.ndarray,
    model: Any,
    peers: bool,
    name: str,
    box: float,
    scale: float,
    stride_of_box: float = 0.5,
) -> dict[str, Any]:
    """One map of a stack with a ``box`` of ``scale`` default boxes and a stride of ``stride_of_box``
    boxes: phase fractions against the truth."""
    start = time.perf_counter()
    local_map = map_structure(atoms, model, MapParameters(box=box, stride=stride_of_box * box))
    seconds = time.perf_counter() - start
    labels = np.array(local_map.atom_labels, dtype=object)
    phases = {}
    for label in dict.fromkeys(truth.tolist()):
        true_fraction = float(np.mean(truth == label))
        mapped = float(local_map.fractions.get(label, 0.0))
        phases[label] = {'true': round(true_fraction, 4), 'map': round(mapped, 4),
                         'error': round(abs(mapped - true_fraction), 4)}  # fmt: skip
    row = {
        'stack': name, 'box_scale': scale, 'stride_of_box': stride_of_box, 'atoms': len(atoms),
        'box_A': round(local_map.box, 3),
        'stride_A': round(local_map.stride, 3),
        'grid': list(local_map.grid), 'phases': phases, 'fractions': local_map.fractions,
        'unknown_fraction': float(local_map.fractions.get(UNKNOWN, 0.0)),
        'per_atom_%': percent(labels == truth), 'seconds': round(seconds, 3),
        'target': f'fraction error <= {TARGET_FRACTION:g}',
        'met': all(phase['error'] <= TARGET_FRACTION for phase in phases.values()),
    }  # fmt: skip
    if peers:
        answers, peer_seconds = ovito_labels(atoms, 'ptm')
        answers = np.array(answers, dtype=object)
        fractions = {label: round(float(np.mean(answers == label)), 4) for label in phases}
        row['ptm'] = {
            'per_atom_%': percent(answers == truth),
            'fractions': fractions,
            'fraction_errors': {label: round(abs(fractions[label] - phases[label]['true']), 4) for label in phases},
            'seconds': round(peer_seconds, 3),
        }
    return row


def slab_group(model: Any, layers: int) -> list[dict[str, Any]]:
    cases = [('Cu', (1, 1, 1), 'fcc(111)'), ('Cu', (1, 0, 0), 'fcc(100)'), ('Fe', (1, 1, 0), 'bcc(110)'),
             ('Mg', (0, 0, 1), 'hcp(0001)')]  # fmt: skip
    rows = []
    for element, miller, name in cases:
        atoms, depth = slab(element, miller, layers=layers)
        local_map, seconds = timed_map(atoms, model)
        labels = np.array(local_map.atom_labels, dtype=object)
        label = ELEMENTS[element][0]
        inner = depth >= 2
        value = percent(labels[inner] == label)
        rows.append({
            'slab': f'{element} {name}', 'label': label, 'atoms': len(atoms), 'layers': layers, 'max_depth': int(depth.max()),
            'depth_ge_2_atoms': int(inner.sum()),
            'box_A': round(local_map.box, 3), 'stride_A': round(local_map.stride, 3), 'grid': list(local_map.grid),
            'depth_ge_2_%': value, 'all_%': percent(labels == label), 'fractions': local_map.fractions,
            'seconds': round(seconds, 3), 'target': f'>= {TARGET_SLAB:g}%', 'met': value is not None and value >= TARGET_SLAB,
        })  # fmt: skip
    return rows


def crystal_liquid_group(model: Any) -> list[dict[str, Any]]:
    rows = []
    # the cells, and cells twice as large (each half 29 A thick: atoms farther than half a box
    # from the interfaces exist)
    for element, repeats in (('Cu', 8), ('Fe', 10), ('Cu', 16), ('Fe', 20)):
        start = time.perf_counter()
        atoms, liquid = crystal_liquid(element, repeats)
        build_seconds = time.perf_counter() - start
        local_map, seconds = timed_map(atoms, model)
        labels = np.array(local_map.atom_labels, dtype=object)
        label = ELEMENTS[element][0]
        unknown, crystal = percent(labels[liquid] == UNKNOWN), percent(labels[~liquid] == label)
        # distance to the interfaces (scaled c = 0 and 0.5, the cell periodic along c)
        c = atoms.get_scaled_positions(wrap=True)[:, 2]
        height = atoms.cell.volume / np.linalg.norm(np.cross(atoms.cell[0], atoms.cell[1]))
        far = height * np.minimum(np.minimum(c, 1 - c), np.abs(c - 0.5)) > local_map.box / 2
        rows.append({
            'cell': f'{element} {label} x{repeats}', 'atoms': len(atoms), 'box_A': round(local_map.box, 3),
            'stride_A': round(local_map.stride, 3), 'grid': list(local_map.grid),
            'cell_lengths_A': [round(float(x), 2) for x in atoms.cell.lengths()],
            'liquid_unknown_%': unknown, 'crystal_right_%': crystal, 'fractions': local_map.fractions,
            'far_from_interface_atoms': int(far.sum()),
            'far_liquid_unknown_%': percent(labels[liquid & far] == UNKNOWN),
            'far_crystal_right_%': percent(labels[~liquid & far] == label), 'build_seconds': round(build_seconds, 2),
            'seconds': round(seconds, 3), 'target': f'>= {TARGET_CRYSTAL_LIQUID:g}% each',
            'met': min(unknown, crystal) >= TARGET_CRYSTAL_LIQUID,
        })  # fmt: skip
    return rows


def layer_structures() -> dict[str, Atoms]:
    """Monolayers in vacuum, about 30 A across."""
    return {
        'graphene': graphene('C2', a=2.46, size=(12, 12, 1), vacuum=10.0),
        'hBN': graphene('BN', a=2.504, size=(12, 12, 1), vacuum=10.0),
        'MoS2': mx2('MoS2', kind='2H', a=3.18, thickness=3.19, size=(10, 10, 1), vacuum=10.0),
    }


def layers_group(model: Any) -> list[dict[str, Any]]:
    classes = set(model.class_names)
    rows = []
    for name, atoms in layer_structures().items():
        atoms.pbc = True
        records, errors = classify_structures([atoms], model)
        whole = records[0]['label'] if records[0] else f'failed: {errors[0]}'
        local_map, seconds = timed_map(atoms, model)
        given = sorted(set(local_map.atom_labels) & classes)
        rows.append({
            'layer': name, 'atoms': len(atoms), 'whole_structure_label': whole,
            'whole_unknown_reason': (records[0] or {}).get('unknown_reason') or None,
            'map_fractions': local_map.fractions, 'map_3d_classes': given,
            'whole_is_3d_class': whole in classes, 'seconds': round(seconds, 3), 'target': 'no 3D class',
            'met': not given and whole not in classes,
        })  # fmt: skip
    return rows


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------


def table(headers: list[str], rows: list[list[Any]]) -> None:
    print('| ' + ' | '.join(headers) + ' |')
    print('|' + '---|' * len(headers))
    for row in rows:
        print('| ' + ' | '.join('-' if cell is None else str(cell) for cell in row) + ' |')
    print()


def met(value: bool | None) -> str:
    return {True: 'yes', False: 'NO', None: '?'}[value]


def print_tables(report: dict[str, Any]) -> None:
    groups = report['groups']
    if 'polycrystals' in groups:
        print_polycrystals(report)
    for name, printer in (('speed', print_speed), ('two_phase', print_two_phase), ('slabs', print_slabs),
                          ('crystal_liquid', print_crystal_liquid), ('layers_2d', print_layers)):  # fmt: skip
        if name in groups:
            printer(groups[name])


def peer(row: dict[str, Any], method: str, key: str = 'interior_%') -> Any:
    return (row.get(method) or {}).get(key)


def print_polycrystals(report: dict[str, Any]) -> None:
    groups = report['groups']
    print(
        f'\n## Polycrystals ({report["settings"]["grains"]} grains, ~{report["settings"]["polycrystal_atoms"]} atoms)'
    )

    table(
        ['element', 'condition', 'atoms', 'interior', 'symclf interior %', 'symclf box/4-box/2 % (atoms)',
         'symclf all %', 'PTM %',
         'PTM no cutoff %', 'a-CNA / IdDiamond %', 'orient. max / mean deg', 'symclf atoms/s', 'PTM atoms/s',
         'target', 'met'],
        [[r['element'], r['condition'], r['atoms'], r['interior_atoms'], r['interior_%'],
          f'{r["quarter_to_half_box_%"]} ({r["quarter_to_half_box_atoms"]})', r['all_%'], peer(r, 'ptm'),
          peer(r, 'ptm-nocutoff'), peer(r, 'diamond' if r['label'] == 'diamond' else 'acna'),
          f'{r["orientation_max_deg"]} / {r["orientation_mean_deg"]}'
          + (f' ({r["grains_without_region"]} grains w/o region)' if r['grains_without_region'] else ''),
          round(r['atoms_per_s']), None if peer(r, 'ptm', 'atoms_per_s') is None else round(peer(r, 'ptm', 'atoms_per_s')),
          r['target'], met(r['met'])] for r in groups['polycrystals']],
    )  # fmt: skip


def print_speed(s: dict[str, Any]) -> None:
    print('## Speed (default box and stride, one torch thread; OVITO its own default threads)')
    table(
        ['structure', 'atoms', 'windows', 'seconds', 'atoms/s', 'PTM seconds', 'PTM atoms/s', 'symclf / PTM',
         'interior % (symclf / PTM)', 'target', 'met'],
        [[s['structure'], s['atoms'], s['windows'], s['seconds'], round(s['atoms_per_s']), peer(s, 'ptm', 'seconds'),
          None if 'ptm' not in s else round(s['ptm']['atoms_per_s']), s.get('ratio_to_ptm'),
          f'{s["interior_%"]} / {peer(s, "ptm")}', s['target'], met(s['met'])]],
    )  # fmt: skip


def print_two_phase(rows: list[dict[str, Any]]) -> None:
    print('## Two-phase stacks (fraction of the atoms per phase, map against truth)')
    table(
        ['stack', 'box (A)', 'stride (A)', 'atoms', 'phases: true -> map (error)', 'unknown', 'per-atom %',
         'PTM per-atom %', 'PTM fraction errors', 'target', 'met'],
        [[r['stack'], f'{r["box_A"]:.1f}' + (f' (x{r["box_scale"]:g})' if r['box_scale'] != 1 else ''),
          f'{r["stride_A"]:.1f}', r['atoms'],
          '; '.join(f'{k} {v["true"]:.3f} -> {v["map"]:.3f} ({v["error"]:.3f})' for k, v in r['phases'].items()),
          f'{r["unknown_fraction"]:.3f}',
          r['per_atom_%'], peer(r, 'ptm', 'per_atom_%'),
          ', '.join(f'{k} {v:.3f}' for k, v in (peer(r, 'ptm', 'fraction_errors') or {}).items()) or None,
          r['target'], met(r['met'])] for r in rows],
    )  # fmt: skip


def print_slabs(rows: list[dict[str, Any]]) -> None:
    print('## Slabs (atoms at depth >= 2 layers labelled the bulk class)')
    table(
        ['slab', 'atoms', 'depth >= 2 atoms', 'depth >= 2 %', 'all %', 'fractions', 'target', 'met'],
        [[r['slab'], r['atoms'], r['depth_ge_2_atoms'], r['depth_ge_2_%'], r['all_%'], fractions_text(r['fractions']),
          r['target'], met(r['met'])] for r in rows],
    )  # fmt: skip


def print_crystal_liquid(rows: list[dict[str, Any]]) -> None:
    print('## Crystal/liquid')
    table(
        ['cell', 'atoms', 'cell (A)', 'liquid half unknown %', 'crystal half right %',
         '> box/2 from interface: liquid unknown % / crystal right %', 'target', 'met'],
        [[r['cell'], r['atoms'], ' x '.join(map(str, r['cell_lengths_A'])), r['liquid_unknown_%'],
          r['crystal_right_%'], f'{r["far_liquid_unknown_%"]} / {r["far_crystal_right_%"]}', r['target'],
          met(r['met'])] for r in rows],
    )  # fmt: skip


def print_layers(rows: list[dict[str, Any]]) -> None:
    print('## 2D layers')
    table(
        ['layer', 'atoms', 'whole structure', 'map fractions', '3D classes given', 'target', 'met'],
        [[r['layer'], r['atoms'], r['whole_structure_label'], fractions_text(r['map_fractions']),
          ', '.join(r['map_3d_classes']) or 'none', r['target'], met(r['met'])] for r in rows],
    )  # fmt: skip


def fractions_text(fractions: dict[str, float]) -> str:
    return ', '.join(f'{label} {value:.3f}' for label, value in sorted(fractions.items(), key=lambda kv: -kv[1]))


def machine() -> dict[str, Any]:
    import torch

    cpuinfo = Path('/proc/cpuinfo')
    names = [line.split(':', 1)[1].strip() for line in (cpuinfo.read_text().splitlines() if cpuinfo.exists() else [])
             if line.startswith('model name')]  # fmt: skip
    info = {'cpu': names[0] if names else platform.processor(), 'cpus': os.cpu_count(),
            'platform': platform.platform(), 'python': platform.python_version(), 'torch': torch.__version__,
            'torch_threads': torch.get_num_threads()}  # fmt: skip
    if ovito_available():
        import ovito

        info['ovito'] = '.'.join(map(str, ovito.version))
    return info


def code_state() -> dict[str, Any]:
    """The commit measured: ``git rev-parse HEAD`` and the modified files of the checkout, or (an
    exported tree, no git) the ``SYMCLF_CODE_COMMIT`` environment variable."""
    import subprocess

    root = HERE.parent
    try:
        commit = subprocess.run(['git', '-C', str(root), 'rev-parse', 'HEAD'], capture_output=True, text=True,
                                check=True).stdout.strip()  # fmt: skip
        status = subprocess.run(['git', '-C', str(root), 'status', '--porcelain', '--untracked-files=no'],
                                capture_output=True, text=True, check=True).stdout.splitlines()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return {
            'commit': os.environ.get('SYMCLF_CODE_COMMIT'),
            'note': 'an exported tree (git archive), not a checkout',
        }
    return {'commit': commit, 'modified': [line[3:] for line in status]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--quick', action='store_true', help='4 grains and ~1e4 atoms per polycrystal (~10 minutes)')
    parser.add_argument('--speed-atoms', type=int, default=100_000, help='atoms of the speed polycrystal')
    parser.add_argument('--slab-layers', type=int, default=12, help='layers of the slabs (ase.build.surface)')
    parser.add_argument('--groups', nargs='*', default=list(GROUPS), choices=list(GROUPS))
    parser.add_argument('--output', type=Path, default=RESULTS / 'local_map.json')
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    grains, poly_atoms = (4, 10_000) if args.quick else (8, 30_000)
    peers = ovito_available()
    if not peers:
        print('ovito is not installed (pip install -e .[bench]): no peer columns')
    model = load_model(None)
    report: dict[str, Any] = {
        'command': ' '.join(['python', 'benchmarks/local_map.py', *sys.argv[1:]]),
        'quick': args.quick,
        'note': ('quick run: 4 grains, ~1e4 atoms per polycrystal' if args.quick else 'full run: 8 grains, ~3e4 atoms'),
        'machine': machine(),
        'code': code_state(),
        'settings': {
            'grains': grains,
            'polycrystal_atoms': poly_atoms,
            'speed_atoms': args.speed_atoms,
            'slab_layers': args.slab_layers,
            'map_parameters': 'default (box holds ~180 atoms, stride box/2)',
            'threads': 'symclf: one torch thread (OMP_NUM_THREADS=1); OVITO: its default thread pool',
            'interior': 'farther than half the map box from a grain boundary',
        },  # fmt: skip
        'targets': {
            'interior_%': TARGET_INTERIOR,
            'ptm_gap_at_8%_points': TARGET_PTM_GAP,
            'orientation_deg_at_<=4%': TARGET_ORIENTATION,
            'fraction_error': TARGET_FRACTION,
            'slab_depth_ge_2_%': TARGET_SLAB,
            'crystal_liquid_%': TARGET_CRYSTAL_LIQUID,
            'seconds_per_1e5_atoms': TARGET_SPEED_SECONDS,
        },  # fmt: skip
        'groups': {},
        'group_seconds': {},
    }
    runners = {
        'polycrystals': lambda: polycrystal_group(model, grains, poly_atoms, peers),
        'speed': lambda: speed_group(model, args.speed_atoms, peers),
        'two_phase': lambda: two_phase_group(model, peers),
        'slabs': lambda: slab_group(model, args.slab_layers),
        'crystal_liquid': lambda: crystal_liquid_group(model),
        'layers_2d': lambda: layers_group(model),
    }
    started = time.perf_counter()
    for name in args.groups:
        print(f'{name} ...', flush=True)
        start = time.perf_counter()
        report['groups'][name] = runners[name]()
        report['group_seconds'][name] = round(time.perf_counter() - start, 1)
        report['load_1min'] = round(os.getloadavg()[0], 2)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(report, indent=1, default=_jsonable) + '\n')
    report['total_seconds'] = round(time.perf_counter() - started, 1)
    args.output.write_text(json.dumps(report, indent=1, default=_jsonable) + '\n')
    print_tables(report)
    print(f'total {report["total_seconds"]} s; wrote {args.output}')
    return 0


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    raise TypeError(f'{type(value)} is not JSON serializable')


GROUPS = ('polycrystals', 'speed', 'two_phase', 'slabs', 'crystal_liquid', 'layers_2d')

if __name__ == '__main__':
    raise SystemExit(main())
