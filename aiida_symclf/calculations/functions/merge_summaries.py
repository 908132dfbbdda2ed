"""The ``merge_summaries`` CalcFunction (entry point ``symclf.merge_summaries``)."""

from __future__ import annotations

from aiida import orm
from aiida.engine import calcfunction

from aiida_symclf.utils import results


@calcfunction
def merge_summaries(**summaries: orm.Dict) -> orm.Dict:
    """The run's summary from the summaries of its ``collect_results`` calls (one per batch).

    The WorkChain collects results in batches of a few structures because aiida-core compares a
    new ``Dict`` input with every earlier input of the same call by content (quadratic in the
    inputs of one call: 100 classification Dicts cost 16 s, see ``docs/scaling.rst``).
    """
    return orm.Dict(results.merge_summaries([summaries[key].get_dict() for key in sorted(summaries, key=_order)]))


def _order(key: str) -> int:
    """``batch_12`` -> 12, so that batches merge in the order they were collected."""
    return int(key.rsplit('_', 1)[-1])
