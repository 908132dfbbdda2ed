"""``query``: stored structures by class, probability and model."""

from __future__ import annotations

import json

import click

from aiida_symclf.cli.errors import format_table, friendly_errors
from aiida_symclf.cli.params.options import JSON, profile_options
from aiida_symclf.cli.profiles import activate_profile


@click.command('query')
@click.option('-l', '--label', default=None, help='Class label, e.g. fcc, bcc, hcp/rh (default: any).')
@click.option(
    '--min-probability', type=click.FloatRange(0, 1), default=0.0, show_default=True, help='Lowest probability.'
)
@click.option('--prototype', 'aflow_prototype', default=None,
              help='AFLOW prototype label, e.g. AB_cF8_225_a_b (rocksalt) (default: any).')  # fmt: skip
@click.option('--parent-prototype', 'parent_prototype', default=None,
              help='Only unknown derivatives of this AFLOW prototype, e.g. A2B3_hR10_167_c_e (corundum).')  # fmt: skip
@click.option('--model-sha256', default=None, help='Only results of the model with this sha256.')
@JSON()
@profile_options
@friendly_errors
def query_command(
    label: str | None,
    min_probability: float,
    aflow_prototype: str | None,
    parent_prototype: str | None,
    model_sha256: str | None,
    as_json: bool,
    profile_name: str | None,
    yes: bool,
) -> None:
    """List stored structures by class and probability.

    Shows the structures classified as LABEL (and of the AFLOW PROTOTYPE) with at least MIN_PROBABILITY;
    with --parent-prototype, the unknown structures the Bragg facts make derivatives of that prototype.
    Uses the extras that the WorkChain sets on every structure it classified
    (aiida_symclf.query.classified_structures).
    """
    from aiida_symclf.library.record import EXTRA_PREFIX
    from aiida_symclf.query import classified_structures

    activate_profile(profile_name, yes, create=False)
    rows = [
        _row(node, EXTRA_PREFIX)
        for node in classified_structures(label, min_probability, model_sha256, aflow_prototype, parent_prototype)
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    elif rows:
        _print_rows(rows)
    else:
        click.echo('no classified structure matches', err=True)


def _row(node, prefix: str) -> dict:
    """What ``query`` shows of a classified structure, from its extras (structures classified before
    the ``unknown_reason`` extra existed have none: empty)."""
    extras = node.base.extras
    label = extras.get(f'{prefix}label')
    return {
        'pk': node.pk,
        'name': node.label,
        'formula': node.get_formula(),
        'label': label,
        'aflow_prototype': extras.get(f'{prefix}aflow_prototype', ''),
        'probability': extras.get(f'{prefix}probability'),
        'network_label': extras.get(f'{prefix}network_label', label),
        'unknown_reason': extras.get(f'{prefix}unknown_reason', ''),
        'parent_prototype': extras.get(f'{prefix}parent_prototype', ''),
    }


def _print_rows(rows: list[dict]) -> None:
    """The table, then one ``name: unknown: reason`` line per unknown structure (as ``classify`` prints).

    The probability is the network's for its own class (``network (prob.)``), which for an
    ``unknown`` structure is another class than the label: the column says which.
    """
    table = [
        [r['pk'], r['name'], r['formula'], r['label'], r['aflow_prototype'] or '-',
         f'{r["network_label"]} ({r["probability"]:.3f})']
        for r in rows
    ]  # fmt: skip
    click.echo(format_table(table, ['pk', 'name', 'formula', 'label', 'AFLOW prototype', 'network (prob.)']))
    for row in rows:
        if row['label'] == 'unknown':
            click.echo(f'{row["name"] or row["pk"]}: unknown: {row["unknown_reason"] or "(no reason recorded)"}')
