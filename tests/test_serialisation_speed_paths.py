"""The fast paths of ``save`` and ``load`` decide exactly as the general checks do.

``to_data`` writes networkx's node-link lists without building a DiGraph, and ``from_data``
checks the common node names, edges and acyclic graphs inline, falling back to the general
checks otherwise. Each case here takes the fallback, or sits at the border between the two.
"""

import enum
import gc

import networkx as nx
import numpy as np
import pytest

from graphs.constraint_graph import ConstraintGraph
from graphs.errors import GraphError
from graphs.serialisation import FORMAT, FORMAT_VERSION, Limits, from_data, load, save, to_data


class Name(str):
    """A node name of a subclass of str: accepted, but not by the inline check."""


class Position(enum.IntEnum):
    ZERO = 0


def chain():
    g = ConstraintGraph()
    g.add_input("x")
    g.add_primitive("s", "sin", ["x"])
    g.add_primitive("y", "multiply", ["s", "s"])
    g.add_primitive("J", "sum", ["y"], params={"axis": None, "keepdims": False})
    return g


def data_of(nodes, edges):
    return {"format": FORMAT, "format_version": FORMAT_VERSION,
            "graph": {"directed": True, "multigraph": False, "graph": {}, "nodes": nodes, "edges": edges}}


def inp(name):
    return {"id": name, "kind": "input"}


def con(name, primitive, args, init=None):
    return {"id": name, "kind": "constraint", "primitive": primitive, "args": args, "params": {},
            "constants": {}, "init": init}


def test_to_data_is_networkx_node_link_data():
    """The lists written directly are those ``nx.node_link_data`` makes, key order included."""
    g = chain()
    plain = nx.DiGraph()
    for node in to_data(g)["graph"]["nodes"]:
        plain.add_node(node["id"], **{k: v for k, v in node.items() if k != "id"})
    for a, b, p in g.edges(data="positions"):
        plain.add_edge(a, b, positions=list(p))
    expected = nx.node_link_data(plain, edges="edges")
    assert to_data(g)["graph"] == expected
    assert [list(n) for n in to_data(g)["graph"]["nodes"]] == [list(n) for n in expected["nodes"]]
    assert [list(e) for e in to_data(g)["graph"]["edges"]] == [list(e) for e in expected["edges"]]


ACCEPTED = [
    ("str subclass names", data_of(
        [inp(Name("x")), con(Name("y"), "sin", [Name("x")])],
        [{"source": Name("x"), "target": Name("y"), "positions": [0]}])),
    ("int subclass position", data_of(
        [inp("x"), con("y", "sin", ["x"])], [{"source": "x", "target": "y", "positions": [Position.ZERO]}])),
    ("argument defined later", data_of(
        [inp("x"), con("z", "sin", ["y"]), con("y", "cos", ["x"])],
        [{"source": "y", "target": "z", "positions": [0]}, {"source": "x", "target": "y", "positions": [0]}])),
    ("edges in another order than save writes", data_of(
        [inp("x"), con("s", "sin", ["x"]), con("y", "multiply", ["s", "x"])],
        [{"source": "s", "target": "y", "positions": [0]}, {"source": "x", "target": "y", "positions": [1]},
         {"source": "x", "target": "s", "positions": [0]}])),
    ("empty fields left out, as save writes them", data_of(
        [inp("x"), {"id": "y", "kind": "constraint", "primitive": "sin", "args": ["x"]}],
        [{"source": "x", "target": "y", "positions": [0]}])),
    ("cycle with an init", data_of(
        [inp("x"), con("y", "add", ["x", "y"], init={"scalar": 0.0})],
        [{"source": "x", "target": "y", "positions": [0]}, {"source": "y", "target": "y", "positions": [1]}])),
]


@pytest.mark.parametrize("data", [c[1] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED])
def test_general_route_accepts(data):
    g = from_data(data)
    assert sorted(map(str, g.nodes)) == sorted(str(n["id"]) for n in data["graph"]["nodes"])


