"""``solve_linear``: one entry point for every method that solves ``(I - K) x = b``.

:data:`LINEAR` is the registry of the linear methods, the one list of their names
(:func:`solvers.linear_methods`); :class:`LinearSolver` is a method with its
settings, checked when made.
"""

from ..backend import array_namespace
from ..errors import SolverSettingError
from ..registry import Method, Registry, Solver
from ..report import SolveReport
from ..settings import quoted, require_callback
from ..tolerance import Tolerance
from ..vectors import as_vector
from . import bicgstab, direct, fixed_point, gmres, lgmres, neumann, petsc, symmetric_krylov
from .system import LinearSystem

#: The linear methods, in the order :func:`solvers.linear_methods` gives them.
LINEAR = Registry("linear", [
    Method("direct", direct),
    Method("gmres", gmres),
    Method("bicgstab", bicgstab),
    Method("lgmres", lgmres),
    Method("minres", symmetric_krylov, fixed={"algorithm": "minres"}),
    Method("cg", symmetric_krylov, fixed={"algorithm": "cg"}),
    Method("petsc", petsc),
    Method("fixed_point", fixed_point),
    Method("neumann", neumann),
    Method("jfb", neumann, fixed={"k": 0}),
], Tolerance.linear)


class LinearSolver(Solver):
    """A linear method with its options and tolerance, checked when made.

    See :class:`solvers.registry.Solver` for the parameters and attributes.

    Examples
    --------
    >>> import numpy as np
    >>> solver = LinearSolver("neumann", k=3)
    >>> x, report = solve_linear(solver, np.array([[0.5]]), np.array([1.0]))
    >>> x, report.code
    (array([1.875]), 'truncated')
    """

    __slots__ = ()
    registry = LINEAR


def solve_linear(method, K, b, *, x0=None, rtol=None, atol=None, maxiter=None,
                 callback=None, **method_options):
    """Solve ``(I - K) x = b``.

    The tolerance rule, the relative residuals reported and the meaning of
    ``maxiter`` are stated once, in :mod:`solvers.tolerance`; the result codes of
    the report, in :mod:`solvers.report`. Nothing raises on non-convergence: the
    report says ``converged=False`` and why, and the best iterate found is
    returned. Every setting is checked before any work.

    Parameters
    ----------
    method : str or LinearSolver
        A :class:`LinearSolver` (which carries its options and tolerance: give
        none beside it), or one of :func:`solvers.linear_methods`:

        ``"direct"``
            SuperLU on the assembled ``I - K``; `K` must be explicit
            (:mod:`solvers.linear.direct`).
        ``"gmres"``, ``"bicgstab"``, ``"lgmres"``
            scipy's Krylov solvers on ``I - K`` (assembled if `K` is explicit,
            else ``v -> v - K v``); options ``restart`` (gmres), ``inner_m``,
            ``outer_k`` (lgmres) (:mod:`solvers.linear.krylov`).
        ``"minres"``, ``"cg"``
            scipy's MINRES (symmetric ``I - K``, e.g. a Hessian or a KKT
            matrix) and conjugate gradients (symmetric positive definite)
            (:mod:`solvers.linear.symmetric_krylov`).
        ``"petsc"``
            PETSc's KSP (petsc4py), in one process or distributed over MPI;
            options ``ksp_type``, ``pc_type``, ``options`` (:mod:`solvers.linear.petsc`).
        ``"fixed_point"``
            ``x <- x + damping * (b + K x - x)``; option ``damping`` in (0, 1]
            (:mod:`solvers.linear.fixed_point`).
        ``"neumann"``
            ``x = sum_{m<=k} K^m b``, a truncation (``exact=False``); option
            ``k`` >= 0, default 10 (:mod:`solvers.linear.neumann`).
        ``"jfb"``
            ``"neumann"`` with ``k = 0``: ``x = b`` (Jacobian-free backprop).

        What each method needs is in :func:`solvers.capabilities`.
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
        Options of the chosen method.

    Returns
    -------
    x : ndarray
        The solution (the best iterate found if not converged).
    report : SolveReport

    Raises
    ------
    SolverSettingError
        For an unknown method or option, a setting out of range, a callback that
        is not callable, ``"direct"`` with a matrix-free `K`, or a host-only
        method on cupy arrays.
    ValueError
        For a `K` of the wrong shape, a `b` that is not a finite 1-D vector.
    TypeError
        If `K` is not one of the accepted forms.
    numpy.linalg.LinAlgError
        ``"direct"`` only: ``I - K`` is singular.

    Examples
    --------
    >>> import numpy as np
    >>> K = np.array([[0.5, 0.25], [0.0, 0.5]])
    >>> x, report = solve_linear("gmres", K, np.array([1.0, 1.0]))
    >>> np.allclose(x - K @ x, [1.0, 1.0]), report.converged, report.code
    (True, True, 'converged')
    >>> x, report = solve_linear("neumann", K, np.array([1.0, 1.0]), k=3)
    >>> report.exact, report.iterations
    (False, 3)
    >>> x, report = solve_linear("jfb", K, np.array([1.0, 1.0]))
    >>> x, report.method, report.iterations
    (array([1., 1.]), 'jfb', 0)
    """
    solver = LinearSolver.coerce(method, method_options, rtol=rtol, atol=atol, maxiter=maxiter)
    require_callback(callback)
    b = as_vector("b", b)
    if x0 is not None:
        x0 = as_vector("x0", x0, size=b.shape[0], like=b)
    system = LinearSystem(K, b)
    if solver.capabilities.needs_matrix and not system.explicit:
        alternatives = LINEAR.names_where(lambda caps: caps.matrix_free and caps.exact)
        raise SolverSettingError(
            f"method {solver.method!r} needs K as an explicit matrix (scipy.sparse or a dense "
            "2-D array), got a LinearOperator or callable; use an iterative method "
            f"({quoted(alternatives)}) or assemble K"
        )
    LINEAR.require_device(solver.method, b)
    LINEAR.require_available(solver.method)
    xp = array_namespace(b)
    if not bool(xp.any(b)):
        # the solution of (I - K) x = 0 is x = 0 whatever K is, when I - K is regular
        report = SolveReport(
            method=solver.method, converged=True, iterations=0, residual=0.0, residuals=[],
            reason="converged: right-hand side b is zero, so x = 0", exact=True,
            evaluations=0, code="converged",
        )
        return xp.zeros_like(b), report
    return solver.solve(system, x0=x0, callback=callback)
