"""Elementwise primitives (arithmetic, exp/log, trigonometric, selections) and their rules.

Each derivative is declared once, as the local partials ``∂ans/∂x_k`` (``defelementwise``),
which give the VJP, the JVP and the sparse partial; their rules unbroadcast cotangents, so
scalars and arrays mix on either side. A new elementwise primitive needs only its two lines
here: ``adjoint.numpy``, NumPy's dispatch and saved graphs find it by its registered name.
"""

import numpy as np

from ..primitive import defjvp, defpartial, defvjp, primitive
from ..tape import Traced
from . import partials
from .broadcasting import broadcast_like as bl
from .broadcasting import on_gpu
from .broadcasting import unbroadcast as ub
from .elementwise_declaration import defelementwise

add = primitive(np.add, "add")
subtract = primitive(np.subtract, "subtract")
multiply = primitive(np.multiply, "multiply")
divide = primitive(np.true_divide, "divide")
power = primitive(np.power, "power")
negative = primitive(np.negative, "negative")
absolute = primitive(np.abs, "absolute")
sqrt = primitive(np.sqrt, "sqrt")
square = primitive(np.square, "square")
reciprocal = primitive(lambda x: 1.0 / x, "reciprocal")
exp = primitive(np.exp, "exp")
exp2 = primitive(np.exp2, "exp2")
log = primitive(np.log, "log")
log2 = primitive(np.log2, "log2")
log10 = primitive(np.log10, "log10")
log1p = primitive(np.log1p, "log1p")
expm1 = primitive(np.expm1, "expm1")
sin = primitive(np.sin, "sin")
cos = primitive(np.cos, "cos")
tan = primitive(np.tan, "tan")
arcsin = primitive(np.arcsin, "arcsin")
arccos = primitive(np.arccos, "arccos")
arctan = primitive(np.arctan, "arctan")
arctan2 = primitive(np.arctan2, "arctan2")
sinh = primitive(np.sinh, "sinh")
cosh = primitive(np.cosh, "cosh")
tanh = primitive(np.tanh, "tanh")
arcsinh = primitive(np.arcsinh, "arcsinh")
arccosh = primitive(np.arccosh, "arccosh")
arctanh = primitive(np.arctanh, "arctanh")
maximum = primitive(np.maximum, "maximum")
minimum = primitive(np.minimum, "minimum")
where = primitive(np.where, "where")
clip = primitive(np.clip, "clip")


def _log_or_zero(x):
    # d(x**y)/dy = log(x) x**y; where x == 0 the product is 0 (as autograd takes it).
    if on_gpu(x):
        x = x.astype(float)
    elif x.__class__ is not Traced:
        x = np.asarray(x, dtype=float)
    return np.log(np.where(x == 0, 1.0, x))


def _tie_share(x, ans, y):
    # At a tie of maximum/minimum the cotangent is split evenly, as autograd does.
    return (x == ans) / (1.0 + (x == y))


# --- Local partials ∂ans/∂x_k -----------------------------------------------------------
defelementwise(add, 1, 1)
defelementwise(subtract, 1, -1)
defelementwise(multiply, lambda ans, x, y: y, lambda ans, x, y: x)
defelementwise(divide, lambda ans, x, y: 1.0 / y, lambda ans, x, y: -ans / y)
defelementwise(
    power,
    lambda ans, x, y: y * np.power(x, np.where(y != 0, y - 1, 1.0)),
    lambda ans, x, y: _log_or_zero(x) * ans,
)
defelementwise(negative, -1)
defelementwise(absolute, lambda ans, x: np.conj(x) / np.where(ans == 0, 1.0, ans) if np.iscomplexobj(x) else np.sign(x))
defelementwise(sqrt, lambda ans, x: 0.5 / ans)
defelementwise(square, lambda ans, x: 2.0 * x)
defelementwise(reciprocal, lambda ans, x: -ans * ans)
defelementwise(exp, lambda ans, x: ans)
defelementwise(exp2, lambda ans, x: ans * np.log(2.0))
defelementwise(log, lambda ans, x: 1.0 / x)
defelementwise(log2, lambda ans, x: 1.0 / (x * np.log(2.0)))
defelementwise(log10, lambda ans, x: 1.0 / (x * np.log(10.0)))
defelementwise(log1p, lambda ans, x: 1.0 / (1.0 + x))
defelementwise(expm1, lambda ans, x: ans + 1.0)
defelementwise(sin, lambda ans, x: np.cos(x))
defelementwise(cos, lambda ans, x: -np.sin(x))
defelementwise(tan, lambda ans, x: 1.0 / np.cos(x) ** 2)
defelementwise(arcsin, lambda ans, x: 1.0 / np.sqrt(1.0 - x * x))
defelementwise(arccos, lambda ans, x: -1.0 / np.sqrt(1.0 - x * x))
defelementwise(arctan, lambda ans, x: 1.0 / (1.0 + x * x))
defelementwise(arctan2, lambda ans, y, x: x / (x * x + y * y), lambda ans, y, x: -y / (x * x + y * y))
defelementwise(sinh, lambda ans, x: np.cosh(x))
defelementwise(cosh, lambda ans, x: np.sinh(x))
defelementwise(tanh, lambda ans, x: 1.0 - ans * ans)
defelementwise(arcsinh, lambda ans, x: 1.0 / np.sqrt(x * x + 1.0))
defelementwise(arccosh, lambda ans, x: 1.0 / np.sqrt(x * x - 1.0))
defelementwise(arctanh, lambda ans, x: 1.0 / (1.0 - x * x))
defelementwise(maximum, lambda ans, x, y: _tie_share(x, ans, y), lambda ans, x, y: _tie_share(y, ans, x))
defelementwise(minimum, lambda ans, x, y: _tie_share(x, ans, y), lambda ans, x, y: _tie_share(y, ans, x))
defelementwise(
    clip,
    lambda ans, x, lo, hi: np.logical_and(ans != lo, ans != hi),
    lambda ans, x, lo, hi: ans == lo,
    lambda ans, x, lo, hi: ans == hi,
)

