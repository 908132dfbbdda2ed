"""Attentive response maps: where in a fingerprint the network looks (Ziletti et al. 2018, Fig. 5).

Two kinds of maps are computed, both batched over fingerprints:

*Filter maps* (Zeiler & Fergus 2014, the deconvolution used in the paper). For one conv layer,
the ``top_k`` filters with the largest summed (rectified) activation are chosen; for each one,
every activation except that filter's single strongest one is set to zero, and the result is
projected back to pixel space through the layers below it: at every ReLU the signal is rectified
*and* kept only where the forward pass's activation was positive (the paper's code keeps the
forward pass's switches at each conv layer; with both rules this is guided backpropagation,
Springenberg et al. 2015), the transposed convolution with the same (hence flipped) kernels at
every conv layer, and unpooling at the forward pass's max-pool switches. Each filter gives a
signed 3-channel map (the last step is a transposed convolution, with no rectification after
it). The *class template* is the sum of the maps of the last conv layer's ``top_k`` filters; for
a network whose units do not fire on an empty background (``python -m aiida_symclf.library.train
--nonpositive-conv-bias``) it looks like the class's pattern of diffraction peaks. Without the
forward masks (the deconvnet rule alone) a projection does not depend on which units were active,
and the maps of the last layer spread over the whole image.

*Class maps* (after Kumar et al. 2017, CLEAR: one response map per class, and a dominant-class
map). We use SmoothGrad x input of each class's logit (Smilkov et al. 2017): the gradient averaged
over ``SMOOTHING_SAMPLES`` copies of the fingerprint with Gaussian noise added, times the clean
fingerprint, summed over the three channels and clipped at zero (positive evidence only). Why
gradient x input rather than the CLEAR deconvolution: it is the first-order Taylor estimate of how
much the class score drops when a pixel is set to zero, ``s(x) - s(x with x_i = 0) ~ x_i *
ds/dx_i``, i.e. exactly the question "which pixels does the class depend on?", and it is what the
deletion test measures. It also respects the dense layers, batch norm included, without
re-deriving a deconvolution rule for each of them. Why the smoothing: the gradient of one input
is noisy at the scale of a pixel, and deleting 5% of the pixels is far from first order; averaged
over noisy copies it ranks the pixels the class needs better (default model, user-like inputs of
every class: top-5% deletion drops the class probability by 0.99 against 0.96 unsmoothed, see
``benchmarks/attention_faithfulness.py``), at the price of ``SMOOTHING_SAMPLES`` backward passes
per class. The noise is fixed (seeded), so the maps are reproducible and a fingerprint's maps do
not depend on the others in its batch. Only the allowed classes' maps are computed (the others are
0). The *dominant class* of a pixel is the class with the largest response there, and its
strength that response; pixels where no class responds (e.g. the dark background, where gradient
x input is zero) get class ``-1`` and strength 0.

Nothing in the model is modified: the network is put in evaluation mode for the computation and
its previous mode restored, no hooks are registered, gradients are taken with
:func:`torch.autograd.grad` with respect to the input only (no ``.grad`` is accumulated on the
weights), and the deconvolution runs under :func:`torch.no_grad`.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

from aiida_symclf.library.model import ClassifierModel
from aiida_symclf.library.parameters import from_known_keys

__all__ = [
    'DELETION_SHARE',
    'PEAK_SHARE',
    'deletion_drops',
    'peak_concentration',
    'peak_pixels',
    'NO_CLASS',
    'AttentionMaps',
    'AttentionParameters',
    'compute_attention',
    'conv_layer_positions',
    'project_top_filters',
]

#: ``dominant_class`` of pixels where no class has a positive response.
NO_CLASS = -1
#: SmoothGrad of the class maps: noisy copies per fingerprint, and the noise's standard deviation
#: as a share of the fingerprint's brightest pixel (measured in docs/method.rst, 'Class maps').
SMOOTHING_SAMPLES = 8
SMOOTHING_NOISE = 0.1
_BATCH = 32  # fingerprints per chunk: bounds memory (B * k deconvolved stacks of 32 x 64 x 64)


@dataclasses.dataclass(frozen=True)
class AttentionParameters:
    """Settings of the attention maps: ``layer`` (conv layer of the filter maps, negative from the
    end) and ``top_k`` (how many of its filters). The one place that knows the keys and defaults:
    the WorkChain's validator, the CalcFunction and the CLI use it. Every bad field is reported."""

    layer: int = -1
    top_k: int = 4

    def __post_init__(self) -> None:
        errors = [
            f'{name} must be an integer, got {getattr(self, name)!r}'
            for name in ('layer', 'top_k')
            if isinstance(getattr(self, name), bool) or not isinstance(getattr(self, name), int)
        ]
        if not errors and self.top_k < 1:
            errors.append(f'top_k must be at least 1, got {self.top_k}')
        if errors:
            raise ValueError('; '.join(errors))

    @classmethod
    def from_dict(cls, values: dict | None) -> AttentionParameters:
        """From a (possibly partial) dictionary; unknown keys are an error."""
        return from_known_keys(cls, values, 'attention parameters')

    def to_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class AttentionMaps:
    """Attentive response maps of a batch of B fingerprints (C classes, H x W pixels).

    ``filter_maps`` and ``class_template`` are signed (deconvolution); ``class_maps`` are >= 0;
    ``dominant_class`` is ``NO_CLASS`` (-1) where no class responds (then ``dominant_strength`` is 0).
    """

    layer: int  # conv layer index used for filter_maps
    filter_indices: np.ndarray  # (B, k) int64
    filter_maps: np.ndarray  # (B, k, 3, H, W) float32
    class_template: np.ndarray  # (B, 3, H, W) float32
    class_maps: np.ndarray  # (B, C, H, W) float32, non-negative
    dominant_class: np.ndarray  # (B, H, W) int64
    dominant_strength: np.ndarray  # (B, H, W) float32
    predicted_class: np.ndarray  # (B,) int64

    def as_arrays(self) -> dict[str, np.ndarray]:
        """All fields as named numpy arrays (``layer`` as a 0-d int64 array), e.g. for an AiiDA ``ArrayData``."""
        arrays = {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}
        arrays['layer'] = np.array(self.layer, dtype=np.int64)
        return arrays


