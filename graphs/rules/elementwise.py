"""Elementwise primitives (arithmetic, exp/log, trigonometric, selections) and their rules.

Binary rules unbroadcast their cotangents, so scalars and arrays mix on either side.
Sparse partials are diagonal up to broadcasting; ``partials.elementwise`` reads their
entries off the JVP rules, so each derivative formula is written once.
"""

import numpy as np

from ..primitive import defjvp, defpartial, defvjp, primitive
from .broadcasting import broadcast_like as bl
from .broadcasting import on_gpu
from .broadcasting import unbroadcast as ub
from . import partials

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
    x = x.astype(float) if on_gpu(x) else np.asarray(x, dtype=float)
    return np.log(np.where(x == 0, 1.0, x))


def _tie_share(x, ans, y):
    # At a tie of maximum/minimum the cotangent is split evenly, as autograd does.
    return (x == ans) / (1.0 + (x == y))


# --- VJP table -------------------------------------------------------------------------
defvjp(add, lambda g, ans, x, y: ub(g, x), lambda g, ans, x, y: ub(g, y))
defvjp(subtract, lambda g, ans, x, y: ub(g, x), lambda g, ans, x, y: ub(-g, y))
defvjp(multiply, lambda g, ans, x, y: ub(g * y, x), lambda g, ans, x, y: ub(g * x, y))
defvjp(divide, lambda g, ans, x, y: ub(g / y, x), lambda g, ans, x, y: ub(-g * ans / y, y))
defvjp(
    power,
    lambda g, ans, x, y: ub(g * y * np.power(x, np.where(y, y - 1, 1.0)), x),
    lambda g, ans, x, y: ub(g * _log_or_zero(x) * ans, y),
)
defvjp(negative, lambda g, ans, x: -g)
defvjp(absolute, lambda g, ans, x: g * np.sign(x))
defvjp(sqrt, lambda g, ans, x: g * 0.5 / ans)
defvjp(square, lambda g, ans, x: g * 2.0 * x)
defvjp(reciprocal, lambda g, ans, x: -g * ans * ans)
defvjp(exp, lambda g, ans, x: g * ans)
defvjp(exp2, lambda g, ans, x: g * ans * np.log(2.0))
defvjp(log, lambda g, ans, x: g / x)
defvjp(log2, lambda g, ans, x: g / (x * np.log(2.0)))
defvjp(log10, lambda g, ans, x: g / (x * np.log(10.0)))
defvjp(log1p, lambda g, ans, x: g / (1.0 + x))
defvjp(expm1, lambda g, ans, x: g * (ans + 1.0))
defvjp(sin, lambda g, ans, x: g * np.cos(x))
defvjp(cos, lambda g, ans, x: -g * np.sin(x))
defvjp(tan, lambda g, ans, x: g / np.cos(x) ** 2)
defvjp(arcsin, lambda g, ans, x: g / np.sqrt(1.0 - x * x))
defvjp(arccos, lambda g, ans, x: -g / np.sqrt(1.0 - x * x))
defvjp(arctan, lambda g, ans, x: g / (1.0 + x * x))
defvjp(
    arctan2,
    lambda g, ans, y, x: ub(g * x / (x * x + y * y), y),
    lambda g, ans, y, x: ub(-g * y / (x * x + y * y), x),
)
defvjp(sinh, lambda g, ans, x: g * np.cosh(x))
defvjp(cosh, lambda g, ans, x: g * np.sinh(x))
defvjp(tanh, lambda g, ans, x: g * (1.0 - ans * ans))
defvjp(arcsinh, lambda g, ans, x: g / np.sqrt(x * x + 1.0))
defvjp(arccosh, lambda g, ans, x: g / np.sqrt(x * x - 1.0))
defvjp(arctanh, lambda g, ans, x: g / (1.0 - x * x))
defvjp(
    maximum,
    lambda g, ans, x, y: ub(g * _tie_share(x, ans, y), x),
    lambda g, ans, x, y: ub(g * _tie_share(y, ans, x), y),
)
defvjp(
    minimum,
    lambda g, ans, x, y: ub(g * _tie_share(x, ans, y), x),
    lambda g, ans, x, y: ub(g * _tie_share(y, ans, x), y),
)
defvjp(
    where,
    None,
    lambda g, ans, c, x, y: ub(np.where(c, g, 0.0), x),
    lambda g, ans, c, x, y: ub(np.where(c, 0.0, g), y),
)
defvjp(
    clip,
    lambda g, ans, x, lo, hi: ub(g * np.logical_and(ans != lo, ans != hi), x),
    lambda g, ans, x, lo, hi: ub(g * (ans == lo), lo),
    lambda g, ans, x, lo, hi: ub(g * (ans == hi), hi),
)

