"""Graph files: trace → save → load → solve round trips, and hostile files rejected safely."""

import copy
import json

import numpy as np
import pytest
import scipy.sparse as sp

import adjoint
import adjoint.numpy as anp
from graphs.serialisation import FORMAT_VERSION, MAX_ARRAY_SIZE, from_data, to_data

RNG = np.random.default_rng(3)
M = RNG.normal(size=(3, 4))
X = RNG.normal(size=(4,))
X23 = RNG.normal(size=(2, 3))

# Programs covering every family of primitives and every kind of parameter a trace records.
PROGRAMS = [
    ("elementwise", lambda x: anp.sum(anp.exp(anp.sin(x)) * anp.tanh(x) / (2.0 + anp.cos(x)) - x ** 3), X),
    ("int and bool constants", lambda x: anp.sum(x ** 2 + anp.where(x > 0, x, 0.5 * x) * 3), X),
    ("maximum clip arctan2", lambda x: anp.sum(anp.maximum(x, 0.1) + anp.clip(x, -0.5, 0.5) + anp.arctan2(x, 2.0)), X),
    ("matmul constant", lambda x: anp.sum(anp.tanh(M @ x) ** 2), X),
    ("dot outer", lambda x: anp.dot(x, x) + anp.sum(anp.outer(x, x[:2])), X),
    ("reductions with axis", lambda x: anp.sum(anp.mean(x, axis=0) * anp.max(x, axis=1, keepdims=True)) + anp.prod(x[0]), X23),
    ("min axis tuple", lambda x: anp.sum(anp.min(x, axis=(0,)) ** 2) + anp.sum(x, axis=(0, 1)), X23),
    ("reshape transpose", lambda x: anp.sum(anp.reshape(x, (3, 2)).T @ anp.ravel(x)[:3] ** 2), X23),
    ("expand squeeze broadcast", lambda x: anp.sum(anp.squeeze(anp.expand_dims(x, 0), axis=0) * anp.broadcast_to(x[:, :1], (2, 3))), X23),
    ("slices ellipsis newaxis", lambda x: anp.sum(x[1:, ..., None] * x[::-1, None, :2].sum()), X23),
    ("integer and list index", lambda x: anp.sum(x[0] * x[[1, 1, 0]]) + x[-1, 2], X23),
    ("array and mask index", lambda x: anp.sum(x[np.array([0, 1, 1])] ** 2) + anp.sum(x[np.array([True, False, True, True])]), X),
    ("concatenate stack", lambda x: anp.sum(anp.concatenate([x, x * 2]) * anp.stack([x, x ** 2], axis=1).ravel()), X),
]


@pytest.mark.parametrize("fun, x", [p[1:] for p in PROGRAMS], ids=[p[0] for p in PROGRAMS])
def test_trace_save_load_solve_round_trip(tmp_path, fun, x):
    graph, inputs, output = adjoint.trace(fun, x)
    value, g = adjoint.value_and_grad(fun)(x)
    sol = adjoint.solve(graph, inputs, output)
    assert sol.objective == pytest.approx(float(value), rel=1e-14, abs=1e-14)
    np.testing.assert_allclose(sol.gradient["x0"], g, rtol=1e-13, atol=1e-14)
    assert adjoint.solve(graph, inputs, output, adjoint="triangular").gradient["x0"] == pytest.approx(g, rel=1e-12, abs=1e-13)

    path = tmp_path / "graph.json"
    adjoint.save(graph, path)
    loaded = adjoint.load(path)
    assert list(loaded.nodes) == list(graph.nodes) and list(loaded.edges(data=True)) == list(graph.edges(data=True))
    for n in graph.constraints:
        assert loaded.nodes[n]["primitive"] == graph.nodes[n]["primitive"]
        assert repr(loaded.nodes[n]["params"]) == repr(graph.nodes[n]["params"])
    again = adjoint.solve(loaded, inputs, output)
    for field in ("values", "multipliers", "gradient"):  # identical, bit for bit
        a, b = getattr(sol, field), getattr(again, field)
        assert list(a) == list(b) and all(np.array_equal(a[k], b[k]) for k in a), field
    assert again.objective == sol.objective


