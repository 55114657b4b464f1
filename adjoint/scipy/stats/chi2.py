"""The chi-squared distribution: ``pdf``, ``logpdf``, ``cdf`` that trace.

The density is differentiable in ``x``, ``df``, ``loc`` and ``scale``; the distribution
function in all but ``df`` (autograd's: ``x`` only).

Examples
--------
>>> import adjoint
>>> from adjoint.scipy.stats import chi2
>>> float(adjoint.grad(chi2.logpdf)(1.0, 4.0))  # (df - 2 - x) / (2 x)
0.5
"""

import numpy as np
import scipy.stats

from graphs.rules.special import any_traced, gammainc, gammaln, plain_value, xlogy

__all__ = ["pdf", "logpdf", "cdf"]

_LOG_2 = np.log(2.0)


def logpdf(x, df, loc=0.0, scale=1.0):
    """``scipy.stats.chi2.logpdf``."""
    if not any_traced(x, df, loc, scale):
        return scipy.stats.chi2.logpdf(x, df, loc, scale)
    y = (x - loc) / scale
    half = df / 2.0
    density = xlogy(half - 1.0, y) - y / 2.0 - gammaln(half) - _LOG_2 * half - np.log(scale)
    return np.where(plain_value(y) >= 0, density, -np.inf)


def pdf(x, df, loc=0.0, scale=1.0):
    """``scipy.stats.chi2.pdf``."""
    if not any_traced(x, df, loc, scale):
        return scipy.stats.chi2.pdf(x, df, loc, scale)
    return np.exp(logpdf(x, df, loc, scale))


def cdf(x, df, loc=0.0, scale=1.0):
    """``scipy.stats.chi2.cdf``; ``df`` cannot be differentiated."""
    if not any_traced(x, df, loc, scale):
        return scipy.stats.chi2.cdf(x, df, loc, scale)
    return gammainc(df / 2.0, np.maximum((x - loc) / scale, 0.0) / 2.0)
