"""A pseudopotential family from a folder of UPF files, installed with aiida-pseudo (works offline).

aiida-quantumespresso's protocols need an aiida-pseudo family that recommends cutoffs. The
families aiida-pseudo downloads (SSSP, PseudoDojo) need the network; Debian's
``quantum-espresso-data`` package ships UPF files in ``/usr/share/espresso/pseudo``, but
``aiida-pseudo install family`` refuses that folder as it is: it holds several UPFs per element
and some are ``.upf.gz``. :func:`install_upf_family` picks one file per element (preferring one
exchange-correlation functional, so that pw.x does not meet mixed functionals), unpacks it into
a temporary folder, installs that folder as a ``pseudo.family.cutoffs`` family and sets the
same cutoffs for every element.

``python -m aiida_symclf.utils.pseudos`` does the same from the command line (``--help``).
"""

from __future__ import annotations

import argparse
import gzip
import re
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from aiida import load_profile
from aiida_pseudo.data.pseudo import UpfData
from aiida_pseudo.data.pseudo.upf import parse_element
from aiida_pseudo.groups.family import CutoffsPseudoPotentialFamily

__all__ = [
    'DEBIAN_FAMILY_LABEL',
    'DEBIAN_UPF_FOLDER',
    'choose_upf_files',
    'install_upf_family',
    'upf_element',
]

DEBIAN_UPF_FOLDER = Path('/usr/share/espresso/pseudo')
#: Label of the family :func:`install_upf_family` makes from Debian's UPFs by default.
DEBIAN_FAMILY_LABEL = 'Debian/quantum-espresso-data/LDA'
#: Default cutoffs (Ry): low, for tests and small examples; set your own for production.
DEFAULT_CUTOFFS_RY = (20.0, 80.0)
_UPF_SUFFIXES = ('.upf', '.upf.gz')


def _read_upf(path: Path) -> str:
    """Text of a UPF file, gzipped or not."""
    opener = gzip.open if path.name.lower().endswith('.gz') else open
    with opener(path, 'rt', encoding='utf-8', errors='replace') as handle:
        return handle.read()


def upf_element(path: Path) -> str | None:
    """Element of a UPF file as aiida-pseudo reads it (None when the file names none)."""
    try:
        element = parse_element(_read_upf(path))
    except (OSError, ValueError):
        return None
    return element.capitalize()


def _is_upf(path: Path) -> bool:
    return path.is_file() and path.name.lower().endswith(_UPF_SUFFIXES)


def choose_upf_files(
    folder: Path | str, elements: Iterable[str] | None = None, functional: str = 'pz'
) -> dict[str, Path]:
    """One UPF file per element of ``folder``: element -> path.

    Among an element's files, those whose name carries ``functional`` as a token (``Si.pz-vbc.UPF``
    for ``pz``) come first, then plain ``.UPF`` before ``.upf.gz``, then the shortest name, then
    alphabetical order: the choice does not depend on the order the file system lists them in.
    ``elements`` restricts the choice; an element asked for but absent raises ``ValueError``.
    """
    token = re.compile(rf'(^|[.\-_]){re.escape(functional.lower())}([.\-_]|$)') if functional else None
    candidates: dict[str, list[Path]] = {}
    for path in sorted(Path(folder).iterdir()):
        if _is_upf(path) and (element := upf_element(path)) is not None:
            candidates.setdefault(element, []).append(path)

    def rank(path: Path) -> tuple:
        name = path.name.lower()
        return (not (token and token.search(name)), name.endswith('.gz'), len(name), name)

    wanted = sorted(set(elements)) if elements is not None else sorted(candidates)
    missing = [element for element in wanted if element not in candidates]
    if missing:
        raise ValueError(f'no UPF file for {", ".join(missing)} in {folder}')
    return {element: min(candidates[element], key=rank) for element in wanted}


def _copy_unpacked(chosen: dict[str, Path], target: Path) -> None:
    """Each chosen file into ``target`` as ``<element>.upf`` (gunzipped when needed)."""
    for element, path in chosen.items():
        (target / f'{element}.upf').write_text(_read_upf(path), encoding='utf-8')


def install_upf_family(
    label: str = DEBIAN_FAMILY_LABEL,
    folder: Path | str = DEBIAN_UPF_FOLDER,
    elements: Iterable[str] | None = None,
    functional: str = 'pz',
    cutoffs: tuple[float, float] = DEFAULT_CUTOFFS_RY,
    description: str | None = None,
):
    """The aiida-pseudo family ``label`` (``pseudo.family.cutoffs``), installed from ``folder`` if missing.

    One UPF per element (:func:`choose_upf_files`), wavefunction and charge-density cutoffs
    ``cutoffs`` (Ry) as the ``normal`` stringency for every element, so that
    ``PwBaseWorkChain.get_builder_from_protocol`` can recommend them. An existing family of that
    label is returned unchanged. Needs a loaded AiiDA profile.
    """
    existing = CutoffsPseudoPotentialFamily.collection.find(filters={'label': label})
    if existing:
        return existing[0]
    chosen = choose_upf_files(folder, elements, functional)
    if not chosen:
        raise ValueError(f'no UPF files in {folder}')
    with tempfile.TemporaryDirectory(prefix='symclf-upf-') as temporary:
        _copy_unpacked(chosen, Path(temporary))
        family = CutoffsPseudoPotentialFamily.create_from_folder(
            Path(temporary),
            label,
            description=description or f'one UPF per element from {folder} (functional {functional!r} preferred)',
            pseudo_type=UpfData,
        )
    wavefunction, density = cutoffs
    values = {element: {'cutoff_wfc': float(wavefunction), 'cutoff_rho': float(density)} for element in chosen}
    family.set_cutoffs(values, 'normal', unit='Ry')
    return family


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: install the family in the profile given by ``-p`` (default: AiiDA's default)."""
    parser = argparse.ArgumentParser(prog='python -m aiida_symclf.utils.pseudos', description=__doc__.splitlines()[0])
    parser.add_argument('--label', default=DEBIAN_FAMILY_LABEL, help='family label (default: %(default)s)')
    parser.add_argument('--folder', default=str(DEBIAN_UPF_FOLDER), help='folder of UPF files (default: %(default)s)')
    parser.add_argument('--functional', default='pz', help='functional token preferred in file names (default: pz)')
    parser.add_argument('--elements', nargs='*', help='only these elements (default: all in the folder)')
    parser.add_argument('--ecutwfc', type=float, default=DEFAULT_CUTOFFS_RY[0], help='Ry (default: %(default)s)')
    parser.add_argument('--ecutrho', type=float, default=DEFAULT_CUTOFFS_RY[1], help='Ry (default: %(default)s)')
    parser.add_argument('-p', '--profile', default=None, help='AiiDA profile (default: the default profile)')
    args = parser.parse_args(argv)
    load_profile(args.profile, allow_switch=True)
    family = install_upf_family(args.label, args.folder, args.elements, args.functional, (args.ecutwfc, args.ecutrho))
    print(f'{family.label}: {", ".join(sorted(node.element for node in family.nodes))}')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
