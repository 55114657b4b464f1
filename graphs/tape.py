"""Tracing: recording numpy-style code as a constraint graph of primitive applications.

A ``Tape`` is the constraint graph of one traced evaluation, already in topological order:
record ``i`` is the constraint ``z_i = prim_i(z_parents(i), constants)``. A ``Traced`` value
is a variable ``z_i`` of a tape: it carries its numpy value and its record index, and
applying primitives to it appends records. Values reach the primitives through Python
operators, ``adjoint.numpy`` functions and NumPy's ``__array_ufunc__`` /
``__array_function__`` protocols (see ``graphs.numpy_protocol``).
"""

import itertools
import operator

import numpy as np
import scipy.sparse as _sparse

from .errors import InvalidArgumentError, UnsupportedFunctionError

#: Trace levels: a tape started later is nested inside every earlier one still recording.
_LEVELS = itertools.count()


class Tape:
    """The records of one trace. Each record is ``(prim, values, params, parents, ans)``.

    ``parents[k]`` is the record index of argument ``k`` or ``-1`` when the argument is a
    constant; ``values`` hold the argument values; inputs are records with ``prim is None``.

    Traces nest (``grad(grad(f))``): each tape has a ``level``, higher for a tape started
    later. Where values of several tapes meet in one primitive, the tape of highest level
    records it and the values of the others are its constants; the values it holds may then
    be traced values of the older tapes, so that its derivative rules, applied to them,
    record themselves there (autograd's ``find_top_boxed_args``).
    """

    __slots__ = ("records", "reports", "guards", "level")

    def __init__(self):
        self.level = next(_LEVELS)
        self.records = []
        self.reports = []  # reports of the cyclic blocks (fixed points) met while tracing
        # Outcomes of piecewise-constant functions of traced values (comparisons, sign, ...),
        # as ``(position, fn, values, kwargs, parents, outcome)``: control flow the trace took.
        # A compiled plan re-evaluates them on replay and retraces when one differs.
        self.guards = []

    def __len__(self):
        return len(self.records)

    def input(self, value):
        """A new input variable of this tape holding ``value``."""
        self.records.append((None, (), None, (), value))
        return Traced(value, self, len(self.records) - 1)


def bind(prim, args, params):
    """Apply ``prim``: plainly if no argument is traced, else recording it on the newest tape."""
    # One pass over the arguments (this is the hot path of tracing scalar code).
    if len(args) == 1:  # unary primitives (sin, exp, ...): no loop, no lists
        a = args[0]
        if a.__class__ is not Traced:
            return prim.impl(a, **params)
        tape, value = a.tape, a.value
        if value.__class__ is Traced:  # nested traces: the older tape records it first
            ans = bind(prim, (value,), params)
        else:
            ans = prim.impl(value, **params) if params else prim.impl(value)
        records = tape.records
        records.append((prim, (value,), params, (a.index,), ans))
        return Traced(ans, tape, len(records) - 1)
    tape = None
    parents = []
    values = []
    for a in args:
        if a.__class__ is Traced:
            if tape is None:
                tape = a.tape
            elif a.tape is not tape:
                return _bind_nested(prim, args, params)
            parents.append(a.index)
            values.append(a.value)
        else:
            parents.append(-1)
            values.append(a)
    if tape is None:
        return prim.impl(*args, **params)
    for v in values:
        if v.__class__ is Traced:
            ans = bind(prim, values, params)
            break
    else:
        ans = prim.impl(*values, **params) if params else prim.impl(*values)
    records = tape.records
    records.append((prim, tuple(values), params, tuple(parents), ans))
    return Traced(ans, tape, len(records) - 1)


def _bind_nested(prim, args, params):
    """``bind`` where arguments of several tapes meet: the newest records, the others are constants."""
    tape = max((a.tape for a in args if a.__class__ is Traced), key=lambda t: t.level)
    parents = tuple(a.index if a.__class__ is Traced and a.tape is tape else -1 for a in args)
    values = tuple(a.value if p >= 0 else a for a, p in zip(args, parents))
    ans = bind(prim, values, params)
    records = tape.records
    records.append((prim, values, params, parents, ans))
    return Traced(ans, tape, len(records) - 1)


