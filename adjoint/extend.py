"""Autograd's extension API on adjoint's primitives: port ``autograd.extend`` code by its import.

Code written for autograd as::

    from autograd.extend import primitive, defvjp

runs on adjoint with ``from adjoint.extend import primitive, defvjp``: the functions here take
autograd's arguments and rules, and register an ordinary ``graphs.primitive.Primitive``
behind each decorated function, so ``adjoint.grad``, ``adjoint.jvp``, ``adjoint.jacobian``
and the constraint-graph solvers differentiate it like any built-in primitive.

Two conventions differ from the internal tables (``graphs.primitive``) and are translated:

* a VJP maker is ``vjpmaker(ans, *args, **kwargs) -> (g -> cotangent)`` (autograd), where an
  internal rule is ``rule(g, ans, *args, **params)``;
* ``None`` in place of a rule means a zero derivative (autograd), where an absent internal
  rule means "unknown" (``MissingRuleError``).

Unlike autograd, a rule's result is checked: a cotangent must have its argument's shape and
a tangent its result's shape, else ``InvalidArgumentError`` names the primitive, the argument
and both shapes (autograd would broadcast it into a wrong gradient without a word).

Examples
--------
>>> import numpy as np
>>> import adjoint
>>> from adjoint.extend import primitive, defvjp
>>> @primitive
... def logsumexp(x):
...     m = np.max(x)
...     return m + np.log(np.sum(np.exp(x - m)))
>>> defvjp(logsumexp, lambda ans, x: lambda g: g * np.exp(x - ans))
>>> x = np.array([0.0, 1.0, 2.0])
>>> bool(np.allclose(adjoint.grad(logsumexp)(x), np.exp(x) / np.exp(x).sum()))
True
"""

import functools
import numbers

import numpy as np

from adjoint.errors import InvalidArgumentError
from graphs.numpy_functions import NUMPY_EQUIVALENTS
from graphs.primitive import PRIMITIVES, EveryArgument, Primitive
from graphs.tape import Traced, bind, record_guard

__all__ = [
    "primitive", "notrace_primitive", "defvjp", "defjvp", "defvjp_argnum", "defjvp_argnum",
    "defvjp_argnums", "defjvp_argnums", "def_linear",
]

#: Prefix of the registry names of primitives defined here: they cannot shadow the library's.
PREFIX = "user:"


# --- primitives --------------------------------------------------------------------------

def primitive(f):
    """Make ``f`` a primitive: a function whose derivative comes from rules, not from tracing it.

    As ``autograd.extend.primitive``. The wrapper runs ``f`` on plain values; called with a
    traced positional argument it records one application of the primitive (``f`` itself
    runs on the plain values, so it may use any numpy or scipy function). Keyword arguments
    are passed to ``f`` and to every rule; they are not differentiated.

    The primitive is registered in ``graphs.primitive.PRIMITIVES`` under
    ``"user:<module>.<qualname>"`` (``primitive_name``). Defining a function of the same name
    again (a notebook cell run twice) replaces the registered primitive, rules included.

    Parameters
    ----------
    f : callable
        ``f(*args, **kwargs)`` on plain values.

    Returns
    -------
    callable
        The wrapper (``functools.wraps(f)``); its ``primitive`` attribute is the registered
        ``graphs.primitive.Primitive`` and its ``fun`` attribute is ``f`` (as in autograd).

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint
    >>> @primitive
    ... def cube(x, scale=1.0):
    ...     return scale * x ** 3
    >>> defvjp(cube, lambda ans, x, scale=1.0: lambda g: 3 * scale * x ** 2 * g)
    >>> cube(2.0), adjoint.grad(cube)(2.0), adjoint.grad(lambda x: cube(x, scale=2.0))(2.0)
    (8.0, 12.0, 24.0)
    >>> cube.primitive.name
    'user:adjoint.extend.cube'
    """
    name = primitive_name(f)
    prim = Primitive(name, f)
    # Written directly, not through graphs.primitive.primitive (which refuses a taken name):
    # re-running a definition must take effect, and the old primitive is unreachable by name.
    PRIMITIVES[name] = prim

    @functools.wraps(f)
    def wrapped(*args, **kwargs):
        if kwargs:
            _check_untraced_keywords(prim, kwargs)
        return bind(prim, args, kwargs)

    wrapped.primitive = prim
    wrapped.fun = f
    _dispatch_numpy_calls(f, wrapped)
    return wrapped


