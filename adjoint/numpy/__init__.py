"""numpy-style functions that trace: ``import adjoint.numpy as anp``.

The differentiable functions (``graphs.numpy_functions.__all__``) apply primitives, and are
numpy itself on plain values; everything else numpy offers (array creation, constants,
``random``, ...) is numpy's own; ``linalg`` and ``fft`` are numpy's with their traced
functions. A numpy function without a derivative rule applied to a traced value raises an
error naming it.

Examples
--------
>>> import adjoint.numpy as anp
>>> float(anp.sum(anp.sin(anp.zeros(3)) + anp.pi))
9.42477796076938
"""

from numpy import *  # noqa: F401,F403  (constants and creation functions, untraced)

from adjoint.numpy import fft, linalg, random  # noqa: F401  (importable as modules)
from graphs.numpy_functions import *  # noqa: F401,F403
from graphs.numpy_functions import __all__ as _traced
from graphs.rules.complex_numbers import *  # noqa: F401,F403
from graphs.rules.complex_numbers import __all__ as _complex
from graphs.rules.sorting import *  # noqa: F401,F403
from graphs.rules.sorting import __all__ as _sorting

__all__ = [*_traced, *_complex, *_sorting]
