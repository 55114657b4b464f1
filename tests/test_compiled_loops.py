"""The loops compiled by numba: the scalar interpreter op by op against numpy, and plans
that use them against autograd and the other forward and backward passes."""

import autograd
import autograd.numpy as agnp
import numpy as np
import pytest

import adjoint
import adjoint.numpy as anp
from adjoint.plans.replay import TapeProgram
from adjoint.plans.scalar_interpreter import OPCODES, CompiledForward, unsupported
from adjoint.plans.scalar_layout import ScalarLayout
from graphs.tape import Tape
from solvers import compiled_loops

pytest.importorskip("numba", reason="the compiled loops need numba (in the test extra)")

VALUES = np.array([-3.0, -1.0, -0.5, -0.0, 0.0, 0.3, 0.5, 1.0, 1.5, 4.0, np.inf, -np.inf, np.nan])


def _one_op(name, arity):
    """A layout of ``name`` applied to inputs, one node per pair of values."""
    tape = Tape()
    pairs = [(a, b) for a in VALUES for b in VALUES] if arity == 2 else [(a,) for a in VALUES]
    inputs = [[tape.input(np.float64(v)) for v in pair] for pair in pairs]
    with np.errstate(all="ignore"):
        outs = [getattr(np, name)(*ins) for ins in inputs]
        total = outs[0]
        for o in outs[1:]:
            total = total + o * 0.0  # one objective, every node live
    flat = [t.index for ins in inputs for t in ins]
    return ScalarLayout(TapeProgram(tape, flat, flat, total.index)), pairs


@pytest.mark.parametrize("name", sorted(OPCODES))
def test_each_operation_matches_numpy(name):
    arity = OPCODES[name][1]
    layout, pairs = _one_op(name, arity)
    assert unsupported(layout) is None
    v = np.empty(layout.n_nodes + layout.constants.size)
    v[layout.n_nodes:] = layout.constants
    v[:layout.n_inputs] = np.ravel(pairs)
    CompiledForward(layout)(v)
    with np.errstate(all="ignore"):
        expected = getattr(np, name)(*np.array(pairs).T)
    # the op's nodes are the first after the inputs in node order (level 1, one primitive)
    got = v[layout.n_inputs:layout.n_inputs + len(pairs)]
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    finite = np.isfinite(expected)
    np.testing.assert_array_equal(got[~finite & ~np.isnan(expected)], expected[~finite & ~np.isnan(expected)])
    np.testing.assert_allclose(got[finite], expected[finite], rtol=4e-16, atol=1e-300)


def chain(x, ops=anp, n=20_000):
    for k in range(n // 4):
        x = ops.sin(x) * 1.0001 + 0.1 if k % 2 else ops.tanh(x) - ops.exp(-x * x) * 0.01
    return x


def test_a_long_chain_goes_to_the_compiled_loops_and_agrees_with_autograd():
    plan = adjoint.compile(chain, 0.3)
    assert plan.engine == "scalar" and "compiled forward" in plan.reason, plan.reason
    for x in (0.3, -1.2, 2.0):
        value, g = plan.value_and_grad(x)
        assert value == pytest.approx(chain(np.float64(x), np), rel=1e-13)
        assert g == pytest.approx(autograd.grad(lambda x: chain(x, agnp))(x), rel=1e-10)


def test_small_programs_do_not_load_the_compiled_loops_by_themselves():
    plan = adjoint.compile(lambda x: chain(x, n=400), 0.3)
    assert "compiled" not in plan.reason
    assert 400 < compiled_loops.WORTH_COMPILING


@pytest.mark.parametrize("backward", ["compiled", "spsolve"])
def test_a_guard_is_checked_after_the_compiled_loop(backward):
    def f(x):
        y = chain(x, n=2000) + x
        return y * y if y > 0.5 else -y
    plan = adjoint.compile(f, 0.3, engine="scalar", forward="compiled", backward=backward)
    reference = adjoint.grad(f)
    for x in (0.3, -3.0, 0.3, 5.0):
        assert plan(x) == pytest.approx(reference(x), rel=1e-12)
    assert plan.retraces >= 1


def test_an_operation_without_a_compiled_loop_is_refused_by_name():
    with pytest.raises(Exception, match="compiled forward pass cannot run this program.*'fmod'"):
        adjoint.compile(lambda x: anp.fmod(chain(x, n=40), 0.7), 0.3, engine="scalar", forward="compiled")
    plan = adjoint.compile(lambda x: anp.fmod(chain(x, n=40_000), 0.7), 0.3)
    assert "compiled forward" not in plan.reason  # auto goes elsewhere


def test_without_numba_the_cost_model_leaves_the_compiled_loops_out(monkeypatch):
    monkeypatch.setattr(compiled_loops, "available", lambda: False)
    plan = adjoint.compile(chain, 0.3)
    assert plan.engine == "scalar" and "compiled" not in plan.reason
    assert plan(0.3) == pytest.approx(autograd.grad(lambda x: chain(x, agnp))(0.3), rel=1e-10)
