"""``adjoint.numpy.fft``: numpy.fft, with the functions that trace (``graphs.rules.fft``).

Examples
--------
>>> import numpy
>>> import adjoint.numpy.fft as fft
>>> bool(numpy.allclose(fft.fftfreq(4), numpy.fft.fftfreq(4)))
True
"""

from numpy.fft import *  # noqa: F401,F403  (plain numpy where no traced version exists)

from graphs.rules.fft import *  # noqa: F401,F403
