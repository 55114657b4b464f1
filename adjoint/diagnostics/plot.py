"""Pictures of a solve (matplotlib, an optional extra: ``pip install "adjoint[plot]"``).

* ``constraint_graph`` draws a graph with its strongly connected components outlined and its
  nodes coloured by ``|λ|`` from a ``Solution`` — where the objective is sensitive.
* ``convergence`` draws the forward and adjoint residual histories of each cyclic component.

matplotlib is imported when a picture is drawn, not with ``adjoint``; figures are drawn on
the Agg canvas directly, so no pyplot state or interactive backend is touched.
"""

import numpy as np

from adjoint.errors import MissingDependencyError
from graphs.structure import strongly_connected_blocks


def _matplotlib():
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as e:
        raise MissingDependencyError(
            "adjoint.plot needs matplotlib, an optional dependency: pip install \"adjoint[plot]\" "
            "(or pip install matplotlib)"
        ) from e
    return Figure, FigureCanvasAgg


def _figure(size):
    Figure, FigureCanvasAgg = _matplotlib()
    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path, dpi=120):
    if path is not None:
        fig.savefig(path, dpi=dpi)
    return fig


def _magnitude(x):
    return float(np.sqrt(np.sum(np.square(x)))) if x is not None else 0.0


def _outline(ax, points, radius, **style):
    """A rounded hull around ``points``: the convex hull of circles of ``radius`` about them."""
    from matplotlib.patches import Polygon
    from scipy.spatial import ConvexHull

    angles = np.linspace(0.0, 2 * np.pi, 24, endpoint=False)
    ring = radius * np.column_stack([np.cos(angles), np.sin(angles)])
    cloud = (np.asarray(points)[:, None, :] + ring[None]).reshape(-1, 2)
    hull = cloud[ConvexHull(cloud).vertices]
    ax.add_patch(Polygon(hull, closed=True, **style))


def constraint_graph(graph, solution=None, path=None, *, layout=None, seed=0, ax=None, title=None):
    """Draw ``graph``: cyclic components outlined, nodes coloured by ``|λ|`` from ``solution``.

    Parameters
    ----------
    graph : ConstraintGraph
    solution : Solution, optional
        Node colours are ``‖λ_i‖`` (``‖dJ/dx‖`` for inputs), on a log scale; without it, by kind.
    path : str or path-like, optional
        Where to write the picture (PNG, SVG, PDF by its extension).
    layout : dict, optional
        Node -> (x, y); default a spring layout with ``seed``.
    ax : matplotlib Axes, optional
        Draw into it instead of a new figure.
    title : str, optional
        Default: what the outlines and the shapes mean.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    A cycle ``a → b → a`` (outlined) between an input and the objective:

    >>> import adjoint
    >>> from adjoint.numpy import cos
    >>> g = adjoint.ConstraintGraph()
    >>> g.add_input("x")
    >>> g.add_constraint("a", lambda b, x: cos(b) / 2 + x, ["b", "x"], init=0.0)
    >>> g.add_constraint("b", lambda a: a / 2, ["a"])
    >>> g.add_constraint("J", lambda a: a ** 2, ["a"])
    >>> fig = adjoint.plot.constraint_graph(g, adjoint.solve(g, {"x": 1.0}, "J"))
    >>> len(fig.axes) >= 1
    True
    """
    import networkx as nx
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import LogNorm

    fig = _figure((7, 5)) if ax is None else ax.figure
    ax = fig.add_subplot() if ax is None else ax
    pos = layout if layout is not None else nx.spring_layout(graph, seed=seed)
    span = np.ptp(np.array(list(pos.values())), axis=0).max() if len(pos) > 1 else 1.0
    for k, block in enumerate(b for b in strongly_connected_blocks(graph) if b.cyclic):
        _outline(ax, [pos[n] for n in block.nodes], 0.07 * span, facecolor=(1.0, 0.85, 0.6, 0.35),
                 edgecolor="tab:orange", linewidth=1.5, zorder=0,
                 label="strongly connected component" if k == 0 else None)
    nx.draw_networkx_edges(graph, pos, ax=ax, arrows=True, arrowsize=12, edge_color="0.45",
                           node_size=500, connectionstyle="arc3,rad=0.08")
    nodes = list(graph.nodes)
    inputs = set(graph.inputs)
    if solution is not None and solution.multipliers:
        size = {**{n: _magnitude(v) for n, v in solution.multipliers.items()},
                **{n: _magnitude(v) for n, v in solution.gradient.items()}}
        mags = np.array([size.get(n, 0.0) for n in nodes])
        positive = mags[mags > 0]
        lo = positive.min() if positive.size else 1e-16
        hi = max(mags.max(), lo * 10)
        norm = LogNorm(vmin=lo, vmax=hi)
        cmap = colormaps["viridis"]
        colours = [cmap(norm(max(m, lo))) for m in mags]
        fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, label="|λ| (inputs: |dJ/dx|)")
    else:
        colours = ["tab:gray" if n in inputs else "tab:blue" for n in nodes]
    for shape, members in (("s", [n for n in nodes if n in inputs]), ("o", [n for n in nodes if n not in inputs])):
        if members:
            nx.draw_networkx_nodes(graph, pos, nodelist=members, node_shape=shape, ax=ax, node_size=500,
                                   node_color=[colours[nodes.index(n)] for n in members],
                                   edgecolors="black", linewidths=0.8)
    nx.draw_networkx_labels(graph, pos, labels={n: str(n) for n in nodes}, ax=ax, font_size=8,
                            font_color="white")
    ax.set_title(title or "constraint graph: components outlined, squares are inputs")
    ax.set_axis_off()
    if any(b.cyclic for b in strongly_connected_blocks(graph)):
        ax.legend(loc="lower left", fontsize=8, frameon=False)
    return _save(fig, path)


