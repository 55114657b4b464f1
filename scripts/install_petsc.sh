#!/usr/bin/env bash
# Install PETSc and petsc4py for adjoint's "petsc" linear method (issue 15).
#
# PETSc has no wheels on PyPI. Debian's petsc-dev (PETSc 3.18, with OpenMPI and mpiexec)
# installs in about 30 s; petsc4py 3.18.5 is then built against it, with numpy and
# cython<3 already in the environment, in about 5 minutes on 2 cores. Run it inside the
# virtual environment that will use petsc4py. Needs root (or sudo) for apt-get.
#
#   bash scripts/install_petsc.sh && python -c "from petsc4py import PETSc; print(PETSc.Sys.getVersion())"
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
if ! dpkg -s petsc-dev >/dev/null 2>&1; then
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends petsc-dev openmpi-bin
fi
python -m pip install -q numpy "cython<3" setuptools wheel
if ! python -c "import petsc4py" >/dev/null 2>&1; then
    PETSC_DIR=/usr/lib/petsc python -m pip install --no-build-isolation "petsc4py==3.18.5"
fi
python -c "from petsc4py import PETSc; print('petsc4py', '.'.join(map(str, PETSc.Sys.getVersion())))"
