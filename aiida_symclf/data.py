"""AiiDA data types of the plugin: the classifier model node and fingerprint storage helpers."""

from __future__ import annotations

import functools
import io
import tempfile
from pathlib import Path

import numpy as np
from aiida import orm

from .model import ClassifierModel, ModelFileError, default_model_path, file_sha256, load_model

__all__ = [
    'FINGERPRINT_ARRAY',
    'SymclfModelData',
    'fingerprint_array_data',
    'fingerprint_from_node',
]

#: Name of the array inside the ArrayData nodes that hold fingerprints.
FINGERPRINT_ARRAY = 'fingerprint'
_QUANTISATION_LEVELS = 255


class SymclfModelData(orm.SinglefileData):
    """A trained classifier model file stored in AiiDA (entry point ``symclf.model``).

    The file's metadata (class names, space groups, fingerprint parameters, training record)
    and its sha256 are attributes, so models can be queried. Use :meth:`get_or_create` to
    store a file once and reuse the same node whenever the same file is loaded again.
    """

    def __init__(self, file: str | Path, **kwargs) -> None:
        path = Path(file)
        model = load_model(path)  # raises ModelFileError naming what is wrong
        super().__init__(file=path, filename=path.name, **kwargs)
        metadata = model.metadata
        self.base.attributes.set_many(
            {
                'sha256': file_sha256(path),
                'class_names': list(metadata.class_names),
                'space_groups': [list(groups) for groups in metadata.space_groups],
                'fingerprint_parameters': metadata.fingerprint,
                'package_version': metadata.package_version,
                'training': metadata.training,
            }
        )

    @classmethod
    def get_or_create(cls, file: str | Path | None = None) -> SymclfModelData:
        """The stored node holding ``file`` (default: the shipped model), created only once."""
        path = Path(file) if file is not None else default_model_path()
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
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / 'model.pt'
        path.write_bytes(node.get_content(mode='rb'))
        if file_sha256(path) != sha256:
            raise ModelFileError(
                f'model node {uuid} is corrupted or was swapped: its file content does not match the sha256 '
                f'recorded when it was stored ({sha256[:12]}...)'
            )
        return load_model(path)


def fingerprint_array_data(fingerprint: np.ndarray, attributes: dict | None = None) -> orm.ArrayData:
    """Unstored ArrayData holding a (3, H, W) fingerprint (or a stack of them) quantised to uint8.

    Values in ``[0, 1]`` are stored as ``round(v * 255)``; ``scale = 1/255`` is recorded so that
    ``value = stored * scale``. That is 3 * 64 * 64 = 12,288 bytes of array data per
    structure, a quarter of float32; the rounding error (< 0.002) is far below the
    classifier's sensitivity (see the tests).
    """
    node = orm.ArrayData()
    node.set_array(FINGERPRINT_ARRAY, quantised(fingerprint))
    node.base.attributes.set_many(
        {
            'scale': 1.0 / _QUANTISATION_LEVELS,
            'stored_dtype': 'uint8',
            'channel_axes': ['x', 'y', 'z'],
            **(attributes or {}),
        }
    )
    return node


def quantised(fingerprints: np.ndarray) -> np.ndarray:
    """Fingerprint values in ``[0, 1]`` as uint8 steps of ``1/255``."""
    return np.rint(np.clip(fingerprints, 0.0, 1.0) * _QUANTISATION_LEVELS).astype(np.uint8)


def fingerprint_from_node(node: orm.ArrayData) -> np.ndarray:
    """The float32 (3, H, W) fingerprint held by a node made by :func:`fingerprint_array_data`."""
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
