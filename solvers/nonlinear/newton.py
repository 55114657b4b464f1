"""``"newton"``: Newton's method with an assembled Jacobian and sparse LU.

On ``G(z) = z - F(z)``, each step solves ``(I - J_F(z)) d = F(z) - z`` with
SuperLU (:mod:`solvers.linear.direct`) and moves to ``z + t d``, ``t`` found by
the backtracking line search of :mod:`solvers.nonlinear.line_search` (from
``t = damping``; with ``line_search=False`` the step ``damping * d`` is taken as
is). Quadratic convergence near a regular solution.

Counting: one iteration is one Newton step. ``evaluations`` counts every call of
``F`` (the starting point and each line-search trial) and of ``jacobian``.

Stops with ``converged=False`` and a reason on a singular ``I - J_F`` ("singular
Jacobian at iteration k"), on a failed line search, and by the usual rules of
:mod:`solvers.monitor`. Runs on numpy/scipy only.
"""

import numpy

from ..capabilities import NonlinearCapabilities
from ..errors import SolverSettingError
from ..linear import direct
from ..linear.dispatch import LINEAR, LinearSolver, solve_linear
from ..linear.system import LinearSystem
from ..monitor import Stop
from ..settings import Option, check_method_options, optional, require_bool, require_damping, require_string_keys
from ..tolerance import NEWTON_MAXITER, Tolerance
from .line_search import MAX_HALVINGS, backtrack, plain_step
from .problem import FixedPointProblem, iterate

CAPABILITIES = NonlinearCapabilities(needs_jacobian=True)


def require_exact_linear_method(name: str, value) -> str:
    """Return `value` if it names an exact linear method (for Newton's steps).

    Examples
    --------
    >>> require_exact_linear_method("linear", "petsc")
    'petsc'
    >>> require_exact_linear_method("linear", "jfb")
    Traceback (most recent call last):
    ...
    solvers.errors.SolverSettingError: linear must be an exact linear method for Newton's steps, got 'jfb'
    """
    if not isinstance(value, str) or not LINEAR[value].capabilities.exact:
        raise SolverSettingError(f"{name} must be an exact linear method for Newton's steps, got {value!r}")
    return value


OPTIONS = {
    "damping": Option(1.0, require_damping),
    "line_search": Option(True, require_bool),
    "linear": Option("direct", require_exact_linear_method),
    "linear_options": Option(None, optional(require_string_keys)),
}

# The Newton system is solved as accurately as LU allows; its tolerance only
# decides what the linear report calls converged, the step is used regardless.
_NEWTON_SYSTEM_TOLERANCE = Tolerance(rtol=1e-12, atol=0.0)


def line_search_failure(iteration: int) -> Stop:
    """Word a line search that found no acceptable step.

    Parameters
    ----------
    iteration : int
        Newton step at which it failed.

    Returns
    -------
    Stop

    Examples
    --------
    >>> line_search_failure(3).reason
    'line search failed at iteration 3: no sufficient decrease of norm(F(z) - z) after 30 halvings'
    """
    return Stop(
        "stagnated",
        f"line search failed at iteration {iteration}: no sufficient decrease of "
        f"norm(F(z) - z) after {MAX_HALVINGS} halvings",
    )


def newton_steps(method: str, problem: FixedPointProblem, z0, *, tolerance: Tolerance,
                 callback, damping: float, line_search: bool, solve_newton_system):
    """Run Newton steps ``z <- z + t d``: the loop of ``newton`` and ``newton_krylov``.

    The step length ``t`` comes from the backtracking line search of
    :mod:`solvers.nonlinear.line_search` from ``t = damping``, or is ``damping``
    with `line_search` off; a failed line search stops the solve.

    Parameters
    ----------
    method : str
        Name for the report.
    problem, z0, tolerance, callback, damping, line_search
        As for :func:`solve`, `damping` already validated.
    solve_newton_system : callable
        ``solve_newton_system(iteration, current)`` solves
        ``(I - J_F(z)) d = F(z) - z`` at the Evaluation `current`; returns
        ``(d, relative linear residual)``, or a :class:`~solvers.monitor.Stop`
        saying why it could not.

    Returns
    -------
    z : array
    report : SolveReport

    Examples
    --------
    A Newton step on ``F(z) = z / 2 + 1`` solves ``d / 2 = F(z) - z``:

    >>> import numpy as np
    >>> problem = FixedPointProblem(lambda z: z / 2 + 1, np.zeros(1))
    >>> z, report = newton_steps(
    ...     "newton", problem, np.zeros(1), tolerance=Tolerance.nonlinear(),
    ...     callback=None, damping=1.0, line_search=True,
    ...     solve_newton_system=lambda iteration, current: (2 * current.residual, 0.0))
    >>> z, report.iterations
    (array([2.]), 1)
    """
    step = backtrack if line_search else plain_step

    def newton_step(iteration, current):
        solved = solve_newton_system(iteration, current)
        if isinstance(solved, Stop):
            return solved
        direction, linear_residual = solved
        following = step(problem, current, direction, initial_step=damping,
                         linear_residual=linear_residual)
        return line_search_failure(iteration) if following is None else following

    return iterate(method, problem, z0, callback=callback, advance=newton_step,
                   tolerance=tolerance.with_default_maxiter(NEWTON_MAXITER))


