"""Radiation damage: closed forms, the classification rule, and mass conservation under thinning."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.damage import (
    CLASSES,
    DamageClass,
    classify,
    damage_class,
    damage_fractions,
    mass_remaining,
    thickness_remaining,
)
from sim.errors import ValidationError

RESIN = damage_class("organic")


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_closed_forms(name):
    """1 − m_max(1 − e^(−D/D_c)) and 1 − s_max(1 − e^(−D/D_c)) at 0, D_c, 3 D_c and far beyond."""
    c = CLASSES[name]
    dose = np.array([0.0, 10.0, 40.0, 100.0, 300.0, 1e7])
    decay = 1 - np.exp(-dose / c.critical_dose_e_per_a2)
    np.testing.assert_allclose(mass_remaining(dose, c), 1 - c.mass_loss_max * decay, rtol=1e-14)
    np.testing.assert_allclose(thickness_remaining(dose, c), 1 - c.shrinkage_max * decay, rtol=1e-14)
    assert mass_remaining(0.0, c) == 1.0
    assert mass_remaining(1e7, c) == pytest.approx(1 - c.mass_loss_max, rel=1e-14)


def test_resin_numbers():
    """Resin at D_c: 1 − 0.25(1 − 1/e) = 0.8420 of the mass, 1 − 0.30(1 − 1/e) = 0.8104 of the thickness."""
    assert mass_remaining(100.0, RESIN) == pytest.approx(1 - 0.25 * (1 - math.exp(-1)), rel=1e-15)
    assert thickness_remaining(100.0, RESIN) == pytest.approx(0.81036, abs=1e-5)
    assert damage_class("resin") is RESIN
    assert damage_class("biological") is CLASSES["ice"]


def test_stable_classes_do_not_change():
    for name in ("inorganic", "carbon"):
        assert mass_remaining(1e9, CLASSES[name]) == 1.0
        assert thickness_remaining(1e9, CLASSES[name]) == 1.0


@pytest.mark.parametrize(
    "composition, expected",
    [
        ({1: 2, 8: 1}, "ice"),
        ({1: 2 / 3, 8: 1 / 3}, "ice"),
        ({6: 18, 1: 20, 8: 3}, "organic"),  # epoxy (DGEBA-like)
        ({6: 5, 1: 8, 7: 1, 8: 2, 16: 0.05}, "organic"),  # protein
        ({6: 10, 1: 12, 8: 3, 76: 0.01}, "organic"),  # osmium-stained resin
        ({6: 1}, "carbon"),
        ({6: 1.0, 1: 0.0}, "carbon"),  # a zero fraction is not present
        ({79: 1}, "inorganic"),
        ({14: 1, 8: 2}, "inorganic"),
        ({20: 1, 6: 1, 8: 3}, "inorganic"),  # CaCO3: C without H
        ({12: 1, 8: 2, 1: 2}, "inorganic"),  # Mg(OH)2: H without C
        ({14: 1, 6: 1}, "inorganic"),  # SiC
        ({1: 1}, "inorganic"),
    ],
)
def test_classify_rule(composition, expected):
    assert classify(composition) == expected


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(1, 4),
    st.integers(1, 6),
    st.integers(1, 24),
    st.integers(1, 6),
    st.floats(0.0, 2000.0),
)
def test_mass_conservation(seed, n_materials, n_rows, n_z, n_x, dose):
    """Each material's total after = mass_remaining × total before, to 1e-5 relative.

    float32 maps summed in float64; the remap itself is exact to float64 rounding, the
    1e-5 covers the float32 output.
    """
    rng = np.random.default_rng(seed)
    fractions = rng.random((n_materials, n_rows, n_z, n_x), dtype=np.float32)
    names = rng.choice(sorted(CLASSES), n_materials)
    classes = [CLASSES[n] for n in names]
    classes[0] = DamageClass("test", float(rng.uniform(1, 500)), float(rng.uniform(0, 0.9)), float(rng.uniform(0, 0.9)))
    after = damage_fractions(fractions, dose, classes)
    assert after.shape == fractions.shape and after.dtype == np.float32
    before_sum = fractions.astype(np.float64).sum(axis=(1, 2, 3))
    after_sum = after.astype(np.float64).sum(axis=(1, 2, 3))
    expected = np.array([mass_remaining(dose, c) for c in classes]) * before_sum
    np.testing.assert_allclose(after_sum, expected, rtol=1e-5)
    assert np.all(after >= 0)


def test_thinning_shrinks_about_the_centre():
    """A centred slab 40 voxels thick, saturated resin (s = 0.7, m = 0.75): thickness 28, density 0.75/0.7.

    The slab is symmetric, so the z centroid stays at (n_z − 1)/2 (to 1e-9 voxel). Its continuous
    width is 0.7 × 40 = 28 voxels; the sum along z divided by the plateau value must give 28 (1e-5).
    """
    n_z = 64
    fractions = np.zeros((1, 3, n_z, 5), np.float32)
    fractions[:, :, 12:52, :] = 1.0
    after = damage_fractions(fractions, 1e8, [RESIN])[0].astype(np.float64)
    profile = after[1, :, 2]
    z = np.arange(n_z)
    assert np.sum(profile * z) / np.sum(profile) == pytest.approx((n_z - 1) / 2, abs=1e-9)
    plateau = profile[n_z // 2]
    assert plateau == pytest.approx(0.75 / 0.7, rel=1e-6)
    assert profile.sum() / plateau == pytest.approx(28.0, rel=1e-5)
    assert np.all(profile[:17] == 0) and np.all(profile[47:] == 0)
    # x and rows are untouched: every column is the same profile
    np.testing.assert_array_equal(after, np.broadcast_to(profile[None, :, None], after.shape))


def test_inorganic_is_unchanged():
    fractions = np.random.default_rng(2).random((2, 4, 16, 8), dtype=np.float32)
    after = damage_fractions(fractions, 1e4, [CLASSES["inorganic"], CLASSES["carbon"]])
    np.testing.assert_array_equal(after, fractions)


@pytest.mark.parametrize(
    "call, field",
    [
        (lambda: DamageClass("x", 0.0, 0.1, 0.1), "critical_dose_e_per_a2"),
        (lambda: DamageClass("x", float("nan"), 0.1, 0.1), "critical_dose_e_per_a2"),
        (lambda: DamageClass("x", 10.0, 1.0, 0.1), "mass_loss_max"),
        (lambda: DamageClass("x", 10.0, 0.1, -0.1), "shrinkage_max"),
        (lambda: mass_remaining(-1.0, RESIN), "cumulative_dose_e_per_a2"),
        (lambda: thickness_remaining([1.0, np.nan], RESIN), "cumulative_dose_e_per_a2"),
        (lambda: classify({}), "composition"),
        (lambda: classify({0: 1.0}), "composition"),
        (lambda: classify({6: -1.0}), "composition"),
        (lambda: classify({6: 0.0}), "composition"),
        (lambda: damage_class("steel"), "name"),
        (lambda: damage_fractions(np.ones((2, 3, 4), np.float32), 1.0, [RESIN]), "fractions"),
        (lambda: damage_fractions(np.ones((2, 1, 3, 4), np.float32), 1.0, [RESIN]), "classes"),
        (lambda: damage_fractions(np.ones((1, 1, 3, 4), np.float32), -5.0, [RESIN]), "cumulative_dose_e_per_a2"),
    ],
)
def test_bad_input_names_the_field(call, field):
    with pytest.raises(ValidationError, match=field):
        call()
