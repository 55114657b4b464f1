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

from graphs.numpy_functions import numpy_when_plain
from graphs.rules.special import gammaln, stdtr

__all__ = ["pdf", "logpdf", "cdf", "logcdf"]


@numpy_when_plain(scipy.stats.t.logpdf, "adjoint.scipy.stats.t.logpdf")
def logpdf(x, df, loc=0.0, scale=1.0):
    """``scipy.stats.t.logpdf``."""
    z = (x - loc) / scale
    return (gammaln((df + 1.0) / 2.0) - gammaln(df / 2.0) - 0.5 * np.log(df * np.pi)
            - (df + 1.0) / 2.0 * np.log1p(z * z / df) - np.log(scale))


@numpy_when_plain(scipy.stats.t.pdf, "adjoint.scipy.stats.t.pdf")
def pdf(x, df, loc=0.0, scale=1.0):
    """``scipy.stats.t.pdf``."""
    return np.exp(logpdf(x, df, loc, scale))


@numpy_when_plain(scipy.stats.t.cdf, "adjoint.scipy.stats.t.cdf")
def cdf(x, df, loc=0.0, scale=1.0):
    """``scipy.stats.t.cdf``; ``df`` cannot be differentiated."""
    return stdtr(df, (x - loc) / scale)


@numpy_when_plain(scipy.stats.t.logcdf, "adjoint.scipy.stats.t.logcdf")
def logcdf(x, df, loc=0.0, scale=1.0):
    """``scipy.stats.t.logcdf``; ``df`` cannot be differentiated."""
    return np.log(cdf(x, df, loc, scale))
