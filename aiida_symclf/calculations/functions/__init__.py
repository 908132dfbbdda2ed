"""Provenance-tracked steps of the plugin, as AiiDA CalcFunctions (entry points ``symclf.*``).

One process function per module, as in aiida-quantumespresso's ``calculations/functions``.

Single-structure functions (one process node per structure, the finest provenance):

- :func:`perturb_structure`: StructureData + Dict -> StructureData (a perturbed supercell)
- :func:`compute_fingerprint`: StructureData + Dict -> ArrayData
- :func:`classify_fingerprint`: ArrayData + SymclfModelData -> Dict
- :func:`compute_attention_maps`: ArrayData + SymclfModelData + Dict -> ArrayData (+ PNG)

Batched functions (one process node per batch, one output node per structure), used by the
WorkChain because the cost of a process node dominates for large sets:

- :func:`perturb_structures`, :func:`compute_fingerprints`, :func:`classify_fingerprints`,
  :func:`collect_results` (with :func:`merge_summaries` when it ran in several batches), and :func:`classify_batch` (the whole pipeline with three output nodes).

Local structure maps: :func:`map_structures` (StructureData + SymclfModelData + Dict -> one
LocalMapData per structure, batched), with :func:`merge_map_summaries` when a run mapped several batches.

Bulk mode: :func:`classify_stored` classifies stored structures by UUID and sets extras on them.
Chaining: :func:`emt_relax` is a real, cheap relaxation (ASE's EMT) for examples and tests.

Bad input ends the process with one of the exit codes in
:data:`aiida_symclf.utils.exit_codes.EXIT_CODES` (a failed process, no outputs), never with an
exception. A batched function reports a structure it cannot handle in its ``failures`` output and
goes on with the others. This folder holds only the process functions; the helpers they share
live in :mod:`aiida_symclf.utils`.
"""

from aiida_symclf.calculations.functions.classify_batch import classify_batch
from aiida_symclf.calculations.functions.classify_fingerprint import classify_fingerprint
from aiida_symclf.calculations.functions.classify_fingerprints import classify_fingerprints
from aiida_symclf.calculations.functions.classify_stored import classify_stored
from aiida_symclf.calculations.functions.classify_trajectory import classify_trajectory
from aiida_symclf.calculations.functions.collect_results import collect_results
from aiida_symclf.calculations.functions.compute_attention_maps import compute_attention_maps
from aiida_symclf.calculations.functions.compute_fingerprint import compute_fingerprint
from aiida_symclf.calculations.functions.compute_fingerprints import compute_fingerprints
from aiida_symclf.calculations.functions.emt_relax import emt_relax
from aiida_symclf.calculations.functions.map_structures import map_structures
from aiida_symclf.calculations.functions.merge_map_summaries import merge_map_summaries
from aiida_symclf.calculations.functions.merge_summaries import merge_summaries
from aiida_symclf.calculations.functions.perturb_structure import perturb_structure
from aiida_symclf.calculations.functions.perturb_structures import perturb_structures
from aiida_symclf.calculations.functions.trajectory_frames import trajectory_frames

__all__ = [
    'classify_batch',
    'classify_fingerprint',
    'classify_fingerprints',
    'classify_stored',
    'classify_trajectory',
    'collect_results',
    'compute_attention_maps',
    'compute_fingerprint',
    'compute_fingerprints',
    'emt_relax',
    'map_structures',
    'merge_map_summaries',
    'merge_summaries',
    'perturb_structure',
    'perturb_structures',
    'trajectory_frames',
]
