"""Saving and loading graphs of primitive nodes as JSON, safely.

A file holds ``{"format": "adjoint.ConstraintGraph", "format_version": 1, "graph": ...}``
where ``graph`` is ``networkx.node_link_data`` of the graph with JSON attributes: per node
its ``kind``, and for a primitive node its ``primitive`` name, ``args``, ``params``,
``constants`` and ``init``; per edge its ``positions``. Arrays are
``{"dtype": ..., "shape": [...], "data": nested lists}``; parameters are JSON values, with
``{"tuple": [...]}``, ``{"slice": [start, stop, step]}``, ``{"ellipsis": null}`` and
``{"array": ...}`` for what JSON lacks (an ``index`` such as ``x[1:, ..., None]``).

Loading never evaluates, unpickles or imports anything named in the file: primitives are
looked up in ``graphs.primitive.PRIMITIVES`` and nowhere else, arrays are rebuilt from
numbers of a fixed set of dtypes, sizes are bounded, and no constraint is run. Anything
malformed raises ``GraphError`` naming the node and field.
"""

import json
import math
import os

import networkx as nx
import numpy as np

from .constraint_graph import ConstraintGraph
from .errors import GraphError
from .primitive_graph import PrimitiveConstraint

__all__ = ["save", "load", "to_data", "from_data", "FORMAT", "FORMAT_VERSION", "MAX_ARRAY_SIZE"]

FORMAT = "adjoint.ConstraintGraph"
FORMAT_VERSION = 1
#: The largest array (number of entries) a file may hold in one constant, init or parameter.
MAX_ARRAY_SIZE = 10**8
#: The largest number of dimensions of an array in a file.
MAX_NDIM = 32
DTYPES = frozenset({
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64",
})
_NODE_FIELDS = {
    "input": {"id", "kind"},
    "constraint": {"id", "kind", "primitive", "args", "params", "constants", "init"},
}


def save(graph, path):
    """Write ``graph`` (built from primitive nodes) to the JSON file ``path``.

    Parameters
    ----------
    graph : ConstraintGraph
        Every constraint must be a primitive node (``ConstraintGraph.add_primitive`` or
        ``adjoint.trace``); node names must be strings or integers.
    path : str or os.PathLike

    Raises
    ------
    GraphError
        Naming the node: a constraint given as a Python function (only primitive graphs are
        saved), a name that is not a string or integer, a constant or parameter JSON cannot
        hold (a scipy.sparse matrix, a complex array).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from graphs.constraint_graph import ConstraintGraph
    >>> g = ConstraintGraph()
    >>> g.add_input("x")
    >>> g.add_primitive("s", "sin", ["x"])
    >>> g.add_primitive("y", "index", ["s"], params={"index": (slice(1, None), Ellipsis)})
    >>> path = os.path.join(tempfile.mkdtemp(), "graph.json")
    >>> save(g, path)
    >>> h = load(path)
    >>> h.nodes["y"]["params"], list(h.edges)
    ({'index': (slice(1, None, None), Ellipsis)}, [('x', 's'), ('s', 'y')])
    """
    text = json.dumps(to_data(graph))
    with open(os.fspath(path), "w", encoding="utf-8") as f:
        f.write(text)


def load(path):
    """Read a graph written by ``save``; nothing in the file is evaluated.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    ConstraintGraph

    Raises
    ------
    GraphError
        Naming the node and field, for a file that is not valid JSON, of another format
        or version, naming an unknown primitive, with a wrong number of arguments for a
        primitive, an array of absurd or inconsistent shape, node names that are not
        strings or integers, a cycle without any ``init``, or edges that disagree with
        the nodes' arguments.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "bad.json")
    >>> with open(path, "w") as f:
    ...     _ = f.write('{"format": "adjoint.ConstraintGraph", "format_version": 99}')
    >>> load(path)
    Traceback (most recent call last):
    ...
    graphs.errors.GraphError: format_version 99 is not supported: this library reads version 1
    """
    try:
        with open(os.fspath(path), "rb") as f:
            raw = f.read()
    except OSError as e:
        raise GraphError(f"cannot read the graph file {os.fspath(path)!r}: {e}") from e
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise GraphError(f"{os.fspath(path)!r} is not a UTF-8 JSON file: {e}") from None
    except json.JSONDecodeError as e:
        place = f"at line {e.lineno}, column {e.colno}"
        raise GraphError(f"{os.fspath(path)!r} is not valid JSON: {e.msg} {place}") from None
    except RecursionError:
        raise GraphError(f"{os.fspath(path)!r} nests JSON too deeply to be a graph file") from None
    return from_data(data)


