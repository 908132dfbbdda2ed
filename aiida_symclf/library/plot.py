"""PNG figures of fingerprints and attentive response maps (matplotlib, Agg canvas).

Figures are built on :class:`matplotlib.figure.Figure` with an explicit Agg canvas, never through
``pyplot``: nothing is registered globally, the backend is not switched, and no figure outlives
the call, so the functions are safe to use inside AiiDA daemon workers and tests.

Fingerprints are shown with intensities raised to ``DISPLAY_GAMMA`` (square root), as diffraction
patterns usually are, so that weak peaks remain visible. The deconvolved filter maps are signed; they are shown as the RGB image of their positive part
(each map scaled to its own maximum), as the paper shows them: bright where the filter's
projection reinforces the input, black elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from aiida_symclf.library.attention import NO_CLASS, AttentionMaps, conv_layer_positions, project_top_filters
from aiida_symclf.library.fingerprint import CHANNEL_AXES
from aiida_symclf.library.model import ClassifierModel

__all__ = [
    'plot_attention',
    'plot_class_templates',
    'plot_fingerprint',
    'plot_fingerprint_grid',
    'plot_layer_maps',
    'plot_local_map',
    'plot_map_fractions',
    'plot_trajectory',
]

_PANEL = 2.6  # inches per image panel
#: Fingerprints are displayed as intensity ** DISPLAY_GAMMA, so that weak peaks stay visible next to strong ones.
DISPLAY_GAMMA = 0.5


def _check_image(image: np.ndarray, name: str) -> np.ndarray:
    """``image`` as a finite float (3, H, W) array; ValueError otherwise."""
    array = np.asarray(image, dtype=np.float64)
    if array.ndim != 3 or array.shape[0] != 3:
        raise ValueError(f'{name} must have shape (3, H, W), got {array.shape}')
    if not np.all(np.isfinite(array)):
        raise ValueError(f'{name} contains non-finite values')
    return array


def _rgb(image: np.ndarray) -> np.ndarray:
    """(H, W, 3) image for ``imshow`` of a (3, H, W) map in [0, 1]."""
    return np.clip(np.moveaxis(image, 0, -1), 0.0, 1.0)


def _fingerprint_rgb(image: np.ndarray) -> np.ndarray:
    """(H, W, 3) image of a fingerprint with intensities raised to ``DISPLAY_GAMMA`` (weak peaks visible)."""
    return _rgb(np.clip(image, 0.0, 1.0) ** DISPLAY_GAMMA)


def _positive_rgb(signed: np.ndarray) -> np.ndarray:
    """(H, W, 3) image of the positive part of a signed (3, H, W) map, scaled to its maximum."""
    positive = np.clip(signed, 0.0, None)
    peak = positive.max()
    return _rgb(positive / peak if peak > 0 else positive)


def _template_on_peaks(template: np.ndarray, fingerprint: np.ndarray) -> np.ndarray:
    """(H, W, 3) image of a class template (positive part, full colour) over the fingerprint's peaks
    in dim grey, so that one sees *which* peaks the template picks."""
    grey = 0.3 * np.clip(fingerprint, 0.0, 1.0).max(axis=0) ** DISPLAY_GAMMA
    return np.clip(grey[..., None] + _positive_rgb(template) ** DISPLAY_GAMMA, 0.0, 1.0)


def _save(figure: Figure, path: Path | str) -> Path:
    """Write ``figure`` as PNG to ``path`` (parents created) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(figure)
    figure.savefig(path, format='png', dpi=110)
    return path


def _image_axis(axis: Axes, image: np.ndarray, title: str, **kwargs: object) -> None:
    axis.imshow(image, interpolation='nearest', **kwargs)
    axis.set_title(title, fontsize=9)
    axis.set_xticks([])
    axis.set_yticks([])


