"""``"fixed_point"``: the Richardson iteration ``x <- x + damping * (b + K x - x)``.

With ``damping = 1`` this is ``x <- b + K x``: it converges whenever the spectral
radius of ``K`` is below 1, at that rate (for the adjoint of a fixed point, exactly
when the forward Picard iteration does). Written against the array namespace of
``b``, so it runs unchanged on numpy or cupy.

Counting: the residual of the starting point costs one application of ``K``;
each iteration then makes one update and one application (which gives both the
residual of the new iterate and the next update). ``evaluations = iterations + 1``.
"""

from ..capabilities import LinearCapabilities
from ..monitor import IterationMonitor
from ..settings import Option, require_damping
from ..tolerance import ITERATIVE_MAXITER, Tolerance
from .system import LinearSystem

CAPABILITIES = LinearCapabilities(warm_start=True, gpu=True, needs_contraction=True, true_residual=True)
OPTIONS = {"damping": Option(1.0, require_damping)}


def solve(system: LinearSystem, *, x0, tolerance: Tolerance, callback, damping):
    """Solve ``(I - K) x = b`` by damped fixed-point iteration (rule: :mod:`solvers.tolerance`).

    Parameters
    ----------
    system : LinearSystem
    x0 : array or None
        Starting point; default ``b`` (the first iterate of ``x <- b + K x`` from 0).
    tolerance : Tolerance
        ``maxiter`` defaults to :data:`solvers.tolerance.ITERATIVE_MAXITER`.
    callback : callable or None
        ``callback(iteration, x, residual)`` after every iteration.
    damping : float
        Relaxation factor in (0, 1] (the option's default is 1).

    Returns
    -------
    x : array
        The iterate with the smallest residual.
    report : SolveReport

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.tolerance import Tolerance
    >>> system = LinearSystem(np.array([[0.5]]), np.array([1.0]))
    >>> x, report = solve(system, x0=None, tolerance=Tolerance(), callback=None, damping=1.0)
    >>> x.round(8), report.converged
    (array([2.]), True)
    """
    tolerance = tolerance.with_default_maxiter(ITERATIVE_MAXITER)
    xp = system.xp
    scale = float(xp.linalg.norm(system.b))
    monitor = IterationMonitor(tolerance, callback)

    x = system.b.copy() if x0 is None else x0
    y = system.b + system.apply(x)  # the next undamped iterate; its difference is the residual
    r = y - x
    stop = monitor.start(x, float(xp.linalg.norm(r)), scale)
    iteration = 0
    while stop is None and iteration < tolerance.maxiter:
        iteration += 1
        x = y if damping == 1.0 else x + damping * r  # a new array: the monitor keeps references
        y = system.b + system.apply(x)
        r = y - x
        stop = monitor.record(iteration, x, float(xp.linalg.norm(r)), scale)
    report = monitor.report("fixed_point", stop, evaluations=system.applications)
    return monitor.best_x, report
