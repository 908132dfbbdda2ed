"""The crystal lattice from Bragg peaks (:mod:`aiida_symclf.library.lattice`): exact for every class in any
cell and frame, unchanged by displacements and vacancies, and honest about what is not a crystal."""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk, make_supercell

from aiida_symclf.library.lattice import analyse_lattice, conventional_block, integer_basis, minkowski_reduced
from aiida_symclf.testing.user_inputs import out_of_class_structures, random_rotation

#: Class -> (Bravais lattice, atoms per lattice point) of the pristine crystal.
EXPECTED = {
    'bcc': ('cI', 1), 'fcc': ('cF', 1), 'diamond': ('cF', 2), 'sc': ('cP', 1),
    'hcp/rh': ('hP', 2), 'bct139': ('tI', 1), 'bct141': ('tI', 2),
}  # fmt: skip
MATRIX = np.array([[4, 1, 0], [-1, 4, 1], [0, 1, 3]])


@pytest.mark.parametrize('label', sorted(EXPECTED))
@pytest.mark.parametrize('form', ['cell', 'rotated non-diagonal supercell'])
def test_lattice_of_every_class_in_any_cell(prototypes, label, form):
    atoms = prototypes[label]
    if form != 'cell':
        atoms = random_rotation(make_supercell(atoms, MATRIX), np.random.default_rng(1))
    lattice = analyse_lattice(minkowski_reduced(atoms))
    assert (lattice.bravais, lattice.atoms_per_lattice_point) == EXPECTED[label]
    assert lattice.periodic_by_peaks and not lattice.chemically_ordered


