"""dtypes of values and derivatives, as autograd keeps them.

float32 (and float16, longdouble, complex) arguments give derivatives of their own dtype, for
grad, value_and_grad, jvp, jacobian and hessian; integer and boolean arrays are differentiated
as float64, whose gradient is float64 (autograd's too).
"""

import numpy
import pytest
from numpy.testing import assert_allclose

import adjoint
import adjoint.numpy as anp

autograd = pytest.importorskip("autograd")
agnp = pytest.importorskip("autograd.numpy")

X32 = numpy.random.default_rng(0).normal(size=(3,)).astype(numpy.float32)


def f(np_, x):
    return np_.sum(np_.sin(x) ** 2 * x)


def test_grad_and_value_and_grad_keep_float32():
    value, g = adjoint.value_and_grad(lambda x: f(anp, x))(X32)
    ref_value, ref_g = autograd.value_and_grad(lambda x: f(agnp, x))(X32)
    assert g.dtype == ref_g.dtype == numpy.float32
    assert numpy.result_type(value) == numpy.result_type(ref_value) == numpy.float32
    assert_allclose(g, ref_g, rtol=1e-5)
    assert adjoint.grad(lambda x: f(anp, x))(X32).dtype == numpy.float32


def test_jvp_keeps_float32():
    value, tangent = adjoint.jvp(anp.sin)(X32, numpy.ones(3, dtype=numpy.float32))
    ref = autograd.make_jvp(agnp.sin)(X32)(numpy.ones(3, dtype=numpy.float32))
    assert value.dtype == tangent.dtype == ref[1].dtype == numpy.float32
    assert_allclose(tangent, ref[1], rtol=1e-6)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_jacobian_keeps_float32(mode):
    J = adjoint.jacobian(lambda x: anp.sin(x) * x[0], mode=mode)(X32)
    ref = autograd.jacobian(lambda x: agnp.sin(x) * x[0])(X32)
    assert J.dtype == ref.dtype == numpy.float32
    assert_allclose(J, ref, rtol=1e-5, atol=1e-6)
    assert adjoint.jacobian(lambda x: numpy.ones(2))(X32).dtype == numpy.float32


def test_second_derivatives_keep_float32():
    H = adjoint.hessian(lambda x: f(anp, x))(X32)
    ref = autograd.hessian(lambda x: f(agnp, x))(X32)
    assert H.dtype == ref.dtype == numpy.float32
    assert_allclose(H, ref, rtol=1e-4, atol=1e-5)
    v = numpy.ones(3, dtype=numpy.float32)
    assert adjoint.hessian_vector_product(lambda x: f(anp, x))(X32, v).dtype == numpy.float32
    assert adjoint.jvp(adjoint.grad(lambda x: f(anp, x)))(X32, v)[1].dtype == numpy.float32


@pytest.mark.parametrize("dtype", [numpy.float16, numpy.float32, numpy.longdouble, numpy.complex64, numpy.clongdouble])
def test_grad_has_the_arguments_dtype(dtype):
    # autograd's test_wrappers.test_dtypes, and complex dtypes.
    y = numpy.random.default_rng(1).normal(size=(4, 4)).astype(dtype)
    ours = adjoint.grad(lambda x: anp.real(anp.sum(x ** 2)))(y)
    ref = autograd.grad(lambda x: agnp.real(agnp.sum(x ** 2)))(y)
    assert ours.dtype == ref.dtype == dtype


def test_numpy_scalar_arguments_give_scalars_of_their_type():
    g = adjoint.grad(lambda x: x * 2.0)(numpy.float32(2.0))
    ref = autograd.grad(lambda x: x * 2.0)(numpy.float32(2.0))
    assert type(g) is type(ref) is numpy.float32 and g == ref
    assert type(adjoint.grad(lambda x: anp.real(x ** 2))(numpy.complex64(1 + 1j))) is numpy.complex64


@pytest.mark.parametrize("x", [numpy.array([1, 2]), numpy.array([1, 2], dtype=numpy.int32), numpy.array([True, False])])
def test_integer_and_boolean_arrays_differentiate_as_float64(x):
    ours = adjoint.grad(lambda x: anp.sum(x * x * 1.5))(x)
    ref = autograd.grad(lambda x: agnp.sum(x * x * 1.5))(x)
    assert ours.dtype == ref.dtype == numpy.float64
    assert_allclose(ours, ref)


def test_integer_scalars_are_accepted_as_floats():
    # autograd refuses Python ints ("Can't differentiate w.r.t. type int"); adjoint takes them as floats.
    assert adjoint.grad(lambda x: x * x)(3) == 6.0


def test_astype_casts_and_its_cotangent_is_cast_back():
    def fun(np_, x):
        return np_.sum(np_.sin(x.astype(numpy.float32)) * 2.0)

    x = numpy.array([0.5, 1.0])
    ours = adjoint.grad(lambda x: fun(anp, x))(x)
    ref = autograd.grad(lambda x: fun(agnp, x))(x)
    assert ours.dtype == ref.dtype == numpy.float64
    assert_allclose(ours, ref, rtol=1e-6)
    # a cast's value on traced arguments is numpy's
    seen = {}

    def record(x):
        y = x.astype(numpy.float32)
        seen["dtype"] = y.dtype
        return anp.sum(y)

    adjoint.grad(record)(x)
    assert seen["dtype"] == numpy.float32


def test_second_order_through_astype():
    x = numpy.array([0.5, 1.0])
    fun = lambda np_, x: np_.sum(np_.sin(x.astype(complex) * (1 + 1j)).real ** 2)  # noqa: E731
    ours = adjoint.hessian(lambda x: fun(anp, x))(x)
    ref = autograd.hessian(lambda x: agnp.sum(agnp.real(agnp.sin(x.astype(complex) * (1 + 1j))) ** 2))(x)
    assert_allclose(ours, ref, rtol=1e-10)
