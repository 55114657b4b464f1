"""Primitives: numpy functions with derivative rules, and the registry of them by name.

A primitive is the smallest constraint ``z_i = f_i(z_α(i))`` the library differentiates.
Rules are registered declaratively, one table per family of primitives (``graphs/rules``),
as autograd's ``defvjp`` does:

* ``vjp(g, ans, *args, **params)`` returns the cotangent of one argument given the cotangent
  ``g`` of the result: ``(∂f/∂arg)ᵀ g``, already reduced to the argument's shape.
* ``jvp(t, ans, *args, **params)`` returns the tangent of the result caused by the tangent
  ``t`` of one argument: ``(∂f/∂arg) t``, with the result's shape.
* ``partial(ans, *args, **params)`` (optional, ``defpartial``) returns the local partial
  ``∂f/∂arg`` itself as a ``scipy.sparse`` matrix of shape ``(ans.size, arg.size)`` over the
  flattened (C-order) result and argument, or ``None`` for a case it does not cover (the
  caller then falls back to reading the partial off VJPs or JVPs).

An elementwise primitive declares its local partials ``∂ans/∂x_k`` once instead, and all
three rules follow from them (``graphs.rules.elementwise_declaration.defelementwise``).

Rules are written with numpy functions that trace (primitives of their own, or numpy's
dispatch): applied to values of an enclosing trace, a rule records itself there, so the
derivative it computes can be differentiated again (``grad(grad(f))``). A rule that must
leave numpy's dispatch (an in-place write, a conversion to ndarray) needs a primitive of its
own, as the adjoint of indexing has ``scatter_add``; the second-order table test catches one
that does not.
"""

from .errors import MissingRuleError
from .tape import bind

#: Every primitive by name. Loading a saved graph looks primitives up here and nowhere else,
#: so a file can only name code that this library defines.
PRIMITIVES = {}


class Primitive:
    """A numpy function ``impl`` whose derivative rules are known.

    Calling a primitive on plain values runs ``impl``; calling it with a traced argument
    also records the application on that argument's tape (see ``graphs.tape``).
    """

    __slots__ = ("name", "impl", "vjps", "jvps", "partials")

    def __init__(self, name, impl):
        self.name = name
        self.impl = impl
        self.vjps = {}
        self.jvps = {}
        self.partials = {}  # optional: sparse ∂f/∂arg per argument, see ``defpartial``

    def __call__(self, *args, **params):
        return bind(self, args, params)

    def __repr__(self):
        return f"<primitive {self.name}>"

    # A primitive is an entry of the registry, not data: copies of a graph share it.
    def __copy__(self):
        return self

    def __deepcopy__(self, _memo):
        return self

    def vjp(self, argnum):
        """The VJP rule for argument ``argnum``; raises ``MissingRuleError`` if absent."""
        return self._rule(self.vjps, argnum, "VJP", "a derivative", "defvjp")

    def jvp(self, argnum):
        """The JVP rule for argument ``argnum``; raises ``MissingRuleError`` if absent."""
        return self._rule(self.jvps, argnum, "JVP", "a tangent", "defjvp")

    def _rule(self, table, argnum, kind, what, register):
        rule = table.get(argnum)
        if rule is None:
            raise MissingRuleError(
                f"primitive '{self.name}' has no {kind} rule for argument {argnum}: {what} "
                f"flows into it; register one with {register}, or keep that argument constant"
            )
        return rule


def primitive(impl, name=None):
    """Register ``impl`` as a primitive under ``name`` (default: ``impl.__name__``).

    Examples
    --------
    >>> from graphs.primitive import primitive, defvjp, PRIMITIVES
    >>> cube = primitive(lambda x: x ** 3, name="example_cube")
    >>> defvjp(cube, lambda g, ans, x: 3 * x ** 2 * g)
    >>> cube(2.0), cube.vjp(0)(1.0, 8.0, 2.0), "example_cube" in PRIMITIVES
    (8.0, 12.0, True)
    """
    name = name or impl.__name__
    if name in PRIMITIVES:
        raise ValueError(f"a primitive named '{name}' is already registered")
    prim = Primitive(name, impl)
    PRIMITIVES[name] = prim
    return prim


def defvjp(prim, *rules):
    """Register VJP rules for ``prim``, one per argument (``None``: not differentiable)."""
    for argnum, rule in enumerate(rules):
        if rule is not None:
            prim.vjps[argnum] = rule


def defjvp(prim, *rules):
    """Register JVP rules for ``prim``, one per argument (``None``: not differentiable)."""
    for argnum, rule in enumerate(rules):
        if rule is not None:
            prim.jvps[argnum] = rule


def defpartial(prim, *rules):
    """Register sparse partial rules for ``prim``, one per argument (``None``: none).

    A rule ``partial(ans, *args, **params)`` returns ``∂f/∂arg`` as a scipy.sparse matrix of
    shape ``(ans.size, arg.size)`` (flattened in C order), or ``None`` when it does not cover
    the case at hand. Partials are optional: they let a large local Jacobian be assembled
    without one VJP per output entry.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from graphs.primitive import primitive, defpartial
    >>> double = primitive(lambda x: 2 * x, name="example_double")
    >>> defpartial(double, lambda ans, x: 2 * sp.eye(np.size(x)))
    >>> double.partials[0](None, np.zeros(3)).toarray().diagonal()
    array([2., 2., 2.])
    """
    for argnum, rule in enumerate(rules):
        if rule is not None:
            prim.partials[argnum] = rule


def def_variadic_partial(prim, partial):
    """Register a partial rule for a variadic primitive: ``partial(argnum, ans, *args, **params)``."""
    prim.partials = EveryArgument(partial)


def def_variadic(prim, vjp, jvp):
    """Register rules for a primitive of any number of array arguments (concatenate, stack).

    ``vjp(argnum, g, ans, *args, **params)`` and ``jvp(argnum, t, ans, *args, **params)``.
    """
    prim.vjps = EveryArgument(vjp)
    prim.jvps = EveryArgument(jvp)


class EveryArgument:
    """The rule table of a variadic primitive: one ``rule(argnum, ...)`` serves every argument.

    It answers ``get(argnum)``, the one question callers ask of a rule table (a ``dict`` for
    other primitives), with ``rule`` bound to ``argnum``.

    Examples
    --------
    >>> table = EveryArgument(lambda argnum, g: (argnum, g))
    >>> table.get(2)("g")
    (2, 'g')
    """

    __slots__ = ("rule",)

    def __init__(self, rule):
        self.rule = rule

    def get(self, argnum, default=None):
        rule = self.rule
        return lambda *args, **params: rule(argnum, *args, **params)
