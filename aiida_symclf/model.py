"""The convolutional classifier of Ziletti et al. (2018) and its model file.

Architecture (input 3 x 64 x 64): conv 32, conv 32 (7x7, same padding, ReLU), max-pool 2;
conv 16, conv 16, max-pool 2; conv 8, conv 8; dropout 0.25; flatten; dense 128 (ReLU);
batch norm; dense to the classes (softmax applied by :meth:`ClassifierModel.predict_proba`).

A *model file* is a :func:`torch.save` of a plain dictionary holding only tensors, strings and
numbers: ``{'format': ..., 'state_dict': {...}, 'metadata': '<json>'}``. It is read with
``torch.load(weights_only=True)``, so a model file can never run code. The metadata names the
classes, their space groups, the fingerprint parameters the network expects, the package
version and a hash of the training data.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .fingerprint import FingerprintParameters

__all__ = [
    'DEFAULT_MODEL_NAME',
    'ClassifierModel',
    'ModelFileError',
    'ModelMetadata',
    'SymmetryCNN',
    'default_model_path',
    'file_sha256',
    'load_model',
    'save_model',
]

MODEL_FORMAT = 'aiida-symclf-model/1'
DEFAULT_MODEL_NAME = 'symclf-default.pt'


class ModelFileError(ValueError):
    """A model file is missing, corrupt, or does not match the expected format."""


class SymmetryCNN(nn.Module):
    """The paper's network; ``features`` holds the conv/pool stack used by the attention maps."""

    def __init__(self, n_classes: int = 7, image_size: int = 64, in_channels: int = 3) -> None:
        super().__init__()
        if image_size % 4:
            raise ValueError(f'image_size must be a multiple of 4 (two 2x2 poolings), got {image_size}')

        def conv(n_in: int, n_out: int) -> list[nn.Module]:
            return [nn.Conv2d(n_in, n_out, kernel_size=7, padding=3), nn.ReLU()]

        self.features = nn.Sequential(
            *conv(in_channels, 32), *conv(32, 32), nn.MaxPool2d(2),
            *conv(32, 16), *conv(16, 16), nn.MaxPool2d(2),
            *conv(16, 8), *conv(8, 8),
        )  # fmt: skip
        flat = 8 * (image_size // 4) ** 2
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

    @property
    def fingerprint_parameters(self) -> FingerprintParameters:
        return FingerprintParameters.from_dict(self.fingerprint)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ModelMetadata:
        values = json.loads(text)
        missing = [f.name for f in dataclasses.fields(cls) if f.name not in values and f.name != 'training']
        if missing:
            raise ModelFileError(f'model metadata lacks {", ".join(missing)}')
        return cls(
            class_names=tuple(values['class_names']),
            space_groups=tuple(tuple(group) for group in values['space_groups']),
            fingerprint=dict(values['fingerprint']),
            package_version=str(values['package_version']),
            training=dict(values.get('training', {})),
        )


@dataclasses.dataclass
class ClassifierModel:
    """A network in evaluation mode together with its metadata."""

    network: SymmetryCNN
    metadata: ModelMetadata

    @property
    def class_names(self) -> tuple[str, ...]:
        return self.metadata.class_names

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
        fingerprints = np.asarray(fingerprints, dtype=np.float32)
        self.check_fingerprints(fingerprints)
        self.network.eval()
        outputs = []
        with torch.no_grad():
            for start in range(0, len(fingerprints), batch_size):
                batch = torch.from_numpy(fingerprints[start : start + batch_size])
                outputs.append(torch.softmax(self.network(batch), dim=1).double().numpy())
        if not outputs:
            return np.zeros((0, len(self.class_names)))
        return np.concatenate(outputs)


def default_model_path() -> Path:
    """Path of the trained model shipped with the package."""
    return Path(str(resources.files('aiida_symclf') / 'models' / DEFAULT_MODEL_NAME))


def file_sha256(path: Path | str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


def save_model(network: SymmetryCNN, metadata: ModelMetadata, path: Path | str) -> None:
    """Write weights and metadata as a weights-only model file."""
    state = {name: tensor.detach().cpu().contiguous() for name, tensor in network.state_dict().items()}
    torch.save({'format': MODEL_FORMAT, 'state_dict': state, 'metadata': metadata.to_json()}, path)


def load_model(path: Path | str | None = None) -> ClassifierModel:
    """Load a model file (default: the shipped model) safely, with a clear error when it is wrong."""
    path = Path(path) if path is not None else default_model_path()
    if not path.is_file():
        raise ModelFileError(f'model file not found: {path}')
    try:
        payload = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as exception:  # torch raises several types for corrupt or unsafe files
        raise ModelFileError(
            f'cannot read model file {path}: not a weights-only aiida-symclf model ({exception.__class__.__name__})'
        ) from exception
    if not isinstance(payload, dict) or payload.get('format') != MODEL_FORMAT:
        raise ModelFileError(f'{path} is not an aiida-symclf model file (expected format {MODEL_FORMAT!r})')
    metadata = ModelMetadata.from_json(payload['metadata'])
    if len(metadata.class_names) != len(metadata.space_groups):
        raise ModelFileError(
            f'{path}: {len(metadata.class_names)} class names but {len(metadata.space_groups)} space-group lists'
        )
    parameters = metadata.fingerprint_parameters
    network = SymmetryCNN(n_classes=len(metadata.class_names), image_size=parameters.image_size)
    try:
        network.load_state_dict(payload['state_dict'])
    except (RuntimeError, KeyError) as exception:
        raise ModelFileError(
            f'{path}: weights do not match the network for {len(metadata.class_names)} classes at {parameters.image_size} px: {exception}'
        ) from exception
    network.eval()
    return ClassifierModel(network=network, metadata=metadata)
