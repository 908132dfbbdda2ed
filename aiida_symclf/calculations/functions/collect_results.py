"""The ``collect_results`` CalcFunction (entry point ``symclf.collect_results``)."""

from __future__ import annotations

from aiida import orm
from aiida.engine import calcfunction

from aiida_symclf.library.checkpoints import checkpoint
from aiida_symclf.utils.results import structure_result, summary


@calcfunction
def collect_results(layout: orm.Dict, **classifications: orm.Dict):
    """Per-structure results (``results.<key>``) and the run's ``summary`` from the classifications.

    ``layout``: ``structures`` (key -> per level, the keys of its perturbed replicas),
    ``levels`` (the perturbation levels) and ``failures`` (key -> reason).
    """
    values = layout.get_dict()
    results = {}
    for key in values['structures']:
        checkpoint()
        results[key] = structure_result(key, values, classifications)
    return {
        'results': {key: orm.Dict(result) for key, result in results.items()},
        'summary': orm.Dict(summary(results, values['levels'])),
    }