def _dispatch_numpy_calls(f, wrapped):
    """Let numpy code calling ``f`` on traced values reach the new primitive.

    ``f`` a numpy function or any ufunc (``np.cbrt``, ``scipy.special.erf``) that has no
    built-in rule: plain numpy code applying it to traced values then records it, as it
    does for the library's own primitives. A built-in rule is never displaced; a user
    primitive of the same function, defined before, is.
    """
    dispatched = isinstance(f, np.ufunc) or (getattr(f, "__module__", None) or "").startswith("numpy")
    current = NUMPY_EQUIVALENTS.get(f)
    if dispatched and (current is None or getattr(current, "primitive", None) is not None):
        NUMPY_EQUIVALENTS[f] = wrapped


def primitive_name(f):
    """The registry name of the primitive ``primitive(f)`` defines: ``"user:<module>.<qualname>"``.

    Examples
    --------
    >>> import numpy as np
    >>> primitive_name(np.linalg.norm)
    'user:numpy.linalg.norm'
    """
    module = getattr(f, "__module__", None) or "__main__"
    qualname = getattr(f, "__qualname__", None) or getattr(f, "__name__", None) or repr(f)
    return f"{PREFIX}{module}.{qualname}"


def notrace_primitive(f):
    """Make ``f`` a function of plain values whose result is not traced (zero derivative).

    As ``autograd.extend.notrace_primitive``: traced arguments reach ``f`` as their plain
    values. For ``f`` with a result that is piecewise constant in its arguments (counts,
    indices, masks, flags). The outcome is noted as a guard of the trace, so a compiled plan
    re-evaluates ``f`` on replay and retraces where it changes, as for ``x > 0``.

    Parameters
    ----------
    f : callable

    Returns
    -------
    callable
        The wrapper (``functools.wraps(f)``).

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint
    >>> @notrace_primitive
    ... def n_positive(x):
    ...     return np.sum(x > 0)
    >>> adjoint.grad(lambda x: n_positive(x) * np.sum(x))(np.array([1.0, -2.0, 3.0]))
    array([2., 2., 2.])
    """

    @functools.wraps(f)
    def wrapped(*args, **kwargs):
        outcome = f(*_plain(args), **{k: _plain(v) for k, v in kwargs.items()})
        return record_guard(f, args, kwargs, outcome)

    wrapped.fun = f
    return wrapped


# --- reverse mode ------------------------------------------------------------------------

def defvjp(fun, *vjpmakers, argnums=None):
    """Define the VJPs of primitive ``fun``, one maker per argument, as ``autograd.extend.defvjp``.

    ``vjpmaker(ans, *args, **kwargs)`` returns ``vjp(g)``, the cotangent of that argument
    given the cotangent ``g`` of the result ``ans``, with the argument's shape (summed over
    axes the primitive broadcast). As in autograd, each call replaces every VJP of ``fun``.

    Parameters
    ----------
    fun : callable
        A function decorated with ``primitive``.
    *vjpmakers : callable or None
        One per argument in ``argnums``; ``None``: the derivative in that argument is zero.
    argnums : sequence of int, optional
        The arguments the makers are for (default ``0, 1, ...``). Arguments with no maker
        have no VJP: a derivative flowing into one raises ``MissingRuleError``.

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint
    >>> @primitive
    ... def weighted_sum(w, x):
    ...     return np.sum(w * x)
    >>> defvjp(weighted_sum, lambda ans, w, x: lambda g: g * x, argnums=[0])
    >>> adjoint.grad(weighted_sum)(np.ones(2), np.array([3.0, 4.0]))
    array([3., 4.])
    """
    prim = _primitive_of(fun, "defvjp")
    prim.vjps = {k: _vjp_rule(prim, k, maker) for k, maker in _per_argnum(prim, vjpmakers, argnums, "defvjp")}


