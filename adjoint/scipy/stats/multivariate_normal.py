"""The multivariate normal distribution: ``pdf``, ``logpdf``, ``entropy`` that trace.

Differentiable in ``x``, ``mean`` and ``cov`` (through ``numpy.linalg.solve`` and
``slogdet``). With ``allow_singular=True`` the pseudo-inverse of a constant ``cov`` is used,
as scipy does; a traced singular ``cov`` is an error (autograd's too).

Examples
--------
>>> import numpy as np
>>> import adjoint
>>> from adjoint.scipy.stats import multivariate_normal as mvn
>>> g = adjoint.grad(mvn.logpdf)(np.array([1.0, 2.0]), np.zeros(2), 2.0 * np.eye(2))
>>> bool(np.allclose(g, [-0.5, -1.0]))
True
"""

import numpy as np
import scipy.stats
from scipy.stats._multivariate import _PSD

from graphs.errors import UnsupportedFunctionError
from graphs.numpy_functions import numpy_when_plain
from graphs.tape import holds_traced, plain_value

__all__ = ["pdf", "logpdf", "entropy"]

_LOG_2PI = np.log(2.0 * np.pi)


def _dimension(mean, cov):
    if mean is not None and np.ndim(plain_value(mean)) >= 1:
        return np.shape(plain_value(mean))[0]
    return 1 if np.ndim(plain_value(cov)) == 0 else np.shape(plain_value(cov))[0]


def _parameters(mean, cov):
    d = _dimension(mean, cov)
    if mean is None:
        mean = np.zeros(d)
    elif np.ndim(plain_value(mean)) == 0:
        mean = mean * np.ones(d)
    if np.ndim(plain_value(cov)) == 0:
        cov = cov * np.eye(d)
    elif np.ndim(plain_value(cov)) == 1:
        cov = np.expand_dims(cov, -1) * np.eye(d)
    return d, mean, cov


def _points(x, d):
    # scipy's reading of x: the last axis holds the coordinates (a 1-D x is one point, or, with
    # d == 1, that many points).
    ndim = np.ndim(plain_value(x))
    if ndim == 0:
        return np.reshape(x, (1, 1)) if d == 1 else np.reshape(x, (1,))
    if ndim == 1 and d == 1:
        return np.expand_dims(x, -1)
    return x


def _squeezed(out):
    return np.squeeze(out) if np.ndim(plain_value(out)) else out


@numpy_when_plain(scipy.stats.multivariate_normal.logpdf, "adjoint.scipy.stats.multivariate_normal.logpdf")
def logpdf(x, mean=None, cov=1, allow_singular=False):
    """``scipy.stats.multivariate_normal.logpdf``."""
    d, mean, cov = _parameters(mean, cov)
    dev = _points(x, d) - mean
    if allow_singular:
        if holds_traced(cov):
            raise UnsupportedFunctionError(
                "scipy.stats.multivariate_normal.logpdf: with allow_singular=True the covariance "
                "cannot be differentiated (it may be singular)")
        psd = _PSD(cov, allow_singular=True)
        maha = np.sum(np.square(dev @ psd.U), axis=-1)
        return _squeezed(-0.5 * (psd.rank * _LOG_2PI + psd.log_pdet + maha))
    _PSD(plain_value(cov), allow_singular=False)  # scipy's check: positive definite
    points = np.reshape(dev, (-1, d))
    maha = np.sum(points * np.transpose(np.linalg.solve(cov, np.transpose(points))), axis=-1)
    maha = np.reshape(maha, np.shape(plain_value(dev))[:-1])
    _, logdet = np.linalg.slogdet(cov)
    return _squeezed(-0.5 * (d * _LOG_2PI + logdet + maha))


@numpy_when_plain(scipy.stats.multivariate_normal.pdf, "adjoint.scipy.stats.multivariate_normal.pdf")
def pdf(x, mean=None, cov=1, allow_singular=False):
    """``scipy.stats.multivariate_normal.pdf``."""
    return np.exp(logpdf(x, mean, cov, allow_singular))


@numpy_when_plain(scipy.stats.multivariate_normal.entropy, "adjoint.scipy.stats.multivariate_normal.entropy")
def entropy(mean=None, cov=1):
    """``scipy.stats.multivariate_normal.entropy``: differentiable in ``cov``."""
    d, _, cov = _parameters(mean, cov)
    _, logdet = np.linalg.slogdet(cov)
    return 0.5 * (d * (1.0 + _LOG_2PI) + logdet)
