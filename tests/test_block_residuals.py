"""The residual a cyclic block's linear solve reports is that of the whole block system,
whether it is recomputed (one more application of J_BB) or certified by the method."""

import numpy as np
import pytest

import adjoint
from adjoint.graph.cyclic.linear_solve import apply_block, solve_block_linear
from adjoint.graph.linearisation import linearise
from adjoint.graph.settings import Settings
from graphs.structure import strongly_connected_blocks

rng = np.random.default_rng(3)
W = rng.standard_normal((6, 6))
W *= 0.8 / np.linalg.norm(W, 2)


def one_node():
    g = adjoint.ConstraintGraph()
    g.add_input("x")
    g.add_constraint("z", lambda z, x: np.tanh(W @ z + x), ["z", "x"], init=np.zeros(6))
    return g, {"z": [np.full(6, 0.3), np.linspace(-1, 1, 6)]}


def two_nodes():
    g = adjoint.ConstraintGraph()
    g.add_input("x")
    g.add_constraint("a", lambda b, x: np.tanh(W @ b + x), ["b", "x"], init=np.zeros(6))
    g.add_constraint("b", lambda a: 0.9 * np.sin(a), ["a"])
    return g, {"a": [np.full(6, 0.3), np.linspace(-1, 1, 6)], "b": [np.full(6, 0.2)]}


@pytest.mark.parametrize("graph", [one_node, two_nodes])
@pytest.mark.parametrize("method", ["fixed_point", "gmres", "direct", "neumann"])
@pytest.mark.parametrize("transpose", [True, False])
def test_the_reported_residual_is_the_block_systems(graph, method, transpose):
    g, args = graph()
    (block,) = strongly_connected_blocks(g)
    lins = {n: linearise(g, n, args[n]) for n in block.nodes}
    rhs = {block.nodes[0]: np.cos(np.arange(6.0))}
    settings = Settings(adjoint_options={"terms": 3} if method == "neumann" else {}, rtol=1e-6)
    x, outer, report = solve_block_linear(block, lins, rhs, method, settings, transpose)
    inside, full_outer = apply_block(block, lins, x, transpose)
    r = np.concatenate([x[n] - (rhs.get(n, 0.0) + inside.get(n, 0.0)) for n in block.nodes])
    b = np.linalg.norm(np.concatenate([np.ravel(rhs.get(n, np.zeros(6))) for n in block.nodes]))
    assert report.residual == pytest.approx(np.linalg.norm(r) / b, rel=1e-9, abs=1e-15)
    if transpose:  # the contributions to the parameters are the full ones
        assert [a for a, _ in outer] == [a for a, _ in full_outer]
        for (_, c), (_, d) in zip(outer, full_outer):
            np.testing.assert_allclose(c, d, rtol=1e-14)
