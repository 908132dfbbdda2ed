"""Heating runs with the LAMMPS binary (``lmp``): frames of a crystal heated through melting.

Used by the tests and ``benchmarks/real_md.py`` to feed real classical MD into the
classification: :func:`heating_run` writes a LAMMPS data file and input script, runs ``lmp``
(one process, no MPI), and reads the dumped frames back as ``ase.Atoms`` with the thermodynamic
output of each frame (temperature, potential energy). :func:`aiida_symclf.utils.trajectory.trajectory_from_atoms`
turns the frames into a ``TrajectoryData``.

The protocol follows the DC3 data set (Chung et al., Phys. Rev. Materials 6, 043801, 2022): NPT
at zero pressure, with the thermostat's target raised linearly from ``start_temperature`` to
``stop_temperature``, a frame every ``dump_every`` steps. Potentials are those of Debian's
``lammps-data`` (:data:`POTENTIAL_FOLDER`).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from ase.io import read, write

__all__ = ['POTENTIAL_FOLDER', 'HeatingRun', 'LammpsError', 'Potential', 'heating_run']

POTENTIAL_FOLDER = Path('/usr/share/lammps/potentials')


#: Cell coupling of the NPT barostat: ``iso`` keeps a cubic cell cubic (one length scales); ``aniso``
#: lets the three lengths fluctuate independently; ``xy`` couples x and y (hexagonal cells: c/a free).
BAROSTATS = {'iso': 'iso', 'aniso': 'aniso', 'xy': 'aniso'}


class LammpsError(RuntimeError):
    """``lmp`` is missing or ended with an error (the message has the end of its log)."""


@dataclasses.dataclass(frozen=True)
class Potential:
    """A LAMMPS potential: ``pair_style``, the ``pair_coeff`` file, the element and its mass (amu)."""

    pair_style: str
    filename: str
    element: str
    mass: float

    def commands(self, folder: Path = POTENTIAL_FOLDER) -> list[str]:
        path = folder / self.filename
        return [f'pair_style {self.pair_style}', f'pair_coeff * * {path} {self.element}', f'mass 1 {self.mass}']


@dataclasses.dataclass
class HeatingRun:
    """Frames of a heating run and, per frame, the step, temperature (K) and potential energy per atom (eV)."""

    frames: list[Any]
    steps: np.ndarray
    temperatures: np.ndarray
    energies: np.ndarray


def _data_file(atoms: Any, path: Path) -> None:
    """A LAMMPS data file of ``atoms`` (one species), in LAMMPS' restricted triclinic frame."""
    write(path, atoms, format='lammps-data', specorder=[atoms.get_chemical_symbols()[0]])


def _script(
    potential: Potential, start: float, stop: float, steps: int, dump_every: int, seed: int, timestep: float,
    barostat: str,
) -> str:  # fmt: skip
    """The LAMMPS input: NPT heating from ``start`` to ``stop`` K over ``steps`` steps."""
    return '\n'.join(
        [
            'units metal', 'atom_style atomic', 'boundary p p p', 'read_data structure.data',
            *potential.commands(),
            f'timestep {timestep}',
            f'velocity all create {2 * start} {seed} mom yes rot yes dist gaussian',
            f'fix heat all npt temp {start} {stop} {100 * timestep} {BAROSTATS[barostat]} 0.0 0.0 {1000 * timestep}'
            + (' couple xy' if barostat == 'xy' else ''),
            'compute pe all pe/atom', 'compute pe_mean all reduce ave c_pe',
            f'thermo {dump_every}', 'thermo_style custom step temp c_pe_mean', 'thermo_modify norm no',
            f'dump frames all custom {dump_every} frames.dump id type x y z',
            'dump_modify frames sort id',
            f'run {steps}', '',
        ]
    )  # fmt: skip


