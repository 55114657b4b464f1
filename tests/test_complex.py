"""Complex numbers as autograd defines them: cases against autograd, complex arguments, holomorphic_grad.

``CASES`` (real arguments, complex intermediates) run through ``test_grad_matches_autograd``
here and, as Hessian-vector products, through ``tests/test_second_order.py``.
``COMPLEX_CASES`` take complex arguments: autograd's gradient of a real-valued ``f`` of
``z = x + iy`` is ``∂f/∂x - i ∂f/∂y``; they are compared with autograd to first and second
order here (the shared second-order table takes real directions only).
"""

import numpy
import pytest
from numpy.testing import assert_allclose
from test_grad_vs_autograd import (
    ATOL,
    RTOL,
    Case,
    assert_case_matches_autograd,
    nonzero,
    normal,
    positive,
)

import adjoint
import adjoint.numpy as anp

autograd = pytest.importorskip("autograd")
agnp = pytest.importorskip("autograd.numpy")

pytestmark = pytest.mark.filterwarnings("ignore:Output seems independent of input")


def cnormal(shape, seed):
    r = numpy.random.default_rng(seed)
    return r.normal(size=shape) + 1j * r.normal(size=shape)


# ``z.real``, ``z.imag``, ``z.conj()`` on our traced values; autograd's boxes lack the first two.
def _re(np_, z):
    return np_.real(z) if np_ is agnp else z.real


def _im(np_, z):
    return np_.imag(z) if np_ is agnp else z.imag


def _conj(np_, z):
    return np_.conj(z) if np_ is agnp else z.conj()


Z3 = cnormal(3, 200)
Z23 = cnormal((2, 3), 201)
W3 = cnormal(3, 202)

# --- real arguments, complex intermediates ------------------------------------------------
CASES = {
    "real_of_complex_product": Case(lambda np_, x: np_.sum(np_.real(x * Z3) ** 2), (normal(3, 1),)),
    "imag_of_complex_product": Case(lambda np_, x: np_.sum(np_.imag(x * Z3) * x), (normal(3, 2),)),
    "abs_of_complex": Case(lambda np_, x: np_.sum(np_.abs(x + 1j * x ** 2)), (nonzero(3, 3),)),
    "abs_of_complex_exp": Case(lambda np_, x: np_.sum(np_.abs(np_.exp(1j * x) * (x + 2.0))), (normal(3, 4),)),
    "angle_of_complex": Case(lambda np_, x: np_.sum(np_.angle(x + 1j * np_.sin(x)) * x), (positive(3, 5),)),
    "conj_product": Case(lambda np_, x: np_.real(np_.sum(np_.conj(x * Z3) * (x * W3))), (normal(3, 7),)),
    "conjugate_ufunc": Case(lambda np_, x: np_.sum(np_.real(np_.conjugate(x * Z3) * Z3 * x)), (normal(3, 8),)),
    "complex_exp_sin": Case(lambda np_, x: np_.real(np_.sum(np_.sin(np_.exp(1j * x)) * Z3)), (normal(3, 9),)),
    "complex_broadcast": Case(lambda np_, x: np_.sum(np_.real((x * Z23) ** 2)), (normal(3, 10),)),
    "complex_broadcast_scalar": Case(lambda np_, x: np_.real(np_.sum(np_.exp(x * Z23))), (0.3,)),
    "complex_division": Case(lambda np_, x: np_.sum(np_.imag(Z3 / (x + 1j))), (normal(3, 11),)),
    "complex_matmul": Case(lambda np_, x: np_.real(np_.sum(np_.dot(Z23, x) ** 2)), (normal(3, 12),)),
    "attributes": Case(lambda np_, x: np_.sum(_re(np_, x * Z3) * _im(np_, x * W3) + _im(np_, _conj(np_, x * Z3))),
                       (normal(3, 13),)),
    "plain_numpy_dispatch": Case(lambda np_, x: np_.sum(np_.abs(np_.real(x * Z3) + 1j * np_.imag(x * W3))),
                                 (nonzero(3, 14),), plain=True),
    "abs_real_unchanged": Case(lambda np_, x: np_.sum(np_.abs(x) * x), (nonzero(4, 15),)),
    "astype_complex": Case(lambda np_, x: np_.sum(np_.abs(x.astype(complex) * Z3) ** 2), (normal(3, 16),)),
    "real_if_close": Case(lambda np_, x: np_.sum(np_.real_if_close(x * (1.0 + 1e-20j)) ** 2 * x), (normal(3, 18),)),
    "real_if_close_stays_complex": Case(lambda np_, x: np_.sum(np_.abs(np_.real_if_close(x * Z3)) ** 2),
                                        (normal(3, 19),)),
    "astype_float": Case(lambda np_, x: np_.sum((x * Z3).astype(float) ** 2), (normal(3, 17),)),
}

