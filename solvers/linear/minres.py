"""``"minres"``: MINRES (scipy) on ``I - K``, for a symmetric, possibly indefinite ``I - K``.

The adjoint system of a minimiser is its Hessian, and with equality constraints the KKT
matrix, symmetric and indefinite: MINRES's short recurrences keep three vectors where GMRES
keeps its whole Krylov space. On a nonsymmetric ``I - K`` it does not converge, and the true
residual (checked by :mod:`solvers.linear.krylov`) says so.

Steps and budget: one step is one application of ``I - K``, one MINRES iteration.
History and callback: one entry per iteration, the true relative residual of the iterate
(one extra application each, counted in ``evaluations``).
"""

import scipy.sparse.linalg

from ..capabilities import LinearCapabilities
from ..tolerance import Tolerance
from . import krylov
from .system import LinearSystem

CAPABILITIES = LinearCapabilities(warm_start=True)
OPTIONS: dict = {}


def solve(system: LinearSystem, *, x0, tolerance: Tolerance, callback):
    """Solve a symmetric ``(I - K) x = b`` with MINRES; see :mod:`solvers.tolerance` for the rule.

    Parameters
    ----------
    system : LinearSystem
    x0 : array or None
        Starting point; default zero.
    tolerance : Tolerance
        ``maxiter`` counts applications of ``I - K`` (default 1000).
    callback : callable or None
        ``callback(iteration, x, residual)`` after every iteration.

    Returns
    -------
    x : array
    report : SolveReport

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.tolerance import Tolerance
    >>> system = LinearSystem(np.array([[0.0, 2.0], [2.0, 0.0]]), np.ones(2))  # I - K indefinite
    >>> x, report = solve(system, x0=None, tolerance=Tolerance(), callback=None)
    >>> report.converged, np.round(x, 12)
    (True, array([-1., -1.]))
    """
    return krylov.run("minres", system, x0=x0, tolerance=tolerance, callback=callback,
                      chunk=krylov.iterate_chunk(scipy.sparse.linalg.minres, system), iterates_in_history=True)
