"""The forward pass of a scalar program as one compiled loop (numba, optional).

A chain of scalar operations has no level with more than one node, so the vectorised
forward pass of ``adjoint.plans.scalar_engine`` makes one numpy call per node, and the
record-by-record replay about a microsecond per node. Here the program becomes three
integer arrays (an operation code and two argument slots per node) and one loop compiled
by numba walks them: a few nanoseconds per node. Operations outside ``OPCODES`` keep
the program on the other forward passes.
"""

import numpy as np

from solvers import compiled_loops

#: The primitives the compiled loop evaluates, by name: ``(code, arity)``.
OPCODES = {name: (code, arity) for code, (name, arity) in enumerate([
    ("add", 2), ("subtract", 2), ("multiply", 2), ("divide", 2), ("power", 2),
    ("maximum", 2), ("minimum", 2), ("arctan2", 2), ("hypot", 2),
    ("negative", 1), ("square", 1), ("reciprocal", 1), ("sqrt", 1), ("absolute", 1), ("fabs", 1),
    ("sin", 1), ("cos", 1), ("tan", 1), ("arcsin", 1), ("arccos", 1), ("arctan", 1),
    ("sinh", 1), ("cosh", 1), ("tanh", 1), ("arcsinh", 1), ("arccosh", 1), ("arctanh", 1),
    ("exp", 1), ("expm1", 1), ("log", 1), ("log1p", 1), ("log2", 1), ("log10", 1), ("exp2", 1),
])}


def unsupported(layout):
    """Why ``layout`` cannot run in the compiled loop, or ``None``.

    Examples
    --------
    >>> import numpy as np
    >>> from graphs.tape import Tape
    >>> from adjoint.plans.replay import TapeProgram
    >>> from adjoint.plans.scalar_layout import ScalarLayout
    >>> tape = Tape(); x = tape.input(np.float64(1.0))
    >>> layout = ScalarLayout(TapeProgram(tape, [0], [0], (np.sin(x) * x).index))
    >>> unsupported(layout) is None or unsupported(layout) == "numba is not installed"
    True
    """
    if not compiled_loops.available():
        return "numba is not installed"
    for pg in layout.prim_groups:
        code = OPCODES.get(pg.prim.name)
        if code is None or code[1] != len(pg.args):
            return f"the compiled loop has no '{pg.prim.name}' of {len(pg.args)} arguments"
    return None


class CompiledForward:
    """The values of a ``ScalarLayout``'s nodes by the compiled loop.

    Parameters
    ----------
    layout : ScalarLayout
        One for which ``unsupported(layout)`` is ``None``.

    Examples
    --------
    >>> import numpy as np
    >>> from graphs.tape import Tape
    >>> from adjoint.plans.replay import TapeProgram
    >>> from adjoint.plans.scalar_layout import ScalarLayout
    >>> tape = Tape(); x = tape.input(np.float64(1.0)); y = tape.input(np.float64(2.0))
    >>> layout = ScalarLayout(TapeProgram(tape, [0, 1], [0, 1], (np.sin(x * y) + x).index))
    >>> v = np.empty(layout.n_nodes + layout.constants.size); v[layout.n_nodes:] = layout.constants
    >>> v[:2] = 0.5, 3.0
    >>> if unsupported(layout) is None:
    ...     CompiledForward(layout)(v)
    ... else:
    ...     v[2:] = 1.5, np.sin(1.5) + 0.5
    >>> bool(np.isclose(v[layout.n_nodes - 1], np.sin(1.5) + 0.5))
    True
    """

    def __init__(self, layout):
        m = layout.n_nodes - layout.n_inputs
        self.start = layout.n_inputs
        self.ops = np.zeros(m, dtype=np.int64)
        self.first, self.second = np.zeros(m, dtype=np.int64), np.zeros(m, dtype=np.int64)
        for pg in layout.prim_groups:
            at = pg.nodes - self.start
            self.ops[at] = OPCODES[pg.prim.name][0]
            self.first[at] = pg.args[0]
            if len(pg.args) == 2:
                self.second[at] = pg.args[1]
        self.kernel = _kernel()

    def __call__(self, v):
        """Fill the node values of the value vector ``v`` (inputs and constants set)."""
        self.kernel(self.ops, self.first, self.second, self.start, v)


