"""Saving and loading graphs of primitive nodes as JSON, safely.

A file holds ``{"format": "adjoint.ConstraintGraph", "format_version": 1, "graph": ...}``
where ``graph`` is ``networkx.node_link_data`` of the graph with JSON attributes: per node
its ``kind``, and for a primitive node its ``primitive`` name, ``args``, ``params``,
``constants`` and ``init`` (these three left out where empty); per edge its ``positions``. Arrays are
``{"dtype": ..., "shape": [...], "data": nested lists}``; parameters are JSON values, with
``{"tuple": [...]}``, ``{"slice": [start, stop, step]}``, ``{"ellipsis": null}`` and
``{"array": ...}`` for what JSON lacks (an ``index`` such as ``x[1:, ..., None]``).

Loading never evaluates, unpickles or imports anything named in the file: primitives are
looked up in ``graphs.primitive.PRIMITIVES`` and nowhere else, arrays are rebuilt from
numbers of a fixed set of dtypes, and no constraint is run. Anything malformed raises
``GraphError`` naming the node and field.

Every size a file can imply is bounded before anything is built, by ``Limits`` (adjustable:
``load(path, limits=Limits(max_array_size=10**9))``): the file's bytes, the digits of an
integer literal, the numbers of nodes and of arguments (edges), the entries and dimensions
of every array it holds, and the entries of every array it asks for without holding it —
``shape`` targets of ``broadcast_to``, ``reshape`` and ``scatter_add`` in any spelling (an
integer, a list, a tagged array, or a constant at that argument's position), the ``s`` of
an FFT, the broadcast of the arrays in a fancy ``index``, the broadcast of the constants of
an elementwise node, and the item size of an ``astype`` dtype.
"""

import dataclasses
import inspect
import json
import math
import os
import sys

import networkx as nx
import numpy as np

from .constraint_graph import ConstraintGraph
from .errors import GraphError, InvalidArgumentError
from .gc_pause import paused_gc
from .primitive_graph import PrimitiveConstraint, _constants, _lookup, _own_params, check_application

__all__ = ["save", "load", "to_data", "from_data", "Limits", "FORMAT", "FORMAT_VERSION", "MAX_ARRAY_SIZE"]

FORMAT = "adjoint.ConstraintGraph"
FORMAT_VERSION = 1
#: The largest array (number of entries) a file may hold in one constant, init or parameter.
MAX_ARRAY_SIZE = 10**8
#: The largest number of dimensions of an array in a file.
MAX_NDIM = 32
#: The largest graph file, in bytes, ``load`` reads.
MAX_FILE_BYTES = 256 * 2**20
#: The most digits of one integer literal in a file (Python parses more in quadratic time).
MAX_INT_DIGITS = 100
#: The most nodes, and the most arguments of all nodes together (edges), in a file.
MAX_NODES = 10**6
MAX_EDGES = 10**7


@dataclasses.dataclass(frozen=True)
class Limits:
    """Bounds on what a graph file may hold or imply, checked before anything is built.

    Attributes
    ----------
    max_file_bytes : int
        The largest file ``load`` reads (default 256 MiB).
    max_int_digits : int
        The most digits of one integer literal (default 100). Python's own limit
        (``sys.get_int_max_str_digits()``, 4300) applies on top.
    max_nodes : int
        The most nodes in the file (default 10⁶).
    max_edges : int
        The most arguments of all nodes together, hence edges (default 10⁷).
    max_array_size : int
        The most entries of any array the file holds (a constant, init or parameter) or
        implies (a ``shape`` target, an FFT's ``s``, the broadcast of a fancy index's arrays,
        the broadcast of an elementwise node's constants); also the largest dimension.
        Default 10⁸, 800 MB of float64.
    max_ndim : int
        The most dimensions of any such array, and the deepest nesting of a parameter
        (default 32).

    Examples
    --------
    >>> Limits().max_array_size
    100000000
    >>> Limits(max_array_size=10**9).max_array_size
    1000000000
    """

    max_file_bytes: int = MAX_FILE_BYTES
    max_int_digits: int = MAX_INT_DIGITS
    max_nodes: int = MAX_NODES
    max_edges: int = MAX_EDGES
    max_array_size: int = MAX_ARRAY_SIZE
    max_ndim: int = MAX_NDIM

    def __post_init__(self):
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidArgumentError(f"Limits.{field.name} must be a non-negative integer, got {value!r}")


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
    with paused_gc():
        text = json.dumps(to_data(graph))
    with open(os.fspath(path), "w", encoding="utf-8") as f:
        f.write(text)


