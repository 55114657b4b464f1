"""``adjoint.scipy.stats``: densities and distribution functions that trace, in autograd's layout.

Each distribution is a module (``adjoint.scipy.stats.norm.logpdf``), as in autograd. On plain
values each function is scipy.stats' own; on traced values it is a composition of primitives
(``graphs.rules.special``), so derivatives of any order follow, in every argument autograd
differentiates and in the location and scale too.

Examples
--------
>>> import adjoint
>>> from adjoint.scipy import stats
>>> float(adjoint.grad(stats.norm.logpdf)(0.5))
-0.5
"""

from . import beta, chi2, dirichlet, gamma, multivariate_normal, norm, poisson, t  # noqa: F401

__all__ = ["beta", "chi2", "dirichlet", "gamma", "multivariate_normal", "norm", "poisson", "t"]
