"""Watching long solves: a user callback per iteration, and a progress bar.

``adjoint.solve`` and ``adjoint.fixed_point`` accept ``callback(block_nodes, phase,
iteration, residual)`` (``phase`` is ``"forward"``, ``"adjoint"`` or ``"tangent"``; the
residual is the solver's relative one) and ``progress=True``. Both reach the solvers through
their ``callback`` argument: ``monitored`` wraps a solver call so that nothing changes, and
nothing is paid, when neither is asked for.
"""

import sys

#: The plain fallback (no tqdm) prints one line every this many iterations, and the last.
PLAIN_EVERY = 10


def monitored(solver, settings, block, phase):
    """``solver`` with the settings' callback and progress bar attached for one block's solve.

    Parameters
    ----------
    solver : callable
        ``solvers.solve_linear`` or ``solvers.solve_fixed_point`` (anything taking a
        ``callback(iteration, x, residual)`` keyword).
    settings : adjoint.settings.Settings
        Holds ``callback`` and ``progress``.
    block : graphs.structure.Block
        The block being solved: its nodes are passed to the callback.
    phase : {"forward", "adjoint", "tangent"}

    Returns
    -------
    callable
        ``solver`` itself when there is nothing to watch.

    Examples
    --------
    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> import solvers
    >>> seen = []
    >>> settings = SimpleNamespace(callback=lambda *a: seen.append(a), progress=False)
    >>> block = SimpleNamespace(nodes=("z",))
    >>> x, report = monitored(solvers.solve_linear, settings, block, "adjoint")(
    ...     "fixed_point", np.array([[0.5]]), np.array([1.0]), maxiter=3)
    >>> [(nodes, phase, it) for nodes, phase, it, r in seen]
    [(('z',), 'adjoint', 1), (('z',), 'adjoint', 2), (('z',), 'adjoint', 3)]
    """
    callback = getattr(settings, "callback", None)
    progress = getattr(settings, "progress", False)
    if callback is None and not progress:
        return solver

    def run(*args, **kwargs):
        bar = progress_bar(block.nodes, phase, kwargs.get("maxiter")) if progress else None

        def on_iteration(iteration, x, residual):
            if callback is not None:
                callback(block.nodes, phase, iteration, residual)
            if bar is not None:
                bar.update(iteration, residual)

        try:
            return solver(*args, callback=on_iteration, **kwargs)
        finally:
            if bar is not None:
                bar.close()

    return run


def progress_bar(nodes, phase, total=None, file=None):
    """A progress bar for one solve: tqdm if installed, else a plain line printer.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> bar = PlainProgress(("z",), "forward", file=out)
    >>> bar.update(1, 0.5); bar.close()
    >>> out.getvalue()
    "forward ['z']: iteration 1, residual 5.00e-01\\n"
    """
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return PlainProgress(nodes, phase, file=file)
    return TqdmProgress(tqdm, nodes, phase, total, file)


def _label(nodes, phase):
    shown = ", ".join(map(repr, nodes[:3])) + (", …" if len(nodes) > 3 else "")
    return f"{phase} [{shown}]"


class TqdmProgress:
    """A tqdm bar counting iterations, the residual as its postfix."""

    def __init__(self, tqdm, nodes, phase, total, file=None):
        self.bar = tqdm(total=total, desc=_label(nodes, phase), unit="it", leave=False,
                        file=file if file is not None else sys.stderr)
        self.seen = 0

    def update(self, iteration, residual):
        self.bar.update(max(iteration - self.seen, 0))
        self.seen = max(iteration, self.seen)
        self.bar.set_postfix_str(f"residual {residual:.2e}", refresh=False)

    def close(self):
        self.bar.close()


class PlainProgress:
    """Without tqdm: a line every ``PLAIN_EVERY`` iterations and one for the last."""

    def __init__(self, nodes, phase, file=None):
        self.label = _label(nodes, phase)
        self.file = file if file is not None else sys.stderr
        self.last = None

    def update(self, iteration, residual):
        self.last = (iteration, residual)
        if iteration % PLAIN_EVERY == 0:
            self._print()

    def close(self):
        if self.last is not None and self.last[0] % PLAIN_EVERY != 0:
            self._print()

    def _print(self):
        iteration, residual = self.last
        print(f"{self.label}: iteration {iteration}, residual {residual:.2e}", file=self.file)
