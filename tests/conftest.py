"""Tests of the method ``"petsc"`` skip, saying how to install it, where petsc4py is missing.

Tables parametrised over every linear method include ``"petsc"``; CI installs PETSc
(``scripts/install_petsc.sh``), so there they run. Elsewhere each such case is skipped with
the install instructions as its reason, rather than failing on a missing optional dependency.
"""

import pytest

from solvers.linear import petsc


def pytest_collection_modifyitems(config, items):
    reason = petsc.unavailable()
    if reason is None:
        return
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if any(isinstance(value, str) and value == "petsc" for value in params.values()) or "petsc" in item.keywords:
            item.add_marker(skip)