def _thermo(log: str) -> np.ndarray:
    """Rows (step, temperature, potential energy per atom) of the thermo output in ``log``."""
    rows, reading = [], False
    for line in log.splitlines():
        fields = line.split()
        if fields[:3] == ['Step', 'Temp', 'c_pe_mean']:
            reading = True
            continue
        if reading:
            try:
                rows.append([float(value) for value in fields[:3]])
            except (ValueError, IndexError):
                reading = False
    return np.array(rows).reshape(-1, 3)


def heating_run(
    atoms: Any,
    potential: Potential,
    start_temperature: float,
    stop_temperature: float,
    steps: int,
    dump_every: int,
    seed: int = 1,
    timestep: float = 0.002,
    executable: str = 'lmp',
    timeout: float = 600.0,
    barostat: str = 'iso',
) -> HeatingRun:
    """Run ``lmp`` on ``atoms``: NPT from ``start_temperature`` to ``stop_temperature`` (K) in ``steps`` steps.

    One frame every ``dump_every`` steps (the first is the input at step 0). ``lmp`` runs in a
    temporary folder with one OpenMP thread. Raises :class:`LammpsError` when ``lmp`` is missing
    or fails. ``barostat``: a key of :data:`BAROSTATS`.
    """
    program = shutil.which(executable)
    if program is None:
        raise LammpsError(f'{executable} not found (Debian: apt-get install lammps lammps-data)')
    symbol = atoms.get_chemical_symbols()[0]
    with tempfile.TemporaryDirectory(prefix='symclf-lammps-') as folder:
        work = Path(folder)
        _data_file(atoms, work / 'structure.data')
        script = _script(potential, start_temperature, stop_temperature, steps, dump_every, seed, timestep, barostat)
        (work / 'in.heat').write_text(script)
        environment = {**os.environ, 'OMP_NUM_THREADS': '1'}
        process = subprocess.run(
            [program, '-in', 'in.heat', '-log', 'log.lammps', '-screen', 'none'], cwd=work, env=environment,
            capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip
        log = (work / 'log.lammps').read_text() if (work / 'log.lammps').exists() else process.stdout
        if process.returncode != 0 or not (work / 'frames.dump').exists():
            tail = '\n'.join((log + process.stderr).strip().splitlines()[-5:])
            raise LammpsError(f'lmp ended with status {process.returncode}: {tail}')
        frames = read(work / 'frames.dump', index=':', format='lammps-dump-text')
    for frame in frames:
        frame.set_chemical_symbols([symbol] * len(frame))
        frame.calc = None
        frame.pbc = True
    thermo = _thermo(log)[: len(frames)]
    return HeatingRun(frames, thermo[:, 0].astype(int), thermo[:, 1], thermo[:, 2])


def default_potentials() -> dict[str, Potential]:
    """The Debian ``lammps-data`` potentials of the benchmark's systems, by element."""
    return {
        'Fe': Potential('eam/fs', 'Fe_mm.eam.fs', 'Fe', 55.845),
        'Mg': Potential('eam/fs', 'Mg_mm.eam.fs', 'Mg', 24.305),
        'Cu': Potential('eam/alloy', 'Cu_mishin1.eam.alloy', 'Cu', 63.546),
        'Al': Potential('eam/alloy', 'Al99.eam.alloy', 'Al', 26.982),
        'Si': Potential('sw', 'Si.sw', 'Si', 28.086),
    }


def available(elements: Sequence[str] = ('Fe',), executable: str = 'lmp') -> str | None:
    """Why LAMMPS runs of ``elements`` cannot be done here (``lmp`` or a potential missing), or None."""
    if shutil.which(executable) is None:
        return f'{executable} not found (Debian: apt-get install lammps lammps-data)'
    potentials = default_potentials()
    missing = [potentials[e].filename for e in elements if not (POTENTIAL_FOLDER / potentials[e].filename).exists()]
    return f'missing potentials in {POTENTIAL_FOLDER}: {", ".join(missing)}' if missing else None
