"""Figures of a tilt series as recorded: chosen views, and the per-view dose, shift and defocus.

Each function writes a PNG (figures from :mod:`sim.plot`, without pyplot).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sim.errors import ValidationError
from sim.plot import save, subplots
from sim.tiltseries import TiltSeries

PER_VIEW_COLUMNS = ("dose_e_per_a2", "cumulative_dose_e_per_a2", "shift_row_nm", "shift_col_nm", "defocus_nm", "time_s")


def nearest_views(angles_deg, targets_deg) -> list[int]:
    """Index of the view nearest each target tilt [deg], first occurrence kept once.

    A target beyond the recorded range picks the largest tilt on that side.

    Examples
    --------
    >>> nearest_views([0.0, 30.0, 60.0, -30.0, -60.0], (0, 45, 70))
    [0, 1, 2]
    """
    angles = np.asarray(angles_deg, dtype=np.float64)
    chosen = []
    for target in targets_deg:
        index = int(np.argmin(np.abs(angles - target)))
        if index not in chosen:
            chosen.append(index)
    return chosen


def scale_bar_nm(field_nm: float) -> float:
    """A round scale-bar length [nm]: the largest 1, 2 or 5 × 10ⁿ not over a fifth of ``field_nm``.

    Examples
    --------
    >>> scale_bar_nm(200.0), scale_bar_nm(37.0)
    (20.0, 5.0)
    """
    target = field_nm / 5.0
    power = 10.0 ** np.floor(np.log10(target))
    return float(max(m * power for m in (1.0, 2.0, 5.0) if m * power <= target))


def tilt_views(series: TiltSeries, path, *, targets_deg=(0.0, 45.0, 70.0)) -> Path:
    """The views nearest ``targets_deg`` [deg] side by side, in nm, with a scale bar.

    Each panel has its own grey scale (the 0.5–99.5 % range of that view) and
    its view index and tilt in the title; the pixel size is in the figure title.
    """
    from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

    path = Path(path)
    chosen = nearest_views(series.angles_deg, targets_deg)
    n_rows, n_cols = series.data.shape[1:]
    width_nm, height_nm = n_cols * series.pixel_nm, n_rows * series.pixel_nm
    bar = scale_bar_nm(width_nm)
    fig, axes = subplots(1, len(chosen), figsize=(4.2 * len(chosen), 4.4), squeeze=False, layout="constrained")
    for ax, index in zip(axes[0], chosen):
        image = series.data[index]
        low, high = np.percentile(image, [0.5, 99.5])
        shown = ax.imshow(image, cmap="gray", vmin=low, vmax=max(high, low + 1e-12), extent=(0, width_nm, height_nm, 0))
        ax.add_artist(AnchoredSizeBar(ax.transData, bar, f"{bar:g} nm", "lower left", color="yellow", frameon=False,
                                      size_vertical=height_nm / 100))
        ax.set_xlabel("column [nm]")
        ax.set_ylabel("row (tilt axis) [nm]")
        ax.set_title(f"view {index}: tilt {series.angles_deg[index]:+.1f}°", fontsize=10)
        fig.colorbar(shown, ax=ax, shrink=0.8, label=f"{series.values} [{series.unit}]")
    fig.suptitle(f"tilt series, pixel {series.pixel_nm:g} nm, {series.n_angles} views")
    return save(fig, path, dpi=110)


def dose_and_shift(series: TiltSeries, path) -> Path:
    """Per-view dose, cumulative dose, defocus, true image shift and time, six panels.

    Top: dose per view and cumulative dose [e⁻/Å²] against the view index
    (acquisition order) and against tilt; defocus [nm] against tilt. Bottom:
    the true image shift along rows and along columns [nm] against tilt, and
    the start time of each view [h] against its index. Points against tilt are
    coloured by acquisition order and joined in that order, so hysteresis
    branches show. Needs the series' per-view columns :data:`PER_VIEW_COLUMNS`.
    """
    missing = [name for name in PER_VIEW_COLUMNS if name not in series.views]
    if missing:
        raise ValidationError("series.views", missing, f"a series with the per-view columns {list(PER_VIEW_COLUMNS)}")
    path = Path(path)
    views = series.views
    tilt = series.angles_deg
    order = np.arange(series.n_angles)
    fig, axes = subplots(2, 3, figsize=(16, 8.5), layout="constrained")

    ax = axes[0, 0]
    ax.bar(order, views["dose_e_per_a2"], color="tab:blue")
    ax.set_xlabel("view (acquisition order)")
    ax.set_ylabel("dose per view [e⁻/Å²]", color="tab:blue")
    twin = ax.twinx()
    twin.plot(order, views["cumulative_dose_e_per_a2"], color="tab:red")
    twin.set_ylabel("cumulative dose before the view [e⁻/Å²]", color="tab:red")
    ax.set_title("dose by acquisition order", fontsize=10)

    ax = axes[0, 1]
    ax.scatter(tilt, views["dose_e_per_a2"], c="tab:blue", s=14)
    ax.set_xlabel("tilt [deg]")
    ax.set_ylabel("dose per view [e⁻/Å²]", color="tab:blue")
    twin = ax.twinx()
    twin.scatter(tilt, views["cumulative_dose_e_per_a2"], c="tab:red", s=14, marker="^")
    twin.set_ylabel("cumulative dose before the view [e⁻/Å²]", color="tab:red")
    ax.set_title("dose by tilt", fontsize=10)

    panels = ((axes[0, 2], "defocus_nm", "defocus [nm] (positive = underfocus)", "defocus"),
              (axes[1, 0], "shift_row_nm", "true image shift along rows [nm]", "shift along the tilt axis (rows)"),
              (axes[1, 1], "shift_col_nm", "true image shift along columns [nm]", "shift across the tilt axis (columns)"))
    for ax, column, label, title in panels:
        ax.plot(tilt, views[column], color="0.75", linewidth=0.8, zorder=1)
        points = ax.scatter(tilt, views[column], c=order, cmap="viridis", s=18, zorder=2)
        ax.set_xlabel("tilt [deg]")
        ax.set_ylabel(label)
        ax.set_title(f"{title}, joined in acquisition order", fontsize=10)
    fig.colorbar(points, ax=axes[1, 1], label="view (acquisition order)")

    ax = axes[1, 2]
    ax.plot(order, views["time_s"] / 3600.0, marker="o", markersize=3)
    ax.set_xlabel("view (acquisition order)")
    ax.set_ylabel("start of the exposure [h]")
    ax.set_title("session timeline", fontsize=10)

    fig.suptitle(f"per-view acquisition record ({series.n_angles} views)")
    return save(fig, path, dpi=110)