def defvjp_argnum(fun, vjpmaker):
    """Define the VJP of ``fun`` in every argument with one maker, as ``autograd.extend.defvjp_argnum``.

    For primitives of any number of arguments: ``vjpmaker(argnum, ans, args, kwargs)``
    returns ``vjp(g)``, the cotangent of ``args[argnum]``. Replaces every VJP of ``fun``.

    Parameters
    ----------
    fun : callable
        A function decorated with ``primitive``.
    vjpmaker : callable

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint
    >>> @primitive
    ... def total(*xs):
    ...     return sum(np.sum(x) for x in xs)
    >>> defvjp_argnum(total, lambda argnum, ans, args, kwargs: lambda g: g * np.ones(np.shape(args[argnum])))
    >>> adjoint.grad(lambda a, b: total(a, b, 2.0 * a), argnum=(0, 1))(np.zeros(2), 1.0)
    (array([3., 3.]), 1.0)
    """
    prim = _primitive_of(fun, "defvjp_argnum")
    _check_callable(prim, vjpmaker, "defvjp_argnum")

    def rule(argnum, g, ans, *args, **kwargs):
        return _cotangent(prim, argnum, vjpmaker(argnum, ans, args, kwargs)(g), args[argnum])

    prim.vjps = EveryArgument(rule)


def defvjp_argnums(fun, vjpmaker):
    """Define the VJPs of ``fun`` with a maker for several arguments at once, as autograd does.

    ``vjpmaker(argnums, ans, args, kwargs)`` returns ``vjp(g)``, the cotangents of the
    arguments ``argnums`` in order. Here it is asked one argument at a time (the reverse
    sweep takes one VJP per edge), so work shared between arguments is done per argument.

    Parameters
    ----------
    fun : callable
        A function decorated with ``primitive``.
    vjpmaker : callable

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint
    >>> @primitive
    ... def product(a, b):
    ...     return a * b
    >>> defvjp_argnums(product, lambda argnums, ans, args, kwargs: lambda g: [g * args[1 - k] for k in argnums])
    >>> adjoint.grad(product, argnum=(0, 1))(2.0, 3.0)
    (3.0, 2.0)
    """
    prim = _primitive_of(fun, "defvjp_argnums")
    _check_callable(prim, vjpmaker, "defvjp_argnums")

    def rule(argnum, g, ans, *args, **kwargs):
        (cotangent,) = tuple(vjpmaker((argnum,), ans, args, kwargs)(g))
        return _cotangent(prim, argnum, cotangent, args[argnum])

    prim.vjps = EveryArgument(rule)


# --- forward mode ------------------------------------------------------------------------

def defjvp(fun, *jvpfuns, argnums=None):
    """Define the JVPs of primitive ``fun``, one per argument, as ``autograd.extend.defjvp``.

    ``jvpfun(g, ans, *args, **kwargs)`` returns the tangent of the result ``ans`` caused by
    the tangent ``g`` of that argument, with the result's shape. As in autograd, each call
    replaces every JVP of ``fun``.

    Parameters
    ----------
    fun : callable
        A function decorated with ``primitive``.
    *jvpfuns : callable, None or "same"
        One per argument in ``argnums``. ``None``: the derivative in that argument is zero;
        ``"same"``: ``fun`` is linear in that argument (its JVP is ``fun`` applied to the
        tangent in that argument's place).
    argnums : sequence of int, optional
        The arguments the rules are for (default ``0, 1, ...``).

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint
    >>> @primitive
    ... def scaled_sin(x, a):
    ...     return a * np.sin(x)
    >>> defjvp(scaled_sin, lambda g, ans, x, a: g * a * np.cos(x), "same")
    >>> value, tangent = adjoint.jvp(scaled_sin, argnum=(0, 1))(0.0, 2.0, (1.0, 1.0))
    >>> float(value), float(tangent)
    (0.0, 2.0)
    """
    prim = _primitive_of(fun, "defjvp")
    prim.jvps = {k: _jvp_rule(prim, fun, k, rule) for k, rule in _per_argnum(prim, jvpfuns, argnums, "defjvp")}


