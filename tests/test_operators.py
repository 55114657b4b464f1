"""autograd's differential operators: the same names, signatures and numbers as autograd.

Each case is one operator applied to one function written against a numpy-like module,
run once with ``adjoint`` and once with ``autograd``; results agree to 1e-10. Nesting cases
check that operators compose (``jacobian(grad(f))``, ``jvp`` of ``grad``, ``grad`` of
``jvp``, third derivatives) and that nested traces do not confuse their perturbations.
"""

import numpy
import pytest
from numpy.testing import assert_allclose

import adjoint
import adjoint.numpy as anp
from adjoint.tape.grad import trace

autograd = pytest.importorskip("autograd")
agnp = pytest.importorskip("autograd.numpy")

RTOL, ATOL = 1e-10, 1e-12
rng = numpy.random.default_rng(0)
X3, V3, W23 = rng.normal(size=3), rng.normal(size=3), rng.normal(size=(2, 3))


def scalar_fun(np_, x):
    return np_.sum(np_.tanh(x) ** 2 * np_.sin(x[::-1])) + np_.prod(x)


def vector_fun(np_, x):
    return np_.tanh(W23 @ x) * np_.sum(x ** 2)


def two_args(np_, x, y):
    return np_.sum(np_.sin(x * y) + x ** 2 * np_.exp(-y))


def _adj(op):
    return getattr(adjoint, op)


def _ag(op):
    return getattr(autograd, op)


# (operator name, how to call it: call(op, np_) -> result)
CASES = {
    "grad": lambda op, np_: op(lambda x: scalar_fun(np_, x))(X3),
    "grad-argnum-tuple": lambda op, np_: op(lambda x, y: two_args(np_, x, y), (0, 1))(X3, V3),
    "value_and_grad": lambda op, np_: op(lambda x: scalar_fun(np_, x))(X3),
    "elementwise_grad": lambda op, np_: op(lambda x: np_.sin(x) * x)(X3),
    "deriv": lambda op, np_: op(lambda x: np_.sin(x) * x ** 2)(0.7),
    "jacobian": lambda op, np_: op(lambda x: vector_fun(np_, x))(X3),
    "hessian": lambda op, np_: op(lambda x: scalar_fun(np_, x))(X3),
    "hessian-argnum-1": lambda op, np_: op(lambda x, y: two_args(np_, x, y), 1)(X3, V3),
    "hessian_tensor_product": lambda op, np_: op(lambda x: scalar_fun(np_, x))(X3, V3),
    "hessian_vector_product": lambda op, np_: op(lambda x, y: two_args(np_, x, y), 1)(X3, V3, V3),
    "tensor_jacobian_product": lambda op, np_: op(lambda x: vector_fun(np_, x))(X3, numpy.array([1.0, -2.0])),
    "vector_jacobian_product": lambda op, np_: op(lambda x: vector_fun(np_, x))(X3, numpy.array([0.5, 3.0])),
    "make_hvp": lambda op, np_: op(lambda x: scalar_fun(np_, x))(X3)[0](V3),
    "make_vjp": lambda op, np_: op(lambda x: vector_fun(np_, x))(X3)[0](numpy.array([1.0, 2.0])),
    "make_vjp-value": lambda op, np_: op(lambda x: vector_fun(np_, x))(X3)[1],
    "make_jvp": lambda op, np_: op(lambda x: vector_fun(np_, x))(X3)(V3),
    "make_ggnvp": lambda op, np_: op(lambda x: vector_fun(np_, x))(X3)(V3),
    "grad_and_aux": lambda op, np_: op(lambda x: (scalar_fun(np_, x), x ** 2))(X3),
    "grad_named": lambda op, np_: op(lambda x, y: two_args(np_, x, y), "y")(X3, V3),
}


def _flat(tree):
    if isinstance(tree, (tuple, list)):
        return [a for t in tree for a in _flat(t)]
    return [numpy.asarray(tree, dtype=float)]


@pytest.mark.parametrize("name", list(CASES))
def test_operator_matches_autograd(name):
    op = name.split("-")[0]
    ours = CASES[name](_adj(op), anp)
    ref = CASES[name](_ag(op), agnp)
    for o, r in zip(_flat(ours), _flat(ref), strict=True):
        assert_allclose(o, r, rtol=RTOL, atol=ATOL)


