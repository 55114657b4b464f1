"""``adjoint.scipy.misc``: ``logsumexp``, where old versions of scipy (and of autograd) kept it.

Examples
--------
>>> import numpy as np
>>> from adjoint.scipy.misc import logsumexp
>>> float(logsumexp(np.zeros(4))) == float(np.log(4.0))
True
"""

from graphs.rules.special import logsumexp

__all__ = ["logsumexp"]
