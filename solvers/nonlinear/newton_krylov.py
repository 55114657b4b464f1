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

from ..capabilities import NonlinearCapabilities
from ..errors import SolverSettingError
from ..linear import gmres
from ..linear.system import LinearSystem
from ..monitor import Stop
from ..settings import (
    Option,
    float_or_nan,
    optional,
    require_bool,
    require_damping,
    require_positive_integer,
)
from ..tolerance import Tolerance
from .newton import newton_steps
from .problem import FixedPointProblem


def require_forcing(name: str, value):
    """Return `value` if it is ``"eisenstat_walker"`` or a number in (0, 1) (as a float).

    Examples
    --------
    >>> require_forcing("forcing", "eisenstat_walker"), require_forcing("forcing", 1e-3)
    ('eisenstat_walker', 0.001)
    >>> require_forcing("forcing", 1)
    Traceback (most recent call last):
    ...
    solvers.errors.SolverSettingError: forcing must be 'eisenstat_walker' or a number in (0, 1), got 1
    """
    if isinstance(value, str) and value == "eisenstat_walker":
        return value
    if not 0.0 < float_or_nan(value) < 1.0:
        raise SolverSettingError(
            f"{name} must be 'eisenstat_walker' or a number in (0, 1), got {value!r}"
        )
    return float(value)


CAPABILITIES = NonlinearCapabilities(needs_jvp=True)
OPTIONS = {
    "damping": Option(1.0, require_damping),
    "line_search": Option(True, require_bool),
    "forcing": Option("eisenstat_walker", require_forcing),
    "inner_maxiter": Option(200, require_positive_integer),
    "restart": Option(None, optional(require_positive_integer)),
}

ETA_INITIAL = 0.5
ETA_MAX = 0.9
ETA_MIN = 1e-13
_GAMMA = 0.9


class EisenstatWalker:
    """Forcing terms ``eta_k`` of Eisenstat & Walker's choice 2, safeguarded.

    Called once per Newton step with ``||G||`` and ``norm(z)`` at the current
    iterate: the first call gives :data:`ETA_INITIAL`, the later ones follow
    from the reduction of ``||G||`` since the previous call.

    Parameters
    ----------
    tolerance : Tolerance
        The nonlinear tolerance, for the no-oversolving safeguard.

    Examples
    --------
    >>> from solvers.tolerance import Tolerance
    >>> forcing = EisenstatWalker(Tolerance.nonlinear())
    >>> forcing(residual_norm=1.0, scale=1.0)
    0.5
    >>> round(forcing(residual_norm=0.1, scale=1.0), 6)
    0.225
    """

    def __init__(self, tolerance: Tolerance):
        self.tolerance = tolerance
        self.eta = ETA_INITIAL
        self._previous_norm = None

    def __call__(self, residual_norm: float, scale: float) -> float:
        previous_norm, self._previous_norm = self._previous_norm, residual_norm
        if previous_norm is None or residual_norm == 0.0 or previous_norm == 0.0:
            return self.eta  # first step, or solved: the term will not be used
        eta = _GAMMA * (residual_norm / previous_norm) ** 2
        safeguard = _GAMMA * self.eta**2
        if safeguard > 0.1:
            eta = max(eta, safeguard)
        eta = min(eta, ETA_MAX)
        eta = max(eta, 0.5 * self.tolerance.threshold(scale) / residual_norm)
        self.eta = min(max(eta, ETA_MIN), ETA_MAX)
        return self.eta


def _forcing_rule(forcing, tolerance):
    """Return ``rule(residual_norm, scale) -> eta``, called once per Newton step.

    Parameters
    ----------
    forcing : "eisenstat_walker" or float
        The option, checked by :func:`require_forcing`: :class:`EisenstatWalker`,
        or a constant in (0, 1).
    tolerance : Tolerance
        The nonlinear tolerance.

    Returns
    -------
    callable

    Examples
    --------
    >>> from solvers.tolerance import Tolerance
    >>> constant = _forcing_rule(1e-3, Tolerance.nonlinear())
    >>> constant(1.0, 1.0), constant(0.1, 1.0)
    (0.001, 0.001)
    """
    if forcing == "eisenstat_walker":
        return EisenstatWalker(tolerance)
    return lambda residual_norm, scale: forcing


def solve(problem: FixedPointProblem, z0, *, tolerance: Tolerance, callback, damping,
          line_search, forcing, inner_maxiter, restart):
    """Find ``z = F(z)`` by Newton–Krylov; see :mod:`solvers.tolerance` for the rule.

    Parameters
    ----------
    problem : FixedPointProblem
        With a ``jvp``.
    z0, tolerance, callback, damping, line_search
        As for :func:`solvers.nonlinear.newton.solve`.
    forcing : "eisenstat_walker" or float
        Forcing-term rule (see the module docstring).
    inner_maxiter : int
        GMRES steps per Newton step (option default 200).
    restart : int or None
        GMRES restart length; ``None``: ``min(n, 50)``.

    Returns
    -------
    z : array
    report : SolveReport

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.settings import defaults
    >>> from solvers.tolerance import Tolerance
    >>> problem = FixedPointProblem(np.cos, np.zeros(1), jvp=lambda z, v: -np.sin(z) * v)
    >>> z, report = solve(problem, np.zeros(1), tolerance=Tolerance.nonlinear(), callback=None,
    ...                   **defaults(OPTIONS))
    >>> report.converged
    True
    """
    forcing_rule = _forcing_rule(forcing, tolerance)

    def gmres_direction(iteration, current):
        eta = forcing_rule(current.residual_norm, current.scale)
        system = LinearSystem(lambda v: problem.jvp(current.z, v), current.residual)
        direction, linear = gmres.solve(
            system, x0=None, callback=None, restart=restart,
            tolerance=Tolerance(rtol=eta, atol=0.0, maxiter=inner_maxiter),
        )
        if not linear.residual < 1.0:
            return Stop(
                "breakdown",
                f"linear solve failed at iteration {iteration}: GMRES did not reduce "
                f"the Newton residual (I - J_F is singular or the JVP is wrong): "
                f"{linear.reason}",
            )
        return direction, linear.residual

    return newton_steps("newton_krylov", problem, z0, tolerance=tolerance, callback=callback,
                        damping=damping, line_search=line_search,
                        solve_newton_system=gmres_direction)
