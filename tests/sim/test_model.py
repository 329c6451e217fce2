"""The data model: validation on construction, immutability, tilt schemes."""

import numpy as np
import pytest

import sim
from sim.errors import ValidationError


def test_volume_is_read_only_float32():
    volume = sim.Volume(np.zeros((2, 3, 4), np.float64), voxel_nm=1.5)
    assert volume.data.dtype == np.float32
    with pytest.raises(ValueError):
        volume.data[0, 0, 0] = 1.0


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(data=np.zeros((2, 3, 4)), voxel_nm=0.0), "voxel_nm"),
        (dict(data=np.zeros((2, 3, 4)), voxel_nm=-1.0), "voxel_nm"),
        (dict(data=np.full((2, 3, 4), np.nan), voxel_nm=1.0), "data"),
        (dict(data=np.zeros((3, 4)), voxel_nm=1.0), "data.shape"),
    ],
)
def test_volume_rejects_bad_input(kwargs, field):
    with pytest.raises(ValidationError) as error:
        sim.Volume(**kwargs)
    assert error.value.field == field
    assert field in str(error.value)


def test_tiltseries_validates_against_its_data():
    data = np.zeros((3, 2, 5))
    with pytest.raises(ValidationError, match="angles_deg"):
        sim.TiltSeries(data, angles_deg=[0, 1], pixel_nm=1.0, values="counts")
    with pytest.raises(ValidationError, match="values"):
        sim.TiltSeries(data, angles_deg=[0, 1, 2], pixel_nm=1.0, values="bananas")
    with pytest.raises(ValidationError, match="flat.shape"):
        sim.TiltSeries(data, angles_deg=[0, 1, 2], pixel_nm=1.0, values="counts", flat=np.ones((2, 2, 4)))
    with pytest.raises(ValidationError, match="dose_per_view"):
        sim.TiltSeries(data, angles_deg=[0, 1, 2], pixel_nm=1.0, values="counts", dose_per_view=-1.0)
    with pytest.raises(ValidationError, match="data.shape"):
        sim.TiltSeries(np.zeros((0, 2, 5)), angles_deg=[], pixel_nm=1.0, values="counts")


def test_range_includes_both_ends():
    assert sim.TiltScheme.range(-60, 60, step_deg=2).angles_deg.size == 61
    assert sim.TiltScheme.range(-90, 90, n_views=181).angles_deg[1] == pytest.approx(-89.0)


def test_dose_symmetric_order():
    """Hagen scheme: start nearest 0°, then alternate groups of two on each side."""
    scheme = sim.TiltScheme.range(-6, 6, step_deg=2, order="dose-symmetric")
    assert scheme.angles_deg.tolist() == [0, 2, 4, -2, -4, 6, -6]
    assert sorted(scheme.angles_deg.tolist()) == list(range(-6, 7, 2))


def test_bidirectional_order():
    scheme = sim.TiltScheme.range(-4, 4, step_deg=2, order="bidirectional")
    assert scheme.angles_deg.tolist() == [0, 2, 4, -2, -4]


@pytest.mark.parametrize(
    "call, field",
    [
        (lambda: sim.TiltScheme.range(10, -10, step_deg=1), "stop_deg"),
        (lambda: sim.TiltScheme.range(-10, 10), "step_deg/n_views"),
        (lambda: sim.TiltScheme.range(-10, 10, step_deg=0), "step_deg"),
        (lambda: sim.TiltScheme.range(-10, 10, step_deg=1, order="random"), "order"),
        (lambda: sim.TiltScheme.from_angles([]), "angles_deg"),
        (lambda: sim.TiltScheme.from_angles([0, np.nan]), "angles_deg"),
    ],
)
def test_scheme_rejects_bad_input(call, field):
    with pytest.raises(ValidationError) as error:
        call()
    assert error.value.field == field


def test_views_table_is_read_only_and_checked():
    series = sim.TiltSeries(np.zeros((3, 2, 4)), angles_deg=[-5, 0, 5], pixel_nm=1.0, values="line integral",
                        views={"defocus_nm": [1.0, 2.0, 3.0]})
    assert not series.views["defocus_nm"].flags.writeable
    with pytest.raises(ValidationError, match=r"views\['time_s'\]"):
        sim.TiltSeries(np.zeros((3, 2, 4)), angles_deg=[-5, 0, 5], pixel_nm=1.0, values="line integral",
                   views={"time_s": [1.0, 2.0]})


def test_dark_field_counts_invert_to_line_integrals():
    """I = I₀(1 − exp(−s·L)) inverts to L exactly (noise-free)."""
    line = np.array([0.0, 0.5, 20.0])
    scale = 0.1
    beam = 1000.0
    counts = np.append(beam * (1.0 - np.exp(-scale * line)), beam)
    series = sim.TiltSeries(counts.reshape(1, 1, 4), angles_deg=[0.0], pixel_nm=1.0, values="counts",
                            flat=np.full((1, 1, 4), beam), counts_model="dark field", line_integral_scale=scale)
    converted = series.to_line_integrals()
    back = converted.data[0, 0]
    # float32 counts carry ~1e-7 relative rounding, amplified by 1/(1 − T) ≤ e² here: 1e-5 is ample
    np.testing.assert_allclose(back[:3], line, rtol=1e-5, atol=1e-5)
    # a pixel that counted the whole beam is floored at half a count below it
    assert back[3] == pytest.approx(-np.log(0.5 / beam) / scale, rel=1e-6)
    assert converted.provenance["floored_pixels"] == 1


def test_per_view_incident_beam_replaces_flat_frames():
    """Electron series change dose per view: I₀ of each view comes from views['incident_per_px']."""
    incident = np.array([100.0, 400.0])
    counts = (incident * np.exp(-0.5))[:, None, None] * np.ones((2, 1, 3))
    series = sim.TiltSeries(counts, angles_deg=[0.0, 60.0], pixel_nm=1.0, values="counts",
                            views={"incident_per_px": incident})
    np.testing.assert_allclose(series.to_line_integrals().data, 0.5, rtol=1e-6)
