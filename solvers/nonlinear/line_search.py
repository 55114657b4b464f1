"""Backtracking (Armijo) line search on ``||F(z) - z||^2`` for the Newton methods.

A Newton direction ``d`` solving ``(I - J_F) d = F(z) - z`` up to a relative
linear residual ``eta`` is a descent direction of ``phi(z) = ||F(z) - z||^2 / 2``
with slope at most ``-(1 - eta) ||F(z) - z||^2``. A step ``t`` is accepted when

    ||G(z + t d)||^2 <= (1 - 2 c t (1 - eta)) ||G(z)||^2,    c = 1e-4,

starting from the damping factor and halving up to :data:`MAX_HALVINGS` times.
A trial point where ``F`` is NaN or infinite is treated as a failed trial (halve
again), since a full Newton step often leaves the map's domain.
"""

import math

from .problem import Evaluation, FixedPointProblem

#: Most halvings of the step before the line search gives up.
MAX_HALVINGS = 30
#: Armijo's sufficient-decrease constant.
SUFFICIENT_DECREASE = 1e-4


def backtrack(problem: FixedPointProblem, current: Evaluation, direction, *,
              initial_step: float = 1.0, linear_residual: float = 0.0):
    """Find a step along `direction` that decreases ``||F(z) - z||`` enough.

    Parameters
    ----------
    problem : FixedPointProblem
    current : Evaluation
        The map at the current iterate.
    direction : array
        Newton direction.
    initial_step : float, optional
        First step tried (the damping factor).
    linear_residual : float, optional
        Relative residual ``eta`` < 1 to which the Newton system was solved.

    Returns
    -------
    Evaluation or None
        The map at the accepted point, or ``None`` after :data:`MAX_HALVINGS`
        halvings without sufficient decrease.

    Examples
    --------
    >>> import numpy as np
    >>> problem = FixedPointProblem(lambda z: z / 2 + 1, np.zeros(1))
    >>> start = problem.evaluate(np.zeros(1))
    >>> backtrack(problem, start, direction=np.array([2.0])).z
    array([2.])
    """
    slope = 1.0 - linear_residual
    step = initial_step
    for _ in range(MAX_HALVINGS + 1):
        trial = problem.evaluate(current.z + step * direction)
        # the Armijo test on squares, taken as a square root so huge norms cannot overflow
        factor = math.sqrt(1.0 - 2.0 * SUFFICIENT_DECREASE * step * slope)
        bound = factor * current.residual_norm
        if math.isfinite(trial.residual_norm) and trial.residual_norm <= bound:
            return trial
        step /= 2.0
    return None


def plain_step(problem: FixedPointProblem, current: Evaluation, direction, *,
               initial_step: float = 1.0, linear_residual: float = 0.0) -> Evaluation:
    """Take the step ``initial_step * direction`` unconditionally (line search off).

    Parameters
    ----------
    problem : FixedPointProblem
    current : Evaluation
    direction : array
    initial_step : float, optional
        The damping factor.
    linear_residual : float, optional
        Ignored; accepted for a signature shared with :func:`backtrack`.

    Returns
    -------
    Evaluation

    Examples
    --------
    >>> import numpy as np
    >>> problem = FixedPointProblem(lambda z: z / 2 + 1, np.zeros(1))
    >>> plain_step(problem, problem.evaluate(np.zeros(1)), np.array([2.0]), initial_step=0.5).z
    array([1.])
    """
    return problem.evaluate(current.z + initial_step * direction)
