"""Relax with Quantum ESPRESSO, then classify: ``verdi run examples/qe_relax_then_classify.py CODE``.

Needs aiida-quantumespresso (``pip install -e .[qe]``), a configured ``quantumespresso.pw``
code (its label, e.g. ``pw@localhost``, as the argument), and a pseudopotential family from
aiida-pseudo: ``aiida-pseudo install sssp -x PBEsol -p efficiency``.
"""

from __future__ import annotations

import sys

from aiida import orm
from aiida.engine import run_get_node
from ase.build import bulk

from aiida_symclf.workflows.pw_relax import PwRelaxAndClassifyWorkChain

FAMILY = 'SSSP/1.3/PBEsol/efficiency'

code = orm.load_code(sys.argv[1] if len(sys.argv) > 1 else 'pw@localhost')
structure = orm.StructureData(ase=bulk('Al', 'fcc', a=4.1))
builder = PwRelaxAndClassifyWorkChain.get_builder_from_protocol(code, structure, pseudo_family=FAMILY)
builder.classify.perturbations = orm.List([{'displacement': 0.02, 'replicas': 3, 'seed': 0}])
_, node = run_get_node(builder)
result = node.outputs.classification.results['relaxed']
print(f'{node.process_label}<{node.pk}>: {result["label"]} (p = {result["probability"]:.3f})')
