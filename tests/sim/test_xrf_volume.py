"""The material-basis XRF kernel against the per-slice element-map reference."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.errors import ValidationError
from sim.fluorescence import fluorescence_lines, xrf_projection
from sim.xrf_volume import xrf_volume_projection


def _random_sample(seed, n=12, n_mat=2):
    rng = np.random.default_rng(seed)
    fractions = np.zeros((n_mat, 2, n, n))
    fractions[:, :, 2:-2, 2:-2] = rng.uniform(0, 1, (n_mat, 2, n - 4, n - 4)) / n_mat
    mu0 = rng.uniform(0.001, 0.02, n_mat)
    mu_line = rng.uniform(0.001, 0.05, (2, n_mat))
    emission = rng.uniform(0, 1e-3, (2, n_mat))
    return fractions, mu0, mu_line, emission


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**16), angle=st.floats(-180, 180), side=st.sampled_from([1, -1]))
def test_matches_the_element_map_reference(seed, angle, side):
    # Sherman's equation is linear in the fractions, bilinear resampling is linear: resampling the
    # fractions and mixing them equals resampling the mixed maps. The reference sees one "element"
    # per line (emission map = Σ f_m e_lm, with σ = 1 absorbed into it) — it needs element maps, so
    # compare per line with an Fe map whose cross section is divided out.
    fractions, mu0, mu_line, emission = _random_sample(seed)
    out = xrf_volume_projection(fractions, mu0, mu_line, emission, voxel_nm=7.0, angle_deg=angle,
                                detector_side=side, solid_angle_sr=0.5)
    fe = fluorescence_lines("Fe", 10.0)
    sigma = {line.name: line.cross_section_cm2_g for line in fe}
    for row in range(fractions.shape[1]):
        mu0_map = np.tensordot(mu0, fractions[:, row], 1)
        for line in range(2):
            name = fe[0].name
            rho = np.tensordot(emission[line], fractions[:, row], 1) * 1e7 / sigma[name]
            maps = {each.name: np.tensordot(mu_line[line], fractions[:, row], 1) for each in fe}
            ref = xrf_projection({"Fe": rho}, mu0_map, maps, energy_kev=10.0, voxel_nm=7.0, angle_deg=angle,
                                 detector_side=side, solid_angle_sr=0.5)[name]
            # float64 throughout: agreement to rounding
            np.testing.assert_allclose(out[line, row], ref, rtol=1e-9, atol=1e-15)


def test_beer_lambert_of_a_single_voxel_column():
    # one emitting voxel at depth behind a uniform absorber: exp(-mu0 * path_in) * exp(-mu_l * path_out)
    n = 9
    fractions = np.zeros((2, 1, n, n))
    fractions[0, 0, 1:4, 4] = 1.0          # absorber upstream (z = 1..3) in the beam's column
    fractions[1, 0, 4, 4] = 1.0            # emitter at the centre
    fractions[0, 0, 4, 5:8] = 1.0          # absorber towards +u (x = 5..7)
    mu0, mu_l, e = 0.02, 0.05, 1e-3
    out = xrf_volume_projection(fractions, [mu0, 0.0], [[mu_l, 0.0]], [[0.0, e]], voxel_nm=10.0, angle_deg=0.0,
                                detector_side=1)
    expected = e * 10.0 * math.exp(-mu0 * 30.0) * math.exp(-mu_l * 30.0)
    assert out[0, 0, 4] == pytest.approx(expected, rel=1e-12)
    flipped = xrf_volume_projection(fractions, [mu0, 0.0], [[mu_l, 0.0]], [[0.0, e]], voxel_nm=10.0, angle_deg=0.0,
                                    detector_side=-1)
    assert flipped[0, 0, 4] == pytest.approx(e * 10.0 * math.exp(-mu0 * 30.0), rel=1e-12)


def test_bad_input_names_the_field():
    fractions, mu0, mu_line, emission = _random_sample(0)
    with pytest.raises(ValidationError, match="mu_line_per_nm.shape"):
        xrf_volume_projection(fractions, mu0, mu_line[:, :1], emission, voxel_nm=1.0, angle_deg=0.0)
    with pytest.raises(ValidationError, match="emission_per_nm"):
        xrf_volume_projection(fractions, mu0, mu_line, -emission - 1, voxel_nm=1.0, angle_deg=0.0)
    with pytest.raises(ValidationError, match="detector_side"):
        xrf_volume_projection(fractions, mu0, mu_line, emission, voxel_nm=1.0, angle_deg=0.0, detector_side=0)
    with pytest.raises(ValidationError, match="fractions.shape"):
        xrf_volume_projection(fractions[0], mu0, mu_line, emission, voxel_nm=1.0, angle_deg=0.0)