#: Share of a fingerprint's non-zero pixels that count as its *peak pixels* (the brightest ones).
PEAK_SHARE = 0.10


def peak_pixels(image: np.ndarray, share: float = PEAK_SHARE) -> np.ndarray:
    """Boolean (H, W): the brightest ``share`` of the non-zero pixels of a (3, H, W) fingerprint
    (brightness = max over channels); about 6% of the image for the paper's fingerprint."""
    brightness = np.asarray(image).max(axis=0)
    nonzero = brightness[brightness > 0]
    if nonzero.size == 0:
        return np.zeros_like(brightness, dtype=bool)
    return brightness >= np.quantile(nonzero, 1.0 - share)


def peak_concentration(maps: np.ndarray, image: np.ndarray) -> float:
    """Share of the summed ``|map|`` (over maps and channels) that lies on the peak pixels of ``image``.

    The measure of whether deconvolution maps look at the diffraction peaks (the paper's Fig. 5):
    chance is the peak pixels' share of the image, ~0.06; the paper's templates are near 1.
    ``maps`` is (..., 3, H, W), e.g. :attr:`AttentionMaps.filter_maps` of one fingerprint.
    """
    summed = np.abs(np.asarray(maps)).reshape(-1, *np.shape(image)[-2:]).sum(axis=0)
    total = summed.sum()
    return float(summed[peak_pixels(image)].sum() / total) if total > 0 else 0.0


#: Share of a fingerprint's pixels that the deletion test sets to zero.
DELETION_SHARE = 0.05


def _deleted(fingerprints: np.ndarray, pixels: np.ndarray) -> np.ndarray:
    """Copy of ``fingerprints`` (B, C, H, W) with the flat pixel indices ``pixels[i]`` of fingerprint
    ``i`` set to 0 in every channel."""
    masked = np.array(fingerprints, dtype=np.float32).reshape(len(fingerprints), fingerprints.shape[1], -1)
    rows, channels = np.arange(len(masked))[:, None, None], np.arange(masked.shape[1])[None, :, None]
    masked[rows, channels, pixels[:, None, :]] = 0.0
    return masked.reshape(fingerprints.shape)


