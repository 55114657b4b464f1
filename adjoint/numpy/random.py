"""``adjoint.numpy.random`` is numpy's own ``random`` (random numbers are not differentiated).

So that ``import autograd.numpy.random as npr`` becomes ``import adjoint.numpy.random as npr``.

Examples
--------
>>> import numpy
>>> import adjoint.numpy.random as npr
>>> npr.RandomState is numpy.random.RandomState
True
"""

from numpy.random import *  # noqa: F401,F403
from numpy.random import __all__  # noqa: F401
