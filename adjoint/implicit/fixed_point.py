"""``fixed_point``: ``z* = f(z*, *params)`` inside traced code, differentiable in ``params``.

The fixed point is a cyclic component of the traced program: one node ``z`` with the
constraint ``z = f(z, params)``. It is solved forward by the cyclic-block solvers, recorded
on the caller's tape as one record, and its VJP is the block's adjoint solve
``(I - ∂f/∂z)ᵀ λ = ḡ`` followed by ``(∂f/∂params)ᵀ λ``: the implicit function theorem.

Derivatives of any order: where the cotangent, ``z*`` or the parameters are values of an
enclosing trace (a second derivative), the adjoint solve is itself written as a fixed point,
``λ = ḡ + (∂f/∂z)ᵀ λ``, whose map is made of traced VJPs of ``f``: it is recorded as one
more implicit record, with rules of its own, and so on for every order. The tangent solve
``ż = (∂f/∂z) ż + (∂f/∂params) ṗ`` likewise. Truncated adjoints (``jfb``, ``neumann``)
become the same truncated series, traced.
"""

import numpy as np

from adjoint.errors import GraphError, InvalidArgumentError
from adjoint.graph.cyclic.block import adjoint_block, forward_block, tangent_block
from adjoint.graph.cyclic.spectral import reduced_jacobian
from adjoint.graph.linearisation import holds_none
from adjoint.graph.settings import checked_settings
from adjoint.graph.solution import BlockReport
from adjoint.pytree import flatten
from adjoint.tape.jvp import make_jvp
from adjoint.tape.vjp import make_vjp
from graphs.constraint_graph import ConstraintGraph
from graphs.primitive import Primitive
from graphs.structure import strongly_connected_blocks
from graphs.tape import Traced, bind, holds_traced, plain_value
from solvers.linear.dispatch import LINEAR

_STATE = "z"


def fixed_point(f, z0, *params, forward="auto", adjoint="auto", rtol=None, atol=None, maxiter=None,
                forward_options=None, adjoint_options=None, throw=True, check_finite=True,
                callback=None, progress=False):
    """The fixed point ``z* = f(z*, *params)``, differentiable with respect to ``params``.

    Parameters
    ----------
    f : callable
        ``f(z, *params)`` written with ``adjoint.numpy``; it must receive every traced value it
        uses through ``params`` (not capture it from an enclosing function).
    z0 : array_like
        The initial iterate; ``z*`` has its shape.
    *params : arrays, or lists / tuples / dicts of arrays
        Parameters; traced ones get derivatives.
    forward, adjoint, rtol, atol, maxiter, forward_options, adjoint_options, throw, check_finite :
        As for ``adjoint.solve``; e.g. ``adjoint="jfb"`` or ``adjoint="neumann"`` with
        ``adjoint_options={"k": 5}``. Tangents (``adjoint.jvp``) solve the non-transposed
        system ``(I - ∂f/∂z) ż = (∂f/∂params) ṗarams`` with the ``adjoint`` method.
    callback, progress :
        As for ``adjoint.solve``: ``callback(block_nodes, phase, iteration, residual)``.

    Examples
    --------
    >>> import adjoint
    >>> import adjoint.numpy as anp
    >>> def z_star(x):
    ...     return adjoint.fixed_point(lambda z, x: anp.cos(z) / 2 + x, 0.0, x)
    >>> x = 1.0
    >>> z = z_star(x)
    >>> bool(abs(adjoint.grad(z_star)(x) - 1 / (1 + anp.sin(z) / 2)) < 1e-12)
    True
    """
    settings = checked_settings(None, locals())
    if holds_none(z0):  # else numpy makes it NaN, and the error would be "not finite"
        raise InvalidArgumentError(
            f"fixed_point's z0 {'is None' if z0 is None else 'holds None'}; give the initial iterate, "
            f"a float or an array of z*'s shape"
        )
    leaves, rebuild = flatten(list(params), "fixed_point parameter")
    names = [("param", k) for k in range(len(leaves))]
    graph = ConstraintGraph()
    for name in names:
        graph.add_input(name)
    graph.add_constraint(_STATE, _no_captures(f, rebuild), [_STATE, *names], init=np.asarray(z0, dtype=np.float64))
    # Copies, as adjoint.solve makes of its inputs: the caller's arrays are never the solver's.
    values = {n: np.array(plain_value(v), dtype=np.float64) for n, v in zip(names, leaves)}
    (block,) = strongly_connected_blocks(graph)
    lins, report = forward_block(graph, block, values, settings)
    block_report = BlockReport(block.nodes, block.iterates, report)
    block_report.reduced_jacobian = reduced_jacobian(block, lins)
    z_star = lins[_STATE].value
    traced = [leaf for leaf in leaves if isinstance(leaf, Traced)]
    if not traced:
        return z_star
    traced[0].tape.reports.append(block_report)
    f_flat = lambda z, *ps: f(z, *rebuild(list(ps)))  # noqa: E731
    prim = _implicit_primitive(block, lins, names, settings, block_report, z_star, f_flat)
    return bind(prim, leaves, {})


