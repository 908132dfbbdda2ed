"""AFLOW prototype benchmark (issue 28): ``python benchmarks/prototypes.py`` (``--quick``: ~2 minutes).

Every prototype of pymatgen's copy of the AFLOW Library of Crystallographic Prototypes, part 1
(288 structures, :data:`pymatgen.analysis.prototypes.AFLOW_PROTOTYPE_LIBRARY`), through the
library path (:func:`aiida_symclf.library.pipeline.classify_structures`, shipped model):

- *pristine*: the cell as the library stores it;
- *displacement 2%*, *vacancies 10%*: the way ``benchmarks/userpath.py`` builds inputs, a ~250-atom
  supercell along a random non-diagonal matrix, perturbed (:mod:`aiida_symclf.testing.user_inputs`)
  and randomly rotated.

Also the 81 prototypes of the AFLOW library's parts 2 and 3 in
:data:`aiida_symclf.testing.outside_prototypes.OUTSIDE_PROTOTYPES`, which no model has as a class
(they must be ``unknown``). ``--models default,FILE`` compares models in one run on the same
inputs; the in-class figures then include a per-class summary (classes below 90%).

Reported per level: *in-class* accuracy (prototypes whose AFLOW label is a form of one of the
classes must get that class), the *not-in-class* ``unknown`` rate (every other prototype; an input
the pipeline refuses counts as not ``unknown``), and the *parent* accuracy of the derivatives in
:data:`DERIVATIVES` (``unknown`` with ``parent_prototype`` the expected class's AFLOW label). The peer
row is pymatgen's :class:`~pymatgen.analysis.prototypes.AflowPrototypeMatcher` on the same inputs
(a class if one of its matches is a form of a class, else not labelled; it has no parent): on all
pristine inputs, and on the in-class prototypes plus a fixed random sample of the others for the
perturbed levels (it takes 0.5-13 s per 250-atom supercell). Writes
``benchmarks/results/prototypes.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault('SPGLIB_WARNING', 'OFF')

from aiida_symclf.library.catalogue import CLASSES, class_by_name  # noqa: E402
from aiida_symclf.library.classification import UNKNOWN  # noqa: E402
from aiida_symclf.library.model import load_model  # noqa: E402
from aiida_symclf.library.perturb import PerturbationLevel  # noqa: E402
from aiida_symclf.library.pipeline import classify_structures  # noqa: E402
from aiida_symclf.testing.outside_prototypes import OUTSIDE_PROTOTYPES, build  # noqa: E402
from aiida_symclf.testing.user_inputs import perturbed, random_rotation, random_supercell  # noqa: E402

OUTPUT = Path(__file__).parent / 'results' / 'prototypes.json'
SEED = 2028
LEVELS: dict[str, PerturbationLevel | None] = {
    'pristine': None,
    'displacement 2%': PerturbationLevel(displacement=0.02),
    'vacancies 10%': PerturbationLevel(vacancy_fraction=0.10),
}
#: (Derivative prototype, its formula) -> AFLOW label of the class it derives from (its expected
#: ``parent_prototype``): ordered derivatives with more sublattices, superstructures, ordered
#: vacancies. The formula tells apart prototypes with one label (calcite CaCO3 shares LiNbO3's).
DERIVATIVES: dict[tuple[str, str], str] = {
    ('AB3C_hR10_148_c_f_c', 'TiFeO3'): 'A2B3_hR10_167_c_e',  # ilmenite: Fe and Ti layers on corundum's cation sites
    ('ABC3_hR10_161_a_a_b', 'LiNbO3'): 'A2B3_hR10_167_c_e',  # LiNbO3 (ferroelectric): Li and Nb on those sites
    ('ABC3_hR10_167_a_b_e', 'LiNbO3'): 'A2B3_hR10_167_c_e',  # LiNbO3 (paraelectric)
    ('ABC_hP3_187_a_d_f', 'BaSbPt'): 'AB2_hP3_191_a_d',  # AlB2 with its two B sites taken by two species
    ('A9B16C7_cF128_225_acd_2f_be', 'Cr9Fe16Ni7'): 'AB2C_cF16_225_a_c_b',  # Heusler-based superstructure
    ('A_hP4_194_ac', 'La'): 'A_hP2_194_c',  # dhcp La: close-packed layers stacked ABAC, not AB
    ('AB_hP8_186_ab_ab', 'SiC'): 'AB_hP4_186_b_b',  # 4H-SiC: wurtzite's layers stacked ABCB
    ('AB_cP6_221_c_d', 'NbO'): 'AB_cF8_225_a_b',  # NbO: rocksalt with an ordered quarter of both sites empty
    ('AB12C3_cI32_229_a_h_b', 'Cr(Fe4Ni)3'): 'AB3_cP4_221_a_c',  # L1_2-based superstructure
    ('A3B_cP4_221_d_a', 'ReO3'): 'AB3C_cP5_221_a_c_b',  # ReO3: perovskite with its A site empty
    ('AB2_hP24_194_ef_fgh', 'MgNi2'): 'AB2_hP12_194_f_ah',  # C36 Laves phase: C14's layers stacked twice as long
}


def class_of_prototype(class_names: Any = None) -> dict[str, str]:
    """AFLOW label -> class name, for every form of every class of ``class_names`` (a model's; all
    built-in classes by default)."""
    known = class_by_name()
    classes = [known[name] for name in class_names if name in known] if class_names is not None else CLASSES
    return {form.aflow_prototype: crystal_class.name for crystal_class in classes for form in crystal_class.forms}


def build_cases(levels: list[str], rng: np.random.Generator, repeats: int = 1) -> list[dict[str, Any]]:
    """Cases per prototype and level (``repeats`` random inputs of each perturbed level): its label,
    formula, expected parent and the input atoms (what it should get depends on the model)."""
    from pymatgen.analysis.prototypes import AFLOW_PROTOTYPE_LIBRARY
    from pymatgen.io.ase import AseAtomsAdaptor

    cells = [
        (entry['tags']['aflow'], entry['snl'].structure.composition.reduced_formula,
         AseAtomsAdaptor.get_atoms(entry['snl'].structure))
        for entry in AFLOW_PROTOTYPE_LIBRARY
    ]  # fmt: skip
    cells += [(outside.label, outside.formula, build(outside)) for outside in OUTSIDE_PROTOTYPES]
    cases = []
    for prototype, formula, cell in cells:
        for level in levels:
            perturbation = LEVELS[level]
            for _ in range(1 if perturbation is None else repeats):
                atoms = (
                    cell
                    if perturbation is None
                    else random_rotation(perturbed(random_supercell(cell, rng), perturbation, rng), rng)
                )
                cases.append({
                    'prototype': prototype, 'level': level, 'atoms': atoms, 'formula': formula,
                    'parent_expected': DERIVATIVES.get((prototype, formula)),
                })  # fmt: skip
    return cases


def set_expected(cases: list[dict[str, Any]], class_names: Any) -> None:
    """What each case should get from a model of ``class_names``: the class one of whose forms is the
    case's prototype, else ``unknown`` (derivatives the model has as classes keep no expected parent)."""
    classes = class_of_prototype(class_names)
    for case in cases:
        case['expected'] = classes.get(case['prototype'], UNKNOWN)
        if case['expected'] != UNKNOWN:
            case['parent_expected'] = None


