"""Figures a person can look at: orthoslices of volumes, sinograms, projections.

Everything writes a PNG. Figures are made with :func:`figure` and
:func:`subplots`, here and in every module that draws: matplotlib Figures on
the Agg canvas, without pyplot. Nothing global changes (importing nanotomo
leaves a notebook's backend as it was), no figure stays open, drawing from
several threads is safe, and matplotlib is imported only when something is
drawn (importing it costs about a second, which a dask worker or
``nanotomo --help`` would otherwise pay).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sim.io.atomic import atomic_write
from sim.tiltseries import TiltSeries
from sim.volume import Volume


def figure(**options):
    """A new matplotlib Figure drawn by the Agg canvas, made without pyplot.

    ``options`` go to :class:`matplotlib.figure.Figure` (``figsize`` [inch],
    ``layout``, ...). Write it with :func:`save`; it needs no closing.

    Examples
    --------
    >>> fig = figure(figsize=(4, 3), layout="constrained")
    >>> ax = fig.add_subplot()
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(**options)
    FigureCanvasAgg(fig)
    return fig


def save(fig, path, *, dpi: int = 110) -> Path:
    """Write ``fig`` as a PNG at ``path`` (``dpi`` dots per inch) atomically; return the path.

    The file appears whole or not at all (:func:`sim.io.atomic.atomic_write`): a run that is
    stopped mid-figure leaves no broken PNG for a report to embed.
    """
    path = Path(path)
    with atomic_write(path) as temporary:
        fig.savefig(temporary, format="png", dpi=dpi)
    return path


def subplots(nrows: int = 1, ncols: int = 1, *, squeeze: bool = True, **options):
    """``(fig, axes)`` as ``pyplot.subplots`` gives them, from :func:`figure` (``options`` go to it).

    Examples
    --------
    >>> fig, axes = subplots(2, 3, figsize=(9, 5), squeeze=False)
    >>> axes.shape
    (2, 3)
    """
    fig = figure(**options)
    return fig, fig.subplots(nrows, ncols, squeeze=squeeze)


def orthoslices(volumes: dict[str, Volume], path, *, title: str = "") -> Path:
    """Central slices of each volume along its three axes, one row per volume.

    Columns: the slice perpendicular to the tilt axis (z–x, what a sinogram
    reconstructs), the x–row plane seen along the beam at 0° and the z–row
    plane. All volumes share one grey scale (the first volume's 0.5–99.5 %
    range), so over- and undershoots are visible. Axes are in nm.
    """
    path = Path(path)
    labels = list(volumes)
    reference = volumes[labels[0]].data
    low, high = np.percentile(reference, [0.5, 99.5])
    high = high if high > low else low + 1.0
    fig, axes = subplots(len(labels), 3, figsize=(11, 3.6 * len(labels)), squeeze=False, layout="constrained")
    for row, label in enumerate(labels):
        volume = volumes[label]
        data = volume.data
        n_rows, n_z, n_x = data.shape
        rows_nm, z_nm, x_nm = volume.extent_nm
        panels = [
            (data[n_rows // 2], (0, x_nm, z_nm, 0), "x [nm]", "z [nm]", f"slice r = {n_rows // 2} (z–x)"),
            (data[:, n_z // 2, :], (0, x_nm, rows_nm, 0), "x [nm]", "row [nm]", "x–row (beam view)"),
            (data[:, :, n_x // 2], (0, z_nm, rows_nm, 0), "z [nm]", "row [nm]", "z–row"),
        ]
        for col, (image, extent, xlabel, ylabel, name) in enumerate(panels):
            ax = axes[row, col]
            shown = ax.imshow(image, cmap="gray", vmin=low, vmax=high, extent=extent)
            ax.set_xlabel(xlabel)
            ax.set_ylabel(ylabel)
            ax.set_title(f"{label}: {name}", fontsize=9)
        fig.colorbar(shown, ax=axes[row, 2], label=f"{volume.quantity} [{volume.unit}]".strip(), shrink=0.8)
    if title:
        fig.suptitle(title)
    return save(fig, path, dpi=110)


def sinogram(series: TiltSeries, path, *, row: int | None = None) -> Path:
    """The sinogram of one detector row (angle vs column) beside the 0° projection."""
    path = Path(path)
    n_angles, n_rows, n_cols = series.data.shape
    row = n_rows // 2 if row is None else row
    order = np.argsort(series.angles_deg)
    angles = series.angles_deg[order]
    width_nm = n_cols * series.pixel_nm
    fig, (left, right) = subplots(1, 2, figsize=(12, 4.8), layout="constrained")
    label = f"{series.values} [{series.unit}]"
    image = left.imshow(
        series.data[order, row, :],
        cmap="gray",
        aspect="auto",
        extent=(0, width_nm, angles[-1], angles[0]),
    )
    left.set_xlabel("detector u [nm]")
    left.set_ylabel("tilt [deg]")
    left.set_title(f"sinogram, row {row} ({series.values})", fontsize=9)
    fig.colorbar(image, ax=left, label=label)
    view = int(np.argmin(np.abs(series.angles_deg)))
    shown = right.imshow(series.data[view], cmap="gray", extent=(0, width_nm, n_rows * series.pixel_nm, 0))
    right.set_xlabel("detector u [nm]")
    right.set_ylabel("row [nm]")
    right.set_title(f"projection at {series.angles_deg[view]:.1f}°", fontsize=9)
    fig.colorbar(shown, ax=right, label=label)
    return save(fig, path, dpi=110)
