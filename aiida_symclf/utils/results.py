"""Per-structure results with robustness, and the summary of a run."""

from __future__ import annotations

import dataclasses
from typing import Any

from aiida import orm

from aiida_symclf.library.record import ClassificationRecord


def robustness(label: str, replica_labels: list[list[str | None]]) -> list[float | None]:
    """Per perturbation level, the fraction of replicas classified as ``label`` (None: no replica)."""
    return [sum(other == label for other in level) / len(level) if level else None for level in replica_labels]


def robustness_levels(
    label: str, levels: list[dict[str, Any]], replica_labels: list[list[str | None]]
) -> list[dict[str, Any]]:
    """Each perturbation level (as a dict) with its ``fraction_same_label`` for ``label``."""
    return [
        {**level, 'fraction_same_label': fraction}
        for level, fraction in zip(levels, robustness(label, replica_labels), strict=True)
    ]


def structure_result(key: str, layout: dict[str, Any], classifications: dict[str, orm.Dict]) -> dict[str, Any]:
    """The result of one input structure: its classification and robustness, or why it failed."""
    failures = layout['failures']
    frame = layout.get('frames', {}).get(key, {})  # a trajectory's frame: its trajectory and index
    if key in failures or key not in classifications:
        return {'status': 'failed', 'reason': failures.get(key, 'not classified'), **frame}
    record = ClassificationRecord.from_dict(classifications[key].get_dict())
    replica_labels = [
        [classifications[k]['label'] if k in classifications else None for k in level]
        for level in layout['structures'][key]
    ]
    robustness = robustness_levels(record.label, layout['levels'], replica_labels)
    return {'status': 'classified', **dataclasses.replace(record, robustness=robustness).to_dict(), **frame}


def summary(results: dict[str, dict[str, Any]], levels: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts per label, failures, and the mean robustness per level over all structures."""
    classified = [r for r in results.values() if r['status'] == 'classified']
    counts: dict[str, int] = {}
    for result in classified:
        counts[result['label']] = counts.get(result['label'], 0) + 1
    mean_robustness = []
    for index, level in enumerate(levels):
        fractions = [r['robustness'][index]['fraction_same_label'] for r in classified]
        fractions = [f for f in fractions if f is not None]
        mean_robustness.append(
            {**level, 'mean_fraction_same_label': sum(fractions) / len(fractions) if fractions else None}
        )
    return {
        'n_structures': len(results),
        'n_classified': len(classified),
        'n_failed': len(results) - len(classified),
        'failed': {key: r['reason'] for key, r in results.items() if r['status'] == 'failed'},
        'labels': {key: r['label'] for key, r in results.items() if r['status'] == 'classified'},
        'counts': counts,
        'robustness': mean_robustness,
    }


def merge_summaries(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    """One :func:`summary` of several batches' summaries, as if made from all their results at once.

    The mean robustness per level is weighted by the classified structures of each batch (every
    classified structure has a fraction at a level with replicas, none has one at a level without).
    """
    merged: dict[str, Any] = {'n_structures': 0, 'n_classified': 0, 'n_failed': 0, 'failed': {}, 'labels': {}}
    counts: dict[str, int] = {}
    for part in summaries:
        for name in ('n_structures', 'n_classified', 'n_failed'):
            merged[name] += part[name]
        merged['failed'].update(part['failed'])
        merged['labels'].update(part['labels'])
        for label, count in part['counts'].items():
            counts[label] = counts.get(label, 0) + count
    robustness = []
    for index, level in enumerate(summaries[0]['robustness'] if summaries else []):
        weighted = [
            (part['robustness'][index]['mean_fraction_same_label'], part['n_classified'])
            for part in summaries
            if part['robustness'][index]['mean_fraction_same_label'] is not None
        ]
        weight = sum(count for _, count in weighted)
        mean = sum(value * count for value, count in weighted) / weight if weight else None
        robustness.append({**level, 'mean_fraction_same_label': mean})
    return {**merged, 'counts': counts, 'robustness': robustness}