def deletion_drops(
    model: ClassifierModel,
    fingerprints: np.ndarray,
    maps: AttentionMaps,
    allowed: np.ndarray | None = None,
    share: float = DELETION_SHARE,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """The deletion test of the class maps' faithfulness: per fingerprint, how much probability its
    predicted class loses (within the ``allowed`` classes, as the pipeline reports it) when the
    ``share`` of the pixels that class's map ranks highest are set to 0 in every channel, and when as
    many random pixels (``seed``) are. A faithful map loses nearly all of it; random pixels ~0."""
    rows, predicted = np.arange(len(fingerprints)), maps.predicted_class
    class_maps = maps.class_maps[rows, predicted].reshape(len(rows), -1)
    n_pixels = int(round(share * class_maps.shape[1]))
    top = np.argsort(-class_maps, axis=1, kind='stable')[:, :n_pixels]
    rng = np.random.default_rng(seed)
    random = np.stack([rng.permutation(class_maps.shape[1])[:n_pixels] for _ in rows])

    def probability(images: np.ndarray) -> np.ndarray:
        return model.predict(images, allowed=allowed, mc_samples=0)[0][rows, predicted]

    before = probability(fingerprints)
    return before - probability(_deleted(fingerprints, top)), before - probability(_deleted(fingerprints, random))


def conv_layer_positions(features: nn.Sequential) -> list[int]:
    """Positions in ``features`` of its ``Conv2d`` modules (conv layer ``i`` is at ``positions[i]``)."""
    return [position for position, module in enumerate(features) if isinstance(module, nn.Conv2d)]


@contextlib.contextmanager
def _evaluation_mode(network: nn.Module) -> Iterator[None]:
    """Run the body with ``network`` in eval mode, restoring its previous mode afterwards."""
    was_training = network.training
    network.eval()
    try:
        yield
    finally:
        network.train(was_training)


def _normalise_layer(layer: int, n_conv: int) -> int:
    """Index in ``[0, n_conv)`` of ``layer`` (negative counts from the end); ValueError if out of range."""
    if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)):
        raise ValueError(f'layer must be an integer, got {layer!r}')
    if not -n_conv <= layer < n_conv:
        raise ValueError(
            f'layer must be in [{-n_conv}, {n_conv - 1}] (the network has {n_conv} conv layers), got {layer}'
        )
    return int(layer) % n_conv


def _check_top_k(top_k: int, n_filters: int, layer: int) -> None:
    if isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)):
        raise ValueError(f'top_k must be an integer, got {top_k!r}')
    if not 1 <= top_k <= n_filters:
        raise ValueError(f'top_k must be in [1, {n_filters}] (conv layer {layer} has {n_filters} filters), got {top_k}')


def _check_smoothing_samples(samples: int) -> None:
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or samples < 0:
        raise ValueError(f'smoothing_samples must be an integer >= 0, got {samples!r}')


def _as_fingerprints(model: ClassifierModel, fingerprints: np.ndarray) -> np.ndarray:
    """``fingerprints`` as float32 (B >= 1, 3, H, W), checked against the model; ValueError otherwise."""
    try:
        array = np.array(fingerprints, dtype=np.float32, order='C')  # own, writable copy for torch
    except (TypeError, ValueError) as exception:
        raise ValueError(f'fingerprints must be a numeric array, got {type(fingerprints).__name__}') from exception
    model.check_fingerprints(array)
    if len(array) == 0:
        raise ValueError('fingerprints is an empty batch')
    return array


def _forward_with_switches(
    features: nn.Sequential, images: torch.Tensor, stop: int
) -> tuple[torch.Tensor, dict[int, tuple | torch.Tensor]]:
    """Output of ``features[: stop + 1]`` and its switches: per max-pool position the pooling
    indices and input size, per ReLU position where its output was positive."""
    switches: dict[int, tuple | torch.Tensor] = {}
    x = images
    for position, module in enumerate(features[: stop + 1]):
        if isinstance(module, nn.MaxPool2d):
            size = x.shape[-2:]
            x, indices = F.max_pool2d(
                x,
                module.kernel_size,
                module.stride,
                module.padding,
                module.dilation,
                module.ceil_mode,
                return_indices=True,
            )
            switches[position] = (indices, size)
        elif isinstance(module, nn.ReLU):
            x = module(x)
            switches[position] = x > 0
        elif isinstance(module, nn.Conv2d):
            x = module(x)
        else:
            raise ValueError(f'cannot deconvolve through {module.__class__.__name__} at features[{position}]')
    return x, switches


