"""Numerical solvers of the adjoint library: ``(I - K) x = b`` and ``z = F(z)``.

Numerics only: nothing here knows about graphs. Every solver returns its answer
together with a :class:`SolveReport` and never raises because it did not
converge.

Tolerance
    Every solve is judged by the one rule stated in :mod:`solvers.tolerance`,
    which also defines the relative residuals reported, the defaults of ``rtol``
    and ``atol``, and what ``maxiter`` counts.

Report (:class:`SolveReport`)
    ``method``, ``converged``, ``iterations``, ``residual`` (final relative
    residual computed from the returned answer), ``residuals`` (history),
    ``reason`` (why it stopped, in words: converged, maxiter reached, diverged,
    singular, ...), ``exact`` (False for truncations such as ``neumann``),
    ``evaluations`` (operator / map / Jacobian / JVP calls). A diverging solve
    (:mod:`solvers.monitor`) stops; the best iterate is returned.

Examples
--------
>>> import numpy as np
>>> from solvers import solve_linear, solve_fixed_point
>>> x, report = solve_linear("direct", np.array([[0.5]]), np.array([1.0]))
>>> x, report.converged
(array([2.]), True)
>>> z, report = solve_fixed_point("newton", np.cos, np.zeros(1),
...                               jacobian=lambda z: np.diag(-np.sin(z)))
>>> round(float(z[0]), 6), report.converged
(0.739085, True)
"""

from .linear import LINEAR_METHODS, solve_linear
from .nonlinear import NONLINEAR_METHODS, solve_fixed_point
from .report import SolveReport
from .tolerance import Tolerance

__all__ = [
    "LINEAR_METHODS",
    "NONLINEAR_METHODS",
    "SolveReport",
    "Tolerance",
    "solve_fixed_point",
    "solve_linear",
]
