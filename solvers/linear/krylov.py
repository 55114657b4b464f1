"""Driving scipy's Krylov solvers under this package's rules.

scipy's ``gmres``, ``bicgstab`` and ``lgmres`` count iterations in their own units
(restart cycles, double steps, outer iterations), decide convergence on recurrence
residuals and expose progress only through callbacks. This driver makes them
behave like the other methods:

* the user's ``maxiter`` bounds *steps*, one step being one application of the
  operator by the Krylov process; the budget is handed to scipy in chunks
  translated into its units (:func:`run` loops until it is spent);
* after every chunk the *true* residual ``b - (x - K x)`` is computed, and
  convergence is decided on it by the rule of :mod:`solvers.tolerance`. If scipy
  reports success but the true residual misses, the next chunk restarts from the
  answer; when the budget is gone, a true residual within 10 times the tolerance
  after a scipy success is accepted (and said so), anything worse is not
  converged;
* the residual checks are counted in ``evaluations``, not in ``iterations``;
* a divergence (:mod:`solvers.monitor`), a scipy breakdown (``info < 0``) or a
  chunk that does not reduce the true residual stops the solve with a reason.

Runs on numpy/scipy only (``gpu=False`` in the methods' capabilities).
"""

import math

import numpy

from ..monitor import IterationMonitor, Stop
from ..report import converged_reason
from ..tolerance import ITERATIVE_MAXITER, Tolerance
from .system import LinearSystem

#: A true residual this many times the tolerance is still accepted after scipy reports success.
SCIPY_SUCCESS_SLACK = 10.0


class _Abort(Exception):
    """Raised from a scipy callback to stop scipy's loop."""


class KrylovProgress:
    """Step count, history and callbacks of one Krylov solve, fed by scipy's callbacks.

    Parameters
    ----------
    system : LinearSystem
    monitor : IterationMonitor
    scale : float
        ``norm(b)``.

    Attributes
    ----------
    steps : int
        Krylov steps (operator applications by the Krylov process) so far.
    stop : Stop or None
        Set when an iterate seen in a callback stopped the solve.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.tolerance import Tolerance
    >>> system = LinearSystem(np.zeros((1, 1)), np.ones(1))
    >>> progress = KrylovProgress(system, IterationMonitor(Tolerance()), scale=1.0)
    >>> progress.estimate(0.25)
    >>> progress.steps, progress.monitor.residuals
    (1, [0.25])
    """

    def __init__(self, system: LinearSystem, monitor: IterationMonitor, scale: float):
        self.system = system
        self.monitor = monitor
        self.scale = scale
        self.steps = 0
        self.stop: Stop | None = None
        self._steps_at_last_iterate = 0

    def estimate(self, relative_residual: float) -> None:
        """Count one step that comes with a residual estimate but no iterate (GMRES).

        Parameters
        ----------
        relative_residual : float
            scipy's estimate of ``norm(r) / norm(b)``.

        Examples
        --------
        See the class example.
        """
        self.steps += 1
        self.monitor.note(self.steps, relative_residual)

    def iterate(self, x) -> None:
        """Record an iterate handed out by scipy, with its true residual.

        Nothing is recorded if no step was made since the last iterate (scipy
        repeats its starting point). Raises an internal exception to stop scipy
        when the iterate converges or diverges.

        Parameters
        ----------
        x : array
            scipy's current iterate; copied, since scipy updates it in place.

        Examples
        --------
        >>> import numpy as np
        >>> from solvers.tolerance import Tolerance
        >>> system = LinearSystem(np.zeros((1, 1)), np.ones(1))
        >>> progress = KrylovProgress(system, IterationMonitor(Tolerance()), scale=1.0)
        >>> progress.steps = 1
        >>> progress.iterate(np.array([0.5]))
        >>> progress.monitor.residuals
        [0.5]
        """
        if self.steps == self._steps_at_last_iterate:
            return
        x = numpy.array(x, dtype=numpy.float64, copy=True)
        stop = self._record_iterate(x, float(numpy.linalg.norm(self.system.residual(x))))
        if stop is not None:
            self.stop = stop
            raise _Abort

    def settle(self, x, residual_norm: float, iterates_in_history: bool):
        """Take in the answer of a chunk, whose true residual has been computed.

        If the method records iterates (BiCGSTAB, LGMRES) and steps were made
        since the last one, the answer is recorded (history entry, callback): scipy
        hands out no iterate at the end of its loop. Otherwise it is only observed.

        Parameters
        ----------
        x : array
            The chunk's answer (not modified afterwards).
        residual_norm : float
            ``norm(b - (x - K x))``.
        iterates_in_history : bool
            Whether the method's history is made of iterates rather than estimates.

        Returns
        -------
        Stop or None

        Examples
        --------
        >>> import numpy as np
        >>> from solvers.tolerance import Tolerance
        >>> system = LinearSystem(np.zeros((1, 1)), np.ones(1))
        >>> progress = KrylovProgress(system, IterationMonitor(Tolerance()), scale=1.0)
        >>> progress.steps = 2
        >>> progress.settle(np.array([0.5]), 0.5, iterates_in_history=True) is None
        True
        >>> progress.monitor.residuals
        [0.5]
        """
        if iterates_in_history and self.steps > self._steps_at_last_iterate:
            return self._record_iterate(x, residual_norm)
        return self.monitor.observe(self.steps, x, residual_norm, self.scale)

    def _record_iterate(self, x, residual_norm: float) -> Stop | None:
        self._steps_at_last_iterate = self.steps
        return self.monitor.record(self.steps, x, residual_norm, self.scale)


