"""Plans of array programs: the backward pass replayed into kept buffers, and gradients
handed out without copies. A table of programs × checks against ``adjoint.grad`` and autograd."""

from unittest import mock

import autograd
import autograd.numpy as agnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import adjoint
import adjoint.numpy as anp
from adjoint.plans.plan import BUFFERED_BACKWARD_ENTRIES
from adjoint.tape.reverse import made_here, recorded_values
from graphs.tape import Tape

RECORDED = "the backward pass recorded and replayed"


def mlp(params, x, np_=anp):
    h = x
    for W, b in params[:-1]:
        h = np_.tanh(h @ W + b)
    W, b = params[-1]
    return np_.mean((h @ W + b - 1.0) ** 2)


def gru(params, xs, np_=anp):
    Wx, Wh, b = params
    n = Wh.shape[0]
    h = np_.zeros((xs.shape[1], n))
    for x in xs:
        zx, zh = x @ Wx + b, h @ Wh[:, :2 * n]
        r = 1.0 / (1.0 + np_.exp(-(zx[:, :n] + zh[:, :n])))
        u = 1.0 / (1.0 + np_.exp(-(zx[:, n:2 * n] + zh[:, n:])))
        c = np_.tanh(zx[:, 2 * n:] + (r * h) @ Wh[:, 2 * n:])
        h = (1.0 - u) * h + u * c
    return np_.sum(h * h)


def two_uses(x, y):
    return anp.sum(anp.tanh(x + y) ** 2)  # d/dx and d/dy are one array in the backward pass


def constant_gradient(x, y):
    return anp.sum(x) + anp.sum(anp.sin(y) * y)  # the gradient in x is all ones whatever x is


def unused_argument(x, y):
    return anp.sum(anp.cos(x) * 2.0)


def views(W):
    return anp.sum(anp.tanh(W.T.reshape(-1, 40)) @ W[:40, :])


rng = np.random.default_rng(0)
MLP_PARAMS = [(rng.standard_normal((64, 128)) / 8, np.zeros(128)),
              (rng.standard_normal((128, 128)) / 11, np.zeros(128)),
              (rng.standard_normal((128, 4)) / 11, np.zeros(4))]
GRU_PARAMS = (rng.standard_normal((16, 3 * 32)) / 4, rng.standard_normal((32, 3 * 32)) / 6, np.zeros(3 * 32))

CASES = {  # name: (function, its arguments, argnum, an autograd version or None)
    "mlp": (mlp, (MLP_PARAMS, rng.standard_normal((64, 64))), 0,
            lambda p, x: mlp(p, x, agnp)),
    "gru": (gru, (GRU_PARAMS, rng.standard_normal((5, 64, 16))), 0, lambda p, xs: gru(p, xs, agnp)),
    "two_uses": (two_uses, (rng.standard_normal((80, 80)), rng.standard_normal((80, 80))), (0, 1), None),
    "constant_gradient": (constant_gradient, (rng.standard_normal(5000), rng.standard_normal(5000)), (0, 1), None),
    "unused_argument": (unused_argument, (rng.standard_normal(5000), rng.standard_normal(5000)), (0, 1), None),
    "views": (views, (rng.standard_normal((80, 80)),), 0, None),
}


def _leaves(tree):
    if isinstance(tree, (list, tuple)):
        return [leaf for t in tree for leaf in _leaves(t)]
    return [tree]


def _perturbed(args, scale):
    return tuple(
        [tuple(np.asarray(a) + scale * np.cos(np.arange(np.size(a))).reshape(np.shape(a)) for a in pair) for pair in arg]
        if isinstance(arg, list) else
        tuple(np.asarray(a) + scale * np.cos(np.arange(np.size(a))).reshape(np.shape(a)) for a in arg)
        if isinstance(arg, tuple) else arg + scale * np.cos(np.arange(arg.size)).reshape(arg.shape)
        for arg in args)


@pytest.mark.parametrize("name", list(CASES))
def test_the_buffered_plan_agrees_with_grad_at_new_points(name):
    fun, args, argnum, _ = CASES[name]
    plan = adjoint.compile(fun, *args, argnum=argnum)
    assert RECORDED in plan.reason
    grad = adjoint.grad(fun, argnum)
    for scale in (0.0, 0.05, -0.1):
        new = _perturbed(args, scale)
        for a, b in zip(_leaves(plan(*new)), _leaves(grad(*new))):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", [n for n, case in CASES.items() if case[3] is not None])