# --- JVP table -------------------------------------------------------------------------
defjvp(add, lambda t, ans, x, y: bl(t, ans), lambda t, ans, x, y: bl(t, ans))
defjvp(subtract, lambda t, ans, x, y: bl(t, ans), lambda t, ans, x, y: bl(-t, ans))
defjvp(multiply, lambda t, ans, x, y: bl(t * y, ans), lambda t, ans, x, y: bl(t * x, ans))
defjvp(divide, lambda t, ans, x, y: bl(t / y, ans), lambda t, ans, x, y: bl(-t * ans / y, ans))
defjvp(
    power,
    lambda t, ans, x, y: bl(t * y * np.power(x, np.where(y, y - 1, 1.0)), ans),
    lambda t, ans, x, y: bl(t * _log_or_zero(x) * ans, ans),
)
defjvp(negative, lambda t, ans, x: -t)
defjvp(absolute, lambda t, ans, x: t * np.sign(x))
defjvp(sqrt, lambda t, ans, x: t * 0.5 / ans)
defjvp(square, lambda t, ans, x: t * 2.0 * x)
defjvp(reciprocal, lambda t, ans, x: -t * ans * ans)
defjvp(exp, lambda t, ans, x: t * ans)
defjvp(exp2, lambda t, ans, x: t * ans * np.log(2.0))
defjvp(log, lambda t, ans, x: t / x)
defjvp(log2, lambda t, ans, x: t / (x * np.log(2.0)))
defjvp(log10, lambda t, ans, x: t / (x * np.log(10.0)))
defjvp(log1p, lambda t, ans, x: t / (1.0 + x))
defjvp(expm1, lambda t, ans, x: t * (ans + 1.0))
defjvp(sin, lambda t, ans, x: t * np.cos(x))
defjvp(cos, lambda t, ans, x: -t * np.sin(x))
defjvp(tan, lambda t, ans, x: t / np.cos(x) ** 2)
defjvp(arcsin, lambda t, ans, x: t / np.sqrt(1.0 - x * x))
defjvp(arccos, lambda t, ans, x: -t / np.sqrt(1.0 - x * x))
defjvp(arctan, lambda t, ans, x: t / (1.0 + x * x))
defjvp(
    arctan2,
    lambda t, ans, y, x: bl(t * x / (x * x + y * y), ans),
    lambda t, ans, y, x: bl(-t * y / (x * x + y * y), ans),
)
defjvp(sinh, lambda t, ans, x: t * np.cosh(x))
defjvp(cosh, lambda t, ans, x: t * np.sinh(x))
defjvp(tanh, lambda t, ans, x: t * (1.0 - ans * ans))
defjvp(arcsinh, lambda t, ans, x: t / np.sqrt(x * x + 1.0))
defjvp(arccosh, lambda t, ans, x: t / np.sqrt(x * x - 1.0))
defjvp(arctanh, lambda t, ans, x: t / (1.0 - x * x))
defjvp(
    maximum,
    lambda t, ans, x, y: bl(t * _tie_share(x, ans, y), ans),
    lambda t, ans, x, y: bl(t * _tie_share(y, ans, x), ans),
)
defjvp(
    minimum,
    lambda t, ans, x, y: bl(t * _tie_share(x, ans, y), ans),
    lambda t, ans, x, y: bl(t * _tie_share(y, ans, x), ans),
)
defjvp(
    where,
    None,
    lambda t, ans, c, x, y: bl(np.where(c, t, 0.0), ans),
    lambda t, ans, c, x, y: bl(np.where(c, 0.0, t), ans),
)
defjvp(
    clip,
    lambda t, ans, x, lo, hi: bl(t * np.logical_and(ans != lo, ans != hi), ans),
    lambda t, ans, x, lo, hi: bl(t * (ans == lo), ans),
    lambda t, ans, x, lo, hi: bl(t * (ans == hi), ans),
)

# --- Sparse partial table --------------------------------------------------------------
for _prim in (
    add, subtract, multiply, divide, power, negative, absolute, sqrt, square, reciprocal, exp,
    exp2, log, log2, log10, log1p, expm1, sin, cos, tan, arcsin, arccos, arctan, arctan2, sinh,
    cosh, tanh, arcsinh, arccosh, arctanh, maximum, minimum, where, clip,
):
    defpartial(_prim, *partials.elementwise(_prim))
del _prim
