"""``"newton_krylov"``: inexact Newton with GMRES on Jacobian–vector products.

Each step solves ``(I - J_F(z)) d = F(z) - z`` approximately with
:mod:`solvers.linear.gmres` on the matrix-free operator ``v -> v - jvp(z, v)``, to
a relative residual ``eta_k`` (the *forcing term*), then backtracks as
:mod:`solvers.nonlinear.newton` does, with the Armijo slope reduced by the actual
linear residual.

Forcing term: by default Eisenstat & Walker's choice 2 (SIAM J. Sci. Comput. 17,
1996) with Kelley's safeguards: ``eta_0 = 0.5``,
``eta_k = 0.9 (||G_k|| / ||G_{k-1}||)^2``, not below ``0.9 eta_{k-1}^2`` when that
exceeds 0.1, capped at 0.9, and not below ``0.5 * threshold / ||G_k||`` (no
oversolving on the last step), with a floor of 1e-13. Loose solves far from the
solution, tight ones near it: superlinear convergence at few JVPs. A float
``forcing`` fixes ``eta_k`` instead.

Counting: one iteration is one Newton step; ``evaluations`` counts every call of
``F`` and of ``jvp``. Options ``inner_maxiter`` (GMRES steps per Newton step,
default 200) and ``restart`` (default ``min(n, 50)``). A GMRES solve that does
not reduce the linear residual at all stops the iteration with a reason.
Runs on numpy/scipy only.
"""

import numbers

from ..backend import require_host
from ..linear import gmres
from ..linear.system import LinearSystem
from ..monitor import IterationMonitor, Stop
from ..settings import require_damping, require_positive_int
from ..tolerance import NEWTON_MAXITER, Tolerance
from .line_search import backtrack, plain_step
from .newton import line_search_failure
from .problem import FixedPointProblem

OPTIONS = {
    "damping": 1.0,
    "line_search": True,
    "forcing": "eisenstat_walker",
    "inner_maxiter": 200,
    "restart": None,
}

ETA_INITIAL = 0.5
ETA_MAX = 0.9
ETA_MIN = 1e-13
_GAMMA = 0.9


class EisenstatWalker:
    """Forcing terms ``eta_k`` of Eisenstat & Walker's choice 2, safeguarded.

    Parameters
    ----------
    tolerance : Tolerance
        The nonlinear tolerance, for the no-oversolving safeguard.

    Examples
    --------
    >>> from solvers.tolerance import Tolerance
    >>> forcing = EisenstatWalker(Tolerance.nonlinear())
    >>> forcing.first()
    0.5
    >>> round(forcing.next(residual_norm=0.1, previous_norm=1.0, scale=1.0), 6)
    0.225
    """

    def __init__(self, tolerance: Tolerance):
        self.tolerance = tolerance
        self.eta = ETA_INITIAL

    def first(self) -> float:
        """Return the forcing term of the first Newton step.

        Returns
        -------
        float

        Examples
        --------
        See the class example.
        """
        return self.eta

    def next(self, residual_norm: float, previous_norm: float, scale: float) -> float:
        """Return the next forcing term from the last reduction of ``||G||``.

        Parameters
        ----------
        residual_norm, previous_norm : float
            ``||G||`` after and before the last step.
        scale : float
            ``norm(z)`` at the new iterate.

        Returns
        -------
        float

        Examples
        --------
        See the class example.
        """
        if residual_norm == 0.0 or previous_norm == 0.0:
            return self.eta  # solved: the next forcing term will not be used
        eta = _GAMMA * (residual_norm / previous_norm) ** 2
        safeguard = _GAMMA * self.eta**2
        if safeguard > 0.1:
            eta = max(eta, safeguard)
        eta = min(eta, ETA_MAX)
        eta = max(eta, 0.5 * self.tolerance.threshold(scale) / residual_norm)
        self.eta = min(max(eta, ETA_MIN), ETA_MAX)
        return self.eta


