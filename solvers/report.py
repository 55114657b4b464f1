"""The structured result every solver returns next to its answer, and its wording.

Nothing in this package raises because a solve did not converge: the report says
so (``converged=False``), why in words (``reason``) and why in one word (``code``),
and the best iterate found is the answer returned. The residuals in a report are
relative; see :mod:`solvers.tolerance` for the rule and the scales.

Result codes
------------
``code`` is one of :data:`CODES`, set by every method the same way (scipy's
``info`` is the model: 0 success, > 0 out of iterations, < 0 breakdown):

``"converged"``
    The answer meets the tolerance rule (a zero right-hand side included; a
    scipy Krylov success whose true residual is within 10 times the tolerance
    included, and said so in ``reason``).
``"truncated"``
    A truncation done as asked (``neumann``, ``jfb``): ``converged=True``,
    ``exact=False``, the tolerance not applied.
``"maxiter"``
    The iteration budget ran out before the tolerance was met.
``"diverged"``
    A NaN or infinite residual, or a residual grown past
    :data:`solvers.monitor.GROWTH_LIMIT` times the initial one.
``"stagnated"``
    No further progress: a Krylov restart that did not reduce the true residual,
    a Newton line search that found no sufficient decrease.
``"breakdown"``
    An inner step failed: scipy returned ``info < 0``, or the inner GMRES of
    ``newton_krylov`` did not reduce the Newton residual at all.
``"singular"``
    ``I - K`` or ``I - J_F`` is singular, exactly or numerically (a direct solve
    whose residual misses the tolerance; a Newton system LU could not solve).

``converged`` is ``True`` exactly for the codes in :data:`CONVERGED_CODES`.
"""

from dataclasses import dataclass

#: Every value of ``SolveReport.code``, in the order of the module docstring.
CODES = ("converged", "truncated", "maxiter", "diverged", "stagnated", "breakdown", "singular")
#: The codes of a solve that did what was asked: ``SolveReport.converged`` is True.
CONVERGED_CODES = ("converged", "truncated")


@dataclass
class SolveReport:
    """What a solve did: whether it converged, how far, at what cost, and why it stopped.

    Attributes
    ----------
    method : str
        Name of the method that ran.
    converged : bool
        Whether the returned answer meets the tolerance (:mod:`solvers.tolerance`).
        A truncation (``neumann``) done as asked counts as converged, with
        ``exact=False``.
    iterations : int
        Iterations done (applications of the operator or map; Newton steps).
    residual : float
        Final relative residual (defined in :mod:`solvers.tolerance`), computed
        from the returned answer.
    residuals : list of float
        Relative residual after each iteration (for scipy's Krylov methods, what
        their callbacks expose; each method documents it).
    reason : str
        Why the solve stopped, in words, e.g.
        ``"converged: residual 3.1e-12 <= tolerance 1e-10"``.
    exact : bool
        ``False`` when the answer is a truncation (``neumann``).
    evaluations : int
        Applications of the operator ``K``, the map ``F``, the Jacobian or the
        Jacobian–vector product, all counted, residual checks included.
    code : str
        Why the solve stopped, one of :data:`CODES` (module docstring).
        Optional for a converged report, which gets ``"converged"``
        (``"truncated"`` if not `exact`); required otherwise.

    Raises
    ------
    ValueError
        If `code` is not one of :data:`CODES`, is missing for a report that did
        not converge, or disagrees with `converged`.

    Examples
    --------
    >>> report = SolveReport("direct", True, 1, 1e-16, [], "converged: residual 1e-16 <= tolerance 1e-10")
    >>> report.converged, report.exact, report.code
    (True, True, 'converged')
    >>> SolveReport("gmres", False, 5, 0.1, [], "maxiter reached: ...", code="maxiter").code
    'maxiter'
    """

    method: str
    converged: bool
    iterations: int
    residual: float
    residuals: list[float]
    reason: str
    exact: bool = True
    evaluations: int = 0
    code: str | None = None

    def __post_init__(self):
        if self.code is None and self.converged:
            self.code = "converged" if self.exact else "truncated"
        if self.code not in CODES:
            raise ValueError(f"code must be one of {', '.join(CODES)}, got {self.code!r}")
        if self.converged != (self.code in CONVERGED_CODES):
            raise ValueError(
                f"code {self.code!r} contradicts converged={self.converged!r}"
            )


def converged_reason(residual: float, tolerance: float) -> str:
    """Word a convergence: ``"converged: residual R <= tolerance T"``.

    Parameters
    ----------
    residual : float
        Relative residual reached.
    tolerance : float
        Relative tolerance it was held to, ``threshold / scale``.

    Returns
    -------
    str

    Examples
    --------
    >>> converged_reason(3.1e-12, 1e-10)
    'converged: residual 3.1e-12 <= tolerance 1e-10'
    """
    return f"converged: residual {residual:.3g} <= tolerance {tolerance:.3g}"


def maxiter_reason(iterations: int, residual: float, tolerance: float) -> str:
    """Word a solve that ran out of iterations.

    Parameters
    ----------
    iterations : int
        Iterations done.
    residual : float
        Relative residual of the answer returned (the best iterate).
    tolerance : float
        Relative tolerance it missed.

    Returns
    -------
    str

    Examples
    --------
    >>> maxiter_reason(500, 1e-3, 1e-10)
    'maxiter reached: 500 iterations, residual 0.001 > 1e-10'
    """
    return (
        f"maxiter reached: {iterations} iterations, "
        f"residual {residual:.3g} > {tolerance:.3g}"
    )


def nonfinite_reason(iteration: int) -> str:
    """Word a solve stopped by a NaN or infinity.

    Parameters
    ----------
    iteration : int
        Iteration at which it appeared (0: the starting point).

    Returns
    -------
    str

    Examples
    --------
    >>> nonfinite_reason(7)
    'diverged: non-finite residual at iteration 7'
    """
    return f"diverged: non-finite residual at iteration {iteration}"


def growth_reason(iteration: int, factor: float) -> str:
    """Word a solve stopped because its residual exploded.

    Parameters
    ----------
    iteration : int
        Iteration at which the limit was passed.
    factor : float
        Residual norm divided by the initial residual norm.

    Returns
    -------
    str

    Examples
    --------
    >>> growth_reason(40, 2e12)
    'diverged: residual grew to 2e+12 times the initial one at iteration 40'
    """
    return (
        f"diverged: residual grew to {factor:.3g} times the initial one "
        f"at iteration {iteration}"
    )
