"""Fourier shell / ring correlation: identities, noise statistics, band limits, voxel size."""

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics import FSCCurve, fsc, resolution_nm, threshold_curve
from sim import ValidationError, Volume

FAST = settings(max_examples=25, deadline=None, database=None)
SHAPES = st.sampled_from([(8, 8), (6, 10), (9, 16), (8, 8, 8), (4, 6, 10), (7, 8, 9), (5, 12, 6)])


def frequency_radius(shape, voxel_nm):
    """|f| [1/nm] of every full-spectrum voxel of an array of ``shape``."""
    axes = np.meshgrid(*[np.fft.fftfreq(n, d=voxel_nm) for n in shape], indexing="ij")
    return np.sqrt(sum(f**2 for f in axes))


def low_pass(volume, voxel_nm, cutoff_per_nm):
    """``volume`` with every frequency |f| ≥ cutoff removed (a sharp spherical filter)."""
    keep = frequency_radius(volume.shape, voxel_nm) < cutoff_per_nm
    return np.fft.ifftn(np.fft.fftn(volume) * keep).real


# --- identities ---------------------------------------------------------------------------

@FAST
@given(seed=st.integers(0, 2**32 - 1), shape=SHAPES, voxel_nm=st.floats(0.05, 20.0))
def test_fsc_of_a_map_with_itself_is_one_in_every_shell(seed, shape, voxel_nm):
    vol = np.random.default_rng(seed).normal(size=shape)
    curve = fsc(vol, vol, voxel_nm=voxel_nm)
    np.testing.assert_allclose(curve.fsc, 1.0, atol=1e-12)
    assert curve.resolution_nm("half-bit") == pytest.approx(2 * voxel_nm)
    assert curve.freq_per_nm[-1] == pytest.approx(0.5 / voxel_nm)  # the last shell sits on Nyquist


@FAST
@given(seed=st.integers(0, 2**32 - 1), shape=SHAPES, gain=st.floats(0.01, 100.0), offset=st.floats(-50, 50),
       sign=st.sampled_from([1.0, -1.0]))
def test_fsc_ignores_gain_and_offset(seed, shape, gain, offset, sign):
    """FSC is normalised per shell and leaves out the mean: a·g + c correlates with a as sign(g)."""
    vol = np.random.default_rng(seed).normal(size=shape)
    curve = fsc(sign * gain * vol + offset, vol, voxel_nm=1.0)
    np.testing.assert_allclose(curve.fsc, sign, atol=1e-9)


@FAST
@given(seed=st.integers(0, 2**32 - 1), shape=SHAPES)
def test_fsc_is_symmetric_and_bounded(seed, shape):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=shape), rng.normal(size=shape)
    ab, ba = fsc(a, b, voxel_nm=1.0), fsc(b, a, voxel_nm=1.0)
    np.testing.assert_allclose(ab.fsc, ba.fsc, rtol=0, atol=1e-12)
    assert np.all(np.abs(ab.fsc) <= 1.0)


