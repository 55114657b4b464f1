"""Registries of methods, and solver objects: the one place names, options and checks live.

A :class:`Registry` holds the methods of one kind (``"linear"`` or ``"nonlinear"``)
in a stable order. Each :class:`Method` is a name bound to a module that declares
``solve``, ``OPTIONS`` (:class:`~solvers.settings.Option` by name) and
``CAPABILITIES`` (:mod:`solvers.capabilities`); an alias binds another name to the
same module with some options fixed (``"jfb"`` is ``"neumann"`` with ``k = 0``).

A :class:`Solver` (:class:`~solvers.linear.dispatch.LinearSolver`,
:class:`~solvers.nonlinear.dispatch.NonlinearSolver`) is a method with its options
and tolerance, every one checked when the object is made; ``solve_linear`` and
``solve_fixed_point`` take one in place of a method name.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType, ModuleType
from typing import ClassVar

from .backend import on_gpu
from .errors import SolverDependencyError, SolverSettingError
from .settings import check_method_options, quoted
from .tolerance import Tolerance


@dataclass(frozen=True)
class Method:
    """A registered method: its name, the module that implements it, options it fixes.

    Attributes
    ----------
    name : str
        The name callers use; the report's ``method``.
    module : module
        Declares ``solve``, ``OPTIONS`` and ``CAPABILITIES``.
    fixed : mapping, optional
        Options this name fixes (an alias); they are not the caller's to give.

    Examples
    --------
    >>> from solvers.linear import neumann
    >>> jfb = Method("jfb", neumann, fixed={"k": 0})
    >>> sorted(jfb.options), jfb.capabilities.exact
    ([], False)
    """

    name: str
    module: ModuleType
    fixed: Mapping = field(default_factory=dict)

    @property
    def capabilities(self):
        """The module's ``CAPABILITIES``."""
        return self.module.CAPABILITIES

    @property
    def options(self) -> dict:
        """The options a caller may give: the module's, less the fixed ones."""
        return {name: option for name, option in self.module.OPTIONS.items()
                if name not in self.fixed}


class Registry:
    """The methods of one kind, by name, in the order given.

    Parameters
    ----------
    kind : str
        ``"linear"`` or ``"nonlinear"``, quoted in messages.
    methods : iterable of Method
    tolerance : callable
        ``tolerance(rtol, atol, maxiter) -> Tolerance`` with this kind's defaults
        (:meth:`Tolerance.linear` or :meth:`Tolerance.nonlinear`).

    Examples
    --------
    >>> from solvers.linear import direct, gmres
    >>> registry = Registry("linear", [Method("direct", direct), Method("gmres", gmres)],
    ...                     Tolerance.linear)
    >>> registry.names, registry.names_where(lambda caps: caps.matrix_free)
    (('direct', 'gmres'), ('gmres',))
    >>> registry["foo"]
    Traceback (most recent call last):
    ...
    solvers.errors.SolverSettingError: unknown linear method 'foo'; valid methods are: direct, gmres
    """

    def __init__(self, kind: str, methods, tolerance: Callable[..., Tolerance]):
        self.kind = kind
        self.tolerance = tolerance
        self._methods = {method.name: method for method in methods}

    @property
    def names(self) -> tuple[str, ...]:
        """Every method name, in registration order."""
        return tuple(self._methods)

    def __getitem__(self, name) -> Method:
        method = self._methods.get(name) if isinstance(name, str) else None
        if method is None:
            raise SolverSettingError(
                f"unknown {self.kind} method {name!r}; valid methods are: {', '.join(self.names)}"
            )
        return method

    def names_where(self, predicate: Callable[[object], bool]) -> tuple[str, ...]:
        """The names of the methods whose capabilities satisfy `predicate`, in order."""
        return tuple(name for name, method in self._methods.items()
                     if predicate(method.capabilities))

    def require_available(self, name: str) -> None:
        """Refuse the method `name` where its optional dependency is missing (``"petsc"``).

        A method module may define ``unavailable() -> str or None``: the reason it cannot run
        here, which says how to install what is missing.

        Raises
        ------
        SolverDependencyError
            With that reason.

        Examples
        --------
        >>> from solvers.linear import LINEAR
        >>> LINEAR.require_available("gmres")
        """
        unavailable = getattr(self[name].module, "unavailable", None)
        reason = None if unavailable is None else unavailable()
        if reason is not None:
            raise SolverDependencyError(reason)

    def require_device(self, name: str, x) -> None:
        """Refuse a GPU array `x` for the method `name` if it runs on the host only.

        Parameters
        ----------
        name : str
            A method of this registry; its capabilities say whether ``gpu``.
        x : array
            The right-hand side or starting point of the solve.

        Raises
        ------
        SolverSettingError
            If `x` is a cupy array and the method is host-only; the message names
            the methods of this kind that do run on the GPU.

        Examples
        --------
        >>> from solvers.linear import LINEAR
        >>> LINEAR.require_device("gmres", [1.0, 2.0])  # host memory: fine
        """
        if on_gpu(x) and not self[name].capabilities.gpu:
            raise SolverSettingError(
                f"method {name!r} runs on scipy in host memory and cannot take a cupy "
                f"array; use {quoted(self.names_where(lambda caps: caps.gpu))} ({self.kind}), "
                "which run on the GPU, or move the data with cupy.asnumpy"
            )