def load(path, limits=None):
    """Read a graph written by ``save``; nothing in the file is evaluated.

    Parameters
    ----------
    path : str or os.PathLike
    limits : Limits, optional
        Bounds on the file's size and on every size it holds or implies, all checked before
        anything is built (default ``Limits()``: 256 MiB, arrays of 10⁸ entries, ...). Raise
        one to load a legitimate larger graph: ``load(path, Limits(max_array_size=10**9))``.

    Returns
    -------
    ConstraintGraph

    Raises
    ------
    GraphError
        Naming the node and field, for a file that is not valid JSON, of another format
        or version, naming an unknown primitive, with a wrong number of arguments for a
        primitive, an array of absurd or inconsistent shape, node names that are not
        strings or integers, a cycle without any ``init``, edges that disagree with the
        nodes' arguments, or anything beyond ``limits`` (the message names the limit).

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
    limits = _limits(limits)
    try:
        with open(os.fspath(path), "rb") as f:
            raw = f.read(limits.max_file_bytes + 1)  # never more than the limit, whatever the file's size
    except OSError as e:
        raise GraphError(f"cannot read the graph file {os.fspath(path)!r}: {e}") from e
    if len(raw) > limits.max_file_bytes:
        raise GraphError(
            f"{os.fspath(path)!r} is larger than limits.max_file_bytes = {limits.max_file_bytes} bytes; "
            f"pass load(path, limits=Limits(max_file_bytes=...)) to read a larger graph file"
        )
    # One pause for parsing and building: each pause ends in a collection that scans
    # everything allocated during it, and the parsed file is freed before this one ends.
    with paused_gc():
        try:
            data = json.loads(raw.decode("utf-8"), parse_int=_int_parser(limits))
        except UnicodeDecodeError as e:
            raise GraphError(f"{os.fspath(path)!r} is not a UTF-8 JSON file: {e}") from None
        except json.JSONDecodeError as e:
            place = f"at line {e.lineno}, column {e.colno}"
            raise GraphError(f"{os.fspath(path)!r} is not valid JSON: {e.msg} {place}") from None
        except RecursionError:
            raise GraphError(f"{os.fspath(path)!r} nests JSON too deeply to be a graph file") from None
        del raw
        graph = from_data(data, limits)
        del data
    return graph


def _limits(limits):
    if limits is None:
        return Limits()
    if not isinstance(limits, Limits):
        raise InvalidArgumentError(
            f"limits must be a graphs.serialisation.Limits (or None), got {type(limits).__name__}"
        )
    return limits


def _int_parser(limits):
    """``json.loads``'s ``parse_int``: ``_parse_int``, with the short literals of a graph file inline."""
    # a literal this short is within both limits (a sign is no digit); calling _parse_int for
    # each of the 10^5 positions of a large graph costs as much as the rest of json.loads
    short = min(limits.max_int_digits, 4000)

    def parse(literal):
        return int(literal) if len(literal) <= short else _parse_int(literal, limits)

    return parse


def _parse_int(literal, limits):
    """An integer literal of the file, refused beyond ``limits.max_int_digits`` digits."""
    digits = len(literal) - literal.startswith("-")
    if digits > limits.max_int_digits:
        raise GraphError(
            f"the file holds an integer literal of {digits} digits, more than limits.max_int_digits = "
            f"{limits.max_int_digits}; no size, index or constant of a graph needs one"
        )
    try:
        return int(literal)
    except ValueError as e:  # beyond Python's own limit, when max_int_digits was raised past it
        raise GraphError(
            f"the file holds an integer literal of {digits} digits, which Python does not parse "
            f"(sys.get_int_max_str_digits() = {sys.get_int_max_str_digits()}): {e}"
        ) from None


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
    with paused_gc():
        nodes = [_node_data(name, attrs) for name, attrs in graph._node.items()]
        edges = _edge_list(graph)
    body = {"directed": True, "multigraph": False, "graph": {}, "nodes": nodes, "edges": edges}
    return {"format": FORMAT, "format_version": FORMAT_VERSION, "graph": body}


