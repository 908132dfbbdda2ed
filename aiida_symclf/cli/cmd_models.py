"""``models``: the classifier models stored in the profile."""

from __future__ import annotations

import json

import click

from aiida_symclf.cli.errors import format_table, friendly_errors
from aiida_symclf.cli.params.options import JSON, profile_options
from aiida_symclf.cli.profiles import activate_profile


def _classes_cell(names: list[str], shown: int = 7) -> str:
    """``'7: bcc, fcc, ...'``: how many classes, and the first ``shown`` of them."""
    return f'{len(names)}: ' + ', '.join(names[:shown]) + (', ...' if len(names) > shown else '')


@click.command('models')
@JSON()
@profile_options
@friendly_errors
def models_command(as_json: bool, profile_name: str | None, yes: bool) -> None:
    """List the classifier models stored in the profile.

    These are the SymclfModelData nodes: pk, sha256, file name, classes and the validation
    accuracy recorded at training time.
    """
    from aiida_symclf.query import stored_models

    activate_profile(profile_name, yes, create=False)
    rows = [
        {
            'pk': node.pk,
            'sha256': node.sha256,
            'filename': node.filename,
            'classes': node.class_names,
            'validation_accuracy': (node.base.attributes.get('training') or {}).get('validation_accuracy'),
        }
        for node in stored_models()
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    elif rows:
        table = [
            [r['pk'], r['sha256'][:12], r['filename'], _classes_cell(r['classes']),
             '-' if r['validation_accuracy'] is None else f'{r["validation_accuracy"]:.4f}']
            for r in rows
        ]  # fmt: skip
        click.echo(format_table(table, ['pk', 'sha256', 'file', 'classes', 'validation accuracy']))
    else:
        click.echo('no model stored yet (classify something first)', err=True)
