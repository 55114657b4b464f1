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

# numpy's __all__ names its own linalg, fft and random: bind ours after the star import.
import adjoint.numpy.fft as fft  # noqa: E402, F401
import adjoint.numpy.linalg as linalg  # noqa: E402, F401
import adjoint.numpy.random as random  # noqa: E402, F401
from graphs.numpy_functions import *  # noqa: F401,F403
from graphs.numpy_functions import __all__ as _traced
from graphs.rules.complex_numbers import *  # noqa: F401,F403
from graphs.rules.complex_numbers import __all__ as _complex
from graphs.rules.sorting import *  # noqa: F401,F403
from graphs.rules.sorting import __all__ as _sorting

__all__ = [*_traced, *_complex, *_sorting]


#: Functions that handle plain values themselves: autograd's where takes keyword arguments
#: (``where(condition=c, x=x, y=y)``), which numpy's positional-only where refuses.
_OWN_ON_PLAIN_VALUES = {"where"}


def _plain_values_are_numpys():
    """Each traced function not yet made numpy's own on plain values becomes so (``numpy_when_plain``)."""
    import numpy

    from graphs.numpy_functions import numpy_when_plain
    from graphs.primitive import Primitive

    names = globals()
    for name in __all__:
        ours, theirs = names[name], getattr(numpy, name, None)
        if name in _OWN_ON_PLAIN_VALUES or isinstance(ours, Primitive) or hasattr(ours, "numpy_function"):
            continue  # a primitive calls numpy's ufunc on plain values already; a decorated one is done
        if callable(theirs) and ours is not theirs:
            names[name] = numpy_when_plain(theirs, f"adjoint.numpy.{name}")(ours)


_plain_values_are_numpys()
