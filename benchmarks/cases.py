"""The benchmark cases. Each returns rows ``{case, measure, value, unit, goal, met, note}``.

``value`` is a ratio (``unit="x"``), seconds (``"s"``) or nanoseconds (``"ns"``); ``goal`` a
string such as ``">= 4"``; ``met`` True / False, or None for figures given for context.
"""

import time

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from programs import (
    NumpyOps,
    RandomProgram,
    gp_negative_log_likelihood,
    lstm_init,
    lstm_loss,
    mlp_init,
    mlp_loss,
    scalar_chain,
)
from timing import best_of

import adjoint
import adjoint.numpy as anp


class AdjointOps:
    sin, cos, tanh = anp.sin, anp.cos, anp.tanh


def row(case, measure, value, unit="x", goal=None, note=""):
    met = None
    if goal is not None:
        op, bound = goal.split()
        met = bool(value >= float(bound)) if op == ">=" else bool(value <= float(bound))
    return {"case": case, "measure": measure, "value": float(value), "unit": unit, "goal": goal,
            "met": met, "note": note}


def _optional(name):
    try:
        return __import__(name)
    except ImportError:
        return None


# --- scalar chain ------------------------------------------------------------------------
def chain_case(cfg):
    """``x <- sin(x) * 1.0001 + 0.1`` 20,000 times (60,000 scalar operations)."""
    n = 20_000
    case = f"Scalar chain ({3 * n:,} ops)"
    f = lambda x: scalar_chain(x, AdjointOps, n)  # noqa: E731
    t_numpy = best_of(lambda: scalar_chain(np.float64(0.3), NumpyOps, n), cfg.repeats)
    t_grad = best_of(lambda: adjoint.grad(f)(0.3), cfg.repeats)
    plan = adjoint.compile(f, 0.3)
    t_plan = best_of(lambda: plan(0.4), cfg.repeats)
    _check(plan(0.4), adjoint.grad(f)(0.4), "plan vs grad on the scalar chain")
    rows = [row(case, "numpy forward pass alone", t_numpy, "s")]
    autograd = _optional("autograd")
    if autograd is None:
        return rows + [row(case, "autograd not installed: ratios skipped", 0.0, "s")]
    import autograd.numpy as agnp

    class AutogradOps:
        sin, cos, tanh = agnp.sin, agnp.cos, agnp.tanh

    t_autograd = best_of(lambda: autograd.grad(lambda x: scalar_chain(x, AutogradOps, n))(0.3), cfg.repeats)
    note = (f"autograd {t_autograd:.3f} s, adjoint.grad {t_grad:.3f} s, plan {t_plan * 1e3:.1f} ms "
            f"({plan.engine} engine)")
    return rows + [
        row(case, "autograd.grad time / adjoint.grad time (trace + adjoint, end to end)",
            t_autograd / t_grad, goal=">= 4", note=note),
        row(case, "autograd.grad time / compiled plan time", t_autograd / t_plan, goal=">= 20", note=note),
    ]


