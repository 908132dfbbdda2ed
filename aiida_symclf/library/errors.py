"""The library's error for an input it cannot handle, shared by the modules that raise it.

It lives apart from :mod:`~aiida_symclf.library.fingerprint` so that the lattice analysis,
which the fingerprint uses, can raise it without importing the fingerprint back.
"""

from __future__ import annotations

__all__ = ['StructureError']


class StructureError(ValueError):
    """The structure cannot be fingerprinted (empty, not periodic, non-finite positions, ...)."""
