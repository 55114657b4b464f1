"""One implicit node inside traced code: ``z* = f(z*, *params)`` or ``F(z*, *params) = 0``.

The node is a cyclic component of the traced program: one node ``z`` with the constraint
``z = f(z, params)`` (a fixed point) or the residual constraint ``F(z, params) = 0`` (a
root, stored as ``z = z - F``, see ``graphs.residual_form``). It is solved forward by the
cyclic-block solvers, recorded on the caller's tape as one record, and its VJP is the
block's adjoint solve ``(I - ∂G/∂z)ᵀ λ = ḡ`` followed by ``(∂G/∂params)ᵀ λ``, ``G`` the
explicit form: the implicit function theorem. For a root ``I - ∂G/∂z = ∂F/∂z``.

Derivatives of any order: where the cotangent, ``z*`` or the parameters are values of an
enclosing trace (a second derivative), the adjoint solve is itself written as an implicit
node, ``λ = ḡ + (∂G/∂z)ᵀ λ``, whose map is made of traced VJPs of ``G``: a fixed point for a
fixed point, a root of ``(∂F/∂z)ᵀ λ - ḡ`` for a root (which gives no contraction to iterate).
It is recorded as one more implicit record, with rules of its own, and so on for every
order. The tangent solve ``ż = (∂G/∂z) ż + (∂G/∂params) ṗ`` likewise. Truncated adjoints
(``jfb``, ``neumann``) of a fixed point become the same truncated series, traced.
"""

import numpy as np

from adjoint.errors import GraphError, InvalidArgumentError
from adjoint.graph.cyclic.block import adjoint_block, solve_block, tangent_block
from adjoint.graph.linearisation import holds_none
from adjoint.pytree import flatten
from adjoint.tape.jvp import make_jvp
from adjoint.tape.vjp import make_vjp
from graphs.constraint_graph import ConstraintGraph
from graphs.primitive import Primitive
from graphs.structure import strongly_connected_blocks
from graphs.tape import Traced, bind, holds_traced, plain_value
from solvers.linear.dispatch import LINEAR

_STATE = "z"


def solve_implicit(caller, fn, z0, params, settings, residual):
    """``(z*, BlockReport)`` of the implicit node ``fn`` (``residual``: ``fn = 0``; else ``z = fn``).

    ``caller`` names the public function, for messages. ``z*`` is traced, with the node's
    derivative rules, where a parameter is traced.
    """
    if holds_none(z0):  # else numpy makes it NaN, and the error would be "not finite"
        raise InvalidArgumentError(
            f"{caller}'s z0 {'is None' if z0 is None else 'holds None'}; give the initial iterate, "
            f"a float or an array of z*'s shape"
        )
    leaves, rebuild = flatten(list(params), f"{caller} parameter")
    names = [("param", k) for k in range(len(leaves))]
    graph = ConstraintGraph()
    for name in names:
        graph.add_input(name)
    init = np.asarray(plain_value(z0), dtype=np.float64)
    checked = _no_captures(fn, rebuild, caller)
    if residual:
        graph.add_residual(_STATE, checked, names, init=init)
    else:
        graph.add_constraint(_STATE, checked, [_STATE, *names], init=init)
    # Copies, as adjoint.solve makes of its inputs: the caller's arrays are never the solver's.
    values = {n: np.array(plain_value(v), dtype=np.float64) for n, v in zip(names, leaves)}
    (block,) = strongly_connected_blocks(graph)
    lins, block_report = solve_block(graph, block, values, settings)
    z_star = lins[_STATE].value
    traced = [leaf for leaf in leaves if isinstance(leaf, Traced)]
    if not traced:
        return z_star, block_report
    traced[0].tape.reports.append(block_report)
    if residual:
        def explicit(z, *ps):
            return z - fn(z, *rebuild(list(ps)))
    else:
        def explicit(z, *ps):
            return fn(z, *rebuild(list(ps)))
    prim = _implicit_primitive(caller, block, lins, names, settings, block_report, z_star, explicit, residual)
    return bind(prim, leaves, {}), block_report


def _implicit_primitive(caller, block, lins, names, settings, block_report, z_star, explicit, residual):
    """A one-off primitive whose value is ``z*`` and whose VJPs solve the block's adjoint."""
    prim = _ImplicitPrimitive(caller, lambda *args: z_star)
    last = {}

    def cotangents(g, ans, args):
        if last.get("g") is not g or last.get("args") != [id(a) for a in args]:
            # one adjoint solve serves every parameter's VJP
            if holds_traced((g, ans, args)):
                lam = _traced_cotangents(explicit, g, ans, args, settings, residual)
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
            return _traced_tangent(explicit, ts, ans, args, settings, residual)
        outer = {name: t for name, t in zip(names, ts) if t is not None}
        return tangent_block(block, lins, outer, settings, block_report)[_STATE]

    prim.joint_jvp = tangent
    for k in range(len(names)):
        prim.jvps[k] = lambda t, ans, *args, _k=k: tangent([t if j == _k else None for j in range(len(names))],
                                                           ans, args)
    return prim


