"""Detection rate against the request budget, as a PNG (matplotlib, drawn off-screen)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path


def detection_plot(
    curves: Mapping[str, Sequence[tuple[int, float]]], title: str, output: Path
) -> Path:
    """One line per tool: (budget, detection rate in 0..1) points; written to `output`."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(7, 4.2), dpi=100)
    for (label, points), marker in zip(curves.items(), "os^dv", strict=False):
        budgets = [budget for budget, _ in points]
        rates = [100 * rate for _, rate in points]
        axes.plot(budgets, rates, marker=marker, label=label)
        for budget, rate in zip(budgets, rates, strict=True):
            axes.annotate(
                f"{rate:.0f}%",
                (budget, rate),
                textcoords="offset points",
                xytext=(0, 7),
                ha="center",
                fontsize=8,
            )
    every_budget = sorted({budget for points in curves.values() for budget, _ in points})
    axes.set_xscale("log")
    axes.set_xticks(every_budget, [str(b) for b in every_budget])
    axes.minorticks_off()
    axes.set_ylim(0, 108)
    axes.set_xlabel("request budget (--max-requests; log scale)")
    axes.set_ylabel("faults of the catalogue detected (%)")
    axes.set_title(title, fontsize=10)
    axes.grid(True, alpha=0.3)
    axes.legend(loc="lower right")
    figure.tight_layout()
    output.parent.mkdir(parents=True, exist_ok=True)
    # No timestamps in the file, so that an unchanged plot is unchanged bytes.
    figure.savefig(output, format="png", metadata={"Software": None})
    pyplot.close(figure)
    return output
