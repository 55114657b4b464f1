"""The settings of one solve over a graph, all checked before any work is done.

Method names and what each method accepts come from the solvers' registries
(``solvers.linear_methods()``, ``solvers.nonlinear_methods()``); this module adds ``"auto"``,
the per-component choice of a method (a dict from node to method), and the conversion of the
solvers' ``SolverSettingError`` into the public ``InvalidArgumentError``.

Options (``forward_options``, ``adjoint_options`` / ``linear_options``) are shared by every
cyclic component. Each key must be an option of at least one method the choice can lead to
(``"auto"`` leads to both of its resolutions), and is checked by each such method that has
it; a component's solve then receives the keys its method accepts.
"""

from dataclasses import dataclass, field

import solvers
from adjoint.errors import InvalidArgumentError, MissingDependencyError
from solvers.linear import LINEAR
from solvers.nonlinear import NONLINEAR

FORWARD_METHODS = ("auto", *solvers.nonlinear_methods())
LINEAR_METHODS = ("auto", *solvers.linear_methods())

#: ``forward="auto"``: Newton on the assembled Jacobian while the block is small enough for
#: that to be cheap (it converges quadratically and needs no contraction), else Anderson
#: acceleration, which needs only evaluations of the map.
AUTO_NEWTON_MAX_SIZE = 500
#: ``adjoint="auto"``: sparse direct (exact to rounding) while the block is small, else GMRES
#: on the matrix-free reduced operator, or the fixed-point iteration where the forward Picard
#: solve was seen to contract fast (the adjoint iteration contracts at the same rate, one VJP
#: per step and nothing else).
AUTO_DIRECT_MAX_SIZE = 2000
#: ``forward="auto"`` on a large block starts with this many Picard steps, and goes on with
#: Picard where its residual fell by at most ``AUTO_PICARD_RATE`` per step, else with Anderson.
PROBE_STEPS = 5
AUTO_PICARD_RATE = 0.5
_AUTO = {"forward": ("newton", "anderson"), "linear": ("direct", "gmres")}


@dataclass(frozen=True)
class Settings:
    """Everything a graph solve was told besides the graph: validated once."""

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

    def forward_options_for(self, method):
        """The forward options that ``method`` accepts."""
        return {k: v for k, v in self.forward_options.items() if k in NONLINEAR[method].options}

    def linear_options_for(self, method):
        """The linear options that ``method`` accepts."""
        return {k: v for k, v in self.adjoint_options.items() if k in LINEAR[method].options}


def resolve_linear_method(method, size, contraction=None):
    """The linear method ``"auto"`` stands for on a block of ``size`` scalars; others unchanged.

    ``contraction``: the rate at which the block's forward Picard solve contracted, if it was
    one (``adjoint.graph.cyclic.forward.observed_contraction``).
    """
    if method != "auto":
        return method
    if size <= AUTO_DIRECT_MAX_SIZE:
        return "direct"
    return "fixed_point" if contraction is not None and contraction <= AUTO_PICARD_RATE else "gmres"


def resolve_forward_method(method, size, residual=False):
    """The forward method ``"auto"`` stands for on a block of ``size`` scalars; others unchanged.

    A block with a residual constraint (``residual``) is a root-finding problem, whose
    explicit form ``z = z - F(z)`` need not contract: Newton, whatever the size.
    """
    if method != "auto":
        return method
    return "newton" if residual or size <= AUTO_NEWTON_MAX_SIZE else "anderson"


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


#: The keywords of the public solve functions that ``checked_settings`` reads.
KEYWORDS = ("forward", "adjoint", "linear", "rtol", "atol", "maxiter", "forward_options",
            "adjoint_options", "linear_options", "throw", "check_finite", "sweep", "callback",
            "progress")


