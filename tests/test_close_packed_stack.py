"""The fcc/hcp stack builder of the local-map benchmark (layers, true labels, neighbours) and its map."""

from __future__ import annotations

import numpy as np
import pytest
from ase.neighborlist import neighbor_list

from aiida_symclf.testing.polycrystal import close_packed_stack


def test_close_packed_stack_layers_and_labels():
    """ABC x6 then AB x6 (periodic): every atom has 12 neighbours at the given distance; the first
    fcc-part layer (between two B layers) and the last hcp-part layer are hcp, so half of each."""
    atoms, labels = close_packed_stack('Co', 2.5, fcc_layers=18, hcp_layers=12, repeats=6, seed=1)
    assert len(atoms) == len(labels) == 30 * 36
    counts = np.bincount(neighbor_list('i', atoms, 2.6), minlength=len(atoms))
    assert (counts == 12).all()
    distances = neighbor_list('d', atoms, 2.6)
    assert np.allclose(distances, 2.5, atol=1e-6)
    labels = np.array(labels)
    # fcc part: layers 1..17 are c sites, layer 0 is h (B below and above); hcp part: all h but its first (C below)
    assert (labels == 'fcc').sum() == (17 + 1) * 36
    assert (labels == 'hcp/rh').sum() == (1 + 11) * 36


@pytest.mark.parametrize(('fcc_layers', 'hcp_layers'), [(4, 6), (6, 3), (0, 6)])
def test_close_packed_stack_refuses_broken_stackings(fcc_layers, hcp_layers):
    with pytest.raises(ValueError, match='multiple of 3'):
        close_packed_stack(fcc_layers=fcc_layers, hcp_layers=hcp_layers)


def test_fcc_hcp_stack_fractions_of_the_map():
    """The map of an fcc/hcp stack of one element: each stacking's fraction within 0.05 of the
    truth (the layers at the boundary, on both crystals' sites, take the crystal of their
    neighbours: :func:`aiida_symclf.library.local_map._shared_sites_resolved`)."""
    from aiida_symclf.library.local_map import map_structure
    from aiida_symclf.library.model import load_model

    atoms, labels = close_packed_stack('Co', 2.5)
    fractions = map_structure(atoms, load_model()).fractions
    for label in ('fcc', 'hcp/rh'):
        assert abs(fractions.get(label, 0.0) - np.mean(np.array(labels) == label)) < 0.05
