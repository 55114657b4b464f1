"""``"gmres"``: restarted GMRES (scipy) on ``I - K``.

Steps and budget: one step is one Arnoldi step, i.e. one application of
``I - K``. ``maxiter`` steps are handed to scipy as ``maxiter // restart`` restart
cycles of ``restart`` steps, then one shorter cycle for the remainder, so the
budget is exact whatever the restart length. The residual recomputed at each
restart by scipy, and the true residuals checked by :mod:`solvers.linear.krylov`,
are counted in ``evaluations``.

History and callback: one entry per Arnoldi step, scipy's estimate
(``callback_type="pr_norm"``) of the relative residual; the iterate is formed
only at the end of a cycle, so the callback receives ``x=None``.

Option ``restart`` (default ``min(n, 50)``): the Krylov space kept between
restarts; memory is ``restart * n`` floats. 50 is longer than scipy's 20 because
the operators here are usually cheap and restarts slow GMRES down markedly on
nonnormal ``K``.
"""

import scipy.sparse.linalg

from ..capabilities import LinearCapabilities
from ..settings import Option, optional, require_positive_integer
from ..tolerance import Tolerance
from . import krylov
from .system import LinearSystem

CAPABILITIES = LinearCapabilities(warm_start=True)
OPTIONS = {"restart": Option(None, optional(require_positive_integer))}

#: Restart length used when none is given, capped at n.
DEFAULT_RESTART = 50


def solve(system: LinearSystem, *, x0, tolerance: Tolerance, callback, restart):
    """Solve ``(I - K) x = b`` with restarted GMRES; see :mod:`solvers.tolerance` for the rule.

    Parameters
    ----------
    system : LinearSystem
    x0 : array or None
        Starting point; default zero.
    tolerance : Tolerance
        ``maxiter`` counts Arnoldi steps (default 1000).
    callback : callable or None
        ``callback(iteration, None, residual_estimate)`` after every Arnoldi step.
    restart : int or None
        Restart length; ``None``: ``min(n, 50)``.

    Returns
    -------
    x : array
    report : SolveReport

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.tolerance import Tolerance
    >>> system = LinearSystem(np.array([[0.5, 0.2], [0.1, 0.3]]), np.ones(2))
    >>> x, report = solve(system, x0=None, tolerance=Tolerance(), callback=None, restart=None)
    >>> report.converged, report.iterations
    (True, 2)
    """
    restart = krylov.cycle_length(restart, DEFAULT_RESTART, system.n)

    def chunk(A, b, x, budget, tolerance, progress):
        size, cycles = krylov.split_budget(budget, restart)
        return scipy.sparse.linalg.gmres(
            A, b, x0=x, rtol=tolerance.rtol, atol=tolerance.atol, restart=size,
            maxiter=cycles, callback=progress.estimate, callback_type="pr_norm",
        )

    return krylov.run("gmres", system, x0=x0, tolerance=tolerance, callback=callback,
                      chunk=chunk)
