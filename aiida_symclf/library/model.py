"""The convolutional classifier of Ziletti et al. (2018) and its model file.

Architecture (input 3 x 64 x 64): conv 32, conv 32 (7x7, same padding, ReLU), max-pool 2;
conv 16, conv 16, max-pool 2; conv 8, conv 8; dropout 0.25; flatten; dense 128 (ReLU);
batch norm; dense to the classes (softmax applied by :meth:`ClassifierModel.predict_proba`).

A *model file* is a :func:`torch.save` of a plain dictionary holding only tensors, strings and
numbers: ``{'format': ..., 'state_dict': {...}, 'metadata': '<json>', 'tensors_sha256': ...}``.
It is read with ``torch.load(weights_only=True)``, so a model file can never run code. The
metadata names the classes, their space groups, the fingerprint parameters the network
expects, the package version and a hash of the training data; ``tensors_sha256`` is a digest of
every tensor (name, dtype, shape, bytes), checked on load, so that a corrupted file (a flipped
byte inside a tensor, which ``torch.load`` does not notice) is refused. Files of the first
format (``aiida-symclf-model/1``) have no digest and are still read.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import warnings
from importlib import resources
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import torch
from torch import nn

from aiida_symclf.library.catalogue import class_from_table, register_classes
from aiida_symclf.library.fingerprint import FingerprintParameters
from aiida_symclf.library.hardware import native_bfloat16

__all__ = [
    'SHIPPED_MODELS',
    'PRECISIONS',
    'SlowPrecisionWarning',
    'ClassifierModel',
    'ModelFileError',
    'ModelMetadata',
    'SymmetryCNN',
    'determine_device',
    'file_sha256',
    'load_model',
    'shipped_model_path',
    'save_model',
    'tensors_sha256',
]

MODEL_FORMAT = 'aiida-symclf-model/2'
#: Older formats that are still read (no tensor digest).
LEGACY_FORMATS = ('aiida-symclf-model/1',)
#: Forward passes of the dense head with dropout on, for the MC-dropout uncertainty.
MC_SAMPLES = 30
#: The model files shipped in ``aiida_symclf/models``, by the short name that :func:`load_model`,
#: :func:`shipped_model_path` and the command line's ``--model`` accept ('default' is used when none is given).
SHIPPED_MODELS = {
    'default': 'symclf-default.pt',
    'fast': 'symclf-fast.pt',
    'insight': 'symclf-insight.pt',
    'elements': 'symclf-elements.pt',
    'aflow': 'symclf-aflow.pt',
}


class ModelFileError(ValueError):
    """A model file is missing, corrupt, or does not match the expected format."""


class SymmetryCNN(nn.Module):
    """The paper's network; ``features`` holds the conv/pool stack used by the attention maps.

    ``kernel_size`` is the paper's 7 by default; 3 gives the same layers at ~1/5 of the
    arithmetic. ``input_pool`` 2 puts a 2x2 max-pool in front of the paper's layers: they run on a
    32x32 image (the maximum keeps each diffraction peak's height), at ~1/4 of the arithmetic
    again. A model file records both in its metadata (``network``).
    """

    def __init__(
        self, n_classes: int = 7, image_size: int = 64, in_channels: int = 3, kernel_size: int = 7, input_pool: int = 1
    ) -> None:
        super().__init__()
        if kernel_size not in (3, 5, 7):
            raise ValueError(f'kernel_size must be 3, 5 or 7, got {kernel_size}')
        if input_pool not in (1, 2):
            raise ValueError(f'input_pool must be 1 or 2, got {input_pool}')
        if image_size % (4 * input_pool):
            raise ValueError(f'image_size must be a multiple of {4 * input_pool} (the poolings), got {image_size}')

        def conv(n_in: int, n_out: int) -> list[nn.Module]:
            return [nn.Conv2d(n_in, n_out, kernel_size=kernel_size, padding=kernel_size // 2), nn.ReLU()]

        self.features = nn.Sequential(
            *([nn.MaxPool2d(2)] if input_pool == 2 else []),
            *conv(in_channels, 32), *conv(32, 32), nn.MaxPool2d(2),
            *conv(32, 16), *conv(16, 16), nn.MaxPool2d(2),
            *conv(16, 8), *conv(8, 8),
        )  # fmt: skip
        flat = 8 * (image_size // (4 * input_pool)) ** 2
        self.classifier = nn.Sequential(
            nn.Dropout(0.25), nn.Flatten(), nn.Linear(flat, 128), nn.ReLU(), nn.BatchNorm1d(128),
            nn.Linear(128, n_classes),
        )  # fmt: skip

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Class logits (B, n_classes) of fingerprints (B, 3, H, W)."""
        return self.classifier(self.features(images))


@dataclasses.dataclass(frozen=True)
class ModelMetadata:
    """What a model file says about itself."""

    class_names: tuple[str, ...]
    space_groups: tuple[tuple[int, ...], ...]
    fingerprint: dict[str, Any]
    package_version: str
    training: dict[str, Any] = dataclasses.field(default_factory=dict)
    #: The class table (:func:`aiida_symclf.library.catalogue.class_table`: kind, AFLOW labels, lattices);
    #: empty in files written before the compound classes.
    classes: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    #: Keyword arguments of :class:`SymmetryCNN` beyond the classes and image size (``kernel_size``,
    #: ``input_pool``);
    #: empty: the paper's network.
    network: dict[str, Any] = dataclasses.field(default_factory=dict)

    def build_network(self) -> SymmetryCNN:
        """An untrained :class:`SymmetryCNN` of the shape this metadata describes."""
        return SymmetryCNN(len(self.class_names), self.fingerprint_parameters.image_size, **self.network)

    @property
    def fingerprint_parameters(self) -> FingerprintParameters:
        return FingerprintParameters.from_dict(self.fingerprint, legacy=True)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: Any) -> ModelMetadata:
        """Parse the metadata of a model file; every problem is a :class:`ModelFileError`."""
        if not isinstance(text, str):
            raise ModelFileError(f'model metadata must be a JSON string, got {type(text).__name__}')
        try:
            values = json.loads(text)
        except json.JSONDecodeError as exception:
            raise ModelFileError(f'model metadata is not valid JSON: {exception}') from exception
        if not isinstance(values, dict):
            raise ModelFileError(f'model metadata must be a JSON object, got {type(values).__name__}')
        optional = ('training', 'classes', 'network')
        missing = [f.name for f in dataclasses.fields(cls) if f.name not in values and f.name not in optional]
        if missing:
            raise ModelFileError(f'model metadata lacks {", ".join(missing)}')
        try:
            metadata = cls(
                class_names=tuple(str(name) for name in values['class_names']),
                space_groups=tuple(tuple(int(g) for g in group) for group in values['space_groups']),
                fingerprint=dict(values['fingerprint']),
                package_version=str(values['package_version']),
                training=dict(values.get('training', {})),
                classes=[dict(row) for row in values.get('classes', [])],
                network={str(key): int(value) for key, value in dict(values.get('network', {})).items()},
            )
            metadata.fingerprint_parameters  # noqa: B018  (validates the fingerprint settings)
        except (TypeError, ValueError) as exception:
            raise ModelFileError(f'model metadata is malformed: {exception}') from exception
        return metadata


