"""Checking gradients: finite differences in random directions, and the Taylor test.

Both compare ``adjoint.grad`` with evaluations of the function alone, so they catch a wrong
derivative rule anywhere on the path (ours, or one registered with ``defvjp``):

* ``check_grads`` compares directional derivatives ``⟨∇J(x), d⟩`` with central differences
  ``(J(x + εd) - J(x - εd)) / 2ε`` and raises ``GradientCheckError`` with a table when they
  disagree.
* ``taylor_test`` measures how the remainder ``|J(x + hd) - J(x) - h⟨∇J(x), d⟩|`` shrinks
  with ``h``: like ``h²`` (observed order ≈ 2) for a correct gradient, like ``h`` (order ≈ 1)
  for a wrong one. It needs no tolerance on the size of the error, only on its slope.
"""

from dataclasses import dataclass

import numpy as np

from adjoint.errors import GradientCheckError, InvalidArgumentError
from adjoint.pytree import argnums, flatten, split_per_argnum
from adjoint.tape.grad import value_and_grad

__all__ = ["check_grads", "taylor_test", "TaylorResult"]


def check_grads(fun, *args, argnum=0, directions=3, eps=1e-6, rtol=1e-6, atol=1e-9, seed=0):
    """Compare ``adjoint.grad(fun, argnum)`` with central differences in random directions.

    For each of ``directions`` random unit directions ``d`` (over all differentiated
    arguments together), the analytic ``⟨∇J, d⟩`` must match
    ``(J(x + eps d) - J(x - eps d)) / (2 eps)`` within ``atol + rtol * max(|analytic|,
    |numeric|)``.

    Parameters
    ----------
    fun : callable
        Scalar-valued, written with ``adjoint.numpy`` (or numpy functions that dispatch).
    *args :
        The point; the arguments ``argnum`` are differentiated (floats, ndarrays, or nested
        lists / tuples / dicts of them), the others are passed unchanged.
    argnum : int or tuple of int
        As for ``adjoint.grad``.
    directions : int
        How many random directions to test.
    eps : float
        The finite-difference step along a unit direction.
    rtol, atol : float
        The tolerance of the comparison. Central differences have an error of about
        ``eps² |J'''| + 1e-16 |J| / eps``: loosen ``rtol`` for badly scaled functions.
    seed : int
        Seed of the random directions (the check is deterministic).

    Returns
    -------
    None

    Raises
    ------
    GradientCheckError
        (an ``AssertionError``) with a table of direction, analytic, numeric and relative
        error when some direction disagrees.
    InvalidArgumentError
        For invalid settings (``directions`` not a positive integer, ``eps`` not > 0,
        negative tolerances).

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint
    >>> import adjoint.numpy as anp
    >>> adjoint.check_grads(lambda x: anp.sum(anp.tanh(x) ** 2), np.array([0.3, -1.2, 2.0]))

    A deliberately wrong derivative rule is caught:

    >>> from graphs.primitive import PRIMITIVES, defvjp, primitive
    >>> square = PRIMITIVES.get("doc_bad_square") or primitive(np.square, "doc_bad_square")
    >>> defvjp(square, lambda g, ans, x: g * x)          # wrong: d(x²)/dx is 2x
    >>> adjoint.check_grads(lambda x: anp.sum(square(x)), np.array([0.5, 1.0]))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    adjoint.errors.GradientCheckError: gradient check of <lambda> with respect to argnum 0 failed in 3 of 3 ...
    """
    _check_settings(directions=directions, eps=eps, rtol=rtol, atol=atol)
    value, grads = value_and_grad(fun, argnum)(*args)
    positions, grads = argnums(argnum, len(args)), split_per_argnum(argnum, grads)
    parts = []  # per differentiated argument: (leaves, rebuild, gradient leaves)
    for a, g in zip(positions, grads):
        leaves, rebuild = flatten(args[a], f"argument {a}")
        g_leaves, _ = flatten(g, f"gradient of argument {a}")
        parts.append((leaves, rebuild, [np.asarray(v, dtype=np.float64) for v in g_leaves]))

    rng = np.random.default_rng(seed)
    rows = []
    for k in range(directions):
        d = [[rng.standard_normal(np.shape(x)) for x in leaves] for leaves, _, _ in parts]
        norm = np.sqrt(sum(float(np.sum(di * di)) for dp in d for di in dp)) or 1.0
        d = [[di / norm for di in dp] for dp in d]
        analytic = sum(float(np.sum(gi * di)) for (_, _, gs), dp in zip(parts, d) for gi, di in zip(gs, dp))
        plus = _value(fun, _moved(args, positions, parts, d, eps))
        minus = _value(fun, _moved(args, positions, parts, d, -eps))
        numeric = (plus - minus) / (2 * eps)
        error = abs(analytic - numeric)
        scale = max(abs(analytic), abs(numeric))
        ok = bool(error <= atol + rtol * scale)  # False for NaN, as it should be
        rows.append((k, analytic, numeric, error / scale if scale > 0 else error, ok))

    failed = [r for r in rows if not r[4]]
    if failed:
        name = getattr(fun, "__name__", repr(fun))
        lines = [
            f"gradient check of {name} with respect to argnum {argnum} failed in {len(failed)} of "
            f"{len(rows)} directions (eps {eps:g}, rtol {rtol:g}, atol {atol:g}); value {value!r}",
            f"{'direction':>9}  {'analytic':>15}  {'numeric':>15}  {'rel. error':>10}",
        ]
        for k, a, n, rel, ok in rows:
            lines.append(f"{k:>9}  {a:>15.8e}  {n:>15.8e}  {rel:>10.2e}{'' if ok else '  <- FAIL'}")
        lines.append(
            "A derivative rule (VJP) on the path is wrong, or fun is not smooth or not "
            "deterministic at this point; if the relative errors are small, try another eps "
            "or a looser rtol; taylor_test shows the order of the remainder"
        )
        raise GradientCheckError("\n".join(lines))