def test_the_buffered_plan_agrees_with_autograd(name):
    fun, args, argnum, reference = CASES[name]
    plan = adjoint.compile(fun, *args, argnum=argnum)
    new = _perturbed(args, 0.03)
    for a, b in zip(_leaves(plan(*new)), _leaves(autograd.grad(reference, argnum)(*new))):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("name", list(CASES))
def test_gradients_handed_out_are_never_overwritten_or_shared(name):
    fun, args, argnum, _ = CASES[name]
    plan = adjoint.compile(fun, *args, argnum=argnum)
    first = _leaves(plan(*args))
    kept = [np.array(g) for g in first]
    second = _leaves(plan(*_perturbed(args, 0.2)))
    for g, k in zip(first, kept):
        np.testing.assert_array_equal(g, k)  # the second call wrote into none of them
    inputs = _leaves(args)
    for i, g in enumerate(second):
        assert not any(np.shares_memory(g, x) for x in inputs)
        assert not any(np.shares_memory(g, h) for h in second[:i] + first)
    for g in second:
        g[...] = np.nan  # the caller owns its gradients: changing them changes no later result
    for a, b in zip(_leaves(plan(*args)), kept):
        np.testing.assert_array_equal(a, b)


def test_the_gp_marginal_likelihood_plan_agrees_with_grad_and_central_differences():
    x = np.linspace(-2, 2, 70)
    def nll(theta):
        log_ell, log_sf, log_sn = theta[0], theta[1], theta[2]
        d = x[:, None] - x[None, :]
        K = anp.exp(2 * log_sf) * anp.exp(-0.5 * d * d / anp.exp(2 * log_ell)) + anp.exp(2 * log_sn) * np.eye(70)
        y = np.sin(3 * x)
        L = anp.linalg.cholesky(K)
        return 0.5 * anp.dot(y, anp.linalg.solve(K, y)) + anp.sum(anp.log(anp.diag(L)))
    theta = np.array([-0.5, 0.1, -1.0])
    plan = adjoint.compile(nll, theta)
    assert RECORDED in plan.reason
    for t in (theta, theta + 0.1):
        g = plan(t)
        np.testing.assert_allclose(g, adjoint.grad(nll)(t), rtol=1e-12)
        h = 1e-6
        fd = [(nll(t + h * e) - nll(t - h * e)) / (2 * h) for e in np.eye(3)]
        np.testing.assert_allclose(g, fd, rtol=1e-6)


@pytest.mark.parametrize("fun, why", [
    (lambda W: anp.sum(anp.maximum(W @ W, 0.0) ** 2), "maximum's VJP compares traced values"),
    (lambda W: anp.sum(anp.abs(W @ W)), "abs's VJP takes a sign"),
])
def test_backward_passes_with_guards_are_not_recorded(fun, why):
    W = rng.standard_normal((70, 70))
    plan = adjoint.compile(fun, W)
    assert RECORDED not in plan.reason, why
    for scale in (0.1, -0.3):
        np.testing.assert_allclose(plan(W + scale), adjoint.grad(fun)(W + scale), rtol=1e-12)
    assert plan.retraces == 0


def test_small_arrays_keep_the_rule_calls():
    W = rng.standard_normal((10, 10))
    assert 100 < BUFFERED_BACKWARD_ENTRIES
    plan = adjoint.compile(lambda W: anp.sum(anp.tanh(W @ W)), W)
    assert RECORDED not in plan.reason


def test_a_guard_in_the_forward_pass_still_retraces():
    def f(x):
        return anp.sum(anp.tanh(x) ** 2) if anp.sum(x) > 0 else anp.sum(anp.sin(x))
    x = np.abs(rng.standard_normal(5000))
    plan = adjoint.compile(f, x)
    assert RECORDED in plan.reason
    np.testing.assert_allclose(plan(-x), np.cos(-x), rtol=1e-12)
    np.testing.assert_allclose(plan(x), adjoint.grad(f)(x), rtol=1e-12)
    assert plan.retraces == 1