def defjvp_argnum(fun, jvpmaker):
    """Define the JVP of ``fun`` in every argument with one rule, as ``autograd.extend.defjvp_argnum``.

    ``jvpmaker(argnum, g, ans, args, kwargs)`` returns the tangent of the result caused by
    the tangent ``g`` of ``args[argnum]``. Replaces every JVP of ``fun``.

    Parameters
    ----------
    fun : callable
        A function decorated with ``primitive``.
    jvpmaker : callable

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint
    >>> @primitive
    ... def total(*xs):
    ...     return sum(np.sum(x) for x in xs)
    >>> defjvp_argnum(total, lambda argnum, g, ans, args, kwargs: np.sum(g))
    >>> value, tangent = adjoint.jvp(lambda x: total(x, 2.0 * x))(np.zeros(2), np.ones(2))
    >>> float(value), float(tangent)
    (0.0, 6.0)
    """
    prim = _primitive_of(fun, "defjvp_argnum")
    _check_callable(prim, jvpmaker, "defjvp_argnum")

    def rule(argnum, g, ans, *args, **kwargs):
        return _tangent(prim, argnum, jvpmaker(argnum, g, ans, args, kwargs), ans)

    prim.jvps = EveryArgument(rule)


def defjvp_argnums(fun, jvpmaker):
    """Define the JVPs of ``fun`` with a rule for several arguments at once, as autograd does.

    ``jvpmaker(argnums, gs, ans, args, kwargs)`` returns the tangent of the result caused by
    the tangents ``gs`` of the arguments ``argnums``. Here it is asked one argument at a time
    (the forward sweep sums the tangents of the arguments).

    Parameters
    ----------
    fun : callable
        A function decorated with ``primitive``.
    jvpmaker : callable

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint
    >>> @primitive
    ... def product(a, b):
    ...     return a * b
    >>> def product_jvp(argnums, gs, ans, args, kwargs):
    ...     return sum(g * args[1 - k] for k, g in zip(argnums, gs))
    >>> defjvp_argnums(product, product_jvp)
    >>> value, tangent = adjoint.jvp(product, argnum=(0, 1))(2.0, 3.0, (1.0, 1.0))
    >>> float(value), float(tangent)
    (6.0, 5.0)
    """
    prim = _primitive_of(fun, "defjvp_argnums")
    _check_callable(prim, jvpmaker, "defjvp_argnums")

    def rule(argnum, g, ans, *args, **kwargs):
        return _tangent(prim, argnum, jvpmaker((argnum,), (g,), ans, args, kwargs), ans)

    prim.jvps = EveryArgument(rule)


def def_linear(fun):
    """Declare primitive ``fun`` linear in each argument, as ``autograd.extend.def_linear``.

    Its JVP in an argument is then ``fun`` applied with the tangent in that argument's place
    (exact for functions linear in each argument separately, such as ``a * b`` or ``A @ x``).
    As in autograd this defines JVPs only; VJPs still come from ``defvjp``.

    Parameters
    ----------
    fun : callable
        A function decorated with ``primitive``.

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint
    >>> @primitive
    ... def bilinear(a, b):
    ...     return a @ b
    >>> def_linear(bilinear)
    >>> A, x = np.eye(2), np.array([1.0, 2.0])
    >>> adjoint.jvp(bilinear, argnum=(0, 1))(A, x, (np.ones((2, 2)), x))
    (array([1., 2.]), array([4., 5.]))
    """
    prim = _primitive_of(fun, "def_linear")

    def rule(argnum, g, ans, *args, **kwargs):
        return _tangent(prim, argnum, fun(*_replaced(args, argnum, g), **kwargs), ans)

    prim.jvps = EveryArgument(rule)


# --- translation of autograd's rules -----------------------------------------------------

def _primitive_of(fun, register):
    prim = fun if isinstance(fun, Primitive) else getattr(fun, "primitive", None)
    if not isinstance(prim, Primitive):
        raise InvalidArgumentError(
            f"{register} needs a primitive, but {getattr(fun, '__name__', fun)!r} is not one; "
            f"decorate the function with adjoint.extend.primitive first"
        )
    return prim


def _per_argnum(prim, rules, argnums, register):
    argnums = range(len(rules)) if argnums is None else tuple(argnums)
    if len(argnums) != len(rules):
        raise InvalidArgumentError(
            f"{register}({prim.name!r}) got {len(rules)} rules for argnums={tuple(argnums)!r}; give one rule "
            f"per argument number (None where the derivative is zero)"
        )
    for k in argnums:
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
            raise InvalidArgumentError(f"{register}({prim.name!r}): argnums entry {k!r} is not an argument number")
    return [(int(k), rule) for k, rule in zip(argnums, rules)]


