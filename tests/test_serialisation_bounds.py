"""Graph files that imply huge allocations are refused at load, before anything is built.

Each hostile file is small (bytes to kilobytes) but asks, in some spelling, for an array of
10⁹ or more entries: it must raise a ``GraphError`` naming the node, the parameter and the
limit, quickly. Raising the limit (``Limits``) lets a legitimate larger file load.
"""

import json
import time

import numpy as np
import pytest

import adjoint
import adjoint.numpy as anp
from graphs.serialisation import FORMAT, FORMAT_VERSION, Limits, from_data

BIG = 10**12


def graph_file(primitive, params=None, constants=None, args=("x",)):
    """A file of input ``x``, node ``y = primitive(...)`` and ``J = sum(y)``, edges implied."""
    nodes = [
        {"id": "x", "kind": "input"},
        {"id": "y", "kind": "constraint", "primitive": primitive, "args": list(args),
         "params": params or {}, "constants": constants or {}, "init": None},
        {"id": "J", "kind": "constraint", "primitive": "sum", "args": ["y"],
         "params": {"axis": None, "keepdims": False}, "constants": {}, "init": None},
    ]
    edges = [{"source": "x", "target": "y", "positions": [k for k, a in enumerate(args) if a == "x"]}] if args else []
    edges.append({"source": "y", "target": "J", "positions": [0]})
    data = {"format": FORMAT, "format_version": FORMAT_VERSION,
            "graph": {"directed": True, "multigraph": False, "graph": {}, "nodes": nodes, "edges": edges}}
    return data


def tagged(values, dtype="int64"):
    array = np.asarray(values, dtype=dtype)
    return {"array": {"dtype": dtype, "shape": list(array.shape), "data": array.tolist()}}


def array(values, dtype="int64"):
    return tagged(values, dtype)["array"]


def column(n):  # an index array of shape (n, 1): with one of shape (n,) it broadcasts to n²
    return np.arange(n).reshape(n, 1) % 2


LIMIT = r"more than a graph file may hold or imply \(limits.max_array_size = 100000000\)"

