"""Nodes made by aiida-symclf 0.3.5 still load, read and query with this version.

``tests/data/symclf-0.3.5.aiida`` was made with 0.3.5 (``tests/data/make_archive_0.3.5.py``):
per-structure mode with perturbations and attention maps, compact mode, bulk mode. It is
imported into a profile of its own (a fresh interpreter with its own ``AIIDA_PATH``, so the
suite's shared profile is untouched), and everything a user does with old results is done:
processes name their classes (entry point names unchanged), the model node loads, the
fingerprints read, every result Dict reads as a :class:`ClassificationRecord`, and
``classified_structures`` finds the structures by their extras.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # imports an archive into a fresh profile in a new interpreter, ~20 s

ARCHIVE = Path(__file__).parent / 'data' / 'symclf-0.3.5.aiida'

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from aiida import orm
    from aiida.tools.archive import import_archive
    from aiida_symclf.utils.profile import ensure_embedded_profile
    ensure_embedded_profile('compat')
    import_archive(sys.argv[1])

    from aiida_symclf.data import FingerprintData, SymclfModelData
    from aiida_symclf.library.record import ClassificationRecord
    from aiida_symclf.query import classified_structures

    report = {}
    processes = orm.QueryBuilder().append(orm.ProcessNode, project='*').all(flat=True)
    report['process_classes'] = sorted({node.process_class.__name__ for node in processes})
    models = orm.QueryBuilder().append(SymclfModelData, project='*').all(flat=True)
    report['model_classes'] = [len(node.load().class_names) for node in models]
    fingerprints = orm.QueryBuilder().append(FingerprintData, project='*').all(flat=True)
    report['fingerprint_shapes'] = sorted({tuple(node.fingerprint.shape[-3:]) for node in fingerprints})
    labels = []
    for workchain in orm.QueryBuilder().append(orm.WorkChainNode, project='*').all(flat=True):
        if 'results' in workchain.outputs and workchain.process_label == 'SymmetryClassificationWorkChain':
            for key in workchain.outputs.results:
                labels.append(ClassificationRecord.from_dict(workchain.outputs.results[key].get_dict()).label)
        if 'batch_results' in workchain.outputs:
            for value in workchain.outputs.batch_results.get_dict().values():
                labels.append(ClassificationRecord.from_dict(value).label)
    for chunk in orm.QueryBuilder().append(orm.CalcFunctionNode, filters={'attributes.process_label': 'classify_stored'}, project='*').all(flat=True):
        for value in chunk.outputs.results.get_dict().values():
            labels.append(ClassificationRecord.from_dict(value).label)
    report['labels'] = sorted(labels)
    report['bcc_by_extras'] = len(classified_structures(label='bcc'))
    report['any_by_extras'] = len(classified_structures())
    print(json.dumps(report))
    """
)


def test_nodes_of_0_3_5_load_read_and_query(tmp_path):
    environment = dict(os.environ, AIIDA_PATH=str(tmp_path))
    result = subprocess.run(
        [sys.executable, '-c', SCRIPT, str(ARCHIVE)], capture_output=True, text=True, env=environment, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert {'SymmetryClassificationWorkChain', 'BulkClassificationWorkChain'} <= set(report['process_classes'])
    assert {'compute_fingerprints', 'classify_fingerprints', 'classify_stored'} <= set(report['process_classes'])
    assert report['model_classes'] == [33]
    assert report['fingerprint_shapes'] == [[3, 64, 64]]
    # per-structure Cu, NaCl; compact Mg and a diamond Si cell; bulk Fe and W
    assert report['labels'] == sorted(['fcc', 'rocksalt', 'hcp/rh', 'diamond', 'bcc', 'bcc'])
    assert report['bcc_by_extras'] == 2
    assert report['any_by_extras'] == 6
