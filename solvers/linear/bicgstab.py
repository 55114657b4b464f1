"""``"bicgstab"``: BiCGSTAB (scipy) on ``I - K``.

Steps and budget: one scipy iteration applies ``I - K`` twice, so it counts as
two steps; ``maxiter`` steps are handed to scipy as ``maxiter // 2`` iterations
(an odd budget leaves one step unspent; ``maxiter=1`` still makes one full
iteration, i.e. two applications). The residual of a nonzero starting point and
the true residuals are counted in ``evaluations``.

History and callback: one entry per scipy iteration (every two steps), with the
true relative residual of the iterate, which costs one extra application each.
BiCGSTAB's residual is not monotone; the best iterate is returned.
"""

import scipy.sparse.linalg

from ..capabilities import LinearCapabilities
from ..tolerance import Tolerance
from . import krylov
from .system import LinearSystem

CAPABILITIES = LinearCapabilities(warm_start=True)
OPTIONS: dict = {}


def solve(system: LinearSystem, *, x0, tolerance: Tolerance, callback):
    """Solve ``(I - K) x = b`` with BiCGSTAB; see :mod:`solvers.tolerance` for the rule.

    Parameters
    ----------
    system : LinearSystem
    x0 : array or None
        Starting point; default zero.
    tolerance : Tolerance
        ``maxiter`` counts applications of ``I - K`` (default 1000).
    callback : callable or None
        ``callback(iteration, x, residual)`` after every BiCGSTAB iteration.

    Returns
    -------
    x : array
    report : SolveReport

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.tolerance import Tolerance
    >>> system = LinearSystem(np.array([[0.5, 0.2], [0.1, 0.3]]), np.ones(2))
    >>> x, report = solve(system, x0=None, tolerance=Tolerance(), callback=None)
    >>> report.converged
    True
    """

    def chunk(A, b, x, budget, tolerance, progress):
        # scipy spends one application on the residual of a nonzero start: not a step
        start = system.operator_applications + (1 if x.any() else 0)
        base = progress.steps

        def on_iterate(xk):
            progress.steps = base + system.operator_applications - start
            progress.iterate(xk)

        x, info = scipy.sparse.linalg.bicgstab(
            A, b, x0=x, rtol=tolerance.rtol, atol=tolerance.atol,
            maxiter=max(1, budget // 2), callback=on_iterate,
        )
        progress.steps = base + system.operator_applications - start
        return x, info

    return krylov.run("bicgstab", system, x0=x0, tolerance=tolerance, callback=callback,
                      chunk=chunk, step_cost=2, iterates_in_history=True)