def to_data(graph):
    """The JSON-able dict ``save`` writes (``networkx.node_link_data`` inside).

    Examples
    --------
    >>> from graphs.constraint_graph import ConstraintGraph
    >>> g = ConstraintGraph()
    >>> g.add_input("x")
    >>> g.add_primitive("y", "sum", ["x"], params={"axis": (0,)})
    >>> data = to_data(g)
    >>> data["format_version"], data["graph"]["nodes"][1]["params"]
    (1, {'axis': {'tuple': [0]}})
    """
    if not isinstance(graph, ConstraintGraph):
        raise GraphError(f"only a ConstraintGraph can be saved, got {type(graph).__name__}")
    graph.validate()
    plain = nx.DiGraph()
    for name, attrs in graph.nodes(data=True):
        _check_name(name, "node name")
        if attrs.get("kind") == "input":
            plain.add_node(name, kind="input")
            continue
        if not isinstance(attrs.get("fn"), PrimitiveConstraint) or "primitive" not in attrs:
            raise GraphError(
                f"node {name!r} is defined by a Python function; only graphs built from "
                f"primitives can be saved (ConstraintGraph.add_primitive, or adjoint.trace "
                f"of numpy code)"
            )
        for a in attrs["args"]:
            _check_name(a, f"argument of node {name!r}")
        plain.add_node(
            name,
            kind="constraint",
            primitive=attrs["primitive"],
            args=list(attrs["args"]),
            params={k: _encode_param(v, name, k) for k, v in attrs["params"].items()},
            constants={
                str(k): _encode_array(v, name, f"constant at position {k}") for k, v in attrs["constants"].items()
            },
            init=None if attrs.get("init") is None else _encode_array(attrs["init"], name, "init"),
        )
    for a, b, positions in graph.edges(data="positions"):
        plain.add_edge(a, b, positions=list(positions))
    return {"format": FORMAT, "format_version": FORMAT_VERSION, "graph": nx.node_link_data(plain)}


def from_data(data):
    """The graph of a dict as ``to_data`` makes it; validated, nothing evaluated.

    Examples
    --------
    >>> data = {"format": FORMAT, "format_version": 1, "graph": {
    ...     "directed": True, "multigraph": False, "graph": {},
    ...     "nodes": [{"id": "x", "kind": "input"},
    ...               {"id": "y", "kind": "constraint", "primitive": "exec", "args": ["x"]}],
    ...     "edges": [{"source": "x", "target": "y", "positions": [0]}]}}
    >>> from_data(data)
    Traceback (most recent call last):
    ...
    graphs.errors.GraphError: node 'y': unknown primitive 'exec'; it must be registered in
    graphs.primitive.PRIMITIVES (with graphs.primitive.primitive) before it is used
    """
    if not isinstance(data, dict):
        raise GraphError(f"a graph file holds a JSON object, not {type(data).__name__}")
    if data.get("format") != FORMAT:
        raise GraphError(f"not a graph file: field 'format' is {data.get('format')!r}, expected {FORMAT!r}")
    version = data.get("format_version")
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise GraphError(f"format_version {version!r} is not supported: this library reads version {FORMAT_VERSION}")
    body = data.get("graph")
    if not isinstance(body, dict) or not isinstance(body.get("nodes"), list) or not isinstance(body.get("edges"), list):
        raise GraphError("field 'graph' must be node-link data with lists 'nodes' and 'edges'")
    if body.get("directed") is not True or body.get("multigraph") not in (False, None):
        raise GraphError("field 'graph' must describe a directed graph that is not a multigraph")

    graph = ConstraintGraph()
    for k, node in enumerate(body["nodes"]):
        if not isinstance(node, dict):
            raise GraphError(f"node #{k} is not a JSON object")
        if "id" not in node:
            raise GraphError(f"node #{k} has no 'id'")
        name = node["id"]
        _check_name(name, f"name of node #{k}")
        kind = node.get("kind")
        if kind not in _NODE_FIELDS:
            raise GraphError(f"node {name!r}: field 'kind' is {kind!r}, expected 'input' or 'constraint'")
        extra = sorted(set(node) - _NODE_FIELDS[kind])
        if extra:
            raise GraphError(f"node {name!r}: unknown field {extra[0]!r} for a {kind} node")
        if name in graph and graph.nodes[name].get("kind") is not None:
            raise GraphError(f"node {name!r} appears twice in the file")
        if kind == "input":
            graph.add_input(name)
            continue
        primitive = node.get("primitive")
        if not isinstance(primitive, str):
            raise GraphError(f"node {name!r}: field 'primitive' must be a primitive's name, got {primitive!r}")
        args = node.get("args")
        if not isinstance(args, list):
            raise GraphError(f"node {name!r}: field 'args' must be a list of node names")
        for a in args:
            _check_name(a, f"argument of node {name!r}")
        params = node.get("params", {})
        if not isinstance(params, dict):
            raise GraphError(f"node {name!r}: field 'params' must be an object")
        params = {key: _decode_param(v, name, key) for key, v in params.items()}
        if isinstance(params.get("shape"), (list, tuple)):  # reshape / broadcast_to targets
            _decode_shape(list(params["shape"]), name, "parameter 'shape'", allow_minus_one=True)
        constants = node.get("constants", {})
        if not isinstance(constants, dict):
            raise GraphError(f"node {name!r}: field 'constants' must be an object {{position: array}}")
        decoded = {}
        for key, v in constants.items():
            if not (isinstance(key, str) and key.isdigit() and len(key) < 10):
                raise GraphError(f"node {name!r}: constant position {key!r} is not a non-negative integer")
            decoded[int(key)] = _decode_array(v, name, f"constant at position {key}")
        init = node.get("init")
        init = None if init is None else _decode_array(init, name, "init")
        graph.add_primitive(name, primitive, args, params, decoded, init)

    _check_edges(graph, body["edges"])
    graph.validate()
    _check_cycles_have_init(graph)
    return graph


