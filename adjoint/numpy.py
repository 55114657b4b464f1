"""numpy-style functions that trace: ``import adjoint.numpy as anp``.

Differentiable functions come from ``graphs.numpy_functions``; everything else numpy offers
(array creation, constants, ``linalg`` on plain arrays, ...) is numpy's own. A numpy function
applied to a traced value without a derivative rule raises an error naming it.
"""

import numpy as _np
from numpy import *  # noqa: F401,F403  (constants and creation functions, untraced)

from graphs.numpy_functions import *  # noqa: F401,F403
from graphs.numpy_functions import NUMPY_EQUIVALENTS as _EQUIVALENTS
from graphs import numpy_functions as _nf

__all__ = sorted(n for n in dir(_nf) if not n.startswith("_") and callable(getattr(_nf, n))
                 and n not in {"Traced", "UnsupportedFunctionError", "unsupported"})

array = _nf.array
asarray = _nf.asarray
sum = _nf.sum  # noqa: A001
max = _nf.max  # noqa: A001
min = _nf.min  # noqa: A001
abs = _nf.abs  # noqa: A001
round = _np.round  # noqa: A001
del _EQUIVALENTS