def _project_down(
    features: nn.Sequential, signal: torch.Tensor, start: int, switches: dict[int, tuple | torch.Tensor], copies: int
) -> torch.Tensor:
    """Zeiler-Fergus projection of ``signal`` (the output of ``features[start]``) to pixel space,
    through the forward pass's ReLU masks and max-pool switches.

    ``signal`` holds ``copies`` consecutive maps per fingerprint, so the switches are repeated.
    """
    x = signal
    for position in range(start, -1, -1):
        module = features[position]
        if isinstance(module, nn.ReLU):
            x = F.relu(x) * switches[position].repeat_interleave(copies, dim=0)
        elif isinstance(module, nn.Conv2d):
            if isinstance(module.padding, str):
                raise ValueError(f'cannot deconvolve features[{position}]: string padding {module.padding!r}')
            x = F.conv_transpose2d(
                x,
                module.weight,
                stride=module.stride,
                padding=module.padding,
                groups=module.groups,
                dilation=module.dilation,
            )
        else:  # MaxPool2d: nearest-neighbour unpooling at the recorded switches
            indices, size = switches[position]
            x = F.max_unpool2d(
                x,
                indices.repeat_interleave(copies, dim=0),
                module.kernel_size,
                module.stride,
                module.padding,
                output_size=size,
            )
    return x


