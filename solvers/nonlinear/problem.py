"""The fixed-point problem ``z = F(z)``: counted calls to the map and its derivatives,
and the loop every nonlinear method runs on it (:func:`iterate`)."""

from dataclasses import dataclass

from ..backend import array_namespace
from ..counted_map import CountedMap
from ..monitor import IterationMonitor, Stop
from ..report import SolveReport
from ..tolerance import Tolerance


@dataclass(frozen=True)
class Evaluation:
    """The map evaluated at one iterate, with everything the stopping rule needs.

    Attributes
    ----------
    z : array
        The iterate.
    residual : array
        ``F(z) - z``.
    residual_norm : float
        ``norm(F(z) - z)``.
    scale : float
        ``norm(z)``, the scale of the tolerance rule.
    value : array
        ``F(z)`` itself: the next Picard iterate, with no further arithmetic.

    Examples
    --------
    >>> import numpy as np
    >>> problem = FixedPointProblem(lambda z: z / 2, np.ones(1))
    >>> problem.evaluate(np.ones(1)).residual_norm
    0.5
    """

    z: object
    residual: object
    residual_norm: float
    scale: float
    value: object = None


class FixedPointProblem:
    """``z = F(z)`` for 1-D float64 vectors of a fixed length, with counted calls.

    Parameters
    ----------
    F : callable
        ``F(z) -> vector`` of the same length as `z0`.
    z0 : array
        Starting point; fixes the length and the array namespace.
    jacobian : callable, optional
        ``jacobian(z) -> J_F(z)``, a sparse or dense ``(n, n)`` matrix.
    jvp : callable, optional
        ``jvp(z, v) -> J_F(z) v``.

    Attributes
    ----------
    evaluations : int
        Calls to `F`, `jacobian` and `jvp` so far, all counted.

    Examples
    --------
    >>> import numpy as np
    >>> problem = FixedPointProblem(np.cos, np.zeros(2))
    >>> _ = problem.evaluate(np.zeros(2))
    >>> problem.evaluations
    1
    """

    def __init__(self, F, z0, jacobian=None, jvp=None):
        self.n = z0.shape[0]
        self.xp = array_namespace(z0)
        self.map = CountedMap(F, "F", self.n, like=z0)
        self._jacobian = jacobian
        self.jacobian_calls = 0
        self.jvp = None if jvp is None else CountedMap(jvp, "jvp", self.n, like=z0)

    @property
    def evaluations(self) -> int:
        jvp_calls = 0 if self.jvp is None else self.jvp.calls
        return self.map.calls + self.jacobian_calls + jvp_calls

    def evaluate(self, z) -> Evaluation:
        """Evaluate ``F`` at `z` (one counted call).

        Parameters
        ----------
        z : array

        Returns
        -------
        Evaluation

        Examples
        --------
        >>> import numpy as np
        >>> FixedPointProblem(lambda z: z + 1, np.zeros(1)).evaluate(np.zeros(1)).residual
        array([1.])
        """
        value = self.map(z)
        residual = value - z
        return Evaluation(
            z=z,
            residual=residual,
            residual_norm=float(self.xp.linalg.norm(residual)),
            scale=float(self.xp.linalg.norm(z)),
            value=value,
        )

    def jacobian(self, z):
        """Return ``J_F(z)`` from the user's `jacobian` (one counted call).

        Parameters
        ----------
        z : array

        Returns
        -------
        sparse matrix or array
            Checked to have shape ``(n, n)``.

        Raises
        ------
        ValueError
            If no `jacobian` was given, or it returns the wrong shape.

        Examples
        --------
        >>> import numpy as np
        >>> problem = FixedPointProblem(np.sin, np.zeros(2), jacobian=lambda z: np.diag(np.cos(z)))
        >>> problem.jacobian(np.zeros(2))
        array([[1., 0.],
               [0., 1.]])
        """
        if self._jacobian is None:
            raise ValueError("no jacobian was given")
        self.jacobian_calls += 1
        matrix = self._jacobian(z)
        shape = getattr(matrix, "shape", None)
        if shape is None or tuple(shape) != (self.n, self.n):
            raise ValueError(
                f"jacobian must return a matrix of shape ({self.n}, {self.n}), got "
                f"{'shape ' + str(tuple(shape)) if shape is not None else type(matrix).__name__}"
            )
        return matrix


def iterate(method: str, problem: FixedPointProblem, z0, *, tolerance: Tolerance, callback,
            advance) -> tuple[object, SolveReport]:
    """Run ``current <- advance(iteration, current)`` from ``F(z0)`` until it stops.

    The loop of every nonlinear method: each new iterate is recorded by an
    :class:`~solvers.monitor.IterationMonitor`, which stops it when it converges
    (:mod:`solvers.tolerance`) or diverges; else it runs ``tolerance.maxiter``
    iterations.

    Parameters
    ----------
    method : str
        Name for the report.
    problem : FixedPointProblem
    z0 : array
        Starting point.
    tolerance : Tolerance
        With ``maxiter`` set.
    callback : callable or None
        ``callback(iteration, z, residual)`` after every iteration.
    advance : callable
        ``advance(iteration, current) -> Evaluation``: the map at the next
        iterate, or a :class:`~solvers.monitor.Stop` saying why no step could be
        made (which ends the solve).

    Returns
    -------
    z : array
        The best iterate seen.
    report : SolveReport

    Examples
    --------
    >>> import numpy as np
    >>> problem = FixedPointProblem(lambda z: z / 2 + 1, np.zeros(1))
    >>> def picard(iteration, current):
    ...     return problem.evaluate(current.z + current.residual)
    >>> z, report = iterate("picard", problem, np.zeros(1), advance=picard,
    ...                     tolerance=Tolerance.nonlinear(maxiter=3), callback=None)
    >>> z, report.iterations, report.evaluations
    (array([1.75]), 3, 4)
    """
    monitor = IterationMonitor(tolerance, callback)
    current = problem.evaluate(z0)
    stop = monitor.start(current.z, current.residual_norm, current.scale)
    iteration = 0
    while stop is None and iteration < tolerance.maxiter:
        iteration += 1
        following = advance(iteration, current)
        if isinstance(following, Stop):
            stop = following
            break
        current = following
        stop = monitor.record(iteration, current.z, current.residual_norm, current.scale)
    return monitor.best_x, monitor.report(method, stop, evaluations=problem.evaluations)