@FAST
@given(seed=st.integers(0, 2**32 - 1), shape=SHAPES, voxel_nm=st.floats(0.1, 10.0), data=st.data())
def test_matches_a_direct_full_spectrum_computation(seed, shape, voxel_nm, data):
    """The rfft with Friedel weights gives exactly what the full spectrum gives, for any
    allowed shell count, and no shell is empty."""
    n_shells = data.draw(st.integers(1, max(shape) // 2), label="n_shells")
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=shape), rng.normal(size=shape)
    curve = fsc(a, b, voxel_nm=voxel_nm, n_shells=n_shells)
    fa, fb = np.fft.fftn(a), np.fft.fftn(b)
    # shell i: (i − ½)·Δ ≤ |f| < (i + ½)·Δ, Δ = Nyquist / n_shells; in cycles per voxel
    # (|f|·voxel_nm) so that voxels exactly on a boundary fall the same way for any voxel size
    shell = np.floor(frequency_radius(shape, 1.0) * 2 * n_shells + 0.5).astype(int)
    expected, counts = [], []
    for i in range(1, n_shells + 1):
        s = shell == i
        num = np.sum((fa[s] * np.conj(fb[s])).real)
        expected.append(num / np.sqrt(np.sum(np.abs(fa[s]) ** 2) * np.sum(np.abs(fb[s]) ** 2)))
        counts.append(int(s.sum()))
    assert min(counts) >= 1
    np.testing.assert_allclose(curve.freq_per_nm, np.arange(1, n_shells + 1) * 0.5 / voxel_nm / n_shells)
    np.testing.assert_allclose(curve.fsc, expected, atol=1e-10)
    np.testing.assert_array_equal(curve.n_voxels, counts)


def test_shell_voxel_counts():
    """Shell 1 holds |index| in [0.5, 1.5): 6 faces + 12 edges in 3-D, 4 + 4 in 2-D."""
    assert fsc(np.ones((16, 16, 16)), np.ones((16, 16, 16)), voxel_nm=1.0).n_voxels[0] == 18
    assert fsc(np.ones((16, 16)), np.ones((16, 16)), voxel_nm=1.0).n_voxels[0] == 8


def test_a_shell_without_power_has_zero_correlation():
    """A constant map has power only in the mean, which no shell holds."""
    curve = fsc(np.ones((8, 8, 8)), np.random.default_rng(0).normal(size=(8, 8, 8)), voxel_nm=1.0)
    np.testing.assert_array_equal(curve.fsc, 0.0)


# --- noise ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("shape", "seed"), [((48, 48, 48), 11), ((40, 56, 64), 12), ((256, 256), 13)])
def test_independent_noise_lies_within_three_sigma_of_zero(shape, seed):
    """FSC of two independent white-noise maps is within 3/√N of 0 in every shell.

    In a shell of N Fourier voxels the numerator sums N independent real products
    (a Friedel pair carries one complex number, i.e. two reals, and is counted twice
    in both numerator and denominator), so the correlation has mean 0 and standard
    deviation 1/√N. For near-Gaussian sums a single shell exceeds 3σ with
    probability 0.27 %, so over S shells some shell does with probability
    1 − 0.9973^S: ≈ 5 % for the 20–24 shells of the 3-D cases, ≈ 30 % for the 128
    rings of the 2-D case. A fresh draw would therefore be flaky; the seeds are
    fixed, so the test is deterministic and checks the normalisation (a missing
    square root or a factor of two in N fails it by far), not luck. The companion
    test below checks that the spread is 1/√N, not smaller.
    """
    rng = np.random.default_rng(seed)
    curve = fsc(rng.normal(size=shape), rng.normal(size=shape), voxel_nm=1.0)
    assert np.all(np.abs(curve.fsc) <= 3.0 / np.sqrt(curve.n_voxels))


def test_independent_noise_has_unit_spread_in_units_of_one_over_root_n():
    """fsc·√N over many shells and seeds has mean ≈ 0 and standard deviation ≈ 1.

    With ≈ 160 shells the standard error of the sample standard deviation is
    ≈ 1/√320 ≈ 0.06, so [0.8, 1.2] is a > 3σ band; the seeds are fixed.
    """
    rng = np.random.default_rng(21)
    z = []
    for _ in range(5):
        a, b = rng.normal(size=(64, 64, 64)), rng.normal(size=(64, 64, 64))
        curve = fsc(a, b, voxel_nm=1.0)
        z.append(curve.fsc[2:] * np.sqrt(curve.n_voxels[2:]))  # skip the two smallest shells
    z = np.concatenate(z)
    assert abs(z.mean()) < 3.0 / np.sqrt(z.size)
    assert 0.8 < z.std() < 1.2


# --- known band limit, physical frequency, voxel size ----------------------------------------

@pytest.mark.parametrize(("shape", "voxel_nm", "cutoff"), [
    ((48, 64, 40), 1.5, 0.12), ((32, 32, 32), 2.0, 0.1), ((64, 48), 0.5, 0.6)])
@pytest.mark.parametrize("threshold", [0.5, 0.143, "half-bit"])
def test_resolution_of_a_low_passed_map_is_its_cutoff(shape, voxel_nm, cutoff, threshold):
    """A map cut at |f| = f_c against the original: FSC is 1 below f_c and 0 above.

    The crossing is found within the shell that holds f_c, so 1/resolution lies
    within one shell width of f_c. Non-cubic shapes check that shells are spheres
    in physical frequency.
    """
    original = np.random.default_rng(5).normal(size=shape)
    curve = fsc(low_pass(original, voxel_nm, cutoff), original, voxel_nm=voxel_nm)
    width = curve.freq_per_nm[0]
    assert abs(1.0 / curve.resolution_nm(threshold) - cutoff) <= width
    assert np.all(curve.fsc[curve.freq_per_nm < cutoff - width] > 0.999)
    assert np.all(np.abs(curve.fsc[curve.freq_per_nm > cutoff + width]) < 1e-6)


def test_non_cubic_shells_are_spheres_in_physical_frequency():
    """One period across 8 voxels and four across 32 are the same frequency: the same shell."""
    rows, cols = np.meshgrid(np.arange(8), np.arange(32), indexing="ij")
    for pattern in (np.cos(2 * np.pi * rows / 8), np.cos(2 * np.pi * 4 * cols / 32)):
        curve = fsc(pattern, pattern, voxel_nm=3.0)
        assert curve.fsc[0] == pytest.approx(1.0)
        np.testing.assert_array_equal(curve.fsc[1:], 0.0)
        assert curve.freq_per_nm[0] == pytest.approx(1 / 24)


def band_limited_pair(n_coarse, seed):
    """Spectra of a continuous object plus two independent noise fields, band-limited below
    the Nyquist frequency of an ``n_coarse``³ grid: signal power falls as 1/|k|⁴, noise is flat."""
    rng = np.random.default_rng(seed)
    k = frequency_radius((n_coarse,) * 3, 1.0 / n_coarse)  # in cycles per box
    inside = np.ones((n_coarse,) * 3, dtype=bool)
    for axis in range(3):  # drop the Nyquist planes so the spectrum embeds in any finer grid
        index = [slice(None)] * 3
        index[axis] = n_coarse // 2
        inside[tuple(index)] = False

    def field(amplitude):
        return np.fft.fftn(rng.normal(size=(n_coarse,) * 3)) * amplitude * inside

    signal = field(np.where(k > 0, 1.0 / np.maximum(k, 1.0) ** 2, 0.0))
    noise_level = 0.01  # SNR 1 (FSC 0.5) where 1/k² = 0.01: k = 10 per box, 6.4 nm
    return signal + field(noise_level), signal + field(noise_level)


def sample(spectrum, n):
    """The continuous field of a coarse ``spectrum`` sampled on an ``n``³ grid over the same box."""
    m = spectrum.shape[0]
    index = np.fft.fftfreq(m, d=1.0 / m).astype(int) % n  # signed index → position in the n-grid
    full = np.zeros((n, n, n), dtype=complex)
    full[np.ix_(index, index, index)] = spectrum
    return np.fft.ifftn(full).real


def test_same_object_at_two_voxel_sizes_gives_one_curve_in_physical_frequency():
    """A 64 nm box sampled at 2 nm (32³) and 1 nm (64³): identical FSC where both measure.

    The object and noise are band-limited below the coarse grid's Nyquist frequency,
    so both grids sample one continuous field; the shell width is 1/64 nm⁻¹ on
    both, and the first 16 shells hold the same Fourier components.
    """
    spectrum_a, spectrum_b = band_limited_pair(32, seed=8)
    coarse = fsc(sample(spectrum_a, 32), sample(spectrum_b, 32), voxel_nm=2.0)
    fine = fsc(sample(spectrum_a, 64), sample(spectrum_b, 64), voxel_nm=1.0)
    assert coarse.freq_per_nm.size == 16 and fine.freq_per_nm.size == 32
    np.testing.assert_allclose(fine.freq_per_nm[:16], coarse.freq_per_nm, rtol=1e-12)
    np.testing.assert_allclose(fine.fsc[:16], coarse.fsc, atol=1e-9)
    np.testing.assert_array_equal(fine.n_voxels[:15], coarse.n_voxels[:15])
    res_coarse, res_fine = coarse.resolution_nm(0.5), fine.resolution_nm(0.5)
    assert coarse.crosses(0.5) and 5.0 < res_coarse < 9.0  # crosses mid-band, near 64 nm / 10
    assert res_fine == pytest.approx(res_coarse, rel=1e-9)


@FAST
@given(seed=st.integers(0, 2**32 - 1), shape=SHAPES, voxel_nm=st.floats(0.05, 20.0))
def test_voxel_size_scales_frequency_not_correlation(seed, shape, voxel_nm):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=shape)
    b = a + rng.normal(scale=1.0, size=shape)
    unit, scaled = fsc(a, b, voxel_nm=1.0), fsc(a, b, voxel_nm=voxel_nm)
    np.testing.assert_allclose(scaled.fsc, unit.fsc, atol=1e-12)
    np.testing.assert_allclose(scaled.freq_per_nm, unit.freq_per_nm / voxel_nm, rtol=1e-12)
    assert scaled.resolution_nm(0.5) == pytest.approx(voxel_nm * unit.resolution_nm(0.5), rel=1e-9)


