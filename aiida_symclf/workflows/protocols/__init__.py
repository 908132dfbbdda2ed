"""Named input sets of the WorkChains, read from YAML files next to this module.

The pattern of aiida-quantumespresso's ``ProtocolMixin``: each file has ``default_inputs``, a
``default_protocol`` and ``protocols`` (name -> description and the inputs that differ from the
defaults). :class:`ProtocolMixin` gives a WorkChain ``get_available_protocols``,
``get_default_protocol`` and ``get_protocol_inputs(protocol, overrides)``; the WorkChain's
``get_builder_from_protocol`` turns those inputs into a builder.
"""

from __future__ import annotations

import copy
import functools
from importlib import resources
from typing import Any, ClassVar

import yaml

__all__ = ['ProtocolMixin', 'recursive_merge']


def recursive_merge(left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    """``left`` updated with ``right``, nested dictionaries merged key by key (a new dictionary)."""
    merged = copy.deepcopy(left)
    for key, value in right.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = recursive_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


@functools.cache
def _load(filename: str) -> dict[str, Any]:
    return yaml.safe_load(resources.files(__name__).joinpath(filename).read_text())


class ProtocolMixin:
    """Protocols of a WorkChain from ``aiida_symclf/workflows/protocols/<_protocol_file>``."""

    _protocol_file: ClassVar[str]

    @classmethod
    def _protocols(cls) -> dict[str, Any]:
        return _load(cls._protocol_file)

    @classmethod
    def get_default_protocol(cls) -> str:
        return cls._protocols()['default_protocol']

    @classmethod
    def get_available_protocols(cls) -> dict[str, dict[str, str]]:
        """Protocol name -> ``{'description': ...}``."""
        return {name: {'description': values['description']} for name, values in cls._protocols()['protocols'].items()}

    @classmethod
    def get_protocol_inputs(
        cls, protocol: str | None = None, overrides: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The inputs of ``protocol`` (default: the default protocol) with ``overrides`` merged in."""
        data = cls._protocols()
        protocol = protocol or data['default_protocol']
        if protocol not in data['protocols']:
            raise ValueError(f'unknown protocol {protocol!r}; available: {", ".join(sorted(data["protocols"]))}')
        specific = {key: value for key, value in data['protocols'][protocol].items() if key != 'description'}
        inputs = recursive_merge(data['default_inputs'], specific)
        return recursive_merge(inputs, overrides or {})