def _implicit_primitive(block, lins, names, settings, block_report, z_star, f_flat):
    """A one-off primitive whose value is ``z*`` and whose VJPs solve the block's adjoint."""
    prim = _ImplicitPrimitive("fixed_point", lambda *args: z_star)
    last = {}

    def cotangents(g, ans, args):
        if last.get("g") is not g or last.get("args") != [id(a) for a in args]:
            # one adjoint solve serves every parameter's VJP
            if holds_traced((g, ans, args)):
                lam = _traced_cotangents(f_flat, g, ans, args, settings)
            else:
                solved = {_STATE: np.asarray(g, dtype=np.float64)}
                adjoint_block(block, lins, solved, settings, block_report)
                lam = [solved.get(name) for name in names]
            last.update(g=g, args=[id(a) for a in args], lam=lam)
        return last["lam"]

    for k in range(len(names)):
        prim.vjps[k] = lambda g, ans, *args, _k=k: _or_zeros(cotangents(g, ans, args)[_k], args[_k])

    def tangent(ts, ans, args):  # one tangent solve, whatever the number of parameters with tangents
        if holds_traced((ans, args, ts)):
            return _traced_tangent(f_flat, ts, ans, args, settings)
        outer = {name: t for name, t in zip(names, ts) if t is not None}
        return tangent_block(block, lins, outer, settings, block_report)[_STATE]

    prim.joint_jvp = tangent
    for k in range(len(names)):
        prim.jvps[k] = lambda t, ans, *args, _k=k: tangent([t if j == _k else None for j in range(len(names))],
                                                           ans, args)
    return prim


def _traced_cotangents(f_flat, g, z, params, settings):
    """``(∂f/∂params)ᵀ λ`` with ``λ = ḡ + (∂f/∂z)ᵀ λ``, in traced operations (higher order)."""

    def transposed(lam, z, *ps):
        return make_vjp(lambda z: f_flat(z, *ps))(z)[0](lam)

    lam = _linear_fixed_point(lambda lam, g, z, *ps: g + transposed(lam, z, *ps), g, (g, z, *params), settings)
    return list(make_vjp(lambda *ps: f_flat(z, *ps), tuple(range(len(params))))(*params)[0](lam))


def _traced_tangent(f_flat, ts, z, params, settings):
    """``ż = (∂f/∂z) ż + (∂f/∂params) ṗ``, in traced operations (higher order)."""
    ts = [np.zeros(np.shape(p)) if t is None else t for t, p in zip(ts, params)]
    b = make_jvp(lambda *ps: f_flat(z, *ps), tuple(range(len(params))))(*params)(tuple(ts))[1]

    def forward(zd, z, *ps):
        return make_jvp(lambda z: f_flat(z, *ps))(z)(zd)[1]

    return _linear_fixed_point(lambda zd, b, z, *ps: b + forward(zd, z, *ps), b, (b, z, *params), settings)


def _linear_fixed_point(step, rhs, args, settings):
    """The solution of the linear fixed point ``x = step(x, *args)`` that the adjoint method asks for.

    ``jfb`` and ``neumann`` truncate the series ``x = rhs + M rhs + M² rhs + …`` after ``k``
    terms, as their first-order solves do; every exact method solves it as a traced fixed point.
    """
    method = settings.adjoint
    if method in ("jfb", "neumann"):
        k = 0 if method == "jfb" else settings.adjoint_options.get("k", LINEAR["neumann"].options["k"].default)
        x = rhs
        for _ in range(k):
            x = step(x, *args)
        return x
    return fixed_point(step, np.zeros(np.shape(rhs)), *args, rtol=settings.rtol, atol=settings.atol,
                       maxiter=settings.maxiter, throw=settings.throw, check_finite=settings.check_finite)


def _no_captures(f, rebuild):
    """``f`` on flat parameters, refusing a result traced by a trace that ``z`` is not part of.

    A value of an enclosing trace captured by ``f`` (not passed through ``params``) would be a
    constant of the fixed point: its derivative would be lost, silently.
    """

    def constraint(z, *ps):
        try:
            out = f(z, *rebuild(list(ps)))
        except (ValueError, TypeError) as e:  # numpy's words for a read-only view, the tape's for a traced value
            if "read-only" not in str(e) and "does not support item assignment" not in str(e):
                raise
            raise GraphError(
                f"fixed_point's f writes into z or a parameter in place ({e}), which would change the "
                f"problem while it is solved: write `p = p + 1` rather than `p += 1` or `p[0] = ...`, or "
                f"work on a copy (`p = p.copy()`)"
            ) from e
        if holds_none(out):
            raise GraphError(
                f"fixed_point's f returned {'None' if out is None else 'a value holding None'}; make it "
                f"return the next iterate, of z0's shape (is a return statement missing?)"
            )
        if _depth(out) > _depth(z):
            raise GraphError(
                "fixed_point's f uses a value traced by an enclosing function (a closure over a "
                "differentiated variable), whose derivative would be lost; pass it as a parameter "
                "instead: fixed_point(lambda z, a: ..., z0, a)"
            )
        return out

    return constraint


def _depth(v):
    """How many traces ``v`` is a value of."""
    n = 0
    while isinstance(v, Traced):
        v, n = v.value, n + 1
    return n




class _ImplicitPrimitive(Primitive):
    """A primitive whose JVPs share one linear solve: ``joint_jvp(tangents per argument, ans, args)``.

    ``forward_substitute`` calls ``joint_jvp`` once with every argument's tangent, where an
    ordinary primitive's per-argument rules would each solve ``(I - ∂f/∂z) ż = ...`` again.
    """

    __slots__ = ("joint_jvp",)


def _or_zeros(c, like):
    return np.zeros(np.shape(like)) if c is None else c
