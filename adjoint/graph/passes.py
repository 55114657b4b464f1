"""The forward pass over a graph's blocks, keeping every node's linearisation.

Blocks in topological order: an acyclic node is evaluated and linearised once; a cyclic block
is solved by ``forward_block``. What a tangent pass (or a sparse Jacobian's many tangent
passes) needs afterwards is here: the blocks, the linearisations and one report per cyclic
block, with its reduced Jacobian attached for the spectral radius.
"""

import numpy as np

from graphs.errors import GraphError
from graphs.structure import strongly_connected_blocks

from adjoint.graph.cyclic.block import forward_block
from adjoint.graph.linearisation import argument_values, linearise
from adjoint.graph.solution import BlockReport
from adjoint.graph.cyclic.spectral import reduced_jacobian


def forward_pass(graph, values, settings):
    """Solve the constraints of ``graph`` from input ``values`` (a dict, updated in place).

    Returns ``(blocks, lins, reports)``: the blocks in topological order, node name ->
    ``LinearisedConstraint``, and block nodes -> ``BlockReport`` for each cyclic block.

    Examples
    --------
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
    for block in blocks:
        if block.cyclic:
            block_lins, report = forward_block(graph, block, values, settings)
            lins.update(block_lins)
            reports[block.nodes] = BlockReport(block.nodes, block.iterates, report)
            reports[block.nodes].reduced_jacobian = reduced_jacobian(block, block_lins)
        else:
            (name,) = block.nodes
            lins[name] = linearise(graph, name, argument_values(graph, name, values), None, settings.check_finite)
        values.update((n, lins[n].value) for n in block.nodes)
    return blocks, lins, reports


def input_values(graph, inputs):
    """The inputs' values as float arrays (copies), or ``GraphError`` naming a missing or extra one."""
    names = graph.inputs
    unknown = [k for k in inputs if k not in names]
    if unknown:
        raise GraphError(f"{unknown[0]!r} was given a value but is not an input of the graph; inputs: {names}")
    missing = [x for x in names if x not in inputs]
    if missing:
        raise GraphError(f"input {missing[0]!r} has no value; pass it in the inputs dict")
    values = {}
    for x in names:
        try:
            values[x] = np.array(inputs[x], dtype=np.float64)  # a copy: the Solution never aliases the inputs
        except (TypeError, ValueError) as e:
            raise GraphError(f"input {x!r} is not an array of numbers: {e}") from e
    return values
