"""``solve_fixed_point``: one entry point for every method that solves ``z = F(z)``.

:data:`NONLINEAR` is the registry of the nonlinear methods, the one list of their
names (:func:`solvers.nonlinear_methods`); :class:`NonlinearSolver` is a method
with its settings, checked when made.
"""

from operator import attrgetter

from ..errors import SolverSettingError
from ..registry import Method, Registry, Solver
from ..settings import quoted, require_callback
from ..tolerance import Tolerance
from ..vectors import as_vector
from . import anderson, fixed_point, newton, newton_krylov
from .problem import FixedPointProblem

#: The nonlinear methods, in the order :func:`solvers.nonlinear_methods` gives them.
NONLINEAR = Registry("nonlinear", [
    Method("fixed_point", fixed_point),
    Method("anderson", anderson),
    Method("newton", newton),
    Method("newton_krylov", newton_krylov),
], Tolerance.nonlinear)

#: Each derivative a method may need: the argument, the capability, how to pass it.
_DERIVATIVES = (
    ("jacobian", "needs_jacobian", "jacobian=lambda z: J_F(z) (a sparse or dense matrix)"),
    ("jvp", "needs_jvp", "jvp=lambda z, v: J_F(z) @ v"),
)


class NonlinearSolver(Solver):
    """A nonlinear method with its options and tolerance, checked when made.

    See :class:`solvers.registry.Solver` for the parameters and attributes.

    Examples
    --------
    >>> import numpy as np
    >>> solver = NonlinearSolver("anderson", rtol=1e-12, memory=3)
    >>> z, report = solve_fixed_point(solver, np.cos, np.zeros(1))
    >>> round(float(z[0]), 6), report.code
    (0.739085, 'converged')
    """

    __slots__ = ()
    registry = NONLINEAR


def require_derivatives(method: str, *, jacobian, jvp) -> None:
    """Refuse a call that lacks a derivative `method` needs (by its capabilities).

    Parameters
    ----------
    method : str
        A nonlinear method name.
    jacobian, jvp : callable or None
        As passed to :func:`solve_fixed_point` (``None``: not given).

    Raises
    ------
    SolverSettingError
        Saying how to pass the derivative, or which methods do without it.

    Examples
    --------
    >>> require_derivatives("newton_krylov", jacobian=None, jvp=lambda z, v: v)
    >>> require_derivatives("newton", jacobian=None, jvp=None)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    solvers.errors.SolverSettingError: method 'newton' needs jacobian=lambda z: J_F(z) ...
    """
    capabilities = NONLINEAR[method].capabilities
    given = {"jacobian": jacobian, "jvp": jvp}
    for argument, needs, how in _DERIVATIVES:
        if getattr(capabilities, needs) and given[argument] is None:
            alternatives = [
                f"method={other!r} with {other_how}, or "
                for other_argument, other_needs, other_how in _DERIVATIVES
                if other_argument != argument
                for other in NONLINEAR.names_where(attrgetter(other_needs))
            ]
            free = quoted(NONLINEAR.names_where(attrgetter("derivative_free")))
            raise SolverSettingError(
                f"method {method!r} needs {how}; pass one, or use {''.join(alternatives)}"
                f"a derivative-free method ({free})"
            )


def solve_fixed_point(method, F, z0, *, rtol=None, atol=None, maxiter=None, callback=None,
                      jacobian=None, jvp=None, **method_options):
    """Find ``z = F(z)``.

    As for :func:`solvers.solve_linear`: the rule is that of
    :mod:`solvers.tolerance`, the report's codes are those of
    :mod:`solvers.report`, every setting is checked before any work, and a solve
    that does not converge returns its best iterate with a report that says why.

    Parameters
    ----------
    method : str or NonlinearSolver
        A :class:`NonlinearSolver` (which carries its options and tolerance: give
        none beside it), or one of :func:`solvers.nonlinear_methods`:

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

        What each method needs is in :func:`solvers.capabilities`.
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
        ``jacobian(z) -> J_F(z)``, sparse or dense; required by a method whose
        capabilities say ``needs_jacobian`` (``"newton"``), ignored by the others.
    jvp : callable, optional
        ``jvp(z, v) -> J_F(z) v``; required by a method whose capabilities say
        ``needs_jvp`` (``"newton_krylov"``), ignored by the others.
    **method_options
        Options of the chosen method.

    Returns
    -------
    z : ndarray
        The fixed point (the best iterate found if not converged).
    report : SolveReport

    Raises
    ------
    SolverSettingError
        For an unknown method or option, a setting out of range, a callback that
        is not callable, a missing ``jacobian`` / ``jvp``, or a host-only method
        on cupy arrays.
    ValueError
        For an `F` that is not callable or returns the wrong shape, a `z0` that
        is not a finite 1-D vector.

    Examples
    --------
    >>> import numpy as np
    >>> z, report = solve_fixed_point("anderson", lambda z: np.cos(z) / 2, np.zeros(3))
    >>> bool(np.allclose(z, np.cos(z) / 2)), report.converged
    (True, True)
    >>> z, report = solve_fixed_point("fixed_point", lambda z: z + 1, np.zeros(1), maxiter=20)
    >>> report.converged, report.code, report.reason
    (False, 'maxiter', 'maxiter reached: 20 iterations, residual 0.05 > 1e-10')
    """
    solver = NonlinearSolver.coerce(method, method_options, rtol=rtol, atol=atol,
                                    maxiter=maxiter)
    if not callable(F):
        raise ValueError(f"F must be callable, got {F!r}")
    require_callback(callback)
    require_derivatives(solver.method, jacobian=jacobian, jvp=jvp)
    z0 = as_vector("z0", z0)
    NONLINEAR.require_device(solver.method, z0)
    problem = FixedPointProblem(F, z0, jacobian=jacobian, jvp=jvp)
    return solver.solve(problem, z0, callback=callback)
