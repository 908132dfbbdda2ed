"""What the machine computes fast: whether bfloat16 arithmetic is native on a device.

bfloat16 halves the cost of the convolutions and of the diffraction kernel's product only where
the hardware multiplies it natively (GPUs with bf16 support; CPUs with AVX-512 bf16 or AMX). On
other CPUs torch emulates it, and it is much slower than float32 (figures in docs/scaling.rst,
'Constants chosen by measurement').
"""

from __future__ import annotations

import functools

import torch

__all__ = ['native_bfloat16']

#: torch's checks of the CPU features that multiply bfloat16 natively.
_CPU_CHECKS = ('_is_avx512_bf16_supported', '_is_amx_tile_supported')


@functools.cache
def _cpu_native_bfloat16() -> bool:
    return any(getattr(torch.cpu, name, lambda: False)() for name in _CPU_CHECKS)


def native_bfloat16(device: torch.device | str = 'cpu') -> bool:
    """True if ``device`` multiplies bfloat16 natively (False: torch would emulate it, slower than float32)."""
    device = torch.device(device)
    if device.type == 'cuda':
        return torch.cuda.is_bf16_supported()
    if device.type == 'cpu':
        return _cpu_native_bfloat16()
    return False
