"""Method names, the per-block choice of method, and the settings of one solve."""

from dataclasses import dataclass, field

import numpy as np

from adjoint.errors import InvalidArgumentError

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
    callback: object = None
    progress: bool = False
    #: the keyword that chose the linear method, for messages: "adjoint" or "linear"
    linear_kind: str = "adjoint"

    def tolerances(self):
        """The ``rtol``/``atol``/``maxiter`` given explicitly (solvers default the rest)."""
        return {k: v for k, v in (("rtol", self.rtol), ("atol", self.atol), ("maxiter", self.maxiter)) if v is not None}


def resolve_linear_method(method, size):
    """The linear method ``"auto"`` stands for on a block of ``size`` scalars; others unchanged."""
    if method != "auto":
        return method
    return "direct" if size <= AUTO_DIRECT_MAX_SIZE else "gmres"


def resolve_forward_method(method, size):
    """The forward method ``"auto"`` stands for on a block of ``size`` scalars; others unchanged."""
    if method != "auto":
        return method
    return "newton" if size <= AUTO_NEWTON_MAX_SIZE else "anderson"


def check_method_choice(choice, valid, kind, graph=None):
    """Raise ``InvalidArgumentError`` unless ``choice`` is a valid name or a dict of node -> valid name."""
    names = choice.values() if isinstance(choice, dict) else [choice]
    for name in names:
        if name not in valid:
            raise InvalidArgumentError(f"unknown {kind} method {name!r}; choose one of {', '.join(valid)}")
    if isinstance(choice, dict) and graph is not None:
        for node in choice:
            if node is not None and node not in graph:  # key None: the default method
                raise InvalidArgumentError(f"{kind}= names node {node!r}, which is not in the graph")


def method_for(choice, block, kind):
    """The method ``choice`` assigns to ``block``: a name, or a dict from node to name."""
    if not isinstance(choice, dict):
        return choice
    named = {choice[n] for n in block.nodes if n in choice}
    if len(named) > 1:
        raise InvalidArgumentError(
            f"{kind}= gives the component [{', '.join(sorted(map(repr, block.nodes)))}] several methods "
            f"{sorted(named)}; a component is solved by one method"
        )
    return named.pop() if named else choice.get(None, "auto")


def checked_settings(graph=None, *, forward="auto", linear="auto", linear_kind="adjoint", rtol=None,
                     atol=None, maxiter=None, forward_options=None, linear_options=None, throw=True,
                     check_finite=True, sweep="jacobi", callback=None, progress=False):
    """Validate every setting of a solve, before any work, and bundle them in ``Settings``.

    ``linear`` is the linear method of the cyclic components (``adjoint=`` of ``solve``,
    ``linear=`` of the tangent solves: ``linear_kind`` names it in messages). Raises
    ``InvalidArgumentError`` naming the setting at fault.
    """
    check_method_choice(forward, FORWARD_METHODS, "forward", graph)
    if linear != "triangular":  # the assembled path of an acyclic solve, no per-block method
        check_method_choice(linear, ADJOINT_METHODS, linear_kind, graph)
    if sweep not in ("jacobi", "gauss_seidel"):
        raise InvalidArgumentError(f"unknown sweep {sweep!r}; choose 'jacobi' or 'gauss_seidel'")
    if callback is not None and not callable(callback):
        raise InvalidArgumentError(
            f"callback must be callable as callback(block_nodes, phase, iteration, residual), "
            f"got {callback!r}"
        )
    if not isinstance(progress, bool):
        raise InvalidArgumentError(f"progress must be True or False, got {progress!r}")
    settings = Settings(forward, linear, rtol, atol, maxiter, dict(forward_options or {}),
                        dict(linear_options or {}), throw, check_finite, sweep, callback, progress,
                        linear_kind)
    for key, value in settings.tolerances().items():
        if key == "maxiter":
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise InvalidArgumentError(f"maxiter must be a positive integer, got {value!r}")
        elif not (isinstance(value, (int, float, np.floating)) and not isinstance(value, bool)
                  and np.isfinite(value) and value >= 0):
            raise InvalidArgumentError(f"{key} must be a finite number >= 0, got {value!r}")
    return settings
