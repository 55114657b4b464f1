"""Primitive nodes: constraints that apply one registered primitive, and traces as graphs.

A *primitive node* is the constraint ``z_name = P(*full)`` where ``P = PRIMITIVES[primitive]``
and ``full`` interleaves the node's arguments with constants at fixed positions, called with
keyword ``params``. Unlike a constraint given as a Python function, it is plain data — a
primitive name, parameters, constant arrays — so a graph of primitive nodes can be saved and
loaded (``graphs.serialisation``) without executing anything from the file.

Node attributes of a primitive node, besides those of every constraint (``kind``, ``fn``,
``args``, ``init``):

* ``primitive``: the registered name;
* ``params``: keyword parameters (``axis``, ``keepdims``, ``shape``, ``index``, ...);
* ``constants``: ``{position: value}`` for the arguments that are not nodes.

``graph_from_tape`` turns a trace (``graphs.tape.Tape``) into such a graph: one node per
record, so the graph's multipliers are the trace's back-substitution.
"""

import copy
import gc
import inspect

import numpy as np

from .errors import GraphError
from .primitive import PRIMITIVES, EveryArgument

__all__ = ["PrimitiveConstraint", "add_primitive", "graph_from_tape", "check_application"]

#: Keyword parameters never accepted: they would write into arrays in place.
FORBIDDEN_PARAMS = frozenset({"out"})


class PrimitiveConstraint:
    """The ``fn`` of a primitive node: ``PRIMITIVES[name](*full, **params)``.

    Calling it with the node's argument values puts the constants at their positions;
    on traced values the primitive records itself, so the node is differentiated by the
    primitive's own rules.

    Examples
    --------
    >>> import numpy as np
    >>> fn = PrimitiveConstraint(PRIMITIVES["subtract"], {}, {0: 10.0}, 2)
    >>> fn(np.array([1.0, 2.0]))
    array([9., 8.])
    """

    __slots__ = ("primitive", "params", "constants", "arity", "_positions")

    def __init__(self, primitive, params, constants, arity):
        self.primitive = primitive
        self.params = params
        self.constants = constants
        self.arity = arity
        self._positions = tuple(sorted(constants))  # inserted in increasing order, each lands at its place

    def __call__(self, *args):
        # Called once per node and solve: the common cases (no constants, one) skip the list.
        if len(args) + len(self.constants) != self.arity:
            raise GraphError(
                f"primitive '{self.primitive.name}' takes {self.arity - len(self.constants)} node "
                f"arguments here, got {len(args)}"
            )
        if not self.constants:
            return self.primitive(*args, **self.params)
        if len(self._positions) != len(self.constants):  # the node's constants were edited
            self._positions = tuple(sorted(self.constants))
        full = list(args)
        for k in self._positions:
            full.insert(k, self.constants[k])
        return self.primitive(*full, **self.params)

    def __repr__(self):
        return f"<primitive constraint {self.primitive.name} {self.params or ''}>".replace(" >", ">")


