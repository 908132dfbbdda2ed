"""Relax with Quantum ESPRESSO, then classify.

    verdi -p PROFILE run examples/qe_relax_then_classify.py [CODE] [FAMILY]

``CODE``: label of a ``quantumespresso.pw`` code (default ``pw@localhost``); ``FAMILY``: label of
an aiida-pseudo family that recommends cutoffs. The default, ``Debian/quantum-espresso-data/LDA``,
is made on first use from the UPF files of Debian's ``quantum-espresso-data`` package (one per
element, 20/80 Ry: a demonstration, not converged; ``python -m aiida_symclf.utils.pseudos --help``).
For production install SSSP (``aiida-pseudo install sssp -x PBEsol -p efficiency``, needs the
network) and pass ``SSSP/1.3/PBEsol/efficiency``. Needs aiida-quantumespresso (``pip install -e .[qe]``).

A strained 2-atom silicon cell is relaxed (cell and positions, ``pw.x`` without MPI on a local
computer) and the relaxed structure classified: diamond.
"""

from __future__ import annotations

import sys

from aiida import orm
from aiida.engine import run_get_node
from ase.build import bulk

from aiida_symclf.utils.pseudos import DEBIAN_FAMILY_LABEL, install_upf_family
from aiida_symclf.workflows.pw_relax import PwRelaxAndClassifyWorkChain

code = orm.load_code(sys.argv[1] if len(sys.argv) > 1 else 'pw@localhost')
family = sys.argv[2] if len(sys.argv) > 2 else DEBIAN_FAMILY_LABEL
if family == DEBIAN_FAMILY_LABEL:
    install_upf_family()  # no-op once installed

atoms = bulk('Si', 'diamond', a=5.40)
atoms.set_cell(atoms.cell.array * [[1.04], [1.0], [1.0]], scale_atoms=True)  # 4% strain along one cell vector
structure = orm.StructureData(ase=atoms)
# One vc-relax, k-points 0.5/A apart: seconds for this cell; drop the overrides for the protocol's own settings.
overrides = {
    'meta_convergence': False,
    **{name: {'kpoints_distance': 0.5} for name in ('base_relax', 'base_init_relax')},
}
builder = PwRelaxAndClassifyWorkChain.get_builder_from_protocol(
    code, structure, pseudo_family=family, overrides=overrides
)
builder.classify.perturbations = orm.List([{'displacement': 0.02, 'replicas': 3, 'seed': 0}])
_, node = run_get_node(builder)
if not node.is_finished_ok:
    sys.exit(f'{node.process_label}<{node.pk}> failed: {node.exit_status} {node.exit_message}')
result = node.outputs.classification.results['relaxed']
print(f'{node.process_label}<{node.pk}>: {result["label"]} (p = {result["probability"]:.3f})')