def _strongest_activations(activation: torch.Tensor, top_k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Top-k filters by summed activation (B, k) and, per filter, a copy of ``activation`` holding
    only that filter's single strongest activation (B * k, F, h, w)."""
    batch, n_filters, height, width = activation.shape
    filters = activation.sum(dim=(2, 3)).topk(top_k, dim=1).indices
    chosen = activation.gather(1, filters[:, :, None, None].expand(-1, -1, height, width)).flatten(2)
    peak_value, peak_index = chosen.max(dim=2)
    isolated = torch.zeros(batch, top_k, n_filters, height * width, dtype=activation.dtype)
    isolated[torch.arange(batch)[:, None], torch.arange(top_k)[None, :], filters, peak_index] = peak_value
    return filters, isolated.reshape(batch * top_k, n_filters, height, width)


def project_top_filters(
    network: nn.Module, images: torch.Tensor, layer: int, top_k: int, relu_masks: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """Filter indices (B, k) and deconvolved maps (B, k, 3, H, W) of the ``top_k`` filters of conv ``layer``.

    ``layer`` is an index in ``[0, n_conv)``. The activation of a conv layer is taken after its
    ReLU when one follows it (as in Zeiler & Fergus, the rectified feature map).
    ``relu_masks=False`` gives the deconvnet rule alone (rectify, never gate; used up to 0.3.1),
    kept to show what the forward masks change (``benchmarks/attention_peaks.py``).
    """
    features = network.features
    position = conv_layer_positions(features)[layer]
    if position + 1 < len(features) and isinstance(features[position + 1], nn.ReLU):
        position += 1
    with torch.no_grad():
        activation, switches = _forward_with_switches(features, images, position)
        if not relu_masks:
            switches = {key: torch.ones_like(value) if isinstance(value, torch.Tensor) else value
                        for key, value in switches.items()}  # fmt: skip
        filters, isolated = _strongest_activations(activation, top_k)
        maps = _project_down(features, isolated, position, switches, copies=top_k)
    return filters, maps.reshape(len(images), top_k, *maps.shape[1:])


def _smoothing_noise(samples: int, shape: tuple[int, ...]) -> torch.Tensor:
    """``samples`` fixed standard-normal patterns of ``shape`` (seeded: the same maps on every run, and
    each fingerprint's maps do not depend on which others share its chunk)."""
    return torch.randn((samples, *shape), generator=torch.Generator().manual_seed(0))


def _class_maps(
    network: nn.Module, images: torch.Tensor, allowed: torch.Tensor, samples: int = SMOOTHING_SAMPLES
) -> tuple[torch.Tensor, torch.Tensor]:
    """Predicted classes (B,) and SmoothGrad x input maps (B, C, H, W) of every class logit, clipped at 0;
    both within each fingerprint's allowed classes ``allowed`` (B, C) (the other classes' maps are 0).

    The gradient is averaged over ``samples`` copies of each fingerprint with Gaussian noise of
    ``SMOOTHING_NOISE`` times its brightest pixel added (Smilkov et al. 2017), then multiplied by the
    clean fingerprint; ``samples=0`` gives the plain gradient x input.
    """
    with torch.no_grad():
        logits = network(images)
    classes = torch.nonzero(allowed.any(dim=0)).flatten()  # only these classes' gradients are needed
    patterns = _smoothing_noise(samples, tuple(images.shape[1:])) if samples else torch.zeros((1, *images.shape[1:]))
    scale = SMOOTHING_NOISE * images.flatten(1).amax(dim=1)[:, None, None, None]
    # one backward pass per class, vectorised: grad_outputs[i] selects class classes[i]'s logit of every fingerprint
    selectors = torch.eye(logits.shape[1], dtype=logits.dtype)[classes][:, None, :].expand(-1, len(images), -1)
    gradients = torch.zeros((len(classes), *images.shape), dtype=images.dtype)
    for pattern in patterns:
        inputs = (images + scale * pattern).requires_grad_(True)
        with torch.enable_grad():
            (sample,) = torch.autograd.grad(network(inputs), inputs, grad_outputs=selectors, is_grads_batched=True)
        gradients += sample
    maps = torch.zeros((len(images), logits.shape[1], *images.shape[2:]), dtype=images.dtype)
    maps[:, classes] = (gradients / len(patterns) * images[None]).sum(dim=2).clamp(min=0).transpose(0, 1)
    return logits.masked_fill(~allowed, float('-inf')).argmax(dim=1), maps * allowed[:, :, None, None]


def _dominant(class_maps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per pixel, the class with the largest response (``NO_CLASS`` where none is positive) and that response."""
    dominant = class_maps.argmax(axis=1).astype(np.int64)
    strength = class_maps.max(axis=1).astype(np.float32)
    dominant[strength <= 0] = NO_CLASS
    return dominant, strength


def _attention_chunk(
    network: nn.Module, images: torch.Tensor, allowed: torch.Tensor, layer: int, last: int, top_k: int, samples: int
) -> dict[str, np.ndarray]:
    """Every map of one chunk of fingerprints as numpy arrays (see :class:`AttentionMaps`)."""
    filters, maps = project_top_filters(network, images, layer, top_k)
    last_maps = (
        maps if layer == last else project_top_filters(network, images, last, min(top_k, _n_filters(network, last)))[1]
    )
    predicted, class_maps = _class_maps(network, images, allowed, samples)
    return {
        'filter_indices': filters.numpy().astype(np.int64),
        'filter_maps': maps.numpy().astype(np.float32),
        'class_template': last_maps.sum(dim=1).numpy().astype(np.float32),
        'class_maps': class_maps.numpy().astype(np.float32),
        'predicted_class': predicted.numpy().astype(np.int64),
    }


def _n_filters(network: nn.Module, layer: int) -> int:
    return network.features[conv_layer_positions(network.features)[layer]].out_channels


def compute_attention(
    model: ClassifierModel,
    fingerprints: np.ndarray,
    layer: int = -1,
    top_k: int = 4,
    allowed: np.ndarray | None = None,
    smoothing_samples: int = SMOOTHING_SAMPLES,
) -> AttentionMaps:
    """Attentive response maps of ``fingerprints`` (B, 3, H, W) for ``model``.

    ``allowed`` (B, C) bool: the classes each fingerprint may have (from its Bragg facts:
    :func:`aiida_symclf.library.classification.allowed_classes`); the predicted
    and dominant classes are taken among them. Default: all classes.

    ``layer`` picks the conv layer of the filter maps (index among the conv layers of
    ``model.network.features``, negative from the end; default the last), ``top_k`` how many of its
    filters. The class template always uses the last conv layer (with ``min(top_k, its filters)``
    filters). ``smoothing_samples``: how many noisy copies of each fingerprint the class maps average
    the gradient over (SmoothGrad; 0 gives the plain gradient x input). Raises ``ValueError`` for
    fingerprints of the wrong shape or with non-finite values, a layer out of range, ``top_k``
    outside ``[1, n_filters]`` or ``smoothing_samples`` < 0.
    """
    network = model.network
    images = _as_fingerprints(model, fingerprints)
    n_conv = len(conv_layer_positions(network.features))
    layer = _normalise_layer(layer, n_conv)
    _check_top_k(top_k, _n_filters(network, layer), layer)
    _check_smoothing_samples(smoothing_samples)
    n_classes = len(model.class_names)
    masks = np.ones((len(images), n_classes), dtype=bool) if allowed is None else np.asarray(allowed, dtype=bool)
    masks = torch.from_numpy(np.where(masks.any(axis=1, keepdims=True), masks, True))
    with _evaluation_mode(network):
        chunks = [
            _attention_chunk(
                network,
                torch.from_numpy(images[start : start + _BATCH]),
                masks[start : start + _BATCH],
                layer,
                n_conv - 1,
                int(top_k),
                int(smoothing_samples),
            )  # fmt: skip
            for start in range(0, len(images), _BATCH)
        ]
    arrays = {name: np.concatenate([chunk[name] for chunk in chunks]) for name in chunks[0]}
    dominant_class, dominant_strength = _dominant(arrays['class_maps'])
    return AttentionMaps(layer=layer, dominant_class=dominant_class, dominant_strength=dominant_strength, **arrays)
