"""``fixed_point``: ``z* = f(z*, *params)`` inside traced code, differentiable in ``params``.

The fixed point is a cyclic component of the traced program: one node ``z`` with the
constraint ``z = f(z, params)``. It is solved forward by the cyclic-block solvers, recorded
on the caller's tape as one record, and its VJP is the block's adjoint solve
``(I - ∂f/∂z)ᵀ λ = ḡ`` followed by ``(∂f/∂params)ᵀ λ``: the implicit function theorem.
"""

import numpy as np

from adjoint.graph.cyclic.block import adjoint_block, forward_block, tangent_block
from adjoint.graph.cyclic.spectral import reduced_jacobian
from adjoint.graph.settings import checked_settings
from adjoint.graph.solution import BlockReport
from adjoint.pytree import flatten
from graphs.constraint_graph import ConstraintGraph
from graphs.primitive import Primitive
from graphs.structure import strongly_connected_blocks
from graphs.tape import Traced, bind

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
    leaves, rebuild = flatten(list(params), "fixed_point parameter")
    names = [("param", k) for k in range(len(leaves))]
    graph = ConstraintGraph()
    for name in names:
        graph.add_input(name)
    graph.add_constraint(_STATE, lambda z, *ps: f(z, *rebuild(list(ps))), [_STATE, *names],
                         init=np.asarray(z0, dtype=np.float64))
    values = {n: np.asarray(v.value if isinstance(v, Traced) else v, dtype=np.float64)
              for n, v in zip(names, leaves)}
    (block,) = strongly_connected_blocks(graph)
    lins, report = forward_block(graph, block, values, settings)
    block_report = BlockReport(block.nodes, block.iterates, report)
    block_report.reduced_jacobian = reduced_jacobian(block, lins)
    z_star = lins[_STATE].value
    traced = [leaf for leaf in leaves if isinstance(leaf, Traced)]
    if not traced:
        return z_star
    traced[0].tape.reports.append(block_report)
    return bind(_implicit_primitive(block, lins, names, settings, block_report, z_star), leaves, {})


def _implicit_primitive(block, lins, names, settings, block_report, z_star):
    """A one-off primitive whose value is ``z*`` and whose VJPs solve the block's adjoint."""
    prim = _ImplicitPrimitive("fixed_point", lambda *args: z_star)
    last = {}

    def cotangents(g):
        if last.get("g") is not g:  # one adjoint solve serves every parameter's VJP
            lam = {_STATE: np.asarray(g, dtype=np.float64)}
            adjoint_block(block, lins, lam, settings, block_report)
            last.update(g=g, lam=lam)
        return last["lam"]

    for k, name in enumerate(names):
        prim.vjps[k] = lambda g, ans, *args, _name=name, _k=k: _or_zeros(cotangents(g).get(_name), args[_k])

    def tangent(ts):  # one tangent solve, whatever the number of parameters with tangents
        outer = {name: t for name, t in zip(names, ts) if t is not None}
        return tangent_block(block, lins, outer, settings, block_report)[_STATE]

    prim.joint_jvp = tangent
    for k in range(len(names)):
        prim.jvps[k] = lambda t, ans, *args, _k=k: tangent([t if j == _k else None for j in range(len(names))])
    return prim


class _ImplicitPrimitive(Primitive):
    """A primitive whose JVPs share one linear solve: ``joint_jvp(tangents per argument)``.

    ``forward_substitute`` calls ``joint_jvp`` once with every argument's tangent, where an
    ordinary primitive's per-argument rules would each solve ``(I - ∂f/∂z) ż = ...`` again.
    """

    __slots__ = ("joint_jvp",)


def _or_zeros(c, like):
    return np.zeros(np.shape(like)) if c is None else c