# --- MLP ---------------------------------------------------------------------------------
def mlp_case(cfg, keep_freed_memory=False):
    """MLP 784-512-512-10 (tanh), batch 256, mean squared error: gradient / numpy forward.

    With ``keep_freed_memory`` glibc's malloc is told (``mallopt``) to keep freed memory
    for reuse instead of unmapping it: a backward pass allocates many arrays of a few MB,
    and on this virtual machine each first touch of a freshly mapped page is a costly page
    fault. The two runs side by side measure that cost. It stays set for the rest of the
    process, so the suite runs this variant last.
    """
    case = "MLP 784-512-512-10, batch 256"
    if keep_freed_memory:
        if not _keep_freed_memory():
            return [row(case + " (malloc keeps freed memory)", "mallopt unavailable: skipped", 0.0, "s")]
        case += " (malloc keeps freed memory)"
    rng = np.random.default_rng(0)
    params = mlp_init([784, 512, 512, 10], rng)
    x, y = rng.standard_normal((256, 784)), rng.standard_normal((256, 10))
    reps = max(cfg.repeats, 7)
    t_fwd = best_of(lambda: mlp_loss(params, x, y, np), reps)
    loss = lambda p, x, y: mlp_loss(p, x, y, anp)  # noqa: E731
    grad = adjoint.grad(loss)
    plan = adjoint.compile(loss, params, x, y)
    _check(plan(params, x, y)[0][0], grad(params, x, y)[0][0], "plan vs grad on the MLP")
    times = {
        "numpy, hand-written forward + backward": best_of(lambda: _mlp_by_hand(params, x, y), reps),
        "adjoint.grad": best_of(lambda: grad(params, x, y), reps),
        "adjoint compiled plan": best_of(lambda: plan(params, x, y), reps),
    }
    autograd = _optional("autograd")
    if autograd is not None:
        import autograd.numpy as agnp

        ag = autograd.grad(lambda p, x, y: mlp_loss(p, x, y, agnp))
        times["autograd.grad"] = best_of(lambda: ag(params, x, y), reps)
    torch = _optional("torch")
    if torch is not None:
        torch.set_num_threads(cfg.threads)
        tp = [(torch.tensor(W, requires_grad=True), torch.tensor(b, requires_grad=True)) for W, b in params]
        xt, yt = torch.tensor(x), torch.tensor(y)
        leaves = [t for p in tp for t in p]
        times["PyTorch (CPU) forward + backward"] = best_of(
            lambda: torch.autograd.grad(mlp_loss(tp, xt, yt, torch), leaves), reps)
    jax = _optional("jax")
    if jax is not None:
        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp

        jp = [(jnp.asarray(W), jnp.asarray(b)) for W, b in params]
        jx, jy = jnp.asarray(x), jnp.asarray(y)
        jg = jax.jit(jax.grad(lambda p, x, y: mlp_loss(p, x, y, jnp)))
        times["JAX jit(grad)"] = best_of(lambda: jax.block_until_ready(jg(jp, jx, jy)), reps)
    rows = [row(case, "numpy forward pass", t_fwd, "s")]
    for name, t in times.items():
        goal = "<= 2.5" if name.startswith("adjoint") else None
        rows.append(row(case, f"{name} / numpy forward", t / t_fwd, goal=goal))
    t_plan, t_hand = times["adjoint compiled plan"], times["numpy, hand-written forward + backward"]
    return rows + [
        row(case, "compiled plan / hand-written numpy forward + backward", t_plan / t_hand, goal="<= 1.05"),
        row(case, "adjoint.grad / compiled plan", times["adjoint.grad"] / t_plan, goal=">= 1.3",
            note=f"plan {t_plan * 1e3:.1f} ms, grad {times['adjoint.grad'] * 1e3:.1f} ms"),
    ]


def array_program_case(cfg, name):
    """An LSTM or a GP likelihood: ``adjoint.grad`` and the compiled plan beside autograd and JAX.

    ``"lstm"``: input 32, hidden 128, batch 64, 20 steps. ``"gp"``: the negative log marginal
    likelihood of 400 points in its three log hyperparameters (Cholesky factor and solve).
    """
    rng = np.random.default_rng(0)
    if name == "lstm":
        case = "LSTM, input 32, hidden 128, batch 64, 20 steps"
        args = (lstm_init(32, 128, rng), rng.standard_normal((20, 64, 32)))
        program = lstm_loss
    else:
        case = "GP marginal likelihood, 400 points (cholesky, solve)"
        x = np.sort(rng.uniform(-3, 3, 400))
        args = (np.array([-0.5, 0.0, -2.0]), x, np.sin(2 * x) + 0.1 * rng.standard_normal(400))
        program = gp_negative_log_likelihood
    reps = max(cfg.repeats, 7)
    loss = lambda *a: program(*a, anp)  # noqa: E731
    grad = adjoint.grad(loss)
    plan = adjoint.compile(loss, *args)
    reference = _flat_leaves(grad(*args))
    _check(_flat_leaves(plan(*args)), reference, f"plan vs grad on the {name}")
    times = {"adjoint.grad": best_of(lambda: grad(*args), reps),
             "adjoint compiled plan": best_of(lambda: plan(*args), reps)}
    autograd = _optional("autograd")
    if autograd is not None:
        import autograd.numpy as agnp

        ag = autograd.grad(lambda *a: program(*a, agnp))
        _check(_flat_leaves(ag(*args)), reference, f"autograd vs adjoint on the {name}")
        times["autograd.grad"] = best_of(lambda: ag(*args), reps)
    jax = _optional("jax")
    if jax is not None:
        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp

        jargs = jax.tree_util.tree_map(jnp.asarray, args)
        jg = jax.jit(jax.grad(lambda *a: program(*a, jnp)))
        _check(_flat_leaves(jg(*jargs)), reference, f"JAX vs adjoint on the {name}", rtol=1e-8)
        times["JAX jit(grad)"] = best_of(lambda: jax.block_until_ready(jg(*jargs)), reps)
    t_plan = times["adjoint compiled plan"]
    rows = [row(case, "compiled plan: value and gradient", t_plan, "s", note=plan.reason.split("; ")[-1])]
    for label, t in times.items():
        if label != "adjoint compiled plan":
            rows.append(row(case, f"{label} / compiled plan", t / t_plan,
                            goal=">= 1.3" if label == "adjoint.grad" else None, note=f"{t * 1e3:.1f} ms"))
    return rows


