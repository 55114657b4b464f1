"""numpy.fft: values and gradients against autograd, plain values, and errors.

Each case scores the transform's complex output with fixed real weights on its real and
imaginary parts plus ``|y|²`` (so that second derivatives are not zero). Differentiated
arguments are real; complex inputs are built inside the case (``x + 1j * y``).

Where autograd's own rule is missing or wrong (real transforms of odd length, the norms
"backward" and "forward" given explicitly to the real transforms, hfft / ihfft), the
reference side (``np_`` is ``autograd.numpy``) computes the same function from autograd's
complex transforms, whose rules hold for every length and norm.
"""

import numpy
import pytest
from numpy.testing import assert_allclose
from test_grad_vs_autograd import Case, assert_case_matches_autograd, normal

import adjoint
import adjoint.numpy as anp
from graphs.errors import UnsupportedFunctionError
from graphs.tape import plain_value

autograd = pytest.importorskip("autograd")
agnp = pytest.importorskip("autograd.numpy")

RTOL, ATOL = 1e-10, 1e-12
pytestmark = pytest.mark.filterwarnings("ignore:Output seems independent of input")


def _weights(shape, k):
    return normal(shape, 500 + k)


def _score(np_, y, k=0):
    """A real scalar of every part of ``y``: weighted real and imaginary parts, and ``|y|²``."""
    shape = y.shape
    return (np_.sum(np_.real(y) * _weights(shape, k)) + np_.sum(np_.imag(y) * _weights(shape, k + 1))
            + 0.3 * np_.sum(np_.abs(y) ** 2))


def _is_reference(np_):
    return np_ is agnp


