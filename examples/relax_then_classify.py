"""Relax, then classify the relaxed structure: ``verdi run examples/relax_then_classify.py``.

The relaxation is a real one that runs anywhere (ASE's EMT potential in a CalcFunction); the
classification is exposed with ``expose_inputs``, as after any relax workchain's
``output_structure``. A strained and rattled copper cell relaxes back to fcc.
"""

from __future__ import annotations

import numpy as np
from aiida import orm
from aiida.engine import run_get_node
from ase.build import bulk

from aiida_symclf.workflows.relax import RelaxAndClassifyWorkChain

strained = bulk('Cu', 'fcc', a=3.9, cubic=True).repeat(2)
strained.set_cell(strained.cell * [1.04, 0.97, 1.0], scale_atoms=True)
strained.positions += np.random.default_rng(0).normal(0, 0.05, strained.positions.shape)

builder = RelaxAndClassifyWorkChain.get_builder()
builder.structure = orm.StructureData(ase=strained)
builder.classify.perturbations = orm.List([{'displacement': 0.02, 'replicas': 2, 'seed': 0}])
_, node = run_get_node(builder)
result = node.outputs.classification.results['relaxed']
print(f'{node.process_label}<{node.pk}>: exit status {node.exit_status}')
print(f'relaxed cell lengths: {np.round(node.outputs.relaxed_structure.get_ase().cell.lengths(), 3)}')
print(f'class: {result["label"]} (p = {result["probability"]:.3f})')
