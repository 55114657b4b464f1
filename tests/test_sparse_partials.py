"""Sparse partials composed through a constraint's tape against the entry-by-entry partials.

``adjoint.jacobians.sparse_partial`` multiplies the primitives' sparse partial rules;
``dense_partial`` reads the same matrix off one VJP per output (or JVP per input) entry. On
every constraint of the table, and every argument position, they must agree to 1e-12.
"""

import numpy as np
import pytest
import scipy.sparse as sp

import adjoint
import adjoint.numpy as anp
from adjoint.graph.linearisation import linearise
from adjoint.graph.local_partials import MAX_DENSE_ENTRIES, dense_partial, edge_jacobian, sparse_partial
from graphs.errors import MissingRuleError

rng = np.random.default_rng(0)
M34 = rng.normal(size=(3, 4))
POS34 = rng.uniform(0.5, 2.0, size=(3, 4))
W44 = rng.normal(size=(4, 4))
W34 = rng.normal(size=(3, 4))
A_SPARSE = sp.random(6, 5, density=0.4, random_state=1, format="csr")
A_SQUARE = sp.random(5, 5, density=0.4, random_state=2, format="csr")
TIES = np.array([[1.0, 2.0, 3.0, 4.0], [0.0, 2.0, -1.0, 4.0], [1.0, 1.0, 1.0, 1.0]])
MASK = M34 > 0

