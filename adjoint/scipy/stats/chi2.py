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

from graphs.numpy_functions import numpy_when_plain
from graphs.rules.special import gammainc, gammaln, xlogy
from graphs.tape import plain_value

__all__ = ["pdf", "logpdf", "cdf"]

_LOG_2 = np.log(2.0)


@numpy_when_plain(scipy.stats.chi2.logpdf, "adjoint.scipy.stats.chi2.logpdf")
def logpdf(x, df, loc=0.0, scale=1.0):
    """``scipy.stats.chi2.logpdf``."""
    y = (x - loc) / scale
    half = df / 2.0
    density = xlogy(half - 1.0, y) - y / 2.0 - gammaln(half) - _LOG_2 * half - np.log(scale)
    return np.where(plain_value(y) >= 0, density, -np.inf)


@numpy_when_plain(scipy.stats.chi2.pdf, "adjoint.scipy.stats.chi2.pdf")
def pdf(x, df, loc=0.0, scale=1.0):
    """``scipy.stats.chi2.pdf``."""
    return np.exp(logpdf(x, df, loc, scale))


@numpy_when_plain(scipy.stats.chi2.cdf, "adjoint.scipy.stats.chi2.cdf")
def cdf(x, df, loc=0.0, scale=1.0):
    """``scipy.stats.chi2.cdf``; ``df`` cannot be differentiated."""
    return gammainc(df / 2.0, np.maximum((x - loc) / scale, 0.0) / 2.0)
