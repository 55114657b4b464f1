"""``"fixed_point"``: Picard iteration ``z <- (1 - damping) z + damping F(z)``.

Converges when ``F`` is a contraction near the fixed point, at the rate of its
Lipschitz constant (damping can rescue a map whose Jacobian has eigenvalues
below -1). A Gauss–Seidel sweep is the caller's business: pass the sweep as `F`.
Written against the array namespace of `z0`: runs on numpy or cupy.

Counting: ``F`` at the starting point, then one call per iteration, which gives
both the residual of the new iterate and the next update:
``evaluations = iterations + 1``.
"""

from ..capabilities import NonlinearCapabilities
from ..settings import Option, require_damping
from ..tolerance import ITERATIVE_MAXITER, Tolerance
from .problem import FixedPointProblem, iterate

CAPABILITIES = NonlinearCapabilities(gpu=True)
OPTIONS = {"damping": Option(1.0, require_damping)}


def solve(problem: FixedPointProblem, z0, *, tolerance: Tolerance, callback, damping):
    """Find ``z = F(z)`` by damped Picard iteration; see :mod:`solvers.tolerance` for the rule.

    Parameters
    ----------
    problem : FixedPointProblem
    z0 : array
        Starting point.
    tolerance : Tolerance
        ``maxiter`` defaults to :data:`solvers.tolerance.ITERATIVE_MAXITER`.
    callback : callable or None
        ``callback(iteration, z, residual)`` after every iteration.
    damping : float
        Relaxation factor in (0, 1] (the option's default is 1).

    Returns
    -------
    z : array
        The iterate with the smallest residual (relative to the tolerance).
    report : SolveReport

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.tolerance import Tolerance
    >>> problem = FixedPointProblem(lambda z: z / 2 + 1, np.zeros(1))
    >>> z, report = solve(problem, np.zeros(1), tolerance=Tolerance.nonlinear(), callback=None,
    ...                   damping=1.0)
    >>> z.round(6), report.converged
    (array([2.]), True)
    """
    def picard_step(iteration, current):
        if damping == 1.0:
            # A copy of F(z), one pass over z where z + 1 * (F(z) - z) takes two; a copy, as
            # a map that writes into one buffer would otherwise overwrite its own iterates.
            return problem.evaluate(current.value.copy())
        return problem.evaluate(current.z + damping * current.residual)

    return iterate("fixed_point", problem, z0, callback=callback, advance=picard_step,
                   tolerance=tolerance.with_default_maxiter(ITERATIVE_MAXITER))
