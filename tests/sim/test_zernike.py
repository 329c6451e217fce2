"""Zernike phase contrast through Abbe's sum: contrast ∝ φ, its sign, halo and shade-off."""

import math

import numpy as np
import pytest

from sim.errors import ValidationError
from sim.partial_coherence import Condenser, abbe_image
from sim.zernike import PhaseRing, ZernikeObjective
from sim.zone_plate import ZonePlate

ENERGY = 8.0
ZP = ZonePlate(diameter_um=100.0, outer_zone_nm=25.0)
# Hollow cone σ = 0.7–0.85, the ring matched to it, intensity transmission a² = 0.25.
CONDENSER = Condenser.from_sigma(ZP.numerical_aperture(ENERGY), sigma_outer=0.85, sigma_inner=0.7)
PIXEL = 10.0


def _disc_profile(n, radius_nm, phase, psi):
    """Radial profile (centre to edge of the field) of ΔI/I_background for a phase disc."""
    rows, cols = (np.indices((n, n)) - n // 2) * PIXEL
    r = np.hypot(rows, cols)
    t = np.where(r <= radius_nm, np.exp(1j * phase), 1.0)
    objective = ZP if psi is None else ZernikeObjective(ZP, PhaseRing.matched(CONDENSER, phase_shift_rad=psi))
    image = abbe_image(t, pixel_nm=PIXEL, energy_kev=ENERGY, objective=objective, condenser=CONDENSER, progress=False)
    background = np.median(image[r > 0.85 * n * PIXEL / 2])
    return image[n // 2, n // 2 :] / background - 1, background


def test_weak_phase_disc_gains_contrast_proportional_to_phase():
    """φ = 0.05 rad disc (radius 60 nm ≈ 2 resolution elements) in focus.

    Without the ring an in-focus weak phase object is invisible (|ΔI/I| < 1e-3, measured 3e-4).
    With a +π/2 ring of a = 0.5 the weak-object theory gives (2/a)·φ = 0.20 for all of the
    scattered light outside the ring; measured 0.124 at the centre (the ring and the pupil
    cut-off take the rest) — pinned to ±0.01 (source quadrature, 64 points: ±0.001).
    """
    plain, background = _disc_profile(128, 60.0, 0.05, None)
    assert np.max(np.abs(plain)) < 1e-3
    assert background == pytest.approx(1.0, abs=1e-4)  # the disc's faint tails reach the corners
    positive, background = _disc_profile(128, 60.0, 0.05, math.pi / 2)
    assert background == pytest.approx(0.25, abs=1e-3)  # the direct beam crosses the ring: a² = 0.25
    assert positive[0] == pytest.approx(0.124, abs=0.01)
    assert positive[0] < 2 / 0.5 * 0.05
    half, _ = _disc_profile(128, 60.0, 0.025, math.pi / 2)
    # Linear in φ: half the phase, half the contrast (measured ratio 0.494; the φ² term is ~1 %).
    assert half[0] / positive[0] == pytest.approx(0.5, abs=0.02)


def test_ring_phase_sign_gives_positive_or_negative_contrast():
    """ΔI ≈ 2aφ·sin ψ: ψ → −ψ or φ → −φ flips the sign (to the φ² term, 5 % of the contrast)."""
    positive, _ = _disc_profile(128, 60.0, 0.05, math.pi / 2)
    negative, _ = _disc_profile(128, 60.0, 0.05, -math.pi / 2)
    flipped, _ = _disc_profile(128, 60.0, -0.05, math.pi / 2)
    assert negative[0] == pytest.approx(-positive[0], rel=0.1)
    assert flipped[0] == pytest.approx(negative[0], rel=1e-6)


def test_large_phase_disc_shows_halo_and_shade_off():
    """A 600 nm disc: its low frequencies fall on the ring like the direct beam.

    Shade-off: the interior (measured +0.020) is far below the contrast just inside the edge
    (measured +0.069); halo: just outside the edge the contrast has the opposite sign
    (measured −0.036), within ~1/w of the edge, w the ring width in frequency (≈ 330 nm).
    """
    profile, _ = _disc_profile(256, 300.0, 0.05, math.pi / 2)
    edge = 30  # pixel index of the disc edge
    inside_edge = profile[edge - 5 : edge + 1].max()
    halo = profile[edge + 1 : edge + 30].min()
    assert inside_edge == pytest.approx(0.069, abs=0.01)
    assert profile[0] < 0.4 * inside_edge
    assert halo < -0.4 * inside_edge
    # The halo fades back to the background within a few ring-widths.
    assert np.max(np.abs(profile[edge + 60 :])) < 0.25 * abs(halo)


def test_ring_wider_than_the_pupil_is_an_error():
    ring = PhaseRing(0.0025, 0.0035)  # NA of the zone plate at 8 keV is 0.0031
    with pytest.raises(ValidationError, match="ring.na_outer"):
        objective = ZernikeObjective(ZP, ring)
        optics = {"energy_kev": ENERGY, "objective": objective, "condenser": CONDENSER}
        abbe_image(np.ones((16, 16), complex), pixel_nm=PIXEL, **optics, progress=False)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"na_inner": 0.002, "na_outer": 0.002}, "na_outer"),
        ({"na_inner": -0.001, "na_outer": 0.002}, "na_inner"),
        ({"na_inner": 0.001, "na_outer": 0.002, "phase_shift_rad": 4.0}, "phase_shift_rad"),
        ({"na_inner": 0.001, "na_outer": 0.002, "intensity_transmission": 0.0}, "intensity_transmission"),
    ],
)
def test_bad_ring_names_the_field(kwargs, field):
    with pytest.raises(ValidationError, match=field):
        PhaseRing(**kwargs)


def test_matched_ring_needs_an_annulus_and_a_condenser():
    with pytest.raises(ValidationError, match="condenser"):
        PhaseRing.matched(Condenser(0.0))
    with pytest.raises(ValidationError, match="condenser"):
        PhaseRing.matched(0.002)
    with pytest.raises(ValidationError, match="zone_plate"):
        ZernikeObjective("zp", PhaseRing(0.001, 0.002))
