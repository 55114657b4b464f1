"""PageRank as a cyclic constraint: gradients of a ranking by sparse direct, GMRES and fixed point.

The ranks of a random directed graph of ``n`` nodes (``n = 10^5``; 2,000 with ``small``) are
the fixed point ``r = α P(w) r + (1 - α) v``: ``P(w)`` is the column-stochastic transition
matrix of the edge weights ``w`` and ``v`` the teleport vector. As a constraint graph:

    inputs  v (n), w (one weight per edge)
    p = w / (out-weight of each edge's source)            per-edge probabilities, acyclic
    r = α S_dst (p * r[src]) + (1 - α) v, init v           one vector node on a self-loop
    J = mean of r over a community of nodes                the objective

``S_dst`` (the constant incidence matrix summing edges into their destinations) enters
through ``anp.sparse_matmul``. ``adjoint.solve`` finds ``r`` (Anderson), then the
multiplier ``λ_r`` from ``(I - α P)ᵀ λ_r = ∇_r J``, and from it both gradients,
``dJ/dv = (1 - α) λ_r`` and ``dJ/dw``: by sparse LU of the assembled ``I - J_rr`` (its
partial composed from the primitives' sparse partials), by GMRES on the matrix-free
operator, and by the adjoint fixed-point iteration ``λ ← ∇_r J + α Pᵀ λ``. One entry of each
gradient is checked against central finite differences.

The graph is random but local (each node links to 8 random nodes within ±20 places on a
ring, and 0.1 % of the links go anywhere), as link graphs tend to be: sparse LU of a
uniformly random graph of this size fills in catastrophically, while the iterative methods
would not care.

Run: python examples/pagerank.py
"""

import time

import numpy as np
import scipy.sparse as sp

import adjoint
import adjoint.numpy as anp

ALPHA = 0.85
DEGREE, WINDOW, FAR = 8, 20, 0.001


def random_local_graph(n, seed=0):
    """Edges ``src -> dst`` (``DEGREE`` per node), their weights, and the incidence matrices."""
    rng = np.random.default_rng(seed)
    src = np.repeat(np.arange(n), DEGREE)
    dst = (src + rng.integers(-WINDOW, WINDOW + 1, src.size)) % n
    far = rng.random(src.size) < FAR
    dst[far] = rng.integers(0, n, far.sum())
    edges = np.arange(src.size)
    into = sp.csr_matrix((np.ones(src.size), (dst, edges)), shape=(n, src.size))  # sums edges into dst
    out_of = sp.csr_matrix((np.ones(src.size), (src, edges)), shape=(n, src.size))  # sums edges out of src
    weights = rng.uniform(0.5, 1.5, src.size)
    return src, into, out_of, weights


def build(n, seed=0):
    src, into, out_of, weights = random_local_graph(n, seed)
    community = np.arange(0, n, 50)  # every 50th node
    g = adjoint.ConstraintGraph()
    g.add_input("v")
    g.add_input("w")
    g.add_constraint("p", lambda w: w / anp.sparse_matmul(out_of, w)[src], ["w"])
    g.add_constraint(
        "r", lambda r, p, v: ALPHA * anp.sparse_matmul(into, p * r[src]) + (1 - ALPHA) * v,
        ["r", "p", "v"], init=np.ones(n),
    )
    g.add_constraint("J", lambda r: anp.mean(r[community]), ["r"])
    inputs = {"v": np.ones(n), "w": weights}  # teleport mass n: ranks are O(1)
    return g, inputs


def objective(g, inputs):
    """``J`` alone, solved exactly (one Newton step on the linear constraint, sparse LU)."""
    return adjoint.solve(g, inputs, forward="newton").values["J"]


def central_difference(g, inputs, name, k, h):
    plus, minus = dict(inputs), dict(inputs)
    plus[name] = inputs[name].copy()
    minus[name] = inputs[name].copy()
    plus[name][k] += h
    minus[name][k] -= h
    return (objective(g, plus) - objective(g, minus)) / (2 * h)


def main(small=False):
    n = 2000 if small else 100_000
    t = time.perf_counter()
    g, inputs = build(n)
    print(f"PageRank on a random local graph: {n} nodes, {inputs['w'].size} weighted edges, "
          f"alpha = {ALPHA} (built in {time.perf_counter() - t:.2f} s)")

    t = time.perf_counter()
    forward = adjoint.solve(g, inputs, forward="anderson")
    t_forward = time.perf_counter() - t
    report = forward.blocks[0]
    print(f"forward: Anderson, {report.forward_iterations} iterations, relative residual "
          f"{report.forward_residual:.1e}, {t_forward:.2f} s;  J = {forward.values['J']:.10f}")
    g.nodes["r"]["init"] = forward.values["r"]  # warm start: the solves below time the adjoint

    rows, results = [], {}
    for method in ("direct", "gmres", "fixed_point"):
        t = time.perf_counter()
        sol = adjoint.solve(g, inputs, "J", forward="anderson", adjoint=method)
        elapsed = time.perf_counter() - t
        results[method] = sol
        b = sol.blocks[0]
        rows.append((method, elapsed, b.iterations, b.residual))

    reference = results["direct"].gradient
    print()
    print("adjoint       time [s]  iterations  KKT residual  max rel. diff to direct (dJ/dv, dJ/dw)")
    for method, elapsed, iterations, residual in rows:
        diffs = [_rel_diff(results[method].gradient[x], reference[x]) for x in ("v", "w")]
        print(f"{method:12}  {elapsed:8.3f}  {iterations:10d}  {residual:12.1e}  {diffs[0]:.1e}, {diffs[1]:.1e}")
    print("(time: a solve warm-started at the forward solution, so it is essentially the adjoint)")

    checks = []
    for name, h in (("v", 1e-2), ("w", 1e-4)):
        grad = reference[name]
        k = int(np.argmax(np.abs(grad)))
        fd = central_difference(g, inputs, name, k, h * max(1.0, abs(inputs[name][k])))
        checks.append((name, k, grad[k], fd, abs(grad[k] - fd) / abs(fd)))
    print()
    print("check       entry   adjoint (direct)        central difference      rel. error")
    for name, k, ours, fd, err in checks:
        print(f"dJ/d{name}[k]  {k:6d}  {ours:+.15e}  {fd:+.15e}  {err:.1e}")
    return {"rows": rows, "results": results, "checks": checks}


def _rel_diff(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


if __name__ == "__main__":
    main()
