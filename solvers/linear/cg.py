"""``"cg"``: conjugate gradients (scipy) on ``I - K``, for a symmetric positive definite ``I - K``.

The adjoint system of an unconstrained minimiser is its Hessian, positive definite at a
strict minimum: CG is the cheapest Krylov method there. On a matrix that is not symmetric
positive definite it may fail, and the true residual (checked by
:mod:`solvers.linear.krylov`) says so; use ``"minres"`` for symmetric indefinite systems.

Steps and budget: one step is one application of ``I - K``, one CG iteration.
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
    """Solve a symmetric positive definite ``(I - K) x = b`` by CG; see :mod:`solvers.tolerance`.

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
    >>> system = LinearSystem(np.array([[-1.0, 0.5], [0.5, -2.0]]), np.ones(2))  # I - K = [[2, -.5], [-.5, 3]]
    >>> x, report = solve(system, x0=None, tolerance=Tolerance(), callback=None)
    >>> report.converged, bool(np.allclose(np.array([[2, -0.5], [-0.5, 3]]) @ x, 1))
    (True, True)
    """
    return krylov.run("cg", system, x0=x0, tolerance=tolerance, callback=callback,
                      chunk=krylov.iterate_chunk(scipy.sparse.linalg.cg, system), iterates_in_history=True)