REFUSED = [
    ("self-loop without init", data_of(
        [inp("x"), con("y", "add", ["x", "y"])],
        [{"source": "x", "target": "y", "positions": [0]}, {"source": "y", "target": "y", "positions": [1]}]),
     "form a cycle"),
    ("backward cycle without init", data_of(
        [inp("x"), con("a", "add", ["x", "b"]), con("b", "sin", ["a"])],
        [{"source": "x", "target": "a", "positions": [0]}, {"source": "b", "target": "a", "positions": [1]},
         {"source": "a", "target": "b", "positions": [0]}]),
     "form a cycle"),
    ("bool position", data_of(
        [inp("x"), con("y", "sin", ["x"])], [{"source": "x", "target": "y", "positions": [False]}]),
     "must be a list of integers"),
    ("float position equal to the implied one", data_of(
        [inp("x"), con("y", "sin", ["x"])], [{"source": "x", "target": "y", "positions": [0.0]}]),
     "must be a list of integers"),
    ("bool source equal to the implied one", data_of(
        [inp(1), con("y", "sin", [1])], [{"source": True, "target": "y", "positions": [0]}]),
     "node names must be strings or integers"),
    ("bool node name", data_of([inp(True)], []), "node names must be strings or integers"),
    ("float argument", data_of([inp("x"), con("y", "sin", [1.5])], []), "argument of node 'y'"),
    ("edge with an extra field", data_of(
        [inp("x"), con("y", "sin", ["x"])], [{"source": "x", "target": "y", "positions": [0], "w": 1}]),
     "edge #0 must be an object"),
    ("edge missing a field", data_of(
        [inp("x"), con("y", "sin", ["x"])], [{"source": "x", "positions": [0], "w": 1}]),
     "edge #0 must be an object"),
    ("edge without positions", data_of(
        [inp("x"), con("y", "sin", ["x"])], [{"source": "x", "target": "y"}]), "must be a list of integers"),
    ("edge not implied", data_of(
        [inp("x"), con("y", "sin", ["x"])], [{"source": "x", "target": "y", "positions": [1]}]),
     "implied by the arguments"),
    ("unknown node field", data_of([{"id": "x", "kind": "input", "w": 1}], []), "unknown field 'w'"),
    ("node twice", data_of([inp("x"), con("x", "sin", ["x"])], []), "appears twice"),
    ("constant position out of range", data_of(
        [inp("x"), dict(con("y", "sin", ["x"]), constants={"5": {"scalar": 1.0}})], []),
     "constant position 5"),
    ("unknown primitive", data_of([inp("x"), con("y", "exec", ["x"])], []), "unknown primitive 'exec'"),
]


@pytest.mark.parametrize("data, match", [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_general_route_refuses(data, match):
    with pytest.raises(GraphError, match=match):
        from_data(data)
    assert gc.isenabled()  # the collector, paused while building, runs again


@pytest.mark.parametrize("digits, match", [(4300, None), (5000, "Python does not parse"), (101, "max_int_digits")])
def test_integer_literals_at_the_inline_parser_border(tmp_path, digits, match):
    """Literals short enough are parsed inline; longer ones still meet both limits."""
    path = tmp_path / "g.json"
    path.write_text('{"format": "adjoint.ConstraintGraph", "format_version": 1, "n": ' + "9" * digits + "}")
    limits = Limits(max_int_digits=10**4) if digits > 100 and match != "max_int_digits" else None
    if match is None:
        with pytest.raises(GraphError, match="field 'graph'"):  # parsed: the file is refused later
            load(path, limits)
    else:
        with pytest.raises(GraphError, match=match):
            load(path, limits)


def test_save_leaves_empty_fields_out():
    nodes = {n["id"]: n for n in to_data(chain())["graph"]["nodes"]}
    assert set(nodes["s"]) == {"id", "kind", "primitive", "args"}
    assert set(nodes["J"]) == {"id", "kind", "primitive", "args", "params"}


def test_round_trip_keeps_the_graph(tmp_path):
    g = chain()
    save(g, tmp_path / "g.json")
    h = load(tmp_path / "g.json")
    assert list(h.nodes(data="kind")) == list(g.nodes(data="kind"))
    assert list(h.edges(data="positions")) == list(g.edges(data="positions"))
    assert float(h.nodes["J"]["fn"](np.array([1.0, 2.0]))) == 3.0
    assert gc.isenabled()