def test_multigrad_dict_gives_every_argument_by_name():
    f = lambda x, y, scale=2.0: scale * anp.sum(x * anp.sin(y))  # noqa: E731
    g = adjoint.multigrad_dict(f)(X3, V3)
    assert list(g) == ["x", "y", "scale"]
    assert_allclose(g["x"], 2.0 * numpy.sin(V3), rtol=RTOL)
    assert_allclose(g["y"], 2.0 * X3 * numpy.cos(V3), rtol=RTOL)
    assert_allclose(g["scale"], numpy.sum(X3 * numpy.sin(V3)), rtol=RTOL)


def test_checkpoint_gives_the_same_derivatives_at_every_order():
    block = lambda x: anp.tanh(anp.sin(x) * x)  # noqa: E731
    saved = adjoint.checkpoint(block)
    plain = lambda x: anp.sum(block(x) ** 2)  # noqa: E731
    ckpt = lambda x: anp.sum(saved(x) ** 2)  # noqa: E731
    assert_allclose(adjoint.grad(ckpt)(X3), adjoint.grad(plain)(X3), rtol=RTOL)
    assert_allclose(adjoint.hessian(ckpt)(X3), adjoint.hessian(plain)(X3), rtol=RTOL)
    assert_allclose(adjoint.jvp(ckpt)(X3, V3)[1], adjoint.jvp(plain)(X3, V3)[1], rtol=RTOL)


def test_checkpoint_keeps_one_record_for_the_block():
    saved = adjoint.checkpoint(lambda x: anp.tanh(anp.sin(x) * x))
    tape, _, _, _ = trace(lambda x: anp.sum(saved(x)), (X3,), 0)
    assert [r[0].name.split(":")[0] for r in tape.records[1:]] == ["checkpoint", "sum"]


def test_holomorphic_grad_of_a_real_argument_warns_and_is_grad():
    with pytest.warns(UserWarning, match="not complex"):
        assert adjoint.holomorphic_grad(lambda x: x ** 3)(2.0) == pytest.approx(12.0)


def test_grad_named_of_an_unknown_name_lists_the_arguments():
    with pytest.raises(adjoint.InvalidArgumentError, match=r"\['x', 'y'\]"):
        adjoint.grad_named(lambda x, y: x * y, "z")


# --- nesting -----------------------------------------------------------------------------

def test_no_perturbation_confusion():
    # autograd's classic: the inner derivative must not see the outer x as its variable.
    assert adjoint.grad(lambda x: x * adjoint.grad(lambda y: x + y)(1.0))(2.0) == 1.0
    f = lambda x: adjoint.grad(lambda y: x * y ** 2)(x)  # d/dx (2 x · x) = 4x  # noqa: E731
    assert adjoint.grad(f)(3.0) == pytest.approx(12.0)


def f3(np_, x):
    return np_.sin(x) * x ** 3 + np_.exp(np_.tanh(x))


NESTINGS = {
    "grad(grad)": lambda ad, np_: ad.grad(ad.grad(lambda x: f3(np_, x)))(0.7),
    "grad(grad(grad))": lambda ad, np_: ad.grad(ad.grad(ad.grad(lambda x: f3(np_, x))))(0.7),
    "jacobian(grad)": lambda ad, np_: ad.jacobian(ad.grad(lambda x: scalar_fun(np_, x)))(X3),
    "jacobian(jacobian)": lambda ad, np_: ad.jacobian(ad.jacobian(lambda x: vector_fun(np_, x)))(X3),
    "elementwise_grad(elementwise_grad)": lambda ad, np_: ad.elementwise_grad(ad.elementwise_grad(np_.tanh))(X3),
    "grad(hessian_vector_product)": lambda ad, np_: ad.grad(
        lambda x: np_.sum(ad.hessian_vector_product(lambda x: scalar_fun(np_, x))(x, V3) ** 2))(X3),
}


@pytest.mark.parametrize("name", list(NESTINGS))
def test_nested_operators_match_autograd(name):
    ours = NESTINGS[name](adjoint, anp)
    ref = NESTINGS[name](autograd, agnp)
    assert_allclose(ours, ref, rtol=RTOL, atol=ATOL)


