"""Compiled plans (adjoint.compile) agree with adjoint.grad; recompiling and guards."""

import numpy as np
import pytest
from plan_cases import RTOL, _close, _wide_args, chain, containers, scalar_mix, vector_code, wide_program

import adjoint
import adjoint.numpy as anp
from adjoint.errors import InvalidArgumentError

CASES = {
    "scalar chain": (chain, lambda r: (float(r.uniform(0, 1)),), 0),
    "scalar mix": (scalar_mix, lambda r: (float(r.uniform(0.1, 1)), float(r.uniform(0.1, 1))), (0, 1)),
    "wide scalar program": (wide_program, _wide_args, 0),
    "vector code": (vector_code, lambda r: (r.standard_normal((3, 4)), r.standard_normal(4)), 0),
    "vector code, both": (vector_code, lambda r: (r.standard_normal((3, 4)), r.standard_normal(4)), (0, 1)),
    "containers": (
        containers,
        lambda r: ({"layers": [{"W": r.standard_normal((4, 3)), "b": r.standard_normal(3)},
                              r.standard_normal((3, 2))], "scale": float(r.uniform())},
                   r.standard_normal((5, 4))),
        0,
    ),
}


@pytest.mark.parametrize("engine", ["auto", "tape", "scalar"])
@pytest.mark.parametrize("name", list(CASES))
def test_plan_agrees_with_grad_at_new_points(name, engine):
    fun, make_args, argnum = CASES[name]
    rng = np.random.default_rng(1)
    first = make_args(rng)
    try:
        plan = adjoint.compile(fun, *first, argnum=argnum, engine=engine)
    except InvalidArgumentError as e:
        assert engine == "scalar" and "scalar nodes" in str(e)
        return
    for _ in range(3):
        args = make_args(rng)
        value, g = plan.value_and_grad(*args)
        ref_value, ref_g = adjoint.value_and_grad(fun, argnum)(*args)
        assert _close(value, ref_value) and _close(g, ref_g)
        assert _close(plan(*args), ref_g)
    assert plan.compiles == 1 and plan.retraces == 0


@pytest.mark.parametrize("forward", ["levels", "sequential", "compiled"])
@pytest.mark.parametrize("backward", ["levels", "spsolve", "compiled", "auto"])
def test_scalar_engine_modes_agree(forward, backward):
    if "compiled" in (forward, backward):
        pytest.importorskip("numba", reason="the compiled loops need numba (in the test extra)")
    rng = np.random.default_rng(2)
    plan = adjoint.compile(wide_program, *_wide_args(rng), engine="scalar", forward=forward, backward=backward)
    for _ in range(2):
        args = _wide_args(rng)
        value, g = plan.value_and_grad(*args)
        ref_value, ref_g = adjoint.value_and_grad(wide_program)(*args)
        assert _close(value, ref_value) and _close(g, ref_g)
    assert plan.engine == "scalar"


def test_scalar_graph_goes_to_scalar_engine_and_arrays_to_tape():
    big = adjoint.compile(wide_program, *_wide_args(np.random.default_rng(0)), 0, 40, 100)
    assert big.engine == "scalar", big.reason
    assert adjoint.compile(vector_code, np.ones((2, 3)), np.ones(3)).engine == "tape"


def test_new_data_in_a_non_differentiated_argument_is_used():
    W, x1, x2 = np.ones((2, 3)) / 3, np.array([1.0, 2.0, 3.0]), np.array([-1.0, 0.5, 2.0])
    plan = adjoint.compile(vector_code, W, x1)
    assert _close(plan(W, x2), adjoint.grad(vector_code)(W, x2))
    assert plan.compiles == 1


def test_shape_change_recompiles():
    plan = adjoint.compile(lambda x: anp.sum(anp.sin(x) * x), np.ones(3))
    for n in (3, 4, 3):
        x = np.linspace(0.1, 1.0, n)
        assert _close(plan(x), np.cos(x) * x + np.sin(x))
    assert plan.compiles == 2


def test_static_argument_change_recompiles():
    def power_sum(x, k):
        return anp.sum(x ** k)

    plan = adjoint.compile(power_sum, np.array([1.0, 2.0]), 2)
    assert _close(plan(np.array([1.0, 2.0]), 2), [2.0, 4.0])
    assert _close(plan(np.array([1.0, 2.0]), 3), [3.0, 12.0])
    assert plan.compiles == 2


def _branchy(x):
    y = x * 1.0 + 0.0  # the guard is on an intermediate node, checked mid-way through a replay
    if y > 0:
        return y * y
    return -y * y * y


@pytest.mark.parametrize("engine, forward", [("tape", "auto"), ("scalar", "levels"), ("scalar", "sequential")])
def test_guard_triggers_retrace_with_right_gradient_on_both_branches(engine, forward):
    plan = adjoint.compile(_branchy, 1.0, engine=engine, forward=forward)
    assert plan(2.0) == pytest.approx(4.0, rel=RTOL)
    assert plan(-2.0) == pytest.approx(-12.0, rel=RTOL)
    assert plan.retraces == 1
    # both traces are kept: going back and forth retraces no more
    assert plan(3.0) == pytest.approx(6.0, rel=RTOL)
    assert plan(-1.0) == pytest.approx(-3.0, rel=RTOL)
    assert plan.retraces == 1 and plan.compiles == 1


def test_guards_from_numpy_functions_and_where_conditions():
    def f(x):
        s = np.sign(x)  # piecewise constant: a guard
        return anp.sum(anp.where(x > 0.5, x * x, s * x))

    plan = adjoint.compile(f, np.array([1.0, -1.0]))
    for x in ([1.0, -1.0], [0.2, -3.0], [-2.0, 2.0]):
        x = np.array(x)
        assert _close(plan(x), adjoint.grad(f)(x))
    assert plan.retraces == 2


def test_fixed_point_inside_is_retraced_every_call():
    def z_star(x):
        return adjoint.fixed_point(lambda z, x: anp.cos(z) / 2 + x, 0.0, x)

    plan = adjoint.compile(z_star, 1.0)
    assert plan.engine == "retrace" and "fixed_point" in plan.reason
    assert plan(0.5) == pytest.approx(adjoint.grad(z_star)(0.5), rel=1e-10)


def test_non_traceable_use_of_a_float_argument_makes_it_static():
    def f(x, scale):
        return anp.sum(x) * float(scale)  # float() of a traced value is refused

    plan = adjoint.compile(f, np.ones(2), 2.0)
    assert _close(plan(np.ones(2), 3.0), [3.0, 3.0])
    assert plan.compiles == 2


def test_non_scalar_output_is_refused():
    with pytest.raises(InvalidArgumentError, match="scalar-valued"):
        adjoint.compile(lambda x: x * 2.0, np.ones(2))


def test_output_not_depending_on_input():
    plan = adjoint.compile(lambda x: 3.0, np.ones(2))
    value, g = plan.value_and_grad(np.ones(2))
    assert value == 3.0 and _close(g, np.zeros(2))


def test_keyword_arguments_are_static():
    def f(x, power=2):
        return anp.sum(x ** power)

    plan = adjoint.compile(f, np.array([1.0, 2.0]), power=2)
    assert _close(plan(np.array([1.0, 2.0]), power=2), [2.0, 4.0])
    assert _close(plan(np.array([1.0, 2.0]), power=3), [3.0, 12.0])
    assert plan.compiles == 2
