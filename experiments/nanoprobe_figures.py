"""Figures of a nanoprobe run: element maps, their RGB overlay, spectra with lines, ptychographic phase, time.

Every function takes arrays with their physical units and a path, writes one
PNG and returns the path.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sim.plot import save, subplots


def _extent(shape, step_nm: float) -> list[float]:
    """Image extent [µm] of a map of ``shape`` with ``step_nm`` pixels, centred."""
    height, width = (n * step_nm / 1e3 for n in shape)
    return [-width / 2, width / 2, height / 2, -height / 2]


def element_maps(measured: dict, truth: dict, step_nm: float, path, *, title: str = "") -> Path:
    """Measured element maps (one view) above the truth's projection, same colour scale per element.

    ``measured`` and ``truth``: element -> ``(rows, cols)`` path integral of
    the mass density [g/cm³·nm].
    """
    names = list(measured)
    fig, axes = subplots(2, len(names), figsize=(2.6 * len(names), 5.2), squeeze=False)
    for k, name in enumerate(names):
        top = float(np.percentile(truth[name], 99.9)) or 1.0
        for row, (label, image) in enumerate((("measured", measured[name]), ("truth", truth[name]))):
            ax = axes[row, k]
            shown = ax.imshow(image, cmap="magma", vmin=0.0, vmax=top, extent=_extent(image.shape, step_nm))
            ax.set_title(f"{name} {label}", fontsize=9)
            ax.set_xlabel("x [µm]", fontsize=8)
            ax.tick_params(labelsize=7)
        fig.colorbar(shown, ax=axes[:, k], shrink=0.7, label="g/cm³·nm")
    fig.suptitle(title, fontsize=10)
    return save(fig, path)


def rgb_overlay(maps: dict, step_nm: float, path, *, title: str = "") -> Path:
    """Three element maps as the red, green and blue channels, each scaled to its 99.5th percentile."""
    names = list(maps)[:3]
    channels = []
    for name in names:
        image = np.clip(maps[name], 0.0, None)
        top = float(np.percentile(image, 99.5)) or 1.0
        channels.append(np.clip(image / top, 0.0, 1.0))
    while len(channels) < 3:
        channels.append(np.zeros_like(channels[0]))
    fig, ax = subplots(figsize=(5.0, 5.0))
    ax.imshow(np.stack(channels, axis=-1), extent=_extent(channels[0].shape, step_nm))
    legend = ", ".join(f"{colour}: {name}" for colour, name in zip(("red", "green", "blue"), names))
    ax.set_title(f"{title}\n{legend}", fontsize=9)
    ax.set_xlabel("x [µm]")
    ax.set_ylabel("y [µm]")
    return save(fig, path)


def spectra(counts: np.ndarray, bin_edges_kev: np.ndarray, labels: list, peaks: dict, path, *,
            title: str = "") -> Path:
    """Counted spectra (log scale) with the identified lines marked.

    ``peaks``: peak name (``"Co Ka"``, ``"Co Ka escape"``, ``"Co Ka + Co Ka"``) -> energy [keV].
    """
    centres = 0.5 * (bin_edges_kev[1:] + bin_edges_kev[:-1])
    fig, ax = subplots(figsize=(9.0, 4.5))
    for spectrum, label in zip(counts, labels):
        ax.step(centres, np.maximum(spectrum, 0.5), where="mid", lw=0.8, label=label)
    top = float(np.max(counts)) if counts.size else 1.0
    for name, energy in sorted(peaks.items(), key=lambda item: item[1]):
        style = ":" if ("escape" in name or "+" in name) else "--"
        ax.axvline(energy, color="grey", ls=style, lw=0.6)
        ax.text(energy, top * 1.5, name, rotation=90, fontsize=6, va="bottom", ha="center")
    ax.set_yscale("log")
    ax.set_ylim(0.5, top * 30)
    ax.set_xlabel("energy [keV]")
    ax.set_ylabel("counts per 10 eV bin")
    ax.legend(fontsize=7, loc="upper right")
    ax.set_title(title, fontsize=9)
    return save(fig, path)


def phase_comparison(recovered_rad: np.ndarray, truth_rad: np.ndarray, pixel_nm: float, path, *, title: str = "") -> Path:
    """A recovered phase map beside the true one and their difference [rad] (ptychography, DPC)."""
    low, high = float(np.min(truth_rad)), float(np.max(truth_rad))
    fig, axes = subplots(1, 3, figsize=(12.0, 4.2))
    for ax, (label, image, limits) in zip(axes, (("recovered phase", recovered_rad, (low, high)),
                                                 ("true phase", truth_rad, (low, high)),
                                                 ("difference", recovered_rad - truth_rad, None))):
        kwargs = {"vmin": limits[0], "vmax": limits[1]} if limits else {}
        shown = ax.imshow(image, cmap="twilight" if limits else "RdBu_r", extent=_extent(image.shape, pixel_nm),
                          **kwargs)
        ax.set_title(label, fontsize=9)
        ax.set_xlabel("x [µm]")
        fig.colorbar(shown, ax=ax, shrink=0.8, label="rad")
    fig.suptitle(title, fontsize=10)
    return save(fig, path)


def time_breakdown(budget: dict, path, *, title: str = "") -> Path:
    """The tomogram's acquisition time by part [h] as a horizontal bar chart."""
    parts = {name[:-2].replace("_", " "): value / 3600.0 for name, value in budget.items()
             if name.endswith("_s") and name not in ("total_s", "per_projection_s")}
    fig, ax = subplots(figsize=(7.0, 3.0))
    ax.barh(list(parts), list(parts.values()), color="tab:blue")
    for k, value in enumerate(parts.values()):
        ax.text(value, k, f" {value:.2f} h", va="center", fontsize=8)
    ax.set_xlabel("time [h]")
    ax.set_title(f"{title}\ntotal {budget['total_s'] / 3600.0:.2f} h", fontsize=9)
    fig.tight_layout()
    return save(fig, path)


