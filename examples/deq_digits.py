"""A deep-equilibrium classifier on scikit-learn's handwritten digits, four ways to backprop.

The model: ``z* = tanh(W z* + U x + b)`` (a fixed point, one per image), ``logits = V z* + c``,
cross-entropy loss; trained with ``adjoint.fixed_point`` + ``adjoint.value_and_grad`` and
Adam written in numpy. The digits (1,797 8x8 images) ship with scikit-learn: no download.
``W`` is kept contractive by scaling it to spectral norm at most ``GAMMA < 1`` (as spectral
normalisation does), so every forward solve converges and the backward modes are compared on
the same well-posed model. The backward modes:

* exact — implicit differentiation, ``(I - ∂f/∂z)ᵀ λ = ḡ`` by GMRES;
* Neumann-k — the series truncated after k terms;
* JFB — Jacobian-free backprop (Fung et al., AAAI 2022): ``λ = ḡ``, one VJP of f;
* unrolled — no fixed point at all: f applied K times in a Python loop from z = 0, and the
  library's own DAG of those K steps differentiated by ``adjoint.grad``.

For each: test accuracy, time per epoch, forward and adjoint iterations per batch (from the
fixed points' reports, which ``Tape.reports`` collects while tracing), peak traced memory of
one gradient (tracemalloc), and the cosine of each gradient to the exact one at the same
parameters (measured on a fixed batch after every epoch). Optionally the exact mode with the
Hutchinson Jacobian penalty ``γ ‖∂f/∂z‖_F²`` (``adjoint.jacobian_penalty``). Writes
``deq_convergence.png``: the residual histories of the last batch's forward and adjoint solves.

Run: python examples/deq_digits.py          (the full comparison, about a minute on 2 cores)
"""

import os
import platform
import time
import tracemalloc

import numpy as np

import adjoint
import adjoint.numpy as anp

GAMMA = 0.9          # ‖W‖₂ ≤ GAMMA: the fixed-point map is a contraction
HIDDEN = 48
RTOL = 1e-8          # forward (Anderson) and exact adjoint (GMRES) solves
UNROLL = 10          # K of the unrolled mode: about the forward iterations Anderson needs
NEUMANN_K = 5
PENALTY = 0.02       # γ of the Jacobian penalty, per image


def load(small):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    X = digits.data / 16.0
    X = X - X.mean(axis=0)
    X_train, X_test, y_train, y_test = train_test_split(X, digits.target, test_size=0.2, random_state=0,
                                                        stratify=digits.target)
    if small:
        X_train, y_train, X_test, y_test = X_train[:256], y_train[:256], X_test[:128], y_test[:128]
    return X_train, y_train, X_test, y_test


def init_params(seed=0, hidden=HIDDEN):
    rng = np.random.default_rng(seed)
    return {
        "W": 0.3 * rng.normal(size=(hidden, hidden)) / np.sqrt(hidden),
        "U": rng.normal(size=(hidden, 64)) / np.sqrt(64),
        "b": np.zeros(hidden),
        "V": rng.normal(size=(10, hidden)) / np.sqrt(hidden),
        "c": np.zeros(10),
    }


def spectral_norm(W):
    """``σ_max(W) = ‖W v‖`` with ``v`` the top right singular vector, found by numpy.

    ``v`` enters as a constant, yet value and gradient are exact: ``∂σ_max/∂W = u vᵀ``
    (at a simple singular value), which is the gradient of ``‖W v‖`` at fixed ``v``.
    """
    plain = W.value if hasattr(W, "tape") else W  # the traced value's numbers, for numpy only
    v = np.linalg.eigh(plain.T @ plain)[1][:, -1]  # eigh of WᵀW: far cheaper here than an SVD
    return anp.sqrt(anp.sum((W @ v) ** 2))


def contractive(W):
    """``W`` scaled to spectral norm at most ``GAMMA``: since ``|tanh'| ≤ 1``, f is a contraction."""
    return W * (GAMMA / anp.maximum(spectral_norm(W), GAMMA))


def cell(Z, W, U, b, X):
    """One application of the layer to a batch: rows of Z are the states of the images."""
    return anp.tanh(Z @ W.T + X @ U.T + b)