# Python operators on two numpy float64 scalars (or one and a Python number) go through
# numpy's scalar math, which gives the ufunc's result and warnings ~10x faster than calling
# the ufunc with a Python float (NEP 50 weak-scalar promotion is the slow part).
_FAST_SCALARS = (np.float64, float, int)
_NO_PARAMS = {}  # shared and never mutated: binary operators take no parameters


def _binary(prim, op, a, b):
    """``bind(prim, (a, b), {})`` for the operator methods, with a fast path for scalars."""
    if a.__class__ is Traced:
        tape, va, pa = a.tape, a.value, a.index
        if b.__class__ is Traced:
            if b.tape is not tape:
                return _bind_nested(prim, (a, b), _NO_PARAMS)
            vb, pb = b.value, b.index
        else:
            vb, pb = b, -1
    else:
        tape, vb, pb = b.tape, b.value, b.index
        va, pa = a, -1
    ta, tb = va.__class__, vb.__class__
    if (ta is np.float64 and tb in _FAST_SCALARS) or (tb is np.float64 and ta in _FAST_SCALARS):
        ans = op(va, vb)
    elif ta is Traced or tb is Traced:  # nested traces: the older tape records it first
        ans = bind(prim, (va, vb), _NO_PARAMS)
    else:
        ans = prim.impl(va, vb)
    records = tape.records
    records.append((prim, (va, vb), _NO_PARAMS, (pa, pb), ans))
    return Traced(ans, tape, len(records) - 1)


def record_guard(fn, args, kwargs, outcome):
    """Note on the tape of the traced arguments that ``fn(*args, **kwargs)`` gave ``outcome``.

    Called for piecewise-constant functions of traced values (comparisons, ``sign``,
    ``argmax``, truth values): their derivative is zero, so they are not records, but the
    control flow of the trace depends on them. Arguments traced inside containers or keyword
    arguments are noted with ``parents=None``: a plan cannot re-evaluate that guard.
    Returns ``outcome``.

    Examples
    --------
    >>> tape = Tape(); x = tape.input(np.float64(2.0))
    >>> bool(x > 1.0), len(tape.guards)
    (True, 1)
    >>> position, fn, values, kwargs, parents, outcome = tape.guards[0]
    >>> parents, bool(outcome)
    ((0, -1), True)
    """
    tape, nested = None, False
    for a in args:
        if a.__class__ is Traced:
            tape = a.tape if tape is None else tape
        elif isinstance(a, (list, tuple)) and _find_tape(a) is not None:
            tape, nested = tape or _find_tape(a), True
    for v in kwargs.values():
        if _find_tape((v,)) is not None:
            tape, nested = tape or _find_tape((v,)), True
    if tape is None:
        return outcome
    if nested:
        tape.guards.append((len(tape.records), fn, None, None, None, outcome))
    else:
        values = tuple(a.value if a.__class__ is Traced else a for a in args)
        parents = tuple(a.index if a.__class__ is Traced else -1 for a in args)
        tape.guards.append((len(tape.records), fn, values, dict(kwargs), parents, outcome))
    return outcome


def _find_tape(items):
    for a in items:
        if a.__class__ is Traced:
            return a.tape
        if isinstance(a, (list, tuple)):
            t = _find_tape(a)
            if t is not None:
                return t
    return None