def _flat_leaves(tree):
    """The float leaves of a tuple / list tree as one vector."""
    if isinstance(tree, (list, tuple)):
        return np.concatenate([_flat_leaves(t) for t in tree])
    return np.ravel(np.asarray(tree, dtype=float))


def hvp_case(cfg):
    """Hessian-vector product of the MLP loss of ``mlp_case``, as a ratio to each library's gradient.

    ``v`` is a random direction shaped like the parameters (a list of ``(W, b)`` pairs). The
    HVPs of all libraries are checked against adjoint's forward-over-reverse before timing.
    """
    case = "MLP 784-512-512-10, batch 256: Hessian-vector product"
    rng = np.random.default_rng(0)
    params = mlp_init([784, 512, 512, 10], rng)
    x, y = rng.standard_normal((256, 784)), rng.standard_normal((256, 10))
    v = [(rng.standard_normal(W.shape), rng.standard_normal(b.shape)) for W, b in params]
    reps = max(cfg.repeats, 7)

    def inner(ops, g, v):
        return sum(ops.sum(gW * vW) + ops.sum(gb * vb) for (gW, gb), (vW, vb) in zip(g, v))

    loss = lambda p, x, y: mlp_loss(p, x, y, anp)  # noqa: E731
    grad = adjoint.grad(loss)
    hvp_fr = adjoint.hessian_vector_product(loss)
    hvp_rr = adjoint.grad(lambda p: inner(anp, grad(p, x, y), v))
    reference = _flat(hvp_fr(params, x, y, v))
    _check(_flat(hvp_rr(params)), reference, "adjoint reverse-over-reverse vs forward-over-reverse HVP", rtol=1e-8)
    t_grad = best_of(lambda: grad(params, x, y), reps)
    rows = [row(case, "adjoint.grad time (the baseline of the adjoint ratios)", t_grad, "s")]
    for name, fn in (("adjoint forward-over-reverse (hessian_vector_product)", lambda: hvp_fr(params, x, y, v)),
                     ("adjoint reverse-over-reverse (grad of <grad, v>)", lambda: hvp_rr(params))):
        t = best_of(fn, reps)
        rows.append(row(case, f"{name} / adjoint.grad", t / t_grad, goal="<= 4",
                        note=f"HVP {t * 1e3:.1f} ms, grad {t_grad * 1e3:.1f} ms"))
    autograd = _optional("autograd")
    if autograd is None:
        rows.append(row(case, "autograd not installed: skipped", 0.0, "s"))
    else:
        import autograd.numpy as agnp

        ag_loss = lambda p, x, y: mlp_loss(p, x, y, agnp)  # noqa: E731
        ag_grad = autograd.grad(ag_loss)
        ag_hvp = autograd.grad(lambda p: inner(agnp, ag_grad(p, x, y), v))
        _check(_flat(ag_hvp(params)), reference, "autograd vs adjoint HVP", rtol=1e-8)
        t_ag_grad = best_of(lambda: ag_grad(params, x, y), reps)
        t = best_of(lambda: ag_hvp(params), reps)
        rows.append(row(case, "autograd reverse-over-reverse / autograd.grad", t / t_ag_grad,
                        note=f"HVP {t * 1e3:.1f} ms, grad {t_ag_grad * 1e3:.1f} ms"))
    jax = _optional("jax")
    if jax is None:
        rows.append(row(case, "JAX not installed: skipped", 0.0, "s"))
    else:
        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp

        jp = [(jnp.asarray(W), jnp.asarray(b)) for W, b in params]
        jv = [(jnp.asarray(W), jnp.asarray(b)) for W, b in v]
        jx, jy = jnp.asarray(x), jnp.asarray(y)
        # x, y and v are arguments, not closed-over constants XLA would fold at compile time
        j_grad = jax.grad(lambda p, x, y: mlp_loss(p, x, y, jnp))
        jg = jax.jit(j_grad)
        jh = jax.jit(lambda p, x, y, v: jax.jvp(lambda q: j_grad(q, x, y), (p,), (v,))[1])
        _check(_flat(jh(jp, jx, jy, jv)), reference, "JAX vs adjoint HVP", rtol=1e-8)
        t_j_grad = best_of(lambda: jax.block_until_ready(jg(jp, jx, jy)), reps)
        t = best_of(lambda: jax.block_until_ready(jh(jp, jx, jy, jv)), reps)
        rows.append(row(case, "JAX jit(jvp(grad)) / JAX jit(grad)", t / t_j_grad,
                        note=f"HVP {t * 1e3:.1f} ms, grad {t_j_grad * 1e3:.1f} ms"))
    return rows


