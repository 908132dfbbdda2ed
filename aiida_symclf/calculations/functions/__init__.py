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

Bad input ends the process with one of the exit codes in :data:`EXIT_CODES` (a failed
process, no outputs), never with an exception. A batched function reports a structure it
cannot handle in its ``failures`` output and goes on with the others. The helpers shared by
the functions live in :mod:`.exit_codes`, :mod:`.inputs`, :mod:`.replicas`,
:mod:`.fingerprinting`, :mod:`.classifying` and :mod:`.results`.
"""

from .classify_batch import classify_batch
from .classify_fingerprint import classify_fingerprint
from .classify_fingerprints import classify_fingerprints
from .collect_results import collect_results
from .compute_attention_maps import compute_attention_maps
from .compute_fingerprint import compute_fingerprint
from .compute_fingerprints import compute_fingerprints
from .exit_codes import EXIT_CODES
from .merge_summaries import merge_summaries
from .perturb_structure import perturb_structure
from .perturb_structures import perturb_structures
from .replicas import perturbed_key

__all__ = [
    'EXIT_CODES',
    'classify_batch',
    'classify_fingerprint',
    'classify_fingerprints',
    'collect_results',
    'compute_attention_maps',
    'compute_fingerprint',
    'compute_fingerprints',
    'merge_summaries',
    'perturb_structure',
    'perturb_structures',
    'perturbed_key',
]