class FixedForcing:
    """A constant forcing term.

    Parameters
    ----------
    eta : float
        In (0, 1).

    Examples
    --------
    >>> FixedForcing(1e-3).next(0.1, 1.0, 1.0)
    0.001
    """

    def __init__(self, eta: float):
        self.eta = eta

    def first(self) -> float:
        """Return the forcing term.

        Returns
        -------
        float

        Examples
        --------
        >>> FixedForcing(0.1).first()
        0.1
        """
        return self.eta

    def next(self, residual_norm: float, previous_norm: float, scale: float) -> float:
        """Return the forcing term, whatever the progress.

        Parameters
        ----------
        residual_norm, previous_norm, scale : float
            Ignored.

        Returns
        -------
        float

        Examples
        --------
        See the class example.
        """
        return self.eta


def _forcing_rule(forcing, tolerance):
    if forcing == "eisenstat_walker":
        return EisenstatWalker(tolerance)
    if (
        isinstance(forcing, numbers.Real)
        and not isinstance(forcing, bool)
        and 0.0 < float(forcing) < 1.0
    ):
        return FixedForcing(float(forcing))
    raise ValueError(
        f"forcing must be 'eisenstat_walker' or a number in (0, 1), got {forcing!r}"
    )


def solve(problem: FixedPointProblem, z0, *, tolerance: Tolerance, callback, damping=1.0,
          line_search=True, forcing="eisenstat_walker", inner_maxiter=200, restart=None):
    """Find ``z = F(z)`` by Newton–Krylov; see :mod:`solvers.tolerance` for the rule.

    Parameters
    ----------
    problem : FixedPointProblem
        With a ``jvp``.
    z0 : array
        Starting point.
    tolerance : Tolerance
        ``maxiter`` (Newton steps) defaults to
        :data:`solvers.tolerance.NEWTON_MAXITER`.
    callback : callable or None
        ``callback(iteration, z, residual)`` after every Newton step.
    damping : float, optional
        First step length tried, in (0, 1]; default 1.
    line_search : bool, optional
        Backtrack (default) or take the damped step as is.
    forcing : "eisenstat_walker" or float, optional
        Forcing-term rule (see the module docstring).
    inner_maxiter : int, optional
        GMRES steps per Newton step; default 200.
    restart : int, optional
        GMRES restart length; default ``min(n, 50)``.

    Returns
    -------
    z : array
    report : SolveReport

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.tolerance import Tolerance
    >>> problem = FixedPointProblem(np.cos, np.zeros(1), jvp=lambda z, v: -np.sin(z) * v)
    >>> z, report = solve(problem, np.zeros(1), tolerance=Tolerance.nonlinear(), callback=None)
    >>> report.converged
    True
    """
    require_host(z0, "newton_krylov")
    damping = require_damping(damping)
    inner_maxiter = require_positive_int("inner_maxiter", inner_maxiter)
    forcing_rule = _forcing_rule(forcing, tolerance)
    step = backtrack if line_search else plain_step
    tolerance = tolerance.with_default_maxiter(NEWTON_MAXITER)
    monitor = IterationMonitor(tolerance, callback)

    current = problem.evaluate(z0)
    stop = monitor.start(current.z, current.residual_norm, current.scale)
    eta = forcing_rule.first()
    iteration = 0
    while stop is None and iteration < tolerance.maxiter:
        iteration += 1
        z = current.z
        system = LinearSystem(lambda v, z=z: problem.jvp(z, v), current.residual)
        direction, linear = gmres.solve(
            system, x0=None, callback=None, restart=restart,
            tolerance=Tolerance(rtol=eta, atol=0.0, maxiter=inner_maxiter),
        )
        if not linear.residual < 1.0:
            stop = Stop(
                False,
                f"linear solve failed at iteration {iteration}: GMRES did not reduce "
                f"the Newton residual (I - J_F is singular or the JVP is wrong): "
                f"{linear.reason}",
            )
            break
        following = step(problem, current, direction, initial_step=damping,
                         linear_residual=linear.residual)
        if following is None:
            stop = line_search_failure(iteration)
            break
        eta = forcing_rule.next(following.residual_norm, current.residual_norm,
                                following.scale)
        current = following
        stop = monitor.record(iteration, current.z, current.residual_norm, current.scale)
    report = monitor.report("newton_krylov", stop, evaluations=problem.evaluations)
    return monitor.best_x, report
