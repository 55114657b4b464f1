"""The gamma distribution: ``pdf``, ``logpdf``, ``cdf`` that trace.

The density is differentiable in ``x``, the shape ``a``, ``loc`` and ``scale``; the
distribution function in all but ``a`` (as autograd's).

Examples
--------
>>> import adjoint
>>> from adjoint.scipy.stats import gamma
>>> float(adjoint.grad(gamma.logpdf)(2.0, 3.0))  # (a - 1) / x - 1
0.0
"""

import numpy as np
import scipy.stats

from graphs.rules.special import any_traced, gammainc, gammaln, plain_value, xlogy

__all__ = ["pdf", "logpdf", "cdf"]


def logpdf(x, a, loc=0.0, scale=1.0):
    """``scipy.stats.gamma.logpdf``."""
    if not any_traced(x, a, loc, scale):
        return scipy.stats.gamma.logpdf(x, a, loc, scale)
    y = (x - loc) / scale
    density = xlogy(a - 1.0, y) - y - gammaln(a) - np.log(scale)
    return np.where(plain_value(y) >= 0, density, -np.inf)


def pdf(x, a, loc=0.0, scale=1.0):
    """``scipy.stats.gamma.pdf``."""
    if not any_traced(x, a, loc, scale):
        return scipy.stats.gamma.pdf(x, a, loc, scale)
    return np.exp(logpdf(x, a, loc, scale))


def cdf(x, a, loc=0.0, scale=1.0):
    """``scipy.stats.gamma.cdf``; ``a`` cannot be differentiated."""
    if not any_traced(x, a, loc, scale):
        return scipy.stats.gamma.cdf(x, a, loc, scale)
    return gammainc(a, np.maximum((x - loc) / scale, 0.0))
