"""FBP of the 3-D Shepp–Logan phantom: accuracy pinned, and checked against scikit-image."""

import numpy as np
from skimage.transform import iradon, radon

import metrics
import phantoms
import recon
import sim

ANGLES = np.linspace(-90, 90, 181)


def test_fbp_shepp_logan_128_nrmse_is_pinned():
    """128³, 181 noise-free views over 180°, ramp filter: NRMSE measured 0.136.

    Pinned at 0.15 (10 % margin). The error is dominated by the partial-volume
    skull rim, which no band-limited reconstruction reproduces exactly.
    """
    phantom = phantoms.get("shepp_logan_3d", n=128)
    mu = phantom.mu_per_nm(20.0)
    series = sim.TiltSeries(sim.project(mu, ANGLES), angles_deg=ANGLES, pixel_nm=mu.voxel_nm,
                            values="line integral", unit="1", ground_truth=mu)
    volume = recon.get("fbp")(series)
    assert metrics.nrmse(volume, mu) < 0.15


def test_fbp_is_at_least_as_accurate_as_scikit_image_iradon():
    """Central slice: our FBP error ≤ 1.05 × scikit-image's radon + ramp iradon.

    Measured 0.141 vs 0.150 (inside a 60-pixel disc). skimage uses
    u = x·cos θ − row·sin θ, hence θ_skimage = −θ with image rows = z.
    """
    image = phantoms.get("shepp_logan_3d", n=128).fraction("H2O")[64].astype(np.float64)
    data = sim.project(image[None].astype(np.float32), ANGLES, voxel_nm=1.0)
    ours = recon.get("fbp")(sim.TiltSeries(data, angles_deg=ANGLES, pixel_nm=1.0, values="line integral")).data[0]
    theirs = iradon(radon(image, theta=-ANGLES, circle=True), theta=-ANGLES, circle=True, filter_name="ramp")
    coords = np.arange(128) - 63.5
    disc = np.hypot(*np.meshgrid(coords, coords)) < 60
    error = {name: np.linalg.norm((rec - image)[disc]) / np.linalg.norm(image[disc]) for name, rec in
             (("ours", ours), ("skimage", theirs))}
    assert error["ours"] <= 1.05 * error["skimage"]
