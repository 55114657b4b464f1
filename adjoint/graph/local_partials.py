"""Assembling local partial Jacobians ``∂f_i/∂z_j`` as sparse matrices.

Two ways, one answer. ``sparse_partial`` composes the primitives' sparse partial rules
(``defpartial``) through the constraint's tape, by forward accumulation from the argument's
leaf to the output: cost proportional to the nonzeros, whatever the node sizes.
``dense_partial`` reads the partial off the linearised constraint, one VJP per output entry
or one JVP per argument entry, whichever is fewer: exact, cheapest for small nodes, and
needing nothing but VJP / JVP rules, but dense. ``edge_jacobian`` picks between them;
``MAX_DENSE_ENTRIES`` stops it from silently materialising a huge dense block.
"""

import numpy as np
import scipy.sparse as sp

from adjoint.errors import AdjointError
from graphs.errors import MissingRuleError

#: The largest partial (rows × columns) assembled entry by entry.
MAX_DENSE_ENTRIES = 4_000_000
#: Up to this many VJP / JVP passes, reading a partial entry by entry is cheaper than
#: multiplying sparse matrices (scipy's per-call overhead dominates for small nodes).
FEW_PASSES = 8


def edge_jacobian(lin, position, arg_size):
    """``∂f/∂z`` for the argument at ``position``: a sparse (output size × arg_size) matrix.

    Entry by entry when that takes at most ``FEW_PASSES`` passes; else by composing sparse
    partials, falling back to entry by entry when a primitive on the way has no partial rule
    and the block is at most ``MAX_DENSE_ENTRIES``; else an ``AdjointError`` saying what to do.
    """
    n_out = lin.value.size
    if lin.out is None:
        return sp.csr_matrix((n_out, arg_size))
    small = n_out * arg_size <= MAX_DENSE_ENTRIES
    if small and min(n_out, arg_size) <= FEW_PASSES:
        return dense_partial(lin, position, arg_size)
    try:
        return sparse_partial(lin, position, arg_size)
    except MissingRuleError as e:
        if small:
            return dense_partial(lin, position, arg_size)
        raise AdjointError(
            f"assembling ∂{lin.name}/∂{lin.args[position]} would need a dense {n_out}×{arg_size} "
            f"block, because {e}; use a matrix-free method (adjoint='gmres', forward='newton_krylov' "
            f"or 'anderson') for this component, or register a sparse partial with defpartial"
        ) from None


def sparse_partial(lin, position, arg_size):
    """``∂f/∂z`` at ``position`` by composing the primitives' sparse partials along the tape.

    Forward accumulation: ``D_leaf = I`` and, in tape order, ``D_i = Σ_k P_ik D_parent(k)``
    over the parents that depend on the leaf, ``P_ik`` the sparse partial of record ``i``'s
    primitive for argument ``k``. Only records the output depends on are visited.

    Raises
    ------
    MissingRuleError
        If a primitive on a path from the argument to the output has no partial rule for
        that argument (or its rule declines the case, e.g. a batched matmul).

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint
    >>> import adjoint.numpy as anp
    >>> from adjoint.graph.linearisation import linearise
    >>> g = adjoint.ConstraintGraph()
    >>> g.add_input("x")
    >>> g.add_constraint("y", lambda x: anp.sin(x) * 2.0 + x[::-1], ["x"])
    >>> lin = linearise(g, "y", [np.array([0.0, 1.0, 2.0])])
    >>> sparse_partial(lin, 0, 3).toarray().round(3)
    array([[ 2.   ,  0.   ,  1.   ],
           [ 0.   ,  2.081,  0.   ],
           [ 1.   ,  0.   , -0.832]])
    """
    n_out = lin.value.size
    records = lin.tape.records
    leaf = lin.leaves[position]
    needed = _ancestors(records, lin.out)
    if lin.out is None or leaf not in needed:
        return sp.csr_matrix((n_out, arg_size))
    D = {leaf: sp.identity(arg_size, format="csr")}
    for i in range(leaf + 1, lin.out + 1):
        if i not in needed:
            continue
        prim, values, params, parents, ans = records[i]
        acc = None
        for k, p in enumerate(parents):
            if p not in D:
                continue
            rule = prim.partials.get(k)
            P = None if rule is None else rule(ans, *values, **params)
            if P is None:
                raise MissingRuleError(
                    f"primitive '{prim.name}' has no sparse partial rule for argument {k}"
                    + ("" if rule is None else f" at these shapes ({_shapes(values)})")
                )
            term = P @ D[p]
            acc = term if acc is None else acc + term
        if acc is not None:
            D[i] = sp.csr_matrix(acc)
    return D[lin.out]  # the leaf is an ancestor: every record on a path to out got its D


