"""autograd's differential operators, with its names and signatures, built on the tape.

Each is a composition of ``grad``, ``make_vjp``, ``make_jvp`` and ``jacobian``; because
derivative rules trace, any nesting works (``hessian`` is ``jacobian(jacobian(f))``,
``hessian_vector_product`` is forward-over-reverse). Arguments are numbered as in autograd:
``argnum`` is an int or a tuple of ints.
"""

import inspect
import warnings
from collections import OrderedDict

import numpy as np

from adjoint.errors import InvalidArgumentError
from adjoint.pytree import argnums, flatten, like, per_argnum
from adjoint.tape.grad import grad, index_on, seed, trace
from adjoint.tape.jvp import jacobian, make_jvp
from adjoint.tape.reverse import back_substitute
from adjoint.tape.vjp import make_vjp
from graphs import numpy_functions as nf
from graphs.primitive import EveryArgument, Primitive

__all__ = [
    "grad_and_aux", "elementwise_grad", "deriv", "hessian", "make_hvp", "hessian_tensor_product",
    "hessian_vector_product", "tensor_jacobian_product", "vector_jacobian_product", "make_ggnvp",
    "holomorphic_grad", "grad_named", "multigrad_dict", "checkpoint",
]


def grad_and_aux(fun, argnum=0):
    """For ``fun`` returning ``(scalar, aux)``: a function returning ``(gradient of scalar, aux)``.

    Examples
    --------
    >>> import adjoint
    >>> import adjoint.numpy as anp
    >>> g, aux = adjoint.grad_and_aux(lambda x: (anp.sin(x), {"x": x}))(0.0)
    >>> g, aux
    (1.0, {'x': np.float64(0.0)})
    """

    def grad_and_aux_fun(*args, **kwargs):
        tape, out, leaves, rebuilds = trace(fun, args, argnum, kwargs)
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise InvalidArgumentError("grad_and_aux needs fun to return a pair (scalar, aux)")
        ans, aux = out
        index = index_on(ans, tape)
        if np.ndim(ans.value if index is not None else ans) != 0:
            raise InvalidArgumentError(f"grad_and_aux needs a scalar first result, got shape {np.shape(ans)}")
        lam = back_substitute(tape, {index: np.ones(())}) if index is not None else [None] * len(tape)
        grads = [rebuild([like(lam[t.index], v) for v, t in zip(values, traced)])
                 for (values, traced), rebuild in zip(leaves, rebuilds)]
        aux_leaves, aux_rebuild = flatten(aux, "aux") if _numeric(aux) else ([aux], lambda x: x[0])
        aux = aux_rebuild([a.value if index_on(a, tape) is not None else a for a in aux_leaves])
        return per_argnum(argnum, grads), aux

    return grad_and_aux_fun


def _numeric(tree):
    try:
        flatten(tree)
    except InvalidArgumentError:
        return False
    return True


def elementwise_grad(fun, argnum=0):
    """The sum of the Jacobian's rows, in one back-substitution: the derivative of an elementwise ``fun``.

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint
    >>> import adjoint.numpy as anp
    >>> adjoint.elementwise_grad(anp.sin)(np.array([0.0, np.pi]))
    array([ 1., -1.])
    """

    def elementwise_grad_fun(*args, **kwargs):
        vjp, ans = make_vjp(fun, argnum)(*args, **kwargs)
        return vjp(np.ones(np.shape(ans)))

    return elementwise_grad_fun


def deriv(fun, argnum=0):
    """The tangent of ``fun`` in the direction of ones: the derivative of a scalar function.

    Examples
    --------
    >>> import adjoint
    >>> import adjoint.numpy as anp
    >>> float(adjoint.deriv(lambda x: x ** 3)(2.0))
    12.0
    """

    def deriv_fun(*args, **kwargs):
        x = args[argnums(argnum, len(args))[0]] if isinstance(argnum, int) else tuple(args[a] for a in argnum)
        ones = _ones_like_tree(x)
        return make_jvp(fun, argnum)(*args, **kwargs)(ones)[1]

    return deriv_fun


def _ones_like_tree(x):
    leaves, rebuild = flatten(x, "argument")
    return rebuild([np.ones(np.shape(v)) if np.ndim(v) else 1.0 for v in leaves])