def test_forward_over_reverse_and_reverse_over_forward_agree_with_the_hessian():
    H = autograd.hessian(lambda x: scalar_fun(agnp, x))(X3)
    jvp_of_grad = adjoint.jvp(adjoint.grad(lambda x: scalar_fun(anp, x)))(X3, V3)[1]
    grad_of_jvp = adjoint.grad(lambda x: adjoint.jvp(lambda x: scalar_fun(anp, x))(x, V3)[1])(X3)
    jvp_of_jvp = adjoint.jvp(lambda x: adjoint.jvp(lambda x: scalar_fun(anp, x))(x, V3)[1])(X3, V3)[1]
    assert_allclose(jvp_of_grad, H @ V3, rtol=RTOL)
    assert_allclose(grad_of_jvp, H @ V3, rtol=RTOL)
    assert_allclose(jvp_of_jvp, V3 @ H @ V3, rtol=RTOL)


def test_trust_ncg_with_library_hessp_matches_autograd_iterations():
    scipy_optimize = pytest.importorskip("scipy.optimize")
    data = numpy.random.default_rng(3)
    A = data.normal(size=(40, 5))
    y = (A @ data.normal(size=5) + 0.3 * data.normal(size=40) > 0).astype(float)

    def loss(np_, w):  # logistic regression with a ridge term
        z = A @ w
        return np_.sum(np_.log1p(np_.exp(-z)) + (1.0 - y) * z) + 0.05 * np_.sum(w ** 2)

    results = {}
    for name, ad, np_ in (("adjoint", adjoint, anp), ("autograd", autograd, agnp)):
        f = lambda w, np_=np_: loss(np_, w)  # noqa: E731
        results[name] = scipy_optimize.minimize(f, numpy.zeros(5), method="trust-ncg", jac=ad.grad(f),
                                                hessp=ad.hessian_vector_product(f), options={"gtol": 1e-10})
    ours, ref = results["adjoint"], results["autograd"]
    assert ours.success and ref.success
    assert (ours.nit, ours.njev, ours.nhev) == (ref.nit, ref.njev, ref.nhev)
    assert_allclose(ours.x, ref.x, rtol=1e-10, atol=1e-12)


# --- what stays first order says so ---------------------------------------------------------

def _graph():
    g = adjoint.ConstraintGraph()
    g.add_input("x")
    g.add_constraint("y", lambda x: anp.sin(x), ["x"])
    return g


FIRST_ORDER_ONLY = {
    "compiled plan": (lambda: adjoint.compile(lambda x: anp.sum(anp.sin(x) ** 2), X3),
                      lambda plan, x: anp.sum(plan(x))),
    "adjoint.solve": (_graph, lambda g, x: anp.sum(adjoint.solve(g, {"x": x}, "y").gradient["x"])),
    "adjoint.solve_tangent": (_graph, lambda g, x: anp.sum(adjoint.solve_tangent(g, {"x": x}, {"x": V3}).tangents["y"])),
    "adjoint.sparse_jacobian": (_graph, lambda g, x: anp.sum(adjoint.sparse_jacobian(g, {"x": x}, "y").toarray())),
}


@pytest.mark.parametrize("name", list(FIRST_ORDER_ONLY))
def test_first_order_machinery_refuses_traced_values_with_a_clear_error(name):
    make, use = FIRST_ORDER_ONLY[name]
    thing = make()
    with pytest.raises(adjoint.InvalidArgumentError, match=f"{name}.*first derivatives only"):
        adjoint.grad(lambda x: use(thing, x))(X3)


def test_tensor_jacobian_product_contracts_leading_axes_as_autograd():
    a = numpy.random.default_rng(1).normal(size=(5, 4, 3))
    V = numpy.random.default_rng(2).normal(size=(5, 4))
    ours = adjoint.tensor_jacobian_product(lambda a: anp.roll(anp.sin(a), 1))(a, V)
    ref = autograd.tensor_jacobian_product(lambda a: agnp.roll(agnp.sin(a), 1))(a, V)
    assert ours.shape == ref.shape == (3, 5, 4, 3)
    assert_allclose(ours, ref, rtol=RTOL)


def test_grad_of_a_boolean_result_is_a_type_error():
    with pytest.raises(TypeError, match="bool"):
        adjoint.grad(lambda x: anp.allclose(x, x * 3.0 / 3.0))(numpy.ones(3))
