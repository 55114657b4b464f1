"""The layout of a program of scalar nodes for vectorised evaluation, found once.

Every node of a scalar program is a float; a million of them evaluated one Python call at a
time cost a microsecond each. But a node's *level* (one more than its deepest argument's,
inputs at level 0) only depends on earlier levels, so all the nodes of one level and one
primitive are one numpy call on arrays. The layout numbers the nodes inputs first, then by
``(level, primitive, arity)``, so each such group is a contiguous slice of one value vector;
its arguments are gathered by index arrays (or slices), its constants are a contiguous slice
of a constant pool stored after the nodes. The local partials ``∂f_i/∂z_j`` of group ``g``'s
argument ``k`` are one slice of a partials vector; the edges (child, parent) select from it
the Jacobian's entries in COO form, in one pass.
"""

import numpy as np

from graphs.primitive import Primitive
from graphs.rules import elementwise as _elementwise

#: Primitives whose rules act entry by entry: a group of them is one call on arrays, and the
#: VJP rule with a cotangent of ones gives each node's local partial.
ELEMENTWISE = frozenset(p for p in vars(_elementwise).values() if isinstance(p, Primitive))


def scalar_graph_reason(program):
    """``None`` if ``program`` (a ``TapeProgram``) is a graph of scalar elementwise nodes,
    else the first reason it is not (for the plan's report)."""
    records = program.records
    for i in program.inputs:
        if np.ndim(records[i][4]) != 0:
            return f"input record {i} has shape {np.shape(records[i][4])}"
    scalar_types = _SCALAR_TYPES
    for i, fn, slots, params, arity in program.steps:
        prim, values, _, _, ans = records[i]
        if prim not in ELEMENTWISE:
            return f"record {i} applies '{prim.name}', not an elementwise primitive"
        if params:
            return f"record {i} ('{prim.name}') has parameters"
        if ans.__class__ is not np.float64 and not _is_float_scalar(ans):
            return f"record {i} ('{prim.name}') has shape {np.shape(ans)}"
        for v in values:
            if v.__class__ not in scalar_types and not _is_float_scalar(v) and not isinstance(v, _NUMBERS):
                return f"record {i} ('{prim.name}') has a non-scalar argument"
    return None


_SCALAR_TYPES = frozenset({np.float64, float, int, bool})
_NUMBERS = (bool, np.bool_, int, np.integer, float, np.floating)


def _is_float_scalar(v):
    return v.__class__ in (float, np.float64) or (
        isinstance(v, (np.ndarray, np.generic)) and v.ndim == 0 and v.dtype.kind == "f"
    )


class Group:
    """Nodes ``[start, stop)`` of one level and primitive: ``impl(*args)`` over slices."""

    __slots__ = ("start", "stop", "prim", "args", "partials")

    def __init__(self, start, stop, prim, args, partials):
        self.start, self.stop, self.prim = start, stop, prim
        self.args = args  # per argument: a slice or an index array into the value vector
        self.partials = partials  # per traced argument: (k, offset of its partials)


