"""``adjoint.trace``: numpy code as a constraint graph of primitive nodes (one per operation)."""

from adjoint.errors import GraphError
from adjoint.pytree import argnums
from adjoint.tape.grad import index_on
from adjoint.tape.grad import trace as _trace
from graphs.gc_pause import paused_gc
from graphs.primitive_graph import graph_from_tape


def trace(fun, *args, argnum=0):
    """Trace ``fun(*args)`` into a ``ConstraintGraph`` of primitive nodes.

    The arguments ``argnum`` become input nodes (one per leaf of a nested argument), every
    operation a primitive node ``"<primitive>_<k>"``, and everything else a constant. The
    graph can be solved (``adjoint.solve(graph, inputs, output)`` gives the gradient that
    ``adjoint.grad(fun, argnum)`` gives), inspected as a networkx graph, and saved with
    ``adjoint.save``.

    Parameters
    ----------
    fun : callable
        Written with ``adjoint.numpy`` (or numpy functions that dispatch).
    *args :
        The point at which ``fun`` is traced. Control flow is recorded as it ran there.
    argnum : int or tuple of int
        Which arguments are inputs, as for ``adjoint.grad``.

    Returns
    -------
    graph : ConstraintGraph
    inputs : dict
        Input node name -> value at the traced point: ``"x<a>"`` for argument ``a``, or
        ``"x<a>_<k>"`` for leaf ``k`` of a nested argument.
    output : str
        The node holding ``fun``'s result.

    Raises
    ------
    GraphError
        If the result does not depend on the inputs, or the program uses something that is
        not a registered primitive (a ``fixed_point``).

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint
    >>> import adjoint.numpy as anp
    >>> f = lambda W, x: anp.sum(anp.tanh(W @ x))
    >>> W, x = np.array([[1.0, 2.0], [0.5, -1.0]]), np.array([0.3, -0.1])
    >>> graph, inputs, output = adjoint.trace(f, W, x)
    >>> sorted(inputs), output, sorted(graph.constraints)
    (['x0'], 'sum_3', ['matmul_1', 'sum_3', 'tanh_2'])
    >>> sol = adjoint.solve(graph, inputs, output)
    >>> bool(np.allclose(sol.gradient["x0"], adjoint.grad(f)(W, x)))
    True
    """
    with paused_gc():  # the tape and the graph grow together: see graphs.gc_pause
        return _graph_of(fun, args, argnum)


def _graph_of(fun, args, argnum):
    tape, out, leaves, _ = _trace(fun, args, argnum)
    names, indices, values = [], [], {}
    for a, (_, traced) in zip(argnums(argnum, len(args)), leaves):
        one = len(traced) == 1 and not isinstance(args[a], (list, tuple, dict))
        for k, t in enumerate(traced):
            name = f"x{a}" if one else f"x{a}_{k}"
            names.append(name)
            indices.append(t.index)
            values[name] = t.value
    out_index = index_on(out, tape)
    if out_index is None:
        raise GraphError(
            "the function's result does not depend on the traced arguments "
            f"(argnum={argnum!r}); there is no graph to build"
        )
    graph, output = graph_from_tape(tape, indices, out_index, names)
    return graph, values, output