class Traced:
    """A traced variable: its value, and the tape and record index that define it."""

    __slots__ = ("value", "tape", "index")
    __array_priority__ = 1000.0

    def __init__(self, value, tape, index):
        self.value = value
        self.tape = tape
        self.index = index

    shape = property(lambda self: np.shape(self.value))
    ndim = property(lambda self: np.ndim(self.value))
    size = property(lambda self: np.size(self.value))
    dtype = property(lambda self: np.result_type(plain_value(self)))

    def __len__(self):
        return len(self.value)

    def __repr__(self):
        return f"Traced({self.value!r}, record={self.index})"

    def __bool__(self):
        return record_guard(bool, (self,), {}, bool(self.value))

    # numpy calls float() (or __array__) when a traced value is assigned into an ndarray,
    # ``a[i] = x``; it then raises "setting an array element with a sequence" from this error,
    # so the message names that case too.
    def __float__(self):
        raise UnsupportedFunctionError(
            "float() of a traced value would drop its derivative; keep it an array, or use "
            "a comparison (its result is untraced) for control flow. " + _ASSIGNMENT_HINT
        )

    __int__ = __complex__ = __index__ = __float__

    def __array__(self, dtype=None, copy=None):
        raise UnsupportedFunctionError(
            "converting a traced value to a plain ndarray would drop its derivative; use "
            "adjoint.numpy functions (adjoint.numpy.array to build arrays of traced values, "
            "adjoint.numpy.sparse_matmul(A, z) for a scipy.sparse matrix A). " + _ASSIGNMENT_HINT
        )
    __hash__ = object.__hash__

    # Comparisons are piecewise constant: their derivative is zero, so they are not traced;
    # their outcomes are noted as guards of the trace (see ``record_guard``).
    def __lt__(self, other): return _compare(operator.lt, self, other)
    def __le__(self, other): return _compare(operator.le, self, other)
    def __gt__(self, other): return _compare(operator.gt, self, other)
    def __ge__(self, other): return _compare(operator.ge, self, other)
    def __eq__(self, other): return _compare(operator.eq, self, other)
    def __ne__(self, other): return _compare(operator.ne, self, other)

    def __add__(self, other): return _binary(_ops.add, operator.add, self, other)
    def __radd__(self, other): return _binary(_ops.add, operator.add, other, self)
    def __sub__(self, other): return _binary(_ops.subtract, operator.sub, self, other)
    def __rsub__(self, other): return _binary(_ops.subtract, operator.sub, other, self)
    def __mul__(self, other): return _binary(_ops.multiply, operator.mul, self, other)
    def __rmul__(self, other): return _binary(_ops.multiply, operator.mul, other, self)
    def __truediv__(self, other): return _binary(_ops.divide, operator.truediv, self, other)
    def __rtruediv__(self, other): return _binary(_ops.divide, operator.truediv, other, self)
    def __mod__(self, other): return _binary(_ops.remainder, operator.mod, self, other)
    def __rmod__(self, other): return _binary(_ops.remainder, operator.mod, other, self)
    def __pow__(self, other): return _binary(_ops.power, operator.pow, self, other)
    def __rpow__(self, other): return _binary(_ops.power, operator.pow, other, self)
    def __matmul__(self, other):
        if _sparse.issparse(other):
            return _matmul_sparse_right(self, other)
        return _linalg.matmul(self, other)

    def __rmatmul__(self, other):
        if _sparse.issparse(other):  # A @ x, where scipy's own A.__matmul__ gave way
            return _linalg.sparse_matmul(other, self)
        return _linalg.matmul(other, self)

    def __neg__(self): return _ops.negative(self)
    def __pos__(self): return self
    def __abs__(self): return _ops.absolute(self)
    def __getitem__(self, index): return _shapes.index(self, index=index)

    @property
    def T(self):
        return _shapes.transpose(self)

    # Complex parts and casts, differentiable as autograd defines them (graphs.rules.complex_numbers).
    @property
    def real(self):
        return _complex.real_part(self)

    @property
    def imag(self):
        return _complex.imag_part(self)

    def conj(self):
        return _complex.conjugate(self)

    conjugate = conj

    def astype(self, dtype, order="K", casting="unsafe", subok=True, copy=True):
        return _complex.astype(self, dtype=np.dtype(dtype))

    def transpose(self, *axes):
        return _shapes.transpose(self, axes=_axes_arg(axes))

    def reshape(self, *shape):
        return _shapes.reshape(self, shape=_axes_arg(shape))

    def ravel(self):
        return _shapes.reshape(self, shape=(-1,))

    def flatten(self):
        return _shapes.reshape(self, shape=(-1,))

    def squeeze(self, axis=None):
        return _shapes.squeeze(self, axis=axis)

    def sum(self, axis=None, keepdims=False):
        return _reductions.sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims=False):
        return _reductions.mean(self, axis=axis, keepdims=keepdims)

    def max(self, axis=None, keepdims=False):
        return _reductions.max(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        return _reductions.min(self, axis=axis, keepdims=keepdims)

    def prod(self, axis=None, keepdims=False):
        return _reductions.prod(self, axis=axis, keepdims=keepdims)

    def dot(self, other):
        return _linalg.dot(self, other)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return _protocol.array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, _types, args, kwargs):
        return _protocol.array_function(func, args, kwargs)


