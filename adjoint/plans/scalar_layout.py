"""The layout of a program of scalar nodes for vectorised evaluation, found once.

Every node of a scalar program is a float; a million of them evaluated one Python call at a
time cost a microsecond each. But a node's *level* (one more than its deepest argument's,
inputs at level 0) only depends on earlier levels, so all the nodes of one level and one
primitive are one numpy call on arrays. The layout numbers the nodes inputs first, then by
``(level, primitive, arity)``, so each such *group* is a contiguous slice of one value
vector ``v``; constants live in a pool after the nodes, so every argument is an index into
``v``.

The nodes of one primitive over all levels form a *primitive group*: the forward pass
gathers each level group's arguments straight into that primitive group's argument
buffers, so that afterwards the local partials ``∂f_i/∂z_j`` of all its nodes are one call
of the primitive's VJP rule (cotangent 1) per argument, whatever the number of levels. The
partials vector is laid out primitive group by primitive group; the Jacobian's entries in
COO form (``rows``, ``cols``) index it directly.
"""

import numpy as np

from graphs.primitive import Primitive
from graphs.rules import elementwise as _elementwise

#: Primitives whose rules act entry by entry: a group of them is one call on arrays, and the
#: VJP rule with a cotangent of ones gives each node's local partial.
ELEMENTWISE = frozenset(p for p in vars(_elementwise).values() if isinstance(p, Primitive))


def scalar_graph_reason(program):
    """``None`` if ``program`` is a graph of scalar elementwise nodes, else why not.

    Parameters
    ----------
    program : TapeProgram
        With its ``records`` (before the plan drops them).

    Returns
    -------
    str or None
        The first reason found, for the plan's report.

    Examples
    --------
    >>> import numpy as np
    >>> from graphs.tape import Tape
    >>> from adjoint.plans.replay import TapeProgram
    >>> tape = Tape(); x = tape.input(np.float64(1.0))
    >>> y = np.sin(x) * x
    >>> scalar_graph_reason(TapeProgram(tape, [0], [0], y.index)) is None
    True
    >>> tape = Tape(); v = tape.input(np.ones(3))
    >>> scalar_graph_reason(TapeProgram(tape, [0], [0], np.sum(v).index))
    'input record 0 has shape (3,)'
    """
    records = program.records
    if not program.inputs:
        return "it has no inputs"
    for i in program.inputs:
        if np.ndim(records[i][4]) != 0:
            return f"input record {i} has shape {np.shape(records[i][4])}"
    scalar_types = _SCALAR_TYPES
    for step in program.steps:
        i = step[0]
        prim, values, params, _, ans = records[i]
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
    """Whether ``v`` is a float of shape ``()`` (Python, numpy scalar or 0-d array)."""
    return v.__class__ in (float, np.float64) or (
        isinstance(v, (np.ndarray, np.generic)) and v.ndim == 0 and v.dtype.kind == "f"
    )


class PrimGroup:
    """All nodes of one primitive (and arity), in node order.

    ``nodes``: their positions in ``v``; ``args[k]``: the ``v`` position of argument ``k`` of
    each; ``constant[k]``: argument ``k`` is a constant for all of them (its buffer is
    filled once); ``partials``: ``(k, offset)`` for each argument with a traced entry, its
    partials stored at ``d[offset : offset + len(nodes)]``.
    """

    __slots__ = ("prim", "nodes", "args", "constant", "partials", "out")

    def __init__(self, prim, nodes, args, constant, partials):
        self.prim, self.nodes, self.args = prim, nodes, args
        self.constant, self.partials = constant, partials
        self.out = _as_slice(nodes)  # where its values are in v (a slice when contiguous)

    @property
    def size(self):
        """How many nodes the group has."""
        return self.nodes.size


