"""A graph of primitive nodes solves by the primitives' own rules (no tape per node): the same bits as the tape route.

``linearise`` evaluates a primitive node by its impl and differentiates it by its rules
directly; forcing every node back onto the one-record tape (``_linearise_primitive``
answering ``None``) must not change a single bit of values, multipliers, gradients or
tangents, acyclic or cyclic, array or scalar.
"""

import numpy as np
import pytest

import adjoint
import adjoint.graph.linearisation as linearisation
import adjoint.numpy as anp
from graphs.constraint_graph import ConstraintGraph


def _array_program(x, y):
    z = anp.sin(x) * 2.0 + x[::-1] * y
    w = anp.sum(anp.exp(z) / (1.0 + x ** 2), axis=0) - 3.0 * anp.tanh(y)
    return anp.sum(w * w) + anp.dot(x, x)


def _scalar_program(x):
    for _ in range(10):
        x = anp.sin(x) * 0.5 + x * 0.25 + 0.7 / (1.0 + x ** 2) + anp.exp(-x) * anp.tanh(x)
        x = anp.sqrt(x * x + 1.0) - anp.log(1.0 + anp.abs(x)) + anp.maximum(x, 0.1) ** 1.5
    return x


def _cycle():
    g = ConstraintGraph()
    g.add_input("a")
    g.add_primitive("c", "cos", ["z"])
    g.add_primitive("h", "multiply", ["c"], constants={1: 0.5})
    g.add_primitive("z", "add", ["h", "a"], init=np.zeros(2))
    g.add_primitive("J", "sum", ["z"], params={"axis": None, "keepdims": False})
    return g


def _array_case():
    graph, inputs, out = adjoint.trace(_array_program, np.array([0.1, 0.5, -0.3]), np.float64(0.7))
    s = adjoint.solve(graph, inputs, out)
    t = adjoint.solve_tangent(graph, inputs, {"x0": np.ones(3)})
    return [s.values, s.multipliers, s.gradient, t.tangents, adjoint.solve(graph, inputs, out, adjoint="triangular").gradient]


def _scalar_case():
    graph, inputs, out = adjoint.trace(_scalar_program, np.float64(0.3))
    s = adjoint.solve(graph, inputs, out)
    return [s.values, s.multipliers, s.gradient, adjoint.solve_tangent(graph, inputs, {"x0": 1.0}).tangents]


def _cyclic_case():
    inputs = {"a": np.array([1.0, 2.0])}
    g = _cycle()
    s = adjoint.solve(g, inputs, "J")
    d = adjoint.solve(g, inputs, "J", forward="newton", adjoint="direct")
    return [s.values, s.multipliers, s.gradient, d.gradient, adjoint.solve_tangent(g, inputs, {"a": np.ones(2)}).tangents]


@pytest.mark.parametrize("case", [_array_case, _scalar_case, _cyclic_case], ids=["array", "scalar", "cyclic"])
def test_the_primitive_fast_path_gives_the_tape_routes_bits(case, monkeypatch):
    fast = case()
    monkeypatch.setattr(linearisation, "_linearise_primitive", lambda *args: None)
    tape = case()
    for a, b in zip(fast, tape, strict=True):
        assert a.keys() == b.keys()
        for k in a:
            assert type(a[k]) is type(b[k]) and np.shape(a[k]) == np.shape(b[k]), k
            assert np.array_equal(a[k], b[k]), (k, a[k], b[k])


def test_the_scalar_graph_gradient_is_grads():
    graph, inputs, out = adjoint.trace(_scalar_program, np.float64(0.3))
    assert adjoint.solve(graph, inputs, out).gradient["x0"] == pytest.approx(adjoint.grad(_scalar_program)(0.3), rel=1e-13)
