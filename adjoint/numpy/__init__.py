"""numpy-style functions that trace: ``import adjoint.numpy as anp``.

The differentiable functions (``graphs.numpy_functions.__all__``) apply primitives, and are
numpy itself on plain values; everything else numpy offers (array creation, constants,
``linalg`` and ``random`` on plain arrays, ...) is numpy's own. A numpy function without a
derivative rule applied to a traced value raises an error naming it.

Examples
--------
>>> import adjoint.numpy as anp
>>> float(anp.sum(anp.sin(anp.zeros(3)) + anp.pi))
9.42477796076938
"""

from numpy import *  # noqa: F401,F403  (constants and creation functions, untraced)
from numpy import linalg  # noqa: F401  (plain numpy: not differentiable)

from adjoint.numpy import random  # noqa: F401  (numpy.random, importable as a module)
from graphs.numpy_functions import *  # noqa: F401,F403
from graphs.numpy_functions import __all__ as _traced

__all__ = list(_traced)
