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

from graphs.numpy_functions import numpy_when_plain
from graphs.rules.special import gammainc, gammaln, xlogy
from graphs.tape import plain_value

__all__ = ["pdf", "logpdf", "cdf"]


@numpy_when_plain(scipy.stats.gamma.logpdf, "adjoint.scipy.stats.gamma.logpdf")
def logpdf(x, a, loc=0.0, scale=1.0):
    """``scipy.stats.gamma.logpdf``."""
    y = (x - loc) / scale
    density = xlogy(a - 1.0, y) - y - gammaln(a) - np.log(scale)
    return np.where(plain_value(y) >= 0, density, -np.inf)


@numpy_when_plain(scipy.stats.gamma.pdf, "adjoint.scipy.stats.gamma.pdf")
def pdf(x, a, loc=0.0, scale=1.0):
    """``scipy.stats.gamma.pdf``."""
    return np.exp(logpdf(x, a, loc, scale))


@numpy_when_plain(scipy.stats.gamma.cdf, "adjoint.scipy.stats.gamma.cdf")
def cdf(x, a, loc=0.0, scale=1.0):
    """``scipy.stats.gamma.cdf``; ``a`` cannot be differentiated."""
    return gammainc(a, np.maximum((x - loc) / scale, 0.0))
