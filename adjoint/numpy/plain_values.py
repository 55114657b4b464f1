"""``adjoint.numpy`` functions are numpy's own on plain values, and clear about what they refuse when traced.

A traced function (``graphs.numpy_functions.sum``, say) takes the arguments it can
differentiate; numpy's takes more (``dtype=``, ``out=``, ``initial=``, ``where=``, ...).
``numpy_on_plain_values`` joins the two: with no traced argument it calls numpy's function
with everything it was given, so the result is exactly numpy's; with a traced argument it
calls the traced function, and a keyword that function does not take is an error naming the
function and the keyword (not a ``TypeError`` from deep inside, nor a silent drop).
"""

import functools
import inspect

from graphs.errors import UnsupportedFunctionError
from graphs.tape import Traced


def numpy_on_plain_values(traced, numpy_function, name):
    """``traced`` where an argument is traced, ``numpy_function`` (all of numpy's arguments) elsewhere.

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint
    >>> from graphs import numpy_functions as nf
    >>> total = numpy_on_plain_values(nf.sum, np.sum, "sum")
    >>> int(total(np.arange(4), initial=10))                 # numpy's own, with numpy's arguments
    16
    >>> float(adjoint.grad(lambda x: total(x ** 2))(3.0))      # traced
    6.0
    >>> adjoint.grad(lambda x: total(x, initial=1.0))(3.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    graphs.errors.UnsupportedFunctionError: adjoint.numpy.sum does not take initial= on traced values; ...
    """
    accepted = _keywords(traced)

    @functools.wraps(numpy_function)
    def function(*args, **kwargs):
        if not (_holds_traced(args) or _holds_traced(kwargs.values())):
            return numpy_function(*args, **kwargs)
        if accepted is not None:
            for key in kwargs:
                if key not in accepted:
                    raise UnsupportedFunctionError(
                        f"adjoint.numpy.{name} does not take {key}= on traced values; its traced version "
                        f"takes {', '.join(sorted(accepted)) or 'no keyword arguments'}: drop {key}= or apply it "
                        f"after differentiating"
                    )
        return traced(*args, **kwargs)

    function.traced = traced
    return function


def _keywords(fun):
    """The keyword names ``fun`` accepts, or ``None`` when it takes ``**kwargs``."""
    try:
        parameters = inspect.signature(fun).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    return {p.name for p in parameters if p.kind is not inspect.Parameter.VAR_POSITIONAL}


def _holds_traced(items):
    for a in items:
        if a.__class__ is Traced:
            return True
        if isinstance(a, (list, tuple)) and _holds_traced(a):
            return True
    return False