def dense_partial(lin, position, arg_size):
    """``∂f/∂z`` at ``position`` read off VJPs (one per output) or JVPs (one per input entry).

    Dense; ``edge_jacobian`` uses it for small partials and as a fallback.
    """
    n_out = lin.value.size
    if lin.out is None:
        return sp.csr_matrix((n_out, arg_size))
    shape = np.shape(lin.value)
    arg_shape = _arg_shape(lin, position)
    if n_out <= arg_size:
        rows = []
        for k in range(n_out):
            e = np.zeros(n_out)
            e[k] = 1.0
            c = lin.vjp(e.reshape(shape))[position]
            rows.append(np.zeros(arg_size) if c is None else np.ravel(np.broadcast_to(c, arg_shape)))
        dense = np.array(rows).reshape(n_out, arg_size)
    else:
        cols = []
        for k in range(arg_size):
            e = np.zeros(arg_size)
            e[k] = 1.0
            tangents = [None] * len(lin.leaves)
            tangents[position] = e.reshape(arg_shape)
            cols.append(np.ravel(lin.jvp(tangents)))
        dense = np.array(cols).T.reshape(n_out, arg_size)
    return sp.csr_matrix(dense)


def assemble(rows, cols, lins, sizes):
    """The sparse matrix of partials ``∂f_i/∂z_j`` for ``i`` in ``rows``, ``j`` in ``cols``.

    ``lins[i]`` is node i's linearisation; ``sizes[n]`` the flattened size of node n.
    """
    col_index = {n: k for k, n in enumerate(cols)}
    blocks = [[None] * len(cols) for _ in rows]
    for r, i in enumerate(rows):
        lin = lins[i]
        for position, j in enumerate(lin.args):
            c = col_index.get(j)
            if c is None:
                continue
            J = edge_jacobian(lin, position, sizes[j])
            blocks[r][c] = J if blocks[r][c] is None else blocks[r][c] + J
    for r, i in enumerate(rows):  # bmat needs every block row and column sized
        if all(b is None for b in blocks[r]):
            blocks[r][0] = sp.csr_matrix((sizes[i], sizes[cols[0]]))
    for c, j in enumerate(cols):
        if all(blocks[r][c] is None for r in range(len(rows))):
            blocks[0][c] = sp.csr_matrix((sizes[rows[0]], sizes[j]))
    return sp.bmat(blocks, format="csr")


def _arg_shape(lin, position):
    return np.shape(lin.tape.records[lin.leaves[position]][4])


def _ancestors(records, out):
    """The records ``out`` depends on, itself included."""
    if out is None:
        return set()
    seen, stack = {out}, [out]
    while stack:
        for p in records[stack.pop()][3]:
            if p >= 0 and p not in seen:
                seen.add(p)
                stack.append(p)
    return seen


def _shapes(values):
    return ", ".join(str(np.shape(v)) for v in values)


def reduced_jacobian_matrix(block, lins, offsets):
    """``∂F/∂T`` of a torn cyclic block as a sparse matrix.

    The partials are composed through the block in its order: each node's derivative with
    respect to the iterates is the sum over its arguments of the local partial times the
    argument's derivative, iterates being read at the previous iterate (the cut edges).
    ``offsets[k]:offsets[k+1]`` are the columns of iterate ``block.iterates[k]``.
    """
    n = int(offsets[-1])
    identity = sp.identity(n, format="csr")
    reads = {t: identity[a:b] for t, a, b in zip(block.iterates, offsets, offsets[1:])}
    is_iterate = set(block.iterates)
    derivative, rows = {}, {}
    for name in block.nodes:
        lin = lins[name]
        acc = sp.csr_matrix((lin.value.size, n))
        for position, a in enumerate(lin.args):
            source = reads.get(a) if a in is_iterate else derivative.get(a)
            if source is not None:
                acc = acc + edge_jacobian(lin, position, source.shape[0]) @ source
        (rows if name in is_iterate else derivative)[name] = acc
    return sp.vstack([rows[t] for t in block.iterates], format="csr")
