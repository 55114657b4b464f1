"""``"neumann"``: the truncated Neumann series ``x = sum_{m=0..k} K^m b``.

A deliberate approximation (``exact=False``), e.g. for truncated implicit
differentiation. ``k = 0`` gives ``x = b`` exactly, ``iterations = 0``: Jacobian-free
backprop, registered as the method ``"jfb"`` (this module with ``k`` fixed to 0; its
report is named ``"jfb"``). It is "converged" (``code = "truncated"``) because it
did what was asked, but its residual is computed honestly: ``b - (x - K x)``, which
equals ``K^{k+1} b``. The tolerance is not applied; but a sum whose honest residual is at
least ``‖b‖`` (relative residual >= 1, worse than ``x = 0``) is reported as diverged
(``converged=False``): ``K`` is not a contraction there (spectral radius >= 1, or strong
transient growth), and the series approximates nothing.

Counting: ``iterations = k`` (the terms ``K^m b``, ``m = 1..k``), plus one
application for the honest final residual: ``evaluations = k + 1``. The history
holds the residual of each partial sum ``S_m``, ``m = 1..k``, read off the next
term (``b - (S_m - K S_m) = K^{m+1} b``); the last entry is the honest one.
A NaN or infinity stops the sum as diverged (``code = "diverged"``). Runs on
numpy or cupy.
"""

import math

from ..capabilities import LinearCapabilities
from ..monitor import IterationMonitor
from ..report import SolveReport, nonfinite_reason
from ..settings import Option, require_nonnegative_integer
from ..tolerance import Tolerance, relative
from .system import LinearSystem

CAPABILITIES = LinearCapabilities(exact=False, gpu=True, needs_contraction=True)
OPTIONS = {"k": Option(10, require_nonnegative_integer)}


def solve(system: LinearSystem, *, x0, tolerance: Tolerance, callback, k):
    """Sum the first ``k + 1`` terms of the Neumann series of ``(I - K)^{-1} b``.

    Parameters
    ----------
    system : LinearSystem
    x0 : array or None
        Ignored: the series starts from ``b``.
    tolerance : Tolerance
        Ignored except to report the relative tolerance; the truncation is as
        asked (see :mod:`solvers.tolerance` for the rule it is *not* held to).
    callback : callable or None
        ``callback(m, S_m, residual)`` for ``m = 1..k``.
    k : int
        Highest power of ``K``, an integer >= 0 (the option's default is 10).

    Returns
    -------
    x : array
    report : SolveReport
        ``exact=False``, ``iterations=k``.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.tolerance import Tolerance
    >>> system = LinearSystem(np.array([[0.5]]), np.array([1.0]))
    >>> x, report = solve(system, x0=None, tolerance=Tolerance(), callback=None, k=2)
    >>> x, report.residual, report.exact, report.code
    (array([1.75]), 0.125, False, 'truncated')
    """
    xp = system.xp
    scale = float(xp.linalg.norm(system.b))
    history = IterationMonitor(tolerance, callback)  # history and callback only

    def report(residual_norm, code, reason):
        return SolveReport(
            method="neumann",
            converged=code == "truncated",
            iterations=history.iterations,
            residual=relative(residual_norm, scale),
            residuals=history.residuals,
            reason=reason,
            exact=False,
            evaluations=system.applications,
            code=code,
        )

    x = system.b.copy()
    term = system.b
    for m in range(1, k + 1):
        term = system.apply(term)  # K^m b, which is also the residual of S_{m-1}
        term_norm = float(xp.linalg.norm(term))
        if m >= 2:
            history.note(m - 1, relative(term_norm, scale), x)
        if not math.isfinite(term_norm):
            return x, report(term_norm, "diverged", nonfinite_reason(m))
        x = x + term
    residual_norm = float(xp.linalg.norm(system.residual(x)))
    if k >= 1:
        history.note(k, relative(residual_norm, scale), x)
    if not math.isfinite(residual_norm):
        return x, report(residual_norm, "diverged", nonfinite_reason(k))
    if scale > 0 and relative(residual_norm, scale) >= 1.0:
        reason = (
            f"diverged: the Neumann series up to K^{k} b leaves relative residual "
            f"{relative(residual_norm, scale):.3g} >= 1, so K is not a contraction (spectral radius "
            f">= 1); use a Krylov or direct method"
        )
        return x, report(residual_norm, "diverged", reason)
    reason = (
        f"truncated as asked: Neumann series up to K^{k} b, residual "
        f"{relative(residual_norm, scale):.3g} (the tolerance is not applied)"
    )
    return x, report(residual_norm, "truncated", reason)