_ASSIGNMENT_HINT = (
    "If this came from assigning a traced value into a numpy array (a[i] = x), that assignment is not "
    "differentiable: build the array with adjoint.numpy.stack / concatenate / where instead"
)


def _matmul_sparse_right(x, A):
    """``x @ A`` for a traced ``x`` and a constant ``scipy.sparse`` matrix ``A``: ``(Aᵀ xᵀ)ᵀ``.

    ``sparse_matmul`` takes the sparse matrix on the left; rows times ``A`` are the transpose of
    ``Aᵀ`` times their transpose, so this needs no rule of its own. Leading axes of ``x`` are
    batch axes, as for ``numpy.matmul``.
    """
    shape = x.shape
    if len(shape) == 0 or shape[-1] != A.shape[0]:
        raise InvalidArgumentError(
            f"x @ A: x of shape {shape} and the scipy.sparse matrix A of shape {A.shape} do not match "
            f"(x needs at least one axis, and its last axis must be A's first)"
        )
    if len(shape) == 1:
        return _linalg.sparse_matmul(A.T, x)
    rows = _shapes.reshape(x, shape=(-1, shape[-1])) if len(shape) > 2 else x
    y = _shapes.transpose(_linalg.sparse_matmul(A.T, _shapes.transpose(rows)))
    return _shapes.reshape(y, shape=(*shape[:-1], A.shape[1])) if len(shape) > 2 else y


def _numpy_method(name):
    """``x.name(...)`` as ``numpy.name(x, ...)``: numpy's dispatch finds the traced version."""
    function = getattr(np, name)

    def method(self, *args, **kwargs):
        return function(self, *args, **kwargs)

    method.__name__ = name
    return method


# ndarray methods that numpy code calls on arrays, by way of numpy's function of the same name.
for _name in ("var", "std", "cumsum", "repeat", "swapaxes", "diagonal", "trace", "clip", "take", "argmax",
              "argmin", "argsort", "any", "all", "round", "nonzero"):
    setattr(Traced, _name, _numpy_method(_name))
del _name


def _value(x):
    return x.value if x.__class__ is Traced else x


def holds_traced(obj):
    """Whether ``obj`` is a traced value or a list / tuple / dict holding one, at any depth.

    Examples
    --------
    >>> x = Tape().input(1.0)
    >>> holds_traced([1.0, (2.0, x)]), holds_traced({"a": 1.0}), holds_traced(x)
    (True, False, True)
    """
    if obj.__class__ is Traced:
        return True
    if isinstance(obj, (list, tuple)):
        return any(holds_traced(o) for o in obj)
    if isinstance(obj, dict):
        return any(holds_traced(o) for o in obj.values())
    return False


def plain_value(x):
    """The plain value under any number of nested traces (``x`` itself if it is not traced).

    Examples
    --------
    >>> outer = Tape().input(2.0)
    >>> plain_value(Tape().input(outer)), plain_value(3.0)
    (2.0, 3.0)
    """
    while x.__class__ is Traced:
        x = x.value
    return x


def _compare(op, a, b):
    return record_guard(op, (a, b), {}, op(a.value, _value(b)))


def _axes_arg(axes):
    """``x.reshape(2, 3)`` and ``x.reshape((2, 3))`` alike, as numpy allows."""
    if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
        return None if axes[0] is None else tuple(axes[0])
    return tuple(axes) or None


# The operator methods above resolve these modules at call time; they import this module.
from . import numpy_protocol as _protocol  # noqa: E402
from .rules import complex_numbers as _complex  # noqa: E402
from .rules import elementwise as _ops  # noqa: E402
from .rules import linalg as _linalg  # noqa: E402
from .rules import reductions as _reductions  # noqa: E402
from .rules import shapes as _shapes  # noqa: E402