def _edge_list(graph):
    """The file's ``edges`` of ``graph``: the list networkx.node_link_data makes, keys in its order."""
    return [
        {"positions": list(d.get("positions")), "source": a, "target": b}
        for a, targets in graph._succ.items()
        for b, d in targets.items()
    ]


def _node_data(name, attrs):
    """One entry of the file's ``nodes``: the node's JSON attributes, then its ``id``."""
    _check_name(name, "node name")
    if attrs.get("kind") == "input":
        return {"kind": "input", "id": name}
    if not isinstance(attrs.get("fn"), PrimitiveConstraint) or "primitive" not in attrs:
        raise GraphError(
            f"node {name!r} is defined by a Python function; only graphs built from "
            f"primitives can be saved (ConstraintGraph.add_primitive, or adjoint.trace "
            f"of numpy code)"
        )
    for a in attrs["args"]:
        _check_name(a, f"argument of node {name!r}")
    data = {"kind": "constraint", "primitive": attrs["primitive"], "args": list(attrs["args"])}
    # empty fields are left out, as load reads them: a third of a trace's file, and of its parse
    if attrs["params"]:
        data["params"] = {k: _encode_param(v, name, k) for k, v in attrs["params"].items()}
    if attrs["constants"]:
        data["constants"] = {
            str(k): _encode_array(v, name, f"constant at position {k}") for k, v in attrs["constants"].items()
        }
    if attrs.get("init") is not None:
        data["init"] = _encode_array(attrs["init"], name, "init")
    data["id"] = name
    return data