def checked_settings(graph, keywords):
    """Validate every setting of a solve, before any work, and bundle them in ``Settings``.

    Parameters
    ----------
    graph : ConstraintGraph or None
        Nodes named in a per-component method dict must be in it (``None``: not checked).
    keywords : dict
        The public function's keyword arguments (its ``locals()``; other names are ignored).
        The linear method is ``adjoint=`` (``solve``, ``fixed_point``) or ``linear=``
        (``solve_tangent``, ``sparse_jacobian``), with ``adjoint_options`` or
        ``linear_options``; messages use the keyword given.

    Raises
    ------
    InvalidArgumentError
        Naming the setting at fault and what is allowed.

    Examples
    --------
    >>> checked_settings(None, {"forward": "anderson", "rtol": 1e-8}).forward
    'anderson'
    >>> try:
    ...     checked_settings(None, {"adjoint": "gmres", "adjoint_options": {"k": 3}})
    ... except InvalidArgumentError as e:
    ...     print(e)
    adjoint_options has no option 'k' for method 'gmres'; its options are: restart
    """
    given = {k: keywords[k] for k in KEYWORDS if k in keywords}
    linear_kind = "linear" if "linear" in given else "adjoint"
    settings = Settings(
        forward=given.get("forward", "auto"), adjoint=given.get(linear_kind, "auto"),
        rtol=given.get("rtol"), atol=given.get("atol"), maxiter=given.get("maxiter"),
        forward_options=dict(given.get("forward_options") or {}),
        adjoint_options=dict(given.get(f"{linear_kind}_options") or {}),
        throw=given.get("throw", True), check_finite=given.get("check_finite", True),
        sweep=given.get("sweep", "jacobi"), callback=given.get("callback"),
        progress=given.get("progress", False), linear_kind=linear_kind,
    )
    try:
        solvers.Tolerance.linear(**settings.tolerances())
        solvers.Tolerance.nonlinear(**settings.tolerances())
    except solvers.SolverSettingError as e:
        raise InvalidArgumentError(str(e)) from e
    forward = _candidates(settings.forward, FORWARD_METHODS, "forward", "forward", graph)
    _check_options(forward, settings.forward_options, "nonlinear", "forward_options", settings)
    if settings.adjoint != "triangular":  # the assembled path of an acyclic solve, no per-block method
        linear = _candidates(settings.adjoint, LINEAR_METHODS, "linear", linear_kind, graph)
        _check_options(linear, settings.adjoint_options, "linear", f"{linear_kind}_options", settings)
    if settings.sweep not in ("jacobi", "gauss_seidel"):
        raise InvalidArgumentError(f"unknown sweep {settings.sweep!r}; choose 'jacobi' or 'gauss_seidel'")
    if settings.callback is not None and not callable(settings.callback):
        raise InvalidArgumentError(
            f"callback must be callable as callback(block_nodes, phase, iteration, residual), "
            f"got {settings.callback!r}"
        )
    if not isinstance(settings.progress, bool):
        raise InvalidArgumentError(f"progress must be True or False, got {settings.progress!r}")
    return settings


def _candidates(choice, valid, auto_kind, keyword, graph):
    """The methods ``choice`` (a name or a dict of node -> name) can lead to, checked."""
    names = list(choice.values()) if isinstance(choice, dict) else [choice]
    if isinstance(choice, dict) and None not in choice:
        names.append("auto")  # components it does not name take the default
    for name in names:
        if name not in valid:
            raise InvalidArgumentError(f"unknown {keyword} method {name!r}; choose one of {', '.join(valid)}")
    if isinstance(choice, dict) and graph is not None:
        for node in choice:
            if node is not None and node not in graph:  # key None: the default method
                raise InvalidArgumentError(f"{keyword}= names node {node!r}, which is not in the graph")
    methods = [m for name in names for m in (_AUTO[auto_kind] if name == "auto" else (name,))]
    return list(dict.fromkeys(methods))


def _check_options(methods, options, kind, keyword, settings):
    registry = NONLINEAR if kind == "nonlinear" else LINEAR
    known = {k for m in methods for k in registry[m].options}
    for key in options:
        if key not in known:
            valid = ", ".join(sorted(known)) or "none"
            named = ", ".join(repr(m) for m in methods)
            raise InvalidArgumentError(
                f"{keyword} has no option {key!r} for method {named}; its options are: {valid}"
            )
    for method in methods:
        try:
            registry.require_available(method)
        except solvers.SolverDependencyError as e:
            raise MissingDependencyError(str(e)) from e
        mine = {k: v for k, v in options.items() if k in registry[method].options}
        try:
            solvers.check_options(method, mine, kind=kind)
        except solvers.SolverSettingError as e:
            raise InvalidArgumentError(f"{keyword}: {e}") from e
