"""Crystal structure prototypes outside the class list: AFLOW prototypes of parts 2 and 3.

The AFLOW Library of Crystallographic Prototypes has three published parts:

- part 1: M. J. Mehl et al., Comp. Mat. Sci. 136, S1 (2017), the 288 entries that pymatgen ships and
  that :mod:`aiida_symclf.library.aflow` turns into classes;
- part 2: D. Hicks et al., Comp. Mat. Sci. 161, S1 (2019);
- part 3: D. Hicks et al., Comp. Mat. Sci. 199, 110450 (2021).

:data:`OUTSIDE_PROTOTYPES` holds prototypes of parts 2 and 3 whose AFLOW label is none of part 1's, for
the benchmarks that need structures that are none of the classes. Each one is a published structure at
its published cell, built from its published Wyckoff positions.

Source: the AFLOW source tree (GPL-3) as mirrored in the GitHub repository ``oscarlindbul/AFLOW``:

- ``aflow_anrl_list.cpp``: each prototype's label, example compound and free parameters (the
  ``Part 2`` and ``Part 3`` sections of ``PrototypeANRL_LoadList`` and of ``getANRLParameters``; the
  first parameter set of a label);
- ``ANRL_CPPS_20180710/aflow_anrl_<label>.cpp`` (part 2): the lattice vectors and every atom of the
  primitive cell as functions of those parameters.

Part 2 entries were checked against the structure of their ``.cpp`` file (same crystal, pymatgen's
StructureMatcher). Their basis, like part 3's, is one representative per Wyckoff orbit: the first
position of the orbit's Wyckoff letter in the International Tables' standard setting (origin choice 2
where a group has two; looked up in pyxtal 1.1.5's ``database/wyckoff_list.csv``), with the label's
free parameters put in; AFLOW numbers a label's sites by Wyckoff letter, then by species. Built this
way, all 257 non-rhombohedral part-2 prototypes of at most 100 atoms that pass the checks below match
their ``.cpp`` structures, which is what the part-3 entries rely on. The rhombohedral entries
(``hR``) of part 2 are the hexagonal-axes coordinates of the ``.cpp`` file's rhombohedral atoms; part 3
has no ``hR`` entry here. Species follow AFLOW's convention: ``A``, ``B``, ... are the example
compound's elements in alphabetical order.

Every entry builds (:func:`build`) to a conventional cell of its label's space group (spglib, symprec
1e-3) with the number of atoms its Pearson symbol gives (three times it for ``hR``), no two atoms closer
than 0.7 Angstrom and the example compound's composition; none has the framework (all atoms alike) of a
part-1 prototype.
"""

from __future__ import annotations

from dataclasses import dataclass

from ase import Atoms
from ase.spacegroup import crystal

__all__ = ['OUTSIDE_PROTOTYPES', 'OutsidePrototype', 'build']


@dataclass(frozen=True)
class OutsidePrototype:
    """One AFLOW prototype: its label, example compound, space group, cell and Wyckoff representatives."""

    #: AFLOW prototype label, e.g. ``'A2B_oP12_62_2c_c'``.
    label: str
    #: The example compound.
    formula: str
    #: Space group number (International Tables).
    space_group: int
    #: a, b, c (Angstrom), alpha, beta, gamma (degrees) of the conventional cell.
    cellpar: tuple[float, float, float, float, float, float]
    #: Element of each Wyckoff orbit in :attr:`basis`.
    species: tuple[str, ...]
    #: Fractional coordinates of one position of each Wyckoff orbit.
    basis: tuple[tuple[float, float, float], ...]
    #: ``ase.spacegroup`` setting: 2 for origin choice 2; 1 otherwise (hexagonal axes for ``hR``).
    setting: int = 1
    #: Where the data come from.
    source: str = ''


