"""The normal distribution: ``pdf``, ``logpdf``, ``cdf``, ``logcdf``, ``sf``, ``logsf`` that trace.

The tails go through ``log_ndtr``, whose derivative is the ratio pdf / cdf taken in logs, so
``logcdf`` far below the mean keeps a finite gradient.

Examples
--------
>>> import adjoint
>>> from adjoint.scipy.stats import norm
>>> float(adjoint.grad(norm.logcdf)(-40.0)) > 39.0
True
"""

import numpy as np
import scipy.stats

from graphs.numpy_functions import numpy_when_plain
from graphs.rules.special import log_ndtr, ndtr

__all__ = ["pdf", "logpdf", "cdf", "logcdf", "sf", "logsf"]

_HALF_LOG_2PI = 0.5 * np.log(2.0 * np.pi)


@numpy_when_plain(scipy.stats.norm.logpdf, "adjoint.scipy.stats.norm.logpdf")
def logpdf(x, loc=0.0, scale=1.0):
    """``scipy.stats.norm.logpdf``."""
    z = (x - loc) / scale
    return -0.5 * z * z - np.log(scale) - _HALF_LOG_2PI


@numpy_when_plain(scipy.stats.norm.pdf, "adjoint.scipy.stats.norm.pdf")
def pdf(x, loc=0.0, scale=1.0):
    """``scipy.stats.norm.pdf``."""
    return np.exp(logpdf(x, loc, scale))


@numpy_when_plain(scipy.stats.norm.cdf, "adjoint.scipy.stats.norm.cdf")
def cdf(x, loc=0.0, scale=1.0):
    """``scipy.stats.norm.cdf``."""
    return ndtr((x - loc) / scale)


@numpy_when_plain(scipy.stats.norm.logcdf, "adjoint.scipy.stats.norm.logcdf")
def logcdf(x, loc=0.0, scale=1.0):
    """``scipy.stats.norm.logcdf``."""
    return log_ndtr((x - loc) / scale)


@numpy_when_plain(scipy.stats.norm.sf, "adjoint.scipy.stats.norm.sf")
def sf(x, loc=0.0, scale=1.0):
    """``scipy.stats.norm.sf``."""
    return ndtr((loc - x) / scale)


@numpy_when_plain(scipy.stats.norm.logsf, "adjoint.scipy.stats.norm.logsf")
def logsf(x, loc=0.0, scale=1.0):
    """``scipy.stats.norm.logsf``."""
    return log_ndtr((loc - x) / scale)