def _flat(pairs):
    """A list of ``(W, b)`` pairs as one flat float64 vector."""
    return np.concatenate([np.ravel(np.asarray(a, dtype=float)) for pair in pairs for a in pair])


def _keep_freed_memory():
    """Ask glibc to serve arrays of up to 32 MB from its heap and never trim it."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
        return bool(libc.mallopt(M_MMAP_THRESHOLD, 32 << 20)) and bool(libc.mallopt(M_TRIM_THRESHOLD, 1 << 30))
    except (OSError, AttributeError):
        return False


def _mlp_by_hand(params, x, y):
    """The gradient in plain numpy, written out: what any library's backward pass costs."""
    (W1, b1), (W2, b2), (W3, b3) = params
    h1 = np.tanh(x @ W1 + b1)
    h2 = np.tanh(h1 @ W2 + b2)
    r = h2 @ W3 + b3 - y
    g = 2.0 * r / r.size
    g2 = (g @ W3.T) * (1.0 - h2 * h2)
    g1 = (g2 @ W2.T) * (1.0 - h1 * h1)
    return [(x.T @ g1, g1.sum(0)), (h1.T @ g2, g2.sum(0)), (h2.T @ g, g.sum(0))]


# --- scalar graphs: a million nodes ---------------------------------------------------------
def graph_case(cfg, width, levels, label):
    """A generated program of scalar nodes: forward + gradient through a plan vs CasADi SX."""
    program = RandomProgram(width, levels, seed=0)
    n = program.n_nodes
    case = f"{label}: {n:,} scalar nodes, {width:,} per level"
    xs = list(np.random.default_rng(1).uniform(-1, 1, width))
    xs2 = list(np.random.default_rng(2).uniform(-1, 1, width))
    f = lambda xs: program(xs, AdjointOps)  # noqa: E731
    start = time.perf_counter()
    plan = adjoint.compile(f, xs)
    t_compile = time.perf_counter() - start
    plan(xs2)  # the first call times the backward methods when it has to choose
    t_plan = best_of(lambda: plan.value_and_grad(xs2), cfg.repeats)
    value, g = plan.value_and_grad(xs2)
    engine = plan._variants[next(iter(plan._variants))][0].runner
    detail = getattr(engine, "forward_mode", "-"), getattr(engine, "backward_method", "-")
    tried = ", ".join(f"{m} {t * 1e3:.0f} ms" for m, t in getattr(engine, "timings", {}).items())
    rows = [
        row(case, "compiled plan: forward + full gradient", t_plan, "s",
            goal="<= 0.5" if width > 1 else None,
            note=f"{plan.engine} engine, forward {detail[0]}, backward {detail[1]}"
                 + (f" (timed on the first call: {tried})" if tried else "")
                 + f"; trace + compile once: {t_compile:.1f} s"),
        row(case, "compiled plan: ns per node", t_plan / n * 1e9, "ns"),
    ]
    casadi = _optional("casadi")
    if casadi is None:
        return rows + [row(case, "CasADi not installed: comparison skipped", 0.0, "s")]
    start = time.perf_counter()
    fun, n_instructions = _casadi_function(casadi, program)
    t_build = time.perf_counter() - start
    t_casadi = best_of(lambda: fun(np.array(xs2)), cfg.repeats)
    c_value, c_grad = fun(np.array(xs2))
    _check(np.array(g), np.array(c_grad).ravel(), "plan vs CasADi gradient", rtol=1e-9)
    return rows + [
        row(case, "CasADi SX: ns per node (value + gradient)", t_casadi / n * 1e9, "ns",
            note=f"{t_casadi / n_instructions * 1e9:.1f} ns per SX instruction "
                 f"({n_instructions:,}); graph + gradient built in {t_build:.1f} s"),
        row(case, "compiled plan time / CasADi SX time", t_plan / t_casadi,
            goal="<= 3" if width > 1 else None),
    ]


