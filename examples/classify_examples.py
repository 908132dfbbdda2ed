"""Classify example structures through the WorkChain: ``verdi run examples/classify_examples.py``.

Builds a few pristine and defective crystals with ase, runs ``SymmetryClassificationWorkChain``
(with a perturbation level to measure robustness, and attention maps), and prints a table:
structure, predicted class, probability, robustness, and spglib's class at a loose and at a
tight tolerance. Attention-map pictures are written to ``./symclf-output/``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from aiida import orm
from aiida.engine import run_get_node
from ase import Atoms
from ase.build import bulk

from aiida_symclf.dataset import reference_structures
from aiida_symclf.perturb import Perturbation, perturb_atoms
from aiida_symclf.symmetry import SPGLIB_LOOSE, SPGLIB_TIGHT, spglib_class
from aiida_symclf.workchain import SymmetryClassificationWorkChain

OUTPUT = Path.cwd() / 'symclf-output'  # under `verdi run`, __file__ is not the script's path


def example_structures() -> dict[str, Atoms]:
    """Pristine prototypes, one rotated supercell, and two defective blocks."""
    rotated = bulk('Cu', 'fcc', a=3.61).repeat((2, 2, 2))
    rotated.rotate(33, 'z', rotate_cell=True)
    rotated.rotate(17, 'x', rotate_cell=True)
    displaced_fe = perturb_atoms(bulk('Fe', 'bcc', a=2.87, cubic=True).repeat(5), Perturbation(0.04, 0.0, seed=7))
    vacant_si = perturb_atoms(bulk('Si', 'diamond', a=5.43, cubic=True).repeat(3), Perturbation(0.0, 0.25, seed=7))
    pristine = {
        f'{atoms.get_chemical_symbols()[0]}_{name.replace("/", "_")}': atoms
        for name, atoms in reference_structures().items()
    }
    return {
        **pristine,
        'Cu_fcc_rotated_supercell': rotated,
        'Fe_bcc_displaced_4pct': displaced_fe,
        'Si_diamond_25pct_vacancies': vacant_si,
    }


def print_table(atoms_by_key: dict[str, Atoms], node: orm.WorkChainNode) -> None:
    header = f'{"structure":28} {"class":8} {"prob.":>6} {"robust":>6}  {"spglib 0.1":10} {"spglib 1e-4":11}'
    print(header)
    print('-' * len(header))
    for key, atoms in atoms_by_key.items():
        result = node.outputs.results[key].get_dict()
        if result['status'] != 'classified':
            print(f'{key:28} failed: {result["reason"]}')
            continue
        fractions = [level['fraction_same_label'] for level in result['robustness']]
        robust = f'{np.mean(fractions):.2f}' if fractions else '-'
        loose = spglib_class(atoms, *SPGLIB_LOOSE) or 'none'
        tight = spglib_class(atoms, *SPGLIB_TIGHT) or 'none'
        print(f'{key:28} {result["label"]:8} {result["probability"]:6.3f} {robust:>6}  {loose:10} {tight:11}')


def save_attention_pictures(node: orm.WorkChainNode) -> None:
    OUTPUT.mkdir(exist_ok=True)
    for key, maps in node.outputs.attention_maps.items():
        (OUTPUT / f'attention_{key}.png').write_bytes(
            maps.base.repository.get_object_content('attention.png', mode='rb')
        )
    print(f'\nattention maps: {OUTPUT}/attention_<structure>.png')


def main() -> None:
    atoms_by_key = example_structures()
    _, node = run_get_node(
        SymmetryClassificationWorkChain,
        structures={key: orm.StructureData(ase=atoms) for key, atoms in atoms_by_key.items()},
        perturbations=orm.List([{'displacement_sigma': 0.02, 'vacancy_fraction': 0.1, 'replicas': 3, 'seed': 1}]),
        compute_attention=orm.Bool(True),
    )
    print(f'\n{node.process_label}<{node.pk}> finished with exit status {node.exit_status}\n')
    print_table(atoms_by_key, node)
    save_attention_pictures(node)
    print('\nrobustness: fraction of 3 replicas (2% displacement, 10% vacancies) with the same class')
    print(f'find results later: verdi process show {node.pk}; aiida_symclf.query.classified_structures(label="bcc")')


main()