# --- thresholds and reading the resolution ------------------------------------------------------

def test_half_bit_and_one_bit_follow_van_heel_and_schatz():
    """T(n) = (0.2071 + 1.9102/√n)/(1.2071 + 0.9102/√n); one-bit (0.5 + 2.4142/√n)/(1.5 + 1.4142/√n).

    Both are 1 for a single voxel and tend to 0.2071/1.2071 = 0.1716 and 1/3.
    """
    n = np.array([1, 100, 10**14])
    np.testing.assert_allclose(threshold_curve("half-bit", n),
                               [1.0, (0.2071 + 0.19102) / (1.2071 + 0.09102), 0.2071 / 1.2071], rtol=1e-6)
    np.testing.assert_allclose(threshold_curve("one-bit", n),
                               [1.0, (0.5 + 0.24142) / (1.5 + 0.14142), 1 / 3], rtol=1e-6)


def test_resolution_interpolates_linearly_between_shells():
    curve = FSCCurve([0.1, 0.2, 0.3, 0.4], [0.95, 0.7, 0.3, 0.6], [10, 20, 30, 40], voxel_nm=1.0)
    # 0.5 is crossed between 0.2 (0.7) and 0.3 (0.3), half way: f = 0.25
    assert curve.resolution_nm(0.5) == pytest.approx(4.0)
    # the first crossing counts, not the later recovery above 0.5
    assert curve.crosses(0.5)
    # for a varying threshold the difference fsc − T is interpolated
    n = np.array([10, 20, 30, 40])
    t = threshold_curve("half-bit", n)
    d = curve.fsc - t
    i = int(np.flatnonzero(d < 0)[0])
    f = curve.freq_per_nm[i - 1] + d[i - 1] / (d[i - 1] - d[i]) * 0.1
    assert curve.resolution_nm("half-bit") == pytest.approx(1 / f)


