"""Draws the growth sweep's raw JSON (bench/growth.ts) as one PNG: each figure against the number
of services (at the sweep's fixed number of sidecars) on the left and against the number of
sidecars (on the fixed mesh) on the right, one line per server and transport.

    .venv/bin/python bench/plot_growth.py bench/results/growth-DATE.json bench/results/growth-DATE.png

A point that was not measured (over its time or memory bound, the server died, skipped after a
smaller point failed, or out of time) is drawn as a cross on the axis at its x, labelled, so a
curve that stops says why. Needs matplotlib (make bench-plot-deps).
"""
import json
import sys
import textwrap

import matplotlib

matplotlib.use("Agg")  # no display: write the file only
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import NullFormatter, ScalarFormatter  # noqa: E402

# (title, y label, value of a measured row or None)
METRICS = [
    ("Initial sync, all sidecars ACKed", "s", lambda r: r["sync"]["totalMs"] / 1000),
    ("Server CPU during the initial sync", "CPU s", lambda r: r["targetCpu"]["syncS"]),
    ("Server peak RSS", "MiB", lambda r: r["peakRssMib"]),
    ("One endpoint change, p99 until every sidecar ACKed", "ms", lambda r: r["change"]["p99Ms"]),
]
SWEEPS = [("services", "services (mesh size)", "clients"), ("clients", "sidecars (xDS streams)", "services")]
STYLES = {"sotw": "solid", "delta": "dashed"}


def measured(row):
    return "failed" not in row and "notRun" not in row


def why_not(row):
    return row.get("failed") or row.get("notRun") or ""


def main(src, dst):
    with open(src) as f:
        data = json.load(f)
    rows = data["rows"]
    m = data["machine"]
    not_measured = len({" ".join(why_not(r).split())[:150] for r in rows if not measured(r)}) * 3
    footer = 0.15 * (not_measured + 1) if not_measured else 0  # inches for the list of points not measured
    height = 4 * len(METRICS) + footer
    fig, axes = plt.subplots(len(METRICS), len(SWEEPS), figsize=(13, height), squeeze=False)
    series = sorted({(r["target"], r["transport"]) for r in rows})
    colors = {t: f"C{i}" for i, t in enumerate(sorted({t for t, _ in series}))}
    for col, (sweep, xlabel, fixed) in enumerate(SWEEPS):
        in_sweep = [r for r in rows if sweep in r["sweeps"]]
        fixed_values = sorted({r[fixed] for r in in_sweep})
        fixed_text = ", ".join(str(v) for v in fixed_values)
        for row_i, (title, unit, value) in enumerate(METRICS):
            ax = axes[row_i][col]
            for target, transport in series:
                pts = sorted((r for r in in_sweep if r["target"] == target and r["transport"] == transport), key=lambda r: r[sweep])
                ok = [r for r in pts if measured(r)]
                label = f"{target} {transport}"
                if ok:
                    ax.plot([r[sweep] for r in ok], [value(r) for r in ok], linestyle=STYLES.get(transport, "dotted"), marker="o", color=colors[target], label=label)
                for r in pts:
                    if measured(r):
                        continue
                    # A cross on the axis; why is listed under the plots.
                    ax.plot([r[sweep]], [0], marker="x", markersize=9, color=colors[target], linestyle="none", clip_on=False)
            ax.set_xscale("log")
            # Ticks at the sweep's own values, written out: 5000, not 5x10^3.
            ax.set_xticks(sorted({r[sweep] for r in in_sweep}))
            ax.xaxis.set_major_formatter(ScalarFormatter())
            ax.xaxis.set_minor_formatter(NullFormatter())
            ax.set_ylim(bottom=0)
            ax.set_xlabel(xlabel)
            ax.set_ylabel(unit)
            ax.set_title(f"{title}\n({fixed} = {fixed_text})", fontsize=10)
            ax.grid(True, which="both", alpha=0.3)
            if row_i == 0:
                ax.legend(fontsize=8, handlelength=4)
    # Every point not measured, in full, under the plots.
    # Points with the same reason on one line each: target and transport, then services x sidecars.
    by_reason = {}
    for r in rows:
        if not measured(r):
            reason = " ".join(why_not(r).split())[:150]
            by_reason.setdefault(reason, []).append(f"{r['target']} {r['transport']} {r['services']}x{r['clients']}")
    notes = [textwrap.fill(f"{reason}: {', '.join(points)}", 170, subsequent_indent="    ") for reason, points in by_reason.items()]
    if notes:
        fig.text(0.01, 0.005, "Not measured:\n" + "\n".join(notes), fontsize=7, va="bottom", ha="left", family="monospace")
    loads = [r["loadAverage"] for r in rows if "loadAverage" in r]
    load_text = f"load average {min(loads):.1f}-{max(loads):.1f}" if loads else ""
    # Sweeps from before the Go load client have no `client` option: theirs was the Node one.
    client = data.get("options", {}).get("client", "node")
    fig.suptitle(
        f"Mast xDS growth curves: {m['date']}, Mast {m['mast']}, {m['cpus']} CPUs ({m['cpu']}), {m['memoryGiB']} GiB, Node {m['node']}; {load_text}; {client} load client",
        fontsize=11,
    )
    fig.tight_layout(rect=(0, footer / height, 1, 0.98))
    fig.savefig(dst, dpi=90)
    print(f"wrote {dst}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: plot_growth.py GROWTH.json OUT.png")
    main(sys.argv[1], sys.argv[2])
