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
@click.option('--model-sha256', default=None, help='Only results of the model with this sha256.')
@JSON()
@profile_options
@friendly_errors
def query_command(
    label: str | None,
    min_probability: float,
    aflow_prototype: str | None,
    model_sha256: str | None,
    as_json: bool,
    profile_name: str | None,
    yes: bool,
) -> None:
    """List stored structures by class and probability.

    Shows the structures classified as LABEL (and of the AFLOW PROTOTYPE) with at least MIN_PROBABILITY.
    Uses the extras that the WorkChain sets on every structure it classified
    (aiida_symclf.query.classified_structures).
    """
    from aiida_symclf.library.record import EXTRA_PREFIX
    from aiida_symclf.query import classified_structures

    activate_profile(profile_name, yes, create=False)
    rows = [
        {
            'pk': node.pk,
            'name': node.label,
            'formula': node.get_formula(),
            'label': node.base.extras.get(f'{EXTRA_PREFIX}label'),
            'aflow_prototype': node.base.extras.get(f'{EXTRA_PREFIX}aflow_prototype', ''),
            'probability': node.base.extras.get(f'{EXTRA_PREFIX}probability'),
        }
        for node in classified_structures(label, min_probability, model_sha256, aflow_prototype)
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    elif rows:
        table = [
            [r['pk'], r['name'], r['formula'], r['label'], r['aflow_prototype'], f'{r["probability"]:.3f}']
            for r in rows
        ]
        click.echo(format_table(table, ['pk', 'name', 'formula', 'label', 'AFLOW prototype', 'probability']))
    else:
        click.echo('no classified structure matches', err=True)
