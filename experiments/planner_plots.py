"""The figure of ``nanotomo plan --simulate``: resolution vs dose, views and tilt range, the recommendation marked."""

from __future__ import annotations

from pathlib import Path

from sim.plot import save, subplots

AXIS_LABELS = {"dose": "total dose [{unit}]", "views": "views", "max_tilt_deg": "max tilt ±α [deg]"}


def check_figure(check, path) -> Path:
    """Draw a :class:`experiments.planner.SimulationCheck` into a PNG at ``path``; return the path.

    One panel per simulated axis: the mean FSC-0.5 resolution [nm] over
    seeds with their standard deviation as error bars, the recommendation as
    a dashed vertical line and the resolution wanted as a dotted horizontal
    one. Dose on a log axis. Written atomically.
    """
    from matplotlib.ticker import NullFormatter

    axes_done = [axis for axis in ("dose", "views", "max_tilt_deg") if check.summary(axis)]
    fig, axes = subplots(1, len(axes_done), figsize=(4.2 * len(axes_done), 3.6), squeeze=False,
                         layout="constrained")
    wanted = check.plan.request.resolution_nm
    for ax, axis in zip(axes[0], axes_done):
        summary = check.summary(axis)
        values = list(summary)
        ax.errorbar(values, [summary[v][0] for v in values], yerr=[summary[v][1] for v in values], marker="o",
                    capsize=3, label="twin (mean ± std over seeds)")
        ax.axvline(check.recommended[axis], color="C3", linestyle="--", label="recommended")
        ax.axhline(wanted, color="0.4", linestyle=":", label=f"wanted {wanted:g} nm")
        if axis == "dose":
            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(AXIS_LABELS[axis].format(unit=check.plan.dose_unit))
        ax.set_ylabel("FSC 0.5 resolution [nm]")
    axes[0][0].legend(fontsize=8)
    fig.suptitle(f"planner check: {check.plan.request.instrument}, voxel {check.voxel_nm:.3g} nm")
    return save(fig, path)
