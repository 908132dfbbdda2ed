"""The diffraction fingerprint: invariances, discrimination, geometry, batching, bad input."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from ase import Atoms
from ase.build import bulk

from aiida_symclf.library.errors import StructureError
from aiida_symclf.library.fingerprint import (
    FingerprintParameters,
    check_structure,
    diffraction_fingerprint,
    diffraction_fingerprints,
    exact_intensity,
    fingerprints_from_clusters,
    prepare,
    prepare_block,
    rotation_matrices,
    scaled_cluster,
)
from aiida_symclf.library.perturb import PerturbationLevel, perturb_atoms

PARAMETERS = FingerprintParameters()


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """Root-mean-square difference of two fingerprints."""
    return float(np.sqrt(np.mean((a - b) ** 2)))


def test_shape_dtype_range_and_mask(prototypes):
    image = diffraction_fingerprint(prototypes['fcc'])
    assert image.shape == (3, 64, 64)
    assert image.dtype == np.float32
    assert image.min() == 0.0 and image.max() == pytest.approx(1.0)
    outside = ~PARAMETERS.ring_mask()
    assert np.all(image[:, outside] == 0), 'central beam and corners are masked'


def test_lattice_constant_invariance():
    small = diffraction_fingerprint(bulk('Cu', 'fcc', a=3.0))
    large = diffraction_fingerprint(bulk('Cu', 'fcc', a=5.2))
    assert distance(small, large) < 1e-4


def test_supercell_gives_nearly_the_same_fingerprint(prototypes):
    unit = bulk('Cu', 'fcc', a=3.61, cubic=True)
    parameters = dataclasses.replace(PARAMETERS, standardize=False)
    one = diffraction_fingerprint(unit, parameters)
    two = diffraction_fingerprint(unit.repeat(2), parameters)
    other = diffraction_fingerprint(prototypes['bcc'])
    assert distance(one, two) < 0.2 * distance(one, other)


def test_species_relabelling_does_not_matter_by_default():
    copper = bulk('Cu', 'fcc', a=3.61)
    gold = bulk('Au', 'fcc', a=3.61)
    assert distance(diffraction_fingerprint(copper), diffraction_fingerprint(gold)) < 1e-6


def test_atomic_number_scattering_sees_species():
    salt = bulk('NaCl', 'rocksalt', a=5.64)
    uniform = diffraction_fingerprint(salt)
    weighted = diffraction_fingerprint(salt, dataclasses.replace(PARAMETERS, scattering='atomic_number'))
    # Na (11) and Cl (17) differ: the weak fcc superstructure reflections appear.
    assert np.abs(uniform - weighted).max() > 0.02


def test_classes_are_pairwise_distinct(prototypes):
    images = {name: diffraction_fingerprint(atoms) for name, atoms in prototypes.items()}
    names = list(images)
    smallest = min(distance(images[a], images[b]) for i, a in enumerate(names) for b in names[i + 1 :])
    # Same structure at another lattice constant differs by < 1e-4 (test above): a clear margin.
    assert smallest > 0.02


def test_displacement_changes_fingerprint_monotonically():
    block = prepare_block(bulk('Fe', 'bcc', a=2.87, cubic=True))
    parameters = dataclasses.replace(PARAMETERS, standardize=False)
    pristine = diffraction_fingerprint(block, parameters)
    mean_distances = []
    for delta in (0.01, 0.04, 0.08):
        changed = [
            diffraction_fingerprint(perturb_atoms(block, PerturbationLevel(delta, 0, seed)), parameters)
            for seed in range(3)
        ]
        mean_distances.append(np.mean([distance(pristine, image) for image in changed]))
    assert mean_distances[0] < mean_distances[1] < mean_distances[2]


def ring_radii(image: np.ndarray) -> list[int]:
    """Radii (px) of the rings: local maxima of the azimuthally averaged summed channels."""
    total = image.sum(axis=0)
    centre = (total.shape[0] - 1) / 2
    y, x = np.indices(total.shape)
    bins = np.round(np.hypot(y - centre, x - centre)).astype(int)
    profile = np.bincount(bins.ravel(), total.ravel()) / np.maximum(np.bincount(bins.ravel()), 1)
    threshold = 0.25 * profile.max()
    return [r for r in range(1, len(profile) - 1) if profile[r] >= max(profile[r - 1], profile[r + 1], threshold)]


# Reciprocal lengths for a nearest-neighbour distance of 1: fcc a = sqrt(2), bcc a = 2 / sqrt(3).
FCC_A, BCC_A = np.sqrt(2), 2 / np.sqrt(3)


@pytest.mark.parametrize(
    ('structure', 'reciprocal_lengths'),
    [
        (bulk('Cu', 'fcc', a=3.61, cubic=True), {'111': 2 * np.pi * np.sqrt(3) / FCC_A, '200': 4 * np.pi / FCC_A}),
        (bulk('Fe', 'bcc', a=2.87, cubic=True), {'110': 2 * np.pi * np.sqrt(2) / BCC_A, '200': 4 * np.pi / BCC_A}),
    ],
)
def test_rings_land_where_the_geometry_predicts(structure, reciprocal_lengths):
    rings = ring_radii(diffraction_fingerprint(structure))
    for reflection, q in reciprocal_lengths.items():
        predicted = q / PARAMETERS.q_step
        assert min(abs(r - predicted) for r in rings) <= 1.0, (
            f'({reflection}) ring expected at {predicted:.1f} px, rings at {rings}'
        )


def test_fcc_111_ring_radius():
    """The method's check: fcc (111) at q = 2 pi sqrt(3) / a ~ 7.7, about 15.3 px from the centre.

    The brightest radius between 12 and 18 px (radial profile in 0.25 px bins) is within 0.5 px of
    it: a nearest-neighbour scale off by 8% moves the ring by 1.2 px.
    """
    radius = 2 * np.pi * np.sqrt(3) / np.sqrt(2) / PARAMETERS.q_step
    assert radius == pytest.approx(15.3, abs=0.1)
    image = diffraction_fingerprint(bulk('Cu', 'fcc', a=3.61, cubic=True)).sum(axis=0)
    centre = 31.5
    y, x = np.indices(image.shape)
    distance = np.hypot(y - centre, x - centre)
    bins = np.arange(12.0, 18.0, 0.25)
    profile = [image[(distance >= low) & (distance < low + 0.5)].mean() for low in bins]
    brightest = bins[int(np.argmax(profile))] + 0.25
    assert abs(brightest - radius) < 0.5, (brightest, radius)


@pytest.mark.parametrize('displacement', [0.0, 0.04], ids=['pristine', 'displaced 4%'])
def test_paraxial_factorisation_matches_exact_ewald_formula(displacement):
    """Fast kernel vs the exact Ewald formula within 1% of the peak. The displaced cluster is not
    centrosymmetric, so a wrong sign of the curvature term shows (7% there, 0.24% on the
    centrosymmetric one)."""
    cluster = scaled_cluster(prepare_block(bulk('Cu', 'fcc', a=3.61)))
    cluster = cluster + np.random.default_rng(0).normal(0, displacement, cluster.shape)
    weights = np.ones(len(cluster))
    rotation = rotation_matrices()[0]
    exact = exact_intensity(cluster @ rotation.T, weights, PARAMETERS)
    positions = torch.tensor(cluster[None], dtype=torch.float64)
    from aiida_symclf.library.fingerprint import _intensity_batch, wave_matrices

    waves = wave_matrices(torch.tensor(PARAMETERS.q_axis()), PARAMETERS.wavenumber)
    fast = _intensity_batch(positions, torch.ones(1, len(cluster), dtype=torch.float64), waves)[0, 0].numpy()
    mask = PARAMETERS.ring_mask()
    assert np.abs(exact - fast)[mask].max() / exact[mask].max() < 0.01


def test_batch_equals_one_by_one_and_is_deterministic(prototypes):
    structures = list(prototypes.values())
    batch = diffraction_fingerprints(structures, batch_size=len(structures))
    single = np.stack([diffraction_fingerprint(atoms) for atoms in structures])
    assert np.abs(batch - single).max() < 1e-5
    assert np.array_equal(batch, diffraction_fingerprints(structures, batch_size=len(structures)))


def test_padding_atoms_do_not_scatter():
    cluster = scaled_cluster(prepare_block(bulk('Fe', 'bcc', a=2.87)))
    small = cluster[:100]
    together = fingerprints_from_clusters([cluster, small], [np.ones(len(cluster)), np.ones(100)], PARAMETERS)
    alone = fingerprints_from_clusters([small], [np.ones(100)], PARAMETERS)
    assert np.abs(together[1] - alone[0]).max() < 1e-5


@pytest.mark.parametrize('size', [32, 128])
def test_other_image_sizes(size):
    image = diffraction_fingerprint(bulk('Cu', 'fcc', a=3.61), FingerprintParameters(image_size=size))
    assert image.shape == (3, size, size)


@pytest.mark.parametrize(
    ('atoms', 'message'),
    [
        (Atoms(cell=[3, 3, 3], pbc=True), 'no atoms'),
        (Atoms('H2', positions=[[0, 0, 0], [0, 0, 0.74]]), 'not periodic'),
        (Atoms('Cu', positions=[[np.nan, 0, 0]], cell=[3, 3, 3], pbc=True), 'non-finite'),
        (Atoms('Cu2', positions=[[0, 0, 0], [0, 0, 0]], cell=[3, 3, 3], pbc=True), 'overlap'),
        (Atoms('Cu', cell=[[1, 0, 0], [2, 0, 0], [0, 0, 1]], pbc=True), 'zero volume'),
    ],
)
def test_bad_structures_raise_clear_errors(atoms, message):
    with pytest.raises(StructureError, match=message):
        diffraction_fingerprint(atoms)


def test_single_atom_block_has_no_neighbour():
    with pytest.raises(StructureError, match='no neighbour'):
        diffraction_fingerprint(bulk('Cu', 'fcc', a=3.61), FingerprintParameters(target_atoms=1, standardize=False))


@pytest.mark.parametrize(
    'values',
    [{'image_size': 8}, {'image_size': 1024}, {'image_size': 64.0}, {'wavelength': -1}, {'scattering': 'x'},
     {'mask_inner_fraction': 0.4, 'mask_outer_fraction': 0.3}, {'unknown': 1}, {'standardize': 'yes'}],
)  # fmt: skip
def test_bad_parameters_raise_value_error(values):
    with pytest.raises(ValueError):
        FingerprintParameters.from_dict(values)


def test_work_is_bounded_for_any_input():
    """Too many atoms, or too large a block, are refused before any allocation; a 30,000-atom
    perturbed supercell is analysed from a sample of its atoms and classified as fcc."""
    from ase.build import make_supercell

    from aiida_symclf.library.fingerprint import MAX_BLOCK_ATOMS, MAX_INPUT_ATOMS

    huge = Atoms(numbers=np.ones(MAX_INPUT_ATOMS + 1, dtype=int), positions=np.zeros((MAX_INPUT_ATOMS + 1, 3)),
                 cell=[1000, 1000, 1000], pbc=True)  # fmt: skip
    with pytest.raises(StructureError, match='more than the limit'):
        check_structure(huge)
    with pytest.raises(ValueError, match='target_atoms must be at most'):
        FingerprintParameters(target_atoms=MAX_BLOCK_ATOMS + 1)
    large = make_supercell(bulk('Cu', 'fcc', a=3.61), [[32, 1, 0], [0, 32, 1], [1, 0, 30]])
    large.positions += np.random.default_rng(0).normal(0, 0.05, large.positions.shape)
    prepared = prepare(large)
    assert len(large) > 30_000 and 200 < len(prepared.block) < 300
    assert prepared.lattice.bravais == 'cF' and prepared.lattice.atoms_per_lattice_point == 1.0


def test_bfloat16_product_is_within_its_stated_bound_of_the_float32_one(prototypes, monkeypatch):
    """On a CPU with bfloat16 instructions the plane-wave product runs in bfloat16 (float32
    accumulation); elsewhere in float32. Both give the same fingerprint to 0.02 of its [0, 1] range."""
    from aiida_symclf.library import fingerprint

    structures = list(prototypes.values())
    monkeypatch.setattr(fingerprint, 'native_bfloat16', lambda device: True)
    rounded = diffraction_fingerprints(structures)
    monkeypatch.setattr(fingerprint, 'native_bfloat16', lambda device: False)
    exact = diffraction_fingerprints(structures)
    difference = np.abs(rounded - exact).max()
    assert 0.0 < difference < 0.02
