"""The Poisson distribution: ``pmf``, ``logpmf``, ``cdf`` that trace, differentiable in ``mu``.

Examples
--------
>>> import adjoint
>>> from adjoint.scipy.stats import poisson
>>> float(adjoint.grad(poisson.logpmf, 1)(3.0, 2.0))  # k / mu - 1
0.5
"""

import numpy as np
import scipy.stats

from graphs.errors import UnsupportedFunctionError
from graphs.numpy_functions import numpy_when_plain
from graphs.rules.special import gammaln, pdtr, xlogy
from graphs.tape import holds_traced, plain_value

__all__ = ["pmf", "logpmf", "cdf"]


def _counts(k, name):
    if holds_traced(k):
        raise UnsupportedFunctionError(f"scipy.stats.poisson.{name}: the count k cannot be differentiated")
    return np.asarray(k, dtype=float) if not np.isscalar(k) else float(k)


@numpy_when_plain(scipy.stats.poisson.logpmf, "adjoint.scipy.stats.poisson.logpmf")
def logpmf(k, mu, loc=0):
    """``scipy.stats.poisson.logpmf``; ``-inf`` off the support (negative or fractional ``k``)."""
    k = _counts(k, "logpmf") - loc
    mass = xlogy(k, mu) - gammaln(k + 1.0) - mu
    return np.where((k >= 0) & (k == np.floor(k)) & (plain_value(mu) >= 0), mass, -np.inf)


@numpy_when_plain(scipy.stats.poisson.pmf, "adjoint.scipy.stats.poisson.pmf")
def pmf(k, mu, loc=0):
    """``scipy.stats.poisson.pmf``."""
    return np.exp(logpmf(k, mu, loc))


@numpy_when_plain(scipy.stats.poisson.cdf, "adjoint.scipy.stats.poisson.cdf")
def cdf(k, mu, loc=0):
    """``scipy.stats.poisson.cdf``."""
    k = np.floor(_counts(k, "cdf") - loc)
    return np.where(k >= 0, pdtr(np.maximum(k, 0.0), mu), 0.0)
