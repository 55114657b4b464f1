"""Solving the reduced linear system of a torn cyclic block on its iterates.

The adjoint (``K = (∂F/∂T)ᵀ``) and the tangent (``K = ∂F/∂T``) of a cyclic block both come
down to ``(I - K) x = b`` on the iterates, ``K`` applied matrix-free by substitution through
the block. JFB is the truncation ``x = b``: no solve at all.
"""

import numpy as np
import scipy.sparse.linalg as spla

import solvers

from adjoint.diagnostics.progress import monitored


def solve_reduced(method, K, b, settings, block, phase, options):
    """``(x, report)`` for ``(I - K) x = b`` by ``method`` (a linear method name, or "jfb").

    Examples
    --------
    >>> import numpy as np
    >>> from adjoint.graph.settings import Settings
    >>> from graphs.structure import Block
    >>> block = Block(("z",), True, ("z",))
    >>> x, report = solve_reduced("gmres", lambda v: 0.5 * v, np.ones(2), Settings(), block, "adjoint", {})
    >>> x, report.converged
    (array([2., 2.]), True)
    >>> solve_reduced("jfb", lambda v: 0.5 * v, np.ones(2), Settings(), block, "adjoint", {})[0]
    array([1., 1.])
    """
    if method == "jfb":
        return b, solvers.SolveReport("jfb", True, 0, 0.0, [], "JFB: x = b on the iterates, no solve", exact=False)
    op = spla.LinearOperator((b.size, b.size), matvec=K, dtype=np.float64)
    solve = monitored(solvers.solve_linear, settings, block, phase)
    return solve(method, op, b, **settings.tolerances(), **options)
