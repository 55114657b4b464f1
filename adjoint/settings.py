"""Method names, the per-block choice of method, and the settings of one solve."""

from dataclasses import dataclass, field

from graphs.errors import GraphError

FORWARD_METHODS = ("auto", "fixed_point", "anderson", "newton", "newton_krylov")
ADJOINT_METHODS = ("auto", "direct", "gmres", "bicgstab", "lgmres", "fixed_point", "neumann", "jfb")

#: ``forward="auto"``: Newton on the assembled Jacobian while the block is small enough for
#: that to be cheap (it converges quadratically and needs no contraction), else Anderson
#: acceleration, which needs only evaluations of the map.
AUTO_NEWTON_MAX_SIZE = 500
#: ``adjoint="auto"``: sparse direct (exact to rounding) while the block is small, else GMRES
#: on the matrix-free reduced operator.
AUTO_DIRECT_MAX_SIZE = 2000


@dataclass(frozen=True)
class Settings:
    """Everything ``adjoint.solve`` was told besides the graph: validated once."""

    forward: object = "auto"
    adjoint: object = "auto"
    rtol: float = None
    atol: float = None
    maxiter: int = None
    forward_options: dict = field(default_factory=dict)
    adjoint_options: dict = field(default_factory=dict)
    throw: bool = True
    check_finite: bool = True
    sweep: str = "jacobi"
    # issue 6: watching long solves (adjoint.progress)
    callback: object = None
    progress: bool = False

    def tolerances(self):
        """The ``rtol``/``atol``/``maxiter`` given explicitly (solvers default the rest)."""
        return {k: v for k, v in (("rtol", self.rtol), ("atol", self.atol), ("maxiter", self.maxiter)) if v is not None}


def check_method_choice(choice, valid, kind, graph=None):
    """Raise ``GraphError`` unless ``choice`` is a valid name or a dict of node -> valid name."""
    names = choice.values() if isinstance(choice, dict) else [choice]
    for name in names:
        if name not in valid:
            raise GraphError(f"unknown {kind} method {name!r}; choose one of {', '.join(valid)}")
    if isinstance(choice, dict) and graph is not None:
        for node in choice:
            if node is not None and node not in graph:  # key None: the default method
                raise GraphError(f"{kind}= names node {node!r}, which is not in the graph")


def method_for(choice, block, kind):
    """The method ``choice`` assigns to ``block``: a name, or a dict from node to name."""
    if not isinstance(choice, dict):
        return choice
    named = {choice[n] for n in block.nodes if n in choice}
    if len(named) > 1:
        raise GraphError(
            f"{kind}= gives the component [{', '.join(sorted(map(repr, block.nodes)))}] several methods "
            f"{sorted(named)}; a component is solved by one method"
        )
    return named.pop() if named else choice.get(None, "auto")
