"""autograd's ``tracer`` helpers on adjoint's traced values: ``isbox`` and ``getval``."""

from graphs.tape import Traced, plain_value

__all__ = ["isbox", "getval"]


def isbox(x):
    """Whether ``x`` is a traced value (autograd's "box").

    Examples
    --------
    >>> import adjoint
    >>> seen = []
    >>> _ = adjoint.grad(lambda x: seen.append(isbox(x)) or x * 2.0)(1.0)
    >>> seen, isbox(1.0)
    ([True], False)
    """
    return x.__class__ is Traced


def getval(x):
    """The plain value under any number of traces.

    Examples
    --------
    >>> import adjoint
    >>> adjoint.grad(lambda x: x * getval(x))(3.0)   # getval(x) is a constant: d(3x)/dx
    3.0
    """
    return plain_value(x)
