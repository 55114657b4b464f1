"""Products (matmul / ``@``, dot, outer, and constant sparse matrices times traced vectors).

``matmul`` follows numpy's rules: 1-D operands are promoted to a row (left) or a column
(right) and batch dimensions broadcast; the cotangents undo both. Sparse partials are the constant
factor itself, repeated by a Kronecker product over the other operand's free axis; batched
(more than 2-D) products have none, and fall back to VJPs.
"""

import numpy as np
import scipy.sparse as sp

from ..primitive import def_variadic, defjvp, defpartial, defvjp, primitive
from ..tape import Traced
from .broadcasting import unbroadcast

matmul = primitive(np.matmul, "matmul")
outer = primitive(np.outer, "outer")
sparse_matmul = primitive(lambda A, x: A @ x, "sparse_matmul")


dot = primitive(np.dot, "dot")


def _promoted(a, b):
    a2 = a[None, :] if np.ndim(a) == 1 else a
    b2 = b[:, None] if np.ndim(b) == 1 else b
    return _array(a2), _array(b2)


def _array(x):
    return x if x.__class__ is Traced else np.asarray(x)


def _swap_last(x):
    """``x`` with its last two axes swapped (a transpose record where ``x`` is traced)."""
    if x.__class__ is not Traced:
        return np.swapaxes(x, -1, -2)
    n = np.ndim(x)
    return np.transpose(x, (*range(n - 2), n - 1, n - 2))


def _g_promoted(g, a, b):
    # b's axis first: for 1-D @ 1-D the cotangent is 0-d, and needs both axes back.
    g = _array(g)
    if np.ndim(b) == 1:
        g = np.expand_dims(g, -1)
    if np.ndim(a) == 1:
        g = np.expand_dims(g, -2)
    return g


def _matmul_vjp_a(g, ans, a, b):
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * b, a)
    a2, b2 = _promoted(a, b)
    ga = _g_promoted(g, a, b) @ _swap_last(b2)
    ga = unbroadcast(ga, a2)
    return ga.reshape(np.shape(a))


def _matmul_vjp_b(g, ans, a, b):
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * a, b)
    a2, b2 = _promoted(a, b)
    gb = _swap_last(a2) @ _g_promoted(g, a, b)
    gb = unbroadcast(gb, b2)
    return gb.reshape(np.shape(b))


def _dot_vjp_a(g, ans, a, b):
    p, q = np.ndim(a), np.ndim(b)
    if p <= 2 and q <= 2:  # dot is matmul here
        return _matmul_vjp_a(g, ans, a, b)
    if p == 0 or q == 0:
        return unbroadcast(g * b, a)
    if q == 1:  # dot(a, b) sums a's last axis against b: the cotangent is g ⊗ b
        return np.tensordot(g, b, axes=0)
    # g's axes: a's free axes, then b's; contract b's against b's own free axes (all but -2).
    return np.tensordot(g, b, axes=(list(range(p - 1, np.ndim(g))), [k for k in range(q) if k != q - 2]))


def _dot_vjp_b(g, ans, a, b):
    p, q = np.ndim(a), np.ndim(b)
    if p <= 2 and q <= 2:
        return _matmul_vjp_b(g, ans, a, b)
    if p == 0 or q == 0:
        return unbroadcast(g * a, b)
    gb = np.tensordot(a, g, axes=(list(range(p - 1)), list(range(p - 1))))
    return gb if q == 1 else np.moveaxis(gb, 0, q - 2)  # the contracted axis back at -2


def _outer_vjp_a(g, ans, a, b):
    return (_array(g) @ np.ravel(b)).reshape(np.shape(a))


def _outer_vjp_b(g, ans, a, b):
    return (np.ravel(a) @ _array(g)).reshape(np.shape(b))