def equilibrium(p, X, mode):
    """The batch's states: a fixed point (with ``mode``'s backward), or K unrolled steps."""
    W = contractive(p["W"])
    Z0 = np.zeros((X.shape[0], p["b"].shape[0]))
    if mode["name"].startswith("unrolled"):
        Z = Z0
        for _ in range(mode["K"]):
            Z = cell(Z, W, p["U"], p["b"], X)
        return Z, W
    Z = adjoint.fixed_point(cell, Z0, W, p["U"], p["b"], X, forward="anderson", adjoint=mode["adjoint"],
                            adjoint_options=mode.get("options"), rtol=RTOL, maxiter=500)
    return Z, W


def cross_entropy(logits, Y):
    shifted = logits - anp.max(logits, axis=1, keepdims=True)
    log_probabilities = shifted - anp.log(anp.sum(anp.exp(shifted), axis=1, keepdims=True))
    return -anp.sum(Y * log_probabilities) / Y.shape[0]


def make_loss(mode, reports):
    def loss(p, X, Y):
        Z, W = equilibrium(p, X, mode)
        if hasattr(Z, "tape"):  # a traced value: its tape holds the fixed points' reports
            reports.extend(Z.tape.reports)
        value = cross_entropy(Z @ p["V"].T + p["c"], Y)
        if mode.get("penalty"):
            value = value + mode["penalty"] * adjoint.jacobian_penalty(cell, Z, W, p["U"], p["b"], X) / X.shape[0]
        return value
    return loss


def predict(p, X, mode):
    Z, _ = equilibrium(p, X, mode)
    return np.argmax(np.asarray(Z) @ p["V"].T + p["c"], axis=1)


class Adam:
    """Adam (Kingma & Ba) on a dict of numpy arrays, updated in place."""

    def __init__(self, params, lr=0.01, betas=(0.9, 0.999), eps=1e-8):
        self.lr, self.betas, self.eps, self.t = lr, betas, eps, 0
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}

    def step(self, params, grads):
        self.t += 1
        b1, b2 = self.betas
        for k in params:
            self.m[k] = b1 * self.m[k] + (1 - b1) * grads[k]
            self.v[k] = b2 * self.v[k] + (1 - b2) * grads[k] ** 2
            m_hat, v_hat = self.m[k] / (1 - b1 ** self.t), self.v[k] / (1 - b2 ** self.t)
            params[k] = params[k] - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


def flat(grads):
    return np.concatenate([np.ravel(grads[k]) for k in sorted(grads)])


def cosine(a, b):
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


MODES = [
    {"name": "exact (GMRES)", "adjoint": "gmres"},
    {"name": f"Neumann-{NEUMANN_K}", "adjoint": "neumann", "options": {"k": NEUMANN_K}},
    {"name": "JFB", "adjoint": "jfb"},
    {"name": f"unrolled K={UNROLL}", "K": UNROLL},
    {"name": "exact + Jacobian penalty", "adjoint": "gmres", "penalty": PENALTY},
]
EXACT = MODES[0]


def gradient(mode, params, X, Y):
    reports = []
    value, grads = adjoint.value_and_grad(make_loss(mode, reports))(params, X, Y)
    return value, grads, reports