def _kernel():
    """The compiled loop, made on first use (numba compiles it once and caches it on disk)."""
    if "forward" in _KERNELS:
        return _KERNELS["forward"]
    import math

    import numba

    c = {name: code for name, (code, _) in OPCODES.items()}
    ADD, SUB, MUL, DIV, POW = c["add"], c["subtract"], c["multiply"], c["divide"], c["power"]
    MAX, MIN, ATAN2, HYPOT = c["maximum"], c["minimum"], c["arctan2"], c["hypot"]
    NEG, SQUARE, RECIP, SQRT, ABS, FABS = (c["negative"], c["square"], c["reciprocal"], c["sqrt"],
                                           c["absolute"], c["fabs"])
    SIN, COS, TAN, ASIN, ACOS, ATAN = c["sin"], c["cos"], c["tan"], c["arcsin"], c["arccos"], c["arctan"]
    SINH, COSH, TANH, ASINH, ACOSH, ATANH = (c["sinh"], c["cosh"], c["tanh"], c["arcsinh"], c["arccosh"],
                                             c["arctanh"])
    EXP, EXPM1, LOG, LOG1P, LOG2, LOG10, EXP2 = (c["exp"], c["expm1"], c["log"], c["log1p"], c["log2"],
                                                 c["log10"], c["exp2"])

    # numpy's rules, not Python's: x / 0 is ±inf or nan, log(-1) is nan, never an exception.
    @numba.njit(cache=True, nogil=True, error_model="numpy")
    def forward(ops, first, second, start, v):
        for j in range(ops.size):
            op, a = ops[j], v[first[j]]
            if op == ADD:
                r = a + v[second[j]]
            elif op == MUL:
                r = a * v[second[j]]
            elif op == SUB:
                r = a - v[second[j]]
            elif op == DIV:
                r = a / v[second[j]]
            elif op == SIN:
                r = math.sin(a)
            elif op == COS:
                r = math.cos(a)
            elif op == TANH:
                r = math.tanh(a)
            elif op == EXP:
                r = math.exp(a)
            elif op == LOG:
                r = math.log(a)
            elif op == POW:
                r = a ** v[second[j]]
            elif op == NEG:
                r = -a
            elif op == SQUARE:
                r = a * a
            elif op == RECIP:
                r = 1.0 / a
            elif op == SQRT:
                r = math.sqrt(a)
            elif op == ABS or op == FABS:
                r = abs(a)
            elif op == MAX:
                b = v[second[j]]
                r = a if a >= b or a != a else b
            elif op == MIN:
                b = v[second[j]]
                r = a if a <= b or a != a else b
            elif op == ATAN2:
                r = math.atan2(a, v[second[j]])
            elif op == HYPOT:
                r = math.hypot(a, v[second[j]])
            elif op == TAN:
                r = math.tan(a)
            elif op == ASIN:
                r = math.asin(a)
            elif op == ACOS:
                r = math.acos(a)
            elif op == ATAN:
                r = math.atan(a)
            elif op == SINH:
                r = math.sinh(a)
            elif op == COSH:
                r = math.cosh(a)
            elif op == ASINH:
                r = math.asinh(a)
            elif op == ACOSH:
                r = math.acosh(a)
            elif op == ATANH:
                r = math.atanh(a)
            elif op == EXPM1:
                r = math.expm1(a)
            elif op == LOG1P:
                r = math.log1p(a)
            elif op == LOG2:
                r = math.log2(a)
            elif op == LOG10:
                r = math.log10(a)
            elif op == EXP2:
                r = 2.0 ** a
            else:
                r = math.nan
            v[start + j] = r

    _KERNELS["forward"] = forward
    return forward


_KERNELS = {}
