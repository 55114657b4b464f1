"""``"lgmres"``: LGMRES (scipy), GMRES restarted with augmentation vectors, on ``I - K``.

Steps and budget: one step is one application of ``I - K`` in an inner GMRES
cycle of ``inner_m`` steps (scipy's "outer iteration"). ``maxiter`` steps are
handed to scipy as ``maxiter // inner_m`` outer iterations, then a shorter one
for the remainder; the augmentation vectors are carried from one call to the
next, so chunking does not lose them. The residual scipy recomputes at each outer
iteration, and the true residuals, are counted in ``evaluations``.

History and callback: one entry per outer iteration (every ``inner_m`` steps),
with the true relative residual of the iterate (one extra application each).

Options: ``inner_m`` (default ``min(n, 30)``, scipy's default) and ``outer_k``
(augmentation vectors kept, default 3).
"""

import scipy.sparse.linalg

from ..capabilities import LinearCapabilities
from ..settings import (
    Option,
    optional,
    require_nonnegative_integer,
    require_positive_integer,
)
from ..tolerance import Tolerance
from . import krylov
from .system import LinearSystem

CAPABILITIES = LinearCapabilities(warm_start=True)
OPTIONS = {
    "inner_m": Option(None, optional(require_positive_integer)),
    "outer_k": Option(3, require_nonnegative_integer),
}

#: Inner cycle length used when none is given, capped at n.
DEFAULT_INNER_M = 30


def solve(system: LinearSystem, *, x0, tolerance: Tolerance, callback, inner_m, outer_k):
    """Solve ``(I - K) x = b`` with LGMRES; see :mod:`solvers.tolerance` for the rule.

    Parameters
    ----------
    system : LinearSystem
    x0 : array or None
        Starting point; default zero.
    tolerance : Tolerance
        ``maxiter`` counts inner steps (default 1000).
    callback : callable or None
        ``callback(iteration, x, residual)`` after every outer iteration.
    inner_m : int or None
        Inner GMRES cycle length; ``None``: ``min(n, 30)``.
    outer_k : int
        Number of augmentation vectors (the option's default is 3).

    Returns
    -------
    x : array
    report : SolveReport

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.tolerance import Tolerance
    >>> system = LinearSystem(np.array([[0.5, 0.2], [0.1, 0.3]]), np.ones(2))
    >>> x, report = solve(system, x0=None, tolerance=Tolerance(), callback=None,
    ...                   inner_m=None, outer_k=3)
    >>> report.converged
    True
    """
    inner_m = krylov.cycle_length(inner_m, DEFAULT_INNER_M, system.n)
    augmentation: list = []  # scipy's outer_v, kept across chunks

    def chunk(A, b, x, budget, tolerance, progress):
        size, outer = krylov.split_budget(budget, inner_m)
        start = system.operator_applications
        base = progress.steps
        outer_started = 0

        def on_outer_iteration(xk):
            # called after scipy's residual matvec at the start of each outer iteration
            nonlocal outer_started
            outer_started += 1
            progress.steps = base + system.operator_applications - start - outer_started
            progress.iterate(xk)

        x, info = scipy.sparse.linalg.lgmres(
            A, b, x0=x, rtol=tolerance.rtol, atol=tolerance.atol, maxiter=outer,
            inner_m=size, outer_k=outer_k, outer_v=augmentation,
            callback=on_outer_iteration,
        )
        progress.steps = base + system.operator_applications - start - outer_started
        return x, info

    return krylov.run("lgmres", system, x0=x0, tolerance=tolerance, callback=callback,
                      chunk=chunk, iterates_in_history=True)
