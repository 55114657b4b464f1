"""``solve_linear``: one entry point for every method that solves ``(I - K) x = b``."""

from ..backend import array_namespace
from ..report import SolveReport
from ..settings import resolve_options, unknown_method_error
from ..tolerance import LINEAR_ATOL, LINEAR_RTOL, Tolerance
from ..vectors import as_vector
from . import bicgstab, direct, fixed_point, gmres, lgmres, neumann
from .system import LinearSystem

_MODULES = {
    "direct": direct,
    "gmres": gmres,
    "bicgstab": bicgstab,
    "lgmres": lgmres,
    "fixed_point": fixed_point,
    "neumann": neumann,
}

#: Names accepted by :func:`solve_linear`.
LINEAR_METHODS = tuple(_MODULES)


def solve_linear(method, K, b, *, x0=None, rtol=LINEAR_RTOL, atol=LINEAR_ATOL,
                 maxiter=None, callback=None, **method_options):
    """Solve ``(I - K) x = b``.

    The tolerance rule, the relative residuals reported and the meaning of
    ``maxiter`` are stated once, in :mod:`solvers.tolerance`. Nothing raises on
    non-convergence: the report says ``converged=False`` and why, and the best
    iterate found is returned.

    Parameters
    ----------
    method : str
        One of :data:`LINEAR_METHODS`:

        ``"direct"``
            SuperLU on the assembled ``I - K``; `K` must be explicit
            (:mod:`solvers.linear.direct`).
        ``"gmres"``, ``"bicgstab"``, ``"lgmres"``
            scipy's Krylov solvers on ``I - K`` (assembled if `K` is explicit,
            else ``v -> v - K v``); options ``restart`` (gmres), ``inner_m``,
            ``outer_k`` (lgmres) (:mod:`solvers.linear.krylov`).
        ``"fixed_point"``
            ``x <- x + damping * (b + K x - x)``; option ``damping`` in (0, 1]
            (:mod:`solvers.linear.fixed_point`).
        ``"neumann"``
            ``x = sum_{m<=k} K^m b``, a truncation (``exact=False``); option
            ``k`` >= 0, default 10 (:mod:`solvers.linear.neumann`).
    K : scipy.sparse matrix, 2-D ndarray, LinearOperator or callable
        The operator, of shape ``(n, n)`` with ``n = b.size``; a callable maps a
        vector ``v`` to ``K v``.
    b : array_like
        Right-hand side, a finite 1-D vector (converted to float64).
    x0 : array_like, optional
        Starting point of the iterative methods (default: ``b`` for fixed_point,
        zero for the Krylov methods).
    rtol, atol : float, optional
        Tolerances, finite and >= 0; defaults ``1e-10`` and ``0.0``.
    maxiter : int, optional
        Iteration budget, a positive integer; default 1000.
    callback : callable, optional
        ``callback(iteration, x, residual)`` with the relative residual; each
        method's module says when it is called (GMRES passes ``x=None``).
    **method_options
        Options of the chosen method; unknown names raise ``ValueError``.

    Returns
    -------
    x : ndarray
        The solution (the best iterate found if not converged).
    report : SolveReport

    Raises
    ------
    ValueError
        For an unknown method or option, a setting out of range, a `K` of the
        wrong shape, a `b` that is not a finite 1-D vector, or ``"direct"``
        with a matrix-free `K`.
    TypeError
        If `K` is not one of the accepted forms.
    numpy.linalg.LinAlgError
        ``"direct"`` only: ``I - K`` is singular.

    Examples
    --------
    >>> import numpy as np
    >>> K = np.array([[0.5, 0.25], [0.0, 0.5]])
    >>> x, report = solve_linear("gmres", K, np.array([1.0, 1.0]))
    >>> np.allclose(x - K @ x, [1.0, 1.0]), report.converged
    (True, True)
    >>> x, report = solve_linear("neumann", K, np.array([1.0, 1.0]), k=3)
    >>> report.exact, report.iterations
    (False, 3)
    """
    module = _MODULES.get(method) if isinstance(method, str) else None
    if module is None:
        raise unknown_method_error("linear", method, LINEAR_METHODS)
    tolerance = Tolerance.linear(rtol=rtol, atol=atol, maxiter=maxiter)
    options = resolve_options(method, method_options, module.OPTIONS)
    b = as_vector("b", b)
    if x0 is not None:
        x0 = as_vector("x0", x0, size=b.shape[0], like=b)
    if callback is not None and not callable(callback):
        raise ValueError(f"callback must be callable or None, got {callback!r}")
    system = LinearSystem(K, b)
    if module.NEEDS_EXPLICIT_K and not system.explicit:
        raise ValueError(
            f"method {method!r} needs K as an explicit matrix (scipy.sparse or a dense "
            "2-D array), got a LinearOperator or callable; use an iterative method "
            "('gmres', 'bicgstab', 'lgmres', 'fixed_point') or assemble K"
        )
    xp = array_namespace(b)
    if not bool(xp.any(b)):
        # the solution of (I - K) x = 0 is x = 0 whatever K is, when I - K is regular
        report = SolveReport(
            method=method, converged=True, iterations=0, residual=0.0, residuals=[],
            reason="converged: right-hand side b is zero, so x = 0", exact=True,
            evaluations=0,
        )
        return xp.zeros_like(b), report
    return module.solve(system, x0=x0, tolerance=tolerance, callback=callback, **options)
