"""AiiDA data types of the plugin: the classifier model node, fingerprints and local structure maps."""

from __future__ import annotations

import functools
import hashlib
import io
import tempfile
from pathlib import Path

import numpy as np
from aiida import orm

from aiida_symclf.data.local_map import LocalMapData
from aiida_symclf.library.model import (
    SHIPPED_MODELS,
    ClassifierModel,
    ModelFileError,
    file_sha256,
    load_model,
    shipped_model_path,
)

__all__ = [
    'FINGERPRINT_ARRAY',
    'FingerprintData',
    'LocalMapData',
    'SymclfModelData',
    'fingerprint_from_node',
]

#: Name of the array inside the ArrayData nodes that hold fingerprints.
FINGERPRINT_ARRAY = 'fingerprint'
_QUANTISATION_LEVELS = 255


class SymclfModelData(orm.SinglefileData):
    """A trained classifier model file stored in AiiDA (entry point ``symclf.model``).

    As aiida-pseudo's data types: :meth:`set_file` checks the file (a model that cannot be loaded
    is refused with the reason) and records its sha256 and metadata (class names, space groups,
    fingerprint parameters, training record) as attributes, so models can be queried;
    :meth:`store` checks again that the content is the one recorded; the network is read
    through ``node.open('rb')``. Use :meth:`get_or_create` to store a file once and reuse the
    same node whenever the same file is loaded again.
    """

    def set_file(self, source, filename: str | None = None, **kwargs) -> None:
        """Store ``source`` (a path or a binary stream) and record its sha256 and metadata."""
        if isinstance(source, (str, Path)):
            content = Path(source).read_bytes()
            filename = filename or Path(source).name
        else:
            content = source.read()
        model = load_model(
            io.BytesIO(content), description=filename or 'model file'
        )  # raises ModelFileError with the reason
        super().set_file(io.BytesIO(content), filename=filename or SHIPPED_MODELS['default'], **kwargs)
        metadata = model.metadata
        self.base.attributes.set_many(
            {
                'sha256': hashlib.sha256(content).hexdigest(),
                'class_names': list(metadata.class_names),
                'space_groups': [list(groups) for groups in metadata.space_groups],
                'fingerprint_parameters': metadata.fingerprint,
                'package_version': metadata.package_version,
                'training': metadata.training,
            }
        )

    def store(self, *args, **kwargs):
        """Store, after checking that the file is still the one whose sha256 was recorded."""
        if not self.is_stored and self._content_sha256() != self.sha256:
            raise ModelFileError(
                'the model file was replaced after it was checked: its content does not match the recorded sha256'
            )
        return super().store(*args, **kwargs)

    def _content_sha256(self) -> str:
        with self.open(mode='rb') as handle:
            return hashlib.sha256(handle.read()).hexdigest()

    @classmethod
    def get_or_create(cls, file: str | Path | None = None) -> SymclfModelData:
        """The stored node holding ``file`` (default: the shipped model), created only once."""
        path = Path(file) if file is not None else shipped_model_path()
        if not path.is_file():
            raise ModelFileError(f'model file not found: {path}')
        existing = cls.find_by_sha256(file_sha256(path))
        if existing is not None:
            return existing
        return cls(file=path).store()

    @classmethod
    def find_by_sha256(cls, sha256: str) -> SymclfModelData | None:
        query = orm.QueryBuilder().append(cls, filters={'attributes.sha256': sha256}, project='*')
        query.order_by({cls: {'id': 'asc'}}).limit(1)
        result = query.first()
        return result[0] if result else None

    @property
    def sha256(self) -> str:
        return self.base.attributes.get('sha256')

    @property
    def class_names(self) -> list[str]:
        return self.base.attributes.get('class_names')

    def load(self) -> ClassifierModel:
        """The network of this node, loaded once per process and cached by sha256."""
        return _load_cached(self.sha256, self.uuid)


@functools.lru_cache(maxsize=8)
def _load_cached(sha256: str, uuid: str) -> ClassifierModel:
    node = orm.load_node(uuid)
    with node.open(mode='rb') as handle:
        content = handle.read()
    if hashlib.sha256(content).hexdigest() != sha256:
        raise ModelFileError(
            f'model node {uuid} is corrupted or was swapped: its file content does not match the sha256 '
            f'recorded when it was stored ({sha256[:12]}...)'
        )
    return load_model(io.BytesIO(content), description=f'model node {uuid}')


class FingerprintData(orm.ArrayData):
    """Diffraction fingerprints (entry point ``symclf.fingerprint``): one (3, H, W) image, or a stack.

    The contract lives in the type, so that ports and queries can name it: the array
    ``fingerprint`` holds values in ``[0, 1]`` quantised to uint8 (``value = stored * scale``,
    ``scale = 1/255``: 12,288 bytes per 64 x 64 fingerprint, a quarter of float32; the rounding
    error (< 0.002) is far below the classifier's sensitivity, see the tests); the attributes
    hold the fingerprint ``parameters`` and, for one structure, its ``structure_uuid`` and the
    Bragg ``lattice`` facts (:meth:`aiida_symclf.library.lattice.BraggLattice.summary`).
    """

    def __init__(self, fingerprint: np.ndarray | None = None, attributes: dict | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        if fingerprint is not None:
            self.set_array(FINGERPRINT_ARRAY, quantised(fingerprint))
            self.base.attributes.set_many(
                {
                    'scale': 1.0 / _QUANTISATION_LEVELS,
                    'stored_dtype': 'uint8',
                    'channel_axes': ['x', 'y', 'z'],
                    **(attributes or {}),
                }
            )

    @property
    def fingerprint(self) -> np.ndarray:
        """The float32 fingerprint(s), dequantised."""
        return fingerprint_from_node(self)

    @property
    def parameters(self) -> dict:
        return self.base.attributes.get('parameters', {})

    @property
    def structure_uuid(self) -> str | None:
        return self.base.attributes.get('structure_uuid', None)

    @property
    def lattice(self) -> dict | None:
        return self.base.attributes.get('lattice', None)


def quantised(fingerprints: np.ndarray) -> np.ndarray:
    """Fingerprint values in ``[0, 1]`` as uint8 steps of ``1/255``."""
    return np.rint(np.clip(fingerprints, 0.0, 1.0) * _QUANTISATION_LEVELS).astype(np.uint8)


def fingerprint_from_node(node: orm.ArrayData) -> np.ndarray:
    """The float32 (3, H, W) fingerprint held by a :class:`FingerprintData` (or an ArrayData of
    version 0.1, which had the same array and attributes)."""
    if FINGERPRINT_ARRAY not in node.get_arraynames():
        raise ValueError(f'node {node.pk} holds no {FINGERPRINT_ARRAY!r} array')
    stored = node.get_array(FINGERPRINT_ARRAY)
    return (stored.astype(np.float32) * np.float32(node.base.attributes.get('scale', 1.0))).astype(np.float32)


def png_bytes(figure_writer, *args, **kwargs) -> bytes:
    """Render a plot function that writes to a path into PNG bytes (for node repositories)."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / 'figure.png'
        figure_writer(*args, path=path, **kwargs)
        return path.read_bytes()


def attach_file(node: orm.Node, name: str, content: bytes) -> None:
    """Put ``content`` into the repository of the unstored ``node`` as ``name``."""
    node.base.repository.put_object_from_filelike(io.BytesIO(content), name)