def cycle_length(value, default: int, n: int) -> int:
    """Return a cycle length option (``restart``, ``inner_m``), `default` if ``None``, capped at `n`.

    Parameters
    ----------
    value : int or None
        The value given, a positive integer (checked with the options).
    default : int
        The method's default length.
    n : int
        Size of the system: a Krylov space cannot grow beyond it.

    Returns
    -------
    int

    Examples
    --------
    >>> cycle_length(None, default=50, n=20)
    20
    >>> cycle_length(5, default=50, n=20)
    5
    """
    return min(default if value is None else value, n)


def split_budget(budget: int, length: int) -> tuple[int, int]:
    """Split a budget of steps into scipy's restart cycles: ``(cycle length, cycles)``.

    As many full cycles of `length` steps as fit; a budget below `length` makes
    one shorter cycle. :func:`run` hands the remainder to the next chunk.

    Parameters
    ----------
    budget : int
        Steps left, >= 1.
    length : int
        Cycle length (``restart``, ``inner_m``).

    Returns
    -------
    (int, int)

    Examples
    --------
    >>> split_budget(110, 50), split_budget(10, 50)
    ((50, 2), (10, 1))
    """
    if budget >= length:
        return length, budget // length
    return budget, 1


def run(method: str, system: LinearSystem, *, x0, tolerance: Tolerance, callback,
        chunk, step_cost: int = 1, iterates_in_history: bool = False):
    """Solve ``(I - K) x = b`` with a scipy Krylov method, chunk by chunk.

    See the module docstring for the budget, the convergence decision and the
    reasons; :mod:`solvers.tolerance` for the rule itself.

    Parameters
    ----------
    method : str
        Name for the report.
    system : LinearSystem
    x0 : array or None
        Starting point; default zero.
    tolerance : Tolerance
        ``maxiter`` (steps) defaults to :data:`solvers.tolerance.ITERATIVE_MAXITER`.
    callback : callable or None
        Passed on to the monitor: ``callback(iteration, x, residual)``.
    chunk : callable
        ``chunk(A, b, x, budget, tolerance, progress) -> (x, info)``: runs scipy on
        the LinearOperator ``A = I - K`` for at most `budget` steps from `x`,
        keeping ``progress.steps`` up to date.
    step_cost : int, optional
        Fewest steps a chunk can make (2 for BiCGSTAB); a smaller remainder of
        the budget is left unspent.
    iterates_in_history : bool, optional
        ``True`` if the chunk reports iterates (``progress.iterate``) rather than
        estimates (``progress.estimate``).

    Returns
    -------
    x : array
        The iterate with the smallest true residual seen.
    report : SolveReport

    Examples
    --------
    >>> import numpy as np, scipy.sparse.linalg as sla
    >>> from solvers.tolerance import Tolerance
    >>> def one_chunk(A, b, x, budget, tolerance, progress):
    ...     x, info = sla.gmres(A, b, x0=x, rtol=tolerance.rtol, maxiter=1,
    ...                         restart=budget, callback=progress.estimate,
    ...                         callback_type="pr_norm")
    ...     return x, info
    >>> system = LinearSystem(np.array([[0.5, 0.1], [0.0, 0.5]]), np.ones(2))
    >>> x, report = run("gmres", system, x0=None, tolerance=Tolerance(), callback=None,
    ...                 chunk=one_chunk)
    >>> report.converged, report.iterations
    (True, 2)
    """
    tolerance = tolerance.with_default_maxiter(ITERATIVE_MAXITER)
    scale = float(numpy.linalg.norm(system.b))
    monitor = IterationMonitor(tolerance, callback)
    progress = KrylovProgress(system, monitor, scale)
    A = system.operator()

    x = numpy.zeros_like(system.b) if x0 is None else x0
    stop = None
    info = None
    previous_norm = math.inf
    while stop is None:
        remaining = tolerance.maxiter - progress.steps
        if remaining <= 0 or (progress.steps > 0 and remaining < step_cost):
            break
        steps_before = progress.steps
        try:
            # scipy may update its starting point in place: give it its own copy
            x_new, info = chunk(A, system.b, x.copy(), remaining, tolerance, progress)
        except _Abort:
            stop = progress.stop
            break
        residual_norm = float(numpy.linalg.norm(system.residual(x_new)))
        stop = progress.settle(x_new, residual_norm, iterates_in_history)
        if stop is not None:
            break
        if info < 0:
            stop = Stop("breakdown", _breakdown_reason(method, info, monitor))
        elif progress.steps == steps_before or not residual_norm < previous_norm:
            stop = _scipy_success_stop(info, monitor) or _stagnation_stop(method, info, monitor)
        previous_norm = residual_norm
        x = x_new
    if stop is None:
        # out of budget: "maxiter reached" (worded by the monitor) unless scipy succeeded
        stop = _scipy_success_stop(info, monitor)
    monitor.iterations = progress.steps
    report = monitor.report(method, stop, evaluations=system.applications)
    return monitor.best_x, report


