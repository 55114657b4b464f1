"""The GPU code paths of compiled plans, run on the host through a stand-in ``cupy`` module.

No GPU is needed: a fake ``cupy`` whose arrays are a numpy subclass (their type's module is
``cupy``) sends ``solvers.backend.array_namespace`` and the plan down their non-numpy
branches (device copies of index arrays, ``cupyx`` sparse solves, transfers home). This
checks the plumbing only; tests/test_gpu.py runs the real thing where cupy and a GPU exist.
"""

import importlib
import sys
import types

import numpy as np
import pytest
import scipy.sparse
import scipy.sparse.linalg
from plan_cases import _close, _wide_args, vector_code, wide_program

import adjoint
import adjoint.numpy as anp


class FakeDeviceArray(np.ndarray):
    """A numpy array that says it belongs to cupy."""

    def get(self):
        return np.asarray(self).view(np.ndarray).copy()


FakeDeviceArray.__module__ = "cupy"


def _device(x):
    return np.asarray(x).view(FakeDeviceArray)


def _wrap(fn):
    return lambda *args, **kwargs: _device(fn(*[_host(a) for a in args], **kwargs))


def _host(x):
    return x.view(np.ndarray) if isinstance(x, FakeDeviceArray) else x


@pytest.fixture
def fake_cupy(monkeypatch):
    cupy = types.ModuleType("cupy")
    for name in ("empty", "zeros", "ones", "asarray", "array", "stack", "bincount", "take", "concatenate"):
        setattr(cupy, name, _wrap(getattr(np, name)))
    cupy.float64, cupy.ndarray = np.float64, FakeDeviceArray
    cupyx = types.ModuleType("cupyx")
    cupyx_scipy = types.ModuleType("cupyx.scipy")
    sparse = types.ModuleType("cupyx.scipy.sparse")
    sparse.csc_matrix = lambda arg, shape: scipy.sparse.csc_matrix(tuple(_host(a) for a in arg), shape=shape)
    sparse.issparse = scipy.sparse.issparse
    linalg = types.ModuleType("cupyx.scipy.sparse.linalg")
    calls = []

    def spsolve_triangular(A, b, lower=True, unit_diagonal=False):
        calls.append(A.format)
        return _device(scipy.sparse.linalg.spsolve_triangular(A, _host(b), lower=lower, unit_diagonal=unit_diagonal))

    linalg.spsolve_triangular = spsolve_triangular
    for name, module in (("cupy", cupy), ("cupyx", cupyx), ("cupyx.scipy", cupyx_scipy),
                         ("cupyx.scipy.sparse", sparse), ("cupyx.scipy.sparse.linalg", linalg)):
        monkeypatch.setitem(sys.modules, name, module)
    assert importlib.import_module("cupy") is cupy
    cupy.spsolve_calls = calls
    return cupy


@pytest.mark.parametrize("backward", ["levels", "spsolve"])
def test_scalar_engine_through_the_gpu_namespace(fake_cupy, backward):
    rng = np.random.default_rng(3)
    args = _wide_args(rng)
    plan = adjoint.compile(wide_program, *args, engine="scalar", backward=backward, backend="cupy")
    new = _wide_args(rng)
    value, g = plan.value_and_grad(*new)
    ref_value, ref_g = adjoint.value_and_grad(wide_program)(*new)
    assert _close(value, ref_value) and _close(g, ref_g)
    runner = next(iter(plan._variants.values()))[0].runner
    assert runner.forward_mode == "levels"  # record by record is host-only
    assert all(isinstance(a, FakeDeviceArray) for a in runner._device.values() if isinstance(a, np.ndarray))
    assert bool(fake_cupy.spsolve_calls) == (backward == "spsolve")
    if backward == "spsolve":
        assert fake_cupy.spsolve_calls[0] == "csr"  # cupyx solves CSR systems


def test_backend_follows_the_arguments(fake_cupy):
    rng = np.random.default_rng(4)
    W, x = _device(rng.standard_normal((3, 4))), _device(rng.standard_normal(4))
    plan = adjoint.compile(vector_code, W, x)
    assert plan.engine == "tape"
    g = plan(W, x)
    assert isinstance(g, FakeDeviceArray)
    assert _close(_host(g), adjoint.grad(vector_code)(_host(W), _host(x)))
    assert next(iter(plan._variants)) [0] == "cupy"


def test_unknown_backend_is_refused():
    with pytest.raises(adjoint.InvalidArgumentError, match="backend"):
        adjoint.compile(lambda x: anp.sum(x), np.ones(2), backend="tpu")
