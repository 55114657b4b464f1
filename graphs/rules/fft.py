"""Derivative rules of numpy.fft (fft, ifft, rfft, irfft and their n-d forms, fftshift).

Every transform is linear, so its JVP is the transform of the tangent and its VJP the
transpose applied to the cotangent, with autograd's convention for complex values: the
cotangent of a complex value ``z`` is ``∂L/∂Re z - i ∂L/∂Im z``, so a complex-linear map
``A`` has the VJP ``Aᵀ g`` (no conjugation) and a real argument keeps the real part.

* ``fftn`` / ``ifftn``: the DFT matrix is symmetric, so the VJP is the same transform, taken
  back to the argument's shape (truncated where ``s`` padded it, padded with zeros where
  ``s`` cut it).
* ``rfftn`` keeps the first ``n // 2 + 1`` frequencies of the last axis of a full ``fftn``;
  its transpose pads the cotangent with zeros up to ``n`` and applies ``fftn``.
* ``irfftn`` is real-linear in its complex argument (it reads the Hermitian half, and drops
  the imaginary parts of the zero and Nyquist frequencies); its transpose is the conjugated
  ``rfftn`` of the cotangent under the opposite normalisation, with the frequencies that the
  Hermitian extension counts twice weighted by 2.
* ``fftshift`` / ``ifftshift`` are permutations, inverse to each other.

Unlike autograd's, the rules of the real transforms hold for odd lengths and for every
``norm`` ("backward", "ortho", "forward"). The 1-d and 2-d functions apply the n-d
primitives with one or two axes. ``hfft`` / ``ihfft`` (which autograd does not
differentiate) are numpy's compositions of ``irfft`` / ``rfft`` with ``conj``.

EQUIVALENTS maps each numpy / scipy function of this family to its traced version, for
numpy's dispatch (merged into graphs.numpy_functions.NUMPY_EQUIVALENTS); __all__
lists the traced functions by their numpy names.
"""

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from ..errors import UnsupportedFunctionError
from ..primitive import defjvp, defvjp, primitive
from ..tape import Traced, plain_value

__all__ = ["fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2", "rfftn",
           "irfftn", "hfft", "ihfft", "fftshift", "ifftshift"]

# --- primitives: the n-d transforms over explicit axes and lengths -----------------------

fftn_p = primitive(lambda x, s, axes, norm: np.fft.fftn(x, s, axes, norm), "fft_fftn")
ifftn_p = primitive(lambda x, s, axes, norm: np.fft.ifftn(x, s, axes, norm), "fft_ifftn")
rfftn_p = primitive(lambda x, s, axes, norm: np.fft.rfftn(x, s, axes, norm), "fft_rfftn")
irfftn_p = primitive(lambda x, s, axes, norm: np.fft.irfftn(x, s, axes, norm), "fft_irfftn")
fftshift_p = primitive(lambda x, axes: np.fft.fftshift(x, axes), "fft_fftshift")
ifftshift_p = primitive(lambda x, axes: np.fft.ifftshift(x, axes), "fft_ifftshift")

_DUAL_NORM = {None: "forward", "backward": "forward", "ortho": "ortho", "forward": "backward"}


def _fit(x, shape):
    """``x`` cut or padded with zeros (at the end of each axis) to ``shape``: the transpose of itself."""
    xshape = np.shape(x)
    if tuple(xshape) == tuple(shape):
        return x
    cut = tuple(slice(0, min(have, want)) for have, want in zip(xshape, shape))
    if any(have > want for have, want in zip(xshape, shape)):
        x = x[cut]
    dtype = np.result_type(plain_value(x))
    for axis, want in enumerate(shape):
        have = np.shape(x)[axis]
        if have < want:
            zeros_shape = list(np.shape(x))
            zeros_shape[axis] = want - have
            x = np.concatenate([x, np.zeros(zeros_shape, dtype=dtype)], axis=axis)
    return x


def _like(x, c):
    """The cotangent ``c`` of ``x`` as ``x``'s kind: its real part where ``x`` is real."""
    return c if np.iscomplexobj(plain_value(x)) else np.real(c)


def _with_length(shape, axis, n):
    shape = list(shape)
    shape[axis] = n
    return tuple(shape)