class Group:
    """Nodes ``[start, stop)`` of one level and primitive; their arguments are entries
    ``[lo, hi)`` of primitive group ``prim_group``'s buffers, gathered from ``v`` by
    ``gathers[k]`` (``None`` for a constant argument, already in its buffer)."""

    __slots__ = ("start", "stop", "prim_group", "lo", "hi", "gathers")

    def __init__(self, start, stop, prim_group, lo, hi, gathers):
        self.start, self.stop, self.prim_group = start, stop, prim_group
        self.lo, self.hi, self.gathers = lo, hi, gathers


class ScalarLayout:
    """Nodes of a scalar ``TapeProgram`` grouped by level and primitive.

    Attributes
    ----------
    n_inputs, n_nodes : int
        Inputs are nodes ``0 .. n_inputs - 1``; ``n_nodes`` counts inputs and operations.
    constants : ndarray
        The constant pool, stored after the nodes in the value vector.
    prim_groups : list of PrimGroup
    groups : list of Group
        In evaluation order (by level).
    level_starts : ndarray
        First node of each level.
    rows, cols : ndarray
        The Jacobian's entries ``J[rows[e], cols[e]] = d[select[e]]``.
    select : ndarray or None
        Entries of the partials vector that are Jacobian entries (``None``: all, in order).
    record_of_node : ndarray
        The tape record of each node (for a record-by-record forward pass).
    """

    def __init__(self, program):
        records, n = program.records, program.n
        steps = program.steps
        n_in, m = len(program.inputs), len(steps)
        self.n_inputs, self.n_nodes = n_in, n_in + m
        max_arity = max((s[4] for s in steps), default=1)
        lv, pid, arity, parents, const, prims = _scan(records, steps, n, max_arity)

        # Node order: by (level, primitive, arity); a stable sort keeps tape order inside.
        key = (lv * (len(prims) + 1) + pid) * (max_arity + 1) + arity
        order = np.argsort(key, kind="stable")
        key, lv, pid, arity = key[order], lv[order], pid[order], arity[order]
        parents, const = parents[:, order], const[:, order]
        record_of_step = np.fromiter((s[0] for s in steps), dtype=np.int64, count=m)[order]

        node_of_record = np.full(n, -1, dtype=np.int64)
        node_of_record[np.asarray(program.inputs, dtype=np.int64)] = np.arange(n_in)
        node_of_record[record_of_step] = n_in + np.arange(m)
        self.node_of_record = node_of_record
        self.record_of_node = np.concatenate([np.asarray(program.inputs, dtype=np.int64), record_of_step])
        self.level_of_node = np.concatenate([np.zeros(n_in, dtype=np.int64), lv])
        top = int(self.level_of_node[-1])
        self.level_starts = np.searchsorted(self.level_of_node, np.arange(top + 1))

        # Value slots of every argument: a node, or the constant pool after the nodes.
        traced = parents >= 0
        in_use = np.arange(max_arity)[:, None] < arity[None, :]
        is_const = ~traced & in_use
        N = self.n_nodes
        const_slot = np.cumsum(is_const.ravel()).reshape(is_const.shape) - 1
        slots = np.where(traced, node_of_record[np.maximum(parents, 0)], N + const_slot)
        self.constants = const[is_const]

        # Primitive groups (steps of one primitive and arity, in node order) and the offset
        # of each one's partials in d; the level groups are contiguous runs within them.
        prim_key = pid * (max_arity + 1) + arity
        by_prim = np.argsort(prim_key, kind="stable")  # node order within each
        rank_in_prim = np.empty(m, dtype=np.int64)
        pbounds = _bounds(prim_key[by_prim])
        self.prim_groups, offset = [], 0
        rows, cols, select = [], [], []
        prim_group_of_step = np.empty(m, dtype=np.int64)
        for g, (s, e) in enumerate(zip(pbounds[:-1], pbounds[1:])):
            js = by_prim[s:e]
            rank_in_prim[js] = np.arange(e - s)
            prim_group_of_step[js] = g
            a = int(arity[js[0]])
            partials = []
            for k in range(a):
                t = traced[k, js]
                if t.any():
                    partials.append((k, offset))
                    rows.append(n_in + js[t])
                    cols.append(slots[k, js[t]])
                    select.append(offset + np.flatnonzero(t))
                    offset += e - s
            self.prim_groups.append(PrimGroup(
                prims[pid[js[0]]], n_in + js, tuple(slots[k, js] for k in range(a)),
                tuple(not traced[k, js].any() for k in range(a)), tuple(partials),
            ))
        self.partials_size = offset
        self.rows = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        self.cols = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
        select = np.concatenate(select) if select else np.zeros(0, dtype=np.int64)
        identity = select.size == offset and np.array_equal(select, np.arange(offset))
        self.select = None if identity else select

        # Level groups are made on first use (a sequential forward pass never needs them:
        # on a chain there is one per node).
        self._group_bounds = _bounds(key)
        self.n_groups = len(self._group_bounds) - 1
        self.group_levels = lv[self._group_bounds[:-1]] if m else np.zeros(0, dtype=np.int64)
        self._group_data = (rank_in_prim, prim_group_of_step, arity, slots)
        self._groups = None

    @property
    def groups(self):
        """The level groups, in evaluation order (made on first use)."""
        if self._groups is None:
            rank_in_prim, prim_group_of_step, arity, slots = self._group_data
            bounds, n_in = self._group_bounds, self.n_inputs
            self._groups = []
            for s, e in zip(bounds[:-1], bounds[1:]):
                g = int(prim_group_of_step[s])
                lo = int(rank_in_prim[s])
                pg = self.prim_groups[g]
                gathers = tuple(None if pg.constant[k] else _as_slice(slots[k, s:e]) for k in range(int(arity[s])))
                self._groups.append(Group(n_in + int(s), n_in + int(e), g, lo, lo + (e - s), gathers))
        return self._groups

    @property
    def n_levels(self):
        """How many levels the program has (inputs are level 0)."""
        return len(self.level_starts)