def test_displacements_and_vacancies_keep_the_lattice(prototypes):
    """The Bragg peaks of a perturbed supercell still give the crystal's lattice (no tolerance)."""
    rng = np.random.default_rng(2)
    atoms = make_supercell(prototypes['hcp/rh'], MATRIX)
    atoms.positions += rng.normal(0, 0.04 * 3.2, atoms.positions.shape)  # 4% of the NN distance
    del atoms[sorted(rng.choice(len(atoms), len(atoms) // 2, replace=False).tolist())]
    lattice = analyse_lattice(minkowski_reduced(random_rotation(atoms, rng)))
    assert lattice.bravais == 'hP'
    assert lattice.atoms_per_lattice_point == pytest.approx(1.0, abs=0.02)  # half of 2


def test_block_is_in_the_standard_frame_whatever_the_input_frame(prototypes):
    """Two differently rotated supercells give the same block cell (conventional, standard axes)."""
    rng = np.random.default_rng(3)
    cells = []
    for matrix in (MATRIX, np.diag([3, 4, 5])):
        atoms = minkowski_reduced(random_rotation(make_supercell(prototypes['bct139'], matrix), rng))
        block = conventional_block(atoms, analyse_lattice(atoms), 250)
        cells.append(np.sort(np.abs(np.asarray(block.cell)).ravel()))
        assert np.allclose(np.asarray(block.cell)[np.triu_indices(3, 1)], 0, atol=1e-8)  # a along x, b in xy
    np.testing.assert_allclose(cells[0], cells[1], atol=1e-6)


def test_random_alloy_is_not_ordered_but_compounds_are():
    rng = np.random.default_rng(4)
    alloy = bulk('Cu', 'fcc', a=3.7, cubic=True).repeat(5)
    alloy.numbers[rng.permutation(len(alloy))[: len(alloy) // 2]] = 79
    assert not analyse_lattice(alloy).chemically_ordered
    assert analyse_lattice(alloy).bravais == 'cF'
    for compound in (bulk('NaCl', 'rocksalt', a=5.64), bulk('GaAs', 'zincblende', a=5.65)):
        assert analyse_lattice(compound.repeat(3)).chemically_ordered


def test_single_dopant_does_not_make_a_compound():
    atoms = bulk('Cu', 'fcc', a=3.61, cubic=True).repeat(4)
    atoms.numbers[0] = 28
    assert not analyse_lattice(atoms).chemically_ordered


def test_amorphous_and_liquid_boxes_show_no_bragg_peaks():
    groups = {}
    for group, _, atoms in out_of_class_structures(np.random.default_rng(5)):
        groups.setdefault(group, atoms)
    for group in ('amorphous', 'liquid-like'):
        lattice = analyse_lattice(minkowski_reduced(groups[group]))
        assert not lattice.periodic_by_peaks, group
        assert lattice.atoms_per_lattice_point == len(groups[group])


def test_graphite_cell_whose_strong_peaks_span_a_line_gets_its_whole_lattice():
    """Graphite's 4-atom cell: only {002} is above the noise cap (its (100) is 1/16 of it); the
    weak peaks give the hP lattice of 4 atoms, where the strong ones alone said "not crystalline"."""
    from ase import Atoms

    a, c = 2.46, 6.71
    cell = [[a, 0, 0], [-a / 2, a * 3**0.5 / 2, 0], [0, 0, c]]
    graphite = Atoms('C4', scaled_positions=[[0, 0, 0.25], [0, 0, 0.75], [1 / 3, 2 / 3, 0.25], [2 / 3, 1 / 3, 0.75]],
                     cell=cell, pbc=True)  # fmt: skip
    lattice = analyse_lattice(graphite)
    assert lattice.periodic_by_peaks
    assert (lattice.bravais, lattice.atoms_per_lattice_point) == ('hP', 4)


def test_small_amorphous_cells_with_a_strong_noise_point_stay_without_a_lattice():
    """Amorphous cells of 17-200 atoms whose strong points span less than 3 dimensions: their weak
    peaks are no more than noise, so no lattice is made of them."""
    from aiida_symclf.library import lattice as module
    from aiida_symclf.testing.user_inputs import amorphous

    rng = np.random.default_rng(7)
    flat = 0
    for _ in range(120):
        atoms = amorphous(rng, n_atoms=int(rng.integers(17, 200)))
        diffraction = module._diffraction(atoms)
        _, strong = module._peaks(diffraction.values / len(atoms), diffraction.forward, float(len(atoms)))
        if strong.any() and module.integer_basis(diffraction.h[strong]) is None:
            flat += 1
            assert not analyse_lattice(atoms).periodic_by_peaks, len(atoms)
    assert flat >= 3


def test_very_flat_cell_is_reduced_not_exploded():
    """A cell with a 0.19 degree angle (a block would need ~10^8 atoms) is the same fcc crystal."""
    primitive = bulk('Cu', 'fcc', a=3.61)
    flat = make_supercell(primitive, np.array([[1, 0, 0], [0, 1, 0], [300, 300, 1]]))
    reduced = minkowski_reduced(flat)
    assert np.linalg.norm(reduced.cell, axis=1).max() < 10
    lattice = analyse_lattice(reduced)
    assert (lattice.bravais, lattice.atoms_per_lattice_point) == ('cF', 1)
    assert 150 < len(conventional_block(reduced, lattice, 250)) < 400


def test_integer_basis_generates_the_sublattice():
    vectors = np.array([[2, 0, 0], [0, 2, 0], [1, 1, 1], [3, 1, 1], [0, 0, 2]])
    basis = integer_basis(vectors)
    assert abs(round(np.linalg.det(basis))) == 4  # (2,0,0), (0,2,0), (1,1,1) span an index-4 sublattice
    for vector in vectors:
        coefficients = np.linalg.solve(basis.T.astype(float), vector)
        assert np.allclose(coefficients, np.round(coefficients))
    assert integer_basis(np.array([[1, 0, 0], [2, 0, 0]])) is None


def test_reused_metrics_are_forgotten():
    """``standardise_lattice(..., reuse=True)`` answers a metric with an earlier nearby one's
    answer (a tP cell 5.55% long makes a 5.2% one tP, which alone is cP); after
    ``forget_reused_metrics`` (the start of every local map) the answer is the metric's own."""
    import numpy as np

    from aiida_symclf.library.lattice import forget_reused_metrics, standardise_lattice

    forget_reused_metrics()
    assert standardise_lattice(np.diag([3.0, 3.0, 3.1665]), 0.05, reuse=True)[2] == 'tP'
    assert standardise_lattice(np.diag([3.0, 3.0, 3.156]), 0.05, reuse=True)[2] == 'tP'
    forget_reused_metrics()
    assert standardise_lattice(np.diag([3.0, 3.0, 3.156]), 0.05, reuse=True)[2] == 'cP'


def _dhcp_lanthanum():
    """dhcp La (A_hP4_194_ac): hcp-like layers stacked ABAC; its odd-l reflections are 19% of the brightest."""
    from ase.spacegroup import crystal

    return crystal(
        ['La', 'La'], [(0, 0, 0), (1 / 3, 2 / 3, 0.25)], spacegroup=194, cellpar=[3.77, 3.77, 12.16, 90, 90, 120]
    )


@pytest.mark.parametrize(
    ('build', 'whole', 'strong'),
    [(_dhcp_lanthanum, ('hP', 4.0), ('hP', 2.0))],
)
def test_weak_superstructure_reflections_give_the_whole_lattice_and_the_strong_ones_its_substructure(
    build, whole, strong
):
    """Superstructure reflections under the noise cap of 0.2 (0.11-0.19 of the brightest peak) are kept in
    a cell of few lattice points, and are above the noise floor of a 188-282-atom supercell: dhcp is
    not found as hcp, NbO not as rocksalt; the main peaks alone give the parent's lattice."""
    atoms = build()
    for cell in (atoms, random_rotation(make_supercell(atoms, MATRIX), np.random.default_rng(5))):
        lattice = analyse_lattice(minkowski_reduced(cell))
        assert (lattice.bravais, lattice.atoms_per_lattice_point) == whole
        summary = lattice.summary()
        assert (summary['substructure_bravais'], summary['substructure_atoms_per_lattice_point']) == strong


@pytest.mark.parametrize('name', ['fcc', 'bcc'])
@pytest.mark.parametrize(('displacement', 'vacancies'), [(0.04, 0.0), (0.0, 0.25)])
def test_displaced_and_vacant_small_supercells_keep_their_lattice(name, displacement, vacancies):
    """Small cells (2x2x2 conventional: 32 fcc, 16 bcc atoms) with 4% displacements or 25% vacancies keep
    their lattice: their noise is not taken for superstructure reflections (keeping weak peaks in
    cells of 16 lattice points would find 6 of these 20 bcc cells displaced, 10 vacant, to be their
    own lattice)."""
    from aiida_symclf.library.perturb import PerturbationLevel
    from aiida_symclf.testing.user_inputs import perturbed

    rng = np.random.default_rng(6)
    level = PerturbationLevel(displacement=displacement, vacancy_fraction=vacancies)
    bravais = {'fcc': 'cF', 'bcc': 'cI'}[name]
    for _ in range(20):
        atoms = random_rotation(perturbed(bulk('Cu', name, a=3.6, cubic=True).repeat(2), level, rng), rng)
        lattice = analyse_lattice(minkowski_reduced(atoms))
        assert lattice.bravais == bravais
        assert lattice.atoms_per_lattice_point == pytest.approx(1.0 - vacancies, abs=0.02)


def _ilmenite(symbols=('Fe', 'Ti', 'O')):
    """FeTiO3 (AB3C_hR10_148_c_f_c): corundum's cation sites split between Fe and Ti layers."""
    from ase.spacegroup import crystal

    fe, ti, oxygen = symbols
    return crystal(
        [fe, ti, oxygen], [(0, 0, 0.3554), (0, 0, 0.1464), (0.317, 0.020, 0.245)], spacegroup=148,
        cellpar=[5.088, 5.088, 14.09, 90, 90, 120],
    )  # fmt: skip


def test_species_on_distinct_sublattices_are_counted_and_a_random_mixture_is_one():
    """Ilmenite's Fe and Ti have structure factors that differ (3 sublattices: Fe, Ti, O); Fe and Cr
    mixed at random on corundum's cation sites have the same one (2, like corundum)."""
    assert analyse_lattice(_ilmenite()).sublattices == 3
    mixed = _ilmenite(('Fe', 'Fe', 'O')).repeat((2, 2, 1))
    rng = np.random.default_rng(7)
    cations = np.flatnonzero(mixed.numbers == 26)
    mixed.numbers[rng.choice(cations, len(cations) // 2, replace=False)] = 24
    lattice = analyse_lattice(mixed)
    assert lattice.chemically_ordered and lattice.sublattices == 2