HOSTILE = [
    ("broadcast_to shape as an integer", graph_file("broadcast_to", {"shape": BIG}),
     rf"node 'y': the parameter 'shape' \[1000000000000\] has 1000000000000 entries, {LIMIT}"),
    ("broadcast_to shape as a list", graph_file("broadcast_to", {"shape": [BIG]}),
     rf"node 'y': the parameter 'shape' \[1000000000000\] has 1000000000000 entries, {LIMIT}"),
    ("broadcast_to shape as a tuple", graph_file("broadcast_to", {"shape": {"tuple": [10**5, 10**5]}}),
     rf"node 'y': the parameter 'shape' \[100000, 100000\] has 10000000000 entries, {LIMIT}"),
    ("broadcast_to shape as a tagged array", graph_file("broadcast_to", {"shape": tagged([BIG])}),
     rf"node 'y': the parameter 'shape' \[1000000000000\] has 1000000000000 entries, {LIMIT}"),
    ("broadcast_to shape as a 0-d tagged array", graph_file("broadcast_to", {"shape": tagged(BIG)}),
     r"node 'y': the parameter 'shape' \[1000000000000\] has 1000000000000 entries"),
    ("broadcast_to shape of 0-d tagged arrays", graph_file("broadcast_to", {"shape": [tagged(10**5), tagged(10**5)]}),
     r"node 'y': the parameter 'shape' \[100000, 100000\] has 10000000000 entries"),
    ("broadcast_to shape as a uint64 array", graph_file("broadcast_to", {"shape": tagged([2**64 - 1], "uint64")}),
     r"node 'y': the parameter 'shape' \[18446744073709551615\] has 18446744073709551615 entries"),
    ("broadcast_to shape as a scalar constant", graph_file("broadcast_to", constants={"1": {"scalar": BIG}}),
     rf"node 'y': the argument 'shape' \(a constant\) \[1000000000000\] has 1000000000000 entries, {LIMIT}"),
    ("broadcast_to shape as an array constant", graph_file("broadcast_to", constants={"1": array([10**6, 10**6])}),
     r"node 'y': the argument 'shape' \(a constant\) \[1000000, 1000000\] has 1000000000000 entries"),
    ("broadcast_to empty but huge dimension", graph_file("broadcast_to", {"shape": [0, 2**63]}),
     r"node 'y': the parameter 'shape' \[0, 9223372036854775808\] has a dimension of 9223372036854775808, more than .*max_array_size"),
    ("broadcast_to shape of floats", graph_file("broadcast_to", {"shape": [1e12]}),
     r"node 'y': the parameter 'shape' is a shape target, which must be an integer or a list of integers, got \[1000000000000.0\]"),
    ("reshape target as an integer", graph_file("reshape", {"shape": BIG}),
     rf"node 'y': the parameter 'shape' \[1000000000000\] has 1000000000000 entries, {LIMIT}"),
    ("reshape target below -1", graph_file("reshape", {"shape": -5}),
     r"node 'y': the parameter 'shape' \[-5\] has dimension -5; dimensions are integers >= -1"),
    ("scatter_add shape", graph_file("scatter_add", {"shape": {"tuple": [10**6, 10**6]}, "index": 0}),
     rf"node 'y': the parameter 'shape' \[1000000, 1000000\] has 1000000000000 entries, {LIMIT}"),
    ("fft size s", graph_file("fft_fftn", {"s": {"tuple": [BIG]}, "axes": {"tuple": [0]}, "norm": None}),
     rf"node 'y': the parameter 's' \[1000000000000\] has 1000000000000 entries, {LIMIT}"),
    ("fancy index of tagged arrays broadcasting to 4e8", graph_file("index", {"index": {"tuple": [
        tagged(column(20000)), tagged(np.zeros(20000, int))]}}),
     rf"node 'y': the arrays of the parameter 'index' broadcast to \[20000, 20000\], which has 400000000 entries, {LIMIT}"),
    ("fancy index of lists broadcasting to 4e8", graph_file("index", {"index": {"tuple": [
        column(20000).tolist(), [0] * 20000]}}),
     r"node 'y': the arrays of the parameter 'index' broadcast to \[20000, 20000\], which has 400000000 entries"),
    ("fancy index with a mask", graph_file("index", {"index": {"tuple": [
        tagged(column(20000)), tagged(np.ones(20000, bool), "bool")]}}),
     r"node 'y': the arrays of the parameter 'index' broadcast to \[20000, 20000\], which has 400000000 entries"),
    ("scatter_add index", graph_file("scatter_add", {"shape": {"tuple": [2]}, "index": {"tuple": [
        tagged(column(20000)), tagged(np.zeros(20000, int))]}}),
     r"node 'y': the arrays of the parameter 'index' broadcast to \[20000, 20000\], which has 400000000 entries"),
    ("elementwise constants broadcasting to 4e8", graph_file("where", constants={
        "0": array(column(20000), "bool"), "2": array(np.zeros(20000))}),
     rf"node 'y': the constants broadcast to \[20000, 20000\], which has 400000000 entries, {LIMIT}"),
    ("ufunc constants broadcasting to 4e8", graph_file("add", constants={
        "0": array(column(20000)), "1": array(np.zeros(20000))}, args=()),
     r"node 'y': the constants broadcast to \[20000, 20000\], which has 400000000 entries"),
    ("astype to huge strings", graph_file("astype", {"dtype": "U1000000000"}),
     r"node 'y': the parameter 'dtype' is 'U1000000000', which is not the name of a numeric dtype"),
    ("astype to a subarray dtype", graph_file("astype", {"dtype": "(100000,)f8"}),
     r"node 'y': the parameter 'dtype' is '\(100000,\)f8', which is not the name of a numeric dtype"),
    ("astype to a dtype numpy cannot describe", graph_file("astype", {"dtype": "(1000000000,)f8"}),
     r"node 'y': the parameter 'dtype' is '\(1000000000,\)f8', which is not the name of a numeric dtype"),
]


@pytest.mark.parametrize("data, match", [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE])
def test_files_implying_huge_arrays_are_refused_quickly(tmp_path, data, match):
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(data))
    start = time.perf_counter()
    with pytest.raises(adjoint.GraphError, match=match):
        adjoint.load(path)
    assert time.perf_counter() - start < 2.0


def text_file(tmp_path, raw):
    path = tmp_path / "hostile.json"
    path.write_text(raw)
    return path


@pytest.mark.parametrize(
    "digits, match",
    [
        (5000, r"an integer literal of 5000 digits, more than limits.max_int_digits = 100"),
        (101, r"an integer literal of 101 digits, more than limits.max_int_digits = 100"),
    ],
    ids=["beyond Python's limit", "beyond the file limit"],
)
def test_long_integer_literals_are_graph_errors(tmp_path, digits, match):
    data = json.dumps(graph_file("broadcast_to", {"shape": 7}))
    path = text_file(tmp_path, data.replace('"shape": 7', '"shape": ' + "9" * digits))
    with pytest.raises(adjoint.GraphError, match=match):
        adjoint.load(path)


def test_integer_literal_beyond_pythons_own_limit_when_the_file_limit_is_raised(tmp_path):
    data = json.dumps(graph_file("broadcast_to", {"shape": 7}))
    path = text_file(tmp_path, data.replace('"shape": 7', '"shape": ' + "9" * 5000))
    with pytest.raises(adjoint.GraphError, match=r"5000 digits, which Python does not parse \(sys.get_int_max_str_digits"):
        adjoint.load(path, limits=Limits(max_int_digits=10**6))