defvjp(matmul, _matmul_vjp_a, _matmul_vjp_b)
defvjp(dot, _dot_vjp_a, _dot_vjp_b)
defvjp(outer, _outer_vjp_a, _outer_vjp_b)
defvjp(sparse_matmul, None, lambda g, ans, A, x: sparse_matmul(A.T, g))

defjvp(matmul, lambda t, ans, a, b: np.matmul(t, b), lambda t, ans, a, b: np.matmul(a, t))
defjvp(dot, lambda t, ans, a, b: np.dot(t, b), lambda t, ans, a, b: np.dot(a, t))
defjvp(outer, lambda t, ans, a, b: np.outer(t, b), lambda t, ans, a, b: np.outer(a, t))
defjvp(sparse_matmul, None, lambda t, ans, A, x: sparse_matmul(A, t))


# --- Sparse partial table --------------------------------------------------------------
# With a (m × n) and b (n × k), flattened in C order: ∂(a b)/∂b = a ⊗ I_k and
# ∂(a b)/∂a = I_m ⊗ bᵀ. A 1-D a is a row (m = 1), a 1-D b a column (k = 1).
def _product_partial_a(ans, a, b):
    if np.ndim(a) > 2 or np.ndim(b) > 2:
        return None
    if np.ndim(b) == 0:
        return float(b) * sp.eye(np.size(a), format="csr")
    if np.ndim(a) == 0:
        return sp.csr_matrix(np.reshape(b, (-1, 1)))
    b2 = np.reshape(b, (np.shape(b)[0], -1))
    m = np.shape(a)[0] if np.ndim(a) == 2 else 1
    return sp.kron(sp.eye(m), sp.csr_matrix(b2.T), format="csr")


def _product_partial_b(ans, a, b):
    if np.ndim(a) > 2 or np.ndim(b) > 2:
        return None
    if np.ndim(a) == 0:
        return float(a) * sp.eye(np.size(b), format="csr")
    if np.ndim(b) == 0:
        return sp.csr_matrix(np.reshape(a, (-1, 1)))
    k = np.shape(b)[1] if np.ndim(b) == 2 else 1
    return sp.kron(sp.csr_matrix(np.atleast_2d(a)), sp.eye(k), format="csr")


def _sparse_matmul_partial(ans, A, x):
    k = np.shape(x)[1] if np.ndim(x) == 2 else 1
    A = sp.csr_matrix(A)
    return A if k == 1 else sp.kron(A, sp.eye(k), format="csr")


defpartial(matmul, _product_partial_a, _product_partial_b)
defpartial(dot, _product_partial_a, _product_partial_b)
defpartial(
    outer,
    lambda ans, a, b: sp.kron(sp.eye(np.size(a)), sp.csr_matrix(np.reshape(b, (-1, 1))), format="csr"),
    lambda ans, a, b: sp.kron(sp.csr_matrix(np.reshape(a, (-1, 1))), sp.eye(np.size(b)), format="csr"),
)
defpartial(sparse_matmul, None, _sparse_matmul_partial)


# --- tensordot: a product of moved axes ---------------------------------------------------
def _traced(*xs):
    return any(x.__class__ is Traced for x in xs)


def _axes_list(axes, ndim):
    return [a % ndim for a in (axes if isinstance(axes, (list, tuple)) else [axes])]


def tensordot(a, b, axes=2):
    """``numpy.tensordot``: on traced values, a transpose, a reshape and a ``matmul``.

    Examples
    --------
    >>> tensordot(np.ones((2, 3)), np.ones((3, 4)), axes=1).shape
    (2, 4)
    """
    if not _traced(a, b):
        return np.tensordot(a, b, axes)
    na, nb = np.ndim(a), np.ndim(b)
    if isinstance(axes, (int, np.integer)):
        axes_a, axes_b = list(range(na - axes, na)), list(range(axes))
    else:
        axes_a, axes_b = _axes_list(axes[0], na), _axes_list(axes[1], nb)
    free_a = [k for k in range(na) if k not in axes_a]
    free_b = [k for k in range(nb) if k not in axes_b]
    sa, sb = np.shape(a), np.shape(b)
    contracted = int(np.prod([sa[k] for k in axes_a]))
    left = np.reshape(np.transpose(a, free_a + axes_a), (-1, contracted))
    right = np.reshape(np.transpose(b, axes_b + free_b), (contracted, -1))
    return np.reshape(left @ right, tuple(sa[k] for k in free_a) + tuple(sb[k] for k in free_b))


