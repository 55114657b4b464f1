"""Nothing lost: inputs and graphs are never mutated, results are reproducible bit for bit,
and solves on concurrent threads give the serial answers."""

import copy
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import adjoint
import adjoint.numpy as anp
from graphs.primitive_graph import PrimitiveConstraint

RNG = np.random.default_rng(7)
A = RNG.normal(size=(4, 3))
W = RNG.normal(size=(3, 3)) * 0.2


def mlp_graph():
    g = adjoint.ConstraintGraph()
    g.add_input("x")
    g.add_input("w")
    g.add_constraint("h", lambda x: anp.tanh(A @ x), ["x"])
    g.add_constraint("u", lambda h, w: h * w, ["h", "w"])
    g.add_constraint("J", lambda h, u: anp.sum(u ** 2) + anp.sum(anp.exp(-h) * u), ["h", "u"])
    return g, {"x": np.array([0.3, -0.2, 0.5]), "w": np.array([1.0, -2.0, 0.5, 0.25])}, "J"


def cyclic_graph():
    """Two nodes on a cycle, both with init arrays, between acyclic input and output nodes."""
    g = adjoint.ConstraintGraph()
    g.add_input("x")
    g.add_constraint("p", lambda x: anp.sin(x), ["x"])
    g.add_constraint("a", lambda b, p: anp.tanh(W @ b + p), ["b", "p"], init=np.zeros(3))
    g.add_constraint("b", lambda a, p: 0.5 * anp.cos(a) * p, ["a", "p"], init=np.full(3, 0.1))
    g.add_constraint("J", lambda a, b: anp.sum(a * b) + anp.sum(a), ["a", "b"])
    return g, {"x": np.array([0.4, -0.3, 0.9])}, "J"


def traced_graph():
    graph, inputs, output = adjoint.trace(lambda M, v: anp.sum(anp.tanh(M @ v) * v[0]), W, np.ones(3), argnum=(0, 1))
    return graph, inputs, output


def primitive_cycle():
    """z = tanh(W z + x) as primitive nodes, with init."""
    g = adjoint.ConstraintGraph()
    g.add_input("x")
    g.add_primitive("Wz", "matmul", ["z"], constants={0: W})
    g.add_primitive("s", "add", ["Wz", "x"])
    g.add_primitive("z", "tanh", ["s"], init=np.zeros(3))
    g.add_primitive("J", "sum", ["z"], params={"axis": None, "keepdims": False})
    return g, {"x": np.array([0.2, 0.1, -0.5])}, "J"


GRAPHS = [mlp_graph, cyclic_graph, traced_graph, primitive_cycle]
METHODS = [
    {},
    {"forward": "anderson", "adjoint": "gmres"},
    {"forward": "fixed_point", "adjoint": "fixed_point", "sweep": "gauss_seidel"},
    {"forward": "newton_krylov", "adjoint": "bicgstab"},
]