# name: (fn, argument values)
CASES = {
    # elementwise unary
    "sin": (lambda x: anp.sin(x), [M34]),
    "cos": (lambda x: anp.cos(x), [M34]),
    "tan": (lambda x: anp.tan(x) / 3, [M34 / 3]),
    "exp": (lambda x: anp.exp(x), [M34]),
    "exp2 expm1": (lambda x: anp.exp2(x) + anp.expm1(x), [M34]),
    "log family": (lambda x: anp.log(x) + anp.log2(x) + anp.log10(x) + anp.log1p(x), [POS34]),
    "sqrt square reciprocal": (lambda x: anp.sqrt(x) + anp.square(x) + anp.reciprocal(x), [POS34]),
    "tanh sinh cosh": (lambda x: anp.tanh(x) * anp.sinh(x) - anp.cosh(x), [M34]),
    "inverse trig": (lambda x: anp.arcsin(x) + anp.arccos(x) + anp.arctan(x) + anp.arctanh(x), [M34 / 4]),
    "inverse hyperbolic": (lambda x: anp.arcsinh(x) + anp.arccosh(x + 2.0), [POS34]),
    "negative absolute": (lambda x: -anp.absolute(x), [M34]),
    "scalar unary": (lambda x: anp.sin(x) * anp.exp(x), [np.array(0.3)]),
    # elementwise binary, same shapes
    "add subtract": (lambda x, y: (x + y) - 2.0 * y, [M34, POS34]),
    "multiply divide": (lambda x, y: x * y / (y + 1.0), [M34, POS34]),
    "power both": (lambda x, y: x ** y, [POS34, M34]),
    "power constant exponent": (lambda x: x ** 3 + 2.0 ** x, [M34]),
    "arctan2": (lambda y, x: anp.arctan2(y, x), [M34, POS34]),
    "maximum minimum with ties": (lambda x, y: anp.maximum(x, y) + 2 * anp.minimum(x, y), [TIES, np.fliplr(TIES)]),
    "maximum with a constant": (lambda x: anp.maximum(x, 0.0), [M34]),
    "where": (lambda x, y: anp.where(MASK, x, y * 2.0), [M34, POS34]),
    "clip": (lambda x, lo: anp.clip(x, lo, 1.0), [M34, np.full((3, 4), -0.5)]),
    # broadcasting
    "column times row": (lambda x, y: x * y, [M34[:, :1], M34[0]]),
    "vector plus scalar": (lambda x, y: x + y, [M34[0], np.array(1.5)]),
    "scalar times matrix": (lambda x, y: x * y, [np.array(0.7), M34]),
    "3-D minus 2-D": (lambda x, y: x - y, [rng.normal(size=(2, 3, 4)), M34[:, :1]]),
    "where broadcast": (lambda x, y: anp.where(MASK, x, y), [M34[0], np.array(2.0)]),
    "maximum broadcast": (lambda x, y: anp.maximum(x, y), [M34, M34[:1]]),
    "power broadcast": (lambda x, y: x ** y, [POS34, np.array(1.5)]),
    # products with a constant matrix
    "sparse_matmul vector": (lambda x: anp.sparse_matmul(A_SPARSE, x), [M34[:, 0].tolist() + [1.0, 2.0]]),
    "sparse_matmul matrix": (lambda x: anp.sparse_matmul(A_SQUARE, x), [rng.normal(size=(5, 3))]),
    "W @ x": (lambda x: W44 @ x, [M34[0]]),
    "x @ W": (lambda x: x @ W44, [M34[0]]),
    "W @ X": (lambda x: W34 @ x, [rng.normal(size=(4, 2))]),
    "X @ W": (lambda x: x @ W44, [M34]),
    "x @ y both traced": (lambda x, y: x @ y, [M34, M34[0]]),
    "vector @ vector": (lambda x, y: anp.dot(x, y), [M34[0], M34[1]]),
    "dot with a scalar": (lambda x, y: anp.dot(x, y), [np.array(2.0), M34[0]]),
    "matrix @ matrix both traced": (lambda x, y: x @ y, [M34, rng.normal(size=(4, 2))]),
    "outer": (lambda x, y: anp.outer(x, y), [M34[0], M34[1, :3]]),
    # reductions
    "sum all": (lambda x: anp.sum(x), [M34]),
    "sum axis keepdims": (lambda x: anp.sum(x, axis=1, keepdims=True) * x, [M34]),
    "mean axis 0": (lambda x: anp.mean(x, axis=0), [M34]),
    "sum axes of 3-D": (lambda x: anp.sum(x, axis=(0, 2)), [rng.normal(size=(2, 3, 4))]),
    "max min with ties": (lambda x: anp.max(x, axis=1) + anp.min(x, axis=0).sum(), [TIES]),
    "prod with a zero": (lambda x: anp.prod(x, axis=1), [np.where(MASK, 0.0, M34)]),
    # shapes
    "reshape ravel": (lambda x: anp.reshape(x, (4, 3)).ravel() * 2.0, [M34]),
    "transpose": (lambda x: x.T * W34.T, [M34]),
    "transpose axes": (lambda x: anp.transpose(x, (2, 0, 1)), [rng.normal(size=(2, 3, 4))]),
    "expand squeeze": (lambda x: anp.squeeze(anp.expand_dims(x, 0) * 2.0), [M34]),
    "broadcast_to": (lambda x: anp.broadcast_to(x, (3, 4)), [M34[0]]),
    "index slice": (lambda x: x[1:, ::-2], [M34]),
    "index repeated": (lambda x: x[np.array([0, 2, 0, 1])], [M34[0]]),
    "index mask": (lambda x: x[MASK], [M34]),
    "index scalar": (lambda x: x[1, 2] * x, [M34]),
    "concatenate": (lambda x, y: anp.concatenate([x, y, x], axis=1), [M34, M34[:, :2]]),
    "stack": (lambda x, y: anp.stack([x, y], axis=1), [M34[0], M34[1]]),
    "hstack vstack": (lambda x, y: anp.vstack([anp.hstack([x, y]), anp.hstack([y, x])]), [M34[0], M34[1]]),
    "array of traced scalars": (lambda x, y: anp.array([x, y, x * y]), [np.array(0.5), np.array(-2.0)]),
    # whole constraints of the examples
    "pagerank": (lambda r, v: 0.85 * anp.sparse_matmul(A_SQUARE, r) + 0.15 * v, [M34[0, :1].tolist() * 5, POS34[0].tolist() + [1.0]]),
    "bratu jacobi": (lambda u, f: 0.25 * (anp.sparse_matmul(A_SQUARE, u) + 0.1 * (f - anp.exp(u))), [M34[1].tolist() + [0.0], M34[2].tolist() + [0.5]]),
    "deq layer": (lambda z, x: anp.tanh(z @ W44.T + x), [M34, POS34]),
    "same node twice": (lambda x, y: x * y + anp.sin(x), [M34, M34]),
}