# --- complex arguments (autograd's convention) ---------------------------------------------
COMPLEX_CASES = {
    "real": (lambda np_, z: np_.sum(np_.real(z) ** 3), Z3),
    "imag": (lambda np_, z: np_.sum(np_.imag(z) ** 2 * np_.real(z)), Z3),
    "conj": (lambda np_, z: np_.real(np_.sum(np_.conj(z) * z * W3)), Z3),
    "abs": (lambda np_, z: np_.sum(np_.abs(z) ** 3), Z3),
    "angle": (lambda np_, z: np_.sum(np_.angle(z) * np_.abs(z)), Z3),
    "holomorphic_inside": (lambda np_, z: np_.real(np_.sum(np_.sin(z) * np_.exp(z) * W3)), Z23),
    "mixed_with_real_constant": (lambda np_, z: np_.sum(np_.abs(z * normal(3, 20) + 1.0)), Z3),
    "scalar": (lambda np_, z: np_.abs(z ** 2 + 1.0) + np_.imag(z), 0.7 - 0.4j),
    "real_if_close": (lambda np_, z: np_.sum(np_.real(np_.real_if_close(z * z)) * np_.imag(z)), Z3),
    "attributes": (lambda np_, z: np_.sum(_re(np_, z) * _im(np_, z) + _re(np_, _conj(np_, z * z))), Z3),
}


@pytest.mark.parametrize("name", list(CASES))
def test_grad_matches_autograd(name):
    assert_case_matches_autograd(CASES[name])


