"""``"minres"`` and ``"cg"``: scipy's Krylov methods for a symmetric ``I - K``.

The adjoint system of a minimiser is its Hessian, symmetric and positive definite at a
strict minimum, and with equality constraints the KKT matrix, symmetric and indefinite.
MINRES takes either, CG the positive definite one, each with short recurrences (a few
vectors, where GMRES keeps its whole Krylov space). On a nonsymmetric ``I - K`` (or CG on
an indefinite one) they fail to converge, and the true residual, checked by
:mod:`solvers.linear.krylov`, says so.

Both names are this module with its ``algorithm`` fixed (as ``"jfb"`` is ``"neumann"``).
Steps and budget: one step is one application of ``I - K``, one iteration. History and
callback: one entry per iteration, the true relative residual of the iterate (one extra
application each, counted in ``evaluations``).
"""

import scipy.sparse.linalg

from ..capabilities import LinearCapabilities
from ..settings import Option, one_of
from ..tolerance import Tolerance
from . import krylov
from .system import LinearSystem

_ALGORITHMS = {"minres": scipy.sparse.linalg.minres, "cg": scipy.sparse.linalg.cg}


CAPABILITIES = LinearCapabilities(warm_start=True)
OPTIONS = {"algorithm": Option("minres", one_of(*_ALGORITHMS))}


def solve(system: LinearSystem, *, x0, tolerance: Tolerance, callback, algorithm):
    """Solve a symmetric ``(I - K) x = b`` by MINRES or CG; see :mod:`solvers.tolerance` for the rule.

    Parameters
    ----------
    system : LinearSystem
    x0 : array or None
        Starting point; default zero.
    tolerance : Tolerance
        ``maxiter`` counts applications of ``I - K`` (default 1000).
    callback : callable or None
        ``callback(iteration, x, residual)`` after every iteration.
    algorithm : {"minres", "cg"}
        Fixed by the method's name.

    Returns
    -------
    x : array
    report : SolveReport

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.tolerance import Tolerance
    >>> system = LinearSystem(np.array([[0.0, 2.0], [2.0, 0.0]]), np.ones(2))  # I - K indefinite
    >>> x, report = solve(system, x0=None, tolerance=Tolerance(), callback=None, algorithm="minres")
    >>> report.converged, np.round(x, 12)
    (True, array([-1., -1.]))
    >>> system = LinearSystem(np.array([[-1.0, 0.5], [0.5, -2.0]]), np.ones(2))  # I - K positive definite
    >>> x, report = solve(system, x0=None, tolerance=Tolerance(), callback=None, algorithm="cg")
    >>> report.converged, bool(np.allclose(np.array([[2, -0.5], [-0.5, 3]]) @ x, 1))
    (True, True)
    """
    return krylov.run(algorithm, system, x0=x0, tolerance=tolerance, callback=callback,
                      chunk=krylov.iterate_chunk(_ALGORITHMS[algorithm], system), iterates_in_history=True)
