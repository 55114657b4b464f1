"""Explicit constraint graphs: values, multipliers and gradients of ordinary programs."""

import numpy as np
import pytest

import adjoint
import adjoint.numpy as anp


def vieira_graph(perturb=None):
    """Vieira (2017), "Backprop is not just the chain rule": z3 = z1 z2, z4 = sin z3, z5 = z4 + z1."""
    eps = perturb or {}
    g = adjoint.ConstraintGraph()
    g.add_input("z1")
    g.add_input("z2")
    g.add_constraint("z3", lambda a, b: a * b + eps.get("z3", 0.0), ["z1", "z2"])
    g.add_constraint("z4", lambda a: anp.sin(a) + eps.get("z4", 0.0), ["z3"])
    g.add_constraint("z5", lambda a, b: a + b + eps.get("z5", 0.0), ["z4", "z1"])
    return g


def test_vieira_hand_derived_multipliers_and_gradient():
    z1, z2 = 0.7, -1.3
    sol = adjoint.solve(vieira_graph(), {"z1": z1, "z2": z2}, "z5")
    # By hand from ∂L/∂z = 0, in reverse topological order:
    lam5 = 1.0
    lam4 = lam5 * 1.0
    lam3 = lam4 * np.cos(z1 * z2)
    assert sol.multipliers["z5"] == pytest.approx(lam5, abs=1e-15)
    assert sol.multipliers["z4"] == pytest.approx(lam4, abs=1e-15)
    assert sol.multipliers["z3"] == pytest.approx(lam3, abs=1e-15)
    assert sol.gradient["z1"] == pytest.approx(lam5 + lam3 * z2, abs=1e-15)
    assert sol.gradient["z2"] == pytest.approx(lam3 * z1, abs=1e-15)
    assert sol.objective == pytest.approx(np.sin(z1 * z2) + z1, abs=1e-15)
    assert sol.values["z3"] == pytest.approx(z1 * z2, abs=1e-15)


def mlp_graph(perturb=None):
    """A small graph with vector nodes, a fan-out and a reduction."""
    eps = perturb or {}
    A = np.random.default_rng(0).normal(size=(4, 3))
    g = adjoint.ConstraintGraph()
    g.add_input("x")
    g.add_input("w")
    g.add_constraint("h", lambda x: anp.tanh(A @ x) + eps.get("h", 0.0), ["x"])
    g.add_constraint("u", lambda h, w: h * w + eps.get("u", 0.0), ["h", "w"])
    g.add_constraint("v", lambda h, u: anp.exp(-h) * u + eps.get("v", 0.0), ["h", "u"])
    g.add_constraint("J", lambda u, v: anp.sum(u ** 2) + anp.sum(v) + eps.get("J", 0.0), ["u", "v"])
    return g


MLP_INPUTS = {"x": np.array([0.3, -0.2, 0.5]), "w": np.array([1.0, -2.0, 0.5, 0.25])}
VIEIRA_INPUTS = {"z1": 0.7, "z2": -1.3}


@pytest.mark.parametrize(
    "build, inputs, objective, node",
    [
        (vieira_graph, VIEIRA_INPUTS, "z5", "z3"),
        (vieira_graph, VIEIRA_INPUTS, "z5", "z4"),
        (mlp_graph, MLP_INPUTS, "J", "h"),
        (mlp_graph, MLP_INPUTS, "J", "u"),
        (mlp_graph, MLP_INPUTS, "J", "v"),
    ],
)
def test_multiplier_is_sensitivity_to_constraint_perturbation(build, inputs, objective, node):
    """λ_i = dJ/dε for z_i = f_i(...) + ε, checked by central differences along a direction."""
    sol = adjoint.solve(build(), inputs, objective)
    lam = sol.multipliers[node]
    direction = np.random.default_rng(1).normal(size=np.shape(lam))
    h = 1e-6
    plus = adjoint.solve(build({node: h * direction}), inputs, objective).objective
    minus = adjoint.solve(build({node: -h * direction}), inputs, objective).objective
    fd = (plus - minus) / (2 * h)
    assert np.sum(lam * direction) == pytest.approx(fd, rel=1e-7, abs=1e-9)


def random_scalar_dag(seed, n=60):
    """A random program of scalar nodes: each node applies a random op to earlier nodes."""
    rng = np.random.default_rng(seed)
    ops = [
        (lambda a, b: a * b, 2), (lambda a, b: a + anp.sin(b), 2), (lambda a: anp.tanh(a), 1),
        (lambda a, b: a - 0.5 * b, 2), (lambda a: anp.exp(-a * a), 1), (lambda a, b: a / (1.5 + anp.cos(b)), 2),
    ]
    g = adjoint.ConstraintGraph()
    names = [f"x{k}" for k in range(4)]
    for x in names:
        g.add_input(x)
    for k in range(n):
        fn, arity = ops[rng.integers(len(ops))]
        args = list(rng.choice(names, size=arity))
        g.add_constraint(f"z{k}", fn, args)
        names.append(f"z{k}")
    g.add_constraint("J", lambda *zs: sum(zs), names[-10:])
    inputs = {f"x{k}": float(rng.uniform(-1, 1)) for k in range(4)}
    return g, inputs