def test_trace_of_several_arguments_and_nested_ones():
    def f(W, p):
        return anp.sum(anp.tanh(W @ p["v"]) * p["s"])

    args = (M, {"v": X, "s": 0.5})
    graph, inputs, output = adjoint.trace(f, *args, argnum=(0, 1))
    assert sorted(inputs) == ["x0", "x1_0", "x1_1"]
    sol = adjoint.solve(graph, inputs, output)
    gW, gp = adjoint.grad(f, argnum=(0, 1))(*args)
    np.testing.assert_allclose(sol.gradient["x0"], gW, rtol=1e-14)
    np.testing.assert_allclose(sol.gradient["x1_0"], gp["v"], rtol=1e-14)
    assert float(sol.gradient["x1_1"]) == pytest.approx(gp["s"], rel=1e-14)


def primitive_cycle():
    """z = tanh(W z + U x), y = 0.5 sin(z) + z (a two-node cycle through z), J = sum(y²)."""
    W = RNG.normal(size=(3, 3)) * 0.2
    U = RNG.normal(size=(3, 2))
    g = adjoint.ConstraintGraph()
    g.add_input("x")
    g.add_primitive("Wy", "matmul", ["y"], constants={0: W})
    g.add_primitive("Ux", "matmul", ["x"], constants={0: U})
    g.add_primitive("s", "add", ["Wy", "Ux"])
    g.add_primitive("z", "tanh", ["s"], init=np.zeros(3))
    g.add_primitive("sz", "sin", ["z"])
    g.add_primitive("hz", "multiply", ["sz"], constants={0: 0.5})
    g.add_primitive("y", "add", ["hz", "z"])
    g.add_primitive("y2", "square", ["y"])
    g.add_primitive("J", "sum", ["y2"], params={"axis": None, "keepdims": False})
    return g, {"x": np.array([0.3, -0.8])}, "J"


@pytest.mark.parametrize("options", [{}, {"forward": "anderson", "adjoint": "gmres"}], ids=["auto", "anderson-gmres"])
def test_cyclic_primitive_graph_round_trip(tmp_path, options):
    graph, inputs, output = primitive_cycle()
    sol = adjoint.solve(graph, inputs, output, **options)
    assert len(sol.blocks) == 1 and sol.blocks[0].converged
    adjoint.save(graph, tmp_path / "cycle.json")
    loaded = adjoint.load(tmp_path / "cycle.json")
    assert np.array_equal(loaded.nodes["z"]["init"], np.zeros(3))
    again = adjoint.solve(loaded, inputs, output, **options)
    for field in ("values", "multipliers", "gradient"):
        a, b = getattr(sol, field), getattr(again, field)
        assert all(np.array_equal(a[k], b[k]) for k in a), field
    # the gradient is right: central differences through the loaded graph
    d = np.array([0.6, -0.8])
    J = lambda x: adjoint.solve(loaded, {"x": x}, output, forward="newton", rtol=1e-13).values["J"]  # noqa: E731
    fd = (J(inputs["x"] + 1e-5 * d) - J(inputs["x"] - 1e-5 * d)) / 2e-5
    assert float(again.gradient["x"] @ d) == pytest.approx(float(fd), rel=1e-6)


def test_python_scalar_and_dtype_constants_survive(tmp_path):
    g = adjoint.ConstraintGraph()
    g.add_input("x")
    g.add_primitive("a", "power", ["x"], constants={1: 3})
    g.add_primitive("b", "multiply", ["a"], constants={0: 0.25})
    g.add_primitive("c", "where", ["b", "x"], constants={0: np.array([True, False])})
    g.add_primitive("d", "multiply", ["c"], constants={1: np.array([2, -1], dtype=np.int32)})
    adjoint.save(g, tmp_path / "g.json")
    h = adjoint.load(tmp_path / "g.json")
    assert type(h.nodes["a"]["constants"][1]) is int and type(h.nodes["b"]["constants"][0]) is float
    assert h.nodes["c"]["constants"][0].dtype == bool and h.nodes["d"]["constants"][1].dtype == np.int32
    x = {"x": np.array([0.5, -1.5])}
    assert np.array_equal(adjoint.solve(h, x, ("d", np.ones(2))).gradient["x"],
                          adjoint.solve(g, x, ("d", np.ones(2))).gradient["x"])


def lambda_graph():
    g = adjoint.ConstraintGraph()
    g.add_input("x")
    g.add_primitive("s", "sin", ["x"])
    g.add_constraint("y", lambda s: s * 2, ["s"])
    return g


def sparse_graph():
    graph, _, _ = adjoint.trace(lambda x: anp.sum(anp.sparse_matmul(sp.eye(4, format="csr"), x)), X)
    return graph


def tuple_names_graph():
    g = adjoint.ConstraintGraph()
    g.add_input(("x", 0))
    g.add_primitive("s", "sin", [("x", 0)])
    return g