#: AFLOW prototypes of parts 2 and 3 that are none of part 1's labels (see the module docstring).
OUTSIDE_PROTOTYPES: tuple[OutsidePrototype, ...] = (
    OutsidePrototype(
        label='A_mC16_12_4i',
        formula='C',
        space_group=12,
        cellpar=(9.089, 2.496, 4.104, 90.0, 96.96, 90.0),
        species=('C', 'C', 'C', 'C'),
        basis=((-0.0572, 0.0, 0.1206), (0.4419, 0.0, 0.3467), (0.7858, 0.0, -0.0594), (0.2715, 0.0, 0.4149)),
        source='AFLOW part 2, M-carbon: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_A_mC16_12_4i.cpp',
    ),
    OutsidePrototype(
        label='A_oP16_55_2g2h',
        formula='C',
        space_group=55,
        cellpar=(7.7886, 4.7752, 2.4958, 90.0, 90.0, 90.0),
        species=('C', 'C', 'C', 'C'),
        basis=((0.6731, -0.037, 0.0), (0.8435, 0.8087, 0.0), (-0.0454, 0.8613, 0.5), (0.5704, 0.8926, 0.5)),
        source='AFLOW part 2, R-carbon: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_A_oP16_55_2g2h.cpp',
    ),
    OutsidePrototype(
        label='A_tP12_138_bi',
        formula='C',
        space_group=138,
        cellpar=(3.388, 3.388, 6.011, 90.0, 90.0, 90.0),
        species=('C', 'C'),
        basis=((0.75, 0.25, 0.75), (0.086, 0.086, 0.107)),
        setting=2,
        source='AFLOW part 2, tetragonal C: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_A_tP12_138_bi.cpp',
    ),
    OutsidePrototype(
        label='A_tI16_142_f',
        formula='S',
        space_group=142,
        cellpar=(8.5939, 8.5939, 3.6179, 90.0, 90.0, 90.0),
        species=('S',),
        basis=((0.1405, 0.3905, 0.125),),
        setting=2,
        source='AFLOW part 2, S-III: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_A_tI16_142_f.cpp',
    ),
    OutsidePrototype(
        label='A_hP9_154_bc',
        formula='S',
        space_group=154,
        cellpar=(6.9082, 6.9082, 4.2593, 90.0, 90.0, 120.0),
        species=('S', 'S'),
        basis=((0.876, 0.0, 0.166667), (0.23, 0.534, 0.051)),
        source='AFLOW part 2, S-II: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_A_hP9_154_bc.cpp',
    ),
    OutsidePrototype(
        label='A2B_aP6_2_aei_i',
        formula='H2S',
        space_group=2,
        cellpar=(2.7804, 2.7926, 4.2568, 78.28, 76.53, 70.42),
        species=('H', 'H', 'H', 'S'),
        basis=((0.0, 0.0, 0.0), (0.5, 0.5, 0.0), (0.259, 0.415, 0.663), (0.192, 0.183, 0.255)),
        source='AFLOW part 2, H2S: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_A2B_aP6_2_aei_i.cpp',
    ),
    OutsidePrototype(
        label='A2B_mP6_14_e_a',
        formula='PdCl2',
        space_group=14,
        cellpar=(5.5496, 3.8608, 6.4105, 90.0, 107.151, 90.0),
        species=('Pd', 'Cl'),
        basis=((0.0, 0.0, 0.0), (0.255, 0.2573, 0.3141)),
        source='AFLOW part 2, gamma-PdCl2: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_A2B_mP6_14_e_a.cpp',
    ),
    OutsidePrototype(
        label='A3B_mP16_7_6a_2a',
        formula='WO3',
        space_group=7,
        cellpar=(5.2778, 5.1559, 7.6639, 90.0, 91.762, 90.0),
        species=('O', 'O', 'O', 'O', 'O', 'O', 'W', 'W'),
        basis=(
            (0.5044, 0.292, 0.01),
            (0.5764, 0.215, 0.586),
            (0.0, 0.209, 0.0),
            (0.0864, 0.29, 0.58),
            (0.2874, 0.0717, 0.287),
            (0.7924, 0.4201, 0.301),
            (0.2874, 0.014, 0.0012),
            (0.7994, 0.528, 0.078),
        ),
        source='AFLOW part 2, epsilon-WO3: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_A3B_mP16_7_6a_2a.cpp',
    ),
    OutsidePrototype(
        label='A5B3_mC32_9_5a_3a',
        formula='P3N5',
        space_group=9,
        cellpar=(8.12077, 5.83433, 9.16005, 90.0, 115.809, 90.0),
        species=('N', 'N', 'N', 'N', 'N', 'P', 'P', 'P'),
        basis=(
            (0.009, -0.003, 0.269),
            (0.129, 0.341, 0.45),
            (0.37, 0.119, 0.066),
            (0.142, 0.351, 0.147),
            (0.356, 0.135, 0.348),
            (0.0, 0.5182, 0.0),
            (0.136, 0.2, 0.309),
            (0.365, 0.2924, 0.196),
        ),
        source='AFLOW part 2, alpha-P3N5: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_A5B3_mC32_9_5a_3a.cpp',
    ),
    OutsidePrototype(
        label='AB_oF8_42_a_a',
        formula='BN',
        space_group=42,
        cellpar=(2.50006, 3.35008, 4.3401, 90.0, 90.0, 90.0),
        species=('B', 'N'),
        basis=((0.0, 0.0, 0.0), (0.0, 0.0, 0.333)),
        source='AFLOW part 2, BN: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_AB_oF8_42_a_a.cpp',
    ),
    OutsidePrototype(
        label='A2B3_oP20_62_2c_3c',
        formula='Cr3C2',
        space_group=62,
        cellpar=(5.5329, 2.829, 11.4719, 90.0, 90.0, 90.0),
        species=('C', 'C', 'Cr', 'Cr', 'Cr'),
        basis=(
            (0.1008, 0.25, 0.2055),
            (0.2432, 0.25, -0.0464),
            (0.0157, 0.25, 0.4015),
            (0.1808, 0.25, 0.7737),
            (0.8691, 0.25, -0.0688),
        ),
        source='AFLOW part 2, Tongbaite: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_A2B3_oP20_62_2c_3c.cpp',
    ),
    OutsidePrototype(
        label='A4B3_oI14_71_gh_cg',
        formula='Ta3B4',
        space_group=71,
        cellpar=(3.29, 14.0, 3.13, 90.0, 90.0, 90.0),
        species=('Ta', 'B', 'Ta', 'B'),
        basis=((0.5, 0.5, 0.0), (0.0, 0.375, 0.0), (0.0, 0.18, 0.0), (0.0, 0.444, 0.5)),
        source='AFLOW part 2, Ta3B4: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_A4B3_oI14_71_gh_cg.cpp',
    ),
    OutsidePrototype(
        label='A6B_oC28_63_efg_c',
        formula='MnAl6',
        space_group=63,
        cellpar=(7.5551, 6.4994, 8.8724, 90.0, 90.0, 90.0),
        species=('Mn', 'Al', 'Al', 'Al'),
        basis=((0.0, 0.45686, 0.25), (0.32602, 0.0, 0.0), (0.0, 0.13917, 0.10039), (0.31768, 0.28622, 0.25)),
        source='AFLOW part 2, MnAl6: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_A6B_oC28_63_efg_c.cpp',
    ),
    OutsidePrototype(
        label='A2B4C_oP28_62_ac_2cd_c',
        formula='Mg2SiO4',
        space_group=62,
        cellpar=(10.193, 5.977, 4.752, 90.0, 90.0, 90.0),
        species=('Mg', 'Mg', 'O', 'O', 'Si', 'O'),
        basis=(
            (0.0, 0.0, 0.0),
            (0.2774, 0.25, -0.0085),
            (0.0913, 0.25, 0.7657),
            (0.4474, 0.25, 0.2215),
            (0.094, 0.25, 0.4262),
            (0.1628, 0.0331, 0.2777),
        ),
        source='AFLOW part 2, Forsterite: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_A2B4C_oP28_62_ac_2cd_c.cpp',
    ),
    OutsidePrototype(
        label='AB4C_oP24_62_c_2cd_c',
        formula='BaSO4',
        space_group=62,
        cellpar=(8.884, 5.458, 7.153, 90.0, 90.0, 90.0),
        species=('Ba', 'O', 'O', 'S', 'O'),
        basis=(
            (0.8154, 0.25, 0.3419),
            (0.5878, 0.25, 0.6062),
            (0.3192, 0.25, 0.5515),
            (0.437, 0.25, 0.6914),
            (0.4186, 0.4702, 0.819),
        ),
        source='AFLOW part 2, Barite: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_AB4C_oP24_62_c_2cd_c.cpp',
    ),
    OutsidePrototype(
        label='AB3C_oC20_63_a_cf_c',
        formula='MgSiO3',
        space_group=63,
        cellpar=(2.456, 8.042, 6.093, 90.0, 90.0, 90.0),
        species=('Mg', 'O', 'Si', 'O'),
        basis=((0.0, 0.0, 0.0), (0.0, 0.077, 0.25), (0.0, 0.747, 0.25), (0.0, 0.631, -0.064)),
        source=(
            'AFLOW part 2, post-perovskite: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_AB3C_oC20_63_a_cf_c.cpp'
        ),
    ),
    OutsidePrototype(
        label='ABC_oP6_59_a_b_a',
        formula='FeOCl',
        space_group=59,
        cellpar=(3.301, 3.773, 7.9096, 90.0, 90.0, 90.0),
        species=('Cl', 'O', 'Fe'),
        basis=((0.25, 0.25, 0.32961), (0.25, 0.25, -0.04795), (0.25, 0.75, 0.89243)),
        setting=2,
        source='AFLOW part 2, FeOCl: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_ABC_oP6_59_a_b_a.cpp',
    ),
    OutsidePrototype(
        label='A2BC2_oI20_45_c_b_c',
        formula='MnGa2Sb2',
        space_group=45,
        cellpar=(5.96783, 11.79967, 5.85784, 90.0, 90.0, 90.0),
        species=('Mn', 'Ga', 'Sb'),
        basis=((0.0, 0.5, 0.25), (0.2729, 0.629, 0.493), (0.2296, 0.8629, 0.474)),
        source='AFLOW part 2, MnGa2Sb2: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_A2BC2_oI20_45_c_b_c.cpp',
    ),
    OutsidePrototype(
        label='ABC_oI12_71_h_j_g',
        formula='NbPS',
        space_group=71,
        cellpar=(3.438, 11.88, 4.725, 90.0, 90.0, 90.0),
        species=('S', 'Nb', 'P'),
        basis=((0.0, 0.212, 0.0), (0.0, 0.1232, 0.5), (0.5, 0.0, 0.235)),
        source='AFLOW part 2, NbPS: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_ABC_oI12_71_h_j_g.cpp',
    ),
    OutsidePrototype(
        label='A2B8CD_oP24_48_k_2m_d_b',
        formula='RbPr(MoO4)2',
        space_group=48,
        cellpar=(6.33024, 6.33024, 9.54036, 90.0, 90.0, 90.0),
        species=('Rb', 'Pr', 'Mo', 'O', 'O'),
        basis=(
            (0.75, 0.25, 0.25),
            (0.25, 0.75, 0.25),
            (0.25, 0.25, 0.4978),
            (0.56, 0.629, 0.114),
            (0.642, 0.558, 0.601),
        ),
        setting=2,
        source=(
            'AFLOW part 2, alpha-RbPr(MoO4)2: '
            'oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_A2B8CD_oP24_48_k_2m_d_b.cpp'
        ),
    ),
    OutsidePrototype(
        label='A3B_tI32_82_3g_g',
        formula='Ni3P',
        space_group=82,
        cellpar=(8.954, 8.954, 4.4386, 90.0, 90.0, 90.0),
        species=('Ni', 'Ni', 'Ni', 'P'),
        basis=((0.0775, 0.1117, 0.2391), (0.3649, 0.0321, 0.9765), (0.1689, 0.22, 0.7524), (0.2862, 0.0487, 0.4807)),
        source='AFLOW part 2, Ni3P: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_A3B_tI32_82_3g_g.cpp',
    ),
    OutsidePrototype(
        label='A2B_tP6_137_d_a',
        formula='ZrO2',
        space_group=137,
        cellpar=(3.64008, 3.64008, 5.27012, 90.0, 90.0, 90.0),
        species=('Zr', 'O'),
        basis=((0.75, 0.25, 0.75), (0.25, 0.25, 0.565)),
        setting=2,
        source='AFLOW part 2, ZrO2: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_A2B_tP6_137_d_a.cpp',
    ),
    OutsidePrototype(
        label='A4B_tP20_127_ehj_g',
        formula='ThB4',
        space_group=127,
        cellpar=(7.256, 7.256, 4.113, 90.0, 90.0, 90.0),
        species=('B', 'Th', 'B', 'B'),
        basis=((0.0, 0.0, 0.2), (0.31, 0.81, 0.0), (0.1, 0.6, 0.5), (0.2, 0.04, 0.5)),
        source='AFLOW part 2, ThB4: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_A4B_tP20_127_ehj_g.cpp',
    ),
    OutsidePrototype(
        label='A3B5_tI32_140_ah_cl',
        formula='Cr5B3',
        space_group=140,
        cellpar=(5.46, 5.46, 10.46, 90.0, 90.0, 90.0),
        species=('B', 'Cr', 'B', 'Cr'),
        basis=((0.0, 0.0, 0.25), (0.0, 0.0, 0.0), (0.625, 1.125, 0.0), (0.166, 0.666, 0.15)),
        source='AFLOW part 2, Cr5B3: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_A3B5_tI32_140_ah_cl.cpp',
    ),
    OutsidePrototype(
        label='AB4_tP10_124_a_m',
        formula='NbTe4',
        space_group=124,
        cellpar=(6.49897, 6.49897, 6.83697, 90.0, 90.0, 90.0),
        species=('Nb', 'Te'),
        basis=((0.0, 0.0, 0.25), (0.1425, 0.3361, 0.0)),
        source='AFLOW part 2, NbTe4: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_AB4_tP10_124_a_m.cpp',
    ),
    OutsidePrototype(
        label='ABC_tI12_109_a_a_a',
        formula='LaPtSi',
        space_group=109,
        cellpar=(4.24907, 4.24907, 14.53924, 90.0, 90.0, 90.0),
        species=('La', 'Pt', 'Si'),
        basis=((0.0, 0.0, 0.081), (0.0, 0.0, 0.666), (0.0, 0.0, 0.5)),
        source='AFLOW part 2, LaPtSi: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_ABC_tI12_109_a_a_a.cpp',
    ),
    OutsidePrototype(
        label='A6B2C_tP18_128_eh_d_a',
        formula='K2SnCl6',
        space_group=128,
        cellpar=(7.05753, 7.05753, 9.97816, 90.0, 90.0, 90.0),
        species=('Sn', 'K', 'Cl', 'Cl'),
        basis=((0.0, 0.0, 0.0), (0.0, 0.5, 0.25), (0.0, 0.0, 0.2523), (0.2217, 0.2511, 0.0)),
        source='AFLOW part 2, K2SnCl6: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_A6B2C_tP18_128_eh_d_a.cpp',
    ),
    OutsidePrototype(
        label='A4BC4_tP18_137_g_b_g',
        formula='CeCo4B4',
        space_group=137,
        cellpar=(5.05931, 5.05931, 7.06343, 90.0, 90.0, 90.0),
        species=('Ce', 'B', 'Co'),
        basis=((0.75, 0.25, 0.25), (0.25, 0.08, 0.1), (0.25, 0.503, 0.384)),
        setting=2,
        source='AFLOW part 2, CeCo4B4: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_A4BC4_tP18_137_g_b_g.cpp',
    ),
    OutsidePrototype(
        label='A2BC4_tP28_130_f_c_g',
        formula='CuBi2O4',
        space_group=130,
        cellpar=(8.51033, 8.51033, 5.81423, 90.0, 90.0, 90.0),
        species=('Cu', 'Bi', 'O'),
        basis=((0.25, 0.25, 0.58), (0.5815, -0.5815, 0.25), (0.045, 0.136, 0.597)),
        setting=2,
        source='AFLOW part 2, CuBi2O4: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_A2BC4_tP28_130_f_c_g.cpp',
    ),
    OutsidePrototype(
        label='A4BC4D_tP10_123_gh_a_i_d',
        formula='CaRbFe4As4',
        space_group=123,
        cellpar=(3.8757, 3.8757, 13.104, 90.0, 90.0, 90.0),
        species=('Ca', 'Rb', 'As', 'As', 'Fe'),
        basis=((0.0, 0.0, 0.0), (0.5, 0.5, 0.5), (0.0, 0.0, 0.3336), (0.5, 0.5, 0.1193), (0.0, 0.5, 0.2246)),
        source=(
            'AFLOW part 2, CaRbFe4As4: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_A4BC4D_tP10_123_gh_a_i_d.cpp'
        ),
    ),
    OutsidePrototype(
        label='A2BC7D2_tP24_113_e_a_cef_e',
        formula='Ca2MgSi2O7',
        space_group=113,
        cellpar=(7.8338, 7.8338, 5.0082, 90.0, 90.0, 90.0),
        species=('Mg', 'O', 'Ca', 'O', 'Si', 'O'),
        basis=(
            (0.0, 0.0, 0.0),
            (0.0, 0.5, 0.8201),
            (0.8324, 1.3324, 0.4935),
            (0.6407, 1.1407, 0.7471),
            (0.6396, 1.1396, 0.0642),
            (0.0798, 0.1862, 0.7856),
        ),
        source=(
            'AFLOW part 2, Akermanite: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_A2BC7D2_tP24_113_e_a_cef_e.cpp'
        ),
    ),
    OutsidePrototype(
        label='A2B2C4D_tP18_132_e_i_o_d',
        formula='Rb2TiCu2Se4',
        space_group=132,
        cellpar=(5.6046, 5.6046, 13.154, 90.0, 90.0, 90.0),
        species=('Ti', 'Cu', 'Rb', 'Se'),
        basis=((0.5, 0.5, 0.25), (0.0, 0.5, 0.25), (0.2369, 0.2369, 0.0), (0.26316, 0.26316, 0.34803)),
        source=(
            'AFLOW part 2, Rb2TiCu2Se4: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_A2B2C4D_tP18_132_e_i_o_d.cpp'
        ),
    ),
    OutsidePrototype(
        label='A2B8CD_tI24_97_d_k_a_b',
        formula='NaGdCu2F8',
        space_group=97,
        cellpar=(5.40685, 5.40685, 10.38172, 90.0, 90.0, 90.0),
        species=('Gd', 'Na', 'Cu', 'F'),
        basis=((0.0, 0.0, 0.0), (0.0, 0.0, 0.5), (0.0, 0.5, 0.25), (0.1697, 0.3128, 0.1237)),
        source='AFLOW part 2, NaGdCu2F8: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_A2B8CD_tI24_97_d_k_a_b.cpp',
    ),
    OutsidePrototype(
        label='A4B3_hR7_166_2c_ac',
        formula='Al4C3',
        space_group=166,
        cellpar=(3.335, 3.335, 24.967, 90.0, 90.0, 120.0),
        species=('Al', 'Al', 'C', 'C'),
        basis=((0.0, 0.0, 0.29422), (0.0, 0.0, 0.12967), (0.0, 0.0, 0.0), (0.0, 0.0, 0.2168)),
        source='AFLOW part 2, Al4C3: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_A4B3_hR7_166_2c_ac.cpp',
    ),
    OutsidePrototype(
        label='AB_hR10_160_5a_5a',
        formula='SiC',
        space_group=160,
        cellpar=(3.09, 3.09, 37.9, 90.0, 90.0, 120.0),
        species=('C', 'C', 'C', 'C', 'C', 'Si', 'Si', 'Si', 'Si', 'Si'),
        basis=(
            (0.0, 0.0, 0.0),
            (0.0, 0.0, 0.13333),
            (0.0, 0.0, 0.4),
            (0.0, 0.0, 0.6),
            (0.0, 0.0, 0.86667),
            (0.0, 0.0, 0.05),
            (0.0, 0.0, 0.18333),
            (0.0, 0.0, 0.45),
            (0.0, 0.0, 0.65),
            (0.0, 0.0, -0.08333),
        ),
        source='AFLOW part 2, Moissanite-15R: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_AB_hR10_160_5a_5a.cpp',
    ),
    OutsidePrototype(
        label='ABC_hR6_166_c_c_c',
        formula='SmSI',
        space_group=166,
        cellpar=(3.8548, 3.8548, 30.661, 90.0, 90.0, 120.0),
        species=('I', 'S', 'Sm'),
        basis=((0.0, 0.0, 0.1159), (0.0, 0.0, 0.3017), (0.0, 0.0, 0.3815)),
        source='AFLOW part 2, SmSI: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_ABC_hR6_166_c_c_c.cpp',
    ),
    OutsidePrototype(
        label='AB4C7D_hP26_159_b_ac_a2c_b',
        formula='YbBaCo4O7',
        space_group=159,
        cellpar=(6.26531, 6.26531, 10.22795, 90.0, 90.0, 120.0),
        species=('Co', 'O', 'Ba', 'Yb', 'Co', 'O', 'O'),
        basis=(
            (0.0, 0.0, 0.0),
            (0.0, 0.0, 0.3057),
            (0.333333, 0.666667, 0.0613),
            (0.333333, 0.666667, 0.4379),
            (0.3425, 0.1575, 0.2472),
            (0.0015, 0.5149, 0.3102),
            (0.3347, 0.1157, 0.0618),
        ),
        source=(
            'AFLOW part 2, YbBaCo4O7: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_AB4C7D_hP26_159_b_ac_a2c_b.cpp'
        ),
    ),
    OutsidePrototype(
        label='AB3_hP4_187_e_fh',
        formula='Re3N',
        space_group=187,
        cellpar=(2.8065, 2.8065, 7.112, 90.0, 90.0, 120.0),
        species=('N', 'Re', 'Re'),
        basis=((0.666667, 0.333333, 0.0), (0.666667, 0.333333, 0.5), (0.333333, 0.666667, 0.198)),
        source='AFLOW part 2, Re3N: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_AB3_hP4_187_e_fh.cpp',
    ),
    OutsidePrototype(
        label='A4B3_hP14_173_bc_c',
        formula='Si3N4',
        space_group=173,
        cellpar=(7.60304, 7.60304, 2.90901, 90.0, 90.0, 120.0),
        species=('N', 'N', 'Si'),
        basis=((0.333333, 0.666667, 0.0), (0.3284, 0.0313, 0.05), (0.2314, 0.4063, 0.013)),
        source='AFLOW part 2, beta-Si3N4: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_A4B3_hP14_173_bc_c.cpp',
    ),
    OutsidePrototype(
        label='A3B_hP8_176_h_c',
        formula='UCl3',
        space_group=176,
        cellpar=(7.44293, 7.44293, 4.32096, 90.0, 90.0, 120.0),
        species=('U', 'Cl'),
        basis=((0.333333, 0.666667, 0.25), (0.375, 0.083, 0.25)),
        source='AFLOW part 2, UCl3: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_A3B_hP8_176_h_c.cpp',
    ),
    OutsidePrototype(
        label='A5B3_hP16_193_dg_g',
        formula='Mn5Si3',
        space_group=193,
        cellpar=(6.91042, 6.91042, 4.81429, 90.0, 90.0, 120.0),
        species=('Mn', 'Mn', 'Si'),
        basis=((0.333333, 0.666667, 0.0), (0.2358, 0.0, 0.25), (0.5992, 0.0, 0.25)),
        source='AFLOW part 2, Mavlyanovite: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_A5B3_hP16_193_dg_g.cpp',
    ),
    OutsidePrototype(
        label='ABC_hP3_183_a_a_a',
        formula='AuCN',
        space_group=183,
        cellpar=(3.39084, 3.39084, 5.07161, 90.0, 90.0, 120.0),
        species=('Au', 'C', 'N'),
        basis=((0.0, 0.0, 0.608), (0.0, 0.0, 0.0), (0.0, 0.0, 0.226)),
        source='AFLOW part 2, AuCN: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_ABC_hP3_183_a_a_a.cpp',
    ),
    OutsidePrototype(
        label='A3BC_hP10_188_k_c_a',
        formula='LiScI3',
        space_group=188,
        cellpar=(7.28643, 7.28643, 6.7683, 90.0, 90.0, 120.0),
        species=('Sc', 'Li', 'I'),
        basis=((0.0, 0.0, 0.0), (0.333333, 0.666667, 0.0), (0.0041, 0.32685, 0.25)),
        source='AFLOW part 2, LiScI3: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_A3BC_hP10_188_k_c_a.cpp',
    ),
    OutsidePrototype(
        label='ABC_hP12_174_cj_fk_aj',
        formula='GdSI',
        space_group=174,
        cellpar=(10.73032, 10.73032, 4.24013, 90.0, 90.0, 120.0),
        species=('S', 'Gd', 'I', 'Gd', 'S', 'I'),
        basis=(
            (0.0, 0.0, 0.0),
            (0.333333, 0.666667, 0.0),
            (0.666667, 0.333333, 0.5),
            (0.30167, 0.15433, 0.0),
            (0.03467, 0.51733, 0.0),
            (0.14967, 0.31433, 0.5),
        ),
        source='AFLOW part 2, GdSI: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_ABC_hP12_174_cj_fk_aj.cpp',
    ),
    OutsidePrototype(
        label='A8BC3D6_hP18_189_bfh_a_g_i',
        formula='FeMg3Al8Si6',
        space_group=189,
        cellpar=(6.62, 6.62, 7.96, 90.0, 90.0, 120.0),
        species=('Fe', 'Al', 'Al', 'Mg', 'Al', 'Si'),
        basis=(
            (0.0, 0.0, 0.0),
            (0.0, 0.0, 0.5),
            (0.403, 0.0, 0.0),
            (0.444, 0.0, 0.5),
            (0.333333, 0.666667, 0.231),
            (0.75, 0.0, 0.222),
        ),
        source=(
            'AFLOW part 2, pi-FeMg3Al8Si6: '
            'oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_A8BC3D6_hP18_189_bfh_a_g_i.cpp'
        ),
    ),
    OutsidePrototype(
        label='A4B3_cI28_220_c_a',
        formula='Th3P4',
        space_group=220,
        cellpar=(8.6, 8.6, 8.6, 90.0, 90.0, 90.0),
        species=('Th', 'P'),
        basis=((0.375, 0.0, 0.25), (0.08333, 0.08333, 0.08333)),
        source='AFLOW part 2, Th3P4: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_A4B3_cI28_220_c_a.cpp',
    ),
    OutsidePrototype(
        label='A6B2C_cF36_225_e_c_a',
        formula='K2PtCl6',
        space_group=225,
        cellpar=(9.725, 9.725, 9.725, 90.0, 90.0, 90.0),
        species=('Pt', 'K', 'Cl'),
        basis=((0.0, 0.0, 0.0), (0.25, 0.25, 0.25), (0.24, 0.0, 0.0)),
        source='AFLOW part 2, K2PtCl6: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_A6B2C_cF36_225_e_c_a.cpp',
    ),
    OutsidePrototype(
        label='ABC3_cP20_198_a_a_b',
        formula='NaClO3',
        space_group=198,
        cellpar=(6.57, 6.57, 6.57, 90.0, 90.0, 90.0),
        species=('Cl', 'Na', 'O'),
        basis=((0.417, 0.417, 0.417), (0.064, 0.064, 0.064), (0.303, 0.592, 0.5)),
        source=(
            'AFLOW part 2, Sodium Chlorate: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_ABC3_cP20_198_a_a_b.cpp'
        ),
    ),
    OutsidePrototype(
        label='A3B4C_cP16_218_c_e_a',
        formula='Ag3PO4',
        space_group=218,
        cellpar=(6.02581, 6.02581, 6.02581, 90.0, 90.0, 90.0),
        species=('P', 'Ag', 'O'),
        basis=((0.0, 0.0, 0.0), (0.25, 0.5, 0.0), (0.6486, 0.6486, 0.6486)),
        source='AFLOW part 2, Ag3PO4: oscarlindbul/AFLOW ANRL_CPPS_20180710/aflow_anrl_A3B4C_cP16_218_c_e_a.cpp',
    ),
    OutsidePrototype(
        label='A2B2C5_aP18_2_2i_2i_5i',
        formula='B2Co2O5',
        space_group=2,
        cellpar=(3.16, 5.94, 8.95, 103.9, 91.0, 92.0),
        species=('B', 'B', 'Co', 'Co', 'O', 'O', 'O', 'O', 'O'),
        basis=(
            (0.67, 0.67, 0.34),
            (0.36, 0.88, 0.17),
            (0.743, 0.213, 0.36),
            (0.245, 0.374, 0.1),
            (0.244, 0.709, 0.054),
            (0.208, 0.092, 0.19),
            (0.735, 0.476, 0.249),
            (0.562, 0.842, 0.288),
            (0.77, 0.698, 0.489),
        ),
        source='AFLOW part 3, Co2B2O5: oscarlindbul/AFLOW aflow_anrl_list.cpp (part-3 parameters)',
    ),
    OutsidePrototype(
        label='ABC8D3_aP26_2_i_i_8i_3i',
        formula='AlNaO8Si3',
        space_group=2,
        cellpar=(7.1576, 7.42359, 7.69762, 115.11511, 107.37724, 100.55864),
        species=('Al', 'Na', 'O', 'O', 'O', 'O', 'O', 'O', 'O', 'O', 'Si', 'Si', 'Si'),
        basis=(
            (0.20773, 0.84122, 0.1767),
            (0.14441, 0.27518, 0.25422),
            (-0.03356, 0.87658, 0.13472),
            (0.72111, 0.40891, 0.41381),
            (0.80981, 0.2953, 0.07942),
            (0.74076, 0.0321, 0.32928),
            (0.26814, 0.70828, 0.31212),
            (0.22592, 0.32857, 0.71731),
            (0.38942, 0.10112, 0.31914),
            (0.43708, 0.31682, 0.05324),
            (0.23701, 0.18228, 0.8249),
            (0.68677, 0.41955, 0.19963),
            (0.6404, 0.203, 0.4392),
        ),
        source='AFLOW part 3, Albite (NaAlSi3O8, S68): oscarlindbul/AFLOW aflow_anrl_list.cpp (part-3 parameters)',
    ),
    OutsidePrototype(
        label='A3B_mP8_11_3e_e',
        formula='Se3Zr',
        space_group=11,
        cellpar=(5.4109, 3.7488, 9.444, 90.0, 97.48, 90.0),
        species=('Se', 'Se', 'Se', 'Zr'),
        basis=((0.762, 0.25, 0.554), (0.456, 0.25, 0.174), (0.888, 0.25, 0.169), (0.285, 0.25, 0.656)),
        source='AFLOW part 3, ZrSe3: oscarlindbul/AFLOW aflow_anrl_list.cpp (part-3 parameters)',
    ),
    OutsidePrototype(
        label='A3B4_mC14_12_ai_2i',
        formula='Ni3Sn4',
        space_group=12,
        cellpar=(12.214, 4.06, 5.219, 90.0, 105.0, 90.0),
        species=('Ni', 'Ni', 'Sn', 'Sn'),
        basis=((0.0, 0.0, 0.0), (0.2147, 0.0, 0.3369), (0.4286, 0.0, 0.6864), (0.1718, 0.0, 0.8123)),
        source='AFLOW part 3, delta-Ni3Sn4 (D7a): oscarlindbul/AFLOW aflow_anrl_list.cpp (part-3 parameters)',
    ),
    OutsidePrototype(
        label='A2B_mC24_15_2f_ce',
        formula='O2Sb',
        space_group=15,
        cellpar=(12.061, 4.836, 5.383, 90.0, 103.12, 90.0),
        species=('Sb', 'Sb', 'O', 'O'),
        basis=((0.25, 0.25, 0.0), (0.0, 0.2851, 0.25), (0.1918, 0.0517, 0.6746), (0.0939, 0.4122, -0.0351)),
        source='AFLOW part 3, Clinocervantite (beta-Sb2O4): oscarlindbul/AFLOW aflow_anrl_list.cpp (part-3 parameters)',
    ),
    OutsidePrototype(
        label='AB2C_mC16_12_g_2i_i',
        formula='FeSe2Tl',
        space_group=12,
        cellpar=(11.973, 5.49, 7.11, 90.0, 118.2, 90.0),
        species=('Fe', 'Se', 'Se', 'Tl'),
        basis=((0.0, 0.2493, 0.0), (0.5357, 0.0, 0.2899), (0.1783, 0.0, 0.0907), (0.1752, 0.0, 0.6314)),
        source='AFLOW part 3, Monoclinic FeTlSe2: oscarlindbul/AFLOW aflow_anrl_list.cpp (part-3 parameters)',
    ),
    OutsidePrototype(
        label='ABC3_mC20_12_g_i_ij',
        formula='MnPS3',
        space_group=12,
        cellpar=(6.077, 10.524, 6.796, 90.0, 107.35, 90.0),
        species=('Mn', 'P', 'S', 'S'),
        basis=((0.0, 0.33258, 0.0), (0.0556, 0.0, 0.1686), (0.7593, 0.0, 0.2497), (0.2438, 0.1612, 0.2516)),
        source='AFLOW part 3, MnPS3: oscarlindbul/AFLOW aflow_anrl_list.cpp (part-3 parameters)',
    ),
    OutsidePrototype(
        label='A_oC24_63_3f',
        formula='Si24',
        space_group=63,
        cellpar=(3.82236, 10.7007, 12.6258, 90.0, 90.0, 90.0),
        species=('Si', 'Si', 'Si'),
        basis=((0.0, 0.0284, 0.5903), (0.0, 0.2435, 0.5551), (0.0, 0.5705, 0.3412)),
        source='AFLOW part 3, Si24 Clathrate: oscarlindbul/AFLOW aflow_anrl_list.cpp (part-3 parameters)',
    ),
    OutsidePrototype(
        label='AB_oP8_58_g_g',
        formula='InS',
        space_group=58,
        cellpar=(4.443, 10.642, 3.94, 90.0, 90.0, 90.0),
        species=('In', 'S'),
        basis=((0.125, 0.121, 0.0), (-0.005, 0.355, 0.0)),
        source='AFLOW part 3, InS: oscarlindbul/AFLOW aflow_anrl_list.cpp (part-3 parameters)',
    ),
    OutsidePrototype(
        label='A3B2_oF40_43_ab_b',
        formula='Al3Zr2',
        space_group=43,
        cellpar=(9.601, 13.906, 5.57, 90.0, 90.0, 90.0),
        species=('Al', 'Al', 'Zr'),
        basis=((0.0, 0.0, 0.125), (0.065, 0.116, 0.5), (0.068, 0.196, 0.0)),
        source='AFLOW part 3, Zr2Al3: oscarlindbul/AFLOW aflow_anrl_list.cpp (part-3 parameters)',
    ),
    OutsidePrototype(
        label='A5B_oC24_63_c2f_c',
        formula='Te5Zr',
        space_group=63,
        cellpar=(3.9875, 14.53, 13.72, 90.0, 90.0, 90.0),
        species=('Te', 'Zr', 'Te', 'Te'),
        basis=((0.0, 0.316, 0.25), (0.0, 0.633, 0.25), (0.0, -0.067, 0.151), (0.0, 0.209, 0.434)),
        source='AFLOW part 3, ZrTe5: oscarlindbul/AFLOW aflow_anrl_list.cpp (part-3 parameters)',
    ),
    OutsidePrototype(
        label='ABC3_oP20_62_c_c_cd',
        formula='KNO3',
        space_group=62,
        cellpar=(6.4213, 5.4119, 9.1567, 90.0, 90.0, 90.0),
        species=('K', 'N', 'O', 'O'),
        basis=((0.7568, 0.25, 0.4166), (-0.0848, 0.25, 0.7548), (-0.0893, 0.25, 0.8902), (-0.0849, 0.4492, 0.6866)),
        source=(
            'AFLOW part 3, alpha-Potassium Nitrate (KNO3) I: oscarlindbul/AFLOW aflow_anrl_list.cpp (part-3 parameters)'
        ),
    ),
    OutsidePrototype(
        label='ABC2_oI16_71_g_i_eh',
        formula='CsFeS2',
        space_group=71,
        cellpar=(7.09, 11.85, 5.42, 90.0, 90.0, 90.0),
        species=('S', 'Cs', 'S', 'Fe'),
        basis=((0.256, 0.0, 0.0), (0.0, 0.33, 0.0), (0.0, 0.148, 0.5), (0.0, 0.0, 0.249)),
        source='AFLOW part 3, CsFeS2 (100K): oscarlindbul/AFLOW aflow_anrl_list.cpp (part-3 parameters)',
    ),
    OutsidePrototype(
        label='AB2CD_oC20_63_b_f_c_c',
        formula='CFe2SiTh',
        space_group=63,
        cellpar=(3.863, 10.806, 6.95, 90.0, 90.0, 90.0),
        species=('C', 'Si', 'Th', 'Fe'),
        basis=((0.0, 0.5, 0.0), (0.0, 0.7719, 0.25), (0.0, 0.05275, 0.25), (0.0, 0.66585, 0.5611)),
        source='AFLOW part 3, ThFe2SiC: oscarlindbul/AFLOW aflow_anrl_list.cpp (part-3 parameters)',
    ),
    OutsidePrototype(
        label='A2B3_tP20_136_j_dfg',
        formula='Al2Zr3',
        space_group=136,
        cellpar=(7.63, 7.63, 6.998, 90.0, 90.0, 90.0),
        species=('Zr', 'Zr', 'Zr', 'Al'),
        basis=((0.0, 0.5, 0.25), (0.34, 0.34, 0.0), (0.2, -0.2, 0.0), (0.125, 0.125, 0.21)),
        source='AFLOW part 3, Zr3Al2: oscarlindbul/AFLOW aflow_anrl_list.cpp (part-3 parameters)',
    ),
    OutsidePrototype(
        label='AB6_tI28_140_a_hk',
        formula='MnU6',
        space_group=140,
        cellpar=(10.29, 10.29, 5.24, 90.0, 90.0, 90.0),
        species=('Mn', 'U', 'U'),
        basis=((0.0, 0.0, 0.25), (0.4068, 0.9068, 0.0), (0.2141, 0.1021, 0.0)),
        source='AFLOW part 3, U6Mn (D2c): oscarlindbul/AFLOW aflow_anrl_list.cpp (part-3 parameters)',
    ),
    OutsidePrototype(
        label='A4B2C_tP7_123_j_e_a',
        formula='Cl4K2Pt',
        space_group=123,
        cellpar=(7.025, 7.025, 4.144, 90.0, 90.0, 90.0),
        species=('Pt', 'K', 'Cl'),
        basis=((0.0, 0.0, 0.0), (0.0, 0.5, 0.5), (0.2324, 0.2324, 0.0)),
        source='AFLOW part 3, K2PtCl4 (H15): oscarlindbul/AFLOW aflow_anrl_list.cpp (part-3 parameters)',
    ),
    OutsidePrototype(
        label='A10B4C3_tI34_139_c2eg_2e_ae',
        formula='O10Sr4Ti3',
        space_group=139,
        cellpar=(3.9, 3.9, 28.1, 90.0, 90.0, 90.0),
        species=('Ti', 'O', 'O', 'O', 'Sr', 'Sr', 'Ti', 'O'),
        basis=(
            (0.0, 0.0, 0.0),
            (0.0, 0.5, 0.0),
            (0.0, 0.0, 0.068),
            (0.0, 0.0, 0.204),
            (0.0, 0.0, 0.432),
            (0.0, 0.0, 0.296),
            (0.0, 0.0, 0.136),
            (0.0, 0.5, 0.136),
        ),
        source='AFLOW part 3, Sr4Ti3O10: oscarlindbul/AFLOW aflow_anrl_list.cpp (part-3 parameters)',
    ),
    OutsidePrototype(
        label='AB_hP12_164_c2d_c2d',
        formula='BiSe',
        space_group=164,
        cellpar=(4.212, 4.212, 22.942, 90.0, 90.0, 120.0),
        species=('Bi', 'Se', 'Bi', 'Bi', 'Se', 'Se'),
        basis=(
            (0.0, 0.0, 0.3727),
            (0.0, 0.0, 0.1279),
            (0.333333, 0.666667, 0.0419),
            (0.333333, 0.666667, 0.7959),
            (0.333333, 0.666667, 0.2797),
            (0.333333, 0.666667, 0.5596),
        ),
        source='AFLOW part 3, Nevskite (BiSe): oscarlindbul/AFLOW aflow_anrl_list.cpp (part-3 parameters)',
    ),
    OutsidePrototype(
        label='A6BC2_hP9_164_i_a_d',
        formula='F6GeK2',
        space_group=164,
        cellpar=(5.62, 5.62, 4.65, 90.0, 90.0, 120.0),
        species=('Ge', 'K', 'F'),
        basis=((0.0, 0.0, 0.0), (0.333333, 0.666667, 0.7), (0.148, -0.148, 0.22)),
        source='AFLOW part 3, K2GeF6 (J113): oscarlindbul/AFLOW aflow_anrl_list.cpp (part-3 parameters)',
    ),
    OutsidePrototype(
        label='AB2C3_hP12_164_d_ae_i',
        formula='HgPt2Se3',
        space_group=164,
        cellpar=(7.3477, 7.3477, 5.2955, 90.0, 90.0, 120.0),
        species=('Pt', 'Hg', 'Pt', 'Se'),
        basis=((0.0, 0.0, 0.0), (0.333333, 0.666667, 0.3507), (0.5, 0.0, 0.0), (0.8196, -0.8196, 0.2492)),
        source='AFLOW part 3, Jacutingaite (Pt2HgSe3): oscarlindbul/AFLOW aflow_anrl_list.cpp (part-3 parameters)',
    ),
    OutsidePrototype(
        label='ABC6D_hP18_163_d_b_i_c',
        formula='AlCaF6Li',
        space_group=163,
        cellpar=(5.0081, 5.0081, 9.6433, 90.0, 90.0, 120.0),
        species=('Ca', 'Li', 'Al', 'F'),
        basis=((0.0, 0.0, 0.0), (0.333333, 0.666667, 0.25), (0.666667, 0.333333, 0.25), (0.3767, 0.031, 0.14336)),
        source='AFLOW part 3, Colquiriite (LiCaAlF6): oscarlindbul/AFLOW aflow_anrl_list.cpp (part-3 parameters)',
    ),
    OutsidePrototype(
        label='A12B_hP13_191_cdei_a',
        formula='Be12Ti',
        space_group=191,
        cellpar=(4.23, 4.23, 7.33, 90.0, 90.0, 120.0),
        species=('Ti', 'Be', 'Be', 'Be', 'Be'),
        basis=(
            (0.0, 0.0, 0.0),
            (0.333333, 0.666667, 0.0),
            (0.333333, 0.666667, 0.5),
            (0.0, 0.0, 0.29),
            (0.5, 0.0, 0.25),
        ),
        source='AFLOW part 3, TiBe12 (approximate, D2a): oscarlindbul/AFLOW aflow_anrl_list.cpp (part-3 parameters)',
    ),
    OutsidePrototype(
        label='A2B3_hP10_194_f_bf',
        formula='Pt2Sn3',
        space_group=194,
        cellpar=(4.36079, 4.36079, 12.96013, 90.0, 90.0, 120.0),
        species=('Sn', 'Pt', 'Sn'),
        basis=((0.0, 0.0, 0.25), (0.333333, 0.666667, 0.143), (0.333333, 0.666667, -0.07)),
        source='AFLOW part 3, Pt2Sn3 (D5b): oscarlindbul/AFLOW aflow_anrl_list.cpp (part-3 parameters)',
    ),
    OutsidePrototype(
        label='AB2C2_hP10_194_a_f_f',
        formula='EuIn2P2',
        space_group=194,
        cellpar=(4.0829, 4.0829, 17.595, 90.0, 90.0, 120.0),
        species=('Eu', 'In', 'P'),
        basis=((0.0, 0.0, 0.0), (0.333333, 0.666667, 0.82845), (0.333333, 0.666667, 0.10706)),
        source='AFLOW part 3, EuIn2P2: oscarlindbul/AFLOW aflow_anrl_list.cpp (part-3 parameters)',
    ),
    OutsidePrototype(
        label='A3B3C2_hP16_187_jk_jk_ck',
        formula='As3Cr3K2',
        space_group=187,
        cellpar=(9.9832, 9.9832, 4.2304, 90.0, 90.0, 120.0),
        species=('K', 'As', 'Cr', 'As', 'Cr', 'K'),
        basis=(
            (0.333333, 0.666667, 0.0),
            (0.8339, -0.8339, 0.0),
            (0.0898, -0.0898, 0.0),
            (0.1676, -0.1676, 0.5),
            (-0.0873, 0.0873, 0.5),
            (0.5387, -0.5387, 0.5),
        ),
        source=(
            'AFLOW part 3, Cr-233 Quasi-One-Dimensional Superconductor (K2Cr3As3): '
            'oscarlindbul/AFLOW aflow_anrl_list.cpp (part-3 parameters)'
        ),
    ),
    OutsidePrototype(
        label='A2BC3_cP24_213_c_a_d',
        formula='Al2CMo3',
        space_group=213,
        cellpar=(6.84, 6.84, 6.84, 90.0, 90.0, 90.0),
        species=('C', 'Al', 'Mo'),
        basis=((0.375, 0.375, 0.375), (0.061, 0.061, 0.061), (0.125, 0.206, 0.456)),
        source='AFLOW part 3, Al2Mo3C: oscarlindbul/AFLOW aflow_anrl_list.cpp (part-3 parameters)',
    ),
    OutsidePrototype(
        label='A7BC12_cI40_204_bc_a_g',
        formula='Mn7NaO12',
        space_group=204,
        cellpar=(7.312, 7.312, 7.312, 90.0, 90.0, 90.0),
        species=('Na', 'Mn', 'Mn', 'O'),
        basis=((0.0, 0.0, 0.0), (0.0, 0.5, 0.5), (0.25, 0.25, 0.25), (0.0, 0.3128, 0.1829)),
        source='AFLOW part 3, NaMn7O12: oscarlindbul/AFLOW aflow_anrl_list.cpp (part-3 parameters)',
    ),
    OutsidePrototype(
        label='ABC4_cF24_216_b_a_e',
        formula='ClKO4',
        space_group=216,
        cellpar=(7.5, 7.5, 7.5, 90.0, 90.0, 90.0),
        species=('K', 'Cl', 'O'),
        basis=((0.0, 0.0, 0.0), (0.5, 0.5, 0.5), (0.125, 0.125, 0.125)),
        source=(
            'AFLOW part 3, High-Temperature Cubic KClO4 (H05): '
            'oscarlindbul/AFLOW aflow_anrl_list.cpp (part-3 parameters)'
        ),
    ),
    OutsidePrototype(
        label='A4B_cP40_205_cd_c',
        formula='I4Sn',
        space_group=205,
        cellpar=(12.26, 12.26, 12.26, 90.0, 90.0, 90.0),
        species=('I', 'Sn', 'I'),
        basis=((0.252, 0.252, 0.252), (0.125, 0.125, 0.125), (-0.002, -0.002, 0.252)),
        source='AFLOW part 3, SnI4 (D11): oscarlindbul/AFLOW aflow_anrl_list.cpp (part-3 parameters)',
    ),
    OutsidePrototype(
        label='AB4C8_cF52_216_a_e_2e',
        formula='GaMo4S8',
        space_group=216,
        cellpar=(9.7294, 9.7294, 9.7294, 90.0, 90.0, 90.0),
        species=('Ga', 'Mo', 'S', 'S'),
        basis=((0.0, 0.0, 0.0), (0.3974, 0.3974, 0.3974), (0.6343, 0.6343, 0.6343), (0.135, 0.135, 0.135)),
        source='AFLOW part 3, GaMo4S8: oscarlindbul/AFLOW aflow_anrl_list.cpp (part-3 parameters)',
    ),
    OutsidePrototype(
        label='ABC4D_cP28_198_a_a_ab_a',
        formula='AlNaO4Si',
        space_group=198,
        cellpar=(7.37, 7.37, 7.37, 90.0, 90.0, 90.0),
        species=('Al', 'Na', 'O', 'Si', 'O'),
        basis=(
            (0.258, 0.258, 0.258),
            (0.744, 0.744, 0.744),
            (0.125, 0.125, 0.125),
            (0.0, 0.0, 0.0),
            (0.658, 0.644, 0.0556),
        ),
        source=(
            'AFLOW part 3, alpha-Carnegieite (NaAlSiO4, S65): '
            'oscarlindbul/AFLOW aflow_anrl_list.cpp (part-3 parameters)'
        ),
    ),
)


def build(prototype: OutsidePrototype) -> Atoms:
    """The conventional cell of ``prototype``."""
    return crystal(
        list(prototype.species),
        [list(position) for position in prototype.basis],
        spacegroup=prototype.space_group,
        cellpar=list(prototype.cellpar),
        setting=prototype.setting,
        primitive_cell=False,
    )