def add_primitive(graph, name, primitive, args, params=None, constants=None, init=None):
    """Add the node ``z_name = PRIMITIVES[primitive](*full, **params)`` to ``graph``.

    ``full`` has ``len(args) + len(constants)`` positions: ``constants[k]`` at position
    ``k``, the argument nodes ``args`` in order at the others. Also available as the method
    ``ConstraintGraph.add_primitive``.

    Parameters
    ----------
    graph : ConstraintGraph
    name : str or int
        The node defined.
    primitive : str
        A name registered in ``graphs.primitive.PRIMITIVES`` (e.g. ``"sin"``, ``"matmul"``).
    args : sequence
        Argument node names (they may be defined later, or be ``name`` itself).
    params : dict, optional
        Keyword parameters of the primitive, those its derivative rules take (``axis``,
        ``keepdims``, ``shape``, ``axes``, ``index``).
    constants : dict, optional
        ``{position: value}``: arguments that are not nodes. Arrays are copied.
    init : array_like, optional
        As for ``add_constraint``: the initial value of a node on a cycle.

    Raises
    ------
    GraphError
        Naming the node: an unknown primitive, a wrong number of arguments, a parameter the
        primitive does not take, constant positions out of range.

    Examples
    --------
    >>> import numpy as np
    >>> from graphs.constraint_graph import ConstraintGraph
    >>> g = ConstraintGraph()
    >>> g.add_input("x")
    >>> g.add_primitive("Ax", "matmul", ["x"], constants={0: np.array([[1.0, 2.0]])})
    >>> g.add_primitive("y", "sum", ["Ax"], params={"axis": None, "keepdims": False})
    >>> g.nodes["Ax"]["primitive"], float(g.nodes["y"]["fn"](np.array([3.0])))
    ('matmul', 3.0)
    """
    if isinstance(args, (str, bytes)) or not hasattr(args, "__iter__"):
        raise GraphError(
            f"node {name!r}: args must be a list of node names, got {args!r}; write [{args!r}] "
            f"for a single argument"
        )
    args = tuple(args)
    params = _own_params(params)
    constants = _constants(name, constants, len(args))
    prim = _lookup(name, primitive)
    arity = len(args) + len(constants)
    check_application(name, prim, arity, params)
    fn = PrimitiveConstraint(prim, params, constants, arity)
    graph._add_constraint(name, fn, args, init, {"primitive": primitive, "params": params, "constants": constants})


def check_application(name, prim, arity, params):
    """Raise ``GraphError`` unless ``prim`` takes ``arity`` positional arguments and ``params``.

    Structural only: nothing is evaluated. A ufunc takes exactly ``nin`` arguments; a
    function must accept the call by its signature; and the primitive's derivative rules
    must accept it too, so that no parameter changes the value without its derivative.

    Examples
    --------
    >>> check_application("y", PRIMITIVES["sum"], 1, {"axis": 0, "keepdims": True})
    >>> check_application("y", PRIMITIVES["sum"], 1, {"where": True})
    Traceback (most recent call last):
    ...
    graphs.errors.GraphError: node 'y': primitive 'sum' does not take parameter 'where'; its
    parameters are axis, keepdims
    """
    rule, leading = _a_rule(prim)
    # The checks read only the primitive, its rule, the arity and the parameter names, and
    # inspect.signature is slow: a graph of 10^5 nodes repeats a few dozen distinct checks.
    key = (prim, prim.impl, rule, arity, tuple(params))
    if key in _CHECKED:
        return
    _check_application(name, prim, arity, params, rule, leading)
    if len(_CHECKED) > 10_000:  # bounded: primitives made on the fly (fixed points) come and go
        _CHECKED.clear()
    _CHECKED[key] = None


#: Successful checks of ``check_application``, by everything they depend on.
_CHECKED = {}


def _check_application(name, prim, arity, params, rule, leading):
    bad = sorted(set(params) & FORBIDDEN_PARAMS)
    if bad:
        raise GraphError(f"node {name!r}: parameter {bad[0]!r} of '{prim.name}' is not allowed")
    for key in params:
        if not isinstance(key, str):
            raise GraphError(f"node {name!r}: parameter names must be strings, got {key!r}")
    if isinstance(prim.impl, np.ufunc):
        if arity != prim.impl.nin:
            nin = prim.impl.nin
            raise GraphError(
                f"node {name!r}: primitive '{prim.name}' takes {nin} argument{'s' * (nin != 1)}, "
                f"got {arity} (node arguments and constants together)"
            )
    else:
        _bind(name, prim, prim.impl, (), arity, params, "")
    if rule is None:
        return
    named, open_ended = _rule_params(rule, len(leading) + 2 + arity)
    if named or not open_ended:  # rule(..., axis=None, keepdims=False, **_): only the named ones
        unknown = sorted(k for k in params if k not in named)
        if unknown:
            listed = f"its parameters are {', '.join(sorted(named))}" if named else "it takes none"
            raise GraphError(
                f"node {name!r}: primitive '{prim.name}' does not take parameter "
                f"{unknown[0]!r}; {listed}"
            )
    if not isinstance(prim.impl, np.ufunc):
        _bind(name, prim, rule, leading + (None, None), arity, params, " by its derivative rules")