def _casadi_function(ca, program):
    """The same program as a CasADi SX function returning value and gradient."""
    W = program.width
    x = ca.SX.sym("x", W)
    if W == 1:  # a chain: node by node
        J = program(ca.vertsplit(x), ca)
    else:  # level by level on SX vectors (the same scalar graph, built with fewer calls)
        J = _casadi_levels(ca, program, x)
    fun = ca.Function("f", [x], [J, ca.gradient(J, x)])
    return fun, fun.n_instructions()


def _casadi_levels(ca, program, x):
    from programs import BINARY, UNARY

    names = UNARY + BINARY
    level, flat = x, ca.vertsplit(x)
    for L in range(program.levels):
        a = level[program.a[L].tolist()]
        parts, order = [], []
        for code, name in enumerate(names):
            idx = np.flatnonzero(program.kinds[L] == code)
            if idx.size == 0:
                continue
            av = a[idx.tolist()]
            if name in UNARY:
                r = getattr(ca, name)(av)
            else:
                bv = ca.vertcat(*[flat[j] for j in program.b[L, idx]])
                r = av * bv if name == "mul" else (av + bv if name == "add" else av - bv)
            parts.append(r)
            order.append(idx)
        perm = np.empty(program.width, dtype=int)
        perm[np.concatenate(order)] = np.arange(program.width)
        level = ca.vertcat(*parts)[perm.tolist()]
        flat.extend(ca.vertsplit(level))
    terms = ca.vertsplit(level * level)
    while len(terms) > 1:
        terms = [terms[k] + terms[k + 1] if k + 1 < len(terms) else terms[k] for k in range(0, len(terms), 2)]
    return terms[0]


def spsolve_case(cfg, n):
    """``spsolve_triangular`` on random lower-triangular systems: n rows, 3n nonzeros.

    Two off-diagonal entries per row, in columns drawn uniformly from all earlier rows
    (memory access all over the vector), or from the 1,000 rows just above (the locality
    of a level-structured program); the figure depends on it.
    """
    rng = np.random.default_rng(0)
    rows = np.repeat(np.arange(1, n), 2)
    out = []
    for label, cols in (
        ("columns anywhere above", (rng.random(rows.size) * rows).astype(np.int64)),
        ("columns within 1,000 rows", rows - 1 - (rng.random(rows.size) * np.minimum(rows, 1000)).astype(np.int64)),
    ):
        A = sp.csr_array(sp.csr_array((rng.uniform(-0.5, 0.5, rows.size), (rows, cols)), shape=(n, n))
                         + sp.eye_array(n, format="csr"))
        b = rng.standard_normal(n)
        t = best_of(lambda A=A, b=b: spla.spsolve_triangular(A, b, lower=True), cfg.repeats)
        out.append(row(f"scipy spsolve_triangular: {n:,} rows, {A.nnz:,} nonzeros", f"ns per nonzero, {label}",
                       t / A.nnz * 1e9, "ns", note=f"{t:.3f} s per solve"))
    return out


