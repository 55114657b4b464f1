"""``adjoint.numpy.linalg``: numpy.linalg, with the functions that trace (``graphs.rules.numpy_linalg``).

Examples
--------
>>> import numpy
>>> import adjoint.numpy.linalg as la
>>> la.LinAlgError is numpy.linalg.LinAlgError
True
"""

from numpy.linalg import *  # noqa: F401,F403  (plain numpy where no traced version exists)

from graphs.rules.numpy_linalg import *  # noqa: F401,F403
from graphs.rules.numpy_linalg import _T as T  # noqa: F401  (autograd.numpy.linalg.T, used by its tests)
from graphs.rules.numpy_linalg import _mm as _dot  # noqa: F401  (autograd.numpy.linalg._dot: batched matmul)
