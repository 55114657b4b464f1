"""autograd's gradient checks (``autograd.test_util``), for tests ported from autograd.

``check_grads(fun, argnum=0, modes=["fwd", "rev"], order=2)(*args)`` compares adjoint's
derivatives of ``fun`` with central differences, as autograd's does:

* ``"rev"``: the VJP (one back-substitution of the traced tape), through the identity
  ``⟨u, J v⟩ = ⟨Jᵀ u, v⟩`` for random ``u`` and ``v``;
* ``"fwd"``: ``adjoint.jvp`` along a random direction;
* ``order=2`` (or more): the same checks, recursively, of the functions ``(x, v) -> J v``
  and ``(x, u) -> Jᵀ u``, which needs derivatives of derivatives.

Arguments and results may be floats, arrays, or nested lists / tuples / dicts of them; they
are compared as flat vectors (``adjoint.misc.flatten``). Random directions come from
``numpy.random``'s global state, as in autograd: seed it for a reproducible check. A
disagreement raises ``adjoint.GradientCheckError``, an ``AssertionError``.
"""

import itertools

import numpy as np

from adjoint.errors import GradientCheckError, InvalidArgumentError
from adjoint.misc.flatten import _leaves_and_spec, flatten
from adjoint.tape.jvp import jvp as _jvp
from adjoint.tape.vjp import make_vjp

__all__ = ["check_grads", "check_vjp", "check_jvp", "check_equivalent", "make_numerical_jvp", "combo_check",
           "scalar_close", "TOL", "RTOL", "EPS"]

#: Absolute and relative tolerances of ``scalar_close`` (autograd's).
TOL = 1e-6
RTOL = 1e-6
#: The central-difference step along a random (not unit) direction.
EPS = 1e-6

_MODES = ("fwd", "rev")


def scalar_close(a, b):
    """Whether ``a`` and ``b`` agree within ``TOL`` absolutely or ``RTOL`` relatively.

    Examples
    --------
    >>> scalar_close(1.0, 1.0 + 1e-9), scalar_close(1.0, 1.1)
    (True, False)
    """
    return bool(abs(a - b) < TOL or abs(a - b) / abs(a + b) < RTOL)


def make_numerical_jvp(f, x):
    """The central-difference JVP of ``f`` at ``x``: ``v -> (f(x + eps v / 2) - f(x - eps v / 2)) / eps``.

    Parameters
    ----------
    f : callable
        Of one argument, a structure like ``x``.
    x : float, array, or nested lists / tuples / dicts of them

    Returns
    -------
    callable
        ``jvp(v)`` for ``v`` shaped like ``x``; the result has the structure of ``f(x)``.

    Examples
    --------
    >>> import numpy as np
    >>> jvp = make_numerical_jvp(lambda x: x ** 3, np.array([1.0, 2.0]))
    >>> bool(np.allclose(jvp(np.array([1.0, 0.0])), [3.0, 0.0]))
    True
    """
    flat_x, unflatten_x = _plain_flatten(x)
    _, unflatten_y = _plain_flatten(f(x))

    def jvp(v):
        """``(f(x + eps v / 2) - f(x - eps v / 2)) / eps``."""
        step = _plain_flatten(v)[0] * (EPS / 2)
        plus = _plain_flatten(f(unflatten_x(flat_x + step)))[0]
        minus = _plain_flatten(f(unflatten_x(flat_x - step)))[0]
        return unflatten_y((plus - minus) / EPS)

    return jvp


def check_vjp(f, x):
    """Check adjoint's VJP of ``f`` at ``x`` against central differences, in one random direction pair.

    ``⟨v, Jᵀ u⟩`` (one back-substitution) must equal ``⟨u, (f(x + eps v / 2) - f(x - eps v / 2)) / eps⟩``
    within ``scalar_close``, for random ``u`` (output space) and ``v`` (input space).

    Parameters
    ----------
    f : callable
        Of one argument (use ``check_grads`` for several).
    x : float, array, or nested lists / tuples / dicts of them

    Raises
    ------
    GradientCheckError
        If the two disagree; the message gives both numbers.

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint.numpy as anp
    >>> check_vjp(lambda x: anp.sin(x) * x, np.array([0.3, -1.0]))
    """
    vjp, y = make_vjp(f)(x)
    numeric_jvp = make_numerical_jvp(f, x)
    v, u = _randn_like(x), _randn_like(y)
    vjp_u = vjp(u)
    _check_same_space(vjp_u, x, f"the VJP of {_name(f)}", "its argument")
    exact = _inner(v, vjp_u)
    numeric = _inner(u, numeric_jvp(v))
    if not scalar_close(numeric, exact):
        raise GradientCheckError(
            f"Derivative (VJP) check of {_name(f)} failed with arg {x}:\nanalytic: {exact}\nnumeric:  {numeric}"
        )