def _check_callable(prim, rule, register):
    if not callable(rule):
        raise InvalidArgumentError(f"{register}({prim.name!r}): the rule {rule!r} is not callable")


def _vjp_rule(prim, argnum, vjpmaker):
    if vjpmaker is None:
        return lambda g, ans, *args, **kwargs: _zeros_like(args[argnum])
    _check_callable(prim, vjpmaker, "defvjp")

    def rule(g, ans, *args, **kwargs):
        return _cotangent(prim, argnum, vjpmaker(ans, *args, **kwargs)(g), args[argnum])

    return rule


def _jvp_rule(prim, fun, argnum, jvpfun):
    if jvpfun is None:
        return lambda t, ans, *args, **kwargs: _zeros_like(ans)
    if isinstance(jvpfun, str) and jvpfun == "same":
        def jvpfun(t, ans, *args, **kwargs):
            return fun(*_replaced(args, argnum, t), **kwargs)
    _check_callable(prim, jvpfun, "defjvp")

    def rule(t, ans, *args, **kwargs):
        return _tangent(prim, argnum, jvpfun(t, ans, *args, **kwargs), ans)

    return rule


def _cotangent(prim, argnum, cotangent, arg):
    """``cotangent``, once checked to have the shape of argument ``argnum``, ``arg``."""
    expected = _shape(arg)
    if expected is not None:
        got = _result_shape(prim, "VJP", argnum, cotangent)
        if got != expected:
            raise InvalidArgumentError(
                f"the VJP of primitive '{prim.name}' for argument {argnum} returned a cotangent of shape "
                f"{got}, but argument {argnum} has shape {expected}; a cotangent has its argument's shape "
                f"(sum it over the axes the primitive broadcast)"
            )
    return cotangent


def _tangent(prim, argnum, tangent, ans):
    """``tangent``, once checked to have the shape of the result ``ans``."""
    expected = _shape(ans)
    if expected is not None:
        got = _result_shape(prim, "JVP", argnum, tangent)
        if got != expected:
            raise InvalidArgumentError(
                f"the JVP of primitive '{prim.name}' for argument {argnum} returned a tangent of shape "
                f"{got}, but the result has shape {expected}; a tangent has the result's shape"
            )
    return tangent


def _result_shape(prim, kind, argnum, value):
    if value is None:
        raise InvalidArgumentError(
            f"the {kind} of primitive '{prim.name}' for argument {argnum} returned None; return zeros, "
            f"or register None as that argument's rule"
        )
    shape = _shape(value)
    return np.shape(value) if shape is None else shape


def _shape(x):
    """The shape of an array or number (``()`` for a float), ``None`` for other objects.

    Read off ``.shape`` rather than through ``numpy.shape``: values may be traced (nested
    derivatives) or on a GPU, and the check must not record or transfer anything.
    """
    if x.__class__ is Traced:
        x = x.value
    if isinstance(x, numbers.Number):
        return ()
    shape = getattr(x, "shape", None)
    return None if shape is None else tuple(shape)


def _zeros_like(x):
    z = np.zeros_like(_plain(x))
    # a zero derivative is a float even where the value is an integer, as a cotangent is
    return z if np.issubdtype(z.dtype, np.inexact) else z.astype(np.float64)


def _replaced(args, argnum, value):
    return args[:argnum] + (value,) + args[argnum + 1:]


def _plain(x):
    if x.__class__ is Traced:
        return x.value
    if x.__class__ in (list, tuple):  # not subclasses: a namedtuple is not built from an iterable
        return x.__class__(_plain(v) for v in x)
    return x


def _has_traced(x):
    if x.__class__ is Traced:
        return True
    return x.__class__ in (list, tuple) and any(_has_traced(v) for v in x)


def _check_untraced_keywords(prim, kwargs):
    for key, value in kwargs.items():
        if _has_traced(value):
            raise InvalidArgumentError(
                f"keyword argument {key!r} of primitive '{prim.name}' is traced; keyword arguments are not "
                f"differentiated, so pass a differentiated value positionally"
            )