class ScalarLayout:
    """Nodes of a scalar ``TapeProgram`` grouped by level and primitive.

    Attributes
    ----------
    n_inputs, n_nodes : int
        Inputs are nodes ``0 .. n_inputs - 1``; ``n_nodes`` counts inputs and operations.
    constants : ndarray
        The constant pool, stored after the nodes in the value vector.
    groups : list of Group
        In evaluation order.
    level_starts : ndarray
        First node of each level.
    rows, cols : ndarray
        The Jacobian's entries ``J[rows[e], cols[e]] = partials[select[e]]``.
    select : ndarray or None
        Entries of the partials vector that are Jacobian entries (``None``: all of them).
    """

    def __init__(self, program):
        records, n = program.records, program.n
        steps = program.steps
        n_in, m = len(program.inputs), len(steps)
        self.n_inputs, self.n_nodes = n_in, n_in + m
        level = np.zeros(n, dtype=np.int64)
        prim_ids, prims = {}, []
        lv = [0] * m
        pid = [0] * m
        arity = [0] * m
        max_arity = max((s[4] for s in steps), default=1)
        parents = [[-1] * m for _ in range(max_arity)]
        const = [[0.0] * m for _ in range(max_arity)]
        level_list = level.tolist()
        for j, (i, fn, slots, params, a) in enumerate(steps):
            prim, values, _, rec_parents, _ = records[i]
            top = 0
            for k in range(a):
                p = rec_parents[k]
                if p >= 0:
                    parents[k][j] = p
                    if level_list[p] > top:
                        top = level_list[p]
                else:
                    const[k][j] = float(values[k])
            level_list[i] = lv[j] = top + 1
            if prim not in prim_ids:
                prim_ids[prim] = len(prims)
                prims.append(prim)
            pid[j] = prim_ids[prim]
            arity[j] = a
        lv, pid, arity = np.array(lv, dtype=np.int64), np.array(pid, dtype=np.int64), np.array(arity, dtype=np.int64)
        parents = np.array(parents, dtype=np.int64).reshape(max_arity, m)
        const = np.array(const, dtype=np.float64).reshape(max_arity, m)

        key = (lv * (len(prims) + 1) + pid) * (max_arity + 1) + arity
        order = np.argsort(key, kind="stable")
        key, lv, pid, arity = key[order], lv[order], pid[order], arity[order]
        parents, const = parents[:, order], const[:, order]
        record_of_step = np.array([s[0] for s in steps], dtype=np.int64)[order]

        node_of_record = np.full(n, -1, dtype=np.int64)
        node_of_record[np.asarray(program.inputs, dtype=np.int64)] = np.arange(n_in)
        node_of_record[record_of_step] = n_in + np.arange(m)
        self.node_of_record = node_of_record
        self.level_of_node = np.concatenate([np.zeros(n_in, dtype=np.int64), lv])
        self.level_starts = np.searchsorted(self.level_of_node, np.arange(self.level_of_node[-1] + 1 if m else 1))

        # Value slots of every argument: a node, or the constant pool (after the nodes),
        # numbered so that a group's constants for one argument are one contiguous slice.
        traced = parents >= 0
        is_const = ~traced & (np.arange(max_arity)[:, None] < arity[None, :])
        const_slot = np.cumsum(is_const.ravel()).reshape(is_const.shape) - 1
        N = self.n_nodes
        slots = np.where(traced, node_of_record[np.maximum(parents, 0)], N + const_slot)
        self.constants = const[is_const]

        bounds = np.concatenate([[0], np.flatnonzero(np.diff(key)) + 1, [m]]) if m else np.zeros(1, dtype=np.int64)
        self.partial_stride = m
        self.groups = []
        for s, e in zip(bounds[:-1], bounds[1:]):
            a = int(arity[s])
            prim = prims[pid[s]]
            args, partials = [], []
            for k in range(a):
                args.append(_as_slice(slots[k, s:e]))
                if traced[k, s:e].any():
                    partials.append((k, k * m + s))
            self.groups.append(Group(n_in + int(s), n_in + int(e), prim, tuple(args), tuple(partials)))
        self.group_levels = lv[bounds[:-1]] if m else np.zeros(0, dtype=np.int64)

        # The same steps grouped by primitive only, across levels: once the values are known
        # (computed sequentially on a narrow graph), partials need no level order.
        self.record_of_node = np.concatenate([np.asarray(program.inputs, dtype=np.int64), record_of_step])
        self.prim_groups = []
        prim_key = pid * (max_arity + 1) + arity
        by_prim = np.argsort(prim_key, kind="stable")
        pk = prim_key[by_prim]
        pbounds = np.concatenate([[0], np.flatnonzero(np.diff(pk)) + 1, [m]]) if m else np.zeros(1, dtype=np.int64)
        for s, e in zip(pbounds[:-1], pbounds[1:]):
            js = by_prim[s:e]
            a = int(arity[js[0]])
            args = tuple(slots[k, js] for k in range(a))
            partials = tuple((k, k * m + js) for k in range(a) if traced[k, js].any())
            self.prim_groups.append((prims[pid[js[0]]], n_in + js, args, partials))

        # Jacobian entries: child = the step's node, parent = its traced argument's node.
        ks, js = np.nonzero(traced)
        self.rows = n_in + js
        self.cols = slots[ks, js]
        select = ks * m + js
        self.partials_size = max_arity * m
        identity = select.size == self.partials_size and np.array_equal(select, np.arange(select.size))
        self.select = None if identity else select

    @property
    def n_levels(self):
        return len(self.level_starts)


def _as_slice(index):
    """A slice where ``index`` is a contiguous ascending run (no gather needed), else itself."""
    if index.size and index[-1] - index[0] == index.size - 1 and np.all(np.diff(index) == 1):
        return slice(int(index[0]), int(index[-1]) + 1)
    return index
