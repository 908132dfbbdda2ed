"""Classify example structures through the WorkChain: ``verdi run examples/classify_examples.py``.

Builds crystals with ase the way users have them (pristine cells, a rotated supercell of the
primitive cell with thermal-like displacements, blocks with displacements or vacancies) and
compounds (rocksalt NaCl, ordered Cu3Au, displaced GaAs) and three structures of no class
(chalcopyrite, a compound of another prototype; an amorphous box; graphite), runs
``SymmetryClassificationWorkChain`` (with a perturbation level to measure robustness, and
attention maps), and prints a table: structure, class (``unknown`` with its reason when it is
none of the classes), the network's own answer and probability, its uncertainty, robustness,
the Bravais lattice found from the Bragg peaks, spglib's class at a loose and at a tight
tolerance, and the AFLOW prototype label. Attention-map pictures are written to ``./symclf-output/``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from aiida import orm
from aiida.engine import run_get_node
from ase import Atoms
from ase.build import bulk, make_supercell

from aiida_symclf.library.catalogue import reference_structures
from aiida_symclf.library.perturb import PerturbationLevel, perturb_atoms
from aiida_symclf.library.symmetry import SPGLIB_LOOSE, SPGLIB_TIGHT, spglib_class, spglib_space_group
from aiida_symclf.testing.real_compounds import COMPOUNDS, OTHER_COMPOUNDS
from aiida_symclf.testing.user_inputs import random_rotation, separated
from aiida_symclf.workflows.classify import SymmetryClassificationWorkChain

OUTPUT = Path.cwd() / 'symclf-output'  # under `verdi run`, __file__ is not the script's path


def example_structures() -> dict[str, Atoms]:
    """Pristine prototypes, rotated supercells, defective blocks and three structures of no class."""
    rotated = bulk('Cu', 'fcc', a=3.61).repeat((2, 2, 2))
    rotated.rotate(33, 'z', rotate_cell=True)
    rotated.rotate(17, 'x', rotate_cell=True)
    displaced_fe = perturb_atoms(bulk('Fe', 'bcc', a=2.87, cubic=True).repeat(5), PerturbationLevel(0.04, 0.0, seed=7))
    rng = np.random.default_rng(7)
    md_like = random_rotation(make_supercell(bulk('Ni', 'fcc', a=3.52), [[5, 1, 0], [0, 5, 1], [1, 0, 5]]), rng)
    md_like.positions += rng.normal(0.0, 0.03 * 2.49, md_like.positions.shape)  # 3% of the NN distance
    # random positions, with the pairs closer than atoms can be pushed apart (the input checks refuse overlaps)
    amorphous = separated(Atoms('Cu108', positions=rng.uniform(0, 11.0, (108, 3)), cell=[11.0] * 3, pbc=True))
    graphite = Atoms('C4', scaled_positions=[(0, 0, 0.25), (0, 0, 0.75), (1 / 3, 2 / 3, 0.25), (2 / 3, 1 / 3, 0.75)],
                     cell=[[2.46, 0, 0], [-1.23, 2.13, 0], [0, 0, 6.71]], pbc=True).repeat((4, 4, 2))  # fmt: skip
    vacant_si = perturb_atoms(bulk('Si', 'diamond', a=5.43, cubic=True).repeat(3), PerturbationLevel(0.0, 0.25, seed=7))
    pristine = {
        f'{atoms.get_chemical_symbols()[0]}_{name.replace("/", "_")}': atoms
        for name, atoms in reference_structures().items()
    }
    return {
        **pristine,
        'Cu_fcc_rotated_supercell': rotated,
        'Ni_fcc_md_like_supercell': md_like,
        'Fe_bcc_displaced_4pct': displaced_fe,
        'Si_diamond_25pct_vacancies': vacant_si,
        'NaCl_rocksalt': bulk('NaCl', 'rocksalt', a=5.64).repeat(3),
        'Cu3Au_L1_2': COMPOUNDS['L1_2']['AuCu'](1.0).repeat(4),
        'GaAs_displaced_2pct': perturb_atoms(
            bulk('GaAs', 'zincblende', a=5.65, cubic=True).repeat(3), PerturbationLevel(0.02, seed=7)
        ),
        'CuFeS2_chalcopyrite': OTHER_COMPOUNDS['CuFeS2 (chalcopyrite E1_1, tI16)'](1.0).repeat((3, 3, 2)),
        'amorphous_box': amorphous,
        'graphite': graphite,
    }


def spglib_cell(atoms: Atoms, tolerance: tuple[float, float]) -> str:
    """spglib's class (elemental by space group, compound by space group and Wyckoff positions), or
    ``-(number)`` for a space group of no class, or ``none``."""
    number = spglib_space_group(atoms, *tolerance)
    return spglib_class(atoms, *tolerance) or ('none' if number is None else f'-({number})')


def print_table(atoms_by_key: dict[str, Atoms], node: orm.WorkChainNode) -> None:
    header = (
        f'{"structure":27} {"class":10} {"network (prob.)":19} {"uncert.":>7} {"robust":>6} {"lattice":8} '
        f'{"spglib 0.1":10} {"spglib 1e-4":11} AFLOW prototype'
    )
    print(header)
    print('-' * len(header))
    reasons = []
    for key, atoms in atoms_by_key.items():
        result = node.outputs.results[key].get_dict()
        if result['status'] != 'classified':
            print(f'{key:27} failed: {result["reason"]}')
            continue
        fractions = [level['fraction_same_label'] for level in result['robustness']]
        robust = f'{np.mean(fractions):.2f}' if fractions else '-'
        loose, tight = (spglib_cell(atoms, tolerance) for tolerance in (SPGLIB_LOOSE, SPGLIB_TIGHT))
        network = f'{result["network_label"]} ({result["probability"]:.3f})'
        lattice = f'{result["lattice"]["bravais"]} x{result["lattice"]["atoms_per_lattice_point"]:g}'
        print(
            f'{key:27} {result["label"]:10} {network:19} {result["uncertainty"]:7.3f} {robust:>6} {lattice:8} '
            f'{loose:10} {tight:11} {result["aflow_prototype"] or "-"}'
        )
        if result['unknown_reason']:
            reasons.append(f'{key}: {result["unknown_reason"]}')
    if reasons:
        print('\nunknown:\n  ' + '\n  '.join(reasons))


def save_attention_pictures(node: orm.WorkChainNode) -> None:
    OUTPUT.mkdir(exist_ok=True)
    for key, maps in node.outputs.attention_maps.items():
        (OUTPUT / f'attention_{key}.png').write_bytes(
            maps.base.repository.get_object_content('attention.png', mode='rb')
        )
    print(f'\nattention maps: {OUTPUT}/attention_<structure>.png')


def labelled(key: str, atoms: Atoms) -> orm.StructureData:
    """StructureData with the example's name as its label, so that queries show it."""
    node = orm.StructureData(ase=atoms)
    node.label = key
    return node


def main() -> None:
    atoms_by_key = example_structures()
    _, node = run_get_node(
        SymmetryClassificationWorkChain,
        structures={key: labelled(key, atoms) for key, atoms in atoms_by_key.items()},
        perturbations=orm.List([{'displacement': 0.02, 'vacancy_fraction': 0.1, 'replicas': 3, 'seed': 1}]),
        compute_attention=orm.Bool(True),
    )
    print(f'\n{node.process_label}<{node.pk}> finished with exit status {node.exit_status}\n')
    print_table(atoms_by_key, node)
    save_attention_pictures(node)
    print('\nrobustness: fraction of 3 perturbed supercells (2% displacement, 10% vacancies) with the same class')
    print(f'find results later: verdi process show {node.pk}; aiida_symclf.query.classified_structures(label="bcc")')


main()