@pytest.mark.parametrize(
    "limits, match",
    [
        (Limits(max_file_bytes=100), r"is larger than limits.max_file_bytes = 100 bytes"),
        (Limits(max_nodes=2), r"the file has 3 nodes, more than limits.max_nodes = 2"),
        (Limits(max_edges=1), r"the file has 2 edges, more than limits.max_edges = 1"),
        (Limits(max_array_size=5), r"node 'y': the parameter 'shape' \[2, 3\] has 6 entries, .*max_array_size = 5"),
        (Limits(max_ndim=0), r"node 'y': the shape of the parameter 'shape' must be a list of at most 0 integers"),
    ],
    ids=["file bytes", "nodes", "edges", "array size", "ndim"],
)
def test_each_limit_is_enforced_and_named(tmp_path, limits, match):
    path = text_file(tmp_path, json.dumps(graph_file("broadcast_to", {"shape": tagged([2, 3])})))
    with pytest.raises(adjoint.GraphError, match=match):
        adjoint.load(path, limits=limits)
    assert adjoint.load(path).nodes["y"]["params"]["shape"].tolist() == [2, 3]  # within the defaults


def test_arguments_of_all_nodes_count_as_edges():
    data = graph_file("concatenate", args=["x"] * 50)
    with pytest.raises(adjoint.GraphError, match=r"node 'y': its 50 arguments bring .* to 50, more than limits.max_edges = 10"):
        from_data(data, Limits(max_edges=10))


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: Limits(max_nodes=-1), r"Limits.max_nodes must be a non-negative integer, got -1"),
        (lambda: Limits(max_array_size=1e9), r"Limits.max_array_size must be a non-negative integer, got 1000000000.0"),
        (lambda: adjoint.load("g.json", limits={"max_nodes": 3}), r"limits must be a graphs.serialisation.Limits"),
    ],
    ids=["negative", "float", "dict"],
)
def test_bad_limits(make, match):
    with pytest.raises(adjoint.InvalidArgumentError, match=match):
        make()


def test_raising_a_limit_lets_a_legitimate_larger_file_load(tmp_path):
    x = np.linspace(-1.0, 1.0, 50)
    f = lambda x: anp.sum(anp.broadcast_to(x, (40, 50)) * np.arange(40.0)[:, None])  # noqa: E731
    graph, inputs, output = adjoint.trace(f, x)
    adjoint.save(graph, tmp_path / "g.json")
    with pytest.raises(adjoint.GraphError, match=r"the parameter 'shape' \[40, 50\] has 2000 entries, .*max_array_size = 1000"):
        adjoint.load(tmp_path / "g.json", limits=Limits(max_array_size=1000))
    loaded = adjoint.load(tmp_path / "g.json", limits=Limits(max_array_size=2000))
    gradient = adjoint.solve(loaded, inputs, output).gradient["x0"]
    np.testing.assert_allclose(gradient, np.full(50, np.arange(40.0).sum()), rtol=1e-14)


def test_a_graph_beyond_the_default_limit_loads_with_it_raised(tmp_path):
    """Loading builds nothing: a 3·10⁸-entry broadcast loads once allowed (no solve here)."""
    path = text_file(tmp_path, json.dumps(graph_file("broadcast_to", {"shape": {"tuple": [3 * 10**8]}})))
    with pytest.raises(adjoint.GraphError, match=r"has 300000000 entries, .*max_array_size = 100000000"):
        adjoint.load(path)
    loaded = adjoint.load(path, limits=Limits(max_array_size=10**9))
    assert loaded.nodes["y"]["params"]["shape"] == (3 * 10**8,)


@pytest.mark.parametrize(
    "fun",
    [
        lambda x: anp.sum(anp.clip(x, None, 0.5) ** 2),
        lambda x: anp.sum(anp.clip(x, -0.5, None) ** 2),
        lambda x: anp.sum(anp.clip(x, None, np.array([0.0, 0.5, 1.0])) * x),
    ],
    ids=["no lower bound", "no upper bound", "array upper bound"],
)
def test_clip_with_an_omitted_bound_round_trips(tmp_path, fun):
    x = np.array([0.1, 0.7, -2.0])
    graph, inputs, output = adjoint.trace(fun, x)
    adjoint.save(graph, tmp_path / "clip.json")
    loaded = adjoint.load(tmp_path / "clip.json")
    assert None in loaded.nodes["clip_1"]["constants"].values()
    expected = adjoint.grad(fun)(x)
    assert np.array_equal(adjoint.solve(loaded, inputs, output).gradient["x0"], expected)
    assert np.array_equal(adjoint.solve(graph, inputs, output).gradient["x0"], expected)


def test_a_traced_cast_round_trips_with_its_dtype(tmp_path):
    f = lambda x: anp.sum(x.astype(np.float32) * 2.0)  # noqa: E731
    graph, inputs, output = adjoint.trace(f, np.ones(3))
    path = str(tmp_path / "cast.json")
    adjoint.save(graph, path)
    loaded = adjoint.solve(adjoint.load(path), inputs, output).gradient["x0"]
    np.testing.assert_allclose(loaded, adjoint.grad(f)(np.ones(3)), rtol=1e-6)
