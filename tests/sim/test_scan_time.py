"""Full-field scan time: a synchrotron fly scan takes about a minute, a lab step scan far longer; each part adds up."""

import pytest

from sim.errors import ValidationError
from sim.scan_time import ScanTiming, scan_time


def test_a_synchrotron_fly_scan_of_a_thousand_views_takes_about_a_minute():
    """~1000 views at 50 ms with an overlapped sCMOS readout: the "~1 min tomography" of PHYSICS.md."""
    budget = scan_time(ScanTiming(exposure_s=0.05, readout_s=0.01, mode="fly"), n_views=1000, range_deg=180.0)
    assert 50 < budget["total_s"] < 70 and budget["rotation_s"] == 0.0


def test_step_scan_adds_moves_settling_and_readouts():
    timing = ScanTiming(exposure_s=2.0, readout_s=0.5, mode="step", rotation_speed_deg_per_s=10.0, settle_s=0.5,
                        n_flats=10, n_darks=5, sample_move_s=3.0)
    budget = scan_time(timing, n_views=361, range_deg=180.0)
    assert budget["projections_s"] == pytest.approx(361 * 2.5)
    assert budget["rotation_s"] == pytest.approx(360 * (0.5 / 10.0 + 0.5))
    assert budget["flats_darks_s"] == pytest.approx(15 * 2.5 + 6.0)
    assert budget["total_s"] == pytest.approx(budget["projections_s"] + budget["rotation_s"] + budget["flats_darks_s"])
    assert budget["total_min"] == pytest.approx(budget["total_s"] / 60)


def test_fly_scan_without_overlap_pays_the_readout_every_frame():
    overlapped = ScanTiming(exposure_s=0.05, readout_s=0.03, mode="fly")
    serial = ScanTiming(exposure_s=0.05, readout_s=0.03, mode="fly", overlapped_readout=False)
    assert overlapped.frame_s() == 0.05 and serial.frame_s() == pytest.approx(0.08)


@pytest.mark.parametrize("kwargs, field", [({"exposure_s": 0.0}, "exposure_s"), ({"mode": "spiral"}, "mode"),
                                           ({"n_flats": -1}, "n_flats"), ({"readout_s": -0.1}, "readout_s")])
def test_bad_timing_names_the_field(kwargs, field):
    with pytest.raises(ValidationError, match=field):
        ScanTiming(**kwargs)


def test_bad_scan_names_the_field():
    with pytest.raises(ValidationError, match="n_views"):
        scan_time(ScanTiming(), n_views=0, range_deg=180.0)
    with pytest.raises(ValidationError, match="range_deg"):
        scan_time(ScanTiming(), n_views=10, range_deg=0.0)