@dataclass
class TaylorResult:
    """What ``taylor_test`` observed.

    Attributes
    ----------
    hs : ndarray
        The step sizes, decreasing.
    residuals : ndarray
        ``|J(x + h d) - J(x) - h ⟨∇J(x), d⟩|`` per step.
    orders : ndarray
        ``log(r_k / r_{k+1}) / log(h_k / h_{k+1})`` between consecutive steps (one fewer
        than ``hs``); ``NaN`` where a residual is at the level of rounding error, which
        carries no information about the order.
    value : float
        ``J(x)``.
    slope : float
        ``⟨∇J(x), d⟩``, the analytic directional derivative.
    """

    hs: np.ndarray
    residuals: np.ndarray
    orders: np.ndarray
    value: float
    slope: float

    @property
    def order(self):
        """The median of the finite observed orders (``NaN`` if there are none)."""
        finite = self.orders[np.isfinite(self.orders)]
        return float(np.median(finite)) if finite.size else float("nan")

    def __repr__(self):
        orders = np.array2string(self.orders, precision=2)
        return f"TaylorResult(order={self.order:.3f}, orders={orders})"


def taylor_test(fun, x, direction=None, hs=None, *, seed=0):
    """The observed convergence orders of the first-order Taylor remainder of ``fun`` at ``x``.

    ``r(h) = |J(x + h d) - J(x) - h ⟨∇J(x), d⟩|`` is ``O(h²)`` when the gradient is right and
    only ``O(h)`` when it is wrong, so the order ``log(r(h_k) / r(h_{k+1})) /
    log(h_k / h_{k+1})`` is about 2 for a correct gradient and about 1 for a wrong one.

    Parameters
    ----------
    fun : callable
        Scalar-valued function of one argument, written with ``adjoint.numpy``.
    x : float, ndarray, or nested lists / tuples / dicts of them
        The point.
    direction : same structure as ``x``, optional
        The direction ``d``; default a random unit direction (from ``seed``).
    hs : sequence of float, optional
        Decreasing positive steps; default ``0.1 * 2.0 ** -k`` for ``k = 0 … 7``.
    seed : int
        Seed of the random direction.

    Returns
    -------
    TaylorResult
        ``hs``, ``residuals``, ``orders`` (``NaN`` where the residuals reached rounding
        error, e.g. for an affine ``fun``) and their median ``order``.

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint
    >>> import adjoint.numpy as anp
    >>> result = adjoint.taylor_test(lambda x: anp.sum(anp.sin(x) * x), np.array([0.5, -1.0]))
    >>> bool(abs(result.order - 2.0) < 0.1), result.orders.shape, result.residuals.shape
    (True, (7,), (8,))
    """
    hs = 0.1 * 2.0 ** -np.arange(8) if hs is None else np.asarray(hs, dtype=np.float64).ravel()
    if hs.size < 2 or not np.all(np.isfinite(hs)) or np.any(hs <= 0) or np.any(np.diff(hs) >= 0):
        raise InvalidArgumentError(f"hs must be at least two decreasing positive steps, got {hs!r}")
    value, g = value_and_grad(fun)(x)
    leaves, rebuild = flatten(x, "x")
    g_leaves, _ = flatten(g, "gradient")
    if direction is None:
        rng = np.random.default_rng(seed)
        d = [rng.standard_normal(np.shape(v)) for v in leaves]
        norm = np.sqrt(sum(float(np.sum(di * di)) for di in d)) or 1.0
        d = [di / norm for di in d]
    else:
        d, _ = flatten(direction, "direction")
        if len(d) != len(leaves) or any(np.shape(a) != np.shape(b) for a, b in zip(d, leaves)):
            raise InvalidArgumentError(
                "direction must have the structure and shapes of x: got shapes "
                f"{[np.shape(a) for a in d]} for x's {[np.shape(b) for b in leaves]}"
            )
        d = [np.asarray(di, dtype=np.float64) for di in d]
    slope = sum(float(np.sum(np.asarray(gi, dtype=np.float64) * di)) for gi, di in zip(g_leaves, d))
    value = float(value)
    moved = [_value(fun, [rebuild(_step(leaves, d, h))]) for h in hs]
    residuals = np.array([abs(m - value - h * slope) for m, h in zip(moved, hs)])
    # Below ~ a few hundred ulps of the values compared, a residual is rounding error.
    floor = 256 * np.finfo(np.float64).eps * (abs(value) + np.abs(moved))
    informative = residuals > floor
    with np.errstate(divide="ignore", invalid="ignore"):
        orders = np.log(residuals[:-1] / residuals[1:]) / np.log(hs[:-1] / hs[1:])
    orders[~(informative[:-1] & informative[1:])] = np.nan
    return TaylorResult(hs, residuals, orders, value, slope)


