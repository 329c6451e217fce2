"""A worked example: property-test your own reconstruction method against nanotomo's digital twins.

The property: *the reconstruction of any full-range, noise-free tilt series of
any phantom is within 10 % of the truth's peak value, voxel by voxel in RMS*.
``instruments.strategies.series`` draws the series: a small random phantom
(a few primitives of library materials), an X-ray or electron instrument, an
evenly spaced half turn of views, and the ground truth that an ideal
reconstruction recovers (μ for a TXM, Z-contrast for HAADF-STEM, the
inelastic attenuation for bright-field TEM), on the phantom's grid.

Run it with ``python -m pytest examples/test_my_method.py``; when it fails,
hypothesis shrinks the phantom and prints the smallest one that breaks your
method.
"""

import numpy as np
from hypothesis import given, settings

import sim
from instruments.strategies import series


def my_sirt(series: sim.TiltSeries, shape, *, n_iter: int = 100) -> np.ndarray:
    """The method under test: SIRT, ``x ← max(0, x + C·Aᵀ·R·(b − A·x))``, on nanotomo's projector pair.

    ``A`` is :func:`sim.project` (line integrals [value × nm]) and ``Aᵀ`` its
    exact adjoint :func:`sim.backproject`; ``R`` and ``C`` are the inverse
    row and column sums of ``A`` (Gregor & Benson, IEEE TMI 27, 918 (2008)).
    Returns the volume ``(n_rows, n_z, n_x)`` in [line-integral unit / nm].
    """
    b = np.asarray(series.data, dtype=np.float32)
    angles, voxel, n_cols = series.angles_deg, series.pixel_nm, b.shape[2]
    row_sums = sim.project(np.ones(shape, np.float32), angles, voxel_nm=voxel, n_cols=n_cols)
    column_sums = sim.backproject(np.ones_like(b), angles, shape, voxel_nm=voxel)
    r = np.divide(1.0, row_sums, out=np.zeros_like(row_sums), where=row_sums > 0)
    c = np.divide(1.0, column_sums, out=np.zeros_like(column_sums), where=column_sums > 0)
    x = np.zeros(shape, np.float32)
    for _ in range(n_iter):
        residual = b - sim.project(x, angles, voxel_nm=voxel, n_cols=n_cols)
        x = np.maximum(x + c * sim.backproject(r * residual, angles, shape, voxel_nm=voxel), 0.0)
    return x


# derandomize: the same 20 draws on every CI run (the project's own tests get this from
# tests/conftest.py; this folder is outside it). Locally, drop it to explore new draws.
@settings(max_examples=20, deadline=None, derandomize=True)
@given(series(noise=False, full_range=True, min_views=25, max_views=32))
def test_my_sirt_recovers_any_phantom_from_a_full_noise_free_series(s):
    """RMS error <= 10 % of the truth's peak.

    Views: at least 25 over 180°, Crowther's ⌈π·D/(2·voxel)⌉ for the widest
    drawn slice (D = 16 voxels), so the data determine the slice. Tolerance:
    over 300 random draws this method's worst error was 5.4 % of the peak
    after 100 iterations (median 0.4 %; tiny objects of a few voxels converge
    slowest); 10 % leaves room for draws not seen yet. The peak, not the
    truth's norm, is the scale: a sample of a few voxels would otherwise
    make any small absolute error look large.
    """
    truth = s.ground_truth.data
    estimate = my_sirt(s, truth.shape)
    rms_error = float(np.sqrt(np.mean(np.square(estimate - truth, dtype=np.float64))))
    assert rms_error <= 0.10 * float(truth.max())
