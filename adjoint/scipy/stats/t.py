"""Student's t distribution: ``pdf``, ``logpdf``, ``cdf``, ``logcdf`` that trace.

The density is differentiable in ``x``, ``df``, ``loc`` and ``scale``; the distribution
function in all but ``df`` (as autograd's).

Examples
--------
>>> import adjoint
>>> from adjoint.scipy.stats import t
>>> float(adjoint.grad(t.logpdf)(0.0, 3.0))
0.0
"""

import numpy as np
import scipy.stats

from graphs.rules.special import any_traced, gammaln, stdtr

__all__ = ["pdf", "logpdf", "cdf", "logcdf"]


def logpdf(x, df, loc=0.0, scale=1.0):
    """``scipy.stats.t.logpdf``."""
    if not any_traced(x, df, loc, scale):
        return scipy.stats.t.logpdf(x, df, loc, scale)
    z = (x - loc) / scale
    return (gammaln((df + 1.0) / 2.0) - gammaln(df / 2.0) - 0.5 * np.log(df * np.pi)
            - (df + 1.0) / 2.0 * np.log1p(z * z / df) - np.log(scale))


def pdf(x, df, loc=0.0, scale=1.0):
    """``scipy.stats.t.pdf``."""
    if not any_traced(x, df, loc, scale):
        return scipy.stats.t.pdf(x, df, loc, scale)
    return np.exp(logpdf(x, df, loc, scale))


def cdf(x, df, loc=0.0, scale=1.0):
    """``scipy.stats.t.cdf``; ``df`` cannot be differentiated."""
    if not any_traced(x, df, loc, scale):
        return scipy.stats.t.cdf(x, df, loc, scale)
    return stdtr(df, (x - loc) / scale)


def logcdf(x, df, loc=0.0, scale=1.0):
    """``scipy.stats.t.logcdf``; ``df`` cannot be differentiated."""
    if not any_traced(x, df, loc, scale):
        return scipy.stats.t.logcdf(x, df, loc, scale)
    return np.log(cdf(x, df, loc, scale))