def _assert_same_complex(ours, ref, arg):
    assert numpy.iscomplexobj(ours), type(ours)
    assert numpy.shape(ours) == numpy.shape(arg)
    assert_allclose(ours, ref, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", list(COMPLEX_CASES))
def test_complex_argument_grad_matches_autograd(name):
    fun, z = COMPLEX_CASES[name]
    ours_v, ours_g = adjoint.value_and_grad(lambda z: fun(anp, z))(z)
    ref_v, ref_g = autograd.value_and_grad(lambda z: fun(agnp, z))(z)
    assert_allclose(ours_v, ref_v, rtol=RTOL, atol=ATOL)
    _assert_same_complex(ours_g, ref_g, z)


def _hvp(grad, np_, fun, z, v):
    # The real inner product of the complex gradient with a complex direction.
    return grad(lambda z: np_.real(np_.sum(grad(lambda z: fun(np_, z))(z) * v)))(z)


@pytest.mark.parametrize("name", list(COMPLEX_CASES))
def test_complex_argument_second_order_matches_autograd(name):
    fun, z = COMPLEX_CASES[name]
    v = cnormal(numpy.shape(z), 30) if numpy.ndim(z) else complex(cnormal((), 30))
    ours = _hvp(adjoint.grad, anp, fun, z, v)
    ref = _hvp(autograd.grad, agnp, fun, z, v)
    _assert_same_complex(ours, ref, z)
    # forward over reverse: the JVP of the gradient in the direction v
    g = adjoint.grad(lambda z: fun(anp, z))
    ref_f = autograd.make_jvp(autograd.grad(lambda z: fun(agnp, z)))(z)(v)[1]
    assert_allclose(adjoint.jvp(g)(z, v)[1], ref_f, rtol=RTOL, atol=ATOL)


def test_grad_of_real_part_keeps_the_argument_kind():
    df = adjoint.grad(lambda x: anp.sum(anp.real(x)))
    assert numpy.isrealobj(df(2.0)) and numpy.iscomplexobj(df(1.0j))
    assert df(numpy.ones(2)).dtype == numpy.float64
    assert df(numpy.ones(2, dtype=complex)).dtype == numpy.complex128


def test_real_argument_gets_the_real_part_of_a_complex_cotangent():
    # d/dx Re((x + i)^2) = 2x; the imaginary part of the complex cotangent is dropped.
    g = adjoint.grad(lambda x: anp.real((x + 1j) ** 2))(1.5)
    assert type(g) is float and g == pytest.approx(3.0)


def test_holomorphic_grad_matches_autograd():
    for fun, z in [(lambda np_, z: z * (1.0 + 0.2j), 1.0 + 0.0j),
                   (lambda np_, z: np_.sin(z) * np_.exp(z ** 2), 0.3 - 0.8j),
                   (lambda np_, z: np_.sum(np_.tanh(z) * W3), Z3)]:
        ours = adjoint.holomorphic_grad(lambda z, fun=fun: fun(anp, z))(z)
        ref = autograd.holomorphic_grad(lambda z, fun=fun: fun(agnp, z))(z)
        _assert_same_complex(ours, ref, z)


def test_holomorphic_grad_of_a_real_argument_warns():
    with pytest.warns(UserWarning, match="not complex"):
        assert adjoint.holomorphic_grad(lambda x: x ** 3)(2.0) == pytest.approx(12.0)


def test_grad_of_a_complex_result_is_refused():
    with pytest.raises(adjoint.UnsupportedFunctionError, match="complex"):
        adjoint.grad(lambda z: z ** 2)(1.0 + 2.0j)


def test_jvp_of_complex_functions_matches_autograd():
    fun = lambda np_, x: np_.abs(np_.exp(1j * x) * (x + 2.0)) + np_.angle(x + 1j)  # noqa: E731
    x, t = normal(3, 40), normal(3, 41)
    ours = adjoint.jvp(lambda x: fun(anp, x))(x, t)[1]
    ref = autograd.make_jvp(lambda x: fun(agnp, x))(x)(t)[1]
    assert_allclose(ours, ref, rtol=RTOL, atol=ATOL)
    assert ours.dtype == numpy.float64
    # a complex result of a real argument has a complex tangent
    ours_c = adjoint.jvp(lambda x: anp.exp(1j * x))(x, t)[1]
    assert_allclose(ours_c, 1j * numpy.exp(1j * x) * t, rtol=RTOL)


def test_angle_in_degrees_is_radians_scaled():
    # autograd's angle takes no deg; ours is the radian gradient times 180 / pi.
    x = positive(3, 6)
    deg = adjoint.grad(lambda x: anp.sum(anp.angle(x * Z3 + 1.0, deg=True)))(x)
    rad = adjoint.grad(lambda x: anp.sum(anp.angle(x * Z3 + 1.0)))(x)
    assert numpy.all(numpy.abs(rad) > 1e-3)
    assert_allclose(deg, rad * 180.0 / numpy.pi, rtol=RTOL)


def test_plain_values_are_numpys():
    z = numpy.array([1 + 2j, -3.0 + 0.5j])
    assert_allclose(anp.real(z), numpy.real(z))
    assert_allclose(anp.imag(z), numpy.imag(z))
    assert_allclose(anp.conj(z), numpy.conj(z))
    assert_allclose(anp.conjugate(z), numpy.conjugate(z))
    assert_allclose(anp.angle(z), numpy.angle(z))
    assert_allclose(anp.angle(z, deg=True), numpy.angle(z, deg=True))
    assert anp.real(2.0) == 2.0 and anp.imag(2.0) == 0.0


def test_traced_complex_values_have_their_dtype():
    seen = {}

    def f(x):
        z = x * (1.0 + 1j)
        seen["dtype"], seen["real"] = z.dtype, z.real.dtype
        return anp.sum(z.real)

    adjoint.grad(f)(numpy.ones(2))
    assert seen == {"dtype": numpy.complex128, "real": numpy.float64}
