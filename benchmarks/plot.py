"""The benchmark figure: one panel per kind of ratio, goals drawn as dashed lines."""

import matplotlib

matplotlib.use("Agg")  # files only: no display needed
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402


def plot_rows(rows, path):
    """Bar charts of the rows of ``benchmarks/run.py``, saved to ``path`` (PNG)."""
    panels = [
        ("Scalar chain: speed-up over autograd", lambda r: r["case"].startswith("Scalar chain") and r["unit"] == "x"),
        ("MLP: gradient time / numpy forward", lambda r: r["case"].startswith("MLP") and r["unit"] == "x"),
        ("Scalar graphs: ns per node (per nonzero for spsolve)", lambda r: r["unit"] == "ns"),
        ("Ratios to CasADi and cyclic adjoint / forward",
         lambda r: r["unit"] == "x" and ("CasADi" in r["measure"] or r["case"].startswith("Cyclic"))),
    ]
    fig, axes = plt.subplots(len(panels), 1, figsize=(10, 3.2 * len(panels)))
    for ax, (title, keep) in zip(axes, panels):
        chosen = [r for r in rows if keep(r)]
        ax.set_title(title, fontsize=10)
        if not chosen:
            ax.text(0.5, 0.5, "not run", ha="center", va="center", transform=ax.transAxes)
            ax.set_axis_off()
            continue
        labels = [_label(r) for r in chosen]
        values = [r["value"] for r in chosen]
        colours = ["tab:green" if r["met"] else ("tab:red" if r["met"] is False else "tab:blue") for r in chosen]
        ax.barh(range(len(chosen)), values, color=colours)
        ax.set_yticks(range(len(chosen)), labels, fontsize=7)
        ax.invert_yaxis()
        for k, r in enumerate(chosen):
            if r["goal"]:
                bound = float(r["goal"].split()[1])
                ax.plot([bound, bound], [k - 0.4, k + 0.4], "k--", linewidth=1)
            ax.text(r["value"], k, f" {r['value']:.3g}", va="center", fontsize=7)
        if title.startswith("Scalar graphs"):
            ax.set_xscale("log")
            ax.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
            ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _label(r):
    case = r["case"]
    if case.startswith("MLP"):
        short = "MLP" + (" [malloc keeps memory]" if "malloc" in case else "")
    elif case.startswith("Cyclic"):
        short = "Cyclic, 10^6 unknowns" if "1,000,000" in case else "Cyclic"
    else:
        short = case.split(":")[0].split(" (")[0]
    measure = (r["measure"].replace("compiled plan", "plan").replace(" / numpy forward", "")
               .replace(" time", "").replace("adjoint / forward solve, ", "adjoint / forward, ")
               .replace(" (trace + adjoint, end to end)", " (end to end)"))
    return f"{short}: {measure}"[:80]