def graph_from_tape(tape, inputs, output, names=None):
    """The constraint graph of a trace: one primitive node per record that ``output`` needs.

    Parameters
    ----------
    tape : graphs.tape.Tape
    inputs : sequence of int
        The record indices of the inputs, in order. Every input becomes an input node,
        used or not.
    output : int
        The record index of the output.
    names : sequence, optional
        Names of the inputs (default ``"x0"``, ``"x1"``, ...). Other nodes are named
        ``"<primitive>_<record index>"``.

    Returns
    -------
    graph : ConstraintGraph
    output_name : str or int
        The name of the output's node.

    Raises
    ------
    GraphError
        If a record applies a primitive that is not registered (for instance the one-off
        primitive of a ``fixed_point`` inside traced code), or ``output`` is not a record.

    Examples
    --------
    >>> import numpy as np
    >>> from graphs import Tape
    >>> tape = Tape(); x = tape.input(np.array([1.0, 2.0]))
    >>> y = np.sum(np.sin(x) * 3.0)
    >>> g, out = graph_from_tape(tape, [x.index], y.index)
    >>> out, sorted(g.constraints), g.nodes["multiply_2"]["constants"]
    ('sum_3', ['multiply_2', 'sin_1', 'sum_3'], {1: 3.0})
    """
    from .constraint_graph import ConstraintGraph  # it imports this module for add_primitive

    records = tape.records
    inputs = list(inputs)
    names = [f"x{k}" for k in range(len(inputs))] if names is None else list(names)
    if len(names) != len(inputs):
        raise GraphError(f"{len(names)} names given for {len(inputs)} inputs")
    if not (isinstance(output, (int, np.integer)) and 0 <= output < len(records)):
        raise GraphError(f"output {output!r} is not a record of the tape (it has {len(records)})")
    node_of = dict(zip(inputs, names))
    for i in inputs:
        if records[i][0] is not None:
            raise GraphError(f"record {i} is not an input of the tape")
    # The tape is in topological order: one backward sweep marks what the output needs.
    needed = bytearray(output + 1)
    needed[output] = 1
    for i in range(output, -1, -1):
        if needed[i]:
            for p in records[i][3]:
                if p >= 0:
                    needed[p] = 1
    graph = ConstraintGraph()
    for n in names:
        graph.add_input(n)
    was_enabled = gc.isenabled()
    gc.disable()  # nothing built here is garbage, and the collector's rescans are half the time
    try:
        graph._extend(_tape_nodes(records, needed, node_of))
    finally:
        if was_enabled:
            gc.enable()
    return graph, node_of[output]


#: Values that are their own copy: parameters and constants of these types are shared, not copied.
_IMMUTABLE = frozenset({type(None), bool, int, float, complex, str, bytes, np.float64, np.float32, np.int64,
                        np.int32, np.bool_, np.complex128, type(Ellipsis)})


def _own_params(params):
    """A copy of ``params`` that nothing outside the graph can change (an index array stays its own)."""
    if not params:
        return {}
    params = dict(params)
    if all(map(_frozen, params.values())):
        return params  # deepcopy, the slow part of adding a node, would copy nothing
    return copy.deepcopy(params)


def _frozen(value, depth=0):
    """Whether ``value`` is made of immutable values only (``None``, numbers, tuples of them...)."""
    cls = value.__class__
    if cls in _IMMUTABLE:
        return True
    if depth > 3:
        return False
    if cls is tuple:
        return all(_frozen(v, depth + 1) for v in value)
    if cls is slice:
        return _frozen(value.start, depth + 1) and _frozen(value.stop, depth + 1) and _frozen(value.step, depth + 1)
    return False


