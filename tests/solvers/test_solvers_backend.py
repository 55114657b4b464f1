"""Array namespaces: numpy/scipy on the host; cupy/cupyx when given GPU arrays."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
import scipy.sparse.linalg

from solvers import solve_fixed_point, solve_linear
from solvers.backend import (
    array_namespace,
    is_sparse_matrix,
    sparse_linalg_namespace,
    sparse_namespace,
)


def test_host_namespaces():
    x = np.ones(3)
    assert array_namespace(x) is np
    assert sparse_namespace(x) is scipy.sparse
    assert sparse_linalg_namespace(x) is scipy.sparse.linalg
    assert is_sparse_matrix(scipy.sparse.identity(3)) and not is_sparse_matrix(x)


def test_gpu_path():
    cupy = pytest.importorskip("cupy")
    import cupyx.scipy.sparse

    b = cupy.ones(4)
    assert array_namespace(b) is cupy
    assert sparse_namespace(b) is cupyx.scipy.sparse
    K = cupy.eye(4) / 2
    x, report = solve_linear("fixed_point", K, b)
    assert report.converged and isinstance(x, cupy.ndarray)
    x, report = solve_linear("neumann", K, b, k=3)
    assert isinstance(x, cupy.ndarray)
    z, report = solve_fixed_point("anderson", lambda z: cupy.cos(z) / 2, cupy.zeros(4))
    assert report.converged and isinstance(z, cupy.ndarray)
    with pytest.raises(ValueError, match="host memory"):
        solve_linear("gmres", K, b)


def test_solvers_imports_neither_graphs_nor_adjoint_nor_cupy():
    code = (
        "import sys, solvers, solvers.linear, solvers.nonlinear; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'graphs', 'adjoint', 'cupy'}))"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True,
                            text=True, check=True)
    assert result.stdout.strip() == "[]"
