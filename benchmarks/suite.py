"""Running the benchmark cases and reporting them: Markdown table, JSON, plot."""

import json
import os
import time

import cases
import deq_cases
from timing import machine


class Suite:
    """The cases of ``benchmarks/run.py`` at full or quick sizes."""

    def __init__(self, quick=False, threads=1):
        self.quick, self.threads = quick, threads
        self.repeats = 3 if quick else 5
        self.cyclic_repeats = 1 if quick else 2
        self.rows, self.skipped = [], []
        big = 100_000 if quick else 1_000_000
        self.cases = {
            "chain": lambda: cases.chain_case(self),
            "mlp": lambda: cases.mlp_case(self),
            "hvp": lambda: cases.hvp_case(self),
            "lstm": lambda: cases.array_program_case(self, "lstm"),
            "gp": lambda: cases.array_program_case(self, "gp"),
            "graph": lambda: cases.graph_case(self, 1000, big // 1000, "Generated program")
            + cases.spsolve_case(self, big),
            "pure_chain": lambda: cases.graph_case(self, 1, big, "Generated pure chain"),
            "cyclic": lambda: cases.cyclic_case(self, big),
            "cyclic_local": lambda: cases.cyclic_case(self, big, local=True),
            "graph_route": lambda: cases.graph_route_case(self, 10_000 if quick else 25_000),
            "deq": lambda: [r for width in ((64, 256) if quick else (64, 256, 1024))
                            for r in deq_cases.deq_case(self, width, cases._optional, cases.row, cases._check)],
            # last: it changes how malloc behaves for the rest of the process
            "mlp_malloc": lambda: cases.mlp_case(self, keep_freed_memory=True),
        }

    def run(self, only=None):
        for name, case in self.cases.items():
            if only and name not in only:
                continue
            start = time.perf_counter()
            print(f"[{name}] ...", flush=True)
            self.rows.extend(case())
            print(f"[{name}] done in {time.perf_counter() - start:.0f} s", flush=True)

    def markdown(self):
        info = machine()
        lines = [
            f"Machine: {info['cpu']}, {info['cores']} cores ({self.threads} thread(s) used for BLAS, "
            f"PyTorch and XLA); Python {info['python']}, numpy {info['numpy']}, scipy {info['scipy']}; "
            + ", ".join(f"{k} {info[k]}" for k in ("autograd", "jax", "torch", "casadi") if info[k])
            + (" (quick sizes)" if self.quick else ""),
            "",
            "| Case | Measure | Result | Goal | Met | Notes |",
            "|---|---|---|---|---|---|",
        ]
        for r in self.rows:
            lines.append(f"| {r['case']} | {r['measure']} | {_fmt(r)} | {_goal(r)} | "
                         f"{'' if r['met'] is None else ('yes' if r['met'] else '**no**')} | {r['note']} |")
        return "\n".join(lines)

    def report(self, out):
        os.makedirs(out, exist_ok=True)
        table = self.markdown()
        print()
        print(table)
        with open(os.path.join(out, "latest.md"), "w") as f:
            f.write(table + "\n")
        with open(os.path.join(out, "latest.json"), "w") as f:
            json.dump({"machine": machine(), "quick": self.quick, "threads": self.threads,
                       "rows": self.rows}, f, indent=1)
        try:
            from plot import plot_rows
        except ImportError as e:  # matplotlib absent: the table is the result
            print(f"no plot: {e}")
            return
        path = os.path.join(out, "benchmarks.png")
        plot_rows(self.rows, path)
        print(f"\nwrote {path}, latest.md and latest.json in {out}")


def _fmt(r):
    v, unit = r["value"], r["unit"]
    if unit == "x":
        return f"{v:.2f}×" if v < 10 else f"{v:.1f}×"
    if unit == "ns":
        return f"{v:.0f} ns"
    return f"{v * 1e3:.1f} ms" if v < 1 else f"{v:.2f} s"


def _goal(r):
    if r["goal"] is None:
        return ""
    op, bound = r["goal"].split()
    unit = {"x": "×", "s": " s", "ns": " ns"}[r["unit"]]
    return f"{'≥' if op == '>=' else '≤'} {bound}{unit}"