def hessian(fun, argnum=0):
    """The Hessian of scalar ``fun``: ``jacobian(jacobian(fun))``, of shape ``x.shape + x.shape``.

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint
    >>> import adjoint.numpy as anp
    >>> adjoint.hessian(lambda x: x[0] ** 2 * x[1])(np.array([1.0, 2.0]))
    array([[4., 2.],
           [2., 0.]])
    """
    return jacobian(jacobian(fun, argnum), argnum)


def make_hvp(fun, argnum=0):
    """A function ``(*args) -> (hvp, gradient)``: ``hvp(v)`` is the Hessian of ``fun`` times ``v``.

    The gradient's computation is traced once; each ``hvp(v)`` is one back-substitution of it.

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint
    >>> import adjoint.numpy as anp
    >>> hvp, g = adjoint.make_hvp(lambda x: anp.sum(x ** 3))(np.array([1.0, 2.0]))
    >>> hvp(np.array([1.0, 1.0]))
    array([ 6., 12.])
    """
    return make_vjp(grad(fun, argnum), argnum)


def hessian_tensor_product(fun, argnum=0):
    """A function ``(*args, v) -> H v``: the Hessian of scalar ``fun`` times ``v`` (``v`` shaped like the argument).

    Forward over reverse: the tangent of the gradient in the direction ``v``.

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint
    >>> import adjoint.numpy as anp
    >>> hvp = adjoint.hessian_vector_product(lambda x: anp.sum(anp.sin(x)))
    >>> bool(np.allclose(hvp(np.array([0.5, 1.0]), np.array([1.0, 2.0])), -np.sin([0.5, 1.0]) * [1.0, 2.0]))
    True
    """
    g = grad(fun, argnum)

    def hessian_tensor_product_fun(*args, **kwargs):
        *args, v = args
        return make_jvp(g, argnum)(*args, **kwargs)(v)[1]

    return hessian_tensor_product_fun


hessian_vector_product = hessian_tensor_product


def tensor_jacobian_product(fun, argnum=0):
    """A function ``(*args, v) -> v · J``: ``v`` contracted with the leading axes of ``fun``'s Jacobian.

    As autograd's: ``v`` has the shape of ``fun``'s result, or of its leading axes (then the
    result keeps the Jacobian's remaining axes). A ``v`` of the result's whole shape is one
    back-substitution (a VJP).

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint
    >>> import adjoint.numpy as anp
    >>> vjp = adjoint.vector_jacobian_product(lambda x: anp.array([x[0] * x[1], x[1]]))
    >>> vjp(np.array([2.0, 3.0]), np.array([1.0, 1.0]))
    array([3., 3.])
    """

    def tensor_jacobian_product_fun(*args, **kwargs):
        *args, v = args
        vjp, ans = make_vjp(fun, argnum)(*args, **kwargs)
        if np.shape(v) == np.shape(ans):
            return vjp(v)
        contracted = lambda *a: nf.tensordot(v, fun(*a, **kwargs), axes=np.ndim(v))  # noqa: E731
        return jacobian(contracted, argnum)(*args)

    return tensor_jacobian_product_fun


vector_jacobian_product = tensor_jacobian_product


def make_ggnvp(f, g=lambda x: 0.5 * nf.sum(x ** 2, axis=-1), f_argnum=0):
    """Generalised Gauss-Newton products ``Jᵀ H_g J v`` of ``g(f(x))``, as autograd's ``make_ggnvp``.

    ``make_ggnvp(f, g, f_argnum)(*args)`` is the function ``v -> J_fᵀ (∇²g) J_f v`` at ``f(*args)``.

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint
    >>> A = np.array([[1.0, 2.0], [0.0, 1.0]])
    >>> ggnvp = adjoint.make_ggnvp(lambda x: A @ x)(np.array([1.0, 1.0]))
    >>> bool(np.allclose(ggnvp(np.array([1.0, 0.0])), A.T @ A @ [1.0, 0.0]))
    True
    """

    def ggnvp_maker(*args, **kwargs):
        f_vjp, f_x = make_vjp(f, f_argnum)(*args, **kwargs)
        f_jvp = make_jvp(f, f_argnum)(*args, **kwargs)
        g_hvp = hessian_vector_product(g)

        def ggnvp(v):
            return f_vjp(g_hvp(f_x, f_jvp(v)[1]))

        return ggnvp

    return ggnvp_maker