def _check_name(name, what):
    if isinstance(name, bool) or not isinstance(name, (str, int)):
        raise GraphError(f"{what} {name!r} is a {type(name).__name__}; node names must be strings or integers")


def _check_edges(graph, edges):
    found = set()
    for k, e in enumerate(edges):
        if not isinstance(e, dict) or set(e) - {"source", "target", "positions"}:
            raise GraphError(f"edge #{k} must be an object with fields source, target, positions")
        source, target, positions = e.get("source"), e.get("target"), e.get("positions")
        _check_name(source, f"source of edge #{k}")
        _check_name(target, f"target of edge #{k}")
        integers = isinstance(positions, list) and all(
            isinstance(p, int) and not isinstance(p, bool) for p in positions
        )
        if not integers:
            raise GraphError(f"edge {source!r} -> {target!r}: field 'positions' must be a list of integers")
        found.add((source, target, tuple(positions)))
    expected = {(a, b, tuple(p)) for a, b, p in graph.edges(data="positions")}
    if found != expected:
        a, b, p = sorted(found ^ expected, key=repr)[0]
        side = "is not implied by" if (a, b, p) in found else "is missing, though implied by"
        raise GraphError(f"edge {a!r} -> {b!r} at positions {list(p)} {side} the arguments of node {b!r}")


def _check_cycles_have_init(graph):
    for component in nx.strongly_connected_components(graph):
        (first,) = list(component)[:1]
        if len(component) == 1 and not graph.has_edge(first, first):
            continue
        if all(graph.nodes[n].get("init") is None for n in component):
            names = sorted(map(repr, component))[:8]
            raise GraphError(
                f"nodes {', '.join(names)} form a cycle, but none of them has an init; a cycle "
                f"needs an initial value on at least one node"
            )


# --- arrays ---------------------------------------------------------------------------

def _encode_array(value, node, field):
    if hasattr(value, "tocsr") or hasattr(value, "toarray"):
        raise GraphError(
            f"node {node!r}: the {field} is a {type(value).__name__} (sparse) matrix, which a "
            f"graph file cannot hold; use a dense constant or keep this graph in memory"
        )
    if isinstance(value, (bool, int, float)) and not isinstance(value, np.generic):
        return {"scalar": value}  # a Python scalar stays one: identical results after loading
    array = np.asarray(value)
    if array.dtype.name not in DTYPES:
        raise GraphError(
            f"node {node!r}: the {field} has dtype {array.dtype}, which a graph file cannot hold; "
            f"supported: {', '.join(sorted(DTYPES))}"
        )
    data = array.tolist()
    return {"dtype": array.dtype.name, "shape": list(array.shape), "data": data}