def _scan(records, steps, n, max_arity):
    """Per step: level, primitive id, arity, parent records (-1: constant), constants."""
    m = len(steps)
    level = [0] * n
    lv, pid, arity = [0] * m, [0] * m, [0] * m
    parents = [[-1] * m for _ in range(max_arity)]
    const = [[0.0] * m for _ in range(max_arity)]
    prim_ids, prims = {}, []
    for j, step in enumerate(steps):
        i, a = step[0], step[4]
        prim, values, _, rec_parents, _ = records[i]
        top = 0
        for k in range(a):
            p = rec_parents[k]
            if p >= 0:
                parents[k][j] = p
                if level[p] > top:
                    top = level[p]
            else:
                const[k][j] = float(values[k])
        level[i] = lv[j] = top + 1
        code = prim_ids.get(prim)
        if code is None:
            code = prim_ids[prim] = len(prims)
            prims.append(prim)
        pid[j] = code
        arity[j] = a
    return (np.array(lv, dtype=np.int64), np.array(pid, dtype=np.int64), np.array(arity, dtype=np.int64),
            np.array(parents, dtype=np.int64).reshape(max_arity, m),
            np.array(const, dtype=np.float64).reshape(max_arity, m), prims)


def _bounds(sorted_keys):
    """Start of each run of equal keys, and the end."""
    if sorted_keys.size == 0:
        return np.zeros(1, dtype=np.int64)
    return np.concatenate([[0], np.flatnonzero(np.diff(sorted_keys)) + 1, [sorted_keys.size]])


def _as_slice(index):
    """A slice where ``index`` is a contiguous ascending run (no gather needed), else itself."""
    n = index.size
    if n == 0:
        return index
    first, last = int(index[0]), int(index[-1])
    if last - first == n - 1 and (n <= 2 or bool((np.diff(index) == 1).all())):
        return slice(first, last + 1)
    return index
