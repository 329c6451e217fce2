"""The nanotomo chain in five lines, then a figure.

A LiCoO2 battery particle through an 8 keV absorption TXM at two doses,
reconstructed with SIRT: how much does a 10× higher dose buy?

    python examples/quickstart.py        # writes quickstart.png in the current folder
"""

import instruments
import metrics
import phantoms
import recon
import sim
from sim.plot import orthoslices

phantom = phantoms.get("battery_particle", seed=1)
scheme = sim.TiltScheme.range(-90, 90, n_views=121)
volumes = {}
for photons in (1e3, 1e4):
    series = instruments.TXM(energy_kev=8.0, photons_per_pixel=photons).acquire(phantom, scheme, seed=7)
    volume = recon.get("sirt")(series.to_line_integrals(), n_iter=40)
    scores = metrics.score(volume, series.ground_truth)
    print(f"{photons:8.0f} photons/px: " + ", ".join(f"{name} {score}" for name, score in scores.items()))
    volumes[f"SIRT, {photons:g} photons/px"] = volume
orthoslices({"ground truth": series.ground_truth, **volumes}, "quickstart.png", title="battery particle, TXM 8 keV")