def check_jvp(f, x):
    """Check ``adjoint.jvp`` of ``f`` at ``x`` against central differences along a random direction.

    Parameters
    ----------
    f : callable
        Of one argument.
    x : float, array, or nested lists / tuples / dicts of them

    Raises
    ------
    GradientCheckError
        If the tangent and the central difference disagree along a random output direction
        (as ``check_equivalent`` compares), or differ in structure.

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint.numpy as anp
    >>> check_jvp(lambda x: {"y": anp.exp(x), "z": anp.sum(x)}, np.array([0.3, -1.0]))
    """
    v = _randn_like(x)
    _, tangent = _jvp(f)(x, v)
    numeric = make_numerical_jvp(f, x)(v)
    _check_same_space(tangent, numeric, f"the JVP of {_name(f)}", "its result")
    w = _randn_like(numeric)
    exact, approximate = _inner(tangent, w), _inner(numeric, w)
    if not scalar_close(exact, approximate):
        raise GradientCheckError(
            f"Derivative (JVP) check of {_name(f)} failed with arg {x}:\nanalytic: {exact}\nnumeric:  {approximate}"
        )


def check_equivalent(x, y):
    """Check that ``x`` and ``y`` have the same structure and shapes and agree along a random direction.

    Raises
    ------
    GradientCheckError
        On a different structure or shape, or if ``⟨x, w⟩`` and ``⟨y, w⟩`` differ beyond
        ``scalar_close`` for a random ``w``.

    Examples
    --------
    >>> import numpy as np
    >>> check_equivalent([1.0, np.ones(2)], [1.0, np.ones(2) + 1e-12])
    >>> check_equivalent([1.0], [2.0])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    adjoint.errors.GradientCheckError: Value mismatch:
    ...
    """
    _check_same_space(x, y, "x", "y")
    w = _randn_like(x)
    if not scalar_close(_inner(x, w), _inner(y, w)):
        raise GradientCheckError(f"Value mismatch:\nx: {x}\ny: {y}")


def check_grads(fun, argnum=0, modes=("fwd", "rev"), order=2):
    """A function of ``fun``'s arguments that checks its derivatives there, as ``autograd.test_util.check_grads``.

    Called as ``check_grads(fun, argnum, modes, order)(*args, **kwargs)``: the derivatives
    with respect to ``args[argnum]`` (a tuple ``argnum`` takes the tuple of those arguments
    as one) are checked by ``check_jvp`` (``"fwd"``) and ``check_vjp`` (``"rev"``); for
    ``order > 1`` the JVP ``(x, v) -> J v`` and the VJP ``(x, u) -> Jᵀ u`` are checked in
    turn, with respect to both their arguments, at ``order - 1``.

    Parameters
    ----------
    fun : callable
    argnum : int, or tuple / list of int
    modes : sequence of {"fwd", "rev"}
    order : int
        1 checks first derivatives; 2 (autograd's default) also second derivatives.

    Returns
    -------
    callable
        ``checker(*args, **kwargs)``, returning ``None`` when every check passes.

    Raises
    ------
    GradientCheckError
        (from the checker) where a derivative disagrees with central differences.
    InvalidArgumentError
        For an unknown mode or an ``argnum`` that is not an int or a tuple / list of ints
        (autograd's convention is ``check_grads(fun)(x)``, not ``check_grads(fun, x)``).

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint.numpy as anp
    >>> check_grads(lambda x, y: anp.sum(anp.tanh(x) * y), argnum=(0, 1), order=1)(np.array([0.5, -1.0]), 2.0)

    A deliberately wrong rule is caught:

    >>> from graphs.primitive import PRIMITIVES, defvjp, primitive
    >>> bad = PRIMITIVES.get("doc_test_util_bad_exp") or primitive(np.exp, "doc_test_util_bad_exp")
    >>> defvjp(bad, lambda g, ans, x: g * x)  # wrong: d exp(x) / dx is exp(x)
    >>> check_grads(lambda x: anp.sum(bad(x)), modes=["rev"], order=1)(np.array([0.5, 1.0]))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    adjoint.errors.GradientCheckError: Derivative (VJP) check of <lambda> failed with arg [0.5 1. ]:
    ...
    """
    if not (isinstance(argnum, int) or (isinstance(argnum, (tuple, list)) and all(isinstance(a, int) for a in argnum))):
        raise InvalidArgumentError(
            f"check_grads takes argnum (an int or a tuple of ints), got {type(argnum).__name__}; "
            f"it is called as check_grads(fun, argnum, modes, order)(*args), the point in the second call"
        )
    unknown = [m for m in modes if m not in _MODES]
    if unknown:
        raise InvalidArgumentError(f"unknown modes {unknown}; check_grads modes are 'fwd' and 'rev'")

    def checker(*args, **kwargs):
        """Check the derivatives of ``fun(*args, **kwargs)`` with respect to ``args[argnum]``."""
        def unary_fun(x):
            new = list(args)
            if isinstance(argnum, int):
                new[argnum] = x
            else:
                for a, xa in zip(argnum, x):
                    new[a] = xa
            return fun(*new, **kwargs)

        unary_fun.__name__ = _name(fun)
        x = args[argnum] if isinstance(argnum, int) else tuple(args[a] for a in argnum)
        _check_grads_unary(unary_fun, x, modes, order)

    checker.__name__ = f"check_grads_of_{_name(fun)}_wrt_argnum_{argnum}"
    return checker


