"""Structural analysis: strongly connected blocks, their iterates, and evaluation orders.

Condensing the dependency graph makes ``I - J_zz`` block lower triangular: blocks are
evaluated in topological order and back-substituted in reverse. A cyclic block is *torn*:
it is iterated on a few nodes, its iterates (the nodes declared with ``init``, completed to
a feedback vertex set); cutting the edges that leave the iterates inside the block leaves a
DAG, whose topological order is the block's evaluation order.
"""

from dataclasses import dataclass

import networkx as nx

from .errors import GraphError


@dataclass(frozen=True)
class Block:
    """A strongly connected component of a constraint graph.

    Attributes
    ----------
    nodes : tuple
        The block's nodes in evaluation order (for a cyclic block: topological order of the
        block with its feedback edges cut).
    cyclic : bool
        More than one node, or a node that uses itself.
    iterates : tuple
        The nodes a cyclic block is iterated on; empty for an acyclic block.
    """

    nodes: tuple
    cyclic: bool
    iterates: tuple = ()

    @property
    def interior(self):
        """The nodes that are not iterates, in evaluation order."""
        iterates = set(self.iterates)
        return tuple(n for n in self.nodes if n not in iterates)


def strongly_connected_blocks(graph):
    """The non-input nodes of ``graph`` grouped into blocks, in topological order.

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.DiGraph([("x", "a"), ("a", "b"), ("b", "a"), ("b", "c")])
    >>> g.nodes["x"]["kind"] = "input"
    >>> [(sorted(b.nodes), b.cyclic) for b in strongly_connected_blocks(g)]
    [(['a', 'b'], True), (['c'], False)]
    """
    blocks = _blocks_in_insertion_order(graph)
    if blocks is not None:
        return blocks
    condensed = nx.condensation(graph)
    blocks = []
    for component in nx.topological_sort(condensed):
        members = condensed.nodes[component]["members"]
        if len(members) == 1:
            (node,) = members
            if graph.nodes[node].get("kind") == "input":
                continue
            if not graph.has_edge(node, node):
                blocks.append(Block((node,), False))
                continue
        blocks.append(_torn_block(graph, members))
    return blocks


def _blocks_in_insertion_order(graph):
    """The blocks of an acyclic ``graph`` whose nodes were added in a topological order, else None.

    Graphs from a trace, and most written by hand, define every node after its arguments:
    then each node is its own acyclic block and that order is a topological one. Checking
    it is one pass over the edges, where ``nx.condensation`` costs several per node.
    A self-loop or any edge pointing backwards fails the check: the general route follows.
    """
    pred = getattr(graph, "_pred", None)
    nodes = getattr(graph, "_node", None)
    if type(pred) is not dict or type(nodes) is not dict:  # a view: take the general route
        return None
    seen = set()
    add = seen.add
    for node, into in pred.items():
        if not seen.issuperset(into):  # an argument defined later, or the node itself
            return None
        add(node)
    return [Block((node,), False) for node, data in nodes.items() if data.get("kind") != "input"]


def feedback_vertex_set(graph, preferred=()):
    """A small set of nodes whose removal leaves ``graph`` acyclic (greedy).

    ``preferred`` nodes are taken first. Then, while cycles remain, a node with a self-loop,
    or else the node of largest ``in_degree * out_degree`` in a cyclic component, is taken.

    Examples
    --------
    >>> import networkx as nx
    >>> sorted(feedback_vertex_set(nx.DiGraph([(1, 2), (2, 3), (3, 1)]), preferred=[2]))
    [2]
    """
    chosen = [n for n in preferred if n in graph]
    rest = graph.subgraph(n for n in graph if n not in set(chosen)).copy()
    while True:
        loops = list(nx.nodes_with_selfloops(rest))
        if loops:
            chosen.extend(loops)
            rest.remove_nodes_from(loops)
            continue
        cyclic = [c for c in nx.strongly_connected_components(rest) if len(c) > 1]
        if not cyclic:
            return tuple(chosen)
        for component in cyclic:
            sub = rest.subgraph(component)
            best = max(sub, key=lambda n: sub.in_degree(n) * sub.out_degree(n))
            chosen.append(best)
            rest.remove_node(best)


def _torn_block(graph, members):
    sub = graph.subgraph(members)
    declared = [n for n in sub if graph.nodes[n].get("init") is not None]
    iterates = feedback_vertex_set(sub, preferred=declared)
    cut = nx.DiGraph(sub)
    cut.remove_edges_from([(t, j) for t in iterates for j in list(cut.successors(t))])
    try:
        order = tuple(nx.topological_sort(cut))
    except nx.NetworkXUnfeasible:  # pragma: no cover - feedback_vertex_set guarantees a DAG
        raise GraphError(f"could not tear the cycle through [{', '.join(sorted(map(repr, members)))}]") from None
    ordered_iterates = tuple(n for n in order if n in set(iterates))
    return Block(order, True, ordered_iterates)