def _rfft_any(np_, x, n, norm):
    """``rfft`` along the last axis; on autograd's side from ``fft`` (autograd's rfft rule needs even n and norm None/"ortho")."""
    if _is_reference(np_):
        n = x.shape[-1] if n is None else n
        return np_.fft.fft(x, n, norm=norm)[..., : n // 2 + 1]
    return np_.fft.rfft(x, n, norm=norm)


def _hermitian_full(np_, z, n):
    """The length-``n`` Hermitian extension of the half spectrum ``z`` (last axis of length n // 2 + 1)."""
    m = n // 2 + 1
    mid = z[..., 1:m - 1] if n % 2 == 0 else z[..., 1:m]
    pieces = [np_.real(z[..., :1]) + 0j, mid]
    if n % 2 == 0:
        pieces.append(np_.real(z[..., m - 1:m]) + 0j)
    pieces.append(np_.conj(mid[..., ::-1]))
    return np_.concatenate(pieces, axis=-1)


def _irfft_any(np_, z, n, norm):
    """``irfft`` along the last axis; on autograd's side the inverse ``fft`` of the Hermitian extension."""
    if _is_reference(np_):
        return np_.real(np_.fft.ifft(_hermitian_full(np_, z, n), norm=norm))
    return np_.fft.irfft(z, n, norm=norm)


x55, y55 = normal((5, 5), 1) / 2, normal((5, 5), 2) / 2
x44, y44 = normal((4, 4), 3) / 2, normal((4, 4), 4) / 2
x43, y43 = normal((4, 3), 5) / 2, normal((4, 3), 6) / 2
x555 = normal((5, 5, 5), 7) / 4
x444, y444 = normal((4, 4, 4), 8) / 4, normal((4, 4, 4), 9) / 4
x443, y443 = normal((4, 4, 3), 10) / 4, normal((4, 4, 3), 11) / 4
x35, y35 = normal((3, 5), 12) / 2, normal((3, 5), 13) / 2

CASES = {}


def case(name, fun, *args, argnum=0, plain=False, second_order=True):
    assert name not in CASES, name
    CASES[name] = Case(fun, args, argnum, plain, second_order)


def _complex_case(name, transform, x, y, plain=False):
    case(name, lambda np_, x, y: _score(np_, transform(np_, x + 1j * y)), x, y, argnum=(0, 1), plain=plain)


# Complex-to-complex transforms.
for _norm in (None, "backward", "ortho", "forward"):
    case(f"fft-norm={_norm}", (lambda nm: lambda np_, x: _score(np_, np_.fft.fft(x, norm=nm)))(_norm), x55)
    case(f"ifft-norm={_norm}", (lambda nm: lambda np_, x: _score(np_, np_.fft.ifft(x, norm=nm)))(_norm), x55)
    _complex_case(f"fftn-complex-norm={_norm}",
                  (lambda nm: lambda np_, z: np_.fft.fftn(z, axes=(0, 2), norm=nm))(_norm), x444, y444)
case("fft-axis=0", lambda np_, x: _score(np_, np_.fft.fft(x, axis=0)), x55)
case("fft-n-smaller", lambda np_, x: _score(np_, np_.fft.fft(x, 3)), x55)
case("fft-n-bigger", lambda np_, x: _score(np_, np_.fft.fft(x, 7)), x55)
case("ifft-n-smaller", lambda np_, x: _score(np_, np_.fft.ifft(x, 3, axis=0)), x55)
case("ifft-n-bigger", lambda np_, x: _score(np_, np_.fft.ifft(x, 7)), x55)
_complex_case("fft-complex", lambda np_, z: np_.fft.fft(z), x55, y55)
_complex_case("ifft-complex", lambda np_, z: np_.fft.ifft(z, 6, axis=0), x55, y55)
case("fft2", lambda np_, x: _score(np_, np_.fft.fft2(x)), x55)
case("ifft2", lambda np_, x: _score(np_, np_.fft.ifft2(x)), x55)
case("fft2-s", lambda np_, x: _score(np_, np_.fft.fft2(x, s=[7, 3], axes=[0, 2])), x555)
case("ifft2-s", lambda np_, x: _score(np_, np_.fft.ifft2(x, s=[7, 3], axes=[0, 2])), x555)
case("fftn", lambda np_, x: _score(np_, np_.fft.fftn(x)), x555)
case("ifftn", lambda np_, x: _score(np_, np_.fft.ifftn(x)), x555)
case("fftn-s", lambda np_, x: _score(np_, np_.fft.fftn(x, s=[7, 3], axes=[0, 2])), x555)
case("ifftn-s", lambda np_, x: _score(np_, np_.fft.ifftn(x, s=[7, 3], axes=[0, 2])), x555)
case("fft-of-ifft", lambda np_, x: _score(np_, np_.fft.fft(np_.fft.ifft(x, axis=0) * x)), x55)

# Real transforms: autograd's rules (even lengths, norm None or "ortho").
case("rfft", lambda np_, x: _score(np_, np_.fft.rfft(x)), x44)
case("rfft-ortho", lambda np_, x: _score(np_, np_.fft.rfft(x, norm="ortho")), x44)
case("rfft-axis=0", lambda np_, x: _score(np_, np_.fft.rfft(x, axis=0)), x44)
case("rfft-n-smaller", lambda np_, x: _score(np_, np_.fft.rfft(x, 2)), x44)
case("rfft-n-bigger", lambda np_, x: _score(np_, np_.fft.rfft(x, 6)), x44)
_complex_case("irfft", lambda np_, z: np_.fft.irfft(z), x43, y43)
_complex_case("irfft-ortho", lambda np_, z: np_.fft.irfft(z, norm="ortho"), x43, y43)
_complex_case("irfft-n-smaller", lambda np_, z: np_.fft.irfft(z, 2), x43, y43)
_complex_case("irfft-n-bigger", lambda np_, z: np_.fft.irfft(z, 6), x43, y43)
case("irfft-of-rfft", lambda np_, x: _score(np_, np_.fft.irfft(np_.fft.rfft(x) * (1 + x[:, :3]))), x44)
case("rfft2", lambda np_, x: _score(np_, np_.fft.rfft2(x)), x44)
case("rfft2-s", lambda np_, x: _score(np_, np_.fft.rfft2(x, s=[6, 2], axes=[0, 2])), x444)
_complex_case("irfft2", lambda np_, z: np_.fft.irfft2(z), x43, y43)
_complex_case("irfft2-s", lambda np_, z: np_.fft.irfft2(z, s=[6, 2], axes=[0, 2]), x443, y443)
case("rfftn", lambda np_, x: _score(np_, np_.fft.rfftn(x)), x444)
case("rfftn-axes", lambda np_, x: _score(np_, np_.fft.rfftn(x, axes=(0, 2))), x444)
case("rfftn-s", lambda np_, x: _score(np_, np_.fft.rfftn(x, s=[6, 2], axes=[0, 2])), x444)
case("rfftn-subset", lambda np_, x: _score(np_, np_.fft.rfftn(x)[(0, 1, 0), (3, 3, 2)]), x444)
_complex_case("irfftn", lambda np_, z: np_.fft.irfftn(z), x443, y443)
_complex_case("irfftn-s", lambda np_, z: np_.fft.irfftn(z, s=[6, 2], axes=[0, 2]), x443, y443)
case("irfftn-subset", lambda np_, x: np_.sum(np_.fft.irfftn(np_.fft.rfftn(x) * 1.5)[(0, 1, 0), (3, 3, 2)] ** 2),
     x444)

# Real transforms beyond autograd's rules: odd lengths, explicit norms (reference from fft / ifft).
for _n in (None, 5, 7):
    for _norm in (None, "backward", "ortho", "forward"):
        case(f"rfft-any-n={_n}-norm={_norm}",
             (lambda n, nm: lambda np_, x: _score(np_, _rfft_any(np_, x, n, nm)))(_n, _norm), x35)
for _n in (4, 5, 6):
    for _norm in (None, "backward", "ortho", "forward"):
        _complex_case(f"irfft-any-n={_n}-norm={_norm}",
                      (lambda n, nm: lambda np_, z: _irfft_any(np_, z[:, : n // 2 + 1], n, nm))(_n, _norm),
                      x44, y44)
case("rfftn-odd", lambda np_, x: _score(np_, np_.fft.fftn(x)[..., :3] if _is_reference(np_) else np_.fft.rfftn(x)),
     x555)
case("hfft", lambda np_, x, y: _score(np_, _irfft_any(np_, np_.conj(x + 1j * y), 7, "forward")
                                      if _is_reference(np_) else np_.fft.hfft(x + 1j * y, 7)),
     x44, y44, argnum=(0, 1))
case("ihfft", lambda np_, x: _score(np_, np_.conj(_rfft_any(np_, x, None, "forward"))
                                    if _is_reference(np_) else np_.fft.ihfft(x)), x35)

# Shifts.
for _shift in ("fftshift", "ifftshift"):
    case(f"{_shift}-odd", (lambda f: lambda np_, x: np_.sum(getattr(np_.fft, f)(x) * x44[:1, :1] * x55 ** 2))(_shift),
         x55)
    case(f"{_shift}-even", (lambda f: lambda np_, x: np_.sum(getattr(np_.fft, f)(x) * x44 * x ** 2))(_shift), x44)
    case(f"{_shift}-axes", (lambda f: lambda np_, x: np_.sum(getattr(np_.fft, f)(x, axes=1) * y55 * x))(_shift), x55)
    case(f"{_shift}-axes-tuple",
         (lambda f: lambda np_, x: np_.sum(getattr(np_.fft, f)(x, axes=(0, 2)) * x555 * x))(_shift), x555)
    _complex_case(f"{_shift}-complex", (lambda f: lambda np_, z: getattr(np_.fft, f)(np_.fft.fft(z)))(_shift),
                  x55, y55)

# Plain numpy code applied to traced values (numpy's dispatch to these rules).
case("plain-fft", lambda np_, x: _score(np_, np_.fft.fft(x, 7, axis=0)), x55, plain=True)
case("plain-ifft2", lambda np_, x: _score(np_, np_.fft.ifft2(x)), x55, plain=True)
case("plain-rfftn", lambda np_, x: _score(np_, np_.fft.rfftn(x, axes=(0, 2))), x444, plain=True)
case("plain-irfft", lambda np_, x, y: _score(np_, np_.fft.irfft(x + 1j * y)), x43, y43, argnum=(0, 1), plain=True)
case("plain-fftshift", lambda np_, x: _score(np_, np_.fft.fftshift(np_.fft.fft(x))), x55, plain=True)


@pytest.mark.parametrize("name", list(CASES))
def test_grad_matches_autograd(name):
    assert_case_matches_autograd(CASES[name])


# --- complex arguments: the cotangent keeps autograd's convention -------------------------

z55 = x55 + 1j * y55
z43 = x43 + 1j * y43
COMPLEX_ARGUMENT = {
    "fft": (lambda np_, z: _score(np_, np_.fft.fft(z, 7)), z55),
    "ifftn": (lambda np_, z: _score(np_, np_.fft.ifftn(z, s=(3, 6), axes=(0, 1))), z55),
    "irfft": (lambda np_, z: _score(np_, np_.fft.irfft(z)), z43),
    "irfft-n": (lambda np_, z: _score(np_, np_.fft.irfft(z, 2)), z43),
    "irfftn": (lambda np_, z: _score(np_, np_.fft.irfftn(z, s=(3, 8), axes=(0, 1))), z43),
    "fftshift": (lambda np_, z: _score(np_, np_.fft.fftshift(z) * z), z55),
}


@pytest.mark.parametrize("name", list(COMPLEX_ARGUMENT))
def test_complex_argument_matches_autograd(name):
    fun, z = COMPLEX_ARGUMENT[name]
    ours = adjoint.grad(lambda z: fun(anp, z))(z)
    ref = autograd.grad(lambda z: fun(agnp, z))(z)
    assert numpy.iscomplexobj(ours) and ours.shape == z.shape
    assert_allclose(ours, ref, rtol=RTOL, atol=ATOL)


def test_real_argument_of_irfft_gets_a_real_gradient():
    g = adjoint.grad(lambda x: anp.sum(anp.fft.irfft(x) ** 2))(x43)
    ref = autograd.grad(lambda x: agnp.sum(agnp.fft.irfft(x) ** 2))(x43)
    assert g.dtype == numpy.float64
    assert_allclose(g, ref, rtol=RTOL, atol=ATOL)


def test_odd_rfft_matches_central_differences():
    def f(x):
        return anp.sum(anp.abs(anp.fft.rfftn(x, s=(3, 5), axes=(0, 1), norm="forward")) ** 2 * _weights((3, 3), 0))

    x = normal((3, 5), 20)
    g = adjoint.grad(f)(x)
    h = 1e-6
    fd = numpy.zeros_like(x)
    for i in numpy.ndindex(x.shape):
        e = numpy.zeros_like(x)
        e[i] = h
        fd[i] = (f(x + e) - f(x - e)) / (2 * h)
    assert_allclose(g, fd, rtol=1e-6, atol=1e-8)


def test_forward_mode_matches_reverse():
    def f(x):
        return anp.fft.irfft2(anp.fft.fft2(x) ** 2, s=(5, 5))

    v = normal((5, 5), 21)
    _, tangent = adjoint.jvp(f)(x55, v)
    jac = adjoint.jacobian(f)(x55)
    assert_allclose(tangent, numpy.tensordot(jac, v, axes=2), rtol=1e-9, atol=1e-11)


# --- plain values are numpy's ---------------------------------------------------------------

PLAIN = [
    ("fft", (z55,), {}), ("fft", (x55, 3), {"axis": 0, "norm": "ortho"}), ("ifft", (z55, 7), {"norm": "forward"}),
    ("fft2", (x555,), {"s": (6, 4)}), ("ifft2", (x555,), {"axes": (0, 2)}), ("fftn", (x555,), {}),
    ("ifftn", (x555,), {"s": [3, 2], "axes": [2, 0]}), ("rfft", (x55,), {"n": 7}), ("irfft", (z43,), {"n": 5}),
    ("rfft2", (x555,), {}), ("irfft2", (z55,), {"s": (4, 7)}), ("rfftn", (x555,), {"axes": (1,)}),
    ("irfftn", (z55,), {}), ("hfft", (z43,), {}), ("ihfft", (x55,), {"norm": "ortho"}),
    ("fftshift", (x55,), {}), ("ifftshift", (x555,), {"axes": (0, 2)}), ("fftshift", ([1, 2, 3],), {}),
]


@pytest.mark.parametrize("name, args, kwargs", PLAIN)
def test_plain_values_are_numpys(name, args, kwargs):
    ours = getattr(anp.fft, name)(*args, **kwargs)
    ref = getattr(numpy.fft, name)(*args, **kwargs)
    assert ours.dtype == ref.dtype and ours.shape == ref.shape
    numpy.testing.assert_array_equal(ours, ref)


@pytest.mark.parametrize("name, args, kwargs", [p for p in PLAIN if not isinstance(p[1][0], list)])
def test_traced_values_match_numpy(name, args, kwargs):
    x = args[0]
    seen = {}

    def f(xr):
        z = xr + 1j * numpy.imag(x) if numpy.iscomplexobj(x) else xr
        seen["y"] = getattr(anp.fft, name)(z, *args[1:], **kwargs)
        return anp.sum(anp.real(seen["y"]))

    adjoint.grad(f)(numpy.real(x))
    assert_allclose(plain_value(seen["y"]), getattr(numpy.fft, name)(*args, **kwargs), rtol=1e-12, atol=1e-12)


def test_adjoint_numpy_fft_keeps_numpys_other_functions():
    assert_allclose(anp.fft.fftfreq(5, 0.1), numpy.fft.fftfreq(5, 0.1))
    assert_allclose(anp.fft.rfftfreq(6), numpy.fft.rfftfreq(6))


# --- errors ---------------------------------------------------------------------------------

def test_out_argument_on_traced_values_is_an_error():
    out = numpy.zeros((5, 5), complex)
    with pytest.raises(UnsupportedFunctionError, match=r"numpy\.fft\.fft.*'out'"):
        adjoint.grad(lambda x: anp.sum(anp.real(numpy.fft.fft(x, out=out))))(x55)


def test_repeated_axes_of_a_real_transform_are_an_error():
    with pytest.raises(UnsupportedFunctionError, match=r"numpy\.fft\.rfftn.*'axes'"):
        adjoint.grad(lambda x: anp.sum(anp.real(anp.fft.rfftn(x, axes=(0, 0)))))(x55)
    with pytest.raises(UnsupportedFunctionError, match=r"numpy\.fft\.fftn.*'axes'"):
        adjoint.grad(lambda x: anp.sum(anp.real(anp.fft.fftn(x, s=(3, 4), axes=(1, 1)))))(x55)


def test_repeated_axes_of_equal_lengths_are_differentiated():
    def f(np_, x):
        return _score(np_, np_.fft.fftn(x, axes=(1, 1, 0)))

    ref = autograd.grad(lambda x: _score(agnp, agnp.fft.fft(agnp.fft.fft(agnp.fft.fft(x, axis=1), axis=1), axis=0)))
    assert_allclose(adjoint.grad(lambda x: f(anp, x))(x55), ref(x55), rtol=RTOL, atol=ATOL)