def from_data(data, limits=None):
    """The graph of a dict as ``to_data`` makes it; validated, nothing evaluated.

    ``limits`` (a ``Limits``, default ``Limits()``) bounds every size ``data`` holds or
    implies, as for ``load``.

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
    limits = _limits(limits)
    for field, most in (("nodes", limits.max_nodes), ("edges", limits.max_edges)):
        if len(body[field]) > most:
            raise GraphError(
                f"the file has {len(body[field])} {field}, more than limits.max_{field} = {most}; "
                f"pass limits=Limits(max_{field}=...) to load a larger graph"
            )

    with paused_gc():  # nothing built here is garbage: see graphs.gc_pause
        return _build(body, limits)


def _build(body, limits):
    """The graph of ``body``, checked node by node, then its edges and cycles."""
    graph = ConstraintGraph()
    backward = []  # nodes with an argument defined after them: without any, there is no cycle
    graph._extend(_file_nodes(graph, body["nodes"], limits, backward))
    _check_edges(graph, body["edges"])
    graph.validate()
    if backward:
        _check_cycles_have_init(graph)
    return graph


def _file_nodes(graph, file_nodes, limits, backward):
    """Check the file's nodes in order: add each input to ``graph``, yield each constraint.

    What is yielded is ``ConstraintGraph._extend``'s ``(name, attributes, {arg: positions})``,
    made as ``add_primitive`` makes it; inserting node by node costs several times more,
    which 10^5 nodes notice. Each node is checked before the next is read, as ``_extend``
    inserts it: a name defined twice is found when it comes. The name of each node with an
    argument not defined before it (or itself) is appended to ``backward``.
    """
    nodes = graph._node  # networkx's own dict of node attributes: graph.nodes[name] costs a view per call
    arguments = 0  # of all nodes so far: the edges the file implies
    # The checks that read only the primitive, the number of arguments, the constants'
    # positions and the parameters' names, by those: a file of 10^5 nodes has a few dozen.
    checked = {}
    for k, node in enumerate(file_nodes):
        if not isinstance(node, dict):
            raise GraphError(f"node #{k} is not a JSON object")
        if "id" not in node:
            raise GraphError(f"node #{k} has no 'id'")
        name = node["id"]
        if name.__class__ not in _NAME_CLASSES:  # the common case without a call; the check says what is wrong
            _check_name(name, f"name of node #{k}")
        kind = node.get("kind")
        if kind not in _NODE_FIELDS:
            raise GraphError(f"node {name!r}: field 'kind' is {kind!r}, expected 'input' or 'constraint'")
        if not node.keys() <= _NODE_FIELDS[kind]:
            extra = sorted(set(node) - _NODE_FIELDS[kind])
            raise GraphError(f"node {name!r}: unknown field {extra[0]!r} for a {kind} node")
        if name in nodes and nodes[name].get("kind") is not None:
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
        arguments += len(args)
        if arguments > limits.max_edges:
            raise GraphError(
                f"node {name!r}: its {len(args)} arguments bring the file's arguments (edges) to "
                f"{arguments}, more than limits.max_edges = {limits.max_edges}"
            )
        if not _NAME_CLASSES.issuperset(map(type, args)):
            for a in args:
                _check_name(a, f"argument of node {name!r}")
        params = node.get("params", {})
        if not isinstance(params, dict):
            raise GraphError(f"node {name!r}: field 'params' must be an object")
        if params:
            params = _own_params({key: _decode_param(v, name, key, limits) for key, v in params.items()})
        constants = node.get("constants", {})
        if not isinstance(constants, dict):
            raise GraphError(f"node {name!r}: field 'constants' must be an object {{position: array}}")
        decoded = {}
        for key, v in constants.items():
            if not (isinstance(key, str) and key.isdigit() and len(key) < 10):
                raise GraphError(f"node {name!r}: constant position {key!r} is not a non-negative integer")
            if v.__class__ is dict and len(v) == 1 and v.get("scalar").__class__ is float:
                decoded[int(key)] = v["scalar"]  # the common constant, as _decode_array reads it
            else:
                decoded[int(key)] = _decode_array(v, name, f"constant at position {key}", limits)
        init = node.get("init")
        init = None if init is None else _decode_array(init, name, "init", limits)
        signature = (primitive, len(args), tuple(decoded), tuple(params))
        known = checked.get(signature)
        if known is None:
            known = checked[signature] = _checked_signature(name, primitive, len(args), params, decoded)
        prim, arity, implies_sizes = known
        if implies_sizes:
            _check_implied_sizes(name, prim, len(args), params, decoded, limits)
        # as graphs.primitive_graph.add_primitive: arrays decoded just now are the graph's own, no copies
        constants = decoded if len(decoded) < 2 else dict(sorted(decoded.items()))
        args = tuple(args)
        if not all(map(nodes.get, args)):  # an argument not defined yet is absent, or {} (see _put)
            backward.append(name)
        if len(args) == 1:
            positions = {args[0]: (0,)}
        else:  # an argument used twice is one edge listing both positions
            positions = {}
            for position, a in enumerate(args):
                positions[a] = positions[a] + (position,) if a in positions else (position,)
        fn = PrimitiveConstraint(prim, params, constants, arity)
        yield name, {"kind": "constraint", "fn": fn, "args": args, "init": init, "primitive": primitive,
                     "params": params, "constants": constants}, positions


def _checked_signature(name, primitive, n_args, params, constants):
    """``(primitive, arity, implies_sizes)`` of a node, after the checks its values do not change.

    Raises as ``add_primitive`` does: for an unknown primitive, a constant position beyond
    the arity, or arguments and parameters the primitive or its rules do not take.
    """
    if any(k >= n_args + len(constants) for k in constants):
        _constants(name, constants, n_args)  # raises, naming the position
    prim = _lookup(name, primitive)
    arity = n_args + len(constants)
    check_application(name, prim, arity, params)
    return prim, arity, _implies_sizes(prim, params, constants)


#: The classes of most node names, accepted without calling _check_name (which accepts subclasses too).
_NAME_CLASSES = frozenset({str, int})


def _check_name(name, what):
    if isinstance(name, bool) or not isinstance(name, (str, int)):
        raise GraphError(f"{what} {name!r} is a {type(name).__name__}; node names must be strings or integers")


def _check_edges(graph, edges):
    """Raise unless the file's ``edges`` are those its nodes' arguments imply, in any order."""
    if edges == _edge_list(graph) and _strictly_typed(edges):
        return  # as save wrote them: comparisons in C, where the sets below cost µs per edge
    found = set()
    add = found.add
    for k, e in enumerate(edges):
        if e.__class__ is dict and len(e) == 3:  # the common case, checked inline: 10^5 edges
            source, target, positions = e.get("source"), e.get("target"), e.get("positions")
            if (
                source.__class__ in _NAME_CLASSES
                and target.__class__ in _NAME_CLASSES
                and positions.__class__ is list
                and all(p.__class__ is int for p in positions)
            ):
                add((source, target, tuple(positions)))
                continue
        add(_checked_edge(k, e))
    expected = {(a, b, tuple(d.get("positions"))) for b, sources in graph._pred.items() for a, d in sources.items()}
    if found != expected:
        a, b, p = sorted(found ^ expected, key=repr)[0]
        side = "is not implied by" if (a, b, p) in found else "is missing, though implied by"
        raise GraphError(f"edge {a!r} -> {b!r} at positions {list(p)} {side} the arguments of node {b!r}")


def _strictly_typed(edges):
    """Whether edges equal to the implied ones are of the same types too (``False == 0``, ``1.0 == 1``)."""
    names = {e["source"].__class__ for e in edges} | {e["target"].__class__ for e in edges}
    return names <= _NAME_CLASSES and {p.__class__ for e in edges for p in e["positions"]} <= {int}


def _checked_edge(k, e):
    """``(source, target, positions)`` of the file's edge #k, or GraphError saying what is wrong."""
    if not isinstance(e, dict) or set(e) - {"source", "target", "positions"}:
        raise GraphError(f"edge #{k} must be an object with fields source, target, positions")
    source, target, positions = e.get("source"), e.get("target"), e.get("positions")
    _check_name(source, f"source of edge #{k}")
    _check_name(target, f"target of edge #{k}")
    integers = isinstance(positions, list) and all(isinstance(p, int) and not isinstance(p, bool) for p in positions)
    if not integers:
        raise GraphError(f"edge {source!r} -> {target!r}: field 'positions' must be a list of integers")
    return source, target, tuple(positions)


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
    if value is None or isinstance(value, (bool, int, float)) and not isinstance(value, np.generic):
        # a Python scalar stays one: identical results after loading; None is an omitted
        # bound, as clip(x, None, hi) records it
        return {"scalar": value}
    array = np.asarray(value)
    if array.dtype.name not in DTYPES:
        raise GraphError(
            f"node {node!r}: the {field} has dtype {array.dtype}, which a graph file cannot hold; "
            f"supported: {', '.join(sorted(DTYPES))}"
        )
    data = array.tolist()
    return {"dtype": array.dtype.name, "shape": list(array.shape), "data": data}


