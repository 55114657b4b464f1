"""Second derivatives of every primitive, against autograd on the same numpy code.

The cases are the first-order tables (``TABLES``: ``test_grad_vs_autograd`` for the core
primitives, with broadcasting, axes, indexing and containers, and one table per family of
primitives). For each, the Hessian-vector product ``H v``
is computed two ways, forward-over-reverse (``jvp`` of ``grad``) and reverse-over-reverse
(``grad`` of ``⟨grad, v⟩``), and compared with autograd's reverse-over-reverse. A coverage
test checks that the table reaches every registered primitive, so a new primitive cannot skip it.
"""

import importlib

import numpy
import pytest
from numpy.testing import assert_allclose

import adjoint
import adjoint.numpy as anp
from adjoint.pytree import tree_flatten, tree_unflatten
from adjoint.tape.grad import trace
from graphs.primitive import PRIMITIVES

#: The first-order tables: modules of tests/ defining ``CASES`` (name -> ``Case``). A case's
#: function takes a numpy-like module first (``adjoint.numpy``, ``numpy`` or ``autograd.numpy``).
TABLES = ["test_grad_vs_autograd", "test_numpy_breadth", "test_sorting", "test_linalg", "test_fft",
          "test_scipy", "test_complex"]
CASES = {}
#: Primitives autograd has no counterpart for, with the test that checks their second order.
CHECKED_ELSEWHERE = {"sparse_matmul": "test_sparse_matmul_second_order"}
for _table in TABLES:
    _module = importlib.import_module(_table)
    CHECKED_ELSEWHERE.update(getattr(_module, "CHECKED_ELSEWHERE", {}))
    for _name, _case in _module.CASES.items():
        if _case.second_order:
            CASES[f"{_table[5:]}:{_name}"] = _case

autograd = pytest.importorskip("autograd")
agnp = pytest.importorskip("autograd.numpy")

RTOL, ATOL = 1e-9, 1e-11
# autograd warns where a case's gradient does not depend on an argument (independent-of-one-arg).
pytestmark = pytest.mark.filterwarnings("ignore:Output seems independent of input")


def _differentiated(c):
    return c.args[c.argnum] if isinstance(c.argnum, int) else tuple(c.args[a] for a in c.argnum)


def _direction(arg, seed=7):
    leaves, treedef = tree_flatten(arg)
    rng = numpy.random.default_rng(seed)
    return tree_unflatten(treedef, [rng.normal(size=numpy.shape(x)) if numpy.ndim(x) else float(rng.normal())
                                    for x in leaves])


def _inner(np_, a, b):
    """``⟨a, b⟩`` over the leaves of two trees of ``b``'s structure (autograd's are boxes)."""
    if isinstance(b, dict):
        return sum(_inner(np_, a[k], b[k]) for k in b)
    if isinstance(b, (list, tuple)):
        return sum(_inner(np_, a[i], bi) for i, bi in enumerate(b))
    return np_.sum(a * b)


def _hvp_reverse_over_reverse(grad, np_, c, v):
    f = lambda *a: c.fun(np_, *a)  # noqa: E731
    return grad(lambda *a: _inner(np_, grad(f, c.argnum)(*a), v), c.argnum)(*c.args)


def _hvp_forward_over_reverse(c, v):
    mod = numpy if c.plain else anp
    g = adjoint.grad(lambda *a: c.fun(mod, *a), c.argnum)
    return adjoint.jvp(g, c.argnum)(*c.args, v)[1]


def _leaves(tree):
    return [numpy.asarray(x, dtype=float) for x in tree_flatten(tree)[0]]


@pytest.mark.parametrize("name", list(CASES))
def test_hessian_vector_products_match_autograd(name):
    c = CASES[name]
    v = _direction(_differentiated(c))
    reference = _hvp_reverse_over_reverse(autograd.grad, agnp, c, v)
    ours = {
        "reverse-over-reverse": _hvp_reverse_over_reverse(adjoint.grad, numpy if c.plain else anp, c, v),
        "forward-over-reverse": _hvp_forward_over_reverse(c, v),
    }
    for mode, hv in ours.items():
        for k, (o, r) in enumerate(zip(_leaves(hv), _leaves(reference))):
            assert_allclose(o, r, rtol=RTOL, atol=ATOL, err_msg=f"{mode}, leaf {k}")


def _primitives_reached():
    reached = set()
    for c in CASES.values():
        mod = numpy if c.plain else anp
        f = adjoint.grad(lambda *a, c=c, mod=mod: c.fun(mod, *a), c.argnum)
        # The tape of the gradient's own computation holds the primitives of the rules too.
        v = _direction(_differentiated(c))
        tape, _, _, _ = trace(lambda *a, f=f, v=v: _inner(anp, f(*a), v), c.args, c.argnum)
        reached |= {r[0].name for r in tape.records if r[0] is not None}
    return reached


def test_every_primitive_has_a_second_order_case():
    missing = set(PRIMITIVES) - _primitives_reached() - set(CHECKED_ELSEWHERE) - {
        n for n in PRIMITIVES if ":" in n or n.startswith(("example_", "test_"))}
    assert not missing, f"primitives without a second-order case: {sorted(missing)}"


def test_sparse_matmul_second_order():
    # autograd has no scipy.sparse products: the reference is the same code with the dense matrix.
    sparse = pytest.importorskip("scipy.sparse")
    A = sparse.random(5, 4, density=0.5, random_state=3, format="csr")
    x, v = numpy.random.default_rng(5).normal(size=(2, 4))
    ours = lambda x: anp.sum(anp.tanh(anp.sparse_matmul(A, x)) ** 2)  # noqa: E731
    dense = lambda x: agnp.sum(agnp.tanh(A.toarray() @ x) ** 2)  # noqa: E731
    reference = autograd.hessian(dense)(x)
    assert_allclose(adjoint.hessian(ours)(x), reference, rtol=RTOL, atol=ATOL)
    assert_allclose(adjoint.hessian_vector_product(ours)(x, v), reference @ v, rtol=RTOL, atol=ATOL)
