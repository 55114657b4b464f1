"""Tangent mode and dense Jacobians of numpy code: ``jvp`` and ``jacobian``.

Forward (tangent) mode is the transposed story of the adjoint: ``(I - J_zz) ż = J_zx ẋ``,
solved by forward substitution along the tape, one JVP per edge. A traced ``fixed_point`` is
a cyclic component: its tangent solves ``(I - ∂f/∂z) ż = (∂f/∂θ) θ̇`` with the same linear
solvers as its adjoint, non-transposed.
"""

import numpy as np

from adjoint.errors import InvalidArgumentError
from adjoint.pytree import as_float, cotangent_dtype, flatten, like, split_per_argnum
from adjoint.tape.forward import forward_substitute
from adjoint.tape.grad import index_on, trace
from adjoint.tape.reverse import back_substitute
from graphs import numpy_functions as nf


def jvp(fun, argnum=0):
    """A function ``(*args, tangent) -> (fun(*args), ∂fun/∂args[argnum] · tangent)``.

    Parameters
    ----------
    fun : callable
        Written with ``adjoint.numpy``; may return an array, a float, or nested lists /
        tuples / dicts of them (the tangent has the same structure).
    argnum : int or tuple of int
        The arguments the tangent is for. With a tuple, ``tangent`` is a tuple with one
        tangent per argument.

    Returns
    -------
    callable
        Called as ``jvp(fun, argnum)(*args, tangent)``: the arguments of ``fun``, then the
        tangent, shaped like ``args[argnum]``.

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint
    >>> import adjoint.numpy as anp
    >>> value, tangent = adjoint.jvp(lambda x: anp.sin(x) * x)(np.array([0.0, 1.0]), np.array([1.0, 2.0]))
    >>> bool(np.allclose(tangent, [0.0, 2 * (np.cos(1.0) + np.sin(1.0))]))
    True

    Through a fixed point ``z = cos(z) / 2 + x``, whose tangent is ``ẋ / (1 + sin(z) / 2)``:

    >>> z_star = lambda x: adjoint.fixed_point(lambda z, x: anp.cos(z) / 2 + x, 0.0, x)
    >>> z, dz = adjoint.jvp(z_star)(1.0, 1.0)
    >>> bool(abs(dz - 1 / (1 + np.sin(z) / 2)) < 1e-12)
    True
    """

    def jvp_fun(*args_and_tangent, **kwargs):
        """``(fun(*args), its tangent)`` for ``jvp_fun(*args, tangent)``."""
        if not args_and_tangent:
            raise InvalidArgumentError("jvp(fun)(*args, tangent) needs the arguments of fun and a tangent")
        *args, tangent = args_and_tangent
        return make_jvp(fun, argnum)(*args, **kwargs)(tangent)

    return jvp_fun


def make_jvp(fun, argnum=0):
    """A function ``(*args) -> jvp``, where ``jvp(v)`` is ``(fun(*args), ∂fun/∂args[argnum] · v)``.

    autograd's ``make_jvp``: ``fun`` is traced once, and each call of ``jvp`` is one forward
    substitution of that trace. ``adjoint.jvp(fun, argnum)(*args, v)`` is
    ``make_jvp(fun, argnum)(*args)(v)``.

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint
    >>> import adjoint.numpy as anp
    >>> jvp = adjoint.make_jvp(lambda x: x ** 2)(np.array([1.0, 3.0]))
    >>> value, tangent = jvp(np.array([1.0, 0.5]))
    >>> tangent
    array([2., 3.])
    """

    def jvp_maker(*args, **kwargs):
        """The function ``v -> (fun(*args, **kwargs), its tangent in the direction v)``."""
        tape, out, leaves, _ = trace(fun, tuple(args), argnum, kwargs)
        out_leaves, rebuild = flatten(out, "the result of fun")
        indices = [index_on(o, tape) for o in out_leaves]
        values = [o if i is None else o.value for o, i in zip(out_leaves, indices)]

        def jvp(tangent):
            """``(fun(*args), ∂fun/∂args[argnum] · tangent)``."""
            tangents = split_per_argnum(argnum, tangent)
            if len(tangents) != len(leaves):
                raise InvalidArgumentError(f"argnum={argnum!r} needs {len(leaves)} tangents, got {len(tangents)}")
            seeds = {}
            for a, ((arg_values, traced), t) in enumerate(zip(leaves, tangents)):
                t_leaves, _ = flatten(t, f"tangent {a}")
                if len(t_leaves) != len(arg_values):
                    raise InvalidArgumentError(
                        f"tangent {a} has {len(t_leaves)} leaves, its argument {len(arg_values)}")
                for v, tr, tl in zip(arg_values, traced, t_leaves):
                    tl = as_float(tl)
                    if np.shape(tl) != np.shape(v):
                        raise InvalidArgumentError(
                            f"tangent {a} has shape {np.shape(tl)} where its argument has shape {np.shape(v)}"
                        )
                    seeds[tr.index] = tl
            dot = forward_substitute(tape, seeds)
            tangent_out = [like(None if i is None else dot[i], v) for i, v in zip(indices, values)]
            return rebuild(values), rebuild(tangent_out)

        return jvp

    return jvp_maker


