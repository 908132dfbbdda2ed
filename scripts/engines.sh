#!/usr/bin/env bash
# The simulation engines of the real-engine tests: Quantum ESPRESSO (pw.x) and LAMMPS (lmp).
#
#   bash scripts/engines.sh            # install what is missing (Debian packages), then report
#   bash scripts/engines.sh --check    # only report: exit 0 if pw.x, lmp and both data packages are there
#
# Installs, with apt-get (as root, or with `sudo -n`), non-interactive, only the packages that are
# missing: quantum-espresso (pw.x), quantum-espresso-data (UPF pseudopotentials in
# /usr/share/espresso/pseudo), lammps (lmp), lammps-data (potentials in /usr/share/lammps/potentials).
# A failed installation is reported, not fatal to the caller (`.ci/run` goes on; the tests that need
# a missing program skip with the reason).
set -uo pipefail

MODE=install
case "${1:-}" in
    --check) MODE=check ;;
    "") ;;
    -h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "engines.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
esac

say() { echo "engines.sh: $*"; }

present() {  # present PACKAGE: is the package's program or data there?
    case "$1" in
        quantum-espresso) command -v pw.x >/dev/null ;;
        quantum-espresso-data) [[ -d /usr/share/espresso/pseudo ]] ;;
        lammps) command -v lmp >/dev/null ;;
        lammps-data) [[ -d /usr/share/lammps/potentials ]] ;;
    esac
}

as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else return 1; fi
}

PACKAGES=(quantum-espresso quantum-espresso-data lammps lammps-data)
missing=()
for package in "${PACKAGES[@]}"; do present "$package" || missing+=("$package"); done

if [[ $MODE == install && ${#missing[@]} -gt 0 ]]; then
    if command -v apt-get >/dev/null; then
        say "installing ${missing[*]} (apt-get)"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
            as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
            say "apt-get install ${missing[*]} failed (needs root or passwordless sudo, and the package registry)"
    else
        say "no apt-get: cannot install ${missing[*]}"
    fi
    missing=()
    for package in "${PACKAGES[@]}"; do present "$package" || missing+=("$package"); done
fi

if [[ ${#missing[@]} -gt 0 ]]; then
    say "missing: ${missing[*]}; the tests that need them will be skipped"
    exit 1
fi
say "pw.x $(command -v pw.x), lmp $(command -v lmp), UPFs and potentials present"