def sinograms(series_by_element: dict, path, *, title: str = "") -> Path:
    """The middle row's sinogram of each element's series (angle vs x)."""
    names = list(series_by_element)
    fig, axes = subplots(1, len(names), figsize=(2.8 * len(names), 3.6), squeeze=False)
    for ax, name in zip(axes[0], names):
        series = series_by_element[name]
        order = np.argsort(series.angles_deg)
        row = series.data.shape[1] // 2
        width = series.data.shape[2] * series.pixel_nm / 1e3
        ax.imshow(series.data[order, row], aspect="auto", cmap="magma",
                  extent=[-width / 2, width / 2, series.angles_deg[order][-1], series.angles_deg[order][0]])
        ax.set_title(f"{series.provenance.get('line', name)} sinogram", fontsize=9)
        ax.set_xlabel("x [µm]", fontsize=8)
        ax.set_ylabel("angle [deg]", fontsize=8)
    fig.suptitle(f"{title}: middle row", fontsize=10)
    fig.tight_layout()
    return save(fig, path)



def element_slices(data, volumes: dict, corrected: dict, rows, path, *, title: str = "") -> Path:
    """Central row of each element's volume: truth, every method and the self-absorption-aware one [g/cm³]."""
    names = list(corrected)
    middle = len(rows) // 2
    row = rows[middle]
    methods = list(next(iter(volumes.values())))
    columns = ["truth", *methods, "self-absorption-aware"]
    fig, axes = subplots(len(names), len(columns), figsize=(2.7 * len(columns), 2.6 * len(names)),
                         squeeze=False)
    for k, name in enumerate(names):
        truth = data.xrf[name].ground_truth.data[row]
        images = [truth, *(volumes[name][m].data[row] for m in methods), corrected[name][middle]]
        top = float(np.percentile(truth, 99.9)) or 1.0
        step = data.xrf[name].pixel_nm
        for ax, label, image in zip(axes[k], columns, images):
            shown = ax.imshow(image, cmap="magma", vmin=0.0, vmax=top, extent=_extent(image.shape, step))
            ax.set_title(f"{name}: {label}", fontsize=8)
            ax.tick_params(labelsize=7)
        fig.colorbar(shown, ax=axes[k], shrink=0.8, label="g/cm³")
    fig.suptitle(title, fontsize=10)
    return save(fig, path)