def _check_settings(directions, eps, rtol, atol):
    """Raise ``InvalidArgumentError`` for a setting of ``check_grads`` that makes no sense."""
    if isinstance(directions, bool) or not isinstance(directions, (int, np.integer)) or directions < 1:
        raise InvalidArgumentError(f"directions must be a positive integer, got {directions!r}")
    if not (isinstance(eps, (int, float, np.floating)) and np.isfinite(eps) and eps > 0):
        raise InvalidArgumentError(f"eps must be a finite number > 0, got {eps!r}")
    for key, v in (("rtol", rtol), ("atol", atol)):
        if not (isinstance(v, (int, float, np.floating)) and np.isfinite(v) and v >= 0):
            raise InvalidArgumentError(f"{key} must be a finite number >= 0, got {v!r}")


def _step(leaves, d, h):
    """``x + h d`` leaf by leaf; a Python scalar stays a Python float."""
    out = []
    for x, di in zip(leaves, d):
        moved = np.asarray(x, dtype=np.float64) + h * di
        out.append(float(moved) if np.ndim(x) == 0 and not isinstance(x, np.ndarray) else moved)
    return out


def _moved(args, positions, parts, d, h):
    """The arguments with the differentiated ones moved to ``x + h d``."""
    args = list(args)
    for a, (leaves, rebuild, _), dp in zip(positions, parts, d):
        args[a] = rebuild(_step(leaves, dp, h))
    return args


def _value(fun, args):
    """``fun(*args)`` as a float; a non-scalar result is an error."""
    out = fun(*args)
    try:
        return float(np.asarray(out, dtype=np.float64))
    except (TypeError, ValueError) as e:
        raise InvalidArgumentError(
            f"the function must return a scalar; it returned {type(out).__name__} {np.shape(out)}"
        ) from e