def _hermitian_weights(n, axis, ndim):
    """Along ``axis``, how many times the Hermitian extension to length ``n`` counts each of the half's frequencies."""
    w = np.full(n // 2 + 1, 2.0)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    return w.reshape((-1,) + (1,) * (ndim - axis - 1))


def _fftn_vjp(g, ans, x, s, axes, norm):
    return _like(x, _fit(fftn_p(g, s=s, axes=axes, norm=norm), np.shape(x)))


def _ifftn_vjp(g, ans, x, s, axes, norm):
    return _like(x, _fit(ifftn_p(g, s=s, axes=axes, norm=norm), np.shape(x)))


def _rfftn_vjp(g, ans, x, s, axes, norm):
    full = _fit(g, _with_length(np.shape(g), axes[-1], s[-1]))
    return np.real(_fit(fftn_p(full, s=s, axes=axes, norm=norm), np.shape(x)))


def _irfftn_vjp(g, ans, x, s, axes, norm):
    half = np.conj(rfftn_p(g, s=s, axes=axes, norm=_DUAL_NORM.get(norm, norm)))
    half = half * _hermitian_weights(s[-1], axes[-1], np.ndim(g))
    return _like(x, _fit(half, np.shape(x)))


defvjp(fftn_p, _fftn_vjp)
defvjp(ifftn_p, _ifftn_vjp)
defvjp(rfftn_p, _rfftn_vjp)
defvjp(irfftn_p, _irfftn_vjp)
defvjp(fftshift_p, lambda g, ans, x, axes: ifftshift_p(g, axes=axes))
defvjp(ifftshift_p, lambda g, ans, x, axes: fftshift_p(g, axes=axes))

defjvp(fftn_p, lambda t, ans, x, s, axes, norm: fftn_p(t, s=s, axes=axes, norm=norm))
defjvp(ifftn_p, lambda t, ans, x, s, axes, norm: ifftn_p(t, s=s, axes=axes, norm=norm))
defjvp(rfftn_p, lambda t, ans, x, s, axes, norm: rfftn_p(t, s=s, axes=axes, norm=norm))
defjvp(irfftn_p, lambda t, ans, x, s, axes, norm: irfftn_p(t, s=s, axes=axes, norm=norm))
defjvp(fftshift_p, lambda t, ans, x, axes: fftshift_p(t, axes=axes))
defjvp(ifftshift_p, lambda t, ans, x, axes: ifftshift_p(t, axes=axes))


# --- numpy-signature functions -----------------------------------------------------------

def _check_out(name, out):
    if out is not None:
        raise UnsupportedFunctionError(
            f"numpy.fft.{name} of a traced value: argument 'out' would be written in place, "
            f"which drops the derivative; use the returned array")


def _resolve(name, a, s, axes, real_output):
    """Explicit ``(s, axes)`` of an n-d transform of ``a``, as numpy reads its defaults.

    ``real_output``: the transform is ``irfftn``, whose default last length is ``2 (m - 1)``.
    """
    shape = np.shape(a)
    if axes is None:
        axes = range(len(shape)) if s is None else range(-len(s), 0)
    axes = tuple(normalize_axis_index(int(ax), len(shape)) for ax in np.atleast_1d(axes))
    if s is None:
        s = [-1] * len(axes)
    s = list(np.atleast_1d(s))
    if len(s) != len(axes):
        raise ValueError(f"numpy.fft.{name}: s and axes must have the same length")
    for k, (n, ax) in enumerate(zip(s, axes)):
        if n == -1:
            n = 2 * (shape[ax] - 1) if real_output and k == len(axes) - 1 else shape[ax]
        s[k] = int(n)
    if len(set(axes)) != len(axes):
        repeated_lengths = {ax: {n for n, b in zip(s, axes) if b == ax} for ax in axes}
        if name.startswith(("r", "ir")) or any(len(v) > 1 for v in repeated_lengths.values()):
            raise UnsupportedFunctionError(
                f"numpy.fft.{name} of a traced value: argument 'axes' repeats an axis "
                f"{'(of a real transform)' if name.startswith(('r', 'ir')) else 'with different lengths s'}, "
                f"whose derivative is not supported")
    return tuple(s), axes


def _transform(name, numpy_fun, prim, real_output, a, s, axes, norm, out, one_axis=False):
    if a.__class__ is not Traced:
        return numpy_fun(a, s, axes, norm, out=out)
    _check_out(name, out)
    if one_axis:
        s = None if s is None else (s,)
        axes = (axes,)
    s, axes = _resolve(name, a, s, axes, real_output)
    return prim(a, s=s, axes=axes, norm=norm)


def fft(a, n=None, axis=-1, norm=None, out=None):
    """numpy.fft.fft: the 1-d discrete Fourier transform, traced.

    Examples
    --------
    >>> import adjoint, adjoint.numpy as anp
    >>> float(adjoint.grad(lambda x: anp.sum(anp.real(anp.fft.fft(x))))(anp.ones(3))[0])
    3.0
    """
    return _transform("fft", np.fft.fft, fftn_p, False, a, n, axis, norm, out, one_axis=True)


def ifft(a, n=None, axis=-1, norm=None, out=None):
    """numpy.fft.ifft: the 1-d inverse discrete Fourier transform, traced.

    Examples
    --------
    >>> import adjoint, adjoint.numpy as anp
    >>> adjoint.grad(lambda x: anp.real(anp.fft.ifft(x)[0]))(anp.ones(4))
    array([0.25, 0.25, 0.25, 0.25])
    """
    return _transform("ifft", np.fft.ifft, ifftn_p, False, a, n, axis, norm, out, one_axis=True)


def rfft(a, n=None, axis=-1, norm=None, out=None):
    """numpy.fft.rfft: the 1-d transform of a real array (non-negative frequencies), traced.

    Examples
    --------
    >>> import adjoint, adjoint.numpy as anp
    >>> adjoint.grad(lambda x: anp.imag(anp.fft.rfft(x)[1]))(anp.ones(4))
    array([ 0., -1.,  0.,  1.])
    """
    return _transform("rfft", np.fft.rfft, rfftn_p, False, a, n, axis, norm, out, one_axis=True)


def irfft(a, n=None, axis=-1, norm=None, out=None):
    """numpy.fft.irfft: the inverse of rfft (a real array from its non-negative frequencies), traced.

    Examples
    --------
    >>> import adjoint, adjoint.numpy as anp
    >>> adjoint.grad(lambda x: anp.fft.irfft(x)[0])(anp.ones(3, dtype=complex))
    array([0.25+0.j, 0.5 +0.j, 0.25+0.j])
    """
    return _transform("irfft", np.fft.irfft, irfftn_p, True, a, n, axis, norm, out, one_axis=True)


def fftn(a, s=None, axes=None, norm=None, out=None):
    """numpy.fft.fftn: the n-d discrete Fourier transform, traced.

    Examples
    --------
    >>> import adjoint, adjoint.numpy as anp
    >>> adjoint.grad(lambda x: anp.real(anp.fft.fftn(x)[0, 0]))(anp.ones((2, 2)))
    array([[1., 1.],
           [1., 1.]])
    """
    return _transform("fftn", np.fft.fftn, fftn_p, False, a, s, axes, norm, out)


def ifftn(a, s=None, axes=None, norm=None, out=None):
    """numpy.fft.ifftn: the n-d inverse discrete Fourier transform, traced.

    Examples
    --------
    >>> import adjoint, adjoint.numpy as anp
    >>> adjoint.grad(lambda x: anp.real(anp.fft.ifftn(x)[0, 0]))(anp.ones((2, 2)))
    array([[0.25, 0.25],
           [0.25, 0.25]])
    """
    return _transform("ifftn", np.fft.ifftn, ifftn_p, False, a, s, axes, norm, out)


def rfftn(a, s=None, axes=None, norm=None, out=None):
    """numpy.fft.rfftn: the n-d transform of a real array (half of the last axis), traced.

    Examples
    --------
    >>> import adjoint, adjoint.numpy as anp
    >>> adjoint.grad(lambda x: anp.real(anp.fft.rfftn(x)[0, 0]))(anp.ones((2, 2)))
    array([[1., 1.],
           [1., 1.]])
    """
    return _transform("rfftn", np.fft.rfftn, rfftn_p, False, a, s, axes, norm, out)


def irfftn(a, s=None, axes=None, norm=None, out=None):
    """numpy.fft.irfftn: the inverse of rfftn, traced.

    Examples
    --------
    >>> import adjoint, adjoint.numpy as anp
    >>> adjoint.grad(lambda x: anp.fft.irfftn(x)[0, 0])(anp.ones((2, 2), dtype=complex))
    array([[0.25+0.j, 0.25+0.j],
           [0.25+0.j, 0.25+0.j]])
    """
    return _transform("irfftn", np.fft.irfftn, irfftn_p, True, a, s, axes, norm, out)


def fft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """numpy.fft.fft2: the 2-d discrete Fourier transform (fftn over two axes), traced.

    Examples
    --------
    >>> import adjoint, adjoint.numpy as anp
    >>> adjoint.grad(lambda x: anp.real(anp.fft.fft2(x)[1, 0]))(anp.ones((2, 2)))
    array([[ 1.,  1.],
           [-1., -1.]])
    """
    return _transform("fft2", np.fft.fft2, fftn_p, False, a, s, axes, norm, out)


def ifft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """numpy.fft.ifft2: the 2-d inverse discrete Fourier transform, traced.

    Examples
    --------
    >>> import adjoint, adjoint.numpy as anp
    >>> adjoint.grad(lambda x: anp.real(anp.fft.ifft2(x)[0, 1]))(anp.ones((2, 2)))
    array([[ 0.25, -0.25],
           [ 0.25, -0.25]])
    """
    return _transform("ifft2", np.fft.ifft2, ifftn_p, False, a, s, axes, norm, out)


def rfft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """numpy.fft.rfft2: the 2-d transform of a real array, traced.

    Examples
    --------
    >>> import adjoint, adjoint.numpy as anp
    >>> adjoint.grad(lambda x: anp.real(anp.fft.rfft2(x)[0, 1]))(anp.ones((2, 2)))
    array([[ 1., -1.],
           [ 1., -1.]])
    """
    return _transform("rfft2", np.fft.rfft2, rfftn_p, False, a, s, axes, norm, out)


def irfft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """numpy.fft.irfft2: the inverse of rfft2, traced.

    Examples
    --------
    >>> import adjoint, adjoint.numpy as anp
    >>> adjoint.grad(lambda x: anp.fft.irfft2(x)[0, 0])(anp.ones((2, 2), dtype=complex))
    array([[0.25+0.j, 0.25+0.j],
           [0.25+0.j, 0.25+0.j]])
    """
    return _transform("irfft2", np.fft.irfft2, irfftn_p, True, a, s, axes, norm, out)


def hfft(a, n=None, axis=-1, norm=None, out=None):
    """numpy.fft.hfft: the transform of a Hermitian-symmetric signal (``irfft`` of ``conj(a)``), traced.

    Examples
    --------
    >>> import adjoint, adjoint.numpy as anp
    >>> adjoint.grad(lambda x: anp.fft.hfft(x)[0])(anp.ones(3, dtype=complex))
    array([1.-0.j, 2.-0.j, 1.-0.j])
    """
    if a.__class__ is not Traced:
        return np.fft.hfft(a, n, axis, norm, out=out)
    _check_out("hfft", out)
    return irfft(np.conj(a), n, axis, norm=_DUAL_NORM.get(norm, norm))


def ihfft(a, n=None, axis=-1, norm=None, out=None):
    """numpy.fft.ihfft: the inverse of hfft (``conj`` of ``rfft``), traced.

    Examples
    --------
    >>> import adjoint, adjoint.numpy as anp
    >>> adjoint.grad(lambda x: anp.imag(anp.fft.ihfft(x)[1]))(anp.ones(4))
    array([ 0.  ,  0.25,  0.  , -0.25])
    """
    if a.__class__ is not Traced:
        return np.fft.ihfft(a, n, axis, norm, out=out)
    _check_out("ihfft", out)
    return np.conj(rfft(a, n, axis, norm=_DUAL_NORM.get(norm, norm)))


def _shift_axes(x, axes):
    if axes is None:
        return None
    return tuple(int(ax) for ax in np.atleast_1d(axes)) if np.ndim(axes) else int(axes)


def fftshift(x, axes=None):
    """numpy.fft.fftshift: the zero frequency moved to the centre, traced.

    Examples
    --------
    >>> import adjoint, adjoint.numpy as anp
    >>> adjoint.grad(lambda x: anp.fft.fftshift(x)[0] * 1.0)(anp.ones(3))
    array([0., 0., 1.])
    """
    if x.__class__ is not Traced:
        return np.fft.fftshift(x, axes)
    return fftshift_p(x, axes=_shift_axes(x, axes))


def ifftshift(x, axes=None):
    """numpy.fft.ifftshift: the inverse of fftshift, traced.

    Examples
    --------
    >>> import adjoint, adjoint.numpy as anp
    >>> adjoint.grad(lambda x: anp.fft.ifftshift(x)[0] * 1.0)(anp.ones(3))
    array([0., 1., 0.])
    """
    if x.__class__ is not Traced:
        return np.fft.ifftshift(x, axes)
    return ifftshift_p(x, axes=_shift_axes(x, axes))


EQUIVALENTS = {getattr(np.fft, name): globals()[name] for name in __all__}