def complex_constant_graph():
    g = adjoint.ConstraintGraph()
    g.add_input("x")
    g.add_primitive("s", "multiply", ["x"], constants={1: np.array([1j])})
    return g


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda_graph, r"node 'y' is defined by a Python function; only graphs built from primitives can be saved"),
        (sparse_graph, r"node 'sparse_matmul_1': the constant at position 0 is a csr_matrix \(sparse\) matrix"),
        (tuple_names_graph, r"node name \('x', 0\) is a tuple; node names must be strings or integers"),
        (complex_constant_graph, r"node 's': the constant at position 1 has dtype complex128"),
    ],
    ids=["lambda constraint", "sparse constant", "tuple names", "complex constant"],
)
def test_unsaveable_graphs(tmp_path, build, match):
    with pytest.raises(adjoint.GraphError, match=match):
        adjoint.save(build(), tmp_path / "g.json")
    assert not (tmp_path / "g.json").exists()


@pytest.mark.parametrize(
    "fun, match",
    [
        (lambda x: adjoint.fixed_point(lambda z, x: anp.cos(z) / 2 + x, 0.0, x), r"applies 'fixed_point', which is not a registered primitive"),
        (lambda x: anp.sum(np.ones(3)), r"result does not depend on the traced arguments"),
    ],
    ids=["fixed_point inside", "constant output"],
)
def test_untraceable_programs(fun, match):
    with pytest.raises(adjoint.GraphError, match=match):
        adjoint.trace(fun, 1.0)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda g: g.add_primitive("y", "no_such_primitive", ["x"]), r"node 'y': unknown primitive 'no_such_primitive'"),
        (lambda g: g.add_primitive("y", "sin", ["x", "x"]), r"node 'y': primitive 'sin' takes 1 argument, got 2"),
        (lambda g: g.add_primitive("y", "reshape", ["x"]), r"node 'y': primitive 'reshape' cannot be applied to 1 argument .*'shape'"),
        (lambda g: g.add_primitive("y", "sum", ["x"], params={"where": True}), r"node 'y': primitive 'sum' does not take parameter 'where'; its parameters are axis, keepdims"),
        (lambda g: g.add_primitive("y", "add", ["x", "x"], params={"out": None}), r"node 'y': parameter 'out' of 'add' is not allowed"),
        (lambda g: g.add_primitive("y", "sin", ["x"], params={"axis": 0}), r"node 'y': primitive 'sin' does not take parameter 'axis'; it takes none"),
        (lambda g: g.add_primitive("y", "add", ["x"], constants={5: 1.0}), r"node 'y': constant position 5 is not an integer in 0..1"),
        (lambda g: g.add_primitive("y", "sin", "x"), r"node 'y': args must be a list of node names, got 'x'"),
        (lambda g: g.add_primitive("x", "sin", ["x"]), r"'x' is an input: it cannot also be defined by a constraint"),
    ],
    ids=["unknown primitive", "arity", "missing parameter", "unknown parameter", "out=", "ufunc parameter",
         "constant position", "args string", "redefine input"],
)
def test_add_primitive_rejects_bad_nodes(call, match):
    g = adjoint.ConstraintGraph()
    g.add_input("x")
    with pytest.raises(adjoint.GraphError, match=match):
        call(g)


# --- hostile files ---------------------------------------------------------------------

def base_data():
    g = adjoint.ConstraintGraph()
    g.add_input("x")
    g.add_primitive("s", "sin", ["x"])
    g.add_primitive("y", "multiply", ["s"], constants={1: np.array([1.0, 2.0])})
    g.add_primitive("J", "sum", ["y"], params={"axis": None, "keepdims": False})
    return to_data(g)


def node(data, name):
    return next(n for n in data["graph"]["nodes"] if n["id"] == name)


def edit(fn):
    """A hostile file: the valid base file, changed by ``fn(data)``."""
    def make():
        data = copy.deepcopy(base_data())
        fn(data)
        return json.dumps(data).encode()
    return make


def text(raw):
    return lambda: raw


def _set(path, value):
    def fn(data):
        *keys, last = path
        target = data
        for k in keys:
            target = target[k]
        target[last] = value
    return fn


def on_node(name, **fields):
    def fn(data):
        node(data, name).update(fields)
    return fn


def constant(**fields):
    return on_node("y", constants={"1": {"dtype": "float64", "shape": [2], "data": [1.0, 2.0], **fields}})


