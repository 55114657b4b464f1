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

from graphs.numpy_functions import numpy_when_plain
from graphs.rules.special import betainc, betaln, xlog1py, xlogy
from graphs.tape import plain_value

__all__ = ["pdf", "logpdf", "cdf"]


@numpy_when_plain(scipy.stats.beta.logpdf, "adjoint.scipy.stats.beta.logpdf")
def logpdf(x, a, b, loc=0.0, scale=1.0):
    """``scipy.stats.beta.logpdf``."""
    y = (x - loc) / scale
    density = xlogy(a - 1.0, y) + xlog1py(b - 1.0, -y) - betaln(a, b) - np.log(scale)
    plain_y = plain_value(y)
    return np.where((plain_y >= 0) & (plain_y <= 1), density, -np.inf)


@numpy_when_plain(scipy.stats.beta.pdf, "adjoint.scipy.stats.beta.pdf")
def pdf(x, a, b, loc=0.0, scale=1.0):
    """``scipy.stats.beta.pdf``."""
    return np.exp(logpdf(x, a, b, loc, scale))


@numpy_when_plain(scipy.stats.beta.cdf, "adjoint.scipy.stats.beta.cdf")
def cdf(x, a, b, loc=0.0, scale=1.0):
    """``scipy.stats.beta.cdf``; ``a`` and ``b`` cannot be differentiated."""
    return betainc(a, b, np.clip((x - loc) / scale, 0.0, 1.0))
