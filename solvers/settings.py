"""Validation of user-supplied scalar settings and per-method options.

Every check raises :class:`~solvers.errors.SolverSettingError` (a ``ValueError``)
naming the setting, the value given and what is allowed, so a bad configuration is
reported where it is made, not as a strange failure deep inside an iteration.

Each method module declares its options once, as ``OPTIONS = {name: Option(default,
check)}``; :func:`check_method_options` merges what the caller gave into the defaults
and checks every value given. A *check* is a function ``check(name, value) -> value``
that returns the value (normalised, e.g. to ``float``) or raises.
"""

import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .errors import SolverSettingError


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
    SolverSettingError
        If `value` is not a real number, is NaN or infinite, or is negative.

    Examples
    --------
    >>> require_finite_nonnegative("rtol", 1e-8)
    1e-08
    >>> require_finite_nonnegative("rtol", -1)
    Traceback (most recent call last):
    ...
    solvers.errors.SolverSettingError: rtol must be a finite number >= 0, got -1
    """
    value_f = float_or_nan(value)
    if not (math.isfinite(value_f) and value_f >= 0):
        raise SolverSettingError(f"{name} must be a finite number >= 0, got {value!r}")
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
    SolverSettingError
        If `value` is not an integer >= `minimum`.

    Examples
    --------
    >>> require_integer("maxiter", 5, minimum=1), require_integer("k", 0, minimum=0)
    (5, 0)
    >>> require_integer("maxiter", 1.5, minimum=1)
    Traceback (most recent call last):
    ...
    solvers.errors.SolverSettingError: maxiter must be a positive integer, got 1.5
    >>> require_integer("k", -1, minimum=0)
    Traceback (most recent call last):
    ...
    solvers.errors.SolverSettingError: k must be an integer >= 0, got -1
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        allowed = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise SolverSettingError(f"{name} must be {allowed}, got {value!r}")
    return int(value)


def require_positive_integer(name: str, value) -> int:
    """Return `value` as an int if it is an integer >= 1 (see :func:`require_integer`).

    Examples
    --------
    >>> require_positive_integer("restart", 20)
    20
    """
    return require_integer(name, value, minimum=1)


def require_nonnegative_integer(name: str, value) -> int:
    """Return `value` as an int if it is an integer >= 0 (see :func:`require_integer`).

    Examples
    --------
    >>> require_nonnegative_integer("k", 0)
    0
    """
    return require_integer(name, value, minimum=0)


def optional(check: Callable[[str, object], object]) -> Callable[[str, object], object]:
    """Return a check that lets ``None`` through and applies `check` to anything else.

    Parameters
    ----------
    check : callable
        ``check(name, value) -> value``.

    Returns
    -------
    callable

    Examples
    --------
    >>> check = optional(require_positive_integer)
    >>> check("restart", None), check("restart", 5)
    (None, 5)
    """

    def none_or_checked(name: str, value):
        return None if value is None else check(name, value)

    return none_or_checked


def require_damping(name: str, value) -> float:
    """Return `value` as a float if it lies in the half-open interval (0, 1].

    Parameters
    ----------
    name : str
        Name of the setting (``"damping"``), quoted in the error message.
    value : object
        The damping (relaxation) factor given.

    Returns
    -------
    float

    Raises
    ------
    SolverSettingError
        If `value` is not a real number in (0, 1].

    Examples
    --------
    >>> require_damping("damping", 0.5)
    0.5
    >>> require_damping("damping", 0)
    Traceback (most recent call last):
    ...
    solvers.errors.SolverSettingError: damping must be a number in (0, 1], got 0
    """
    value_f = float_or_nan(value)
    if not 0.0 < value_f <= 1.0:
        raise SolverSettingError(f"{name} must be a number in (0, 1], got {value!r}")
    return value_f


def require_bool(name: str, value) -> bool:
    """Return `value` if it is ``True`` or ``False``.

    Parameters
    ----------
    name : str
        The option (``"line_search"``), named in the message.
    value : object

    Returns
    -------
    bool

    Raises
    ------
    SolverSettingError
        For anything else (``0``, ``"yes"``, ``None``).

    Examples
    --------
    >>> require_bool("line_search", False)
    False
    >>> require_bool("line_search", 0)
    Traceback (most recent call last):
    ...
    solvers.errors.SolverSettingError: line_search must be True or False, got 0
    """
    if not isinstance(value, bool):
        raise SolverSettingError(f"{name} must be True or False, got {value!r}")
    return value


def require_word(name: str, value) -> str:
    """Return `value` if it is a non-empty string without spaces (a PETSc type name, say).

    Examples
    --------
    >>> require_word("ksp_type", "gmres")
    'gmres'
    >>> require_word("ksp_type", 3)
    Traceback (most recent call last):
    ...
    solvers.errors.SolverSettingError: ksp_type must be a name such as 'gmres', got 3
    """
    if not isinstance(value, str) or not value or any(c.isspace() for c in value):
        raise SolverSettingError(f"{name} must be a name such as 'gmres', got {value!r}")
    return value


def one_of(*choices: str) -> Callable[[str, object], str]:
    """The check of an option that takes one of ``choices`` (SuperLU's orderings, say).

    Examples
    --------
    >>> one_of("COLAMD", "NATURAL")("permc_spec", "NATURAL")
    'NATURAL'
    >>> one_of("COLAMD", "NATURAL")("permc_spec", "AMD")
    Traceback (most recent call last):
    ...
    solvers.errors.SolverSettingError: permc_spec must be one of 'COLAMD', 'NATURAL', got 'AMD'
    """

    def check(name: str, value) -> str:
        if value not in choices:
            raise SolverSettingError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
        return value

    return check


def require_string_keys(name: str, value) -> dict:
    """Return a copy of `value` if it is a mapping with string keys (an options database).

    Examples
    --------
    >>> require_string_keys("options", {"pc_gamg_threshold": 0.02})
    {'pc_gamg_threshold': 0.02}
    >>> require_string_keys("options", [1])
    Traceback (most recent call last):
    ...
    solvers.errors.SolverSettingError: options must be a dict of option names to values, got [1]
    """
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and k for k in value):
        raise SolverSettingError(f"{name} must be a dict of option names to values, got {value!r}")
    return dict(value)


@dataclass(frozen=True)
class Option:
    """One option of a method: its default and the check of a value given for it.

    Attributes
    ----------
    default : object
        Used when the caller gives none; not checked.
    check : callable
        ``check(name, value) -> value``: returns the value to use, or raises
        :class:`~solvers.errors.SolverSettingError`.

    Examples
    --------
    >>> Option(1.0, require_damping).check("damping", 0.25)
    0.25
    """

    default: object
    check: Callable[[str, object], object]


def check_method_options(method: str, given: Mapping, options: Mapping[str, Option]) -> dict:
    """Check the options given for `method` and merge them into its defaults.

    Parameters
    ----------
    method : str
        Method name, quoted in the error message.
    given : mapping
        Options passed by the caller.
    options : mapping of str to Option
        Every option the method accepts.

    Returns
    -------
    dict
        Every option of the method: the checked value given, else the default.

    Raises
    ------
    SolverSettingError
        If `given` holds a name the method does not accept (the message lists the
        accepted names), or a value its check refuses.

    Examples
    --------
    >>> options = {"damping": Option(1.0, require_damping)}
    >>> check_method_options("fixed_point", {"damping": 0.5}, options)
    {'damping': 0.5}
    >>> check_method_options("fixed_point", {"memory": 3}, options)
    Traceback (most recent call last):
    ...
    solvers.errors.SolverSettingError: method 'fixed_point' has no option 'memory'; its options are: damping
    """
    unknown = sorted(set(given) - set(options))
    if unknown:
        accepted = ", ".join(sorted(options)) or "(none)"
        names = ", ".join(repr(name) for name in unknown)
        plural = "s" if len(unknown) > 1 else ""
        raise SolverSettingError(
            f"method {method!r} has no option{plural} {names}; its options are: {accepted}"
        )
    checked = defaults(options)
    checked.update({name: options[name].check(name, value) for name, value in given.items()})
    return checked


def defaults(options: Mapping[str, Option]) -> dict:
    """Return the default of every option, by name.

    Examples
    --------
    >>> defaults({"k": Option(10, require_nonnegative_integer)})
    {'k': 10}
    """
    return {name: option.default for name, option in options.items()}


def require_callback(callback) -> None:
    """Refuse a `callback` that is neither ``None`` nor callable.

    Parameters
    ----------
    callback : object

    Raises
    ------
    SolverSettingError

    Examples
    --------
    >>> require_callback(print)
    >>> require_callback(3)
    Traceback (most recent call last):
    ...
    solvers.errors.SolverSettingError: callback must be callable or None, got 3
    """
    if callback is not None and not callable(callback):
        raise SolverSettingError(f"callback must be callable or None, got {callback!r}")


def quoted(names) -> str:
    """Quote and join method names for a message: ``'a', 'b'``.

    Examples
    --------
    >>> quoted(["gmres", "lgmres"])
    "'gmres', 'lgmres'"
    """
    return ", ".join(repr(name) for name in names)
