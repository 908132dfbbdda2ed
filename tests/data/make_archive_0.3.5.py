"""How ``symclf-0.3.5.aiida`` was made (run with aiida-symclf 0.3.5, commit e0547e3).

    AIIDA_PATH=/tmp/mk035/.aiida python tests/data/make_archive_0.3.5.py
    AIIDA_PATH=/tmp/mk035/.aiida verdi -p make035 archive create --all tests/data/symclf-0.3.5.aiida

The archive holds nodes of every mode of that version (per-structure with perturbations and
attention maps, compact, bulk with extras) so that ``tests/test_compatibility.py`` can check that
later versions still load and query them. It imports modules by their 0.3.5 paths on purpose.
"""

from aiida import orm
from aiida.engine import run_get_node
from ase.build import bulk

from aiida_symclf.profile import ensure_embedded_profile

ensure_embedded_profile('make035')

from aiida_symclf.bulk import BulkClassificationWorkChain  # noqa: E402
from aiida_symclf.workchain import SymmetryClassificationWorkChain  # noqa: E402

per_structure = {
    'Cu': orm.StructureData(ase=bulk('Cu', 'fcc', a=3.61)),
    'NaCl': orm.StructureData(ase=bulk('NaCl', 'rocksalt', a=5.64)),
}
run_get_node(
    SymmetryClassificationWorkChain,
    structures=per_structure,
    perturbations=orm.List([{'displacement': 0.02, 'vacancy_fraction': 0.1, 'replicas': 2, 'seed': 0}]),
    compute_attention=orm.Bool(True),
)
compact = {
    'Mg': orm.StructureData(ase=bulk('Mg', 'hcp', a=3.21, c=5.21)),
    'amorphous': orm.StructureData(ase=bulk('Si', 'diamond', a=5.43).repeat(1)),
}
run_get_node(SymmetryClassificationWorkChain, structures=compact, store_per_structure=orm.Bool(False))
stored = [
    orm.StructureData(ase=bulk('Fe', 'bcc', a=2.87)).store(),
    orm.StructureData(ase=bulk('W', 'bcc', a=3.16)).store(),
]
run_get_node(BulkClassificationWorkChain, uuids=orm.List([node.uuid for node in stored]))