def convergence(reports, path=None, *, ax=None, title=None):
    """Residual histories of each cyclic component: forward solid, adjoint dashed, tangent dotted.

    Parameters
    ----------
    reports : Solution, or list of BlockReport
        A solution's ``blocks``, or reports collected elsewhere (``Tape.reports``).
    path : str or path-like, optional
        Where to write the picture.
    ax, title : optional
        As for ``constraint_graph``.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    Three coupled fixed points, solved by Picard iteration both ways:

    >>> import adjoint
    >>> import adjoint.numpy as anp
    >>> g = adjoint.ConstraintGraph()
    >>> g.add_input("b")
    >>> g.add_constraint("v", lambda v, b: anp.tanh(v) / 4 + b, ["v", "b"], init=anp.zeros(3))
    >>> g.add_constraint("J", lambda v: anp.sum(v ** 2), ["v"])
    >>> sol = adjoint.solve(g, {"b": anp.ones(3)}, "J", forward="fixed_point", adjoint="fixed_point")
    >>> fig = adjoint.plot.convergence(sol)
    >>> fig.axes[0].get_yscale()
    'log'
    """
    blocks = list(getattr(reports, "blocks", reports))
    fig = _figure((7, 4)) if ax is None else ax.figure
    ax = fig.add_subplot() if ax is None else ax
    colours = [f"C{k % 10}" for k in range(len(blocks))]
    drawn = False
    for colour, report in zip(colours, blocks):
        name = ", ".join(map(str, report.nodes[:3])) + ("…" if len(report.nodes) > 3 else "")
        for phase, style in (("forward", "-"), ("adjoint", "--"), ("tangent", ":")):
            solve = getattr(report, phase, None)
            history = [r for r in (getattr(solve, "residuals", None) or []) if r > 0]
            if history:
                ax.semilogy(range(1, len(history) + 1), history, style, color=colour, marker=".",
                            label=f"[{name}] {phase} ({solve.method})")
                drawn = True
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("relative residual")
    ax.set_title(title or "convergence of each cyclic component")
    ax.grid(True, which="both", alpha=0.3)
    if drawn:
        ax.legend(fontsize=8)
    return _save(fig, path)