def same(a, b):
    """Deep equality, arrays compared by dtype, shape and every bit of their values."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype
                and a.shape == b.shape and np.array_equal(a, b, equal_nan=True))
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, PrimitiveConstraint):
        return (isinstance(b, PrimitiveConstraint) and a.primitive is b.primitive and a.arity == b.arity
                and same(a.params, b.params) and same(a.constants, b.constants))
    return a is b or a == b


def snapshot(graph):
    return copy.deepcopy((dict(graph.graph), list(graph.nodes(data=True)), list(graph.edges(data=True))))


def outcome(sol):
    """Everything a Solution reports, for bit-for-bit comparisons."""
    reports = [(b.nodes, b.iterates, b.forward.iterations, b.forward.residual, b.method, b.iterations, b.residual)
               for b in sol.blocks]
    return (sol.values, sol.multipliers, sol.gradient, sol.objective, reports)


@pytest.mark.parametrize("build", GRAPHS, ids=[b.__name__ for b in GRAPHS])
def test_solve_mutates_neither_graph_nor_inputs(build):
    graph, inputs, output = build()
    graph_before, inputs_before = snapshot(graph), copy.deepcopy(inputs)
    sol = adjoint.solve(graph, inputs, output)
    assert same(snapshot(graph), graph_before)
    assert same(inputs, inputs_before)
    for x in inputs:  # the Solution holds copies: changing it cannot reach the caller's arrays
        sol.values[x][...] = 123.0
    assert same(inputs, inputs_before)


def with_fixed_point(M, p):
    z = adjoint.fixed_point(lambda z, v: anp.cos(z) / 2 + v, 0.0, p["s"])
    return anp.sum(anp.tanh(M @ p["v"]) * p["s"]) + z


def plain(M, p):
    return anp.sum(anp.tanh(M @ p["v"]) * p["s"])


@pytest.mark.parametrize(
    "action, f",
    [
        (lambda f, args: adjoint.grad(f, argnum=(0, 1))(*args), with_fixed_point),
        (lambda f, args: adjoint.value_and_grad(f)(*args), with_fixed_point),
        (lambda f, args: adjoint.check_grads(f, *args, argnum=(0, 1)), with_fixed_point),
        (lambda f, args: adjoint.taylor_test(lambda x: f(x, args[1]), args[0]), with_fixed_point),
        (lambda f, args: adjoint.trace(f, *args, argnum=(0, 1)), plain),
    ],
    ids=["grad", "value_and_grad", "check_grads", "taylor_test", "trace"],
)
def test_differentiating_does_not_mutate_arguments(action, f):
    args = (W.copy(), {"v": np.array([0.1, 0.2, 0.3]), "s": 0.5})
    before = copy.deepcopy(args)
    action(f, args)
    assert same(args, before)


def test_save_and_load_do_not_mutate(tmp_path):
    graph, inputs, output = primitive_cycle()
    before = snapshot(graph)
    adjoint.save(graph, tmp_path / "g.json")
    assert same(snapshot(graph), before)
    loaded = adjoint.load(tmp_path / "g.json")
    adjoint.solve(loaded, inputs, output)
    assert same(snapshot(loaded), snapshot(adjoint.load(tmp_path / "g.json")))


@pytest.mark.parametrize("options", METHODS, ids=["auto", "anderson-gmres", "fixed_point-gauss_seidel", "newton_krylov-bicgstab"])
@pytest.mark.parametrize("build", GRAPHS, ids=[b.__name__ for b in GRAPHS])
def test_solving_twice_is_bit_identical(build, options):
    graph, inputs, output = build()
    first = outcome(adjoint.solve(graph, inputs, output, **options))
    second = outcome(adjoint.solve(graph, inputs, output, **options))
    assert same(first, second)
    rebuilt, inputs2, _ = build()  # a fresh but equal graph gives the same bits too
    assert same(outcome(adjoint.solve(rebuilt, inputs2, output, **options)), first)


def grad_through_fixed_point():
    def f(x):
        z = adjoint.fixed_point(lambda z, x: anp.tanh(W @ z + x), np.zeros(3), x)
        return anp.sum(z * z)

    value, g = adjoint.value_and_grad(f)(np.array([0.3, -0.1, 0.2]))
    return {"value": value, "grad": g}


def task(build, options):
    def run():
        graph, inputs, output = build()
        return outcome(adjoint.solve(graph, inputs, output, **options))
    return run


def test_concurrent_solves_match_serial():
    tasks = [task(b, m) for b in GRAPHS for m in METHODS[:2]] + [grad_through_fixed_point]
    serial = [t() for t in tasks]
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [(k, pool.submit(t)) for _ in range(3) for k, t in enumerate(tasks)]
        results = [(k, f.result()) for k, f in futures]
    for k, result in results:
        assert same(result, serial[k]), f"task {k} differs on a thread"


def test_concurrent_solves_share_one_graph():
    """Several threads solving the very same graph object: it is only read."""
    graph, inputs, output = cyclic_graph()
    before = snapshot(graph)
    expected = outcome(adjoint.solve(graph, inputs, output))
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: outcome(adjoint.solve(graph, inputs, output)), range(8)))
    assert all(same(r, expected) for r in results)
    assert same(snapshot(graph), before)