def _scipy_success_stop(info, monitor) -> Stop | None:
    # scipy's success is accepted if the true residual is within the slack
    if not (info == 0 and monitor.best_residual <= SCIPY_SUCCESS_SLACK * monitor.best_tolerance):
        return None
    return Stop(
        "converged",
        converged_reason(monitor.best_residual, monitor.best_tolerance).replace("<=", "<~")
        + f" (within {SCIPY_SUCCESS_SLACK:g}x: scipy reported success, the true "
        "residual is slightly above the tolerance)",
    )


def _stagnation_stop(method, info, monitor) -> Stop:
    return Stop(
        "stagnated",
        f"stagnated: a restart of scipy {method} did not reduce the true residual "
        f"{monitor.best_residual:.3g} > tolerance {monitor.best_tolerance:.3g}"
        + (" (scipy reported success on its recurrence residual)" if info == 0 else ""),
    )


def _breakdown_reason(method, info, monitor) -> str:
    return (
        f"breakdown: scipy {method} returned info={info}, residual "
        f"{monitor.best_residual:.3g} > tolerance {monitor.best_tolerance:.3g}; "
        "try 'gmres' or 'direct'"
    )


def iterate_chunk(scipy_method, system: LinearSystem):
    """The ``chunk`` of :func:`run` for a scipy method with one application per iteration.

    ``scipy_method(A, b, x0=, rtol=, maxiter=, callback=)`` calling ``callback(xk)`` once per
    iteration (``cg``, ``minres``); each iterate is recorded with its true residual.
    """

    def chunk(A, b, x, budget, tolerance, progress):
        # scipy's cg and minres take a step even from a start that already meets the rule
        if x.any() and numpy.linalg.norm(system.residual(x)) <= max(tolerance.rtol * progress.scale, tolerance.atol):
            return x, 0
        base, start = progress.steps, system.operator_applications + (1 if x.any() else 0)

        def on_iterate(xk):
            progress.steps = base + system.operator_applications - start
            progress.iterate(xk)

        x, info = scipy_method(A, b, x0=x, rtol=tolerance.rtol, maxiter=budget, callback=on_iterate)
        progress.steps = base + system.operator_applications - start
        return x, info

    return chunk
