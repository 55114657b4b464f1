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