def peak_memory(mode, params, X, Y):
    """Peak traced memory of one gradient, in MiB (tracemalloc sees numpy's buffers)."""
    tracemalloc.start()
    gradient(mode, params, X, Y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2 ** 20


class Training:
    """One backward mode's training run, advanced an epoch at a time."""

    def __init__(self, mode, data, batch, seed=0):
        self.mode, self.data, self.batch, self.seed = mode, data, batch, seed
        self.params = init_params(seed)
        self.opt = Adam(self.params)
        self.rng = np.random.default_rng(seed)
        self.times, self.forward, self.backward, self.cosines = [], [], [], []
        self.radius, self.reports = None, []

    def epoch(self):
        X_train, y_train = self.data[0], self.data[1]
        Y_train = np.eye(10)[y_train]
        order = self.rng.permutation(len(X_train))
        # CPU time of this process: on a machine shared with others, wall time measures them too
        start = time.process_time()
        for k in range(0, len(order), self.batch):
            idx = order[k:k + self.batch]
            _, grads, reports = gradient(self.mode, self.params, X_train[idx], Y_train[idx])
            for r in reports[:1]:  # the model's fixed point (the penalty adds none)
                self.forward.append(r.forward_iterations)
                self.backward.append(r.iterations)
            self.opt.step(self.params, grads)
        self.times.append(time.process_time() - start)
        if reports:
            self.radius = reports[0].spectral_radius  # ρ(∂f/∂z) at the last batch: the contraction
            self.reports = reports
        # the cosine is measured outside the timed loop, at this mode's current parameters
        probe = slice(0, min(self.batch, len(X_train)))
        g_mode = flat(gradient(self.mode, self.params, X_train[probe], Y_train[probe])[1])
        g_exact = flat(gradient(EXACT, self.params, X_train[probe], Y_train[probe])[1])
        self.cosines.append(cosine(g_mode, g_exact))

    def result(self):
        X_train, y_train, X_test, y_test = self.data
        forward, backward = self.forward, self.backward
        if self.mode.get("K"):
            forward = backward = [self.mode["K"]]  # K steps forward, K back through the DAG
        probe = slice(0, min(self.batch, len(X_train)))
        return {
            "mode": self.mode["name"],
            "accuracy": float(np.mean(predict(self.params, X_test, self.mode) == y_test)),
            "epoch_seconds": float(np.median(self.times)),
            "forward": float(np.mean(forward)), "adjoint": float(np.mean(backward)),
            "memory_mib": peak_memory(self.mode, init_params(self.seed), X_train[probe], np.eye(10)[y_train[probe]]),
            "cosine": float(np.mean(self.cosines)), "spectral_radius": self.radius,
            "params": self.params, "reports": self.reports,
        }


def train(modes, data, epochs, batch, seed=0):
    """Train every mode, epochs interleaved: whatever else loads the machine loads all alike."""
    runs = [Training(mode, data, batch, seed) for mode in modes]
    for _ in range(epochs):
        for run in runs:
            run.epoch()
    return [run.result() for run in runs]


def table(rows, exact_seconds):
    lines = [
        "| backward mode | test accuracy | CPU s / epoch | speed-up vs exact | forward it. / batch "
        "| adjoint it. / batch | peak MiB / gradient | cos to exact gradient | ρ(∂f/∂z) at the end |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        radius = "—" if r["spectral_radius"] is None else f"{r['spectral_radius']:.2f}"
        lines.append(
            f"| {r['mode']} | {100 * r['accuracy']:.1f} % | {r['epoch_seconds']:.2f} | "
            f"{exact_seconds / r['epoch_seconds']:.2f}x | {r['forward']:.1f} | {r['adjoint']:.1f} | "
            f"{r['memory_mib']:.2f} | {r['cosine']:.4f} | {radius} |"
        )
    return "\n".join(lines)


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main(small=False):
    """Train with every backward mode and print the table; ``small``: a test-sized run."""
    from threadpoolctl import threadpool_limits  # installed with scikit-learn

    # The matrices are tiny: BLAS threads would only spin, and bill their spinning as CPU time.
    with threadpool_limits(limits=1, user_api="blas"):
        return run(small)


def run(small):
    data = load(small)
    epochs, batch = (2, 64) if small else (20, 64)
    print(f"DEQ on digits: {len(data[0])} training / {len(data[2])} test images, hidden {HIDDEN}, "
          f"batch {batch}, {epochs} epochs, Adam lr 0.01, ‖W‖₂ ≤ {GAMMA}, forward Anderson rtol {RTOL}")
    rows = train(MODES, data, epochs, batch)
    adjoint.plot.convergence(rows[0]["reports"], "deq_convergence.png",
                             title="DEQ on digits, last batch: Anderson forward, GMRES adjoint")
    print("\nwrote deq_convergence.png (residuals of the last batch's forward and adjoint solves)\n")
    print(table(rows, rows[0]["epoch_seconds"]))
    print(f"\nmachine: {os.cpu_count()} cores, {cpu_name()}; numpy {np.__version__}")
    return rows


if __name__ == "__main__":
    main()