#: Arithmetic of the convolutions: ``float32`` (exact, the default) or ``bfloat16`` (about 2x
#: faster on CPUs with bf16 instructions and on GPUs; logits differ by ~0.05, labels agreed on
#: every benchmark input, see ``benchmarks/throughput.py``). Where the device has no native
#: bfloat16 (:func:`~aiida_symclf.library.hardware.native_bfloat16`) torch emulates it, ~10x slower than
#: float32, and loading a model in it warns (:class:`SlowPrecisionWarning`).
PRECISIONS = ('float32', 'bfloat16')


class SlowPrecisionWarning(UserWarning):
    """The asked precision is emulated on this device and slower than float32."""


def warn_if_emulated(precision: str, device: torch.device) -> None:
    """Warn (:class:`SlowPrecisionWarning`) when ``precision`` is bfloat16 on a device that would emulate it."""
    if precision == 'bfloat16' and not native_bfloat16(device):
        missing = 'no AVX-512 bf16 or AMX' if device.type == 'cpu' else 'no bf16 support'
        warnings.warn(
            f'bfloat16 is not native on this {device.type.upper()} ({missing}): torch emulates it, '
            'about 10x slower than float32; use precision float32 here',
            SlowPrecisionWarning,
            stacklevel=4,  # the caller of ClassifierModel(...)
        )


