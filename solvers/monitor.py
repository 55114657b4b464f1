"""Watching an iteration: residual history, callback, best iterate, stopping tests.

Every iterative method feeds its iterates through an :class:`IterationMonitor`, so
the convergence rule, the divergence rules and the report wording live in one
place:

* converged by the rule of :mod:`solvers.tolerance`;
* diverged at once on a NaN or infinite residual (a non-finite iterate always gives
  one);
* diverged when ``norm(r)`` exceeds :data:`GROWTH_LIMIT` times the initial one.

The best iterate (smallest ``norm(r) / threshold``) is kept, so a solve that stops
for any reason returns the best answer it saw, with a residual computed from it.
"""

import math
from dataclasses import dataclass

from .report import (
    CONVERGED_CODES,
    SolveReport,
    converged_reason,
    growth_reason,
    maxiter_reason,
    nonfinite_reason,
)
from .tolerance import Tolerance, relative

#: A residual norm this many times the initial one stops the iteration as diverged.
GROWTH_LIMIT = 1e12


@dataclass(frozen=True)
class Stop:
    """Why an iteration stops: a result code (:data:`solvers.report.CODES`) and words.

    Examples
    --------
    >>> Stop("converged", "converged: residual 1e-12 <= tolerance 1e-10").converged
    True
    """

    code: str
    reason: str

    @property
    def converged(self) -> bool:
        """Whether `code` is one of :data:`solvers.report.CONVERGED_CODES`."""
        return self.code in CONVERGED_CODES


