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

from graphs.rules.special import any_traced, log_ndtr, ndtr

__all__ = ["pdf", "logpdf", "cdf", "logcdf", "sf", "logsf"]

_HALF_LOG_2PI = 0.5 * np.log(2.0 * np.pi)


def logpdf(x, loc=0.0, scale=1.0):
    """``scipy.stats.norm.logpdf``."""
    if not any_traced(x, loc, scale):
        return scipy.stats.norm.logpdf(x, loc, scale)
    z = (x - loc) / scale
    return -0.5 * z * z - np.log(scale) - _HALF_LOG_2PI


def pdf(x, loc=0.0, scale=1.0):
    """``scipy.stats.norm.pdf``."""
    if not any_traced(x, loc, scale):
        return scipy.stats.norm.pdf(x, loc, scale)
    return np.exp(logpdf(x, loc, scale))


def cdf(x, loc=0.0, scale=1.0):
    """``scipy.stats.norm.cdf``."""
    if not any_traced(x, loc, scale):
        return scipy.stats.norm.cdf(x, loc, scale)
    return ndtr((x - loc) / scale)


def logcdf(x, loc=0.0, scale=1.0):
    """``scipy.stats.norm.logcdf``."""
    if not any_traced(x, loc, scale):
        return scipy.stats.norm.logcdf(x, loc, scale)
    return log_ndtr((x - loc) / scale)


def sf(x, loc=0.0, scale=1.0):
    """``scipy.stats.norm.sf``."""
    if not any_traced(x, loc, scale):
        return scipy.stats.norm.sf(x, loc, scale)
    return ndtr((loc - x) / scale)


def logsf(x, loc=0.0, scale=1.0):
    """``scipy.stats.norm.logsf``."""
    if not any_traced(x, loc, scale):
        return scipy.stats.norm.logsf(x, loc, scale)
    return log_ndtr((loc - x) / scale)