class Solver:
    """A method with its options and tolerance, all checked when the object is made.

    Subclassed once per kind, with the registry of that kind:
    :class:`~solvers.linear.dispatch.LinearSolver` and
    :class:`~solvers.nonlinear.dispatch.NonlinearSolver`.

    Parameters
    ----------
    method : str
        A name of the registry.
    rtol, atol, maxiter : optional
        The tolerance (:mod:`solvers.tolerance`); ``None`` takes the default.
    **options
        Options of the method.

    Attributes
    ----------
    method : str
    options : mapping
        Every option of the method (read-only): the values given, checked, else
        the defaults.
    tolerance : Tolerance
    capabilities : LinearCapabilities or NonlinearCapabilities

    Raises
    ------
    SolverSettingError
        For an unknown method or option, a bad option value, or a bad tolerance.

    Examples
    --------
    >>> from solvers import LinearSolver
    >>> solver = LinearSolver("gmres", rtol=1e-8, restart=20)
    >>> solver
    LinearSolver('gmres', rtol=1e-08, atol=0.0, maxiter=None, restart=20)
    >>> solver.capabilities.matrix_free
    True
    >>> LinearSolver("gmres", restart=0)
    Traceback (most recent call last):
    ...
    solvers.errors.SolverSettingError: restart must be a positive integer, got 0
    """

    registry: ClassVar[Registry]
    __slots__ = ("_entry", "options", "tolerance")

    def __init__(self, method: str, *, rtol=None, atol=None, maxiter=None, **options):
        entry = self.registry[method]
        tolerance = self.registry.tolerance(rtol=rtol, atol=atol, maxiter=maxiter)
        checked = check_method_options(entry.name, options, entry.options)
        object.__setattr__(self, "_entry", entry)
        object.__setattr__(self, "tolerance", tolerance)
        object.__setattr__(self, "options", MappingProxyType(checked))

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable: make a new one")

    @property
    def method(self) -> str:
        return self._entry.name

    @property
    def capabilities(self):
        return self._entry.capabilities

    @classmethod
    def coerce(cls, method, options: Mapping, rtol=None, atol=None, maxiter=None) -> "Solver":
        """Return `method` if it is a solver of this kind, else make one from the settings.

        Parameters
        ----------
        method : str or Solver
            A solver object carries its own settings: none may be given beside it.
        options : mapping
            Options of the method.
        rtol, atol, maxiter : optional

        Returns
        -------
        Solver

        Raises
        ------
        SolverSettingError
            For a solver of the other kind, settings given beside a solver, or
            any setting :class:`Solver` refuses.

        Examples
        --------
        >>> from solvers import LinearSolver
        >>> LinearSolver.coerce("neumann", {"k": 2}).options["k"]
        2
        >>> LinearSolver.coerce(LinearSolver("gmres"), {}, rtol=1e-3)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        solvers.errors.SolverSettingError: LinearSolver('gmres', ...) carries its own settings; got rtol beside it
        """
        if not isinstance(method, Solver):
            return cls(method, rtol=rtol, atol=atol, maxiter=maxiter, **options)
        if not isinstance(method, cls):
            raise SolverSettingError(
                f"a {cls.registry.kind} solve needs a {cls.__name__}, got {method!r}"
            )
        given = [name for name, value in (("rtol", rtol), ("atol", atol), ("maxiter", maxiter))
                 if value is not None] + sorted(options)
        if given:
            raise SolverSettingError(
                f"{method!r} carries its own settings; got {', '.join(given)} beside it"
            )
        return method

    def solve(self, *args, **kwargs):
        """Run the method's module on a prepared problem, naming the report after this method."""
        x, report = self._entry.module.solve(
            *args, tolerance=self.tolerance, **kwargs, **self.options, **self._entry.fixed
        )
        report.method = self.method
        return x, report

    def _key(self):
        return (self.method, self.tolerance, tuple(self.options.items()))

    def __eq__(self, other):
        return type(other) is type(self) and other._key() == self._key()

    def __hash__(self):
        return hash(self._key())

    def __repr__(self):
        settings = [repr(self.method)] + [
            f"{name}={value!r}" for name, value in (
                ("rtol", self.tolerance.rtol), ("atol", self.tolerance.atol),
                ("maxiter", self.tolerance.maxiter), *self.options.items())
        ]
        return f"{type(self).__name__}({', '.join(settings)})"
