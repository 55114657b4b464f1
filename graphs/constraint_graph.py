"""``ConstraintGraph``: a program as constraints ``z_i = f_i(z_α(i))`` on a networkx DiGraph."""

import networkx as nx

from .errors import GraphError
from .residual_form import ResidualForm


class ConstraintGraph(nx.DiGraph):
    """A program: inputs, and constraints ``z_name = fn(*[z_a for a in args])``.

    There is an edge ``a -> name`` for every argument ``a`` of a constraint; the edge's
    ``positions`` attribute lists where ``a`` appears in the ordered arguments. Node
    attributes: ``kind`` (``"input"`` or ``"constraint"``), and for constraints ``fn``,
    ``args`` (a tuple) and ``init`` (the initial value of a node on a cycle, or None).
    Arguments may be named before they are defined, and a constraint may use its own node:
    cycles are allowed; ``adjoint.solve`` iterates them.

    Examples
    --------
    >>> import adjoint
    >>> import adjoint.numpy as anp
    >>> g = adjoint.ConstraintGraph()
    >>> g.add_input("x")
    >>> g.add_constraint("y", lambda x: anp.sin(x) * x, ["x"])
    >>> sorted(g.inputs), sorted(g.constraints), list(g.edges)
    (['x'], ['y'], [('x', 'y')])
    """

    def add_input(self, name):
        """Declare the input ``name``; its value is given to ``adjoint.solve``."""
        self._check_new(name, "an input")
        self.add_node(name, kind="input")

    def add_constraint(self, name, fn, args, init=None):
        """Declare ``z_name = fn(*[z_a for a in args])``.

        Parameters
        ----------
        name : hashable
            The node defined by this constraint.
        fn : callable
            Built from ``adjoint.numpy`` functions and Python operators.
        args : sequence of hashable
            Ordered argument nodes; they may be defined later, or be ``name`` itself.
        init : array_like, optional
            The initial value when ``name`` lies on a cycle. A node with ``init`` is one the
            cyclic solvers iterate on.
        """
        self._add_constraint(name, fn, args, init, {})

    def add_residual(self, name, F, args, init=None):
        """Declare node ``name`` implicitly by the residual constraint ``F(z_name, *[z_a for a in args]) = 0``.

        ``F`` returns an array of ``z_name``'s shape (one equation per unknown). The node is
        stored as the explicit constraint ``z_name = z_name - F(...)`` (``graphs.residual_form``),
        which has the same solutions, the Jacobian ``∂F/∂z`` in the adjoint system, and as its
        multiplier in ``adjoint.solve``'s ``Solution.multipliers`` the multiplier of ``F = 0``:
        ``dJ/dε`` for the perturbed constraint ``F = ε``. The component holding the node is
        solved forward by Newton (``forward="auto"``), and its adjoint by a direct or Krylov
        method: a residual gives no contraction to iterate on.

        Parameters
        ----------
        name : hashable
            The node ``F = 0`` defines.
        F : callable
            ``F(z, *args)``, built from ``adjoint.numpy`` functions.
        args : sequence of hashable
            Further arguments of ``F`` (not ``name`` itself, which comes first).
        init : array_like
            Newton's starting point; it fixes the node's shape.

        Examples
        --------
        >>> import adjoint
        >>> g = adjoint.ConstraintGraph()
        >>> g.add_input("a")
        >>> g.add_residual("z", lambda z, a: z * z - a, ["a"], init=1.0)
        >>> sol = adjoint.solve(g, {"a": 2.0}, "z")
        >>> round(float(sol.values["z"]), 10), round(float(sol.gradient["a"]), 10)  # √a, 1 / (2√a)
        (1.4142135624, 0.3535533906)
        """
        if isinstance(args, (str, bytes)) or not hasattr(args, "__iter__"):
            raise GraphError(
                f"residual constraint '{name}': args must be a list of node names, got {args!r}; "
                f"write [{args!r}] for a single argument"
            )
        self._add_constraint(name, ResidualForm(name, F), (name, *args), init, {"residual": F})

    @property
    def residuals(self):
        """Names of the nodes defined by residual constraints (``add_residual``)."""
        return [n for n, r in self.nodes(data="residual") if r is not None]

    def _add_constraint(self, name, fn, args, init, attributes):
        # ``add_constraint`` with further node attributes: a primitive node's in one step.
        if not callable(fn):
            raise GraphError(f"constraint '{name}': fn must be callable, got {type(fn).__name__}")
        if isinstance(args, (str, bytes)) or not hasattr(args, "__iter__"):
            raise GraphError(
                f"constraint '{name}': args must be a list of node names, got {args!r}; "
                f"write [{args!r}] for a single argument"
            )
        args = tuple(args)
        self._check_new(name, "a constraint")
        positions = {}  # an argument used twice is one edge listing both positions
        for position, arg in enumerate(args):
            positions[arg] = positions.get(arg, ()) + (position,)
        self._put(name, {"kind": "constraint", "fn": fn, "args": args, "init": init} | attributes, positions)
        self._changed()

    def add_primitive(self, name, primitive, args, params=None, constants=None, init=None):
        """Declare ``z_name = PRIMITIVES[primitive](*full, **params)``: a node graphs can save.

        ``full`` puts ``constants[k]`` at position ``k`` and ``args`` at the other positions;
        see ``graphs.primitive_graph.add_primitive``.

        Examples
        --------
        >>> g = ConstraintGraph()
        >>> g.add_input("x")
        >>> g.add_primitive("y", "multiply", ["x"], constants={1: 3.0})
        >>> g.nodes["y"]["primitive"], float(g.nodes["y"]["fn"](2.0))
        ('multiply', 6.0)
        """
        from .primitive_graph import add_primitive  # it imports this module for graph_from_tape

        add_primitive(self, name, primitive, args, params, constants, init)

    def _extend(self, nodes):
        """Add constraints in bulk: ``nodes`` yields ``(name, attributes, {arg: positions})``.

        ``attributes`` must hold ``kind``, ``fn``, ``args`` and ``init`` as ``add_constraint``
        sets them; the caller has checked ``fn`` and ``args`` (a trace's records are valid
        by construction).
        """
        check_new, put = self._check_new, self._put
        for name, attributes, positions in nodes:
            check_new(name, "a constraint")
            put(name, attributes, positions)
        self._changed()

    def _put(self, name, attributes, positions):
        # networkx's adjacency dicts written directly: add_node / add_edge cost several times
        # more per call, and building a graph from a trace or a file makes 10^5 such calls.
        node, succ, pred = self._node, self._succ, self._pred
        if name is None or None in positions:  # what networkx's add_edge refuses
            raise GraphError(f"constraint {name!r} with arguments {list(positions)}: None cannot be a node name")
        if name in node:  # named as an argument before it was defined
            node[name].update(attributes)
        else:
            node[name], succ[name], pred[name] = attributes, {}, {}
        into = pred[name]
        for arg, p in positions.items():
            if arg not in node:  # an argument defined later: a node without a kind until then
                node[arg], succ[arg], pred[arg] = {}, {}, {}
            succ[arg][name] = into[arg] = {"positions": p}

    def _changed(self):
        cache = getattr(self, "__networkx_cache__", None)  # as networkx's own mutators do (>= 3.3)
        if cache:
            cache.clear()

    def _check_new(self, name, what):
        attributes = self._node.get(name)  # not self.nodes[name]: a view per call, 10^5 calls per file
        kind = attributes.get("kind") if attributes else None
        if kind == "input":
            if what == "a constraint":
                raise GraphError(f"'{name}' is an input: it cannot also be defined by a constraint")
            raise GraphError(f"input '{name}' is declared twice")
        if kind == "constraint":
            raise GraphError(f"'{name}' is already defined by a constraint; it cannot be defined twice")

    @property
    def inputs(self):
        """Names of the input nodes."""
        return [n for n, k in self.nodes(data="kind") if k == "input"]

    @property
    def constraints(self):
        """Names of the constraint nodes."""
        return [n for n, k in self.nodes(data="kind") if k == "constraint"]

    def validate(self):
        """Raise ``GraphError`` naming the first argument that is used but never defined."""
        for name, kind in self.nodes(data="kind"):
            if kind is None:
                users = sorted(map(repr, self.successors(name)))
                raise GraphError(
                    f"'{name}' is used as an argument by {', '.join(users)} but is neither an "
                    f"input nor a constraint; declare it with add_input or add_constraint"
                )
