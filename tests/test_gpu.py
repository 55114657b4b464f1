"""Plans and solvers on a real GPU with cupy. Skipped (and so not run) without both."""

import numpy as np
import pytest

cupy = pytest.importorskip("cupy", reason="cupy is not installed: the GPU backend was not run")
try:
    if cupy.cuda.runtime.getDeviceCount() < 1:
        raise RuntimeError("no device")
except Exception as e:  # noqa: BLE001 - any CUDA failure means: nothing to run on
    pytest.skip(f"no usable CUDA device ({e}): the GPU backend was not run", allow_module_level=True)

from plan_cases import _close, _wide_args, vector_code, wide_program  # noqa: E402

import adjoint  # noqa: E402
from solvers.triangular import TriangularPattern  # noqa: E402


@pytest.mark.parametrize("backward", ["levels", "spsolve"])
def test_scalar_plan_on_the_gpu_agrees_with_the_host(backward):
    rng = np.random.default_rng(0)
    args = _wide_args(rng)
    gpu = adjoint.compile(wide_program, *args, engine="scalar", backward=backward, backend="cupy")
    new = _wide_args(rng)
    value, g = gpu.value_and_grad(*new)
    ref_value, ref_g = adjoint.value_and_grad(wide_program)(*new)
    assert _close(value, ref_value) and _close(g, ref_g)


def test_tape_plan_on_cupy_arrays():
    rng = np.random.default_rng(1)
    W, x = rng.standard_normal((3, 4)), rng.standard_normal(4)
    plan = adjoint.compile(vector_code, cupy.asarray(W), cupy.asarray(x))
    g = plan(cupy.asarray(W), cupy.asarray(x))
    assert isinstance(g, cupy.ndarray)
    assert _close(cupy.asnumpy(g), adjoint.grad(vector_code)(W, x))


@pytest.mark.parametrize("method", ["levels", "spsolve"])
def test_triangular_solve_on_the_gpu(method):
    pattern = TriangularPattern(3, rows=[1, 2, 2], cols=[0, 0, 1])
    x = pattern.solve(cupy.asarray([2.0, 1.0, 3.0]), cupy.asarray([0.0, 0.0, 1.0]), method)
    assert np.allclose(cupy.asnumpy(x), [7.0, 3.0, 1.0])
