"""The beta distribution: ``pdf``, ``logpdf``, ``cdf`` that trace.

The density is differentiable in ``x``, ``a``, ``b``, ``loc`` and ``scale``; the distribution
function in ``x``, ``loc`` and ``scale`` (autograd's: ``x``).

Examples
--------
>>> import adjoint
>>> from adjoint.scipy.stats import beta
>>> float(adjoint.grad(beta.cdf)(0.5, 1.0, 1.0))  # uniform
1.0
"""

import numpy as np
import scipy.stats

from graphs.rules.special import any_traced, betainc, betaln, plain_value, xlog1py, xlogy

__all__ = ["pdf", "logpdf", "cdf"]


def logpdf(x, a, b, loc=0.0, scale=1.0):
    """``scipy.stats.beta.logpdf``."""
    if not any_traced(x, a, b, loc, scale):
        return scipy.stats.beta.logpdf(x, a, b, loc, scale)
    y = (x - loc) / scale
    density = xlogy(a - 1.0, y) + xlog1py(b - 1.0, -y) - betaln(a, b) - np.log(scale)
    plain_y = plain_value(y)
    return np.where((plain_y >= 0) & (plain_y <= 1), density, -np.inf)


def pdf(x, a, b, loc=0.0, scale=1.0):
    """``scipy.stats.beta.pdf``."""
    if not any_traced(x, a, b, loc, scale):
        return scipy.stats.beta.pdf(x, a, b, loc, scale)
    return np.exp(logpdf(x, a, b, loc, scale))


def cdf(x, a, b, loc=0.0, scale=1.0):
    """``scipy.stats.beta.cdf``; ``a`` and ``b`` cannot be differentiated."""
    if not any_traced(x, a, b, loc, scale):
        return scipy.stats.beta.cdf(x, a, b, loc, scale)
    return betainc(a, b, np.clip((x - loc) / scale, 0.0, 1.0))