def classify(cases: list[dict[str, Any]], model: Any) -> float:
    """Label, parent and reason of every case (``error`` where the input is refused); structures per second."""
    start = time.perf_counter()
    records, errors = classify_structures([case['atoms'] for case in cases], model)
    elapsed = time.perf_counter() - start
    for case, record, error in zip(cases, records, errors, strict=True):
        case['label'] = record.label if record is not None else 'error'
        case['parent'] = record.parent_prototype if record is not None else None
        case['reason'] = record.unknown_reason if record is not None else error
        case['network_label'] = record.network_label if record is not None else ''
    return len(cases) / elapsed


def per_class(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """In-class accuracy of each expected class: the lowest ones and how many classes are below 90%."""
    hits: dict[str, list[bool]] = {}
    for case in rows:
        if case['expected'] != UNKNOWN:
            hits.setdefault(case['expected'], []).append(case['label'] == case['expected'])
    rates = {name: 100.0 * float(np.mean(values)) for name, values in hits.items()}
    lowest = sorted(rates.items(), key=lambda item: item[1])[:10]
    return {
        'classes': len(rates),
        'below_90': sum(rate < 90.0 for rate in rates.values()),
        'lowest': {name: round(rate, 1) for name, rate in lowest},
    }


def peer_cases(cases: list[dict[str, Any]], sample: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    """The cases the matcher gets: every pristine one; of each perturbed level the in-class ones and
    ``sample`` of the others (fixed by ``rng``)."""
    chosen = []
    for level in dict.fromkeys(case['level'] for case in cases):
        in_level = [case for case in cases if case['level'] == level]
        if level == 'pristine':
            chosen += in_level
            continue
        others = [case for case in in_level if case['expected'] == UNKNOWN]
        picked = rng.choice(len(others), min(sample, len(others)), replace=False)
        chosen += [case for case in in_level if case['expected'] != UNKNOWN] + [others[i] for i in sorted(picked)]
    return chosen


def match(cases: list[dict[str, Any]]) -> float:
    """pymatgen's AflowPrototypeMatcher on ``cases``: ``peer`` is a class or ``unknown``; seconds per structure."""
    from pymatgen.analysis.prototypes import AflowPrototypeMatcher
    from pymatgen.io.ase import AseAtomsAdaptor

    matcher = AflowPrototypeMatcher()
    start = time.perf_counter()
    for case in cases:
        found = matcher.get_prototypes(AseAtomsAdaptor.get_structure(case['atoms'])) or []
        case['peer_prototypes'] = [entry['tags']['aflow'] for entry in found]
    return (time.perf_counter() - start) / max(1, len(cases))


def set_peer(cases: list[dict[str, Any]], class_names: Any) -> None:
    """The matcher's answer in terms of a model's classes: the class of its first match that is a
    form of one (``unknown`` if none is)."""
    classes = class_of_prototype(class_names)
    for case in cases:
        if 'peer_prototypes' in case:
            labels = [classes[label] for label in case['peer_prototypes'] if label in classes]
            case['peer'] = labels[0] if labels else UNKNOWN


def _rate(hits: list[bool]) -> dict[str, Any]:
    return {'percent': round(100.0 * float(np.mean(hits)), 1) if hits else None, 'n': len(hits)}


def summarise(cases: list[dict[str, Any]], levels: list[str]) -> dict[str, Any]:
    """Per level: in-class accuracy, not-in-class unknown rate, parent accuracy; the peer's two rates."""
    summary = {}
    for level in levels:
        rows = [case for case in cases if case['level'] == level]
        inside = [case for case in rows if case['expected'] != UNKNOWN]
        outside = [case for case in rows if case['expected'] == UNKNOWN]
        derivatives = [case for case in rows if case['parent_expected']]
        peer_inside = [case for case in inside if 'peer' in case]
        peer_outside = [case for case in outside if 'peer' in case]
        peer_in_class, peer_unknown = (
            _rate([case['peer'] == case['expected'] for case in peer_inside]),
            _rate([case['peer'] == UNKNOWN for case in peer_outside]),
        )
        summary[level] = {
            'in_class': _rate([case['label'] == case['expected'] for case in inside]),
            'not_in_class_unknown': _rate([case['label'] == UNKNOWN for case in outside]),
            'parent': _rate([case['label'] == UNKNOWN and case['parent'] == case['parent_expected'] for case in derivatives]),
            'other_parents': sorted(
                f'{case["prototype"]} ({case["formula"]}) -> {case["parent"]}'
                for case in rows
                if case['parent'] and not case['parent_expected']
            ),
            'refused_inputs': sum(case['label'] == 'error' for case in rows),
            'per_class': per_class(rows),
            'peer_in_class': peer_in_class,
            'peer_not_in_class_unknown': peer_unknown,
            'false_labels': sorted(
                f'{case["prototype"]} ({case["formula"]}) -> {case["label"]}' for case in outside if case['label'] != UNKNOWN
            ),
            'in_class_misses': sorted(f'{case["prototype"]} -> {case["label"]}' for case in inside if case['label'] != case['expected']),
            'parent_misses': sorted(
                f'{case["prototype"]} -> {case["label"]} ({case["parent"] or "no parent"})'
                for case in derivatives if not (case['label'] == UNKNOWN and case['parent'] == case['parent_expected'])
            ),
        }  # fmt: skip
    return summary


def _cell(rate: dict[str, Any]) -> str:
    return '-' if rate['percent'] is None else f'{rate["percent"]:.1f} ({rate["n"]})'


def print_table(summary: dict[str, Any]) -> None:
    header = f'{"level":<18s}{"method":<24s}{"in-class %":>14s}{"not-in-class unknown %":>25s}{"parent %":>12s}'
    print(header)
    for level, row in summary.items():
        print(f'{level:<18s}{"aiida-symclf":<24s}{_cell(row["in_class"]):>14s}'
              f'{_cell(row["not_in_class_unknown"]):>25s}{_cell(row["parent"]):>12s}')  # fmt: skip
        print(f'{"":<18s}{"AflowPrototypeMatcher":<24s}{_cell(row["peer_in_class"]):>14s}'
              f'{_cell(row["peer_not_in_class_unknown"]):>25s}{"-":>12s}')  # fmt: skip
    for level, row in summary.items():
        print(f'\n{level}: false labels {row["false_labels"]}')
        print(f'{level}: in-class misses {row["in_class_misses"]}; parent misses {row["parent_misses"]}')
        print(f'{level}: parents outside the derivative list {row["other_parents"]}')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--quick', action='store_true', help='pristine and displacement 2%% only, peer sample 10')
    parser.add_argument(
        '--peer-sample', type=int, default=30, help='not-in-class inputs per perturbed level for the peer'
    )
    parser.add_argument('--repeats', type=int, default=1, help='random inputs per prototype and perturbed level')
    parser.add_argument('--models', default='default', help='comma-separated models compared in one run')
    parser.add_argument('--no-peer', action='store_true', help='leave out the AflowPrototypeMatcher row')
    parser.add_argument('--output', type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    levels = ['pristine', 'displacement 2%'] if args.quick else list(LEVELS)
    sample = 10 if args.quick else args.peer_sample
    rng = np.random.default_rng(SEED)
    cases = build_cases(levels, rng, args.repeats)
    models = {name: load_model(None if name == 'default' else name) for name in args.models.split(',')}
    set_expected(cases, next(iter(models.values())).class_names)
    peer_seconds = 0.0 if args.no_peer else match(peer_cases(cases, sample, rng))
    results = {}
    for name, model in models.items():
        set_expected(cases, model.class_names)
        set_peer(cases, model.class_names)
        speed = classify(cases, model)
        summary = summarise(cases, levels)
        print(f'\n== {name}: {len(model.class_names)} classes ==')
        print_table(summary)
        print(f'\naiida-symclf: {speed:.0f} structures/s; AflowPrototypeMatcher: {peer_seconds:.2f} s per structure')
        results[name] = {'classes': len(model.class_names), 'levels': summary, 'structures_per_second': round(speed, 1)}
    options = (' --quick' if args.quick else '') + (f' --repeats {args.repeats}' if args.repeats != 1 else '')
    options += ' --no-peer' if args.no_peer else ''
    result = {
        'command': f'python benchmarks/prototypes.py{options} --models {args.models}',
        'seed': SEED,
        'n_prototypes': len({case['prototype'] for case in cases}),
        'derivatives': {f'{label} ({formula})': parent for (label, formula), parent in DERIVATIVES.items()},
        'models': results,
        'peer_seconds_per_structure': round(peer_seconds, 2),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + '\n')
    print(f'wrote {args.output}')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