@dataclasses.dataclass
class ClassifierModel:
    """A network in evaluation mode together with its metadata.

    The convolutions run in channels-last memory order (1.3x faster on the CPU, the same numbers
    to 1e-5) and in ``precision``.
    """

    network: SymmetryCNN
    metadata: ModelMetadata
    precision: str = 'float32'

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise ValueError(f'precision must be one of {", ".join(PRECISIONS)}, got {self.precision!r}')
        warn_if_emulated(self.precision, self.device)
        self.network.to(memory_format=torch.channels_last)

    def features(self, batch: torch.Tensor) -> torch.Tensor:
        """Output of the convolutional stack (float32) for fingerprints (B, 3, H, W) on the model's device."""
        batch = batch.contiguous(memory_format=torch.channels_last)
        if self.precision == 'float32':
            return self.network.features(batch)
        with torch.autocast(self.device.type, dtype=torch.bfloat16):
            return self.network.features(batch).float()

    @property
    def class_names(self) -> tuple[str, ...]:
        return self.metadata.class_names

    @property
    def device(self) -> torch.device:
        """Where the network runs; inputs are moved there, results come back as numpy arrays."""
        return next(self.network.parameters()).device

    def check_fingerprints(self, fingerprints: np.ndarray) -> None:
        """Raise ``ValueError`` if ``fingerprints`` is not (B, 3, H, W) with the model's H, W."""
        size = self.metadata.fingerprint_parameters.image_size
        expected = (3, size, size)
        if fingerprints.ndim != 4 or tuple(fingerprints.shape[1:]) != expected:
            raise ValueError(
                f'model expects fingerprints of shape (B, {", ".join(map(str, expected))}), got {fingerprints.shape}'
            )
        if not np.all(np.isfinite(fingerprints)):
            raise ValueError('fingerprints contain non-finite values')

    def predict_proba(self, fingerprints: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """Class probabilities (B, n_classes) float64 of fingerprints (B, 3, H, W)."""
        return self.predict(fingerprints, batch_size, mc_samples=0)[0]

    def predict(
        self,
        fingerprints: np.ndarray,
        batch_size: int = 256,
        mc_samples: int = MC_SAMPLES,
        allowed: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities (B, C) of the deterministic network and their uncertainty (B,).

        ``allowed`` (B, C) bool restricts each fingerprint's softmax to the classes its Bragg
        facts allow (group, lattice; see :func:`aiida_symclf.library.classification.allowed_classes`):
        the network is trained on the probabilities of a class given its group. The uncertainty is the mutual information
        (nats) between the prediction and the network's weights, estimated with ``mc_samples``
        passes of the dense head with dropout switched on (MC dropout; the convolutions are
        computed once). It is near 0 where every dropout mask gives the same answer and grows
        where they disagree. Fixed seed: the same input always gets the same value.
        ``mc_samples=0`` skips it (zeros).
        """
        fingerprints = np.asarray(fingerprints, dtype=np.float32)
        self.check_fingerprints(fingerprints)
        if allowed is None:
            allowed = np.ones((len(fingerprints), len(self.class_names)), dtype=bool)
        allowed = np.where(np.asarray(allowed, dtype=bool).any(axis=1, keepdims=True), allowed, True)
        self.network.eval()
        probabilities, uncertainties = [], []
        with torch.no_grad():
            for start in range(0, len(fingerprints), batch_size):
                batch = torch.from_numpy(fingerprints[start : start + batch_size]).to(self.device)
                mask = torch.from_numpy(allowed[start : start + batch_size]).to(self.device)
                features = self.features(batch)
                logits = self.network.classifier(features).masked_fill(~mask, float('-inf'))
                probabilities.append(torch.softmax(logits, dim=1).double().cpu().numpy())
                uncertainties.append(self._mutual_information(features, mask, mc_samples))
        if not probabilities:
            return np.zeros((0, len(self.class_names))), np.zeros(0)
        return np.concatenate(probabilities), np.concatenate(uncertainties)

    def _mutual_information(self, features: torch.Tensor, mask: torch.Tensor, samples: int) -> np.ndarray:
        """MC-dropout mutual information of a batch of convolutional features, within each mask of allowed classes."""
        if samples <= 0:
            return np.zeros(len(features))
        dropout, *head = self.network.classifier
        shape = tuple(features.shape[1:])
        keep = _dropout_masks(samples, shape, dropout.p).to(features.device, features.dtype)
        masked = features.unsqueeze(0) * keep.unsqueeze(1)
        logits = torch.nn.Sequential(*head)(masked.reshape(-1, *shape)).reshape(samples, len(features), -1)
        probabilities = torch.softmax(logits.double().masked_fill(~mask, float('-inf')), dim=-1)
        mean = probabilities.mean(dim=0)
        entropy = -(mean * torch.log(mean.clamp_min(1e-12))).sum(-1)
        expected = -(probabilities * torch.log(probabilities.clamp_min(1e-12))).sum(-1).mean(0)
        return (entropy - expected).clamp_min(0.0).cpu().numpy()


@functools.lru_cache(maxsize=8)
def _dropout_masks(samples: int, shape: tuple[int, ...], p: float) -> torch.Tensor:
    """(samples, *shape) inverted-dropout masks (0 or 1/(1-p)) from a fixed seed: the MC-dropout ensemble."""
    generator = torch.Generator().manual_seed(0)
    return (torch.rand(samples, *shape, generator=generator) >= p).float() / (1.0 - p)


def shipped_model_path(name: str = 'default') -> Path:
    """Path of a model file shipped with the package, by short name (``fast``) or file name (``symclf-fast.pt``)."""
    file_name = SHIPPED_MODELS.get(name, name)
    if file_name not in SHIPPED_MODELS.values():
        raise ModelFileError(f'no shipped model {name!r}: choose one of {", ".join(SHIPPED_MODELS)}')
    return Path(str(resources.files('aiida_symclf') / 'models' / file_name))


def model_file_path(source: Path | str | None) -> Path:
    """The file behind ``source``: a shipped model's short or file name, a path, or None for the default."""
    if source is None:
        return shipped_model_path()
    if isinstance(source, str) and (source in SHIPPED_MODELS or source in SHIPPED_MODELS.values()):
        if not Path(source).is_file():  # a file of that name in the working directory wins
            return shipped_model_path(source)
    return Path(source)


def file_sha256(path: Path | str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


def tensors_sha256(state_dict: dict[str, Any]) -> str:
    """Digest of every tensor of a state dict: names, dtypes, shapes and bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(state_dict):
        tensor = state_dict[name]
        if not isinstance(tensor, torch.Tensor):
            raise ModelFileError(f'state_dict entry {name!r} is not a tensor')
        digest.update(f'{name}|{tensor.dtype}|{tuple(tensor.shape)}|'.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def save_model(network: SymmetryCNN, metadata: ModelMetadata, path: Path | str) -> None:
    """Write weights, metadata and the tensor digest as a weights-only model file."""
    state = {name: tensor.detach().cpu().contiguous() for name, tensor in network.state_dict().items()}
    payload = {
        'format': MODEL_FORMAT,
        'state_dict': state,
        'metadata': metadata.to_json(),
        'tensors_sha256': tensors_sha256(state),
    }
    torch.save(payload, path)


def determine_device(device: str | torch.device | None = None) -> torch.device:
    """``device`` if given, else CUDA when available, else the CPU."""
    if device is not None:
        try:
            return torch.device(device)
        except RuntimeError as exception:
            raise ValueError(f'unknown torch device {device!r}: {str(exception).split(":")[0]}') from None
    return torch.device('cuda' if torch.cuda.is_available() else 'cpu')


def _read_payload(handle: Any, source: str) -> dict[str, Any]:
    """The checked dictionary of a model file read from ``handle``: known format, tensors intact."""
    try:
        payload = torch.load(handle, map_location='cpu', weights_only=True)
    except Exception as exception:  # torch raises several types for corrupt or unsafe files
        raise ModelFileError(
            f'cannot read model file {source}: not a weights-only aiida-symclf model ({exception.__class__.__name__})'
        ) from exception
    if not isinstance(payload, dict) or payload.get('format') not in (MODEL_FORMAT, *LEGACY_FORMATS):
        raise ModelFileError(f'{source} is not an aiida-symclf model file (expected format {MODEL_FORMAT!r})')
    for key in ('state_dict', 'metadata'):
        if key not in payload:
            raise ModelFileError(f'{source}: the model file has no {key!r}')
    if not isinstance(payload['state_dict'], dict):
        raise ModelFileError(f'{source}: state_dict is not a dictionary of tensors')
    if payload['format'] == MODEL_FORMAT:
        recorded = payload.get('tensors_sha256')
        if not isinstance(recorded, str):
            raise ModelFileError(f'{source}: the model file records no tensor digest')
        if tensors_sha256(payload['state_dict']) != recorded:
            raise ModelFileError(f'{source} is corrupted: its tensors do not match the digest recorded in the file')
    return payload


def _read_model(
    handle: Any, source: str = 'model file', device: str | torch.device | None = 'cpu', precision: str = 'float32'
) -> ClassifierModel:
    """Load a model from an open binary file (a path's handle, or a node's ``open('rb')``).

    ``source`` names the file in error messages; ``device`` is where the network runs
    (``None``: CUDA when available, see :func:`determine_device`); ``precision`` that of the
    convolutions (:data:`PRECISIONS`).
    """
    payload = _read_payload(handle, source)
    metadata = ModelMetadata.from_json(payload['metadata'])
    if len(metadata.class_names) != len(metadata.space_groups):
        raise ModelFileError(
            f'{source}: {len(metadata.class_names)} class names but {len(metadata.space_groups)} space-group lists'
        )
    groups = dict(zip(metadata.class_names, metadata.space_groups, strict=True))
    register_classes(
        [class_from_table(row, groups.get(row['name'], ())) for row in metadata.classes if row.get('forms')]
    )
    parameters = metadata.fingerprint_parameters
    try:
        network = metadata.build_network()
        network.load_state_dict(payload['state_dict'])
    except (RuntimeError, KeyError, ValueError) as exception:
        raise ModelFileError(
            f'{source}: weights do not match the network for {len(metadata.class_names)} classes at {parameters.image_size} px: {exception}'
        ) from exception
    network.to(determine_device(device)).eval()
    return ClassifierModel(network=network, metadata=metadata, precision=precision)


def load_model(
    source: Path | str | BinaryIO | None = None,
    device: str | torch.device | None = 'cpu',
    precision: str = 'float32',
    description: str | None = None,
) -> ClassifierModel:
    """Load a model safely, with a clear error (:class:`ModelFileError`) when it is wrong.

    ``source`` is the one way to say which model: None (the shipped default), a shipped model's
    name (:data:`SHIPPED_MODELS`: ``'fast'`` or ``'symclf-fast.pt'``), a path, or an open binary
    file (a node's ``open('rb')``; ``description`` names it in errors). ``device`` is where the
    network runs (``None``: CUDA when available, see :func:`determine_device`); ``precision`` that
    of the convolutions (:data:`PRECISIONS`).
    """
    if hasattr(source, 'read'):
        return _read_model(source, description or 'model file', device, precision)
    path = model_file_path(source)
    if not path.is_file():
        raise ModelFileError(f'model file not found: {path}')
    with open(path, 'rb') as handle:
        return _read_model(handle, description or str(path), device, precision)
