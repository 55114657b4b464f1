"""Validation of user-supplied scalar settings and per-method options.

Every check raises ``ValueError`` naming the setting, the value given and what is
allowed, so a bad configuration is reported where it is made, not as a strange
failure deep inside an iteration.
"""

import math
import numbers
from collections.abc import Mapping


def float_or_nan(value) -> float:
    """Return `value` as a float if it is a real number, else NaN (refused by any range check).

    Booleans are not numbers here, although Python counts them as integers.

    Parameters
    ----------
    value : object
        The value given for a setting.

    Returns
    -------
    float

    Examples
    --------
    >>> float_or_nan(1), float_or_nan(True), float_or_nan("0.5")
    (1.0, nan, nan)
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return math.nan
    return float(value)


def require_finite_nonnegative(name: str, value) -> float:
    """Return `value` as a float if it is a finite number >= 0.

    Parameters
    ----------
    name : str
        Name of the setting, quoted in the error message.
    value : object
        The value given.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If `value` is not a real number, is NaN or infinite, or is negative.

    Examples
    --------
    >>> require_finite_nonnegative("rtol", 1e-8)
    1e-08
    >>> require_finite_nonnegative("rtol", -1)
    Traceback (most recent call last):
    ...
    ValueError: rtol must be a finite number >= 0, got -1
    """
    value_f = float_or_nan(value)
    if not (math.isfinite(value_f) and value_f >= 0):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return value_f


def require_integer(name: str, value, minimum: int) -> int:
    """Return `value` as an int if it is an integer >= `minimum`.

    Parameters
    ----------
    name : str
        Name of the setting, quoted in the error message.
    value : object
        The value given. Floats are refused even when integral, booleans too.
    minimum : int
        0 or 1: the message asks for "an integer >= 0" or "a positive integer".

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If `value` is not an integer >= `minimum`.

    Examples
    --------
    >>> require_integer("maxiter", 5, minimum=1), require_integer("k", 0, minimum=0)
    (5, 0)
    >>> require_integer("maxiter", 1.5, minimum=1)
    Traceback (most recent call last):
    ...
    ValueError: maxiter must be a positive integer, got 1.5
    >>> require_integer("k", -1, minimum=0)
    Traceback (most recent call last):
    ...
    ValueError: k must be an integer >= 0, got -1
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        allowed = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return int(value)


def require_damping(value) -> float:
    """Return `value` as a float if it lies in the half-open interval (0, 1].

    Parameters
    ----------
    value : object
        The damping (relaxation) factor given.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If `value` is not a real number in (0, 1].

    Examples
    --------
    >>> require_damping(0.5)
    0.5
    >>> require_damping(0)
    Traceback (most recent call last):
    ...
    ValueError: damping must be a number in (0, 1], got 0
    """
    value_f = float_or_nan(value)
    if not 0.0 < value_f <= 1.0:
        raise ValueError(f"damping must be a number in (0, 1], got {value!r}")
    return value_f


def resolve_options(method: str, given: Mapping, defaults: Mapping) -> dict:
    """Merge the options given for `method` into its defaults, refusing unknown names.

    Parameters
    ----------
    method : str
        Method name, quoted in the error message.
    given : mapping
        Options passed by the caller.
    defaults : mapping
        Every option the method accepts, with its default value.

    Returns
    -------
    dict
        The defaults updated with `given`.

    Raises
    ------
    ValueError
        If `given` holds a name the method does not accept; the message lists the
        accepted names.

    Examples
    --------
    >>> resolve_options("fixed_point", {"damping": 0.5}, {"damping": 1.0})
    {'damping': 0.5}
    >>> resolve_options("fixed_point", {"memory": 3}, {"damping": 1.0})
    Traceback (most recent call last):
    ...
    ValueError: method 'fixed_point' has no option 'memory'; its options are: damping
    """
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        accepted = ", ".join(sorted(defaults)) or "(none)"
        names = ", ".join(repr(name) for name in unknown)
        plural = "s" if len(unknown) > 1 else ""
        raise ValueError(
            f"method {method!r} has no option{plural} {names}; its options are: {accepted}"
        )
    return {**defaults, **given}


def unknown_method_error(kind: str, method, valid: tuple) -> ValueError:
    """Build the error for a method name that is not one of `valid`.

    Parameters
    ----------
    kind : str
        ``"linear"`` or ``"nonlinear"``.
    method : object
        The name given.
    valid : tuple of str
        The accepted names.

    Returns
    -------
    ValueError
        To be raised by the caller.

    Examples
    --------
    >>> print(unknown_method_error("linear", "foo", ("direct", "gmres")))
    unknown linear method 'foo'; valid methods are: direct, gmres
    """
    return ValueError(
        f"unknown {kind} method {method!r}; valid methods are: {', '.join(valid)}"
    )
