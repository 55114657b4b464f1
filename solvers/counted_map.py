"""A user function wrapped so that its calls are counted and its output checked.

Reports count evaluations honestly only if every call goes through a wrapper; the
shape check turns a map returning the wrong thing into a clear error at the first
call instead of a broadcasting accident later.
"""

from .backend import array_namespace


class CountedMap:
    """Call `function`, count the calls, and return a float64 vector of a fixed length.

    Parameters
    ----------
    function : callable
        ``function(*args) -> array_like``.
    name : str
        Name used in error messages (``"F"``, ``"K"``, ``"jvp"``).
    size : int
        Length of the 1-D vector the function must return.
    like : array
        An array whose namespace (numpy or cupy) the output is converted to.

    Attributes
    ----------
    calls : int
        Number of calls so far.

    Raises
    ------
    ValueError
        On a call whose output does not have shape ``(size,)``.

    Examples
    --------
    >>> import numpy as np
    >>> double = CountedMap(lambda v: 2 * v, "F", size=2, like=np.zeros(2))
    >>> double(np.ones(2))
    array([2., 2.])
    >>> double.calls
    1
    """

    def __init__(self, function, name: str, size: int, like):
        self.function = function
        self.name = name
        self.size = size
        self.xp = array_namespace(like)
        self.calls = 0

    def __call__(self, *args):
        self.calls += 1
        out = self.xp.asarray(self.function(*args), dtype=self.xp.float64)
        if out.shape != (self.size,):
            raise ValueError(
                f"{self.name} must return a vector of shape ({self.size},), "
                f"got shape {tuple(out.shape)}"
            )
        return out
