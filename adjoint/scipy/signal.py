"""``adjoint.scipy.signal``: autograd's generalised ``convolve``, a primitive with rules of its own.

``convolve(A, B, axes=None, dot_axes=[(), ()], mode="full")`` convolves ``A`` and ``B`` along
the paired axes ``axes = (axes_of_A, axes_of_B)`` (default: all of ``A``'s, with the same
axes of ``B``), contracts the paired ``dot_axes`` (a tensordot), and keeps the other axes; the
result holds ``A``'s kept axes, then ``B``'s, then the convolved ones. ``mode`` is scipy's:
``"full"``, ``"valid"`` (the larger argument along every convolved axis slides over the
smaller) or ``"same"`` (``A``'s size, centred as scipy centres it).

The convolution is bilinear: the cotangent of either argument is a convolution of the
cotangent with the other argument flipped (so derivatives of any order follow), and the
tangent is the convolution with the tangent in its place.

Examples
--------
>>> import numpy as np
>>> import scipy.signal
>>> import adjoint
>>> a, b = np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 0.5])
>>> bool(np.allclose(convolve(a, b), scipy.signal.convolve(a, b)))
True
>>> adjoint.grad(lambda a: convolve(a, b, mode="valid")[0])(a)
array([0.5, 1. , 0. ])
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from graphs.primitive import defjvp, defvjp, primitive
from graphs.tape import holds_traced, plain_value

__all__ = ["convolve"]

_MODES = ("full", "valid", "same")


def _layout(ndim_a, ndim_b, axes, dot_axes):
    if axes is None:
        axes = (tuple(range(ndim_a)), tuple(range(ndim_a)))
    conv = (tuple(int(a) for a in axes[0]), tuple(int(b) for b in axes[1]))
    dot = (tuple(int(a) for a in dot_axes[0]), tuple(int(b) for b in dot_axes[1]))
    if len(conv[0]) != len(conv[1]) or len(dot[0]) != len(dot[1]):
        raise ValueError("convolve: axes and dot_axes must pair as many axes of A as of B")
    return conv, dot


def _ignored(ndim, conv, dot):
    return tuple(i for i in range(ndim) if i not in conv and i not in dot)


def _convolve_impl(A, B, axes, dot_axes, mode):
    A, B = np.asarray(A), np.asarray(B)
    conv, dot = axes, dot_axes
    sizes = [(A.shape[a], B.shape[b]) for a, b in zip(*conv)]
    if mode == "same":
        full = _convolve_impl(A, B, axes, dot_axes, "full")
        first = full.ndim - len(sizes)
        index = [slice(None)] * first + [slice((nb - 1) // 2, (nb - 1) // 2 + na) for na, nb in sizes]
        return full[tuple(index)]
    if mode == "valid" and any(nb < na for na, nb in sizes):
        if not all(nb <= na for na, nb in sizes):
            raise ValueError("convolve: one array must be larger than the other along all convolved axes")
        # Convolution commutes: B slides over A; then restore the order of the kept axes.
        swapped = _convolve_impl(B, A, (conv[1], conv[0]), (dot[1], dot[0]), mode)
        n_b, n_a = len(_ignored(B.ndim, conv[1], dot[1])), len(_ignored(A.ndim, conv[0], dot[0]))
        order = [*range(n_b, n_b + n_a), *range(n_b), *range(n_a + n_b, swapped.ndim)]
        return np.transpose(swapped, order)
    if mode == "full":
        pad = [(0, 0)] * B.ndim
        for (na, _), b in zip(sizes, conv[1]):
            pad[b] = (na - 1, na - 1)
        B = np.pad(B, pad)
    windows = sliding_window_view(B, tuple(na for na, _ in sizes), axis=conv[1]) if sizes else B
    flips = [slice(None)] * A.ndim
    for a in conv[0]:
        flips[a] = slice(None, None, -1)
    A = A[tuple(flips)]
    # einsum labels: A's axes 0..A.ndim-1, B's next; windows and dot pairs share A's labels.
    labels_a = list(range(A.ndim))
    labels_b = list(range(A.ndim, A.ndim + B.ndim))
    for a, b in zip(*dot):
        labels_b[b] = labels_a[a]
    labels_w = labels_b + [labels_a[a] for a in conv[0]]
    out = ([labels_a[i] for i in _ignored(A.ndim, conv[0], dot[0])]
           + [labels_b[i] for i in _ignored(B.ndim, conv[1], dot[1])] + [labels_b[b] for b in conv[1]])
    return np.einsum(A, labels_a, windows, labels_w, out)


_convolve = primitive(lambda A, B, axes, dot_axes, mode: _convolve_impl(A, B, axes, dot_axes, mode),
                      "signal_convolve")


def _flipped(x, axes):
    index = [slice(None)] * np.ndim(plain_value(x))
    for a in axes:
        index[a] = slice(None, None, -1)
    return x[tuple(index)]


def _pad_zeros(x, axis, left, right):
    shape = list(np.shape(plain_value(x)))
    pieces = []
    for n in (left, right):
        shape[axis] = n
        pieces.append(np.zeros(tuple(shape)))
    return np.concatenate([pieces[0], x, pieces[1]], axis=axis)


def _convolve_vjp(argnum, g, ans, A, B, axes, dot_axes, mode):
    conv, dot = axes, dot_axes
    shapes = (np.shape(plain_value(A)), np.shape(plain_value(B)))
    ignored = (_ignored(len(shapes[0]), conv[0], dot[0]), _ignored(len(shapes[1]), conv[1], dot[1]))
    n_ign = (len(ignored[0]), len(ignored[1]))
    out_conv = tuple(range(n_ign[0] + n_ign[1], n_ign[0] + n_ign[1] + len(conv[0])))
    out_ignored = (tuple(range(n_ign[0])), tuple(range(n_ign[0], n_ign[0] + n_ign[1])))
    x, y = argnum, 1 - argnum
    Y = B if argnum == 0 else A
    if mode == "same":  # the cotangent of the full convolution, zero outside the kept middle
        for ax, b in zip(out_conv, conv[1]):
            nb = shapes[1][b]
            g = _pad_zeros(g, ax, (nb - 1) // 2, nb - 1 - (nb - 1) // 2)
        new_mode = "valid"
    elif mode == "full":
        new_mode = "valid"
    else:
        larger = any(shapes[x][i] > shapes[y][j] for i, j in zip(conv[x], conv[y]))
        new_mode = "full" if larger else "valid"
    result = _convolve(g, _flipped(Y, conv[y]), axes=(out_conv, conv[y]),
                       dot_axes=(out_ignored[y], ignored[y]), mode=new_mode)
    # result: x's ignored axes, x's dot axes (in the order they pair with y's), x's convolved ones.
    return np.transpose(result, tuple(np.argsort(ignored[x] + dot[x] + conv[x])))


defvjp(_convolve, lambda g, ans, A, B, axes, dot_axes, mode: _convolve_vjp(0, g, ans, A, B, axes, dot_axes, mode),
       lambda g, ans, A, B, axes, dot_axes, mode: _convolve_vjp(1, g, ans, A, B, axes, dot_axes, mode))
defjvp(_convolve, lambda t, ans, A, B, axes, dot_axes, mode: _convolve(t, B, axes=axes, dot_axes=dot_axes, mode=mode),
       lambda t, ans, A, B, axes, dot_axes, mode: _convolve(A, t, axes=axes, dot_axes=dot_axes, mode=mode))


def convolve(A, B, axes=None, dot_axes=((), ()), mode="full"):
    """Autograd's ``autograd.scipy.signal.convolve`` (see the module's description)."""
    if mode not in _MODES:
        raise ValueError(f"convolve: mode {mode!r} is not one of 'valid', 'full', 'same'")
    conv, dot = _layout(np.ndim(plain_value(A)), np.ndim(plain_value(B)), axes, dot_axes)
    if not holds_traced((A, B)):
        return _convolve_impl(A, B, conv, dot, mode)
    return _convolve(A, B, axes=conv, dot_axes=dot, mode=mode)