def _decode_array(value, node, field, limits):
    if not isinstance(value, dict):
        raise GraphError(f"node {node!r}: the {field} must be an array object, got {type(value).__name__}")
    if len(value) == 1 and "scalar" in value:
        scalar = value["scalar"]
        if scalar is not None and not isinstance(scalar, (bool, int, float)):
            raise GraphError(f"node {node!r}: the {field} must be a number or null, got {scalar!r}")
        return scalar
    if set(value) != {"dtype", "shape", "data"}:
        raise GraphError(f"node {node!r}: the {field} must have exactly the fields dtype, shape, data")
    dtype, shape, data = value["dtype"], value["shape"], value["data"]
    if dtype not in DTYPES:
        raise GraphError(f"node {node!r}: the {field} has dtype {dtype!r}; supported: {', '.join(sorted(DTYPES))}")
    shape = _decode_shape(shape, node, f"shape of the {field}", False, limits)
    _check_nested(data, shape, node, field, dtype)
    try:
        array = np.array(data, dtype=dtype)
    except (TypeError, ValueError, OverflowError) as e:
        raise GraphError(f"node {node!r}: the {field} cannot be read as {dtype}: {e}") from None
    if array.shape != shape:  # pragma: no cover - _check_nested guarantees it
        raise GraphError(f"node {node!r}: the {field} has shape {array.shape}, but claims {shape}")
    return array


def _decode_shape(shape, node, field, allow_minus_one, limits):
    if not isinstance(shape, list) or len(shape) > limits.max_ndim:
        raise GraphError(
            f"node {node!r}: the {field} must be a list of at most {limits.max_ndim} integers "
            f"(limits.max_ndim), got {_short(shape)}"
        )
    low = -1 if allow_minus_one else 0
    for n in shape:
        if isinstance(n, bool) or not isinstance(n, int) or n < low:
            raise GraphError(
                f"node {node!r}: the {field} {_short(shape)} has dimension {_short(n)}; dimensions are "
                f"integers >= {low}"
            )
    _check_size(shape, node, field, limits)
    return tuple(shape)