# --- cyclic: PageRank-like ---------------------------------------------------------------
def cyclic_case(cfg, n, local=False):
    """``r = a P r + v`` with 10^6 unknowns: adjoint solve time / forward solve time.

    ``P`` has 5 links per page: to random pages, or (``local``) to pages within 50 places,
    as in a crawl-ordered web graph. The factors of ``I - 0.85 P`` fill in densely on the
    random graph (SuperLU took 67 s at 10^4 unknowns); on the local one a fill-reducing
    ordering (COLAMD) keeps them to about 15 times the nonzeros, and the ``direct`` adjoint
    is measured beside GMRES.
    """
    from adjoint.graph.cyclic.block import adjoint_block, forward_block
    from adjoint.graph.settings import Settings
    from adjoint.graph.solution import BlockReport
    from graphs.structure import strongly_connected_blocks

    rng = np.random.default_rng(0)
    k = 5
    sources = np.repeat(np.arange(n), k)
    targets = (np.clip(sources + rng.integers(-50, 51, n * k), 0, n - 1) if local
               else rng.integers(n, size=n * k))
    P = sp.csr_array((np.ones(n * k), (targets, sources)), shape=(n, n))
    P = sp.csr_array(P @ sp.diags_array(1.0 / np.asarray(P.sum(axis=0)).ravel()))  # column-stochastic
    damping = 0.85
    graph = adjoint.ConstraintGraph()
    graph.add_input("v")
    graph.add_constraint("r", lambda r, v: damping * anp.sparse_matmul(P, r) + v, ["r", "v"], init=np.zeros(n))
    values = {"v": np.full(n, (1 - damping) / n)}
    cotangent = rng.standard_normal(n)
    (block,) = strongly_connected_blocks(graph)
    case = f"Cyclic r = 0.85 P r + v, {n:,} unknowns, {P.nnz:,} nonzeros" + (", links within 50 pages" if local else "")
    rows = []
    methods = ((("fixed_point", "gmres", "fixed_point forward, GMRES adjoint"),
                ("fixed_point", "direct", "fixed_point forward, direct adjoint (SuperLU, COLAMD ordering)"))
               if local else
               (("fixed_point", "fixed_point", "fixed_point both ways"),
                ("newton_krylov", "gmres", "GMRES both ways (Newton-Krylov forward)")))
    for forward, adj, label in methods:
        settings = Settings(forward=forward, adjoint=adj)
        state = {}

        def run_forward(state=state, settings=settings):
            state["lins"], state["report"] = forward_block(graph, block, dict(values), settings)

        def run_adjoint(state=state, settings=settings):
            report = BlockReport(block.nodes, block.iterates, state["report"])
            adjoint_block(block, state["lins"], {"r": cotangent.copy()}, settings, report)
            state["adjoint"] = report.adjoint

        t_fwd = best_of(run_forward, cfg.cyclic_repeats, warmup=0)
        t_adj = best_of(run_adjoint, cfg.cyclic_repeats, warmup=0)
        rows.append(row(case, f"adjoint / forward solve time, {label}", t_adj / t_fwd, goal=None if local else "<= 1.5",
                        note=f"forward {t_fwd:.2f} s ({state['report'].iterations} it), adjoint "
                             f"{t_adj:.2f} s ({state['adjoint'].iterations} it)"))
    return rows


# --- the graph route: trace, save, load, solve ------------------------------------------
def graph_route_case(cfg, steps):
    """A scalar chain of ``4 * steps`` operations as a graph: each step of the route / ``grad``.

    ``adjoint.grad`` differentiates the chain from its tape; the graph route traces it into a
    ``ConstraintGraph`` (one primitive node per operation), saves it to JSON, loads it back
    and solves it. Each step should cost a few times the gradient it replaces.
    """
    import tempfile

    def f(x):
        for _ in range(steps):
            x = anp.sin(x) * 0.5 + x * 0.25
        return x

    x = np.float64(0.3)
    case = f"Graph route on a scalar chain ({4 * steps:,} ops)"
    repeats = max(1, cfg.repeats // 2)  # each step builds 10^5 nodes: two or three runs suffice
    t_grad = best_of(lambda: adjoint.grad(f)(x), repeats)
    state = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/chain.json"

        def trace():
            state["graph"], state["inputs"], state["output"] = adjoint.trace(f, x)

        def load():
            state["loaded"] = adjoint.load(path)

        def solve():
            state["solution"] = adjoint.solve(state["loaded"], state["inputs"], state["output"])

        def forget(key):
            return lambda: state.pop(key, None)  # the previous run's graph is freed untimed

        times = {"trace": best_of(trace, repeats, warmup=0, setup=forget("graph"))}
        times["save"] = best_of(lambda: adjoint.save(state["graph"], path), repeats, warmup=0)
        times["load"] = best_of(load, repeats, warmup=0, setup=forget("loaded"))
        times["solve"] = best_of(solve, repeats, warmup=0, setup=forget("solution"))
    _check(state["solution"].gradient["x0"], adjoint.grad(f)(x), "graph route vs grad on the scalar chain")
    rows = [row(case, "adjoint.grad (the reference)", t_grad, "s")]
    for step, t in times.items():
        rows.append(row(case, f"adjoint.{step} / adjoint.grad", t / t_grad, goal="<= 5", note=f"{t:.2f} s"))
    return rows


def _check(a, b, what, rtol=1e-10):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = max(np.abs(b).max(initial=0.0), 1e-300)
    if not np.allclose(a, b, rtol=rtol, atol=rtol * scale):
        print(f"WARNING: {what} differ by {np.abs(a - b).max() / scale:.2e} (relative)")
