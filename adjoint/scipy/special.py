"""``adjoint.scipy.special``: scipy.special, with the functions that trace (``graphs.rules.special``).

Every function autograd's ``autograd.scipy.special`` differentiates is here under its scipy
name; the rest of scipy.special is scipy's own (plain values only).

Examples
--------
>>> import adjoint
>>> import adjoint.scipy.special as special
>>> float(adjoint.grad(special.gammaln)(1.0))  # digamma(1) = -Euler's constant
-0.5772156649015329
"""

from scipy.special import *  # noqa: F401,F403  (plain scipy where no traced version exists)

from graphs.rules.special import *  # noqa: F401,F403