def holomorphic_grad(fun, argnum=0):
    """autograd's ``holomorphic_grad``: the complex derivative ``f'(z)`` of a holomorphic ``fun``.

    ``fun`` returns a (complex) scalar; its back-substitution is seeded with 1, so that with
    autograd's VJPs (``g * f'(z)``, no conjugate) the result is ``f'(z)``. A real argument
    warns, as autograd does.

    Examples
    --------
    >>> import adjoint
    >>> adjoint.holomorphic_grad(lambda z: z ** 2)(1.0 + 2.0j)
    np.complex128(2+4j)
    """

    def holomorphic_grad_fun(*args, **kwargs):
        tape, out, leaves, rebuilds = trace(fun, args, argnum, kwargs)
        if not any(np.iscomplexobj(v) for values, _ in leaves for v in values):
            warnings.warn("Input to holomorphic_grad is not complex", stacklevel=2)
        index = index_on(out, tape)
        value = out.value if index is not None else out
        if np.size(value) != 1:
            raise InvalidArgumentError(f"holomorphic_grad needs a scalar-valued function, got shape {np.shape(value)}")
        lam = back_substitute(tape, {index: seed(value)}) if index is not None else [None] * len(tape)
        grads = [rebuild([like(lam[t.index], v) for v, t in zip(values, traced)])
                 for (values, traced), rebuild in zip(leaves, rebuilds)]
        return per_argnum(argnum, grads)

    return holomorphic_grad_fun


def grad_named(fun, argname):
    """The gradient of ``fun`` with respect to its argument named ``argname``.

    Examples
    --------
    >>> import adjoint
    >>> adjoint.grad_named(lambda x, y: x * y ** 2, "y")(2.0, 3.0)
    12.0
    """
    names = list(inspect.signature(fun).parameters)
    if argname not in names:
        raise InvalidArgumentError(f"fun has no argument named {argname!r}; its arguments are {names}")
    return grad(fun, names.index(argname))


def multigrad_dict(fun):
    """A function returning the gradient with respect to every argument, as a dict by argument name.

    Examples
    --------
    >>> import adjoint
    >>> dict(adjoint.multigrad_dict(lambda x, y=2.0: x * y)(3.0))
    {'x': 2.0, 'y': 3.0}
    """
    signature = inspect.signature(fun)

    def multigrad_dict_fun(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        arguments = OrderedDict(bound.arguments)

        def of_dict(d):
            b = signature.bind_partial()
            b.arguments.update(d)
            return fun(*b.args, **b.kwargs)

        return OrderedDict(grad(of_dict)(arguments))

    return multigrad_dict_fun


def checkpoint(fun):
    """``fun`` as one step of the trace: its intermediate values are recomputed for its derivatives.

    The forward pass keeps only ``fun``'s arguments and result (memory); each VJP or JVP
    traces ``fun`` again (time), as autograd's ``checkpoint``.

    Examples
    --------
    >>> import numpy as np
    >>> import adjoint
    >>> import adjoint.numpy as anp
    >>> block = adjoint.checkpoint(lambda x: anp.tanh(anp.tanh(x)))
    >>> f = lambda x: anp.sum(block(x) ** 2)
    >>> g = lambda x: anp.sum(anp.tanh(anp.tanh(x)) ** 2)
    >>> x = np.array([0.3, -0.7])
    >>> bool(np.allclose(adjoint.grad(f)(x), adjoint.grad(g)(x)))
    True
    """
    prim = Primitive(f"checkpoint:{getattr(fun, '__qualname__', 'fun')}", fun)
    prim.vjps = EveryArgument(lambda argnum, g, ans, *args, **kw: make_vjp(fun, argnum)(*args, **kw)[0](g))
    prim.jvps = EveryArgument(lambda argnum, t, ans, *args, **kw: make_jvp(fun, argnum)(*args, **kw)(t)[1])
    return prim
