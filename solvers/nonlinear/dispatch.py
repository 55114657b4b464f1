"""``solve_fixed_point``: one entry point for every method that solves ``z = F(z)``."""

from ..settings import resolve_options, unknown_method_error
from ..tolerance import NONLINEAR_ATOL, NONLINEAR_RTOL, Tolerance
from ..vectors import as_vector
from . import anderson, fixed_point, newton, newton_krylov
from .problem import FixedPointProblem

_MODULES = {
    "fixed_point": fixed_point,
    "anderson": anderson,
    "newton": newton,
    "newton_krylov": newton_krylov,
}

#: Names accepted by :func:`solve_fixed_point`.
NONLINEAR_METHODS = tuple(_MODULES)


def solve_fixed_point(method, F, z0, *, rtol=NONLINEAR_RTOL, atol=NONLINEAR_ATOL,
                      maxiter=None, callback=None, jacobian=None, jvp=None,
                      **method_options):
    """Find ``z = F(z)``.

    The tolerance rule, the relative residuals reported and the meaning of
    ``maxiter`` are stated once, in :mod:`solvers.tolerance`. Nothing raises on
    non-convergence: the report says ``converged=False`` and why, and the best
    iterate found is returned.

    Parameters
    ----------
    method : str
        One of :data:`NONLINEAR_METHODS`:

        ``"fixed_point"``
            Picard ``z <- (1 - damping) z + damping F(z)``; option ``damping``
            (:mod:`solvers.nonlinear.fixed_point`).
        ``"anderson"``
            Anderson acceleration; options ``memory`` (5), ``damping`` (1),
            ``regularization`` (1e-10) (:mod:`solvers.nonlinear.anderson`).
        ``"newton"``
            Newton with ``jacobian`` and sparse LU, line search; options
            ``damping``, ``line_search`` (:mod:`solvers.nonlinear.newton`).
        ``"newton_krylov"``
            Inexact Newton, GMRES on ``jvp``; options ``damping``,
            ``line_search``, ``forcing``, ``inner_maxiter``, ``restart``
            (:mod:`solvers.nonlinear.newton_krylov`).
    F : callable
        ``F(z) -> vector`` of the length of `z0`.
    z0 : array_like
        Starting point, a finite 1-D vector (converted to float64).
    rtol, atol : float, optional
        Tolerances, finite, >= 0, not both zero; defaults ``1e-10``, ``1e-12``.
    maxiter : int, optional
        Iteration budget (Newton steps for the Newton methods); default 1000,
        50 for the Newton methods.
    callback : callable, optional
        ``callback(iteration, z, residual)`` after every iteration, with the
        relative residual.
    jacobian : callable, optional
        ``jacobian(z) -> J_F(z)``, sparse or dense; required by ``"newton"``,
        ignored by the others.
    jvp : callable, optional
        ``jvp(z, v) -> J_F(z) v``; required by ``"newton_krylov"``, ignored by
        the others.
    **method_options
        Options of the chosen method; unknown names raise ``ValueError``.

    Returns
    -------
    z : ndarray
        The fixed point (the best iterate found if not converged).
    report : SolveReport

    Raises
    ------
    ValueError
        For an unknown method or option, a setting out of range, a `z0` that is
        not a finite 1-D vector, a missing ``jacobian`` / ``jvp``, or an `F`
        returning the wrong shape.

    Examples
    --------
    >>> import numpy as np
    >>> z, report = solve_fixed_point("anderson", lambda z: np.cos(z) / 2, np.zeros(3))
    >>> bool(np.allclose(z, np.cos(z) / 2)), report.converged
    (True, True)
    >>> z, report = solve_fixed_point("fixed_point", lambda z: z + 1, np.zeros(1), maxiter=20)
    >>> report.converged, report.reason
    (False, 'maxiter reached: 20 iterations, residual 0.05 > 1e-10')
    """
    module = _MODULES.get(method) if isinstance(method, str) else None
    if module is None:
        raise unknown_method_error("nonlinear", method, NONLINEAR_METHODS)
    tolerance = Tolerance.nonlinear(rtol=rtol, atol=atol, maxiter=maxiter)
    options = resolve_options(method, method_options, module.OPTIONS)
    if not callable(F):
        raise ValueError(f"F must be callable, got {F!r}")
    if callback is not None and not callable(callback):
        raise ValueError(f"callback must be callable or None, got {callback!r}")
    if method == "newton" and jacobian is None:
        raise ValueError(
            "method 'newton' needs jacobian=lambda z: J_F(z) (a sparse or dense "
            "matrix); pass one, or use method='newton_krylov' with jvp=lambda z, v: "
            "J_F(z) @ v, or a derivative-free method ('anderson', 'fixed_point')"
        )
    if method == "newton_krylov" and jvp is None:
        raise ValueError(
            "method 'newton_krylov' needs jvp=lambda z, v: J_F(z) @ v; pass one, or "
            "use method='newton' with jacobian=..., or a derivative-free method "
            "('anderson', 'fixed_point')"
        )
    z0 = as_vector("z0", z0)
    problem = FixedPointProblem(F, z0, jacobian=jacobian, jvp=jvp)
    return module.solve(problem, z0, tolerance=tolerance, callback=callback, **options)
