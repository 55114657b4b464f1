"""Numerical solvers of the adjoint library: ``(I - K) x = b`` and ``z = F(z)``.

Numerics only: nothing here knows about graphs. Every solver returns its answer
together with a :class:`SolveReport` and never raises because it did not
converge.

Methods
    :func:`linear_methods` and :func:`nonlinear_methods` give the names, from the
    registries of :mod:`solvers.linear.dispatch` and
    :mod:`solvers.nonlinear.dispatch` (the one list of them);
    :func:`capabilities` says what each needs (an assembled matrix, a Jacobian,
    a JVP) and gives (exact or truncated, GPU arrays, warm starts).
    :class:`LinearSolver` and :class:`NonlinearSolver` are a method with its
    settings, checked when made, accepted in place of a name.

Settings
    :func:`check_options` checks a method name, its options and ``rtol``,
    ``atol``, ``maxiter`` before any work; the solve functions run the same
    checks. A bad setting raises :class:`SolverSettingError` (a ``ValueError``).

Tolerance
    Every solve is judged by the one rule stated in :mod:`solvers.tolerance`,
    which also defines the relative residuals reported, the defaults of ``rtol``
    and ``atol``, and what ``maxiter`` counts.

Report (:class:`SolveReport`)
    ``method``, ``converged``, ``iterations``, ``residual`` (final relative
    residual computed from the returned answer), ``residuals`` (history),
    ``reason`` (why it stopped, in words), ``code`` (why, as one of
    :data:`solvers.report.CODES`: ``"converged"``, ``"truncated"``,
    ``"maxiter"``, ``"diverged"``, ``"stagnated"``, ``"breakdown"``,
    ``"singular"``, defined in :mod:`solvers.report`), ``exact`` (False for
    truncations such as ``neumann``), ``evaluations`` (operator / map / Jacobian /
    JVP calls). A diverging solve (:mod:`solvers.monitor`) stops; the best
    iterate is returned.

Examples
--------
>>> import numpy as np
>>> from solvers import solve_linear, solve_fixed_point
>>> x, report = solve_linear("direct", np.array([[0.5]]), np.array([1.0]))
>>> x, report.converged
(array([2.]), True)
>>> z, report = solve_fixed_point("newton", np.cos, np.zeros(1),
...                               jacobian=lambda z: np.diag(-np.sin(z)))
>>> round(float(z[0]), 6), report.code
(0.739085, 'converged')
"""

from .capabilities import LinearCapabilities, NonlinearCapabilities
from .errors import SolverDependencyError, SolverSettingError
from .linear import LinearSolver, solve_linear
from .methods import capabilities, check_options, linear_methods, nonlinear_methods
from .nonlinear import NonlinearSolver, solve_fixed_point
from .report import CODES, CONVERGED_CODES, SolveReport
from .tolerance import Tolerance

__all__ = [
    "CODES",
    "CONVERGED_CODES",
    "LinearCapabilities",
    "LinearSolver",
    "NonlinearCapabilities",
    "NonlinearSolver",
    "SolveReport",
    "SolverDependencyError",
    "SolverSettingError",
    "Tolerance",
    "capabilities",
    "check_options",
    "linear_methods",
    "nonlinear_methods",
    "solve_fixed_point",
    "solve_linear",
]