def linearised(fn, values):
    g = adjoint.ConstraintGraph()
    names = [f"a{k}" for k in range(len(values))]
    for n in names:
        g.add_input(n)
    g.add_constraint("out", fn, names)
    return linearise(g, "out", [np.asarray(v, dtype=float) for v in values])


@pytest.mark.parametrize("name", list(CASES))
def test_sparse_partial_equals_entry_by_entry(name):
    fn, values = CASES[name]
    lin = linearised(fn, values)
    for position, v in enumerate(values):
        size = np.size(v)
        J_sparse = sparse_partial(lin, position, size)
        J_dense = dense_partial(lin, position, size)
        assert sp.issparse(J_sparse) and J_sparse.shape == (lin.value.size, size)
        np.testing.assert_allclose(J_sparse.toarray(), J_dense.toarray(), rtol=0, atol=1e-12, err_msg=f"{name}, argument {position}")


def test_constant_output_has_zero_partial():
    lin = linearised(lambda x: np.ones(3), [M34[0]])
    assert sparse_partial(lin, 0, 4).nnz == 0 and edge_jacobian(lin, 0, 4).shape == (3, 4)


def test_argument_not_reaching_the_output_has_zero_partial():
    lin = linearised(lambda x, y: anp.sin(x) + 0.0 * anp.sum(anp.exp(x)), [M34[0], M34[1]])
    assert sparse_partial(lin, 1, 4).nnz == 0


def test_batched_matmul_has_no_partial_but_small_blocks_fall_back():
    X = rng.normal(size=(2, 3, 4))
    lin = linearised(lambda x: x @ W44, [X])
    with pytest.raises(MissingRuleError, match="'matmul' has no sparse partial rule for argument 0 at these shapes"):
        sparse_partial(lin, 0, X.size)
    np.testing.assert_allclose(edge_jacobian(lin, 0, X.size).toarray(), dense_partial(lin, 0, X.size).toarray())


def test_large_node_uses_the_sparse_path():
    n = 100_000
    r = np.random.default_rng(3)
    A = sp.csr_matrix((r.uniform(size=5 * n), (r.integers(0, n, 5 * n), r.integers(0, n, 5 * n))), shape=(n, n))
    lin = linearised(lambda r, v: 0.85 * anp.sparse_matmul(A, r) + 0.15 * v, [np.ones(n), np.ones(n)])
    J = edge_jacobian(lin, 0, n)
    assert J.shape == (n, n) and J.nnz == A.nnz
    assert abs(J - 0.85 * A).max() < 1e-15
    assert abs(edge_jacobian(lin, 1, n) - 0.15 * sp.identity(n)).max() < 1e-15


def test_large_node_without_partial_rule_raises_clearly():
    n = 3000  # 9e6 entries > MAX_DENSE_ENTRIES
    assert n * n > MAX_DENSE_ENTRIES
    strange = adjoint.fixed_point  # a nested fixed point: a primitive without a partial rule
    lin = linearised(lambda z: strange(lambda y, z: 0.5 * y + z, np.zeros(n), z), [np.ones(n)])
    with pytest.raises(adjoint.AdjointError, match=r"dense 3000×3000 block, because primitive 'fixed_point' has no sparse partial.*defpartial"):
        edge_jacobian(lin, 0, n)