def solve(problem: FixedPointProblem, z0, *, tolerance: Tolerance, callback, damping,
          line_search, linear, linear_options):
    """Find ``z = F(z)`` by Newton's method; see :mod:`solvers.tolerance` for the rule.

    Parameters
    ----------
    problem : FixedPointProblem
        With a ``jacobian``.
    z0 : array
        Starting point.
    tolerance : Tolerance
        ``maxiter`` (Newton steps) defaults to
        :data:`solvers.tolerance.NEWTON_MAXITER`.
    callback : callable or None
        ``callback(iteration, z, residual)`` after every Newton step.
    damping : float
        First step length tried, in (0, 1] (option default 1).
    line_search : bool
        Backtrack on ``||F(z) - z||^2`` (option default) or take the damped step as is.
    linear : str
        The linear method of each step (option default ``"direct"``: SuperLU); any exact
        method of :func:`solvers.linear_methods`, e.g. ``"petsc"`` with ``linear_options``
        such as ``{"pc_type": "gamg"}``.
    linear_options : dict or None
        Options of that method.

    Returns
    -------
    z : array
    report : SolveReport

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.settings import defaults
    >>> from solvers.tolerance import Tolerance
    >>> problem = FixedPointProblem(np.cos, np.zeros(1),
    ...                             jacobian=lambda z: np.diag(-np.sin(z)))
    >>> z, report = solve(problem, np.zeros(1), tolerance=Tolerance.nonlinear(), callback=None,
    ...                   **defaults(OPTIONS))
    >>> report.converged, report.iterations <= 6
    (True, True)
    """
    if linear != "direct":
        solver = LinearSolver(linear, rtol=_NEWTON_SYSTEM_TOLERANCE.rtol, **(linear_options or {}))

        def krylov_direction(iteration, current):
            direction, report = solve_linear(solver, problem.jacobian(current.z), current.residual)
            if not report.converged:
                return Stop("singular", f"the Newton system at iteration {iteration} was not solved by "
                                        f"{linear!r}: {report.reason}")
            return direction, report.residual

        return newton_steps("newton", problem, z0, tolerance=tolerance, callback=callback,
                            damping=damping, line_search=line_search, solve_newton_system=krylov_direction)

    lu_options = check_method_options("direct", linear_options or {}, direct.OPTIONS)

    def lu_direction(iteration, current):
        system = LinearSystem(problem.jacobian(current.z), current.residual)
        try:
            direction, linear = direct.solve(
                system, x0=None, tolerance=_NEWTON_SYSTEM_TOLERANCE, callback=None, **lu_options
            )
        except numpy.linalg.LinAlgError:
            return Stop(
                "singular",
                f"singular Jacobian at iteration {iteration}: I - J_F(z) is singular "
                "(the fixed point may be missing or not isolated); try damping, another "
                "z0, or 'anderson'",
            )
        if not linear.residual < 1.0:
            return Stop(
                "singular",
                f"singular Jacobian at iteration {iteration}: the Newton system was "
                f"solved only to relative residual {linear.residual:.3g}",
            )
        return direction, linear.residual

    return newton_steps("newton", problem, z0, tolerance=tolerance, callback=callback,
                        damping=damping, line_search=line_search,
                        solve_newton_system=lu_direction)
