"""``"anderson"``: Anderson acceleration of the fixed-point iteration (type II).

Walker & Ni, "Anderson acceleration for fixed-point iterations", SIAM J. Numer.
Anal. 49 (2011), in their difference form. With ``g_k = F(z_k) - z_k``, the last
``m_k <= memory`` differences ``dZ = [z_{i+1} - z_i]`` and ``dG = [g_{i+1} - g_i]``:

    gamma   = argmin ||g_k - dG gamma||^2 + lambda ||gamma||^2
    z_{k+1} = z_k + beta g_k - (dZ + beta dG) gamma

``beta`` is the ``damping`` (mixing) and ``lambda = regularization * ||dG||_F^2``
a Tikhonov term relative to the scale of ``dG``, so that nearly dependent
differences (stagnating directions) cannot produce huge coefficients. The
regularised least-squares problem is solved by its normal equations, the small
``m × m`` system ``(dGᵀdG + lambda I) gamma = dGᵀ g``, whose Gram matrix is kept
from step to step (one new row of ``m`` dot products per step): the cost of a step
is ``O(m n)``, small next to one evaluation of ``F``, where a least-squares solve on
the tall ``n × m`` matrix costs ``O(m² n)`` and a copy of the history. The
regularisation bounds the condition number the normal equations square
(``1 / regularization`` at most); a Gram matrix singular even so (``regularization
= 0``) is solved in the least-squares sense. With ``memory = 0`` it is the damped
Picard iteration.

Counting as for ``fixed_point``: one call of ``F`` per iteration plus one for
the starting point. Written against the array namespace of `z0`: runs on numpy
or cupy.
"""

from collections import deque

import numpy

from ..capabilities import NonlinearCapabilities
from ..settings import (
    Option,
    require_damping,
    require_finite_nonnegative,
    require_nonnegative_integer,
)
from ..tolerance import ITERATIVE_MAXITER, Tolerance
from .problem import FixedPointProblem, iterate

CAPABILITIES = NonlinearCapabilities(gpu=True)
OPTIONS = {
    "memory": Option(5, require_nonnegative_integer),
    "damping": Option(1.0, require_damping),
    "regularization": Option(1e-10, require_finite_nonnegative),
}


def anderson_step(xp, z, g, dZ, dG, *, damping: float, regularization: float, gram=None):
    """Return the next Anderson iterate from the current one and the difference history.

    Parameters
    ----------
    xp : module
        numpy or cupy.
    z, g : array
        Current iterate and its residual ``F(z) - z``.
    dZ, dG : sequence of array
        Differences of successive iterates and of successive residuals, oldest
        first, equally many.
    damping : float
        Mixing factor ``beta`` in (0, 1].
    regularization : float
        Tikhonov factor relative to ``||dG||_F^2``.
    gram : array, optional
        ``dGᵀ dG`` (``m × m``, host memory), when the caller keeps it; else computed.

    Returns
    -------
    array

    Examples
    --------
    For an affine map the step is exact once the history spans the space:

    >>> import numpy as np
    >>> F = lambda z: 0.5 * z + 1.0
    >>> z0, z1 = np.zeros(1), np.ones(1)
    >>> g0, g1 = F(z0) - z0, F(z1) - z1
    >>> anderson_step(np, z1, g1, [z1 - z0], [g1 - g0], damping=1.0, regularization=0.0)
    array([2.])
    """
    if not dG:
        return z + damping * g
    if gram is None:
        gram = numpy.array([[float(xp.vdot(a, b)) for b in dG] for a in dG])
    m = len(dG)
    system = gram + regularization * float(numpy.trace(gram)) * numpy.eye(m)
    rhs = numpy.array([float(xp.vdot(d, g)) for d in dG])
    try:
        gamma = numpy.linalg.solve(system, rhs)
    except numpy.linalg.LinAlgError:
        gamma = numpy.linalg.lstsq(system, rhs, rcond=None)[0]
    following = z + damping * g
    for c, dz, dg in zip(gamma, dZ, dG):
        following -= float(c) * (dz + damping * dg)
    return following


class GramHistory:
    """The last ``memory`` differences ``dZ``, ``dG`` and the Gram matrix ``dGᵀ dG``, kept up to date.

    Examples
    --------
    >>> import numpy as np
    >>> history = GramHistory(np, memory=2)
    >>> for k in range(3):
    ...     history.append(np.ones(2) * k, np.array([1.0, float(k)]))
    >>> history.gram
    array([[2., 3.],
           [3., 5.]])
    """

    def __init__(self, xp, memory):
        self.xp, self.memory = xp, memory
        self.dZ, self.dG = deque(maxlen=memory), deque(maxlen=memory)
        self.gram = numpy.zeros((0, 0))

    def append(self, dz, dg):
        if not self.memory:
            return
        gram = self.gram
        if len(self.dG) == self.memory:  # the oldest difference leaves
            gram = gram[1:, 1:]
        self.dZ.append(dz)
        self.dG.append(dg)
        row = numpy.array([float(self.xp.vdot(d, dg)) for d in self.dG])
        m = len(row)
        grown = numpy.zeros((m, m))
        grown[: m - 1, : m - 1] = gram
        grown[m - 1, :], grown[:, m - 1] = row, row
        self.gram = grown


def solve(problem: FixedPointProblem, z0, *, tolerance: Tolerance, callback, memory,
          damping, regularization):
    """Find ``z = F(z)`` by Anderson acceleration; see :mod:`solvers.tolerance` for the rule.

    Parameters
    ----------
    problem : FixedPointProblem
    z0 : array
        Starting point.
    tolerance : Tolerance
        ``maxiter`` defaults to :data:`solvers.tolerance.ITERATIVE_MAXITER`.
    callback : callable or None
        ``callback(iteration, z, residual)`` after every iteration.
    memory : int
        Number ``m`` of differences kept, >= 0 (option default 5).
    damping : float
        Mixing factor in (0, 1] (option default 1).
    regularization : float
        Tikhonov factor relative to ``||dG||_F^2``, >= 0 (option default 1e-10).

    Returns
    -------
    z : array
        The iterate with the smallest residual (relative to the tolerance).
    report : SolveReport

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.settings import defaults
    >>> from solvers.tolerance import Tolerance
    >>> problem = FixedPointProblem(lambda z: np.cos(z), np.zeros(1))
    >>> z, report = solve(problem, np.zeros(1), tolerance=Tolerance.nonlinear(), callback=None,
    ...                   **defaults(OPTIONS))
    >>> bool(abs(np.cos(z[0]) - z[0]) < 1e-10), report.iterations < 15
    (True, True)
    """
    history = GramHistory(problem.xp, memory)

    def accelerated_step(iteration, current):
        following = problem.evaluate(anderson_step(
            problem.xp, current.z, current.residual, history.dZ, history.dG,
            damping=damping, regularization=regularization, gram=history.gram,
        ))
        history.append(following.z - current.z, following.residual - current.residual)
        return following

    return iterate("anderson", problem, z0, callback=callback, advance=accelerated_step,
                   tolerance=tolerance.with_default_maxiter(ITERATIVE_MAXITER))