class IterationMonitor:
    """Record the iterates of one solve and decide when it stops.

    Parameters
    ----------
    tolerance : Tolerance
        The stopping settings.
    callback : callable or None
        Called as ``callback(iteration, x, residual)`` for every recorded iteration
        (not for the starting point), ``residual`` being relative. It must not
        modify ``x``.

    Notes
    -----
    Iterates are kept by reference: solvers must build a new array for each
    iterate rather than update one in place.

    Examples
    --------
    >>> import numpy as np
    >>> monitor = IterationMonitor(Tolerance(rtol=1e-3))
    >>> monitor.start(np.zeros(1), residual_norm=1.0, scale=1.0) is None
    True
    >>> monitor.record(1, np.ones(1), residual_norm=1e-4, scale=1.0).reason
    'converged: residual 0.0001 <= tolerance 0.001'
    >>> monitor.residuals
    [0.0001]
    """

    def __init__(self, tolerance: Tolerance, callback=None):
        self.tolerance = tolerance
        self.callback = callback
        self.residuals: list[float] = []
        self.iterations = 0
        self.best_x = None
        self.best_residual = math.inf  # relative residual of best_x
        self.best_tolerance = tolerance.rtol  # relative tolerance at best_x
        self._best_key = math.inf
        self._initial_norm = None

    def start(self, x, residual_norm: float, scale: float) -> Stop | None:
        """Observe the starting point as iteration 0 (see :meth:`observe`).

        Parameters
        ----------
        x, residual_norm, scale
            As for :meth:`record`; `x` is the starting point.

        Returns
        -------
        Stop or None
            A stop if the start already converged or is non-finite.

        Examples
        --------
        >>> import numpy as np
        >>> IterationMonitor(Tolerance()).start(np.zeros(1), float("nan"), 1.0).reason
        'diverged: non-finite residual at iteration 0'
        """
        return self.observe(0, x, residual_norm, scale)

    def record(self, iteration: int, x, residual_norm: float, scale: float) -> Stop | None:
        """Record iteration `iteration` and tell whether to stop.

        Parameters
        ----------
        iteration : int
            Iteration number, counted from 1.
        x : array
            The iterate.
        residual_norm : float
            ``norm(r)`` at `x`.
        scale : float
            ``norm(b)`` (linear) or ``norm(x)`` (nonlinear).

        Returns
        -------
        Stop or None
            ``None`` to go on.

        Examples
        --------
        >>> import numpy as np
        >>> monitor = IterationMonitor(Tolerance(rtol=1e-8))
        >>> monitor.record(1, np.ones(1), 1.0, 1.0) is None
        True
        >>> monitor.record(2, np.ones(1), 1e13, 1.0).reason
        'diverged: residual grew to 1e+13 times the initial one at iteration 2'
        """
        self.note(iteration, relative(residual_norm, scale), x)
        return self.observe(iteration, x, residual_norm, scale)

    def note(self, iteration: int, residual: float, x=None) -> None:
        """Add a history entry and call the callback, without judging the iterate.

        A noted residual never stops the iteration and its iterate never becomes
        the best one. For GMRES's estimates, which come without an iterate (it is
        formed only at the end of a restart cycle: ``x=None``), and for
        ``neumann``, which applies no tolerance.

        Parameters
        ----------
        iteration : int
            Iteration number, counted from 1.
        residual : float
            Relative residual.
        x : array or None, optional
            The iterate, if there is one.

        Examples
        --------
        >>> monitor = IterationMonitor(Tolerance())
        >>> monitor.note(1, 0.5)
        >>> monitor.residuals, monitor.iterations
        ([0.5], 1)
        """
        self.iterations = iteration
        self.residuals.append(float(residual))
        if self.callback is not None:
            self.callback(iteration, x, self.residuals[-1])

    def observe(self, iteration: int, x, residual_norm: float, scale: float) -> Stop | None:
        """Consider `x` for the best iterate and the stopping tests, without a history entry.

        Used for the starting point and for iterates checked between the recorded
        iterations (a Krylov restart).

        Parameters
        ----------
        iteration : int
            Iteration number, quoted in a divergence reason.
        x, residual_norm, scale
            As for :meth:`record`.

        Returns
        -------
        Stop or None

        Examples
        --------
        >>> import numpy as np
        >>> monitor = IterationMonitor(Tolerance(rtol=1e-3))
        >>> monitor.observe(4, np.ones(1), 1e-4, 1.0).converged
        True
        >>> monitor.residuals
        []
        """
        if not math.isfinite(residual_norm):
            if self.best_x is None:
                # nothing finite was ever seen: the only answer is this iterate
                self._keep(x, residual_norm, scale, math.inf)
            return Stop("diverged", nonfinite_reason(iteration))
        threshold = self.tolerance.threshold(scale)
        # how far from converged; with a zero threshold (rtol = atol = 0, linear
        # only) the scale is fixed, so the residual norm itself orders the iterates
        key = residual_norm / threshold if threshold > 0 else residual_norm
        if key < self._best_key or self.best_x is None:
            self._keep(x, residual_norm, scale, key)
        if self._initial_norm is None:
            self._initial_norm = residual_norm
        if residual_norm <= threshold:
            return Stop("converged", converged_reason(self.best_residual, self.best_tolerance))
        if residual_norm > GROWTH_LIMIT * self._initial_norm:
            return Stop("diverged", growth_reason(iteration, residual_norm / self._initial_norm))
        return None

    def _keep(self, x, residual_norm, scale, key):
        self.best_x = x
        self._best_key = key
        self.best_residual = relative(residual_norm, scale)
        self.best_tolerance = relative(self.tolerance.threshold(scale), scale)

    def report(
        self, method: str, stop: Stop | None, evaluations: int, exact: bool = True
    ) -> SolveReport:
        """Build the report of a finished solve; `stop` ``None`` means maxiter ran out.

        Parameters
        ----------
        method : str
            Method name.
        stop : Stop or None
            What :meth:`start` or :meth:`record` last returned.
        evaluations : int
            Operator or map applications made.
        exact : bool, optional
            ``False`` for truncations.

        Returns
        -------
        SolveReport
            Describing :attr:`best_x`, the answer to return.

        Examples
        --------
        >>> import numpy as np
        >>> monitor = IterationMonitor(Tolerance(rtol=1e-8))
        >>> _ = monitor.record(1, np.ones(1), 0.5, 1.0)
        >>> monitor.report("fixed_point", None, evaluations=2).reason
        'maxiter reached: 1 iterations, residual 0.5 > 1e-08'
        """
        if stop is None:
            stop = Stop(
                "maxiter",
                maxiter_reason(self.iterations, self.best_residual, self.best_tolerance),
            )
        return SolveReport(
            method=method,
            converged=stop.converged,
            iterations=self.iterations,
            residual=self.best_residual,
            residuals=list(self.residuals),
            reason=stop.reason,
            exact=exact,
            evaluations=evaluations,
            code=stop.code,
        )