def _decode_array(value, node, field):
    if not isinstance(value, dict):
        raise GraphError(f"node {node!r}: the {field} must be an array object, got {type(value).__name__}")
    if set(value) == {"scalar"}:
        scalar = value["scalar"]
        if not isinstance(scalar, (bool, int, float)):
            raise GraphError(f"node {node!r}: the {field} must be a number, got {scalar!r}")
        return scalar
    if set(value) != {"dtype", "shape", "data"}:
        raise GraphError(f"node {node!r}: the {field} must have exactly the fields dtype, shape, data")
    dtype, shape, data = value["dtype"], value["shape"], value["data"]
    if dtype not in DTYPES:
        raise GraphError(f"node {node!r}: the {field} has dtype {dtype!r}; supported: {', '.join(sorted(DTYPES))}")
    shape = _decode_shape(shape, node, f"shape of the {field}", allow_minus_one=False)
    _check_nested(data, shape, node, field, dtype)
    try:
        array = np.array(data, dtype=dtype)
    except (TypeError, ValueError, OverflowError) as e:
        raise GraphError(f"node {node!r}: the {field} cannot be read as {dtype}: {e}") from None
    if array.shape != shape:  # pragma: no cover - _check_nested guarantees it
        raise GraphError(f"node {node!r}: the {field} has shape {array.shape}, but claims {shape}")
    return array


def _decode_shape(shape, node, field, allow_minus_one):
    if not isinstance(shape, list) or len(shape) > MAX_NDIM:
        raise GraphError(f"node {node!r}: the {field} must be a list of at most {MAX_NDIM} integers, got {shape!r}")
    low = -1 if allow_minus_one else 0
    for n in shape:
        if isinstance(n, bool) or not isinstance(n, int) or n < low:
            raise GraphError(
                f"node {node!r}: the {field} {shape!r} has dimension {n!r}; dimensions are integers >= {low}"
            )
    size = math.prod(n for n in shape if n >= 0)
    if size > MAX_ARRAY_SIZE:
        raise GraphError(
            f"node {node!r}: the {field} {shape!r} has {size} entries, more than a graph file may "
            f"hold (MAX_ARRAY_SIZE = {MAX_ARRAY_SIZE})"
        )
    return tuple(shape)


def _check_nested(data, shape, node, field, dtype):
    """``data`` is nested lists of exactly ``shape`` holding numbers of ``dtype``'s kind."""
    level = [data]
    for depth, n in enumerate(shape):
        following = []
        for item in level:
            if not isinstance(item, list) or len(item) != n:
                raise GraphError(
                    f"node {node!r}: the {field}'s data does not have its claimed shape "
                    f"{list(shape)} (at depth {depth})"
                )
            following.extend(item)
        level = following
    kinds = (bool,) if dtype == "bool" else (bool, int) if "int" in dtype else (bool, int, float)
    for item in level:
        if not isinstance(item, kinds):
            raise GraphError(f"node {node!r}: the {field} holds {item!r}, which is not a number of its dtype {dtype}")


# --- parameters -----------------------------------------------------------------------

def _encode_param(value, node, key, depth=0):
    if depth > MAX_NDIM:
        raise GraphError(f"node {node!r}: parameter {key!r} nests too deeply to be saved")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if value is Ellipsis:
        return {"ellipsis": None}
    if isinstance(value, slice):
        parts = [value.start, value.stop, value.step]
        if not all(p is None or isinstance(p, (int, np.integer)) for p in parts):
            raise GraphError(f"node {node!r}: parameter {key!r} has a slice of non-integers {value!r}")
        return {"slice": [None if p is None else int(p) for p in parts]}
    if isinstance(value, tuple):
        return {"tuple": [_encode_param(v, node, key, depth + 1) for v in value]}
    if isinstance(value, list):
        return [_encode_param(v, node, key, depth + 1) for v in value]
    if isinstance(value, np.ndarray):
        return {"array": _encode_array(value, node, f"parameter {key!r}")}
    raise GraphError(
        f"node {node!r}: parameter {key!r} is a {type(value).__name__}, which a graph file cannot "
        f"hold (numbers, strings, None, lists, tuples, slices, Ellipsis and arrays can be saved)"
    )


def _decode_param(value, node, key, depth=0):
    if depth > MAX_NDIM:
        raise GraphError(f"node {node!r}: parameter {key!r} nests too deeply")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [_decode_param(v, node, key, depth + 1) for v in value]
    if isinstance(value, dict) and len(value) == 1:
        ((tag, inner),) = value.items()
        if tag == "ellipsis" and inner is None:
            return Ellipsis
        if tag == "slice" and isinstance(inner, list) and len(inner) == 3 and all(
            p is None or (isinstance(p, int) and not isinstance(p, bool)) for p in inner
        ):
            return slice(*inner)
        if tag == "tuple" and isinstance(inner, list):
            return tuple(_decode_param(v, node, key, depth + 1) for v in inner)
        if tag == "array":
            return _decode_array(inner, node, f"parameter {key!r}")
    raise GraphError(
        f"node {node!r}: parameter {key!r} holds {str(value)[:80]}, which is not a saved "
        f"parameter (a JSON value, or an object tagged tuple, slice, ellipsis or array)"
    )
