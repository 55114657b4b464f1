"""``"direct"``: sparse LU factorisation (SuperLU) of the assembled ``I - K``.

One factorisation and one triangular solve; ``iterations = 1``. The residual is
then checked against the tolerance rule of :mod:`solvers.tolerance` like any
other method's, so an ill-conditioned ``I - K`` is reported, not hidden.
"""

import math

import numpy
import scipy.sparse.linalg

from ..capabilities import LinearCapabilities
from ..report import SolveReport, converged_reason
from ..settings import Option, one_of
from ..tolerance import Tolerance, relative
from .system import LinearSystem

CAPABILITIES = LinearCapabilities(needs_matrix=True)
#: SuperLU's column ordering: COLAMD (its default) and the minimum-degree orderings reduce
#: the fill of the factors; NATURAL keeps the order given.
ORDERINGS = ("COLAMD", "MMD_AT_PLUS_A", "MMD_ATA", "NATURAL")
OPTIONS = {"permc_spec": Option("COLAMD", one_of(*ORDERINGS))}


def factorize(matrix, permc_spec="COLAMD"):
    """Return the SuperLU factorisation of a square sparse matrix.

    Parameters
    ----------
    matrix : scipy.sparse matrix
        ``I - K`` (or ``I - J``), converted to CSC here.
    permc_spec : str
        The fill-reducing column ordering (one of ``ORDERINGS``).

    Returns
    -------
    scipy.sparse.linalg.SuperLU

    Raises
    ------
    numpy.linalg.LinAlgError
        If the matrix is exactly singular.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> factorize(sp.csc_array([[0.0]]))
    Traceback (most recent call last):
    ...
    numpy.linalg.LinAlgError: I - K is singular: SuperLU found an exactly zero pivot (Factor is exactly singular)
    """
    try:
        return scipy.sparse.linalg.splu(scipy.sparse.csc_matrix(matrix), permc_spec=permc_spec)
    except RuntimeError as error:
        # SuperLU signals singularity with a bare RuntimeError
        raise numpy.linalg.LinAlgError(
            f"I - K is singular: SuperLU found an exactly zero pivot ({error})"
        ) from error


def solve(system: LinearSystem, *, x0, tolerance: Tolerance, callback, permc_spec):
    """Solve ``(I - K) x = b`` by sparse LU; see :mod:`solvers.tolerance` for the rule.

    Parameters
    ----------
    system : LinearSystem
        With an explicit (sparse or dense) ``K``.
    x0 : array or None
        Ignored: a direct solve needs no starting point.
    tolerance : Tolerance
        Used only to judge the residual of the answer.
    callback : callable or None
        Ignored: there are no iterations to report.
    permc_spec : str
        SuperLU's column ordering (option ``permc_spec``, default ``"COLAMD"``): where the
        factors fill in, the ordering decides the memory and time of the solve.

    Returns
    -------
    x : array
    report : SolveReport
        ``iterations = 1``; ``evaluations = 1`` (the residual check).

    Raises
    ------
    ValueError
        If ``K`` is a LinearOperator or callable (use an iterative method).
    numpy.linalg.LinAlgError
        If ``I - K`` is singular, or the solution is not finite (numerically singular).

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.tolerance import Tolerance
    >>> system = LinearSystem(np.array([[0.5, 0.0], [0.0, 0.0]]), np.array([1.0, 2.0]))
    >>> x, report = solve(system, x0=None, tolerance=Tolerance(), callback=None, permc_spec="COLAMD")
    >>> x, report.converged
    (array([2., 2.]), True)
    """
    factors = factorize(system.assemble(sparse=True), permc_spec)
    x = factors.solve(system.b)
    if not numpy.all(numpy.isfinite(x)):
        raise numpy.linalg.LinAlgError(
            "I - K is singular: the LU solve produced non-finite values "
            "(the matrix is numerically singular)"
        )
    scale = float(numpy.linalg.norm(system.b))
    residual_norm = float(numpy.linalg.norm(system.residual(x)))
    residual = relative(residual_norm, scale)
    allowed = relative(tolerance.threshold(scale), scale)
    if not math.isfinite(residual):
        code, reason = "diverged", "diverged: non-finite residual of the direct solve"
    elif tolerance.is_met(residual_norm, scale):
        code, reason = "converged", converged_reason(residual, allowed)
    else:
        code = "singular"
        reason = (
            f"inaccurate: direct solve residual {residual:.3g} > tolerance {allowed:.3g} "
            "(I - K is ill-conditioned; estimate its condition number or refine "
            "the solution with an iterative method started from it)"
        )
    report = SolveReport(
        method="direct",
        converged=code == "converged",
        iterations=1,
        residual=residual,
        residuals=[residual],
        reason=reason,
        exact=True,
        evaluations=system.applications,
        code=code,
    )
    return x, report
