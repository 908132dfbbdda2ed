"""The bounded spglib comparison of ``classify`` (issue 29.1): size bound, time bound, Ctrl-C."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk

from aiida_symclf.cli.spglib_column import SPGLIB_MAX_ATOMS, SpglibColumn
from aiida_symclf.library import checkpoints


def _slow_for_spglib() -> Atoms:
    """A 2% displaced fcc supercell of 2,048 atoms: spglib at 0.1 A takes over a minute on it."""
    atoms = bulk('Cu', 'fcc', a=3.61, cubic=True).repeat(8)
    atoms.positions += np.random.default_rng(0).normal(0, 0.02, atoms.positions.shape)
    return atoms


def test_small_structures_get_spglibs_answer() -> None:
    with SpglibColumn() as column:
        assert column.summary(bulk('Cu', 'fcc', a=3.61)) == {
            'loose': {'space_group': 225, 'class': 'fcc'},
            'tight': {'space_group': 225, 'class': 'fcc'},
        }
        assert column.summary(bulk('Fe', 'bcc', a=2.87))['loose'] == {'space_group': 229, 'class': 'bcc'}


def test_structures_above_the_size_bound_are_skipped_without_calling_spglib() -> None:
    atoms = bulk('Cu', 'fcc', a=3.61, cubic=True).repeat(8)  # 2,048 atoms, pristine
    assert len(atoms) > SPGLIB_MAX_ATOMS
    with SpglibColumn() as column:
        start = time.monotonic()
        summary = column.summary(atoms)
        assert time.monotonic() - start < 1.0  # no spglib call at all
        assert column._child is None
    assert summary['loose'] == {'space_group': None, 'class': None, 'skipped': '2048 atoms'}
    assert summary['tight']['skipped'] == '2048 atoms'


def test_a_structure_spglib_takes_too_long_on_is_skipped_after_the_timeout() -> None:
    with SpglibColumn(max_atoms=10_000, timeout=1.0) as column:
        start = time.monotonic()
        summary = column.summary(_slow_for_spglib())
        assert time.monotonic() - start < 10.0
        assert summary['loose'] == {'space_group': None, 'class': None, 'skipped': '>1 s'}
        # the killed child is replaced for the next structure
        assert column.summary(bulk('Cu', 'fcc', a=3.61))['loose']['class'] == 'fcc'


def test_an_interrupt_stops_the_wait_for_spglib_and_its_child() -> None:
    """Before: spglib held the GIL and Ctrl-C had no effect for 60 s."""
    timer = threading.Timer(1.0, checkpoints.request_interrupt)
    try:
        with SpglibColumn(max_atoms=10_000, timeout=120.0) as column:
            timer.start()
            start = time.monotonic()
            with pytest.raises(checkpoints.Interrupted):
                column.summary(_slow_for_spglib())
            assert time.monotonic() - start < 10.0
            assert column._child is None  # killed
    finally:
        timer.cancel()
        checkpoints.clear_interrupt()