def make_cycle(init):
    def fn(data):  # s = sin(y) instead of sin(x): s -> y -> s is a cycle
        node(data, "s")["args"] = ["y"]
        node(data, "s")["init"] = init
        edges = data["graph"]["edges"]
        edges[:] = [e for e in edges if e["source"] != "x"] + [{"source": "y", "target": "s", "positions": [0]}]
    return fn


def add_edge(data):
    data["graph"]["edges"].append({"source": "x", "target": "J", "positions": [0]})


def drop_edges(data):
    data["graph"]["edges"] = []


def duplicate_node(data):
    data["graph"]["nodes"].append(dict(node(data, "s")))


def undefined_argument(data):
    node(data, "J")["args"] = ["nowhere"]
    data["graph"]["edges"] = [e for e in data["graph"]["edges"] if e["target"] != "J"] + [
        {"source": "nowhere", "target": "J", "positions": [0]}]


HOSTILE = [
    ("truncated JSON", text(b'{"format": "adjoint.ConstraintGraph", "format_ver'), r"is not valid JSON: .* line 1"),
    ("not UTF-8", text(b"\xff\xfe{}"), r"is not a UTF-8 JSON file"),
    ("deeply nested", text(b"[" * 100000 + b"]" * 100000), r"nests JSON too deeply|is not valid JSON"),
    ("top level a list", text(b"[1, 2]"), r"a graph file holds a JSON object, not list"),
    ("another format", edit(_set(["format"], "pickle")), r"not a graph file: field 'format' is 'pickle'"),
    ("future version", edit(_set(["format_version"], FORMAT_VERSION + 1)), rf"format_version {FORMAT_VERSION + 1} is not supported"),
    ("version as string", edit(_set(["format_version"], "1")), r"format_version '1' is not supported"),
    ("version as bool", edit(_set(["format_version"], True)), r"format_version True is not supported"),
    ("no nodes", edit(_set(["graph", "nodes"], None)), r"field 'graph' must be node-link data"),
    ("multigraph", edit(_set(["graph", "multigraph"], True)), r"must describe a directed graph that is not a multigraph"),
    ("node not an object", edit(lambda d: d["graph"]["nodes"].append("x")), r"node #4 is not a JSON object"),
    ("node without id", edit(lambda d: d["graph"]["nodes"].append({"kind": "input"})), r"node #4 has no 'id'"),
    ("list as node name", edit(on_node("s", id=["s"])), r"name of node #1 \['s'\] is a list; node names must be strings or integers"),
    ("float as node name", edit(on_node("s", id=1.5)), r"name of node #1 1.5 is a float; node names must be strings"),
    ("bool as node name", edit(on_node("s", id=True)), r"name of node #1 True is a bool"),
    ("unknown kind", edit(on_node("s", kind="code")), r"node 's': field 'kind' is 'code', expected 'input' or 'constraint'"),
    ("extra field", edit(on_node("s", fn="os.system")), r"node 's': unknown field 'fn' for a constraint node"),
    ("field on an input", edit(on_node("x", primitive="sin")), r"node 'x': unknown field 'primitive' for a input node"),
    ("unknown primitive", edit(on_node("s", primitive="system")), r"node 's': unknown primitive 'system'"),
    ("dotted primitive", edit(on_node("s", primitive="os.system")), r"node 's': unknown primitive 'os.system'"),
    ("dunder primitive", edit(on_node("s", primitive="__import__")), r"node 's': unknown primitive '__import__'"),
    ("primitive not a string", edit(on_node("s", primitive={"module": "os"})), r"node 's': field 'primitive' must be a primitive's name"),
    ("args not a list", edit(on_node("s", args="x")), r"node 's': field 'args' must be a list of node names"),
    ("wrong arity", edit(on_node("s", args=["x", "x"])), r"node 's': primitive 'sin' takes 1 argument, got 2"),
    ("too few arguments", edit(on_node("y", constants={})), r"node 'y': primitive 'multiply' takes 2 arguments, got 1"),
    ("unknown parameter", edit(on_node("J", params={"axis": None, "where": False})), r"node 'J': primitive 'sum' does not take parameter 'where'"),
    ("out parameter", edit(on_node("J", params={"out": None})), r"node 'J': parameter 'out' of 'sum' is not allowed"),
    ("tagged object parameter", edit(on_node("J", params={"axis": {"__class__": "os.system"}})), r"node 'J': parameter 'axis' holds .*, which is not a saved parameter"),
    ("bad slice parameter", edit(on_node("J", params={"axis": {"slice": ["a", 1, None]}})), r"node 'J': parameter 'axis' holds"),
    ("absurd shape parameter", edit(on_node("J", primitive="reshape", params={"shape": {"tuple": [10**6, 10**6]}})), r"node 'J': the parameter 'shape' \[1000000, 1000000\] has 1000000000000 entries"),
    ("negative shape parameter", edit(on_node("J", primitive="reshape", params={"shape": [-2]})), r"node 'J': the parameter 'shape' \[-2\] has dimension -2"),
    ("constant of 10^12 entries", edit(constant(shape=[10**6, 10**6])), rf"node 'y': the shape of the constant at position 1 .* has 1000000000000 entries, more than .*max_array_size = {MAX_ARRAY_SIZE}"),
    ("negative dimension", edit(constant(shape=[-2])), r"node 'y': the shape of the constant at position 1 \[-2\] has dimension -2"),
    ("too many dimensions", edit(constant(shape=[1] * 40)), r"node 'y': the shape of the constant at position 1 must be a list of at most 32"),
    ("data not of its shape", edit(constant(shape=[3])), r"node 'y': the constant at position 1's data does not have its claimed shape \[3\]"),
    ("ragged data", edit(constant(shape=[2, 2], data=[[1.0, 2.0], [3.0]])), r"does not have its claimed shape \[2, 2\] \(at depth 1\)"),
    ("strings in data", edit(constant(data=["1.0", "2.0"])), r"node 'y': the constant at position 1 holds '1.0', which is not a number"),
    ("float in an int array", edit(constant(dtype="int64", data=[1.5, 2])), r"node 'y': the constant at position 1 holds 1.5, which is not a number of its dtype int64"),
    ("number in a bool array", edit(constant(dtype="bool", data=[1, True])), r"holds 1, which is not a number of its dtype bool"),
    ("object dtype", edit(constant(dtype="object")), r"node 'y': the constant at position 1 has dtype 'object'; supported:"),
    ("complex dtype", edit(constant(dtype="complex128")), r"has dtype 'complex128'"),
    ("int overflow", edit(constant(dtype="int8", data=[1000, 1])), r"node 'y': the constant at position 1 cannot be read as int8"),
    ("constant position not a number", edit(on_node("y", constants={"one": {"scalar": 2.0}})), r"node 'y': constant position 'one' is not a non-negative integer"),
    ("constant position out of range", edit(on_node("y", constants={"7": {"scalar": 2.0}})), r"node 'y': constant position 7 is not an integer in 0..1"),
    ("scalar constant not a number", edit(on_node("y", constants={"1": {"scalar": "2"}})), r"node 'y': the constant at position 1 must be a number"),
    ("absurd init", edit(on_node("s", init={"dtype": "float64", "shape": [10**12], "data": []})), r"node 's': the shape of the init \[1000000000000\] has 1000000000000 entries"),
    ("cycle without init", edit(make_cycle(None)), r"nodes 's', 'y' form a cycle, but none of them has an init"),
    ("undefined argument", edit(undefined_argument), r"'nowhere' is used as an argument by 'J' but is neither an input nor a constraint"),
    ("duplicate node", edit(duplicate_node), r"node 's' appears twice in the file"),
    ("edge not implied", edit(add_edge), r"edge 'x' -> 'J' at positions \[0\] is not implied by the arguments of node 'J'"),
    ("edges missing", edit(drop_edges), r"edge .* is missing, though implied by the arguments of node"),
]


@pytest.mark.parametrize("make, match", [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE])
def test_hostile_files_raise_graph_errors(tmp_path, make, match):
    path = tmp_path / "hostile.json"
    path.write_bytes(make())
    with pytest.raises(adjoint.GraphError, match=match):
        adjoint.load(path)


def test_base_file_and_a_cycle_with_init_load(tmp_path):
    """The hostile table's starting points are valid: each case fails only by its edit."""
    assert sorted(from_data(base_data()).constraints) == ["J", "s", "y"]
    data = copy.deepcopy(base_data())
    make_cycle({"dtype": "float64", "shape": [2], "data": [0.0, 0.0]})(data)
    constant(data=[0.5, 0.25])(data)  # s = sin(c * s): a contraction, solution s = 0
    g = from_data(data)
    assert g.nodes["s"]["init"].shape == (2,)
    sol = adjoint.solve(g, {"x": np.zeros(2)}, "J")
    assert sol.blocks[0].converged and np.allclose(sol.values["s"], 0.0)


def test_missing_file():
    with pytest.raises(adjoint.GraphError, match=r"cannot read the graph file '/no/such/graph.json'"):
        adjoint.load("/no/such/graph.json")