def _check_size(shape, node, field, limits, what=" has"):
    """Refuse a shape of more than ``limits.max_array_size`` entries, or a dimension larger."""
    size = math.prod(n for n in shape if n >= 0)
    if size > limits.max_array_size or any(n > limits.max_array_size for n in shape):
        # an empty array may still name a dimension numpy cannot index (2**63)
        amount = f"{what} {size} entries" if size > limits.max_array_size else f" has a dimension of {max(shape)}"
        raise GraphError(
            f"node {node!r}: the {field} {_short(list(shape))}{amount}, more than a graph "
            f"file may hold or imply (limits.max_array_size = {limits.max_array_size}); pass "
            f"limits=Limits(max_array_size=...) to load a larger graph"
        )


def _short(value, most=80):
    text = repr(value)
    return text if len(text) <= most else text[:most] + "..."


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
    if isinstance(value, np.dtype) and value.kind in _NUMERIC_KINDS and value.shape == ():
        return {"dtype": value.name}
    raise GraphError(
        f"node {node!r}: parameter {key!r} is a {type(value).__name__}, which a graph file cannot "
        f"hold (numbers, strings, None, lists, tuples, slices, Ellipsis, numeric dtypes and arrays can be saved)"
    )


#: dtype kinds a file may name (bool, integers, floats, complex): a fixed, small item size.
_NUMERIC_KINDS = "biufc"
_NUMERIC_DTYPE_NAMES = frozenset(np.dtype(t).name for t in np.sctypeDict.values()
                                 if np.dtype(t).kind in _NUMERIC_KINDS)


def _decode_param(value, node, key, limits, depth=0):
    if depth > limits.max_ndim:
        raise GraphError(f"node {node!r}: parameter {key!r} nests deeper than limits.max_ndim = {limits.max_ndim}")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [_decode_param(v, node, key, limits, depth + 1) for v in value]
    if isinstance(value, dict) and len(value) == 1:
        ((tag, inner),) = value.items()
        if tag == "ellipsis" and inner is None:
            return Ellipsis
        if tag == "slice" and isinstance(inner, list) and len(inner) == 3 and all(
            p is None or (isinstance(p, int) and not isinstance(p, bool)) for p in inner
        ):
            return slice(*inner)
        if tag == "tuple" and isinstance(inner, list):
            return tuple(_decode_param(v, node, key, limits, depth + 1) for v in inner)
        if tag == "array":
            return _decode_array(inner, node, f"parameter {key!r}", limits)
        if tag == "dtype" and isinstance(inner, str) and inner in _NUMERIC_DTYPE_NAMES:
            return np.dtype(inner)
    raise GraphError(
        f"node {node!r}: parameter {key!r} holds {str(value)[:80]}, which is not a saved "
        f"parameter (a JSON value, or an object tagged tuple, slice, ellipsis or array)"
    )


# --- sizes a node implies ------------------------------------------------------------

#: Arguments (by the name of the primitive's parameter) that are shapes of arrays to build.
_SHAPE_ARGUMENTS = {"shape": "a shape target", "s": "an FFT size"}
_NODE_ARGUMENT = object()  # stands for a node argument, whose value the file does not hold


def _implies_sizes(prim, params, constants):
    """Whether a node of ``prim`` with these parameters and constants can imply an array size.

    Not when every argument is a node (the file holds nothing that implies a size), nor for
    one constant of a ufunc, which broadcasts with nothing else the file holds (the constant
    is bounded itself).
    """
    if not params and not constants:
        return False
    return bool(params) or len(constants) >= 2 or not isinstance(prim.impl, np.ufunc)


