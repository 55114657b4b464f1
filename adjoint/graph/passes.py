"""The three passes over a graph's blocks: forward (values), adjoint (multipliers), tangent.

The forward pass goes through the blocks in topological order: an acyclic node is evaluated
and linearised once, a cyclic block is solved by ``forward_block``. It keeps what the other
passes need: the blocks, the linearisations and one report per cyclic block, with its reduced
Jacobian attached for the spectral radius. The adjoint pass goes through the blocks in
reverse (block back-substitution), the tangent pass forward (block forward substitution);
an acyclic node costs one VJP or one JVP, a cyclic block one linear solve.
"""

import numpy as np

from adjoint.errors import InvalidArgumentError
from adjoint.graph.cyclic.block import adjoint_block, solve_block, tangent_block
from adjoint.graph.linearisation import holds_none, linearise
from graphs.structure import strongly_connected_blocks


def solve_constraints(graph, inputs, settings):
    """Validate ``graph`` and ``inputs``, then run the forward pass.

    Returns ``(values, blocks, lins, reports)``; see ``forward_pass``.
    """
    graph.validate()
    values = input_values(graph, inputs)
    return (values, *forward_pass(graph, values, settings))


def forward_pass(graph, values, settings):
    """Solve the constraints of ``graph`` from input ``values`` (a dict, updated in place).

    Returns ``(blocks, lins, reports)``: the blocks in topological order, node name ->
    ``LinearisedConstraint``, and block nodes -> ``BlockReport`` for each cyclic block.

    Examples
    --------
    A fixed point followed by an ordinary node, in two blocks:

    >>> import adjoint
    >>> import adjoint.numpy as anp
    >>> from adjoint.graph.settings import Settings
    >>> g = adjoint.ConstraintGraph()
    >>> g.add_input("x")
    >>> g.add_constraint("z", lambda z, x: anp.cos(z) / 2 + x, ["z", "x"], init=0.0)
    >>> g.add_constraint("y", lambda z: 2 * z, ["z"])
    >>> values = {"x": 1.0}
    >>> blocks, lins, reports = forward_pass(g, values, Settings())
    >>> [b.nodes for b in blocks], bool(abs(values["y"] - 2 * values["z"]) < 1e-15)
    ([('z',), ('y',)], True)
    """
    blocks = strongly_connected_blocks(graph)
    lins, reports = {}, {}
    nodes, check_finite = graph.nodes, settings.check_finite
    for block in blocks:
        if block.cyclic:
            block_lins, reports[block.nodes] = solve_block(graph, block, values, settings)
            lins.update(block_lins)
            values.update((n, lins[n].value) for n in block.nodes)
        else:  # one node, its arguments all solved already: once per node of a trace, so written out
            (name,) = block.nodes
            lin = lins[name] = linearise(graph, name, [values[a] for a in nodes[name]["args"]], None, check_finite)
            values[name] = lin.value
    return blocks, lins, reports


def input_values(graph, inputs):
    """The inputs' values as float arrays (copies), or ``InvalidArgumentError`` naming a missing or extra one."""
    names = graph.inputs
    unknown = [k for k in inputs if k not in names]
    if unknown:
        raise InvalidArgumentError(
            f"{unknown[0]!r} was given a value but is not an input of the graph; inputs: {names}"
        )
    missing = [x for x in names if x not in inputs]
    if missing:
        raise InvalidArgumentError(f"input {missing[0]!r} has no value; pass it in the inputs dict")
    values = {}
    for x in names:
        if holds_none(inputs[x]):  # else numpy makes it NaN, and the error would be "not finite"
            raise InvalidArgumentError(
                f"input {x!r} {'is None' if inputs[x] is None else 'holds None'}; give a float or an array"
            )
        try:
            values[x] = np.array(inputs[x], dtype=np.float64)  # a copy: the Solution never aliases the inputs
        except (TypeError, ValueError) as e:
            raise InvalidArgumentError(f"input {x!r} is not an array of numbers: {e}") from e
    return values


def input_tangents(graph, values, tangents):
    """The given input tangents as float arrays of the inputs' shapes; ``InvalidArgumentError`` otherwise."""
    seeds = {}
    for name, t in tangents.items():
        if name not in values or graph.nodes[name].get("kind") != "input":
            raise InvalidArgumentError(
                f"a tangent was given for {name!r}, which is not an input; inputs: {graph.inputs}"
            )
        if holds_none(t):
            raise InvalidArgumentError(
                f"the tangent of input {name!r} {'is None' if t is None else 'holds None'}; give a float "
                f"or an array of the input's shape, or leave the input out for a zero tangent"
            )
        try:
            t = np.asarray(t, dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise InvalidArgumentError(f"the tangent of input {name!r} is not an array of numbers: {e}") from e
        if t.shape != np.shape(values[name]):
            raise InvalidArgumentError(
                f"the tangent of input {name!r} has shape {t.shape}, the input {np.shape(values[name])}"
            )
        seeds[name] = t
    return seeds


def adjoint_pass(blocks, lins, seeds, settings, reports):
    """Multipliers of every node from seeds ``{node: ∇_z J}``, by block back-substitution.

    Blocks in reverse topological order: an acyclic node passes ``(∂f_i/∂z_j)ᵀ λ_i`` to each
    argument (one VJP); a cyclic block solves ``(I - J_BB)ᵀ λ_B = rhs_B`` (``adjoint_block``),
    its ``BlockReport`` in ``reports`` recording how. Returns node name -> λ, no entry for 0.
    """
    lam = dict(seeds)
    for block in reversed(blocks):
        if block.cyclic:
            adjoint_block(block, lins, lam, settings, reports[block.nodes])
            continue
        (node,) = block.nodes
        g = lam.get(node)
        if g is not None:
            lin = lins[node]
            for a, c in zip(lin.args, lin.vjp(g)):
                if c is not None:  # accumulate(lam, a, c), inline: this runs once per edge of a trace
                    old = lam.get(a)
                    lam[a] = c if old is None else old + c
    return lam


def tangent_pass(blocks, lins, seeds, settings, reports):
    """Tangents of every node from input tangents ``seeds``, by block forward substitution.

    Returns node name -> tangent, or no entry where the tangent is zero. ``reports`` maps a
    cyclic block's nodes to its ``BlockReport``, whose ``tangent`` is set.
    """
    dot = dict(seeds)
    for block in blocks:
        if block.cyclic:
            members = set(block.nodes)
            outer = {a: dot[a] for n in block.nodes for a in lins[n].args
                     if a not in members and dot.get(a) is not None}
            if outer:  # else every tangent in the block is zero: no solve
                dot.update(tangent_block(block, lins, outer, settings, reports[block.nodes]))
            continue
        (node,) = block.nodes
        ts = [dot.get(a) for a in lins[node].args]
        if any(t is not None for t in ts):
            dot[node] = lins[node].jvp(ts)
    return dot