@pytest.mark.parametrize("seed", range(5))
def test_matrix_free_and_assembled_back_substitution_agree(seed):
    g, inputs = random_scalar_dag(seed)
    matrix_free = adjoint.solve(g, inputs, "J")
    assembled = adjoint.solve(g, inputs, "J", adjoint="triangular")
    for name in g.constraints:
        np.testing.assert_allclose(assembled.multipliers[name], matrix_free.multipliers[name], rtol=1e-12, atol=1e-14)
    for x in g.inputs:
        np.testing.assert_allclose(assembled.gradient[x], matrix_free.gradient[x], rtol=1e-12, atol=1e-14)


def test_assembled_path_handles_vector_nodes():
    matrix_free = adjoint.solve(mlp_graph(), MLP_INPUTS, "J")
    assembled = adjoint.solve(mlp_graph(), MLP_INPUTS, "J", adjoint="triangular")
    for name in ("h", "u", "v"):
        np.testing.assert_allclose(assembled.multipliers[name], matrix_free.multipliers[name], rtol=1e-12)
    np.testing.assert_allclose(assembled.gradient["x"], matrix_free.gradient["x"], rtol=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_graph_gradient_matches_grad_of_the_same_program(seed):
    g, inputs = random_scalar_dag(seed)
    sol = adjoint.solve(g, inputs, "J")

    def program(xs):
        values = dict(zip(sorted(inputs), xs))
        for name in [n for n in g.constraints]:
            node = g.nodes[name]
            values[name] = node["fn"](*[values[a] for a in node["args"]])
        return values["J"]

    xs = [inputs[k] for k in sorted(inputs)]
    expected = adjoint.grad(program)(xs)
    np.testing.assert_allclose([sol.gradient[k] for k in sorted(inputs)], expected, rtol=1e-12)


def test_vector_objective_with_cotangent_is_a_vjp():
    A = np.array([[1.0, 2.0], [0.5, -1.0], [3.0, 0.0]])
    g = adjoint.ConstraintGraph()
    g.add_input("x")
    g.add_constraint("y", lambda x: anp.sin(A @ x), ["x"])
    x = np.array([0.2, -0.4])
    v = np.array([1.0, -2.0, 0.5])
    sol = adjoint.solve(g, {"x": x}, ("y", v))
    np.testing.assert_allclose(sol.gradient["x"], A.T @ (np.cos(A @ x) * v), rtol=1e-13)


def test_constraint_graph_structure_and_attributes():
    g = vieira_graph()
    assert isinstance(g, __import__("networkx").DiGraph)
    assert set(g.edges) == {("z1", "z3"), ("z2", "z3"), ("z3", "z4"), ("z4", "z5"), ("z1", "z5")}
    assert g.nodes["z5"]["args"] == ("z4", "z1")
    assert callable(g.nodes["z5"]["fn"])
    assert g.nodes["z1"]["kind"] == "input"


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda g: (g.add_input("x"), g.add_constraint("x", lambda: 1.0, [])), "'x' is an input"),
        (lambda g: (g.add_constraint("y", lambda: 1.0, []), g.add_constraint("y", lambda: 2.0, [])), "defined twice"),
        (lambda g: (g.add_input("x"), g.add_input("x")), "declared twice"),
        (lambda g: g.add_constraint("y", "not callable", []), "must be callable"),
        (lambda g: g.add_constraint("y", lambda a: a, "x"), "list of node names"),
    ],
)
def test_graph_building_errors(build, match):
    with pytest.raises(adjoint.GraphError, match=match):
        build(adjoint.ConstraintGraph())


def test_solve_does_not_mutate_inputs_or_graph():
    g = mlp_graph()
    inputs = {k: v.copy() for k, v in MLP_INPUTS.items()}
    before = (set(g.nodes), set(g.edges), {n: dict(d) for n, d in g.nodes(data=True)})
    first = adjoint.solve(g, inputs, "J")
    second = adjoint.solve(g, inputs, "J")
    for k in MLP_INPUTS:
        np.testing.assert_array_equal(inputs[k], MLP_INPUTS[k])
        np.testing.assert_array_equal(first.gradient[k], second.gradient[k])
    assert before == (set(g.nodes), set(g.edges), {n: dict(d) for n, d in g.nodes(data=True)})