def combo_check(fun, *args, **kwargs):
    """``check_grads`` of ``fun`` at every combination of the given argument values.

    ``combo_check(fun, argnum, modes, order)(xs, ys, ..., k=zs)`` checks
    ``fun(x, y, ..., k=z)`` for each ``x`` in ``xs``, ``y`` in ``ys``, ``z`` in ``zs``.

    Examples
    --------
    >>> import adjoint.numpy as anp
    >>> combo_check(lambda x, p: x ** p, modes=["rev"], order=1)([0.5, 2.0], p=[2.0, 3.0])
    """
    def combos(*values, **keyword_values):
        """Check ``fun`` at each combination of ``values`` and ``keyword_values``."""
        keyword_items = [[(k, v) for v in vs] for k, vs in keyword_values.items()]
        for point in itertools.product(*values):
            for keywords in itertools.product(*keyword_items):
                check_grads(fun, *args, **kwargs)(*point, **dict(keywords))

    return combos


def _check_grads_unary(f, x, modes, order):
    """``check_grads`` of a function of one (possibly structured) argument ``x``."""
    if "fwd" in modes:
        check_jvp(f, x)
        if order > 1:
            def jvp_f(x, v):
                return _jvp(f)(x, v)[1]

            jvp_f.__name__ = f"jvp_{_name(f)}"
            check_grads(jvp_f, (0, 1), modes, order=order - 1)(x, _randn_like(x))
    if "rev" in modes:
        check_vjp(f, x)
        if order > 1:
            def vjp_f(x, u):
                return make_vjp(f)(x)[0](u)

            vjp_f.__name__ = f"vjp_{_name(f)}"
            check_grads(vjp_f, (0, 1), modes, order=order - 1)(x, _randn_like(f(x)))


def _plain_flatten(x):
    """``flatten(x)`` of a plain structure as a float (or complex) array."""
    flat, unflatten = flatten(x)
    flat = np.asarray(flat)
    return flat.astype(np.result_type(flat, np.float64)), unflatten


def _randn_like(x):
    """A standard normal vector of ``x``'s space, with ``x``'s structure."""
    flat, unflatten = _plain_flatten(x)
    return unflatten(np.random.randn(flat.size))


def _inner(x, y):
    """The inner product of two structures of the same space."""
    return float(np.real(np.dot(_plain_flatten(x)[0], _plain_flatten(y)[0])))


def _check_same_space(x, y, x_name, y_name):
    """Raise ``GradientCheckError`` unless ``x`` and ``y`` have the same structure and leaf shapes."""
    x_spec, y_spec = _leaves_and_spec(x)[1], _leaves_and_spec(y)[1]
    if x_spec != y_spec:
        raise GradientCheckError(f"VSpace mismatch: {x_name} and {y_name} differ in structure or shape:\n"
                                 f"{x_name}: {x}\n{y_name}: {y}")


def _name(f):
    return getattr(f, "__name__", "[unknown name]")