def _tape_nodes(records, needed, node_of):
    """``(name, attributes, {arg: positions})`` of the needed records, for ``ConstraintGraph._extend``.

    A tape's records are valid applications by construction (each ran), so only the
    structural check of each primitive is repeated here, and it is cached.
    """
    for i, prim, values, params, parents in ((i, *records[i][:4]) for i in range(len(needed)) if needed[i]):
        if prim is None:
            if i not in node_of:
                raise GraphError(f"record {i} is an input of the tape but not one of the inputs given")
            continue
        if PRIMITIVES.get(prim.name) is not prim:
            raise GraphError(
                f"record {i} applies '{prim.name}', which is not a registered primitive (a "
                f"fixed_point inside traced code is one); such a program cannot become a "
                f"primitive graph: build its cycle explicitly with add_primitive and init"
            )
        node = node_of[i] = f"{prim.name}_{i}"
        params = _own_params(params)
        arity = len(parents)
        check_application(node, prim, arity, params)
        constants, args, positions = {}, [], {}
        for k, p in enumerate(parents):
            if p < 0:
                v = values[k]
                constants[k] = v if v.__class__ in _IMMUTABLE or not hasattr(v, "copy") or np.isscalar(v) else v.copy()
            else:
                a = node_of[p]
                positions[a] = positions[a] + (len(args),) if a in positions else (len(args),)
                args.append(a)
        fn = PrimitiveConstraint(prim, params, constants, arity)
        yield node, {"kind": "constraint", "fn": fn, "args": tuple(args), "init": None, "primitive": prim.name,
                     "params": params, "constants": constants}, positions


def _lookup(name, primitive):
    if not isinstance(primitive, str):
        raise GraphError(f"node {name!r}: the primitive must be given by its registered name, got {primitive!r}")
    prim = PRIMITIVES.get(primitive)
    if prim is None:
        raise GraphError(
            f"node {name!r}: unknown primitive {primitive!r}; it must be registered in "
            f"graphs.primitive.PRIMITIVES (with graphs.primitive.primitive) before it is used"
        )
    return prim


def _constants(name, constants, n_args):
    if constants is None:
        return {}
    if not isinstance(constants, dict):
        raise GraphError(f"node {name!r}: constants must be a dict {{position: value}}, got {type(constants).__name__}")
    n = n_args + len(constants)
    out = {}
    for k, v in constants.items():
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k < n:
            raise GraphError(
                f"node {name!r}: constant position {k!r} is not an integer in 0..{n - 1} (the "
                f"primitive is applied to {n_args} arguments and {len(constants)} constants)"
            )
        out[int(k)] = v if v.__class__ in _IMMUTABLE or not hasattr(v, "copy") or np.isscalar(v) else v.copy()
    return out if len(out) < 2 else dict(sorted(out.items()))


def _a_rule(prim):
    """One derivative rule of ``prim`` and the leading arguments it takes before ``g, ans``."""
    for table in (prim.vjps, prim.jvps):
        if isinstance(table, EveryArgument):
            return table.rule, (0,)
        for rule in table.values():
            return rule, ()
    return None, ()


def _bind(name, prim, fn, leading, arity, params, by):
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # some builtins have no signature: nothing to check
        return
    try:
        signature.bind(*leading, *(None,) * arity, **params)
    except TypeError as e:
        raise GraphError(
            f"node {name!r}: primitive '{prim.name}' cannot be applied to {arity} argument"
            f"{'s' * (arity != 1)} (node arguments and constants together) with parameters "
            f"{sorted(params)}{by}: {e}"
        ) from None


def _rule_params(rule, n_positional):
    """The named keyword parameters of a rule after its positional ones, and whether ``**kw``."""
    try:
        parameters = list(inspect.signature(rule).parameters.values())
    except (TypeError, ValueError):
        return set(), True
    named, open_ended, seen = set(), False, 0
    for p in parameters:
        if p.kind is p.VAR_KEYWORD:
            open_ended = True
        elif p.kind is p.VAR_POSITIONAL:
            seen = n_positional
        elif p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and seen < n_positional:
            seen += 1
        elif p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            named.add(p.name)
    return named, open_ended
