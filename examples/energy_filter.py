"""How much does an energy filter help at 70°? A BF-TEM series of an 80 nm lamella, with and without one.

Run:  python examples/energy_filter.py [out_folder]

Records a ±60°, 120 e⁻/Å² dose-symmetric bright-field series of the 80 nm
a-C lamella with Au and Pt particles at 300 kV, then images single 70° views
with and without a 20 eV zero-loss slit. Prints, for 0° and 70°, the mean
signal (fraction of the beam reaching the camera) and the contrast of the Pt
and Au particles against the film in the central 50 nm (where a 400 nm
piece of lamella still looks infinite at 70°), and writes ``energy_filter.png``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import instruments  # noqa: E402
import phantoms  # noqa: E402
import sim  # noqa: E402


CENTRE_NM = 25.0
"""Half-width of the central strip [nm] where a 400 nm wide piece of an 80 nm lamella still looks
infinite at 70°: a ray at column u crosses the whole slab inside the piece while
|u| < (W/2)·cos θ − (t/2)·sin θ = 30.8 nm."""


def central(image: np.ndarray, pixel_nm: float) -> slice:
    """Columns within ``CENTRE_NM`` of the tilt axis."""
    half = int(CENTRE_NM / pixel_nm)
    middle = image.shape[1] // 2
    return slice(middle - half, middle + half)


def particle_contrast(image: np.ndarray, mask: np.ndarray) -> float:
    """(film − particle)/film mean intensity: how dark the particles image against the film."""
    film = image[~mask].mean()
    return float((film - image[mask].mean()) / film)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    phantom = phantoms.get("lamella", thickness_nm=80, width_nm=400, n_pt=200, n_au=20, seed=1)
    scheme = sim.TiltScheme.range(-60, 60, step_deg=2, order="dose-symmetric")
    tem = instruments.preset("tem-300kv-bf-lowdose", dose_total_e_per_a2=120.0)
    series = tem.acquire(phantom, scheme, seed=7)
    hours = series.provenance["acquisition_time_s"]["total_s"] / 3600
    print(f"series {series.shape}, {series.dose_per_view.sum():.0f} e/A^2 in {hours:.2f} h, "
          f"{series.views['dose_e_per_a2'][0]:.2f} e/A^2 per view")

    particles = phantom.fraction("Pt") + phantom.fraction("Au")
    still = sim.Stage(height_error_nm=0, axis_offset_nm=0, axis_elevation_deg=0, runout_nm=0, hysteresis_nm=0,
                      jitter_nm=0, drift_nm_per_s=0)
    figure, axes = plt.subplots(2, 2, figsize=(5, 11))
    for row, angle in enumerate((0.0, 70.0)):
        mask = sim.project(particles, [angle], voxel_nm=phantom.voxel_nm)[0] > 2.0
        strip = central(mask, phantom.voxel_nm)
        mask = mask[:, strip]
        for col, slit in enumerate((None, 20.0)):
            microscope = instruments.preset("tem-300kv-bf-lowdose", energy_filter_slit_ev=slit, stage=still, fidelity="wave")
            fields = microscope.fields(phantom)
            image = microscope.image(fields, angle, mean_loss_ev=microscope.mean_loss_ev(phantom))[:, strip]
            label = "unfiltered" if slit is None else f"{slit:g} eV slit"
            print(f"{angle:4.0f} deg, {label:>11}: mean signal {image.mean():.3f} of the beam, "
                  f"particle contrast {particle_contrast(image, mask):.3f}")
            axes[row, col].imshow(image, cmap="gray")
            axes[row, col].set_title(f"{angle:g}°, {label}\nmean {image.mean():.2f}, contrast {particle_contrast(image, mask):.3f}")
            axes[row, col].axis("off")
    figure.suptitle(f"80 nm a-C lamella, 300 kV BF, wave level, {phantom.voxel_nm:g} nm pixels (noise-free)")
    figure.tight_layout()
    figure.savefig(out / "energy_filter.png", dpi=100)
    print(f"wrote {out / 'energy_filter.png'}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("nanotomo_runs/energy_filter"))