def jacobian(fun, argnum=0, mode="auto"):
    """The Jacobian of ``fun`` with respect to ``args[argnum]``, of shape ``out.shape + x.shape``.

    The call convention of ``autograd.jacobian``. ``fun`` is traced once; then one forward
    substitution per input entry (forward mode) or one back-substitution per output entry
    (reverse mode), whichever is fewer.

    Parameters
    ----------
    fun : callable
        Returns an array (or float).
    argnum : int
        The argument, an array (or float).
    mode : {"auto", "forward", "reverse"}
        ``"auto"`` is forward when the input has at most as many entries as the output.

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint
    >>> import adjoint.numpy as anp
    >>> J = adjoint.jacobian(lambda x: anp.array([x[0] * x[1], anp.sin(x[0])]))(np.array([1.0, 2.0]))
    >>> bool(np.allclose(J, [[2.0, 1.0], [np.cos(1.0), 0.0]]))
    True
    """
    if not isinstance(argnum, int):
        raise InvalidArgumentError(f"jacobian takes one argnum (an int), got {argnum!r}; call it once per argument")
    if mode not in ("auto", "forward", "reverse"):
        raise InvalidArgumentError(f"unknown mode {mode!r}; choose 'auto', 'forward' or 'reverse'")

    def jacobian_fun(*args, **kwargs):
        """The Jacobian of ``fun(*args, **kwargs)`` with respect to ``args[argnum]``."""
        tape, out, leaves, _ = trace(fun, args, argnum, kwargs)
        ((values, traced),) = leaves
        if len(traced) != 1:
            raise InvalidArgumentError(
                f"jacobian needs argument {argnum} to be one array, got a structure of "
                f"{len(traced)} arrays; concatenate them, or call jacobian per leaf"
            )
        x, leaf = values[0], traced[0].index
        if isinstance(out, (list, tuple, dict)):
            raise InvalidArgumentError("jacobian needs fun to return one array; stack the results")
        index = index_on(out, tape)
        value = out.value if index is not None else out
        out_shape, x_shape = np.shape(value), np.shape(x)
        if index is None or np.size(x) == 0 or np.size(value) == 0:  # no entry depends on the argument
            return np.zeros(out_shape + x_shape, dtype=cotangent_dtype(x))
        # Columns or rows are stacked (not written into an array) so that a Jacobian of
        # values traced by an enclosing trace is itself traced.
        if mode == "forward" or (mode == "auto" and np.size(x) <= np.size(value)):
            columns = [like(forward_substitute(tape, {leaf: _unit(x_shape, j, cotangent_dtype(x))})[index], value)
                       for j in range(np.size(x))]
            J = nf.stack([nf.ravel(c) for c in columns], axis=1)
        else:
            rows = [like(back_substitute(tape, {index: _unit(out_shape, i, cotangent_dtype(value))})[leaf], x)
                    for i in range(np.size(value))]
            J = nf.stack([nf.ravel(r) for r in rows], axis=0)
        return nf.reshape(J, out_shape + x_shape)

    return jacobian_fun


def _unit(shape, j, dtype=np.float64):
    """The unit vector ``e_j`` of the given shape, in ``dtype`` (float32 code stays float32, as in autograd)."""
    e = np.zeros(int(np.prod(shape)), dtype=dtype)
    e[j] = 1.0
    return e.reshape(shape)