# where is a selection, not a product: its cotangent is where(c, g, 0), which keeps a
# non-finite g out of the branch not taken, where g * c would give inf * 0 = nan. So it keeps
# explicit rules, and its sparse partial reads the entries off the JVP rules.
_where_vjp = (
    None,
    lambda g, ans, c, x, y: ub(np.where(c, g, 0.0), x),
    lambda g, ans, c, x, y: ub(np.where(c, 0.0, g), y),
)
_where_jvp = (
    None,
    lambda t, ans, c, x, y: bl(np.where(c, t, 0.0), ans),
    lambda t, ans, c, x, y: bl(np.where(c, 0.0, t), ans),
)
defvjp(where, *_where_vjp)
defjvp(where, *_where_jvp)
defpartial(where, None, *(partials.elementwise(partials.from_jvp(_where_jvp[k], k), k) for k in (1, 2)))

# --- More of numpy's elementwise functions (autograd's list) ------------------------------
logaddexp = primitive(np.logaddexp, "logaddexp")
logaddexp2 = primitive(np.logaddexp2, "logaddexp2")
hypot = primitive(np.hypot, "hypot")
remainder = primitive(np.remainder, "remainder")  # numpy.mod is the same ufunc
fmod = primitive(np.fmod, "fmod")
fmax = primitive(np.fmax, "fmax")
fmin = primitive(np.fmin, "fmin")
fabs = primitive(np.fabs, "fabs")
deg2rad = primitive(np.deg2rad, "deg2rad")
radians = primitive(np.radians, "radians")
rad2deg = primitive(np.rad2deg, "rad2deg")
degrees = primitive(np.degrees, "degrees")
sinc = primitive(np.sinc, "sinc")  # not a ufunc: numpy_functions maps numpy.sinc to it


def _sinc_partial(ans, x):
    # d sinc(x)/dx = (cos(πx) - sinc(x)) / x, which tends to 0 at x = 0.
    safe = np.where(x == 0, 1.0, x)
    return np.where(x == 0, 0.0, (np.cos(np.pi * x) - ans) / safe)


defelementwise(logaddexp, lambda ans, x, y: np.exp(x - ans), lambda ans, x, y: np.exp(y - ans))
defelementwise(logaddexp2, lambda ans, x, y: np.exp2(x - ans), lambda ans, x, y: np.exp2(y - ans))
defelementwise(hypot, lambda ans, x, y: x / ans, lambda ans, x, y: y / ans)
defelementwise(remainder, 1, lambda ans, x, y: -np.floor(x / y))
defelementwise(fmod, 1, lambda ans, x, y: -np.trunc(x / y))
defelementwise(fmax, lambda ans, x, y: _tie_share(x, ans, y), lambda ans, x, y: _tie_share(y, ans, x))
defelementwise(fmin, lambda ans, x, y: _tie_share(x, ans, y), lambda ans, x, y: _tie_share(y, ans, x))
defelementwise(fabs, lambda ans, x: np.sign(x))
defelementwise(deg2rad, np.pi / 180.0)
defelementwise(radians, np.pi / 180.0)
defelementwise(rad2deg, 180.0 / np.pi)
defelementwise(degrees, 180.0 / np.pi)
defelementwise(sinc, _sinc_partial)