# --- einsum ------------------------------------------------------------------------------
# The primitive takes explicit subscripts only (no ellipsis, an output after '->'):
# ``einsum_subscripts`` rewrites numpy's forms into them.
einsum = primitive(lambda *xs, subscripts: np.einsum(subscripts, *xs), "einsum")
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def einsum_subscripts(args):
    """numpy's ``einsum`` arguments as ``(explicit subscripts, operands)``.

    Both forms are accepted (``"ij,jk->ik", a, b`` and ``a, [0, 1], b, [1, 2], [0, 2]``);
    ellipses become letters of their own, and an implicit output is made explicit.

    Examples
    --------
    >>> einsum_subscripts(("...j,j", np.ones((2, 3)), np.ones(3)))[0]
    'Aj,j->A'
    """
    if isinstance(args[0], str):
        spec, operands = args[0].replace(" ", ""), list(args[1:])
    else:
        pairs, out = args, None
        if len(args) % 2:
            pairs, out = args[:-1], args[-1]
        operands = list(pairs[0::2])
        sub = lambda labels: "".join("..." if s is Ellipsis else _LETTERS[s] for s in labels)  # noqa: E731
        spec = ",".join(sub(s) for s in pairs[1::2]) + ("" if out is None else "->" + sub(out))
    inputs, arrow, output = spec.partition("->")
    inputs = inputs.split(",")
    used = set(spec) - set(".,->")
    pool = [c for c in _LETTERS[26:] + _LETTERS[:26] if c not in used]
    dims = [np.ndim(x) - (len(s) - 3) if "..." in s else 0 for s, x in zip(inputs, operands)]
    ellipsis = "".join(pool[:max(dims, default=0)])
    inputs = [s.replace("...", ellipsis[len(ellipsis) - d:] if d else "") for s, d in zip(inputs, dims)]
    if arrow:
        output = output.replace("...", ellipsis)
    else:
        counts = "".join(inputs)
        output = ellipsis + "".join(sorted(c for c in set(counts) if counts.count(c) == 1 and c not in ellipsis))
    return ",".join(inputs) + "->" + output, operands


def _einsum_vjp(argnum, g, ans, *xs, subscripts):
    inputs, output = subscripts.split("->")
    inputs = inputs.split(",")
    mine, shape = inputs[argnum], np.shape(xs[argnum])
    fresh = iter(c for c in _LETTERS if c not in subscripts)
    specs, operands = [output], [g]
    for k, (s, x) in enumerate(zip(inputs, xs)):
        if k != argnum:
            specs.append(s)
            operands.append(x)
    # A label repeated in this operand (a diagonal) gets a fresh letter, tied to the first by an identity.
    target, seen = "", {}
    for c, n in zip(mine, shape):
        if c in seen:
            f = next(fresh)
            specs.append(c + f)
            operands.append(np.eye(n))
            target += f
        else:
            seen[c] = n
            target += c
    # A label summed over in this operand alone: the cotangent is constant along it.
    elsewhere = set("".join(specs))
    for c, n in seen.items():
        if c not in elsewhere:
            specs.append(c)
            operands.append(np.ones(n))
    result = einsum(*operands, subscripts=",".join(specs) + "->" + target)
    return unbroadcast(result, xs[argnum])


def _einsum_jvp(argnum, t, ans, *xs, subscripts):
    return einsum(*(t if k == argnum else x for k, x in enumerate(xs)), subscripts=subscripts)


def_variadic(einsum, _einsum_vjp, _einsum_jvp)
