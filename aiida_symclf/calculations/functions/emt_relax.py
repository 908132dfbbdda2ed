"""``emt_relax``: relax cell and positions with ASE's EMT potential, a real and cheap relaxation.

It needs no external code, so the chaining pattern (relax, then classify ``output_structure``)
can be run and tested anywhere; its outputs are named as a relax workchain's.
"""

from __future__ import annotations

from aiida import orm
from aiida.engine import ExitCode, calcfunction
from ase.calculators.emt import EMT
from ase.filters import FrechetCellFilter
from ase.optimize import BFGS

__all__ = ['emt_relax']

EMT_ELEMENTS = {'Al', 'Cu', 'Ag', 'Au', 'Ni', 'Pd', 'Pt', 'H', 'C', 'N', 'O'}


@calcfunction
def emt_relax(structure: orm.StructureData, parameters: orm.Dict | None = None):
    """Relax cell and positions with EMT (``fmax`` eV/A, ``steps``); outputs as a relax workchain's.

    Outputs ``output_structure`` (StructureData) and ``output_parameters`` (Dict with the energy,
    the number of steps and whether it converged). Unsupported elements end with exit code 200.
    """
    settings = {'fmax': 0.01, 'steps': 200, **(parameters.get_dict() if parameters is not None else {})}
    atoms = structure.get_ase()
    unsupported = sorted(set(atoms.get_chemical_symbols()) - EMT_ELEMENTS)
    if unsupported or len(atoms) == 0:
        return ExitCode(200, f'EMT cannot relax this structure (unsupported elements: {unsupported or "no atoms"})')
    atoms.calc = EMT()
    optimiser = BFGS(FrechetCellFilter(atoms), logfile=None)
    converged = bool(optimiser.run(fmax=settings['fmax'], steps=settings['steps']))
    relaxed = atoms.copy()
    relaxed.calc = None
    return {
        'output_structure': orm.StructureData(ase=relaxed),
        'output_parameters': orm.Dict(
            {'energy': float(atoms.get_potential_energy()), 'steps': optimiser.nsteps, 'converged': converged}
        ),
    }