def test_resolution_limits_never_crossing_and_already_below():
    curve = FSCCurve([0.05, 0.1], [0.9, 0.8], [10, 20], voxel_nm=5.0)
    assert not curve.crosses(0.5)
    assert curve.resolution_nm(0.5) == 10.0  # Nyquist limit: 2·voxel_nm
    assert curve.crosses(0.95)
    assert curve.resolution_nm(0.95) == pytest.approx(20.0)  # below from the first shell: 1/freq[0]


def test_resolution_function_is_fsc_then_read():
    rng = np.random.default_rng(9)
    a = rng.normal(size=(16, 16, 16))
    b = low_pass(a, 1.0, 0.3) + 0.1 * rng.normal(size=a.shape)
    assert resolution_nm(a, b, voxel_nm=1.0, threshold=0.143) == fsc(a, b, voxel_nm=1.0).resolution_nm(0.143)


def test_volumes_supply_the_voxel_size():
    data = np.random.default_rng(10).normal(size=(8, 8, 8))
    a, b = Volume(data, voxel_nm=2.5), Volume(data[::-1], voxel_nm=2.5)
    assert fsc(a, b).voxel_nm == 2.5
    assert fsc(a, data, voxel_nm=2.5).freq_per_nm[-1] == pytest.approx(0.2)
    with pytest.raises(ValidationError, match="^voxel_nm = 1.0"):
        fsc(a, b, voxel_nm=1.0)
    with pytest.raises(ValidationError, match=r"^b\.voxel_nm"):
        fsc(a, Volume(data, voxel_nm=1.0))


