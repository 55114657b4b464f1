"""Validation of the vectors a solve starts from (right-hand side, starting point)."""

from .backend import array_namespace


def as_vector(name: str, value, size: int | None = None, like=None):
    """Return a float64 copy of `value`, checked to be a finite 1-D vector.

    The copy is deliberate: solvers may return their starting point, and the
    caller's array must never come back aliased.

    Parameters
    ----------
    name : str
        Name used in error messages (``"b"``, ``"x0"``, ``"z0"``).
    value : array_like
        The vector given.
    size : int, optional
        Required length.
    like : array, optional
        Array whose namespace (numpy or cupy) to use; defaults to `value`'s own.

    Returns
    -------
    array
        1-D float64 array.

    Raises
    ------
    ValueError
        If `value` is not 1-D, has the wrong length, or holds NaN or infinity.

    Examples
    --------
    >>> as_vector("b", [1, 2])
    array([1., 2.])
    >>> as_vector("b", [[1.0]])
    Traceback (most recent call last):
    ...
    ValueError: b must be a 1-D vector, got shape (1, 1)
    """
    xp = array_namespace(value if like is None else like)
    vector = xp.array(value, dtype=xp.float64, copy=True)
    if vector.ndim != 1:
        raise ValueError(f"{name} must be a 1-D vector, got shape {tuple(vector.shape)}")
    if size is not None and vector.shape[0] != size:
        raise ValueError(f"{name} must have length {size}, got length {vector.shape[0]}")
    if not bool(xp.all(xp.isfinite(vector))):
        raise ValueError(f"{name} contains NaN or infinite entries")
    return vector
