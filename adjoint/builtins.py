"""autograd's ``builtins``: ``isinstance`` and ``type`` that see a traced array as an ndarray.

``list``, ``tuple`` and ``dict`` are Python's own: containers of traced values need no
wrapper here (they are flattened as pytrees).
"""

import builtins

from graphs.tape import plain_value

__all__ = ["isinstance", "type", "list", "tuple", "dict"]

list, tuple, dict = builtins.list, builtins.tuple, builtins.dict  # noqa: A001


def type(x):  # noqa: A001 - autograd's name
    """The type of the plain value under ``x`` (``numpy.ndarray`` for a traced array).

    Examples
    --------
    >>> import numpy as np
    >>> from graphs.tape import Tape
    >>> type(Tape().input(np.zeros(2))).__name__
    'ndarray'
    """
    return builtins.type(plain_value(x))


def isinstance(x, classinfo):  # noqa: A001 - autograd's name
    """``isinstance`` of the plain value under ``x``: a traced array is an ``numpy.ndarray``.

    Examples
    --------
    >>> import numpy as np
    >>> from graphs.tape import Tape
    >>> isinstance(Tape().input(np.zeros(2)), np.ndarray), isinstance([], (tuple, list))
    (True, True)
    """
    return builtins.isinstance(plain_value(x), classinfo)