def test_curve_is_read_only_and_json_able():
    curve = fsc(np.eye(8), np.eye(8), voxel_nm=1.0)
    with pytest.raises(ValueError):
        curve.fsc[0] = 0.0
    assert json.loads(json.dumps(curve.as_dict()))["voxel_nm"] == 1.0


@pytest.mark.parametrize("shape", [(4, 32), (3, 9, 17), (32, 4)])
def test_finest_shells_follow_the_longest_axis(shape):
    """n_shells up to half the longest axis: width 1/(n_max·voxel), no shell empty."""
    n_shells = max(shape) // 2
    a = np.random.default_rng(0).normal(size=shape)
    curve = fsc(a, a, voxel_nm=2.0, n_shells=n_shells)
    assert curve.freq_per_nm.size == n_shells and np.all(curve.n_voxels >= 1)
    np.testing.assert_allclose(np.diff(curve.freq_per_nm), 0.25 / n_shells)
    np.testing.assert_allclose(curve.fsc, 1.0, atol=1e-12)


# --- bad input -----------------------------------------------------------------------------------

@pytest.mark.parametrize("voxel_nm", [0.0, -1.0, math.nan, math.inf, "big"])
def test_bad_voxel_size_names_the_field(voxel_nm):
    with pytest.raises(ValidationError, match="^voxel_nm ="):
        fsc(np.ones((8, 8)), np.ones((8, 8)), voxel_nm=voxel_nm)
    with pytest.raises(ValidationError, match="^voxel_nm ="):
        resolution_nm(np.ones((8, 8)), np.ones((8, 8)), voxel_nm=voxel_nm, threshold=0.5)


def test_plain_arrays_need_a_voxel_size():
    with pytest.raises(ValidationError, match="^voxel_nm = None"):
        fsc(np.ones((8, 8)), np.ones((8, 8)))


@pytest.mark.parametrize("threshold", ["half", "1/7", 0.0, 1.0, 1.5, -0.2, math.nan, True, None])
def test_unknown_threshold_names_the_field(threshold):
    a = np.random.default_rng(0).normal(size=(8, 8))
    with pytest.raises(ValidationError, match="^threshold ="):
        resolution_nm(a, a, voxel_nm=1.0, threshold=threshold)
    with pytest.raises(ValidationError, match="^threshold ="):
        fsc(a, a, voxel_nm=1.0).crosses(threshold)


def test_bad_shapes_name_the_field():
    with pytest.raises(ValidationError, match=r"^b\.shape"):
        fsc(np.ones((8, 8, 8)), np.ones((8, 8, 9)), voxel_nm=1.0)
    with pytest.raises(ValidationError, match=r"^a\.shape"):
        fsc(np.ones(8), np.ones(8), voxel_nm=1.0)
    with pytest.raises(ValidationError, match=r"^a\.shape"):
        fsc(np.ones((1, 8, 8)), np.ones((1, 8, 8)), voxel_nm=1.0)


@pytest.mark.parametrize("n_shells", [0, -3, 17, 2.5, True])
def test_bad_shell_count_names_the_field(n_shells):
    with pytest.raises(ValidationError, match="^n_shells ="):
        fsc(np.ones((8, 32)), np.ones((8, 32)), voxel_nm=1.0, n_shells=n_shells)


def test_curve_validates_its_arrays():
    with pytest.raises(ValidationError, match=r"^fsc\.shape"):
        FSCCurve([0.1, 0.2], [1.0], [1, 2], voxel_nm=1.0)
    with pytest.raises(ValidationError, match="^n_voxels"):
        FSCCurve([0.1], [1.0], [0], voxel_nm=1.0)
    with pytest.raises(ValidationError, match="^voxel_nm"):
        FSCCurve([0.1], [1.0], [3], voxel_nm=0.0)
