"""The ``merge_map_summaries`` CalcFunction (entry point ``symclf.merge_map_summaries``)."""

from __future__ import annotations

from aiida import orm
from aiida.engine import calcfunction

from aiida_symclf.utils.local_maps import merge_maps_summaries

__all__ = ['merge_map_summaries']


@calcfunction
def merge_map_summaries(**summaries: orm.Dict) -> orm.Dict:
    """The local-map WorkChain's summary from the ``summary`` outputs of its ``map_structures`` calls
    (``batch_0``, ``batch_1``, ...; one per batch of structures), merged in batch order."""
    ordered = sorted(summaries, key=lambda key: int(key.rsplit('_', 1)[-1]))
    return orm.Dict(merge_maps_summaries([summaries[key].get_dict() for key in ordered]))
