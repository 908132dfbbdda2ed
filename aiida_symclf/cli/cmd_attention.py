"""``attention``: the attention-map PNG of a structure file or a stored node."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import click

from aiida_symclf.cli.errors import friendly_errors
from aiida_symclf.cli.inputs import read_structures
from aiida_symclf.cli.params.options import FORMAT, MODEL, profile_options
from aiida_symclf.cli.profiles import activate_profile

#: Defaults of ``attention --layer/--top-k``: those of :class:`aiida_symclf.library.attention.AttentionParameters`
#: (read without importing torch, which the CLI loads only when a command needs it).
ATTENTION_DEFAULTS = dataclasses.make_dataclass('AttentionDefaults', [('layer', int, -1), ('top_k', int, 4)])()


def _attention_from_file(
    target: Path, file_format: str | None, model_path: Path | None, output: Path, layer: int, top_k: int
) -> str:
    """Attention maps of the first structure of a file, with library calls; returns the predicted class."""
    from aiida_symclf.library.attention import compute_attention
    from aiida_symclf.library.classification import allowed_classes
    from aiida_symclf.library.model import load_model
    from aiida_symclf.library.pipeline import fingerprint_structures
    from aiida_symclf.library.plot import plot_attention

    structures, errors = read_structures([target], file_format)
    if errors:
        raise click.ClickException(f'{errors[0].name}: {errors[0].reason}')
    model = load_model(model_path)
    batch = fingerprint_structures([structures[0].atoms], model.metadata.fingerprint_parameters)
    if batch.errors:
        raise click.ClickException(f'{structures[0].name}: {batch.errors[0]}')
    fingerprint = batch.images[0]
    allowed = allowed_classes(model.class_names, batch.lattices[0])[None]
    maps = compute_attention(model, fingerprint[None], layer=layer, top_k=top_k, allowed=allowed)
    probabilities = model.predict(fingerprint[None], mc_samples=0, allowed=allowed)[0][0]
    plot_attention(fingerprint, maps, 0, model.class_names, output, probabilities=probabilities)
    return model.class_names[int(maps.predicted_class[0])]


def _looks_like_node(identifier: str) -> bool:
    """A pk (digits) or a uuid or uuid prefix (hex digits and dashes)."""
    return re.fullmatch(r'\d+|[0-9a-fA-F-]{4,36}', identifier) is not None


def _load_node(identifier: str):
    """The node with pk ``identifier`` (digits) or uuid (or unambiguous uuid prefix)."""
    from aiida import orm
    from aiida.common.exceptions import NotExistent

    try:
        return orm.load_node(pk=int(identifier)) if identifier.isdigit() else orm.load_node(uuid=identifier)
    except NotExistent:
        raise click.ClickException(f'{identifier!r} is neither a file nor the pk/uuid of a stored node') from None


def _run_step(function: Any, **inputs: Any):
    """Run a CalcFunction; its output node, or a one-line error with its exit message."""
    result, node = function.run_get_node(**inputs)
    if not node.is_finished_ok:
        raise click.ClickException(f'{node.process_label}<{node.pk}> failed: {node.exit_message or node.exception}')
    return result


def _fingerprint_of(node: Any, model: Any):
    """The fingerprint ArrayData of ``node``: the node itself, or computed from a StructureData."""
    from aiida import orm

    from aiida_symclf.calculations.functions import compute_fingerprint
    from aiida_symclf.data import FINGERPRINT_ARRAY

    if isinstance(node, orm.StructureData):
        parameters = orm.Dict(model.base.attributes.get('fingerprint_parameters'))
        return _run_step(compute_fingerprint, structure=node, fingerprint_parameters=parameters)
    if isinstance(node, orm.ArrayData) and FINGERPRINT_ARRAY in node.get_arraynames():
        return node
    raise click.ClickException(
        f'node {node.pk} is a {type(node).__name__}, not a StructureData or a fingerprint ArrayData'
    )


def _attention_from_node(identifier: str, model_path: Path | None, output: Path, layer: int, top_k: int):
    """Attention maps of a stored node through the CalcFunctions (provenance kept); the maps node."""
    from aiida import orm

    from aiida_symclf.calculations.functions import compute_attention_maps
    from aiida_symclf.data import SymclfModelData

    node = _load_node(identifier)
    model = SymclfModelData.get_or_create(model_path)
    fingerprint = _fingerprint_of(node, model)
    maps = _run_step(
        compute_attention_maps,
        fingerprint=fingerprint,
        model=model,
        attention_parameters=orm.Dict({'layer': layer, 'top_k': top_k}),
    )
    output.write_bytes(maps.base.repository.get_object_content('attention.png', mode='rb'))
    return maps


@click.command('attention')
@click.argument('target', metavar='FILE|NODE')
@click.option('-o', '--output', type=click.Path(path_type=Path, dir_okay=False), default=Path('attention.png'),
              show_default=True, help='PNG file to write.')  # fmt: skip
@FORMAT(help='ase file format of FILE (default: guessed).')
@MODEL()
@click.option(
    '--layer', type=int, default=ATTENTION_DEFAULTS.layer, show_default=True,
    help='Conv layer of the filter maps (negative: from the end).',
)  # fmt: skip
@click.option(
    '--top-k', type=click.IntRange(min=1), default=ATTENTION_DEFAULTS.top_k, show_default=True,
    help='Number of strongest filters shown.',
)  # fmt: skip
@profile_options
@friendly_errors
def attention_command(
    target: str, output: Path, file_format: str | None, model_path: Path | None, layer: int, top_k: int,
    profile_name: str | None, yes: bool,
) -> None:  # fmt: skip
    """Write the attention-map PNG of a structure file or a stored node.

    The picture shows the attentive response maps of the classifier (cf. Fig. 5 of the paper).
    FILE|NODE is a structure file (first structure in it; computed with library calls, nothing
    stored) or the pk/uuid of a stored StructureData or fingerprint ArrayData (computed by the
    CalcFunctions, so the maps are stored with their provenance).
    """
    if not output.parent.is_dir():
        raise click.ClickException(f'cannot write {output}: the directory {output.parent} does not exist')
    if Path(target).exists():
        label = _attention_from_file(Path(target), file_format, model_path, output, layer, top_k)
        click.echo(f'wrote {output} (predicted class {label})')
        return
    if not _looks_like_node(target):
        raise click.ClickException(f'{target}: no such file')
    activate_profile(profile_name, yes, create=False)
    maps = _attention_from_node(target, model_path, output, layer, top_k)
    predicted = maps.base.attributes.get('class_names')[int(maps.get_array('predicted_class'))]
    click.echo(f'wrote {output} (predicted class {predicted}; maps stored as ArrayData<{maps.pk}>)')