def plot_fingerprint(fingerprint: np.ndarray, path: Path | str, title: str | None = None) -> Path:
    """PNG of a (3, H, W) fingerprint: the RGB image and its three channels side by side."""
    image = _check_image(fingerprint, 'fingerprint')
    figure = Figure(figsize=(4 * _PANEL, _PANEL + 0.4), layout='constrained')
    axes = figure.subplots(1, 4)
    _image_axis(axes[0], _fingerprint_rgb(image), 'RGB (sqrt intensity)')
    for channel, axis in enumerate(axes[1:]):
        only = np.zeros_like(image)
        only[channel] = image[channel]
        _image_axis(
            axis,
            _fingerprint_rgb(only),
            f'channel {channel} ({"RGB"[channel]}): rotations about {CHANNEL_AXES[channel]}',
        )
    if title:
        figure.suptitle(title)
    return _save(figure, path)


def plot_fingerprint_grid(
    fingerprints: np.ndarray, titles: Sequence[str], path: Path | str, columns: int = 4, title: str | None = None
) -> Path:
    """PNG of several (3, H, W) fingerprints as RGB images in a grid, one title each (e.g. one per class)."""
    images = [_check_image(image, f'fingerprints[{index}]') for index, image in enumerate(fingerprints)]
    if not images or len(titles) != len(images):
        raise ValueError(
            f'need one title per fingerprint and at least one fingerprint, got {len(titles)} and {len(images)}'
        )
    columns = max(1, min(columns, len(images)))
    rows = -(-len(images) // columns)
    figure = Figure(figsize=(columns * _PANEL * 0.85, rows * _PANEL * 0.85 + 0.4), layout='constrained')
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for axis, image, label in zip(axes, images, titles, strict=False):
        _image_axis(axis, _fingerprint_rgb(image), label)
    for axis in axes[len(images) :]:
        axis.set_axis_off()
    if title:
        figure.suptitle(title, fontsize=11)
    return _save(figure, path)


def _overlay_axis(axis: Axes, image: np.ndarray, heat: np.ndarray, title: str) -> None:
    """Dimmed grey fingerprint with ``heat`` (H, W) on top, in 'hot' colours where it exceeds 2% of its maximum.

    The heat is shown as ``(heat / max) ** DISPLAY_GAMMA`` like the fingerprint, so weaker evidence stays visible.
    """
    background = 0.45 * np.clip(image.mean(axis=0), 0, 1) ** DISPLAY_GAMMA
    _image_axis(axis, background, title, cmap='gray', vmin=0, vmax=1)
    peak = heat.max()
    if peak > 0:
        shown = np.ma.masked_less(heat / peak, 0.02) ** DISPLAY_GAMMA
        axis.imshow(shown, cmap='hot', vmin=0, vmax=1, interpolation='nearest')


#: Probability bars shown at most (the largest ones), so that 33 classes stay readable.
MAX_BARS = 10


def _class_colours(n_classes: int) -> np.ndarray:
    """One distinct RGB colour per class: tab10 up to ten classes, else tab20, tab20b and tab20c (60)."""
    if n_classes <= 10:
        palette = [colormaps['tab10'](index)[:3] for index in range(10)]
    else:
        palette = [colormaps[name](index)[:3] for name in ('tab20', 'tab20b', 'tab20c') for index in range(20)]
    return np.array([palette[index % len(palette)] for index in range(n_classes)])


def _dominant_rgb(dominant: np.ndarray, strength: np.ndarray, colours: np.ndarray) -> np.ndarray:
    """(H, W, 3) image: each pixel in its dominant class's colour on white, faded where the response is weak.

    The opacity is ``(strength / max) ** 0.4``: the responses are concentrated on few pixels, and a
    linear or square-root scale left the panel nearly black; white where no class responds.
    """
    peak = strength.max()
    opacity = (np.clip(strength, 0.0, None) / peak) ** 0.4 if peak > 0 else np.zeros_like(strength)
    opacity[dominant == NO_CLASS] = 0.0
    colour = colours[np.clip(dominant, 0, None)]
    return np.clip(1.0 - (1.0 - colour) * opacity[..., None], 0.0, 1.0)


def probability_bar_colours(n_classes: int, predicted: int) -> list[tuple[float, float, float, float]]:
    """RGBA per bar: every class in its legend colour (:func:`_class_colours`), the others faded."""
    colours = _class_colours(n_classes)
    return [(*colours[c], 1.0 if c == predicted else 0.3) for c in range(n_classes)]


def _dominant_axis(axis: Axes, maps: AttentionMaps, index: int, class_names: Sequence[str]) -> None:
    """Dominant-class map with a legend of the classes it shows and the predicted one (same colours in every figure)."""
    colours = _class_colours(len(class_names))
    dominant = maps.dominant_class[index]
    _image_axis(axis, _dominant_rgb(dominant, maps.dominant_strength[index], colours), 'dominant class per pixel')
    shown = sorted({int(c) for c in np.unique(dominant) if c != NO_CLASS} | {int(maps.predicted_class[index])})
    handles = [Patch(color=colours[c], label=class_names[c]) for c in shown]
    axis.legend(
        handles=handles,
        loc='upper center',
        bbox_to_anchor=(0.5, -0.02),
        ncol=min(len(handles), 3),
        fontsize=8,
        frameon=False,
    )


def _probability_axis(axis: Axes, probabilities: np.ndarray, class_names: Sequence[str], predicted: int) -> None:
    """Bars of the :data:`MAX_BARS` largest class probabilities (in class order) in the legend's
    class colours, the predicted class opaque."""
    shown = sorted(np.argsort(probabilities)[::-1][:MAX_BARS].tolist())
    colours = probability_bar_colours(len(class_names), predicted)
    positions = np.arange(len(shown))
    axis.barh(positions, probabilities[shown], color=[colours[c] for c in shown])
    for position, probability in zip(positions, probabilities[shown], strict=True):
        axis.text(min(probability, 0.8) + 0.02, position, f'{probability:.3f}', va='center', fontsize=7)
    axis.set_yticks(positions, labels=[class_names[c] for c in shown], fontsize=8)
    axis.invert_yaxis()
    axis.set_xlim(0, 1)
    axis.set_xlabel('probability', fontsize=8)
    axis.tick_params(axis='x', labelsize=8)
    axis.set_title(
        'class probabilities' + (f' (largest {MAX_BARS})' if len(shown) < len(class_names) else ''), fontsize=9
    )


def _check_attention_inputs(
    maps: AttentionMaps, index: int, class_names: Sequence[str], probabilities: np.ndarray | None
) -> None:
    batch, n_classes = maps.class_maps.shape[:2]
    if not -batch <= index < batch:
        raise ValueError(f'index must be in [{-batch}, {batch - 1}] for {batch} maps, got {index}')
    if len(class_names) != n_classes:
        raise ValueError(f'{len(class_names)} class names for maps of {n_classes} classes')
    if probabilities is not None and np.shape(probabilities) != (n_classes,):
        raise ValueError(f'probabilities must have shape ({n_classes},), got {np.shape(probabilities)}')


def plot_attention(
    fingerprint: np.ndarray,
    maps: AttentionMaps,
    index: int,
    class_names: Sequence[str],
    path: Path | str,
    probabilities: np.ndarray | None = None,
) -> Path:
    """PNG of the attentive response maps of fingerprint ``index`` of ``maps`` (cf. the paper's Fig. 5).

    Top row: the fingerprint, the predicted class's map over it, the class template (last conv
    layer), the dominant-class map with a legend and, if ``probabilities`` (C,) is given, a bar
    chart of them. Bottom row: the deconvolved maps of the top filters of ``maps.layer``.
    """
    image = _check_image(fingerprint, 'fingerprint')
    _check_attention_inputs(maps, index, class_names, probabilities)
    predicted = int(maps.predicted_class[index])
    top = 5 if probabilities is not None else 4
    k = maps.filter_maps.shape[1]
    columns = max(top, k)
    figure = Figure(figsize=(columns * _PANEL, 2 * _PANEL + 1.3), layout='constrained')
    grid = figure.add_gridspec(2, columns)
    _image_axis(figure.add_subplot(grid[0, 0]), _fingerprint_rgb(image), 'fingerprint (sqrt intensity)')
    _overlay_axis(
        figure.add_subplot(grid[0, 1]),
        image,
        maps.class_maps[index, predicted],
        f'map of predicted class {class_names[predicted]!r}',
    )
    _image_axis(
        figure.add_subplot(grid[0, 2]), _positive_rgb(maps.class_template[index]), 'class template (last conv layer)'
    )
    _dominant_axis(figure.add_subplot(grid[0, 3]), maps, index, class_names)
    if probabilities is not None:
        _probability_axis(
            figure.add_subplot(grid[0, 4]), np.asarray(probabilities, dtype=float), class_names, predicted
        )
    for column in range(k):
        title = f'conv {maps.layer}, filter {maps.filter_indices[index, column]}'
        _image_axis(figure.add_subplot(grid[1, column]), _positive_rgb(maps.filter_maps[index, column]), title)
    figure.suptitle(f'Attentive response maps: predicted {class_names[predicted]}', fontsize=11)
    return _save(figure, path)


def plot_layer_maps(model: ClassifierModel, fingerprint: np.ndarray, path: Path | str, top_k: int = 4) -> Path:
    """PNG with one row per conv layer: the deconvolved maps of its ``top_k`` strongest filters and their sum."""
    image = _check_image(fingerprint, 'fingerprint').astype(np.float32)
    model.check_fingerprints(image[None])
    network = model.network
    convs = [network.features[position] for position in conv_layer_positions(network.features)]
    figure = Figure(figsize=((top_k + 2) * _PANEL * 0.8, len(convs) * _PANEL * 0.8 + 0.6), layout='constrained')
    axes = figure.subplots(len(convs), top_k + 2, squeeze=False)
    for layer, conv in enumerate(convs):
        k = min(top_k, conv.out_channels)
        filters, maps = project_top_filters(network, torch.from_numpy(image[None]), layer, k)
        _image_axis(axes[layer, 0], _fingerprint_rgb(image), 'fingerprint' if layer == 0 else '')
        axes[layer, 0].set_ylabel(f'conv {layer} ({conv.out_channels} filters)', fontsize=9)
        for column in range(top_k):
            axis = axes[layer, column + 1]
            if column < k:
                _image_axis(axis, _positive_rgb(maps[0, column].numpy()), f'filter {int(filters[0, column])}')
            else:
                axis.set_axis_off()
        _image_axis(axes[layer, -1], _positive_rgb(maps[0].sum(dim=0).numpy()), 'sum')
    figure.suptitle('Deconvolved top filters of every conv layer', fontsize=11)
    return _save(figure, path)


def plot_class_templates(
    fingerprints: np.ndarray, templates: np.ndarray, titles: Sequence[str], path: Path | str, columns: int = 4,
    title: str | None = None,
) -> Path:  # fmt: skip
    """PNG of fingerprints beside their class templates (summed last-layer filter maps, drawn over
    the fingerprint's peaks in grey), as in the paper's Fig. 5: one pair of panels per fingerprint,
    ``columns`` pairs per row."""
    images = [_check_image(image, f'fingerprints[{index}]') for index, image in enumerate(fingerprints)]
    maps = [_check_image(image, f'templates[{index}]') for index, image in enumerate(templates)]
    if not images or not len(images) == len(maps) == len(titles):
        raise ValueError(
            f'need as many fingerprints, templates and titles, got {len(images)}, {len(maps)}, {len(titles)}'
        )
    columns = max(1, min(columns, len(images)))
    rows = -(-len(images) // columns)
    figure = Figure(figsize=(2 * columns * _PANEL * 0.6, rows * _PANEL * 0.66 + 0.5), layout='constrained')
    axes = figure.subplots(rows, 2 * columns, squeeze=False)
    for index in range(rows * columns):
        left, right = axes[index // columns, 2 * (index % columns)], axes[index // columns, 2 * (index % columns) + 1]
        if index >= len(images):
            left.set_axis_off()
            right.set_axis_off()
            continue
        _image_axis(left, _fingerprint_rgb(images[index]), titles[index])
        _image_axis(right, _template_on_peaks(maps[index], images[index]), 'template (peaks in grey)')
    if title:
        figure.suptitle(title, fontsize=11)
    return _save(figure, path)


#: Classes whose probability never reaches this in any frame get no line of their own in :func:`plot_trajectory`.
TRAJECTORY_MIN_PROBABILITY = 0.05


def _frame_rows(results: Sequence[dict]) -> list[tuple[int, dict]]:
    """(frame, result) in frame order; a result without ``frame`` takes its position in ``results``."""
    return sorted(
        ((int(result.get('frame', index)), result) for index, result in enumerate(results)), key=lambda r: r[0]
    )


def plot_trajectory(
    results: Sequence[dict],
    path: Path | str,
    title: str | None = None,
    x_label: str = 'frame',
    min_probability: float = TRAJECTORY_MIN_PROBABILITY,
) -> Path:
    """Label and class probabilities against frame, for the per-frame results of a trajectory.

    ``results``: one result per frame (as the WorkChain, the bulk mode or
    :func:`~aiida_symclf.library.pipeline.classify_structures` give them, with ``frame`` when known,
    e.g. from :func:`aiida_symclf.query.trajectory_results`). Top: the label of every frame,
    ``unknown`` and ``failed`` included. Bottom: the network's probability of each class, one line
    per class that reaches ``min_probability`` in some frame; frames labelled ``unknown`` shaded.
    """
    rows = _frame_rows(results)
    if not rows:
        raise ValueError('no per-frame results to plot')
    frames = np.array([frame for frame, _ in rows])
    labels = [r['label'] if r.get('status', 'classified') == 'classified' else 'failed' for _, r in rows]
    special = [name for name in ('unknown', 'failed') if name in labels]
    categories = sorted(set(labels) - set(special)) + special
    classes: list[str] = []
    for _, result in rows:
        for name, value in (result.get('probabilities') or {}).items():
            if value >= min_probability and name not in classes:
                classes.append(name)
    colours = dict(zip(classes, _class_colours(max(len(classes), 1)), strict=False))
    figure = Figure(figsize=(8, 5.2))
    top, bottom = figure.subplots(2, 1, sharex=True, gridspec_kw={'height_ratios': [1, 2]})
    positions = [categories.index(label) for label in labels]
    point_colours = [colours.get(label, (0.5, 0.5, 0.5) if label == 'unknown' else (0.8, 0.1, 0.1)) for label in labels]
    top.scatter(frames, positions, c=point_colours, s=12)
    top.set_yticks(range(len(categories)), categories)
    top.set_ylim(-0.5, len(categories) - 0.5)
    top.set_ylabel('label')
    for name in classes:
        values = [(r.get('probabilities') or {}).get(name, np.nan) for _, r in rows]
        bottom.plot(frames, values, color=colours[name], label=name, linewidth=1.2)
    unknown = np.array([label == 'unknown' for label in labels])
    if unknown.any():
        step = np.min(np.diff(frames)) if len(frames) > 1 else 1
        for frame in frames[unknown]:
            bottom.axvspan(frame - step / 2, frame + step / 2, color='0.85', linewidth=0, zorder=0)
        bottom.plot([], [], color='0.85', linewidth=6, label='unknown')
    bottom.set_ylim(-0.02, 1.02)
    bottom.set_xlabel(x_label)
    bottom.set_ylabel('probability')
    bottom.legend(loc='center left', bbox_to_anchor=(1.0, 0.5), fontsize='small', frameon=False)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return _save(figure, path)


#: Colours of the labels of a local map that are no class: ``unknown`` grey, ``vacuum`` white.
MAP_LABEL_COLOURS = {'unknown': (0.62, 0.62, 0.62), 'vacuum': (1.0, 1.0, 1.0)}
#: Top of the uncertainty colour scale of :func:`plot_local_map`, unless a window's is higher
#: (a confident network's mutual information is ~0, which alone would give a scale of nothing).
UNCERTAINTY_SCALE = 0.1


def _map_label_colours(labels: Sequence[str], class_names: Sequence[str]) -> dict[str, tuple[float, ...]]:
    """Colour of each label: a class in its colour of every other figure (:func:`_class_colours` over
    ``class_names``), ``unknown`` and ``vacuum`` as :data:`MAP_LABEL_COLOURS`, anything else black."""
    colours = _class_colours(len(class_names))
    index = {name: k for k, name in enumerate(class_names)}
    return {
        label: tuple(colours[index[label]]) if label in index else MAP_LABEL_COLOURS.get(label, (0.0, 0.0, 0.0))
        for label in labels
    }


def _ordered_labels(labels: Sequence[str]) -> list[str]:
    """Distinct labels, classes first (most windows first), then ``unknown`` and ``vacuum``."""
    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    special = [label for label in MAP_LABEL_COLOURS if label in counts]
    return sorted(set(counts) - set(special), key=lambda label: (-counts[label], label)) + special


def _grid_lengths(centres: np.ndarray, grid: Sequence[int], stride: float) -> np.ndarray:
    """Length (Angstrom) spanned by the window grid along each cell axis: the spacing of
    neighbouring centres times the number of windows (the stride for an axis of one window)."""
    points = np.asarray(centres, dtype=float).reshape(*grid, 3)
    lengths = []
    for axis, count in enumerate(grid):
        if count < 2:
            lengths.append(float(stride))
            continue
        index = [0, 0, 0]
        index[axis] = 1
        step = points[tuple(index)] - points[0, 0, 0]
        lengths.append(float(np.linalg.norm(step)) * count)
    return np.array(lengths)


def plot_local_map(local_map: object, path: Path | str, title: str | None = None) -> Path:
    """PNG of a local structure map (:class:`~aiida_symclf.library.local_map.LocalMap`).

    The window grid is cut through its middle along the cell's second axis, so the slice holds
    the first and the third axis (stacks, slabs and interfaces are usually built along the third).
    Top: the label of each window of the slice (classes in the colours of the other figures,
    ``unknown`` grey, ``vacuum`` white), with a legend of every label of the map and its
    fraction of the atoms. Bottom: the network's uncertainty (MC-dropout mutual information) of
    each classified window; windows without a class are grey.
    """
    grid = tuple(int(n) for n in local_map.grid)
    labels = np.asarray(local_map.labels, dtype=object)
    if len(grid) != 3 or int(np.prod(grid)) != len(labels) or len(labels) == 0:
        raise ValueError(f'a map of {len(labels)} windows does not fill its grid {grid}')
    middle = grid[1] // 2
    sliced = labels.reshape(grid)[:, middle, :]
    ordered = _ordered_labels(list(labels))
    colours = _map_label_colours(ordered, local_map.class_names)
    image = np.array([[colours[label] for label in row] for row in sliced])
    lengths = _grid_lengths(local_map.centres, grid, local_map.stride)
    extent = (0.0, lengths[2], 0.0, lengths[0])
    classified = np.isin(sliced, list(local_map.class_names))
    uncertainty = np.ma.masked_array(
        np.asarray(local_map.uncertainties, dtype=float).reshape(grid)[:, middle, :], mask=~classified
    )
    figure = Figure(figsize=(9.0, 6.4), layout='constrained')
    top, bottom = figure.subplots(2, 1)
    top.imshow(image, origin='lower', extent=extent, interpolation='nearest', aspect='equal')
    top.set_title(f'label per window (middle slice of the grid: {middle + 1} of {grid[1]} along b)', fontsize=9)
    fractions = dict(local_map.fractions)
    handles = [
        Patch(
            facecolor=colours[label],
            edgecolor='0.3',
            label=f'{label} ({fractions[label]:.0%} of atoms)' if label in fractions else label,
        )
        for label in ordered
    ]
    # Legend and colour bar take their room from both panels alike, so the two slices stay aligned.
    figure.legend(handles=handles, loc='outside right upper', fontsize=8, frameon=False)
    cmap = colormaps['viridis'].with_extremes(bad=(0.85, 0.85, 0.85))
    peak = float(uncertainty.max()) if uncertainty.count() else 0.0
    shown = bottom.imshow(
        uncertainty,
        origin='lower',
        extent=extent,
        interpolation='nearest',
        aspect='equal',
        cmap=cmap,
        vmin=0.0,
        vmax=max(peak, UNCERTAINTY_SCALE),
    )
    bottom.set_title('uncertainty per window (grey: no class)', fontsize=9)
    for axis in (top, bottom):
        axis.set_xlabel('along c (A)')
        axis.set_ylabel('along a (A)')
    figure.colorbar(
        shown, ax=[top, bottom], shrink=0.45, anchor=(0.0, 0.05), label='uncertainty (MC-dropout mutual information)'
    )
    window = f'box {local_map.box:.1f} A, stride {local_map.stride:.1f} A, grid {"x".join(map(str, grid))}'
    figure.suptitle(f'{title}: {window}' if title else window)
    return _save(figure, path)


def plot_map_fractions(
    rows: Sequence[tuple[int, dict[str, float]]],
    path: Path | str,
    class_names: Sequence[str] = (),
    title: str | None = None,
) -> Path:
    """Fraction of the atoms per label of the local maps of a trajectory, against frame.

    ``rows``: (frame, fractions) per frame, as :attr:`LocalMap.fractions
    <aiida_symclf.library.local_map.LocalMap>`; one line per label that occurs in any frame,
    in the colours of :func:`plot_local_map` (a label absent from a frame counts 0 there).
    """
    rows = sorted(((int(frame), dict(fractions)) for frame, fractions in rows), key=lambda row: row[0])
    if not rows:
        raise ValueError('no per-frame maps to plot')
    frames = np.array([frame for frame, _ in rows])
    weights = {}
    for _, fractions in rows:
        for label, value in fractions.items():
            weights[label] = weights.get(label, 0.0) + value
    special = [label for label in MAP_LABEL_COLOURS if label in weights]
    ordered = sorted(set(weights) - set(special), key=lambda label: (-weights[label], label)) + special
    colours = _map_label_colours(ordered, class_names)
    colours = {label: (0.0, 0.0, 0.0) if label == 'vacuum' else colour for label, colour in colours.items()}
    figure = Figure(figsize=(8, 4.2), layout='constrained')
    axis = figure.subplots()
    for label in ordered:
        values = [fractions.get(label, 0.0) for _, fractions in rows]
        style = '--' if label in MAP_LABEL_COLOURS else '-'
        axis.plot(frames, values, style, marker='o', markersize=3, color=colours[label], label=label)
    axis.set_ylim(-0.02, 1.02)
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    axis.set_xlabel('frame')
    axis.set_ylabel('fraction of atoms')
    axis.legend(loc='center left', bbox_to_anchor=(1.0, 0.5), fontsize='small', frameon=False)
    if title:
        figure.suptitle(title)
    return _save(figure, path)
