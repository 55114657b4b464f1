"""``adjoint.scipy.linalg``: scipy.linalg, with the functions that trace (``graphs.rules.numpy_linalg``).

Examples
--------
>>> import numpy as np
>>> import adjoint
>>> import adjoint.scipy.linalg as spla
>>> adjoint.grad(lambda b: spla.solve_triangular(2.0 * np.eye(2), b).sum())(np.ones(2))
array([0.5, 0.5])
"""

from scipy.linalg import *  # noqa: F401,F403  (plain scipy where no traced version exists)

from graphs.rules.numpy_linalg import SCIPY_ALL as __all__  # noqa: F401
from graphs.rules.numpy_linalg import (  # noqa: F401
    cho_factor,
    cho_solve,
    solve_banded,
    solve_sylvester,
    solve_triangular,
    sqrtm,
)
