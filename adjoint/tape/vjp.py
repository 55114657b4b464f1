"""``make_vjp``: trace once, then back-substitute any cotangent of the result."""

from adjoint.errors import InvalidArgumentError
from adjoint.pytree import flatten, like, per_argnum
from adjoint.tape.grad import index_on, trace
from adjoint.tape.reverse import back_substitute


def make_vjp(fun, argnum=0):
    """A function ``(*args) -> (vjp, fun(*args))``, where ``vjp(g)`` is ``gᵀ ∂fun/∂args[argnum]``.

    autograd's ``make_vjp``. ``fun`` is traced once; each call of ``vjp`` is one
    back-substitution of that trace, so it serves many cotangents (the rows of a Jacobian).
    ``fun`` may return an array, a float, or nested lists / tuples / dicts of them; ``g``
    has the same structure. When the arguments are traced by an enclosing trace (a
    derivative of a derivative), ``vjp(g)`` is traced there too.

    Parameters
    ----------
    fun : callable
    argnum : int or tuple of int
        The arguments differentiated; with a tuple, ``vjp`` returns a tuple.

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint
    >>> import adjoint.numpy as anp
    >>> vjp, value = adjoint.make_vjp(lambda x: anp.sin(x) * 2.0)(np.array([0.0, 1.0]))
    >>> bool(np.allclose(vjp(np.array([1.0, 10.0])), [2.0, 20.0 * np.cos(1.0)]))
    True
    """

    def vjp_maker(*args, **kwargs):
        """``(vjp, fun(*args, **kwargs))``."""
        tape, out, leaves, rebuilds = trace(fun, args, argnum, kwargs)
        out_leaves, out_rebuild = flatten(out, "the result of fun")
        indices = [index_on(o, tape) for o in out_leaves]
        value = out_rebuild([o if i is None else o.value for o, i in zip(out_leaves, indices)])

        def vjp(g):
            """``gᵀ ∂fun/∂args[argnum]`` for a cotangent ``g`` shaped like ``fun``'s result."""
            g_leaves, _ = flatten(g, "the cotangent")
            if len(g_leaves) != len(out_leaves):
                raise InvalidArgumentError(
                    f"the cotangent has {len(g_leaves)} leaves, fun's result {len(out_leaves)}")
            seeds = {}
            for i, gl in zip(indices, g_leaves):
                if i is not None:  # one result leaf given twice (a tuple of one value) adds up
                    seeds[i] = gl if i not in seeds else seeds[i] + gl
            lam = back_substitute(tape, seeds) if seeds else [None] * len(tape)
            grads = [rebuild([like(lam[t.index], v) for v, t in zip(values, traced)])
                     for (values, traced), rebuild in zip(leaves, rebuilds)]
            return per_argnum(argnum, grads)

        return vjp, value

    return vjp_maker