def test_grad_hands_out_vjp_results_and_copies_what_the_caller_holds():
    x = np.ones(4)
    # d/dx sum(x * c) is c, the caller's own array, if no copy is made
    c = np.arange(4.0)
    g = adjoint.grad(lambda x: anp.sum(x * c))(x)
    assert not np.shares_memory(g, c) and not np.shares_memory(g, x)
    gx, gy = adjoint.grad(lambda x, y: anp.sum(anp.sin(x + y)), (0, 1))(x, x + 1)
    assert not np.shares_memory(gx, gy)
    np.testing.assert_array_equal(gx, gy)


def test_made_here_names_what_is_held():
    tape = Tape()
    x = tape.input(np.ones(3))
    y = np.sum(np.exp(x) * x)
    from adjoint.tape.reverse import back_substitute
    lam = back_substitute(tape, {y.index: 1.0})
    g = lam[x.index]
    assert made_here([g, g.reshape(3, 1), x.value, None, 2.0], recorded_values(tape)) == [True, False, False, False,
                                                                                              False]
    read_only = np.ones(3)
    read_only.flags.writeable = False
    assert made_here([read_only], []) == [False]


def test_a_rule_that_does_not_trace_keeps_the_rule_calls():
    from adjoint.extend import defvjp, primitive

    @primitive
    def cube(x):
        return x ** 3

    defvjp(cube, lambda ans, x: lambda g: np.asarray(g) * 3.0 * np.asarray(x) ** 2)  # plain numpy: no trace
    x = rng.standard_normal(5000)
    plan = adjoint.compile(lambda x: anp.sum(cube(anp.sin(x))), x)
    assert RECORDED not in plan.reason
    np.testing.assert_allclose(plan(x + 0.1), 3 * np.sin(x + 0.1) ** 2 * np.cos(x + 0.1), rtol=1e-12)


# --- property: random array programs, buffers shared by liveness --------------------------
OPS = ["tanh", "sin", "square", "mul", "add", "matmul", "transpose", "reshape", "sum0", "slice"]


def _apply(op, a, b, M):
    """One operation of a random array program on (6, 6) values ``a`` and ``b``."""
    if op in ("tanh", "sin"):
        return getattr(anp, op)(a) * 0.9
    if op == "square":
        return a * a * 0.5
    if op == "mul":
        return a * anp.tanh(b)
    if op == "add":
        return a + b
    if op == "matmul":
        return a @ M
    if op == "transpose":
        return a.T
    if op == "reshape":  # a view of a view: the buffer's liveness runs through both
        return anp.reshape(anp.reshape(a, (36,))[::-1], (6, 6))
    if op == "sum0":
        return anp.sum(a, axis=0, keepdims=True) + 0.0 * a
    return a[::-1, :] * b  # "slice"


@st.composite
def random_array_programs(draw):
    """``(program, x0)``: ``program(x)`` chains random ops on (6, 6) arrays, reusing earlier values."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    steps = [(draw(st.sampled_from(OPS)), draw(st.integers(0, 10**6))) for _ in range(draw(st.integers(2, 12)))]
    M = rng.standard_normal((6, 6)) / 3

    def program(x):
        values = [x]
        for op, pick in steps:
            values.append(_apply(op, values[-1], values[pick % len(values)], M))
        return anp.sum(values[-1] * values[len(values) // 2])

    return program, rng.standard_normal((6, 6))


@settings(max_examples=40, deadline=None)
@given(random_array_programs())
def test_random_array_programs_replay_with_shared_buffers_as_grad_gives(case):
    program, x = case
    with mock.patch("adjoint.plans.plan.BUFFERED_BACKWARD_ENTRIES", 1):  # every array program is recorded
        plan = adjoint.compile(program, x)
    assert RECORDED in plan.reason, plan.reason
    grad = adjoint.grad(program)
    previous = None
    for scale in (0.0, 0.3, -0.2):
        point = x + scale * np.cos(np.arange(36.0)).reshape(6, 6)
        value, g = plan.value_and_grad(point)
        ref_value, ref_g = adjoint.value_and_grad(program)(point)
        assert value == pytest.approx(ref_value, rel=1e-12, abs=1e-12)
        np.testing.assert_allclose(g, grad(point), rtol=1e-11, atol=1e-12)
        np.testing.assert_allclose(g, ref_g, rtol=1e-11, atol=1e-12)
        if previous is not None:
            np.testing.assert_array_equal(previous[0], previous[1])  # an earlier gradient stays as it was
        previous = (g, g.copy())