def _check_implied_sizes(name, prim, n_args, params, constants, limits):
    """Refuse a node whose parameters or constants ask for an array beyond ``limits``.

    An argument counts whether the file gives it as a parameter or as a constant at its
    position (``broadcast_to(x, shape)`` with ``shape`` a constant): both are bound to the
    primitive's signature. Nothing is evaluated; what cannot be bound is left to
    ``add_primitive``, which says what is wrong with it.
    """
    arity = n_args + len(constants)
    full = [constants.get(k, _NODE_ARGUMENT) for k in range(arity)]
    if isinstance(prim.impl, np.ufunc) or prim.name in ("clip", "where"):  # elementwise: constants broadcast
        _check_broadcast(name, [c for c in full if c is not _NODE_ARGUMENT], "constants", limits)
        return
    try:
        bound = _signature(prim.impl).bind(*full, **params).arguments
    except (TypeError, ValueError):
        return
    for argument, value in bound.items():
        where = f"parameter {argument!r}" if argument in params else f"argument {argument!r} (a constant)"
        if value is _NODE_ARGUMENT:
            continue
        if argument in _SHAPE_ARGUMENTS and not (argument == "s" and value is None):
            shape = _implied_shape(value, name, where, _SHAPE_ARGUMENTS[argument])
            for n in shape:
                if n < -1:  # -1: the one dimension reshape infers
                    raise GraphError(
                        f"node {name!r}: the {where} {_short(list(shape))} has dimension {n}; dimensions "
                        f"are integers >= -1"
                    )
            _check_size(shape, name, where, limits)
        elif argument == "index":
            _check_index(value, name, where, limits)
        elif argument == "dtype":
            _check_dtype(value, name, where)


def _signature(fn):
    """``inspect.signature(fn)``, cached: it is slow, and 10^5 nodes apply a few dozen primitives."""
    try:
        return _SIGNATURES[fn]
    except KeyError:
        pass
    except TypeError:  # not hashable
        return inspect.signature(fn)
    signature = inspect.signature(fn)
    if len(_SIGNATURES) > 10_000:  # bounded: primitives made on the fly come and go
        _SIGNATURES.clear()
    _SIGNATURES[fn] = signature
    return signature


_SIGNATURES = {}


def _implied_shape(value, node, where, what):
    """The tuple of integers numpy reads ``value`` as a shape: an integer, a sequence of them, an array."""
    if isinstance(value, np.ndarray) and value.dtype.kind in "iu" and value.ndim <= 1:
        return tuple(int(n) for n in np.atleast_1d(value))
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return (int(value),)
    if isinstance(value, (list, tuple)):
        shape = []
        for n in value:
            if isinstance(n, np.ndarray) and n.ndim == 0 and n.dtype.kind in "iu":
                n = n.item()
            if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
                break
            shape.append(int(n))
        else:
            return tuple(shape)
    raise GraphError(
        f"node {node!r}: the {where} is {what}, which must be an integer or a list of integers, "
        f"got {_short(value)}"
    )


def _check_index(index, node, where, limits):
    """numpy broadcasts the arrays of a fancy index together: bound what they broadcast to."""
    parts = index if isinstance(index, tuple) else (index,)
    shapes = []
    for part in parts:
        if part is None or part is Ellipsis or isinstance(part, (slice, int, np.integer)):
            continue  # bool included: a scalar mask adds a dimension of length 0 or 1
        try:
            array = np.asarray(part)  # a list from the file, no larger than the file's own list
        except (TypeError, ValueError):  # ragged: numpy refuses it when the node is evaluated
            continue
        # a boolean mask selects its true entries; an integer array broadcasts as it is
        shapes.append((int(np.count_nonzero(array)),) if array.dtype == bool else array.shape)
    for shape in shapes:
        _check_size(shape, node, f"{where}'s array of shape", limits)
    _check_broadcast(node, shapes, f"arrays of the {where}", limits, shapes=True)


def _check_broadcast(node, values, what, limits, shapes=False):
    if len(values) < 2:
        return  # one array alone is bounded where it is decoded
    try:
        shape = np.broadcast_shapes(*(values if shapes else [np.shape(v) for v in values]))
    except ValueError:  # they do not broadcast: the node fails when evaluated, building nothing
        return
    _check_size(shape, node, f"{what} broadcast to", limits, what=", which has")


def _check_dtype(value, node, where):
    """A cast to a fixed-size number type: ``astype(x, "U999999999")`` would build huge strings."""
    try:
        dtype = np.dtype(value) if isinstance(value, (str, np.dtype)) else None
    except (TypeError, ValueError):  # not a dtype, or one too large for numpy to describe
        dtype = None
    if dtype is None or dtype.kind not in _NUMERIC_KINDS or dtype.shape != () or dtype.names is not None:
        raise GraphError(
            f"node {node!r}: the {where} is {_short(value)}, which is not the name of a numeric dtype "
            f"(bool, integers, floats, complex)"
        )