def _traced_cotangents(explicit, g, z, params, settings, residual):
    """``(∂G/∂params)ᵀ λ`` with ``λ = ḡ + (∂G/∂z)ᵀ λ``, in traced operations (higher order)."""

    def transposed(lam, z, *ps):
        return make_vjp(lambda z: explicit(z, *ps))(z)[0](lam)

    lam = _linear_solve(lambda lam, g, z, *ps: g + transposed(lam, z, *ps), g, (g, z, *params), settings, residual)
    return list(make_vjp(lambda *ps: explicit(z, *ps), tuple(range(len(params))))(*params)[0](lam))


def _traced_tangent(explicit, ts, z, params, settings, residual):
    """``ż = (∂G/∂z) ż + (∂G/∂params) ṗ``, in traced operations (higher order)."""
    ts = [np.zeros(np.shape(p)) if t is None else t for t, p in zip(ts, params)]
    b = make_jvp(lambda *ps: explicit(z, *ps), tuple(range(len(params))))(*params)(tuple(ts))[1]

    def forward(zd, z, *ps):
        return make_jvp(lambda z: explicit(z, *ps))(z)(zd)[1]

    return _linear_solve(lambda zd, b, z, *ps: b + forward(zd, z, *ps), b, (b, z, *params), settings, residual)


def _linear_solve(step, rhs, args, settings, residual):
    """The solution of the linear fixed point ``x = step(x, *args)`` that the adjoint method asks for.

    For a root, the traced root of ``x - step(x, *args)`` (``(∂F/∂z)ᵀ x - ḡ``), by Newton:
    one step, the system being linear. For a fixed point, ``jfb`` and ``neumann`` truncate the
    series ``x = rhs + M rhs + M² rhs + …`` after ``k`` terms, as their first-order solves do;
    every exact method solves it as a traced fixed point.
    """
    common = dict(rtol=settings.rtol, atol=settings.atol, maxiter=settings.maxiter, throw=settings.throw,
                  check_finite=settings.check_finite)
    if residual:
        from adjoint.implicit.root import root  # root.py imports this module

        return root(lambda x, *args: x - step(x, *args), np.zeros(np.shape(rhs)), *args, **common)
    method = settings.adjoint
    if method in ("jfb", "neumann"):
        k = 0 if method == "jfb" else settings.adjoint_options.get("k", LINEAR["neumann"].options["k"].default)
        x = rhs
        for _ in range(k):
            x = step(x, *args)
        return x
    from adjoint.implicit.fixed_point import fixed_point  # fixed_point.py imports this module

    return fixed_point(step, np.zeros(np.shape(rhs)), *args, **common)


def _no_captures(f, rebuild, caller):
    """``f`` on flat parameters, refusing a result traced by a trace that ``z`` is not part of.

    A value of an enclosing trace captured by ``f`` (not passed through ``params``) would be a
    constant of the implicit node: its derivative would be lost, silently.
    """
    which = "F" if caller == "root" else "f"

    def constraint(z, *ps):
        try:
            out = f(z, *rebuild(list(ps)))
        except (ValueError, TypeError) as e:  # numpy's words for a read-only view, the tape's for a traced value
            if "read-only" not in str(e) and "does not support item assignment" not in str(e):
                raise
            raise GraphError(
                f"{caller}'s {which} writes into z or a parameter in place ({e}), which would change the "
                f"problem while it is solved: write `p = p + 1` rather than `p += 1` or `p[0] = ...`, or "
                f"work on a copy (`p = p.copy()`)"
            ) from e
        if holds_none(out):
            raise GraphError(
                f"{caller}'s {which} returned {'None' if out is None else 'a value holding None'}; make it "
                f"return {'the residual' if which == 'F' else 'the next iterate'}, of z0's shape (is a "
                f"return statement missing?)"
            )
        if _depth(out) > _depth(z):
            raise GraphError(
                f"{caller}'s {which} uses a value traced by an enclosing function (a closure over a "
                f"differentiated variable), whose derivative would be lost; pass it as a parameter "
                f"instead: {caller}(lambda z, a: ..., z0, a)"
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
