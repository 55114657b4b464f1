"""The Dirichlet distribution: ``pdf`` and ``logpdf`` that trace, in ``x`` and ``alpha``.

``x`` is one point of the simplex (shape ``(K,)``) or ``N`` of them as columns (``(K, N)``),
as scipy takes it; scipy checks the arguments (on their values) either way.

Examples
--------
>>> import numpy as np
>>> import adjoint
>>> from adjoint.scipy.stats import dirichlet
>>> g = adjoint.grad(dirichlet.logpdf, 1)(np.array([0.25, 0.75]), np.array([1.0, 1.0]))
>>> bool(np.allclose(g, [1.0 + np.log(0.25), 1.0 + np.log(0.75)]))  # ψ(2) - ψ(1) + log x
True
"""

import numpy as np
import scipy.stats

from graphs.numpy_functions import numpy_when_plain
from graphs.rules.special import gammaln, xlogy
from graphs.tape import plain_value

__all__ = ["pdf", "logpdf", "rvs"]

rvs = scipy.stats.dirichlet.rvs


@numpy_when_plain(scipy.stats.dirichlet.logpdf, "adjoint.scipy.stats.dirichlet.logpdf")
def logpdf(x, alpha):
    """``scipy.stats.dirichlet.logpdf``."""
    scipy.stats.dirichlet.logpdf(plain_value(x), plain_value(alpha))  # scipy's checks of x and alpha
    log_normaliser = gammaln(np.sum(alpha)) - np.sum(gammaln(alpha))
    terms = xlogy(alpha - 1.0, np.transpose(x))  # (K,) or (N, K)
    return log_normaliser + np.sum(terms, axis=-1)


@numpy_when_plain(scipy.stats.dirichlet.pdf, "adjoint.scipy.stats.dirichlet.pdf")
def pdf(x, alpha):
    """``scipy.stats.dirichlet.pdf``."""
    return np.exp(logpdf(x, alpha))
